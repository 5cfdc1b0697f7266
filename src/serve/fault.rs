//! `--fault NAME[=ARG]`: classic breakages, reproduced on purpose.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Hold the whole body, then send it with Content-Length (a buffering proxy).
    Buffer,
    /// What Rack::ETag does: buffer the body to hash it, and add an ETag.
    Etag,
    /// Compress with gzip and flush only at the end (compression middleware).
    Gzip,
    /// Close the connection after N events.
    CloseAfter(u64),
    /// Answer as an HTTP/1.0 server: no chunking, the body ends at close.
    Http10,
    /// Send this Content-Type instead of text/event-stream.
    ContentType(String),
    /// Answer with this status code.
    Status(u16),
}

impl Fault {
    /// Whether the whole response is held back until the script ends (gzip is not:
    /// it sends what the compressor emits by itself, which for a small stream is nothing).
    pub fn holds_body(&self) -> bool {
        matches!(self, Fault::Buffer | Fault::Etag)
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fault::Buffer => write!(f, "buffer"),
            Fault::Etag => write!(f, "etag"),
            Fault::Gzip => write!(f, "gzip"),
            Fault::CloseAfter(n) => write!(f, "close-after={n}"),
            Fault::Http10 => write!(f, "http10"),
            Fault::ContentType(t) => write!(f, "content-type={t}"),
            Fault::Status(c) => write!(f, "status={c}"),
        }
    }
}

pub fn parse_fault(s: &str) -> Result<Fault, String> {
    let (name, arg) = match s.split_once('=') {
        Some((n, a)) => (n.trim(), Some(a.trim())),
        None => (s.trim(), None),
    };
    let needs = |what: &str| format!("--fault {name} needs ={what}");
    let fault = match (name, arg) {
        ("buffer", None) => Fault::Buffer,
        ("etag", None) => Fault::Etag,
        ("gzip", None) => Fault::Gzip,
        ("http10", None) => Fault::Http10,
        ("close-after", Some(n)) => Fault::CloseAfter(n.parse().map_err(|_| needs("N, a whole number of events"))?),
        ("close-after", None) => return Err(needs("N, e.g. close-after=1")),
        ("content-type", Some(t)) if !t.is_empty() && !t.contains(['\r', '\n']) => Fault::ContentType(t.to_string()),
        ("content-type", _) => return Err(needs("TYPE, e.g. content-type=text/plain")),
        ("status", Some(c)) => match c.parse::<u16>() {
            Ok(code) if (100..=999).contains(&code) => Fault::Status(code),
            _ => return Err(needs("CODE, a status from 100 to 999")),
        },
        ("status", None) => return Err(needs("CODE, e.g. status=500")),
        ("buffer" | "etag" | "gzip" | "http10", Some(_)) => return Err(format!("--fault {name} takes no argument")),
        _ => {
            return Err(format!(
                "unknown fault {name:?}: use buffer, etag, gzip, close-after=N, http10, content-type=TYPE or status=CODE"
            ))
        }
    };
    Ok(fault)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faults_parse_and_print_back() {
        for text in [
            "buffer",
            "etag",
            "gzip",
            "close-after=3",
            "http10",
            "content-type=text/plain",
            "status=503",
        ] {
            assert_eq!(parse_fault(text).unwrap().to_string(), text);
        }
        assert!(parse_fault("close-after").unwrap_err().contains("needs"));
        assert!(parse_fault("close-after=x").is_err());
        assert!(parse_fault("status=42").is_err());
        assert!(parse_fault("gzip=1").is_err());
        assert!(parse_fault("slow").unwrap_err().contains("unknown fault"));
        assert!(
            Fault::Etag.holds_body() && !Fault::Gzip.holds_body() && !Fault::Http10.holds_body()
        );
    }
}
