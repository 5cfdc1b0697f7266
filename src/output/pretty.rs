//! The default view: arrival time, gap, coloured type, id, and the data (JSON pretty-printed).
//!
//! ```text
//! 20:31:05.123   +1.002s  panda  id 1  one
//! 20:31:06.125   +1.002s  update  id 2
//!   {
//!     "price": 10.5
//!   }
//! ```

use colored::{Color, Colorize};
use std::io::{self, Write};
use std::time::Duration;

use super::Arrival;
use crate::parser::EventRef;
use crate::term::type_color;

const INDENT: &str = "  ";

pub fn write_event(
    out: &mut impl Write,
    ev: &EventRef<'_>,
    arrival: &Arrival<'_>,
) -> io::Result<()> {
    let clock = arrival.time.get(11..23).unwrap_or(arrival.time);
    write!(
        out,
        "{} {:>8}  {}",
        clock.dimmed(),
        format_gap(arrival.gap),
        ev.event_type.color(type_color(ev.event_type)).bold()
    )?;
    if !ev.id.is_empty() {
        write!(out, "  {} {}", "id".dimmed(), ev.id)?;
    }
    let data = ev.data;
    if looks_like_json_container(data) {
        out.write_all(b"\n")?;
        out.write_all(INDENT.as_bytes())?;
        write_json_pretty(out, data, 1)?;
        out.write_all(b"\n")
    } else if data.contains('\n') || data.is_empty() {
        out.write_all(b"\n")?;
        for line in data.split('\n') {
            writeln!(out, "{INDENT}{line}")?;
        }
        Ok(())
    } else {
        writeln!(out, "  {data}")
    }
}

/// `+0.000s` below 10 s, `+12.3s` below 100 s, then `+2m03s`.
pub fn format_gap(gap: Duration) -> String {
    let secs = gap.as_secs_f64();
    if secs < 10.0 {
        format!("+{secs:.3}s")
    } else if secs < 100.0 {
        format!("+{secs:.1}s")
    } else {
        let whole = gap.as_secs();
        if whole < 3600 {
            format!("+{}m{:02}s", whole / 60, whole % 60)
        } else {
            format!("+{}h{:02}m", whole / 3600, (whole % 3600) / 60)
        }
    }
}

fn looks_like_json_container(data: &str) -> bool {
    let t = data.trim_start();
    (t.starts_with('{') || t.starts_with('['))
        && serde_json::from_str::<serde::de::IgnoredAny>(data).is_ok()
}

/// Re-indents valid JSON text with colour, keeping key order and number spelling as sent.
/// `depth` is the indentation level of the first line (already written by the caller).
pub fn write_json_pretty(out: &mut impl Write, json: &str, depth: usize) -> io::Result<()> {
    let bytes = json.as_bytes();
    let mut level = depth;
    let mut i = 0;
    let newline = |out: &mut dyn Write, level: usize| -> io::Result<()> {
        out.write_all(b"\n")?;
        for _ in 0..level {
            out.write_all(INDENT.as_bytes())?;
        }
        Ok(())
    };
    while i < bytes.len() {
        let b = bytes[i];
        match b {
            b' ' | b'\t' | b'\n' | b'\r' => i += 1,
            b'{' | b'[' => {
                let close = if b == b'{' { b'}' } else { b']' };
                let next = skip_ws(bytes, i + 1);
                if bytes.get(next) == Some(&close) {
                    out.write_all(&[b, close])?;
                    i = next + 1;
                } else {
                    out.write_all(&[b])?;
                    level += 1;
                    newline(out, level)?;
                    i += 1;
                }
            }
            b'}' | b']' => {
                level = level.saturating_sub(1);
                newline(out, level)?;
                out.write_all(&[b])?;
                i += 1;
            }
            b',' => {
                out.write_all(b",")?;
                newline(out, level)?;
                i += 1;
            }
            b':' => {
                out.write_all(b": ")?;
                i += 1;
            }
            b'"' => {
                let end = string_end(bytes, i);
                let text = &json[i..end];
                let is_key = bytes.get(skip_ws(bytes, end)) == Some(&b':');
                let colored = if is_key {
                    text.color(Color::Blue).bold()
                } else {
                    text.color(Color::Green)
                };
                write!(out, "{colored}")?;
                i = end;
            }
            _ => {
                let start = i;
                while i < bytes.len()
                    && !matches!(
                        bytes[i],
                        b',' | b']' | b'}' | b':' | b' ' | b'\t' | b'\n' | b'\r'
                    )
                {
                    i += 1;
                }
                let text = &json[start..i];
                let color = match text {
                    "true" | "false" | "null" => Color::Magenta,
                    _ => Color::Cyan,
                };
                write!(out, "{}", text.color(color))?;
            }
        }
    }
    Ok(())
}

