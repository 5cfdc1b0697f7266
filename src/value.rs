//! Values typed on the command line and in scripts, with their parsers: URLs, headers,
//! durations, sizes and fault names. Pure functions, shared by `cli`, `serve::script`
//! and the commands; nothing here knows about clap.

use std::fmt;
use std::time::Duration;

/// The longest duration accepted anywhere (flags, `@sleep`): far beyond any real use,
/// and far enough below the limits of `Instant` arithmetic that adding it never overflows.
pub const MAX_DURATION: Duration = Duration::from_secs(365 * 24 * 3600);

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

/// A breakage `sse serve --fault` reproduces on purpose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Hold the whole body, then send it with Content-Length (a buffering proxy).
    Buffer,
    /// What Rack::ETag does: buffer the body to hash it, and add an ETag.
    Etag,
    /// Compress with gzip and flush only at the end (compression middleware).
    Gzip,
    /// Close the connection after N events.
    CloseAfter(u64),
    /// Answer as an HTTP/1.0 server: no chunking, the body ends at close.
    Http10,
    /// Send this Content-Type instead of text/event-stream.
    ContentType(String),
    /// Answer with this status code.
    Status(u16),
    /// Stop sending after N events but keep the connection open.
    StallAfter(u64),
    /// A TCP reset after N events.
    ResetAfter(u64),
    /// Every event sent a few bytes at a time.
    Drip,
}

impl Fault {
    /// The [`FAULTS`] entry this fault was parsed from.
    pub fn spec(&self) -> &'static FaultSpec {
        let kind = std::mem::discriminant(self);
        FAULTS
            .iter()
            .find(|spec| std::mem::discriminant(&spec.arg.sample()) == kind)
            .expect("FAULTS has an entry for every Fault (tested)")
    }
}

/// `close-after=3`: as typed, so that it parses back.
impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.spec().name)?;
        match self {
            Fault::CloseAfter(n) | Fault::StallAfter(n) | Fault::ResetAfter(n) => write!(f, "={n}"),
            Fault::ContentType(t) => write!(f, "={t}"),
            Fault::Status(c) => write!(f, "={c}"),
            Fault::Buffer | Fault::Etag | Fault::Gzip | Fault::Http10 | Fault::Drip => Ok(()),
        }
    }
}

/// What follows a fault's name: nothing, or `=ARG` of one of these shapes.
#[derive(Debug, Clone, Copy)]
pub enum FaultArg {
    /// No argument: `buffer`.
    None(fn() -> Fault),
    /// `=N`, a whole number of events: `close-after=3`.
    Events(fn(u64) -> Fault),
    /// `=TYPE`, a Content-Type: `content-type=text/plain`.
    ContentType,
    /// `=CODE`, a status from 100 to 999: `status=503`.
    Status,
}

impl FaultArg {
    /// The placeholder after `=` in help and messages (`N`, `TYPE`, `CODE`).
    pub fn placeholder(self) -> Option<&'static str> {
        match self {
            FaultArg::None(_) => None,
            FaultArg::Events(_) => Some("N"),
            FaultArg::ContentType => Some("TYPE"),
            FaultArg::Status => Some("CODE"),
        }
    }

    /// A fault of this shape with an arbitrary argument, to tell which entry a
    /// [`Fault`] came from.
    fn sample(self) -> Fault {
        match self {
            FaultArg::None(make) => make(),
            FaultArg::Events(make) => make(0),
            FaultArg::ContentType => Fault::ContentType(String::new()),
            FaultArg::Status => Fault::Status(0),
        }
    }
}

/// One `--fault`: its name, what follows it, and how `--help` explains it.
#[derive(Debug, Clone, Copy)]
pub struct FaultSpec {
    pub name: &'static str,
    pub arg: FaultArg,
    /// Said in brackets after the name in `--help`; empty when the name says enough.
    pub help: &'static str,
    /// It breaks a stream already under way (`--help` lists these apart).
    pub mid_stream: bool,
}

impl FaultSpec {
    /// `close-after=N`, `buffer`: the name as `--help` and messages show it.
    pub fn usage(&self) -> String {
        match self.arg.placeholder() {
            Some(arg) => format!("{}={arg}", self.name),
            None => self.name.to_string(),
        }
    }

    /// What shell completion offers: `close-after=` for a fault that takes an
    /// argument, `buffer` for one that takes none.
    pub fn completion(&self) -> String {
        match self.arg.placeholder() {
            Some(_) => format!("{}=", self.name),
            None => self.name.to_string(),
        }
    }
}

