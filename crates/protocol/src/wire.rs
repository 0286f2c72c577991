//! Sync API v1 wire types: push batches, per-entry outcomes, pull deltas,
//! errors with stable codes, the body encoding and the request signature.
//! See the crate docs for the measurements behind the encoding.

use crate::entry::{EntryKind, Hash32};
use domain::{Catalogue, Paise};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The sync protocol version this build speaks. The first field of every
/// sync body; a server refuses versions it does not know with
/// [`codes::UNSUPPORTED_VERSION`].
pub const PROTOCOL_VERSION: u16 = 1;
/// Most entries one push may carry.
pub const MAX_BATCH_ENTRIES: usize = 500;
/// Most bytes a (compressed) sync request body may have.
pub const MAX_BODY_BYTES: usize = 512 * 1024;
/// Most bytes a sync body may expand to (guards against compression bombs).
pub const MAX_DECODED_BYTES: usize = 4 * 1024 * 1024;
/// Most bytes one entry's payload may have.
pub const MAX_PAYLOAD_BYTES: usize = 16 * 1024;

/// A kiosk clock further than this from the centre's (either way) is
/// flagged (`clock.skew`): five minutes.
pub const CLOCK_SKEW_MAX_MS: i64 = 5 * 60 * 1000;

/// How late an online-only (real-time) payment may reach the centre:
/// ten minutes from when it was taken, by the centre's clock (the kiosk's
/// time corrected by the offset it reports). Later, the centre rejects it
/// with [`codes::SERVICE_ONLINE_ONLY_LATE`]: the kiosk took it while the
/// centre answered, but it did not arrive in real time.
pub const ONLINE_ONLY_MAX_AGE_MS: i64 = 10 * 60 * 1000;

/// Header naming the device that signed the request (UUID, hyphenated).
pub const HEADER_DEVICE: &str = "x-device";
/// Header carrying the ed25519 signature, base64url without padding (86 chars).
pub const HEADER_SIGNATURE: &str = "x-sig";
/// Content type of sync bodies: zstd-compressed postcard.
pub const SYNC_CONTENT_TYPE: &str = "application/x-kiosk-sync";

/// One outbox entry as it travels: `device_id` comes from the signed
/// header and `seq` from the batch's `first_seq` + position, so neither is
/// repeated per record; the chain hash is recomputed by the server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WireEntry {
    pub format: u16,
    pub id: Uuid,
    pub kind: EntryKind,
    pub device_time_ms: i64,
    pub payload: Vec<u8>,
}

impl WireEntry {
    pub fn from_entry(e: &crate::Entry) -> Self {
        WireEntry {
            format: e.format,
            id: e.id,
            kind: e.kind,
            device_time_ms: e.device_time_ms,
            payload: e.payload.clone(),
        }
    }
    pub fn into_entry(self, device_id: Uuid, seq: u64) -> crate::Entry {
        crate::Entry {
            format: self.format,
            device_id,
            seq,
            id: self.id,
            kind: self.kind,
            device_time_ms: self.device_time_ms,
            payload: self.payload,
        }
    }
}

/// `POST /v1/sync/push`: a contiguous run of a device's outbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushRequest {
    pub version: u16,
    /// Seq of `entries[0]`; the rest follow contiguously.
    pub first_seq: u64,
    /// The kiosk's chain hash after the last entry of the batch. The server
    /// recomputes the chain from its own stored hash and compares.
    pub last_hash: Hash32,
    pub entries: Vec<WireEntry>,
    /// The centre's clock minus the kiosk's, in ms, as the kiosk measured
    /// it on its last exchange (`None` before the first). The entries'
    /// times are already corrected by it; the centre flags a skewed kiosk
    /// with it and shows it to its staff.
    pub clock_offset_ms: Option<i64>,
}

/// What the centre decided about one entry. Recorded once and returned
/// unchanged on every replay, forever.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Outcome {
    /// Applied: server transaction id and the final receipt number
    /// (payments and cancellations; other kinds get a txn id and an empty
    /// receipt number).
    Accepted {
        txn_id: i64,
        receipt_no: String,
        /// Non-blocking notices, e.g. [`codes::DUPLICATE_WARNING`].
        warnings: Vec<String>,
    },
    /// Refused; no money moved. The queue moves on past it.
    Rejected { code: String, reason: String },
    /// Recorded; the department confirms later (a later pull carries the change).
    Pending { txn_id: i64 },
}

