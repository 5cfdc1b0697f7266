//! `sse serve`: a scripted event stream, one thread per connection, each on its own
//! timeline. What is due at the same moment leaves in one write, the moment it is due.

pub mod body;
pub mod fault;
pub mod http;
pub mod script;
pub mod stream;

use std::io::{self, IsTerminal, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, SystemTime};

use crate::cli::{ColorChoice, ServeArgs};
use crate::error::{io_message, Error};
use crate::escape;
use crate::term;
use crate::value::MAX_DURATION;
use colored::Colorize;
use fault::Plan;
use http::{Head, HeadError, Reader, RequestHead};
use script::Script;

/// Stack for a connection's thread: it parses a head and writes; 2 MiB would be waste
/// at thousands of streams.
const CONNECTION_STACK: usize = 64 * 1024;
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
    /// Every pause is this many times shorter (`--speed`).
    pub speed: f64,
    pub stamp: bool,
    pub plan: Plan,
    pub cors: Option<String>,
    /// Log requests to stderr (off for `sse demo`).
    pub log: bool,
}

impl Config {
    /// A pause of the script, at `--speed`.
    pub fn scaled(&self, d: Duration) -> Duration {
        if self.speed == 1.0 {
            return d;
        }
        Duration::try_from_secs_f64(d.as_secs_f64() / self.speed)
            .unwrap_or(MAX_DURATION)
            .min(MAX_DURATION)
    }

    fn cors_headers(&self) -> Vec<(&'static str, String)> {
        match &self.cors {
            None => Vec::new(),
            Some(origin) if origin == "*" => vec![("Access-Control-Allow-Origin", "*".into())],
            Some(origin) => vec![
                ("Access-Control-Allow-Origin", origin.clone()),
                ("Access-Control-Allow-Credentials", "true".into()),
                ("Vary", "Origin".into()),
            ],
        }
    }
}

pub fn run(args: ServeArgs, color: ColorChoice) -> Result<ExitCode, Error> {
    // The request log on stderr is coloured by tail's rule (flag, NO_COLOR, TERM, tty),
    // decided for stderr, where it goes.
    term::init_color(color, io::stderr().is_terminal());
    let (script, name) = match &args.script {
        Some(path) => (script::load(path)?, path.display().to_string()),
        None => (
            script::parse(script::DEMO.as_bytes(), Path::new("(built-in demo)"))?,
            "the built-in demo script".to_string(),
        ),
    };
    let config = Config {
        script,
        path: args.path,
        repeat: args.repeat,
        interval: args.interval,
        speed: args.speed,
        stamp: args.stamp,
        plan: Plan::new(args.fault),
        cors: args.cors,
        log: true,
    };
    if let Some(code) = config.plan.status {
        check_fault_status(code, &config.script)?;
    }
    raise_open_file_limit();
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
    if let Some(line) = config.script.invalid_utf8_line {
        log(&format!(
            "warning: {name}:{line}: not valid UTF-8; the script's bytes are sent as they are"
        ));
    }
    // A script that sets another Content-Type mocks a stream that is not SSE (NDJSON,
    // say, for `sse tail --format`): its lines are not meant as fields.
    let other_type = config.script.headers.iter().find(|(name, value)| {
        name.eq_ignore_ascii_case("content-type")
            && crate::http::media_type(value) != "text/event-stream"
    });
    let event_stream = other_type.is_none();
    let unknown = config.script.unknown_fields.iter();
    for (line, field) in unknown.filter(|_| event_stream) {
        log(&format!(
            "warning: {name}:{line}: `{field}` is not a field the standard reads (data, event, id, retry): clients ignore the line"
        ));
    }
    let faults = config.plan.to_string();
    let faults = if faults.is_empty() {
        faults
    } else {
        format!(" with --fault {faults}")
    };
    let events = config.script.events();
    let what = match other_type {
        Some((_, content_type)) => format!("its lines as {}", escape::line(content_type)),
        None => format!("{events} event{}", if events == 1 { "" } else { "s" }),
    };
    log(&format!(
        "serving {name} ({what}){faults}; browser page at {base}/; Ctrl-C stops"
    ));
    serve(listener, Arc::new(config));
}