/// Every fault, in the order `--help` and the "unknown fault" message list them. Each
/// place that names faults (the parser, its messages, `--help`, shell completion)
/// reads this table.
pub const FAULTS: &[FaultSpec] = &[
    FaultSpec {
        name: "buffer",
        arg: FaultArg::None(|| Fault::Buffer),
        help: "hold the body, send it with Content-Length",
        mid_stream: false,
    },
    FaultSpec {
        name: "etag",
        arg: FaultArg::None(|| Fault::Etag),
        help: "as Rack::ETag",
        mid_stream: false,
    },
    FaultSpec {
        name: "gzip",
        arg: FaultArg::None(|| Fault::Gzip),
        help: "compress, flush only at the end",
        mid_stream: false,
    },
    FaultSpec {
        name: "close-after",
        arg: FaultArg::Events(Fault::CloseAfter),
        help: "drop the connection after N events",
        mid_stream: false,
    },
    FaultSpec {
        name: "http10",
        arg: FaultArg::None(|| Fault::Http10),
        help: "answer as HTTP/1.0",
        mid_stream: false,
    },
    FaultSpec {
        name: "content-type",
        arg: FaultArg::ContentType,
        help: "",
        mid_stream: false,
    },
    FaultSpec {
        name: "status",
        arg: FaultArg::Status,
        help: "",
        mid_stream: false,
    },
    FaultSpec {
        name: "stall-after",
        arg: FaultArg::Events(Fault::StallAfter),
        help: "silent after N events, connection kept open",
        mid_stream: true,
    },
    FaultSpec {
        name: "reset-after",
        arg: FaultArg::Events(Fault::ResetAfter),
        help: "a TCP reset after N events",
        mid_stream: true,
    },
    FaultSpec {
        name: "drip",
        arg: FaultArg::None(|| Fault::Drip),
        help: "events sent a few bytes at a time",
        mid_stream: true,
    },
];

/// The `--fault` help: every entry of [`FAULTS`] with its explanation, the mid-stream
/// ones last.
pub fn fault_help() -> String {
    let list = |mid_stream: bool| {
        FAULTS
            .iter()
            .filter(|spec| spec.mid_stream == mid_stream)
            .map(|spec| match spec.help {
                "" => spec.usage(),
                help => format!("{} ({help})", spec.usage()),
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    format!(
        "Reproduce a breakage (repeatable): {}; mid-stream: {}",
        list(false),
        list(true)
    )
}

/// `buffer, etag, ... or drip`: every fault, for the "unknown fault" message.
fn fault_choices() -> String {
    let names: Vec<String> = FAULTS.iter().map(FaultSpec::usage).collect();
    match names.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
        _ => names.concat(),
    }
}

/// The fault name nearest `name`, when it is near enough to be a slip of the fingers:
/// at most 2 edits, and fewer than a third of the name.
fn closest_fault(name: &str) -> Option<&'static str> {
    let (distance, near) = FAULTS
        .iter()
        .map(|spec| (edit_distance(name, spec.name), spec.name))
        .min()?;
    (distance > 0 && distance <= 2 && distance * 3 <= near.len()).then_some(near)
}

/// Levenshtein distance, by characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (above + 1)
                .min(row[j] + 1)
                .min(diagonal + usize::from(ca != *cb));
            diagonal = above;
        }
    }
    row[b.len()]
}

/// `NAME[=ARG]`, one of [`FAULTS`].
pub fn parse_fault(s: &str) -> Result<Fault, String> {
    let (name, arg) = match s.split_once('=') {
        Some((n, a)) => (n.trim(), Some(a.trim())),
        None => (s.trim(), None),
    };
    let Some(spec) = FAULTS.iter().find(|spec| spec.name == name) else {
        let guess = match (closest_fault(name), arg) {
            (Some(near), Some(arg)) => format!(" did you mean {near}={arg}?"),
            (Some(near), None) => format!(" did you mean {near}?"),
            (None, _) => String::new(),
        };
        return Err(format!(
            "unknown fault {name:?}:{guess} use {}",
            fault_choices()
        ));
    };
    let needs = |what: &str| format!("--fault {name} needs ={what}");
    let fault = match (spec.arg, arg) {
        (FaultArg::None(make), None) => make(),
        (FaultArg::None(_), Some(_)) => return Err(format!("--fault {name} takes no argument")),
        (FaultArg::Events(make), Some(n)) => make(
            n.parse()
                .map_err(|_| needs("N, a whole number of events"))?,
        ),
        (FaultArg::Events(_), None) => return Err(needs(&format!("N, e.g. {name}=1"))),
        // It goes into the response head: what @header refuses, this refuses too.
        (FaultArg::ContentType, Some(t)) if !t.trim().is_empty() => Fault::ContentType(
            parse_header(&format!("Content-Type: {t}"))
                .map_err(|e| format!("--fault {name}: {e}"))?
                .value,
        ),
        (FaultArg::ContentType, _) => return Err(needs(&format!("TYPE, e.g. {name}=text/plain"))),
        (FaultArg::Status, Some(c)) => match c.parse::<u16>() {
            Ok(code) if (100..=999).contains(&code) => Fault::Status(code),
            _ => return Err(needs("CODE, a status from 100 to 999")),
        },
        (FaultArg::Status, None) => return Err(needs(&format!("CODE, e.g. {name}=500"))),
    };
    Ok(fault)
}

