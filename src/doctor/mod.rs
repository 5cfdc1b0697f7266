//! `sse doctor`: connect like a browser, watch the stream into an `Observation`
//! (bounded summaries, see `observation`), work out what it means once (`analysis`),
//! judge it with the pure checks (`checks`, reading the table in `layers`), each giving
//! a `finding::Finding`, and report.

pub mod advice;
pub mod analysis;
pub mod checks;
pub mod finding;
pub mod layers;
pub mod mcp;
pub mod observation;
pub mod probes;
pub mod report;

use std::io::{self, IsTerminal, Read, Write};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::cli::{ColorChoice, DoctorArgs};
use crate::error::{io_message, Error};
use crate::format;
use crate::http::{self, Client, Request, Response};
use crate::parser::{Fed, Flow, Item, ParseError, Parser, DEFAULT_MAX_EVENT_SIZE};
use crate::sync::{lock, Interrupt};
use crate::term;

use analysis::Analysis;
use observation::{keep_text, Observation, Seen, Stop, StreamEnd, LAST_TEXT};

/// Longest last event ID kept for the resume probe (longer ones cannot be resent anyway).
const MAX_KEPT_ID: usize = 4096;
/// How long the body of a refusal (not 200) may take to show.
const ERROR_BODY_WAIT: Duration = Duration::from_secs(2);

pub fn run(args: DoctorArgs, color: ColorChoice) -> Result<ExitCode, Error> {
    term::init_color(color, io::stdout().is_terminal());
    // Ctrl-C wakes the watch and ends it early; the report of what was seen is still
    // printed.
    let interrupt = Interrupt::caught();
    let live = io::stderr().is_terminal() && !args.json;
    if live {
        announce(&args);
    }
    let req = request(&args)?;
    let client = Client::new(http::Protocol::from_flags(
        args.transport.http1_1,
        args.transport.http2,
        args.transport.http2_prior_knowledge,
    ));
    if mcp::wanted(&args, req.body.as_deref()) {
        return mcp::run(&args, &client, req);
    }
    let (mut observation, mut upstream) = watch(&client, &req, &args, interrupt, live);
    // An HTTP/2 response refused as malformed never opens in a browser: say so, and
    // watch the stream over HTTP/1.1 to show the rest (and the header to blame).
    // Only a request that may be repeated (a GET, or with --reconnect): the server has
    // already answered the first one.
    let refused_h2 = observation.h2_malformed
        && !interrupt.hit()
        && http::may_repeat(&req.method, args.reconnect);
    let client = if refused_h2 {
        let http1 = client.speaking(http::Protocol::Http1);
        (observation, upstream) = watch(&http1, &req, &args, interrupt, live);
        http1
    } else {
        client
    };
    let analysis = Analysis::of(&observation, args.max_delay);
    let mut findings = checks::run_all(&observation, &analysis);
    if refused_h2 {
        findings.push(probes::h2_malformed(&observation));
    }
    let answered = findings
        .first()
        .is_some_and(|f| f.status != finding::Status::Fail);
    if let (Some(up), Some(url)) = (&upstream, &args.compare) {
        findings.push(probes::judge_compare(&observation, up, url));
    }
    if answered && !args.no_probes && !interrupt.hit() {
        let probe = Probe {
            client: &client,
            req: &req,
            args: &args,
            // A probe sends the request again: only a GET, unless the user consents.
            may_repeat: http::may_repeat(&req.method, args.reconnect),
            interrupt,
            live,
            refused_h2,
        };
        findings.extend(probe.run_all(&observation, &analysis));
    }
    let mut out = io::stdout().lock();
    let written = if args.json {
        report::write_json(&mut out, &observation, &analysis, &findings)
    } else {
        report::write_text(
            &mut out,
            &observation,
            &findings,
            term::stdout_width(io::stdout().is_terminal()),
        )
    };
    written.and_then(|_| out.flush()).map_err(Error::Output)?;
    let failed = findings.iter().any(|f| f.status == finding::Status::Fail);
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// The line on a terminal saying what is watched, and for how long.
fn announce(args: &DoctorArgs) {
    let _ = writeln!(
        io::stderr().lock(),
        "watching {} for {}{} (Ctrl-C stops early)…",
        crate::escape::line(&args.url),
        format::typed(args.duration),
        args.count
            .map(|n| format!(" or {n} events"))
            .unwrap_or_default()
    );
}

/// The request as a browser sends it, with the user's method, body and headers.
fn request(args: &DoctorArgs) -> Result<Request, Error> {
    let asked = http::Asked {
        method: args.method.clone(),
        data: args.data.as_deref(),
        headers: &args.headers,
        timeout: args.timeout,
        insecure: args.transport.insecure,
    };
    Request::browser(&args.url, asked)
}

/// The watch: the URL, and beside it on the same clock the `--compare` URL if given.
fn watch(
    client: &Client,
    req: &Request,
    args: &DoctorArgs,
    interrupt: &Interrupt,
    live: bool,
) -> (Observation, Option<Observation>) {
    let started = Instant::now();
    let deadline = started + args.duration;
    let upstream = args.compare.as_ref().map(|url| {
        Watcher::start_at(
            client,
            Request {
                url: url.clone(),
                ..req.clone()
            },
            args.count,
            started,
        )
    });
    let watcher = Watcher::start_at(client, req.clone(), args.count, started);
    let observation = if live {
        watcher.wait(deadline, interrupt, live_line)
    } else {
        watcher.wait(deadline, interrupt, |_| {})
    };
    let upstream = upstream.map(|w| w.wait(deadline, interrupt, |_| {}));
    if live {
        let _ = write!(io::stderr().lock(), "\r\x1b[2K");
    }
    (observation, upstream)
}

/// The experiments after the watch, each on a connection of its own.
struct Probe<'a> {
    client: &'a Client,
    req: &'a Request,
    args: &'a DoctorArgs,
    may_repeat: bool,
    interrupt: &'a Interrupt,
    live: bool,
    /// The HTTP/2 response was refused (see [`probes::h2_malformed`]): no h2 probe.
    refused_h2: bool,
}

