//! `--stats`: the summary of a tail, on stderr at its end (and on Ctrl-C): time to first
//! byte and to the first event from the request, events, events per second, and the
//! gaps between events as p50 / p99 / max.
//!
//! Memory is fixed whatever the stream's length: gaps go into a log-linear histogram
//! (32 steps per power of two, so a quantile is within about 3% of the truth), not a
//! list. One thread records; the Ctrl-C handler may read at any time, so the counters
//! are atomics, written with plain relaxed stores (a single writer needs no locked
//! read-modify-write).

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Sub-buckets per power of two.
const STEPS_LOG2: u32 = 5;
const STEPS: usize = 1 << STEPS_LOG2;
/// Microsecond values below `STEPS` have a bucket each; above, 32 per power of two up
/// to 2^64.
const BUCKETS: usize = (64 - STEPS_LOG2 as usize + 1) * STEPS;
const UNSET: u64 = u64::MAX;

#[derive(Clone)]
pub struct Stats {
    shared: Arc<Shared>,
}

struct Shared {
    /// Times are nanoseconds since this instant.
    epoch: Instant,
    request: AtomicU64,
    first_byte: AtomicU64,
    first_event: AtomicU64,
    last_event: AtomicU64,
    events: AtomicU64,
    max_gap_us: AtomicU64,
    gaps: Box<[AtomicU64]>,
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
            shared: Arc::new(Shared {
                epoch,
                request: AtomicU64::new(UNSET),
                first_byte: AtomicU64::new(UNSET),
                first_event: AtomicU64::new(UNSET),
                last_event: AtomicU64::new(UNSET),
                events: AtomicU64::new(0),
                max_gap_us: AtomicU64::new(0),
                gaps: (0..BUCKETS).map(|_| AtomicU64::new(0)).collect(),
            }),
        }
    }

    fn nanos(&self, at: Instant) -> u64 {
        u64::try_from(at.saturating_duration_since(self.shared.epoch).as_nanos())
            .unwrap_or(UNSET - 1)
    }

    fn set_once(&self, slot: &AtomicU64, at: Instant) {
        if slot.load(Relaxed) == UNSET {
            slot.store(self.nanos(at), Relaxed);
        }
    }

    /// A request is about to be sent (the first one counts).
    pub fn requesting(&self, at: Instant) {
        self.set_once(&self.shared.request, at);
    }

    /// The first byte of the response (its head), or of stdin, arrived.
    pub fn first_byte(&self, at: Instant) {
        self.set_once(&self.shared.first_byte, at);
    }

    /// An event arrived (in a read that arrived `at`).
    pub fn event(&self, at: Instant) {
        let s = &*self.shared;
        let now = self.nanos(at);
        let last = s.last_event.load(Relaxed);
        if last == UNSET {
            s.first_event.store(now, Relaxed);
        } else {
            let gap_us = now.saturating_sub(last) / 1000;
            let bucket = &s.gaps[bucket_of(gap_us)];
            bucket.store(bucket.load(Relaxed) + 1, Relaxed);
            if gap_us > s.max_gap_us.load(Relaxed) {
                s.max_gap_us.store(gap_us, Relaxed);
            }
        }
        s.last_event.store(now, Relaxed);
        s.events.store(s.events.load(Relaxed) + 1, Relaxed);
    }

    pub fn summary(&self, now: Instant) -> Summary {
        let s = &*self.shared;
        let request = s.request.load(Relaxed);
        let start = if request == UNSET { 0 } else { request };
        let since = |slot: &AtomicU64| match slot.load(Relaxed) {
            UNSET => None,
            t => Some(Duration::from_nanos(t.saturating_sub(start))),
        };
        let counts: Vec<u64> = s.gaps.iter().map(|b| b.load(Relaxed)).collect();
        let total: u64 = counts.iter().sum();
        let gaps = (total > 0).then(|| {
            let max = s.max_gap_us.load(Relaxed);
            let q = |p: f64| Duration::from_micros(quantile(&counts, total, p).min(max));
            [q(0.50), q(0.99), Duration::from_micros(max)]
        });
        Summary {
            events: s.events.load(Relaxed),
            elapsed: Duration::from_nanos(self.nanos(now).saturating_sub(start)),
            first_byte: since(&s.first_byte),
            first_event: since(&s.first_event),
            requested: request != UNSET,
            gaps,
        }
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
            "{} event{} in {} ({rate:.1}/s)",
            self.events,
            if self.events == 1 { "" } else { "s" },
            human(self.elapsed)
        );
        let mut firsts = Vec::new();
        if let Some(t) = self.first_byte {
            firsts.push(format!("first byte {}", human(t)));
        }
        if let Some(t) = self.first_event {
            firsts.push(format!("first event {}", human(t)));
        }
        if !firsts.is_empty() {
            let from = if self.requested {
                "from the request"
            } else {
                "from the start"
            };
            line.push_str(&format!("; {from}: {}", firsts.join(", ")));
        }
        if let Some([p50, p99, max]) = self.gaps {
            line.push_str(&format!(
                "; gaps p50 {}, p99 {}, max {}",
                human(p50),
                human(p99),
                human(max)
            ));
        }
        line
    }
}

