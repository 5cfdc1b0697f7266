//! `--stats`: the summary of a tail, on stderr at its end (and on Ctrl-C): time to first
//! byte and to the first event from the request, events, events per second, and the
//! gaps between events as p50 / p99 / max.
//!
//! Memory is fixed whatever the stream's length: gaps go into the shared log-linear
//! histogram (`crate::histogram`), not a list. The run that records is the one that
//! prints the summary, Ctrl-C included, so nothing here is shared between threads.

use std::time::{Duration, Instant};

use crate::format;
use crate::histogram::Histogram;

#[derive(Debug, Clone)]
pub struct Stats {
    epoch: Instant,
    request: Option<Instant>,
    first_byte: Option<Instant>,
    first_event: Option<Instant>,
    last_event: Option<Instant>,
    events: u64,
    /// Microseconds between events.
    gaps: Histogram,
}

/// What the summary line says, as numbers (tests read these).
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    pub events: u64,
    /// From the request to now.
    pub elapsed: Duration,
    pub first_byte: Option<Duration>,
    pub first_event: Option<Duration>,
    /// Times count from a request (a URL), not from the start (stdin).
    pub requested: bool,
    /// p50, p99 and max of the gaps between events (none with fewer than two events).
    pub gaps: Option<[Duration; 3]>,
}

impl Stats {
    pub fn new(epoch: Instant) -> Stats {
        Stats {
            epoch,
            request: None,
            first_byte: None,
            first_event: None,
            last_event: None,
            events: 0,
            gaps: Histogram::default(),
        }
    }

    /// A request is about to be sent (the first one counts).
    pub fn requesting(&mut self, at: Instant) {
        self.request.get_or_insert(at);
    }

    /// The first byte of the response (its head), or of stdin, arrived.
    pub fn first_byte(&mut self, at: Instant) {
        self.first_byte.get_or_insert(at);
    }

    /// An event arrived (in a read that arrived `at`).
    pub fn event(&mut self, at: Instant) {
        match self.last_event {
            None => self.first_event = Some(at),
            Some(last) => {
                let gap = at.saturating_duration_since(last).as_micros();
                self.gaps.add(u64::try_from(gap).unwrap_or(u64::MAX));
            }
        }
        self.last_event = Some(at);
        self.events += 1;
    }

    /// What times count from: the first request, or the start (stdin).
    pub fn origin(&self) -> Instant {
        self.request.unwrap_or(self.epoch)
    }

    pub fn summary(&self, now: Instant) -> Summary {
        let start = self.origin();
        let since = |t: Option<Instant>| t.map(|t| t.saturating_duration_since(start));
        Summary {
            events: self.events,
            elapsed: now.saturating_duration_since(start),
            first_byte: since(self.first_byte),
            first_event: since(self.first_event),
            requested: self.request.is_some(),
            gaps: spread(&self.gaps),
        }
    }
}

/// p50, p99 and max of a histogram of microseconds (none when it is empty).
pub fn spread(gaps: &Histogram) -> Option<[Duration; 3]> {
    gaps.max().map(|max| {
        let q = |p: f64| Duration::from_micros(gaps.quantile(p).unwrap_or(max));
        [q(0.50), q(0.99), Duration::from_micros(max)]
    })
}

/// `gaps p50 10 ms, p99 250 ms, max 1.00 s`, after `label`.
pub fn spread_text(label: &str, [p50, p99, max]: [Duration; 3]) -> String {
    format!(
        "{label} p50 {}, p99 {}, max {}",
        format::fine(p50),
        format::fine(p99),
        format::fine(max)
    )
}

/// `from the request` or `from the start` (stdin: nothing was requested).
pub fn from(requested: bool) -> &'static str {
    if requested {
        "from the request"
    } else {
        "from the start"
    }
}

impl Summary {
    /// One line for a person.
    pub fn line(&self) -> String {
        let secs = self.elapsed.as_secs_f64();
        let rate = if secs > 0.0 {
            self.events as f64 / secs
        } else {
            0.0
        };
        let mut line = format!(
            "{} in {} ({rate:.1}/s)",
            format::count(self.events, "event"),
            format::fine(self.elapsed)
        );
        let mut firsts = Vec::new();
        if let Some(t) = self.first_byte {
            firsts.push(format!("first byte {}", format::fine(t)));
        }
        if let Some(t) = self.first_event {
            firsts.push(format!("first event {}", format::fine(t)));
        }
        if !firsts.is_empty() {
            line.push_str(&format!(
                "; {}: {}",
                from(self.requested),
                firsts.join(", ")
            ));
        }
        if let Some(gaps) = self.gaps {
            line.push_str("; ");
            line.push_str(&spread_text("gaps", gaps));
        }
        line
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_are_within_a_few_percent() {
        let t0 = Instant::now();
        let mut stats = Stats::new(t0);
        stats.requesting(t0);
        stats.first_byte(t0 + Duration::from_millis(5));
        // 200 events: 196 gaps of 10 ms, one of 1 s, two of 250 ms.
        let mut at = t0 + Duration::from_millis(20);
        stats.event(at);
        for i in 0..199 {
            at += match i {
                50 => Duration::from_secs(1),
                70 | 90 => Duration::from_millis(250),
                _ => Duration::from_millis(10),
            };
            stats.event(at);
        }
        let s = stats.summary(at);
        assert_eq!(s.events, 200);
        assert_eq!(s.first_byte, Some(Duration::from_millis(5)));
        assert_eq!(s.first_event, Some(Duration::from_millis(20)));
        let [p50, p99, max] = s.gaps.unwrap();
        let near = |d: Duration, ms: f64| (d.as_secs_f64() * 1000.0 - ms).abs() <= ms * 0.04;
        assert!(near(p50, 10.0), "{p50:?}");
        assert!(near(p99, 250.0), "{p99:?}");
        assert_eq!(max, Duration::from_secs(1));
        let line = s.line();
        assert!(line.starts_with("200 events in "), "{line}");
        assert!(
            line.contains("; from the request: first byte 5.00 ms, first event 20 ms;"),
            "{line}"
        );
        assert!(line.contains("max 1.00 s"), "{line}");
    }

    #[test]
    fn few_events_say_what_they_can() {
        let t0 = Instant::now();
        let mut stats = Stats::new(t0);
        assert_eq!(stats.summary(t0).line(), "0 events in 0 µs (0.0/s)");
        stats.event(t0 + Duration::from_millis(1));
        let s = stats.summary(t0 + Duration::from_secs(2));
        assert_eq!(s.gaps, None);
        assert_eq!(
            s.line(),
            "1 event in 2.00 s (0.5/s); from the start: first event 1.00 ms"
        );
    }
}