impl Probe<'_> {
    fn run_all(&self, obs: &Observation, a: &Analysis) -> Vec<finding::Finding> {
        let mut findings = vec![self.resume(obs)];
        if probes::compression_suspected(obs, a) {
            findings.push(self.compression(obs, a));
        }
        let over_h2 = obs.connection.as_ref().filter(|c| c.version == "HTTP/2");
        let https = self.req.url.to_ascii_lowercase().starts_with("https://");
        if let Some(conn) = over_h2 {
            findings.push(probes::watched_over_h2(conn, https));
            findings.extend(self.over_http1(obs, a));
        } else if !self.refused_h2 && https {
            self.say("http2: asking the server which protocols it offers…");
            let offered = probes::alpn(
                &self.req.url,
                self.args.transport.insecure,
                self.args.timeout,
            );
            let h2_offered = matches!(&offered, Ok(Some(p)) if p == "h2");
            findings.push(match self.over_h2_once(obs).filter(|_| h2_offered) {
                Some(finding) => finding,
                None => probes::http2_finding(&offered),
            });
        }
        findings
    }

    /// The watch was over HTTP/1.1 (`--http1.1`) and the server offers h2: opens the
    /// stream once over h2, as a browser would, to see whether it opens and how much room
    /// the connection has. `None` when not tried, or the attempt says nothing new.
    fn over_h2_once(&self, obs: &Observation) -> Option<finding::Finding> {
        if !self.may_repeat {
            return None;
        }
        self.say("http2: opening the stream over HTTP/2…");
        match self.client.speaking(http::Protocol::Http2).open(self.req) {
            Ok(response) => {
                let mut finding = probes::watched_over_h2(&response.conn, true);
                finding.seen =
                    format!("{}; this watch was over HTTP/1.1 (--http1.1)", finding.seen);
                Some(finding)
            }
            Err(Error::Connect {
                cause: http::Cause::Http2(r),
                ..
            }) if r.malformed() => Some(probes::h2_malformed(obs)),
            Err(_) => None,
        }
    }

    fn say(&self, what: &str) {
        if self.live {
            let _ = write!(io::stderr().lock(), "\r\x1b[2K{what}");
        }
    }

    /// Watches the stream again with `req` for at most the watch's duration.
    fn watch(&self, req: Request, count: Option<u64>) -> Option<Observation> {
        self.watch_with(self.client, req, count)
    }

    fn watch_with(&self, client: &Client, req: Request, count: Option<u64>) -> Option<Observation> {
        let deadline = Instant::now() + self.args.duration;
        let obs = Watcher::start(client, req, count).wait(deadline, self.interrupt, |_| {});
        (obs.stopped != Stop::Interrupted).then_some(obs)
    }

    /// A probe's `--count`: the user's, else as many events as the watch saw (a probe
    /// of a stream that does not end then stops as early as the watch did).
    fn count(&self, obs: &Observation) -> Option<u64> {
        self.args
            .count
            .or((obs.events.count > 0).then_some(obs.events.count))
    }

    /// The watch was over HTTP/2: watches again over HTTP/1.1 and compares when the
    /// head came and how the events arrived.
    fn over_http1(&self, obs: &Observation, a: &Analysis) -> Vec<finding::Finding> {
        let skipped = |why: String| {
            vec![
                probes::not_run("head", why.clone()),
                probes::not_run("arrival", why),
            ]
        };
        if !self.may_repeat {
            return skipped(advice::needs_consent(&self.req.method));
        }
        self.say("head: watching again over HTTP/1.1…");
        let client = self.client.speaking(http::Protocol::Http1);
        let Some(h1) = self.watch_with(&client, self.req.clone(), self.count(obs)) else {
            return skipped("interrupted".into());
        };
        let b = Analysis::of(&h1, self.args.max_delay);
        let over = |protocol, obs, a| probes::Watched { protocol, obs, a };
        probes::judge_protocols(over("HTTP/2", obs, a), over("HTTP/1.1", &h1, &b))
    }

    fn resume(&self, obs: &Observation) -> finding::Finding {
        if !self.may_repeat {
            return probes::not_run("resume", advice::needs_consent(&self.req.method));
        }
        let id = match probes::resume_from(obs) {
            Ok(id) => id,
            Err(why) => return probes::not_run("resume", why),
        };
        self.say("resume: reconnecting with the last event id…");
        let req = Request {
            last_event_id: Some(id.clone()),
            ..self.req.clone()
        };
        match self.watch(req, Some(1)) {
            Some(probe) => probes::resume_finding(&probes::judge_resume(obs, &id, &probe)),
            None => probes::not_run("resume", "interrupted"),
        }
    }

    fn compression(&self, obs: &Observation, a: &Analysis) -> finding::Finding {
        if !self.may_repeat {
            return probes::not_run("compression", advice::needs_consent(&self.req.method));
        }
        self.say("compression: watching again without compression…");
        let req = Request {
            accept_encoding: Some("identity"),
            ..self.req.clone()
        };
        match self.watch(req, self.count(obs)) {
            Some(identity) => {
                let b = Analysis::of(&identity, self.args.max_delay);
                probes::judge_compression(obs, a, &identity, &b)
            }
            None => probes::not_run("compression", "interrupted"),
        }
    }
}

