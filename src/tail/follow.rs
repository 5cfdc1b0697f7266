//! The reconnection loop: connect, check the response is a stream, pump it, and decide
//! whether and when to connect again, as a browser's EventSource does.

use std::io::{Read, Write};
use std::process::ExitCode;
use std::time::{Duration, Instant, SystemTime};

use colored::Colorize;

use super::mcp::JsonAnswer;
use super::reader::Reader;
use super::settings::Framing;
use super::{pump, Conn, End, Run};
use crate::error::{io_message, Error};
use crate::escape;
use crate::http::{self, Request, Response};
use crate::output::Mode;

/// Failed reconnection attempts back off, doubling up to this (or the retry time, if longer).
const MAX_BACKOFF: Duration = Duration::from_secs(60);
/// The least a backed-off wait starts from, whatever the retry time.
const MIN_BACKOFF: Duration = Duration::from_millis(100);
/// A stream that ends sooner than this after it opened counts as a quick end: quick
/// ends in a row back off as failures do (a server that closes at once, with
/// `retry: 0`, is not reconnected in a tight loop).
const QUICK_END: Duration = Duration::from_secs(1);
/// How long the body of an error response may take to show (without `--timeout`).
const ERROR_BODY_WAIT: Duration = Duration::from_secs(5);

/// What one attempt to connect gave.
enum Opened {
    Stream(Stream),
    /// 204 No Content: the standard's "stop reconnecting".
    NoContent,
    /// MCP's 202 Accepted: a notification or response taken, with no answer.
    Accepted,
    /// Ctrl-C, while connecting.
    Interrupted,
}

/// A connection whose response is an event stream, ready to be read.
struct Stream {
    body: Box<dyn Read + Send>,
    /// Where it came from after redirects.
    url: String,
    opened: Instant,
    /// How its bytes are read.
    framing: Framing,
}

