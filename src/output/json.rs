//! `--json`: one object per line (NDJSON), written by hand: this is the hot path of
//! `sse tail --json`, and the escaper in `Buffer` (whole blocks, in place) is
//! several times faster than a serializer's byte-at-a-time loop. The strings are
//! exactly what serde_json writes (a unit test in `buffer.rs` holds them equal).

use super::{Arrival, Buffer};
use crate::parser::EventRef;

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
}

impl LineEnd {
    fn update(&mut self, arrival: &Arrival<'_>) {
        if self.read == Some(arrival.read) {
            return;
        }
        self.read = Some(arrival.read);
        // An RFC 3339 time never needs escaping.
        self.before_gap.clear();
        self.before_gap.extend_from_slice(b",\"time\":\"");
        self.before_gap.extend_from_slice(arrival.time.as_bytes());
        self.before_gap.extend_from_slice(b"\",\"gap_ms\":");
        self.after_gap.clear();
        self.after_gap.extend_from_slice(b",\"connection\":");
        self.after_gap
            .extend_from_slice(arrival.connection.to_string().as_bytes());
    }
}

pub fn write_event(out: &mut Buffer, end: &mut LineEnd, ev: &EventRef<'_>, arrival: &Arrival<'_>) {
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
            time: "2026-11-24T20:31:05.123Z",
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
