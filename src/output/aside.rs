//! What `--text` (without a filter) tells on stderr beside the answer on stdout, so the
//! answer stays exactly the answer:
//!
//! - reasoning, as it streams, dimmed when stderr is a terminal and colour is on; a
//!   run of reasoning is ended by a line end before the answer or a tool call goes on;
//! - each tool call once complete, on a line of its own:
//!   `tool call get_weather {"city":"Paris"} (id call_1)`, the arguments as compact JSON
//!   in the order sent; arguments that are not valid JSON are said to be so and shown
//!   escaped and shortened.
//!
//! Control characters from the stream are escaped, as in every stderr line. When stdout
//! and stderr are both terminals, what comes on stderr while the answer's line is open
//! starts on a line of its own (a line end on stderr, never on stdout).

use super::filter::shorten;
use super::jsonview::{Palette, View};
use super::{Look, Out};
use crate::escape::{self, Lines};
use crate::llm::{Call, Piece, Tools, MAX_ARGUMENTS};

/// Characters of invalid arguments shown.
const INVALID_SHOWN: usize = 300;

/// SGR faint and reset: the decision to dim is this printer's (stderr's terminal), not
/// the colour override's (stdout's).
const DIM: &str = "\x1b[2m";
const RESET: &str = "\x1b[0m";

pub struct Aside {
    tools: Tools,
    /// A run of reasoning is being written.
    reasoning: bool,
    /// stderr is after text that no line end has ended.
    mid_line: bool,
    /// Reasoning is dimmed: stderr is a terminal and colour is on.
    dim: bool,
    /// stdout and stderr are both terminals: one screen shows both.
    one_screen: bool,
    /// On one screen, stderr has left the answer's open line for one of its own.
    left_answer: bool,
}

impl Aside {
    pub fn new(look: &Look, stderr_tty: bool) -> Aside {
        Aside {
            tools: Tools::default(),
            reasoning: false,
            mid_line: false,
            dim: look.color && stderr_tty,
            one_screen: look.terminal && stderr_tty,
            left_answer: false,
        }
    }

    /// Answer text comes next: a run of reasoning ends.
    pub fn before_answer(&mut self, out: &mut Out) {
        self.end_reasoning(out);
        self.left_answer = false;
    }

    /// A piece other than answer text; `answer_open`: the answer's line is open on stdout.
    pub fn piece(&mut self, out: &mut Out, piece: &Piece, answer_open: bool) {
        match piece {
            Piece::Reasoning(s) if !s.is_empty() => self.reason(out, s, answer_open),
            Piece::Finish(_) => self.finish(out, answer_open),
            _ => {
                if let Some(call) = self.tools.piece(piece) {
                    self.tool_call(out, &call, answer_open);
                }
            }
        }
    }

    /// The stream ended: the reasoning line ends, calls still open are told.
    pub fn end(&mut self, out: &mut Out, answer_open: bool) {
        self.end_reasoning(out);
        self.finish(out, answer_open);
    }

    fn reason(&mut self, out: &mut Out, s: &str, answer_open: bool) {
        if !self.reasoning {
            self.own_line(out, answer_open);
            self.reasoning = true;
        }
        let s = escape::controls(s, Lines::Keep);
        self.mid_line = !s.ends_with('\n');
        out.stderr(if self.dim {
            format!("{DIM}{s}{RESET}")
        } else {
            s.into_owned()
        });
    }

    /// The message finished: every call still open is complete.
    fn finish(&mut self, out: &mut Out, answer_open: bool) {
        for call in self.tools.finish() {
            self.tool_call(out, &call, answer_open);
        }
    }

    fn tool_call(&mut self, out: &mut Out, call: &Call, answer_open: bool) {
        self.end_reasoning(out);
        self.own_line(out, answer_open);
        out.stderr(format!("{}\n", call_line(call)));
    }

    /// What comes next starts a line: stderr's own is ended, and on one screen the
    /// answer's too (once: what follows on stderr is below it).
    fn own_line(&mut self, out: &mut Out, answer_open: bool) {
        let leave_answer = answer_open && self.one_screen && !self.left_answer;
        if self.mid_line || leave_answer {
            out.stderr("\n".into());
            self.mid_line = false;
        }
        self.left_answer |= leave_answer;
    }

    /// A run of reasoning ends, with its line.
    fn end_reasoning(&mut self, out: &mut Out) {
        if self.mid_line {
            out.stderr("\n".into());
            self.mid_line = false;
        }
        self.reasoning = false;
    }
}

