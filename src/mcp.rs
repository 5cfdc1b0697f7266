//! MCP's Streamable HTTP transport, as `tail` and `doctor` speak it: JSON-RPC messages
//! recognised, the request headers each revision asks for, the session a server hands
//! out. Pure functions on text and headers; the requests themselves are sent elsewhere.
//!
//! Two revisions, read in the specification's source (modelcontextprotocol/modelcontextprotocol,
//! `docs/specification/2025-11-25/basic/transports.mdx` and
//! `docs/specification/2026-07-28/basic/transports/streamable-http.mdx`):
//! - 2025-11-25: an `initialize` handshake; the server may assign an `MCP-Session-Id`
//!   that every later request carries; `MCP-Protocol-Version` on every request after
//!   initialize; SSE answers may be resumed with a GET carrying `Last-Event-ID`.
//! - 2026-07-28: no handshake and no session; each request carries its version in
//!   `params._meta` and in headers (`MCP-Protocol-Version`, `Mcp-Method`, `Mcp-Name`);
//!   GET answers 405; streams are not resumable.

use base64::Engine as _;
use serde_json::Value;

use crate::value::Header;

/// What a client must accept: a JSON body or an SSE stream (both revisions).
pub const ACCEPT: &str = "application/json, text/event-stream";
pub const SESSION_HEADER: &str = "Mcp-Session-Id";
pub const VERSION_HEADER: &str = "MCP-Protocol-Version";
pub const METHOD_HEADER: &str = "Mcp-Method";
pub const NAME_HEADER: &str = "Mcp-Name";
/// Where a 2026-07-28 request names its protocol version, in `params._meta`.
pub const VERSION_META: &str = "io.modelcontextprotocol/protocolVersion";

/// One JSON-RPC 2.0 message.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    /// The id of a request or response (`None` for a notification, or a response to a
    /// request whose id could not be read).
    pub id: Option<Value>,
    pub kind: Kind,
    /// What the message carries: a request's params, a result, an error's data.
    pub payload: Option<Value>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    Request { method: String },
    Notification { method: String },
    Result,
    Error { code: i64, message: String },
}

impl Message {
    /// The message in `text`, when it is a JSON-RPC 2.0 object.
    pub fn parse(text: &str) -> Option<Message> {
        let t = text.trim_start();
        if !t.starts_with('{') {
            return None;
        }
        let Value::Object(mut obj) = serde_json::from_str::<Value>(t).ok()? else {
            return None;
        };
        if obj.get("jsonrpc")?.as_str()? != "2.0" {
            return None;
        }
        let id = obj.remove("id").filter(|id| !id.is_null());
        let (kind, payload) = if let Some(method) = obj.get("method").and_then(Value::as_str) {
            let method = method.to_string();
            let kind = match id {
                Some(_) => Kind::Request { method },
                None => Kind::Notification { method },
            };
            (kind, obj.remove("params"))
        } else if let Some(result) = obj.remove("result") {
            (Kind::Result, Some(result))
        } else {
            let mut error = obj.remove("error")?;
            let code = error.get("code").and_then(Value::as_i64).unwrap_or(0);
            let message = error
                .get("message")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            (
                Kind::Error { code, message },
                error.get_mut("data").map(Value::take),
            )
        };
        Some(Message { id, kind, payload })
    }

    /// A request's or notification's method.
    pub fn method(&self) -> Option<&str> {
        match &self.kind {
            Kind::Request { method } | Kind::Notification { method } => Some(method),
            _ => None,
        }
    }

    /// A result or an error: the answer to the request with this id.
    pub fn is_response(&self) -> bool {
        matches!(self.kind, Kind::Result | Kind::Error { .. })
    }
}

/// An id as it is written in JSON (`1`, `"a"`).
pub fn show_id(id: &Value) -> String {
    id.to_string()
}

