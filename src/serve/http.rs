//! The HTTP/1.x the server speaks: a bounded request reader (the head through httparse,
//! a body with Content-Length or chunked), the one response-head writer, and the body
//! framings (chunked for HTTP/1.1, close-delimited for HTTP/1.0).

use std::io::{self, IoSlice, Read, Write};
use std::time::{Duration, Instant};

/// Largest request head accepted.
pub const MAX_HEAD: usize = 16 * 1024;
/// Most request headers accepted.
pub const MAX_HEADERS: usize = 64;
/// How long a client may take to send its request head (and its body).
pub const HEAD_TIMEOUT: Duration = Duration::from_secs(10);
/// Largest request body read (and discarded) before answering.
pub const MAX_BODY: u64 = 1024 * 1024;
/// Longest chunk-size line (with extensions) and longest trailer section of a chunked body.
const MAX_CHUNK_LINE: usize = 1024;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestHead {
    pub method: String,
    /// The path without the query string.
    pub path: String,
    /// 0 for HTTP/1.0, 1 for HTTP/1.1.
    pub minor_version: u8,
    pub headers: Vec<(String, String)>,
}

impl RequestHead {
    pub fn header(&self, name: &str) -> Option<&str> {
        crate::http::find_header(&self.headers, name)
    }

    /// Whether the connection may carry another request after this one: HTTP/1.1
    /// without `Connection: close`. (HTTP/1.0 keep-alive is an old extension that
    /// needs its own answer header; those clients get a close.)
    pub fn keep_alive(&self) -> bool {
        self.minor_version == 1
            && !self
                .header("connection")
                .unwrap_or("")
                .split(',')
                .any(|t| t.trim().eq_ignore_ascii_case("close"))
    }

    /// How the request's body is delimited.
    pub fn body(&self) -> Result<RequestBody, BodyError> {
        if let Some(te) = self.header("transfer-encoding") {
            // RFC 9112 6.3: chunked must be the last coding; anything else cannot be framed.
            return if te
                .rsplit(',')
                .next()
                .map(str::trim)
                .is_some_and(|t| t.eq_ignore_ascii_case("chunked"))
            {
                Ok(RequestBody::Chunked)
            } else {
                Err(BodyError::new(
                    400,
                    format!("cannot read a body sent with Transfer-Encoding {te:?}"),
                ))
            };
        }
        let mut lengths = self
            .headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case("content-length"));
        let Some((_, first)) = lengths.next() else {
            return Ok(RequestBody::Length(0));
        };
        // RFC 9112 6.3: digits only, and copies that disagree make the body unframable.
        let value = first.trim();
        let n = match value.parse::<u64>() {
            Ok(n) if value.bytes().all(|b| b.is_ascii_digit()) => n,
            _ => {
                let shown = crate::escape::line(first);
                return Err(BodyError::new(400, format!("bad Content-Length {shown:?}")));
            }
        };
        if let Some((_, other)) = lengths.find(|(_, v)| v.trim() != value) {
            let other = crate::escape::line(other.trim());
            return Err(BodyError::new(
                400,
                format!("conflicting Content-Length headers: {value} and {other:?}"),
            ));
        }
        if n > MAX_BODY {
            return Err(BodyError::new(
                413,
                format!("request body over {MAX_BODY} bytes"),
            ));
        }
        Ok(RequestBody::Length(n))
    }

    /// Whether the client waits for `100 Continue` before sending its body.
    pub fn expects_continue(&self) -> bool {
        self.minor_version == 1
            && self
                .header("expect")
                .is_some_and(|v| v.trim().eq_ignore_ascii_case("100-continue"))
    }
}

/// How a request body is delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestBody {
    Length(u64),
    Chunked,
}

/// A request body that cannot be read, with the status to answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BodyError {
    pub status: u16,
    pub msg: String,
}

impl BodyError {
    fn new(status: u16, msg: String) -> BodyError {
        BodyError { status, msg }
    }
}

/// Why a request head was refused, with the status to answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeadError {
    /// The client went away (or sent nothing, or stayed idle between requests): no answer.
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
    pub fn status(&self) -> Option<u16> {
        match self {
            HeadError::Closed => None,
            HeadError::Malformed(_) => Some(400),
            HeadError::Timeout => Some(408),
            HeadError::TooLarge => Some(431),
            HeadError::Version => Some(505),
        }
    }
}

