//! `sse tail`: connect, parse, filter, print; reconnect the way a browser's EventSource does.

use std::io::{self, IsTerminal, Read, Write};
use std::process::ExitCode;
use std::thread;
use std::time::{Duration, Instant};

use colored::Colorize;

use crate::cli::{ColorChoice, TailArgs};
use crate::client::{self, Request, Response};
use crate::error::{io_message, Error};
use crate::output::{Arrival, Buffer, Mode, Printer};
use crate::parser::{Item, Parser};
use crate::readahead::{Arrived, ReadAhead, READ_SIZE};
use crate::record::Recorder;
use crate::status::Console;
use crate::term;
use crate::value::Source;

/// Failed reconnection attempts back off, doubling up to this (or the retry time, if longer).
const MAX_BACKOFF: Duration = Duration::from_secs(60);
/// Output waiting for the flush point is written early past this size.
const OUTPUT_HIGH_WATER: usize = 1024 * 1024;

pub fn run(args: TailArgs, color: ColorChoice) -> Result<ExitCode, Error> {
    let stdout_tty = io::stdout().is_terminal();
    term::init_color(color, stdout_tty);
    let console = Console::new(
        io::stderr().is_terminal() && args.source != Source::Stdin,
        stdout_tty,
    );
    if io::stderr().is_terminal() {
        let c = console.clone();
        // Ctrl-C: take the status line away, then end as the shell expects.
        let _ = ctrlc::set_handler(move || {
            c.finish();
            std::process::exit(130);
        });
    }
    let mode = if args.json {
        Mode::Json
    } else if args.raw {
        Mode::Raw
    } else {
        Mode::Pretty
    };
    let recorder = match &args.record {
        Some(path) => Some(Recorder::create(path)?),
        None => None,
    };
    let mut tail = Tail {
        printer: Printer::new(mode),
        filter: args.events.clone(),
        count: args.count,
        shown: 0,
        verbose: args.verbose,
        max_event_size: args.max_event_size,
        out: Buffer::with_capacity(2 * READ_SIZE),
        stdout: io::stdout().lock(),
        console: console.clone(),
        recorder,
        last_event_at: None,
        reads: 0,
        retry: args
            .retry
            .map_or(client::DEFAULT_RETRY, Duration::from_millis),
    };
    let result = match &args.source {
        Source::Stdin => tail.read_stdin(),
        Source::Url(url) => tail.follow(url, &args),
    };
    console.finish();
    if let Some(recorder) = tail.recorder.as_mut() {
        recorder.finish()?;
    }
    result
}

/// How one stream (one connection, or stdin) ended.
enum End {
    /// `-n` events were shown.
    CountReached,
    /// The body ended normally.
    Eof,
    /// Reading failed: reset, timeout, a broken chunked body.
    Lost(io::Error),
}

struct Tail<W: Write> {
    printer: Printer,
    filter: Vec<String>,
    count: Option<u64>,
    shown: u64,
    verbose: bool,
    max_event_size: usize,
    /// Printed events waiting for the flush point.
    out: Buffer,
    stdout: W,
    console: Console,
    recorder: Option<Recorder>,
    last_event_at: Option<Instant>,
    /// Reads so far, across connections (see `Arrival::read`).
    reads: u64,
    retry: Duration,
}

impl<W: Write> Tail<W> {
    fn read_stdin(&mut self) -> Result<ExitCode, Error> {
        let mut parser = Parser::new(self.max_event_size);
        match self.pump(
            Box::new(io::stdin()),
            &mut parser,
            1,
            Instant::now(),
            "stdin",
        )? {
            End::Lost(e) => Err(Error::io("reading stdin", e)),
            End::CountReached | End::Eof => Ok(ExitCode::SUCCESS),
        }
    }

