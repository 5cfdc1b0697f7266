//! Printing events: one printer per output mode, all writing into a `Buffer`.
//!
//! Printers never flush; the caller flushes once no further event is ready without
//! another read, so a slow stream reaches the pipe event by event and a fast one goes
//! out in large writes.

mod buffer;
mod json;
mod jsonview;
mod pretty;

use std::io::{self, Write};
use std::time::Duration;

use crate::parser::EventRef;

pub use buffer::Buffer;
pub use jsonview::Palette;
pub use pretty::{format_gap, Style};

/// When and how an event arrived: the same for every event of one read.
#[derive(Debug, Clone, Copy)]
pub struct Arrival<'a> {
    /// RFC 3339 UTC with milliseconds, e.g. `2026-11-24T20:31:05.123Z`.
    pub time: &'a str,
    /// Since the previous event (or since the connection opened, for the first one).
    pub gap: Duration,
    /// 1 for the first connection, counting reconnections.
    pub connection: u32,
    /// Which read of the stream (counting from 1, across connections) brought the event:
    /// what is the same for every event of one read may be rendered once per read.
    pub read: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Pretty,
    Json,
    Raw,
}

#[derive(Debug, Clone)]
pub struct Printer {
    pub mode: Mode,
    style: Style,
    json_end: json::LineEnd,
}

impl Printer {
    /// A printer with the colour decision `term::init_color` made (read back from
    /// `colored`'s switch) and no terminal width.
    pub fn new(mode: Mode) -> Self {
        let color = colored::control::SHOULD_COLORIZE.should_colorize();
        Printer::with_style(
            mode,
            Style {
                colors: Palette::new(color),
                width: None,
            },
        )
    }

    pub fn with_style(mode: Mode, style: Style) -> Self {
        Printer {
            mode,
            style,
            json_end: json::LineEnd::default(),
        }
    }

    /// Writes one event (nothing in raw mode: there the bytes are the output).
    pub fn event(
        &mut self,
        out: &mut Buffer,
        ev: &EventRef<'_>,
        arrival: &Arrival<'_>,
    ) -> io::Result<()> {
        match self.mode {
            Mode::Pretty => pretty::write_event(out, ev, arrival, &self.style),
            Mode::Json => {
                json::write_event(out, &mut self.json_end, ev, arrival);
                Ok(())
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