impl Outcome {
    pub fn status(&self) -> &'static str {
        match self {
            Outcome::Accepted { .. } => "accepted",
            Outcome::Rejected { .. } => "rejected",
            Outcome::Pending { .. } => "pending",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntryOutcome {
    pub seq: u64,
    pub outcome: Outcome,
}

/// Answer to a push: one outcome per entry of the request, in order
/// (replayed entries carry their recorded outcome).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushResponse {
    pub version: u16,
    /// The device's highest applied seq after this push.
    pub high_water: u64,
    pub outcomes: Vec<EntryOutcome>,
    /// The centre's clock when it answered (the kiosk learns its offset).
    pub server_time_ms: i64,
    /// The kiosk's wallet balance right after this push: it includes every
    /// entry up to `high_water`, so the kiosk's offline room is current
    /// with each accepted batch, not only after the queue drained.
    pub wallet_balance: Paise,
    pub commission_balance: Paise,
    pub exposure: Exposure,
}

/// Where a device's pull left off. Start with `Cursor::default()`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    /// Catalogue version the device holds (0: none).
    pub catalogue_version: u32,
    /// Last ledger line id the device has seen.
    pub ledger_after: i64,
    /// Last entry seq whose outcome the device has seen.
    pub outcomes_after: u64,
    /// Last notice id the device has seen.
    pub notices_after: i64,
    /// Last settlement the device has seen: `pending` entries the department
    /// later confirmed or refused come back once more with their final
    /// outcome, whatever `outcomes_after` says.
    #[serde(default)]
    pub settled_after: i64,
    /// Last helpdesk reply (or status change) to this kiosk's tickets the
    /// device has seen.
    #[serde(default)]
    pub tickets_after: i64,
    /// The digest ([`crate::users::users_digest`]) of the list of users the
    /// device holds (0: none yet): the pull carries the centre's list only
    /// when it differs.
    #[serde(default)]
    pub users_digest: u64,
    /// Last change of this kiosk's refill requests the device has seen.
    #[serde(default)]
    pub refills_after: i64,
}

/// `POST /v1/sync/pull`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PullRequest {
    pub version: u16,
    pub cursor: Cursor,
    /// Most ledger lines / outcomes / notices to return in one answer.
    pub limit: u32,
    /// How the kiosk's queue stands, for the centre console's registry.
    #[serde(default)]
    pub health: Option<KioskHealth>,
}

/// What a kiosk reports of itself on each pull: the centre cannot see a
/// queue that has not reached it, and staff need to find a stuck one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct KioskHealth {
    /// Outbox entries the centre has not answered yet.
    pub outbox_depth: u32,
    /// Local wallet debits not yet in the centre's balance.
    pub outbox_amount: Paise,
    /// Age of the oldest unanswered entry, by the kiosk's clock.
    pub oldest_pending_secs: Option<u32>,
    /// The kiosk app's version.
    pub app_version: String,
    /// The centre's clock minus the kiosk's, as the kiosk last measured it.
    pub clock_offset_ms: Option<i64>,
    /// Duplicate copies of receipts printed in the last 24 hours: reprints
    /// never reach the centre otherwise, and many of them can mean one
    /// payment's receipt shown to several citizens.
    #[serde(default)]
    pub reprints_24h: u32,
}

/// How far a kiosk may go without the centre: the kiosk refuses offline
/// payments beyond these; the centre rejects (`ledger.exposure_exceeded`)
/// a debit that takes the wallet below `-max_pending_amount`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Exposure {
    pub max_pending_amount: Paise,
    pub max_pending_count: u32,
    pub max_age_secs: u32,
}

/// One line of the kiosk's wallet or commission account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerLine {
    pub id: i64,
    pub txn_id: i64,
    /// `wallet` or `commission`.
    pub account: String,
    /// `payment`, `cancellation`, `refill`, ...
    pub kind: String,
    /// Positive: credit to the kiosk's account; negative: debit.
    pub amount: Paise,
    pub memo: String,
    pub at_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notice {
    pub id: i64,
    pub text_en: String,
    pub text_hi: String,
    pub at_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PullResponse {
    pub version: u16,
    pub cursor: Cursor,
    pub server_time_ms: i64,
    /// The kiosk's wallet balance as of this answer (all lines, not just these).
    pub wallet_balance: Paise,
    pub commission_balance: Paise,
    pub exposure: Exposure,
    /// Present when newer than the cursor's version. Services carry
    /// `offline_allowed` and `bill_fetch_required`.
    pub catalogue: Option<Catalogue>,
    pub ledger: Vec<LedgerLine>,
    pub outcomes: Vec<EntryOutcome>,
    pub notices: Vec<Notice>,
    /// More lines wait: pull again with the new cursor.
    pub more: bool,
    /// The device's highest applied seq at the centre. Lower than what the
    /// kiosk already had answered means the centre went back in time (a
    /// restore from a backup): the kiosk re-sends from here at once.
    pub high_water: u64,
    /// The highest ledger line id of this kiosk at the centre (0: none).
    /// Below the kiosk's ledger cursor means the ledger went back in time.
    pub ledger_high: i64,
    /// The centre's answer now for the entry at the cursor's
    /// `outcomes_after` (when it holds one): an answer that differs from the
    /// kiosk's means the centre applied entries anew (a restore caught up
    /// by a re-sent copy) and the kiosk fetches the answers again.
    pub check: Option<EntryOutcome>,
    /// The helpdesk's replies and status changes to this kiosk's tickets
    /// after the cursor's `tickets_after`, oldest first.
    #[serde(default)]
    pub ticket_replies: Vec<TicketReply>,
    /// The kiosk's users as the centre lists them (by login), present when
    /// the list differs from the one the cursor's `users_digest` names.
    #[serde(default)]
    pub users: Option<Vec<crate::users::KioskUser>>,
    /// Changes of this kiosk's refill requests after the cursor's
    /// `refills_after`, oldest first.
    #[serde(default)]
    pub refills: Vec<crate::refills::RefillUpdate>,
    /// The security-deposit limit and the dues as of this answer.
    #[serde(default)]
    pub wallet_terms: crate::refills::WalletTerms,
}

/// One word from the helpdesk on a ticket: a reply, a status change, or both.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketReply {
    /// Increasing per kiosk: the pull cursor's `tickets_after`.
    pub id: i64,
    pub ticket_id: Uuid,
    /// The ticket's status after this reply: `open`, `in_progress`,
    /// `resolved`, `closed`.
    pub status: String,
    /// What the helpdesk wrote (may be empty for a bare status change).
    pub text: String,
    pub at_ms: i64,
}

