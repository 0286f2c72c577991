//! The server's store: every read and write of the central database, written
//! once against [`crate::db::Db`] and run on PostgreSQL or SQLite.

use crate::db::{Db, DbError, Dialect, Row, SqlTx, V};
use crate::{in_tx, params};
use domain::{Catalogue, Clock, Paise};
use protocol::{Exposure, LedgerLine, Notice};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use uuid::Uuid;

// The store's operations, one file per kind of record.
mod bills;
mod catalogue;
pub mod console;
mod devices;
mod kiosks;
mod ledger;
mod notices_alerts;
mod notifications;
mod reconcile;
mod refills;
mod resets;
mod sessions;
mod tickets;
mod users;

pub use refills::{DuesEpisode, RefillRequest};
pub(crate) use refills::{
    RefillCtx, deposit_limit_in, insert_refill_request, refill_ctx, refill_updates_after,
    wallet_terms_in,
};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("{0} already exists")]
    Exists(&'static str),
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("this user's SSO ID is already bound to device {0}; de-register it first")]
    BoundElsewhere(Uuid),
    #[error("catalogue version {0} is not newer than the loaded version {1}")]
    CatalogueNotNewer(u32, u32),
    #[error("{0}")]
    Invalid(String),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    /// A device or payment refers to it: the centre keeps that history,
    /// so it can only be deactivated.
    #[error("this {0} has devices or payments on record; deactivate it instead")]
    HasHistory(&'static str),
    #[error("the kiosk's wallet holds {0} of refills")]
    HasRefills(Paise),
    #[error("re-admission refused: {0}")]
    ReadmitInvalid(String),
    #[error("this centre already knows device {0} with this key; nothing to do")]
    ReadmitAlreadyKnown(Uuid),
    /// A refusal with its own stable code (e.g. `refill.not_pending`).
    #[error("{message}")]
    Refused { code: &'static str, message: String },
}

impl domain::ErrorCode for StoreError {
    fn code(&self) -> &str {
        match self {
            StoreError::Db(_) | StoreError::Corrupt(_) => protocol::codes::INTERNAL,
            StoreError::Exists(_) => "request.exists",
            StoreError::NotFound(_) => protocol::codes::NOT_FOUND,
            StoreError::BoundElsewhere(_) => protocol::codes::DEVICE_BOUND_ELSEWHERE,
            StoreError::CatalogueNotNewer(..) => "catalogue.not_newer",
            StoreError::Invalid(_) => protocol::codes::INVALID,
            StoreError::HasHistory(_) => "request.has_history",
            StoreError::HasRefills(_) => "request.has_refills",
            StoreError::ReadmitInvalid(_) => protocol::codes::READMIT_INVALID,
            StoreError::ReadmitAlreadyKnown(_) => protocol::codes::READMIT_ALREADY_KNOWN,
            StoreError::Refused { code, .. } => code,
        }
    }
}

pub type SResult<T> = Result<T, StoreError>;

pub use resets::OtpTry;

pub use domain::Role;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kiosk {
    pub id: Uuid,
    pub code: String,
    pub district: String,
    pub name: String,
    pub active: bool,
    pub cheque_enabled: bool,
    pub exposure: Exposure,
    pub wallet_balance: Paise,
    pub commission_balance: Paise,
}

pub(crate) const KIOSK_COLS: &str = "id, code, district, name, active, cheque_enabled, exp_amount, exp_count, exp_age_secs, wallet_balance, commission_balance";

pub(crate) fn kiosk_from(r: &Row) -> SResult<Kiosk> {
    Ok(Kiosk {
        id: r.uuid(0)?,
        code: r.text(1)?,
        district: r.text(2)?,
        name: r.text(3)?,
        active: r.bool(4)?,
        cheque_enabled: r.bool(5)?,
        exposure: Exposure {
            max_pending_amount: Paise::new(r.i64(6)?),
            max_pending_count: r.i64(7)? as u32,
            max_age_secs: r.i64(8)? as u32,
        },
        wallet_balance: Paise::new(r.i64(9)?),
        commission_balance: Paise::new(r.i64(10)?),
    })
}

/// What [`Store::book_password_check`] allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Booked {
    /// Check the password; it is already counted as failure number `failures`.
    Check {
        failures: i64,
        delayed_until_ms: Option<i64>,
    },
    /// A delay runs: refuse without checking.
    Delayed { until_ms: i64 },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: Uuid,
    pub kiosk_id: Uuid,
    pub login: String,
    pub name: String,
    pub role: Role,
    pub mobile: Option<String>,
    pub password_hash: String,
    pub must_change: bool,
    pub active: bool,
    pub failed_logins: i64,
    pub locked_until_ms: Option<i64>,
}