/// The live line on a terminal: what has been seen so far.
fn live_line(obs: &Observation) {
    let last = obs
        .wire
        .last
        .map(|t| format!(", last byte at {}", format::ms(t)))
        .unwrap_or_default();
    let _ = write!(
        io::stderr().lock(),
        "\r\x1b[2K{}, {}, {}{last}",
        format::count(obs.events.count, "event"),
        format::count(obs.comments, "comment"),
        format::count(obs.wire.bytes, "byte")
    );
}

/// A watch in progress: a thread sends the request and records what it reads into
/// `shared`; the caller decides when to stop looking.
pub struct Watcher {
    shared: Arc<Mutex<Observation>>,
    done: mpsc::Receiver<Stop>,
    /// Ctrl-C's way to wake [`Watcher::wait`].
    wake: mpsc::SyncSender<Stop>,
    stop: Arc<AtomicBool>,
    started: Instant,
}

impl Watcher {
    /// Sends the request on its own thread, so the watch ends on time even while the
    /// head or a read is held back; the thread is left behind if it is still blocked.
    pub fn start(client: &Client, req: Request, count: Option<u64>) -> Watcher {
        Watcher::start_at(client, req, count, Instant::now())
    }

    /// As [`Watcher::start`], with times counted from `started` (two watches side by
    /// side share one clock).
    pub fn start_at(
        client: &Client,
        req: Request,
        count: Option<u64>,
        started: Instant,
    ) -> Watcher {
        let shared = Arc::new(Mutex::new(Observation {
            method: req.method.clone(),
            ..Observation::new(&req.url)
        }));
        let stop = Arc::new(AtomicBool::new(false));
        let (tx, done) = mpsc::sync_channel(1);
        let reader = Reader {
            client: client.clone(),
            shared: Arc::clone(&shared),
            stop: Arc::clone(&stop),
            started,
            count,
        };
        let wake = tx.clone();
        let spawned = thread::Builder::new()
            .name("doctor-read".into())
            .spawn(move || {
                let done = Done(tx);
                reader.run(&req, &done.0);
            });
        if let Err(e) = spawned {
            lock(&shared).connect_error = Some(format!("could not start a thread: {e}"));
        }
        Watcher {
            shared,
            done,
            wake,
            stop,
            started,
        }
    }