fn skip_ws(bytes: &[u8], mut i: usize) -> usize {
    while i < bytes.len() && matches!(bytes[i], b' ' | b'\t' | b'\n' | b'\r') {
        i += 1;
    }
    i
}

/// Index just past the closing quote of the string starting at `start`.
fn string_end(bytes: &[u8], start: usize) -> usize {
    let mut i = start + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'"' => return i + 1,
            _ => i += 1,
        }
    }
    bytes.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(ev: &EventRef<'_>, gap: Duration) -> String {
        colored::control::set_override(false);
        let arrival = Arrival {
            time: "2026-11-24T20:31:05.123Z",
            gap,
            connection: 1,
            read: 1,
        };
        let mut out = Vec::new();
        write_event(&mut out, ev, &arrival).unwrap();
        String::from_utf8(out).unwrap()
    }

    fn ev<'a>(event_type: &'a str, data: &'a str, id: &'a str) -> EventRef<'a> {
        EventRef {
            event_type,
            data,
            id,
            id_set: false,
            retry: None,
            end: 0,
        }
    }

    #[test]
    fn single_line_event_is_one_line() {
        assert_eq!(
            render(&ev("panda", "one", "1"), Duration::from_millis(1002)),
            "20:31:05.123  +1.002s  panda  id 1  one\n"
        );
        assert_eq!(
            render(&ev("message", "x", ""), Duration::ZERO),
            "20:31:05.123  +0.000s  message  x\n"
        );
    }

    #[test]
    fn multi_line_and_empty_data_are_indented_below() {
        assert_eq!(
            render(&ev("m", "a\nb", ""), Duration::ZERO),
            "20:31:05.123  +0.000s  m\n  a\n  b\n"
        );
        assert_eq!(
            render(&ev("m", "", ""), Duration::ZERO),
            "20:31:05.123  +0.000s  m\n  \n"
        );
    }

    #[test]
    fn json_is_pretty_printed_in_order() {
        let out = render(
            &ev("u", r#"{"z":1,"a":[true,null,"x\"y"],"e":{},"f":[]}"#, ""),
            Duration::ZERO,
        );
        assert_eq!(
            out,
            "20:31:05.123  +0.000s  u\n  {\n    \"z\": 1,\n    \"a\": [\n      true,\n      null,\n      \"x\\\"y\"\n    ],\n    \"e\": {},\n    \"f\": []\n  }\n"
        );
        // Not JSON after all: printed as text.
        assert_eq!(
            render(&ev("u", "{not json", ""), Duration::ZERO),
            "20:31:05.123  +0.000s  u  {not json\n"
        );
    }

    #[test]
    fn gaps_stay_short() {
        assert_eq!(format_gap(Duration::from_millis(1)), "+0.001s");
        assert_eq!(format_gap(Duration::from_millis(12_345)), "+12.3s");
        assert_eq!(format_gap(Duration::from_secs(123)), "+2m03s");
        assert_eq!(format_gap(Duration::from_secs(7322)), "+2h02m");
    }
}
