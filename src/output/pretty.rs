//! The default view: arrival time, gap, coloured type, the id when the event set one,
//! and the data: short data on the same line, longer data indented below (wrapped to the
//! terminal, continued at the same indentation), JSON laid out by `jsonview`.
//!
//! ```text
//! 20:31:05.123   +1.002s  panda  id 1  one
//! 20:31:06.125   +1.002s  update  {"price": 10.5, "tags": ["a", "b"]}
//! 20:31:06.300   +0.175s  message  (empty)
//! ```
//!
//! Nothing from the network reaches the terminal as a control character: type, id and
//! data go through `crate::escape`, JSON strings too.

use colored::Colorize;
use std::io::{self, Write};
use std::time::{Duration, SystemTime};

use unicode_width::UnicodeWidthStr;

use super::jsonrpc;
use super::jsonview::{Palette, View};
use super::{Arrival, Look, Out, Printer};
use crate::escape::{self, Lines};
use crate::mcp::Message;
use crate::parser::EventRef;
use crate::term::type_color;

const INDENT: &str = "  ";

/// JSON data up to this size is laid out and coloured; larger data is printed as the
/// text it is (escaped), so a huge, deeply nested event costs its own size and not the
/// size of its indentation.
pub const JSON_BUDGET: usize = 64 * 1024;

/// Width JSON is laid out for when stdout is not a terminal.
const FALLBACK_WIDTH: usize = 80;

/// Below this many columns, wrapping would help nobody: lines are left to the terminal.
const MIN_WRAP: usize = 20;

/// How pretty output looks, decided once at startup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Style {
    /// Colours for JSON data (plain when colour is off).
    pub colors: Palette,
    /// The terminal's width, when stdout is one: data is wrapped to it.
    pub width: Option<usize>,
}

/// Gaps kept to know the stream's usual rhythm.
const RHYTHM: usize = 16;
/// A gap stands out when it is this many times the usual one...
const STANDOUT_FACTOR: u32 = 4;
/// ... and at least this long (a person would not notice less).
const STANDOUT_MIN: Duration = Duration::from_millis(250);

/// The stream's usual gap, the median of the last few: a gap far above it (a burst
/// after silence, the buffering signal) is shown in bold yellow.
#[derive(Debug, Clone, Default)]
pub struct Rhythm {
    recent: [Duration; RHYTHM],
    len: usize,
    next: usize,
}

impl Rhythm {
    /// Whether `gap` stands out against the gaps before it; then remembers it.
    pub fn stands_out(&mut self, gap: Duration) -> bool {
        let out = self.len >= 4 && gap >= STANDOUT_MIN && {
            let mut sorted = self.recent;
            sorted[..self.len].sort_unstable();
            gap >= sorted[self.len / 2].saturating_mul(STANDOUT_FACTOR)
        };
        self.recent[self.next] = gap;
        self.next = (self.next + 1) % RHYTHM;
        self.len = (self.len + 1).min(RHYTHM);
        out
    }
}

/// The pretty printer: the view above, with the clock rendered once per read.
pub struct Pretty {
    look: Look,
    style: Style,
    /// The read the clock text was rendered for.
    clock_read: Option<u64>,
    /// The terminal's width, asked again at each read.
    width_of: fn() -> Option<usize>,
    clock_text: String,
    rhythm: Rhythm,
    /// When the request went out (JSON-RPC answers show their latency from it).
    sent: Option<SystemTime>,
}

impl Pretty {
    pub fn new(look: Look) -> Pretty {
        let on_terminal = look.terminal && look.width.is_some();
        Pretty {
            style: Style {
                colors: Palette::new(look.color),
                width: look.width,
            },
            look,
            clock_read: None,
            width_of: if on_terminal {
                terminal_width
            } else {
                no_width
            },
            clock_text: String::new(),
            rhythm: Rhythm::default(),
            sent: None,
        }
    }

    /// Once per read: the clock's text, and the terminal's width (it may have been
    /// resized: JSON is laid out and data wrapped for the width it has now).
    fn render_clock(&mut self, arrival: &Arrival) {
        if self.clock_read != Some(arrival.read) {
            self.clock_read = Some(arrival.read);
            self.look.clock.render(arrival.wall, &mut self.clock_text);
            if let Some(width) = (self.width_of)() {
                self.style.width = Some(width);
            }
        }
    }

