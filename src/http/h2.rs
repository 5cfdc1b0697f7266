//! HTTP/2 over the h2 crate (the HTTP/2 layer of hyper and reqwest), on tokio-rustls
//! with ALPN, or h2c with prior knowledge.
//!
//! Each connection has a thread of its own running a current-thread tokio runtime: it
//! connects, sends the request, hands the response head back, then moves DATA frames
//! into a bounded channel that the blocking body reader drains. Flow-control capacity
//! is released only once a frame is in that channel, so a fast stream is never held by
//! a closed window, and a slow reader holds at most the window and the channel's
//! frames, never more.

use std::io::{self, Read};
use std::pin::Pin;
use std::sync::mpsc as sync_mpsc;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::{Buf, Bytes};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot};
use ureq::http::{self, Uri};

use super::error::{Cause, Reset, Tls};
use super::{tls_config, Connection, Head, Request, Response, Settings, CLIENT_WINDOW as WINDOW};

/// DATA frames waiting for the reader.
const QUEUED_FRAMES: usize = 32;
/// Headers HTTP/2 forbids in a request (RFC 9113 §8.2.2); `host` becomes `:authority`.
const NOT_IN_H2: [&str; 6] = [
    "connection",
    "keep-alive",
    "proxy-connection",
    "transfer-encoding",
    "upgrade",
    "host",
];

/// How to start HTTP/2.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Start {
    /// TLS, offering h2 (and http/1.1 unless `only`) by ALPN.
    Alpn { only: bool },
    /// h2c on a plain connection, without asking (curl's --http2-prior-knowledge).
    PriorKnowledge,
}

/// What the server chose.
pub enum Negotiated {
    H2(Response),
    /// ALPN picked HTTP/1.1 (or nothing): the caller speaks HTTP/1.1 instead.
    Http1 {
        chose: Option<String>,
    },
}

/// The response head, as the connection's thread hands it over.
enum Opened {
    H2 {
        parts: http::response::Parts,
        body: mpsc::Receiver<io::Result<Bytes>>,
        settings: Option<Settings>,
    },
    Http1 {
        chose: Option<String>,
    },
}

/// Opens `req` over HTTP/2 (`uri` is its URL, parsed), through `proxy` (an http://
/// proxy, by CONNECT) if given.
pub fn open(
    req: &Request,
    uri: &Uri,
    start: Start,
    proxy: Option<&Uri>,
) -> Result<Negotiated, Cause> {
    let (tx, rx) = sync_mpsc::sync_channel(1);
    let job = Job {
        req: req.clone(),
        uri: uri.clone(),
        start,
        proxy: proxy.cloned(),
    };
    std::thread::Builder::new()
        .name("h2".into())
        .spawn(move || {
            match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(rt) => rt.block_on(job.run(tx)),
                Err(e) => {
                    let _ = tx.send(Err(Cause::Io(crate::error::io_message(&e))));
                }
            }
        })
        .map_err(|e| Cause::Io(crate::error::io_message(&e)))?;
    let opened = rx
        .recv()
        .map_err(|_| Cause::Other("the HTTP/2 connection's thread ended".into()))??;
    Ok(match opened {
        Opened::Http1 { chose } => Negotiated::Http1 { chose },
        Opened::H2 {
            parts,
            body,
            settings,
        } => Negotiated::H2(response_of(parts, body, settings, &req.url)),
    })
}

