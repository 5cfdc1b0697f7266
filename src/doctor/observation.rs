//! What doctor saw of one stream, in plain data with bounded size: the head, and
//! summaries of the reads and events (counts, a delay histogram, the first and last
//! few events, the bursts), never every read or every event. A fast stream of tiny
//! events watched for minutes costs the same memory as a slow one.

use std::collections::VecDeque;
use std::time::Duration;

use crate::histogram::Histogram;
use crate::http::{Connection, Head};
use crate::llm::Watch;
use crate::parser::EventRef;

/// Events kept verbatim at each end of the stream (the rest are only counted).
pub const KEEP: usize = 100;
/// Bursts kept (each needs most of a second of silence before it, so this is minutes).
pub const KEEP_BURSTS: usize = 512;
/// Longest id or event type kept per event (they are shown, never replayed).
const KEEP_TEXT: usize = 128;
/// Recent read times kept to find the silence before a burst.
const RECENT_READS: usize = 16;

/// Silence before a group of events that makes it a burst (held back, then released).
pub const BURST_SILENCE: Duration = Duration::from_millis(900);
/// Events this close together arrived "at once".
pub const BURST_SPREAD: Duration = Duration::from_millis(10);
/// A burst is at least this many events arriving at once.
pub const BURST_MIN: usize = 3;

/// Bytes of the body's end kept to show what the stream looked like.
pub const LAST_TEXT: usize = 160;

/// Everything doctor saw of one stream; times are since the request was sent.
#[derive(Debug, Clone, Default)]
pub struct Observation {
    /// The URL asked for (the head has the one answered after redirects).
    pub url: String,
    /// Set when no response came at all.
    pub connect_error: Option<String>,
    /// sse's h2 refused the HTTP/2 response as malformed (PROTOCOL_ERROR): a
    /// connection-specific header, as a rule.
    pub h2_malformed: bool,
    pub head: Option<Head>,
    /// The start of the body of a response that is not 200, escaped.
    pub error_body: String,
    /// What the connection said about itself (its protocol, HTTP/2's stream limit).
    pub connection: Option<Connection>,
    /// When the response head arrived.
    pub head_at: Option<Duration>,
    /// Reads of body bytes as they came off the wire (before decompression).
    pub wire: Reads,
    /// Body bytes after decompression.
    pub decoded_bytes: u64,
    /// After the last read, the parser held lines that no blank line had ended into
    /// an event (the server's most common bug: `\n` after each message, not `\n\n`).
    pub unended: bool,
    /// The end of the decoded body so far (at most [`LAST_TEXT`] bytes), to show.
    pub last_text: Vec<u8>,
    pub events: Events,
    pub comments: u64,
    /// `: sent-at` stamps seen.
    pub stamps: u64,
    pub retry: Option<u64>,
    /// The last event ID in force when watching stopped ("" when none was set).
    pub last_id: String,
    /// How the stream ended while watched, if it did.
    pub end: Option<StreamEnd>,
    /// How long doctor watched.
    pub watched: Duration,
    /// Why watching stopped.
    pub stopped: Stop,
    /// The body could not be decoded (an encoding doctor does not read, a parse error).
    pub decode_error: Option<String>,
    /// No response head arrived while watching (held back, or a slow server).
    pub no_head: bool,
    /// Working state for finding bursts as events arrive.
    pub arrivals: Arrivals,
    /// The request's method ("" is GET): an answer opened by POST is not resumed.
    pub method: String,
    /// What an LLM stream's shape promises about its end, and whether it kept it (no
    /// shape for other streams).
    pub llm: Watch,
    /// The first error an LLM stream reported inside its 200.
    pub llm_error: Option<LlmError>,
    /// When the first event carrying a generated token arrived (time to first token).
    pub first_token: Option<Duration>,
}

/// An error an LLM stream reported inside its 200: what it said, when, and how many
/// events came before it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LlmError {
    pub said: String,
    pub at: Duration,
    pub after: u64,
}

/// Recent read times, for the silence before the next group of events, and the group
/// of events arriving together that is still open.
#[derive(Debug, Clone, Default)]
pub struct Arrivals {
    recent_reads: VecDeque<Duration>,
    group: Option<Burst>,
}

/// Reads summarised: how many, how much, when the first and last came, the longest
/// silence between two of them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Reads {
    pub count: u64,
    pub bytes: u64,
    pub first: Option<Duration>,
    pub last: Option<Duration>,
    /// The longest silence from the request to the first read or between two reads
    /// (the silence after the last read is added by [`Observation::longest_silence`]).
    pub longest_gap: Duration,
}