    /// Where the terminal's width comes from (tests give their own).
    #[cfg(test)]
    fn with_width_of(mut self, width_of: fn() -> Option<usize>) -> Pretty {
        self.width_of = width_of;
        self
    }
}

/// The terminal's width now, asked once per read (one ioctl), for stdout on a terminal.
fn terminal_width() -> Option<usize> {
    crate::term::stdout_width(true)
}

fn no_width() -> Option<usize> {
    None
}

impl Printer for Pretty {
    fn event(&mut self, out: &mut Out, ev: &EventRef<'_>, arrival: &Arrival) -> io::Result<()> {
        self.render_clock(arrival);
        let standout = self.rhythm.stands_out(arrival.gap);
        if self.look.jsonrpc {
            let head = (arrival, self.clock_text.as_str(), standout);
            if jsonrpc::is_priming(ev) {
                return jsonrpc::write_priming(&mut out.buf, ev, head);
            }
            if let Some(msg) = Message::parse(ev.data) {
                return jsonrpc::write_message(
                    &mut out.buf,
                    ev,
                    &msg,
                    head,
                    self.sent,
                    &self.style,
                );
            }
        }
        write_event(
            &mut out.buf,
            ev,
            arrival,
            &self.clock_text,
            standout,
            &self.style,
        )
    }

    fn requested(&mut self, at: SystemTime) {
        self.sent = Some(at);
    }

    /// An end marker.
    fn done(&mut self, out: &mut Out, arrival: &Arrival) -> io::Result<()> {
        self.render_clock(arrival);
        write_done(&mut out.buf, arrival, &self.clock_text)
    }
}

pub fn write_event(
    out: &mut impl Write,
    ev: &EventRef<'_>,
    arrival: &Arrival,
    clock: &str,
    standout: bool,
    style: &Style,
) -> io::Result<()> {
    let used = write_head(out, ev, arrival, clock, standout)?;
    write_data(out, ev.data, used, style)
}

/// The header line up to the data: time, gap, type, the id when the event set one.
/// Returns the columns used, counting the indent data on the same line would start at.
pub fn write_head(
    out: &mut impl Write,
    ev: &EventRef<'_>,
    arrival: &Arrival,
    clock: &str,
    standout: bool,
) -> io::Result<usize> {
    let gap = format!("{:>8}", crate::format::gap(arrival.gap));
    let event_type = escape::line(ev.event_type);
    write!(
        out,
        "{} {}  {}",
        clock.dimmed(),
        if standout {
            gap.yellow().bold()
        } else {
            gap.normal()
        },
        event_type.color(type_color(ev.event_type)).bold()
    )?;
    let mut used = clock.width() + 1 + gap.len() + 2 + event_type.width();
    if ev.id_set {
        let id = escape::line(ev.id);
        let id = if id.is_empty() { "\"\"".into() } else { id };
        write!(out, "  {} {}", "id".dimmed(), id)?;
        used += 5 + id.width();
    }
    Ok(used + INDENT.len())
}

/// The data after a header line that used `used` columns: short data on the line,
/// longer data indented below, JSON laid out.
pub fn write_data(out: &mut impl Write, data: &str, used: usize, style: &Style) -> io::Result<()> {
    if data.is_empty() {
        return writeln!(out, "{INDENT}{}", "(empty)".dimmed());
    }
    if let Some(view) = json_view(data) {
        let width = style.width.unwrap_or(FALLBACK_WIDTH);
        if used + view.flat_width() <= width {
            out.write_all(INDENT.as_bytes())?;
            view.write_flat(out, &style.colors)?;
        } else {
            out.write_all(b"\n")?;
            out.write_all(INDENT.as_bytes())?;
            view.write_pretty(out, &style.colors, 1, width, style.width.is_some())?;
        }
        return out.write_all(b"\n");
    }
    let text = escape::controls(data, Lines::Keep);
    let one_line = !text.contains('\n');
    if one_line && style.width.is_none_or(|w| used + text.width() <= w) {
        return writeln!(out, "{INDENT}{text}");
    }
    out.write_all(b"\n")?;
    for line in text.split('\n') {
        write_wrapped(out, line, style.width)?;
    }
    Ok(())
}

/// The end marker for `data: [DONE]`: the stream said it is finished.
pub fn write_done(out: &mut impl Write, arrival: &Arrival, clock: &str) -> io::Result<()> {
    writeln!(
        out,
        "{} {:>8}  {}",
        clock.dimmed(),
        crate::format::gap(arrival.gap),
        "[DONE] end of stream".dimmed()
    )
}