fn response_of(
    parts: http::response::Parts,
    body: mpsc::Receiver<io::Result<Bytes>>,
    settings: Option<Settings>,
    url: &str,
) -> Response {
    let headers = parts
        .headers
        .iter()
        .map(|(n, v)| {
            (
                n.as_str().to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    Response {
        head: Head {
            status: parts.status.as_u16(),
            reason: parts.status.canonical_reason().unwrap_or("").to_string(),
            version: "HTTP/2",
            headers,
            url: url.to_string(),
        },
        body: Box::new(Body {
            rx: body,
            chunk: Bytes::new(),
            error: None,
        }),
        conn: Connection {
            version: "HTTP/2",
            settings,
        },
    }
}

/// One connection's work, on its own thread.
struct Job {
    req: Request,
    uri: Uri,
    start: Start,
    /// An HTTP proxy to tunnel through.
    proxy: Option<Uri>,
}

type HeadSender = sync_mpsc::SyncSender<Result<Opened, Cause>>;

/// How the connection ended, once it has: the GOAWAY code, if it had one.
type Ended = oneshot::Receiver<Option<Reset>>;

/// A response head, the request's handle (kept while the body is read), and the end
/// of the connection.
type Exchanged = (
    http::Response<h2::RecvStream>,
    h2::client::SendRequest<Bytes>,
    Ended,
);

/// How long a stream error without a code waits for the connection's (a GOAWAY that
/// came just before the close).
const GOAWAY_WAIT: Duration = Duration::from_millis(200);

impl Job {
    async fn run(self, head: HeadSender) {
        let tcp = match self.connect().await {
            Ok(tcp) => tcp,
            Err(cause) => {
                let _ = head.send(Err(cause));
                return;
            }
        };
        match self.start {
            Start::PriorKnowledge => self.exchange(tcp, head).await,
            Start::Alpn { only } => {
                let tls = match self.tls(tcp, only).await {
                    Ok(tls) => tls,
                    Err(cause) => {
                        let _ = head.send(Err(cause));
                        return;
                    }
                };
                let chose = tls
                    .get_ref()
                    .1
                    .alpn_protocol()
                    .map(|p| String::from_utf8_lossy(p).into_owned());
                if chose.as_deref() == Some("h2") {
                    self.exchange(tls, head).await;
                } else {
                    let _ = head.send(Ok(Opened::Http1 { chose }));
                }
            }
        }
    }

    fn timeout(&self) -> Duration {
        self.req.timeout.unwrap_or(Duration::from_secs(3600))
    }

    async fn connect(&self) -> Result<TcpStream, Cause> {
        let host = self.uri.host().ok_or(Cause::BadUrl("no host".into()))?;
        let host = host.trim_start_matches('[').trim_end_matches(']');
        let https = self.uri.scheme_str() == Some("https");
        let port = self.uri.port_u16().unwrap_or(if https { 443 } else { 80 });
        let connect = async {
            match &self.proxy {
                None => tcp_to(host, port).await,
                Some(proxy) => self.tunnel(proxy, host, port).await,
            }
        };
        tokio::time::timeout(self.timeout(), connect)
            .await
            .map_err(|_| Cause::Timeout("connect".into()))?
    }

    /// A tunnel through an HTTP proxy to `host:port`: `CONNECT`, as curl opens one for
    /// https (with the proxy URL's user and password as Basic credentials).
    async fn tunnel(&self, proxy: &Uri, host: &str, port: u16) -> Result<TcpStream, Cause> {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let failed = |why: String| Cause::Proxy {
            proxy: proxy.to_string(),
            cause: Box::new(Cause::ConnectProxyFailed(why)),
        };
        let proxy_host = proxy.host().ok_or_else(|| failed("no host".into()))?;
        let proxy_host = proxy_host.trim_start_matches('[').trim_end_matches(']');
        // curl's default proxy port.
        let mut tcp = tcp_to(proxy_host, proxy.port_u16().unwrap_or(1080)).await?;
        let target = if host.contains(':') {
            format!("[{host}]:{port}")
        } else {
            format!("{host}:{port}")
        };
        let mut head = format!(
            "CONNECT {target} HTTP/1.1\r\nHost: {target}\r\nUser-Agent: {}\r\n",
            super::USER_AGENT
        );
        if let Some(credentials) = proxy.authority().and_then(|a| a.as_str().rsplit_once('@')) {
            use base64::Engine as _;
            let basic = base64::engine::general_purpose::STANDARD.encode(credentials.0);
            head.push_str(&format!("Proxy-Authorization: Basic {basic}\r\n"));
        }
        head.push_str("\r\n");
        let io = |e: std::io::Error| failed(crate::error::io_message(&e));
        tcp.write_all(head.as_bytes()).await.map_err(io)?;
        // The answer's head, a byte at a time: what follows it is the tunnel's.
        let mut answer = Vec::new();
        let mut byte = [0u8; 1];
        while !answer.ends_with(b"\r\n\r\n") {
            if answer.len() > MAX_PROXY_HEAD || tcp.read(&mut byte).await.map_err(io)? == 0 {
                return Err(failed("the proxy closed without answering CONNECT".into()));
            }
            answer.push(byte[0]);
        }
        let mut headers = [httparse::EMPTY_HEADER; 32];
        let mut parsed = httparse::Response::new(&mut headers);
        match parsed.parse(&answer) {
            Ok(_) if parsed.code.is_some_and(|c| (200..300).contains(&c)) => Ok(tcp),
            Ok(_) => Err(failed(format!(
                "CONNECT answered {} {}",
                parsed.code.unwrap_or(0),
                parsed.reason.unwrap_or("")
            ))),
            Err(e) => Err(failed(format!("its answer to CONNECT is not HTTP: {e}"))),
        }
    }

    async fn tls(
        &self,
        tcp: TcpStream,
        only: bool,
    ) -> Result<tokio_rustls::client::TlsStream<TcpStream>, Cause> {
        let alpn: &[&[u8]] = if only {
            &[b"h2"]
        } else {
            &[b"h2", b"http/1.1"]
        };
        let config = tls_config(self.req.insecure, alpn).map_err(|e| Cause::Tls(Tls::Other(e)))?;
        let host = self.uri.host().unwrap_or("");
        let host = host.trim_start_matches('[').trim_end_matches(']');
        let name = rustls::pki_types::ServerName::try_from(host.to_string())
            .map_err(|e| Cause::BadUrl(e.to_string()))?;
        let handshake = tokio_rustls::TlsConnector::from(config).connect(name, tcp);
        let rest = || {
            self.req
                .url
                .split_once("://")
                .map_or("", |(_, r)| r)
                .to_string()
        };
        match tokio::time::timeout(self.timeout(), handshake).await {
            Err(_) => Err(Cause::Timeout("TLS handshake".into())),
            Ok(Ok(tls)) => Ok(tls),
            Ok(Err(e)) => Err(
                match e.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>()) {
                    // We offered h2 (and maybe http/1.1): no protocol in common.
                    Some(tls) => match Tls::of_rustls(tls, rest) {
                        Tls::NoAlpn => Cause::NoHttp2 { chose: None },
                        tls => Cause::Tls(tls),
                    },
                    None => Cause::Io(crate::error::io_message(&e)),
                },
            ),
        }
    }

    /// The HTTP/2 exchange on a connected stream: handshake, request, head, then the
    /// body's frames into the reader's channel.
    async fn exchange<T>(&self, io: T, head: HeadSender)
    where
        T: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let seen = Arc::new(Mutex::new(None));
        let tap = Tap {
            io,
            first: Vec::new(),
            looking: true,
            seen: Arc::clone(&seen),
        };
        match self.request(tap).await {
            Err(cause) => {
                let _ = head.send(Err(cause));
            }
            Ok((response, send, ended)) => {
                let (parts, body) = response.into_parts();
                let (tx, rx) = mpsc::channel(QUEUED_FRAMES);
                let opened = Opened::H2 {
                    parts,
                    body: rx,
                    settings: crate::sync::lock(&seen).take(),
                };
                if head.send(Ok(opened)).is_ok() {
                    pump(body, tx, self.req.timeout, ended).await;
                }
                drop(send);
            }
        }
    }

    async fn request<T>(&self, io: T) -> Result<Exchanged, Cause>
    where
        T: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let handshake = h2::client::Builder::new()
            .initial_window_size(WINDOW)
            .initial_connection_window_size(WINDOW)
            .enable_push(false)
            .handshake::<T, Bytes>(io);
        let (mut send, conn) = tokio::time::timeout(self.timeout(), handshake)
            .await
            .map_err(|_| Cause::Timeout("HTTP/2 handshake".into()))?
            .map_err(h2_cause)?;
        // The connection's own end (a GOAWAY's code) is what a stream error that
        // carries none was caused by.
        let (ended_tx, ended) = oneshot::channel();
        tokio::spawn(async move {
            let _ = ended_tx.send(conn.await.err().and_then(|e| Reset::of_h2(&e)));
        });
        let (request, body) = self.build()?;
        let (answer, mut stream) = send
            .send_request(request, body.is_none())
            .map_err(h2_cause)?;
        if let Some(body) = body {
            stream.send_data(body, true).map_err(h2_cause)?;
        }
        let response = tokio::time::timeout(self.timeout(), answer)
            .await
            .map_err(|_| Cause::Timeout("waiting for the response".into()))?
            .map_err(h2_cause)?;
        Ok((response, send, ended))
    }

    /// The request as h2 sends it: the method, the URL as pseudo-headers, our headers
    /// without those HTTP/2 forbids.
    fn build(&self) -> Result<(http::Request<()>, Option<Bytes>), Cause> {
        let mut builder = http::Request::builder()
            .method(self.req.method.as_str())
            .uri(self.uri.clone())
            .version(http::Version::HTTP_2);
        for (name, value) in self.req.header_lines() {
            let lower = name.to_ascii_lowercase();
            if NOT_IN_H2.contains(&lower.as_str()) || (lower == "te" && value != "trailers") {
                continue;
            }
            builder = builder.header(lower, value);
        }
        let body = self.req.body.clone().map(Bytes::from);
        // As curl and browsers send it; a POST without a body says 0.
        match &body {
            Some(body) => builder = builder.header("content-length", body.len()),
            None if matches!(self.req.method.as_str(), "POST" | "PUT" | "PATCH") => {
                builder = builder.header("content-length", "0");
            }
            None => {}
        }
        let request = builder
            .body(())
            .map_err(|e| Cause::InvalidRequest(crate::error::lowercase_first(&e.to_string())))?;
        Ok((request, body))
    }
}

