//! Why a connection failed, as a value: what the transports found, kept typed so that
//! what is said about it (and what doctor decides from it) never parses a message.

use std::fmt;

use crate::error::lowercase_first;

/// Why no response came.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cause {
    /// The URL does not parse.
    BadUrl(String),
    /// The request could not be built (a header name or value HTTP cannot carry).
    InvalidRequest(String),
    /// The proxy the environment names is not usable.
    Proxy {
        proxy: String,
        cause: Box<Cause>,
    },
    HostNotFound,
    /// A timeout, named by what timed out.
    Timeout(String),
    /// A socket error, in the operating system's words.
    Io(String),
    Tls(Tls),
    /// The server answered something that is not HTTP/1.x: httparse's `detail`, and
    /// the `first` bytes it sent when a second look could read them.
    NotHttp1 {
        detail: String,
        first: Option<Vec<u8>>,
    },
    /// An http:// URL, and the server answered with a TLS record; `rest` is the URL
    /// after its scheme.
    SpeaksTls {
        rest: String,
    },
    TooManyRedirects,
    RedirectFailed,
    ConnectionFailed,
    ConnectProxyFailed(String),
    InvalidProxyUrl,
    /// An HTTP/2 stream or connection ended with an error code.
    Http2(Reset),
    /// `--http2`, and the server's ALPN chose something else.
    NoHttp2 {
        chose: Option<String>,
    },
    Other(String),
}

/// An HTTP/2 stream reset (RST_STREAM) or connection ended (GOAWAY), with its code:
/// an idle cut-off behind an h2 front arrives this way, not as a closed socket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reset {
    /// The error code's name: `INTERNAL_ERROR`, `CANCEL`, `PROTOCOL_ERROR`.
    pub code: String,
    pub go_away: bool,
    /// Sent by the server (else our h2 layer refused what the server sent).
    pub by_server: bool,
}

impl Reset {
    /// sse's h2 refused the server's response as malformed (a connection-specific
    /// header, as a rule).
    pub fn malformed(&self) -> bool {
        !self.by_server && self.code == "PROTOCOL_ERROR"
    }

    /// The frame that carried it: `RST_STREAM` or `GOAWAY`.
    pub fn frame(&self) -> &'static str {
        if self.go_away {
            "GOAWAY"
        } else {
            "RST_STREAM"
        }
    }

    /// As said when a stream that was open ends this way, `after` it opened.
    pub fn after(&self, after: std::time::Duration) -> String {
        let after = crate::format::secs(after);
        match (self.by_server, self.go_away) {
            (true, false) => format!("stream reset by the server after {after}: {}", self.code),
            (true, true) => format!(
                "the server closed the HTTP/2 connection after {after} (GOAWAY {})",
                self.code
            ),
            (false, _) => format!("{self} after {after}"),
        }
    }
}

impl std::error::Error for Reset {}

impl fmt::Display for Reset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.by_server, self.go_away) {
            (true, false) => write!(f, "stream reset by the server: {}", self.code),
            (true, true) => write!(
                f,
                "the server closed the HTTP/2 connection (GOAWAY {})",
                self.code
            ),
            _ if self.malformed() => f.write_str(
                "the server's HTTP/2 response is malformed (PROTOCOL_ERROR): a connection-specific \
                 header such as `Connection: keep-alive`, which HTTP/2 forbids, is the usual cause \
                 (browsers fail it as ERR_HTTP2_PROTOCOL_ERROR)",
            ),
            (false, _) => write!(f, "HTTP/2 error: {}", self.code),
        }
    }
}

/// TLS failures a person can act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tls {
    /// Self-signed, or from an authority the system does not trust.
    UnknownIssuer,
    WrongName,
    Expired,
    /// The server answered plain HTTP; `rest` is the URL after its scheme.
    PlainHttp {
        rest: String,
    },
    /// The server offered none of the application protocols asked for (ALPN).
    NoAlpn,
    Other(String),
}