/// The JSON error body of every non-2xx answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiError {
    pub code: String,
    pub message: String,
    /// With `sync.gap` and `sync.chain_mismatch`: the seq the server expects next.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected_seq: Option<u64>,
}

/// What a ticket raised at the kiosk is about (the kiosk offers these
/// only; the centre stores any short lowercase word, so the list can grow).
pub const TICKET_CATEGORIES: &[&str] = &[
    "payment", "receipt", "sync", "printer", "wallet", "login", "other",
];

/// Most characters of a ticket's description the kiosk sends (the centre
/// takes up to 4,000).
pub const TICKET_DESCRIPTION_MAX_CHARS: usize = 2000;

/// Most bytes of a support bundle attached to a ticket, so the whole
/// payload (with a description of the longest, in Devanagari) stays under
/// [`MAX_PAYLOAD_BYTES`].
pub const TICKET_ATTACHMENT_MAX_BYTES: usize = 8 * 1024;

/// Payload of an [`EntryKind::Ticket`] entry: a problem raised with the
/// helpdesk from the kiosk (postcard, like the other payloads).
///
/// The last three fields came later under the same entry format: an older
/// payload ends after `body` and decodes with them empty ([`Self::decode`]),
/// and an older reader ignores them (postcard reads a prefix).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketPayload {
    pub ticket_id: Uuid,
    pub raised_by: String,
    pub subject: String,
    pub body: String,
    /// One of [`TICKET_CATEGORIES`]; empty in an older payload.
    #[serde(default)]
    pub category: String,
    /// The receipt it concerns (the centre's number when the kiosk has it,
    /// else the kiosk's own).
    #[serde(default)]
    pub receipt_no: Option<String>,
    /// The support bundle (JSON, secrets removed), when the operator
    /// attached it.
    #[serde(default)]
    pub attachment: Option<String>,
}

/// The payload as it was before category, receipt and attachment.
#[derive(Deserialize)]
struct TicketPayloadV0 {
    ticket_id: Uuid,
    raised_by: String,
    subject: String,
    body: String,
}

impl TicketPayload {
    pub fn encode(&self) -> Vec<u8> {
        postcard::to_stdvec(self).expect("postcard encoding cannot fail")
    }
    /// Reads the current shape, or the older one (no category, receipt or
    /// attachment).
    pub fn decode(bytes: &[u8]) -> Result<Self, postcard::Error> {
        match postcard::from_bytes::<TicketPayload>(bytes) {
            Ok(t) => Ok(t),
            Err(postcard::Error::DeserializeUnexpectedEnd) => {
                let v0: TicketPayloadV0 = postcard::from_bytes(bytes)?;
                Ok(TicketPayload {
                    ticket_id: v0.ticket_id,
                    raised_by: v0.raised_by,
                    subject: v0.subject,
                    body: v0.body,
                    category: String::new(),
                    receipt_no: None,
                    attachment: None,
                })
            }
            Err(e) => Err(e),
        }
    }
}