const USER_COLS: &str = "id, kiosk_id, login, name, role, mobile, password_hash, must_change, active, failed_logins, locked_until_ms";

fn user_from(r: &Row) -> SResult<User> {
    Ok(User {
        id: r.uuid(0)?,
        kiosk_id: r.uuid(1)?,
        login: r.text(2)?,
        name: r.text(3)?,
        role: Role::parse(&r.text(4)?).ok_or_else(|| StoreError::Corrupt("role".into()))?,
        mobile: r.opt_text(5)?,
        password_hash: r.text(6)?,
        must_change: r.bool(7)?,
        active: r.bool(8)?,
        failed_logins: r.i64(9)?,
        locked_until_ms: r.opt_i64(10)?,
    })
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Device {
    pub id: Uuid,
    pub kiosk_id: Uuid,
    pub user_id: Uuid,
    pub device_no: i64,
    pub public_key: [u8; 32],
    pub label: String,
    pub registered_ms: i64,
    pub deregistered_ms: Option<i64>,
    pub high_water: u64,
    pub last_hash: [u8; 32],
}

const DEVICE_COLS: &str = "id, kiosk_id, user_id, device_no, public_key, label, registered_ms, deregistered_ms, high_water, last_hash";

pub(crate) fn device_from(r: &Row) -> SResult<Device> {
    Ok(Device {
        id: r.uuid(0)?,
        kiosk_id: r.uuid(1)?,
        user_id: r.uuid(2)?,
        device_no: r.i64(3)?,
        public_key: r.hash32(4)?,
        label: r.text(5)?,
        registered_ms: r.i64(6)?,
        deregistered_ms: r.opt_i64(7)?,
        high_water: r.i64(8)? as u64,
        last_hash: r.hash32(9)?,
    })
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Bill {
    pub service_code: String,
    pub consumer_no: String,
    pub bill_ref: String,
    pub consumer_name: String,
    /// Paise.
    pub amount: i64,
    /// `YYYY-MM-DD`.
    pub due_date: String,
    pub paid: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Ticket {
    pub id: Uuid,
    pub kiosk_code: String,
    pub raised_by: String,
    pub subject: String,
    pub body: String,
    /// `open`, `in_progress`, `resolved`, `closed`.
    pub status: String,
    pub created_ms: i64,
    pub updated_ms: i64,
    /// What it is about (`payment`, `receipt`, `printer`, ..., `other`).
    pub category: String,
    /// The receipt it concerns, as the kiosk named it.
    pub receipt_no: Option<String>,
    /// A support bundle came with it (read with `admin tickets --show`).
    pub has_attachment: bool,
}

/// One reply (or status change) of the helpdesk on a ticket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TicketReplyRow {
    pub id: i64,
    pub ticket_id: Uuid,
    pub status: String,
    pub text: String,
    pub at_ms: i64,
}

/// Most characters of one helpdesk reply.
pub const TICKET_REPLY_MAX_CHARS: usize = 1000;

pub const TICKET_STATUSES: &[&str] = &["open", "in_progress", "resolved", "closed"];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    pub id: Uuid,
    pub txn_id: i64,
    /// `sms` or `email`.
    pub channel: String,
    pub recipient: String,
    pub subject: String,
    pub body: String,
    /// `queued` or `sent`.
    pub status: String,
    pub attempts: i64,
    pub next_attempt_ms: i64,
    pub last_error: Option<String>,
}

/// What Verify in Reconcile shows for one transaction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TxnStatus {
    pub entry_id: Uuid,
    pub device_id: Uuid,
    pub seq: u64,
    pub kind: String,
    /// `accepted`, `rejected`, `pending`, or `cancelled` for a payment later reversed.
    pub status: String,
    pub code: Option<String>,
    pub reason: Option<String>,
    pub txn_id: Option<i64>,
    pub receipt_no: Option<String>,
    pub local_receipt_no: Option<String>,
    /// Paise.
    pub total: Option<i64>,
    pub device_time_ms: i64,
    pub server_ms: i64,
}

