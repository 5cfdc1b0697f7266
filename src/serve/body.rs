//! A stream's response on its way out: the head, then the body through compression,
//! holding and framing, in that order. What is due at the same moment is gathered and
//! leaves in one write (one chunk): the player says when it is about to wait, and
//! everything due goes out then, so nothing is held past its time.

use std::io::{self, IoSlice, Write};
use std::thread;

use flate2::write::GzEncoder;
use flate2::Compression;

use super::fault::{Hold, Plan, DRIP_BYTES, DRIP_PAUSE};
use super::http::{self, Framing, Head};

/// Due bytes are written once this many are gathered, even with more due: a fast
/// stream still leaves in large writes, and memory stays bounded.
pub const FLUSH_AT: usize = 64 * 1024;
/// Most bytes a buffering fault holds. A real buffering layer has such a cap (nginx's
/// `proxy_buffers`, then `proxy_max_temp_file_size`); when it is reached, the layer
/// sends what it holds and goes on. Without it `--loop --fault buffer` grows forever.
pub const HOLD_CAP: usize = 1024 * 1024;

/// The tail of a chunk that is also the body's last: its CRLF and the last chunk.
const CHUNK_END_LAST: &[u8] = b"\r\n0\r\n\r\n";

pub struct Body<W: Write> {
    out: W,
    head: Head,
    head_sent: bool,
    framing: Framing,
    /// The framing once a held body outgrows [`HOLD_CAP`] (chunked or until close).
    overflow_framing: Framing,
    gzip: Option<GzEncoder<Vec<u8>>>,
    hold: Option<Hold>,
    held: Vec<u8>,
    /// The held body outgrew its cap: it is sent in full buffers from then on.
    overflowed: bool,
    drip: bool,
    /// Bytes due now, not written yet.
    due: Vec<u8>,
    events_due: u64,
    events_sent: u64,
    /// The head and a chunk-size line, written in the same system call as the data.
    scratch: Vec<u8>,
}

impl<W: Write> Body<W> {
    /// `framing` is the plan's for this request.
    pub fn new(out: W, head: Head, framing: Framing, plan: &Plan) -> Body<W> {
        let overflow_framing = if plan.http10 || head.http10 {
            Framing::UntilClose
        } else {
            Framing::Chunked
        };
        Body {
            out,
            head,
            head_sent: false,
            framing,
            overflow_framing,
            gzip: plan
                .gzip
                .then(|| GzEncoder::new(Vec::new(), Compression::default())),
            hold: plan.hold,
            held: Vec::new(),
            overflowed: false,
            drip: plan.drip,
            due: Vec::new(),
            events_due: 0,
            events_sent: 0,
            scratch: Vec::new(),
        }
    }

    pub fn get_ref(&self) -> &W {
        &self.out
    }

    /// Events that were written (or handed to a buffering fault).
    pub fn events_sent(&self) -> u64 {
        self.events_sent
    }

    /// Bytes due now (`event` counts one event). They leave at the next [`flush`](Self::flush),
    /// or at once when enough are gathered.
    pub fn due(&mut self, bytes: &[u8], event: bool) -> io::Result<()> {
        self.due.extend_from_slice(bytes);
        self.events_due += u64::from(event);
        if self.due.len() >= FLUSH_AT || (self.drip && event) {
            self.flush()?;
        }
        Ok(())
    }

    /// A run of the script's own bytes (`events` events) due now. A long one is written
    /// from where it lies, behind what is already due, in one write and one chunk: no
    /// copy, and no bound but the script's own size (it is shared by every connection).
    pub fn due_run(&mut self, run: &[u8], events: u64) -> io::Result<()> {
        self.events_due += events;
        if self.due.len() + run.len() < FLUSH_AT {
            self.due.extend_from_slice(run);
            return Ok(());
        }
        let mut due = std::mem::take(&mut self.due);
        let result = if self.gzip.is_none() && self.hold.is_none() && !self.drip {
            self.write(&[&due, run], false)
        } else {
            self.pass(&due).and_then(|()| self.pass(run))
        };
        due.clear();
        self.due = due;
        if result.is_ok() {
            self.events_sent += std::mem::take(&mut self.events_due);
        }
        result
    }

    /// Sends everything due (with the head, if it has not left yet), in one write.
    pub fn flush(&mut self) -> io::Result<()> {
        let mut due = std::mem::take(&mut self.due);
        let result = self.pass(&due);
        due.clear();
        self.due = due;
        if result.is_ok() {
            self.events_sent += std::mem::take(&mut self.events_due);
        }
        result
    }

