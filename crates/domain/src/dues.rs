//! Dues from a security deposit (DOMAIN.md "Money"): a deposit credited as
//! a limit lets payments take the wallet below zero; the amount below zero
//! is **dues**, payable by the next bank working day after the day the
//! balance first went below zero, else 18% a year simple interest.
//!
//! - A bank working day is any day but a Sunday and the 2nd and 4th
//!   Saturday of its month. Bank holidays (national, state, RBI's list)
//!   are not known here: on such a day the dues are still due, and the
//!   centre's staff waive what it wrongly accrued.
//! - The dues fall due at the end of the due date; from the day after,
//!   each day accrues interest on the dues outstanding at that day's start
//!   (00:00 IST), including the current day.
//! - One day's interest is `dues × 18 / 36,500` paise, rounded down (in the
//!   kiosk's favour) to whole paise, every year taken as 365 days; the
//!   interest so far is the sum of the days' whole paise.
//!
//! Days are Indian calendar dates ([`crate::clock::ist_date`]).

use crate::Paise;
use chrono::{Datelike, Duration, NaiveDate, Weekday};

/// Simple interest on overdue dues, percent a year.
pub const INTEREST_PERCENT_A_YEAR: i64 = 18;

/// Days in the interest year, leap years too.
pub const DAYS_A_YEAR: i64 = 365;

/// Not a Sunday, not the 2nd or 4th Saturday of the month.
pub fn is_bank_working_day(d: NaiveDate) -> bool {
    match d.weekday() {
        Weekday::Sun => false,
        // The n-th Saturday of a month falls on days 7n-6 ..= 7n.
        Weekday::Sat => !matches!((d.day() - 1) / 7 + 1, 2 | 4),
        _ => true,
    }
}

/// The first bank working day after `day`.
pub fn next_bank_working_day(day: NaiveDate) -> NaiveDate {
    let mut d = day + Duration::days(1);
    while !is_bank_working_day(d) {
        d += Duration::days(1);
    }
    d
}

/// When dues that arose on `first_below_zero` must be paid by.
pub fn due_date(first_below_zero: NaiveDate) -> NaiveDate {
    next_bank_working_day(first_below_zero)
}

/// One day's interest on `dues`, in whole paise (rounded down); nothing on
/// no dues.
pub fn daily_interest(dues: Paise) -> Paise {
    let d = dues.as_i64().max(0);
    // d ≤ i64::MAX / 18 for any amount the ledger can hold (≤ 100 crore
    // rupees is 10^11 paise); saturating keeps a corrupt figure finite.
    Paise::new(d.saturating_mul(INTEREST_PERCENT_A_YEAR) / (100 * DAYS_A_YEAR))
}

/// The interest accrued through `today` on dues due on `due`: one
/// [`daily_interest`] for each day after `due` up to and including
/// `today`, on `dues_at_start(day)`.
pub fn interest_through(
    due: NaiveDate,
    today: NaiveDate,
    mut dues_at_start: impl FnMut(NaiveDate) -> Paise,
) -> Paise {
    let mut total = 0i64;
    let mut d = due + Duration::days(1);
    while d <= today {
        total = total.saturating_add(daily_interest(dues_at_start(d)).as_i64());
        d += Duration::days(1);
    }
    Paise::new(total)
}

/// Whether dues due on `due` are, on `today`, not yet due, due today or
/// overdue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DueState {
    Upcoming,
    DueToday,
    Overdue,
}

pub fn due_state(due: NaiveDate, today: NaiveDate) -> DueState {
    if today < due {
        DueState::Upcoming
    } else if today == due {
        DueState::DueToday
    } else {
        DueState::Overdue
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn bank_working_days() {
        // November 2026: Saturdays 7 (1st), 14 (2nd), 21 (3rd), 28 (4th).
        assert!(is_bank_working_day(d(2026, 11, 7)));
        assert!(!is_bank_working_day(d(2026, 11, 14)));
        assert!(is_bank_working_day(d(2026, 11, 21)));
        assert!(!is_bank_working_day(d(2026, 11, 28)));
        assert!(!is_bank_working_day(d(2026, 11, 22)), "a Sunday");
        assert!(is_bank_working_day(d(2026, 11, 23)), "a Monday");
        // A month with five Saturdays: the 5th is a working day.
        // August 2026: Saturdays 1, 8, 15, 22, 29.
        assert!(!is_bank_working_day(d(2026, 8, 8)));
        assert!(!is_bank_working_day(d(2026, 8, 22)));
        assert!(is_bank_working_day(d(2026, 8, 29)));
    }

    #[test]
    fn due_dates() {
        // A Friday before a 2nd Saturday, and before a 4th: the Monday.
        assert_eq!(due_date(d(2026, 11, 13)), d(2026, 11, 16));
        assert_eq!(due_date(d(2026, 11, 27)), d(2026, 11, 30));
        // A Friday before a 1st or 3rd Saturday: that Saturday.
        assert_eq!(due_date(d(2026, 11, 6)), d(2026, 11, 7));
        assert_eq!(due_date(d(2026, 11, 20)), d(2026, 11, 21));
        // A 1st Saturday, and a Sunday: the Monday.
        assert_eq!(due_date(d(2026, 11, 7)), d(2026, 11, 9));
        assert_eq!(due_date(d(2026, 11, 22)), d(2026, 11, 23));
        // A plain weekday: the next day; across a month's end too.
        assert_eq!(due_date(d(2026, 11, 17)), d(2026, 11, 18));
        assert_eq!(due_date(d(2026, 11, 30)), d(2026, 12, 1));
        // A Friday before the 2nd Saturday of a month starting on a Saturday.
        // August 2026: Friday 7 → Saturday 8 is the 2nd → Monday 10.
        assert_eq!(due_date(d(2026, 8, 7)), d(2026, 8, 10));
    }

    #[test]
    fn interest_in_whole_paise_a_day_rounded_down() {
        // ₹10,000 of dues: 10,00,000 × 18 / 36,500 = 493.15… → 493 paise a day.
        assert_eq!(daily_interest(Paise::new(10_00_000)), Paise::new(493));
        // ₹50,000: 24,65.75… → 2,465.
        assert_eq!(daily_interest(Paise::new(50_00_000)), Paise::new(2_465));
        // Small dues accrue nothing until a day's interest reaches a paisa.
        assert_eq!(daily_interest(Paise::new(2_027)), Paise::ZERO);
        assert_eq!(daily_interest(Paise::new(2_028)), Paise::new(1));
        assert_eq!(daily_interest(Paise::new(-5)), Paise::ZERO);
        let due = d(2026, 11, 30);
        // Nothing on or before the due date.
        assert_eq!(
            interest_through(due, due, |_| Paise::new(50_00_000)),
            Paise::ZERO
        );
        // Three days late, the dues falling to ₹30,000 on the third:
        // 2,465 + 2,465 + 1,479.
        let i = interest_through(due, d(2026, 12, 3), |day| {
            Paise::new(if day < d(2026, 12, 3) {
                50_00_000
            } else {
                30_00_000
            })
        });
        assert_eq!(i, Paise::new(2_465 + 2_465 + 1_479));
        assert_eq!(due_state(due, d(2026, 11, 29)), DueState::Upcoming);
        assert_eq!(due_state(due, due), DueState::DueToday);
        assert_eq!(due_state(due, d(2026, 12, 1)), DueState::Overdue);
    }
}