/// Results of the ledger's self-check.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LedgerCheck {
    /// Sum of every line ever written: zero.
    pub total: i64,
    /// Transactions whose lines do not sum to zero.
    pub unbalanced_txns: Vec<i64>,
    /// Kiosks whose recorded balance differs from the sum of their lines:
    /// (code, recorded wallet, sum of wallet lines).
    pub mismatched_kiosks: Vec<(String, i64, i64)>,
}

impl LedgerCheck {
    pub fn is_ok(&self) -> bool {
        self.total == 0 && self.unbalanced_txns.is_empty() && self.mismatched_kiosks.is_empty()
    }
}

pub struct NewKiosk {
    pub code: String,
    pub district: String,
    pub name: String,
    pub cheque_enabled: bool,
    pub exposure: Exposure,
}

/// The default exposure for a new kiosk: ₹20,000, 100 payments, 72 hours.
pub const DEFAULT_EXPOSURE: Exposure = Exposure {
    max_pending_amount: Paise::new(20_000_00),
    max_pending_count: 100,
    max_age_secs: 72 * 3600,
};

/// Ledger account names. Kiosk accounts carry the kiosk id in `kiosk_id`.
pub mod accounts {
    pub const WALLET: &str = "wallet";
    pub const COMMISSION: &str = "commission";
    pub const CHEQUE_CLEARING: &str = "cheque_clearing";
    /// `dept:<code>`: what the centre owes a department.
    pub fn department(code: &str) -> String {
        format!("dept:{code}")
    }
    /// Payments held until their department confirms them.
    pub const PENDING: &str = "centre:pending";
    /// Citizen charges in, commission out.
    pub const FEES: &str = "centre:fees";
    /// Money received from banks for wallet refills.
    pub const REFILLS: &str = "centre:refills";
}

pub fn placeholders(start: usize, n: usize) -> String {
    (start..start + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `($1,$2,$3),($4,$5,$6)...` for a multi-row insert.
pub fn value_rows(rows: usize, cols: usize) -> String {
    (0..rows)
        .map(|r| format!("({})", placeholders(1 + r * cols, cols)))
        .collect::<Vec<_>>()
        .join(", ")
}

#[derive(Clone)]
pub struct Store {
    pub(crate) db: Arc<dyn Db>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) cat_cache: Arc<std::sync::RwLock<Option<Arc<Catalogue>>>>,
    /// Services whose department confirms payments later: their payments
    /// are held (`pending`) until [`Store::settle`].
    pub(crate) confirm_later: Arc<std::collections::HashSet<String>>,
    /// Message texts that must never be written down (first passwords),
    /// by notification id: this process's memory only.
    pub(crate) held: Arc<std::sync::Mutex<std::collections::HashMap<Uuid, String>>>,
}

/// The subject of a message whose text is held in memory only.
pub const HELD_SUBJECT: &str = "e-Mitra login";

impl Store {
    pub fn new(db: Arc<dyn Db>, clock: Arc<dyn Clock>) -> Store {
        Store {
            db,
            clock,
            cat_cache: Default::default(),
            confirm_later: Default::default(),
            held: Default::default(),
        }
    }

    /// The same database as a new process sees it: nothing held in memory.
    pub fn reopened(&self) -> Store {
        Store::new(self.db.clone(), self.clock.clone())
            .with_confirm_later(self.confirm_later.iter().cloned())
    }
    pub fn with_confirm_later(mut self, services: impl IntoIterator<Item = String>) -> Store {
        self.confirm_later = Arc::new(services.into_iter().collect());
        self
    }
    pub fn dialect(&self) -> Dialect {
        self.db.dialect()
    }
    pub fn now_ms(&self) -> i64 {
        self.clock.now().timestamp_millis()
    }
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }
    pub async fn migrate(&self) -> SResult<()> {
        Ok(self.db.migrate().await?)
    }
}