    fn follow(&mut self, url: &str, args: &TailArgs) -> Result<ExitCode, Error> {
        let body = args.data.as_deref().map(client::read_body).transpose()?;
        let method = args
            .method
            .clone()
            .unwrap_or_else(|| if body.is_some() { "POST" } else { "GET" }.into());
        let reconnect = !args.no_reconnect && (method == "GET" || args.reconnect);
        let mut req = Request {
            url: url.to_string(),
            method,
            headers: args.headers.clone(),
            body,
            last_event_id: args.last_event_id.clone(),
            timeout: args.timeout,
            insecure: args.insecure,
            accept_encoding: None,
        };
        let mut last_id = args.last_event_id.clone().unwrap_or_default();
        let mut connection = 0u32;
        let mut established = false;
        let mut failures = 0u32;
        loop {
            connection += 1;
            req.last_event_id = Some(last_id.clone()).filter(|id| client::header_safe(id));
            if req.last_event_id.is_none() && !last_id.is_empty() {
                self.console.line(&format!(
                    "{} the last event ID {last_id:?} has characters an HTTP header cannot carry; sending none",
                    "*".dimmed()
                ));
            }
            if self.verbose {
                self.show_request(&req);
            }
            let response = match client::open(&req) {
                Ok(r) => r,
                Err(e) if !established || !reconnect => return Err(e),
                Err(e) => {
                    failures += 1;
                    self.console.line(&format!("{} {e}", "*".dimmed()));
                    self.wait_before_reconnect(failures, &last_id);
                    continue;
                }
            };
            if self.verbose {
                self.show_response(&response);
            }
            response.check_event_stream(url)?;
            established = true;
            failures = 0;
            self.console.line(&format!(
                "{} connected to {} ({} {}{})",
                "*".dimmed(),
                response.url,
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
            let mut parser = Parser::new(self.max_event_size).with_last_event_id(&last_id);
            let opened = Instant::now();
            let encoding = response.header("content-encoding").map(str::to_string);
            let Response {
                body,
                url: final_url,
                ..
            } = response;
            // A server may compress even though we did not ask: decode what we can.
            let Ok(body) = client::decode_body(encoding.as_deref(), body) else {
                return Err(Error::Stream {
                    url: url.to_string(),
                    msg: format!(
                        "the response is {}-encoded, which sse cannot decode",
                        encoding.unwrap_or_default()
                    ),
                });
            };
            let end = self.pump(body, &mut parser, connection, opened, &final_url)?;
            last_id = parser.last_event_id().to_string();
            self.console.disconnected();
            let why = match end {
                End::CountReached => return Ok(ExitCode::SUCCESS),
                End::Eof => "the server closed the stream".to_string(),
                End::Lost(e) if is_timeout(&e) => {
                    let silent = args
                        .timeout
                        .map(|t| format!(" for {}", humantime::format_duration(t)))
                        .unwrap_or_default();
                    if !reconnect {
                        return Err(Error::Stream {
                            url: url.to_string(),
                            msg: format!("no data{silent} (--timeout)"),
                        });
                    }
                    format!("no data{silent}")
                }
                End::Lost(e) => format!("connection lost: {}", io_message(&e)),
            };
            if let Some(recorder) = self.recorder.as_mut() {
                recorder.closed(&why)?;
            }
            if !reconnect {
                self.console.line(&format!("{} {why}", "*".dimmed()));
                return Ok(ExitCode::SUCCESS);
            }
            self.console.line(&format!("{} {why}", "*".dimmed()));
            self.wait_before_reconnect(0, &last_id);
        }
    }

    /// Waits the reconnection time, doubled for each failed attempt in a row.
    fn wait_before_reconnect(&self, failures: u32, last_id: &str) {
        let cap = MAX_BACKOFF.max(self.retry);
        let wait = self.retry.saturating_mul(1u32 << failures.min(16)).min(cap);
        let with_id = if last_id.is_empty() {
            String::new()
        } else {
            format!(" with Last-Event-ID {last_id}")
        };
        self.console.line(&format!(
            "{} reconnecting in {} ms{with_id}",
            "*".dimmed(),
            wait.as_millis()
        ));
        thread::sleep(wait);
    }

    fn show_request(&self, req: &Request) {
        let mut lines = vec![format!("> {} {} HTTP/1.1", req.method, req.url)];
        lines.extend(
            req.header_lines()
                .into_iter()
                .map(|(n, v)| format!("> {n}: {v}")),
        );
        if let Some(body) = &req.body {
            lines.push(format!("> ({} byte body)", body.len()));
        }
        self.console.line(&lines.join("\n").dimmed().to_string());
    }

    fn show_response(&self, res: &Response) {
        let mut lines = vec![format!("< {} {} {}", res.version, res.status, res.reason)];
        lines.extend(res.headers.iter().map(|(n, v)| format!("< {n}: {v}")));
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
        let mut reads =
            ReadAhead::new(input, READ_SIZE).map_err(|e| Error::io("starting a thread", e))?;
        loop {
            let Arrived {
                bytes: chunk,
                at: now,
                wall,
            } = match reads.next_read() {
                Ok(None) => return Ok(End::Eof),
                Ok(Some(read)) => read,
                Err(e) => return Ok(End::Lost(e)),
            };
            let n = chunk.len();
            self.reads += 1;
            // The arrival time is printed by pretty and JSON output only.
            let time = if self.printer.mode == Mode::Raw {
                String::new()
            } else {
                humantime::format_rfc3339_millis(wall).to_string()
            };
            let mut write_error: Option<io::Error> = None;
            let mut record_error: Option<io::Error> = None;
            let mut cut = n;
            let mut stop = false;
            let mut events = 0u64;

            let Tail {
                printer,
                filter,
                count,
                shown,
                verbose,
                out,
                stdout,
                console,
                recorder,
                last_event_at,
                reads,
                retry,
                ..
            } = self;
            let parsed = console.with_stdout(|| {
                let result = parser.feed(chunk, |item| {
                    if stop || write_error.is_some() {
                        return;
                    }
                    let outcome = match item {
                        Item::Event(ev) => {
                            events += 1;
                            let gap = now - last_event_at.unwrap_or(opened);
                            *last_event_at = Some(now);
                            if let Some(Err(e)) = recorder.as_mut().map(|r| r.event(&ev, now)) {
                                record_error.get_or_insert(e);
                            }
                            let mut result = Ok(());
                            if filter.is_empty() || filter.iter().any(|t| t == ev.event_type) {
                                let arrival = Arrival {
                                    time: &time,
                                    gap,
                                    connection,
                                    read: *reads,
                                };
                                result = printer.event(out, &ev, &arrival);
                                if out.len() > OUTPUT_HIGH_WATER {
                                    result = result.and_then(|_| stdout.write_all(out.as_bytes()));
                                    out.clear();
                                }
                                *shown += 1;
                                if Some(*shown) == *count {
                                    stop = true;
                                    cut = ev.end;
                                }
                            }
                            result
                        }
                        Item::Comment(text) => {
                            if *verbose {
                                console.line(&format!(":{text}").dimmed().to_string());
                            }
                            if let Some(Err(e)) = recorder.as_mut().map(|r| r.comment(text, now)) {
                                record_error.get_or_insert(e);
                            }
                            Ok(())
                        }
                        Item::Retry(ms) => {
                            *retry = Duration::from_millis(ms);
                            if *verbose {
                                console.line(&format!(
                                    "{} reconnection time set to {ms} ms",
                                    "*".dimmed()
                                ));
                            }
                            Ok(())
                        }
                    };
                    if let Err(e) = outcome {
                        write_error = Some(e);
                    }
                });
                if write_error.is_none() {
                    // Raw bytes go straight out; printed events leave in one write.
                    let written = printer
                        .bytes(stdout, &chunk[..cut])
                        .and_then(|_| stdout.write_all(out.as_bytes()))
                        .and_then(|_| stdout.flush());
                    out.clear();
                    if let Err(e) = written {
                        write_error = Some(e);
                    }
                }
                result
            });
            console.arrived(n, events, now);
            if let Some(e) = write_error {
                return Err(Error::Output(e));
            }
            if let Some(r) = recorder.as_mut() {
                if let Some(e) = record_error {
                    return Err(r.write_error(e));
                }
                r.flush()?;
            }
            if let Err(e) = parsed {
                return Err(Error::Stream {
                    url: url.to_string(),
                    msg: e.to_string(),
                });
            }
            if stop {
                return Ok(End::CountReached);
            }
        }
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
