//! `sse serve`: a scripted event stream, one thread per connection, each on its own
//! timeline. Every event leaves in its own write the moment its time comes.

pub mod fault;
pub mod http;
pub mod script;

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use flate2::write::GzEncoder;
use flate2::Compression;

use crate::cli::{ColorChoice, ServeArgs};
use crate::error::{io_message, Error};
use fault::Fault;
use http::{Framing, HeadError, RequestHead};
use script::{Script, Step};

/// Stack for a connection's thread: it parses a head and writes; 2 MiB would be waste
/// at thousands of streams.
const CONNECTION_STACK: usize = 128 * 1024;
/// The gzip compressor builds its large state on the stack before boxing it.
const GZIP_STACK: usize = 2 * 1024 * 1024;
/// A reader that takes no bytes for this long is dropped.
const WRITE_TIMEOUT: Duration = Duration::from_secs(60);

const PAGE: &str = include_str!("page.html");

/// Everything a connection needs, shared read-only between connections.
#[derive(Debug)]
pub struct Config {
    pub script: Script,
    pub path: String,
    pub repeat: bool,
    pub interval: Option<Duration>,
    pub stamp: bool,
    pub faults: Vec<Fault>,
    pub cors: Option<String>,
    /// Log requests to stderr (off for `sse demo`).
    pub log: bool,
}