/// Stable error codes (dotted lowercase; never change once released).
pub mod codes {
    pub const UNSUPPORTED_VERSION: &str = "protocol.unsupported_version";
    pub const MALFORMED: &str = "protocol.malformed";
    pub const TOO_LARGE: &str = "protocol.too_large";
    pub const BATCH_EMPTY: &str = "sync.batch_empty";
    pub const BATCH_TOO_LARGE: &str = "sync.batch_too_large";
    pub const GAP: &str = "sync.gap";
    pub const CHAIN_MISMATCH: &str = "sync.chain_mismatch";
    pub const AUTH_MISSING: &str = "auth.missing";
    pub const AUTH_BAD_TOKEN: &str = "auth.bad_token";
    pub const AUTH_TOKEN_EXPIRED: &str = "auth.token_expired";
    pub const AUTH_BAD_SIGNATURE: &str = "auth.bad_signature";
    pub const AUTH_UNKNOWN_DEVICE: &str = "auth.unknown_device";
    pub const AUTH_DEVICE_DEREGISTERED: &str = "auth.device_deregistered";
    pub const AUTH_FORBIDDEN: &str = "auth.forbidden";
    pub const AUTH_WRONG_KIOSK: &str = "auth.wrong_kiosk";
    pub const AUTH_BAD_CREDENTIALS: &str = "auth.bad_credentials";
    pub const AUTH_LOCKED: &str = "auth.locked";
    pub const AUTH_INACTIVE: &str = "auth.inactive";
    pub const AUTH_PASSWORD_CHANGE_REQUIRED: &str = "auth.password_change_required";
    pub const DEVICE_BOUND_ELSEWHERE: &str = "device.bound_elsewhere";
    pub const DEVICE_BAD_KEY: &str = "device.bad_key";
    pub const NOT_FOUND: &str = "not_found";
    pub const INVALID: &str = "request.invalid";
    pub const RATE_LIMITED: &str = "request.rate_limited";
    pub const INTERNAL: &str = "internal";
    // Forgotten passwords (`/v1/auth/forgot`, `/v1/auth/reset`).
    /// The code is wrong, expired, used up (5 tries) or was never sent:
    /// one answer for all, so a stranger learns nothing from it.
    pub const OTP_INVALID: &str = "otp.invalid";
    /// Too many codes asked for (per login or per client address, an hour).
    pub const OTP_RATE_LIMITED: &str = "otp.rate_limited";
    /// A code is six digits.
    pub const OTP_FORMAT: &str = "otp.format";
    /// The new password is the one the user has now.
    pub const PASSWORD_UNCHANGED: &str = "password.unchanged";
    // Entry rejections (inside outcomes, not HTTP errors).
    pub const ENTRY_MALFORMED: &str = "entry.malformed";
    pub const ENTRY_UNSUPPORTED_FORMAT: &str = "entry.unsupported_format";
    pub const ENTRY_UNSUPPORTED_KIND: &str = "entry.unsupported_kind";
    pub const ENTRY_WRONG_KIOSK: &str = "entry.wrong_kiosk";
    pub const SERVICE_UNKNOWN: &str = "service.unknown";
    pub const SERVICE_INACTIVE: &str = "service.inactive";
    /// A payment for an online-only service reached the centre more than
    /// [`super::ONLINE_ONLY_MAX_AGE_MS`] after it was taken.
    pub const SERVICE_ONLINE_ONLY_LATE: &str = "service.online_only_late";
    pub const CHARGE_ABOVE_STATE_RATE: &str = "charge.above_state_rate";
    pub const AMOUNT_INVALID: &str = "amount.invalid";
    pub const TOTALS_MISMATCH: &str = "payment.totals_mismatch";
    pub const BILL_ALREADY_PAID: &str = "bill.already_paid";
    pub const BILL_UNKNOWN: &str = "bill.unknown";
    pub const BILL_AMOUNT_MISMATCH: &str = "bill.amount_mismatch";
    pub const EXPOSURE_EXCEEDED: &str = "ledger.exposure_exceeded";
    pub const CHEQUE_INVALID: &str = "cheque.invalid";
    pub const RECEIPT_UNKNOWN: &str = "receipt.unknown";
    pub const RECEIPT_ALREADY_CANCELLED: &str = "receipt.already_cancelled";
    /// A payment entry reuses the receipt id of an earlier payment.
    pub const RECEIPT_ID_REUSED: &str = "receipt.id_reused";
    pub const DUPLICATE_ENTRY_ID: &str = "entry.duplicate_id";
    pub const DUPLICATE_WARNING: &str = "payment.duplicate_warning";
    pub const TEXT_INVALID: &str = "text.invalid";
    /// Free text with direction-changing characters (`domain::text`).
    pub const TEXT_BIDI_CONTROL: &str = "text.bidi_control";
    /// Free text that shows nothing (`domain::text`).
    pub const TEXT_INVISIBLE_ONLY: &str = "text.invisible_only";
    /// A cancellation, a user change or a refill request named someone who
    /// is not an active holder of the kiosk.
    pub const AUTH_HOLDER_ONLY: &str = "auth.holder_only";
    // User changes ([`crate::users`]), refused by the kiosk before they are
    // queued and by the centre when it applies them.
    pub const OPERATOR_LOGIN_INVALID: &str = "operator.login_invalid";
    /// The login belongs to another user (of any kiosk).
    pub const OPERATOR_LOGIN_TAKEN: &str = "operator.login_taken";
    pub const OPERATOR_NAME_INVALID: &str = "operator.name_invalid";
    /// No valid Indian mobile number to send the password to.
    pub const OPERATOR_NO_MOBILE: &str = "operator.no_mobile";
    /// The holder cannot deactivate their own login.
    pub const OPERATOR_SELF_DEACTIVATE: &str = "operator.self_deactivate";
    pub const OPERATOR_UNKNOWN: &str = "operator.unknown";
    pub const OPERATOR_INACTIVE: &str = "operator.inactive";
    // Alerts the kiosk raises for the operator (not one request's error).
    /// The centre holds fewer of this device's entries (or ledger lines)
    /// than the kiosk had seen answered: it was restored from a backup.
    /// The kiosk re-sends what the centre lost.
    pub const CENTRE_RESTORED: &str = "sync.centre_restored";
    /// The centre's answer for one or more receipts changed (new final
    /// receipt number, or a new outcome): reprint and tell the consumer.
    pub const OUTCOME_CHANGED: &str = "sync.outcome_changed";
    /// The kiosk's clock is off the centre's by more than
    /// [`super::CLOCK_SKEW_MAX_MS`]: an alert on the kiosk, and a warning on
    /// each entry the centre accepts from it.
    pub const CLOCK_SKEW: &str = "clock.skew";
    /// The centre does not know this device (its data was restored from a
    /// backup older than the registration): nothing can be sent until the
    /// centre re-admits it from the kiosk's signed re-admission request.
    pub const DEVICE_UNKNOWN_AT_CENTRE: &str = "sync.device_unknown";
    /// A re-admission request that does not verify, names another kiosk,
    /// or a device the centre already knows under another key.
    pub const READMIT_INVALID: &str = "readmit.invalid";
    /// The centre already knows this device with this key: nothing to do.
    pub const READMIT_ALREADY_KNOWN: &str = "readmit.already_known";
    // What the kiosk's sync status says is true now (one of these).
    /// Nothing has been exchanged with the centre yet.
    pub const STATE_STARTING: &str = "sync.state.starting";
    /// The centre answered and holds every entry.
    pub const STATE_UP_TO_DATE: &str = "sync.state.up_to_date";
    /// The centre answers; entries are on their way.
    pub const STATE_SENDING: &str = "sync.state.sending";
    /// The centre could not be reached the last time.
    pub const STATE_OFFLINE: &str = "sync.state.offline";
    /// The centre answered with a refusal (the last error's code says which).
    pub const STATE_REFUSED: &str = "sync.state.refused";
    /// The local chain is broken: nothing more can be sent or written.
    pub const STATE_STOPPED: &str = "sync.state.stopped";
}