/// Events summarised: counts, the stamped delays as a histogram (milliseconds), the first and last
/// [`KEEP`] events, and every burst (up to [`KEEP_BURSTS`]).
#[derive(Debug, Clone, Default)]
pub struct Events {
    pub count: u64,
    pub with_id: u64,
    pub first: Vec<Seen>,
    pub last: VecDeque<Seen>,
    pub delays: Histogram,
    pub bursts: Vec<Burst>,
    /// Bursts seen past [`KEEP_BURSTS`] (counted, not kept).
    pub bursts_dropped: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    pub at: Duration,
    /// How late it arrived after its `: sent-at` stamp, when it had one.
    pub delay: Option<Duration>,
    /// The event's own block carried an `id:` line.
    pub has_id: bool,
    /// The last event ID at dispatch (cut to a few dozen characters).
    pub id: String,
    pub event_type: String,
    pub bytes: usize,
}

/// Events that arrived together: when the first came, how many, how long the silence
/// before them was, and how long they took to arrive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Burst {
    pub at: Duration,
    pub size: usize,
    pub silence: Duration,
    pub spread: Duration,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamEnd {
    pub at: Duration,
    /// A clean end of the body (true), or a cut (reset, truncated chunked body).
    pub clean: bool,
    pub cause: String,
    /// An HTTP/2 RST_STREAM or GOAWAY that ended it, with its code.
    pub reset: Option<crate::http::Reset>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Stop {
    #[default]
    Duration,
    Count,
    Ended,
    Interrupted,
    NoResponse,
}

impl Stop {
    pub fn text(self) -> &'static str {
        match self {
            Stop::Duration => "the watch time ran out",
            Stop::Count => "the event count was reached",
            Stop::Ended => "the stream ended",
            Stop::Interrupted => "interrupted",
            Stop::NoResponse => "no response",
        }
    }
}

impl Observation {
    pub fn new(url: &str) -> Self {
        Observation {
            url: url.to_string(),
            ..Observation::default()
        }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.head.as_ref()?.header(name)
    }

    /// The Content-Encoding, unless it is `identity` or empty, which is no encoding at
    /// all (RFC 9110 8.4.1; Django's fix for GZipMiddleware sets it).
    pub fn content_encoding(&self) -> Option<&str> {
        self.header("content-encoding")
            .filter(|v| !v.trim().is_empty() && !v.trim().eq_ignore_ascii_case("identity"))
    }

    pub fn status(&self) -> Option<u16> {
        self.head.as_ref().map(|h| h.status)
    }

    /// Whether the stream was opened with GET (as a browser's EventSource opens it).
    pub fn opened_by_get(&self) -> bool {
        self.method.is_empty() || self.method.eq_ignore_ascii_case("GET")
    }

    /// Sees an event that arrived at `at` as an LLM stream: its shape and end, an error
    /// inside the 200, the first token. Called before [`Observation::event`] records it.
    /// Other streams pay only what `llm::Watch` costs them; an LLM stream's events are
    /// parsed here only until the first token.
    pub fn llm_event(&mut self, at: Duration, ev: &EventRef<'_>) {
        if let Some(said) = self.llm.see(ev) {
            let after = self.events.count;
            self.llm_error.get_or_insert(LlmError { said, at, after });
        }
        // What counts as a token is what tail's summary counts (llm::Piece::is_token).
        if self.first_token.is_none()
            && self.llm.shape().is_some()
            && crate::llm::pieces(ev)
                .iter()
                .any(crate::llm::Piece::is_token)
        {
            self.first_token = Some(at);
        }
    }

    /// An LLM stream that ended as its shape promises, with no error: an answer that
    /// ends by design.
    pub fn llm_ended_by_design(&self) -> bool {
        self.llm.shape().is_some() && self.llm.cut().is_none() && self.llm_error.is_none()
    }

    /// A read of `n` bytes off the wire at `at`.
    pub fn read(&mut self, at: Duration, n: usize) {
        let w = &mut self.wire;
        let gap = at.saturating_sub(w.last.unwrap_or_default());
        w.longest_gap = w.longest_gap.max(gap);
        w.count += 1;
        w.bytes += n as u64;
        w.first.get_or_insert(at);
        w.last = Some(at);
        if self.arrivals.recent_reads.len() == RECENT_READS {
            self.arrivals.recent_reads.pop_front();
        }
        self.arrivals.recent_reads.push_back(at);
    }

    /// An event dispatched at `at`.
    pub fn event(&mut self, seen: Seen) {
        let at = seen.at;
        let e = &mut self.events;
        e.count += 1;
        e.with_id += u64::from(seen.has_id);
        if let Some(d) = seen.delay {
            e.delays.add(crate::format::millis(d));
        }
        if e.first.len() < KEEP {
            e.first.push(seen);
        } else {
            if e.last.len() == KEEP {
                e.last.pop_front();
            }
            e.last.push_back(seen);
        }
        match &mut self.arrivals.group {
            Some(g) if at.saturating_sub(g.at + g.spread) <= BURST_SPREAD => {
                g.size += 1;
                g.spread = at - g.at;
            }
            _ => {
                self.close_group();
                let silence = at.saturating_sub(self.read_before(at));
                self.arrivals.group = Some(Burst {
                    at,
                    size: 1,
                    silence,
                    spread: Duration::ZERO,
                });
            }
        }
    }

