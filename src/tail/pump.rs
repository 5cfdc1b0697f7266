//! One stream's reads through the parser: each item recorded, counted and given to the
//! sink, the flush after each read.

use std::io::{self, Read, Write};
use std::time::{Duration, Instant};

use colored::Colorize;

use super::reader::Reader;
use super::{Conn, End, Input, Run};
use crate::error::Error;
use crate::escape;
use crate::output::{Arrival, DONE};
use crate::parser::{Fed, Flow, Item, ParseError};
use crate::readahead::{ReadAhead, READ_SIZE};

/// When the read being parsed arrived.
#[derive(Clone, Copy)]
struct ReadAt {
    now: Instant,
    /// When this connection opened: the first event's gap is measured from it.
    opened: Instant,
    /// The same for every event of the read, but the gap.
    arrival: Arrival,
}

/// What [`Run::one_read`] parses.
enum Bytes<'a> {
    /// A read's bytes.
    Read(&'a [u8]),
    /// The end of the body.
    End,
}

/// Why pumping a stream stopped early.
enum PumpError {
    Parse(ParseError),
    Output(io::Error),
    Record(io::Error),
}

impl From<ParseError> for PumpError {
    fn from(e: ParseError) -> Self {
        PumpError::Parse(e)
    }
}

impl<W: Write> Run<'_, W> {
    /// Reads one stream to its end, printing as events complete and flushing before
    /// waiting for the next read. The reads happen on their own thread (`ReadAhead`),
    /// so the next one overlaps with printing this one.
    pub(super) fn pump(
        &mut self,
        input: Box<dyn Read + Send>,
        parser: &mut Reader,
        conn: &Conn,
    ) -> Result<End, Error> {
        // A connection's reads time out in the HTTP client; stdin has no such limit.
        let silence = match self.config.input {
            Input::Stdin => self.config.timeout,
            Input::Url(_) => None,
        };
        let mut reads = ReadAhead::new(input, READ_SIZE)
            .map_err(|e| Error::io("starting a thread", e))?
            .with_silence_limit(silence);
        let waker = reads.waker();
        let interrupt = self.interrupt.clone();
        let _waking = interrupt.on_hit(move || waker.wake());
        let mut last = None;
        loop {
            if self.interrupt.hit() {
                return Ok(End::Interrupted);
            }
            let read = match reads.next_read() {
                Ok(None) => return self.finish(parser, last.as_ref(), conn),
                Ok(Some(read)) => read,
                Err(_) if self.interrupt.hit() => return Ok(End::Interrupted),
                Err(e) => return Ok(End::Lost(e)),
            };
            self.progress.reads += 1;
            self.progress.heard = read.at;
            if let Some(stats) = &mut self.side.stats {
                stats.first_byte(read.at);
            }
            let at = ReadAt {
                now: read.at,
                opened: conn.opened,
                arrival: Arrival {
                    wall: read.wall,
                    gap: Duration::ZERO,
                    connection: conn.number,
                    read: self.progress.reads,
                },
            };
            if let Fed::Stopped(_) =
                self.one_read(Bytes::Read(read.bytes), parser, &at, &conn.url)?
            {
                return Ok(End::Stopped);
            }
            last = Some(at);
        }
    }

    /// The body ended: what the reader still completes (a JSON stream's last line
    /// without its LF) is given out as having arrived with the last read, as its bytes
    /// did.
    fn finish(
        &mut self,
        parser: &mut Reader,
        last: Option<&ReadAt>,
        conn: &Conn,
    ) -> Result<End, Error> {
        let Some(at) = last else {
            return Ok(End::Eof);
        };
        match self.one_read(Bytes::End, parser, at, &conn.url)? {
            Fed::Stopped(_) => Ok(End::Stopped),
            Fed::All => Ok(End::Eof),
        }
    }

    /// Parses one read (or the body's end), gives its items out, and flushes what it
    /// printed.
    fn one_read(
        &mut self,
        read: Bytes<'_>,
        parser: &mut Reader,
        at: &ReadAt,
        url: &str,
    ) -> Result<Fed, Error> {
        let mut events = 0u64;
        let mut each = |item: Item<'_>| {
            events += u64::from(matches!(item, Item::Event(_)));
            self.item(item, at)
        };
        let (fed, bytes) = match read {
            Bytes::Read(bytes) => (parser.feed(bytes, &mut each), bytes),
            Bytes::End => (parser.finish(&mut each), &[][..]),
        };
        // Counted first: the status line drawn again after the write is current.
        let unended = parser.mid_event();
        self.side
            .console
            .arrived(bytes.len(), events, at.now, unended);
        // Raw output ends where the parser stopped; printed events leave in one write.
        let flushed = match fed {
            Err(PumpError::Output(_)) => Ok(()),
            Ok(Fed::Stopped(cut)) => self.sink.flush_read(&bytes[..cut]),
            _ => self.sink.flush_read(bytes),
        };
        flushed.map_err(Error::Output)?;
        let fed = fed.map_err(|e| match e {
            PumpError::Output(e) => Error::Output(e),
            PumpError::Parse(e) => Error::Stream {
                url: url.to_string(),
                msg: e.to_string(),
            },
            PumpError::Record(e) => match &self.side.recorder {
                Some(r) => r.write_error(e),
                None => Error::io("recording", e),
            },
        })?;
        if let Some(r) = self.side.recorder.as_mut() {
            r.flush()?;
        }
        Ok(fed)
    }

    /// One item of the stream: recorded, filtered, printed. `Stop` once `-n` is reached.
    fn item(&mut self, item: Item<'_>, at: &ReadAt) -> Result<Flow, PumpError> {
        if let Some(r) = self.side.recorder.as_mut() {
            r.item(&item, at.now).map_err(PumpError::Record)?;
        }
        match item {
            Item::Event(ev) => {
                let reported = self.progress.llm.see(&ev);
                // The gap is from the previous event shown (with -e, of the types
                // shown), or from the connection's start.
                let gap = at.now - self.progress.last_event_at.unwrap_or(at.opened);
                let arrival = Arrival { gap, ..at.arrival };
                if ev.data == DONE {
                    // The stream says it is finished: a normal end, not an event.
                    self.progress.last_event_at = Some(at.now);
                    self.sink.done(&arrival).map_err(PumpError::Output)?;
                    return Ok(Flow::Stop);
                }
                if let Some(stats) = &mut self.side.stats {
                    stats.event(at.now);
                }
                let filter = &self.config.filter;
                if filter.is_empty() || filter.iter().any(|t| t == ev.event_type) {
                    self.sink.event(&ev, &arrival).map_err(PumpError::Output)?;
                    self.progress.shown += 1;
                    self.progress.last_event_at = Some(at.now);
                }
                // MCP: the answer to the request ends the run.
                if self.mcp_event(&ev) {
                    return Ok(Flow::Stop);
                }
                // An error inside the 200 ends the stream (shown, then said on stderr).
                if reported.is_some() {
                    self.progress.reported = reported;
                    return Ok(Flow::Stop);
                }
                if Some(self.progress.shown) == self.config.count {
                    return Ok(Flow::Stop);
                }
            }
            Item::Comment(text) => {
                self.verbose(&format!(":{}", escape::line(text)).dimmed().to_string());
            }
            Item::Retry(ms) => {
                self.progress.retry = Duration::from_millis(ms);
                self.verbose(&format!(
                    "{} reconnection time set to {ms} ms",
                    "*".dimmed()
                ));
            }
            Item::Ignored(line) => self.verbose(&format!(
                "{} ignored (not a field the standard reads, or an invalid value): {}",
                "*".dimmed(),
                escape::line(line)
            )),
            Item::Id(id) => self.verbose(&format!(
                "{} last event ID set to \"{}\" (a block without data)",
                "*".dimmed(),
                escape::line(id)
            )),
        }
        Ok(Flow::Continue)
    }

    /// A line for `-v` only.
    fn verbose(&self, text: &str) {
        if self.config.verbose {
            self.side.console.line(text);
        }
    }
}

/// A read that timed out: std's kinds, or ureq's per-read timeout inside an io::Error.
pub(super) fn is_timeout(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock
    ) || e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<ureq::Error>())
        .is_some_and(|u| matches!(u, ureq::Error::Timeout(_)))
}
