//! The only writer of stdout: the printer writes events into a buffer, and the buffer
//! leaves in one write once no further event is ready without another read (or early,
//! past a high-water mark). `--raw` writes the stream's bytes instead. The printer's
//! notices go to stderr after the output they follow.

use std::io::{self, Write};

use crate::output::{Arrival, Out, Printer, Said};
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
            self.write_out(&[], false)?;
        }
        Ok(())
    }

    /// The request opening a stream was sent at `at`.
    pub fn requested(&mut self, at: std::time::SystemTime) {
        self.printer.requested(at);
    }

    /// The stream sent `data: [DONE]`.
    pub fn done(&mut self, arrival: &Arrival) -> io::Result<()> {
        self.printer.done(&mut self.out, arrival)
    }

    /// A read is over: `raw` (the bytes the parser took, for `--raw`) or the events
    /// printed leave in one write and a flush, with what the printer said for stderr.
    pub fn flush_read(&mut self, raw: &[u8]) -> io::Result<()> {
        let raw = if self.printer.passes_bytes() {
            raw
        } else {
            &[]
        };
        self.write_out(raw, true)
    }

    /// `raw`, then the printed bytes, with what was said for stderr written where it was
    /// said: stdout is flushed before each, so a terminal shows both in their order.
    /// After a failed write to stdout, stderr is still told.
    fn write_out(&mut self, raw: &[u8], flush: bool) -> io::Result<()> {
        let Sink {
            out,
            stdout,
            console,
            ..
        } = self;
        let said: Vec<(usize, Said)> = out.said().collect();
        let bytes = out.buf.as_bytes();
        let mut written = Ok(());
        let mut write = |raw: &[u8], part: &[u8], flush: bool| {
            if written.is_ok() {
                written = console.with_stdout(|| {
                    stdout.write_all(raw)?;
                    stdout.write_all(part)?;
                    if flush {
                        stdout.flush()?;
                    }
                    Ok(())
                });
            }
        };
        let (mut raw, mut from) = (raw, 0);
        for (at, said) in said {
            write(raw, &bytes[from..at], true);
            (raw, from) = (&[], at);
            match said {
                Said::Notice(text) => console.line(&format!("sse: {text}")),
                Said::Text(text) => console.text(&text),
            }
        }
        write(raw, &bytes[from..], flush);
        out.buf.clear();
        written
    }

    /// A stream ended: the printer closes what it has open.
    pub fn end(&mut self) -> io::Result<()> {
        self.printer.end(&mut self.out)?;
        self.flush_read(&[])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jq::{Jq, LLM_TEXT};
    use crate::output::{Look, Mode};
    use crate::testing::Captured;

    #[test]
    fn what_the_printer_says_for_stderr_is_written_in_order_with_stdout() {
        // stdout and stderr into one buffer, as on one terminal.
        let screen = Captured::default();
        let console = Console::to(Box::new(screen.clone()), Box::new(|| None), false, false);
        let llm = Jq::compile(LLM_TEXT).ok();
        let printer = crate::output::printer(Mode::Text, Look::plain(), llm, false);
        let mut sink = Sink::new(printer, screen.clone(), console);
        let arrival = Arrival {
            wall: std::time::UNIX_EPOCH,
            gap: std::time::Duration::ZERO,
            connection: 1,
            read: 1,
        };
        let chunk = |delta: &str| format!(r#"{{"choices":[{{"index":0,"delta":{delta}}}]}}"#);
        // One read: the answer, then reasoning, then the answer again.
        for data in [
            chunk(r#"{"content":"A"}"#),
            chunk(r#"{"reasoning":"think"}"#),
            chunk(r#"{"content":"B"}"#),
        ] {
            let ev = EventRef::with("message", &data, "");
            sink.event(&ev, &arrival).unwrap();
        }
        sink.flush_read(&[]).unwrap();
        sink.end().unwrap();
        assert_eq!(screen.text(), "Athink\nB\n");
    }
}
