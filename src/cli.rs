//! The command line: one clap definition, from which completions and man pages are made.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use crate::parser::DEFAULT_MAX_EVENT_SIZE;

/// See, mock and diagnose Server-Sent Events streams.
///
/// `sse tail` streams and pretty-prints events like a browser's EventSource would see
/// them; `sse serve` replays a scripted stream, faults included; `sse doctor` finds out
/// why a stream arrives late or dies behind a proxy.
#[derive(Debug, Parser)]
#[command(name = "sse", version, about, long_about, propagate_version = true)]
#[command(
    after_help = "Examples:\n  sse tail localhost:8080/events\n  sse tail :8080/events --json | jq .data\n  sse serve script.txt --port 0\n  sse doctor https://example.com/stream\n  sse demo"
)]
pub struct Cli {
    /// When to use colour: auto (a terminal without NO_COLOR), always, never
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, global = true, value_name = "WHEN")]
    pub color: ColorChoice,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Connect to an event stream and print its events as they arrive
    Tail(TailArgs),
    /// Serve a scripted event stream (the built-in demo when no script is given)
    Serve(ServeArgs),
    /// Watch a stream and report buffering and proxy problems, with fixes
    Doctor(DoctorArgs),
    /// Serve the built-in script on a free loopback port and tail it
    Demo(DemoArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

/// Where `sse tail` reads a stream from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Url(String),
    /// `-`: an event stream on standard input.
    Stdin,
}

/// A request header from `-H 'Name: value'`; an empty value removes a default header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    pub name: String,
    pub value: String,
}

#[derive(Debug, Args)]
pub struct TailArgs {
    /// The stream: a URL, `host:port/path`, `:port/path` (localhost), or `-` for stdin
    #[arg(value_name = "URL", value_parser = parse_source)]
    pub source: Source,

    /// Show only events of this type (repeatable)
    #[arg(
        short = 'e',
        long = "event",
        value_name = "TYPE",
        conflicts_with = "raw"
    )]
    pub events: Vec<String>,

    /// Print one JSON object per event (NDJSON): event, data, id, time, gap_ms, connection
    #[arg(long, conflicts_with = "raw")]
    pub json: bool,

    /// Print the bytes of the stream as received, like `curl -N`
    #[arg(long)]
    pub raw: bool,

    /// Add a request header, `Name: value` (repeatable); `Name:` removes a default one
    #[arg(short = 'H', long = "header", value_name = "HEADER", value_parser = parse_header)]
    pub headers: Vec<Header>,

    /// Send this Last-Event-ID on the first request, to resume a stream
    #[arg(long, value_name = "ID")]
    pub last_event_id: Option<String>,

    /// Reconnection time in milliseconds until the server sends `retry:` [default: 3000]
    #[arg(long, value_name = "MS")]
    pub retry: Option<u64>,

    /// Exit after this many events have been shown
    #[arg(short = 'n', long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub count: Option<u64>,

    /// Give up connecting, or on a stream silent for this long (e.g. 30s, 1m)
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub timeout: Option<Duration>,

    /// Show request and response headers, comments and retry changes on stderr
    #[arg(short, long)]
    pub verbose: bool,

    /// Exit when the stream ends instead of reconnecting
    #[arg(long, conflicts_with = "reconnect")]
    pub no_reconnect: bool,

    /// Reconnect even a stream opened with a method other than GET (re-sends the body)
    #[arg(long)]
    pub reconnect: bool,

    /// HTTP method [default: GET, or POST with --data]
    #[arg(short = 'X', long, value_name = "METHOD", value_parser = parse_method)]
    pub method: Option<String>,

    /// Request body; `@file` reads a file, `@-` standard input (implies POST)
    #[arg(short = 'd', long, value_name = "DATA")]
    pub data: Option<String>,

    /// Accept any TLS certificate (self-signed development servers)
    #[arg(short = 'k', long)]
    pub insecure: bool,

    /// Largest line or event accepted (e.g. 16MiB, 512KiB, 1G)
    #[arg(long, value_name = "SIZE", value_parser = parse_size, default_value = "16MiB")]
    pub max_event_size: usize,

    /// Also write what arrives to FILE as a script `sse serve` replays with the same gaps
    #[arg(long, value_name = "FILE")]
    pub record: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The script to serve (`-` for stdin); the built-in demo script when none is given
    #[arg(value_name = "SCRIPT")]
    pub script: Option<PathBuf>,

    /// Address to listen on
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1")]
    pub bind: IpAddr,

    /// Port to listen on; 0 picks a free one (printed on stdout)
    #[arg(short, long, value_name = "PORT", default_value_t = 8080)]
    pub port: u16,

    /// URL path of the stream
    #[arg(long, value_name = "PATH", default_value = "/events", value_parser = parse_path)]
    pub path: String,

    /// Replay the script forever
    #[arg(long = "loop")]
    pub repeat: bool,

    /// Pause between events that have no @sleep of their own (e.g. 1s, 250ms)
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub interval: Option<Duration>,

    /// Write `: sent-at <unix-ms>` before each event, so `sse doctor` can measure delays
    #[arg(long)]
    pub stamp: bool,

    /// Reproduce a breakage (repeatable): buffer, etag, gzip, close-after=N, http10,
    /// content-type=TYPE, status=CODE
    #[arg(long, value_name = "NAME[=ARG]", value_parser = crate::serve::fault::parse_fault)]
    pub fault: Vec<crate::serve::fault::Fault>,

    /// Allow pages from this origin (or `*`) to open the stream (CORS)
    #[arg(long, value_name = "ORIGIN")]
    pub cors: Option<String>,
}