impl<W: Write> Run<'_, W> {
    /// The connection loop.
    pub(super) fn follow(&mut self, mut req: Request) -> Result<ExitCode, Error> {
        let url = req.url.clone();
        let mut last_id = req.last_event_id.clone().unwrap_or_default();
        let mut number = 0u32;
        let mut established = false;
        let mut failures = 0u32;
        let mut quick_ends = 0u32;
        loop {
            number += 1;
            let stream = match self.connect(&mut req, &last_id) {
                _ if self.interrupt.hit() => return self.interrupted(),
                Ok(Opened::Stream(stream)) => stream,
                Ok(Opened::Interrupted) => return self.interrupted(),
                Ok(Opened::NoContent) => {
                    self.lifecycle(&format!(
                        "{} {url}: the server answered 204 No Content: the stream is over",
                        "*".dimmed()
                    ));
                    return Ok(ExitCode::SUCCESS);
                }
                Ok(Opened::Accepted) => {
                    self.lifecycle(&format!(
                        "{} {url}: 202 Accepted: the server took the message (a notification or a response gets no answer)",
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
                    let line = format!("{} {}", "*".dimmed(), escape::line(&e.to_string()));
                    self.side.console.line(&line);
                    if self.wait_before_reconnect(failures, &last_id) {
                        return self.interrupted();
                    }
                    continue;
                }
            };
            established = true;
            failures = 0;
            let mut reader = Reader::new(
                stream.framing,
                self.config.max_event_size,
                &last_id,
                self.config.verbose,
            );
            let conn = Conn {
                number,
                opened: stream.opened,
                url: stream.url,
            };
            self.progress.llm.new_stream();
            let end = self.pump(stream.body, &mut reader, &conn)?;
            self.stream_ended()?;
            self.unfinished(&reader);
            last_id = reader.last_event_id().to_string();
            self.side.console.disconnected();
            let lost = matches!(end, End::Lost(_));
            let why = match end {
                End::Stopped => return self.stopped(&url),
                End::Interrupted => return self.interrupted(),
                End::Eof => "the server closed the stream".to_string(),
                End::Lost(e) if pump::is_timeout(&e) => return Err(self.silence(&url, "")),
                End::Lost(e) => match e.get_ref().and_then(|i| i.downcast_ref::<http::Reset>()) {
                    Some(reset) => reset.after(conn.opened.elapsed()),
                    None => format!("connection lost: {}", io_message(&e)),
                },
            };
            if let Some(recorder) = self.side.recorder.as_mut() {
                recorder.closed(&why)?;
            }
            self.lifecycle(&format!("{} {}", "*".dimmed(), escape::line(&why)));
            match self.mcp_resume(&mut req, &last_id, &url) {
                Some(Err(e)) => return Err(e),
                Some(Ok(())) if self.wait_before_reconnect(0, &last_id) => {
                    return self.interrupted()
                }
                Some(Ok(())) => continue,
                None => {}
            }
            if !self.config.reconnect {
                let cut = if lost && (reader.mid_event() || req.method != "GET") {
                    Some(format!("{why}, before the stream ended"))
                } else {
                    reader.cut().map(|at| format!("{why} {at}"))
                };
                return self.ended_for_good(&url, cut);
            }
            self.give_up_if_silent(&url, "")?;
            quick_ends = if conn.opened.elapsed() < QUICK_END {
                quick_ends + 1
            } else {
                0
            };
            if self.wait_before_reconnect(quick_ends.saturating_sub(1), &last_id) {
                return self.interrupted();
            }
        }
    }

    /// The stream ended and is not reconnected: a success only when nothing was cut, a
    /// stream that promised an end sent it, and no event (or a POST's answer) was lost
    /// mid-way.
    fn ended_for_good(&self, url: &str, cut: Option<String>) -> Result<ExitCode, Error> {
        let Some(msg) = self.progress.llm.cut().or(cut) else {
            return Ok(ExitCode::SUCCESS);
        };
        Err(Error::Stream {
            url: url.to_string(),
            msg,
        })
    }

    /// With `--timeout`: the server has been silent too long, reconnecting or not.
    fn give_up_if_silent(&self, url: &str, detail: &str) -> Result<(), Error> {
        match self.config.timeout {
            Some(limit) if self.progress.heard.elapsed() >= limit => Err(self.silence(url, detail)),
            _ => Ok(()),
        }
    }

    pub(super) fn silence(&self, url: &str, detail: &str) -> Error {
        let silent = self
            .config
            .timeout
            .map(|t| format!(" for {}", crate::format::typed(t)))
            .unwrap_or_default();
        Error::Stream {
            url: url.to_string(),
            msg: format!("no data{silent} (--timeout){detail}"),
        }
    }

    /// Opens one connection (Ctrl-C interrupts the wait) and checks that it is an
    /// event stream.
    fn connect(&mut self, req: &mut Request, last_id: &str) -> Result<Opened, Error> {
        req.last_event_id = Some(last_id.to_string()).filter(|id| http::header_safe(id));
        if req.last_event_id.is_none() && !last_id.is_empty() {
            self.lifecycle(&format!(
                "{} the last event ID \"{}\" has characters an HTTP header cannot carry; sending none",
                "*".dimmed(),
                escape::line(last_id)
            ));
        }
        if let Some(stats) = &mut self.side.stats {
            stats.requesting(Instant::now());
        }
        self.mcp_prepare(req);
        if req.body.is_some() {
            self.sink.requested(SystemTime::now());
        }
        let (sent, client) = (req.clone(), self.client.clone());
        let opened = self
            .interrupt
            .run("connect", move || client.open(&sent))
            .map_err(|e| Error::io("starting a thread", e))?;
        let Some(response) = opened else {
            return Ok(Opened::Interrupted);
        };
        if self.config.verbose {
            // As sent: in HTTP/2's form once the server chose it.
            let version = response.as_ref().map_or("HTTP/1.1", |r| r.conn.version);
            self.show_request(req, version);
        }
        let response = response?;
        if let Some(stats) = &mut self.side.stats {
            stats.first_byte(Instant::now());
        }
        if self.config.verbose {
            self.show_response(&response);
        }
        if response.status == 204 {
            return Ok(Opened::NoContent);
        }
        let session = self.mcp_response(&response, req);
        if response.status == 202 && self.progress.mcp.is_some() {
            return Ok(Opened::Accepted);
        }
        let stream = self.accept(response, req)?;
        if let Some(line) = session {
            self.lifecycle(&line);
        }
        Ok(Opened::Stream(stream))
    }

    /// The response is an event stream (or says why not): shown, recorded, decoded.
    fn accept(&mut self, mut response: Response, req: &Request) -> Result<Stream, Error> {
        // An MCP server's single JSON answer is shown as one event (read as SSE from
        // JsonAnswer); a JSON stream's type (or a forced --format) is a stream too.
        let json_answer = self.mcp_json_answer(&response);
        let framing = if json_answer {
            Some(Framing::Sse)
        } else {
            self.config.framing.for_media_type(&response.media_type())
        };
        response.check_event_stream(
            &req.url,
            req.timeout.unwrap_or(ERROR_BODY_WAIT),
            self.config.mode == Mode::Raw || framing.is_some(),
        )?;
        let framing = framing.unwrap_or(Framing::Sse);
        let reading = match framing {
            Framing::Json(format) => format!(", read as {}: each value an event", format.name()),
            _ => String::new(),
        };
        let reason = if response.reason.is_empty() {
            String::new()
        } else {
            format!(" {}", response.reason)
        };
        self.lifecycle(&format!(
            "{} connected to {} ({} {}{reason}){reading}",
            "*".dimmed(),
            escape::line(&response.url),
            response.conn.version,
            response.status,
        ));
        self.side.console.connected();
        if let Some(recorder) = self.side.recorder.as_mut() {
            recorder.connected(&response.headers)?;
        }
        let encoding = response.header("content-encoding").map(str::to_string);
        let Response {
            body,
            head: http::Head { url, .. },
            ..
        } = response;
        // A server may compress even though we did not ask: decode what we can.
        let Ok(body) = http::decode_body(encoding.as_deref(), body) else {
            return Err(Error::Stream {
                url: req.url.clone(),
                msg: format!(
                    "the response is {}-encoded, which sse cannot decode",
                    encoding.unwrap_or_default()
                ),
            });
        };
        let body = if json_answer {
            Box::new(JsonAnswer::new(body, self.config.max_event_size))
        } else {
            body
        };
        Ok(Stream {
            body,
            url,
            opened: Instant::now(),
            framing,
        })
    }

    /// Waits the reconnection time, doubled for each failed attempt in a row; true
    /// when Ctrl-C cut the wait short.
    fn wait_before_reconnect(&self, failures: u32, last_id: &str) -> bool {
        let retry = self.progress.retry;
        let cap = MAX_BACKOFF.max(retry);
        // Backing off from a `retry: 0` must still back off.
        let base = if failures > 0 {
            retry.max(MIN_BACKOFF)
        } else {
            retry
        };
        let wait = base.saturating_mul(1u32 << failures.min(16)).min(cap);
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
    /// the server); over HTTP/2, its pseudo-headers and lowercase names.
    fn show_request(&self, req: &Request, version: &str) {
        let h2 = version == "HTTP/2";
        let mut lines = if h2 {
            http::pseudo_headers(req)
                .into_iter()
                .map(|(n, v)| format!("> {n}: {}", escape::line(&v)))
                .collect()
        } else {
            vec![format!(
                "> {} {} HTTP/1.1",
                req.method,
                escape::line(&req.url)
            )]
        };
        lines.extend(req.header_lines().into_iter().map(|(n, v)| {
            let n = if h2 { n.to_ascii_lowercase() } else { n };
            format!("> {}: {}", escape::line(&n), escape::line(&v))
        }));
        if let Some(body) = &req.body {
            lines.push(format!("> ({} byte body)", body.len()));
        }
        self.side
            .console
            .line(&lines.join("\n").dimmed().to_string());
    }

    /// `-v`: the response head, escaped.
    fn show_response(&self, res: &Response) {
        let mut lines = vec![format!(
            "< {} {} {}",
            res.conn.version, res.status, res.reason
        )];
        lines.extend(
            res.headers
                .iter()
                .map(|(n, v)| format!("< {}: {}", escape::line(n), escape::line(v))),
        );
        if let Some(settings) = &res.conn.settings {
            lines.push(format!(
                "* HTTP/2 SETTINGS from the server: {}",
                settings.shown()
            ));
            lines.push(format!(
                "* HTTP/2 SETTINGS sent: ENABLE_PUSH 0, INITIAL_WINDOW_SIZE {w}; connection window {w}",
                w = http::CLIENT_WINDOW
            ));
        }
        self.side
            .console
            .line(&lines.join("\n").dimmed().to_string());
    }
}

/// A failure to connect that a reconnection may get past (refused, reset, DNS); a
/// status or Content-Type that is not a stream's ends the stream for good.
fn is_transient(e: &Error) -> bool {
    matches!(e, Error::Connect { .. })
}
