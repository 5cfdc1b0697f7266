//! The pretty view of MCP's JSON-RPC messages (`sse tail --mcp`, or a JSON-RPC request
//! body): after the time, gap, type and id of the event, what the message is, then what
//! it carries (a request's params, a result, an error's data) laid out as JSON data is.
//!
//! ```text
//! 08:35:23.120   +0.004s  message  id 1  priming: a resume point for Last-Event-ID
//! 08:35:23.131   +0.011s  message  id 4  notifications/message  {"level": "info", ...}
//! 08:35:23.140   +0.009s  message  id 6  result #2 in 24 ms  {"content": [...]}
//! 08:35:23.140   +0.000s  message  error #3 -32600 Session not found in 3 ms
//! ```
//!
//! Recognition is `crate::mcp`'s; the latency of an answer runs from the request that
//! was answered (the tail's POST), as the sink tells the printer when it is sent.

use std::io::{self, Write};
use std::time::SystemTime;

use colored::Colorize;
use unicode_width::UnicodeWidthStr;

use super::pretty::{write_data, write_head, Style};
use super::Arrival;
use crate::escape;
use crate::mcp::{show_id, Kind, Message};
use crate::parser::EventRef;

/// Writes `ev` as the JSON-RPC message `msg`; `sent` is when the request went out.
pub fn write_message(
    out: &mut impl Write,
    ev: &EventRef<'_>,
    msg: &Message,
    head: (&Arrival, &str, bool),
    sent: Option<SystemTime>,
    style: &Style,
) -> io::Result<()> {
    let (arrival, clock, standout) = head;
    let used = write_head(out, ev, arrival, clock, standout)?;
    let latency = sent
        .filter(|_| msg.is_response())
        .and_then(|at| arrival.wall.duration_since(at).ok())
        .map(|d| format!(" in {}", crate::format::fine(d)));
    let label = label(msg) + &latency.unwrap_or_default();
    write!(out, "  {}", paint(msg, &label))?;
    let used = used + 2 + label.width();
    match &msg.payload {
        Some(payload) => write_data(out, &payload.to_string(), used, style),
        None => writeln!(out),
    }
}

/// An event with an id and no data: what the 2025-11-25 revision calls priming, the
/// point a client resumes from.
pub fn write_priming(
    out: &mut impl Write,
    ev: &EventRef<'_>,
    head: (&Arrival, &str, bool),
) -> io::Result<()> {
    let (arrival, clock, standout) = head;
    write_head(out, ev, arrival, clock, standout)?;
    writeln!(
        out,
        "  {}",
        "priming: a resume point for Last-Event-ID".dimmed()
    )
}

/// Whether an event is a priming event.
pub fn is_priming(ev: &EventRef<'_>) -> bool {
    ev.data.is_empty() && ev.id_set && !ev.id.is_empty()
}

/// What the message is, in words: `tools/list`, `request #5 sampling/createMessage`,
/// `result #1`, `error #1 -32600 Bad Request`.
fn label(msg: &Message) -> String {
    let id = msg
        .id
        .as_ref()
        .map(|id| format!(" #{}", escape::line(&show_id(id))))
        .unwrap_or_default();
    match &msg.kind {
        Kind::Notification { method } => escape::line(method).into_owned(),
        Kind::Request { method } => format!("request{id} {}", escape::line(method)),
        Kind::Result => format!("result{id}"),
        Kind::Error { code, message } => format!("error{id} {code} {}", escape::line(message)),
    }
}

fn paint(msg: &Message, label: &str) -> colored::ColoredString {
    match msg.kind {
        Kind::Notification { .. } => label.cyan(),
        Kind::Request { .. } => label.magenta().bold(),
        Kind::Result => label.green().bold(),
        Kind::Error { .. } => label.red().bold(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::Palette;
    use std::time::Duration;

    fn render(data: &str, id: &str, sent: Option<SystemTime>) -> String {
        colored::control::set_override(false);
        let ev = EventRef {
            event_type: "message",
            data,
            id,
            id_set: !id.is_empty(),
            retry: None,
            end: 0,
        };
        let arrival = Arrival {
            wall: SystemTime::UNIX_EPOCH + Duration::from_millis(1024),
            gap: Duration::from_millis(4),
            connection: 1,
            read: 1,
        };
        let style = Style {
            colors: Palette::PLAIN,
            width: None,
        };
        let mut out = Vec::new();
        let head = (&arrival, "08:35:23.120", false);
        match Message::parse(data) {
            Some(msg) => write_message(&mut out, &ev, &msg, head, sent, &style).unwrap(),
            None => write_priming(&mut out, &ev, head).unwrap(),
        }
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn answers_show_their_id_and_latency_and_what_they_carry() {
        let sent = Some(SystemTime::UNIX_EPOCH + Duration::from_millis(1000));
        assert_eq!(
            render(
                r#"{"jsonrpc":"2.0","id":2,"result":{"isError":false}}"#,
                "6",
                sent
            ),
            "08:35:23.120  +0.004s  message  id 6  result #2 in 24 ms  {\"isError\": false}\n"
        );
        assert_eq!(
            render(
                r#"{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"Session not found"}}"#,
                "",
                sent
            ),
            "08:35:23.120  +0.004s  message  error -32600 Session not found in 24 ms\n"
        );
    }

    #[test]
    fn requests_and_notifications_show_their_method_and_no_latency() {
        let sent = Some(SystemTime::UNIX_EPOCH);
        assert_eq!(
            render(
                r#"{"jsonrpc":"2.0","method":"notifications/progress","params":{"progress":1}}"#,
                "4",
                sent
            ),
            "08:35:23.120  +0.004s  message  id 4  notifications/progress  {\"progress\": 1}\n"
        );
        assert_eq!(
            render(
                r#"{"jsonrpc":"2.0","id":"s1","method":"roots/list"}"#,
                "",
                sent
            ),
            "08:35:23.120  +0.004s  message  request #\"s1\" roots/list\n"
        );
    }

    #[test]
    fn a_priming_event_says_what_it_is_for() {
        assert_eq!(
            render("", "1", None),
            "08:35:23.120  +0.004s  message  id 1  priming: a resume point for Last-Event-ID\n"
        );
    }
}
