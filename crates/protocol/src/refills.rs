//! Wallet refills and security-deposit dues as kiosk and centre exchange
//! them (DOMAIN.md "Money").
//!
//! - A **refill request** is an outbox entry of kind
//!   [`crate::EntryKind::RefillRequest`] with a [`RefillPayload`]: the
//!   holder says how much was sent to the kiosk's account, how, and the
//!   bank's reference. The centre records it as pending; its staff credit
//!   it through the ledger (the line names the request) or reject it with
//!   a reason. Each change comes back on the pull as a [`RefillUpdate`]
//!   (cursor [`crate::Cursor::refills_after`]).
//! - **Dues**: the centre may grant a kiosk a security-deposit limit;
//!   payments may then take the wallet down to minus that limit. The pull
//!   carries the limit and the dues ([`WalletTerms`]); the rules of the due
//!   date and the interest are [`domain::dues`].
//!
//! The checks of a request ([`check_request`]) are the same on both sides:
//! the kiosk refuses before it stores anything, the centre refuses an entry
//! that does not pass them (a kiosk of another build, a forged entry).

use domain::{ErrorCode, Paise};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// How the money was sent (DOMAIN.md "Money": net banking, a payment
/// aggregator, NEFT/RTGS to the kiosk's virtual account, or a transfer
/// from an older account).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefillMode {
    NeftRtgs,
    NetBanking,
    PaymentGateway,
    Transfer,
}

/// The modes, in the order a screen offers them.
pub const REFILL_MODES: &[&str] = &["neft_rtgs", "net_banking", "payment_gateway", "transfer"];

impl RefillMode {
    pub fn as_str(self) -> &'static str {
        match self {
            RefillMode::NeftRtgs => "neft_rtgs",
            RefillMode::NetBanking => "net_banking",
            RefillMode::PaymentGateway => "payment_gateway",
            RefillMode::Transfer => "transfer",
        }
    }
    pub fn parse(s: &str) -> Option<RefillMode> {
        Some(match s {
            "neft_rtgs" => RefillMode::NeftRtgs,
            "net_banking" => RefillMode::NetBanking,
            "payment_gateway" => RefillMode::PaymentGateway,
            "transfer" => RefillMode::Transfer,
            _ => return None,
        })
    }
    /// The bank's reference is what the centre matches the credit by: an
    /// NEFT/RTGS UTR or the transfer's reference must be given; a net
    /// banking or gateway payment is found by the centre without one.
    pub fn reference_required(self) -> bool {
        matches!(self, RefillMode::NeftRtgs | RefillMode::Transfer)
    }
}

/// The largest refill one request may name: ₹10,00,000.
pub const REFILL_MAX: Paise = Paise::new(10_00_000_00);

/// The largest security-deposit limit the centre grants: ₹10,00,000.
pub const DEPOSIT_LIMIT_MAX: Paise = Paise::new(10_00_000_00);

/// Characters of a rejection's reason the centre keeps.
pub const REASON_MAX_CHARS: usize = 200;

/// A request's states at the centre.
pub const STATUS_PENDING: &str = "pending";
pub const STATUS_CREDITED: &str = "credited";
pub const STATUS_REJECTED: &str = "rejected";

/// Payload of a [`crate::EntryKind::RefillRequest`] entry (postcard).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefillPayload {
    /// Made on the kiosk; the centre's id of the request too.
    pub request_id: Uuid,
    /// The holder's login.
    pub requested_by: String,
    pub amount: Paise,
    /// One of [`REFILL_MODES`].
    pub mode: String,
    /// As [`normalise_reference`] leaves it.
    pub reference: Option<String>,
}

impl RefillPayload {
    pub fn encode(&self) -> Vec<u8> {
        postcard::to_stdvec(self).expect("postcard encoding cannot fail")
    }
    pub fn decode(bytes: &[u8]) -> Result<Self, postcard::Error> {
        postcard::from_bytes(bytes)
    }
}

/// One change of a request at the centre, as the pull carries it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefillUpdate {
    /// Increasing per kiosk: the pull cursor's `refills_after`.
    pub id: i64,
    pub request_id: Uuid,
    /// [`STATUS_PENDING`], [`STATUS_CREDITED`] or [`STATUS_REJECTED`].
    pub status: String,
    pub amount: Paise,
    /// The ledger transaction of the credit.
    pub txn_id: Option<i64>,
    /// Why it was rejected (empty otherwise).
    pub reason: String,
    pub at_ms: i64,
}

/// The kiosk's security deposit and dues as of a pull.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WalletTerms {
    /// How far below zero payments may take the wallet.
    pub deposit_limit: Paise,
    /// The amount below zero (zero when the balance is not negative).
    pub dues: Paise,
    /// When the balance went below zero (centre time, unix ms).
    pub since_ms: Option<i64>,
    /// `YYYY-MM-DD` (India): the bank working day the dues must be paid by.
    pub due_date: Option<String>,
    /// Interest accrued so far on overdue dues ([`domain::dues`]).
    pub interest: Paise,
}

/// Stable codes of a refused request.
pub mod codes {
    pub const AMOUNT_INVALID: &str = "refill.amount_invalid";
    pub const MODE_UNKNOWN: &str = "refill.mode_unknown";
    pub const REFERENCE_REQUIRED: &str = "refill.reference_required";
    pub const REFERENCE_INVALID: &str = "refill.reference_invalid";
    /// The same bank reference on a request of this kiosk that is pending
    /// or credited (a rejected one frees it).
    pub const DUPLICATE_REFERENCE: &str = "refill.duplicate_reference";
    /// The centre's staff act only on a pending request.
    pub const NOT_PENDING: &str = "refill.not_pending";
    pub const REASON_REQUIRED: &str = "refill.reason_required";
}

