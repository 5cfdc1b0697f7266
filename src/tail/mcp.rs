//! `sse tail` on an MCP endpoint (Streamable HTTP): the session id the server assigns
//! sent on the run's later requests, the answer in a JSON body shown as one event, the
//! answer to the request ending the run, and a stream cut before that answer resumed
//! with a GET carrying Last-Event-ID, as the 2025-11-25 revision says.

use std::io::{self, Read, Write};

use colored::Colorize;
use serde_json::Value;

use super::Run;
use crate::error::Error;
use crate::escape;
use crate::http::{Request, Response};
use crate::mcp::{self, Kind, Message};
use crate::parser::EventRef;

/// What an MCP run knows of its exchange with the server.
#[derive(Debug, Clone, Default)]
pub struct Exchange {
    /// The id of the request in the body: its answer ends the run.
    pub awaited: Option<Value>,
    /// A stream cut before the answer may be resumed (not `--no-reconnect`).
    pub resume: bool,
    /// The session id the server assigned: sent on every later request.
    pub session: Option<String>,
    /// The protocol version an `initialize` result named: sent on every later request.
    pub version: Option<String>,
}

impl Exchange {
    /// The exchange of a run whose request body is `body`.
    pub fn for_body(body: Option<&[u8]>, resume: bool) -> Exchange {
        Exchange {
            awaited: body.and_then(mcp::request_in).and_then(|m| m.id),
            resume,
            ..Exchange::default()
        }
    }
}

impl<W: Write> Run<'_, W> {
    /// Before each request: what the server said to send on every later one.
    pub(super) fn mcp_prepare(&mut self, req: &mut Request) {
        let Some(x) = &self.progress.mcp else { return };
        let learned = [
            (mcp::SESSION_HEADER, x.session.clone()),
            (mcp::VERSION_HEADER, x.version.clone()),
        ];
        let learned = learned
            .into_iter()
            .filter_map(|(name, value)| Some((name, value?)))
            .collect();
        mcp::add_defaults(&mut req.headers, learned);
    }

    /// A response head: the session id it assigns is kept; the line saying so is
    /// returned, to be told once the response is accepted.
    pub(super) fn mcp_response(&mut self, response: &Response, req: &Request) -> Option<String> {
        let x = self.progress.mcp.as_mut()?;
        let id = response.header(mcp::SESSION_HEADER)?;
        let sent = req
            .headers
            .iter()
            .any(|h| h.name.eq_ignore_ascii_case(mcp::SESSION_HEADER) && h.value == id);
        if sent || x.session.as_deref() == Some(id) {
            return None;
        }
        x.session = Some(id.to_string());
        let id = escape::line(id);
        Some(format!(
            "{} MCP session {id}: this run sends it on its later requests; another run can with -H '{}: {id}'",
            "*".dimmed(),
            mcp::SESSION_HEADER
        ))
    }

    /// Whether a 200 is MCP's one-message answer (`application/json`), shown as an event.
    pub(super) fn mcp_json_answer(&self, response: &Response) -> bool {
        self.progress.mcp.is_some()
            && response.status == 200
            && response.media_type() == "application/json"
    }

    /// An event of the stream; true when it is the answer to the run's request (the run
    /// ends: an error answer as a failure).
    pub(super) fn mcp_event(&mut self, ev: &EventRef<'_>) -> bool {
        let Some(x) = &mut self.progress.mcp else {
            return false;
        };
        let Some(msg) = Message::parse(ev.data).filter(Message::is_response) else {
            return false;
        };
        if msg.id.is_none() || msg.id != x.awaited {
            return false;
        }
        if let Some(version) = mcp::negotiated_version(&msg) {
            x.version = Some(version.to_string());
        }
        if let Kind::Error { code, message } = &msg.kind {
            let id = msg.id.as_ref().map(mcp::show_id).unwrap_or_default();
            self.progress.reported = Some(format!(
                "request #{id} was answered with error {code}: {}",
                escape::line(message)
            ));
        }
        true
    }

    /// The stream ended before the answer to the run's request: `Some(Ok)` when it is
    /// to be resumed (the request becomes a GET carrying Last-Event-ID, the session id and
    /// version as before), `Some(Err)` when it cannot be, `None` when MCP has no say.
    pub(super) fn mcp_resume(
        &mut self,
        req: &mut Request,
        last_id: &str,
        url: &str,
    ) -> Option<Result<(), Error>> {
        let x = self.progress.mcp.as_ref()?;
        let id = mcp::show_id(x.awaited.as_ref()?);
        let why = if last_id.is_empty() {
            "and sent no event id to resume from"
        } else if !x.resume {
            "(--no-reconnect: not resumed)"
        } else {
            req.method = "GET".into();
            req.body = None;
            self.lifecycle(&format!(
                "{} resuming with a GET and Last-Event-ID, as MCP's Streamable HTTP does",
                "*".dimmed()
            ));
            return Some(Ok(()));
        };
        Some(Err(Error::Stream {
            url: url.to_string(),
            msg: format!("the stream ended before the answer to request #{id} {why}"),
        }))
    }
}