/// A device's request to be admitted again by a centre that lost its
/// registration (restored from an older backup). It is signed by the
/// device's own key, so the centre's administrator re-admits exactly the
/// key that signed the device's entries, and nobody can slip in another.
/// Carried as one line of text ([`ReadmitRequest::to_text`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadmitRequest {
    pub device_id: Uuid,
    pub kiosk_code: String,
    pub device_no: u16,
    /// The device's ed25519 public key, base64url without padding.
    pub public_key: String,
    /// The device's last entry: what the centre will receive again.
    pub last_seq: u64,
    pub made_at_ms: i64,
    /// base64url signature of [`ReadmitRequest::signed_bytes`].
    pub signature: String,
}

const READMIT_PREFIX: &str = "EMITRA-READMIT-1:";

impl ReadmitRequest {
    /// What the device signs: the request without its signature, under the
    /// request-signing scheme with its own method and path, so no signed
    /// request can pass for a re-admission nor the other way round.
    fn signed_bytes(&self) -> (String, Vec<u8>) {
        let mut unsigned = self.clone();
        unsigned.signature.clear();
        let body = postcard::to_stdvec(&unsigned).expect("request serialises");
        (format!("/readmit/{}", self.kiosk_code), body)
    }

    pub fn sign(mut self, key: &ed25519_dalek::SigningKey) -> ReadmitRequest {
        let (path, body) = self.signed_bytes();
        self.signature = sign_request(key, self.device_id, "READMIT", &path, &body);
        self
    }

    /// The public key when the signature verifies with it.
    pub fn verified_key(&self) -> Option<[u8; 32]> {
        use base64::Engine;
        let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(&self.public_key)
            .ok()?;
        let pk: [u8; 32] = raw.try_into().ok()?;
        let (path, body) = self.signed_bytes();
        verify_request(
            &pk,
            self.device_id,
            "READMIT",
            &path,
            &body,
            &self.signature,
        )
        .then_some(pk)
    }

    pub fn to_text(&self) -> String {
        use base64::Engine;
        let raw = postcard::to_stdvec(self).expect("request serialises");
        format!(
            "{READMIT_PREFIX}{}",
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw)
        )
    }

    /// Reads [`Self::to_text`]'s line (surrounding whitespace and line
    /// breaks a mail or a chat added are ignored). Does not verify.
    pub fn from_text(text: &str) -> Option<ReadmitRequest> {
        use base64::Engine;
        let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        let b64 = compact.strip_prefix(READMIT_PREFIX)?;
        let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(b64)
            .ok()?;
        postcard::from_bytes(&raw).ok()
    }
}

/// Why a sync body could not be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum WireError {
    #[error("body larger than {0} bytes")]
    TooLarge(usize),
    #[error("protocol version {0} is not supported (this side speaks {PROTOCOL_VERSION})")]
    UnsupportedVersion(u16),
    #[error("malformed body: {0}")]
    Malformed(String),
}

impl domain::ErrorCode for WireError {
    fn code(&self) -> &str {
        match self {
            WireError::TooLarge(_) => codes::TOO_LARGE,
            WireError::UnsupportedVersion(_) => codes::UNSUPPORTED_VERSION,
            WireError::Malformed(_) => codes::MALFORMED,
        }
    }
}

/// zstd level for sync bodies: level 3 is within a few bytes of level 19
/// on batches this size and costs microseconds.
const ZSTD_LEVEL: i32 = 3;

