//! An event kept beyond the parser's callback, and its wire form.

use serde::Serialize;
use std::fmt::Write as _;

use crate::parser::EventRef;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Event {
    #[serde(rename = "event")]
    pub event_type: String,
    pub data: String,
    /// The last event ID in force at dispatch.
    pub id: String,
    /// Whether the event's own block carried an `id:` line.
    #[serde(skip)]
    pub id_set: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
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
                .feed(wire.as_bytes(), |i| {
                    if let Item::Event(e) = i {
                        got.push(Event::from(&e));
                    }
                })
                .unwrap();
            assert_eq!(got, vec![want.clone()], "{wire:?}");
        }
    }
}