/// `-` is stdin; everything else must be a URL.
pub fn parse_source(s: &str) -> Result<Source, String> {
    if s == "-" {
        return Ok(Source::Stdin);
    }
    // `--text .msg`: --text takes its FILTER only after `=`, so the filter came here.
    if s.starts_with('.') {
        return Err(format!(
            "{:?} looks like a jq filter, not a URL: write --text={} \
             (--text takes its FILTER only after =)",
            crate::escape::line(s),
            crate::escape::line(s)
        ));
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
        // `8001/events`: a port whose colon was forgotten, not a host named 8001.
        let host = s.split(['/', '?', '#']).next().unwrap_or(s);
        if host.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!(
                "{host} is not a host name: for port {host} on this machine, write :{s}"
            ));
        }
        format!("http://{s}")
    };
    let uri: ureq::http::Uri = url
        .parse()
        .map_err(|e| format!("invalid URL {url:?}: {e}"))?;
    match uri.host() {
        Some(h) if !h.is_empty() => {}
        _ => return Err(format!("invalid URL {url:?}: no host")),
    }
    check_port(uri.authority().map_or("", |a| a.as_str()))
        .map_err(|why| format!("invalid URL {url:?}: {why}"))?;
    if uri.path().is_empty() || (uri.path() == "/" && !url.ends_with('/') && uri.query().is_none())
    {
        // `localhost:8080` means its root, as in curl.
        return Ok(format!("{url}/"));
    }
    Ok(url)
}

/// `-n N`: a number of events, at least 1.
pub fn parse_count(s: &str) -> Result<u64, String> {
    match s.trim().parse::<u64>() {
        Ok(0) => Err("-n needs at least 1 (0 events would end before the first)".into()),
        Ok(n) => Ok(n),
        Err(_) => Err(format!(
            "{:?} is not a number of events",
            crate::escape::line(s)
        )),
    }
}

/// The port in `[user@]host[:port]`, if any, must be a number from 1 to 65535 (an
/// empty one means the scheme's default, as in the URL standard).
fn check_port(authority: &str) -> Result<(), String> {
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, hp)| hp);
    let port = match host_port.rfind(']') {
        Some(end) => host_port[end + 1..].strip_prefix(':'),
        None => host_port.rsplit_once(':').map(|(_, p)| p),
    };
    match port {
        None | Some("") => Ok(()),
        Some(p) => match p.parse::<u16>() {
            Ok(n) if n > 0 && p.bytes().all(|b| b.is_ascii_digit()) => Ok(()),
            _ => Err(format!("port {p:?} is not a number from 1 to 65535")),
        },
    }
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
    if value.bytes().any(|b| b == b'\r' || b == b'\n') {
        return Err(format!("the value of {name} contains a line break"));
    }
    // RFC 9110 5.5: a field value is visible characters, spaces and tabs.
    if let Some(c) = value.chars().find(|&c| c != '\t' && c.is_control()) {
        return Err(format!(
            "the value of {name} contains the control character {}",
            crate::escape::line(&c.to_string())
        ));
    }
    Ok(Header {
        name: name.to_string(),
        value: value.to_string(),
    })
}

fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

pub fn parse_method(s: &str) -> Result<String, String> {
    if s.is_empty() || !s.bytes().all(is_token_byte) {
        return Err(format!("{s:?} is not an HTTP method"));
    }
    Ok(s.to_ascii_uppercase())
}

/// `250ms`, `1s`, `1.5s`, `2m`, `1h30m`; a bare number is seconds.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let d = parse_any_duration(s)?;
    if d > MAX_DURATION {
        return Err(format!(
            "invalid duration {:?}: longer than a year",
            s.trim()
        ));
    }
    Ok(d)
}

