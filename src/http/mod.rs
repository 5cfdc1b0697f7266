//! HTTP for `tail` and `doctor`: the request a browser's EventSource would send, the
//! response head and the standard's checks, the proxy environment, body decoding and
//! why a connection failed.
//!
//! The rest of the program asks a [`Client`] for a [`Response`] (head, body reader, and
//! what the connection said about itself); which transport answers is decided here:
//! on https, HTTP/2 when the server picks it by ALPN (as browsers and curl do), else
//! HTTP/1.1 over ureq; `--http1.1`, `--http2` and `--http2-prior-knowledge` decide
//! instead.

mod decode;
mod error;
mod h1;
#[cfg(feature = "http2")]
mod h2;
mod head;
mod proxy;
mod request;
mod tls;

use std::collections::HashSet;
use std::io::Read;
use std::sync::{Arc, Mutex};

use ureq::http::Uri;

pub use decode::{can_decode, decode_body, BROWSER_ACCEPT_ENCODING};
pub use error::{Cause, Reset};
pub use head::{find_header, media_type, Head};
pub use proxy::ProxyEnv;
pub use request::{
    header_safe, may_repeat, method_or_default, read_body, Asked, Request, USER_AGENT,
};
pub use tls::tls_config;

use crate::error::Error as SseError;

/// An answered request.
pub struct Response {
    pub head: Head,
    pub body: Box<dyn Read + Send>,
    /// What the connection said about itself.
    pub conn: Connection,
}

/// The head's fields read through the response (`response.status`).
impl std::ops::Deref for Response {
    type Target = Head;
    fn deref(&self) -> &Head {
        &self.head
    }
}

/// What a connection told about itself as it opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connection {
    /// The protocol the response came in: `HTTP/1.1`, `HTTP/1.0`, `HTTP/2`.
    pub version: &'static str,
    /// HTTP/2: the SETTINGS frame the server opened the connection with.
    pub settings: Option<Settings>,
}

impl Connection {
    /// HTTP/2: how many streams the server allows at once on the connection
    /// (SETTINGS_MAX_CONCURRENT_STREAMS), when it set a limit.
    pub fn max_streams(&self) -> Option<u32> {
        self.settings.as_ref()?.get(MAX_CONCURRENT_STREAMS)
    }
}

/// An HTTP/2 SETTINGS frame's parameters (RFC 9113 §6.5.2), in the order sent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Settings(pub Vec<(u16, u32)>);

/// SETTINGS_MAX_CONCURRENT_STREAMS.
pub const MAX_CONCURRENT_STREAMS: u16 = 0x3;
/// SETTINGS_INITIAL_WINDOW_SIZE: the window of each stream for what the other side
/// sends, until it says otherwise.
pub const INITIAL_WINDOW_SIZE: u16 = 0x4;
/// The window our HTTP/2 SETTINGS give each stream, and the connection's: what the
/// server may send before the reader releases any of it.
pub const CLIENT_WINDOW: u32 = 1 << 20;
/// The window HTTP/2 starts a stream with when SETTINGS do not change it.
pub const DEFAULT_WINDOW: u32 = 65_535;

impl Settings {
    /// The last value sent for `id` (a later one overrides an earlier, §6.5.3).
    pub fn get(&self, id: u16) -> Option<u32> {
        self.0.iter().rev().find(|(i, _)| *i == id).map(|(_, v)| *v)
    }