/// Parses a complete head, or says more bytes are needed (`Ok(None)`). On success,
/// also returns the head's length: the bytes after it are a body or the next request.
pub fn parse_head(buf: &[u8]) -> Result<Option<(RequestHead, usize)>, HeadError> {
    // On the heap, as in `fill`.
    let mut headers = vec![httparse::EMPTY_HEADER; MAX_HEADERS];
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
    let head = RequestHead {
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
    };
    Ok(Some((head, head_len)))
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

/// The reading side of a connection: bytes received and not yet used (the rest of a
/// read past a head or a body: the next, pipelined request) carry over between requests.
pub struct Reader<S> {
    pub stream: S,
    buf: Vec<u8>,
}

/// One read from the stream into `buf`, before `deadline`: `Ok(0)` at its end. (Into
/// the heap, not a stack buffer: a thread's stack pages stay resident while it streams.)
fn fill(
    stream: &mut (impl Read + SetTimeout),
    buf: &mut Vec<u8>,
    deadline: Instant,
) -> io::Result<usize> {
    const READ: usize = 2048;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(io::ErrorKind::TimedOut.into());
        }
        stream.set_timeout(Some(left))?;
        let old = buf.len();
        buf.resize(old + READ, 0);
        let read = stream.read(&mut buf[old..]);
        buf.truncate(old + *read.as_ref().unwrap_or(&0));
        match read {
            Ok(n) => return Ok(n),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                return Err(io::ErrorKind::TimedOut.into())
            }
            Err(e) => return Err(e),
        }
    }
}

impl<S: Read + SetTimeout> Reader<S> {
    pub fn new(stream: S) -> Reader<S> {
        Reader {
            stream,
            buf: Vec::new(),
        }
    }

    /// Reads a request head within the size and time limits. `first` is the
    /// connection's first request: a later one may simply never come (an idle
    /// keep-alive connection), which is a quiet end rather than a 408.
    pub fn head(&mut self, first: bool) -> Result<RequestHead, HeadError> {
        let deadline = Instant::now() + HEAD_TIMEOUT;
        // How much of `buf` the last parse saw. A head can only be completed by a line
        // end, so the buffer is parsed again only when one arrives (and once at the
        // start): a head sent a byte at a time costs a parse per line, not per byte
        // (16 KiB byte by byte was ~128 MB of parsing). Before any refusal the whole
        // buffer is parsed once more, so the verdict is the same however the head was cut.
        let mut parsed = 0;
        loop {
            let fresh = &self.buf[parsed.min(self.buf.len())..];
            if !fresh.is_empty() && (parsed == 0 || memchr::memchr(b'\n', fresh).is_some()) {
                parsed = self.buf.len();
                if let Some((head, len)) = parse_head(&self.buf)? {
                    self.buf.drain(..len);
                    return Ok(head);
                }
            }
            if self.buf.len() > MAX_HEAD {
                parse_head(&self.buf)?;
                return Err(HeadError::TooLarge);
            }
            let quiet = self.buf.is_empty() && !first;
            match fill(&mut self.stream, &mut self.buf, deadline) {
                Ok(0) if self.buf.is_empty() => return Err(HeadError::Closed),
                Ok(0) => {
                    parse_head(&self.buf)?;
                    return Err(HeadError::Malformed("the request head ended early".into()));
                }
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::TimedOut && !quiet => {
                    parse_head(&self.buf)?;
                    return Err(HeadError::Timeout);
                }
                Err(_) => return Err(HeadError::Closed),
            }
        }
    }

    /// Frees the read buffer when it holds nothing (no pipelined request), so an idle
    /// stream keeps none.
    pub fn shrink(&mut self) {
        if self.buf.is_empty() {
            self.buf = Vec::new();
        }
    }

