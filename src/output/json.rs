//! `--json`: one object per line (NDJSON), written by hand: this is the hot path of
//! `sse tail --json`, and the escaper in `Buffer` (whole blocks, in place) is
//! several times faster than a serializer's byte-at-a-time loop. The strings are
//! exactly what serde_json writes (a unit test in `buffer.rs` holds them equal).

use std::fmt::Write as _;

use std::io;

use super::{Arrival, Buffer, Look, Out, Palette, Printer};
use crate::parser::EventRef;

/// `--json`: plain NDJSON for a pipe; for a terminal (or `--color always`), coloured
/// as jq colours and with every control escaped.
pub struct Json {
    end: LineEnd,
    /// `Some` for a terminal or colour.
    colored: Option<Palette>,
}

impl Json {
    pub fn new(look: &Look) -> Json {
        Json {
            end: LineEnd::default(),
            colored: (look.color || look.terminal).then(|| Palette::new(look.color)),
        }
    }
}

impl Printer for Json {
    fn event(&mut self, out: &mut Out, ev: &EventRef<'_>, arrival: &Arrival) -> io::Result<()> {
        match &self.colored {
            Some(palette) => write_event_colored(&mut out.buf, &mut self.end, ev, arrival, palette),
            None => write_event(&mut out.buf, &mut self.end, ev, arrival),
        }
        Ok(())
    }
}

/// The end of a line after the id, `,"time":"…","gap_ms":G,"connection":C`: the same for
/// every event of one read except the gap, so all but the gap is rendered once per read.
#[derive(Debug, Default, Clone)]
pub struct LineEnd {
    /// The read this was rendered for.
    read: Option<u64>,
    /// `,"time":"…","gap_ms":`
    before_gap: Vec<u8>,
    /// `,"connection":C`
    after_gap: Vec<u8>,
    /// The time alone, RFC 3339 UTC with milliseconds: `2026-11-24T20:31:05.123Z`.
    time: String,
}

impl LineEnd {
    fn update(&mut self, arrival: &Arrival) {
        if self.read == Some(arrival.read) {
            return;
        }
        self.read = Some(arrival.read);
        self.time.clear();
        let _ = write!(
            self.time,
            "{}",
            humantime::format_rfc3339_millis(arrival.wall)
        );
        // An RFC 3339 time never needs escaping.
        self.before_gap.clear();
        self.before_gap.extend_from_slice(b",\"time\":\"");
        self.before_gap.extend_from_slice(self.time.as_bytes());
        self.before_gap.extend_from_slice(b"\",\"gap_ms\":");
        self.after_gap.clear();
        self.after_gap.extend_from_slice(b",\"connection\":");
        self.after_gap
            .extend_from_slice(arrival.connection.to_string().as_bytes());
    }
}

pub fn write_event(out: &mut Buffer, end: &mut LineEnd, ev: &EventRef<'_>, arrival: &Arrival) {
    if ev.event_type == "message" {
        // Most events have no type, and print this.
        out.push(b"{\"event\":\"message\",\"data\":");
    } else {
        out.push(b"{\"event\":");
        out.push_json_str(ev.event_type);
        out.push(b",\"data\":");
    }
    out.push_json_str(ev.data);
    out.push(b",\"id\":");
    out.push_json_str(ev.id);
    end.update(arrival);
    out.push(&end.before_gap);
    if arrival.gap.is_zero() {
        // Every event after the first of a read.
        out.push(b"0");
    } else {
        write_millis(
            out,
            u64::try_from(arrival.gap.as_micros()).unwrap_or(u64::MAX),
        );
    }
    out.push(&end.after_gap);
    if let Some(retry) = ev.retry {
        out.push(b",\"retry\":");
        write_uint(out, retry);
    }
    out.push(b"}\n");
}

/// The same line coloured as jq colours its output (with `Palette::PLAIN`: not
/// coloured), for a terminal: DEL and C1 controls in strings are escaped too, which
/// [`write_event`] (the hot path, for pipes) leaves raw as serde_json does.
pub fn write_event_colored(
    out: &mut Buffer,
    end: &mut LineEnd,
    ev: &EventRef<'_>,
    arrival: &Arrival,
    p: &Palette,
) {
    end.update(arrival);
    let punct = |out: &mut Buffer, s: &[u8]| {
        out.push(p.punct.as_bytes());
        out.push(s);
        out.push(p.reset.as_bytes());
    };
    let key = |out: &mut Buffer, first: bool, name: &[u8]| {
        if !first {
            punct(out, b",");
        }
        out.push(p.key.as_bytes());
        out.push(b"\"");
        out.push(name);
        out.push(b"\"");
        out.push(p.reset.as_bytes());
        punct(out, b":");
    };
    let string = |out: &mut Buffer, s: &str| {
        out.push(p.string.as_bytes());
        out.push_json_str_for_terminal(s);
        out.push(p.reset.as_bytes());
    };
    let number = |out: &mut Buffer, write: &dyn Fn(&mut Buffer)| {
        out.push(p.number.as_bytes());
        write(out);
        out.push(p.reset.as_bytes());
    };
    punct(out, b"{");
    key(out, true, b"event");
    string(out, ev.event_type);
    key(out, false, b"data");
    string(out, ev.data);
    key(out, false, b"id");
    string(out, ev.id);
    key(out, false, b"time");
    string(out, &end.time);
    key(out, false, b"gap_ms");
    let micros = u64::try_from(arrival.gap.as_micros()).unwrap_or(u64::MAX);
    number(out, &|out| write_millis(out, micros));
    key(out, false, b"connection");
    number(out, &|out| write_uint(out, u64::from(arrival.connection)));
    if let Some(retry) = ev.retry {
        key(out, false, b"retry");
        number(out, &|out| write_uint(out, retry));
    }
    punct(out, b"}");
    out.push(b"\n");
}