    /// Through the compressor, then held or sent.
    fn pass(&mut self, bytes: &[u8]) -> io::Result<()> {
        let compressed;
        let bytes = match self.gzip.as_mut() {
            Some(gz) => {
                gz.write_all(bytes)?;
                // Only what the compressor emits by itself: no flush, as middleware does.
                compressed = std::mem::take(gz.get_mut());
                &compressed[..]
            }
            None => bytes,
        };
        self.hold_or_send(bytes)
    }

    fn hold_or_send(&mut self, bytes: &[u8]) -> io::Result<()> {
        if self.hold.is_none() {
            return self.send(bytes, false);
        }
        self.held.extend_from_slice(bytes);
        if self.held.len() >= HOLD_CAP {
            // The buffers are full: send what they hold, as a proxy does.
            self.overflowed = true;
            self.framing = self.overflow_framing;
            let held = std::mem::take(&mut self.held);
            self.send(&held, false)?;
            self.held = held;
            self.held.clear();
        }
        Ok(())
    }

    fn send(&mut self, bytes: &[u8], last: bool) -> io::Result<()> {
        if self.drip && !bytes.is_empty() {
            if !self.head_sent {
                self.write(&[], false)?;
            }
            let mut pieces = bytes.chunks(DRIP_BYTES).peekable();
            while let Some(piece) = pieces.next() {
                thread::sleep(DRIP_PAUSE);
                self.write(&[piece], last && pieces.peek().is_none())?;
            }
            return Ok(());
        }
        self.write(&[bytes], last)
    }

    /// One write: the head if not sent yet, then `parts` (at most two) framed as one
    /// chunk (and the last chunk).
    fn write(&mut self, parts: &[&[u8]], last: bool) -> io::Result<()> {
        let first = parts.first().copied().unwrap_or_default();
        let second = parts.get(1).copied().unwrap_or_default();
        let len = first.len() + second.len();
        self.scratch.clear();
        if !self.head_sent {
            self.head.write(self.framing, &mut self.scratch);
            self.head_sent = true;
        }
        let chunked = self.framing == Framing::Chunked;
        let end: &[u8] = match (chunked, len == 0, last) {
            (true, false, false) => http::CHUNK_END,
            (true, false, true) => CHUNK_END_LAST,
            (true, true, true) => http::LAST_CHUNK,
            _ => b"",
        };
        if chunked && len > 0 {
            // An empty chunk would end the body.
            http::chunk_size_line(len, &mut self.scratch);
        }
        if self.scratch.is_empty() && len == 0 && end.is_empty() {
            return Ok(());
        }
        let mut slices = [
            IoSlice::new(&self.scratch),
            IoSlice::new(first),
            IoSlice::new(second),
            IoSlice::new(end),
        ];
        http::write_all_vectored(&mut self.out, &mut slices)
    }

