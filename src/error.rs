//! The one error type: every failure `sse` reports, each a single line.

use std::fmt;
use std::io;
use std::path::PathBuf;
use std::process::ExitCode;

use crate::escape;

#[derive(Debug)]
pub enum Error {
    /// A usage mistake clap could not catch (flags that only clash in combination).
    Usage(String),
    /// Writing to stdout failed; a broken pipe here is a normal, quiet end.
    Output(io::Error),
    /// The first connection could not be made.
    Connect {
        url: String,
        cause: crate::http::Cause,
    },
    /// The server answered with a status that ends the stream (204, or not 200).
    /// `body`: the start of the response body, escaped for a terminal ("" when none).
    Status {
        url: String,
        status: u16,
        reason: String,
        /// The Retry-After header (a 429's or a 503's), as sent.
        retry_after: Option<String>,
        body: String,
    },
    /// The server answered 200 with something other than `text/event-stream`.
    ContentType {
        url: String,
        found: String,
        body: String,
    },
    /// The stream broke a rule that makes going on pointless (an event over the size limit).
    Stream { url: String, msg: String },
    /// A script for `sse serve` is malformed.
    Script {
        path: PathBuf,
        line: usize,
        msg: String,
    },
    /// Any other I/O failure, with what we were doing.
    Io { context: String, source: io::Error },
}

impl Error {
    pub fn io(context: impl Into<String>, source: io::Error) -> Self {
        Error::Io {
            context: context.into(),
            source,
        }
    }

    pub fn exit_code(&self) -> ExitCode {
        match self {
            Error::Usage(_) => ExitCode::from(2),
            _ if self.is_broken_pipe() => ExitCode::SUCCESS,
            _ => ExitCode::from(1),
        }
    }

    /// A closed stdout (`sse tail URL | head`) ends the program quietly.
    pub fn is_broken_pipe(&self) -> bool {
        matches!(self, Error::Output(e) if e.kind() == io::ErrorKind::BrokenPipe)
    }
}

/// Every error line is escaped once, here: a script line, a reason phrase or a body
/// from the network reaches the terminal with its control characters shown, not obeyed.
impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = Unescaped(self).to_string();
        f.write_str(&escape::controls(&text, escape::Lines::Keep))
    }
}

/// The error's words as they were made, before escaping.
struct Unescaped<'a>(&'a Error);

impl fmt::Display for Unescaped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Error::Usage(msg) => write!(f, "{msg}"),
            Error::Output(e) => write!(f, "writing output: {}", io_message(e)),
            Error::Connect { url, cause } => write!(f, "cannot connect to {url}: {cause}"),
            Error::Status {
                url, status: 204, ..
            } => write!(
                f,
                "{url}: server answered 204 No Content, which tells clients to stop reconnecting"
            ),
            Error::Status {
                url,
                status,
                reason,
                retry_after,
                body,
            } => {
                write!(f, "{url}: server answered {status}")?;
                if !reason.is_empty() {
                    write!(f, " {reason}")?;
                }
                if let Some(after) = retry_after {
                    write!(f, " (Retry-After: {after})")?;
                }
                write!(
                    f,
                    ", not 200; an event stream is not reconnected after that"
                )?;
                write_body(f, body)
            }
            Error::ContentType { url, found, body } if found.is_empty() => {
                write!(
                    f,
                    "{url}: response has no Content-Type; an event stream needs text/event-stream ({ANYWAY})"
                )?;
                write_body(f, body)
            }
            Error::ContentType { url, found, body } => {
                write!(
                    f,
                    "{url}: response is {found:?}, not text/event-stream ({ANYWAY})"
                )?;
                write_body(f, body)
            }
            Error::Stream { url, msg } => write!(f, "{url}: {msg}"),
            Error::Script { path, line, msg } => write!(f, "{}:{line}: {msg}", path.display()),
            Error::Io { context, source } => write!(f, "{context}: {}", io_message(source)),
        }
    }
}

impl std::error::Error for Error {}

/// How to read a stream served with the wrong Content-Type all the same.
const ANYWAY: &str = "--raw reads it anyway, as does `curl -sN URL | sse tail -`; --format sse|ndjson|json-seq|json reads it as that";

/// The start of a response body under its one-line error, indented: where an API
/// explains a 401 or a 429.
fn write_body(f: &mut fmt::Formatter<'_>, body: &str) -> fmt::Result {
    for line in body.lines() {
        write!(f, "\n  {line}")?;
    }
    Ok(())
}

/// `io::Error`'s Display with the "(os error N)" suffix dropped and a lowercase start.
pub fn io_message(e: &io::Error) -> String {
    let text = e.to_string();
    let text = match text.find(" (os error") {
        Some(i) => text[..i].to_string(),
        None => text,
    };
    lowercase_first(&text)
}

pub fn lowercase_first(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) if !s.starts_with("TLS") && !s.starts_with("HTTP") => {
            c.to_lowercase().chain(chars).collect()
        }
        _ => s.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broken_pipe_is_a_quiet_success() {
        let e = Error::Output(io::Error::from(io::ErrorKind::BrokenPipe));
        assert!(e.is_broken_pipe());
        assert_eq!(e.exit_code(), ExitCode::SUCCESS);
        let other = Error::io("reading x", io::Error::from(io::ErrorKind::BrokenPipe));
        assert!(!other.is_broken_pipe(), "a broken socket is a real error");
    }

    #[test]
    fn messages_are_one_line() {
        let e = Error::Status {
            url: "http://h/e".into(),
            status: 500,
            reason: "Internal Server Error".into(),
            retry_after: None,
            body: String::new(),
        };
        assert_eq!(
            e.to_string(),
            "http://h/e: server answered 500 Internal Server Error, not 200; an event stream is not reconnected after that"
        );
        let e = Error::Status {
            url: "http://h/e".into(),
            status: 401,
            reason: "Unauthorized".into(),
            retry_after: None,
            body: "{\"error\": \"bad key\"}\nsecond".into(),
        };
        assert!(e
            .to_string()
            .ends_with("after that\n  {\"error\": \"bad key\"}\n  second"));
        let e = Error::Status {
            url: "http://h/e".into(),
            status: 429,
            reason: "Too Many Requests".into(),
            retry_after: Some("30".into()),
            body: String::new(),
        };
        assert!(e.to_string().starts_with(
            "http://h/e: server answered 429 Too Many Requests (Retry-After: 30), not 200"
        ));
        let e = Error::Script {
            path: "demo.txt".into(),
            line: 7,
            msg: "@sleep needs a duration".into(),
        };
        assert_eq!(e.to_string(), "demo.txt:7: @sleep needs a duration");
        let e = Error::io("reading x", io::Error::from_raw_os_error(2));
        assert_eq!(e.to_string(), "reading x: no such file or directory");
        let e = Error::Script {
            path: "s.txt".into(),
            line: 1,
            msg: "unknown directive @x\x1b[2J".into(),
        };
        assert_eq!(e.to_string(), "s.txt:1: unknown directive @x\\x1b[2J");
    }
}
