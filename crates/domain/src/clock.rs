//! The injected clock. Nothing in the domain reads the system time itself.

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use std::sync::Mutex;

pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;

    /// Time passed since some fixed start, from a clock nobody can set
    /// (`None` where there is none). It carries the centre's time between
    /// syncs when someone changes the PC's date and time.
    fn monotonic(&self) -> Option<std::time::Duration> {
        None
    }
}

/// The real wall clock, for binaries.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    // The one read of the wall clock (clippy.toml forbids it elsewhere).
    #[allow(clippy::disallowed_methods)]
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }

    fn monotonic(&self) -> Option<std::time::Duration> {
        static START: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
        Some(START.get_or_init(std::time::Instant::now).elapsed())
    }
}

/// A clock that only moves when told, for tests and simulations.
/// [`FixedClock::set`] and [`FixedClock::advance`] are time passing (its
/// monotonic reading follows); [`FixedClock::change_wall`] is someone
/// setting the PC's date and time (only the wall clock moves).
#[derive(Debug)]
pub struct FixedClock(Mutex<FixedState>);

#[derive(Debug)]
struct FixedState {
    wall: DateTime<Utc>,
    /// The wall clock minus the monotonic reading (moved by `change_wall`).
    base: DateTime<Utc>,
}

impl FixedClock {
    pub fn new(at: DateTime<Utc>) -> Self {
        Self(Mutex::new(FixedState { wall: at, base: at }))
    }
    pub fn set(&self, at: DateTime<Utc>) {
        let mut s = self.0.lock().unwrap();
        // Time never runs backwards: a set into the past moves the start.
        if at < s.wall {
            let back = s.wall - at;
            s.base -= back;
        }
        s.wall = at;
    }
    pub fn advance(&self, by: chrono::Duration) {
        let mut s = self.0.lock().unwrap();
        s.wall += by;
        if by < chrono::Duration::zero() {
            s.base += by;
        }
    }
    /// The PC's clock set wrong (or right) by `by`, while no time passes.
    pub fn change_wall(&self, by: chrono::Duration) {
        let mut s = self.0.lock().unwrap();
        s.wall += by;
        s.base += by;
    }
}

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        self.0.lock().unwrap().wall
    }

    fn monotonic(&self) -> Option<std::time::Duration> {
        let s = self.0.lock().unwrap();
        (s.wall - s.base).to_std().ok()
    }
}

impl<C: Clock + ?Sized> Clock for std::sync::Arc<C> {
    fn now(&self) -> DateTime<Utc> {
        (**self).now()
    }

    fn monotonic(&self) -> Option<std::time::Duration> {
        (**self).monotonic()
    }
}

/// India Standard Time (+05:30): the kiosk's business day.
pub fn ist() -> FixedOffset {
    FixedOffset::east_opt(5 * 3600 + 30 * 60).expect("valid offset")
}

/// The calendar date in India at an instant.
pub fn ist_date(at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&ist()).date_naive()
}

/// The UTC instants bounding an IST calendar day: `[start, end)`.
pub fn ist_day_bounds(day: NaiveDate) -> (DateTime<Utc>, DateTime<Utc>) {
    let start = day
        .and_hms_opt(0, 0, 0)
        .expect("midnight exists")
        .and_local_timezone(ist())
        .single()
        .expect("fixed offset is unambiguous")
        .with_timezone(&Utc);
    (start, start + chrono::Duration::days(1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};

    #[test]
    fn a_changed_wall_clock_leaves_the_monotonic_reading_alone() {
        let t0 = Utc.with_ymd_and_hms(2026, 3, 1, 6, 0, 0).unwrap();
        let c = FixedClock::new(t0);
        assert_eq!(c.monotonic(), Some(std::time::Duration::ZERO));
        c.advance(Duration::seconds(90));
        assert_eq!(c.monotonic(), Some(std::time::Duration::from_secs(90)));
        c.change_wall(Duration::days(90));
        assert_eq!(c.now(), t0 + Duration::days(90) + Duration::seconds(90));
        assert_eq!(c.monotonic(), Some(std::time::Duration::from_secs(90)));
        // Set back in time: the monotonic reading never runs backwards.
        c.set(t0);
        assert_eq!(c.monotonic(), Some(std::time::Duration::from_secs(90)));
        c.set(t0 + Duration::seconds(10));
        assert_eq!(c.monotonic(), Some(std::time::Duration::from_secs(100)));
    }

    #[test]
    fn the_system_clock_has_a_monotonic_reading() {
        let a = SystemClock.monotonic().unwrap();
        let b = SystemClock.monotonic().unwrap();
        assert!(b >= a);
    }
}
