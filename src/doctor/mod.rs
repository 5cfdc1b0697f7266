//! `sse doctor`: connect like a browser, watch the stream, and record an `Observation`
//! that the pure checks in `checks.rs` judge.

pub mod checks;
pub mod report;

use std::io::{self, IsTerminal, Read, Write};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::cli::{ColorChoice, DoctorArgs};
use crate::client::{self, Request, BROWSER_ACCEPT_ENCODING};
use crate::error::{io_message, Error};
use crate::parser::{Item, Parser, DEFAULT_MAX_EVENT_SIZE};
use crate::term;

/// Everything doctor saw, in plain data; times are since the request was sent.
#[derive(Debug, Clone, Default)]
pub struct Observation {
    pub url: String,
    /// Set when no response came at all.
    pub connect_error: Option<String>,
    pub status: Option<u16>,
    pub reason: String,
    pub version: String,
    pub headers: Vec<(String, String)>,
    /// When the response head arrived.
    pub head_at: Option<Duration>,
    /// Each read of body bytes: when, and how many (after decompression, if any).
    pub reads: Vec<(Duration, usize)>,
    pub events: Vec<Seen>,
    pub comments: usize,
    /// `: sent-at` stamps seen.
    pub stamps: usize,
    /// How the stream ended while watched, if it did.
    pub end: Option<StreamEnd>,
    /// How long doctor watched.
    pub watched: Duration,
    /// Why watching stopped.
    pub stopped: Stop,
    /// The body could not be decoded (an encoding doctor does not read, a parse error).
    pub decode_error: Option<String>,
    pub max_delay: Option<Duration>,
    pub retry: Option<u64>,
    /// No response head arrived while watching (held back, or a slow server).
    pub no_head: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Seen {
    pub at: Duration,
    /// How late it arrived after its `: sent-at` stamp, when it had one.
    pub delay: Option<Duration>,
    /// The block carried an `id:` line.
    pub has_id: bool,
    pub event_type: String,
    pub bytes: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StreamEnd {
    pub at: Duration,
    /// A clean end of the body (true), or a cut (reset, truncated chunked body).
    pub clean: bool,
    pub cause: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Stop {
    #[default]
    Duration,
    Count,
    Ended,
    Interrupted,
    NoResponse,
}

impl Observation {
    pub fn header(&self, name: &str) -> Option<&str> {
        crate::client::find_header(&self.headers, name)
    }
}

enum Msg {
    Head(Result<Head, String>),
    /// Bytes as they came off the wire (before decompression): when, and how many.
    Wire(Instant, usize),
    /// Decoded body bytes.
    Bytes(Instant, SystemTime, Vec<u8>),
    End(Instant, Result<(), String>),
}

struct Head {
    at: Instant,
    status: u16,
    reason: String,
    version: &'static str,
    headers: Vec<(String, String)>,
    url: String,
}

/// Reports every read of the raw body, so timing is judged on the wire even when the
/// body is compressed.
struct Tap<R> {
    inner: R,
    tx: mpsc::Sender<Msg>,
}

impl<R: Read> Read for Tap<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n > 0 {
            let _ = self.tx.send(Msg::Wire(Instant::now(), n));
        }
        Ok(n)
    }
}

pub fn run(args: DoctorArgs, color: ColorChoice) -> Result<ExitCode, Error> {
    term::init_color(color, io::stdout().is_terminal());
    let interrupted = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&interrupted);
    // Ctrl-C ends the watch early; the report of what was seen is still printed.
    let _ = ctrlc::set_handler(move || flag.store(true, Ordering::SeqCst));
    if io::stderr().is_terminal() && !args.json {
        let _ = writeln!(
            io::stderr().lock(),
            "watching {} for {}{} (Ctrl-C stops early)…",
            args.url,
            humantime::format_duration(args.duration),
            args.count
                .map(|n| format!(" or {n} events"))
                .unwrap_or_default()
        );
    }
    let observation = watch(&args, &interrupted);
    let findings = checks::run_all(&observation);
    let mut out = io::stdout().lock();
    let written = if args.json {
        report::write_json(&mut out, &observation, &findings)
    } else {
        report::write_text(&mut out, &observation, &findings)
    };
    written.and_then(|_| out.flush()).map_err(Error::Output)?;
    let failed = findings.iter().any(|f| f.status == checks::Status::Fail);
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Connects and watches until the duration, the count, the end of the stream or Ctrl-C.
pub fn watch(args: &DoctorArgs, interrupted: &AtomicBool) -> Observation {
    let mut obs = Observation {
        url: args.url.clone(),
        max_delay: args.max_delay,
        ..Observation::default()
    };
    let req = Request {
        headers: args.headers.clone(),
        timeout: Some(args.timeout),
        insecure: args.insecure,
        accept_encoding: Some(BROWSER_ACCEPT_ENCODING),
        ..Request::get(&args.url)
    };
    let started = Instant::now();
    let deadline = started + args.duration;
    let (tx, rx) = mpsc::channel();
    // The request and the reads run on their own thread so the watch ends on time even
    // while the head or a read is held back; the thread is left behind when it ends.
    let _ = thread::Builder::new()
        .name("doctor-read".into())
        .spawn(move || read_stream(&req, tx));

    let mut parser = Parser::new(DEFAULT_MAX_EVENT_SIZE);
    let mut pending_stamp: Option<u128> = None;
    obs.stopped = loop {
        if interrupted.load(Ordering::SeqCst) {
            break Stop::Interrupted;
        }
        let now = Instant::now();
        if now >= deadline {
            break Stop::Duration;
        }
        let step = (deadline - now).min(Duration::from_millis(100));
        match rx.recv_timeout(step) {
            Ok(Msg::Head(Err(cause))) => {
                obs.connect_error = Some(cause);
                break Stop::NoResponse;
            }
            Ok(Msg::Head(Ok(head))) => {
                obs.head_at = Some(head.at - started);
                obs.status = Some(head.status);
                obs.reason = head.reason;
                obs.version = head.version.to_string();
                obs.headers = head.headers;
                obs.url = head.url;
                if head.status != 200 {
                    break Stop::Ended;
                }
                let encoding = obs
                    .header("content-encoding")
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase();
                if !client::can_decode(&encoding) {
                    obs.decode_error = Some(format!(
                        "the body is {encoding}-encoded, which doctor does not decode; timing is judged by bytes only"
                    ));
                }
            }
            Ok(Msg::Wire(at, n)) => obs.reads.push((at - started, n)),
            Ok(Msg::Bytes(at, wall, bytes)) => {
                let at = at - started;
                if obs.decode_error.is_some() {
                    continue;
                }
                let wall_ms = wall.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis());
                let events = &mut obs.events;
                let (mut comments, mut stamps, mut retry) = (0, 0, None);
                let fed = parser.feed_each(&bytes, |item| match item {
                    Item::Comment(text) => {
                        comments += 1;
                        if let Some(ms) = crate::event::parse_stamp(text) {
                            stamps += 1;
                            pending_stamp = Some(ms);
                        }
                    }
                    Item::Retry(ms) => retry = Some(ms),
                    Item::Event(ev) => events.push(Seen {
                        at,
                        delay: pending_stamp.take().map(|sent| {
                            Duration::from_millis(
                                u64::try_from(wall_ms.saturating_sub(sent)).unwrap_or(u64::MAX),
                            )
                        }),
                        has_id: ev.id_set,
                        event_type: ev.event_type.to_string(),
                        bytes: ev.data.len(),
                    }),
                });
                obs.comments += comments;
                obs.stamps += stamps;
                obs.retry = retry.or(obs.retry);
                if let Err(e) = fed {
                    obs.decode_error = Some(e.to_string());
                    break Stop::Ended;
                }
                if args.count.is_some_and(|n| obs.events.len() as u64 >= n) {
                    break Stop::Count;
                }
            }
            Ok(Msg::End(at, result)) => {
                let (clean, cause) = match result {
                    Ok(()) => (true, "the body ended".to_string()),
                    Err(cause) => (false, cause),
                };
                obs.end = Some(StreamEnd {
                    at: at - started,
                    clean,
                    cause,
                });
                break Stop::Ended;
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => break Stop::Ended,
        }
    };
    if obs.status.is_none() && obs.connect_error.is_none() && obs.stopped != Stop::Interrupted {
        obs.no_head = true;
    }
    obs.watched = started.elapsed();
    obs
}

/// The reader thread: request, head, then body reads until the end.
fn read_stream(req: &Request, tx: mpsc::Sender<Msg>) {
    let response = match client::open(req) {
        Ok(r) => r,
        Err(e) => {
            let cause = match e {
                Error::Connect { cause, .. } => cause,
                other => other.to_string(),
            };
            let _ = tx.send(Msg::Head(Err(cause)));
            return;
        }
    };
    let head = Head {
        at: Instant::now(),
        status: response.status,
        reason: response.reason.clone(),
        version: response.version,
        headers: response.headers.clone(),
        url: response.url.clone(),
    };
    let status = head.status;
    let encoding = response
        .header("content-encoding")
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if tx.send(Msg::Head(Ok(head))).is_err() || status != 200 {
        return;
    }
    let raw = Tap {
        inner: response.body,
        tx: tx.clone(),
    };
    // An encoding doctor cannot decode is still read, for its timing on the wire.
    let mut body = client::decode_body(Some(&encoding), raw).unwrap_or_else(|raw| Box::new(raw));
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        match body.read(&mut buf) {
            Ok(0) => {
                let _ = tx.send(Msg::End(Instant::now(), Ok(())));
                return;
            }
            Ok(n) => {
                if tx
                    .send(Msg::Bytes(
                        Instant::now(),
                        SystemTime::now(),
                        buf[..n].to_vec(),
                    ))
                    .is_err()
                {
                    return;
                }
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => {
                let _ = tx.send(Msg::End(Instant::now(), Err(io_message(&e))));
                return;
            }
        }
    }
}