#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// The stream to examine: a URL, `host:port/path` or `:port/path`
    #[arg(value_name = "URL", value_parser = parse_url)]
    pub url: String,

    /// How long to watch the stream
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, default_value = "10s")]
    pub duration: Duration,

    /// Stop watching after this many events
    #[arg(short = 'n', long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub count: Option<u64>,

    /// Fail when an event arrives later than this after it was sent (needs `: sent-at` stamps)
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub max_delay: Option<Duration>,

    /// Print the report as JSON
    #[arg(long)]
    pub json: bool,

    /// Add a request header, `Name: value` (repeatable)
    #[arg(short = 'H', long = "header", value_name = "HEADER", value_parser = parse_header)]
    pub headers: Vec<Header>,

    /// Give up connecting after this long
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, default_value = "10s")]
    pub timeout: Duration,

    /// Accept any TLS certificate (self-signed development servers)
    #[arg(short = 'k', long)]
    pub insecure: bool,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Print events as JSON lines instead of the pretty view
    #[arg(long)]
    pub json: bool,
}

/// The clap command, for completions, man pages and tests.
pub fn command() -> clap::Command {
    <Cli as clap::CommandFactory>::command()
}

/// `-` is stdin; everything else must be a URL.
pub fn parse_source(s: &str) -> Result<Source, String> {
    if s == "-" {
        return Ok(Source::Stdin);
    }
    parse_url(s).map(Source::Url)
}

/// Accepts `http(s)://...`, `host:port/path` (http), and `:port/path` (localhost).
pub fn parse_url(s: &str) -> Result<String, String> {
    let s = s.trim();
    if s.is_empty() {
        return Err("empty URL".into());
    }
    let url = if let Some(i) = s.find("://") {
        let scheme = s[..i].to_ascii_lowercase();
        if scheme != "http" && scheme != "https" {
            return Err(format!(
                "unsupported scheme {:?}: use http or https",
                &s[..i]
            ));
        }
        s.to_string()
    } else if s.starts_with(':') {
        format!("http://localhost{s}")
    } else {
        format!("http://{s}")
    };
    let uri: ureq::http::Uri = url
        .parse()
        .map_err(|e| format!("invalid URL {url:?}: {e}"))?;
    match uri.host() {
        Some(h) if !h.is_empty() => {}
        _ => return Err(format!("invalid URL {url:?}: no host")),
    }
    if uri.path().is_empty() || (uri.path() == "/" && !url.ends_with('/') && uri.query().is_none())
    {
        // `localhost:8080` means its root, as in curl.
        return Ok(format!("{url}/"));
    }
    Ok(url)
}

pub fn parse_header(s: &str) -> Result<Header, String> {
    let Some((name, value)) = s.split_once(':') else {
        return Err(format!("{s:?} is not a header: use 'Name: value'"));
    };
    let name = name.trim();
    if name.is_empty() || !name.bytes().all(is_token_byte) {
        return Err(format!("{name:?} is not a valid header name"));
    }
    let value = value.trim();
    if value.bytes().any(|b| b == b'\r' || b == b'\n' || b == 0) {
        return Err(format!("the value of {name} contains a line break"));
    }
    Ok(Header {
        name: name.to_string(),
        value: value.to_string(),
    })
}

fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

fn parse_method(s: &str) -> Result<String, String> {
    if s.is_empty() || !s.bytes().all(is_token_byte) {
        return Err(format!("{s:?} is not an HTTP method"));
    }
    Ok(s.to_ascii_uppercase())
}

/// `250ms`, `1s`, `1.5s`, `2m`, `1h30m`; a bare number is seconds.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    if let Ok(secs) = s.parse::<f64>() {
        return Duration::try_from_secs_f64(secs).map_err(|_| format!("invalid duration {s:?}"));
    }
    // humantime takes "1s 500ms" but not "1.5s": handle a decimal number with one unit here.
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let (number, unit) = s.split_at(split);
    if number.contains('.') {
        let value: f64 = number
            .parse()
            .map_err(|_| format!("invalid duration {s:?}"))?;
        let scale = match unit.trim() {
            "ms" => 0.001,
            "s" | "sec" | "secs" => 1.0,
            "m" | "min" | "mins" => 60.0,
            "h" | "hr" | "hours" => 3600.0,
            _ => return Err(format!("invalid duration {s:?}: use e.g. 250ms, 1.5s, 2m")),
        };
        return Duration::try_from_secs_f64(value * scale)
            .map_err(|_| format!("invalid duration {s:?}"));
    }
    humantime::parse_duration(s).map_err(|e| format!("invalid duration {s:?}: {e}"))
}