impl Cause {
    /// The cause of a failed ureq request to `url`.
    pub fn of_ureq(err: &ureq::Error, url: &str) -> Cause {
        let rest = || url.split_once("://").map_or("", |(_, r)| r).to_string();
        match err {
            // rustls reports through the socket's io::Error.
            ureq::Error::Io(e) => match e.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>())
            {
                Some(tls) => Cause::Tls(Tls::of_rustls(tls, rest)),
                None => Cause::Io(crate::error::io_message(e)),
            },
            ureq::Error::HostNotFound => Cause::HostNotFound,
            ureq::Error::Timeout(t) => Cause::Timeout(t.to_string()),
            ureq::Error::Tls(msg) => Cause::Tls(Tls::Other(msg.to_string())),
            ureq::Error::Rustls(e) => Cause::Tls(Tls::of_rustls(e, rest)),
            // httparse's failure on an answer that is not HTTP/1.x, such as an HTTP/2 frame.
            ureq::Error::Protocol(e @ ureq_proto::Error::HttpParseFail(_)) => Cause::NotHttp1 {
                detail: e.to_string(),
                first: None,
            },
            ureq::Error::TooManyRedirects => Cause::TooManyRedirects,
            ureq::Error::RedirectFailed => Cause::RedirectFailed,
            ureq::Error::ConnectionFailed => Cause::ConnectionFailed,
            ureq::Error::ConnectProxyFailed(msg) => Cause::ConnectProxyFailed(msg.clone()),
            ureq::Error::InvalidProxyUrl => Cause::InvalidProxyUrl,
            ureq::Error::BadUri(msg) => Cause::BadUrl(msg.clone()),
            other => Cause::Other(lowercase_first(&other.to_string())),
        }
    }
}

impl Cause {
    /// What the `first` bytes of an answer to `url` that is not HTTP/1.x say it is: a TLS
    /// record (a handshake, or an alert, as a TLS server answers plain text) is TLS.
    pub fn not_http1(detail: String, first: Option<Vec<u8>>, url: &str) -> Cause {
        match first.as_deref() {
            Some(bytes) if is_tls_record(bytes) => Cause::SpeaksTls {
                rest: url.split_once("://").map_or("", |(_, r)| r).to_string(),
            },
            _ => Cause::NotHttp1 { detail, first },
        }
    }
}

/// Whether `bytes` begin a TLS record: a handshake (ServerHello) or an alert.
pub(super) fn is_tls_record(bytes: &[u8]) -> bool {
    matches!(bytes, [0x15 | 0x16, 0x03, ..])
}

/// Whether `bytes` begin with an HTTP/2 SETTINGS frame on stream 0, as a server that
/// speaks only HTTP/2 starts its side of a connection.
fn is_settings_frame(bytes: &[u8]) -> bool {
    matches!(bytes, [_, _, _, 0x04, 0x00 | 0x01, 0, 0, 0, 0, ..])
}

/// The first bytes of an answer for a one-line message, quoted: printable ASCII as it
/// is, the rest as `\r`, `\n`, `\xNN`; cut after 48 bytes.
fn quoted(bytes: &[u8]) -> String {
    const SHOWN: usize = 48;
    let mut out = String::from("\"");
    for &b in bytes.iter().take(SHOWN) {
        match b {
            b'\r' => out.push_str("\\r"),
            b'\n' => out.push_str("\\n"),
            b'\t' => out.push_str("\\t"),
            b'"' | b'\\' => {
                out.push('\\');
                out.push(b as char);
            }
            0x20..=0x7e => out.push(b as char),
            _ => out.push_str(&format!("\\x{b:02x}")),
        }
    }
    out.push('"');
    if bytes.len() > SHOWN {
        out.push_str("...");
    }
    out
}

impl Tls {
    pub(super) fn of_rustls(e: &rustls::Error, rest: impl FnOnce() -> String) -> Tls {
        use rustls::{CertificateError as Cert, Error as E};
        match e {
            E::InvalidCertificate(Cert::UnknownIssuer | Cert::BadSignature | Cert::Other(_)) => {
                Tls::UnknownIssuer
            }
            E::InvalidCertificate(Cert::NotValidForName | Cert::NotValidForNameContext { .. }) => {
                Tls::WrongName
            }
            E::InvalidCertificate(
                Cert::Expired
                | Cert::ExpiredContext { .. }
                | Cert::NotValidYet
                | Cert::NotValidYetContext { .. },
            ) => Tls::Expired,
            E::InvalidMessage(rustls::InvalidMessage::InvalidContentType) => {
                Tls::PlainHttp { rest: rest() }
            }
            E::AlertReceived(rustls::AlertDescription::NoApplicationProtocol) => Tls::NoAlpn,
            other => Tls::Other(other.to_string()),
        }
    }
}

/// An answer that is not HTTP/1.x, to a request sent in HTTP/1.1.
const NOT_HTTP1: &str = "the server did not answer in HTTP/1.1: it may speak only HTTP/2 \
     without offering it by ALPN (on an http:// URL, --http2-prior-knowledge speaks h2c)";

/// An HTTP/2 frame, to a request sent in HTTP/1.1.
const HTTP2_FRAME: &str = "the server answered with an HTTP/2 frame: it speaks only HTTP/2 \
     without offering it by ALPN (on an http:// URL, --http2-prior-knowledge speaks h2c)";

