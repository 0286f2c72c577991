//! The kiosk's business clock: this PC's clock corrected to the centre's.
//!
//! A kiosk PC's clock is often wrong (a dead CMOS battery, a holder who
//! sets it back to print yesterday's date). Receipts, outbox entries,
//! holds and the day they are filed under follow the centre's clock
//! instead: since the last answer in this process it is carried by the
//! monotonic clock (so a date changed between syncs changes nothing),
//! otherwise by the offset last measured (stored), and before the first
//! sync ever by this PC's clock alone.

use chrono::{DateTime, Utc};
use domain::Clock;
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Debug, Default, Clone, Copy)]
struct State {
    /// The centre's clock minus this PC's, as last measured (stored).
    offset_ms: Option<i64>,
    /// The centre's time at a monotonic reading, from the last answer in
    /// this process.
    anchor: Option<(i64, Duration)>,
}

pub struct CentreClock {
    pc: Arc<dyn Clock>,
    state: Mutex<State>,
}

impl std::fmt::Debug for CentreClock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CentreClock")
            .field("state", &*self.state.lock().unwrap())
            .finish()
    }
}

impl CentreClock {
    pub fn new(pc: Arc<dyn Clock>, offset_ms: Option<i64>) -> Self {
        Self {
            pc,
            state: Mutex::new(State {
                offset_ms,
                anchor: None,
            }),
        }
    }

    /// This PC's own clock, uncorrected.
    pub fn pc(&self) -> &dyn Clock {
        self.pc.as_ref()
    }

    /// The centre said it was `centre_ms` at monotonic reading `at`
    /// (the middle of the exchange), and the offset from this PC's clock
    /// was `offset_ms`.
    pub fn learn(&self, centre_ms: i64, offset_ms: i64, at: Option<Duration>) {
        let mut s = self.state.lock().unwrap();
        s.offset_ms = Some(offset_ms);
        s.anchor = at.map(|m| (centre_ms, m));
    }

    /// The centre's time was learnt in this process (on the monotonic clock).
    pub fn anchored(&self) -> bool {
        self.state.lock().unwrap().anchor.is_some()
    }

    pub(crate) fn set_offset(&self, offset_ms: i64) {
        self.state.lock().unwrap().offset_ms = Some(offset_ms);
    }

    /// How far this PC's clock was moved since the centre's time was last
    /// learnt in this process (positive: set forward), if it was.
    pub fn pc_moved_ms(&self) -> Option<i64> {
        let s = *self.state.lock().unwrap();
        let centre = self.anchored_ms(&s)?;
        let expected = centre - s.offset_ms?;
        Some(self.pc.now().timestamp_millis() - expected)
    }

    fn anchored_ms(&self, s: &State) -> Option<i64> {
        let (centre_ms, at) = s.anchor?;
        let now = self.pc.monotonic()?;
        let since = now.checked_sub(at)?;
        Some(centre_ms.saturating_add(since.as_millis() as i64))
    }
}

impl Clock for CentreClock {
    fn now(&self) -> DateTime<Utc> {
        let s = *self.state.lock().unwrap();
        if let Some(ms) = self.anchored_ms(&s)
            && let Some(t) = DateTime::<Utc>::from_timestamp_millis(ms)
        {
            return t;
        }
        let pc = self.pc.now();
        match s.offset_ms {
            Some(o) => pc + chrono::Duration::milliseconds(o),
            None => pc,
        }
    }

    fn monotonic(&self) -> Option<Duration> {
        self.pc.monotonic()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use domain::FixedClock;

    #[test]
    fn follows_the_centre_through_a_changed_pc_clock() {
        let truth = Utc.with_ymd_and_hms(2026, 3, 1, 6, 0, 0).unwrap();
        let pc = Arc::new(FixedClock::new(truth + chrono::Duration::days(90)));
        let c = CentreClock::new(pc.clone(), None);
        // Before any sync: the PC's clock.
        assert_eq!(c.now(), truth + chrono::Duration::days(90));
        assert_eq!(c.pc_moved_ms(), None);
        // Learnt: the centre's time.
        let offset = -chrono::Duration::days(90).num_milliseconds();
        c.learn(truth.timestamp_millis(), offset, pc.monotonic());
        assert_eq!(c.now(), truth);
        pc.advance(chrono::Duration::minutes(3));
        assert_eq!(c.now(), truth + chrono::Duration::minutes(3));
        assert_eq!(c.pc_moved_ms(), Some(0));
        // Someone sets the PC's date back two days: still the centre's time.
        pc.change_wall(-chrono::Duration::days(2));
        assert_eq!(c.now(), truth + chrono::Duration::minutes(3));
        assert_eq!(
            c.pc_moved_ms(),
            Some(-chrono::Duration::days(2).num_milliseconds())
        );
        // Another process (no anchor) goes by the stored offset.
        let other = CentreClock::new(pc.clone(), Some(offset));
        assert_eq!(
            other.now(),
            truth + chrono::Duration::minutes(3) - chrono::Duration::days(2)
        );
    }

    #[test]
    fn a_clock_without_a_monotonic_reading_goes_by_the_offset() {
        struct Wall(DateTime<Utc>);
        impl Clock for Wall {
            fn now(&self) -> DateTime<Utc> {
                self.0
            }
        }
        let t = Utc.with_ymd_and_hms(2026, 3, 1, 6, 0, 0).unwrap();
        let c = CentreClock::new(Arc::new(Wall(t)), None);
        c.learn(t.timestamp_millis() + 60_000, 60_000, None);
        assert_eq!(c.now(), t + chrono::Duration::minutes(1));
        assert_eq!(c.pc_moved_ms(), None);
    }
}