/// A request body as MCP reads it: the JSON-RPC request (or notification) it is, or
/// `None` when it is not one.
pub fn request_in(body: &[u8]) -> Option<Message> {
    let msg = Message::parse(std::str::from_utf8(body).ok()?)?;
    msg.method().is_some().then_some(msg)
}

/// The headers a POST of `body` must carry, beyond the user's: `Accept` for both
/// answers; for a 2026-07-28 request (its `_meta` names the version), the version and
/// the method mirrored into headers (`Mcp-Name` for the methods the revision names).
pub fn request_headers(body: &[u8]) -> Vec<(&'static str, String)> {
    let mut headers = vec![("Accept", ACCEPT.to_string())];
    let Some(json) = serde_json::from_slice::<Value>(body).ok() else {
        return headers;
    };
    let params = json.get("params");
    let version = params
        .and_then(|p| p.get("_meta"))
        .and_then(|m| m.get(VERSION_META))
        .and_then(Value::as_str);
    let (Some(version), Some(method)) = (version, json.get("method").and_then(Value::as_str))
    else {
        return headers;
    };
    headers.push((VERSION_HEADER, version.to_string()));
    headers.push((METHOD_HEADER, method.to_string()));
    let name_field = match method {
        "tools/call" | "prompts/get" => "name",
        "resources/read" => "uri",
        _ => return headers,
    };
    if let Some(name) = params
        .and_then(|p| p.get(name_field))
        .and_then(Value::as_str)
    {
        headers.push((NAME_HEADER, header_value(name)));
    }
    headers
}

/// A value as `Mcp-Name` carries it: as it is when it is plain visible ASCII (spaces
/// inside allowed), else in the revision's Base64 sentinel form `=?base64?...?=`, which
/// also wraps a plain value that looks like the sentinel.
pub fn header_value(value: &str) -> String {
    let plain = value.bytes().all(|b| (0x20..0x7f).contains(&b))
        && value.trim() == value
        && !(value.starts_with("=?base64?") && value.ends_with("?="));
    if plain {
        value.to_string()
    } else {
        let encoded = base64::engine::general_purpose::STANDARD.encode(value);
        format!("=?base64?{encoded}?=")
    }
}

