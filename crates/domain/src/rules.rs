//! Counter rules: consumer contact, cheques, passwords, duplicates.

use crate::DomainError;
use chrono::{DateTime, Months, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// An Indian mobile number, stored as its 10 digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Mobile(String);

impl Mobile {
    /// Accepts `9876543210`, `+91 98765 43210`, `+91-9876543210`,
    /// `919876543210`, `09876543210`; the number must start with 6-9.
    pub fn parse(s: &str) -> Result<Mobile, DomainError> {
        let bad = || DomainError::MobileInvalid(s.chars().take(32).collect());
        let t = s.trim();
        let (plus, rest) = match t.strip_prefix('+') {
            Some(r) => (true, r),
            None => (false, t),
        };
        if !rest
            .chars()
            .all(|c| c.is_ascii_digit() || c == ' ' || c == '-')
        {
            return Err(bad());
        }
        let digits: String = rest.chars().filter(char::is_ascii_digit).collect();
        let ten = match (plus, digits.len()) {
            (true, 12) if digits.starts_with("91") => &digits[2..],
            (false, 12) if digits.starts_with("91") => &digits[2..],
            (false, 11) if digits.starts_with('0') => &digits[1..],
            (false, 10) => &digits[..],
            _ => return Err(bad()),
        };
        if !matches!(ten.as_bytes()[0], b'6'..=b'9') {
            return Err(bad());
        }
        Ok(Mobile(ten.to_string()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// `98******10`: what a receipt may show.
    pub fn masked(&self) -> String {
        format!("{}******{}", &self.0[..2], &self.0[8..])
    }
}
impl TryFrom<String> for Mobile {
    type Error = DomainError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Mobile::parse(&s)
    }
}
impl From<Mobile> for String {
    fn from(m: Mobile) -> String {
        m.0
    }
}

/// An e-mail address, checked for shape only (delivery proves the rest).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

impl Email {
    pub fn parse(s: &str) -> Result<Email, DomainError> {
        let bad = || DomainError::EmailInvalid(s.chars().take(64).collect());
        let t = s.trim();
        if t.len() > 254 || t.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(bad());
        }
        let (local, domain) = t.split_once('@').ok_or_else(bad)?;
        let domain_ok = !domain.contains('@')
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && domain
                .split('.')
                .all(|l| !l.is_empty() && l.chars().all(|c| c.is_alphanumeric() || c == '-'));
        if local.is_empty()
            || local.len() > 64
            || local.starts_with('.')
            || local.ends_with('.')
            || !domain_ok
        {
            return Err(bad());
        }
        Ok(Email(format!("{local}@{}", domain.to_lowercase())))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// `r***@example.com`
    pub fn masked(&self) -> String {
        let (local, domain) = self.0.split_once('@').expect("checked at parse");
        let first: String = local.chars().take(1).collect();
        format!("{first}***@{domain}")
    }
}
impl TryFrom<String> for Email {
    type Error = DomainError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Email::parse(&s)
    }
}
impl From<Email> for String {
    fn from(m: Email) -> String {
        m.0
    }
}

/// The consumer's contact: a mobile number or an e-mail address, at least one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    pub mobile: Option<Mobile>,
    pub email: Option<Email>,
}

impl Contact {
    /// Blank inputs count as absent.
    pub fn new(mobile: Option<&str>, email: Option<&str>) -> Result<Contact, DomainError> {
        let m = mobile.map(str::trim).filter(|s| !s.is_empty());
        let e = email.map(str::trim).filter(|s| !s.is_empty());
        if m.is_none() && e.is_none() {
            return Err(DomainError::ContactRequired);
        }
        Ok(Contact {
            mobile: m.map(Mobile::parse).transpose()?,
            email: e.map(Email::parse).transpose()?,
        })
    }
    /// For receipts: never the full number or address.
    pub fn masked(&self) -> String {
        match (&self.mobile, &self.email) {
            (Some(m), Some(e)) => format!("{} / {}", m.masked(), e.masked()),
            (Some(m), None) => m.masked(),
            (None, Some(e)) => e.masked(),
            (None, None) => String::new(),
        }
    }
}

/// A departmental cheque handed over at the counter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChequeDetails {
    pub number: String,
    pub date: NaiveDate,
    pub bank: String,
    pub payee: String,
}

