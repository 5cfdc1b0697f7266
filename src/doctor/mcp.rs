//! `sse doctor` on an MCP endpoint (`--mcp`, or a JSON-RPC request body): which
//! revision of Streamable HTTP it speaks, and whether it does what that revision
//! requires, found by experiment. Each experiment is one request; `judge` reads what
//! they answered (pure functions on plain data, tested below).
//!
//! - 2025-11-25 (docs/specification/2025-11-25/basic/transports.mdx): `initialize`
//!   names the protocol version; a session id the server assigns must be honoured
//!   (a request without it SHOULD get 400, one with a session the server does not know
//!   MUST get 404), an unsupported `MCP-Protocol-Version` MUST get 400, and a stream
//!   with event ids is resumed with a GET carrying `Last-Event-ID`.
//! - 2026-07-28 (docs/specification/2026-07-28/basic/transports/streamable-http.mdx and
//!   server/discover.mdx): `server/discover` lists the supported versions; a request
//!   missing `Mcp-Method` MUST get 400 with HeaderMismatch (-32020); GET SHOULD get 405;
//!   no session id is minted.

use std::io::{self, Read, Write};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::Value;

use super::finding::{Finding, Status};
use super::report;
use crate::cli::DoctorArgs;
use crate::error::Error;
use crate::escape;
use crate::format;
use crate::http::{self, Client, Request};
use crate::mcp::{self, Kind, Message};
use crate::parser::{Item, Parser};

/// The revision with the initialize handshake and sessions.
pub const HANDSHAKE_REVISION: &str = "2025-11-25";
/// The stateless revision.
pub const MODERN_REVISION: &str = "2026-07-28";
/// A session id no server issued (the unknown-session experiment).
const UNKNOWN_SESSION: &str = "sse-doctor-unknown-session";
/// A protocol version no revision has.
const BOGUS_VERSION: &str = "1999-01-01";
/// The most of an answer doctor reads.
const MAX_ANSWER: usize = 1 << 20;
/// How long the resumed GET stream is given to replay something.
const RESUME_WAIT: Duration = Duration::from_secs(3);

/// Whether doctor examines the URL as an MCP endpoint.
pub fn wanted(args: &DoctorArgs, body: Option<&[u8]>) -> bool {
    args.mcp || body.and_then(mcp::request_in).is_some()
}

/// What one request was answered.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Answer {
    pub status: u16,
    /// The media type (`text/event-stream`, `application/json`, ...).
    pub media: String,
    pub session: Option<String>,
    /// The JSON-RPC messages in the body.
    pub messages: Vec<Message>,
    /// The SSE event ids seen (a priming event's too).
    pub event_ids: Vec<String>,
    pub took: Duration,
}

impl Answer {
    /// The answer to the request with this id.
    fn response_to(&self, id: u64) -> Option<&Message> {
        let id = Value::from(id);
        self.messages
            .iter()
            .find(|m| m.is_response() && m.id.as_ref() == Some(&id))
    }

    /// `200 text/event-stream in 12 ms`.
    fn shown(&self) -> String {
        let media = if self.media.is_empty() {
            String::new()
        } else {
            format!(" {}", self.media)
        };
        format!("{}{media} in {}", self.status, format::ms(self.took))
    }
}

/// An experiment's outcome: what was answered, or why nothing was.
pub type Tried = Result<Answer, String>;

/// Everything doctor asked the endpoint, and what it said.
#[derive(Debug, Clone, Default)]
pub struct Trial {
    pub initialize: Option<Tried>,
    /// `ping` in the session, with the session id and version.
    pub in_session: Option<Tried>,
    pub without_session: Option<Tried>,
    pub unknown_session: Option<Tried>,
    pub bad_version: Option<Tried>,
    /// The GET with Last-Event-ID after the initialize stream's first event id.
    pub resumed: Option<Tried>,
    pub discover: Option<Tried>,
    pub modern_get: Option<Tried>,
    pub no_method_header: Option<Tried>,
}

