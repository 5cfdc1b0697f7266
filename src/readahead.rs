//! Reading a stream on its own thread, so that the next read (the kernel's copy out of
//! the socket, and the HTTP client's copy out of its buffer) overlaps with parsing and
//! printing the last one.
//!
//! Nothing is held back: each read is handed over the moment it returns, with the time
//! it returned. The reader runs at most a few buffers ahead, so memory stays bounded
//! when the output is slower than the input.

use std::io::{self, Read};
use std::panic::{self, AssertUnwindSafe};
use std::sync::mpsc::{self, Receiver, RecvError, RecvTimeoutError, SyncSender};
use std::thread;
use std::time::{Duration, Instant, SystemTime};

/// Bytes per read of a stream (ureq's own buffer is as large).
pub const READ_SIZE: usize = 256 * 1024;

/// Buffers in flight: one being parsed, one being filled, one spare.
const BUFFERS: usize = 3;

/// One read: a buffer, how much of it the read filled, and when it returned.
struct Chunk {
    buf: Vec<u8>,
    len: usize,
    at: Instant,
    wall: SystemTime,
}

/// One read as handed out.
pub struct Arrived<'a> {
    pub bytes: &'a [u8],
    /// When the read returned, for gaps.
    pub at: Instant,
    /// The same moment by the clock, for printing.
    pub wall: SystemTime,
}

/// Wakes the parser side of a [`ReadAhead`] (see [`ReadAhead::waker`]).
#[derive(Clone)]
pub struct Waker(SyncSender<io::Result<Chunk>>);

impl Waker {
    /// A waiting `next_read` returns `ErrorKind::Interrupted`; one that is not waiting
    /// gets it after the reads already queued (or not at all, when the queue is full:
    /// then the parser side is busy and checks its own flag soon).
    pub fn wake(&self) {
        let _ = self
            .0
            .try_send(Err(io::Error::from(io::ErrorKind::Interrupted)));
    }
}

pub struct ReadAhead {
    full: Receiver<io::Result<Chunk>>,
    /// For [`Waker`]s: another sender into `full`.
    wake: SyncSender<io::Result<Chunk>>,
    empty: SyncSender<Vec<u8>>,
    /// The buffer handed out last, returned to the reader on the next call.
    current: Option<Vec<u8>>,
    /// A wait for a read longer than this is a `TimedOut` error.
    silence: Option<Duration>,
}

impl ReadAhead {
    /// Starts reading `input` in reads of up to `size` bytes.
    pub fn new(mut input: Box<dyn Read + Send>, size: usize) -> io::Result<Self> {
        let (full_tx, full) = mpsc::sync_channel::<io::Result<Chunk>>(BUFFERS);
        let full_tx_waker = full_tx.clone();
        let (empty, empty_rx) = mpsc::sync_channel::<Vec<u8>>(BUFFERS);
        for _ in 0..BUFFERS {
            // Allocated (and zeroed) once: a buffer keeps its full size for every read.
            let _ = empty.send(vec![0; size]);
        }
        thread::Builder::new()
            .name("read-ahead".into())
            .spawn(move || {
                // Ends when the stream does, or when the parser side is gone.
                while let Ok(mut buf) = empty_rx.recv() {
                    let result = loop {
                        // A panic in the reader becomes an error for the parser side:
                        // with a Waker alive, the channel would not tell it otherwise.
                        let read = panic::catch_unwind(AssertUnwindSafe(|| input.read(&mut buf)));
                        match read {
                            Ok(Err(e)) if e.kind() == io::ErrorKind::Interrupted => continue,
                            Ok(other) => break other,
                            Err(_) => break Err(io::Error::other("the reading thread stopped")),
                        }
                    };
                    let (at, wall) = (Instant::now(), SystemTime::now());
                    let last = !matches!(result, Ok(n) if n > 0);
                    let sent = full_tx.send(result.map(|len| Chunk { buf, len, at, wall }));
                    if last || sent.is_err() {
                        break;
                    }
                }
            })?;
        Ok(ReadAhead {
            full,
            wake: full_tx_waker,
            empty,
            current: None,
            silence: None,
        })
    }

    /// Makes `next_read` fail with `ErrorKind::TimedOut` when no read comes within
    /// `limit` (`--timeout` on a stream that has no socket timeout of its own: stdin).
    pub fn with_silence_limit(mut self, limit: Option<Duration>) -> Self {
        self.silence = limit;
        self
    }

    /// A handle that makes a waiting [`ReadAhead::next_read`] return an `Interrupted`
    /// error (Ctrl-C), from any thread.
    pub fn waker(&self) -> Waker {
        Waker(self.wake.clone())
    }