    /// Reads (and discards) the request's body, bounded in size and time.
    pub fn skip_body(&mut self, head: &RequestHead) -> Result<(), BodyError>
    where
        S: Write,
    {
        let deadline = Instant::now() + HEAD_TIMEOUT;
        let body = head.body()?;
        if head.expects_continue() && body != RequestBody::Length(0) && self.buf.is_empty() {
            // curl asks before sending a large body, and would wait a second otherwise.
            let _ = self.stream.write_all(b"HTTP/1.1 100 Continue\r\n\r\n");
        }
        let reading = |e: io::Error| {
            BodyError::new(
                408,
                format!("reading the request body: {}", crate::error::io_message(&e)),
            )
        };
        match body {
            RequestBody::Length(mut left) => loop {
                let have = (self.buf.len() as u64).min(left);
                self.buf.drain(..have as usize);
                left -= have;
                if left == 0 {
                    return Ok(());
                }
                if fill(&mut self.stream, &mut self.buf, deadline).map_err(reading)? == 0 {
                    return Err(BodyError::new(400, "the request body ended early".into()));
                }
            },
            RequestBody::Chunked => {
                let mut decoder = Chunked::default();
                loop {
                    let used = decoder.feed(&self.buf)?;
                    self.buf.drain(..used);
                    if decoder.done() {
                        return Ok(());
                    }
                    if fill(&mut self.stream, &mut self.buf, deadline).map_err(reading)? == 0 {
                        return Err(BodyError::new(
                            400,
                            "the chunked request body ended early".into(),
                        ));
                    }
                }
            }
        }
    }
}

/// A chunked body decoder (RFC 9112 7.1) that keeps only its place: the data is
/// counted and dropped, every line is bounded, and so is the total.
#[derive(Debug, Default)]
pub struct Chunked {
    state: ChunkState,
    /// Data bytes so far.
    total: u64,
    /// Bytes of the current size line or trailer section.
    line: usize,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum ChunkState {
    /// In a chunk-size line; `Some` once a hex digit was seen, with the size so far.
    #[default]
    SizeStart,
    Size(u64),
    /// After the size: extensions, up to the line end.
    Extension(u64),
    Data(u64),
    /// The CRLF after a chunk's data (`true` once the CR was seen).
    DataEnd(bool),
    /// At the start of a trailer line (or the final empty line).
    TrailerStart,
    Trailer,
    Done,
}

impl Chunked {
    pub fn done(&self) -> bool {
        self.state == ChunkState::Done
    }

    /// Takes bytes of the body; returns how many were part of it (fewer than given
    /// only once the body is complete: the rest is the next request).
    pub fn feed(&mut self, bytes: &[u8]) -> Result<usize, BodyError> {
        let mut i = 0;
        while i < bytes.len() {
            match self.state {
                ChunkState::Done => return Ok(i),
                ChunkState::Data(left) => {
                    let take = left.min((bytes.len() - i) as u64);
                    i += take as usize;
                    self.state = if take == left {
                        ChunkState::DataEnd(false)
                    } else {
                        ChunkState::Data(left - take)
                    };
                    continue;
                }
                _ => {
                    if !self.byte(bytes[i])? {
                        continue; // the same byte again, in the new state
                    }
                }
            }
            self.check_line()?;
            i += 1;
        }
        Ok(i)
    }

    /// One byte outside a chunk's data. `false`: the state changed without taking
    /// the byte, which is to be read again.
    fn byte(&mut self, b: u8) -> Result<bool, BodyError> {
        match self.state {
            // `feed` takes these itself.
            ChunkState::Done | ChunkState::Data(_) => {}
            ChunkState::DataEnd(false) if b == b'\r' => self.state = ChunkState::DataEnd(true),
            ChunkState::DataEnd(_) if b == b'\n' => self.state = ChunkState::SizeStart,
            ChunkState::DataEnd(_) => return Err(bad_chunk("no line end after a chunk's data")),
            ChunkState::SizeStart | ChunkState::Size(_) => return self.size_byte(b),
            ChunkState::Extension(n) => self.extension_byte(n, b)?,
            ChunkState::TrailerStart if b == b'\n' => self.state = ChunkState::Done,
            ChunkState::TrailerStart if b == b'\r' => {}
            ChunkState::TrailerStart | ChunkState::Trailer => {
                self.line += 1;
                self.state = if b == b'\n' {
                    ChunkState::TrailerStart
                } else {
                    ChunkState::Trailer
                };
            }
        }
        Ok(true)
    }

