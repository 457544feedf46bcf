//! # Latency statistics: percentiles and medians
//!
//! A mean hides what users feel: one reply in a hundred taking 40 ms is
//! invisible in an average of 0.3 ms, yet it is what makes a chat feel
//! sluggish. So latencies are reported as percentiles: p50 is the typical
//! case, p99 the bad one in a hundred, max the worst seen.
//!
//! Every latency of a run is counted, in an HDR histogram (the
//! `hdrhistogram` crate, the tool wrk2 and most load generators use): a
//! counter per range of values, each range at most 0.1 % wide, so memory
//! depends on the largest latency seen, not on how many there were, and
//! recording one costs a few instructions. Keeping the samples themselves
//! meant a cap on their number, and past it only the earliest ones counted.

use std::time::Duration;

use hdrhistogram::Histogram;

/// Significant digits kept: a latency is known to within 0.1 %.
const SIGNIFICANT_DIGITS: u8 = 3;

/// Every latency recorded, counted by value (in nanoseconds).
#[derive(Debug, Clone)]
pub struct Latencies {
    histogram: Histogram<u64>,
}

impl Default for Latencies {
    fn default() -> Latencies {
        Latencies::new()
    }
}

impl Latencies {
    /// An empty histogram. It grows with the largest latency recorded:
    /// about 140 KiB for 40 ms, 220 KiB for a minute.
    pub fn new() -> Latencies {
        Latencies {
            histogram: Histogram::new(SIGNIFICANT_DIGITS)
                .expect("3 significant digits is a valid HDR histogram precision"),
        }
    }

    /// Records one latency.
    pub fn record(&mut self, latency: Duration) {
        let ns = u64::try_from(latency.as_nanos()).unwrap_or(u64::MAX);
        // `record` grows the histogram to fit; if it cannot (a latency of
        // centuries), the value counts as the largest one kept, not lost.
        if self.histogram.record(ns).is_err() {
            self.histogram.saturating_record(ns);
        }
    }

    /// Adds another histogram's counts (e.g. from another connection).
    pub fn merge(&mut self, other: &Latencies) {
        // Both grow on demand with the same precision, so adding never fails.
        self.histogram
            .add(&other.histogram)
            .expect("histograms of the same precision add up");
    }

    /// How many latencies were recorded.
    pub fn count(&self) -> u64 {
        self.histogram.len()
    }

    /// The percentiles. Each is the upper end of the range holding the
    /// nearest-rank value, so a figure is never below the true one.
    pub fn summary(&self) -> Summary {
        let ms = |ns: u64| ns as f64 / 1e6;
        if self.histogram.is_empty() {
            return Summary {
                p50_ms: 0.0,
                p90_ms: 0.0,
                p99_ms: 0.0,
                max_ms: 0.0,
            };
        }
        let h = &self.histogram;
        Summary {
            p50_ms: ms(h.value_at_quantile(0.50)),
            p90_ms: ms(h.value_at_quantile(0.90)),
            p99_ms: ms(h.value_at_quantile(0.99)),
            max_ms: ms(h.max()),
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

    /// `value` within the histogram's 0.1 % (rounded up, never down).
    fn about(value: f64, exact: f64) -> bool {
        value >= exact && value <= exact * 1.001
    }

    #[test]
    fn percentiles_use_nearest_rank() {
        let mut l = Latencies::new();
        for ms in 1..=100 {
            l.record(Duration::from_millis(ms));
        }
        let s = l.summary();
        assert!(about(s.p50_ms, 50.0), "{s:?}");
        assert!(about(s.p90_ms, 90.0), "{s:?}");
        assert!(about(s.p99_ms, 99.0), "{s:?}");
        assert!(about(s.max_ms, 100.0), "{s:?}");
    }

    #[test]
    fn every_sample_counts_not_only_the_first_ones() {
        // A million fast round trips, then a slow tenth of the run: a cap
        // on kept samples would have reported only the fast ones.
        let mut a = Latencies::new();
        for _ in 0..1_000_000 {
            a.record(Duration::from_micros(100));
        }
        let mut b = Latencies::new();
        for _ in 0..200_000 {
            b.record(Duration::from_millis(20));
        }
        a.merge(&b);
        assert_eq!(a.count(), 1_200_000);
        let s = a.summary();
        assert!(about(s.p50_ms, 0.1), "{s:?}");
        assert!(about(s.p90_ms, 20.0), "{s:?}");
        assert!(about(s.max_ms, 20.0), "{s:?}");
        // Memory follows the largest value, not the count.
        assert!(a.histogram.distinct_values() < 40_000);
    }

    #[test]
    fn odd_values_are_kept() {
        let mut l = Latencies::new();
        l.record(Duration::ZERO);
        l.record(Duration::from_secs(3600));
        assert_eq!(l.count(), 2);
        assert!(about(l.summary().max_ms, 3_600_000.0));
        assert_eq!(l.summary().p50_ms, 0.0);
    }

    #[test]
    fn empty_summary_is_zero() {
        let s = Latencies::new().summary();
        assert_eq!((s.p50_ms, s.p99_ms, s.max_ms), (0.0, 0.0, 0.0));
    }

    #[test]
    fn medians() {
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), Some(2.5));
        assert_eq!(median(&[f64::NAN, 5.0]), Some(5.0));
    }
}