/// Adds each of `defaults` to `headers` unless the user gave a header of that name
/// (a `-H` always wins, and `-H 'Name:'` still removes it).
pub fn add_defaults(headers: &mut Vec<Header>, defaults: Vec<(&'static str, String)>) {
    for (name, value) in defaults {
        if !headers.iter().any(|h| h.name.eq_ignore_ascii_case(name)) {
            headers.push(Header {
                name: name.to_string(),
                value,
            });
        }
    }
}

/// A session id as the 2025-11-25 revision allows it: visible ASCII (0x21 to 0x7E).
pub fn valid_session_id(id: &str) -> bool {
    !id.is_empty() && id.bytes().all(|b| (0x21..=0x7e).contains(&b))
}

/// The protocol version an `initialize` result names.
pub fn negotiated_version(msg: &Message) -> Option<&str> {
    match msg.kind {
        Kind::Result => msg.payload.as_ref()?.get("protocolVersion")?.as_str(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn each_kind_of_message_is_recognised() {
        let req = Message::parse(r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#).unwrap();
        assert_eq!(req.id, Some(json!(1)));
        assert_eq!(req.method(), Some("tools/list"));
        assert!(!req.is_response());
        let note = Message::parse(
            r#"{"jsonrpc":"2.0","method":"notifications/progress","params":{"progress":1}}"#,
        )
        .unwrap();
        assert_eq!(
            note.kind,
            Kind::Notification {
                method: "notifications/progress".into()
            }
        );
        assert_eq!(note.payload, Some(json!({"progress": 1})));
        let res = Message::parse(r#"{"jsonrpc":"2.0","id":"a","result":{"x":true}}"#).unwrap();
        assert!(res.is_response() && res.kind == Kind::Result);
        assert_eq!(show_id(res.id.as_ref().unwrap()), "\"a\"");
        let err = Message::parse(
            r#"{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"Bad Request: Missing session ID","data":[1]}}"#,
        )
        .unwrap();
        assert_eq!(err.id, None);
        assert_eq!(
            err.kind,
            Kind::Error {
                code: -32600,
                message: "Bad Request: Missing session ID".into()
            }
        );
        assert_eq!(err.payload, Some(json!([1])));
        for not in [
            "",
            "[]",
            r#"{"id":1,"result":1}"#,
            r#"{"jsonrpc":"1.0","id":1,"result":1}"#,
            r#"{"jsonrpc":"2.0","id":1}"#,
            "{\"jsonrpc\":\"2.0\"",
        ] {
            assert_eq!(Message::parse(not), None, "{not}");
        }
    }

    #[test]
    fn a_request_body_is_one_only_with_a_method() {
        assert!(request_in(br#"{"jsonrpc":"2.0","id":1,"method":"initialize"}"#).is_some());
        assert!(request_in(br#"{"jsonrpc":"2.0","id":1,"result":{}}"#).is_none());
        assert!(request_in(br#"{"model":"gpt"}"#).is_none());
    }

    #[test]
    fn a_modern_request_mirrors_its_method_and_name_into_headers() {
        let legacy = br#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"add"}}"#;
        assert_eq!(request_headers(legacy), vec![("Accept", ACCEPT.into())]);
        let modern = br#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"add","_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28"}}}"#;
        assert_eq!(
            request_headers(modern),
            vec![
                ("Accept", ACCEPT.into()),
                (VERSION_HEADER, "2026-07-28".into()),
                (METHOD_HEADER, "tools/call".into()),
                (NAME_HEADER, "add".into()),
            ]
        );
        let read = br#"{"jsonrpc":"2.0","id":2,"method":"resources/read","params":{"uri":"file:///a b","_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28"}}}"#;
        assert_eq!(
            request_headers(read)[3],
            (NAME_HEADER, "file:///a b".into())
        );
        let discover = br#"{"jsonrpc":"2.0","id":3,"method":"server/discover","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28"}}}"#;
        assert_eq!(request_headers(discover).len(), 3);
    }

    #[test]
    fn names_outside_plain_ascii_take_the_base64_sentinel() {
        // The revision's own examples (streamable-http.mdx, Value Encoding).
        assert_eq!(header_value("us-west1"), "us-west1");
        assert_eq!(
            header_value("Hello, 世界"),
            "=?base64?SGVsbG8sIOS4lueVjA==?="
        );
        assert_eq!(header_value(" padded "), "=?base64?IHBhZGRlZCA=?=");
        assert_eq!(header_value("line1\nline2"), "=?base64?bGluZTEKbGluZTI=?=");
        assert_eq!(
            header_value("=?base64?literal?="),
            "=?base64?PT9iYXNlNjQ/bGl0ZXJhbD89?="
        );
    }

    #[test]
    fn a_header_the_user_gave_wins_over_a_default() {
        let mut headers = vec![Header {
            name: "accept".into(),
            value: "".into(),
        }];
        add_defaults(
            &mut headers,
            vec![("Accept", ACCEPT.into()), (SESSION_HEADER, "s".into())],
        );
        assert_eq!(headers.len(), 2);
        assert_eq!(headers[0].value, "");
        assert_eq!(headers[1].name, SESSION_HEADER);
    }

    #[test]
    fn session_ids_and_negotiated_versions() {
        assert!(valid_session_id("1868a90c-x"));
        assert!(!valid_session_id("a b") && !valid_session_id("") && !valid_session_id("é"));
        let init =
            Message::parse(r#"{"jsonrpc":"2.0","id":1,"result":{"protocolVersion":"2025-11-25"}}"#)
                .unwrap();
        assert_eq!(negotiated_version(&init), Some("2025-11-25"));
    }
}
