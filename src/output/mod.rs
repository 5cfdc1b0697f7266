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

use std::io::{self, Write};
use std::time::{Duration, SystemTime};

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
}

/// How output looks: decided once at startup (`term::look`), never per event.
#[derive(Debug, Clone)]
pub struct Look {
    /// Colour on (the decision `term::init_color` made).
    pub color: bool,
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
        }
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
                if self.clock_read != Some(arrival.read) {
                    self.clock_read = Some(arrival.read);
                    self.look.clock.render(arrival.wall, &mut self.clock_text);
                }
                pretty::write_event(out, ev, arrival, &self.clock_text, &self.style)
            }
            Mode::Json if self.look.color => {
                json::write_event_colored(out, &mut self.json_end, ev, arrival, &self.style.colors);
                Ok(())
            }
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
