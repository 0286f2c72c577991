//! The server's store: every read and write of the central database, written
//! once against [`crate::db::Db`] and run on PostgreSQL or SQLite.

use crate::db::{Db, DbError, Dialect, Row, SqlTx, V};
use crate::{in_tx, params};
use domain::{Catalogue, Clock, Paise};
use protocol::{Exposure, LedgerLine, Notice};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use uuid::Uuid;

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
}

impl domain::ErrorCode for StoreError {
    fn code(&self) -> &'static str {
        match self {
            StoreError::Db(_) | StoreError::Corrupt(_) => protocol::codes::INTERNAL,
            StoreError::Exists(_) => "request.exists",
            StoreError::NotFound(_) => protocol::codes::NOT_FOUND,
            StoreError::BoundElsewhere(_) => protocol::codes::DEVICE_BOUND_ELSEWHERE,
            StoreError::CatalogueNotNewer(..) => "catalogue.not_newer",
            StoreError::Invalid(_) => protocol::codes::INVALID,
            StoreError::HasHistory(_) => "request.has_history",
            StoreError::HasRefills(_) => "request.has_refills",
        }
    }
}

pub type SResult<T> = Result<T, StoreError>;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The kiosk holder: users, devices, funds.
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
}

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
}

impl Store {
    pub fn new(db: Arc<dyn Db>, clock: Arc<dyn Clock>) -> Store {
        Store {
            db,
            clock,
            cat_cache: Default::default(),
            confirm_later: Default::default(),
        }
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

    // ------------------------------------------------------------ kiosks

    pub async fn create_kiosk(&self, k: NewKiosk) -> SResult<Kiosk> {
        let code =
            domain::KioskCode::parse(&k.code).map_err(|e| StoreError::Invalid(e.to_string()))?;
        let id = domain::new_id(&*self.clock);
        let now = self.now_ms();
        let r: SResult<()> = in_tx!(self.db, |tx| {
            tx.exec(
                "INSERT INTO kiosks (id, code, district, name, active, cheque_enabled, exp_amount, exp_count, exp_age_secs, created_ms) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)",
                &params![id, code.as_str(), &k.district, &k.name, true, k.cheque_enabled, k.exposure.max_pending_amount, k.exposure.max_pending_count, k.exposure.max_age_secs, now],
            )
            .await
            .map_err(|e| if e.is_unique_violation() { StoreError::Exists("kiosk") } else { e.into() })?;
            Ok(())
        });
        r?;
        self.kiosk(id).await?.ok_or(StoreError::NotFound("kiosk"))
    }

    pub async fn kiosk(&self, id: Uuid) -> SResult<Option<Kiosk>> {
        let mut tx = self.db.begin_read().await?;
        let r = tx
            .query_opt(
                &format!("SELECT {KIOSK_COLS} FROM kiosks WHERE id = $1"),
                &params![id],
            )
            .await?;
        r.as_ref().map(kiosk_from).transpose()
    }

    pub async fn kiosk_by_code(&self, code: &str) -> SResult<Option<Kiosk>> {
        let mut tx = self.db.begin_read().await?;
        let r = tx
            .query_opt(
                &format!("SELECT {KIOSK_COLS} FROM kiosks WHERE code = $1"),
                &params![code.trim().to_ascii_uppercase()],
            )
            .await?;
        r.as_ref().map(kiosk_from).transpose()
    }

    pub async fn list_kiosks(&self) -> SResult<Vec<Kiosk>> {
        let mut tx = self.db.begin_read().await?;
        let rows = tx
            .query(
                &format!("SELECT {KIOSK_COLS} FROM kiosks ORDER BY code"),
                &[],
            )
            .await?;
        rows.iter().map(kiosk_from).collect()
    }

    pub async fn set_exposure(&self, kiosk: Uuid, e: Exposure) -> SResult<()> {
        in_tx!(self.db, |tx| {
            let n = tx
                .exec(
                    "UPDATE kiosks SET exp_amount = $1, exp_count = $2, exp_age_secs = $3 WHERE id = $4",
                    &params![e.max_pending_amount, e.max_pending_count, e.max_age_secs, kiosk],
                )
                .await?;
            if n == 0 {
                Err(StoreError::NotFound("kiosk"))
            } else {
                Ok(())
            }
        })
    }

    pub async fn set_kiosk_flags(
        &self,
        kiosk: Uuid,
        active: bool,
        cheque_enabled: bool,
    ) -> SResult<()> {
        in_tx!(self.db, |tx| {
            let n = tx
                .exec(
                    "UPDATE kiosks SET active = $1, cheque_enabled = $2 WHERE id = $3",
                    &params![active, cheque_enabled, kiosk],
                )
                .await?;
            if n == 0 {
                Err(StoreError::NotFound("kiosk"))
            } else {
                Ok(())
            }
        })
    }

    // ------------------------------------------------------------ users

    pub async fn create_user(&self, u: &User) -> SResult<()> {
        let now = self.now_ms();
        in_tx!(self.db, |tx| {
            tx.exec(
                &format!("INSERT INTO users ({USER_COLS}, created_ms) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12)"),
                &params![u.id, u.kiosk_id, &u.login, &u.name, u.role.as_str(), u.mobile.clone(), &u.password_hash, u.must_change, u.active, u.failed_logins, u.locked_until_ms, now],
            )
            .await
            .map_err(|e| if e.is_unique_violation() { StoreError::Exists("user") } else { e.into() })?;
            Ok(())
        })
    }

    pub async fn user_by_login(&self, login: &str) -> SResult<Option<User>> {
        let mut tx = self.db.begin_read().await?;
        let r = tx
            .query_opt(
                &format!("SELECT {USER_COLS} FROM users WHERE login = $1"),
                &params![login],
            )
            .await?;
        r.as_ref().map(user_from).transpose()
    }

    pub async fn user(&self, id: Uuid) -> SResult<Option<User>> {
        let mut tx = self.db.begin_read().await?;
        let r = tx
            .query_opt(
                &format!("SELECT {USER_COLS} FROM users WHERE id = $1"),
                &params![id],
            )
            .await?;
        r.as_ref().map(user_from).transpose()
    }

    pub async fn list_users(&self, kiosk: Uuid) -> SResult<Vec<User>> {
        let mut tx = self.db.begin_read().await?;
        let rows = tx
            .query(
                &format!("SELECT {USER_COLS} FROM users WHERE kiosk_id = $1 ORDER BY login"),
                &params![kiosk],
            )
            .await?;
        rows.iter().map(user_from).collect()
    }

    /// Writes the mutable fields of a user back. The failure count and
    /// delay are not among them: only the password check changes those,
    /// under the row lock, so a stale copy can never undo a counted guess.
    pub async fn update_user(&self, u: &User) -> SResult<()> {
        in_tx!(self.db, |tx| {
            tx.exec(
                "UPDATE users SET name = $1, mobile = $2, password_hash = $3, must_change = $4, active = $5 WHERE id = $6",
                &params![&u.name, u.mobile.clone(), &u.password_hash, u.must_change, u.active, u.id],
            )
            .await?;
            Ok(())
        })
    }

    /// Books one password check for `user` before it is made, under the
    /// user's row lock: counted as a failure up front, so parallel guesses
    /// cannot outrun the count, and refused while a delay runs (such a try
    /// is neither checked nor counted). `delay(n)` is the delay that the
    /// n-th failure in a row starts (0: none); the count starts over once
    /// `forget_ms` pass without a failure.
    pub async fn book_password_check(
        &self,
        user: Uuid,
        forget_ms: i64,
        delay: impl Fn(i64) -> i64 + Send,
    ) -> SResult<Booked> {
        let now = self.now_ms();
        in_tx!(self.db, |tx| {
            let lock = row_lock(&*tx);
            let r = tx
                .query_opt(
                    &format!("SELECT failed_logins, locked_until_ms, last_failed_ms FROM users WHERE id = $1{lock}"),
                    &params![user],
                )
                .await?
                .ok_or(StoreError::NotFound("user"))?;
            let (count, until, last) = (r.i64(0)?, r.opt_i64(1)?, r.opt_i64(2)?);
            if let Some(u) = until.filter(|u| *u > now) {
                return Ok(Booked::Delayed { until_ms: u });
            }
            let n = match last {
                Some(t) if now - t >= forget_ms => 1,
                _ => count + 1,
            };
            let d = delay(n);
            let until = (d > 0).then_some(now + d);
            tx.exec(
                "UPDATE users SET failed_logins = $1, last_failed_ms = $2, locked_until_ms = $3 WHERE id = $4",
                &params![n, now, until, user],
            )
            .await?;
            Ok(Booked::Check {
                failures: n,
                delayed_until_ms: until,
            })
        })
    }

    /// The password was right: the booked failure and any before it are forgotten.
    pub async fn password_check_passed(&self, user: Uuid) -> SResult<()> {
        in_tx!(self.db, |tx| {
            tx.exec(
                "UPDATE users SET failed_logins = 0, locked_until_ms = NULL, last_failed_ms = NULL WHERE id = $1",
                &params![user],
            )
            .await?;
            Ok(())
        })
    }

    /// Sets a new password hash; the first-password flag goes.
    pub async fn set_password(&self, user: Uuid, hash: &str) -> SResult<()> {
        in_tx!(self.db, |tx| {
            tx.exec(
                "UPDATE users SET password_hash = $1, must_change = $2 WHERE id = $3",
                &params![hash, false, user],
            )
            .await?;
            Ok(())
        })
    }

    /// Deactivates (or reactivates) a user; a deactivated user's sessions end.
    pub async fn set_user_active(&self, user: Uuid, active: bool) -> SResult<()> {
        in_tx!(self.db, |tx| {
            let n = tx
                .exec(
                    "UPDATE users SET active = $1 WHERE id = $2",
                    &params![active, user],
                )
                .await?;
            if n == 0 {
                return Err(StoreError::NotFound("user"));
            }
            if !active {
                tx.exec("DELETE FROM sessions WHERE user_id = $1", &params![user])
                    .await?;
            }
            Ok(())
        })
    }

    /// Deletes a user who never had a device: a device's entries are
    /// history the centre keeps, so such a user can only be deactivated.
    pub async fn delete_user(&self, user: Uuid) -> SResult<()> {
        in_tx!(self.db, |tx| {
            if tx
                .query_opt("SELECT id FROM devices WHERE user_id = $1", &params![user])
                .await?
                .is_some()
            {
                return Err(StoreError::HasHistory("user"));
            }
            tx.exec("DELETE FROM sessions WHERE user_id = $1", &params![user])
                .await?;
            let n = tx
                .exec("DELETE FROM users WHERE id = $1", &params![user])
                .await?;
            if n == 0 {
                return Err(StoreError::NotFound("user"));
            }
            Ok(())
        })
    }

    /// Deletes a kiosk that never served anyone (no device, no payment),
    /// with its users, tickets and notices. Refills credited to it are
    /// removed as whole transactions (the books stay balanced), and only
    /// when `discard_refills` says so; returns their total.
    pub async fn delete_kiosk(&self, kiosk: Uuid, discard_refills: bool) -> SResult<Paise> {
        in_tx!(self.db, |tx| {
            lock_kiosk(&mut *tx, kiosk)
                .await?
                .ok_or(StoreError::NotFound("kiosk"))?;
            let used = tx
                .query_one(
                    "SELECT CAST((SELECT COUNT(*) FROM devices WHERE kiosk_id = $1) + (SELECT COUNT(*) FROM payments WHERE kiosk_id = $1) + (SELECT COUNT(*) FROM ledger WHERE kiosk_id = $1 AND kind <> 'refill') AS BIGINT)",
                    &params![kiosk],
                )
                .await?
                .i64(0)?;
            if used > 0 {
                return Err(StoreError::HasHistory("kiosk"));
            }
            let r = tx
                .query_one(
                    "SELECT CAST(COUNT(*) AS BIGINT), CAST(COALESCE(SUM(amount), 0) AS BIGINT) FROM ledger WHERE kiosk_id = $1",
                    &params![kiosk],
                )
                .await?;
            let (lines, total) = (r.i64(0)?, Paise::new(r.i64(1)?));
            if lines > 0 && !discard_refills {
                return Err(StoreError::HasRefills(total));
            }
            tx.exec(
                "DELETE FROM ledger WHERE txn_id IN (SELECT txn_id FROM ledger WHERE kiosk_id = $1)",
                &params![kiosk],
            )
            .await?;
            for sql in [
                "DELETE FROM sessions WHERE user_id IN (SELECT id FROM users WHERE kiosk_id = $1)",
                "DELETE FROM users WHERE kiosk_id = $1",
                "DELETE FROM tickets WHERE kiosk_id = $1",
                "DELETE FROM notices WHERE kiosk_id = $1",
                "DELETE FROM kiosks WHERE id = $1",
            ] {
                tx.exec(sql, &params![kiosk]).await?;
            }
            Ok(total)
        })
    }

    // ------------------------------------------------------------ sessions

    pub async fn create_session(
        &self,
        token_hash: [u8; 32],
        user: Uuid,
        expires_ms: i64,
    ) -> SResult<()> {
        let now = self.now_ms();
        in_tx!(self.db, |tx| {
            // Expired sessions are of no use to anyone: sweep them as we go.
            tx.exec(
                "DELETE FROM sessions WHERE user_id = $1 AND expires_ms < $2",
                &params![user, now],
            )
            .await?;
            tx.exec(
                "INSERT INTO sessions (token_hash, user_id, expires_ms) VALUES ($1,$2,$3)",
                &params![token_hash, user, expires_ms],
            )
            .await?;
            Ok(())
        })
    }

    /// The session's user and expiry.
    pub async fn session(&self, token_hash: [u8; 32]) -> SResult<Option<(Uuid, i64)>> {
        let mut tx = self.db.begin_read().await?;
        let r = tx
            .query_opt(
                "SELECT user_id, expires_ms FROM sessions WHERE token_hash = $1",
                &params![token_hash],
            )
            .await?;
        Ok(match r {
            Some(r) => Some((r.uuid(0)?, r.i64(1)?)),
            None => None,
        })
    }

    pub async fn delete_sessions(&self, user: Uuid) -> SResult<()> {
        in_tx!(self.db, |tx| {
            tx.exec("DELETE FROM sessions WHERE user_id = $1", &params![user])
                .await?;
            Ok(())
        })
    }

    pub async fn delete_session(&self, token_hash: [u8; 32]) -> SResult<()> {
        in_tx!(self.db, |tx| {
            tx.exec(
                "DELETE FROM sessions WHERE token_hash = $1",
                &params![token_hash],
            )
            .await?;
            Ok(())
        })
    }

    // ------------------------------------------------------------ devices

    /// Binds `user`'s SSO ID to a new device with this public key. Refused
    /// while the user has a device that is not de-registered.
    pub async fn register_device(
        &self,
        user: &User,
        public_key: [u8; 32],
        label: &str,
    ) -> SResult<Device> {
        let id = domain::new_id(&*self.clock);
        let now = self.now_ms();
        let r: SResult<()> = in_tx!(self.db, |tx| {
            // Serialise registrations of one kiosk (device numbers).
            lock_kiosk(&mut *tx, user.kiosk_id).await?;
            if let Some(r) = tx
                .query_opt(
                    "SELECT id FROM devices WHERE user_id = $1 AND deregistered_ms IS NULL",
                    &params![user.id],
                )
                .await?
            {
                return Err(StoreError::BoundElsewhere(r.uuid(0)?));
            }
            let n = tx
                .query_one(
                    "SELECT CAST(COALESCE(MAX(device_no), 0) AS BIGINT) FROM devices WHERE kiosk_id = $1",
                    &params![user.kiosk_id],
                )
                .await?
                .i64(0)?;
            if n >= 999 {
                return Err(StoreError::Invalid("kiosk has 999 devices".into()));
            }
            tx.exec(
                &format!(
                    "INSERT INTO devices ({DEVICE_COLS}) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)"
                ),
                &params![
                    id,
                    user.kiosk_id,
                    user.id,
                    n + 1,
                    public_key,
                    label,
                    now,
                    None::<i64>,
                    0i64,
                    protocol::GENESIS_HASH
                ],
            )
            .await
            .map_err(|e| {
                if e.is_unique_violation() {
                    StoreError::BoundElsewhere(Uuid::nil())
                } else {
                    e.into()
                }
            })?;
            Ok(())
        });
        r?;
        self.device(id).await?.ok_or(StoreError::NotFound("device"))
    }

    pub async fn device(&self, id: Uuid) -> SResult<Option<Device>> {
        let mut tx = self.db.begin_read().await?;
        let r = tx
            .query_opt(
                &format!("SELECT {DEVICE_COLS} FROM devices WHERE id = $1"),
                &params![id],
            )
            .await?;
        r.as_ref().map(device_from).transpose()
    }

    pub async fn list_devices(&self, kiosk: Option<Uuid>) -> SResult<Vec<Device>> {
        let mut tx = self.db.begin_read().await?;
        let rows = match kiosk {
            Some(k) => {
                tx.query(
                    &format!(
                        "SELECT {DEVICE_COLS} FROM devices WHERE kiosk_id = $1 ORDER BY device_no"
                    ),
                    &params![k],
                )
                .await?
            }
            None => {
                tx.query(
                    &format!("SELECT {DEVICE_COLS} FROM devices ORDER BY kiosk_id, device_no"),
                    &[],
                )
                .await?
            }
        };
        rows.iter().map(device_from).collect()
    }

    /// De-registers a device; its key no longer signs anything. Returns
    /// false when it was already de-registered.
    pub async fn deregister_device(&self, id: Uuid) -> SResult<bool> {
        let now = self.now_ms();
        in_tx!(self.db, |tx| {
            let n = tx
                .exec(
                    "UPDATE devices SET deregistered_ms = $1 WHERE id = $2 AND deregistered_ms IS NULL",
                    &params![now, id],
                )
                .await?;
            Ok(n == 1)
        })
    }

    // ------------------------------------------------------------ catalogue

    pub async fn save_catalogue(&self, c: &Catalogue) -> SResult<()> {
        c.validate()
            .map_err(|e| StoreError::Invalid(e.to_string()))?;
        let body = serde_json::to_string(c).map_err(|e| StoreError::Invalid(e.to_string()))?;
        let now = self.now_ms();
        in_tx!(self.db, |tx| {
            let have = tx
                .query_one(
                    "SELECT CAST(COALESCE(MAX(version), 0) AS BIGINT) FROM catalogues",
                    &[],
                )
                .await?
                .i64(0)? as u32;
            if c.version <= have {
                return Err(StoreError::CatalogueNotNewer(c.version, have));
            }
            tx.exec(
                "INSERT INTO catalogues (version, body, loaded_ms) VALUES ($1,$2,$3)",
                &params![c.version, body, now],
            )
            .await?;
            Ok(())
        })
    }

    pub async fn catalogue(&self) -> SResult<Option<Catalogue>> {
        let mut tx = self.db.begin_read().await?;
        let r = tx
            .query_opt(
                "SELECT body FROM catalogues ORDER BY version DESC LIMIT 1",
                &[],
            )
            .await?;
        match r {
            None => Ok(None),
            Some(r) => serde_json::from_str(&r.text(0)?)
                .map(Some)
                .map_err(|e| StoreError::Corrupt(e.to_string())),
        }
    }

    // ------------------------------------------------------------ bills

    pub async fn upsert_bills(&self, bills: &[Bill]) -> SResult<()> {
        in_tx!(self.db, |tx| {
            for b in bills {
                tx.exec(
                    "INSERT INTO bills (service_code, consumer_no, bill_ref, consumer_name, amount, due_date) VALUES ($1,$2,$3,$4,$5,$6)
                     ON CONFLICT (service_code, consumer_no, bill_ref) DO UPDATE SET consumer_name = $4, amount = $5, due_date = $6",
                    &params![&b.service_code, &b.consumer_no, &b.bill_ref, &b.consumer_name, b.amount, &b.due_date],
                )
                .await?;
            }
            Ok(())
        })
    }

    /// The consumer's latest unpaid bill for a service, else the latest paid one.
    pub async fn find_bill(&self, service: &str, consumer_no: &str) -> SResult<Option<Bill>> {
        let mut tx = self.db.begin_read().await?;
        let r = tx
            .query_opt(
                "SELECT service_code, consumer_no, bill_ref, consumer_name, amount, due_date, paid_txn FROM bills
                 WHERE service_code = $1 AND consumer_no = $2
                 ORDER BY CASE WHEN paid_txn IS NULL THEN 0 ELSE 1 END, due_date DESC LIMIT 1",
                &params![service, consumer_no],
            )
            .await?;
        Ok(match r {
            None => None,
            Some(r) => Some(Bill {
                service_code: r.text(0)?,
                consumer_no: r.text(1)?,
                bill_ref: r.text(2)?,
                consumer_name: r.text(3)?,
                amount: r.i64(4)?,
                due_date: r.text(5)?,
                paid: !r.is_null(6),
            }),
        })
    }

    /// The latest payment (any kiosk) for this service and consumer since
    /// `since_ms`: (kiosk code, receipt no, created ms). The duplicate warning.
    pub async fn recent_payment(
        &self,
        service: &str,
        consumer_no: &str,
        since_ms: i64,
    ) -> SResult<Option<(String, String, i64)>> {
        let mut tx = self.db.begin_read().await?;
        let r = tx
            .query_opt(
                "SELECT k.code, p.receipt_no, l.created_ms FROM payment_lines l
                 JOIN payments p ON p.txn_id = l.txn_id JOIN kiosks k ON k.id = p.kiosk_id
                 WHERE l.service_code = $1 AND l.consumer_no = $2 AND l.created_ms >= $3 AND p.cancel_txn IS NULL
                 ORDER BY l.created_ms DESC LIMIT 1",
                &params![service, consumer_no, since_ms],
            )
            .await?;
        Ok(match r {
            None => None,
            Some(r) => Some((r.text(0)?, r.text(1)?, r.i64(2)?)),
        })
    }

    // ------------------------------------------------------------ ledger

    /// Credits a kiosk's wallet (bank refill, transfer): refills account → wallet.
    pub async fn refill(&self, kiosk: Uuid, amount: Paise, memo: &str) -> SResult<i64> {
        if !amount.is_positive() || amount > Paise::MAX_INPUT {
            return Err(StoreError::Invalid(
                "refill amount must be positive and within limits".into(),
            ));
        }
        let now = self.now_ms();
        in_tx!(self.db, |tx| {
            lock_kiosk(&mut *tx, kiosk)
                .await?
                .ok_or(StoreError::NotFound("kiosk"))?;
            let txn = next_txn_ids(&mut *tx, 1).await?[0];
            let lines = vec![
                PostLine {
                    account: accounts::REFILLS.into(),
                    kiosk: None,
                    amount: -amount.as_i64(),
                },
                PostLine {
                    account: accounts::WALLET.into(),
                    kiosk: Some(kiosk),
                    amount: amount.as_i64(),
                },
            ];
            post(&mut *tx, txn, "refill", memo, now, &lines).await?;
            Ok(txn)
        })
    }

    pub async fn ledger_lines(
        &self,
        kiosk: Uuid,
        after: i64,
        limit: i64,
    ) -> SResult<Vec<LedgerLine>> {
        let mut tx = self.db.begin_read().await?;
        kiosk_ledger(&mut *tx, kiosk, after, limit).await
    }

    /// The whole ledger's self-check (the invariants tests run after every test).
    pub async fn ledger_check(&self) -> SResult<LedgerCheck> {
        let mut tx = self.db.begin_snapshot().await?;
        let total = tx
            .query_one(
                "SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) FROM ledger",
                &[],
            )
            .await?
            .i64(0)?;
        let unbalanced = tx
            .query(
                "SELECT txn_id FROM ledger GROUP BY txn_id HAVING SUM(amount) <> 0 ORDER BY txn_id",
                &[],
            )
            .await?
            .iter()
            .map(|r| r.i64(0))
            .collect::<Result<Vec<_>, _>>()?;
        let rows = tx
            .query(
                "SELECT k.code, k.wallet_balance, CAST(COALESCE((SELECT SUM(amount) FROM ledger l WHERE l.kiosk_id = k.id AND l.account = 'wallet'), 0) AS BIGINT),
                        k.commission_balance, CAST(COALESCE((SELECT SUM(amount) FROM ledger l WHERE l.kiosk_id = k.id AND l.account = 'commission'), 0) AS BIGINT)
                 FROM kiosks k ORDER BY k.code",
                &[],
            )
            .await?;
        let mut mismatched = Vec::new();
        for r in rows {
            if r.i64(1)? != r.i64(2)? || r.i64(3)? != r.i64(4)? {
                mismatched.push((r.text(0)?, r.i64(1)?, r.i64(2)?));
            }
        }
        Ok(LedgerCheck {
            total,
            unbalanced_txns: unbalanced,
            mismatched_kiosks: mismatched,
        })
    }

    /// Onboards many kiosks at once (a district's roll-out, load tests):
    /// each gets a holder `<code lowercase>-h` with `password_hash`, one
    /// registered device with the given public key, and `opening` in the
    /// wallet. Returns (kiosk id, device id) per input, in order.
    pub async fn bulk_onboard(
        &self,
        kiosks: &[(String, [u8; 32])],
        district: &str,
        opening: Paise,
        password_hash: &str,
    ) -> SResult<Vec<(Uuid, Uuid)>> {
        let now = self.now_ms();
        let mut out = Vec::with_capacity(kiosks.len());
        for chunk in kiosks.chunks(500) {
            let ids: Vec<(Uuid, Uuid, Uuid)> = chunk
                .iter()
                .map(|_| {
                    (
                        domain::new_id(&*self.clock),
                        domain::new_id(&*self.clock),
                        domain::new_id(&*self.clock),
                    )
                })
                .collect();
            let r: SResult<()> = in_tx!(self.db, |tx| {
                let e = DEFAULT_EXPOSURE;
                let mut kv = Vec::new();
                let mut uv = Vec::new();
                let mut dv = Vec::new();
                for ((code, key), (k, u, d)) in chunk.iter().zip(&ids) {
                    let code = domain::KioskCode::parse(code)
                        .map_err(|e| StoreError::Invalid(e.to_string()))?;
                    kv.extend(params![
                        *k,
                        code.as_str(),
                        district,
                        format!("Kiosk {code}"),
                        true,
                        false,
                        e.max_pending_amount,
                        e.max_pending_count,
                        e.max_age_secs,
                        now
                    ]);
                    uv.extend(params![
                        *u,
                        *k,
                        format!("{}-h", code.as_str().to_lowercase()),
                        "Holder",
                        "holder",
                        None::<String>,
                        password_hash,
                        false,
                        true,
                        0i64,
                        None::<i64>,
                        now
                    ]);
                    dv.extend(params![
                        *d,
                        *k,
                        *u,
                        1i64,
                        *key,
                        "counter 1",
                        now,
                        None::<i64>,
                        0i64,
                        protocol::GENESIS_HASH
                    ]);
                }
                let n = chunk.len();
                tx.exec(&format!("INSERT INTO kiosks (id, code, district, name, active, cheque_enabled, exp_amount, exp_count, exp_age_secs, created_ms) VALUES {}", value_rows(n, 10)), &kv).await?;
                tx.exec(
                    &format!(
                        "INSERT INTO users ({USER_COLS}, created_ms) VALUES {}",
                        value_rows(n, 12)
                    ),
                    &uv,
                )
                .await?;
                tx.exec(
                    &format!(
                        "INSERT INTO devices ({DEVICE_COLS}) VALUES {}",
                        value_rows(n, 10)
                    ),
                    &dv,
                )
                .await?;
                if opening.is_positive() {
                    let txns = next_txn_ids(&mut *tx, n).await?;
                    let posts: Vec<_> = ids
                        .iter()
                        .zip(txns)
                        .map(|((k, _, _), t)| {
                            (
                                t,
                                "refill".to_string(),
                                "opening balance".to_string(),
                                vec![
                                    PostLine {
                                        account: accounts::REFILLS.into(),
                                        kiosk: None,
                                        amount: -opening.as_i64(),
                                    },
                                    PostLine {
                                        account: accounts::WALLET.into(),
                                        kiosk: Some(*k),
                                        amount: opening.as_i64(),
                                    },
                                ],
                            )
                        })
                        .collect();
                    post_many(&mut *tx, &posts, now).await?;
                }
                Ok(())
            });
            r?;
            out.extend(ids.iter().map(|(k, _, d)| (*k, *d)));
        }
        Ok(out)
    }

    // ------------------------------------------------------------ notices, alerts

    pub async fn add_notice(
        &self,
        kiosk: Option<Uuid>,
        text_en: &str,
        text_hi: &str,
    ) -> SResult<()> {
        let now = self.now_ms();
        in_tx!(self.db, |tx| {
            tx.exec(
                "INSERT INTO notices (kiosk_id, text_en, text_hi, at_ms) VALUES ($1,$2,$3,$4)",
                &params![kiosk, text_en, text_hi, now],
            )
            .await?;
            Ok(())
        })
    }

    /// Tamper alerts: (device, expected seq, detail, at).
    pub async fn tamper_alerts(&self) -> SResult<Vec<(Uuid, u64, String, i64)>> {
        let mut tx = self.db.begin_read().await?;
        let rows = tx
            .query(
                "SELECT device_id, expected_seq, detail, at_ms FROM tamper_alerts ORDER BY id",
                &[],
            )
            .await?;
        rows.iter()
            .map(|r| Ok((r.uuid(0)?, r.i64(1)? as u64, r.text(2)?, r.i64(3)?)))
            .collect()
    }

    /// Row counts of the tables a refused request must not touch.
    pub async fn fingerprint(&self) -> SResult<Vec<(String, i64)>> {
        let mut tx = self.db.begin_snapshot().await?;
        let mut out = Vec::new();
        for t in [
            "entries",
            "payments",
            "payment_lines",
            "ledger",
            "notifications",
            "tickets",
            "devices",
            "users",
            "sessions",
            "kiosks",
            "tamper_alerts",
        ] {
            let n = tx
                .query_one(&format!("SELECT CAST(COUNT(*) AS BIGINT) FROM {t}"), &[])
                .await?
                .i64(0)?;
            out.push((t.to_string(), n));
        }
        let h = tx
            .query_one(
                "SELECT CAST(COALESCE(SUM(high_water), 0) AS BIGINT) FROM devices",
                &[],
            )
            .await?
            .i64(0)?;
        out.push(("devices.high_water".into(), h));
        Ok(out)
    }

    // ------------------------------------------------------------ tickets

    pub async fn create_ticket(
        &self,
        kiosk: Uuid,
        raised_by: &str,
        subject: &str,
        body: &str,
    ) -> SResult<Uuid> {
        let id = domain::new_id(&*self.clock);
        let now = self.now_ms();
        in_tx!(self.db, |tx| {
            insert_ticket(&mut *tx, id, kiosk, raised_by, subject, body, now).await?;
            Ok(id)
        })
    }

    pub async fn tickets(&self, kiosk: Option<Uuid>) -> SResult<Vec<Ticket>> {
        let mut tx = self.db.begin_read().await?;
        let sql = "SELECT t.id, k.code, t.raised_by, t.subject, t.body, t.status, t.created_ms, t.updated_ms FROM tickets t JOIN kiosks k ON k.id = t.kiosk_id";
        let rows = match kiosk {
            Some(k) => {
                tx.query(
                    &format!("{sql} WHERE t.kiosk_id = $1 ORDER BY t.created_ms DESC"),
                    &params![k],
                )
                .await?
            }
            None => {
                tx.query(&format!("{sql} ORDER BY t.created_ms DESC"), &[])
                    .await?
            }
        };
        rows.iter().map(ticket_from).collect()
    }

    pub async fn ticket(&self, id: Uuid) -> SResult<Option<(Uuid, Ticket)>> {
        let mut tx = self.db.begin_read().await?;
        let r = tx
            .query_opt(
                "SELECT t.id, k.code, t.raised_by, t.subject, t.body, t.status, t.created_ms, t.updated_ms, t.kiosk_id FROM tickets t JOIN kiosks k ON k.id = t.kiosk_id WHERE t.id = $1",
                &params![id],
            )
            .await?;
        match r {
            None => Ok(None),
            Some(r) => Ok(Some((r.uuid(8)?, ticket_from(&r)?))),
        }
    }

    pub async fn set_ticket_status(&self, id: Uuid, status: &str) -> SResult<()> {
        if !TICKET_STATUSES.contains(&status) {
            return Err(StoreError::Invalid(format!(
                "ticket status must be one of {TICKET_STATUSES:?}"
            )));
        }
        let now = self.now_ms();
        in_tx!(self.db, |tx| {
            let n = tx
                .exec(
                    "UPDATE tickets SET status = $1, updated_ms = $2 WHERE id = $3",
                    &params![status, now, id],
                )
                .await?;
            if n == 0 {
                Err(StoreError::NotFound("ticket"))
            } else {
                Ok(())
            }
        })
    }

    // ------------------------------------------------------------ notifications

    pub async fn due_notifications(&self, limit: i64) -> SResult<Vec<Notification>> {
        let now = self.now_ms();
        let mut tx = self.db.begin_read().await?;
        let rows = tx
            .query(
                "SELECT id, txn_id, channel, recipient, subject, body, status, attempts, next_attempt_ms, last_error FROM notifications
                 WHERE status = 'queued' AND next_attempt_ms <= $1 ORDER BY next_attempt_ms LIMIT $2",
                &params![now, limit],
            )
            .await?;
        rows.iter().map(notification_from).collect()
    }

    pub async fn notifications_for_txn(&self, txn_id: i64) -> SResult<Vec<Notification>> {
        let mut tx = self.db.begin_read().await?;
        let rows = tx
            .query(
                "SELECT id, txn_id, channel, recipient, subject, body, status, attempts, next_attempt_ms, last_error FROM notifications WHERE txn_id = $1 ORDER BY channel",
                &params![txn_id],
            )
            .await?;
        rows.iter().map(notification_from).collect()
    }

    pub async fn mark_notification_sent(&self, id: Uuid) -> SResult<()> {
        let now = self.now_ms();
        in_tx!(self.db, |tx| {
            tx.exec(
                "UPDATE notifications SET status = 'sent', attempts = attempts + 1, sent_ms = $1, last_error = NULL WHERE id = $2",
                &params![now, id],
            )
            .await?;
            Ok(())
        })
    }

    /// A failed attempt: the message stays queued for `next_attempt_ms`.
    pub async fn mark_notification_failed(
        &self,
        id: Uuid,
        error: &str,
        next_attempt_ms: i64,
    ) -> SResult<()> {
        let error: String = error.chars().take(500).collect();
        in_tx!(self.db, |tx| {
            tx.exec(
                "UPDATE notifications SET attempts = attempts + 1, last_error = $1, next_attempt_ms = $2 WHERE id = $3",
                &params![error, next_attempt_ms, id],
            )
            .await?;
            Ok(())
        })
    }

    /// Queues a message outside a payment (e.g. a first password by SMS).
    pub async fn queue_notification(
        &self,
        channel: &str,
        recipient: &str,
        subject: &str,
        body: &str,
    ) -> SResult<Uuid> {
        let id = domain::new_id(&*self.clock);
        let now = self.now_ms();
        in_tx!(self.db, |tx| {
            tx.exec(
                "INSERT INTO notifications (id, txn_id, channel, recipient, subject, body, status, attempts, next_attempt_ms, created_ms) VALUES ($1,$2,$3,$4,$5,$6,'queued',0,$7,$8)",
                &params![id, 0i64, channel, recipient, subject, body, now, now],
            )
            .await?;
            Ok(id)
        })
    }

    // ------------------------------------------------------------ reconcile

    /// Verify: a transaction of this kiosk by its final or local receipt
    /// number or by its entry id.
    pub async fn txn_status(
        &self,
        kiosk: Uuid,
        receipt_no: Option<&str>,
        entry_id: Option<Uuid>,
    ) -> SResult<Option<TxnStatus>> {
        let mut tx = self.db.begin_read().await?;
        let base = "SELECT e.id, e.device_id, e.seq, e.kind, e.status, e.code, e.reason, e.txn_id, e.receipt_no, p.local_receipt_no, p.total, e.device_time_ms, e.server_ms, p.cancel_txn
                    FROM entries e JOIN devices d ON d.id = e.device_id LEFT JOIN payments p ON p.txn_id = e.txn_id AND e.kind = 'payment'
                    WHERE d.kiosk_id = $1";
        let r = if let Some(id) = entry_id {
            tx.query_opt(
                &format!("{base} AND e.id = $2 ORDER BY e.seq LIMIT 1"),
                &params![kiosk, id],
            )
            .await?
        } else if let Some(no) = receipt_no {
            match tx
                .query_opt(
                    "SELECT entry_id FROM payments WHERE kiosk_id = $1 AND (receipt_no = $2 OR local_receipt_no = $2)",
                    &params![kiosk, no],
                )
                .await?
            {
                Some(p) => tx.query_opt(&format!("{base} AND e.id = $2 ORDER BY e.seq LIMIT 1"), &params![kiosk, p.uuid(0)?]).await?,
                None => None,
            }
        } else {
            None
        };
        r.as_ref().map(txn_status_from).transpose()
    }

    /// Transactions of a kiosk received in `[from_ms, to_ms)`, optionally by status.
    pub async fn txns_between(
        &self,
        kiosk: Uuid,
        from_ms: i64,
        to_ms: i64,
        status: Option<&str>,
    ) -> SResult<Vec<TxnStatus>> {
        let mut tx = self.db.begin_read().await?;
        let rows = tx
            .query(
                "SELECT e.id, e.device_id, e.seq, e.kind, e.status, e.code, e.reason, e.txn_id, e.receipt_no, p.local_receipt_no, p.total, e.device_time_ms, e.server_ms, p.cancel_txn
                 FROM entries e JOIN devices d ON d.id = e.device_id LEFT JOIN payments p ON p.txn_id = e.txn_id AND e.kind = 'payment'
                 WHERE d.kiosk_id = $1 AND e.device_time_ms >= $2 AND e.device_time_ms < $3
                 ORDER BY e.device_time_ms, e.seq LIMIT 5000",
                &params![kiosk, from_ms, to_ms],
            )
            .await?;
        let all = rows
            .iter()
            .map(txn_status_from)
            .collect::<SResult<Vec<_>>>()?;
        Ok(match status {
            Some(s) => all.into_iter().filter(|t| t.status == s).collect(),
            None => all,
        })
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
    })
}

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

pub(crate) async fn insert_ticket(
    tx: &mut dyn SqlTx,
    id: Uuid,
    kiosk: Uuid,
    raised_by: &str,
    subject: &str,
    body: &str,
    now: i64,
) -> SResult<()> {
    tx.exec(
        // A ticket id seen before: the first one stands. Said in SQL, as a
        // caught unique violation would abort a PostgreSQL transaction.
        "INSERT INTO tickets (id, kiosk_id, raised_by, subject, body, status, created_ms, updated_ms) VALUES ($1,$2,$3,$4,$5,'open',$6,$6) ON CONFLICT (id) DO NOTHING",
        &params![id, kiosk, raised_by, subject, body, now],
    )
    .await?;
    Ok(())
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
            tx.exec(
                &format!("UPDATE kiosks SET {col} = {col} + $1 WHERE id = $2"),
                &params![d, k],
            )
            .await?;
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