    /// Watches until `deadline`, Ctrl-C (which wakes it), or the reader stopping (end,
    /// count, error); `tick` sees the observation so far every quarter second.
    pub fn wait(
        self,
        deadline: Instant,
        interrupt: &Interrupt,
        mut tick: impl FnMut(&Observation),
    ) -> Observation {
        let woken = self.wake.clone();
        let waking = interrupt.on_hit(move || {
            let _ = woken.try_send(Stop::Interrupted);
        });
        let stopped = loop {
            // A reader that already stopped (a watch side by side may end first) says so
            // before the deadline is looked at.
            if let Ok(stop) = self.done.try_recv() {
                break stop;
            }
            if interrupt.hit() {
                break Stop::Interrupted;
            }
            let now = Instant::now();
            if now >= deadline {
                break Stop::Duration;
            }
            let step = (deadline - now).min(Duration::from_millis(250));
            match self.done.recv_timeout(step) {
                Ok(stop) => break stop,
                Err(RecvTimeoutError::Timeout) => tick(&lock(&self.shared)),
                Err(RecvTimeoutError::Disconnected) => break Stop::Ended,
            }
        };
        drop(waking);
        self.stop.store(true, Ordering::SeqCst);
        let mut obs = lock(&self.shared).clone();
        if obs.head.is_none() && obs.connect_error.is_none() && stopped != Stop::Interrupted {
            obs.no_head = true;
        }
        obs.finish(self.started.elapsed(), stopped);
        obs
    }
}

/// The reader thread's sender of how the watch stopped. A reader that panics still
/// says so (the watch's own sender keeps the channel open), and the watch ends with
/// what was recorded.
struct Done(mpsc::SyncSender<Stop>);

impl Drop for Done {
    fn drop(&mut self) {
        if thread::panicking() {
            let _ = self.0.try_send(Stop::Ended);
        }
    }
}

