//! A request for the stream answered: the plan decides the answer, then the script is
//! played on the connection's own timeline.

use std::fmt;
use std::io::{self, Read};
use std::net::TcpStream;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use super::body::Body;
use super::fault::{self, Cut};
use super::http::{self, Framing, Head, RequestHead};
use super::script::Step;
use super::{log, Config};
use crate::error::io_message;
use crate::escape;

/// How a stream request ended, for the log.
pub enum Outcome {
    Done {
        events: u64,
        why: &'static str,
    },
    Left {
        events: u64,
        cause: String,
    },
    /// `stall-after`: the stream went silent with the connection open, until the client left.
    Stalled {
        events: u64,
        cause: String,
    },
    /// `reset-after`: the caller closes the socket, which sends the reset.
    Reset {
        events: u64,
    },
    /// A short answer (a status from the script or a fault, or the 204 at the end of a
    /// finite script); the connection may carry another request.
    Answered {
        status: u16,
        why: &'static str,
    },
    HeadOnly,
}

impl Outcome {
    /// Whether the connection can carry another request.
    pub fn reusable(&self) -> bool {
        matches!(self, Outcome::Answered { .. })
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = |n: u64| if n == 1 { "" } else { "s" };
        match self {
            Outcome::Done { events, why } => {
                write!(f, "done after {events} event{} ({why})", s(*events))
            }
            Outcome::Left { events, cause } => {
                write!(
                    f,
                    "client left after {events} event{} ({cause})",
                    s(*events)
                )
            }
            Outcome::Stalled { events, cause } => write!(
                f,
                "stalled after {events} event{} (--fault stall-after); client left ({cause})",
                s(*events)
            ),
            Outcome::Reset { events } => {
                write!(
                    f,
                    "reset after {events} event{} (--fault reset-after)",
                    s(*events)
                )
            }
            Outcome::Answered { status, why } => write!(f, "answered {status}{why}"),
            Outcome::HeadOnly => write!(f, "answered HEAD"),
        }
    }
}

/// Answers a request for the stream path (its body already read). `keep_alive`: the
/// client allows another request on this connection after a short answer.
pub fn respond(
    stream: &mut TcpStream,
    peer: &str,
    request: &RequestHead,
    config: &Config,
    keep_alive: bool,
) -> Outcome {
    let plan = &config.plan;
    let script = &config.script;
    if request.minor_version == 0 && config.log {
        log(&format!(
            "warning: {peer} asked in HTTP/1.0: a proxy in front is likely talking HTTP/1.0 to this upstream (nginx without `proxy_http_version 1.1`); the stream can only end at connection close and may be buffered"
        ));
    }
    let head_only = request.method == "HEAD";
    let mut head = Head::new(200);
    head.http10 = plan.http10;
    for (name, value) in config.cors_headers() {
        head.set(name, value);
    }

    head.keep_alive = keep_alive && !plan.http10;
    let status = plan.status.or(script.status).unwrap_or(200);
    if status != 200 {
        return error_answer(stream, head, status, config, head_only);
    }

    let start = resume_point(peer, request, config);
    if !config.repeat && start > 0 && script.finished_at(start) {
        // The standard's "stop reconnecting": the client has seen every event.
        head.status = 204;
        let why = " (Last-Event-ID is the script's last event)";
        let outcome = Outcome::Answered { status: 204, why };
        return send_short(stream, &head, b"", head_only, outcome);
    }

    head.keep_alive = false; // a stream is the connection's last answer
    let uncompressed;
    let accept_encoding = request.header("Accept-Encoding");
    let plan = if plan.gzip && !fault::accepts_gzip(accept_encoding) {
        if config.log {
            log(&format!(
                "{peer}: not compressing (--fault gzip): the client does not accept gzip ({})",
                accept_encoding.map_or("no Accept-Encoding".into(), |v| format!(
                    "Accept-Encoding: {}",
                    escape::line(v)
                ))
            ));
        }
        uncompressed = plan.without_gzip();
        &uncompressed
    } else {
        plan
    };
    for (name, value) in plan.headers() {
        head.set(name, value);
    }
    for (name, value) in &script.headers {
        head.set(name, value.as_str());
    }
    let framing = plan.framing(request.minor_version);
    if head_only {
        return send_stream_head(stream, &head, framing);
    }
    let mut body = Body::new(&*stream, head, framing, plan);
    play(&mut body, start, config)
}

/// The step a request starts from: just after its Last-Event-ID, or the start (with a
/// warning when the script has no such id).
fn resume_point(peer: &str, request: &RequestHead, config: &Config) -> usize {
    let Some(id) = request.header("Last-Event-ID") else {
        return 0;
    };
    match config.script.resume_after(id) {
        Some(i) => i,
        None => {
            if config.log {
                log(&format!(
                    "warning: {peer}: Last-Event-ID \"{}\" is not in the script; replaying from the start",
                    escape::line(id)
                ));
            }
            0
        }
    }
}