fn txn_status_from(r: &Row) -> SResult<TxnStatus> {
    let mut status = r.text(4)?;
    if status == "accepted" && !r.is_null(13) {
        status = "cancelled".into();
    }
    Ok(TxnStatus {
        entry_id: r.uuid(0)?,
        device_id: r.uuid(1)?,
        seq: r.i64(2)? as u64,
        kind: r.text(3)?,
        status,
        code: r.opt_text(5)?,
        reason: r.opt_text(6)?,
        txn_id: r.opt_i64(7)?,
        receipt_no: r.opt_text(8)?,
        local_receipt_no: r.opt_text(9)?,
        total: r.opt_i64(10)?,
        device_time_ms: r.i64(11)?,
        server_ms: r.i64(12)?,
    })
}

fn ticket_from(r: &Row) -> SResult<Ticket> {
    Ok(Ticket {
        id: r.uuid(0)?,
        kiosk_code: r.text(1)?,
        raised_by: r.text(2)?,
        subject: r.text(3)?,
        body: r.text(4)?,
        status: r.text(5)?,
        created_ms: r.i64(6)?,
        updated_ms: r.i64(7)?,
        category: r.text(8)?,
        receipt_no: r.opt_text(9)?,
        has_attachment: r.bool(10)?,
    })
}

/// The columns [`ticket_from`] reads, from `tickets t JOIN kiosks k`.
pub(crate) const TICKET_COLS: &str = "t.id, k.code, t.raised_by, t.subject, t.body, t.status, t.created_ms, t.updated_ms, t.category, t.receipt_no, (t.attachment IS NOT NULL)";

fn notification_from(r: &Row) -> SResult<Notification> {
    Ok(Notification {
        id: r.uuid(0)?,
        txn_id: r.i64(1)?,
        channel: r.text(2)?,
        recipient: r.text(3)?,
        subject: r.text(4)?,
        body: r.text(5)?,
        status: r.text(6)?,
        attempts: r.i64(7)?,
        next_attempt_ms: r.i64(8)?,
        last_error: r.opt_text(9)?,
    })
}

/// What a new ticket says besides its author, subject and body.
#[derive(Debug, Clone, Default)]
pub(crate) struct TicketExtra<'a> {
    pub category: &'a str,
    pub receipt_no: Option<&'a str>,
    pub attachment: Option<&'a str>,
}

#[allow(clippy::too_many_arguments)]
pub(crate) async fn insert_ticket(
    tx: &mut dyn SqlTx,
    id: Uuid,
    kiosk: Uuid,
    raised_by: &str,
    subject: &str,
    body: &str,
    extra: &TicketExtra<'_>,
    now: i64,
) -> SResult<()> {
    let category = if extra.category.is_empty() {
        "other"
    } else {
        extra.category
    };
    tx.exec(
        // A ticket id seen before: the first one stands. Said in SQL, as a
        // caught unique violation would abort a PostgreSQL transaction.
        "INSERT INTO tickets (id, kiosk_id, raised_by, subject, body, status, created_ms, updated_ms, category, receipt_no, attachment) VALUES ($1,$2,$3,$4,$5,'open',$6,$6,$7,$8,$9) ON CONFLICT (id) DO NOTHING",
        &params![
            id,
            kiosk,
            raised_by,
            subject,
            body,
            now,
            category,
            extra.receipt_no,
            extra.attachment
        ],
    )
    .await?;
    Ok(())
}

