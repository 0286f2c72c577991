//! Identifiers: UUIDv7 made on the kiosk, kiosk codes and local receipt numbers.

use crate::{Clock, DomainError};
use serde::{Deserialize, Serialize};
use std::fmt;
use uuid::Uuid;

/// A new UUIDv7 whose time part comes from the injected clock (random bits
/// from the OS), so ids sort by creation time.
pub fn new_id(clock: &dyn Clock) -> Uuid {
    let now = clock.now();
    let ts = uuid::Timestamp::from_unix(
        uuid::NoContext,
        now.timestamp().max(0) as u64,
        now.timestamp_subsec_nanos(),
    );
    Uuid::new_v7(ts)
}

/// A kiosk's code at the centre, e.g. `K10023456`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct KioskCode(String);

impl KioskCode {
    pub fn parse(s: &str) -> Result<Self, DomainError> {
        let t = s.trim().to_ascii_uppercase();
        let ok = (4..=16).contains(&t.len())
            && t.chars().next().is_some_and(|c| c.is_ascii_uppercase())
            && t.chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
        if ok {
            Ok(KioskCode(t))
        } else {
            Err(DomainError::KioskCodeInvalid(s.to_string()))
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for KioskCode {
    type Error = DomainError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        KioskCode::parse(&s)
    }
}
impl From<KioskCode> for String {
    fn from(k: KioskCode) -> String {
        k.0
    }
}
impl fmt::Display for KioskCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A device's number within its kiosk (1-999), given at registration, so
/// that two counters of one kiosk never mint the same receipt number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "u16", into = "u16")]
pub struct DeviceNo(u16);

impl DeviceNo {
    pub fn new(n: u16) -> Result<Self, DomainError> {
        if (1..=999).contains(&n) {
            Ok(DeviceNo(n))
        } else {
            Err(DomainError::DeviceNoInvalid)
        }
    }
    pub fn get(self) -> u16 {
        self.0
    }
}
impl TryFrom<u16> for DeviceNo {
    type Error = DomainError;
    fn try_from(n: u16) -> Result<Self, Self::Error> {
        DeviceNo::new(n)
    }
}
impl From<DeviceNo> for u16 {
    fn from(d: DeviceNo) -> u16 {
        d.0
    }
}

/// A receipt number the kiosk makes with no server: kiosk code, device
/// number and the device's receipt sequence — unique forever, e.g.
/// `K10023456-001-0000042`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ReceiptNo {
    pub kiosk: KioskCode,
    pub device: DeviceNo,
    pub seq: u64,
}

impl ReceiptNo {
    pub fn new(kiosk: KioskCode, device: DeviceNo, seq: u64) -> Self {
        ReceiptNo { kiosk, device, seq }
    }
    pub fn parse(s: &str) -> Result<Self, DomainError> {
        let bad = || DomainError::ReceiptNoInvalid(s.to_string());
        let mut it = s.trim().split('-');
        let (k, d, q) = (
            it.next().ok_or_else(bad)?,
            it.next().ok_or_else(bad)?,
            it.next().ok_or_else(bad)?,
        );
        if it.next().is_some()
            || d.len() != 3
            || q.len() < 7
            || !q.chars().all(|c| c.is_ascii_digit())
        {
            return Err(bad());
        }
        let kiosk = KioskCode::parse(k).map_err(|_| bad())?;
        let device = DeviceNo::new(d.parse().map_err(|_| bad())?).map_err(|_| bad())?;
        let seq: u64 = q.parse().map_err(|_| bad())?;
        if seq == 0 {
            return Err(bad());
        }
        Ok(ReceiptNo { kiosk, device, seq })
    }
}

impl fmt::Display for ReceiptNo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{:03}-{:07}", self.kiosk, self.device.0, self.seq)
    }
}
impl TryFrom<String> for ReceiptNo {
    type Error = DomainError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        ReceiptNo::parse(&s)
    }
}
impl From<ReceiptNo> for String {
    fn from(r: ReceiptNo) -> String {
        r.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::FixedClock;
    use chrono::TimeZone;
    use proptest::prelude::*;

    #[test]
    fn v7_ids_take_time_from_the_injected_clock() {
        let c = FixedClock::new(chrono::Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap());
        let a = new_id(&c);
        c.advance(chrono::Duration::milliseconds(2));
        let b = new_id(&c);
        assert_eq!(a.get_version_num(), 7);
        assert!(a < b);
        let (secs, _) = a.get_timestamp().unwrap().to_unix();
        assert_eq!(secs as i64, c.now().timestamp());
    }

    #[test]
    fn kiosk_codes() {
        assert_eq!(
            KioskCode::parse(" k10023456 ").unwrap().as_str(),
            "K10023456"
        );
        for bad in [
            "",
            "K1",
            "1000",
            "K-100",
            "K 100",
            "कियोस्क",
            "KABCDEFGHIJKLMNOPQ",
        ] {
            assert!(KioskCode::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn receipt_numbers() {
        let r = ReceiptNo::new(
            KioskCode::parse("K1001").unwrap(),
            DeviceNo::new(1).unwrap(),
            42,
        );
        assert_eq!(r.to_string(), "K1001-001-0000042");
        assert_eq!(ReceiptNo::parse("K1001-001-0000042").unwrap(), r);
        for bad in [
            "K1001-001-0000000",
            "K1001-1-0000042",
            "K1001-000-0000042",
            "K1001-001-42",
            "x-001-0000001",
            "K1001-001-0000042-1",
        ] {
            assert!(ReceiptNo::parse(bad).is_err(), "{bad}");
        }
    }

    proptest! {
        #[test]
        fn receipt_no_round_trips(d in 1u16..=999, s in 1u64..u64::MAX) {
            let r = ReceiptNo::new(KioskCode::parse("K1234567").unwrap(), DeviceNo::new(d).unwrap(), s);
            prop_assert_eq!(ReceiptNo::parse(&r.to_string()).unwrap(), r);
        }
    }
}

/// Who a login is at a kiosk: one home for the kiosk, the app and the
/// centre (stored and sent as `holder` / `operator`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The kiosk holder: users, devices, funds, cancellations, printers.
    Holder,
    /// Transactions, service delivery, reports.
    Operator,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Holder => "holder",
            Role::Operator => "operator",
        }
    }
    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "holder" => Some(Role::Holder),
            "operator" => Some(Role::Operator),
            _ => None,
        }
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Longest login a kiosk user may have.
pub const LOGIN_MAX: usize = 32;

/// The login rule the kiosk and the centre share for the users a holder
/// adds: 3 to [`LOGIN_MAX`] of `a-z`, `0-9`, `.`, `_`, `-` (the kiosk
/// lowercases what is typed, so one name cannot be two logins).
pub fn login_ok(s: &str) -> bool {
    (3..=LOGIN_MAX).contains(&s.len())
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'))
}

#[cfg(test)]
mod login_tests {
    #[test]
    fn logins_are_short_lowercase_words() {
        for good in ["op1", "ram.lal", "k1001-h", "a_b", &"x".repeat(32)] {
            assert!(super::login_ok(good), "{good}");
        }
        for bad in ["", "ab", "Ram", "ram lal", "राम", "a@b", &"x".repeat(33)] {
            assert!(!super::login_ok(bad), "{bad}");
        }
    }
}