/// A JSON body read as the event stream it stands for: one `message` event whose data
/// is the body (MCP's one-message answer), so every output mode, `--record` and the
/// summary treat it as they treat an SSE answer.
pub struct JsonAnswer {
    body: Box<dyn Read + Send>,
    /// The body's bytes as SSE once read; `None` until the first read.
    framed: Option<io::Cursor<Vec<u8>>>,
    max: usize,
}

impl JsonAnswer {
    pub fn new(body: Box<dyn Read + Send>, max: usize) -> JsonAnswer {
        JsonAnswer {
            body,
            framed: None,
            max,
        }
    }
}

impl Read for JsonAnswer {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.framed.is_none() {
            let mut json = Vec::new();
            let limit = u64::try_from(self.max)
                .unwrap_or(u64::MAX)
                .saturating_add(1);
            (&mut self.body).take(limit).read_to_end(&mut json)?;
            if json.len() > self.max {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    "the JSON answer is larger than --max-event-size",
                ));
            }
            self.framed = Some(io::Cursor::new(frame(&json)));
        }
        match &mut self.framed {
            Some(framed) => framed.read(buf),
            None => Ok(0),
        }
    }
}

/// `json` as one SSE event: each of its lines a `data:` line.
fn frame(json: &[u8]) -> Vec<u8> {
    let trimmed = json.strip_suffix(b"\n").unwrap_or(json);
    let mut out = Vec::with_capacity(json.len() + 16);
    for line in trimmed.split(|&b| b == b'\n') {
        out.extend_from_slice(b"data: ");
        out.extend_from_slice(line.strip_suffix(b"\r").unwrap_or(line));
        out.push(b'\n');
    }
    out.push(b'\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parser::{Item, Parser};

    fn events(bytes: &[u8]) -> Vec<String> {
        let mut parser = Parser::new(1 << 20);
        let mut got = Vec::new();
        parser
            .feed(bytes, |item| {
                if let Item::Event(ev) = item {
                    got.push(ev.data.to_string());
                }
                Ok::<_, crate::parser::ParseError>(crate::parser::Flow::Continue)
            })
            .unwrap();
        got
    }

    #[test]
    fn a_json_body_is_one_event_whatever_its_lines() {
        let body = b"{\"jsonrpc\":\"2.0\",\r\n \"id\":1,\n \"result\":{}}\n";
        let mut framed = Vec::new();
        JsonAnswer::new(Box::new(&body[..]), 1024)
            .read_to_end(&mut framed)
            .unwrap();
        assert_eq!(
            events(&framed),
            ["{\"jsonrpc\":\"2.0\",\n \"id\":1,\n \"result\":{}}"]
        );
    }

    #[test]
    fn a_json_body_over_the_limit_is_an_error() {
        let mut framed = Vec::new();
        let err = JsonAnswer::new(Box::new(&b"{\"a\": 12345}"[..]), 4)
            .read_to_end(&mut framed)
            .unwrap_err();
        assert!(err.to_string().contains("--max-event-size"), "{err}");
    }

    #[test]
    fn the_awaited_id_is_the_body_requests() {
        let body = br#"{"jsonrpc":"2.0","id":7,"method":"tools/list"}"#;
        assert_eq!(
            Exchange::for_body(Some(body), true).awaited,
            Some(Value::from(7))
        );
        let note = br#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#;
        assert_eq!(Exchange::for_body(Some(note), true).awaited, None);
    }
}