/// A decimal number (u64, not u128: 128-bit division is a slow library call).
fn write_uint(out: &mut Buffer, mut n: u64) {
    let mut buf = [0u8; 20];
    let mut at = buf.len();
    loop {
        at -= 1;
        buf[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.push(&buf[at..]);
}

/// Microseconds as milliseconds with up to three decimals: 1500250 → `1500.25`.
fn write_millis(out: &mut Buffer, micros: u64) {
    write_uint(out, micros / 1000);
    let frac = micros % 1000;
    if frac == 0 {
        return;
    }
    let digits = [
        b'.',
        b'0' + (frac / 100) as u8,
        b'0' + (frac / 10 % 10) as u8,
        b'0' + (frac % 10) as u8,
    ];
    let keep = if frac % 10 != 0 {
        4
    } else if frac % 100 != 0 {
        3
    } else {
        2
    };
    out.push(&digits[..keep]);
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn one_object_per_line_with_the_contract_keys() {
        let ev = EventRef {
            event_type: "message",
            data: "a\n\"b\"",
            id: "",
            id_set: false,
            retry: Some(30),
            end: 0,
        };
        let arrival = Arrival {
            wall: std::time::UNIX_EPOCH + Duration::from_millis(1_764_016_265_123),
            gap: Duration::from_micros(1_500_250),
            connection: 2,
            read: 1,
        };
        let mut out = Buffer::default();
        let mut end = LineEnd::default();
        write_event(&mut out, &mut end, &ev, &arrival);
        let text = String::from_utf8(out.as_bytes().to_vec()).unwrap();
        assert!(
            text.ends_with('\n') && text.matches('\n').count() == 1,
            "{text:?}"
        );
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["event"], "message");
        assert_eq!(v["data"], "a\n\"b\"");
        assert_eq!(v["id"], "");
        assert_eq!(v["gap_ms"], 1500.25);
        assert_eq!(v["connection"], 2);
        assert_eq!(v["retry"], 30);
        assert_eq!(v["time"], "2025-11-24T20:31:05.123Z");

        // Coloured for a terminal: the same object once the colour codes are taken out.
        let mut colored = Buffer::default();
        write_event_colored(&mut colored, &mut end, &ev, &arrival, &Palette::JQ);
        let colored = String::from_utf8(colored.as_bytes().to_vec()).unwrap();
        assert!(colored.contains("\x1b[34;1m\"data\"\x1b[0m"), "{colored:?}");
        assert!(
            colored.contains("\x1b[0;32m\"a\\n\\\"b\\\"\"\x1b[0m"),
            "{colored:?}"
        );
        let mut plain = colored.clone();
        for code in [
            "\x1b[0m",
            "\x1b[34;1m",
            "\x1b[0;32m",
            "\x1b[0;39m",
            "\x1b[1;39m",
        ] {
            plain = plain.replace(code, "");
        }
        assert_eq!(plain, text);
    }

    #[test]
    fn for_a_terminal_del_and_c1_controls_are_escaped_too() {
        let ev = EventRef {
            event_type: "t\u{9b}2J",
            data: "a\x1b[2J\x7fb\u{9b}31m\u{a0}é",
            id: "\u{85}",
            id_set: true,
            retry: None,
            end: 0,
        };
        let arrival = Arrival {
            wall: std::time::UNIX_EPOCH,
            gap: Duration::ZERO,
            connection: 1,
            read: 1,
        };
        let mut piped = Buffer::default();
        write_event(&mut piped, &mut LineEnd::default(), &ev, &arrival);
        let mut tty = Buffer::default();
        let mut end = LineEnd::default();
        write_event_colored(&mut tty, &mut end, &ev, &arrival, &Palette::PLAIN);
        let tty = String::from_utf8(tty.as_bytes().to_vec()).unwrap();
        assert!(!tty.chars().any(|c| c.is_control() && c != '\n'), "{tty:?}");
        assert!(
            tty.contains("\"a\\u001b[2J\\u007fb\\u009b31m\u{a0}é\"")
                && tty.contains("\"t\\u009b2J\"")
                && tty.contains("\"\\u0085\""),
            "{tty:?}"
        );
        // The same JSON values as the line a pipe gets.
        let piped: serde_json::Value = serde_json::from_slice(piped.as_bytes()).unwrap();
        let tty: serde_json::Value = serde_json::from_str(&tty).unwrap();
        assert_eq!(piped, tty);
    }

    #[test]
    fn millis_read_as_json_numbers() {
        for (micros, text) in [
            (0, "0"),
            (24, "0.024"),
            (1_500_250, "1500.25"),
            (1_000_000, "1000"),
            (1_200, "1.2"),
            (5_010, "5.01"),
        ] {
            let mut out = Buffer::default();
            write_millis(&mut out, micros);
            assert_eq!(out.as_bytes(), text.as_bytes());
        }
    }
}
