//! `--json`: one object per line (NDJSON).

use serde::Serialize;
use std::io::{self, Write};

use super::Arrival;
use crate::parser::EventRef;

#[derive(Serialize)]
struct Line<'a> {
    event: &'a str,
    data: &'a str,
    id: &'a str,
    time: &'a str,
    gap_ms: f64,
    connection: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    retry: Option<u64>,
}

pub fn write_event(
    out: &mut impl Write,
    ev: &EventRef<'_>,
    arrival: &Arrival<'_>,
) -> io::Result<()> {
    let line = Line {
        event: ev.event_type,
        data: ev.data,
        id: ev.id,
        time: arrival.time,
        gap_ms: arrival.gap.as_micros() as f64 / 1000.0,
        connection: arrival.connection,
        retry: ev.retry,
    };
    serde_json::to_writer(&mut *out, &line).map_err(io::Error::from)?;
    out.write_all(b"\n")
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
            retry: None,
            end: 0,
        };
        let arrival = Arrival {
            time: "2026-11-24T20:31:05.123Z",
            gap: Duration::from_micros(1_500_250),
            connection: 2,
        };
        let mut out = Vec::new();
        write_event(&mut out, &ev, &arrival).unwrap();
        let text = String::from_utf8(out).unwrap();
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
        assert!(v.get("retry").is_none());
    }
}