/// Why a request is refused before anything is stored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RefillError {
    #[error("the amount must be above zero and at most {REFILL_MAX}")]
    AmountInvalid,
    #[error("no refill mode {0:?} (neft_rtgs, net_banking, payment_gateway or transfer)")]
    ModeUnknown(String),
    #[error("a {0} refill needs the bank's reference (UTR)")]
    ReferenceRequired(&'static str),
    #[error(
        "the reference is not valid: a UTR is 4 letters and 12 (NEFT) or 18 (RTGS) letters or digits; other references 6 to 30 letters, digits, '-' or '_'"
    )]
    ReferenceInvalid,
    #[error("a request with this bank reference is already pending or credited")]
    DuplicateReference,
}

impl ErrorCode for RefillError {
    fn code(&self) -> &str {
        match self {
            RefillError::AmountInvalid => codes::AMOUNT_INVALID,
            RefillError::ModeUnknown(_) => codes::MODE_UNKNOWN,
            RefillError::ReferenceRequired(_) => codes::REFERENCE_REQUIRED,
            RefillError::ReferenceInvalid => codes::REFERENCE_INVALID,
            RefillError::DuplicateReference => codes::DUPLICATE_REFERENCE,
        }
    }
}

/// A reference as typed, without spaces, in capitals; `None` when empty.
pub fn normalise_reference(s: &str) -> Option<String> {
    let r: String = s
        .chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_uppercase)
        .collect();
    (!r.is_empty()).then_some(r)
}

fn reference_ok(mode: RefillMode, r: &str) -> bool {
    let alnum = |s: &str| {
        s.chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
    };
    match mode {
        // The UTR: the sending bank's 4-letter code, then 12 (NEFT) or 18
        // (RTGS) letters and digits.
        RefillMode::NeftRtgs => {
            // ASCII first: the slice below is then on a char boundary.
            alnum(r)
                && (r.len() == 16 || r.len() == 22)
                && r[..4].chars().all(|c| c.is_ascii_uppercase())
        }
        _ => {
            (6..=30).contains(&r.len())
                && r.chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-' || c == '_')
        }
    }
}

/// Checks a request: amount, mode, reference. Returns the mode and the
/// normalised reference.
pub fn check_request(
    amount: Paise,
    mode: &str,
    reference: Option<&str>,
) -> Result<(RefillMode, Option<String>), RefillError> {
    if !amount.is_positive() || amount > REFILL_MAX {
        return Err(RefillError::AmountInvalid);
    }
    let m = RefillMode::parse(mode.trim())
        .ok_or_else(|| RefillError::ModeUnknown(mode.chars().take(32).collect()))?;
    let r = reference.and_then(normalise_reference);
    match &r {
        None if m.reference_required() => Err(RefillError::ReferenceRequired(m.as_str())),
        Some(r) if !reference_ok(m, r) => Err(RefillError::ReferenceInvalid),
        _ => Ok((m, r)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_checked_alike_on_both_sides() {
        let ok = |a: i64, m: &str, r: Option<&str>| check_request(Paise::new(a), m, r);
        assert_eq!(
            ok(25_000_00, "neft_rtgs", Some(" sbin 0261 1340 0123 ")),
            Ok((RefillMode::NeftRtgs, Some("SBIN026113400123".into())))
        );
        // An RTGS UTR is 22 long.
        assert!(ok(1, "neft_rtgs", Some("HDFCR52026112000012345")).is_ok());
        assert_eq!(
            ok(1, "net_banking", Some("  ")),
            Ok((RefillMode::NetBanking, None))
        );
        assert!(ok(1, "payment_gateway", Some("pay_29QQoUBi66xm2f")).is_ok());
        assert!(ok(REFILL_MAX.as_i64(), "transfer", Some("TRF-000123")).is_ok());
        let code = |r: Result<_, RefillError>| r.unwrap_err().code().to_string();
        assert_eq!(code(ok(0, "neft_rtgs", None)), codes::AMOUNT_INVALID);
        assert_eq!(code(ok(-5, "transfer", None)), codes::AMOUNT_INVALID);
        assert_eq!(
            code(ok(REFILL_MAX.as_i64() + 1, "net_banking", None)),
            codes::AMOUNT_INVALID
        );
        assert_eq!(code(ok(100, "cash", None)), codes::MODE_UNKNOWN);
        assert_eq!(code(ok(100, "neft_rtgs", None)), codes::REFERENCE_REQUIRED);
        assert_eq!(
            code(ok(100, "transfer", Some(""))),
            codes::REFERENCE_REQUIRED
        );
        for bad in [
            "SBIN02611340012",   // 15
            "1234026113400123",  // no bank code
            "SBIN0261134001234", // 17
            "SBIN02611340012€",  // not ASCII
            "SBIN-026113400123",
        ] {
            assert_eq!(
                code(ok(100, "neft_rtgs", Some(bad))),
                codes::REFERENCE_INVALID,
                "{bad}"
            );
        }
        assert_eq!(
            code(ok(100, "transfer", Some("AB12"))),
            codes::REFERENCE_INVALID
        );
        assert_eq!(
            code(ok(100, "net_banking", Some("REF#1234"))),
            codes::REFERENCE_INVALID
        );
    }

    #[test]
    fn a_payload_round_trips() {
        let p = RefillPayload {
            request_id: Uuid::from_u128(3),
            requested_by: "holder1".into(),
            amount: Paise::new(25_000_00),
            mode: "neft_rtgs".into(),
            reference: Some("SBIN026113400123".into()),
        };
        assert_eq!(RefillPayload::decode(&p.encode()).unwrap(), p);
        assert!(RefillPayload::decode(&[0xff; 2]).is_err());
    }
}