/// Moves the body's frames to the reader, releasing their window once queued.
async fn pump(
    mut body: h2::RecvStream,
    tx: mpsc::Sender<io::Result<Bytes>>,
    per_read: Option<Duration>,
    ended: Ended,
) {
    loop {
        let next = match per_read {
            Some(limit) => match tokio::time::timeout(limit, body.data()).await {
                Ok(next) => next,
                Err(_) => {
                    let timed_out = io::Error::new(
                        io::ErrorKind::TimedOut,
                        "timed out reading the response body",
                    );
                    let _ = tx.send(Err(timed_out)).await;
                    return;
                }
            },
            None => body.data().await,
        };
        match next {
            None => return,
            Some(Ok(chunk)) => {
                let n = chunk.len();
                if tx.send(Ok(chunk)).await.is_err() {
                    return;
                }
                let _ = body.flow_control().release_capacity(n);
            }
            Some(Err(e)) => {
                let error = match Reset::of_h2(&e) {
                    Some(reset) => io::Error::new(io::ErrorKind::ConnectionReset, reset),
                    None => match tokio::time::timeout(GOAWAY_WAIT, ended).await {
                        Ok(Ok(Some(goaway))) => {
                            io::Error::new(io::ErrorKind::ConnectionReset, goaway)
                        }
                        _ => e
                            .into_io()
                            .unwrap_or_else(|| io::Error::other("HTTP/2 error")),
                    },
                };
                let _ = tx.send(Err(error)).await;
                return;
            }
        }
    }
}

