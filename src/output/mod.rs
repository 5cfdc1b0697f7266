//! Printing events: one printer per output mode, all writing into a `Buffer`.
//!
//! Printers never flush; the caller flushes once no further event is ready without
//! another read, so a slow stream reaches the pipe event by event and a fast one goes
//! out in large writes.

mod aside;
mod buffer;
mod clock;
mod filter;
mod json;
mod jsonrpc;
mod jsonview;
mod pretty;

use std::io;
use std::time::{Duration, SystemTime};

use crate::jq::Jq;
use crate::parser::EventRef;

pub use buffer::Buffer;
pub use clock::Clock;
pub use jsonview::Palette;
pub use pretty::Style;

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
    /// Pretty mode shows JSON-RPC messages as such (MCP): id, method, result or error.
    pub jsonrpc: bool,
}

impl Look {
    /// No colour, no terminal, UTC: what a pipe gets, and what tests and benchmarks use.
    pub fn plain() -> Look {
        Look {
            color: false,
            terminal: false,
            width: None,
            clock: Clock::utc(),
            jsonrpc: false,
        }
    }
}

/// Where a printer writes: the bytes for stdout, and what it says on stderr (the first
/// filter error; at the end, how many more failed; `--text`'s reasoning and tool calls),
/// each in order with the bytes. The sink writes both, once per read.
#[derive(Debug, Default)]
pub struct Out {
    pub buf: Buffer,
    /// Each with the length `buf` had when it was said.
    said: Vec<(usize, Said)>,
}

/// Something for stderr.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Said {
    /// A message about the run: written as a line, after `sse: `.
    Notice(String),
    /// Text the stream sent (reasoning, a tool call), written as it is: it may end
    /// mid-line, and the printer ends its lines. Control characters are escaped already.
    Text(String),
}

impl Out {
    pub fn with_capacity(capacity: usize) -> Out {
        Out {
            buf: Buffer::with_capacity(capacity),
            said: Vec::new(),
        }
    }

    pub fn notice(&mut self, text: String) {
        self.said.push((self.buf.len(), Said::Notice(text)));
    }

    /// Text for stderr as it is, after what `buf` holds so far.
    pub fn stderr(&mut self, text: String) {
        self.said.push((self.buf.len(), Said::Text(text)));
    }

    /// What was said since the last call, each with where in `buf` it goes.
    pub fn said(&mut self) -> std::vec::Drain<'_, (usize, Said)> {
        self.said.drain(..)
    }

    /// The notices said since the last call (tests).
    #[cfg(test)]
    pub fn notices(&mut self) -> impl Iterator<Item = String> + '_ {
        self.said().filter_map(|(_, said)| match said {
            Said::Notice(text) => Some(text),
            Said::Text(_) => None,
        })
    }
}

/// One output mode (ripgrep's `Sink`): told about each event, the stream's `[DONE]`
/// and the end of a stream, it writes into an [`Out`]. Printers never flush.
pub trait Printer {
    /// One event.
    fn event(&mut self, out: &mut Out, ev: &EventRef<'_>, arrival: &Arrival) -> io::Result<()>;

    /// The stream sent `data: [DONE]`: by default the same as its end.
    fn done(&mut self, out: &mut Out, _arrival: &Arrival) -> io::Result<()> {
        self.end(out)
    }

    /// A stream ended (or the tail stops): close what is open.
    fn end(&mut self, _out: &mut Out) -> io::Result<()> {
        Ok(())
    }

    /// The request that opens a stream went out at `at` (the pretty view of JSON-RPC
    /// measures the latency of answers from it).
    fn requested(&mut self, _at: SystemTime) {}

    /// The output is the stream's bytes as received (`--raw`), not what the printer writes.
    fn passes_bytes(&self) -> bool {
        false
    }
}

/// The printer for a mode; `jq` is the filter of `--jq` and `--text` (`.` when none
/// is given); `stderr_tty`: stderr is a terminal (`--text` dims reasoning there).
pub fn printer(mode: Mode, look: Look, jq: Option<Jq>, stderr_tty: bool) -> Box<dyn Printer> {
    let filter = || jq.clone().or_else(|| Jq::compile(".").ok());
    match mode {
        Mode::Pretty => Box::new(pretty::Pretty::new(look)),
        Mode::Json => Box::new(json::Json::new(&look)),
        Mode::Jq => match filter() {
            Some(jq) => Box::new(filter::JqLines::new(jq, &look)),
            None => Box::new(Raw),
        },
        Mode::Text => match filter() {
            Some(jq) => Box::new(filter::Text::new(jq, &look, stderr_tty)),
            None => Box::new(Raw),
        },
        Mode::Raw => Box::new(Raw),
    }
}

/// `--raw`: the bytes as received are the output; events print nothing.
struct Raw;

impl Printer for Raw {
    fn event(&mut self, _: &mut Out, _: &EventRef<'_>, _: &Arrival) -> io::Result<()> {
        Ok(())
    }

    fn passes_bytes(&self) -> bool {
        true
    }
}