/// `850 µs`, `12.3 ms`, `1.25 s`, `2m03s`: three significant digits or so.
pub fn human(d: Duration) -> String {
    let us = d.as_micros();
    if us < 1000 {
        format!("{us} µs")
    } else if us < 10_000 {
        format!("{:.2} ms", us as f64 / 1000.0)
    } else if us < 1_000_000 {
        format!("{:.0} ms", us as f64 / 1000.0)
    } else if us < 100_000_000 {
        format!("{:.2} s", us as f64 / 1e6)
    } else {
        let s = d.as_secs();
        format!("{}m{:02}s", s / 60, s % 60)
    }
}

/// The bucket of a value in microseconds.
fn bucket_of(us: u64) -> usize {
    if us < STEPS as u64 {
        return us as usize;
    }
    let exp = 63 - us.leading_zeros(); // >= STEPS_LOG2
    let sub = (us >> (exp - STEPS_LOG2)) as usize & (STEPS - 1);
    (exp - STEPS_LOG2 + 1) as usize * STEPS + sub
}

/// The smallest value in bucket `b`.
fn bucket_floor(b: usize) -> u64 {
    if b < STEPS {
        return b as u64;
    }
    let exp = (b / STEPS) as u32 - 1 + STEPS_LOG2;
    let sub = (b % STEPS) as u64;
    (1u64 << exp) | (sub << (exp - STEPS_LOG2))
}

/// The value at quantile `p` (the middle of its bucket).
fn quantile(counts: &[u64], total: u64, p: f64) -> u64 {
    let rank = ((p * total as f64).ceil() as u64).clamp(1, total);
    let mut seen = 0;
    for (b, &n) in counts.iter().enumerate() {
        seen += n;
        if seen >= rank {
            let lo = bucket_floor(b);
            let hi = if b + 1 < counts.len() {
                bucket_floor(b + 1)
            } else {
                u64::MAX
            };
            return lo + (hi - lo) / 2;
        }
    }
    0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_cover_every_value_in_order() {
        let mut last = 0;
        for exp in 0..64 {
            for v in [
                1u64 << exp,
                (1u64 << exp) + 1,
                (1u64 << exp) + (1u64 << exp) / 2,
                u64::MAX >> (63 - exp),
            ] {
                let b = bucket_of(v);
                assert!(b < BUCKETS, "{v}");
                assert!(bucket_floor(b) <= v, "{v}: floor {}", bucket_floor(b));
                if b + 1 < BUCKETS {
                    assert!(v < bucket_floor(b + 1), "{v}");
                }
            }
            let b = bucket_of(1u64 << exp);
            assert!(b >= last);
            last = b;
        }
        assert_eq!(bucket_of(u64::MAX), BUCKETS - 1);
    }

    #[test]
    fn quantiles_are_within_a_few_percent() {
        let t0 = Instant::now();
        let stats = Stats::new(t0);
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
        let stats = Stats::new(t0);
        assert_eq!(stats.summary(t0).line(), "0 events in 0 µs (0.0/s)");
        stats.event(t0 + Duration::from_millis(1));
        let s = stats.summary(t0 + Duration::from_secs(2));
        assert_eq!(s.gaps, None);
        assert_eq!(
            s.line(),
            "1 event in 2.00 s (0.5/s); from the start: first event 1.00 ms"
        );
    }

    #[test]
    fn memory_does_not_grow_with_the_stream() {
        let t0 = Instant::now();
        let stats = Stats::new(t0);
        for i in 0..200_000u64 {
            stats.event(t0 + Duration::from_micros(i * i % 1_000_003));
        }
        assert_eq!(stats.shared.gaps.len(), BUCKETS);
        assert_eq!(stats.summary(t0).events, 200_000);
    }
}