/// `16MiB`, `512k`, `1G`, `100` (bytes). K/M/G are powers of 1024, as for sizes of memory.
pub fn parse_size(s: &str) -> Result<usize, String> {
    let t = s.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let n: u64 = number
        .parse()
        .map_err(|_| format!("invalid size {s:?}: use e.g. 16MiB, 512KiB"))?;
    let scale: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        _ => return Err(format!("invalid size {s:?}: use e.g. 16MiB, 512KiB")),
    };
    let bytes = n
        .checked_mul(scale)
        .ok_or_else(|| format!("size {s:?} is too large"))?;
    if bytes == 0 {
        return Err("the size must be more than 0".into());
    }
    usize::try_from(bytes).map_err(|_| format!("size {s:?} is too large"))
}

fn parse_path(s: &str) -> Result<String, String> {
    if !s.starts_with('/') {
        return Err(format!("{s:?} must start with /"));
    }
    Ok(s.to_string())
}

// `--max-event-size` says "16MiB"; keep it in step with the parser's default.
const _: () = assert!(DEFAULT_MAX_EVENT_SIZE == 16 * 1024 * 1024);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verify_cli() {
        command().debug_assert();
    }

    #[test]
    fn url_shorthands() {
        let ok = |s: &str| parse_url(s).unwrap();
        assert_eq!(ok("localhost:8080/events"), "http://localhost:8080/events");
        assert_eq!(ok(":8080/events"), "http://localhost:8080/events");
        assert_eq!(ok("https://example.com/s?x=1"), "https://example.com/s?x=1");
        assert_eq!(ok("example.com"), "http://example.com/");
        assert_eq!(ok(":8080"), "http://localhost:8080/");
        assert_eq!(ok("HTTP://Example.com/a"), "HTTP://Example.com/a");
        assert!(parse_url("ftp://x/y")
            .unwrap_err()
            .contains("unsupported scheme"));
        assert!(parse_url("").is_err());
        assert!(parse_url("http:///x").is_err());
        assert_eq!(parse_source("-"), Ok(Source::Stdin));
    }

    #[test]
    fn tail_parses_like_curl() {
        let cli = Cli::try_parse_from([
            "sse",
            "tail",
            ":9/e",
            "-H",
            "Authorization: Bearer a:b",
            "-e",
            "x",
            "-e",
            "y",
            "-d",
            "{}",
        ])
        .unwrap();
        let Command::Tail(t) = cli.command else {
            panic!("not tail")
        };
        assert_eq!(t.source, Source::Url("http://localhost:9/e".into()));
        assert_eq!(
            t.headers,
            vec![Header {
                name: "Authorization".into(),
                value: "Bearer a:b".into()
            }]
        );
        assert_eq!(t.events, vec!["x", "y"]);
        assert_eq!(t.max_event_size, DEFAULT_MAX_EVENT_SIZE);
        assert!(Cli::try_parse_from(["sse", "tail", "x", "--json", "--raw"]).is_err());
        assert!(
            Cli::try_parse_from(["sse", "tail", "x", "--reconnect", "--no-reconnect"]).is_err()
        );
        assert!(Cli::try_parse_from(["sse", "tail", "x", "-n", "0"]).is_err());
        assert!(Cli::try_parse_from(["sse", "tail", "x", "--color", "sometimes"]).is_err());
        assert!(Cli::try_parse_from(["sse", "--color", "never", "tail", "x"]).is_ok());
    }

    #[test]
    fn headers() {
        assert_eq!(
            parse_header("Accept:").unwrap(),
            Header {
                name: "Accept".into(),
                value: "".into()
            }
        );
        assert_eq!(parse_header("X-A:  b c ").unwrap().value, "b c");
        assert!(parse_header("no colon").is_err());
        assert!(parse_header("bad name: x").is_err());
        assert!(parse_header(": x").is_err());
    }

    #[test]
    fn durations_and_sizes() {
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("2"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_duration("1m 30s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("0s"), Ok(Duration::ZERO));
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("-1s").is_err());
        assert_eq!(parse_size("16MiB"), Ok(16 << 20));
        assert_eq!(parse_size("512k"), Ok(512 << 10));
        assert_eq!(parse_size("100"), Ok(100));
        assert!(parse_size("0").is_err());
        assert!(parse_size("12 parsecs").is_err());
        assert!(parse_size("99999999999G").is_err());
    }
}
