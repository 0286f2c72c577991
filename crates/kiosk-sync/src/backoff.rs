//! Retry timing: capped exponential backoff with full jitter, and batch
//! sizing from the measured link. Both are pure: the RNG is injected.

use std::time::Duration;

/// A source of random bits, injected so simulations replay exactly.
pub trait JitterRng: Send {
    fn next_u64(&mut self) -> u64;
    /// Uniform in `[0, 1)`.
    fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// SplitMix64: tiny, seedable, plenty for jitter.
#[derive(Debug, Clone, Default)]
pub struct SplitMix(pub u64);

impl SplitMix {
    /// Seeded from the OS, for production.
    pub fn from_os() -> Self {
        let mut b = [0u8; 8];
        let _ = getrandom::fill(&mut b);
        SplitMix(u64::from_le_bytes(b))
    }
}

impl JitterRng for SplitMix {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

/// Capped exponential backoff with full jitter: the n-th retry waits a
/// uniform time in `[0, min(cap, base·2ⁿ)]`, so many kiosks recovering
/// from one outage do not hit the centre in step.
#[derive(Debug, Clone)]
pub struct Backoff {
    pub base: Duration,
    pub cap: Duration,
    attempt: u32,
}

impl Backoff {
    pub fn new(base: Duration, cap: Duration) -> Self {
        Backoff {
            base,
            cap,
            attempt: 0,
        }
    }

    /// The ceiling of the next delay (before jitter).
    pub fn ceiling(&self) -> Duration {
        let factor = 1u64.checked_shl(self.attempt.min(30)).unwrap_or(u64::MAX);
        self.base
            .saturating_mul(factor.min(u32::MAX as u64) as u32)
            .min(self.cap)
    }

    /// The delay before the next retry; counts the failure.
    pub fn next_delay(&mut self, rng: &mut dyn JitterRng) -> Duration {
        let d = self.ceiling().mul_f64(rng.unit());
        self.attempt = self.attempt.saturating_add(1);
        d
    }

    pub fn attempts(&self) -> u32 {
        self.attempt
    }

    /// After a success (or a healed link) retries start small again.
    pub fn reset(&mut self) {
        self.attempt = 0;
    }
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff::new(Duration::from_millis(500), Duration::from_secs(60))
    }
}

/// Sizes push batches so each request finishes in about `target` on the
/// link as measured (bytes per second through whole requests, round trip
/// included), between `min` and `max` entries.
#[derive(Debug, Clone)]
pub struct BatchSizer {
    pub target: Duration,
    pub min: usize,
    pub max: usize,
    /// Smoothed bytes/second of whole requests; `None` before the first.
    rate: Option<f64>,
    /// Smoothed compressed bytes per entry.
    per_entry: f64,
    /// Ceiling after the centre refused a body as too large; doubles back
    /// towards `max` with each success.
    cap: usize,
}

impl BatchSizer {
    pub fn new(target: Duration, min: usize, max: usize) -> Self {
        // A postcard+zstd bill payment is ~60 bytes at batch 50 (see protocol).
        BatchSizer {
            target,
            min,
            max,
            rate: None,
            per_entry: 80.0,
            cap: max,
        }
    }

    /// Entries for the next push.
    pub fn next_size(&self) -> usize {
        self.unclamped().min(self.cap).max(1)
    }

    fn unclamped(&self) -> usize {
        match self.rate {
            // First request on an unknown link: a size that takes a few
            // seconds even at 20 kbps.
            None => 50usize.clamp(self.min, self.max),
            Some(rate) => {
                let n = (rate * self.target.as_secs_f64() / self.per_entry.max(1.0)) as usize;
                n.clamp(self.min, self.max)
            }
        }
    }

    /// Records a completed push: request and answer bytes, entries, elapsed.
    pub fn observe(&mut self, bytes: usize, entries: usize, elapsed: Duration) {
        if entries == 0 || elapsed.is_zero() {
            return;
        }
        let rate = bytes as f64 / elapsed.as_secs_f64();
        // Even-handed: a batch made small by an earlier cut measures a lower
        // rate (the round trip weighs more), so a smoothing that trusts
        // slow samples more than fast ones would ratchet down to the floor.
        self.rate = Some(match self.rate {
            None => rate,
            Some(old) => 0.5 * old + 0.5 * rate,
        });
        let per = bytes as f64 / entries as f64;
        self.per_entry = 0.7 * self.per_entry + 0.3 * per;
    }

    /// The centre refused a batch of `sent` entries as too large: halve it,
    /// down to one entry, so an oversized batch never blocks the queue.
    pub fn too_large(&mut self, sent: usize) {
        self.cap = (sent / 2).max(1);
    }

    /// A push went through: let a lowered ceiling grow back.
    pub fn succeeded(&mut self) {
        self.cap = self.cap.saturating_mul(2).min(self.max);
    }

    /// A push cut by the link (reset, time-out, black hole). That says
    /// nothing about the link's rate, so the rate stays; the next batch is
    /// half the measured size (a shorter request is less likely to be hit
    /// again), and it grows back with the next success. Failures in a row
    /// do not compound: a black hole costs one halving, not a collapse.
    pub fn observe_failure(&mut self) {
        let half = (self.unclamped() / 2).max(self.min).max(1);
        self.cap = self.cap.min(half);
    }

