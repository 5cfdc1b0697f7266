//! What the `--fault`s do to a response, worked out once into a [`Plan`] (the names
//! and their parser are in `value`).

use std::fmt;
use std::time::Duration;

use super::http::Framing;
pub use crate::value::Fault;

/// Bytes in each piece of an event under `--fault drip`.
pub const DRIP_BYTES: usize = 3;
/// The pause between two pieces under `--fault drip`.
pub const DRIP_PAUSE: Duration = Duration::from_millis(5);

/// How a buffering layer holds the body back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hold {
    /// A buffering proxy: the whole body, then Content-Length.
    Buffer,
    /// Rack::ETag: the whole body to hash it, then an ETag and Content-Length.
    Etag,
}

/// What happens to the connection once enough events were sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cut {
    /// `close-after`: the connection is dropped (no last chunk).
    Close,
    /// `stall-after`: nothing more is sent, the connection stays open.
    Stall,
    /// `reset-after`: a TCP reset.
    Reset,
}

/// The faults, decided once: what every response on the stream path looks like.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    faults: Vec<Fault>,
    /// `status=CODE`: overrides the script's `@status`.
    pub status: Option<u16>,
    pub content_type: Option<String>,
    pub hold: Option<Hold>,
    pub gzip: bool,
    /// Answer as an HTTP/1.0 server.
    pub http10: bool,
    pub drip: bool,
    /// The first of `close-after`, `stall-after`, `reset-after` to come due.
    pub cut: Option<(u64, Cut)>,
}

impl Plan {
    pub fn new(faults: Vec<Fault>) -> Plan {
        let mut plan = Plan::default();
        for fault in &faults {
            let mut cut = |n: u64, what: Cut| {
                if plan.cut.is_none_or(|(m, _)| n < m) {
                    plan.cut = Some((n, what));
                }
            };
            match fault {
                Fault::Buffer => plan.hold = plan.hold.or(Some(Hold::Buffer)),
                Fault::Etag => plan.hold = Some(Hold::Etag),
                Fault::Gzip => plan.gzip = true,
                Fault::Http10 => plan.http10 = true,
                Fault::Drip => plan.drip = true,
                Fault::CloseAfter(n) => cut(*n, Cut::Close),
                Fault::StallAfter(n) => cut(*n, Cut::Stall),
                Fault::ResetAfter(n) => cut(*n, Cut::Reset),
                Fault::ContentType(t) => plan.content_type = Some(t.clone()),
                Fault::Status(c) => plan.status = Some(*c),
            }
        }
        plan.faults = faults;
        plan
    }

    /// How the body is delimited, for a request in HTTP/1.`minor`.
    pub fn framing(&self, minor: u8) -> Framing {
        if self.hold.is_some() {
            Framing::Length(0)
        } else if self.http10 || minor == 0 {
            Framing::UntilClose
        } else {
            Framing::Chunked
        }
    }

    /// The stream's headers before the script's own `@header`s.
    pub fn headers(&self) -> Vec<(&'static str, String)> {
        let content_type = self.content_type.as_deref().unwrap_or("text/event-stream");
        let cache = if self.hold == Some(Hold::Etag) {
            // What Rack sends beside its ETag.
            "max-age=0, private, must-revalidate"
        } else {
            "no-cache"
        };
        let mut headers = vec![
            ("Content-Type", content_type.to_string()),
            ("Cache-Control", cache.to_string()),
        ];
        if self.gzip {
            headers.push(("Content-Encoding", "gzip".into()));
            headers.push(("Vary", "Accept-Encoding".into()));
        }
        headers
    }

    /// What to do once `events` events were sent, if anything.
    pub fn cut_at(&self, events: u64) -> Option<Cut> {
        self.cut.filter(|(n, _)| events >= *n).map(|(_, c)| c)
    }

    /// The plan for a client that refuses compression.
    pub fn without_gzip(&self) -> Plan {
        Plan {
            gzip: false,
            ..self.clone()
        }
    }

    /// Whether the compressor needs its large stack.
    pub fn needs_big_stack(&self) -> bool {
        self.gzip
    }
}

/// Whether a request's `Accept-Encoding` takes gzip (RFC 9110 12.5.3): `gzip` (or
/// `x-gzip`) with a weight above 0, else `*` with one. No header, `identity`, or
/// `gzip;q=0` refuse it, as compression middleware (nginx, Express) then sends the
/// body as it is.
pub fn accepts_gzip(accept_encoding: Option<&str>) -> bool {
    let mut star = None;
    for item in accept_encoding.unwrap_or("").split(',') {
        let mut parts = item.split(';');
        let coding = parts.next().unwrap_or("").trim();
        let weight = parts
            .filter_map(|p| p.split_once('='))
            .find(|(k, _)| k.trim().eq_ignore_ascii_case("q"))
            .map_or(1.0, |(_, v)| v.trim().parse::<f64>().unwrap_or(0.0));
        if coding.eq_ignore_ascii_case("gzip") || coding.eq_ignore_ascii_case("x-gzip") {
            return weight > 0.0;
        }
        if coding == "*" {
            star = Some(weight > 0.0);
        }
    }
    star.unwrap_or(false)
}

/// `buffer, close-after=1`, as typed.
impl fmt::Display for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, fault) in self.faults.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{fault}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plan_reads_every_fault_once() {
        let plan = Plan::new(vec![
            Fault::Gzip,
            Fault::StallAfter(3),
            Fault::CloseAfter(5),
            Fault::ResetAfter(2),
            Fault::Drip,
            Fault::Status(503),
        ]);
        assert!(plan.gzip && plan.drip && plan.hold.is_none());
        assert_eq!(plan.status, Some(503));
        assert_eq!(plan.cut_at(1), None);
        assert_eq!(
            plan.cut_at(2),
            Some(Cut::Reset),
            "the first cut to come due wins"
        );
        assert_eq!(plan.framing(1), Framing::Chunked);
        assert_eq!(plan.framing(0), Framing::UntilClose);
        assert_eq!(
            plan.to_string(),
            "gzip, stall-after=3, close-after=5, reset-after=2, drip, status=503"
        );
        let held = Plan::new(vec![Fault::Etag, Fault::Http10]);
        assert_eq!(held.framing(1), Framing::Length(0));
        assert!(held.headers().contains(&(
            "Cache-Control",
            "max-age=0, private, must-revalidate".into()
        )));
        assert_eq!(Plan::new(Vec::new()).to_string(), "");
    }

    #[test]
    fn gzip_only_for_a_client_that_accepts_it() {
        for yes in [
            "gzip",
            "GZip;q=0.5",
            "deflate, gzip, br",
            "x-gzip",
            "*",
            "br, *;q=0.1",
        ] {
            assert!(accepts_gzip(Some(yes)), "{yes}");
        }
        for no in [
            "",
            "identity",
            "br",
            "gzip;q=0",
            "gzip; q=0.000",
            "*;q=0",
            "*, gzip;q=0",
        ] {
            assert!(!accepts_gzip(Some(no)), "{no}");
        }
        assert!(!accepts_gzip(None));
    }
}
