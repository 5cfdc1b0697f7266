//! The HTTP side of a stream: the request a browser's EventSource would send, the
//! response head, and the checks that decide whether it is an event stream at all.

use std::io::Read;
use std::net::IpAddr;
use std::time::Duration;

use ureq::http::{self, Uri};
use ureq::tls::{RootCerts, TlsConfig};
use ureq::{Agent, Proxy, ResponseExt};

use crate::error::{lowercase_first, Error};
use crate::value::Header;

pub const USER_AGENT: &str = concat!("sse/", env!("CARGO_PKG_VERSION"));

/// The reconnection time before the server sets one with `retry:` (browsers use about 3 s).
pub const DEFAULT_RETRY: Duration = Duration::from_millis(3000);

/// A browser's Accept-Encoding, for `sse doctor` (compression layers only buffer when
/// the request allows compression).
pub const BROWSER_ACCEPT_ENCODING: &str = "gzip, deflate, br, zstd";

#[derive(Debug, Clone)]
pub struct Request {
    pub url: String,
    pub method: String,
    /// Sent after the defaults; an empty value removes a default header.
    pub headers: Vec<Header>,
    pub body: Option<Vec<u8>>,
    pub last_event_id: Option<String>,
    pub timeout: Option<Duration>,
    pub insecure: bool,
    pub accept_encoding: Option<&'static str>,
}

impl Request {
    pub fn get(url: &str) -> Self {
        Request {
            url: url.to_string(),
            method: "GET".into(),
            headers: Vec::new(),
            body: None,
            last_event_id: None,
            timeout: None,
            insecure: false,
            accept_encoding: None,
        }
    }

    /// The header lines to send, defaults first, for the request and for `-v`.
    pub fn header_lines(&self) -> Vec<(String, String)> {
        let mut lines: Vec<(String, String)> = vec![
            ("Accept".into(), "text/event-stream".into()),
            ("Cache-Control".into(), "no-cache".into()),
            ("User-Agent".into(), USER_AGENT.into()),
        ];
        if let Some(enc) = self.accept_encoding {
            lines.push(("Accept-Encoding".into(), enc.into()));
        }
        if let Some(id) = self.last_event_id.as_deref().filter(|id| !id.is_empty()) {
            lines.push(("Last-Event-ID".into(), id.into()));
        }
        if let Some(body) = &self.body {
            let kind = if serde_json::from_slice::<serde::de::IgnoredAny>(body).is_ok() {
                "application/json"
            } else {
                "application/x-www-form-urlencoded"
            };
            lines.push(("Content-Type".into(), kind.into()));
        }
        // A -H replaces a default of its name; -H repeated sends every value, as curl
        // does; `Name:` removes the default and the values given before it.
        let mut given: Vec<(String, String)> = Vec::new();
        for h in &self.headers {
            lines.retain(|(name, _)| !name.eq_ignore_ascii_case(&h.name));
            if h.value.is_empty() {
                given.retain(|(name, _)| !name.eq_ignore_ascii_case(&h.name));
            } else {
                given.push((h.name.clone(), h.value.clone()));
            }
        }
        lines.extend(given);
        lines
    }
}

/// A response head: the status line and headers, as `tail` shows them and `doctor`
/// judges them (one type for both).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Head {
    pub status: u16,
    pub reason: String,
    /// `HTTP/1.1` or `HTTP/1.0`.
    pub version: &'static str,
    pub headers: Vec<(String, String)>,
    /// Where the stream came from after redirects.
    pub url: String,
}

/// An answered request: the response head and a reader for the body.
pub struct Response {
    pub head: Head,
    pub body: Box<dyn Read + Send>,
}

/// The head's fields read through the response (`response.status`), as before the split.
impl std::ops::Deref for Response {
    type Target = Head;
    fn deref(&self) -> &Head {
        &self.head
    }
}

impl Head {
    pub fn header(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }

    /// The media type, lowercased, without parameters.
    pub fn media_type(&self) -> String {
        media_type(self.header("content-type").unwrap_or(""))
    }

