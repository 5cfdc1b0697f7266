//! The request a browser's EventSource would send, and what the command line adds.

use std::io::Read;
use std::time::Duration;

use crate::error::Error;
use crate::value::Header;

pub const USER_AGENT: &str = concat!("sse/", env!("CARGO_PKG_VERSION"));

#[derive(Debug, Clone)]
pub struct Request {
    pub url: String,
    pub method: String,
    /// Sent after the defaults; an empty value removes a default header.
    pub headers: Vec<Header>,
    pub body: Option<Vec<u8>>,
    pub last_event_id: Option<String>,
    pub timeout: Option<Duration>,
    pub insecure: bool,
    pub accept_encoding: Option<&'static str>,
}

/// The method when `-X` does not name one: POST when there is a body (as curl does),
/// else GET.
pub fn method_or_default(given: Option<String>, has_body: bool) -> String {
    given.unwrap_or_else(|| if has_body { "POST" } else { "GET" }.into())
}

/// Whether a request may be sent again on its own (reconnecting): a GET, or anything
/// when `--reconnect` asks. Re-sending a POST can repeat an action or cost money.
pub fn may_repeat(method: &str, asked: bool) -> bool {
    method == "GET" || asked
}

/// What the command line says of a request: `-X`, `-d`, `-H`, `--timeout`, `-k`.
pub struct Asked<'a> {
    pub method: Option<String>,
    pub data: Option<&'a str>,
    pub headers: &'a [Header],
    pub timeout: Duration,
    pub insecure: bool,
}

impl Request {
    /// The request a browser's EventSource sends, with its Accept-Encoding (compression
    /// layers hold events only when the request allows compression), and what the user
    /// asked: what `doctor` and `check` send.
    pub fn browser(url: &str, asked: Asked<'_>) -> Result<Request, Error> {
        let body = asked.data.map(read_body).transpose()?;
        let method = method_or_default(asked.method, body.is_some());
        Ok(Request {
            method,
            body,
            headers: asked.headers.to_vec(),
            timeout: Some(asked.timeout),
            insecure: asked.insecure,
            accept_encoding: Some(super::BROWSER_ACCEPT_ENCODING),
            ..Request::get(url)
        })
    }

    pub fn get(url: &str) -> Self {
        Request {
            url: url.to_string(),
            method: "GET".into(),
            headers: Vec::new(),
            body: None,
            last_event_id: None,
            timeout: None,
            insecure: false,
            accept_encoding: None,
        }
    }

    /// The header lines to send, defaults first, for the request and for `-v`.
    pub fn header_lines(&self) -> Vec<(String, String)> {
        let mut lines: Vec<(String, String)> = vec![
            ("Accept".into(), "text/event-stream".into()),
            ("Cache-Control".into(), "no-cache".into()),
            ("User-Agent".into(), USER_AGENT.into()),
        ];
        if let Some(enc) = self.accept_encoding {
            lines.push(("Accept-Encoding".into(), enc.into()));
        }
        if let Some(id) = self.last_event_id.as_deref().filter(|id| !id.is_empty()) {
            lines.push(("Last-Event-ID".into(), id.into()));
        }
        if let Some(body) = &self.body {
            let kind = if serde_json::from_slice::<serde::de::IgnoredAny>(body).is_ok() {
                "application/json"
            } else {
                "application/x-www-form-urlencoded"
            };
            lines.push(("Content-Type".into(), kind.into()));
        }
        // A -H replaces a default of its name; -H repeated sends every value, as curl
        // does; `Name:` removes the default and the values given before it.
        let mut given: Vec<(String, String)> = Vec::new();
        for h in &self.headers {
            lines.retain(|(name, _)| !name.eq_ignore_ascii_case(&h.name));
            if h.value.is_empty() {
                given.retain(|(name, _)| !name.eq_ignore_ascii_case(&h.name));
            } else {
                given.push((h.name.clone(), h.value.clone()));
            }
        }
        lines.extend(given);
        lines
    }
}

/// Whether text can travel as a header value (an event id may hold control characters
/// that HTTP cannot carry).
pub fn header_safe(value: &str) -> bool {
    value
        .bytes()
        .all(|b| b == b'\t' || (0x20..0x7f).contains(&b) || b >= 0x80)
}

/// Reads a `-d` body: `@file`, `@-` for stdin, or the text itself.
pub fn read_body(data: &str) -> Result<Vec<u8>, Error> {
    match data.strip_prefix('@') {
        Some("-") => {
            let mut buf = Vec::new();
            std::io::stdin()
                .lock()
                .read_to_end(&mut buf)
                .map_err(|e| Error::io("reading the request body from stdin", e))?;
            Ok(buf)
        }
        Some(path) => std::fs::read(path).map_err(|e| Error::io(format!("reading {path}"), e)),
        None => Ok(data.as_bytes().to_vec()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_defaults_overrides_and_removal() {
        let mut req = Request::get("http://x/");
        req.last_event_id = Some("42".into());
        req.body = Some(br#"{"model":"x"}"#.to_vec());
        req.headers = vec![
            Header {
                name: "accept".into(),
                value: "".into(),
            },
            Header {
                name: "X-Key".into(),
                value: "k".into(),
            },
            Header {
                name: "cache-control".into(),
                value: "max-age=0".into(),
            },
        ];
        let lines = req.header_lines();
        let get = |n: &str| {
            lines
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(n))
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(get("Accept"), None);
        assert_eq!(get("Last-Event-ID"), Some("42"));
        assert_eq!(get("Content-Type"), Some("application/json"));
        assert_eq!(get("X-Key"), Some("k"));
        assert_eq!(get("Cache-Control"), Some("max-age=0"));
        assert_eq!(
            lines
                .iter()
                .filter(|(k, _)| k.eq_ignore_ascii_case("cache-control"))
                .count(),
            1
        );
        // Repeated, every value goes, in order; an empty value removes them.
        let header = |name: &str, value: &str| Header {
            name: name.into(),
            value: value.into(),
        };
        req.headers = vec![
            header("X-Forwarded-For", "a"),
            header("x-forwarded-for", "b"),
            header("Cookie", "c=1"),
            header("cookie", ""),
        ];
        let repeated: Vec<_> = req
            .header_lines()
            .into_iter()
            .filter(|(k, _)| {
                k.eq_ignore_ascii_case("x-forwarded-for") || k.eq_ignore_ascii_case("cookie")
            })
            .collect();
        assert_eq!(
            repeated,
            [
                ("X-Forwarded-For".to_string(), "a".to_string()),
                ("x-forwarded-for".to_string(), "b".to_string()),
            ]
        );
        req.last_event_id = Some(String::new());
        assert_eq!(
            req.header_lines()
                .iter()
                .filter(|(k, _)| k == "Last-Event-ID")
                .count(),
            0,
            "an empty id sends no header"
        );
    }
}