    /// The next read: `Ok(None)` at the end of the stream.
    pub fn next_read(&mut self) -> io::Result<Option<Arrived<'_>>> {
        self.next_read_within(self.silence)
    }

    /// The next read, or a `TimedOut` error when none comes by `deadline` (a read that
    /// is already waiting is handed out even when the deadline has passed).
    pub fn next_read_by(&mut self, deadline: Instant) -> io::Result<Option<Arrived<'_>>> {
        self.next_read_within(Some(deadline.saturating_duration_since(Instant::now())))
    }

    fn next_read_within(&mut self, limit: Option<Duration>) -> io::Result<Option<Arrived<'_>>> {
        if let Some(buf) = self.current.take() {
            let _ = self.empty.send(buf);
        }
        let next = match limit {
            Some(limit) => match self.full.recv_timeout(limit) {
                Err(RecvTimeoutError::Timeout) => {
                    return Err(io::Error::new(io::ErrorKind::TimedOut, "no data"))
                }
                other => other.map_err(|_| RecvError),
            },
            None => self.full.recv(),
        };
        match next {
            Ok(Ok(chunk)) if chunk.len == 0 => Ok(None),
            Ok(Ok(chunk)) => {
                let buf = self.current.insert(chunk.buf);
                Ok(Some(Arrived {
                    bytes: &buf[..chunk.len],
                    at: chunk.at,
                    wall: chunk.wall,
                }))
            }
            Ok(Err(e)) => Err(e),
            // The reader ended without a word: it panicked.
            Err(_) => Err(io::Error::other("the reading thread stopped")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc::{channel, Receiver};

    /// A reader whose reads are scripted by the test, one message per read.
    struct Scripted(Receiver<io::Result<Vec<u8>>>);

    impl Read for Scripted {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            match self.0.recv() {
                Ok(Ok(bytes)) => {
                    buf[..bytes.len()].copy_from_slice(&bytes);
                    Ok(bytes.len())
                }
                Ok(Err(e)) => Err(e),
                Err(_) => Ok(0),
            }
        }
    }

    fn next_bytes(reads: &mut ReadAhead) -> io::Result<Option<Vec<u8>>> {
        Ok(reads.next_read()?.map(|read| read.bytes.to_vec()))
    }

    #[test]
    fn each_read_is_handed_over_before_the_next_one_returns() {
        let (tx, rx) = channel();
        let mut reads = ReadAhead::new(Box::new(Scripted(rx)), 64).unwrap();
        // Lock-step: the second read does not exist until the first was received.
        tx.send(Ok(b"one".to_vec())).unwrap();
        assert_eq!(next_bytes(&mut reads).unwrap().unwrap(), b"one");
        tx.send(Ok(b"two".to_vec())).unwrap();
        assert_eq!(next_bytes(&mut reads).unwrap().unwrap(), b"two");
        drop(tx);
        assert_eq!(next_bytes(&mut reads).unwrap(), None);
    }

    #[test]
    fn errors_arrive_in_order_and_interruptions_are_retried() {
        let (tx, rx) = channel();
        tx.send(Ok(b"a".to_vec())).unwrap();
        tx.send(Err(io::ErrorKind::Interrupted.into())).unwrap();
        tx.send(Ok(b"b".to_vec())).unwrap();
        tx.send(Err(io::Error::new(io::ErrorKind::TimedOut, "slow")))
            .unwrap();
        let mut reads = ReadAhead::new(Box::new(Scripted(rx)), 64).unwrap();
        assert_eq!(next_bytes(&mut reads).unwrap().unwrap(), b"a");
        assert_eq!(next_bytes(&mut reads).unwrap().unwrap(), b"b");
        let e = next_bytes(&mut reads).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::TimedOut);
    }

    #[test]
    fn a_silence_limit_ends_a_wait_with_timed_out() {
        let (_tx, rx) = channel();
        let mut reads = ReadAhead::new(Box::new(Scripted(rx)), 64)
            .unwrap()
            .with_silence_limit(Some(Duration::from_millis(10)));
        // Nothing is ever sent: the limit ends the wait.
        let e = next_bytes(&mut reads).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::TimedOut);

        let (tx, rx) = channel();
        let mut reads = ReadAhead::new(Box::new(Scripted(rx)), 64)
            .unwrap()
            .with_silence_limit(Some(Duration::from_secs(30)));
        tx.send(Ok(b"a".to_vec())).unwrap();
        assert_eq!(next_bytes(&mut reads).unwrap().unwrap(), b"a");
        drop(tx);
        assert_eq!(next_bytes(&mut reads).unwrap(), None);
    }

    #[test]
    fn a_waker_interrupts_a_waiting_read_and_a_panic_is_an_error() {
        let (tx, rx) = channel();
        let mut reads = ReadAhead::new(Box::new(Scripted(rx)), 64).unwrap();
        let waker = reads.waker();
        let wake = std::thread::spawn(move || waker.wake());
        // Nothing was sent: only the waker can end this wait.
        let e = next_bytes(&mut reads).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::Interrupted);
        wake.join().unwrap();
        tx.send(Ok(b"a".to_vec())).unwrap();
        assert_eq!(next_bytes(&mut reads).unwrap().unwrap(), b"a");

        struct Panics;
        impl Read for Panics {
            fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
                panic!("a broken reader")
            }
        }
        let mut reads = ReadAhead::new(Box::new(Panics), 16).unwrap();
        let _waker = reads.waker();
        let e = next_bytes(&mut reads).unwrap_err();
        assert!(e.to_string().contains("reading thread stopped"), "{e}");
    }

    #[test]
    fn a_fast_source_runs_at_most_a_few_buffers_ahead() {
        // An endless source: the reader must stop when no buffer is free, not read on.
        struct Endless(std::sync::Arc<std::sync::atomic::AtomicUsize>);
        impl Read for Endless {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                buf.fill(b'x');
                Ok(buf.len())
            }
        }
        let count = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let mut reads = ReadAhead::new(Box::new(Endless(count.clone())), 16).unwrap();
        assert_eq!(next_bytes(&mut reads).unwrap().unwrap(), b"x".repeat(16));
        std::thread::sleep(std::time::Duration::from_millis(50));
        let ahead = count.load(std::sync::atomic::Ordering::SeqCst);
        assert!(ahead <= BUFFERS + 1, "{ahead} reads for one taken");
    }
}