/// `--retry`: a duration with a unit like every other duration flag (`2s`, `500ms`),
/// or a bare number of milliseconds, as the `retry:` field counts them.
pub fn parse_retry(s: &str) -> Result<Duration, String> {
    let t = s.trim();
    if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) {
        let ms: u64 = t
            .parse()
            .map_err(|_| format!("invalid retry time {t:?}: too large"))?;
        return Ok(Duration::from_millis(ms));
    }
    parse_duration(s)
}

/// `--timeout`: a duration above 0 (a limit of 0 would give up before anything could
/// arrive).
pub fn parse_timeout(s: &str) -> Result<Duration, String> {
    match parse_duration(s)? {
        d if d.is_zero() => Err(format!(
            "a timeout of {:?} gives up at once: use a duration above 0, e.g. 30s",
            s.trim()
        )),
        d => Ok(d),
    }
}

fn parse_any_duration(s: &str) -> Result<Duration, String> {
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

/// `--speed`: a factor above 0 by which every pause is shortened (`10`, `0.5`).
pub fn parse_speed(s: &str) -> Result<f64, String> {
    match s
        .trim()
        .strip_suffix('x')
        .unwrap_or(s.trim())
        .parse::<f64>()
    {
        Ok(f) if f.is_finite() && f > 0.0 => Ok(f),
        _ => Err(format!(
            "invalid speed {s:?}: use a factor above 0, e.g. 10 or 0.5"
        )),
    }
}

/// `--cors ORIGIN`: `*`, `null` or an origin such as `https://app.example`, which goes
/// into a response header as it is: no spaces or control characters.
pub fn parse_origin(s: &str) -> Result<String, String> {
    if s.is_empty() || s.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(format!(
            "{:?} is not an origin: use *, null or e.g. https://app.example",
            crate::escape::line(s)
        ));
    }
    Ok(s.to_string())
}