/// `tool call NAME ARGUMENTS (id ID)`, or why the arguments cannot be shown.
pub fn call_line(call: &Call) -> String {
    let name = call
        .name
        .as_deref()
        .map_or("(no name)".into(), escape::line);
    let id = call
        .id
        .as_deref()
        .map(|id| format!(" (id {})", escape::line(id)))
        .unwrap_or_default();
    // A call without parameters may send no arguments at all.
    let arguments = match call.arguments.trim() {
        "" => "{}",
        a => a,
    };
    if call.over {
        return format!(
            "tool call {name}{id}: the arguments are over {} MiB, not shown",
            MAX_ARGUMENTS >> 20
        );
    }
    match serde_json::from_str::<serde_json::Value>(arguments) {
        Ok(value) => format!("tool call {name} {}{id}", compact(arguments, &value)),
        Err(e) => format!(
            "tool call {name}{id}: the arguments are not valid JSON ({e}): {}",
            escape::line(&shorten(arguments, INVALID_SHOWN))
        ),
    }
}

/// Valid JSON on one line, keys in the order sent, strings escaped for a terminal.
fn compact(json: &str, value: &serde_json::Value) -> String {
    let mut buf = Vec::new();
    match View::parse(json).map(|v| v.write_compact(&mut buf, &Palette::new(false))) {
        Some(Ok(())) => String::from_utf8_lossy(&buf).into_owned(),
        _ => escape::line(&value.to_string()).into_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(arguments: &str) -> Call {
        Call {
            name: Some("get_weather".into()),
            id: Some("call_1".into()),
            arguments: arguments.into(),
            over: false,
        }
    }

    #[test]
    fn a_call_shows_its_arguments_as_compact_json_or_says_they_are_invalid() {
        assert_eq!(
            call_line(&call("{\"city\": \"Paris\",\n \"a\": [1, 2]}")),
            "tool call get_weather {\"city\":\"Paris\",\"a\":[1,2]} (id call_1)"
        );
        assert_eq!(call_line(&call("")), "tool call get_weather {} (id call_1)");
        let line = call_line(&call("{\"city\":\"Par\x1b"));
        assert!(
            line.starts_with(
                "tool call get_weather (id call_1): the arguments are not valid JSON ("
            ) && line.ends_with("): {\"city\":\"Par\\x1b"),
            "{line}"
        );
        let over = Call {
            over: true,
            ..call("{")
        };
        assert_eq!(
            call_line(&over),
            "tool call get_weather (id call_1): the arguments are over 1 MiB, not shown"
        );
    }

    fn said(out: &mut Out) -> String {
        out.said()
            .map(|(_, s)| match s {
                super::super::Said::Text(t) | super::super::Said::Notice(t) => t,
            })
            .collect()
    }

    #[test]
    fn reasoning_ends_its_line_before_a_tool_call_and_on_one_screen_leaves_the_answer_line() {
        let mut aside = Aside::new(&Look::plain(), false);
        let mut out = Out::default();
        aside.piece(&mut out, &Piece::Reasoning("Think\x07ing".into()), false);
        aside.piece(&mut out, &Piece::Reasoning(" more".into()), false);
        let start = Piece::ToolStart {
            slot: 0,
            name: Some("f".into()),
            id: None,
        };
        aside.piece(&mut out, &start, false);
        aside.end(&mut out, false);
        assert_eq!(said(&mut out), "Think\\x07ing more\ntool call f {}\n");
        // Both on one terminal: reasoning after answer text starts on a line of its own.
        let look = Look {
            terminal: true,
            ..Look::plain()
        };
        let mut aside = Aside::new(&look, true);
        aside.piece(&mut out, &Piece::Reasoning("r".into()), true);
        aside.before_answer(&mut out);
        aside.end(&mut out, false);
        assert_eq!(said(&mut out), "\nr\n");
        // Tool calls after answer text: the answer's line is left once.
        for slot in [0, 1] {
            let start = Piece::ToolStart {
                slot,
                name: Some("f".into()),
                id: None,
            };
            aside.piece(&mut out, &start, true);
        }
        // One is told at its end, the other when the stream ends.
        let end = Piece::ToolEnd {
            slot: 0,
            arguments: None,
        };
        aside.piece(&mut out, &end, true);
        aside.end(&mut out, true);
        assert_eq!(said(&mut out), "\ntool call f {}\ntool call f {}\n");
    }

    #[test]
    fn reasoning_is_dimmed_only_when_stderr_is_a_terminal_and_colour_is_on() {
        let color = Look {
            color: true,
            ..Look::plain()
        };
        let reasoning = Piece::Reasoning("hm".into());
        for (look, stderr_tty, shown) in [
            (&color, true, "\x1b[2mhm\x1b[0m\n"),
            (&color, false, "hm\n"),
            (&Look::plain(), true, "hm\n"),
        ] {
            let mut aside = Aside::new(look, stderr_tty);
            let mut out = Out::default();
            aside.piece(&mut out, &reasoning, false);
            aside.end(&mut out, false);
            assert_eq!(said(&mut out), shown, "{stderr_tty}");
        }
    }
}