    /// A byte of a chunk-size line before any extension: a hex digit of the size, or
    /// (after at least one digit) the start of an extension or the line end, which is
    /// not taken here.
    fn size_byte(&mut self, b: u8) -> Result<bool, BodyError> {
        let size = match self.state {
            ChunkState::Size(n) => Some(n),
            _ => None,
        };
        if let Some(d) = (b as char).to_digit(16) {
            let n = size
                .unwrap_or(0)
                .checked_mul(16)
                .and_then(|n| n.checked_add(u64::from(d)));
            match n {
                Some(n) if self.total + n <= MAX_BODY => self.state = ChunkState::Size(n),
                _ => {
                    return Err(BodyError::new(
                        413,
                        format!("request body over {MAX_BODY} bytes"),
                    ))
                }
            }
        } else if let Some(n) = size {
            self.state = ChunkState::Extension(n);
            return Ok(false);
        } else {
            return Err(bad_chunk("a chunk size is not hexadecimal"));
        }
        self.line += 1;
        Ok(true)
    }

    /// A byte after a chunk's size (of `n` bytes): its extensions, up to the line end.
    fn extension_byte(&mut self, n: u64, b: u8) -> Result<(), BodyError> {
        self.line += 1;
        if b == b'\n' {
            self.line = 0;
            self.total += n;
            self.state = if n == 0 {
                ChunkState::TrailerStart
            } else {
                ChunkState::Data(n)
            };
        } else if b != b'\r' && b != b'\t' && b < 0x20 {
            return Err(bad_chunk("a control character in a chunk-size line"));
        }
        Ok(())
    }

    /// A size line stays short; the trailers may be longer, but bounded too.
    fn check_line(&self) -> Result<(), BodyError> {
        if self.line > MAX_CHUNK_LINE * 16
            || (self.line > MAX_CHUNK_LINE
                && !matches!(self.state, ChunkState::Trailer | ChunkState::TrailerStart))
        {
            return Err(bad_chunk("a chunk-size line or the trailers are too long"));
        }
        Ok(())
    }
}

fn bad_chunk(why: &str) -> BodyError {
    BodyError::new(400, format!("bad chunked request body: {why}"))
}

/// The standard reason phrase for a status (`""` for a code without one).
pub fn reason(status: u16) -> &'static str {
    ureq::http::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("")
}

/// How a response body is delimited on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// HTTP/1.1 `Transfer-Encoding: chunked`.
    Chunked,
    /// The body ends when the connection closes (HTTP/1.0).
    UntilClose,
    /// `Content-Length`, known once the whole body is held (or complete, for a short answer).
    Length(usize),
    /// No body at all (HEAD, 204, 304): the head says nothing about one.
    None,
}

/// A response head: every answer the server gives is written by [`Head::write`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    /// `HTTP/1.0` answers for the `http10` fault.
    pub http10: bool,
    pub status: u16,
    pub headers: Vec<(String, String)>,
    /// Whether the connection stays open for another request afterwards.
    pub keep_alive: bool,
}

impl Head {
    pub fn new(status: u16) -> Head {
        Head {
            http10: false,
            status,
            headers: Vec::new(),
            keep_alive: false,
        }
    }

    /// Adds a header, or replaces one of the same name.
    pub fn set(&mut self, name: &str, value: impl Into<String>) {
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        self.headers.push((name.to_string(), value.into()));
    }

    pub fn with(mut self, name: &str, value: impl Into<String>) -> Head {
        self.set(name, value);
        self
    }

    /// The head's bytes, ending with its blank line, for a body framed as `framing`.
    pub fn write(&self, framing: Framing, out: &mut Vec<u8>) {
        let version = if self.http10 { "HTTP/1.0" } else { "HTTP/1.1" };
        let _ = write!(out, "{version} {} {}\r\n", self.status, reason(self.status));
        for (name, value) in &self.headers {
            let _ = write!(out, "{name}: {value}\r\n");
        }
        match framing {
            Framing::Chunked => out.extend_from_slice(b"Transfer-Encoding: chunked\r\n"),
            Framing::Length(n) => {
                let _ = write!(out, "Content-Length: {n}\r\n");
            }
            Framing::UntilClose | Framing::None => {}
        }
        if !self.keep_alive {
            out.extend_from_slice(b"Connection: close\r\n");
        }
        out.extend_from_slice(b"\r\n");
    }
}