/// `--fault status=CODE` must be a final answer that can carry the script's `@body`.
fn check_fault_status(code: u16, script: &Script) -> Result<(), Error> {
    if code < 200 {
        return Err(Error::Usage(format!(
            "--fault status={code} is informational (1xx), not a final answer: use a status from 200 to 999"
        )));
    }
    if matches!(code, 204 | 205 | 304) && !script.body.is_empty() {
        return Err(Error::Usage(format!(
            "--fault status={code} with a script that has @body: a {code} answer has no body"
        )));
    }
    Ok(())
}

/// Each stream holds a file descriptor: take the hard limit (as nginx's
/// `worker_rlimit_nofile` and Go's runtime do), since the soft one is often 1024.
fn raise_open_file_limit() {
    #[cfg(unix)]
    {
        let mut limit = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: getrlimit writes one `rlimit` through a pointer to `limit`, a live,
        // initialised local of exactly that type; setrlimit only reads it. Neither call
        // touches other memory, and a failure is an error return (ignored: the soft
        // limit then stays as it was).
        unsafe {
            if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) == 0
                && limit.rlim_cur < limit.rlim_max
            {
                limit.rlim_cur = limit.rlim_max;
                libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
            }
        }
    }
}

/// `http://127.0.0.1:8080` (IPv6 in brackets).
pub fn base_url(addr: SocketAddr) -> String {
    format!("http://{addr}")
}

