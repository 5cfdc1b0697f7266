//! Printing events: one printer per output mode, all writing into a `Buffer`.
//!
//! Printers never flush; the caller flushes once no further event is ready without
//! another read, so a slow stream reaches the pipe event by event and a fast one goes
//! out in large writes.

mod buffer;
mod clock;
mod json;
mod jsonview;
mod pretty;

use std::borrow::Cow;
use std::io::{self, Write};
use std::time::{Duration, SystemTime};

use crate::escape::{self, Lines};
use crate::jq::{Jq, Output};
use crate::parser::EventRef;

pub use buffer::Buffer;
pub use clock::Clock;
pub use jsonview::Palette;
pub use pretty::{format_gap, Style};

/// When and how an event arrived: the same for every event of one read but the gap.
#[derive(Debug, Clone, Copy)]
pub struct Arrival {
    /// The wall-clock time of the read.
    pub wall: SystemTime,
    /// Since the previous event (or since the connection opened, for the first one).
    pub gap: Duration,
    /// 1 for the first connection, counting reconnections.
    pub connection: u32,
    /// Which read of the stream (counting from 1, across connections) brought the event:
    /// what is the same for every event of one read is rendered once per read.
    pub read: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Pretty,
    Json,
    Raw,
    /// `--jq FILTER`: each result on a line.
    Jq,
    /// `--text [FILTER]`: string results joined as they come.
    Text,
}

/// The data by which OpenAI-style streams say they are finished: a normal end, shown
/// as an end marker, never as an event.
pub const DONE: &str = "[DONE]";

/// Characters of a filter error shown: jq's messages quote the value they failed on,
/// which may be a whole event of megabytes.
const FILTER_ERROR_SHOWN: usize = 300;

/// `s` cut to `max` characters, with a mark where it was cut.
fn shorten(s: &str, max: usize) -> Cow<'_, str> {
    match s.char_indices().nth(max) {
        Some((at, _)) => Cow::Owned(format!("{} [...]", &s[..at])),
        None => Cow::Borrowed(s),
    }
}

/// How output looks: decided once at startup (`term::look`), never per event.
#[derive(Debug, Clone)]
pub struct Look {
    /// Colour on (the decision `term::init_color` made).
    pub color: bool,
    /// stdout is a terminal: `--jq` and `--text` escape control characters too.
    pub terminal: bool,
    /// stdout's width when it is a terminal.
    pub width: Option<usize>,
    /// Pretty mode's clock (local time, or UTC).
    pub clock: Clock,
}