    /// The parameters by name: `("MAX_CONCURRENT_STREAMS", 128)`.
    pub fn named(&self) -> impl Iterator<Item = (String, u32)> + '_ {
        self.0.iter().map(|(id, value)| {
            let name = match id {
                0x1 => "HEADER_TABLE_SIZE",
                0x2 => "ENABLE_PUSH",
                0x3 => "MAX_CONCURRENT_STREAMS",
                0x4 => "INITIAL_WINDOW_SIZE",
                0x5 => "MAX_FRAME_SIZE",
                0x6 => "MAX_HEADER_LIST_SIZE",
                // RFC 8441 and RFC 9218.
                0x8 => "ENABLE_CONNECT_PROTOCOL",
                0x9 => "NO_RFC7540_PRIORITIES",
                other => return (format!("0x{other:x}"), *value),
            };
            (name.to_string(), *value)
        })
    }

    /// `MAX_CONCURRENT_STREAMS 128, INITIAL_WINDOW_SIZE 65536`, or `none`.
    pub fn shown(&self) -> String {
        if self.0.is_empty() {
            return "none (every parameter at its default)".into();
        }
        self.named()
            .map(|(name, value)| format!("{name} {value}"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Which HTTP a run speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Protocol {
    /// HTTP/2 on https when the server picks it by ALPN, else HTTP/1.1.
    #[default]
    Auto,
    /// `--http1.1`.
    Http1,
    /// `--http2`: h2 by ALPN on https, or fail.
    Http2,
    /// `--http2-prior-knowledge`: h2c on http:// without asking (h2 by ALPN on https).
    Http2PriorKnowledge,
}

impl Protocol {
    pub fn from_flags(http1: bool, http2: bool, prior_knowledge: bool) -> Protocol {
        match (http1, http2, prior_knowledge) {
            (true, _, _) => Protocol::Http1,
            (_, _, true) => Protocol::Http2PriorKnowledge,
            (_, true, _) => Protocol::Http2,
            _ => Protocol::Auto,
        }
    }
}

/// One way of sending a request and reading its response.
pub trait Transport: Send + Sync {
    /// Sends `req` (its URL parsed as `uri`), through `proxy` if one is given.
    fn open(&self, req: &Request, uri: &Uri, proxy: Option<&str>) -> Result<Response, SseError>;
}

/// Redirects followed, as ureq follows them on HTTP/1.1.
#[cfg(feature = "http2")]
const MAX_REDIRECTS: usize = 10;

/// What a run connects with: the proxy environment read once, the protocol, and the
/// origins whose ALPN chose HTTP/1.1 (asked once per run, as a browser remembers).
#[derive(Clone)]
pub struct Client {
    proxies: Arc<ProxyEnv>,
    protocol: Protocol,
    h1: Arc<dyn Transport>,
    http1_origins: Arc<Mutex<HashSet<String>>>,
}

impl Client {
    /// A client for this process's environment.
    pub fn new(protocol: Protocol) -> Client {
        Client::with_proxies(ProxyEnv::read(), protocol)
    }

    pub fn with_proxies(proxies: ProxyEnv, protocol: Protocol) -> Client {
        Client {
            proxies: Arc::new(proxies),
            protocol,
            h1: Arc::new(h1::H1),
            http1_origins: Arc::default(),
        }
    }

    /// The same client (proxies, what it learnt of origins) speaking `protocol`: doctor
    /// watches the other protocol with it.
    pub fn speaking(&self, protocol: Protocol) -> Client {
        Client {
            protocol,
            ..self.clone()
        }
    }

    /// Sends the request and returns the response, whatever its status.
    pub fn open(&self, req: &Request) -> Result<Response, SseError> {
        let uri = parse(&req.url)?;
        let proxy = self.proxies.choose(&uri);
        let https = is_https(&uri);
        let origin = uri
            .authority()
            .map_or("", |a| a.as_str())
            .to_ascii_lowercase();
        // HTTP/2 goes through an http:// proxy by CONNECT; other proxies (socks,
        // https://) are ureq's.
        let tunnel = proxy.as_deref().and_then(|p| {
            p.parse::<Uri>().ok().filter(|u| {
                u.scheme_str()
                    .is_some_and(|s| s.eq_ignore_ascii_case("http"))
            })
        });
        let h2_reachable = proxy.is_none() || (https && tunnel.is_some());
        let http1 = match self.protocol {
            Protocol::Http1 => true,
            Protocol::Auto => !https || !h2_reachable || self.knows_http1(&origin),
            Protocol::Http2 | Protocol::Http2PriorKnowledge => false,
        };
        if http1 {
            return self.h1.open(req, &uri, proxy.as_deref());
        }
        self.open_h2(req, uri, proxy.is_some(), tunnel, &origin)
    }

    fn knows_http1(&self, origin: &str) -> bool {
        crate::sync::lock(&self.http1_origins).contains(origin)
    }

    #[cfg(not(feature = "http2"))]
    fn open_h2(
        &self,
        _: &Request,
        _: Uri,
        _: bool,
        _: Option<Uri>,
        _: &str,
    ) -> Result<Response, SseError> {
        Err(SseError::Usage(
            "this sse was built without HTTP/2 (the `http2` feature)".into(),
        ))
    }

    /// HTTP/2, following redirects; HTTP/1.1 when ALPN chose it and no flag requires h2.
    #[cfg(feature = "http2")]
    fn open_h2(
        &self,
        req: &Request,
        mut uri: Uri,
        proxied: bool,
        tunnel: Option<Uri>,
        origin: &str,
    ) -> Result<Response, SseError> {
        let connect_error = |cause| SseError::Connect {
            url: req.url.clone(),
            cause,
        };
        if proxied && (tunnel.is_none() || !is_https(&uri)) {
            return Err(connect_error(Cause::Other(
                "HTTP/2 goes through an http:// proxy to an https:// URL only (with --http1.1 sse goes through this one)"
                    .into(),
            )));
        }
        let mut req = req.clone();
        for _ in 0..=MAX_REDIRECTS {
            let start = match (is_https(&uri), self.protocol) {
                (true, protocol) => h2::Start::Alpn {
                    only: protocol != Protocol::Auto,
                },
                (false, Protocol::Http2PriorKnowledge) => h2::Start::PriorKnowledge,
                // A redirect from https to http://: as any other http:// URL.
                (false, Protocol::Auto) => return self.open(&req),
                (false, _) => {
                    return Err(SseError::Usage(format!(
                        "--http2 needs an https:// URL (for h2c on {}, --http2-prior-knowledge)",
                        req.url
                    )))
                }
            };
            let response =
                match h2::open(&req, &uri, start, tunnel.as_ref()).map_err(connect_error)? {
                    h2::Negotiated::H2(response) => response,
                    h2::Negotiated::Http1 { chose } => {
                        if self.protocol != Protocol::Auto {
                            return Err(connect_error(Cause::NoHttp2 { chose }));
                        }
                        crate::sync::lock(&self.http1_origins).insert(origin.to_string());
                        let proxy = tunnel.as_ref().map(|t| t.to_string());
                        return self.h1.open(&req, &uri, proxy.as_deref());
                    }
                };
            let location = response.header("location").map(str::to_string);
            let next = match (response.status, location) {
                (301 | 302 | 303 | 307 | 308, Some(to)) => h2::redirect_target(&uri, &to),
                _ => None,
            };
            let Some(next) = next else {
                return Ok(response);
            };
            if response.status == 303 || (response.status <= 302 && req.method == "POST") {
                req.method = "GET".into();
                req.body = None;
            }
            uri = parse(&next)?;
            req.url = next;
        }
        Err(connect_error(Cause::TooManyRedirects))
    }
}

/// HTTP/2's pseudo-headers for `req`, as `-v` shows them.
pub fn pseudo_headers(req: &Request) -> Vec<(&'static str, String)> {
    let uri: Option<Uri> = req.url.parse().ok();
    let part = |f: fn(&Uri) -> Option<String>| uri.as_ref().and_then(f).unwrap_or_default();
    vec![
        (":method", req.method.clone()),
        (":scheme", part(|u| u.scheme_str().map(str::to_string))),
        (":authority", part(|u| u.authority().map(|a| a.to_string()))),
        (":path", part(|u| u.path_and_query().map(|p| p.to_string()))),
    ]
}

fn is_https(uri: &Uri) -> bool {
    uri.scheme_str()
        .is_some_and(|s| s.eq_ignore_ascii_case("https"))
}

fn parse(url: &str) -> Result<Uri, SseError> {
    url.parse()
        .map_err(|e: ureq::http::uri::InvalidUri| SseError::Connect {
            url: url.to_string(),
            cause: Cause::Other(e.to_string()),
        })
}
