//! HTTP for `tail` and `doctor`: the request a browser's EventSource would send, the
//! response head and the standard's checks, the proxy environment, body decoding and
//! why a connection failed.
//!
//! The rest of the program asks a [`Client`] for a [`Response`] (head, body reader, and
//! what the connection said about itself); which [`Transport`] answers is decided
//! here, so a second one (HTTP/2) plugs in without touching `tail` or `doctor`.

mod decode;
mod error;
mod h1;
mod head;
mod proxy;
mod request;

use std::io::Read;
use std::sync::Arc;

use ureq::http::Uri;

pub use decode::{can_decode, decode_body, BROWSER_ACCEPT_ENCODING};
pub use error::Cause;
pub use head::{find_header, media_type, Head};
pub use proxy::ProxyEnv;
pub use request::{header_safe, may_repeat, method_or_default, read_body, Request, USER_AGENT};

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
    /// The protocol the response came in: `HTTP/1.1`, `HTTP/1.0`.
    pub version: &'static str,
}

/// One way of sending a request and reading its response.
pub trait Transport: Send + Sync {
    /// Sends `req` (its URL parsed as `uri`), through `proxy` if one is given.
    fn open(&self, req: &Request, uri: &Uri, proxy: Option<&str>) -> Result<Response, SseError>;
}

/// What a run connects with: the proxy environment read once, and its transports.
#[derive(Clone)]
pub struct Client {
    proxies: Arc<ProxyEnv>,
    h1: Arc<dyn Transport>,
}

impl Client {
    /// A client for this process's environment.
    pub fn new() -> Client {
        Client::with_proxies(ProxyEnv::read())
    }

    pub fn with_proxies(proxies: ProxyEnv) -> Client {
        Client {
            proxies: Arc::new(proxies),
            h1: Arc::new(h1::H1),
        }
    }

    /// Sends the request and returns the response, whatever its status.
    pub fn open(&self, req: &Request) -> Result<Response, SseError> {
        let uri: Uri =
            req.url
                .parse()
                .map_err(|e: ureq::http::uri::InvalidUri| SseError::Connect {
                    url: req.url.clone(),
                    cause: Cause::Other(e.to_string()),
                })?;
        let proxy = self.proxies.choose(&uri);
        self.h1.open(req, &uri, proxy.as_deref())
    }
}

impl Default for Client {
    fn default() -> Self {
        Client::new()
    }
}