pub fn run(args: ServeArgs, _color: ColorChoice) -> Result<ExitCode, Error> {
    let (script, name) = match &args.script {
        Some(path) => (script::load(path)?, path.display().to_string()),
        None => (
            script::parse(script::DEMO, Path::new("(built-in demo)"))?,
            "the built-in demo script".to_string(),
        ),
    };
    let config = Config {
        script,
        path: args.path,
        repeat: args.repeat,
        interval: args.interval,
        stamp: args.stamp,
        faults: args.fault,
        cors: args.cors,
        log: true,
    };
    let listener = TcpListener::bind((args.bind, args.port)).map_err(|e| {
        Error::io(
            format!("listening on {}", SocketAddr::from((args.bind, args.port))),
            e,
        )
    })?;
    let addr = listener
        .local_addr()
        .map_err(|e| Error::io("reading the listening address", e))?;
    let base = base_url(addr);
    // The one line a program reads from stdout.
    let mut stdout = io::stdout().lock();
    let _ = writeln!(stdout, "listening on {base}{}", config.path);
    let _ = stdout.flush();
    drop(stdout);
    let faults = if config.faults.is_empty() {
        String::new()
    } else {
        format!(
            " with --fault {}",
            config
                .faults
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    log(&format!(
        "serving {name} ({} events){faults}; browser page at {base}/; Ctrl-C stops",
        config.script.events()
    ));
    serve(listener, Arc::new(config));
}

/// `http://127.0.0.1:8080` (IPv6 in brackets).
pub fn base_url(addr: SocketAddr) -> String {
    format!("http://{addr}")
}

/// Accepts forever, a thread per connection.
pub fn serve(listener: TcpListener, config: Arc<Config>) -> ! {
    let stack = if config.faults.contains(&Fault::Gzip) {
        GZIP_STACK
    } else {
        CONNECTION_STACK
    };
    loop {
        match listener.accept() {
            Ok((stream, peer)) => {
                let config = Arc::clone(&config);
                let spawned = thread::Builder::new()
                    .name(format!("conn {peer}"))
                    .stack_size(stack)
                    .spawn(move || handle(stream, peer, &config));
                if let Err(e) = spawned {
                    log(&format!(
                        "{peer}: dropped, no thread for it: {}",
                        io_message(&e)
                    ));
                }
            }
            Err(e) => {
                // Out of file descriptors, or a connection reset before accept: wait a little.
                log(&format!("accept failed: {}", io_message(&e)));
                thread::sleep(Duration::from_millis(50));
            }
        }
    }
}

fn log(line: &str) {
    let now = humantime::format_rfc3339_millis(SystemTime::now()).to_string();
    let _ = writeln!(
        io::stderr().lock(),
        "{} {line}",
        now.get(11..23).unwrap_or(&now)
    );
}

fn handle(mut stream: TcpStream, peer: SocketAddr, config: &Config) {
    let _ = stream.set_nodelay(true);
    let _ = stream.set_write_timeout(Some(WRITE_TIMEOUT));
    let head = match http::read_head(&mut stream) {
        Ok(head) => head,
        Err(e) => {
            refuse(&mut stream, peer, &e, config.log);
            return;
        }
    };
    if config.log {
        log(&describe_request(peer, &head));
    }
    let head_only = head.method == "HEAD";
    let result = match (head.method.as_str(), head.path.as_str()) {
        ("OPTIONS", _) => preflight(&mut stream, config),
        // POST too: streams opened by POST (LLM APIs) can be mocked.
        ("GET" | "HEAD" | "POST", p) if p == config.path => {
            if let Err(e) = read_body(&mut stream, &head) {
                if config.log {
                    log(&format!("{peer}: {} {}", e.status, e.msg.trim_end()));
                }
                let reply = http::simple_response(
                    e.status,
                    http::reason(e.status),
                    &text_headers(),
                    e.msg.as_bytes(),
                    false,
                );
                let _ = http::send(&mut stream, &reply);
                return;
            }
            let outcome = stream_script(&mut stream, peer, &head, config);
            if config.log {
                log(&format!("{peer}: {outcome}"));
            }
            Ok(())
        }
        ("GET" | "HEAD", "/") => page(&mut stream, config, head_only),
        ("GET" | "HEAD", _) => {
            let body = format!("not found; the stream is at {}\n", config.path);
            http::send(
                &mut stream,
                &http::simple_response(
                    404,
                    "Not Found",
                    &text_headers(),
                    body.as_bytes(),
                    head_only,
                ),
            )
        }
        _ => {
            let headers = [
                ("Allow", "GET, HEAD, POST, OPTIONS".to_string()),
                ("Content-Type", "text/plain; charset=utf-8".into()),
            ];
            http::send(
                &mut stream,
                &http::simple_response(
                    405,
                    "Method Not Allowed",
                    &headers,
                    b"method not allowed\n",
                    false,
                ),
            )
        }
    };
    if let Err(e) = result {
        if config.log {
            log(&format!(
                "{peer}: left before the answer was sent ({})",
                io_message(&e)
            ));
        }
    }
}

fn text_headers() -> Vec<(&'static str, String)> {
    vec![("Content-Type", "text/plain; charset=utf-8".into())]
}

fn refuse(stream: &mut TcpStream, peer: SocketAddr, e: &HeadError, logging: bool) {
    let Some((status, reason)) = e.status() else {
        return;
    };
    let detail = match e {
        HeadError::Malformed(why) => format!(" ({why})"),
        _ => String::new(),
    };
    if logging {
        log(&format!("{peer}: {status} {reason}{detail}"));
    }
    let body = format!("{status} {reason}\n");
    let _ = http::send(
        stream,
        &http::simple_response(status, reason, &text_headers(), body.as_bytes(), false),
    );
}

fn describe_request(peer: SocketAddr, head: &RequestHead) -> String {
    let mut line = format!(
        "{peer} {} {} HTTP/1.{}",
        head.method, head.path, head.minor_version
    );
    for name in [
        "Last-Event-ID",
        "Via",
        "X-Forwarded-For",
        "Forwarded",
        "User-Agent",
    ] {
        if let Some(value) = head.header(name) {
            line.push_str(&format!(" · {name}: {value}"));
        }
    }
    line
}

fn cors_headers(config: &Config) -> Vec<(&'static str, String)> {
    match &config.cors {
        None => Vec::new(),
        Some(origin) if origin == "*" => vec![("Access-Control-Allow-Origin", "*".into())],
        Some(origin) => vec![
            ("Access-Control-Allow-Origin", origin.clone()),
            ("Access-Control-Allow-Credentials", "true".into()),
            ("Vary", "Origin".into()),
        ],
    }
}

fn preflight(stream: &mut TcpStream, config: &Config) -> io::Result<()> {
    let mut headers = cors_headers(config);
    if !headers.is_empty() {
        headers.push(("Access-Control-Allow-Methods", "GET, HEAD, OPTIONS".into()));
        headers.push((
            "Access-Control-Allow-Headers",
            "Last-Event-ID, Cache-Control, Accept".into(),
        ));
        headers.push(("Access-Control-Max-Age", "600".into()));
    }
    http::send(
        stream,
        &http::simple_response(204, "No Content", &headers, b"", false),
    )
}

fn page(stream: &mut TcpStream, config: &Config, head_only: bool) -> io::Result<()> {
    let types = serde_json::to_string(&config.script.event_types())
        .unwrap_or_else(|_| "[\"message\"]".into());
    let path = serde_json::to_string(&config.path).unwrap_or_else(|_| "\"/events\"".into());
    let html = PAGE
        .replace("\"{{PATH}}\"", &path)
        .replace("{{PATH}}", &html_escape(&config.path))
        .replace("{{TYPES}}", &types);
    let headers = vec![
        ("Content-Type", "text/html; charset=utf-8".to_string()),
        ("Cache-Control", "no-cache".into()),
    ];
    http::send(
        stream,
        &http::simple_response(200, "OK", &headers, html.as_bytes(), head_only),
    )
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Largest request body read (and discarded) before streaming.
const MAX_REQUEST_BODY: u64 = 1024 * 1024;

struct BodyError {
    status: u16,
    msg: String,
}

/// Reads and discards a request body (a POST's JSON), so the connection closes cleanly.
fn read_body(stream: &mut TcpStream, head: &RequestHead) -> Result<(), BodyError> {
    if head
        .header("transfer-encoding")
        .is_some_and(|te| te.to_ascii_lowercase().contains("chunked"))
    {
        return Err(BodyError {
            status: 411,
            msg: "a chunked request body is not supported: send Content-Length\n".into(),
        });
    }
    let length = match head.header("content-length") {
        None => return Ok(()),
        Some(v) => v.trim().parse::<u64>().map_err(|_| BodyError {
            status: 400,
            msg: format!("bad Content-Length {v:?}\n"),
        })?,
    };
    if length > MAX_REQUEST_BODY {
        return Err(BodyError {
            status: 413,
            msg: format!("request body over {MAX_REQUEST_BODY} bytes\n"),
        });
    }
    let mut body = head.body_start.clone();
    body.truncate(length as usize);
    let rest = length - body.len() as u64;
    let _ = stream.set_read_timeout(Some(http::HEAD_TIMEOUT));
    io::copy(&mut stream.take(rest), &mut io::sink()).map_err(|e| BodyError {
        status: 408,
        msg: format!("reading the request body: {}\n", io_message(&e)),
    })?;
    Ok(())
}

/// How a stream ended, for the log.
enum Outcome {
    Done { events: u64, why: &'static str },
    Left { events: u64, cause: String },
    Refused(u16),
    HeadOnly,
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Outcome::Done { events, why } => {
                write!(f, "done after {events} event{} ({why})", plural(*events))
            }
            Outcome::Left { events, cause } => write!(
                f,
                "client left after {events} event{} ({cause})",
                plural(*events)
            ),
            Outcome::Refused(status) => write!(f, "answered {status}"),
            Outcome::HeadOnly => write!(f, "answered HEAD"),
        }
    }
}

fn plural(n: u64) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// The response body: compression, holding and framing, in that order.
struct Body<'a> {
    stream: &'a mut TcpStream,
    framing: Framing,
    gzip: Option<GzEncoder<Vec<u8>>>,
    /// The response head, held back with the body in buffering modes.
    head: Vec<u8>,
    held: Vec<u8>,
    etag: bool,
    scratch: Vec<u8>,
}

impl Body<'_> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<()> {
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
        self.send(bytes)
    }

    fn send(&mut self, bytes: &[u8]) -> io::Result<()> {
        if self.framing == Framing::Length {
            self.held.extend_from_slice(bytes);
            return Ok(());
        }
        if bytes.is_empty() {
            return Ok(());
        }
        self.scratch.clear();
        http::frame(self.framing, bytes, &mut self.scratch);
        http::send(self.stream, &self.scratch)
    }

    /// Ends the body: the compressor's rest, the held body, the last chunk.
    fn finish(&mut self, clean: bool) -> io::Result<()> {
        if let Some(gz) = self.gzip.take() {
            let rest = gz.finish()?;
            self.send(&rest)?;
        }
        match self.framing {
            Framing::Length => {
                let mut out = std::mem::take(&mut self.head);
                if self.etag {
                    out.extend_from_slice(
                        format!("ETag: W/\"{:016x}\"\r\n", crate::term::fnv1a64(&self.held))
                            .as_bytes(),
                    );
                }
                out.extend_from_slice(
                    format!("Content-Length: {}\r\n\r\n", self.held.len()).as_bytes(),
                );
                out.extend_from_slice(&self.held);
                http::send(self.stream, &out)
            }
            Framing::Chunked if clean => http::send(self.stream, http::LAST_CHUNK),
            _ => Ok(()),
        }
    }
}