/// The reader thread's side of a watch.
struct Reader {
    client: Client,
    shared: Arc<Mutex<Observation>>,
    stop: Arc<AtomicBool>,
    started: Instant,
    count: Option<u64>,
}

/// When a read's items arrived (since the request, and on the wall clock for stamps),
/// and the `--count` that stops the watch.
struct Arrived {
    at: Duration,
    wall_ms: u128,
    count: Option<u64>,
}

impl Arrived {
    /// Records one parsed item; a `: sent-at` stamp waits in `pending_stamp` for the
    /// event after it. Stops at the `--count`th event: nothing after it is judged.
    fn record(
        &self,
        obs: &mut Observation,
        item: Item<'_>,
        pending_stamp: &mut Option<u128>,
    ) -> Flow {
        match item {
            Item::Comment(text) => {
                obs.comments += 1;
                if let Some(ms) = crate::event::parse_stamp(text) {
                    obs.stamps += 1;
                    *pending_stamp = Some(ms);
                }
            }
            Item::Retry(ms) => obs.retry = Some(ms),
            Item::Id(_) | Item::Ignored(_) => {}
            Item::Event(ev) => {
                obs.llm_event(self.at, &ev);
                obs.event(Seen {
                    at: self.at,
                    delay: pending_stamp.take().map(|sent| {
                        Duration::from_millis(
                            u64::try_from(self.wall_ms.saturating_sub(sent)).unwrap_or(u64::MAX),
                        )
                    }),
                    has_id: ev.id_set,
                    id: keep_text(ev.id),
                    event_type: keep_text(ev.event_type),
                    bytes: ev.data.len(),
                });
                if self.count.is_some_and(|n| obs.events.count >= n) {
                    return Flow::Stop;
                }
            }
        }
        Flow::Continue
    }
}

/// Records every read of the raw body, so timing is judged on the wire even when the
/// body is compressed.
struct Tap<R> {
    inner: R,
    shared: Arc<Mutex<Observation>>,
    started: Instant,
    /// Set when a read of the wire failed: then an error from the decoder above is the
    /// connection's, not the encoding's.
    failed: Arc<AtomicBool>,
}

impl<R: Read> Read for Tap<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf).inspect_err(|e| {
            if e.kind() != io::ErrorKind::Interrupted {
                self.failed.store(true, Ordering::SeqCst);
            }
        })?;
        if n > 0 {
            lock(&self.shared).read(self.started.elapsed(), n);
        }
        Ok(n)
    }
}

impl Reader {
    /// Request, head, then body reads until the end, the count, or the watch stopping.
    fn run(&self, req: &Request, done: &mpsc::SyncSender<Stop>) {
        if let Some(stopped) = self.watch(req, done) {
            let _ = done.send(stopped);
        }
    }

    /// The watch itself: how it stopped, or `None` once that was sent on `done` (a body
    /// being read is reported before it is dropped: closing a connection takes a while).
    fn watch(&self, req: &Request, done: &mpsc::SyncSender<Stop>) -> Option<Stop> {
        let response = match self.client.open(req) {
            Ok(r) => r,
            Err(e) => {
                let malformed = matches!(&e, Error::Connect { cause: http::Cause::Http2(r), .. }
                    if r.malformed());
                let cause = match e {
                    Error::Connect { cause, .. } => cause.to_string(),
                    other => other.to_string(),
                };
                let mut obs = lock(&self.shared);
                obs.connect_error = Some(cause);
                obs.h2_malformed = malformed;
                return Some(Stop::NoResponse);
            }
        };
        let mut response = response;
        // Where an API says why it refused (a 401's reason, a 429's limit).
        let error_body = (response.status != 200).then(|| response.error_body(ERROR_BODY_WAIT));
        let Response { head, body, conn } = response;
        let (status, encoding) = (
            head.status,
            head.header("content-encoding").unwrap_or("").to_string(),
        );
        {
            let mut obs = lock(&self.shared);
            obs.head_at = Some(self.started.elapsed());
            obs.head = Some(head);
            obs.connection = Some(conn);
            obs.error_body = error_body.unwrap_or_default();
            if status == 200 && !http::can_decode(&encoding) {
                obs.decode_error = Some(format!(
                    "the body is {}-encoded, which doctor does not decode; timing is judged by bytes only",
                    keep_text(encoding.trim())
                ));
            }
        }
        if status != 200 {
            return Some(Stop::Ended);
        }
        let wire_failed = Arc::new(AtomicBool::new(false));
        let raw = Tap {
            inner: body,
            shared: Arc::clone(&self.shared),
            started: self.started,
            failed: Arc::clone(&wire_failed),
        };
        // An encoding doctor cannot decode is still read, for its timing on the wire.
        let mut body = http::decode_body(Some(&encoding), raw).unwrap_or_else(|raw| Box::new(raw));
        let stopped = self.pump(&mut *body, &encoding, &wire_failed);
        let _ = done.send(stopped);
        drop(body);
        None
    }