    /// The standard's rule: 200 with `text/event-stream`, or the stream fails for good.
    pub fn check_event_stream(&self, url: &str) -> Result<(), Error> {
        if self.status != 200 {
            return Err(Error::Status {
                url: url.to_string(),
                status: self.status,
                reason: self.reason.clone(),
                body: String::new(),
            });
        }
        if self.media_type() != "text/event-stream" {
            let found = self.header("content-type").unwrap_or("").to_string();
            return Err(Error::ContentType {
                url: url.to_string(),
                found,
                body: String::new(),
            });
        }
        Ok(())
    }
}

impl Response {
    /// [`Head::check_event_stream`], with the start of the body of a response that is not
    /// a stream (at most [`BODY_SHOWN`] bytes, control characters escaped) in the error:
    /// that is where an API explains a 401 or a 429. Waits at most `wait` for it.
    /// `any_type`: a 200 of any Content-Type will do (`--raw`, which is `curl -N`).
    pub fn check_event_stream(
        &mut self,
        url: &str,
        wait: Duration,
        any_type: bool,
    ) -> Result<(), Error> {
        let Err(mut error) = self.head.check_event_stream(url) else {
            return Ok(());
        };
        if any_type && matches!(error, Error::ContentType { .. }) {
            return Ok(());
        }
        if let Error::Status { body, .. } | Error::ContentType { body, .. } = &mut error {
            let raw = std::mem::replace(&mut self.body, Box::new(std::io::empty()));
            let encoding = self.head.header("content-encoding").map(str::to_string);
            if let Ok(decoded) = decode_body(encoding.as_deref(), raw) {
                let (bytes, cut) = body_start(decoded, BODY_SHOWN, wait);
                *body = show_body(&bytes, cut);
            }
        }
        Err(error)
    }
}

/// How much of an error response's body is shown.
pub const BODY_SHOWN: usize = 2048;

