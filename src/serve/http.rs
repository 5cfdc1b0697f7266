//! The HTTP/1.x the server speaks: a bounded request-head reader (httparse), and the
//! body framings (chunked for HTTP/1.1, close-delimited for HTTP/1.0).

use std::io::{self, Read, Write};
use std::time::{Duration, Instant};

/// Largest request head accepted.
pub const MAX_HEAD: usize = 16 * 1024;
/// Most request headers accepted.
pub const MAX_HEADERS: usize = 64;
/// How long a client may take to send its request head.
pub const HEAD_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestHead {
    pub method: String,
    /// The path without the query string.
    pub path: String,
    /// 0 for HTTP/1.0, 1 for HTTP/1.1.
    pub minor_version: u8,
    pub headers: Vec<(String, String)>,
    /// Bytes read past the head (the start of a request body).
    pub body_start: Vec<u8>,
}

impl RequestHead {
    pub fn header(&self, name: &str) -> Option<&str> {
        crate::client::find_header(&self.headers, name)
    }
}

/// Why a request head was refused, with the status to answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeadError {
    /// The client went away (or sent nothing): no answer.
    Closed,
    /// 400: not HTTP.
    Malformed(String),
    /// 408: too slow.
    Timeout,
    /// 431: too large, or too many headers.
    TooLarge,
    /// 505: not HTTP/1.x.
    Version,
}

impl HeadError {
    pub fn status(&self) -> Option<(u16, &'static str)> {
        match self {
            HeadError::Closed => None,
            HeadError::Malformed(_) => Some((400, "Bad Request")),
            HeadError::Timeout => Some((408, "Request Timeout")),
            HeadError::TooLarge => Some((431, "Request Header Fields Too Large")),
            HeadError::Version => Some((505, "HTTP Version Not Supported")),
        }
    }
}

/// Parses a complete head, or says more bytes are needed (`Ok(None)`).
pub fn parse_head(buf: &[u8]) -> Result<Option<RequestHead>, HeadError> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut req = httparse::Request::new(&mut headers);
    let head_len = match req.parse(buf) {
        Ok(httparse::Status::Complete(n)) => n,
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(httparse::Error::TooManyHeaders) => return Err(HeadError::TooLarge),
        Err(httparse::Error::Version) => return Err(HeadError::Version),
        Err(e) => return Err(HeadError::Malformed(e.to_string())),
    };
    let target = req.path.unwrap_or("/");
    let path = target.split(['?', '#']).next().unwrap_or("/");
    // An absolute-form target (as sent to proxies) still names a path.
    let path = match path.find("://") {
        Some(i) => path[i + 3..].find('/').map_or("/", |j| &path[i + 3 + j..]),
        None => path,
    };
    Ok(Some(RequestHead {
        method: req.method.unwrap_or("").to_string(),
        path: path.to_string(),
        minor_version: req.version.unwrap_or(1),
        headers: req
            .headers
            .iter()
            .map(|h| {
                (
                    h.name.to_string(),
                    String::from_utf8_lossy(h.value).into_owned(),
                )
            })
            .collect(),
        body_start: buf[head_len..].to_vec(),
    }))
}

/// Reads a request head within the size and time limits. The socket's read timeout is
/// set here; bytes after the head (a body, a pipelined request) are ignored.
pub fn read_head(stream: &mut (impl Read + SetTimeout)) -> Result<RequestHead, HeadError> {
    let deadline = Instant::now() + HEAD_TIMEOUT;
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 2048];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(HeadError::Timeout);
        }
        stream
            .set_timeout(Some(left))
            .map_err(|_| HeadError::Closed)?;
        let n = match stream.read(&mut chunk) {
            Ok(0) if buf.is_empty() => return Err(HeadError::Closed),
            Ok(0) => return Err(HeadError::Malformed("the request head ended early".into())),
            Ok(n) => n,
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                return Err(HeadError::Timeout);
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(_) => return Err(HeadError::Closed),
        };
        buf.extend_from_slice(&chunk[..n]);
        if let Some(head) = parse_head(&buf)? {
            return Ok(head);
        }
        if buf.len() > MAX_HEAD {
            return Err(HeadError::TooLarge);
        }
    }
}

/// A socket whose read timeout can be set (a trait so tests can use other readers).
pub trait SetTimeout {
    fn set_timeout(&self, t: Option<Duration>) -> io::Result<()>;
}

impl SetTimeout for std::net::TcpStream {
    fn set_timeout(&self, t: Option<Duration>) -> io::Result<()> {
        self.set_read_timeout(t)
    }
}

/// A short, complete response (errors, the page) that closes the connection.
pub fn simple_response(
    status: u16,
    reason: &str,
    headers: &[(&str, String)],
    body: &[u8],
    head_only: bool,
) -> Vec<u8> {
    let mut out = format!("HTTP/1.1 {status} {reason}\r\n").into_bytes();
    for (name, value) in headers {
        out.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
    }
    // 1xx, 204 and 304 responses have no body, so no Content-Length either (RFC 9110).
    let bodiless = status < 200 || status == 204 || status == 304;
    if !bodiless {
        out.extend_from_slice(format!("Content-Length: {}\r\n", body.len()).as_bytes());
    }
    out.extend_from_slice(b"Connection: close\r\n\r\n");
    if !head_only && !bodiless {
        out.extend_from_slice(body);
    }
    out
}