/// The answer to HEAD on the stream path: the stream's head alone (no Content-Length
/// for a held body, whose length is not known yet).
fn send_stream_head(stream: &mut TcpStream, head: &Head, framing: Framing) -> Outcome {
    let mut bytes = Vec::new();
    head.write(
        if matches!(framing, Framing::Length(_)) {
            Framing::None
        } else {
            framing
        },
        &mut bytes,
    );
    match http::write_all_vectored(stream, &mut [io::IoSlice::new(&bytes)]) {
        Ok(()) => Outcome::HeadOnly,
        Err(e) => Outcome::Left {
            events: 0,
            cause: io_message(&e),
        },
    }
}

/// A status other than 200 (`@status` or `--fault status=`), with the script's
/// `@body` lines and `@header`s: an API's error answer.
fn error_answer(
    stream: &mut TcpStream,
    mut head: Head,
    status: u16,
    config: &Config,
    head_only: bool,
) -> Outcome {
    let script = &config.script;
    let body = if script.body.is_empty() {
        format!("{status} {}\n", http::reason(status))
    } else {
        script.body.join("\n") + "\n"
    };
    let json = serde_json::from_str::<serde::de::IgnoredAny>(&body).is_ok();
    head.status = status;
    let content_type = if json {
        "application/json"
    } else {
        "text/plain; charset=utf-8"
    };
    head.set("Content-Type", content_type);
    for (name, value) in &script.headers {
        head.set(name, value.as_str());
    }
    let outcome = Outcome::Answered { status, why: "" };
    send_short(stream, &head, body.as_bytes(), head_only, outcome)
}

fn send_short(
    stream: &mut TcpStream,
    head: &Head,
    body: &[u8],
    head_only: bool,
    outcome: Outcome,
) -> Outcome {
    let bytes = http::short_response(head, body, head_only);
    match http::write_all_vectored(stream, &mut [io::IoSlice::new(&bytes)]) {
        Ok(()) => outcome,
        Err(e) => Outcome::Left {
            events: 0,
            cause: io_message(&e),
        },
    }
}

/// Plays the script from step `start`: what is due now is handed to the body, which
/// sends it all at once before any wait.
pub fn play(body: &mut Body<&TcpStream>, start: usize, config: &Config) -> Outcome {
    // `close-after=0` and the like: the cut comes before the first event.
    if let Some(what) = config.plan.cut_at(0) {
        return cut(body, what, 0);
    }
    let ended = match play_steps(body, start, config) {
        Ok(Played::Cut(what, events)) => return cut(body, what, events),
        Ok(Played::End(why)) => body.finish(true).map(|()| why),
        Err(e) => Err(e),
    };
    match ended {
        Ok(why) => Outcome::Done {
            events: body.events_sent(),
            why,
        },
        Err(e) => Outcome::Left {
            events: body.events_sent(),
            cause: io_message(&e),
        },
    }
}

/// Where playing the steps stopped.
enum Played {
    /// The script ended (`end of script`, `@close`): the body is to be finished.
    End(&'static str),
    /// A fault's cut came due after this many events.
    Cut(Cut, u64),
}

/// The steps from `start` on, until the script ends or a cut comes due; an error is
/// the connection's.
fn play_steps(body: &mut Body<&TcpStream>, start: usize, config: &Config) -> io::Result<Played> {
    let steps = &config.script.steps;
    let loops = config.repeat
        && steps
            .iter()
            .any(|s| matches!(s, Step::Event { .. } | Step::Raw(_)));
    // With nothing to pace events one by one, a run of steps leaves as the script holds it.
    let bursts = !config.stamp
        && config.interval.is_none_or(|d| d.is_zero())
        && config.plan.cut.is_none()
        && !config.plan.drip;
    let mut events = 0u64;
    // No --interval before the first event, nor right after an @sleep.
    let mut slept = true;
    let mut i = start;
    loop {
        let Some(step) = steps.get(i) else {
            if loops {
                i = 0;
                continue;
            }
            return Ok(Played::End("end of script"));
        };
        if let Some(burst) = config.script.burst_at(i).filter(|_| bursts) {
            body.due_run(&burst.bytes, burst.events)?;
            events += burst.events;
            slept = false;
            i = burst.end;
            continue;
        }
        i += 1;
        match step {
            Step::Sleep(d) => {
                slept = true;
                pause(body, config.scaled(*d))?;
            }
            Step::Close => return Ok(Played::End("@close")),
            Step::Raw(text) => body.due(text, false)?,
            Step::Event { text, .. } => {
                send_event(body, text, slept, config)?;
                slept = false;
                events += 1;
                if let Some(what) = config.plan.cut_at(events) {
                    return Ok(Played::Cut(what, events));
                }
            }
        }
    }
}

/// One event: after the `--interval` pause (unless an `@sleep` just paused), with its
/// `--stamp` line.
fn send_event(
    body: &mut Body<&TcpStream>,
    text: &[u8],
    slept: bool,
    config: &Config,
) -> io::Result<()> {
    if let (false, Some(interval)) = (slept, config.interval) {
        pause(body, config.scaled(interval))?;
    }
    if config.stamp {
        let ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis());
        body.due(crate::event::stamp_line(ms).as_bytes(), false)?;
    }
    body.due(text, true)
}