/// The helpdesk's replies to a kiosk's tickets after reply id `after`.
pub(crate) async fn ticket_replies_after(
    tx: &mut dyn SqlTx,
    kiosk: Uuid,
    after: i64,
    limit: i64,
) -> SResult<Vec<protocol::TicketReply>> {
    let rows = tx
        .query(
            "SELECT id, ticket_id, status, text, at_ms FROM ticket_replies WHERE kiosk_id = $1 AND id > $2 ORDER BY id LIMIT $3",
            &params![kiosk, after, limit],
        )
        .await?;
    rows.iter()
        .map(|r| {
            Ok(protocol::TicketReply {
                id: r.i64(0)?,
                ticket_id: r.uuid(1)?,
                status: r.text(2)?,
                text: r.text(3)?,
                at_ms: r.i64(4)?,
            })
        })
        .collect()
}

/// Locks the kiosk row for the rest of the transaction (PostgreSQL; SQLite
/// already holds the write lock) and returns it. Every write to a kiosk's
/// ledger takes this lock first, so a kiosk's ledger line ids increase in
/// commit order — what makes pull-by-cursor safe.
pub(crate) async fn lock_kiosk(tx: &mut dyn SqlTx, kiosk: Uuid) -> SResult<Option<Kiosk>> {
    let lock = row_lock(tx);
    let r = tx
        .query_opt(
            &format!("SELECT {KIOSK_COLS} FROM kiosks WHERE id = $1{lock}"),
            &params![kiosk],
        )
        .await?;
    r.as_ref().map(kiosk_from).transpose()
}

/// The row-lock suffix for a `SELECT` inside a write transaction:
/// PostgreSQL needs `FOR UPDATE`; SQLite's `BEGIN IMMEDIATE` already holds
/// the database's write lock.
pub(crate) fn row_lock(tx: &dyn SqlTx) -> &'static str {
    if tx.dialect() == Dialect::Postgres {
        " FOR UPDATE"
    } else {
        ""
    }
}

async fn select_device(tx: &mut dyn SqlTx, id: Uuid, lock: &str) -> SResult<Option<Device>> {
    let r = tx
        .query_opt(
            &format!("SELECT {DEVICE_COLS} FROM devices WHERE id = $1{lock}"),
            &params![id],
        )
        .await?;
    r.as_ref().map(device_from).transpose()
}

pub(crate) async fn device_in(tx: &mut dyn SqlTx, id: Uuid) -> SResult<Option<Device>> {
    select_device(tx, id, "").await
}

pub(crate) async fn lock_device(tx: &mut dyn SqlTx, device: Uuid) -> SResult<Option<Device>> {
    let lock = row_lock(tx);
    select_device(tx, device, lock).await
}