    /// The last read more than [`BURST_SPREAD`] before `at` (a heartbeat breaks a
    /// silence), or the request itself (a held-back response holds its head too).
    fn read_before(&self, at: Duration) -> Duration {
        let mut earlier = self
            .arrivals
            .recent_reads
            .iter()
            .rev()
            .skip_while(|t| **t + BURST_SPREAD >= at);
        match earlier.next() {
            Some(t) => *t,
            // Every recent read is part of this group: the oldest is the best bound kept.
            None if self.arrivals.recent_reads.len() == RECENT_READS => {
                self.arrivals.recent_reads[0]
            }
            None => Duration::ZERO,
        }
    }

    fn close_group(&mut self) {
        let Some(g) = self.arrivals.group.take() else {
            return;
        };
        if g.size >= BURST_MIN && g.silence >= BURST_SILENCE {
            if self.events.bursts.len() < KEEP_BURSTS {
                self.events.bursts.push(g);
            } else {
                self.events.bursts_dropped += 1;
            }
        }
    }

    /// Closes what is still open once watching has stopped.
    pub fn finish(&mut self, watched: Duration, stopped: Stop) {
        self.close_group();
        self.watched = watched;
        self.stopped = stopped;
    }

    /// The kept events in order (the first and the last [`KEEP`]).
    pub fn kept_events(&self) -> impl Iterator<Item = &Seen> {
        self.events.first.iter().chain(self.events.last.iter())
    }

    pub fn last_event(&self) -> Option<&Seen> {
        self.events.last.back().or(self.events.first.last())
    }

    /// Bytes arrived but none could be decoded into events (an encoding doctor does not
    /// read, or a decoder that failed): the event count is unknown, not zero.
    pub fn events_unknown(&self) -> bool {
        self.decode_error.is_some() && self.events.count == 0 && self.wire.bytes > 0
    }

    /// The longest silence from the request to the end of the watch (or of the stream).
    pub fn longest_silence(&self) -> Duration {
        let end = self.end.as_ref().map_or(self.watched, |e| e.at);
        let tail = end.saturating_sub(self.wire.last.unwrap_or_default());
        self.wire.longest_gap.max(tail)
    }
}

/// Keeps at most `KEEP_TEXT` bytes of `s`, cut at a character boundary.
pub fn keep_text(s: &str) -> String {
    if s.len() <= KEEP_TEXT {
        return s.to_string();
    }
    let mut cut = KEEP_TEXT;
    while !s.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}…", &s[..cut])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen(at_ms: u64) -> Seen {
        Seen {
            at: Duration::from_millis(at_ms),
            delay: Some(Duration::from_millis(at_ms % 7)),
            has_id: true,
            id: String::new(),
            event_type: "message".into(),
            bytes: 1,
        }
    }

    #[test]
    fn a_million_events_keep_a_bounded_summary() {
        let mut obs = Observation::new("http://x/");
        for i in 0..1_000_000u64 {
            obs.read(Duration::from_micros(i * 10), 20);
            obs.event(seen(i / 100));
        }
        obs.finish(Duration::from_secs(10), Stop::Duration);
        assert_eq!(obs.events.count, 1_000_000);
        assert_eq!(obs.events.first.len() + obs.events.last.len(), 2 * KEEP);
        assert_eq!(obs.last_event().unwrap().at, Duration::from_millis(9999));
        assert_eq!(obs.events.delays.count(), 1_000_000);
        assert!(obs.arrivals.recent_reads.len() <= RECENT_READS);
        assert_eq!(obs.wire.bytes, 20_000_000);
    }

    #[test]
    fn bursts_need_silence_before_them() {
        let mut obs = Observation::new("http://x/");
        // A heartbeat at 1 s breaks the silence; the group at 1.5 s is not a burst.
        obs.read(Duration::from_millis(1000), 3);
        obs.read(Duration::from_millis(1500), 30);
        for _ in 0..4 {
            obs.event(seen(1500));
        }
        // 2 s of silence, then five at once: a burst.
        obs.read(Duration::from_millis(3500), 50);
        for _ in 0..5 {
            obs.event(seen(3500));
        }
        obs.finish(Duration::from_secs(5), Stop::Duration);
        assert_eq!(
            obs.events.bursts,
            [Burst {
                at: Duration::from_millis(3500),
                size: 5,
                silence: Duration::from_millis(2000),
                spread: Duration::ZERO
            }]
        );
        assert_eq!(obs.longest_silence(), Duration::from_millis(2000));
        assert_eq!(obs.wire.longest_gap, Duration::from_millis(2000));
    }

    #[test]
    fn long_text_is_cut_at_a_character() {
        let id = "é".repeat(100);
        let kept = keep_text(&id);
        assert!(kept.len() <= KEEP_TEXT + '…'.len_utf8());
        assert!(kept.ends_with('…'));
        assert_eq!(keep_text("42"), "42");
    }
}