/// How the stream's body is delimited on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// HTTP/1.1 `Transfer-Encoding: chunked`.
    Chunked,
    /// The body ends when the connection closes (HTTP/1.0).
    UntilClose,
    /// `Content-Length`, known once the whole body is held (buffering faults).
    Length,
}

/// One body write, framed: a chunk is its size line, the bytes and CRLF, in one buffer
/// so it leaves in one write.
pub fn frame(framing: Framing, bytes: &[u8], out: &mut Vec<u8>) {
    match framing {
        Framing::Chunked => {
            if bytes.is_empty() {
                return; // an empty chunk would end the body
            }
            out.extend_from_slice(format!("{:x}\r\n", bytes.len()).as_bytes());
            out.extend_from_slice(bytes);
            out.extend_from_slice(b"\r\n");
        }
        Framing::UntilClose | Framing::Length => out.extend_from_slice(bytes),
    }
}

/// The end of a chunked body.
pub const LAST_CHUNK: &[u8] = b"0\r\n\r\n";

pub fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        204 => "No Content",
        301 => "Moved Permanently",
        302 => "Found",
        304 => "Not Modified",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Status",
    }
}

/// Writes all of `bytes`, for a socket (a short write is retried by `write_all`).
pub fn send(stream: &mut impl Write, bytes: &[u8]) -> io::Result<()> {
    stream.write_all(bytes)?;
    stream.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heads_parse_with_versions_and_queries() {
        let h =
            parse_head(b"GET /events?x=1 HTTP/1.0\r\nLast-Event-ID: 5\r\nVia: 1.0 nginx\r\n\r\n")
                .unwrap()
                .unwrap();
        assert_eq!(h.path, "/events");
        assert_eq!(h.minor_version, 0);
        assert_eq!(h.header("last-event-id"), Some("5"));
        assert_eq!(parse_head(b"GET /events HTTP/1.1\r\nHost: x\r\n"), Ok(None));
        let abs = parse_head(b"GET http://h:1/events HTTP/1.1\r\n\r\n")
            .unwrap()
            .unwrap();
        assert_eq!(abs.path, "/events");
    }

    #[test]
    fn garbage_and_oversized_heads_are_refused() {
        assert!(matches!(
            parse_head(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"),
            Err(HeadError::Malformed(_))
        ));
        assert_eq!(
            parse_head(b"GET / HTTP/2.0\r\n\r\n"),
            Err(HeadError::Version)
        );
        let mut many = b"GET / HTTP/1.1\r\n".to_vec();
        for i in 0..(MAX_HEADERS + 1) {
            many.extend_from_slice(format!("X-{i}: y\r\n").as_bytes());
        }
        many.extend_from_slice(b"\r\n");
        assert_eq!(parse_head(&many), Err(HeadError::TooLarge));
    }

    struct Slow(Vec<u8>);
    impl Read for Slow {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if self.0.is_empty() {
                return Err(io::ErrorKind::WouldBlock.into());
            }
            let n = buf.len().min(self.0.len());
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0.drain(..n);
            Ok(n)
        }
    }
    impl SetTimeout for Slow {
        fn set_timeout(&self, _: Option<Duration>) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn read_head_limits() {
        assert_eq!(
            read_head(&mut Slow(b"GET / HTTP/1.1\r\nHost".to_vec())),
            Err(HeadError::Timeout)
        );
        let mut huge = b"GET / HTTP/1.1\r\nX: ".to_vec();
        huge.extend(std::iter::repeat_n(b'a', MAX_HEAD + 10));
        assert_eq!(read_head(&mut Slow(huge)), Err(HeadError::TooLarge));
        assert!(read_head(&mut Slow(b"GET / HTTP/1.1\r\n\r\n".to_vec())).is_ok());
    }

    #[test]
    fn bodiless_statuses_carry_no_length() {
        let no_content =
            String::from_utf8(simple_response(204, "No Content", &[], b"ignored", false)).unwrap();
        assert_eq!(
            no_content,
            "HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n"
        );
        let not_found =
            String::from_utf8(simple_response(404, "Not Found", &[], b"nope", false)).unwrap();
        assert!(not_found.ends_with("Content-Length: 4\r\nConnection: close\r\n\r\nnope"));
    }

    #[test]
    fn chunks_are_framed_in_one_buffer() {
        let mut out = Vec::new();
        frame(Framing::Chunked, b"data: hello\n\n", &mut out);
        assert_eq!(out, b"d\r\ndata: hello\n\n\r\n");
        out.clear();
        frame(Framing::Chunked, b"", &mut out);
        assert!(out.is_empty());
        frame(Framing::UntilClose, b"x", &mut out);
        assert_eq!(out, b"x");
    }
}