/// Encodes a sync body: postcard, then zstd. Every sync message starts
/// with its `version: u16` so a reader can refuse unknown versions before
/// decoding the rest.
pub fn encode_body<T: Serialize>(msg: &T) -> Vec<u8> {
    compress_body(&postcard::to_stdvec(msg).expect("postcard encoding cannot fail"))
}

/// zstd's frame magic number as it starts a compressed body.
const ZSTD_MAGIC: [u8; 4] = [0x28, 0xB5, 0x2F, 0xFD];
/// The first byte of a raw body, before its postcard: anything that is
/// neither this nor zstd is refused as malformed, not misread as a version.
const RAW_MARK: u8 = 0;

/// As [`encode_body`], but a body that zstd would not make smaller (one
/// payment: hashes and ids do not compress) goes raw (a zero byte, then
/// the postcard), saving the frame's dozen bytes each way. [`decode_body`] takes
/// both; send it only to a peer that does (a centre answers raw only to a
/// request that came raw).
pub fn encode_body_compact<T: Serialize>(msg: &T) -> Vec<u8> {
    let raw = encode_body_raw(msg);
    let packed = compress_body(&raw[1..]);
    if packed.len() < raw.len() {
        packed
    } else {
        raw
    }
}

/// A raw body: the mark byte, then the postcard.
pub fn encode_body_raw<T: Serialize>(msg: &T) -> Vec<u8> {
    postcard::to_extend(msg, vec![RAW_MARK]).expect("postcard encoding cannot fail")
}

/// Postcard bytes compressed, as [`encode_body`] makes them.
fn compress_body(raw: &[u8]) -> Vec<u8> {
    zstd::bulk::compress(raw, ZSTD_LEVEL).expect("zstd compression of a buffer cannot fail")
}

/// A body from [`encode_body_compact`] as [`encode_body`] would have made
/// it (for a centre older than raw bodies).
pub fn recompress_body(body: &[u8]) -> Vec<u8> {
    match body.split_first() {
        Some((&RAW_MARK, raw)) => compress_body(raw),
        _ => body.to_vec(),
    }
}

/// Whether a sync body is zstd-compressed (else raw postcard).
pub fn is_compressed(body: &[u8]) -> bool {
    body.starts_with(&ZSTD_MAGIC)
}

/// Decodes a sync body (zstd-compressed or raw), refusing
/// oversize input, compression bombs, unknown versions and trailing bytes.
pub fn decode_body<T: for<'de> Deserialize<'de>>(body: &[u8]) -> Result<T, WireError> {
    if body.len() > MAX_BODY_BYTES {
        return Err(WireError::TooLarge(MAX_BODY_BYTES));
    }
    let unpacked;
    let raw = if is_compressed(body) {
        unpacked = zstd::bulk::decompress(body, MAX_DECODED_BYTES)
            .map_err(|e| WireError::Malformed(format!("zstd: {e}")))?;
        &unpacked[..]
    } else if let Some((&RAW_MARK, raw)) = body.split_first() {
        raw
    } else {
        return Err(WireError::Malformed(
            "neither a zstd frame nor a raw body".into(),
        ));
    };
    let (version, _) = postcard::take_from_bytes::<u16>(raw)
        .map_err(|e| WireError::Malformed(format!("version: {e}")))?;
    if version != PROTOCOL_VERSION {
        return Err(WireError::UnsupportedVersion(version));
    }
    let (msg, rest) =
        postcard::take_from_bytes::<T>(raw).map_err(|e| WireError::Malformed(e.to_string()))?;
    if !rest.is_empty() {
        return Err(WireError::Malformed(format!(
            "{} trailing bytes",
            rest.len()
        )));
    }
    Ok(msg)
}

/// The bytes a device signs for one request:
/// `"KSIG1" 0x00 ‖ device_id (16 bytes) ‖ METHOD 0x00 ‖ path 0x00 ‖ body`,
/// where `path` carries the query string exactly as sent.
/// Binding method and path stops a signed pull being replayed as a push;
/// binding the device id stops one device's body passing as another's.
pub fn signing_message(device_id: Uuid, method: &str, path: &str, body: &[u8]) -> Vec<u8> {
    let mut m = Vec::with_capacity(32 + method.len() + path.len() + body.len());
    m.extend_from_slice(b"KSIG1\0");
    m.extend_from_slice(device_id.as_bytes());
    m.extend_from_slice(method.as_bytes());
    m.push(0);
    m.extend_from_slice(path.as_bytes());
    m.push(0);
    m.extend_from_slice(body);
    m
}

/// Signs a request; returns the value of the [`HEADER_SIGNATURE`] header.
pub fn sign_request(
    key: &ed25519_dalek::SigningKey,
    device_id: Uuid,
    method: &str,
    path: &str,
    body: &[u8],
) -> String {
    use base64::Engine;
    use ed25519_dalek::Signer;
    let sig = key.sign(&signing_message(device_id, method, path, body));
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sig.to_bytes())
}

