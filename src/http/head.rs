//! The response head, and the standard's test of whether it opens an event stream.

use std::io::Read;
use std::time::Duration;

use super::decode::decode_body;
use super::Response;
use crate::error::Error;

/// A response head: the status line and headers, as `tail` shows them and `doctor`
/// judges them (one type for both).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Head {
    pub status: u16,
    pub reason: String,
    /// `HTTP/1.1` or `HTTP/1.0`.
    pub version: &'static str,
    pub headers: Vec<(String, String)>,
    /// Where the stream came from after redirects.
    pub url: String,
}

impl Head {
    pub fn header(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }

    /// The media type, lowercased, without parameters.
    pub fn media_type(&self) -> String {
        media_type(self.header("content-type").unwrap_or(""))
    }

    /// The standard's rule: 200 with `text/event-stream`, or the stream fails for good.
    pub fn check_event_stream(&self, url: &str) -> Result<(), Error> {
        if self.status != 200 {
            return Err(Error::Status {
                url: url.to_string(),
                status: self.status,
                reason: self.reason.clone(),
                retry_after: self.header("retry-after").map(str::to_string),
                body: String::new(),
            });
        }
        if self.media_type() != "text/event-stream" {
            let found = self.header("content-type").unwrap_or("").to_string();
            return Err(Error::ContentType {
                url: url.to_string(),
                found,
                body: String::new(),
            });
        }
        Ok(())
    }
}

impl Response {
    /// [`Head::check_event_stream`], with the start of the body of a response that is not
    /// a stream (at most [`BODY_SHOWN`] bytes, control characters escaped) in the error:
    /// that is where an API explains a 401 or a 429. Waits at most `wait` for it.
    /// `any_type`: a 200 of any Content-Type will do (`--raw`, which is `curl -N`).
    pub fn check_event_stream(
        &mut self,
        url: &str,
        wait: Duration,
        any_type: bool,
    ) -> Result<(), Error> {
        let Err(mut error) = self.head.check_event_stream(url) else {
            return Ok(());
        };
        if any_type && matches!(error, Error::ContentType { .. }) {
            return Ok(());
        }
        match &mut error {
            Error::Status { body, .. } => *body = self.error_body(wait),
            // A 200 of another type may stream for ever: say so at once, with what
            // came with the head.
            Error::ContentType { body, .. } => *body = self.error_body(CONTENT_TYPE_WAIT),
            _ => {}
        }
        Err(error)
    }

    /// The start of the body, decoded and escaped for a terminal, read for at most
    /// `wait` ("" when it cannot be decoded).
    pub fn error_body(&mut self, wait: Duration) -> String {
        let raw = std::mem::replace(&mut self.body, Box::new(std::io::empty()));
        let encoding = self.head.header("content-encoding").map(str::to_string);
        match decode_body(encoding.as_deref(), raw) {
            Ok(decoded) => {
                let (bytes, cut) = body_start(decoded, BODY_SHOWN, wait);
                show_body(&bytes, cut)
            }
            Err(_) => String::new(),
        }
    }
}

/// How long a response of the wrong Content-Type may take to show its body's start.
const CONTENT_TYPE_WAIT: Duration = Duration::from_millis(200);

/// How much of an error response's body is shown.
pub const BODY_SHOWN: usize = 2048;

/// Up to `limit` bytes of `body`, read for at most `wait` (a server may hold an error
/// body open); and whether there was more.
fn body_start(mut body: Box<dyn Read + Send>, limit: usize, wait: Duration) -> (Vec<u8>, bool) {
    let (tx, rx) = std::sync::mpsc::channel();
    // The reader is left behind if the body never ends; the process exits soon after.
    let spawned = std::thread::Builder::new()
        .name("error-body".into())
        .spawn(move || {
            let mut buf = vec![0; limit + 1];
            loop {
                match body.read(&mut buf) {
                    Ok(0) => break,
                    Ok(n) => {
                        if tx.send(buf[..n].to_vec()).is_err() {
                            break;
                        }
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(_) => break,
                }
            }
        });
    let mut got = Vec::new();
    if spawned.is_err() {
        return (got, false);
    }
    let deadline = std::time::Instant::now() + wait;
    while got.len() <= limit {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        match rx.recv_timeout(left) {
            Ok(bytes) => got.extend_from_slice(&bytes),
            Err(_) => break,
        }
    }
    let cut = got.len() > limit;
    got.truncate(limit);
    (got, cut)
}

/// A body as text for a terminal: lossy UTF-8, CRLF as LF, controls escaped, trailing
/// space trimmed, and a mark when it was cut.
pub fn show_body(bytes: &[u8], cut: bool) -> String {
    let text = String::from_utf8_lossy(bytes).replace("\r\n", "\n");
    let mut shown =
        crate::escape::controls(text.trim_end(), crate::escape::Lines::Keep).into_owned();
    if cut {
        shown.push_str(&format!(" [... first {BODY_SHOWN} bytes]"));
    }
    shown
}

/// A header's value by name, case-insensitively (the first, if repeated).
pub fn find_header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

pub fn media_type(content_type: &str) -> String {
    content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::header_safe;

    #[test]
    fn ids_that_headers_cannot_carry() {
        assert!(header_safe("42") && header_safe("caf\u{e9} 1") && header_safe("a\tb"));
        assert!(!header_safe("a\u{1}b") && !header_safe("x\u{7f}"));
    }

    #[test]
    fn error_bodies_are_shown_safely() {
        assert_eq!(
            show_body(b"{\"error\":\"no\"}\r\nline 2\x1b[31m\x07\n\n", false),
            "{\"error\":\"no\"}\nline 2\\x1b[31m\\x07"
        );
        assert!(show_body(b"x", true).ends_with("[... first 2048 bytes]"));
        let long = vec![b'a'; 5000];
        let (start, cut) = body_start(
            Box::new(std::io::Cursor::new(long)),
            2048,
            Duration::from_secs(10),
        );
        assert_eq!((start.len(), cut), (2048, true));
        let (start, cut) = body_start(Box::new(&b"short"[..]), 2048, Duration::from_secs(10));
        assert_eq!((start, cut), (b"short".to_vec(), false));
    }

    #[test]
    fn media_types() {
        assert_eq!(
            media_type("Text/Event-Stream; charset=utf-8"),
            "text/event-stream"
        );
        assert_eq!(media_type(""), "");
    }
}