/// Whether a response with this status carries no body (RFC 9110 6.4.1).
pub fn bodiless(status: u16) -> bool {
    status < 200 || status == 204 || status == 304
}

/// A short, complete answer (errors, the page, a 204): head and body in one buffer.
pub fn short_response(head: &Head, body: &[u8], head_only: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(256 + body.len());
    if bodiless(head.status) {
        head.write(Framing::None, &mut out);
    } else {
        head.write(Framing::Length(body.len()), &mut out);
        if !head_only {
            out.extend_from_slice(body);
        }
    }
    out
}

/// The size line of a chunk of `len` bytes.
pub fn chunk_size_line(len: usize, out: &mut Vec<u8>) {
    let _ = write!(out, "{len:x}\r\n");
}

/// The end of a chunk's data.
pub const CHUNK_END: &[u8] = b"\r\n";
/// The end of a chunked body.
pub const LAST_CHUNK: &[u8] = b"0\r\n\r\n";

/// Writes all of `slices` with as few system calls as the socket allows (one, unless
/// its buffer is full).
pub fn write_all_vectored(
    stream: &mut impl Write,
    mut slices: &mut [IoSlice<'_>],
) -> io::Result<()> {
    IoSlice::advance_slices(&mut slices, 0);
    while !slices.is_empty() {
        match stream.write_vectored(slices) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => IoSlice::advance_slices(&mut slices, n),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head_of(text: &[u8]) -> RequestHead {
        parse_head(text).unwrap().unwrap().0
    }

    #[test]
    fn heads_parse_with_versions_and_queries() {
        let raw = b"GET /events?x=1 HTTP/1.0\r\nLast-Event-ID: 5\r\nVia: 1.0 nginx\r\n\r\nrest";
        let (h, len) = parse_head(raw).unwrap().unwrap();
        assert_eq!(&raw[len..], b"rest");
        assert_eq!(h.path, "/events");
        assert_eq!(h.minor_version, 0);
        assert_eq!(h.header("last-event-id"), Some("5"));
        assert_eq!(parse_head(b"GET /events HTTP/1.1\r\nHost: x\r\n"), Ok(None));
        assert_eq!(
            head_of(b"GET http://h:1/events HTTP/1.1\r\n\r\n").path,
            "/events"
        );
    }

    #[test]
    fn keep_alive_follows_the_version_and_connection_header() {
        assert!(head_of(b"GET / HTTP/1.1\r\n\r\n").keep_alive());
        assert!(!head_of(b"GET / HTTP/1.1\r\nConnection: Close\r\n\r\n").keep_alive());
        assert!(!head_of(b"GET / HTTP/1.0\r\n\r\n").keep_alive());
        assert!(!head_of(b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").keep_alive());
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

    /// Hands out its bytes `step` at a time, then says "would block" (a timeout);
    /// keeps what is written to it.
    struct Slow(Vec<u8>, usize, Vec<u8>);
    impl Write for Slow {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.2.extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }
    impl Read for Slow {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if self.0.is_empty() {
                return Err(io::ErrorKind::WouldBlock.into());
            }
            let n = buf.len().min(self.0.len()).min(self.1);
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

    fn reader(bytes: &[u8], step: usize) -> Reader<Slow> {
        Reader::new(Slow(bytes.to_vec(), step, Vec::new()))
    }

    #[test]
    fn read_head_limits() {
        assert_eq!(
            reader(b"GET / HTTP/1.1\r\nHost", 4096).head(true),
            Err(HeadError::Timeout)
        );
        // Between requests, silence is a quiet end.
        assert_eq!(reader(b"", 4096).head(false), Err(HeadError::Closed));
        let mut huge = b"GET / HTTP/1.1\r\nX: ".to_vec();
        huge.extend(std::iter::repeat_n(b'a', MAX_HEAD + 10));
        assert_eq!(reader(&huge, 4096).head(true), Err(HeadError::TooLarge));
        assert!(reader(b"GET / HTTP/1.1\r\n\r\n", 4096).head(true).is_ok());
    }

    #[test]
    fn pipelined_requests_and_bodies_are_read_in_turn() {
        let wire = b"POST /a HTTP/1.1\r\nContent-Length: 3\r\n\r\nabcGET /b HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nabc\r\n0\r\nT: 1\r\n\r\nGET /c HTTP/1.1\r\n\r\n";
        for step in [1, 2, 7, 4096] {
            let mut r = reader(wire, step);
            for path in ["/a", "/b", "/c"] {
                let head = r.head(path == "/a").unwrap();
                assert_eq!(head.path, path, "step {step}");
                r.skip_body(&head).unwrap();
            }
            assert_eq!(r.head(false), Err(HeadError::Closed));
            assert!(r.stream.2.is_empty());
        }
    }

    #[test]
    fn a_client_that_expects_100_continue_is_told_to_go_on() {
        let wire = b"POST /a HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n";
        let mut r = reader(wire, 4096);
        let head = r.head(true).unwrap();
        r.stream.0.extend_from_slice(b"abc");
        r.skip_body(&head).unwrap();
        assert_eq!(r.stream.2, b"HTTP/1.1 100 Continue\r\n\r\n");
    }

    #[test]
    fn chunked_bodies_are_decoded_with_limits() {
        let whole = |body: &[u8]| {
            let mut d = Chunked::default();
            let used = d.feed(body)?;
            Ok::<_, BodyError>((d.done(), used))
        };
        assert_eq!(whole(b"5\r\nhello\r\n0\r\n\r\nnext"), Ok((true, 15)));
        assert_eq!(whole(b"A\r\n0123456789\r\n"), Ok((false, 15)));
        assert_eq!(whole(b"zz\r\n").unwrap_err().status, 400);
        assert_eq!(whole(b"5\r\nhelloXX").unwrap_err().status, 400);
        assert_eq!(whole(b"ffffffffffffffffffff\r\n").unwrap_err().status, 413);
        assert_eq!(
            whole(format!("{:x}\r\n", MAX_BODY + 1).as_bytes())
                .unwrap_err()
                .status,
            413
        );
        let mut long = b"1;".to_vec();
        long.extend(std::iter::repeat_n(b'x', MAX_CHUNK_LINE + 1));
        assert_eq!(whole(&long).unwrap_err().status, 400);
        // Many small chunks add up to the limit too.
        let mut d = Chunked::default();
        let small = b"400\r\n"
            .iter()
            .chain(&[b'x'; 0x400])
            .chain(b"\r\n")
            .copied()
            .collect::<Vec<u8>>();
        let err = (0..=1024).find_map(|_| d.feed(&small).err()).unwrap();
        assert_eq!(err.status, 413);
    }

    #[test]
    fn unframable_bodies_are_refused() {
        let status = |h: &[u8]| head_of(h).body().unwrap_err().status;
        assert_eq!(
            status(b"POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n"),
            400
        );
        assert_eq!(status(b"POST / HTTP/1.1\r\nContent-Length: x\r\n\r\n"), 400);
        let conflict =
            head_of(b"POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n")
                .body()
                .unwrap_err();
        // Neither copy is bad on its own: the message names both, not the valid first.
        assert_eq!(
            (conflict.status, conflict.msg.as_str()),
            (400, "conflicting Content-Length headers: 3 and \"4\"")
        );
        assert_eq!(
            status(b"POST / HTTP/1.1\r\nContent-Length: 99999999\r\n\r\n"),
            413
        );
        assert_eq!(
            head_of(b"POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n").body(),
            Ok(RequestBody::Chunked)
        );
    }

    #[test]
    fn heads_are_written_in_one_place() {
        let mut out = Vec::new();
        Head::new(429)
            .with("Retry-After", "5")
            .write(Framing::Length(2), &mut out);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "HTTP/1.1 429 Too Many Requests\r\nRetry-After: 5\r\nContent-Length: 2\r\nConnection: close\r\n\r\n"
        );
        let no_content = short_response(&Head::new(204), b"ignored", false);
        assert_eq!(
            no_content,
            b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n"
        );
        let mut kept = Head::new(404);
        kept.keep_alive = true;
        let not_found = String::from_utf8(short_response(&kept, b"nope", false)).unwrap();
        assert_eq!(
            not_found,
            "HTTP/1.1 404 Not Found\r\nContent-Length: 4\r\n\r\nnope"
        );
        assert_eq!(reason(599), "");
    }
}
