//! # Latency statistics: percentiles and medians
//!
//! A mean hides what users feel: one reply in a hundred taking 40 ms is
//! invisible in an average of 0.3 ms, yet it is what makes a chat feel
//! sluggish. So latencies are kept one by one (bounded by a count) and
//! reported as percentiles: p50 is the typical case, p99 the bad one in a
//! hundred, max the worst seen.

use std::time::Duration;

/// A bounded collection of latency samples, in nanoseconds.
#[derive(Debug, Clone, Default)]
pub struct Latencies {
    samples: Vec<u64>,
    limit: usize,
    /// Samples not kept because the limit was reached (still counted).
    dropped: u64,
}

impl Latencies {
    /// Keeps at most `limit` samples; the ones after that are only counted.
    pub fn with_limit(limit: usize) -> Latencies {
        Latencies {
            samples: Vec::with_capacity(limit.min(1 << 16)),
            limit,
            dropped: 0,
        }
    }

    /// Records one latency.
    pub fn record(&mut self, latency: Duration) {
        if self.samples.len() < self.limit {
            self.samples
                .push(latency.as_nanos().min(u64::MAX as u128) as u64);
        } else {
            self.dropped += 1;
        }
    }

    /// Adds another collection's samples (e.g. from another connection).
    pub fn merge(&mut self, other: Latencies) {
        let room = self.limit.saturating_sub(self.samples.len());
        let kept = other.samples.len().min(room);
        self.dropped += other.dropped + (other.samples.len() - kept) as u64;
        self.samples.extend_from_slice(&other.samples[..kept]);
    }

    /// How many samples were recorded (kept or not).
    pub fn count(&self) -> u64 {
        self.samples.len() as u64 + self.dropped
    }

    /// The summary: sorts the samples once.
    pub fn summary(mut self) -> Summary {
        self.samples.sort_unstable();
        let at = |q: f64| -> f64 {
            if self.samples.is_empty() {
                return 0.0;
            }
            // Nearest-rank percentile: the smallest sample >= q of them all.
            let rank =
                ((q * self.samples.len() as f64).ceil() as usize).clamp(1, self.samples.len());
            self.samples[rank - 1] as f64 / 1e6
        };
        Summary {
            p50_ms: at(0.50),
            p90_ms: at(0.90),
            p99_ms: at(0.99),
            max_ms: self.samples.last().map_or(0.0, |&n| n as f64 / 1e6),
        }
    }
}

/// Percentiles, in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    /// Half of the samples are at most this.
    pub p50_ms: f64,
    /// 90 % of the samples are at most this.
    pub p90_ms: f64,
    /// 99 % of the samples are at most this.
    pub p99_ms: f64,
    /// The worst sample.
    pub max_ms: f64,
}

/// The median of some values (the mean of the two middle ones for an even
/// count); `None` when there are none. Used to summarise repeated runs: one
/// disturbed run does not move a median of three.
pub fn median(values: &[f64]) -> Option<f64> {
    let mut sorted: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    if sorted.is_empty() {
        return None;
    }
    sorted.sort_by(|a, b| a.total_cmp(b));
    let mid = sorted.len() / 2;
    Some(if sorted.len() % 2 == 1 {
        sorted[mid]
    } else {
        (sorted[mid - 1] + sorted[mid]) / 2.0
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_use_nearest_rank() {
        let mut l = Latencies::with_limit(1000);
        for ms in 1..=100 {
            l.record(Duration::from_millis(ms));
        }
        let s = l.summary();
        assert_eq!(s.p50_ms, 50.0);
        assert_eq!(s.p90_ms, 90.0);
        assert_eq!(s.p99_ms, 99.0);
        assert_eq!(s.max_ms, 100.0);
    }

    #[test]
    fn the_limit_bounds_memory_but_not_the_count() {
        let mut a = Latencies::with_limit(3);
        for _ in 0..5 {
            a.record(Duration::from_micros(1));
        }
        let mut b = Latencies::with_limit(2);
        b.record(Duration::from_micros(2));
        a.merge(b);
        assert_eq!(a.count(), 6);
        assert_eq!(a.samples.len(), 3);
    }

    #[test]
    fn empty_summary_is_zero() {
        assert_eq!(Latencies::with_limit(4).summary().max_ms, 0.0);
    }

    #[test]
    fn medians() {
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), Some(2.5));
        assert_eq!(median(&[f64::NAN, 5.0]), Some(5.0));
    }
}