fn h2_cause(e: h2::Error) -> Cause {
    match Reset::of_h2(&e) {
        Some(reset) => Cause::Http2(reset),
        None => match e.get_io() {
            Some(io) => Cause::Io(crate::error::io_message(io)),
            None => Cause::Other(format!("HTTP/2: {e}")),
        },
    }
}

impl Reset {
    fn of_h2(e: &h2::Error) -> Option<Reset> {
        let reason = e.reason()?;
        Some(Reset {
            code: format!("{reason:?}"),
            go_away: e.is_go_away(),
            by_server: e.is_remote(),
        })
    }
}

/// The body as a blocking reader: every frame that is ready goes into one read.
struct Body {
    rx: mpsc::Receiver<io::Result<Bytes>>,
    chunk: Bytes,
    /// An error that came behind bytes already read: the next read's.
    error: Option<io::Error>,
}

impl Read for Body {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        if self.chunk.is_empty() {
            match self.rx.blocking_recv() {
                None => return Ok(0),
                Some(Ok(chunk)) => self.chunk = chunk,
                Some(Err(e)) => return Err(e),
            }
        }
        let mut n = 0;
        loop {
            let take = self.chunk.len().min(buf.len() - n);
            buf[n..n + take].copy_from_slice(&self.chunk[..take]);
            self.chunk.advance(take);
            n += take;
            if n == buf.len() || !self.chunk.is_empty() {
                return Ok(n);
            }
            match self.rx.try_recv() {
                Ok(Ok(chunk)) => self.chunk = chunk,
                // An error or the end is for the next read: this one has bytes.
                Ok(Err(e)) => {
                    self.error = Some(e);
                    return Ok(n);
                }
                Err(_) => return Ok(n),
            }
        }
    }
}