fn stream_script(
    stream: &mut TcpStream,
    peer: SocketAddr,
    head: &RequestHead,
    config: &Config,
) -> Outcome {
    let faults = &config.faults;
    let has = |f: &Fault| faults.contains(f);
    let http10_request = head.minor_version == 0;
    if http10_request && config.log {
        log(&format!(
            "warning: {peer} asked in HTTP/1.0: a proxy in front is likely talking HTTP/1.0 to this upstream (nginx without `proxy_http_version 1.1`); the stream can only end at connection close and may be buffered"
        ));
    }
    let status = faults
        .iter()
        .find_map(|f| match f {
            Fault::Status(c) => Some(*c),
            _ => None,
        })
        .or(config.script.status)
        .unwrap_or(200);
    let content_type = faults
        .iter()
        .find_map(|f| match f {
            Fault::ContentType(t) => Some(t.clone()),
            _ => None,
        })
        .unwrap_or_else(|| "text/event-stream".into());
    let close_after = faults.iter().find_map(|f| match f {
        Fault::CloseAfter(n) => Some(*n),
        _ => None,
    });
    let holds = faults.iter().any(Fault::holds_body);
    let http10 = has(&Fault::Http10);
    let framing = if holds {
        Framing::Length
    } else if http10 || http10_request {
        Framing::UntilClose
    } else {
        Framing::Chunked
    };

    if status != 200 {
        let reason = http::reason(status);
        let body = format!("{status} {reason}\n");
        let mut headers = text_headers();
        headers.extend(cors_headers(config));
        let response = http::simple_response(
            status,
            reason,
            &headers,
            body.as_bytes(),
            head.method == "HEAD",
        );
        let _ = http::send(stream, &response);
        return Outcome::Refused(status);
    }

    let version = if http10 { "HTTP/1.0" } else { "HTTP/1.1" };
    let mut head_bytes =
        format!("{version} 200 OK\r\nContent-Type: {content_type}\r\n").into_bytes();
    let mut headers: Vec<(String, String)> = Vec::new();
    let cache_control = if has(&Fault::Etag) {
        "max-age=0, private, must-revalidate"
    } else {
        "no-cache"
    };
    headers.push(("Cache-Control".into(), cache_control.into()));
    if has(&Fault::Gzip) {
        headers.push(("Content-Encoding".into(), "gzip".into()));
        headers.push(("Vary".into(), "Accept-Encoding".into()));
    }
    for (name, value) in cors_headers(config) {
        headers.push((name.into(), value));
    }
    for (name, value) in &config.script.headers {
        headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        headers.push((name.clone(), value.clone()));
    }
    for (name, value) in &headers {
        head_bytes.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
    }
    match framing {
        Framing::Chunked => head_bytes.extend_from_slice(b"Transfer-Encoding: chunked\r\n\r\n"),
        Framing::UntilClose => head_bytes.extend_from_slice(b"Connection: close\r\n\r\n"),
        Framing::Length => head_bytes.extend_from_slice(b"Connection: close\r\n"),
    }
    if head.method == "HEAD" {
        if framing == Framing::Length {
            head_bytes.extend_from_slice(b"\r\n");
        }
        let _ = http::send(stream, &head_bytes);
        return Outcome::HeadOnly;
    }
    if framing != Framing::Length {
        if let Err(e) = http::send(stream, &head_bytes) {
            return Outcome::Left {
                events: 0,
                cause: io_message(&e),
            };
        }
    }

    let steps = &config.script.steps;
    let mut start = 0;
    if let Some(id) = head.header("Last-Event-ID") {
        match config.script.resume_after(id) {
            Some(i) => start = i,
            None if config.log => log(&format!("warning: {peer}: Last-Event-ID {id:?} is not in the script; replaying from the start")),
            None => {}
        }
    }
    let mut body = Body {
        stream,
        framing,
        gzip: has(&Fault::Gzip).then(|| GzEncoder::new(Vec::new(), Compression::default())),
        head: head_bytes,
        held: Vec::new(),
        etag: has(&Fault::Etag),
        scratch: Vec::new(),
    };
    let loops = config.repeat
        && steps
            .iter()
            .any(|s| matches!(s, Step::Event { .. } | Step::Raw(_)));
    let mut events = 0u64;
    let mut slept = true;
    let mut i = start;
    let why = loop {
        if i >= steps.len() {
            if loops {
                i = 0;
                continue;
            }
            break "end of script";
        }
        let sent = match &steps[i] {
            Step::Sleep(d) => {
                slept = true;
                wait(body.stream, *d)
            }
            Step::Close => break "@close",
            Step::Raw(text) => body.write(text.as_bytes()),
            Step::Event { text, .. } => {
                if !slept && events > 0 {
                    if let Some(interval) = config.interval {
                        if let Err(e) = wait(body.stream, interval) {
                            return Outcome::Left {
                                events,
                                cause: io_message(&e),
                            };
                        }
                    }
                }
                slept = false;
                let result = if config.stamp {
                    let ms = SystemTime::now()
                        .duration_since(UNIX_EPOCH)
                        .map_or(0, |d| d.as_millis());
                    body.write(format!("{}{text}", crate::event::stamp_line(ms)).as_bytes())
                } else {
                    body.write(text.as_bytes())
                };
                events += u64::from(result.is_ok());
                result
            }
        };
        if let Err(e) = sent {
            return Outcome::Left {
                events,
                cause: io_message(&e),
            };
        }
        i += 1;
        if close_after.is_some_and(|n| events >= n) && matches!(steps[i - 1], Step::Event { .. }) {
            // A dropped connection: no last chunk.
            let _ = body.finish(false);
            let _ = body.stream.shutdown(std::net::Shutdown::Both);
            return Outcome::Done {
                events,
                why: "--fault close-after",
            };
        }
    };
    match body.finish(true) {
        Ok(()) => Outcome::Done { events, why },
        Err(e) => Outcome::Left {
            events,
            cause: io_message(&e),
        },
    }
}

