//! Tool calls put together from their pieces, by slot: OpenAI's `tool_calls[i]`,
//! Anthropic's content block index, Responses' `output_index`. Two calls streamed side
//! by side stay apart; a call is given out once complete (its block stopped, its
//! arguments done, the message finished, or the stream ended).

use std::collections::BTreeMap;

use super::piece::Piece;

/// Bytes of arguments kept for one call: a stream can send a call's arguments without
/// end, and memory stays bounded.
pub const MAX_ARGUMENTS: usize = 1 << 20;

/// Calls open at once; a start past them is not followed (nor is memory).
const MAX_OPEN: usize = 64;

/// A complete tool call, as the stream sent it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    pub name: Option<String>,
    pub id: Option<String>,
    /// The arguments as sent (JSON text, unchecked); empty when none were sent.
    pub arguments: String,
    /// More than [`MAX_ARGUMENTS`] bytes came: `arguments` is their start.
    pub over: bool,
}

/// The calls still being streamed.
#[derive(Debug, Default)]
pub struct Tools {
    open: BTreeMap<u64, Call>,
}

impl Tools {
    /// Takes one piece; the call it completed, if any.
    pub fn piece(&mut self, piece: &Piece) -> Option<Call> {
        match piece {
            Piece::ToolStart { slot, name, id } => {
                if self.open.len() >= MAX_OPEN && !self.open.contains_key(slot) {
                    return None;
                }
                let call = self.open.entry(*slot).or_insert_with(|| Call {
                    name: None,
                    id: None,
                    arguments: String::new(),
                    over: false,
                });
                call.name = name.clone().or(call.name.take());
                call.id = id.clone().or(call.id.take());
                None
            }
            Piece::ToolArgs { slot, part } => {
                if let Some(call) = self.open.get_mut(slot) {
                    append(call, part);
                }
                None
            }
            Piece::ToolEnd { slot, arguments } => {
                let mut call = self.open.remove(slot)?;
                if let Some(whole) = arguments {
                    call.arguments.clear();
                    call.over = false;
                    append(&mut call, whole);
                }
                Some(call)
            }
            _ => None,
        }
    }

    /// The message finished or the stream ended: every call still open, by slot.
    pub fn finish(&mut self) -> Vec<Call> {
        std::mem::take(&mut self.open).into_values().collect()
    }
}

/// `part` after the call's arguments, up to [`MAX_ARGUMENTS`] bytes.
fn append(call: &mut Call, part: &str) {
    let room = MAX_ARGUMENTS.saturating_sub(call.arguments.len());
    if part.len() <= room {
        call.arguments.push_str(part);
        return;
    }
    let mut cut = room;
    while !part.is_char_boundary(cut) {
        cut -= 1;
    }
    call.arguments.push_str(&part[..cut]);
    call.over = true;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn start(slot: u64, name: &str, id: &str) -> Piece {
        Piece::ToolStart {
            slot,
            name: Some(name.into()),
            id: Some(id.into()),
        }
    }

    fn args(slot: u64, part: &str) -> Piece {
        Piece::ToolArgs {
            slot,
            part: part.into(),
        }
    }

    #[test]
    fn two_calls_streamed_side_by_side_are_assembled_by_slot() {
        let mut tools = Tools::default();
        let pieces = [
            start(0, "get_weather", "call_a"),
            start(1, "get_time", "call_b"),
            args(0, "{\"ci"),
            args(1, "{\"tz\":"),
            args(0, "ty\":\"Paris\"}"),
            args(1, "\"CET\"}"),
            args(7, "ignored: no call at this slot"),
        ];
        for p in &pieces {
            assert_eq!(tools.piece(p), None);
        }
        let calls = tools.finish();
        assert_eq!(calls.len(), 2);
        assert_eq!(calls[0].name.as_deref(), Some("get_weather"));
        assert_eq!(calls[0].id.as_deref(), Some("call_a"));
        assert_eq!(calls[0].arguments, "{\"city\":\"Paris\"}");
        assert_eq!(calls[1].name.as_deref(), Some("get_time"));
        assert_eq!(calls[1].arguments, "{\"tz\":\"CET\"}");
        assert!(tools.finish().is_empty());
    }

    #[test]
    fn a_call_ends_at_its_slot_and_whole_arguments_win() {
        let mut tools = Tools::default();
        tools.piece(&start(2, "f", "toolu_1"));
        tools.piece(&args(2, "{\"a\""));
        // Another block stopping is not this call's end.
        let other = Piece::ToolEnd {
            slot: 0,
            arguments: None,
        };
        assert_eq!(tools.piece(&other), None);
        let end = Piece::ToolEnd {
            slot: 2,
            arguments: None,
        };
        let call = tools.piece(&end).unwrap();
        assert_eq!(call.arguments, "{\"a\"");
        tools.piece(&start(1, "g", "fc"));
        tools.piece(&args(1, "{\"x\":"));
        let done = Piece::ToolEnd {
            slot: 1,
            arguments: Some("{\"x\":1}".into()),
        };
        assert_eq!(tools.piece(&done).unwrap().arguments, "{\"x\":1}");
        assert!(tools.finish().is_empty());
    }

    #[test]
    fn calls_open_at_once_are_bounded() {
        let mut tools = Tools::default();
        for slot in 0..1000 {
            tools.piece(&start(slot, "f", "c"));
        }
        assert_eq!(tools.finish().len(), MAX_OPEN);
    }

    #[test]
    fn arguments_past_the_cap_are_cut_on_a_character() {
        let mut tools = Tools::default();
        tools.piece(&start(0, "f", "c"));
        tools.piece(&args(0, &"a".repeat(MAX_ARGUMENTS - 1)));
        tools.piece(&args(0, "éé"));
        let call = tools.finish().pop().unwrap();
        assert!(call.over);
        assert_eq!(call.arguments.len(), MAX_ARGUMENTS - 1);
    }
}