    pub fn rate(&self) -> Option<f64> {
        self.rate
    }
}

impl Default for BatchSizer {
    fn default() -> Self {
        BatchSizer::new(
            Duration::from_secs(6),
            10,
            protocol::wire::MAX_BATCH_ENTRIES,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A link of `rtt` round trip and `bps` bytes/s: how long `n` entries
    /// of `per` bytes take (plus 400 bytes of headers and answer).
    fn took(n: usize, per: usize, rtt: f64, bps: f64) -> (usize, Duration) {
        let bytes = n * per + 400;
        (bytes, Duration::from_secs_f64(rtt + bytes as f64 / bps))
    }

    #[test]
    fn batches_recover_after_resets_and_a_black_hole_costs_one_halving() {
        // 2G: 1.4 s round trip, 2,000 B/s, 60 B per entry.
        let (rtt, bps, per) = (1.4, 2_000.0, 60);
        let mut s = BatchSizer::new(Duration::from_secs(6), 10, 500);
        let mut n = s.next_size();
        for _ in 0..20 {
            let (b, t) = took(n, per, rtt, bps);
            s.observe(b, n, t);
            s.succeeded();
            n = s.next_size();
        }
        let steady = n;
        assert!(steady >= 100, "steady size {steady}");
        // Resets every few requests: the size dips and comes back.
        for round in 0..10 {
            s.observe_failure();
            let dipped = s.next_size();
            assert!(
                dipped >= steady * 2 / 5,
                "round {round}: {dipped} vs {steady}"
            );
            for _ in 0..3 {
                let n = s.next_size();
                let (b, t) = took(n, per, rtt, bps);
                s.observe(b, n, t);
                s.succeeded();
            }
        }
        assert!(
            s.next_size() >= steady * 8 / 10,
            "{} vs {steady}",
            s.next_size()
        );
        // A black hole: twenty time-outs in a row cost one halving, and
        // the first success after it restores the size.
        for _ in 0..20 {
            s.observe_failure();
        }
        assert!(s.next_size() >= steady * 2 / 5);
        let n = s.next_size();
        let (b, t) = took(n, per, rtt, bps);
        s.observe(b, n, t);
        s.succeeded();
        assert!(
            s.next_size() >= steady * 8 / 10,
            "{} vs {steady}",
            s.next_size()
        );
        // Starting small (a batch cut down by resets), it grows back.
        let mut small = BatchSizer::new(Duration::from_secs(6), 10, 500);
        let mut n = 11;
        for _ in 0..10 {
            let (b, t) = took(n, per, rtt, bps);
            small.observe(b, n, t);
            small.succeeded();
            n = small.next_size();
        }
        assert!(n >= steady * 8 / 10, "grew back to {n} of {steady}");
    }

    #[test]
    fn backoff_grows_to_the_cap_with_full_jitter_and_resets() {
        let mut b = Backoff::new(Duration::from_millis(100), Duration::from_secs(2));
        let mut rng = SplitMix(1);
        let mut ceilings = Vec::new();
        for _ in 0..8 {
            let c = b.ceiling();
            let d = b.next_delay(&mut rng);
            assert!(d <= c, "{d:?} above ceiling {c:?}");
            ceilings.push(c.as_millis());
        }
        assert_eq!(ceilings, [100, 200, 400, 800, 1600, 2000, 2000, 2000]);
        b.reset();
        assert_eq!(b.ceiling(), Duration::from_millis(100));
        // Full jitter: delays spread over the whole range, not near the cap.
        let mut b = Backoff::new(Duration::from_secs(1), Duration::from_secs(1));
        let ds: Vec<f64> = (0..1000)
            .map(|_| b.next_delay(&mut rng).as_secs_f64())
            .collect();
        let mean = ds.iter().sum::<f64>() / ds.len() as f64;
        assert!((0.4..0.6).contains(&mean), "mean {mean}");
        assert!(ds.iter().any(|d| *d < 0.05) && ds.iter().any(|d| *d > 0.95));
        // Huge attempt counts do not overflow.
        for _ in 0..100 {
            b.next_delay(&mut rng);
        }
        assert!(b.ceiling() <= Duration::from_secs(1));
    }

    #[test]
    fn same_seed_same_delays() {
        let run = |seed| {
            let mut b = Backoff::default();
            let mut r = SplitMix(seed);
            (0..10).map(|_| b.next_delay(&mut r)).collect::<Vec<_>>()
        };
        assert_eq!(run(7), run(7));
        assert_ne!(run(7), run(8));
    }

    #[test]
    fn batch_size_follows_the_measured_link() {
        let mut s = BatchSizer::new(Duration::from_secs(5), 10, 500);
        assert_eq!(s.next_size(), 50);
        // 20 kbps = 2,500 B/s, 60 B per entry: ~200 entries in 5 s.
        for _ in 0..20 {
            s.observe(6_000, 100, Duration::from_millis(2400));
        }
        let n = s.next_size();
        assert!((180..=230).contains(&n), "{n}");
        // A fast link hits the cap; a dreadful one the floor.
        let mut fast = BatchSizer::new(Duration::from_secs(5), 10, 500);
        fast.observe(1_000_000, 100, Duration::from_millis(100));
        assert_eq!(fast.next_size(), 500);
        let mut slow = BatchSizer::new(Duration::from_secs(5), 10, 500);
        slow.observe(100, 10, Duration::from_secs(10));
        assert_eq!(slow.next_size(), 10);
        slow.observe_failure();
        assert_eq!(slow.next_size(), 10);
        // A cut never goes below a ceiling the centre set (HTTP 413).
        let mut s413 = BatchSizer::new(Duration::from_secs(5), 10, 500);
        s413.too_large(8);
        s413.observe_failure();
        assert_eq!(s413.next_size(), 4);
        // Too large: halve down to one, then grow back on success.
        let mut s = BatchSizer::new(Duration::from_secs(5), 10, 500);
        s.too_large(50);
        assert_eq!(s.next_size(), 25);
        s.too_large(1);
        assert_eq!(s.next_size(), 1);
        s.succeeded();
        s.succeeded();
        assert_eq!(s.next_size(), 4);
    }
}
