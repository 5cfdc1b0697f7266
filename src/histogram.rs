//! One histogram for every distribution `sse` reports (tail's gaps between events,
//! doctor's stamped delays): log-linear buckets, exact below 64, then 32 per power of
//! two, so a quantile is within about 3% of the truth and memory stays fixed however
//! long the stream is (at most 1,920 buckets). Count and max are exact. The values'
//! unit is the caller's (microseconds, milliseconds).

/// Buckets per power of two, as a power of two.
const STEPS_LOG2: u32 = 5;
const STEPS: u64 = 1 << STEPS_LOG2;
/// Buckets for every u64.
const BUCKETS: usize = (64 - STEPS_LOG2 as usize + 1) * STEPS as usize;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Histogram {
    /// Grown to the highest bucket used.
    buckets: Vec<u64>,
    count: u64,
    max: u64,
}

/// The bucket of a value: values below [`STEPS`] have one each; above, 32 buckets per
/// power of two.
fn bucket_of(v: u64) -> usize {
    if v < STEPS {
        return v as usize;
    }
    let exp = 63 - v.leading_zeros(); // >= STEPS_LOG2
    let sub = (v >> (exp - STEPS_LOG2)) & (STEPS - 1);
    ((u64::from(exp - STEPS_LOG2) + 1) * STEPS + sub) as usize
}

/// The smallest value in bucket `b`.
fn floor_of(b: usize) -> u64 {
    let b = b as u64;
    if b < STEPS {
        return b;
    }
    let exp = (b / STEPS) as u32 - 1 + STEPS_LOG2;
    (1u64 << exp) | ((b % STEPS) << (exp - STEPS_LOG2))
}

impl Histogram {
    pub fn add(&mut self, v: u64) {
        let b = bucket_of(v);
        if self.buckets.len() <= b {
            self.buckets.resize(b + 1, 0);
        }
        self.buckets[b] += 1;
        self.count += 1;
        self.max = self.max.max(v);
    }

    pub fn count(&self) -> u64 {
        self.count
    }

    pub fn max(&self) -> Option<u64> {
        (self.count > 0).then_some(self.max)
    }

    /// The value at quantile `q` (0..=1) by the nearest rank: the middle of its bucket
    /// (exact below 64), never above the maximum, and the maximum itself for the last
    /// rank; `None` when empty.
    pub fn quantile(&self, q: f64) -> Option<u64> {
        if self.count == 0 {
            return None;
        }
        let rank = ((q.clamp(0.0, 1.0) * self.count as f64).ceil() as u64).clamp(1, self.count);
        if rank == self.count {
            return Some(self.max);
        }
        let mut seen = 0;
        for (b, n) in self.buckets.iter().enumerate() {
            seen += n;
            if seen >= rank {
                let lo = floor_of(b);
                let hi = if b + 1 < BUCKETS {
                    floor_of(b + 1)
                } else {
                    u64::MAX
                };
                return Some((lo + (hi - lo) / 2).min(self.max));
            }
        }
        Some(self.max)
    }
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
                assert!(floor_of(b) <= v, "{v}: floor {}", floor_of(b));
                if b + 1 < BUCKETS {
                    assert!(v < floor_of(b + 1), "{v}");
                }
            }
            let b = bucket_of(1u64 << exp);
            assert!(b >= last);
            last = b;
        }
        assert_eq!(bucket_of(u64::MAX), BUCKETS - 1);
        for b in 0..BUCKETS {
            assert_eq!(bucket_of(floor_of(b)), b);
        }
    }

    #[test]
    fn quantiles_are_exact_when_small_and_close_when_large() {
        let mut h = Histogram::default();
        assert_eq!(h.quantile(0.5), None);
        for v in [1, 2, 3, 4, 100] {
            h.add(v);
        }
        assert_eq!(h.quantile(0.5), Some(3));
        assert_eq!(h.quantile(1.0), Some(100));
        assert_eq!(h.max(), Some(100));
        let mut big = Histogram::default();
        for v in 1..=10_000u64 {
            big.add(v);
        }
        let p50 = big.quantile(0.5).unwrap() as f64;
        let p99 = big.quantile(0.99).unwrap() as f64;
        assert!((p50 / 5000.0 - 1.0).abs() < 0.03, "{p50}");
        assert!((p99 / 9900.0 - 1.0).abs() < 0.03, "{p99}");
        assert_eq!(big.max(), Some(10_000));
        h.add(u64::MAX);
        assert_eq!(h.max(), Some(u64::MAX));
        assert_eq!(h.quantile(1.0), Some(u64::MAX));
    }

    #[test]
    fn memory_does_not_grow_with_the_count() {
        let mut h = Histogram::default();
        for i in 0..200_000u64 {
            h.add(i * i % 1_000_003);
        }
        assert_eq!(h.count(), 200_000);
        assert!(h.buckets.len() <= BUCKETS);
    }
}
