//! HTTP/1.1 (and 1.0) over ureq: one transport behind [`super::Transport`].

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

use ureq::http::{self, Uri};
use ureq::tls::{RootCerts, TlsConfig};
use ureq::{Agent, Proxy, ResponseExt};

use super::error::Cause;
use super::{Connection, Head, Request, Response, Transport, USER_AGENT};
use crate::error::{lowercase_first, Error};

/// The ureq transport.
#[derive(Debug, Clone, Copy, Default)]
pub struct H1;

impl Transport for H1 {
    fn open(&self, req: &Request, uri: &Uri, proxy: Option<&str>) -> Result<Response, Error> {
        let connect_error = |cause: Cause| Error::Connect {
            url: req.url.clone(),
            cause,
        };
        let proxy = match proxy {
            Some(p) => Some(Proxy::new(p).map_err(|e| {
                connect_error(Cause::Proxy {
                    proxy: p.to_string(),
                    cause: Box::new(Cause::of_ureq(&e, &req.url)),
                })
            })?),
            None => None,
        };
        let direct = proxy.is_none();
        let agent = agent(req, proxy);
        let mut builder = http::Request::builder()
            .method(req.method.as_str())
            .uri(uri);
        for (name, value) in req.header_lines() {
            builder = builder.header(name, value);
        }
        let result = match &req.body {
            Some(body) => builder.body(body.clone()).map(|r| agent.run(r)),
            // A method that carries content is sent with `Content-Length: 0`, as curl
            // does: servers may refuse a POST without one (411 Length Required).
            None if matches!(req.method.as_str(), "POST" | "PUT" | "PATCH") => {
                builder.body(Vec::new()).map(|r| agent.run(r))
            }
            None => builder.body(()).map(|r| agent.run(r)),
        };
        let response = result
            .map_err(|e| connect_error(Cause::InvalidRequest(lowercase_first(&e.to_string()))))?
            .map_err(|e| {
                let plain = direct && uri.scheme_str() == Some("http");
                let cause = match Cause::of_ureq(&e, &req.url) {
                    Cause::NotHttp1 { detail, .. } if plain => {
                        let first = first_bytes(uri, req.timeout, &http_get(uri));
                        Cause::not_http1(detail, first, &req.url)
                    }
                    // A TLS server may close on plain text without a byte (OpenSSL's
                    // s_server does): a TLS ClientHello of our own says whether it is one.
                    cause @ Cause::Io(_) if plain => {
                        let first = client_hello(uri)
                            .and_then(|hello| first_bytes(uri, req.timeout, &hello));
                        match first {
                            Some(first) if super::error::is_tls_record(&first) => {
                                Cause::not_http1(String::new(), Some(first), &req.url)
                            }
                            _ => cause,
                        }
                    }
                    cause => cause,
                };
                connect_error(cause)
            })?;
        Ok(response_of(response))
    }
}

/// A minimal GET for the URL, for [`first_bytes`].
fn http_get(uri: &Uri) -> Vec<u8> {
    let target = uri.path_and_query().map_or("/", |p| p.as_str());
    let authority = uri.authority().map_or("", |a| a.as_str());
    format!("GET {target} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n").into_bytes()
}

/// The TLS ClientHello rustls would send to the URL's host (made without I/O).
fn client_hello(uri: &Uri) -> Option<Vec<u8>> {
    let config = super::tls_config(true, &[]).ok()?;
    let host = uri.host()?.trim_start_matches('[').trim_end_matches(']');
    let name = rustls::pki_types::ServerName::try_from(host.to_string()).ok()?;
    let mut conn = rustls::ClientConnection::new(config, name).ok()?;
    let mut hello = Vec::new();
    conn.write_tls(&mut hello).ok()?;
    Some(hello)
}

/// The first bytes a server that did not answer in HTTP/1.x sends, read on a second
/// connection (ureq's parse error does not keep them) after `hello` (a minimal request,
/// or a TLS ClientHello): a TLS alert or ServerHello, an SSH greeting, an HTTP/2
/// SETTINGS frame. `None` when no connection is made.
fn first_bytes(uri: &Uri, timeout: Option<Duration>, hello: &[u8]) -> Option<Vec<u8>> {
    const WANTED: usize = 64;
    let wait = timeout.map_or(PROBE_WAIT, |t| t.min(PROBE_WAIT));
    let host = uri.host()?;
    let port = uri.port_u16().unwrap_or(80);
    let addr = (host.trim_start_matches('[').trim_end_matches(']'), port)
        .to_socket_addrs()
        .ok()?
        .next()?;
    let mut tcp = TcpStream::connect_timeout(&addr, wait).ok()?;
    tcp.set_read_timeout(Some(wait)).ok()?;
    tcp.set_write_timeout(Some(wait)).ok()?;
    // A server that greets first (SSH) may close on what it cannot read: its greeting counts.
    let _ = tcp.write_all(hello);
    let mut first = Vec::new();
    let mut buf = [0; WANTED];
    while first.len() < WANTED {
        match tcp.read(&mut buf[..WANTED - first.len()]) {
            Ok(0) => break,
            Ok(n) => first.extend_from_slice(&buf[..n]),
            Err(_) => break,
        }
    }
    Some(first)
}

/// How long the second look at a server that did not answer in HTTP/1.x may take.
const PROBE_WAIT: Duration = Duration::from_secs(2);

/// An agent for one request: its timeouts, its TLS checks, its proxy.
fn agent(req: &Request, proxy: Option<Proxy>) -> Agent {
    let tls = TlsConfig::builder()
        .root_certs(RootCerts::PlatformVerifier)
        .disable_verification(req.insecure)
        .build();
    Agent::config_builder()
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
        .into()
}

fn response_of(response: http::Response<ureq::Body>) -> Response {
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
    Response {
        head: Head {
            status: status.as_u16(),
            reason: status.canonical_reason().unwrap_or("").to_string(),
            version,
            headers,
            url,
        },
        body: Box::new(response.into_body().into_reader()),
        conn: Connection {
            version,
            settings: None,
        },
    }
}