/// Accepts forever, a thread per connection.
pub fn serve(listener: TcpListener, config: Arc<Config>) -> ! {
    let stack = if config.plan.needs_big_stack() {
        GZIP_STACK
    } else {
        CONNECTION_STACK
    };
    loop {
        match listener.accept() {
            Ok((stream, peer)) => {
                let config = Arc::clone(&config);
                let spawned = thread::Builder::new()
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

/// One line on stderr, in one write. Thousands of connection threads log: on Unix the
/// line goes straight to the file descriptor, so no thread ever waits for a lock that
/// a preempted thread holds (std's stderr lock).
fn log(line: &str) {
    let now = humantime::format_rfc3339_millis(SystemTime::now()).to_string();
    let line = match line.strip_prefix("warning: ") {
        Some(rest) => format!("{} {rest}", "warning:".yellow().bold()),
        None => line.to_string(),
    };
    let line = format!("{} {line}\n", now.get(11..23).unwrap_or(&now).dimmed());
    #[cfg(unix)]
    {
        use std::os::fd::{AsRawFd, FromRawFd};
        // SAFETY: `from_raw_fd` needs an open descriptor that nothing else closes
        // while the `File` uses it. Descriptor 2 is open for the whole process: std
        // reopens a standard descriptor that was closed at exec as /dev/null before
        // `main`, and nothing in sse closes it. ManuallyDrop means this `File` never
        // closes it either, and it lives only for this one write (concurrent write(2)
        // calls on one descriptor are fine).
        let file = std::mem::ManuallyDrop::new(unsafe {
            std::fs::File::from_raw_fd(io::stderr().as_raw_fd())
        });
        let _ = (&*file).write_all(line.as_bytes());
    }
    #[cfg(not(unix))]
    let _ = io::stderr().write_all(line.as_bytes());
}

/// The methods a page may open the stream with (any method reaches it; these are the
/// ones a CORS preflight names).
const STREAM_METHODS: &str = "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS";

/// One connection: requests in turn while the answers are short and the client keeps
/// the connection; a stream is the connection's last answer.
fn handle(stream: TcpStream, peer: SocketAddr, config: &Config) {
    let _ = stream.set_nodelay(true);
    let _ = stream.set_write_timeout(Some(WRITE_TIMEOUT));
    let peer = peer.to_string();
    let mut reader = Reader::new(stream);
    let mut first = true;
    loop {
        let request = match reader.head(first) {
            Ok(head) => head,
            Err(e) => {
                refuse(&mut reader.stream, &peer, &e, config.log);
                return;
            }
        };
        first = false;
        if config.log {
            log(&describe_request(&peer, &request));
        }
        if let Err(e) = reader.skip_body(&request) {
            if config.log {
                log(&format!("{peer}: {} {}", e.status, e.msg));
            }
            let head = Head::new(e.status).with("Content-Type", "text/plain; charset=utf-8");
            let _ = send(
                &mut reader.stream,
                &head,
                format!("{}\n", e.msg).as_bytes(),
                false,
            );
            return;
        }
        let keep_alive = request.keep_alive();
        let head_only = request.method == "HEAD";
        let result = match (request.method.as_str(), request.path.as_str()) {
            ("OPTIONS", _) => preflight(config, &request, keep_alive),
            // Any method: streams opened by POST (LLM APIs), PUT or DELETE can be mocked,
            // and a recording of one replays with its method.
            (_, p) if p == config.path => {
                reader.shrink();
                let outcome =
                    stream::respond(&mut reader.stream, &peer, &request, config, keep_alive);
                if config.log {
                    log(&format!("{peer}: {outcome}"));
                }
                if outcome.reusable() && keep_alive {
                    continue;
                }
                return;
            }
            ("GET" | "HEAD", "/") => page(config, keep_alive),
            (_, "/") => {
                let head = text_head(405, keep_alive).with("Allow", "GET, HEAD, OPTIONS");
                (
                    head,
                    b"method not allowed: the page answers GET and HEAD\n".to_vec(),
                )
            }
            _ => {
                let body = format!("not found; the stream is at {}\n", config.path);
                (text_head(404, keep_alive), body.into_bytes())
            }
        };
        let (head, body) = result;
        if let Err(e) = send(&mut reader.stream, &head, &body, head_only) {
            if config.log {
                log(&format!(
                    "{peer}: left before the answer was sent ({})",
                    io_message(&e)
                ));
            }
            return;
        }
        if !keep_alive {
            return;
        }
    }
}

fn send(stream: &mut TcpStream, head: &Head, body: &[u8], head_only: bool) -> io::Result<()> {
    stream.write_all(&http::short_response(head, body, head_only))
}

fn text_head(status: u16, keep_alive: bool) -> Head {
    let mut head = Head::new(status).with("Content-Type", "text/plain; charset=utf-8");
    head.keep_alive = keep_alive;
    head
}

fn refuse(stream: &mut TcpStream, peer: &str, e: &HeadError, logging: bool) {
    let Some(status) = e.status() else {
        return;
    };
    let reason = http::reason(status);
    let detail = match e {
        HeadError::Malformed(why) => format!(" ({})", escape::line(why)),
        _ => String::new(),
    };
    if logging {
        log(&format!("{peer}: {status} {reason}{detail}"));
    }
    let _ = send(
        stream,
        &text_head(status, false),
        format!("{status} {reason}\n").as_bytes(),
        false,
    );
}

/// The request's log line; everything the client sent is escaped.
fn describe_request(peer: &str, head: &RequestHead) -> String {
    let mut line = format!(
        "{peer} {} HTTP/1.{}",
        format!(
            "{} {}",
            escape::line(&head.method),
            escape::line(&head.path)
        )
        .bold(),
        head.minor_version
    );
    for name in [
        "Last-Event-ID",
        "Via",
        "X-Forwarded-For",
        "Forwarded",
        "User-Agent",
    ] {
        if let Some(value) = head.header(name) {
            line.push_str(&format!(" · {name}: {}", escape::line(value)));
        }
    }
    line
}

/// Headers a page's EventSource or fetch sends to the stream, allowed whatever the
/// preflight asks.
const CORS_HEADERS: &[&str] = &["Last-Event-ID", "Cache-Control", "Accept", "Content-Type"];

/// The answer to a CORS preflight: with `--cors`, GET and POST (a page that POSTs JSON
/// to a mocked LLM API) and every header the preflight asks for, so a mock never
/// blocks what the real API would allow.
fn preflight(config: &Config, request: &RequestHead, keep_alive: bool) -> (Head, Vec<u8>) {
    let mut head = Head::new(204);
    head.keep_alive = keep_alive;
    let cors = config.cors_headers();
    if !cors.is_empty() {
        for (name, value) in cors {
            head.set(name, value);
        }
        head.set("Access-Control-Allow-Methods", STREAM_METHODS);
        let asked = request
            .header("Access-Control-Request-Headers")
            .unwrap_or("");
        head.set("Access-Control-Allow-Headers", allowed_headers(asked));
        head.set("Access-Control-Max-Age", "600");
    }
    (head, Vec::new())
}

/// [`CORS_HEADERS`] and the names in an `Access-Control-Request-Headers` list; anything
/// in it that is not a header name is not echoed.
fn allowed_headers(asked: &str) -> String {
    let mut names: Vec<&str> = CORS_HEADERS.to_vec();
    for name in asked.split(',').map(str::trim) {
        let token = !name.is_empty()
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b));
        if token && !names.iter().any(|n| n.eq_ignore_ascii_case(name)) {
            names.push(name);
        }
    }
    names.join(", ")
}

fn page(config: &Config, keep_alive: bool) -> (Head, Vec<u8>) {
    let html = fill(
        PAGE,
        &[
            ("PATH_JSON", inline_json(&config.path)),
            ("PATH", html_escape(&config.path)),
            ("TYPES_JSON", inline_json(&config.script.event_types())),
        ],
    );
    let mut head = Head::new(200)
        .with("Content-Type", "text/html; charset=utf-8")
        .with("Cache-Control", "no-cache");
    head.keep_alive = keep_alive;
    (head, html.into_bytes())
}

/// The template with each `{{NAME}}` replaced, in one pass: a value never meets
/// another marker.
fn fill(template: &str, values: &[(&str, String)]) -> String {
    let mut out = String::with_capacity(template.len() + 256);
    let mut rest = template;
    while let Some(open) = rest.find("{{") {
        out.push_str(&rest[..open]);
        let after = &rest[open + 2..];
        match after.find("}}").and_then(|close| {
            let name = &after[..close];
            values
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| (close, v))
        }) {
            Some((close, value)) => {
                out.push_str(value);
                rest = &after[close + 2..];
            }
            None => {
                out.push_str("{{");
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// JSON to inline in a `<script>` element: `<`, `>`, `&` and `/` escaped, so no value
/// can close the element (`</script>`) or open a comment; U+2028/9 for old engines.
fn inline_json(value: &impl serde::Serialize) -> String {
    let json = serde_json::to_string(value).unwrap_or_else(|_| "null".into());
    let mut out = String::with_capacity(json.len() + 16);
    for c in json.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '/' => out.push_str("\\/"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_json_cannot_close_the_script_element() {
        let hostile = vec![
            "</script><script>alert(1)</script>".to_string(),
            "<!--".into(),
            "a&b\u{2028}".into(),
        ];
        let json = inline_json(&hostile);
        assert!(
            !json.contains('<') && !json.contains('>') && !json.contains('&'),
            "{json}"
        );
        assert!(!json.contains("</"));
        let back: Vec<String> = serde_json::from_str(&json).unwrap();
        assert_eq!(back, hostile, "still the same JSON");
    }

    #[test]
    fn preflights_allow_the_header_names_asked_for() {
        assert_eq!(
            allowed_headers(""),
            "Last-Event-ID, Cache-Control, Accept, Content-Type"
        );
        assert_eq!(
            allowed_headers("content-type,authorization, X-Api-Key ,,last-event-id"),
            "Last-Event-ID, Cache-Control, Accept, Content-Type, authorization, X-Api-Key"
        );
        assert_eq!(
            allowed_headers("a b, \u{1b}[2J, x:y, ok"),
            "Last-Event-ID, Cache-Control, Accept, Content-Type, ok"
        );
    }

    #[test]
    fn templates_fill_in_one_pass() {
        let values = [("A", "{{B}}".to_string()), ("B", "b".to_string())];
        assert_eq!(fill("x{{A}}y{{B}}z{{C}}", &values), "x{{B}}ybz{{C}}");
        assert_eq!(fill("{{", &values), "{{");
    }

    #[test]
    fn speed_scales_pauses_without_overflow() {
        let mut config = Config {
            script: Script::default(),
            path: "/events".into(),
            repeat: false,
            interval: None,
            speed: 10.0,
            stamp: false,
            plan: Plan::default(),
            cors: None,
            log: false,
        };
        assert_eq!(
            config.scaled(Duration::from_secs(2)),
            Duration::from_millis(200)
        );
        config.speed = 1e-300;
        assert_eq!(config.scaled(Duration::from_secs(2)), MAX_DURATION);
    }
}