impl ChequeDetails {
    /// Not post-dated, not older than three months (a cheque dated exactly
    /// three months back is still good), a 6-digit number, the right payee.
    pub fn validate(
        &self,
        today: NaiveDate,
        expected_payee: Option<&str>,
    ) -> Result<(), DomainError> {
        if self.number.len() != 6 || !self.number.chars().all(|c| c.is_ascii_digit()) {
            return Err(DomainError::ChequeNumberInvalid);
        }
        if self.bank.trim().is_empty() {
            return Err(DomainError::ChequeBankRequired);
        }
        if self.date > today {
            return Err(DomainError::ChequePostDated { date: self.date });
        }
        let oldest = today
            .checked_sub_months(Months::new(3))
            .expect("date in range");
        if self.date < oldest {
            return Err(DomainError::ChequeStale { date: self.date });
        }
        let Some(expected) = expected_payee else {
            return Err(DomainError::ChequeNotEnabled);
        };
        if normalise(&self.payee) != normalise(expected) {
            return Err(DomainError::ChequePayeeMismatch {
                expected: expected.to_string(),
            });
        }
        Ok(())
    }
}

fn normalise(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// At least 8 characters, a lowercase letter, an uppercase letter, a digit
/// (docs/domain.md "Passwords and logins").
pub fn check_password(p: &str) -> Result<(), DomainError> {
    if p.chars().count() < 8 {
        return Err(DomainError::PasswordTooShort);
    }
    if p.len() > 128 {
        return Err(DomainError::PasswordTooLong);
    }
    if !p.chars().any(char::is_lowercase) {
        return Err(DomainError::PasswordNoLowercase);
    }
    if !p.chars().any(char::is_uppercase) {
        return Err(DomainError::PasswordNoUppercase);
    }
    if !p.chars().any(|c| c.is_ascii_digit()) {
        return Err(DomainError::PasswordNoDigit);
    }
    Ok(())
}

/// The window in which a repeat payment (same service, same consumer
/// number) raises a warning the operator must confirm.
pub const DUPLICATE_WINDOW: chrono::Duration = chrono::Duration::days(30);

/// Is a payment at `now` a repeat of one made at `previous`?
pub fn is_within_duplicate_window(previous: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    let age = now - previous;
    // A previous payment "in the future" (a device clock that lied) still counts.
    age < DUPLICATE_WINDOW
}

/// A kiosk with no transaction for [`INACTIVITY_FINE_DAYS`] days is fined
/// [`INACTIVITY_FINE`]; the holder is warned from [`INACTIVITY_WARN_DAYS`]
/// (DOMAIN.md "Money": "warn the holder well before").
pub const INACTIVITY_WARN_DAYS: i64 = 20;
pub const INACTIVITY_FINE_DAYS: i64 = 30;
pub const INACTIVITY_FINE: crate::Paise = crate::Paise::new(1_000_00);

/// Whole days without a transaction: India's calendar days from the day
/// of `last` to the day of `now` (a payment at 23:50 is one day old ten
/// minutes later). Never negative, whatever a clock said.
pub fn days_without_transaction(last: DateTime<Utc>, now: DateTime<Utc>) -> i64 {
    (crate::clock::ist_date(now) - crate::clock::ist_date(last))
        .num_days()
        .max(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::ErrorCode;
    use chrono::TimeZone;
    use proptest::prelude::*;

    #[test]
    fn inactivity_counts_india_calendar_days() {
        // 23:50 IST on 1 December is 18:20 UTC.
        let last = Utc.with_ymd_and_hms(2026, 12, 1, 18, 20, 0).unwrap();
        let at = |d: u32, h: u32, m: u32| Utc.with_ymd_and_hms(2026, 12, d, h, m, 0).unwrap();
        assert_eq!(days_without_transaction(last, at(1, 18, 29)), 0);
        // 00:00 IST on 2 December.
        assert_eq!(days_without_transaction(last, at(1, 18, 30)), 1);
        // 23:59 IST on 20 December, then 00:00 IST on 21 and 31 December.
        assert_eq!(days_without_transaction(last, at(20, 18, 29)), 19);
        assert_eq!(
            days_without_transaction(last, at(20, 18, 30)),
            INACTIVITY_WARN_DAYS
        );
        assert_eq!(
            days_without_transaction(last, at(30, 18, 30)),
            INACTIVITY_FINE_DAYS
        );
        // A clock that went back.
        assert_eq!(days_without_transaction(last, at(1, 10, 0)), 0);
    }

    fn code<T: std::fmt::Debug>(r: Result<T, DomainError>) -> String {
        r.unwrap_err().code().to_string()
    }

    #[test]
    fn every_mobile_form() {
        for ok in [
            "9876543210",
            "6000000000",
            "7999999999",
            "8123456789",
            "+919876543210",
            "+91 9876543210",
            "+91-98765-43210",
            "+91 98765 43210",
            "919876543210",
            "09876543210",
            " 98765 43210 ",
        ] {
            let m = Mobile::parse(ok).unwrap_or_else(|e| panic!("{ok}: {e}"));
            assert_eq!(m.as_str().len(), 10, "{ok}");
        }
        assert_eq!(
            Mobile::parse("+91 98765 43210").unwrap().as_str(),
            "9876543210"
        );
        assert_eq!(Mobile::parse("09876543210").unwrap().as_str(), "9876543210");
        for bad in [
            "",
            "5876543210",
            "0876543210",
            "1234567890",
            "987654321",
            "98765432101",
            "+9198765432",
            "+929876543210",
            "+09876543210",
            "0091 9876543210",
            "98765a3210",
            "9876543210x",
            "९८७६५४३२१०",
            "++919876543210",
            "+91 5876543210",
            "00987654321",
        ] {
            assert_eq!(
                code(Mobile::parse(bad)),
                "contact.mobile_invalid",
                "{bad:?}"
            );
        }
        assert_eq!(Mobile::parse("9876543210").unwrap().masked(), "98******10");
    }

    #[test]
    fn emails() {
        assert_eq!(
            Email::parse(" Ram@Example.COM ").unwrap().as_str(),
            "Ram@example.com"
        );
        assert_eq!(
            Email::parse("ram.k@mail.rajasthan.gov.in")
                .unwrap()
                .masked(),
            "r***@mail.rajasthan.gov.in"
        );
        for bad in [
            "",
            "ram",
            "ram@",
            "@x.in",
            "ram@x",
            "ram@@x.in",
            "ram @x.in",
            "ram@x..in",
            ".ram@x.in",
            "ram@.x.in",
        ] {
            assert_eq!(code(Email::parse(bad)), "contact.email_invalid", "{bad:?}");
        }
    }

    #[test]
    fn contact_needs_at_least_one() {
        assert_eq!(code(Contact::new(None, None)), "contact.required");
        assert_eq!(code(Contact::new(Some("  "), Some(""))), "contact.required");
        assert!(Contact::new(Some("9876543210"), None).is_ok());
        assert!(Contact::new(None, Some("a@b.in")).is_ok());
        assert_eq!(
            code(Contact::new(Some("123"), Some("a@b.in"))),
            "contact.mobile_invalid"
        );
        let c = Contact::new(Some("9876543210"), Some("ram@x.in")).unwrap();
        assert_eq!(c.masked(), "98******10 / r***@x.in");
    }

    fn cheque(date: NaiveDate) -> ChequeDetails {
        ChequeDetails {
            number: "012345".into(),
            date,
            bank: "SBI Jaipur".into(),
            payee: "AO (CCC)".into(),
        }
    }
    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn cheque_date_edges() {
        let today = d(2026, 11, 21);
        let payee = Some("AO (CCC)");
        assert!(cheque(today).validate(today, payee).is_ok());
        // Exactly three months old: still good; a day older: stale.
        assert!(cheque(d(2026, 8, 21)).validate(today, payee).is_ok());
        assert_eq!(
            code(cheque(d(2026, 8, 20)).validate(today, payee)),
            "cheque.stale"
        );
        // Post-dated by one day.
        assert_eq!(
            code(cheque(d(2026, 11, 22)).validate(today, payee)),
            "cheque.post_dated"
        );
        assert_eq!(
            code(cheque(d(2027, 1, 1)).validate(today, payee)),
            "cheque.post_dated"
        );
        // Month-end: 31 May minus three months is 28/29 February.
        assert!(
            cheque(d(2024, 2, 29))
                .validate(d(2024, 5, 31), payee)
                .is_ok()
        );
        assert_eq!(
            code(cheque(d(2024, 2, 28)).validate(d(2024, 5, 31), payee)),
            "cheque.stale"
        );
        assert!(
            cheque(d(2025, 2, 28))
                .validate(d(2025, 5, 31), payee)
                .is_ok()
        );
        // Across a year boundary.
        assert!(
            cheque(d(2025, 10, 15))
                .validate(d(2026, 1, 15), payee)
                .is_ok()
        );
        assert_eq!(
            code(cheque(d(2025, 10, 14)).validate(d(2026, 1, 15), payee)),
            "cheque.stale"
        );
    }

    #[test]
    fn cheque_number_payee_and_bank() {
        let today = d(2026, 11, 21);
        let mut c = cheque(today);
        for bad in ["12345", "1234567", "12345a", "१२३४५६", ""] {
            c.number = bad.into();
            assert_eq!(
                code(c.validate(today, Some("AO (CCC)"))),
                "cheque.number_invalid",
                "{bad}"
            );
        }
        let mut c = cheque(today);
        c.payee = "  ao  (ccc) ".into();
        assert!(
            c.validate(today, Some("AO (CCC)")).is_ok(),
            "case and spacing do not matter"
        );
        c.payee = "District e-Governance Society, Jaipur".into();
        assert_eq!(
            code(c.validate(today, Some("AO (CCC)"))),
            "cheque.payee_mismatch"
        );
        assert_eq!(code(c.validate(today, None)), "cheque.not_enabled");
        let mut c = cheque(today);
        c.bank = " ".into();
        assert_eq!(
            code(c.validate(today, Some("AO (CCC)"))),
            "cheque.bank_required"
        );
    }

    #[test]
    fn password_policy() {
        assert!(check_password("Kiosk2026").is_ok());
        assert!(check_password("aB3dEfGh").is_ok());
        assert_eq!(code(check_password("aB3dEfG")), "password.too_short");
        assert_eq!(code(check_password("KIOSK2026")), "password.no_lowercase");
        assert_eq!(code(check_password("kiosk2026")), "password.no_uppercase");
        assert_eq!(code(check_password("KioskKiosk")), "password.no_digit");
        assert_eq!(code(check_password(&"Aa1".repeat(50))), "password.too_long");
    }

    #[test]
    fn duplicate_window() {
        let t0 = Utc.with_ymd_and_hms(2026, 10, 1, 10, 0, 0).unwrap();
        assert!(is_within_duplicate_window(t0, t0));
        assert!(is_within_duplicate_window(
            t0,
            t0 + chrono::Duration::days(30) - chrono::Duration::seconds(1)
        ));
        assert!(!is_within_duplicate_window(
            t0,
            t0 + chrono::Duration::days(30)
        ));
        assert!(
            is_within_duplicate_window(t0 + chrono::Duration::days(2), t0),
            "a future-dated previous payment still warns"
        );
    }

    proptest! {
        #[test]
        fn any_valid_ten_digits_parse_in_every_form(first in 6u8..=9, rest in 0u64..1_000_000_000) {
            let ten = format!("{first}{rest:09}");
            for form in [ten.clone(), format!("+91{ten}"), format!("+91 {ten}"), format!("0{ten}"), format!("91{ten}")] {
                let m = Mobile::parse(&form).unwrap();
                prop_assert_eq!(m.as_str(), ten.as_str());
            }
        }

        #[test]
        fn passwords_shorter_than_8_always_fail(p in "[a-zA-Z0-9]{0,7}") {
            prop_assert!(check_password(&p).is_err());
        }

        #[test]
        fn cheques_within_three_months_pass(days_back in 0i64..=89) {
            let today = d(2026, 11, 21);
            let date = today - chrono::Duration::days(days_back);
            prop_assert!(cheque(date).validate(today, Some("AO (CCC)")).is_ok());
        }
    }
}