/// Up to `limit` bytes of `body`, read for at most `wait` (a server may hold an error
/// body open); and whether there was more.
fn body_start(mut body: Box<dyn Read + Send>, limit: usize, wait: Duration) -> (Vec<u8>, bool) {
    let (tx, rx) = std::sync::mpsc::channel();
    // The reader is left behind if the body never ends; the process exits soon after.
    let spawned = std::thread::Builder::new()
        .name("error-body".into())
        .spawn(move || {
            let mut buf = vec![0; limit + 1];
            loop {
                match body.read(&mut buf) {
                    Ok(0) => break,
                    Ok(n) => {
                        if tx.send(buf[..n].to_vec()).is_err() {
                            break;
                        }
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(_) => break,
                }
            }
        });
    let mut got = Vec::new();
    if spawned.is_err() {
        return (got, false);
    }
    let deadline = std::time::Instant::now() + wait;
    while got.len() <= limit {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        match rx.recv_timeout(left) {
            Ok(bytes) => got.extend_from_slice(&bytes),
            Err(_) => break,
        }
    }
    let cut = got.len() > limit;
    got.truncate(limit);
    (got, cut)
}

/// A body as text for a terminal: lossy UTF-8, CRLF as LF, controls escaped, trailing
/// space trimmed, and a mark when it was cut.
pub fn show_body(bytes: &[u8], cut: bool) -> String {
    let text = String::from_utf8_lossy(bytes).replace("\r\n", "\n");
    let mut shown =
        crate::escape::controls(text.trim_end(), crate::escape::Lines::Keep).into_owned();
    if cut {
        shown.push_str(&format!(" [... first {BODY_SHOWN} bytes]"));
    }
    shown
}

/// Whether text can travel as a header value (an event id may hold control characters
/// that HTTP cannot carry).
pub fn header_safe(value: &str) -> bool {
    value
        .bytes()
        .all(|b| b == b'\t' || (0x20..0x7f).contains(&b) || b >= 0x80)
}

/// A header's value by name, case-insensitively (the first, if repeated).
pub fn find_header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

pub fn media_type(content_type: &str) -> String {
    content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

/// Why a request failed, in a few words, for a one-line error.
pub fn describe(err: &ureq::Error) -> String {
    match err {
        // rustls reports through the socket's io::Error.
        ureq::Error::Io(e) => match e.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>()) {
            Some(tls) => describe_tls(tls),
            None => crate::error::io_message(e),
        },
        ureq::Error::HostNotFound => "host not found (DNS lookup failed)".into(),
        ureq::Error::Timeout(t) => format!("timed out ({t})"),
        ureq::Error::Tls(msg) => format!("TLS: {msg}"),
        ureq::Error::Rustls(e) => describe_tls(e),
        // httparse's words for an answer that is not HTTP/1.x, such as an HTTP/2 frame.
        ureq::Error::Protocol(e) if e.to_string().contains("http parse fail") => {
            format!("{HTTP2_ONLY} ({e})")
        }
        ureq::Error::TooManyRedirects => "too many redirects".into(),
        ureq::Error::RedirectFailed => "a redirect could not be followed".into(),
        ureq::Error::ConnectionFailed => "connection failed".into(),
        ureq::Error::ConnectProxyFailed(msg) => format!("proxy: {msg}"),
        ureq::Error::InvalidProxyUrl => "invalid proxy URL in the environment".into(),
        ureq::Error::BadUri(msg) => format!("bad URL: {msg}"),
        other => lowercase_first(&other.to_string()),
    }
}

const HTTP2_ONLY: &str =
    "the server did not answer in HTTP/1.1: it may speak only HTTP/2, which sse does not";

/// TLS failures a person can act on, in their words.
fn describe_tls(e: &rustls::Error) -> String {
    use rustls::{CertificateError as Cert, Error as Tls};
    match e {
        Tls::InvalidCertificate(Cert::UnknownIssuer | Cert::BadSignature | Cert::Other(_)) => {
            "the server's certificate is self-signed or from an unknown certificate authority \
             (for a development server, -k accepts it)"
                .into()
        }
        Tls::InvalidCertificate(Cert::NotValidForName | Cert::NotValidForNameContext { .. }) => {
            "the server's certificate is for another host name (-k accepts it anyway)".into()
        }
        Tls::InvalidCertificate(
            Cert::Expired
            | Cert::ExpiredContext { .. }
            | Cert::NotValidYet
            | Cert::NotValidYetContext { .. },
        ) => "the server's certificate has expired or is not valid yet \
              (is the clock right? -k accepts it anyway)"
            .into(),
        Tls::InvalidMessage(rustls::InvalidMessage::InvalidContentType) => {
            "the server answered plain HTTP: try http://".into()
        }
        Tls::AlertReceived(rustls::AlertDescription::NoApplicationProtocol) => HTTP2_ONLY.into(),
        other => format!("TLS: {other}"),
    }
}

/// Sends the request and returns the response head, whatever its status.
pub fn open(req: &Request) -> Result<Response, Error> {
    let connect_error = |cause: String| Error::Connect {
        url: req.url.clone(),
        cause,
    };
    let uri: Uri = req
        .url
        .parse()
        .map_err(|e: http::uri::InvalidUri| connect_error(e.to_string()))?;
    let proxy = match choose_proxy(&uri, &|name| std::env::var(name).ok()) {
        Some(p) => Some(
            Proxy::new(&p).map_err(|e| connect_error(format!("proxy {p}: {}", describe(&e))))?,
        ),
        None => None,
    };
    let tls = TlsConfig::builder()
        .root_certs(RootCerts::PlatformVerifier)
        .disable_verification(req.insecure)
        .build();
    let agent: Agent = Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(10)
        .proxy(proxy)
        .tls_config(tls)
        .user_agent(USER_AGENT)
        .timeout_resolve(req.timeout)
        .timeout_connect(req.timeout)
        .timeout_recv_response(req.timeout)
        .timeout_per_read(req.timeout)
        .allow_non_standard_methods(true)
        // As large as tail's reads: half as many reads (and hand-overs) on a fast stream.
        .input_buffer_size(crate::readahead::READ_SIZE)
        .build()
        .into();

    let mut builder = http::Request::builder()
        .method(req.method.as_str())
        .uri(&uri);
    for (name, value) in req.header_lines() {
        builder = builder.header(name, value);
    }
    let result = match &req.body {
        Some(body) => builder.body(body.clone()).map(|r| agent.run(r)),
        // A method that carries content is sent with `Content-Length: 0`, as curl does:
        // servers may refuse a POST without one (411 Length Required).
        None if matches!(req.method.as_str(), "POST" | "PUT" | "PATCH") => {
            builder.body(Vec::new()).map(|r| agent.run(r))
        }
        None => builder.body(()).map(|r| agent.run(r)),
    };
    let response = result
        .map_err(|e| {
            connect_error(format!(
                "invalid request: {}",
                lowercase_first(&e.to_string())
            ))
        })?
        .map_err(|e| {
            let mut cause = describe(&e);
            if cause.ends_with("try http://") {
                // Name the URL to try.
                cause.push_str(req.url.split_once("://").map_or("", |(_, rest)| rest));
            }
            connect_error(cause)
        })?;

    let status = response.status();
    let version = match response.version() {
        http::Version::HTTP_10 => "HTTP/1.0",
        http::Version::HTTP_09 => "HTTP/0.9",
        _ => "HTTP/1.1",
    };
    let url = response.get_uri().to_string();
    let headers = response
        .headers()
        .iter()
        .map(|(n, v)| {
            (
                n.as_str().to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    Ok(Response {
        head: Head {
            status: status.as_u16(),
            reason: status.canonical_reason().unwrap_or("").to_string(),
            version,
            headers,
            url,
        },
        body: Box::new(response.into_body().into_reader()),
    })
}

/// The proxy curl would use for this URL: `http_proxy` (or `HTTP_PROXY`) for http,
/// `https_proxy`/`HTTPS_PROXY` for https, else `all_proxy`/`ALL_PROXY`; none when
/// `no_proxy`/`NO_PROXY` matches the host. Lowercase names win, as in curl.
pub fn choose_proxy(uri: &Uri, env: &dyn Fn(&str) -> Option<String>) -> Option<String> {
    let host = uri.host()?.trim_start_matches('[').trim_end_matches(']');
    let get = |names: &[&str]| {
        names
            .iter()
            .find_map(|n| env(n).filter(|v| !v.trim().is_empty()))
    };
    if let Some(list) = get(&["no_proxy", "NO_PROXY"]) {
        if no_proxy_matches(&list, host) {
            return None;
        }
    }
    let https = uri
        .scheme_str()
        .is_some_and(|s| s.eq_ignore_ascii_case("https"));
    let specific = if https {
        get(&["https_proxy", "HTTPS_PROXY"])
    } else {
        get(&["http_proxy", "HTTP_PROXY"])
    };
    specific
        .or_else(|| get(&["all_proxy", "ALL_PROXY"]))
        .map(|p| p.trim().to_string())
}

/// curl's NO_PROXY: `*` matches all; a name matches itself and its subdomains (a
/// leading dot is ignored); an IP matches itself; `addr/bits` matches a range.
pub fn no_proxy_matches(list: &str, host: &str) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    let host_ip: Option<IpAddr> = host.parse().ok();
    list.split(',')
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .any(|entry| {
            if entry == "*" {
                return true;
            }
            if let (Some(ip), Some((net, bits))) = (host_ip, entry.split_once('/')) {
                return match (net.parse::<IpAddr>(), bits.parse::<u32>()) {
                    (Ok(net), Ok(bits)) => in_cidr(ip, net, bits),
                    _ => false,
                };
            }
            let entry = entry
                .trim_start_matches('.')
                .trim_end_matches('.')
                .to_ascii_lowercase();
            let entry = entry.trim_start_matches('[').trim_end_matches(']');
            // Entries may carry a port in the wild ("localhost:8080"); curl ignores it.
            let entry = match entry.rsplit_once(':') {
                Some((h, port)) if !h.contains(':') && port.bytes().all(|b| b.is_ascii_digit()) => {
                    h
                }
                _ => entry,
            };
            host == entry || host.ends_with(&format!(".{entry}"))
        })
}

fn in_cidr(ip: IpAddr, net: IpAddr, bits: u32) -> bool {
    match (ip, net) {
        (IpAddr::V4(ip), IpAddr::V4(net)) if bits <= 32 => {
            let mask = if bits == 0 {
                0
            } else {
                u32::MAX << (32 - bits)
            };
            u32::from(ip) & mask == u32::from(net) & mask
        }
        (IpAddr::V6(ip), IpAddr::V6(net)) if bits <= 128 => {
            let mask = if bits == 0 {
                0
            } else {
                u128::MAX << (128 - bits)
            };
            u128::from(ip) & mask == u128::from(net) & mask
        }
        _ => false,
    }
}

/// Whether [`decode_body`] can read a body with this Content-Encoding: every encoding
/// [`BROWSER_ACCEPT_ENCODING`] offers, so doctor never asks for what it cannot read.
pub fn can_decode(content_encoding: &str) -> bool {
    matches!(
        content_encoding.trim().to_ascii_lowercase().as_str(),
        "" | "identity" | "gzip" | "x-gzip" | "deflate" | "br" | "zstd"
    )
}

/// The largest zstd window accepted: 8 MiB, what HTTP's zstd encoding allows (RFC 9659),
/// so a hostile server cannot make the decoder allocate zstd's default 128 MiB.
const ZSTD_WINDOW_LOG_MAX: u32 = 23;

/// Wraps a body in the decoder its Content-Encoding names; an encoding `sse` does not
/// decode gives the body back unchanged as the error. Every decoder hands out what it
/// has decoded as soon as the compressor flushed it, without waiting for more input:
/// a compressed stream stays live.
pub fn decode_body<R: Read + Send + 'static>(
    content_encoding: Option<&str>,
    raw: R,
) -> Result<Box<dyn Read + Send>, R> {
    match content_encoding
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
        .as_str()
    {
        "" | "identity" => Ok(Box::new(raw)),
        "gzip" | "x-gzip" => Ok(Box::new(flate2::read::MultiGzDecoder::new(raw))),
        "deflate" => Ok(Box::new(flate2::read::ZlibDecoder::new(raw))),
        "br" => Ok(Box::new(brotli_decompressor::Decompressor::new(raw, 4096))),
        "zstd" => Ok(match zstd::stream::read::Decoder::new(raw) {
            Ok(mut decoder) => match decoder.window_log_max(ZSTD_WINDOW_LOG_MAX) {
                Ok(()) => Box::new(decoder),
                Err(e) => Box::new(Failed(Some(e))),
            },
            Err(e) => Box::new(Failed(Some(e))),
        }),
        _ => Err(raw),
    }
}

/// A body whose decoder could not be set up: the first read says why.
struct Failed(Option<std::io::Error>);

impl Read for Failed {
    fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
        match self.0.take() {
            Some(e) => Err(e),
            None => Ok(0),
        }
    }
}

/// Reads a `-d` body: `@file`, `@-` for stdin, or the text itself.
pub fn read_body(data: &str) -> Result<Vec<u8>, Error> {
    match data.strip_prefix('@') {
        Some("-") => {
            let mut buf = Vec::new();
            std::io::stdin()
                .lock()
                .read_to_end(&mut buf)
                .map_err(|e| Error::io("reading the request body from stdin", e))?;
            Ok(buf)
        }
        Some(path) => std::fs::read(path).map_err(|e| Error::io(format!("reading {path}"), e)),
        None => Ok(data.as_bytes().to_vec()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn proxy_for(url: &str, vars: &[(&str, &str)]) -> Option<String> {
        let env: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        choose_proxy(&url.parse().unwrap(), &|name| env.get(name).cloned())
    }

    #[test]
    fn proxies_chosen_as_curl_does() {
        assert_eq!(proxy_for("http://a.com/", &[]), None);
        assert_eq!(
            proxy_for("http://a.com/", &[("HTTP_PROXY", "http://p:1")]),
            Some("http://p:1".into())
        );
        assert_eq!(
            proxy_for("https://a.com/", &[("HTTP_PROXY", "http://p:1")]),
            None
        );
        assert_eq!(
            proxy_for("https://a.com/", &[("HTTPS_PROXY", "http://s:2")]),
            Some("http://s:2".into())
        );
        assert_eq!(
            proxy_for(
                "https://a.com/",
                &[("https_proxy", "http://l:3"), ("HTTPS_PROXY", "http://u:4")]
            ),
            Some("http://l:3".into())
        );
        assert_eq!(
            proxy_for("http://a.com/", &[("ALL_PROXY", "socks5://s:5")]),
            Some("socks5://s:5".into())
        );
        let with_no =
            |no: &str, url: &str| proxy_for(url, &[("http_proxy", "http://p:1"), ("NO_PROXY", no)]);
        assert_eq!(with_no("a.com", "http://a.com/"), None);
        assert_eq!(with_no("a.com", "http://sub.a.com/"), None);
        assert_eq!(with_no(".a.com", "http://a.com/"), None);
        assert_eq!(
            with_no("a.com", "http://nota.com/"),
            Some("http://p:1".into())
        );
        assert_eq!(with_no("*", "http://x.org/"), None);
        assert_eq!(with_no("localhost, 127.0.0.1", "http://127.0.0.1:8/"), None);
        assert_eq!(with_no("10.0.0.0/8", "http://10.1.2.3/"), None);
        assert_eq!(
            with_no("10.0.0.0/8", "http://11.1.2.3/"),
            Some("http://p:1".into())
        );
        assert_eq!(with_no("::1", "http://[::1]:80/"), None);
    }

    #[test]
    fn headers_defaults_overrides_and_removal() {
        let mut req = Request::get("http://x/");
        req.last_event_id = Some("42".into());
        req.body = Some(br#"{"model":"x"}"#.to_vec());
        req.headers = vec![
            Header {
                name: "accept".into(),
                value: "".into(),
            },
            Header {
                name: "X-Key".into(),
                value: "k".into(),
            },
            Header {
                name: "cache-control".into(),
                value: "max-age=0".into(),
            },
        ];
        let lines = req.header_lines();
        let get = |n: &str| {
            lines
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(n))
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(get("Accept"), None);
        assert_eq!(get("Last-Event-ID"), Some("42"));
        assert_eq!(get("Content-Type"), Some("application/json"));
        assert_eq!(get("X-Key"), Some("k"));
        assert_eq!(get("Cache-Control"), Some("max-age=0"));
        assert_eq!(
            lines
                .iter()
                .filter(|(k, _)| k.eq_ignore_ascii_case("cache-control"))
                .count(),
            1
        );
        // Repeated, every value goes, in order; an empty value removes them.
        let header = |name: &str, value: &str| Header {
            name: name.into(),
            value: value.into(),
        };
        req.headers = vec![
            header("X-Forwarded-For", "a"),
            header("x-forwarded-for", "b"),
            header("Cookie", "c=1"),
            header("cookie", ""),
        ];
        let repeated: Vec<_> = req
            .header_lines()
            .into_iter()
            .filter(|(k, _)| {
                k.eq_ignore_ascii_case("x-forwarded-for") || k.eq_ignore_ascii_case("cookie")
            })
            .collect();
        assert_eq!(
            repeated,
            [
                ("X-Forwarded-For".to_string(), "a".to_string()),
                ("x-forwarded-for".to_string(), "b".to_string()),
            ]
        );
        req.last_event_id = Some(String::new());
        assert_eq!(
            req.header_lines()
                .iter()
                .filter(|(k, _)| k == "Last-Event-ID")
                .count(),
            0,
            "an empty id sends no header"
        );
    }

    #[test]
    fn bodies_are_decoded_by_their_encoding() {
        use std::io::Write as _;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(b"data: x\n\n").unwrap();
        let packed = gz.finish().unwrap();
        let mut out = String::new();
        decode_body(Some("gzip"), std::io::Cursor::new(packed))
            .unwrap()
            .read_to_string(&mut out)
            .unwrap();
        assert_eq!(out, "data: x\n\n");
        assert!(decode_body(Some("compress"), std::io::empty()).is_err());
        assert!(decode_body(None, std::io::empty()).is_ok());
    }

    /// A body that gives `first`, then fails: a decoder that wants more input before
    /// handing out what the first part holds would hit the failure instead.
    #[derive(Debug)]
    struct HeldAfter(Option<Vec<u8>>);

    impl Read for HeldAfter {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            match self.0.take() {
                Some(first) => {
                    buf[..first.len()].copy_from_slice(&first);
                    Ok(first.len())
                }
                None => Err(std::io::Error::other("the server holds the rest")),
            }
        }
    }

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    /// Decodes `first` (a flushed first part) through a body that then holds, and the
    /// whole body; both must give what was compressed.
    fn live_and_whole(encoding: &str, first: &[u8], rest: &[u8]) {
        let mut buf = vec![0; 4096];
        let mut live = decode_body(Some(encoding), HeldAfter(Some(first.to_vec()))).unwrap();
        let n = live.read(&mut buf).unwrap();
        assert_eq!(
            &buf[..n],
            b"id: 1\ndata: one\n\n",
            "{encoding}: first event live"
        );
        let whole = [first, rest].concat();
        let mut out = String::new();
        decode_body(Some(encoding), std::io::Cursor::new(whole))
            .unwrap()
            .read_to_string(&mut out)
            .unwrap();
        assert_eq!(
            out, "id: 1\ndata: one\n\nid: 2\ndata: two\n\n",
            "{encoding}"
        );
    }

    #[test]
    fn every_offered_encoding_decodes_live() {
        for enc in BROWSER_ACCEPT_ENCODING.split(", ") {
            assert!(can_decode(enc), "{enc} is offered, so it must decode");
        }
        // Node 20's zlib.createBrotliCompress(), flushed after the first event (as
        // Express's compression does on res.flush()).
        live_and_whole(
            "br",
            &hex("0b088069643a20310a646174613a206f6e650a0a"),
            &hex("80000869643a20320a646174613a2074776f0a0a03"),
        );
        // zstd flushed mid-frame (as Caddy's encode does), then a second frame.
        use std::io::Write as _;
        let mut z = zstd::stream::write::Encoder::new(Vec::new(), 3).unwrap();
        z.write_all(b"id: 1\ndata: one\n\n").unwrap();
        z.flush().unwrap();
        let first = z.get_ref().clone();
        let frame = z.finish().unwrap();
        let rest = [
            &frame[first.len()..],
            &zstd::encode_all(&b"id: 2\ndata: two\n\n"[..], 3).unwrap(),
        ]
        .concat();
        live_and_whole("zstd", &first, &rest);
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(b"id: 1\ndata: one\n\n").unwrap();
        gz.flush().unwrap();
        let first = gz.get_ref().clone();
        gz.write_all(b"id: 2\ndata: two\n\n").unwrap();
        let all = gz.finish().unwrap();
        live_and_whole("gzip", &first, &all[first.len()..]);
    }

    #[test]
    fn a_zstd_window_past_8_mib_is_refused() {
        let big = zstd::stream::encode_all(&vec![b'x'; 1 << 20][..], 3).unwrap();
        let mut params = zstd::stream::write::Encoder::new(Vec::new(), 3).unwrap();
        params.window_log(27).unwrap();
        params.long_distance_matching(true).unwrap();
        use std::io::Write as _;
        params.write_all(&vec![b'y'; 1 << 20]).unwrap();
        let huge_window = params.finish().unwrap();
        let mut out = Vec::new();
        assert!(decode_body(Some("zstd"), std::io::Cursor::new(big))
            .unwrap()
            .read_to_end(&mut out)
            .is_ok());
        assert!(decode_body(Some("zstd"), std::io::Cursor::new(huge_window))
            .unwrap()
            .read_to_end(&mut out)
            .is_err());
    }

    #[test]
    fn ids_that_headers_cannot_carry() {
        assert!(header_safe("42") && header_safe("caf\u{e9} 1") && header_safe("a\tb"));
        assert!(!header_safe("a\u{1}b") && !header_safe("x\u{7f}"));
    }

    #[test]
    fn error_bodies_are_shown_safely() {
        assert_eq!(
            show_body(b"{\"error\":\"no\"}\r\nline 2\x1b[31m\x07\n\n", false),
            "{\"error\":\"no\"}\nline 2\\x1b[31m\\x07"
        );
        assert!(show_body(b"x", true).ends_with("[... first 2048 bytes]"));
        let long = vec![b'a'; 5000];
        let (start, cut) = body_start(
            Box::new(std::io::Cursor::new(long)),
            2048,
            Duration::from_secs(10),
        );
        assert_eq!((start.len(), cut), (2048, true));
        let (start, cut) = body_start(Box::new(&b"short"[..]), 2048, Duration::from_secs(10));
        assert_eq!((start, cut), (b"short".to_vec(), false));
    }

    #[test]
    fn media_types() {
        assert_eq!(
            media_type("Text/Event-Stream; charset=utf-8"),
            "text/event-stream"
        );
        assert_eq!(media_type(""), "");
    }
}