/// A few words for a one-line error.
impl fmt::Display for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Cause::BadUrl(msg) => write!(f, "bad URL: {msg}"),
            Cause::InvalidRequest(msg) => write!(f, "invalid request: {msg}"),
            Cause::Proxy { proxy, cause } => write!(f, "proxy {proxy}: {cause}"),
            Cause::HostNotFound => f.write_str("host not found (DNS lookup failed)"),
            Cause::Timeout(what) => write!(f, "timed out ({what})"),
            Cause::Io(msg) | Cause::Other(msg) => f.write_str(msg),
            Cause::Tls(tls) => tls.fmt(f),
            Cause::NotHttp1 { detail, first } => match first.as_deref() {
                None => write!(f, "{NOT_HTTP1} ({detail})"),
                Some(first) if is_settings_frame(first) => write!(f, "{HTTP2_FRAME}"),
                Some([]) => write!(f, "the server's answer is not HTTP ({detail})"),
                Some(first) => write!(
                    f,
                    "the server's answer is not HTTP: it sent {}",
                    quoted(first)
                ),
            },
            Cause::SpeaksTls { rest } => write!(f, "the server speaks TLS: try https://{rest}"),
            Cause::TooManyRedirects => f.write_str("too many redirects"),
            Cause::RedirectFailed => f.write_str("a redirect could not be followed"),
            Cause::ConnectionFailed => f.write_str("connection failed"),
            Cause::ConnectProxyFailed(msg) => write!(f, "proxy: {msg}"),
            Cause::InvalidProxyUrl => f.write_str("invalid proxy URL in the environment"),
            Cause::Http2(reset) => reset.fmt(f),
            Cause::NoHttp2 { chose } => {
                match chose {
                    Some(chose) => {
                        write!(f, "the server does not offer HTTP/2 (ALPN chose {chose})")?
                    }
                    None => {
                        f.write_str("the server does not offer HTTP/2 (it refused h2 by ALPN)")?
                    }
                }
                f.write_str("; without --http2, sse speaks HTTP/1.1 to it")
            }
        }
    }
}

impl fmt::Display for Tls {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Tls::UnknownIssuer => f.write_str(
                "the server's certificate is self-signed or from an unknown certificate authority \
                 (for a development server, -k accepts it)",
            ),
            Tls::WrongName => f.write_str(
                "the server's certificate is for another host name (-k accepts it anyway)",
            ),
            Tls::Expired => f.write_str(
                "the server's certificate has expired or is not valid yet \
                 (is the clock right? -k accepts it anyway)",
            ),
            Tls::PlainHttp { rest } => {
                write!(f, "the server answered plain HTTP: try http://{rest}")
            }
            Tls::NoAlpn => f.write_str(
                "the server refused HTTP/1.1 by ALPN: it speaks only HTTP/2 (without --http1.1, \
                 sse speaks HTTP/2 to it)",
            ),
            Tls::Other(msg) => write!(f, "TLS: {msg}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn causes_read_as_before() {
        let plain = Cause::Tls(Tls::PlainHttp {
            rest: "localhost:8443/e".into(),
        });
        assert_eq!(
            plain.to_string(),
            "the server answered plain HTTP: try http://localhost:8443/e"
        );
        let url = "http://h:1/e";
        let not_http = |first: &[u8]| Cause::not_http1("bad".into(), Some(first.to_vec()), url);
        assert_eq!(
            not_http(b"\x16\x03\x01\x00\x05").to_string(),
            "the server speaks TLS: try https://h:1/e"
        );
        assert_eq!(
            not_http(b"SSH-2.0-x\r\n\x00\"\\").to_string(),
            r#"the server's answer is not HTTP: it sent "SSH-2.0-x\r\n\x00\"\\""#
        );
        assert!(not_http(&[b'a'; 60])
            .to_string()
            .ends_with(&format!("{}\"...", "a".repeat(48))));
        assert_eq!(
            not_http(b"").to_string(),
            "the server's answer is not HTTP (bad)"
        );
        assert!(not_http(b"\0\0\x06\x04\0\0\0\0\0\0\x03")
            .to_string()
            .starts_with("the server answered with an HTTP/2 frame"));
        let unseen = Cause::not_http1("bad".into(), None, url).to_string();
        assert!(unseen.contains("it may speak only HTTP/2"), "{unseen}");
        let e = Cause::of_ureq(&ureq::Error::HostNotFound, "http://x/");
        assert_eq!(e, Cause::HostNotFound);
        assert_eq!(e.to_string(), "host not found (DNS lookup failed)");
        let proxy = Cause::Proxy {
            proxy: "http://p:1".into(),
            cause: Box::new(Cause::InvalidProxyUrl),
        };
        assert_eq!(
            proxy.to_string(),
            "proxy http://p:1: invalid proxy URL in the environment"
        );
    }
}