/// `--path`: `/events`, or `events` taken as `/events`; not a whole URL.
pub fn parse_path(s: &str) -> Result<String, String> {
    if s.contains("://") {
        return Err(format!(
            "{:?} is a URL: --path takes only its path, e.g. /events",
            crate::escape::line(s)
        ));
    }
    if s.starts_with('/') {
        Ok(s.to_string())
    } else {
        Ok(format!("/{s}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert_eq!(
            parse_url("8001/events").unwrap_err(),
            "8001 is not a host name: for port 8001 on this machine, write :8001/events"
        );
        assert_eq!(ok("http://8001/events"), "http://8001/events");
        assert_eq!(parse_count("2"), Ok(2));
        assert!(parse_count("0")
            .unwrap_err()
            .starts_with("-n needs at least 1"));
        for bad in [
            ":abc/events",
            "localhost:99999/x",
            "h:0/x",
            "h:-1/x",
            "http://[::1]:x/",
        ] {
            let err = parse_url(bad).unwrap_err();
            assert!(err.contains("not a number from 1 to 65535"), "{bad}: {err}");
        }
        assert_eq!(ok("http://[::1]:8080/e"), "http://[::1]:8080/e");
        assert_eq!(ok("http://u:p@h:80/x"), "http://u:p@h:80/x");
        assert_eq!(ok("http://h:/x"), "http://h:/x");
        assert!(parse_url("http:///x").is_err());
        assert_eq!(parse_source("-"), Ok(Source::Stdin));
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
        for control in [
            "\x1b[2J", "a\x0bb", "a\x0cb", "a\x7fb", "\x01", "\0", "\u{9b}",
        ] {
            let err = parse_header(&format!("X-A: {control}")).unwrap_err();
            assert!(err.contains("control character"), "{err}");
        }
        assert_eq!(parse_header("X-A: a\tb").unwrap().value, "a\tb");
    }

    #[test]
    fn speeds_and_origins() {
        assert_eq!(parse_speed("10"), Ok(10.0));
        assert_eq!(parse_speed("0.5x"), Ok(0.5));
        for bad in ["0", "-2", "inf", "NaN", "fast"] {
            assert!(parse_speed(bad).is_err(), "{bad}");
        }
        assert_eq!(parse_origin("*").unwrap(), "*");
        assert_eq!(
            parse_origin("https://a.example:8443").unwrap(),
            "https://a.example:8443"
        );
        for bad in ["", "https://a\r\nSet-Cookie: x=1", "a b", "\x1b"] {
            assert!(parse_origin(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn durations_and_sizes() {
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_retry("500"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_retry("2s"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_retry("1.5s"), Ok(Duration::from_millis(1500)));
        assert!(parse_retry("soon").is_err());
        assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_timeout("1.5s"), Ok(Duration::from_millis(1500)));
        assert!(parse_timeout("0s").unwrap_err().contains("above 0"));
        assert!(parse_timeout("0").is_err());
        assert_eq!(parse_duration("2"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_duration("1m 30s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("0s"), Ok(Duration::ZERO));
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("-1s").is_err());
        assert!(parse_duration("1e19s").is_err());
        assert!(parse_duration("1e19")
            .unwrap_err()
            .contains("longer than a year"));
        assert!(parse_duration("100000000000h").is_err());
        assert_eq!(parse_duration("365d"), Ok(MAX_DURATION));
        assert_eq!(parse_size("16MiB"), Ok(16 << 20));
        assert_eq!(parse_size("512k"), Ok(512 << 10));
        assert_eq!(parse_size("100"), Ok(100));
        assert!(parse_size("0").is_err());
        assert!(parse_size("12 parsecs").is_err());
        assert!(parse_size("99999999999G").is_err());
    }

    #[test]
    fn a_filter_is_not_a_source() {
        assert_eq!(parse_source("-"), Ok(Source::Stdin));
        let err = parse_source(".msg").unwrap_err();
        assert!(err.contains("write --text=.msg"), "{err}");
    }

    #[test]
    fn paths_get_their_slash() {
        assert_eq!(parse_path("/events").unwrap(), "/events");
        assert_eq!(parse_path("events").unwrap(), "/events");
        assert_eq!(parse_path("").unwrap(), "/");
        assert!(parse_path("http://x/events").is_err());
    }

    #[test]
    fn a_near_fault_name_is_suggested() {
        assert_eq!(edit_distance("bufer", "buffer"), 1);
        assert_eq!(edit_distance("", "etag"), 4);
        assert_eq!(edit_distance("gizp", "gzip"), 2);
        assert_eq!(closest_fault("bufer"), Some("buffer"));
        assert_eq!(closest_fault("http11"), Some("http10"));
        assert_eq!(closest_fault("zzz"), None);
        assert_eq!(closest_fault("etc"), None);
        let err = parse_fault("stall-afte=2").unwrap_err();
        assert!(err.starts_with("unknown fault \"stall-afte\": did you mean stall-after=2? use "));
    }

    #[test]
    fn faults_parse_and_print_back() {
        for text in [
            "buffer",
            "etag",
            "gzip",
            "close-after=3",
            "http10",
            "content-type=text/plain",
            "status=503",
            "stall-after=2",
            "reset-after=0",
            "drip",
        ] {
            assert_eq!(parse_fault(text).unwrap().to_string(), text);
        }
        assert!(parse_fault("close-after").unwrap_err().contains("needs"));
        assert!(parse_fault("close-after=x").is_err());
        assert!(parse_fault("status=42").is_err());
        assert!(parse_fault("gzip=1").is_err());
        for bad in [
            "content-type=a\x1b",
            "content-type=a\r\nX: y",
            "content-type=\u{9b}",
        ] {
            let err = parse_fault(bad).unwrap_err();
            assert!(err.contains("--fault content-type"), "{bad:?}: {err}");
        }
        assert!(parse_fault("slow").unwrap_err().contains("unknown fault"));
    }

    #[test]
    fn every_fault_in_the_table_parses_and_is_offered() {
        let unknown = parse_fault("slow").unwrap_err();
        let help = fault_help();
        for spec in FAULTS {
            let text = match spec.arg {
                FaultArg::None(_) => spec.name.to_string(),
                FaultArg::Events(_) => format!("{}=3", spec.name),
                FaultArg::ContentType => format!("{}=text/plain", spec.name),
                FaultArg::Status => format!("{}=503", spec.name),
            };
            let fault = parse_fault(&text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(fault.spec().name, spec.name);
            assert_eq!(fault.to_string(), text);
            assert!(
                unknown.contains(&spec.usage()),
                "{unknown} lacks {}",
                spec.usage()
            );
            assert!(
                help.contains(&spec.usage()),
                "{help} lacks {}",
                spec.usage()
            );
            assert!(help.contains(spec.help), "{help} lacks {}", spec.help);
        }
        // The message users have always seen, built from the table.
        assert_eq!(
            unknown,
            "unknown fault \"slow\": use buffer, etag, gzip, close-after=N, http10, \
             content-type=TYPE, status=CODE, stall-after=N, reset-after=N or drip"
        );
    }
}
