//! `sse tail`: connect, parse, filter, print; reconnect the way a browser's EventSource does.

use std::ffi::OsString;
use std::io::{self, IsTerminal, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use colored::Colorize;

use crate::cli::{ColorChoice, TailArgs};
use crate::client::{self, Request, Response};
use crate::error::{io_message, Error};
use crate::escape;
use crate::jq::Jq;
use crate::output::{Arrival, Buffer, Clock, Look, Mode, Printer, DONE};
use crate::parser::{Fed, Flow, Item, ParseError, Parser};
use crate::readahead::{ReadAhead, Waker, READ_SIZE};
use crate::record::Recorder;
use crate::stats::Stats;
use crate::status::Console;
use crate::term;
use crate::value::Source;

/// Failed reconnection attempts back off, doubling up to this (or the retry time, if longer).
const MAX_BACKOFF: Duration = Duration::from_secs(60);
/// How long the body of an error response may take to show (without `--timeout`).
const ERROR_BODY_WAIT: Duration = Duration::from_secs(5);
/// Output waiting for the flush point is written early past this size.
const OUTPUT_HIGH_WATER: usize = 1024 * 1024;

/// `sse tail`'s settings: the command line and the environment, resolved once (as
/// ripgrep turns `LowArgs` into `HiArgs`). Nothing below `run` reads flags, the
/// environment or whether a stream is a terminal.
#[derive(Debug, Clone)]
pub struct Config {
    pub input: Input,
    pub mode: Mode,
    /// Event types to show; all when empty.
    pub filter: Vec<String>,
    pub count: Option<u64>,
    pub verbose: bool,
    /// No lifecycle lines (errors are still shown).
    pub quiet: bool,
    pub max_event_size: usize,
    pub record: Option<PathBuf>,
    /// Reconnect when a stream ends (a GET, or `--reconnect`; not `--no-reconnect`).
    pub reconnect: bool,
    /// The reconnection time until the server sets one.
    pub retry: Duration,
    /// Give up connecting, or on a stream silent, for this long.
    pub timeout: Option<Duration>,
    /// Draw the live status line on stderr: only when stdout and stderr are both
    /// terminals, so it never lands in another program's output.
    pub status_line: bool,
    /// stderr is a terminal: Ctrl-C takes the status line away before the exit.
    pub stderr_tty: bool,
    /// How printed events look: colour, terminal width, clock.
    pub look: Look,
    /// The filter of `--jq` or `--text`.
    pub jq: Option<Jq>,
    /// Print the summary (`--stats`, or stderr is a terminal) at the end and on Ctrl-C.
    pub summary: bool,
}

/// Where the stream comes from.
#[derive(Debug, Clone)]
pub enum Input {
    Stdin,
    /// The first request; reconnections repeat it with the Last-Event-ID they have.
    Url(Request),
}

/// What `sse tail` takes from its surroundings, read once at the edge.
#[derive(Debug, Clone, Default)]
pub struct Env {
    pub stdout_tty: bool,
    pub stderr_tty: bool,
    pub no_color: Option<OsString>,
    pub term: Option<OsString>,
    /// stdout's width when it is a terminal.
    pub width: Option<usize>,
    /// The local time zone (TZ, else the system's).
    pub clock: Clock,
}

impl Env {
    pub fn read() -> Self {
        let stdout_tty = io::stdout().is_terminal();
        Env {
            stdout_tty,
            stderr_tty: io::stderr().is_terminal(),
            no_color: std::env::var_os("NO_COLOR"),
            term: std::env::var_os("TERM"),
            width: term::stdout_width(stdout_tty),
            clock: Clock::local(),
        }
    }
}

impl Config {
    /// Decides everything the flags and the environment decide. Reads a `-d @file`
    /// body, the one thing here that can fail.
    pub fn resolve(args: TailArgs, color: ColorChoice, env: &Env) -> Result<Config, Error> {
        let mode = if args.json {
            Mode::Json
        } else if args.raw {
            Mode::Raw
        } else if args.jq.is_some() {
            Mode::Jq
        } else if args.text.is_some() {
            Mode::Text
        } else {
            Mode::Pretty
        };
        let jq = match (&args.jq, &args.text) {
            (Some(code), _) => Some(("--jq", code.as_str())),
            (None, Some(code)) if code.is_empty() => Some(("--text", crate::jq::LLM_TEXT)),
            (None, Some(code)) => Some(("--text", code.as_str())),
            (None, None) => None,
        };
        let jq = jq
            .map(|(flag, code)| {
                Jq::compile(code).map_err(|e| Error::Usage(format!("{flag} '{code}': {e}")))
            })
            .transpose()?;
        let (input, reconnect) = match args.source {
            Source::Stdin => {
                // Flags only a request uses mean nothing here: say so rather than ignore them.
                let request_only = [
                    ("-H/--header", !args.headers.is_empty()),
                    ("-X/--method", args.method.is_some()),
                    ("-d/--data", args.data.is_some()),
                    ("--last-event-id", args.last_event_id.is_some()),
                    ("--retry", args.retry.is_some()),
                    ("-k/--insecure", args.insecure),
                    ("--reconnect", args.reconnect),
                ];
                if let Some((flag, _)) = request_only.iter().find(|(_, given)| *given) {
                    return Err(Error::Usage(format!(
                        "{flag} is for a URL: `sse tail -` reads standard input, with no request"
                    )));
                }
                (Input::Stdin, false)
            }
            Source::Url(url) => {
                let body = args.data.as_deref().map(client::read_body).transpose()?;
                let method = args
                    .method
                    .unwrap_or_else(|| if body.is_some() { "POST" } else { "GET" }.into());
                // Re-sending a POST can repeat an action or cost money: only when asked.
                let reconnect = !args.no_reconnect && (method == "GET" || args.reconnect);
                let request = Request {
                    url,
                    method,
                    headers: args.headers,
                    body,
                    last_event_id: args.last_event_id,
                    timeout: args.timeout,
                    insecure: args.insecure,
                    accept_encoding: None,
                };
                (Input::Url(request), reconnect)
            }
        };
        let stdin = matches!(input, Input::Stdin);
        let color = term::use_color(
            color,
            env.stdout_tty,
            env.no_color.as_deref(),
            env.term.as_deref(),
        );
        Ok(Config {
            input,
            mode,
            filter: args.events,
            count: args.count,
            verbose: args.verbose,
            quiet: args.quiet,
            max_event_size: args.max_event_size,
            record: args.record,
            reconnect,
            retry: args
                .retry
                .map_or(client::DEFAULT_RETRY, Duration::from_millis),
            timeout: args.timeout,
            // --text leaves its line open between events: a status line drawn on the
            // same terminal would wipe it.
            status_line: env.stderr_tty
                && env.stdout_tty
                && !stdin
                && !args.quiet
                && mode != Mode::Text,
            stderr_tty: env.stderr_tty,
            jq,
            summary: args.stats || (env.stderr_tty && !args.quiet),
            look: Look {
                color,
                terminal: env.stdout_tty,
                width: env.width,
                clock: if args.utc {
                    Clock::utc()
                } else {
                    env.clock.clone()
                },
            },
        })
    }
}

/// Runs `sse tail`, printing events to `out`.
pub fn run<W: Write>(args: TailArgs, color: ColorChoice, out: W) -> Result<ExitCode, Error> {
    let config = Config::resolve(args, color, &Env::read())?;
    colored::control::set_override(config.look.color);
    tail(&config, out)
}

/// `sse tail` with its settings decided.
pub fn tail<W: Write>(config: &Config, out: W) -> Result<ExitCode, Error> {
    let console = Console::new(config.status_line, config.look.terminal);
    let stats = config.summary.then(|| Stats::new(Instant::now()));
    let interrupt = Interrupt::default();
    if config.stderr_tty || stats.is_some() || config.record.is_some() {
        let (c, stats, interrupt) = (console.clone(), stats.clone(), interrupt.clone());
        // Ctrl-C: the run stops where it is and ends as usual (the recording finished,
        // the summary printed, the status line taken away), then exits 130 as the shell
        // expects. Should it be stuck where nothing wakes it (connecting), or on a
        // second Ctrl-C, the handler ends the process itself.
        let _ = ctrlc::set_handler(move || {
            if interrupt.trigger() && interrupt.stopping_within(STOP_GRACE) {
                return;
            }
            if let Some(stats) = &stats {
                c.line(&summary_line(stats));
            }
            c.finish();
            std::process::exit(130);
        });
    }
    let recorder = match &config.record {
        Some(path) => Some(Recorder::create(path)?),
        None => None,
    };
    let mut tail = Tail {
        config,
        printer: match &config.jq {
            Some(jq) => Printer::with_look(config.mode, config.look.clone()).with_jq(jq.clone()),
            None => Printer::with_look(config.mode, config.look.clone()),
        },
        stats: stats.clone(),
        shown: 0,
        out: Buffer::with_capacity(2 * READ_SIZE),
        stdout: out,
        console: console.clone(),
        recorder,
        last_event_at: None,
        reads: 0,
        retry: config.retry,
        heard: Instant::now(),
        interrupt,
    };
    let result = match &config.input {
        Input::Stdin => tail.read_stdin(),
        Input::Url(request) => tail.follow(request.clone()),
    };
    if let Some(stats) = &stats {
        if result.is_ok() || stats.summary(Instant::now()).events > 0 {
            console.line(&summary_line(stats));
        }
    }
    console.finish();
    if let Some(recorder) = tail.recorder.as_mut() {
        recorder.finish()?;
    }
    result
}

fn summary_line(stats: &Stats) -> String {
    format!("{} {}", "*".dimmed(), stats.summary(Instant::now()).line())
}

/// How one stream (one connection, or stdin) ended.
enum End {
    /// The printer asked to stop: `-n` events were shown, or the stream sent `[DONE]`.
    Stopped,
    /// The body ended normally.
    Eof,
    /// Reading failed: reset, timeout, a broken chunked body.
    Lost(io::Error),
    /// Ctrl-C.
    Interrupted,
}

/// The exit status after Ctrl-C, as a shell reports a process SIGINT ended.
fn interrupted() -> ExitCode {
    ExitCode::from(130)
}

/// How long Ctrl-C waits for the run to notice it before ending the process.
const STOP_GRACE: Duration = Duration::from_secs(2);

/// Ctrl-C, caught: a flag the loops check, and a way to wake what they wait on (a
/// read, or the pause before reconnecting).
#[derive(Clone, Default)]
struct Interrupt(Arc<InterruptState>);

#[derive(Default)]
struct InterruptState {
    hit: AtomicBool,
    /// The run has seen the flag and is finishing.
    stopping: Mutex<bool>,
    stopped: Condvar,
    /// The read the run waits on, if any.
    read: Mutex<Option<Waker>>,
    /// Guards the pause before a reconnection.
    pause: Mutex<()>,
    resume: Condvar,
}

impl Interrupt {
    /// Sets the flag and wakes the run; false when it was set already (a second Ctrl-C).
    fn trigger(&self) -> bool {
        if self.0.hit.swap(true, Ordering::SeqCst) {
            return false;
        }
        if let Some(waker) = lock(&self.0.read).as_ref() {
            waker.wake();
        }
        let _pause = lock(&self.0.pause);
        self.0.resume.notify_all();
        true
    }

    /// Whether Ctrl-C was pressed; the first call that sees it marks the run as stopping.
    fn hit(&self) -> bool {
        if !self.0.hit.load(Ordering::SeqCst) {
            return false;
        }
        *lock(&self.0.stopping) = true;
        self.0.stopped.notify_all();
        true
    }

    /// Waits (in the handler) until the run says it is stopping, at most `grace`.
    fn stopping_within(&self, grace: Duration) -> bool {
        let stopping = lock(&self.0.stopping);
        let (stopping, _) = self
            .0
            .stopped
            .wait_timeout_while(stopping, grace, |s| !*s)
            .unwrap_or_else(|p| p.into_inner());
        *stopping
    }

    /// The reads of one stream can be woken from now on (`None`: that stream is over).
    fn watch(&self, waker: Option<Waker>) {
        *lock(&self.0.read) = waker;
    }

    /// Sleeps `wait`, or less when Ctrl-C comes; true when it did.
    fn pause(&self, wait: Duration) -> bool {
        let guard = lock(&self.0.pause);
        let _ = self
            .0
            .resume
            .wait_timeout_while(guard, wait, |_| !self.0.hit.load(Ordering::SeqCst));
        self.hit()
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// A connection whose response is an event stream, ready to be read.
struct Stream {
    body: Box<dyn Read + Send>,
    /// Where it came from after redirects.
    url: String,
    opened: Instant,
}

/// The state of one run: what was printed, what is recorded, the reconnection time.
struct Tail<'c, W: Write> {
    config: &'c Config,
    printer: Printer,
    shown: u64,
    /// Printed events waiting for the flush point.
    out: Buffer,
    stdout: W,
    console: Console,
    recorder: Option<Recorder>,
    last_event_at: Option<Instant>,
    /// What the summary reports (`--stats`).
    stats: Option<Stats>,
    /// Reads so far, across connections (see `Arrival::read`).
    reads: u64,
    retry: Duration,
    /// When the server last sent anything (or the run started): `--timeout` measures
    /// silence from here, across reconnections.
    heard: Instant,
    interrupt: Interrupt,
}

impl<W: Write> Tail<'_, W> {
    fn read_stdin(&mut self) -> Result<ExitCode, Error> {
        let mut parser = Parser::new(self.config.max_event_size);
        let end = self.pump(
            Box::new(io::stdin()),
            &mut parser,
            1,
            Instant::now(),
            "stdin",
        )?;
        self.stream_ended()?;
        match end {
            End::Lost(e) if is_timeout(&e) => Err(self.silence("stdin", "")),
            End::Lost(e) => Err(Error::io("reading stdin", e)),
            End::Stopped | End::Eof => Ok(ExitCode::SUCCESS),
            End::Interrupted => self.interrupted(),
        }
    }

    /// The connection loop: connect, pump the stream, decide whether and when to
    /// connect again, as a browser's EventSource does.
    fn follow(&mut self, mut req: Request) -> Result<ExitCode, Error> {
        let url = req.url.clone();
        let mut last_id = req.last_event_id.clone().unwrap_or_default();
        let mut connection = 0u32;
        let mut established = false;
        let mut failures = 0u32;
        loop {
            connection += 1;
            let connected = self.connect(&mut req, &last_id);
            if self.interrupt.hit() {
                return self.interrupted();
            }
            let stream = match connected {
                Ok(Some(stream)) => stream,
                Ok(None) => {
                    self.lifecycle(&format!(
                        "{} {url}: the server answered 204 No Content: the stream is over",
                        "*".dimmed()
                    ));
                    return Ok(ExitCode::SUCCESS);
                }
                Err(e) if !established || !self.config.reconnect || !is_transient(&e) => {
                    return Err(e)
                }
                Err(e) => {
                    self.give_up_if_silent(&url, &format!("; the last attempt: {e}"))?;
                    failures += 1;
                    self.console.line(&format!(
                        "{} {}",
                        "*".dimmed(),
                        escape::line(&e.to_string())
                    ));
                    if self.wait_before_reconnect(failures, &last_id) {
                        return self.interrupted();
                    }
                    continue;
                }
            };
            established = true;
            failures = 0;
            let mut parser = Parser::new(self.config.max_event_size).with_last_event_id(&last_id);
            let end = self.pump(
                stream.body,
                &mut parser,
                connection,
                stream.opened,
                &stream.url,
            )?;
            self.stream_ended()?;
            last_id = parser.last_event_id().to_string();
            self.console.disconnected();
            let why = match end {
                End::Stopped => return Ok(ExitCode::SUCCESS),
                End::Interrupted => return self.interrupted(),
                End::Eof => "the server closed the stream".to_string(),
                End::Lost(e) if is_timeout(&e) => {
                    return Err(self.silence(&url, ""));
                }
                End::Lost(e) => format!("connection lost: {}", io_message(&e)),
            };
            if let Some(recorder) = self.recorder.as_mut() {
                recorder.closed(&why)?;
            }
            self.lifecycle(&format!("{} {}", "*".dimmed(), escape::line(&why)));
            if !self.config.reconnect {
                return Ok(ExitCode::SUCCESS);
            }
            self.give_up_if_silent(&url, "")?;
            if self.wait_before_reconnect(0, &last_id) {
                return self.interrupted();
            }
        }
    }

    /// Ctrl-C: the recording ends as a connection that closed there.
    fn interrupted(&mut self) -> Result<ExitCode, Error> {
        if let Some(recorder) = self.recorder.as_mut() {
            recorder.closed("interrupted (Ctrl-C)")?;
        }
        Ok(interrupted())
    }

    /// With `--timeout`: the server has been silent too long, reconnecting or not.
    fn give_up_if_silent(&self, url: &str, detail: &str) -> Result<(), Error> {
        match self.config.timeout {
            Some(limit) if self.heard.elapsed() >= limit => Err(self.silence(url, detail)),
            _ => Ok(()),
        }
    }

    fn silence(&self, url: &str, detail: &str) -> Error {
        let silent = self
            .config
            .timeout
            .map(|t| format!(" for {}", humantime::format_duration(t)))
            .unwrap_or_default();
        Error::Stream {
            url: url.to_string(),
            msg: format!("no data{silent} (--timeout){detail}"),
        }
    }

    /// A connection lifecycle line on stderr, unless `--quiet`.
    fn lifecycle(&self, text: &str) {
        if !self.config.quiet {
            self.console.line(text);
        }
    }

    /// Opens one connection and checks that it is an event stream; `None` when the
    /// server answered 204, the standard's "stop reconnecting".
    fn connect(&mut self, req: &mut Request, last_id: &str) -> Result<Option<Stream>, Error> {
        req.last_event_id = Some(last_id.to_string()).filter(|id| client::header_safe(id));
        if req.last_event_id.is_none() && !last_id.is_empty() {
            self.lifecycle(&format!(
                "{} the last event ID \"{}\" has characters an HTTP header cannot carry; sending none",
                "*".dimmed(),
                escape::line(last_id)
            ));
        }
        if self.config.verbose {
            self.show_request(req);
        }
        if let Some(stats) = &self.stats {
            stats.requesting(Instant::now());
        }
        let mut response = client::open(req)?;
        if let Some(stats) = &self.stats {
            stats.first_byte(Instant::now());
        }
        if self.config.verbose {
            self.show_response(&response);
        }
        if response.status == 204 {
            return Ok(None);
        }
        response.check_event_stream(
            &req.url,
            req.timeout.unwrap_or(ERROR_BODY_WAIT),
            self.config.mode == Mode::Raw,
        )?;
        self.lifecycle(&format!(
            "{} connected to {} ({} {}{})",
            "*".dimmed(),
            escape::line(&response.url),
            response.version,
            response.status,
            if response.reason.is_empty() {
                String::new()
            } else {
                format!(" {}", response.reason)
            }
        ));
        self.console.connected();
        if let Some(recorder) = self.recorder.as_mut() {
            recorder.connected(&response.headers)?;
        }
        let encoding = response.header("content-encoding").map(str::to_string);
        let Response {
            body,
            head: client::Head { url, .. },
        } = response;
        // A server may compress even though we did not ask: decode what we can.
        let Ok(body) = client::decode_body(encoding.as_deref(), body) else {
            return Err(Error::Stream {
                url: req.url.clone(),
                msg: format!(
                    "the response is {}-encoded, which sse cannot decode",
                    encoding.unwrap_or_default()
                ),
            });
        };
        Ok(Some(Stream {
            body,
            url,
            opened: Instant::now(),
        }))
    }

    /// Waits the reconnection time, doubled for each failed attempt in a row; true
    /// when Ctrl-C cut the wait short.
    fn wait_before_reconnect(&self, failures: u32, last_id: &str) -> bool {
        let cap = MAX_BACKOFF.max(self.retry);
        let wait = self.retry.saturating_mul(1u32 << failures.min(16)).min(cap);
        let with_id = if last_id.is_empty() {
            String::new()
        } else {
            format!(" with Last-Event-ID {}", escape::line(last_id))
        };
        self.lifecycle(&format!(
            "{} reconnecting in {} ms{with_id}",
            "*".dimmed(),
            wait.as_millis()
        ));
        self.interrupt.pause(wait)
    }

    /// `-v`: the request as sent (header values escaped: the Last-Event-ID came from
    /// the server).
    fn show_request(&self, req: &Request) {
        let mut lines = vec![format!(
            "> {} {} HTTP/1.1",
            req.method,
            escape::line(&req.url)
        )];
        lines.extend(
            req.header_lines()
                .into_iter()
                .map(|(n, v)| format!("> {}: {}", escape::line(&n), escape::line(&v))),
        );
        if let Some(body) = &req.body {
            lines.push(format!("> ({} byte body)", body.len()));
        }
        self.console.line(&lines.join("\n").dimmed().to_string());
    }

    /// `-v`: the response head, escaped.
    fn show_response(&self, res: &Response) {
        let mut lines = vec![format!("< {} {} {}", res.version, res.status, res.reason)];
        lines.extend(
            res.headers
                .iter()
                .map(|(n, v)| format!("< {}: {}", escape::line(n), escape::line(v))),
        );
        self.console.line(&lines.join("\n").dimmed().to_string());
    }

    /// Reads one stream to its end, printing as events complete and flushing before
    /// waiting for the next read. The reads happen on their own thread (`ReadAhead`),
    /// so the next one overlaps with printing this one.
    fn pump(
        &mut self,
        input: Box<dyn Read + Send>,
        parser: &mut Parser,
        connection: u32,
        opened: Instant,
        url: &str,
    ) -> Result<End, Error> {
        // A connection's reads time out in the HTTP client; stdin has no such limit.
        let silence = match self.config.input {
            Input::Stdin => self.config.timeout,
            Input::Url(_) => None,
        };
        let mut reads = ReadAhead::new(input, READ_SIZE)
            .map_err(|e| Error::io("starting a thread", e))?
            .with_silence_limit(silence);
        self.interrupt.watch(Some(reads.waker()));
        let end = self.pump_reads(&mut reads, parser, connection, opened, url);
        self.interrupt.watch(None);
        end
    }

    fn pump_reads(
        &mut self,
        reads: &mut ReadAhead,
        parser: &mut Parser,
        connection: u32,
        opened: Instant,
        url: &str,
    ) -> Result<End, Error> {
        let console = self.console.clone();
        loop {
            if self.interrupt.hit() {
                return Ok(End::Interrupted);
            }
            let read = match reads.next_read() {
                Ok(None) => return Ok(End::Eof),
                Ok(Some(read)) => read,
                Err(_) if self.interrupt.hit() => return Ok(End::Interrupted),
                Err(e) => return Ok(End::Lost(e)),
            };
            self.reads += 1;
            self.heard = read.at;
            if let Some(stats) = &self.stats {
                stats.first_byte(read.at);
            }
            let at = ReadAt {
                now: read.at,
                opened,
                arrival: Arrival {
                    wall: read.wall,
                    gap: Duration::ZERO,
                    connection,
                    read: self.reads,
                },
            };
            let mut events = 0u64;
            let fed = console.with_stdout(|| {
                let fed = parser.feed(read.bytes, |item| {
                    events += u64::from(matches!(item, Item::Event(_)));
                    self.item(item, &at)
                });
                // Raw output ends where the parser stopped; printed events leave in one write.
                let cut = match fed {
                    Ok(Fed::Stopped(at)) => at,
                    Err(PumpError::Output(_)) => return fed,
                    _ => read.bytes.len(),
                };
                self.write_out(&read.bytes[..cut])
                    .map_err(PumpError::Output)?;
                fed
            });
            console.arrived(read.bytes.len(), events, read.at);
            if let Some(notice) = self.printer.take_notice() {
                console.line(&format!("sse: {notice}"));
            }
            let fed = fed.map_err(|e| match e {
                PumpError::Output(e) => Error::Output(e),
                PumpError::Parse(e) => Error::Stream {
                    url: url.to_string(),
                    msg: e.to_string(),
                },
                PumpError::Record(e) => match &self.recorder {
                    Some(r) => r.write_error(e),
                    None => Error::io("recording", e),
                },
            })?;
            if let Some(r) = self.recorder.as_mut() {
                r.flush()?;
            }
            if let Fed::Stopped(_) = fed {
                return Ok(End::Stopped);
            }
        }
    }

    /// One item of the stream: recorded, filtered, printed. `Stop` once `-n` is reached.
    fn item(&mut self, item: Item<'_>, at: &ReadAt) -> Result<Flow, PumpError> {
        if let Some(r) = self.recorder.as_mut() {
            r.item(&item, at.now).map_err(PumpError::Record)?;
        }
        match item {
            Item::Event(ev) => {
                let gap = at.now - self.last_event_at.unwrap_or(at.opened);
                self.last_event_at = Some(at.now);
                if ev.data == DONE {
                    // The stream says it is finished: a normal end, not an event.
                    let arrival = Arrival { gap, ..at.arrival };
                    self.printer
                        .done(&mut self.out, &arrival)
                        .map_err(PumpError::Output)?;
                    return Ok(Flow::Stop);
                }
                if let Some(stats) = &self.stats {
                    stats.event(at.now);
                }
                if !(self.config.filter.is_empty()
                    || self.config.filter.iter().any(|t| t == ev.event_type))
                {
                    return Ok(Flow::Continue);
                }
                let arrival = Arrival { gap, ..at.arrival };
                self.printer
                    .event(&mut self.out, &ev, &arrival)
                    .map_err(PumpError::Output)?;
                if self.out.len() > OUTPUT_HIGH_WATER {
                    self.stdout
                        .write_all(self.out.as_bytes())
                        .map_err(PumpError::Output)?;
                    self.out.clear();
                }
                self.shown += 1;
                if Some(self.shown) == self.config.count {
                    return Ok(Flow::Stop);
                }
            }
            Item::Comment(text) => {
                if self.config.verbose {
                    let comment = format!(":{}", escape::line(text));
                    self.console.line(&comment.dimmed().to_string());
                }
            }
            Item::Retry(ms) => {
                self.retry = Duration::from_millis(ms);
                if self.config.verbose {
                    self.console.line(&format!(
                        "{} reconnection time set to {ms} ms",
                        "*".dimmed()
                    ));
                }
            }
            Item::Id(id) => {
                if self.config.verbose {
                    self.console.line(&format!(
                        "{} last event ID set to \"{}\" (a block without data)",
                        "*".dimmed(),
                        escape::line(id)
                    ));
                }
            }
        }
        Ok(Flow::Continue)
    }

    /// A stream ended: the printer finishes what it has open (`--text`'s line), and
    /// says how many more events the filter failed on.
    fn stream_ended(&mut self) -> Result<(), Error> {
        self.printer.end(&mut self.out).map_err(Error::Output)?;
        self.write_out(&[]).map_err(Error::Output)?;
        if let Some(notice) = self.printer.take_notice() {
            self.console.line(&format!("sse: {notice}"));
        }
        Ok(())
    }

    /// Writes what one read produced: raw bytes (raw mode) and the printed events.
    fn write_out(&mut self, raw: &[u8]) -> io::Result<()> {
        let written = self
            .printer
            .bytes(&mut self.stdout, raw)
            .and_then(|_| self.stdout.write_all(self.out.as_bytes()))
            .and_then(|_| self.stdout.flush());
        self.out.clear();
        written
    }
}

/// When the read being parsed arrived.
struct ReadAt {
    now: Instant,
    /// When this connection opened: the first event's gap is measured from it.
    opened: Instant,
    /// The same for every event of the read, but the gap.
    arrival: Arrival,
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

/// A read that timed out: std's kinds, or ureq's per-read timeout inside an io::Error.
fn is_timeout(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock
    ) || e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<ureq::Error>())
        .is_some_and(|u| matches!(u, ureq::Error::Timeout(_)))
}