/// Verifies a [`HEADER_SIGNATURE`] value against the device's public key.
pub fn verify_request(
    public_key: &[u8; 32],
    device_id: Uuid,
    method: &str,
    path: &str,
    body: &[u8],
    signature_b64: &str,
) -> bool {
    use base64::Engine;
    let Ok(key) = ed25519_dalek::VerifyingKey::from_bytes(public_key) else {
        return false;
    };
    let Ok(raw) = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(signature_b64) else {
        return false;
    };
    let Ok(bytes) = <[u8; 64]>::try_from(raw.as_slice()) else {
        return false;
    };
    let sig = ed25519_dalek::Signature::from_bytes(&bytes);
    key.verify_strict(&signing_message(device_id, method, path, body), &sig)
        .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_readmit_request_verifies_only_as_signed_by_its_own_key() {
        use base64::Engine;
        let key = ed25519_dalek::SigningKey::from_bytes(&[5; 32]);
        let pk =
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(key.verifying_key().to_bytes());
        let r = ReadmitRequest {
            device_id: Uuid::from_u128(42),
            kiosk_code: "RJ-JPR-0142".into(),
            device_no: 1,
            public_key: pk,
            last_seq: 17,
            made_at_ms: 1_700_000_000_000,
            signature: String::new(),
        }
        .sign(&key);
        assert_eq!(r.verified_key(), Some(key.verifying_key().to_bytes()));
        // Wrapped by a mail client, it still reads.
        let text = r.to_text();
        let wrapped: String = text
            .as_bytes()
            .chunks(40)
            .map(|c| std::str::from_utf8(c).unwrap())
            .collect::<Vec<_>>()
            .join("\n ");
        assert_eq!(ReadmitRequest::from_text(&wrapped), Some(r.clone()));
        // Any changed field, or another key's signature, fails.
        for bad in [
            ReadmitRequest {
                kiosk_code: "RJ-JPR-0143".into(),
                ..r.clone()
            },
            ReadmitRequest {
                device_id: Uuid::from_u128(43),
                ..r.clone()
            },
            ReadmitRequest {
                last_seq: 18,
                ..r.clone()
            },
            ReadmitRequest {
                public_key: base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(
                    ed25519_dalek::SigningKey::from_bytes(&[6; 32])
                        .verifying_key()
                        .to_bytes(),
                ),
                ..r.clone()
            },
            ReadmitRequest {
                signature: String::new(),
                ..r.clone()
            },
        ] {
            assert_eq!(bad.verified_key(), None, "{bad:?}");
        }
        let other = ReadmitRequest {
            signature: String::new(),
            ..r.clone()
        }
        .sign(&ed25519_dalek::SigningKey::from_bytes(&[6; 32]));
        assert_eq!(other.verified_key(), None);
        assert_eq!(ReadmitRequest::from_text("EMITRA-READMIT-1:%%%"), None);
        assert_eq!(ReadmitRequest::from_text(&text[1..]), None);
    }

    #[test]
    fn body_round_trip_and_refusals() {
        // A hash as random as a real one: zstd finds nothing in it.
        let hash: Hash32 = std::array::from_fn(|i| (i as u8).wrapping_mul(151).wrapping_add(17));
        let req = PushRequest {
            version: PROTOCOL_VERSION,
            first_seq: 7,
            last_hash: hash,
            entries: vec![WireEntry {
                format: 1,
                id: Uuid::from_u128(0x1234_5678_9abc_def0_0fed_cba9_8765_4321),
                kind: EntryKind::Payment,
                device_time_ms: 5,
                payload: vec![1, 2, 3],
            }],
            clock_offset_ms: Some(-5),
        };
        let b = encode_body(&req);
        assert_eq!(decode_body::<PushRequest>(&b).unwrap(), req);
        let mut future = req.clone();
        future.version = 2;
        assert_eq!(
            decode_body::<PushRequest>(&encode_body(&future)),
            Err(WireError::UnsupportedVersion(2))
        );
        // Raw postcard (what `encode_body_compact` sends for one payment)
        // reads the same; a small body goes raw, a batch compressed.
        let compact = encode_body_compact(&req);
        assert!(!is_compressed(&compact) && is_compressed(&b));
        assert!(compact.len() < b.len(), "{} vs {}", compact.len(), b.len());
        assert_eq!(decode_body::<PushRequest>(&compact).unwrap(), req);
        let mut batch = req.clone();
        batch.entries = vec![req.entries[0].clone(); 50];
        assert!(is_compressed(&encode_body_compact(&batch)));
        assert!(matches!(
            decode_body::<PushRequest>(&[0x28, 0xB5, 0x2F, 0xFD, 1, 2, 3]),
            Err(WireError::Malformed(_))
        ));
        assert!(matches!(
            decode_body::<PushRequest>(&[0, 1, 7]),
            Err(WireError::Malformed(_))
        ));
        assert!(matches!(
            decode_body::<PushRequest>(b"neither"),
            Err(WireError::Malformed(_))
        ));
        assert_eq!(recompress_body(&compact), b);
        assert_eq!(
            decode_body::<PushRequest>(&encode_body_raw(&future)),
            Err(WireError::UnsupportedVersion(2))
        );
        let mut raw = postcard::to_stdvec(&req).unwrap();
        raw.push(0);
        let trailing = zstd::bulk::compress(&raw, 3).unwrap();
        assert!(matches!(
            decode_body::<PushRequest>(&trailing),
            Err(WireError::Malformed(_))
        ));
        // A bomb: 8 MiB of zeros compresses to a few hundred bytes.
        let bomb = zstd::bulk::compress(&vec![0u8; 8 << 20], 3).unwrap();
        assert!(bomb.len() < MAX_BODY_BYTES);
        assert!(matches!(
            decode_body::<PushRequest>(&bomb),
            Err(WireError::Malformed(_))
        ));
    }

    #[test]
    fn ticket_payloads_old_and_new_read_both_ways() {
        #[derive(Serialize)]
        struct Old {
            ticket_id: Uuid,
            raised_by: String,
            subject: String,
            body: String,
        }
        let old = Old {
            ticket_id: Uuid::from_u128(5),
            raised_by: "op1".into(),
            subject: "Printer".into(),
            body: "prints garbage".into(),
        };
        let old_bytes = postcard::to_stdvec(&old).unwrap();
        // An older payload reads with the new fields empty.
        let t = TicketPayload::decode(&old_bytes).unwrap();
        assert_eq!(t.subject, "Printer");
        assert_eq!(t.category, "");
        assert_eq!((t.receipt_no, t.attachment), (None, None));
        // A new payload round-trips, and an older reader reads its prefix.
        let new = TicketPayload {
            ticket_id: Uuid::from_u128(6),
            raised_by: "op1".into(),
            subject: "No receipt".into(),
            body: "line one\nline two".into(),
            category: "receipt".into(),
            receipt_no: Some("K1001-001-0000001".into()),
            attachment: Some("{\"format\":1}".into()),
        };
        assert_eq!(TicketPayload::decode(&new.encode()).unwrap(), new);
        let v0: TicketPayloadV0 = postcard::from_bytes(&new.encode()).unwrap();
        assert_eq!(
            (v0.ticket_id, v0.body.as_str()),
            (new.ticket_id, new.body.as_str())
        );
        assert_eq!((v0.raised_by, v0.subject), (new.raised_by, new.subject));
        // Garbage is still refused.
        assert!(TicketPayload::decode(&[0xff; 3]).is_err());
    }

    #[test]
    fn a_stored_cursor_without_the_ticket_field_reads() {
        let c: Cursor = serde_json::from_str(
            r#"{"catalogue_version":3,"ledger_after":9,"outcomes_after":4,"notices_after":1,"settled_after":2}"#,
        )
        .unwrap();
        assert_eq!(c.tickets_after, 0);
        assert_eq!(c.settled_after, 2);
        let r = PullResponse {
            version: PROTOCOL_VERSION,
            cursor: Cursor {
                tickets_after: 7,
                ..c
            },
            server_time_ms: 1,
            wallet_balance: Paise::ZERO,
            commission_balance: Paise::ZERO,
            exposure: Exposure {
                max_pending_amount: Paise::ZERO,
                max_pending_count: 0,
                max_age_secs: 0,
            },
            catalogue: None,
            ledger: vec![],
            outcomes: vec![],
            notices: vec![],
            more: false,
            high_water: 0,
            ledger_high: 0,
            check: None,
            ticket_replies: vec![TicketReply {
                id: 7,
                ticket_id: Uuid::from_u128(6),
                status: "resolved".into(),
                text: "Replaced the ribbon".into(),
                at_ms: 5,
            }],
            users: None,
            refills: vec![],
            wallet_terms: Default::default(),
        };
        assert_eq!(decode_body::<PullResponse>(&encode_body(&r)).unwrap(), r);
    }

    #[test]
    fn signatures_bind_device_method_path_and_body() {
        let key = ed25519_dalek::SigningKey::from_bytes(&[7; 32]);
        let pk = key.verifying_key().to_bytes();
        let dev = Uuid::from_u128(1);
        let s = sign_request(&key, dev, "POST", "/v1/sync/push", b"body");
        assert_eq!(s.len(), 86);
        assert!(verify_request(
            &pk,
            dev,
            "POST",
            "/v1/sync/push",
            b"body",
            &s
        ));
        assert!(!verify_request(
            &pk,
            dev,
            "POST",
            "/v1/sync/push",
            b"bodY",
            &s
        ));
        assert!(!verify_request(
            &pk,
            dev,
            "POST",
            "/v1/sync/pull",
            b"body",
            &s
        ));
        assert!(!verify_request(
            &pk,
            Uuid::from_u128(2),
            "POST",
            "/v1/sync/push",
            b"body",
            &s
        ));
        assert!(!verify_request(
            &pk,
            dev,
            "POST",
            "/v1/sync/push",
            b"body",
            "garbage"
        ));
        let other = ed25519_dalek::SigningKey::from_bytes(&[8; 32])
            .verifying_key()
            .to_bytes();
        assert!(!verify_request(
            &other,
            dev,
            "POST",
            "/v1/sync/push",
            b"body",
            &s
        ));
    }
}