/// The connection as h2 reads and writes it, keeping the SETTINGS frame the server
/// opens with (its connection preface, RFC 9113 §3.4), which h2 does not hand out
/// (only MAX_CONCURRENT_STREAMS): `-v` and doctor show them. It reads nothing after
/// that first frame; h2 does all the protocol.
struct Tap<T> {
    io: T,
    /// The first frame's bytes so far.
    first: Vec<u8>,
    looking: bool,
    seen: Arc<Mutex<Option<Settings>>>,
}

/// An HTTP/2 frame header's length.
const FRAME_HEADER: usize = 9;
/// The SETTINGS frame's type.
const SETTINGS: u8 = 0x4;
/// The most SETTINGS parameters kept (the frame is 6 bytes a parameter).
const MAX_SETTINGS: usize = 64;

impl<T> Tap<T> {
    /// Takes the bytes just read; once the first frame is whole, keeps its SETTINGS
    /// and stops looking.
    fn look(&mut self, read: &[u8]) {
        if !self.looking {
            return;
        }
        let room = FRAME_HEADER + 6 * MAX_SETTINGS - self.first.len();
        self.first.extend_from_slice(&read[..read.len().min(room)]);
        let Some(header) = self.first.get(..FRAME_HEADER) else {
            return;
        };
        let len = u32::from_be_bytes([0, header[0], header[1], header[2]]) as usize;
        if header[3] != SETTINGS || len % 6 != 0 || len > 6 * MAX_SETTINGS {
            self.looking = false;
            return;
        }
        let Some(payload) = self.first.get(FRAME_HEADER..FRAME_HEADER + len) else {
            return;
        };
        let settings = payload
            .chunks_exact(6)
            .map(|p| {
                let id = u16::from_be_bytes([p[0], p[1]]);
                (id, u32::from_be_bytes([p[2], p[3], p[4], p[5]]))
            })
            .collect();
        *crate::sync::lock(&self.seen) = Some(Settings(settings));
        self.looking = false;
        self.first = Vec::new();
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for Tap<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let polled = Pin::new(&mut this.io).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) {
            this.look(&buf.filled()[before..]);
        }
        polled
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Tap<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_shutdown(cx)
    }
}

/// The largest answer to CONNECT taken.
const MAX_PROXY_HEAD: usize = 16 * 1024;

/// A TCP connection to `host:port`, trying each address it has.
async fn tcp_to(host: &str, port: u16) -> Result<TcpStream, Cause> {
    let addrs: Vec<_> = tokio::net::lookup_host((host, port))
        .await
        .map_err(|_| Cause::HostNotFound)?
        .collect();
    let mut last = Cause::HostNotFound;
    for addr in addrs {
        match TcpStream::connect(addr).await {
            Ok(tcp) => {
                let _ = tcp.set_nodelay(true);
                return Ok(tcp);
            }
            Err(e) => last = Cause::Io(crate::error::io_message(&e)),
        }
    }
    Err(last)
}

