//! What the summary says about an LLM stream: why it finished, the tokens it reports
//! using, time to the first token, the gaps between tokens, output tokens per second,
//! and (OpenAI Responses) events lost between sequence numbers.
//!
//! A token here is an event that carried something the model produced ([`Piece::is_token`]):
//! a role-only chunk or an empty delta is none, as load testers measure time to first
//! token. Memory is fixed: gaps go into a histogram.

use std::time::{Duration, Instant};

use super::piece::{Piece, Usage};
use crate::format;
use crate::histogram::Histogram;
use crate::stats;

#[derive(Debug, Default, Clone)]
pub struct Metrics {
    /// Some event of a recognised LLM shape was seen (the summary speaks of it).
    seen: bool,
    first_token: Option<Instant>,
    last_token: Option<Instant>,
    /// Microseconds between events that carried tokens.
    gaps: Histogram,
    finish: Option<String>,
    usage: Usage,
    sequence: Sequence,
}

/// Responses' `sequence_number`s: each one more than the last, or events were lost.
#[derive(Debug, Default, Clone)]
struct Sequence {
    last: Option<u64>,
    /// Times a number was not one more than the one before.
    jumps: u64,
    /// Numbers skipped over.
    missing: u64,
    /// The number after which the first jump happened.
    first_after: Option<u64>,
}

impl Sequence {
    fn see(&mut self, n: u64) {
        if let Some(last) = self.last {
            if n != last.saturating_add(1) {
                self.jumps += 1;
                self.missing += n.saturating_sub(last.saturating_add(1));
                self.first_after.get_or_insert(last);
            }
        }
        self.last = Some(n);
    }
}

impl Metrics {
    /// The pieces of one event of an LLM stream; `now` is asked only when it carried a token.
    pub fn add(&mut self, pieces: &[Piece], now: impl FnOnce() -> Instant) {
        self.seen = true;
        if pieces.iter().any(Piece::is_token) {
            let at = now();
            if let Some(last) = self.last_token {
                let gap = at.saturating_duration_since(last).as_micros();
                self.gaps.add(u64::try_from(gap).unwrap_or(u64::MAX));
            }
            self.first_token.get_or_insert(at);
            self.last_token = Some(at);
        }
        for piece in pieces {
            match piece {
                Piece::Finish(reason) => self.finish = Some(reason.clone()),
                Piece::Usage(usage) => self.usage.update(*usage),
                Piece::Sequence(n) => self.sequence.see(*n),
                _ => {}
            }
        }
    }

    /// A new stream (a reconnection) numbers its events afresh.
    pub fn new_stream(&mut self) {
        self.sequence.last = None;
    }

    /// The summary's LLM line, when an LLM stream was seen; times count from `origin`
    /// (the request when `requested`).
    pub fn line(&self, origin: Instant, requested: bool) -> Option<String> {
        if !self.seen {
            return None;
        }
        let mut parts = vec![format!(
            "finish reason {}",
            self.finish
                .as_deref()
                .map_or("none".into(), crate::escape::line)
        )];
        parts.push(self.usage_text());
        match self.first_token {
            Some(first) => parts.push(format!(
                "first token {} {}",
                format::fine(first.saturating_duration_since(origin)),
                stats::from(requested)
            )),
            None => parts.push("no tokens".into()),
        }
        if let Some(gaps) = stats::spread(&self.gaps) {
            parts.push(stats::spread_text("token gaps", gaps));
        }
        if let Some(rate) = self.rate() {
            parts.push(format!("{rate:.1} output tokens/s"));
        }
        if let Some(after) = self.sequence.first_after {
            parts.push(format!(
                "sequence_number jumped {} ({} missing, first after {after}): events were lost",
                format::count(self.sequence.jumps, "time"),
                self.sequence.missing
            ));
        }
        Some(format!("LLM: {}", parts.join("; ")))
    }

    /// `tokens 19 in, 42 out`, as far as the stream reported them.
    fn usage_text(&self) -> String {
        let n = |v: Option<u64>| v.map_or("?".into(), |n| n.to_string());
        match (self.usage.input, self.usage.output) {
            (None, None) => "usage not reported".into(),
            (input, output) => format!("tokens {} in, {} out", n(input), n(output)),
        }
    }

    /// Reported output tokens over the time from the first token to the last.
    fn rate(&self) -> Option<f64> {
        let output = self.usage.output?;
        let span = self
            .last_token?
            .saturating_duration_since(self.first_token?);
        (span > Duration::ZERO).then(|| output as f64 / span.as_secs_f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> Piece {
        Piece::Text(s.into())
    }

    #[test]
    fn time_to_first_token_skips_the_role_only_chunk_and_gaps_are_between_tokens() {
        let t0 = Instant::now();
        let ms = |n: u64| t0 + Duration::from_millis(n);
        let mut m = Metrics::default();
        // The role-only chunk (empty content) at 100 ms is no token.
        m.add(&[text("")], || ms(100));
        m.add(&[text("The")], || ms(300));
        m.add(&[text(" answer")], || ms(320));
        m.add(&[Piece::Finish("stop".into())], || ms(900));
        m.add(&[text(" is")], || ms(360));
        m.add(
            &[Piece::Usage(Usage {
                input: Some(10),
                output: Some(6),
            })],
            || unreachable!("no token here"),
        );
        let line = m.line(t0, true).unwrap();
        assert_eq!(
            line,
            "LLM: finish reason stop; tokens 10 in, 6 out; first token 300 ms from the request; token gaps p50 20 ms, p99 40 ms, max 40 ms; 100.0 output tokens/s"
        );
    }

    #[test]
    fn nothing_reported_says_so_and_other_streams_say_nothing() {
        assert_eq!(Metrics::default().line(Instant::now(), true), None);
        let mut m = Metrics::default();
        m.add(&[], Instant::now);
        assert_eq!(
            m.line(Instant::now(), false).unwrap(),
            "LLM: finish reason none; usage not reported; no tokens"
        );
    }

    #[test]
    fn sequence_number_jumps_are_events_lost() {
        let mut m = Metrics::default();
        for n in [0, 1, 2, 5, 6, 8] {
            m.add(&[Piece::Sequence(n)], Instant::now);
        }
        let line = m.line(Instant::now(), true).unwrap();
        assert!(
            line.ends_with(
                "sequence_number jumped 2 times (3 missing, first after 2): events were lost"
            ),
            "{line}"
        );
        m.new_stream();
        m.add(&[Piece::Sequence(0)], Instant::now);
        assert_eq!(m.sequence.jumps, 2);
    }
}