/// Sleeps precisely, but notices a client that closes meanwhile (and discards what it
/// sends): the sleep is cut in slices with a non-blocking look at the socket between.
fn wait(stream: &mut TcpStream, d: Duration) -> io::Result<()> {
    const SLICE: Duration = Duration::from_millis(100);
    let deadline = Instant::now() + d;
    let mut scratch = [0u8; 512];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Ok(());
        }
        thread::sleep(left.min(SLICE));
        stream.set_nonblocking(true)?;
        let seen = stream.read(&mut scratch);
        stream.set_nonblocking(false)?;
        match seen {
            Ok(0) => {
                return Err(io::Error::new(
                    io::ErrorKind::ConnectionAborted,
                    "connection closed by the client",
                ))
            }
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

/// Binds a free loopback port and serves `config` on a background thread.
pub fn spawn(config: Config) -> Result<SocketAddr, Error> {
    let listener =
        TcpListener::bind(("127.0.0.1", 0)).map_err(|e| Error::io("listening on 127.0.0.1", e))?;
    let addr = listener
        .local_addr()
        .map_err(|e| Error::io("reading the listening address", e))?;
    let config = Arc::new(config);
    thread::Builder::new()
        .name("serve".into())
        .spawn(move || serve(listener, config))
        .map_err(|e| Error::io("starting the server thread", e))?;
    Ok(addr)
}