    /// Reads, decodes and parses the body until it ends, the count is reached, or the
    /// watch stops.
    fn pump(&self, body: &mut dyn Read, encoding: &str, wire_failed: &AtomicBool) -> Stop {
        let mut parser = Parser::new(DEFAULT_MAX_EVENT_SIZE);
        let mut pending_stamp: Option<u128> = None;
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            if self.stop.load(Ordering::SeqCst) {
                return Stop::Duration;
            }
            let (n, at) = match body.read(&mut buf) {
                Ok(0) => return self.ended(Ok(())),
                Ok(n) => (n, self.started.elapsed()),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) if !wire_failed.load(Ordering::SeqCst) && !encoding.trim().is_empty() => {
                    // The wire was fine: the compressed body itself is broken.
                    lock(&self.shared).decode_error = Some(format!(
                        "the {}-encoded body could not be decoded: {}",
                        keep_text(encoding.trim()),
                        io_message(&e)
                    ));
                    return Stop::Ended;
                }
                Err(e) => return self.ended(Err(&e)),
            };
            let wall_ms = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_millis());
            let mut obs = lock(&self.shared);
            obs.decoded_bytes += n as u64;
            if obs.decode_error.is_some() {
                continue;
            }
            let arrived = Arrived {
                at,
                wall_ms,
                count: self.count,
            };
            let fed = parser.feed(&buf[..n], |item| {
                Ok::<_, ParseError>(arrived.record(&mut obs, item, &mut pending_stamp))
            });
            let id = parser.last_event_id();
            if id.len() <= MAX_KEPT_ID && obs.last_id != id {
                obs.last_id = id.to_string();
            }
            obs.unended = parser.mid_event();
            keep_end(&mut obs.last_text, &buf[..n]);
            match fed {
                Err(e) => {
                    obs.decode_error = Some(e.to_string());
                    return Stop::Ended;
                }
                Ok(Fed::Stopped(_)) => return Stop::Count,
                Ok(Fed::All) => {}
            }
        }
    }
}

/// Keeps the last [`LAST_TEXT`] bytes of the body in `kept`.
fn keep_end(kept: &mut Vec<u8>, read: &[u8]) {
    let read = &read[read.len().saturating_sub(LAST_TEXT)..];
    kept.extend_from_slice(read);
    let extra = kept.len().saturating_sub(LAST_TEXT);
    kept.drain(..extra);
}

impl Reader {
    fn ended(&self, result: Result<(), &io::Error>) -> Stop {
        let (clean, cause, reset) = match result {
            Ok(()) => (true, "the body ended".to_string(), None),
            Err(e) => (
                false,
                io_message(e),
                e.get_ref()
                    .and_then(|i| i.downcast_ref::<http::Reset>())
                    .cloned(),
            ),
        };
        lock(&self.shared).end = Some(StreamEnd {
            at: self.started.elapsed(),
            clean,
            cause,
            reset,
        });
        Stop::Ended
    }
}