/// `sse doctor --mcp URL`: the experiments, then the report.
pub fn run(args: &DoctorArgs, client: &Client, base: Request) -> Result<ExitCode, Error> {
    let trial = Asker { client, base }.trial();
    let findings = judge(&trial);
    let mut out = io::stdout().lock();
    let written = if args.json {
        write_json(&mut out, &args.url, &trial, &findings)
    } else {
        writeln!(
            out,
            "sse doctor {} (MCP Streamable HTTP)\n",
            escape::line(&args.url)
        )
        .and_then(|_| report::write_findings(&mut out, &findings, None))
    };
    written.and_then(|_| out.flush()).map_err(Error::Output)?;
    let failed = findings.iter().any(|f| f.status == Status::Fail);
    Ok(ExitCode::from(u8::from(failed)))
}

/// Sends the experiments: `base` is the user's request (URL, headers, TLS, timeout).
struct Asker<'a> {
    client: &'a Client,
    base: Request,
}

impl Asker<'_> {
    fn trial(&self) -> Trial {
        let mut trial = Trial::default();
        let init = self.post(&self.initialize_body(), &[]);
        let version = init
            .as_ref()
            .ok()
            .and_then(|a| a.response_to(1).and_then(mcp::negotiated_version))
            .map(str::to_string);
        let session = init.as_ref().ok().and_then(|a| a.session.clone());
        let first_id = init
            .as_ref()
            .ok()
            .and_then(|a| a.event_ids.first().cloned());
        trial.initialize = Some(init);
        if let Some(version) = version {
            self.legacy(&mut trial, &version, session.as_deref(), first_id);
        }
        let discover = self.post(&discover_body(), &modern_headers("server/discover"));
        let modern = discover.as_ref().is_ok_and(speaks_modern);
        trial.discover = Some(discover);
        if modern {
            let version = [(mcp::VERSION_HEADER, MODERN_REVISION)];
            trial.modern_get = Some(self.get(&version, None));
            trial.no_method_header = Some(self.post(&discover_body(), &version));
        }
        trial
    }

    /// The 2025-11-25 experiments, after `initialize` negotiated `version`.
    fn legacy<'a>(
        &self,
        t: &mut Trial,
        version: &'a str,
        session: Option<&'a str>,
        first: Option<String>,
    ) {
        let with = |id: Option<&'a str>| {
            let mut h: Vec<(&'static str, &'a str)> = vec![(mcp::VERSION_HEADER, version)];
            h.extend(id.map(|id| (mcp::SESSION_HEADER, id)));
            h
        };
        // The lifecycle's next step, so the session is in use for what follows.
        let _ = self.post(
            r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#,
            &with(session),
        );
        t.in_session = Some(self.post(&ping(2), &with(session)));
        if session.is_some() {
            t.without_session = Some(self.post(&ping(3), &with(None)));
            t.unknown_session = Some(self.post(&ping(4), &with(Some(UNKNOWN_SESSION))));
        }
        let mut bogus = with(session);
        bogus[0].1 = BOGUS_VERSION;
        t.bad_version = Some(self.post(&ping(5), &bogus));
        if let Some(id) = first {
            t.resumed = Some(self.get(&with(session), Some(id)));
        }
    }

    /// The user's body when it is an `initialize` request, else doctor's own.
    fn initialize_body(&self) -> String {
        let own = self.base.body.as_deref().filter(|b| {
            mcp::request_in(b).and_then(|m| m.method().map(|m| m == "initialize")) == Some(true)
        });
        match own {
            Some(body) => String::from_utf8_lossy(body).into_owned(),
            None => format!(
                r#"{{"jsonrpc":"2.0","id":1,"method":"initialize","params":{{"protocolVersion":"{HANDSHAKE_REVISION}","capabilities":{{}},"clientInfo":{{"name":"sse-doctor","version":"{}"}}}}}}"#,
                env!("CARGO_PKG_VERSION")
            ),
        }
    }

    fn post(&self, body: &str, headers: &[(&'static str, &str)]) -> Tried {
        let req = Request {
            method: "POST".into(),
            body: Some(body.as_bytes().to_vec()),
            ..self.request(headers)
        };
        self.send(&req, None)
    }

    fn get(&self, headers: &[(&'static str, &str)], last_id: Option<String>) -> Tried {
        let req = Request {
            method: "GET".into(),
            body: None,
            last_event_id: last_id,
            timeout: Some(RESUME_WAIT),
            ..self.request(headers)
        };
        self.send(&req, Some(RESUME_WAIT))
    }

    /// The user's request with `headers` and MCP's Accept added (a `-H` wins).
    fn request(&self, headers: &[(&'static str, &str)]) -> Request {
        let mut req = self.base.clone();
        let mut defaults: Vec<(&'static str, String)> =
            headers.iter().map(|(n, v)| (*n, v.to_string())).collect();
        defaults.push(("Accept", mcp::ACCEPT.to_string()));
        mcp::add_defaults(&mut req.headers, defaults);
        req.accept_encoding = None;
        req
    }

    /// Sends `req` and reads its answer: up to the response to the request (or to any
    /// request, for a GET), the end of the body, or `wait` when given.
    fn send(&self, req: &Request, wait: Option<Duration>) -> Tried {
        let started = Instant::now();
        let response = self.client.open(req).map_err(|e| e.to_string())?;
        let awaited = req
            .body
            .as_deref()
            .and_then(mcp::request_in)
            .and_then(|m| m.id);
        let mut answer = Answer {
            status: response.status,
            media: response.media_type(),
            session: response.header(mcp::SESSION_HEADER).map(str::to_string),
            ..Answer::default()
        };
        let encoding = response.header("content-encoding").map(str::to_string);
        let body = http::decode_body(encoding.as_deref(), response.body)
            .map_err(|_| "an encoding sse cannot decode".to_string())?;
        let deadline = wait.map(|w| started + w);
        if answer.media == "text/event-stream" {
            read_stream(body, &mut answer, awaited.as_ref(), deadline);
        } else {
            let mut bytes = Vec::new();
            let _ = body.take(MAX_ANSWER as u64).read_to_end(&mut bytes);
            answer
                .messages
                .extend(Message::parse(&String::from_utf8_lossy(&bytes)));
        }
        answer.took = started.elapsed();
        Ok(answer)
    }
}

/// Reads SSE events into `answer` until the response to `awaited` (any response when
/// `None`), the end of the stream, a read error or `deadline`.
fn read_stream(
    mut body: Box<dyn Read + Send>,
    answer: &mut Answer,
    awaited: Option<&Value>,
    deadline: Option<Instant>,
) {
    let mut parser = Parser::new(MAX_ANSWER);
    let mut buf = vec![0; 16 * 1024];
    let mut done = false;
    while !done && deadline.is_none_or(|d| Instant::now() < d) {
        let n = match body.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        let fed = parser.feed_each(&buf[..n], |item| {
            let Item::Event(ev) = item else { return };
            if ev.id_set {
                answer.event_ids.push(ev.id.to_string());
            }
            if let Some(msg) = Message::parse(ev.data) {
                done |= msg.is_response() && (awaited.is_none() || msg.id.as_ref() == awaited);
                answer.messages.push(msg);
            }
        });
        if fed.is_err() {
            return;
        }
    }
}

fn ping(id: u64) -> String {
    format!(r#"{{"jsonrpc":"2.0","id":{id},"method":"ping"}}"#)
}

fn discover_body() -> String {
    format!(
        r#"{{"jsonrpc":"2.0","id":6,"method":"server/discover","params":{{"_meta":{{"{}":"{MODERN_REVISION}","io.modelcontextprotocol/clientInfo":{{"name":"sse-doctor","version":"{}"}},"io.modelcontextprotocol/clientCapabilities":{{}}}}}}}}"#,
        mcp::VERSION_META,
        env!("CARGO_PKG_VERSION")
    )
}

/// The headers a 2026-07-28 request of `method` carries.
fn modern_headers(method: &'static str) -> [(&'static str, &'static str); 2] {
    [
        (mcp::VERSION_HEADER, MODERN_REVISION),
        (mcp::METHOD_HEADER, method),
    ]
}

/// The versions a `server/discover` result lists.
fn supported(answer: &Answer) -> Vec<String> {
    answer
        .response_to(6)
        .filter(|m| m.kind == Kind::Result)
        .and_then(|m| {
            m.payload
                .as_ref()?
                .get("supportedVersions")?
                .as_array()
                .cloned()
        })
        .unwrap_or_default()
        .iter()
        .filter_map(|v| v.as_str().map(str::to_string))
        .collect()
}

fn speaks_modern(answer: &Answer) -> bool {
    supported(answer).iter().any(|v| v == MODERN_REVISION)
}

/// The findings, from what the experiments answered.
pub fn judge(t: &Trial) -> Vec<Finding> {
    let mut findings = vec![revision(t)];
    findings.extend(t.in_session.as_ref().map(|a| in_session(a, t)));
    findings.extend(t.without_session.as_ref().map(without_session));
    findings.extend(t.unknown_session.as_ref().map(unknown_session));
    findings.extend(t.bad_version.as_ref().map(bad_version));
    findings.extend(resume(t));
    findings.extend(t.modern_get.as_ref().map(modern_get));
    findings.extend(t.no_method_header.as_ref().map(no_method_header));
    findings.extend(modern_session(t));
    findings
}

/// The protocol version `initialize` negotiated.
fn handshake_version(t: &Trial) -> Option<String> {
    let init = t.initialize.as_ref()?.as_ref().ok()?;
    mcp::negotiated_version(init.response_to(1)?).map(str::to_string)
}

fn revision(t: &Trial) -> Finding {
    let mut spoken = Vec::new();
    if let (Some(version), Some(Ok(init))) = (handshake_version(t), &t.initialize) {
        spoken.push(format!("{version} (initialize: {})", init.shown()));
    }
    if let Some(Ok(discover)) = &t.discover {
        let versions = supported(discover);
        if !versions.is_empty() {
            let shown = discover.shown();
            spoken.push(format!(
                "{} (server/discover: {shown})",
                versions.join(", ")
            ));
        }
    }
    if spoken.is_empty() {
        let said = |tried: &Option<Tried>| match tried {
            Some(Ok(a)) => a.shown(),
            Some(Err(e)) => e.clone(),
            None => "not sent".into(),
        };
        return Finding::fail(
            "mcp revision",
            format!(
                "neither initialize ({}) nor server/discover ({}) was answered with a result",
                said(&t.initialize),
                said(&t.discover)
            ),
            "a client learns the revision from one of the two: without it, it cannot speak to the server",
            "check the URL is the MCP endpoint (often /mcp) and that it accepts POST with `Accept: application/json, text/event-stream`",
        );
    }
    Finding::pass("mcp revision", format!("speaks {}", spoken.join("; ")))
}

/// `200` with a result for the request: the session (or none) is served.
fn answered(tried: &Tried, id: u64) -> bool {
    tried
        .as_ref()
        .is_ok_and(|a| a.status == 200 && a.response_to(id).is_some_and(|m| m.kind == Kind::Result))
}

fn status_of(tried: &Tried) -> String {
    match tried {
        Ok(a) => a.shown(),
        Err(e) => e.clone(),
    }
}

fn in_session(tried: &Tried, t: &Trial) -> Finding {
    let session = t
        .initialize
        .as_ref()
        .and_then(|i| i.as_ref().ok()?.session.clone());
    let what = match &session {
        Some(id) if !mcp::valid_session_id(id) => {
            return Finding::fail(
                "mcp session",
                format!(
                    "initialize assigned Mcp-Session-Id \"{}\"",
                    escape::line(id)
                ),
                "2025-11-25: a session id MUST only contain visible ASCII (0x21 to 0x7E)",
                "mint session ids from a UUID, a JWT or a hash",
            )
        }
        Some(id) => format!("Mcp-Session-Id {} assigned; ping with it", escape::line(id)),
        None => "no session assigned (a server may keep none); ping".into(),
    };
    if answered(tried, 2) {
        return Finding::pass("mcp session", format!("{what}: {}", status_of(tried)));
    }
    let said = match tried {
        Ok(a) if a.response_to(2).is_none() => {
            format!("{}, no answer to the ping (id 2)", a.shown())
        }
        _ => status_of(tried),
    };
    Finding::fail(
        "mcp session",
        format!("{what} and MCP-Protocol-Version: {said}"),
        "after initialize, a request carrying the session id and the negotiated version must be served",
        "keep the session the initialize answer named; answer ping with an empty result",
    )
}

fn without_session(tried: &Tried) -> Finding {
    match tried {
        Ok(a) if a.status == 400 => Finding::pass("mcp session required", format!("ping without the session id: {}", a.shown())),
        _ => Finding::warn(
            "mcp session required",
            format!("ping without the session id: {}", status_of(tried)),
            "2025-11-25: a server that assigns session ids SHOULD answer a request without one with 400 Bad Request",
            "refuse requests other than initialize that carry no Mcp-Session-Id with 400",
        ),
    }
}

fn unknown_session(tried: &Tried) -> Finding {
    match tried {
        Ok(a) if a.status == 404 => Finding::pass("mcp unknown session", format!("ping with a session id never issued: {}", a.shown())),
        _ => Finding::fail(
            "mcp unknown session",
            format!("ping with a session id never issued: {}", status_of(tried)),
            "2025-11-25: a request with a session id the server no longer has MUST get 404 Not Found, which tells the client to initialize again; served, the session is not checked",
            "look up Mcp-Session-Id on each request; answer 404 when it is not a live session",
        ),
    }
}

fn bad_version(tried: &Tried) -> Finding {
    match tried {
        Ok(a) if a.status == 400 => Finding::pass("mcp protocol version", format!("MCP-Protocol-Version: {BOGUS_VERSION}: {}", a.shown())),
        _ => Finding::fail(
            "mcp protocol version",
            format!("MCP-Protocol-Version: {BOGUS_VERSION}: {}", status_of(tried)),
            "2025-11-25: a request with an invalid or unsupported MCP-Protocol-Version MUST get 400 Bad Request",
            "check the header on every request after initialize",
        ),
    }
}

/// Resumption: the initialize stream's event ids, and the GET that resumes after the
/// first of them.
fn resume(t: &Trial) -> Option<Finding> {
    let init = t.initialize.as_ref()?.as_ref().ok()?;
    handshake_version(t)?;
    if init.media != "text/event-stream" {
        return Some(Finding::pass(
            "mcp resume",
            format!(
                "initialize was answered in {} (nothing to resume)",
                init.media
            ),
        ));
    }
    let Some(tried) = &t.resumed else {
        return Some(Finding::warn(
            "mcp resume",
            "the initialize stream's events have no id",
            "without event ids a stream the network cuts loses its answer: the client cannot resume it with Last-Event-ID",
            "give each SSE event an id (2025-11-25: prime the stream with an id and empty data) and keep the events to replay",
        ));
    };
    let first = init
        .event_ids
        .first()
        .map(|id| escape::line(id).into_owned())
        .unwrap_or_default();
    match tried {
        Ok(a) if a.status == 200 && a.media == "text/event-stream" => {
            let replayed = a.messages.iter().filter(|m| m.is_response()).count();
            Some(Finding::pass(
                "mcp resume",
                format!("GET with Last-Event-ID {first}: {}, {} replayed", a.shown(), format::count(replayed as u64, "answer")),
            ))
        }
        Ok(a) if a.status == 405 => Some(Finding::warn(
            "mcp resume",
            format!("the stream has event ids, but GET with Last-Event-ID {first}: {}", a.shown()),
            "2025-11-25 resumes every stream with a GET carrying Last-Event-ID; 405 says the endpoint has no GET stream, so the ids resume nothing",
            "serve GET on the MCP endpoint and replay the events after Last-Event-ID",
        )),
        _ => Some(Finding::fail(
            "mcp resume",
            format!("GET with Last-Event-ID {first}: {}", status_of(tried)),
            "2025-11-25: a GET to the endpoint MUST answer text/event-stream or 405 Method Not Allowed",
            "serve GET on the MCP endpoint and replay the events after Last-Event-ID",
        )),
    }
}

fn modern_get(tried: &Tried) -> Finding {
    match tried {
        Ok(a) if a.status == 405 => Finding::pass("mcp get", format!("GET with MCP-Protocol-Version: {MODERN_REVISION}: {}", a.shown())),
        _ => Finding::warn(
            "mcp get",
            format!("GET with MCP-Protocol-Version: {MODERN_REVISION}: {}", status_of(tried)),
            "2026-07-28 removed the GET stream: a server SHOULD answer GET with 405 Method Not Allowed",
            "answer GET on the MCP endpoint with 405 for 2026-07-28 requests",
        ),
    }
}

fn no_method_header(tried: &Tried) -> Finding {
    let mismatch = |a: &Answer| {
        a.messages
            .iter()
            .any(|m| matches!(m.kind, Kind::Error { code: -32020, .. }))
    };
    match tried {
        Ok(a) if a.status == 400 && mismatch(a) => Finding::pass("mcp headers", format!("server/discover without Mcp-Method: {}, -32020 HeaderMismatch", a.shown())),
        _ => Finding::fail(
            "mcp headers",
            format!("server/discover without Mcp-Method: {}", status_of(tried)),
            "2026-07-28: a request missing a required header (MCP-Protocol-Version, Mcp-Method, Mcp-Name) MUST get 400 with the JSON-RPC error -32020 HeaderMismatch, so gateways routing on headers can trust them",
            "compare Mcp-Method (and Mcp-Name) with the body; refuse a missing or different one with 400 and -32020",
        ),
    }
}

/// 2026-07-28: no session id minted.
fn modern_session(t: &Trial) -> Option<Finding> {
    let discover = t.discover.as_ref()?.as_ref().ok()?;
    if !speaks_modern(discover) {
        return None;
    }
    Some(match &discover.session {
        None => Finding::pass(
            "mcp stateless",
            "server/discover was answered without Mcp-Session-Id",
        ),
        Some(id) => Finding::warn(
            "mcp stateless",
            format!(
                "server/discover was answered with Mcp-Session-Id {}",
                escape::line(id)
            ),
            "2026-07-28 has no sessions: a server SHOULD neither mint nor echo session ids",
            "send no Mcp-Session-Id on answers to 2026-07-28 requests",
        ),
    })
}

#[derive(Serialize)]
struct JsonReport<'a> {
    url: &'a str,
    ok: bool,
    /// The revisions the endpoint answered: the negotiated version, the discovered ones.
    revisions: Vec<String>,
    session: Option<&'a str>,
    checks: &'a [Finding],
    summary: Summary,
}

#[derive(Serialize)]
struct Summary {
    pass: usize,
    warn: usize,
    fail: usize,
}

fn write_json(out: &mut impl Write, url: &str, t: &Trial, findings: &[Finding]) -> io::Result<()> {
    let (pass, warn, fail) = report::counts(findings);
    let mut revisions: Vec<String> = handshake_version(t).into_iter().collect();
    if let Some(Ok(discover)) = &t.discover {
        for v in supported(discover) {
            if !revisions.contains(&v) {
                revisions.push(v);
            }
        }
    }
    let session = t
        .initialize
        .as_ref()
        .and_then(|i| i.as_ref().ok()?.session.as_deref());
    let report = JsonReport {
        url,
        ok: fail == 0,
        revisions,
        session,
        checks: findings,
        summary: Summary { pass, warn, fail },
    };
    serde_json::to_writer_pretty(&mut *out, &report).map_err(io::Error::from)?;
    writeln!(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(status: u16, media: &str, bodies: &[&str]) -> Tried {
        Ok(Answer {
            status,
            media: media.into(),
            messages: bodies.iter().filter_map(|b| Message::parse(b)).collect(),
            ..Answer::default()
        })
    }

    const INIT: &str = r#"{"jsonrpc":"2.0","id":1,"result":{"protocolVersion":"2025-11-25"}}"#;
    const PONG: &str = r#"{"jsonrpc":"2.0","id":2,"result":{}}"#;

    /// What the SDK answered in tests/e2e/mcp.rs, stateful: sessions, resumption.
    fn compliant() -> Trial {
        let mut init = answer(200, "text/event-stream", &[INIT]).unwrap();
        init.session = Some("abc".into());
        init.event_ids = vec!["1".into(), "2".into()];
        let discover = r#"{"jsonrpc":"2.0","id":6,"result":{"supportedVersions":["2026-07-28"]}}"#;
        let mismatch = r#"{"jsonrpc":"2.0","id":6,"error":{"code":-32020,"message":"mcp-method header does not match"}}"#;
        Trial {
            initialize: Some(Ok(init)),
            in_session: Some(answer(200, "text/event-stream", &[PONG])),
            without_session: Some(answer(400, "application/json", &[])),
            unknown_session: Some(answer(404, "application/json", &[])),
            bad_version: Some(answer(400, "application/json", &[])),
            resumed: Some(answer(200, "text/event-stream", &[INIT])),
            discover: Some(answer(200, "application/json", &[discover])),
            modern_get: Some(answer(405, "", &[])),
            no_method_header: Some(answer(400, "application/json", &[mismatch])),
        }
    }

    fn status(findings: &[Finding], check: &str) -> Status {
        findings
            .iter()
            .find(|f| f.check == check)
            .unwrap_or_else(|| panic!("no {check} in {findings:?}"))
            .status
    }

    #[test]
    fn a_compliant_endpoint_passes_every_check_of_both_revisions() {
        let findings = judge(&compliant());
        assert_eq!(findings.len(), 9, "{findings:?}");
        assert!(
            findings.iter().all(|f| f.status == Status::Pass),
            "{findings:?}"
        );
        assert!(
            findings[0].seen.contains("2025-11-25 (initialize"),
            "{}",
            findings[0].seen
        );
        assert!(
            findings[0].seen.contains("2026-07-28 (server/discover"),
            "{}",
            findings[0].seen
        );
    }

    #[test]
    fn a_session_that_is_not_checked_fails() {
        let mut t = compliant();
        t.without_session = Some(answer(200, "text/event-stream", &[PONG]));
        t.unknown_session = Some(answer(200, "text/event-stream", &[PONG]));
        t.bad_version = Some(answer(200, "text/event-stream", &[PONG]));
        let findings = judge(&t);
        assert_eq!(status(&findings, "mcp session required"), Status::Warn);
        assert_eq!(status(&findings, "mcp unknown session"), Status::Fail);
        assert_eq!(status(&findings, "mcp protocol version"), Status::Fail);
        // An answer that is not to the ping is not the session served.
        t.in_session = Some(answer(200, "text/event-stream", &[INIT]));
        let f = judge(&t);
        assert_eq!(status(&f, "mcp session"), Status::Fail);
        assert!(
            f[1].seen.contains("no answer to the ping (id 2)"),
            "{}",
            f[1].seen
        );
    }

    #[test]
    fn resumption_and_the_modern_rules_are_judged_from_their_answers() {
        let mut t = compliant();
        t.resumed = Some(answer(405, "", &[]));
        t.modern_get = Some(answer(200, "text/event-stream", &[]));
        t.no_method_header = Some(answer(200, "application/json", &[]));
        let findings = judge(&t);
        assert_eq!(status(&findings, "mcp resume"), Status::Warn);
        assert_eq!(status(&findings, "mcp get"), Status::Warn);
        assert_eq!(status(&findings, "mcp headers"), Status::Fail);
        // No event ids on an SSE answer: nothing to resume from.
        if let Some(Ok(init)) = &mut t.initialize {
            init.event_ids.clear();
        }
        t.resumed = None;
        assert_eq!(status(&judge(&t), "mcp resume"), Status::Warn);
    }

    #[test]
    fn an_endpoint_answering_neither_opening_fails_the_revision() {
        let t = Trial {
            initialize: Some(answer(404, "text/html", &[])),
            discover: Some(Err("connection refused".into())),
            ..Trial::default()
        };
        let findings = judge(&t);
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].status, Status::Fail);
        assert!(
            findings[0].seen.contains("404 text/html"),
            "{}",
            findings[0].seen
        );
    }
}