/// `n` fresh server transaction ids (increasing; not gap-free).
pub(crate) async fn next_txn_ids(tx: &mut dyn SqlTx, n: usize) -> SResult<Vec<i64>> {
    if n == 0 {
        return Ok(Vec::new());
    }
    match tx.dialect() {
        Dialect::Postgres => {
            let rows = tx
                .query(
                    "SELECT nextval('txn_seq') FROM generate_series(1, $1)",
                    &params![n as i64],
                )
                .await?;
            let mut v = rows
                .iter()
                .map(|r| r.i64(0))
                .collect::<Result<Vec<_>, _>>()?;
            v.sort_unstable();
            Ok(v)
        }
        Dialect::Sqlite => {
            let last = tx
                .query_one(
                    "UPDATE counters SET value = value + $1 WHERE name = 'txn' RETURNING value",
                    &params![n as i64],
                )
                .await?
                .i64(0)?;
            Ok(((last - n as i64 + 1)..=last).collect())
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PostLine {
    pub account: String,
    pub kiosk: Option<Uuid>,
    pub amount: i64,
}

/// Writes the lines of one transaction (they must sum to zero) and keeps the
/// kiosks' derived balances in step.
pub(crate) async fn post(
    tx: &mut dyn SqlTx,
    txn: i64,
    kind: &str,
    memo: &str,
    now: i64,
    lines: &[PostLine],
) -> SResult<()> {
    post_many(
        tx,
        &[(txn, kind.to_string(), memo.to_string(), lines.to_vec())],
        now,
    )
    .await
}

pub(crate) async fn post_many(
    tx: &mut dyn SqlTx,
    txns: &[(i64, String, String, Vec<PostLine>)],
    now: i64,
) -> SResult<()> {
    let mut vals: Vec<V> = Vec::new();
    let mut n = 0;
    let mut deltas: std::collections::BTreeMap<(Uuid, &'static str), i64> = Default::default();
    for (txn, kind, memo, lines) in txns {
        let sum: i128 = lines.iter().map(|l| l.amount as i128).sum();
        if sum != 0 {
            return Err(StoreError::Invalid(format!(
                "txn {txn} does not balance ({sum})"
            )));
        }
        for l in lines {
            vals.extend(params![
                *txn, &l.account, l.kiosk, l.amount, kind, memo, now
            ]);
            n += 1;
            if let Some(k) = l.kiosk {
                let col = match l.account.as_str() {
                    accounts::WALLET => "wallet_balance",
                    accounts::COMMISSION => "commission_balance",
                    _ => continue,
                };
                *deltas.entry((k, col)).or_default() += l.amount;
            }
        }
    }
    // Chunks keep well inside both databases' parameter limits.
    for chunk in vals.chunks(7 * 1000) {
        let rows = chunk.len() / 7;
        tx.exec(
            &format!("INSERT INTO ledger (txn_id, account, kiosk_id, amount, kind, memo, at_ms) VALUES {}", value_rows(rows, 7)),
            chunk,
        )
        .await?;
    }
    let _ = n;
    for ((k, col), d) in deltas {
        if d != 0 {
            let after = tx
                .query_one(
                    &format!("UPDATE kiosks SET {col} = {col} + $1 WHERE id = $2 RETURNING {col}"),
                    &params![d, k],
                )
                .await?
                .i64(0)?;
            // A wallet going below zero (or back) opens (or closes) its dues.
            if col == "wallet_balance" {
                refills::track_dues(tx, k, after - d, after, now).await?;
            }
        }
    }
    Ok(())
}

pub(crate) async fn kiosk_ledger(
    tx: &mut dyn SqlTx,
    kiosk: Uuid,
    after: i64,
    limit: i64,
) -> SResult<Vec<LedgerLine>> {
    let rows = tx
        .query(
            "SELECT id, txn_id, account, kind, amount, memo, at_ms FROM ledger WHERE kiosk_id = $1 AND id > $2 ORDER BY id LIMIT $3",
            &params![kiosk, after, limit],
        )
        .await?;
    rows.iter()
        .map(|r| {
            Ok(LedgerLine {
                id: r.i64(0)?,
                txn_id: r.i64(1)?,
                account: r.text(2)?,
                kind: r.text(3)?,
                amount: Paise::new(r.i64(4)?),
                memo: r.text(5)?,
                at_ms: r.i64(6)?,
            })
        })
        .collect()
}

pub(crate) async fn notices_after(
    tx: &mut dyn SqlTx,
    kiosk: Uuid,
    after: i64,
    limit: i64,
) -> SResult<Vec<Notice>> {
    let rows = tx
        .query(
            "SELECT id, text_en, text_hi, at_ms FROM notices WHERE (kiosk_id IS NULL OR kiosk_id = $1) AND id > $2 ORDER BY id LIMIT $3",
            &params![kiosk, after, limit],
        )
        .await?;
    rows.iter()
        .map(|r| {
            Ok(Notice {
                id: r.i64(0)?,
                text_en: r.text(1)?,
                text_hi: r.text(2)?,
                at_ms: r.i64(3)?,
            })
        })
        .collect()
}