    /// Ends the body: what is due, the compressor's rest, the held body, and (when
    /// `clean`) the last chunk, together. Not clean: a dropped connection.
    pub fn finish(&mut self, clean: bool) -> io::Result<()> {
        let mut rest = std::mem::take(&mut self.due);
        if let Some(mut gz) = self.gzip.take() {
            gz.write_all(&rest)?;
            rest = gz.finish()?;
        }
        self.events_sent += std::mem::take(&mut self.events_due);
        match self.hold {
            Some(hold) if !self.overflowed => {
                self.held.extend_from_slice(&rest);
                if hold == Hold::Etag {
                    let tag = crate::term::fnv1a64(&self.held);
                    self.head.set("ETag", format!("W/\"{tag:016x}\""));
                }
                self.framing = Framing::Length(self.held.len());
                let held = std::mem::take(&mut self.held);
                self.write(&[&held], false)
            }
            Some(_) => {
                let mut held = std::mem::take(&mut self.held);
                held.extend_from_slice(&rest);
                self.send(&held, clean)
            }
            None => self.send(&rest, clean),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::Fault;

    /// Records each write separately.
    #[derive(Default)]
    struct Writes(Vec<Vec<u8>>);
    impl Write for Writes {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.push(buf.to_vec());
            Ok(buf.len())
        }
        fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
            let all: Vec<u8> = bufs.iter().flat_map(|b| b.iter().copied()).collect();
            self.write(&all)
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    fn body(faults: Vec<Fault>) -> Body<Writes> {
        let plan = Plan::new(faults);
        let framing = plan.framing(1);
        Body::new(Writes::default(), Head::new(200), framing, &plan)
    }

    fn text(w: &[u8]) -> &str {
        std::str::from_utf8(w).unwrap()
    }

    #[test]
    fn what_is_due_together_leaves_in_one_chunk_with_the_head() {
        let mut b = body(Vec::new());
        b.due(b"data: a\n\n", true).unwrap();
        b.due(b"data: b\n\n", true).unwrap();
        assert!(b.get_ref().0.is_empty(), "nothing leaves before the flush");
        b.flush().unwrap();
        b.due(b"data: c\n\n", true).unwrap();
        b.finish(true).unwrap();
        let writes = &b.get_ref().0;
        assert_eq!(writes.len(), 2, "{writes:?}");
        assert!(text(&writes[0]).starts_with("HTTP/1.1 200 OK\r\n"));
        assert!(text(&writes[0]).ends_with("\r\n\r\n12\r\ndata: a\n\ndata: b\n\n\r\n"));
        assert_eq!(text(&writes[1]), "9\r\ndata: c\n\n\r\n0\r\n\r\n");
        assert_eq!(b.events_sent(), 3);
    }

    #[test]
    fn a_long_burst_leaves_in_bounded_writes() {
        let mut b = body(Vec::new());
        let event = [b'x'; 1000];
        for _ in 0..200 {
            b.due(&event, true).unwrap();
        }
        b.finish(true).unwrap();
        let writes = &b.get_ref().0;
        assert!(writes.len() <= 200_000 / FLUSH_AT + 1, "{}", writes.len());
        assert!(writes.iter().all(|w| w.len() < FLUSH_AT + 2000));
    }

    #[test]
    fn a_long_run_of_the_script_leaves_whole_behind_what_is_due() {
        let mut b = body(Vec::new());
        b.due(b"data: first\n\n", true).unwrap();
        let run = b"data: x\n\n".repeat(FLUSH_AT / 9 + 1);
        b.due_run(&run, (FLUSH_AT / 9 + 1) as u64).unwrap();
        b.due_run(b"data: y\n\n", 1).unwrap();
        b.finish(true).unwrap();
        let writes = &b.get_ref().0;
        assert_eq!(writes.len(), 2);
        let size = format!("\r\n\r\n{:x}\r\ndata: first\n\ndata: x\n\n", run.len() + 13);
        assert!(text(&writes[0]).contains(&size));
        assert_eq!(text(&writes[1]), "9\r\ndata: y\n\n\r\n0\r\n\r\n");
        assert_eq!(b.events_sent(), FLUSH_AT as u64 / 9 + 3);
    }

    #[test]
    fn drip_sends_pieces_of_a_few_bytes_each() {
        let mut b = body(vec![Fault::Drip]);
        b.due(b"data: hello\n\n", true).unwrap();
        b.finish(true).unwrap();
        let writes = &b.get_ref().0;
        assert!(
            text(&writes[0]).ends_with("\r\n\r\n"),
            "the head alone first"
        );
        let pieces: Vec<&str> = writes[1..].iter().map(|w| text(w)).collect();
        assert_eq!(pieces[0], "3\r\ndat\r\n");
        assert_eq!(pieces[4], "1\r\n\n\r\n");
        assert_eq!(pieces[5..], ["0\r\n\r\n"]);
    }

    #[test]
    fn a_held_body_has_a_length_and_an_etag_or_overflows_its_cap() {
        let mut b = body(vec![Fault::Etag]);
        b.due(b"data: a\n\n", true).unwrap();
        b.flush().unwrap();
        assert!(b.get_ref().0.is_empty());
        b.finish(true).unwrap();
        let all = text(&b.get_ref().0[0]);
        assert!(
            all.contains("ETag: W/\"")
                && all.ends_with("Content-Length: 9\r\nConnection: close\r\n\r\ndata: a\n\n"),
            "{all}"
        );

        let mut b = body(vec![Fault::Buffer]);
        let event = [b'x'; 4096];
        for _ in 0..(HOLD_CAP / 4096 + 10) {
            b.due(&event, true).unwrap();
        }
        assert_eq!(b.get_ref().0.len(), 1, "a full buffer is sent");
        assert!(b.held.len() < HOLD_CAP);
        b.finish(true).unwrap();
        let writes = &b.get_ref().0;
        assert!(text(&writes[0][..200]).contains("Transfer-Encoding: chunked"));
        assert!(writes.last().unwrap().ends_with(b"\r\n0\r\n\r\n"));
    }
}