/// A failure to connect that a reconnection may get past (refused, reset, DNS); a
/// status or Content-Type that is not a stream's ends the stream for good.
fn is_transient(e: &Error) -> bool {
    matches!(e, Error::Connect { .. })
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser as _;

    fn config(argv: &[&str], env: &Env) -> Config {
        let cli = crate::cli::Cli::try_parse_from([&["sse", "tail"][..], argv].concat()).unwrap();
        let crate::cli::Command::Tail(args) = cli.command else {
            unreachable!()
        };
        Config::resolve(args, cli.color, env).unwrap()
    }

    #[test]
    fn settings_are_decided_once_from_flags_and_environment() {
        let tty = Env {
            stdout_tty: true,
            stderr_tty: true,
            ..Env::default()
        };
        let c = config(&[":8080/e"], &tty);
        assert!(c.look.color && c.status_line && c.reconnect);
        // --text keeps a line open on the terminal: no status line to wipe it.
        assert!(!config(&[":8080/e", "--text"], &tty).status_line);
        assert_eq!(c.retry, client::DEFAULT_RETRY);
        assert_eq!(c.mode, Mode::Pretty);
        let Input::Url(req) = &c.input else {
            panic!("a URL")
        };
        assert_eq!(
            (req.url.as_str(), req.method.as_str()),
            ("http://localhost:8080/e", "GET")
        );

        let no_color = Env {
            no_color: Some("1".into()),
            ..tty.clone()
        };
        assert!(!config(&[":8080/e"], &no_color).look.color);
        assert!(
            config(&["--color", "always", ":8080/e"], &no_color)
                .look
                .color
        );

        // A body implies POST, which is not re-sent unless asked.
        let c = config(&[":1/e", "-d", "{}", "--retry", "10"], &tty);
        assert!(!c.reconnect);
        assert_eq!(c.retry, Duration::from_millis(10));
        assert!(config(&[":1/e", "-d", "{}", "--reconnect"], &tty).reconnect);
        assert!(!config(&[":1/e", "--no-reconnect"], &tty).reconnect);

        // Flags for a request are usage errors with stdin, not ignored.
        for flag in [
            &["-H", "X: y"][..],
            &["-X", "POST"],
            &["-d", "x"],
            &["--last-event-id", "5"],
            &["--retry", "5"],
            &["-k"],
            &["--reconnect"],
        ] {
            let cli = crate::cli::Cli::try_parse_from([&["sse", "tail", "-"][..], flag].concat())
                .unwrap();
            let crate::cli::Command::Tail(args) = cli.command else {
                unreachable!()
            };
            let err = Config::resolve(args, cli.color, &tty).unwrap_err();
            assert!(
                matches!(&err, Error::Usage(msg) if msg.contains(&flag[0][1..]) && msg.contains("sse tail -")),
                "{flag:?}: {err}"
            );
        }

        // stdin has no connection to show a status for.
        let c = config(&["-", "--json"], &tty);
        assert!(matches!(c.input, Input::Stdin) && !c.status_line && c.mode == Mode::Json);
        assert!(!config(&[":1/e"], &Env::default()).status_line);
    }
}
