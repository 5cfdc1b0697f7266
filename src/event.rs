//! An event kept beyond the parser's callback, and its wire form.

use std::fmt::Write as _;
use std::time::Duration;

use crate::parser::EventRef;

/// The reconnection time before the server sets one with `retry:` (browsers use about 3 s).
pub const DEFAULT_RETRY: Duration = Duration::from_millis(3000);

/// The comment `sse serve --stamp` writes before each event, `: sent-at <unix-ms>`,
/// as the whole line (with its LF).
pub fn stamp_line(unix_ms: u128) -> String {
    format!(": sent-at {unix_ms}\n")
}

/// The send time in a `sent-at` comment (the text after the colon), if it is one.
pub fn parse_stamp(comment: &str) -> Option<u128> {
    comment.trim().strip_prefix("sent-at ")?.trim().parse().ok()
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub event_type: String,
    pub data: String,
    /// The last event ID in force at dispatch.
    pub id: String,
    /// Whether the event's own block carried an `id:` line.
    pub id_set: bool,
    pub retry: Option<u64>,
}

impl From<&EventRef<'_>> for Event {
    fn from(e: &EventRef<'_>) -> Self {
        Event {
            event_type: e.event_type.to_string(),
            data: e.data.to_string(),
            id: e.id.to_string(),
            id_set: e.id_set,
            retry: e.retry,
        }
    }
}

impl Event {
    /// The event as stream text that parses back to the same event, blank line included.
    pub fn to_wire(&self) -> String {
        let mut s = String::with_capacity(self.data.len() + 32);
        if self.event_type != "message" {
            let _ = writeln!(s, "event: {}", self.event_type);
        }
        if self.id_set {
            if self.id.is_empty() {
                s.push_str("id\n");
            } else {
                let _ = writeln!(s, "id: {}", self.id);
            }
        }
        if let Some(ms) = self.retry {
            let _ = writeln!(s, "retry: {ms}");
        }
        for line in self.data.split('\n') {
            s.push_str("data:");
            // A leading space would be eaten by the parser: keep one more.
            if !line.is_empty() {
                s.push(' ');
            }
            s.push_str(line);
            s.push('\n');
        }
        s.push('\n');
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parser::{Item, Parser};

    #[test]
    fn stamps_parse_back() {
        let line = stamp_line(1_764_000_000_123);
        let comment = line.strip_prefix(':').unwrap();
        assert_eq!(parse_stamp(comment), Some(1_764_000_000_123));
        assert_eq!(parse_stamp(" keep-alive"), None);
        assert_eq!(parse_stamp(" sent-at soon"), None);
    }

    #[test]
    fn wire_form_parses_back_to_the_same_event() {
        let cases = [
            Event {
                event_type: "panda".into(),
                data: "one\n two\n\nlast".into(),
                id: "7".into(),
                id_set: true,
                retry: Some(50),
            },
            Event {
                event_type: "message".into(),
                data: "".into(),
                id: "".into(),
                id_set: true,
                retry: None,
            },
            Event {
                event_type: "x".into(),
                data: " lead".into(),
                id: "9".into(),
                id_set: false,
                retry: None,
            },
        ];
        for want in cases {
            let wire = want.to_wire();
            let mut parser = Parser::default().with_last_event_id(&want.id);
            let mut got = Vec::new();
            parser
                .feed_each(wire.as_bytes(), |i| {
                    if let Item::Event(e) = i {
                        got.push(Event::from(&e));
                    }
                })
                .unwrap();
            assert_eq!(got, vec![want.clone()], "{wire:?}");
        }
    }
}