impl Look {
    /// No colour, no terminal, UTC: what a pipe gets, and what tests and benchmarks use.
    pub fn plain() -> Look {
        Look {
            color: false,
            terminal: false,
            width: None,
            clock: Clock::utc(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Printer {
    pub mode: Mode,
    look: Look,
    style: Style,
    json_end: json::LineEnd,
    /// Pretty mode's time of day, rendered once per read.
    clock_read: Option<u64>,
    clock_text: String,
    /// Pretty mode's sense of the stream's usual gap.
    rhythm: pretty::Rhythm,
    /// The filter of `--jq` and `--text`.
    jq: Option<Jq>,
    /// Events given to the printer, counting from 1 (named in filter errors).
    seen: u64,
    /// `--text` wrote text not yet ended by a newline.
    mid_line: bool,
    /// Events the filter failed on; the first is reported, the rest counted.
    filter_errors: u64,
    /// A message for stderr, taken by the caller.
    notice: Option<String>,
}

impl Printer {
    /// A printer with [`Look::plain`].
    pub fn new(mode: Mode) -> Self {
        Printer::with_look(mode, Look::plain())
    }

    pub fn with_look(mode: Mode, look: Look) -> Self {
        Printer {
            mode,
            style: Style {
                colors: Palette::new(look.color),
                width: look.width,
            },
            look,
            json_end: json::LineEnd::default(),
            clock_read: None,
            clock_text: String::new(),
            rhythm: pretty::Rhythm::default(),
            jq: None,
            seen: 0,
            mid_line: false,
            filter_errors: 0,
            notice: None,
        }
    }

    /// The filter `--jq` and `--text` run.
    pub fn with_jq(mut self, jq: Jq) -> Self {
        self.jq = Some(jq);
        self
    }

    /// A message for stderr (the first filter error; at the end, how many more failed).
    pub fn take_notice(&mut self) -> Option<String> {
        self.notice.take()
    }

    /// The stream sent `data: [DONE]`: pretty mode shows an end marker, `--text` ends
    /// its line; the other modes print nothing for it.
    pub fn done(&mut self, out: &mut Buffer, arrival: &Arrival) -> io::Result<()> {
        match self.mode {
            Mode::Pretty => {
                self.render_clock(arrival);
                pretty::write_done(out, arrival, &self.clock_text)
            }
            _ => self.end(out),
        }
    }

    /// A stream ended (or the tail stops): `--text` ends its line; the count of further
    /// filter errors becomes a notice.
    pub fn end(&mut self, out: &mut Buffer) -> io::Result<()> {
        if self.mid_line {
            out.push(b"\n");
            self.mid_line = false;
        }
        if self.filter_errors > 1 && self.notice.is_none() {
            let more = self.filter_errors - 1;
            self.notice = Some(format!(
                "{} {}: {more} more event{} failed the filter",
                self.filter_flag(),
                self.filter_code(),
                if more == 1 { "" } else { "s" }
            ));
            self.filter_errors = 1;
        }
        Ok(())
    }

    fn render_clock(&mut self, arrival: &Arrival) {
        if self.clock_read != Some(arrival.read) {
            self.clock_read = Some(arrival.read);
            self.look.clock.render(arrival.wall, &mut self.clock_text);
        }
    }

    fn filter_flag(&self) -> &'static str {
        if self.mode == Mode::Text {
            "--text"
        } else {
            "--jq"
        }
    }

    fn filter_code(&self) -> String {
        let code = self.jq.as_ref().map_or("", |jq| jq.code());
        if code == crate::jq::LLM_TEXT {
            "(the built-in LLM text filter)".to_string()
        } else {
            format!("'{}'", escape::line(code))
        }
    }

    /// Runs the filter on one event and writes its results: one line each (`--jq`), or
    /// strings joined as they come (`--text`).
    fn filtered(&mut self, out: &mut Buffer, ev: &EventRef<'_>) -> io::Result<()> {
        let Some(jq) = &self.jq else {
            return Ok(());
        };
        let text = self.mode == Mode::Text;
        let terminal = self.look.terminal;
        let colors = &self.style.colors;
        let mut mid_line = self.mid_line;
        let result = jq.run(ev, |o| -> io::Result<()> {
            if let (Output::Json(json), false, true) = (&o, text, self.look.color) {
                // As jq colours its results (strings stay raw, as jq -r prints them);
                // the view escapes controls inside strings.
                if let Some(view) = jsonview::View::parse(json) {
                    view.write_compact(out, colors)?;
                    out.push(b"\n");
                    return Ok(());
                }
            }
            let s = match &o {
                Output::Text(s) | Output::Json(s) => s.as_str(),
                Output::Null if text => return Ok(()),
                Output::Null => "null",
            };
            let s = if terminal {
                escape::controls(s, Lines::Keep)
            } else {
                s.into()
            };
            out.push(s.as_bytes());
            if text {
                if !s.is_empty() {
                    mid_line = !s.ends_with('\n');
                }
            } else {
                out.push(b"\n");
            }
            Ok(())
        })?;
        self.mid_line = mid_line;
        if let Err(msg) = result {
            self.filter_errors += 1;
            if self.filter_errors == 1 {
                let id = if ev.id.is_empty() {
                    String::new()
                } else {
                    format!(", id {}", escape::line(ev.id))
                };
                self.notice = Some(format!(
                    "{} {}: event {} (type {}{id}): {} (further errors are counted, not shown)",
                    self.filter_flag(),
                    self.filter_code(),
                    self.seen,
                    escape::line(ev.event_type),
                    escape::line(&shorten(&msg, FILTER_ERROR_SHOWN))
                ));
            }
        }
        Ok(())
    }

    /// Writes one event (nothing in raw mode: there the bytes are the output).
    pub fn event(
        &mut self,
        out: &mut Buffer,
        ev: &EventRef<'_>,
        arrival: &Arrival,
    ) -> io::Result<()> {
        match self.mode {
            Mode::Pretty => {
                self.render_clock(arrival);
                let standout = self.rhythm.stands_out(arrival.gap);
                pretty::write_event(out, ev, arrival, &self.clock_text, standout, &self.style)
            }
            Mode::Json if self.look.color || self.look.terminal => {
                json::write_event_colored(out, &mut self.json_end, ev, arrival, &self.style.colors);
                Ok(())
            }
            Mode::Json => {
                json::write_event(out, &mut self.json_end, ev, arrival);
                Ok(())
            }
            Mode::Jq | Mode::Text => {
                self.seen += 1;
                self.filtered(out, ev)
            }
            Mode::Raw => Ok(()),
        }
    }

    /// Writes stream bytes as received (raw mode only).
    pub fn bytes(&self, out: &mut impl Write, bytes: &[u8]) -> io::Result<()> {
        match self.mode {
            Mode::Raw => out.write_all(bytes),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_filter_error_shows_the_start_of_a_huge_value() {
        let mut printer = Printer::new(Mode::Jq).with_jq(Jq::compile(".a").unwrap());
        let data = format!("\"{}\"", "x".repeat(1 << 20));
        let ev = EventRef {
            event_type: "message",
            data: &data,
            id: "",
            id_set: false,
            retry: None,
            end: 0,
        };
        let arrival = Arrival {
            wall: std::time::UNIX_EPOCH,
            gap: std::time::Duration::ZERO,
            connection: 1,
            read: 1,
        };
        let mut out = Buffer::default();
        printer.event(&mut out, &ev, &arrival).unwrap();
        let notice = printer.take_notice().unwrap();
        assert!(
            notice.contains("cannot index") && notice.contains("xxx [...]"),
            "{notice}"
        );
        assert!(notice.len() < 500, "{} bytes", notice.len());
        assert_eq!(shorten("héllo", 2), "hé [...]");
        assert_eq!(shorten("héllo", 5), "héllo");
    }
}