/// Where a redirect from `base` to `location` goes.
pub fn redirect_target(base: &Uri, location: &str) -> Option<String> {
    let scheme = base.scheme_str()?;
    let authority = base.authority()?.as_str();
    if location.contains("://") {
        return Some(location.to_string());
    }
    if let Some(rest) = location.strip_prefix("//") {
        return Some(format!("{scheme}://{rest}"));
    }
    if location.starts_with('/') {
        return Some(format!("{scheme}://{authority}{location}"));
    }
    let path = base.path();
    let dir = &path[..path.rfind('/').map_or(0, |i| i + 1)];
    Some(format!("{scheme}://{authority}{dir}{location}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirects_resolve_as_urls_do() {
        let base: Uri = "https://a.com/x/y?q".parse().unwrap();
        let to = |l: &str| redirect_target(&base, l).unwrap();
        assert_eq!(to("https://b.com/z"), "https://b.com/z");
        assert_eq!(to("//c.com/z"), "https://c.com/z");
        assert_eq!(to("/z"), "https://a.com/z");
        assert_eq!(to("z"), "https://a.com/x/z");
    }

    fn tapped() -> Tap<()> {
        Tap {
            io: (),
            first: Vec::new(),
            looking: true,
            seen: Arc::default(),
        }
    }

    #[test]
    fn the_servers_first_settings_are_kept_from_reads_of_any_size() {
        // SETTINGS: MAX_CONCURRENT_STREAMS 128, INITIAL_WINDOW_SIZE 65536, then a
        // WINDOW_UPDATE that is not looked at.
        let mut wire = vec![0, 0, 12, 4, 0, 0, 0, 0, 0];
        wire.extend([0, 3, 0, 0, 0, 128, 0, 4, 0, 1, 0, 0]);
        wire.extend([0, 0, 4, 8, 0, 0, 0, 0, 0, 0, 0x7f, 0xff, 0]);
        for size in [1, 2, 5, 9, 13, wire.len()] {
            let mut tap = tapped();
            for read in wire.chunks(size) {
                tap.look(read);
            }
            let seen = tap.seen.lock().unwrap().clone().unwrap();
            assert_eq!(seen.0, [(3, 128), (4, 65536)], "reads of {size}");
            assert_eq!(seen.get(super::super::INITIAL_WINDOW_SIZE), Some(65536));
            assert_eq!(
                seen.shown(),
                "MAX_CONCURRENT_STREAMS 128, INITIAL_WINDOW_SIZE 65536"
            );
            assert!(!tap.looking && tap.first.is_empty());
        }
        let mut empty = tapped();
        empty.look(&[0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 4]);
        assert_eq!(
            empty.seen.lock().unwrap().clone(),
            Some(Settings::default())
        );
        // Not a SETTINGS frame first: nothing is kept, and nothing more looked at.
        let mut other = tapped();
        other.look(&[0, 0, 8, 7, 0, 0, 0, 0, 0]);
        assert!(!other.looking && other.seen.lock().unwrap().is_none());
    }

    #[test]
    fn a_read_takes_every_ready_frame_and_keeps_an_error_for_the_next() {
        let (tx, rx) = mpsc::channel(8);
        for part in ["data: 1\n\n", "data: 2\n\n"] {
            tx.try_send(Ok(Bytes::from(part))).unwrap();
        }
        tx.try_send(Err(io::Error::other("reset"))).unwrap();
        let mut body = Body {
            rx,
            chunk: Bytes::new(),
            error: None,
        };
        let mut buf = [0u8; 64];
        assert_eq!(body.read(&mut buf).unwrap(), 18);
        assert_eq!(&buf[..18], b"data: 1\n\ndata: 2\n\n");
        assert!(body.read(&mut buf).is_err());
        let mut small = [0u8; 4];
        let (tx, rx) = mpsc::channel(8);
        tx.try_send(Ok(Bytes::from("abcdef"))).unwrap();
        drop(tx);
        let mut body = Body {
            rx,
            chunk: Bytes::new(),
            error: None,
        };
        assert_eq!(body.read(&mut small).unwrap(), 4);
        assert_eq!(body.read(&mut small).unwrap(), 2);
        assert_eq!(body.read(&mut small).unwrap(), 0);
    }
}
