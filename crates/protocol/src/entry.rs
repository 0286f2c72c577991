//! Outbox entries: what a kiosk must tell the centre, in order, exactly once.

use domain::{CartLine, Contact, Paise, PaymentMode};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// Bumped when [`Entry`] or a payload changes shape; part of every hash.
pub const ENTRY_FORMAT_VERSION: u16 = 1;

pub type Hash32 = [u8; 32];

/// The `prev_hash` of a device's first entry (seq 1).
pub const GENESIS_HASH: Hash32 = [0u8; 32];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    Payment,
    Cancellation,
    Ticket,
    UserChange,
    /// A wallet refill request ([`crate::refills::RefillPayload`]).
    RefillRequest,
}

impl EntryKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EntryKind::Payment => "payment",
            EntryKind::Cancellation => "cancellation",
            EntryKind::Ticket => "ticket",
            EntryKind::UserChange => "user_change",
            EntryKind::RefillRequest => "refill_request",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "payment" => EntryKind::Payment,
            "cancellation" => EntryKind::Cancellation,
            "ticket" => EntryKind::Ticket,
            "user_change" => EntryKind::UserChange,
            "refill_request" => EntryKind::RefillRequest,
            _ => return None,
        })
    }
}

/// One outbox entry. `payload` holds the postcard bytes of the kind's
/// payload struct ([`PaymentPayload`], [`CancelPayload`], ...).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub format: u16,
    pub device_id: Uuid,
    /// Contiguous per device, starting at 1.
    pub seq: u64,
    /// UUIDv7 made on the kiosk before anything was sent.
    pub id: Uuid,
    pub kind: EntryKind,
    /// When the entry was made, unix milliseconds, by the kiosk's
    /// reckoning of the centre's clock: this PC's clock corrected by the
    /// offset last measured and carried by the monotonic clock between
    /// syncs (the PC's own clock only before the first sync ever). Clocks
    /// lie: the centre never dates an entry later than its own now.
    pub device_time_ms: i64,
    pub payload: Vec<u8>,
}

impl Entry {
    /// The canonical bytes hashed into the chain and covered by signatures.
    pub fn canonical(&self) -> Vec<u8> {
        postcard::to_stdvec(self).expect("postcard encoding of an Entry cannot fail")
    }

    pub fn decode_canonical(bytes: &[u8]) -> Result<Entry, postcard::Error> {
        postcard::from_bytes(bytes)
    }

    pub fn payment(&self) -> Result<PaymentPayload, postcard::Error> {
        postcard::from_bytes(&self.payload)
    }

    pub fn cancellation(&self) -> Result<CancelPayload, postcard::Error> {
        postcard::from_bytes(&self.payload)
    }
}

/// `SHA-256(prev_hash ‖ canonical(entry))`
pub fn chain_hash(prev: &Hash32, entry: &Entry) -> Hash32 {
    let mut h = Sha256::new();
    h.update(prev);
    h.update(entry.canonical());
    h.finalize().into()
}

/// Checks a run of entries against its recorded hashes: contiguous `seq`,
/// each `prev_hash` equal to the previous `hash`, each `hash` recomputed.
/// Returns the seq of the first bad entry.
pub fn verify_chain<'a, I>(start_prev: Hash32, entries: I) -> Result<Hash32, u64>
where
    I: IntoIterator<Item = (&'a Entry, Hash32, Hash32)>,
{
    let mut prev = start_prev;
    let mut expected_seq: Option<u64> = None;
    for (e, prev_hash, hash) in entries {
        if expected_seq.is_some_and(|s| s != e.seq)
            || prev_hash != prev
            || chain_hash(&prev, e) != hash
        {
            return Err(e.seq);
        }
        expected_seq = Some(e.seq + 1);
        prev = hash;
    }
    Ok(prev)
}

/// A committed payment: one receipt with one or more bills.
///
/// Its shape is fixed under [`ENTRY_FORMAT_VERSION`] 1: postcard has no
/// optional trailing fields, so a field added here (even with
/// `#[serde(default)]`) could not read the payloads already stored in
/// outboxes and at the centre. What the centre must know beyond these
/// fields it derives from its own catalogue: a line whose service is
/// online-only (`offline_allowed = false`) makes the payment real-time,
/// accepted only when it arrives within
/// [`crate::wire::ONLINE_ONLY_MAX_AGE_MS`] of when it was taken.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentPayload {
    /// The kiosk's own receipt number (provisional until the centre's).
    pub receipt_no: String,
    pub receipt_id: Uuid,
    pub kiosk_code: String,
    pub operator: String,
    pub contact: Contact,
    pub mode: PaymentMode,
    pub lines: Vec<CartLine>,
    /// Sum of line totals (bills + charges): what the wallet is debited.
    pub total: Paise,
    pub commission: Paise,
    /// The operator confirmed a duplicate warning.
    pub duplicate_confirmed: bool,
}

