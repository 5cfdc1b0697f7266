//! The only writer of stdout: the printer writes events into a buffer, and the buffer
//! leaves in one write once no further event is ready without another read (or early,
//! past a high-water mark). `--raw` writes the stream's bytes instead. The printer's
//! notices go to stderr after the output they follow.

use std::io::{self, Write};

use crate::output::{Arrival, Out, Printer};
use crate::parser::EventRef;
use crate::readahead::READ_SIZE;
use crate::status::Console;

/// Output waiting for the flush point is written early past this size.
const OUTPUT_HIGH_WATER: usize = 1024 * 1024;

pub struct Sink<W: Write> {
    printer: Box<dyn Printer>,
    out: Out,
    stdout: W,
    console: Console,
}

impl<W: Write> Sink<W> {
    pub fn new(printer: Box<dyn Printer>, stdout: W, console: Console) -> Self {
        Sink {
            printer,
            out: Out::with_capacity(2 * READ_SIZE),
            stdout,
            console,
        }
    }

    pub fn event(&mut self, ev: &EventRef<'_>, arrival: &Arrival) -> io::Result<()> {
        self.printer.event(&mut self.out, ev, arrival)?;
        if self.out.buf.len() > OUTPUT_HIGH_WATER {
            let (stdout, buf) = (&mut self.stdout, &mut self.out.buf);
            self.console
                .with_stdout(|| stdout.write_all(buf.as_bytes()))?;
            buf.clear();
        }
        Ok(())
    }

    /// The stream sent `data: [DONE]`.
    pub fn done(&mut self, arrival: &Arrival) -> io::Result<()> {
        self.printer.done(&mut self.out, arrival)
    }

    /// A read is over: `raw` (the bytes the parser took, for `--raw`) or the events
    /// printed leave in one write and a flush, then the notices.
    pub fn flush_read(&mut self, raw: &[u8]) -> io::Result<()> {
        let passes_bytes = self.printer.passes_bytes();
        let (stdout, buf) = (&mut self.stdout, &mut self.out.buf);
        let written = self.console.with_stdout(|| {
            if passes_bytes {
                stdout.write_all(raw)?;
            }
            stdout.write_all(buf.as_bytes())?;
            stdout.flush()
        });
        buf.clear();
        for notice in self.out.notices() {
            self.console.line(&format!("sse: {notice}"));
        }
        written
    }

    /// A stream ended: the printer closes what it has open.
    pub fn end(&mut self) -> io::Result<()> {
        self.printer.end(&mut self.out)?;
        self.flush_read(&[])
    }
}