/// The data's JSON layout, when it is a JSON array or object within the budget.
fn json_view(data: &str) -> Option<View<'_>> {
    let t = data.trim_start();
    if data.len() > JSON_BUDGET || !(t.starts_with('{') || t.starts_with('[')) {
        return None;
    }
    serde_json::from_str::<serde::de::IgnoredAny>(data).ok()?;
    View::parse(data)
}

/// One line of data, indented, cut into pieces that fit the terminal (at a space
/// where there is one in the second half of the piece), each piece indented alike.
fn write_wrapped(out: &mut impl Write, line: &str, width: Option<usize>) -> io::Result<()> {
    let room = match width {
        Some(w) if w >= MIN_WRAP + INDENT.len() => w - INDENT.len(),
        _ => return writeln!(out, "{INDENT}{line}"),
    };
    let mut rest = line;
    loop {
        let (piece, next) = crate::format::split_at_width(rest, room);
        writeln!(out, "{INDENT}{}", piece.trim_end_matches(' '))?;
        if next.is_empty() {
            return Ok(());
        }
        rest = next;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render_with(ev: &EventRef<'_>, gap: Duration, width: Option<usize>) -> String {
        colored::control::set_override(false);
        let arrival = Arrival {
            wall: std::time::UNIX_EPOCH,
            gap,
            connection: 1,
            read: 1,
        };
        let style = Style {
            colors: Palette::PLAIN,
            width,
        };
        let mut out = Vec::new();
        write_event(&mut out, ev, &arrival, "20:31:05.123", false, &style).unwrap();
        String::from_utf8(out).unwrap()
    }

    fn render(ev: &EventRef<'_>, gap: Duration) -> String {
        render_with(ev, gap, None)
    }

    fn ev<'a>(event_type: &'a str, data: &'a str, id: &'a str) -> EventRef<'a> {
        EventRef {
            event_type,
            data,
            id,
            id_set: !id.is_empty(),
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
    fn the_id_shows_only_when_the_event_set_it() {
        let mut e = ev("m", "x", "7");
        e.id_set = false;
        assert_eq!(render(&e, Duration::ZERO), "20:31:05.123  +0.000s  m  x\n");
        let mut reset = ev("m", "x", "");
        reset.id_set = true;
        assert_eq!(
            render(&reset, Duration::ZERO),
            "20:31:05.123  +0.000s  m  id \"\"  x\n"
        );
    }

    #[test]
    fn multi_line_data_is_indented_below_and_empty_data_says_so() {
        assert_eq!(
            render(&ev("m", "a\nb", ""), Duration::ZERO),
            "20:31:05.123  +0.000s  m\n  a\n  b\n"
        );
        assert_eq!(
            render(&ev("m", "", ""), Duration::ZERO),
            "20:31:05.123  +0.000s  m  (empty)\n"
        );
    }

    #[test]
    fn after_a_resize_the_next_read_is_laid_out_for_the_new_width() {
        colored::control::set_override(false);
        fn narrow() -> Option<usize> {
            Some(40)
        }
        let look = Look {
            color: false,
            terminal: true,
            width: Some(200),
            clock: crate::output::Clock::utc(),
            jsonrpc: false,
        };
        let mut printer = Pretty::new(look).with_width_of(narrow);
        let words = "lorem ipsum dolor sit amet ".repeat(4);
        let arrival = Arrival {
            wall: std::time::UNIX_EPOCH,
            gap: Duration::ZERO,
            connection: 1,
            read: 1,
        };
        let mut out = Out::default();
        printer
            .event(&mut out, &ev("m", words.trim_end(), ""), &arrival)
            .unwrap();
        let text = String::from_utf8(out.buf.as_bytes().to_vec()).unwrap();
        assert!(text.lines().count() > 3, "{text}");
        assert!(text.lines().all(|l| l.chars().count() <= 40), "{text}");
    }

    #[test]
    fn long_data_wraps_indented_on_a_terminal() {
        let words = "lorem ipsum dolor sit amet ".repeat(4);
        let out = render_with(&ev("m", words.trim_end(), ""), Duration::ZERO, Some(40));
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines[0], "20:31:05.123  +0.000s  m");
        assert!(lines.len() > 3, "{out}");
        for line in &lines[1..] {
            assert!(
                line.starts_with("  ") && !line.starts_with("   "),
                "{line:?}"
            );
            assert!(line.len() <= 40, "{line:?}");
        }
        // Cut at spaces: the words come back whole.
        let joined: Vec<&str> = lines[1..].iter().map(|l| l.trim()).collect();
        assert_eq!(joined.join(" "), words.trim_end());
        // A word longer than the line is cut where the line ends.
        let long = "x".repeat(100);
        let out = render_with(&ev("m", &long, ""), Duration::ZERO, Some(40));
        assert_eq!(out.lines().skip(1).map(str::trim).collect::<String>(), long);
        // Piped: the line stays whole, on the header line.
        let out = render(&ev("m", words.trim_end(), ""), Duration::ZERO);
        assert_eq!(out.lines().count(), 1);
    }

    #[test]
    fn wide_characters_count_double() {
        let text = "漢字".repeat(20);
        let out = render_with(&ev("m", &text, ""), Duration::ZERO, Some(30));
        for line in out.lines().skip(1) {
            assert!(line.width() <= 30, "{line:?}");
        }
    }

    #[test]
    fn small_json_is_one_line_and_large_json_laid_out_in_order() {
        assert_eq!(
            render(
                &ev("u", r#"{"z":1,"a":[true,null,"x\"y"],"e":{}}"#, ""),
                Duration::ZERO
            ),
            "20:31:05.123  +0.000s  u  {\"z\": 1, \"a\": [true, null, \"x\\\"y\"], \"e\": {}}\n"
        );
        let big = r#"{"id":"chatcmpl-123","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"Hello"}}]}"#;
        assert_eq!(
            render(&ev("u", big, ""), Duration::ZERO),
            "20:31:05.123  +0.000s  u\n  {\n    \"id\": \"chatcmpl-123\",\n    \"object\": \"chat.completion.chunk\",\n    \"choices\": [{\"index\": 0, \"delta\": {\"content\": \"Hello\"}}]\n  }\n"
        );
        // Not JSON after all: printed as text.
        assert_eq!(
            render(&ev("u", "{not json", ""), Duration::ZERO),
            "20:31:05.123  +0.000s  u  {not json\n"
        );
    }

    #[test]
    fn json_past_the_budget_is_printed_as_text() {
        let json = format!("[{}1]", "1,".repeat(JSON_BUDGET / 2));
        let out = render(&ev("u", &json, ""), Duration::ZERO);
        assert_eq!(out, format!("20:31:05.123  +0.000s  u  {json}\n"));
    }

    #[test]
    fn no_control_character_from_the_network_is_printed() {
        let nasty = "\x1b]0;title\x07\x1b[31mred\u{9b}2J\r\x7f";
        let json = "{\"k\":\"\u{9b}\u{7f}\"}";
        for e in [
            ev(nasty, "x", ""),
            ev("m", "x", nasty),
            ev("m", nasty, ""),
            ev("m", &format!("{nasty}\n{nasty}"), ""),
            ev("m", json, ""),
        ] {
            for width in [None, Some(30)] {
                let out = render_with(&e, Duration::ZERO, width);
                assert!(out.chars().all(|c| !c.is_control() || c == '\n'), "{out:?}");
            }
        }
        assert_eq!(
            render(&ev("m", "a\x1b[31mb", ""), Duration::ZERO),
            "20:31:05.123  +0.000s  m  a\\x1b[31mb\n"
        );
    }

    #[test]
    fn a_gap_far_above_the_rhythm_stands_out() {
        let ms = Duration::from_millis;
        let mut r = Rhythm::default();
        // Too early to know the rhythm.
        assert!(!r.stands_out(ms(5000)));
        for _ in 0..10 {
            assert!(!r.stands_out(ms(100)));
        }
        assert!(!r.stands_out(ms(300)), "3x is the rhythm's noise");
        assert!(r.stands_out(ms(2000)), "silence, then a burst");
        assert!(!r.stands_out(Duration::ZERO));
        // A slow stream's usual gap does not stand out, nor a short gap in a fast one.
        let mut slow = Rhythm::default();
        for _ in 0..10 {
            assert!(!slow.stands_out(ms(5000)));
        }
        let mut fast = Rhythm::default();
        for _ in 0..10 {
            fast.stands_out(ms(1));
        }
        assert!(!fast.stands_out(ms(200)));
        assert!(fast.stands_out(ms(300)));
    }
}