impl PaymentPayload {
    pub fn encode(&self) -> Vec<u8> {
        postcard::to_stdvec(self).expect("postcard encoding cannot fail")
    }
}

/// A cancelled receipt (the citizen is notified; the centre reverses it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CancelPayload {
    pub receipt_id: Uuid,
    pub receipt_no: String,
    pub operator: String,
    pub reason: String,
}

impl CancelPayload {
    pub fn encode(&self) -> Vec<u8> {
        postcard::to_stdvec(self).expect("postcard encoding cannot fail")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::{ChequeDetails, Mobile};

    fn payment() -> PaymentPayload {
        PaymentPayload {
            receipt_no: "K1001-001-0000001".into(),
            receipt_id: Uuid::from_u128(7),
            kiosk_code: "K1001".into(),
            operator: "op1".into(),
            contact: domain::Contact {
                mobile: Some(Mobile::parse("9876543210").unwrap()),
                email: None,
            },
            mode: PaymentMode::Cheque(ChequeDetails {
                number: "123456".into(),
                date: chrono::NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(),
                bank: "SBI".into(),
                payee: "AO (CCC)".into(),
            }),
            lines: vec![CartLine {
                service_code: "JVVNL".into(),
                department: "ELEC".into(),
                consumer_no: "123456789012".into(),
                consumer_name: Some("राम".into()),
                bill_ref: None,
                bill_amount: Paise::new(150000),
                charge: Paise::ZERO,
                commission: Paise::new(500),
            }],
            total: Paise::new(150000),
            commission: Paise::new(500),
            duplicate_confirmed: false,
        }
    }

    fn entry(seq: u64, payload: Vec<u8>) -> Entry {
        Entry {
            format: ENTRY_FORMAT_VERSION,
            device_id: Uuid::from_u128(1),
            seq,
            id: Uuid::from_u128(100 + seq as u128),
            kind: EntryKind::Payment,
            device_time_ms: 1_760_000_000_000,
            payload,
        }
    }

    #[test]
    fn payload_and_entry_round_trip() {
        let p = payment();
        let e = entry(1, p.encode());
        assert_eq!(e.payment().unwrap(), p);
        assert_eq!(Entry::decode_canonical(&e.canonical()).unwrap(), e);
        // Deterministic: same value, same bytes.
        assert_eq!(e.canonical(), e.clone().canonical());
    }

    /// Why no field is added to a payload under this format: a reader with
    /// one more trailing field (here a defaulted flag) cannot decode the
    /// bytes of a payload written before it.
    #[test]
    fn a_payload_with_one_more_field_would_not_read_stored_ones() {
        #[derive(Debug, Deserialize)]
        #[allow(dead_code)]
        struct WithFlag(PaymentPayload, #[serde(default)] bool);
        let stored = payment().encode();
        assert!(postcard::from_bytes::<WithFlag>(&stored).is_err());
        // The other way, today's reader ignores bytes after the payload.
        let mut longer = stored.clone();
        longer.push(1);
        assert_eq!(
            postcard::from_bytes::<PaymentPayload>(&longer).unwrap(),
            payment()
        );
    }

    #[test]
    fn chain_verifies_and_detects_tampering() {
        let mut rows = Vec::new();
        let mut prev = GENESIS_HASH;
        for seq in 1..=5 {
            let e = entry(seq, payment().encode());
            let h = chain_hash(&prev, &e);
            rows.push((e, prev, h));
            prev = h;
        }
        let ok = verify_chain(GENESIS_HASH, rows.iter().map(|(e, p, h)| (e, *p, *h)));
        assert_eq!(ok, Ok(prev));
        // Change one paisa in entry 3.
        let mut bad = rows.clone();
        let mut p = payment();
        p.total = Paise::new(150001);
        bad[2].0.payload = p.encode();
        assert_eq!(
            verify_chain(GENESIS_HASH, bad.iter().map(|(e, p, h)| (e, *p, *h))),
            Err(3)
        );
        // A gap.
        let gap: Vec<_> = rows.iter().filter(|r| r.0.seq != 2).collect();
        assert_eq!(
            verify_chain(GENESIS_HASH, gap.iter().map(|(e, p, h)| (e, *p, *h))),
            Err(3)
        );
    }
}