/// `close-after`, `stall-after` or `reset-after` has come due after `events` events.
fn cut(body: &mut Body<&TcpStream>, what: Cut, events: u64) -> Outcome {
    if what == Cut::Close {
        // A dropped connection: no last chunk.
        let _ = body.finish(false);
        let _ = body.get_ref().shutdown(std::net::Shutdown::Both);
        return Outcome::Done {
            events,
            why: "--fault close-after",
        };
    }
    if let Err(e) = body.flush() {
        return Outcome::Left {
            events: body.events_sent(),
            cause: io_message(&e),
        };
    }
    if what == Cut::Reset {
        return match reset_on_close(body.get_ref()) {
            Ok(()) => Outcome::Reset { events },
            Err(e) => Outcome::Left {
                events,
                cause: io_message(&e),
            },
        };
    }
    // Stalled: silent from here on, until the client gives up.
    loop {
        if let Err(e) = wait(body.get_ref(), Duration::from_secs(3600)) {
            return Outcome::Stalled {
                events,
                cause: io_message(&e),
            };
        }
    }
}

/// Everything due leaves, then the connection waits `d` (a zero wait is no pause: what
/// follows is due at the same time).
fn pause(body: &mut Body<&TcpStream>, d: Duration) -> io::Result<()> {
    if d.is_zero() {
        return Ok(());
    }
    body.flush()?;
    wait(body.get_ref(), d)
}

fn closed() -> io::Error {
    io::Error::new(
        io::ErrorKind::ConnectionAborted,
        "connection closed by the client",
    )
}

/// Waits `d` precisely, but notices a client that closes meanwhile (and discards what
/// it sends): the socket is polled until shortly before the deadline, then the rest is
/// slept (poll may wake late by its timer slack, 0.1% of its timeout).
#[cfg(unix)]
pub fn wait(stream: &TcpStream, d: Duration) -> io::Result<()> {
    use std::os::fd::AsRawFd;
    let deadline = Instant::now() + d;
    let mut scratch = [0u8; 512];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let margin = left / 512 + Duration::from_millis(2);
        let ms = left.saturating_sub(margin).as_millis();
        if ms == 0 {
            std::thread::sleep(left);
            return Ok(());
        }
        let mut fd = libc::pollfd {
            fd: stream.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: poll reads and writes `nfds` = 1 `pollfd` through the pointer, which
        // is `fd`, a live local borrowed mutably for the call. The descriptor belongs to
        // `stream`, borrowed for all of this function, so it stays open (and a bad one
        // would only be reported as POLLNVAL). The timeout is clamped to i32::MAX.
        let ready = unsafe { libc::poll(&mut fd, 1, ms.min(i32::MAX as u128) as i32) };
        if ready < 0 {
            let e = io::Error::last_os_error();
            if e.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return Err(e);
        }
        if ready > 0 {
            // Readable: bytes to discard, the client's end, or an error.
            match (&*stream).read(&mut scratch) {
                Ok(0) => return Err(closed()),
                Ok(_) => {}
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock
                            | io::ErrorKind::Interrupted
                            | io::ErrorKind::TimedOut
                    ) => {}
                Err(e) => return Err(e),
            }
        }
    }
}

/// Without poll: sleep in slices with a non-blocking look at the socket between.
#[cfg(not(unix))]
pub fn wait(stream: &TcpStream, d: Duration) -> io::Result<()> {
    const SLICE: Duration = Duration::from_millis(100);
    let deadline = Instant::now() + d;
    let mut scratch = [0u8; 512];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Ok(());
        }
        std::thread::sleep(left.min(SLICE));
        stream.set_nonblocking(true)?;
        let seen = (&*stream).read(&mut scratch);
        stream.set_nonblocking(false)?;
        match seen {
            Ok(0) => return Err(closed()),
            Ok(_) => {}
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted
                ) => {}
            Err(e) => return Err(e),
        }
    }
}

/// Makes closing the socket send a TCP reset (SO_LINGER with a zero timeout).
#[cfg(unix)]
fn reset_on_close(stream: &TcpStream) -> io::Result<()> {
    use std::os::fd::AsRawFd;
    let linger = libc::linger {
        l_onoff: 1,
        l_linger: 0,
    };
    // SAFETY: setsockopt reads `optlen` bytes from `optval`: that is `linger`, a live
    // local of exactly size_of::<linger>() bytes, the layout SO_LINGER expects. The
    // descriptor belongs to `stream`, borrowed for the call, so it is open; the call
    // changes only how closing the socket behaves.
    let r = unsafe {
        libc::setsockopt(
            stream.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            (&linger as *const libc::linger).cast(),
            std::mem::size_of::<libc::linger>() as libc::socklen_t,
        )
    };
    if r == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

#[cfg(not(unix))]
fn reset_on_close(_: &TcpStream) -> io::Result<()> {
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        "a TCP reset needs SO_LINGER",
    ))
}
