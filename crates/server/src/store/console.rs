//! The store: the centre console's admins, sessions, audit log, maker-checker
//! proposals, alert acknowledgements and the kiosks' health.
//!
//! Every change an admin makes is written with its audit row in one
//! transaction (the `*_in` functions of the other files do the work inside
//! it), so no change is ever without its trace.

use super::*;
use serde_json::{Value, json};

/// What an admin may see and do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AdminRole {
    /// The state's staff: every district, and the catalogue.
    State,
    /// A district e-Governance society: its own district's kiosks.
    District,
    /// Reads, never changes.
    Auditor,
}

impl AdminRole {
    pub fn parse(s: &str) -> Option<AdminRole> {
        match s {
            "state" => Some(AdminRole::State),
            "district" => Some(AdminRole::District),
            "auditor" => Some(AdminRole::Auditor),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            AdminRole::State => "state",
            AdminRole::District => "district",
            AdminRole::Auditor => "auditor",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Admin {
    pub id: Uuid,
    pub login: String,
    pub name: String,
    pub role: AdminRole,
    /// A district admin's district; an auditor's when scoped; else none.
    pub district: Option<String>,
    pub password_hash: String,
    pub active: bool,
}

impl Admin {
    /// The district this admin is limited to (none: all of them).
    pub fn scope(&self) -> Option<&str> {
        match self.role {
            AdminRole::State => None,
            AdminRole::District | AdminRole::Auditor => self.district.as_deref(),
        }
    }
    pub fn sees(&self, district: &str) -> bool {
        self.scope().is_none_or(|d| d == district)
    }
}

const ADMIN_COLS: &str = "id, login, name, role, district, password_hash, active";

fn admin_from(r: &Row) -> SResult<Admin> {
    Ok(Admin {
        id: r.uuid(0)?,
        login: r.text(1)?,
        name: r.text(2)?,
        role: AdminRole::parse(&r.text(3)?)
            .ok_or_else(|| StoreError::Corrupt("admin role".into()))?,
        district: r.opt_text(4)?,
        password_hash: r.text(5)?,
        active: r.bool(6)?,
    })
}

/// One console session.
#[derive(Debug, Clone)]
pub struct AdminSession {
    pub admin_id: Uuid,
    pub csrf: String,
    pub expires_ms: i64,
    pub ends_ms: i64,
}

/// Who did it, for the audit row.
#[derive(Debug, Clone)]
pub struct Actor {
    pub id: Uuid,
    pub login: String,
}

impl From<&Admin> for Actor {
    fn from(a: &Admin) -> Actor {
        Actor {
            id: a.id,
            login: a.login.clone(),
        }
    }
}

/// A kiosk as the registry shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KioskRow {
    pub code: String,
    pub name: String,
    pub district: String,
    pub active: bool,
    pub wallet_balance: i64,
    pub commission_balance: i64,
    pub last_seen_ms: Option<i64>,
    pub last_sync_ms: Option<i64>,
    pub outbox_depth: Option<i64>,
    pub outbox_amount: Option<i64>,
    pub oldest_pending_ms: Option<i64>,
    pub app_version: Option<String>,
    pub clock_offset_ms: Option<i64>,
    pub inactivity_days: Option<i64>,
    pub online: bool,
    pub stuck: bool,
}

/// A kiosk seen within this long is online.
pub const ONLINE_WITHIN_MS: i64 = 10 * 60 * 1000;
/// A kiosk whose oldest unsent entry is older than this is stuck (the
/// default of the config's `stuck_after_secs`).
pub const STUCK_AFTER_MS: i64 = 4 * 60 * 60 * 1000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum KioskStatus {
    #[default]
    All,
    Online,
    Offline,
    Stuck,
    /// Deactivated kiosks.
    Inactive,
}

#[derive(Debug, Clone, Serialize)]
pub struct Proposal {
    pub id: Uuid,
    pub kind: String,
    pub kiosk_code: String,
    pub district: String,
    pub amount: i64,
    pub detail: Value,
    pub proposed_by: String,
    pub proposed_ms: i64,
    pub status: String,
    pub decided_by: Option<String>,
    pub decided_ms: Option<i64>,
    pub reason: Option<String>,
}

/// What a maker proposes.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum NewProposal {
    /// Credit a kiosk's wallet: a refill request's amount (`request_id`),
    /// or a manual refill.
    Refill {
        kiosk_code: String,
        amount: i64,
        mode: String,
        #[serde(default)]
        reference: Option<String>,
        #[serde(default)]
        request_id: Option<Uuid>,
    },
    /// The department's answer on a held payment.
    Settle {
        txn_id: i64,
        confirm: bool,
        #[serde(default)]
        reason: String,
    },
}

#[derive(Debug, Clone, Serialize)]
pub struct AuditRow {
    pub id: i64,
    pub at_ms: i64,
    pub admin: String,
    pub action: String,
    pub target: String,
    pub district: Option<String>,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

#[derive(Debug, Clone, Serialize)]
pub struct AlertRow {
    pub id: i64,
    pub kind: String,
    pub kiosk_code: String,
    pub district: String,
    pub device_id: Option<Uuid>,
    pub detail: String,
    pub at_ms: i64,
    pub acked_by: Option<String>,
    pub acked_ms: Option<i64>,
    pub note: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct HeldRow {
    pub txn_id: i64,
    pub receipt_no: String,
    pub kiosk_code: String,
    pub district: String,
    pub total: i64,
    pub created_ms: i64,
}

/// One page of a console list, and whether more rows follow its last.
#[derive(Debug, Clone)]
pub struct ListPage<T> {
    pub rows: Vec<T>,
    pub more: bool,
}

/// Rows in a page of a console list when the caller names no number, and
/// the most it may name.
pub const LIST_LIMIT_DEFAULT: i64 = 100;
pub const LIST_LIMIT_MAX: i64 = 500;

/// Where the next page of a list sorted by time starts: just past the row
/// with this time (ms) and id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SortKey<Id> {
    pub ms: i64,
    pub id: Id,
}

/// A page of `limit` from a query asked for one row more.
fn page_of<T>(mut rows: Vec<T>, limit: i64) -> ListPage<T> {
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    ListPage { rows, more }
}

fn list_limit(limit: i64) -> i64 {
    limit.clamp(1, LIST_LIMIT_MAX)
}

#[derive(Debug, Clone, Serialize)]
pub struct DuesRow {
    pub kiosk_code: String,
    pub district: String,
    pub deposit_limit: i64,
    pub wallet_balance: i64,
    pub dues: i64,
    pub due_date: Option<String>,
    pub interest: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct ReconcileRow {
    pub department: String,
    pub count: i64,
    pub total: i64,
    pub accepted: i64,
    pub pending: i64,
    pub cancelled: i64,
    /// What the department's account was credited for these payments.
    pub posted: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct ReceiptRow {
    pub receipt_no: String,
    pub local_receipt_no: String,
    pub mode: String,
    pub total: i64,
    pub operator: String,
    pub created_ms: i64,
    pub status: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct WalletLine {
    pub id: i64,
    pub txn_id: i64,
    pub account: String,
    pub kind: String,
    pub amount: i64,
    pub memo: String,
    pub at_ms: i64,
    /// The wallet's balance after this line.
    pub balance: i64,
}

pub mod codes {
    pub const SELF_APPROVAL: &str = "console.self_approval";
    pub const NOT_PENDING: &str = "console.not_pending";
    pub const ALREADY_ACKED: &str = "console.already_acked";
    pub const CATALOGUE_STALE: &str = "catalogue.stale";
    pub const REASON_REQUIRED: &str = "console.reason_required";
    pub const ALREADY_PROPOSED: &str = "console.already_proposed";
    pub const ALREADY_DEREGISTERED: &str = "console.already_deregistered";
}

fn refused(code: &'static str, message: impl Into<String>) -> StoreError {
    StoreError::Refused {
        code,
        message: message.into(),
    }
}

/// A reason or note: one clean line, required.
pub fn required_text(what: &'static str, s: &str, max: usize) -> SResult<String> {
    let t =
        domain::text::clean_text(what, s, max).map_err(|e| StoreError::Invalid(e.to_string()))?;
    if t.trim().is_empty() {
        return Err(refused(
            codes::REASON_REQUIRED,
            format!("a {what} is needed"),
        ));
    }
    Ok(t.trim().to_string())
}

/// Writes one audit row inside the change's own transaction.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn audit_in(
    tx: &mut dyn SqlTx,
    actor: &Actor,
    action: &str,
    target: &str,
    district: Option<&str>,
    before: Option<Value>,
    after: Option<Value>,
    now: i64,
) -> SResult<()> {
    tx.exec(
        "INSERT INTO audit_log (at_ms, admin_id, admin_login, action, target, district, before_json, after_json) VALUES ($1,$2,$3,$4,$5,$6,$7,$8)",
        &params![
            now,
            actor.id,
            &actor.login,
            action,
            target,
            district,
            before.map(|v| v.to_string()),
            after.map(|v| v.to_string())
        ],
    )
    .await?;
    Ok(())
}

/// A record as JSON for the audit log.
fn js<T: Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

/// `$n` placeholders appended one at a time, for queries with optional filters.
struct Sql {
    text: String,
    params: Vec<V>,
}

impl Sql {
    fn new(text: &str) -> Sql {
        Sql {
            text: text.to_string(),
            params: Vec::new(),
        }
    }
    fn push(&mut self, text: &str, p: impl Into<V>) -> &mut Sql {
        self.params.push(p.into());
        self.text
            .push_str(&text.replace("$?", &format!("${}", self.params.len())));
        self
    }
    fn raw(&mut self, text: &str) -> &mut Sql {
        self.text.push_str(text);
        self
    }
    /// Keeps the rows past `c` in the order `ms_col, id_col`, both
    /// descending (`desc`) or both ascending.
    fn past<Id: Into<V>>(
        &mut self,
        ms_col: &str,
        id_col: &str,
        desc: bool,
        c: SortKey<Id>,
    ) -> &mut Sql {
        let op = if desc { "<" } else { ">" };
        self.push(&format!(" AND ({ms_col} {op} $?"), c.ms);
        self.push(&format!(" OR ({ms_col} = $?"), c.ms);
        self.push(&format!(" AND {id_col} {op} $?))"), c.id)
    }
    /// A page's `LIMIT`: one row more than the page, to tell whether more follow.
    fn page_limit(&mut self, limit: i64) -> &mut Sql {
        self.push(" LIMIT $?", limit + 1)
    }
}

const HEALTH_JOIN: &str =
    " LEFT JOIN (SELECT kiosk_id, MAX(last_seen_ms) AS seen, MAX(last_sync_ms) AS synced,
      SUM(outbox_depth) AS depth, SUM(outbox_amount) AS amount, MIN(oldest_pending_ms) AS oldest,
      MAX(app_version) AS ver, MAX(clock_offset_ms) AS off_hi, MIN(clock_offset_ms) AS off_lo
    FROM device_health GROUP BY kiosk_id) h ON h.kiosk_id = k.id";

const KIOSK_ROW_COLS: &str = "k.code, k.name, k.district, k.active, k.wallet_balance, k.commission_balance,
    h.seen, h.synced, CAST(h.depth AS BIGINT), CAST(h.amount AS BIGINT), h.oldest, h.ver, h.off_hi, h.off_lo,
    (SELECT MAX(p.created_ms) FROM payments p WHERE p.kiosk_id = k.id)";

fn kiosk_row_from(r: &Row, now: i64, stuck_after_ms: i64) -> SResult<KioskRow> {
    let seen = r.opt_i64(6)?;
    let oldest = r.opt_i64(10)?;
    let (hi, lo) = (r.opt_i64(12)?, r.opt_i64(13)?);
    // The device furthest off stands for the kiosk.
    let offset = match (hi, lo) {
        (Some(h), Some(l)) => Some(if h.abs() >= l.abs() { h } else { l }),
        (h, l) => h.or(l),
    };
    let last_payment = r.opt_i64(14)?;
    Ok(KioskRow {
        code: r.text(0)?,
        name: r.text(1)?,
        district: r.text(2)?,
        active: r.bool(3)?,
        wallet_balance: r.i64(4)?,
        commission_balance: r.i64(5)?,
        last_seen_ms: seen,
        last_sync_ms: r.opt_i64(7)?,
        outbox_depth: r.opt_i64(8)?,
        outbox_amount: r.opt_i64(9)?,
        oldest_pending_ms: oldest,
        app_version: r.opt_text(11)?,
        clock_offset_ms: offset,
        inactivity_days: last_payment.map(|t| ((now - t).max(0)) / 86_400_000),
        online: seen.is_some_and(|s| s >= now - ONLINE_WITHIN_MS),
        stuck: oldest.is_some_and(|o| o < now - stuck_after_ms),
    })
}

/// Midnight in India of a `YYYY-MM-DD` date, as unix ms.
pub fn ist_day_start_ms(date: &str) -> SResult<i64> {
    let d = chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d")
        .map_err(|_| StoreError::Invalid("a date is YYYY-MM-DD".into()))?;
    let ist = chrono::FixedOffset::east_opt(5 * 3600 + 1800).expect("IST");
    Ok(d.and_hms_opt(0, 0, 0)
        .expect("midnight")
        .and_local_timezone(ist)
        .single()
        .expect("IST has no gaps")
        .timestamp_millis())
}

impl Store {
    // ------------------------------------------------------------ admins

    pub async fn create_admin(
        &self,
        login: &str,
        name: &str,
        role: AdminRole,
        district: Option<&str>,
        password_hash: &str,
    ) -> SResult<Admin> {
        let login = crate::auth::normalise_login(login);
        if login.is_empty() || login.len() > 64 || login.chars().any(|c| c.is_whitespace()) {
            return Err(StoreError::Invalid(
                "an admin login is 1 to 64 characters without spaces".into(),
            ));
        }
        let district = district.map(str::trim).filter(|d| !d.is_empty());
        if role == AdminRole::District && district.is_none() {
            return Err(StoreError::Invalid(
                "a district admin needs --district".into(),
            ));
        }
        if role == AdminRole::State && district.is_some() {
            return Err(StoreError::Invalid(
                "a state admin sees every district; leave --district out".into(),
            ));
        }
        let name = required_text("name", name, 100)?;
        let a = Admin {
            id: Uuid::now_v7(),
            login: login.to_string(),
            name,
            role,
            district: district.map(str::to_string),
            password_hash: password_hash.to_string(),
            active: true,
        };
        let now = self.now_ms();
        in_tx!(self.db, |tx| {
            let taken = tx
                .query_opt("SELECT 1 FROM admins WHERE login = $1", &params![&a.login])
                .await?;
            if taken.is_some() {
                return Err(StoreError::Exists("admin"));
            }
            tx.exec(
                &format!(
                    "INSERT INTO admins ({ADMIN_COLS}, created_ms) VALUES ($1,$2,$3,$4,$5,$6,$7,$8)"
                ),
                &params![
                    a.id,
                    &a.login,
                    &a.name,
                    a.role.as_str(),
                    a.district.clone(),
                    &a.password_hash,
                    true,
                    now
                ],
            )
            .await?;
            Ok(())
        })?;
        Ok(a)
    }

    pub async fn admin_by_login(&self, login: &str) -> SResult<Option<Admin>> {
        let mut tx = self.db.begin_read().await?;
        let r = tx
            .query_opt(
                &format!("SELECT {ADMIN_COLS} FROM admins WHERE login = $1"),
                &params![login],
            )
            .await?;
        r.as_ref().map(admin_from).transpose()
    }

    pub async fn admin(&self, id: Uuid) -> SResult<Option<Admin>> {
        let mut tx = self.db.begin_read().await?;
        let r = tx
            .query_opt(
                &format!("SELECT {ADMIN_COLS} FROM admins WHERE id = $1"),
                &params![id],
            )
            .await?;
        r.as_ref().map(admin_from).transpose()
    }

    pub async fn set_admin_active(&self, login: &str, active: bool) -> SResult<()> {
        in_tx!(self.db, |tx| {
            let n = tx
                .exec(
                    "UPDATE admins SET active = $1 WHERE login = $2",
                    &params![active, login],
                )
                .await?;
            if n == 0 {
                return Err(StoreError::NotFound("admin"));
            }
            if !active {
                tx.exec(
                    "DELETE FROM admin_sessions WHERE admin_id IN (SELECT id FROM admins WHERE login = $1)",
                    &params![login],
                )
                .await?;
            }
            Ok(())
        })
    }

    // ------------------------------------------------------------ sessions

    pub async fn create_admin_session(
        &self,
        token_hash: [u8; 32],
        admin: &Admin,
        csrf: &str,
        expires_ms: i64,
        ends_ms: i64,
    ) -> SResult<()> {
        let now = self.now_ms();
        in_tx!(self.db, |tx| {
            tx.exec(
                "DELETE FROM admin_sessions WHERE admin_id = $1 AND (expires_ms < $2 OR ends_ms < $2)",
                &params![admin.id, now],
            )
            .await?;
            tx.exec(
                "INSERT INTO admin_sessions (token_hash, admin_id, csrf, expires_ms, ends_ms) VALUES ($1,$2,$3,$4,$5)",
                &params![token_hash, admin.id, csrf, expires_ms, ends_ms],
            )
            .await?;
            audit_in(
                &mut *tx,
                &admin.into(),
                "console.login",
                &format!("admin:{}", admin.login),
                admin.district.as_deref(),
                None,
                None,
                now,
            )
            .await?;
            Ok(())
        })
    }

    pub async fn admin_session(&self, token_hash: [u8; 32]) -> SResult<Option<AdminSession>> {
        let mut tx = self.db.begin_read().await?;
        let r = tx
            .query_opt(
                "SELECT admin_id, csrf, expires_ms, ends_ms FROM admin_sessions WHERE token_hash = $1",
                &params![token_hash],
            )
            .await?;
        r.map(|r| {
            Ok(AdminSession {
                admin_id: r.uuid(0)?,
                csrf: r.text(1)?,
                expires_ms: r.i64(2)?,
                ends_ms: r.i64(3)?,
            })
        })
        .transpose()
    }

    /// Moves a session's idle expiry forward (never past its end).
    pub async fn touch_admin_session(&self, token_hash: [u8; 32], expires_ms: i64) -> SResult<()> {
        in_tx!(self.db, |tx| {
            tx.exec(
                "UPDATE admin_sessions SET expires_ms = CASE WHEN $1 < ends_ms THEN $1 ELSE ends_ms END WHERE token_hash = $2",
                &params![expires_ms, token_hash],
            )
            .await?;
            Ok(())
        })
    }

    pub async fn end_admin_session(&self, token_hash: [u8; 32], admin: &Admin) -> SResult<()> {
        let now = self.now_ms();
        in_tx!(self.db, |tx| {
            tx.exec(
                "DELETE FROM admin_sessions WHERE token_hash = $1",
                &params![token_hash],
            )
            .await?;
            audit_in(
                &mut *tx,
                &admin.into(),
                "console.logout",
                &format!("admin:{}", admin.login),
                admin.district.as_deref(),
                None,
                None,
                now,
            )
            .await?;
            Ok(())
        })
    }

    // ------------------------------------------------------------ health

    /// What a device said of itself on a pull (and that it was seen).
    pub async fn record_health(
        &self,
        device: Uuid,
        kiosk: Uuid,
        h: Option<&protocol::KioskHealth>,
    ) -> SResult<()> {
        let now = self.now_ms();
        let clock_offset_ms = h.and_then(|h| h.clock_offset_ms);
        let (depth, amount, oldest, ver) = match h {
            Some(h) => (
                h.outbox_depth as i64,
                h.outbox_amount.as_i64(),
                h.oldest_pending_secs.map(|s| now - s as i64 * 1000),
                h.app_version.chars().take(32).collect::<String>(),
            ),
            None => (0, 0, None, String::new()),
        };
        let reprints = h.map_or(0, |h| h.reprints_24h as i64);
        in_tx!(self.db, |tx| {
            let before = tx
                .query_opt(
                    "SELECT clock_offset_ms FROM device_health WHERE device_id = $1",
                    &params![device],
                )
                .await?
                .map(|r| r.opt_i64(0))
                .transpose()?
                .flatten();
            for (kind, detail) in health_alerts(before, clock_offset_ms, reprints) {
                crate::sync::raise_alert(&mut *tx, device, kiosk, 0, kind, &detail, now).await?;
            }
            let n = tx
                .exec(
                    "UPDATE device_health SET last_seen_ms = $1, last_sync_ms = $1, outbox_depth = $2, outbox_amount = $3, oldest_pending_ms = $4, app_version = $5, clock_offset_ms = COALESCE($6, clock_offset_ms) WHERE device_id = $7",
                    &params![now, depth, amount, oldest, &ver, clock_offset_ms, device],
                )
                .await?;
            if n == 0 {
                tx.exec(
                    "INSERT INTO device_health (device_id, kiosk_id, last_seen_ms, last_sync_ms, outbox_depth, outbox_amount, oldest_pending_ms, app_version, clock_offset_ms) VALUES ($1,$2,$3,$3,$4,$5,$6,$7,$8)",
                    &params![device, kiosk, now, depth, amount, oldest, &ver, clock_offset_ms],
                )
                .await?;
            }
            Ok(())
        })
    }

    // ------------------------------------------------------------ kiosks

    /// One page of the registry, sorted by code, and how many match.
    #[allow(clippy::too_many_arguments)]
    pub async fn kiosk_registry(
        &self,
        scope: Option<&str>,
        district: Option<&str>,
        status: KioskStatus,
        q: Option<&str>,
        offset: i64,
        limit: i64,
        stuck_after_ms: i64,
    ) -> SResult<(i64, Vec<KioskRow>)> {
        let now = self.now_ms();
        let mut w = Sql::new(" WHERE 1 = 1");
        if let Some(s) = scope {
            w.push(" AND k.district = $?", s);
        }
        if let Some(d) = district.map(str::trim).filter(|d| !d.is_empty()) {
            w.push(" AND LOWER(k.district) = $?", d.to_lowercase());
        }
        if let Some(q) = q.map(str::trim).filter(|q| !q.is_empty()) {
            let pat = format!(
                "%{}%",
                q.to_lowercase()
                    .chars()
                    .filter(|c| !matches!(c, '%' | '_' | '\\'))
                    .take(64)
                    .collect::<String>()
            );
            w.push(" AND (LOWER(k.code) LIKE $?", pat.clone());
            w.push(" OR LOWER(k.name) LIKE $?)", pat);
        }
        match status {
            KioskStatus::All => {}
            KioskStatus::Online => {
                w.push(" AND h.seen >= $?", now - ONLINE_WITHIN_MS);
            }
            KioskStatus::Offline => {
                w.push(" AND k.active = $?", true);
                w.push(
                    " AND (h.seen IS NULL OR h.seen < $?)",
                    now - ONLINE_WITHIN_MS,
                );
            }
            KioskStatus::Stuck => {
                w.push(" AND h.oldest < $?", now - stuck_after_ms);
            }
            KioskStatus::Inactive => {
                w.push(" AND k.active = $?", false);
            }
        }
        let mut tx = self.db.begin_snapshot().await?;
        let total = tx
            .query_one(
                &format!("SELECT COUNT(*) FROM kiosks k{HEALTH_JOIN}{}", w.text),
                &w.params,
            )
            .await?
            .i64(0)?;
        let mut page = Sql {
            text: format!(
                "SELECT {KIOSK_ROW_COLS} FROM kiosks k{HEALTH_JOIN}{}",
                w.text
            ),
            params: w.params.clone(),
        };
        page.raw(" ORDER BY k.code");
        page.push(" LIMIT $?", limit);
        page.push(" OFFSET $?", offset);
        let rows = tx.query(&page.text, &page.params).await?;
        let rows = rows
            .iter()
            .map(|r| kiosk_row_from(r, now, stuck_after_ms))
            .collect::<SResult<Vec<_>>>()?;
        Ok((total, rows))
    }

    /// One kiosk's registry row (none when out of scope or unknown).
    pub async fn kiosk_row(
        &self,
        scope: Option<&str>,
        code: &str,
        stuck_after_ms: i64,
    ) -> SResult<Option<KioskRow>> {
        let now = self.now_ms();
        let mut tx = self.db.begin_read().await?;
        let r = tx
            .query_opt(
                &format!("SELECT {KIOSK_ROW_COLS} FROM kiosks k{HEALTH_JOIN} WHERE k.code = $1"),
                &params![code],
            )
            .await?;
        let row = r
            .map(|r| kiosk_row_from(&r, now, stuck_after_ms))
            .transpose()?;
        Ok(row.filter(|k| scope.is_none_or(|s| s == k.district)))
    }

    /// The kiosk's latest receipts.
    pub async fn recent_receipts(&self, kiosk: Uuid, limit: i64) -> SResult<Vec<ReceiptRow>> {
        let mut tx = self.db.begin_read().await?;
        let rows = tx
            .query(
                "SELECT receipt_no, local_receipt_no, mode, total, operator, created_ms, pending, cancel_txn FROM payments WHERE kiosk_id = $1 ORDER BY created_ms DESC, txn_id DESC LIMIT $2",
                &params![kiosk, limit],
            )
            .await?;
        rows.iter()
            .map(|r| {
                Ok(ReceiptRow {
                    receipt_no: r.text(0)?,
                    local_receipt_no: r.text(1)?,
                    mode: r.text(2)?,
                    total: r.i64(3)?,
                    operator: r.text(4)?,
                    created_ms: r.i64(5)?,
                    status: if r.bool(6)? {
                        "pending"
                    } else if !r.is_null(7) {
                        "cancelled"
                    } else {
                        "accepted"
                    }
                    .into(),
                })
            })
            .collect()
    }

    /// The kiosk's latest wallet lines, newest first, each with the balance after it.
    pub async fn wallet_lines(&self, kiosk: &Kiosk, limit: i64) -> SResult<Vec<WalletLine>> {
        let mut tx = self.db.begin_snapshot().await?;
        let rows = tx
            .query(
                "SELECT id, txn_id, account, kind, amount, memo, at_ms FROM ledger WHERE kiosk_id = $1 AND account = $2 ORDER BY id DESC LIMIT $3",
                &params![kiosk.id, accounts::WALLET, limit],
            )
            .await?;
        let bal = tx
            .query_one(
                "SELECT wallet_balance FROM kiosks WHERE id = $1",
                &params![kiosk.id],
            )
            .await?
            .i64(0)?;
        let mut balance = bal;
        rows.iter()
            .map(|r| {
                let amount = r.i64(4)?;
                let line = WalletLine {
                    id: r.i64(0)?,
                    txn_id: r.i64(1)?,
                    account: r.text(2)?,
                    kind: r.text(3)?,
                    amount,
                    memo: r.text(5)?,
                    at_ms: r.i64(6)?,
                    balance,
                };
                balance -= amount;
                Ok(line)
            })
            .collect()
    }

    /// De-registers a device so its SSO ID can be bound on another PC.
    pub async fn console_deregister(
        &self,
        actor: &Actor,
        scope: Option<&str>,
        device: Uuid,
        reason: &str,
    ) -> SResult<Device> {
        let reason = required_text("reason", reason, 200)?;
        let now = self.now_ms();
        in_tx!(self.db, |tx| {
            let d = device_in(&mut *tx, device)
                .await?
                .ok_or(StoreError::NotFound("device"))?;
            let k = lock_kiosk(&mut *tx, d.kiosk_id)
                .await?
                .ok_or(StoreError::NotFound("device"))?;
            if scope.is_some_and(|s| s != k.district) {
                return Err(StoreError::NotFound("device"));
            }
            if !self.deregister_device_in(&mut *tx, device).await? {
                return Err(refused(
                    codes::ALREADY_DEREGISTERED,
                    "this device is de-registered already",
                ));
            }
            let after = device_in(&mut *tx, device)
                .await?
                .ok_or(StoreError::NotFound("device"))?;
            audit_in(
                &mut *tx,
                actor,
                "device.deregister",
                &format!("device:{device}"),
                Some(&k.district),
                Some(json!({"kiosk": k.code, "device_no": d.device_no, "label": d.label, "deregistered_ms": null})),
                Some(json!({"kiosk": k.code, "device_no": d.device_no, "label": d.label, "deregistered_ms": after.deregistered_ms, "reason": reason})),
                now,
            )
            .await?;
            Ok(after)
        })
    }

    // ------------------------------------------------------------ money

    pub async fn console_reject_refill(
        &self,
        actor: &Actor,
        scope: Option<&str>,
        id: Uuid,
        reason: &str,
    ) -> SResult<RefillRequest> {
        let reason = required_text("reason", reason, 200)?;
        let now = self.now_ms();
        in_tx!(self.db, |tx| {
            let (kiosk, before) = self.scoped_request(&mut *tx, scope, id).await?;
            self.reject_refill_in(&mut *tx, id, &reason).await?;
            let after = request_in(&mut *tx, id).await?;
            audit_in(
                &mut *tx,
                actor,
                "refill_request.reject",
                &format!("refill_request:{id}"),
                Some(&kiosk.district),
                Some(js(&before)),
                Some(js(&after)),
                now,
            )
            .await?;
            Ok(after)
        })
    }

    async fn scoped_request(
        &self,
        tx: &mut dyn SqlTx,
        scope: Option<&str>,
        id: Uuid,
    ) -> SResult<(Kiosk, RefillRequest)> {
        let r = request_in(tx, id).await?;
        let k = kiosk_by_code_in(tx, &r.kiosk_code)
            .await?
            .ok_or(StoreError::NotFound("refill request"))?;
        if scope.is_some_and(|s| s != k.district) {
            return Err(StoreError::NotFound("refill request"));
        }
        Ok((k, r))
    }

    /// A maker's proposal; nothing moves until another admin approves it.
    pub async fn propose(
        &self,
        actor: &Actor,
        scope: Option<&str>,
        p: &NewProposal,
    ) -> SResult<Proposal> {
        let now = self.now_ms();
        let id = Uuid::now_v7();
        in_tx!(self.db, |tx| {
            let (kiosk, amount, subject, detail) = match p {
                NewProposal::Refill {
                    kiosk_code,
                    amount,
                    mode,
                    reference,
                    request_id,
                } => {
                    let (kiosk, amount, mode, reference) = match request_id {
                        Some(rid) => {
                            let (k, r) = self.scoped_request(&mut *tx, scope, *rid).await?;
                            if &r.kiosk_code != kiosk_code {
                                return Err(StoreError::NotFound("refill request"));
                            }
                            if r.status != protocol::refills::STATUS_PENDING {
                                return Err(refused(
                                    codes::NOT_PENDING,
                                    "this refill request is not pending",
                                ));
                            }
                            (k, r.amount.as_i64(), r.mode.clone(), r.reference.clone())
                        }
                        None => {
                            let k = kiosk_by_code_in(&mut *tx, kiosk_code)
                                .await?
                                .filter(|k| scope.is_none_or(|s| s == k.district))
                                .ok_or(StoreError::NotFound("kiosk"))?;
                            if *amount <= 0 || Paise::new(*amount) > Paise::MAX_INPUT {
                                return Err(refused(
                                    protocol::refills::codes::AMOUNT_INVALID,
                                    "the amount must be positive and within limits",
                                ));
                            }
                            if !protocol::refills::REFILL_MODES.contains(&mode.as_str()) {
                                return Err(refused(
                                    protocol::refills::codes::MODE_UNKNOWN,
                                    format!("mode is one of {:?}", protocol::refills::REFILL_MODES),
                                ));
                            }
                            let reference = reference
                                .as_deref()
                                .map(|r| required_text("reference", r, 40))
                                .transpose()?;
                            if reference.is_none() {
                                return Err(refused(
                                    protocol::refills::codes::REFERENCE_REQUIRED,
                                    "a bank reference is needed",
                                ));
                            }
                            (k, *amount, mode.clone(), reference)
                        }
                    };
                    (
                        kiosk,
                        amount,
                        request_id.map(|r| r.to_string()),
                        json!({"mode": mode, "reference": reference, "request_id": request_id}),
                    )
                }
                NewProposal::Settle {
                    txn_id,
                    confirm,
                    reason,
                } => {
                    let r = tx
                        .query_opt(
                            "SELECT kiosk_id, total, receipt_no, pending FROM payments WHERE txn_id = $1",
                            &params![*txn_id],
                        )
                        .await?
                        .ok_or(StoreError::NotFound("payment"))?;
                    let k = lock_kiosk(&mut *tx, r.uuid(0)?)
                        .await?
                        .filter(|k| scope.is_none_or(|s| s == k.district))
                        .ok_or(StoreError::NotFound("payment"))?;
                    if !r.bool(3)? {
                        return Err(refused(codes::NOT_PENDING, "this payment is not held"));
                    }
                    let reason = if *confirm {
                        domain::text::clean_text("reason", reason, 200)
                            .map_err(|e| StoreError::Invalid(e.to_string()))?
                    } else {
                        required_text("reason", reason, 200)?
                    };
                    (
                        k,
                        r.i64(1)?,
                        Some(txn_id.to_string()),
                        json!({"txn_id": txn_id, "receipt_no": r.text(2)?, "confirm": confirm, "reason": reason}),
                    )
                }
            };
            let kind = match p {
                NewProposal::Refill { .. } => "refill",
                NewProposal::Settle { .. } => "settle",
            };
            if let Some(sub) = &subject {
                let open = tx
                    .query_opt(
                        "SELECT 1 FROM proposals WHERE kind = $1 AND subject = $2 AND status = 'pending'",
                        &params![kind, sub],
                    )
                    .await?;
                if open.is_some() {
                    return Err(refused(
                        codes::ALREADY_PROPOSED,
                        "a proposal for this waits for approval already",
                    ));
                }
            }
            tx.exec(
                "INSERT INTO proposals (id, kind, kiosk_id, amount, subject, detail, proposed_by, proposed_ms, status) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,'pending')",
                &params![id, kind, kiosk.id, amount, subject, detail.to_string(), actor.id, now],
            )
            .await?;
            let prop = proposal_in(&mut *tx, id).await?;
            audit_in(
                &mut *tx,
                actor,
                &format!("{kind}.propose"),
                &format!("proposal:{id}"),
                Some(&kiosk.district),
                None,
                Some(js(&prop)),
                now,
            )
            .await?;
            Ok(prop)
        })
    }

    /// A page of proposals in scope, newest first (by when proposed, then id).
    pub async fn proposals(
        &self,
        scope: Option<&str>,
        status: Option<&str>,
        limit: i64,
        before: Option<SortKey<Uuid>>,
    ) -> SResult<ListPage<Proposal>> {
        let limit = list_limit(limit);
        let mut tx = self.db.begin_read().await?;
        let mut q = Sql::new(&format!("{PROPOSAL_SELECT} WHERE 1 = 1"));
        if let Some(s) = scope {
            q.push(" AND k.district = $?", s);
        }
        if let Some(st) = status {
            q.push(" AND p.status = $?", st);
        }
        if let Some(c) = before {
            q.past("p.proposed_ms", "p.id", true, c);
        }
        q.raw(" ORDER BY p.proposed_ms DESC, p.id DESC");
        q.page_limit(limit);
        let rows = tx.query(&q.text, &q.params).await?;
        let rows = rows
            .iter()
            .map(proposal_from)
            .collect::<SResult<Vec<_>>>()?;
        Ok(page_of(rows, limit))
    }

    /// The checker's approval: the proposal is applied in the same
    /// transaction. Its maker cannot approve it.
    pub async fn approve(&self, actor: &Actor, scope: Option<&str>, id: Uuid) -> SResult<Proposal> {
        let now = self.now_ms();
        in_tx!(self.db, |tx| {
            let (before, maker, kiosk_id, detail) = pending_proposal(&mut *tx, scope, id).await?;
            if maker == actor.id {
                return Err(refused(
                    codes::SELF_APPROVAL,
                    "a second admin must approve what you proposed",
                ));
            }
            let k = lock_kiosk(&mut *tx, kiosk_id)
                .await?
                .ok_or(StoreError::NotFound("proposal"))?;
            let applied = match before.kind.as_str() {
                "refill" => {
                    let rid = detail
                        .get("request_id")
                        .and_then(|v| v.as_str())
                        .map(Uuid::parse_str)
                        .transpose()
                        .map_err(|_| StoreError::Corrupt("proposal".into()))?;
                    let txn = match rid {
                        Some(rid) => self.credit_refill_in(&mut *tx, rid).await?,
                        None => {
                            let memo = format!(
                                "console refill {} {} (proposal {id})",
                                detail.get("mode").and_then(|v| v.as_str()).unwrap_or(""),
                                detail
                                    .get("reference")
                                    .and_then(|v| v.as_str())
                                    .unwrap_or("")
                            );
                            self.refill_in(&mut *tx, k.id, Paise::new(before.amount), &memo)
                                .await?
                        }
                    };
                    json!({"txn_id": txn})
                }
                "settle" => {
                    let txn = detail
                        .get("txn_id")
                        .and_then(|v| v.as_i64())
                        .ok_or_else(|| StoreError::Corrupt("proposal".into()))?;
                    let confirm = detail
                        .get("confirm")
                        .and_then(|v| v.as_bool())
                        .unwrap_or(false);
                    let reason = detail.get("reason").and_then(|v| v.as_str()).unwrap_or("");
                    let o = self.settle_in(&mut *tx, txn, confirm, reason).await?;
                    serde_json::to_value(format!("{o:?}")).unwrap_or(Value::Null)
                }
                _ => return Err(StoreError::Corrupt("proposal kind".into())),
            };
            tx.exec(
                "UPDATE proposals SET status = 'approved', decided_by = $1, decided_ms = $2 WHERE id = $3",
                &params![actor.id, now, id],
            )
            .await?;
            let after = proposal_in(&mut *tx, id).await?;
            let mut after_v = js(&after);
            after_v["applied"] = applied;
            audit_in(
                &mut *tx,
                actor,
                &format!("{}.approve", before.kind),
                &format!("proposal:{id}"),
                Some(&k.district),
                Some(js(&before)),
                Some(after_v),
                now,
            )
            .await?;
            Ok(after)
        })
    }

    /// Rejects (or, by its maker, withdraws) a pending proposal.
    pub async fn reject_proposal(
        &self,
        actor: &Actor,
        scope: Option<&str>,
        id: Uuid,
        reason: &str,
    ) -> SResult<Proposal> {
        let reason = required_text("reason", reason, 200)?;
        let now = self.now_ms();
        in_tx!(self.db, |tx| {
            let (before, _, _, _) = pending_proposal(&mut *tx, scope, id).await?;
            tx.exec(
                "UPDATE proposals SET status = 'rejected', decided_by = $1, decided_ms = $2, reason = $3 WHERE id = $4",
                &params![actor.id, now, &reason, id],
            )
            .await?;
            let after = proposal_in(&mut *tx, id).await?;
            audit_in(
                &mut *tx,
                actor,
                &format!("{}.reject", before.kind),
                &format!("proposal:{id}"),
                Some(&before.district),
                Some(js(&before)),
                Some(js(&after)),
                now,
            )
            .await?;
            Ok(after)
        })
    }

    /// A page of refill requests in scope, each with its kiosk's district,
    /// newest first (by when made, then id); `status` none: every status.
    pub async fn console_refill_requests(
        &self,
        scope: Option<&str>,
        status: Option<&str>,
        limit: i64,
        before: Option<SortKey<Uuid>>,
    ) -> SResult<ListPage<(String, RefillRequest)>> {
        let limit = list_limit(limit);
        let mut tx = self.db.begin_read().await?;
        let mut q = Sql::new(&format!(
            "SELECT {}, k.district FROM refill_requests r JOIN kiosks k ON k.id = r.kiosk_id WHERE 1 = 1",
            refills::REQUEST_COLS
        ));
        if let Some(s) = scope {
            q.push(" AND k.district = $?", s);
        }
        if let Some(st) = status {
            q.push(" AND r.status = $?", st);
        }
        if let Some(c) = before {
            q.past("r.created_ms", "r.id", true, c);
        }
        q.raw(" ORDER BY r.created_ms DESC, r.id DESC");
        q.page_limit(limit);
        let rows = tx.query(&q.text, &q.params).await?;
        let rows = rows
            .iter()
            .map(|r| Ok((r.text(12)?, refills::request_from(r)?)))
            .collect::<SResult<Vec<_>>>()?;
        Ok(page_of(rows, limit))
    }

    /// A page of held payments in scope, oldest first (by when made, then
    /// txn id): the longest waiting come first.
    pub async fn held_payments(
        &self,
        scope: Option<&str>,
        limit: i64,
        after: Option<SortKey<i64>>,
    ) -> SResult<ListPage<HeldRow>> {
        let limit = list_limit(limit);
        let mut tx = self.db.begin_read().await?;
        let mut q = Sql::new(HELD_SELECT);
        if let Some(s) = scope {
            q.push(" AND k.district = $?", s);
        }
        if let Some(c) = after {
            q.past("p.created_ms", "p.txn_id", false, c);
        }
        q.raw(" ORDER BY p.created_ms, p.txn_id");
        q.page_limit(limit);
        let rows = tx.query(&q.text, &q.params).await?;
        let rows = rows.iter().map(held_from).collect::<SResult<Vec<_>>>()?;
        Ok(page_of(rows, limit))
    }

    pub async fn dues_rows(&self, scope: Option<&str>) -> SResult<Vec<DuesRow>> {
        let now = self.now_ms();
        let mut tx = self.db.begin_snapshot().await?;
        let mut q = Sql::new(
            "SELECT k.id, k.code, k.district, k.wallet_balance FROM kiosks k LEFT JOIN kiosk_deposits d ON d.kiosk_id = k.id WHERE (d.deposit_limit > 0 OR k.wallet_balance < 0)",
        );
        if let Some(s) = scope {
            q.push(" AND k.district = $?", s);
        }
        q.raw(" ORDER BY k.code LIMIT 1000");
        let rows = tx.query(&q.text, &q.params).await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let bal = r.i64(3)?;
            let t = wallet_terms_in(&mut *tx, r.uuid(0)?, bal, now).await?;
            out.push(DuesRow {
                kiosk_code: r.text(1)?,
                district: r.text(2)?,
                deposit_limit: t.deposit_limit.as_i64(),
                wallet_balance: bal,
                dues: t.dues.as_i64(),
                due_date: t.due_date,
                interest: t.interest.as_i64(),
            });
        }
        Ok(out)
    }

    // ------------------------------------------------------------ alerts

    /// A page of alerts in scope, newest first (by id); `acked` none: both.
    pub async fn alerts(
        &self,
        scope: Option<&str>,
        acked: Option<bool>,
        limit: i64,
        before: Option<i64>,
    ) -> SResult<ListPage<AlertRow>> {
        let limit = list_limit(limit);
        let mut tx = self.db.begin_read().await?;
        let mut q = Sql::new(ALERT_SELECT);
        if let Some(s) = scope {
            q.push(" AND k.district = $?", s);
        }
        match acked {
            Some(true) => {
                q.raw(" AND x.alert_id IS NOT NULL");
            }
            Some(false) => {
                q.raw(" AND x.alert_id IS NULL");
            }
            None => {}
        }
        if let Some(id) = before {
            q.push(" AND a.id < $?", id);
        }
        q.raw(" ORDER BY a.id DESC");
        q.page_limit(limit);
        let rows = tx.query(&q.text, &q.params).await?;
        let rows = rows.iter().map(alert_from).collect::<SResult<Vec<_>>>()?;
        Ok(page_of(rows, limit))
    }

    /// One alert, none when out of scope or unknown.
    pub async fn alert(&self, scope: Option<&str>, id: i64) -> SResult<Option<AlertRow>> {
        let mut tx = self.db.begin_read().await?;
        let mut q = Sql::new(ALERT_SELECT);
        q.push(" AND a.id = $?", id);
        if let Some(s) = scope {
            q.push(" AND k.district = $?", s);
        }
        let r = tx.query_opt(&q.text, &q.params).await?;
        r.as_ref().map(alert_from).transpose()
    }

    pub async fn ack_alert(
        &self,
        actor: &Actor,
        scope: Option<&str>,
        id: i64,
        note: &str,
    ) -> SResult<AlertRow> {
        let note = required_text("note", note, 500)?;
        let now = self.now_ms();
        in_tx!(self.db, |tx| {
            let r = tx
                .query_opt(
                    "SELECT k.district, a.detail, k.code FROM tamper_alerts a JOIN kiosks k ON k.id = a.kiosk_id WHERE a.id = $1",
                    &params![id],
                )
                .await?
                .ok_or(StoreError::NotFound("alert"))?;
            let district = r.text(0)?;
            if scope.is_some_and(|s| s != district) {
                return Err(StoreError::NotFound("alert"));
            }
            let done = tx
                .query_opt("SELECT 1 FROM alert_acks WHERE alert_id = $1", &params![id])
                .await?;
            if done.is_some() {
                return Err(refused(
                    codes::ALREADY_ACKED,
                    "this alert is acknowledged already",
                ));
            }
            tx.exec(
                "INSERT INTO alert_acks (alert_id, admin_id, note, at_ms) VALUES ($1,$2,$3,$4)",
                &params![id, actor.id, &note, now],
            )
            .await?;
            audit_in(
                &mut *tx,
                actor,
                "alert.ack",
                &format!("alert:{id}"),
                Some(&district),
                Some(json!({"kiosk": r.text(2)?, "detail": r.text(1)?, "acked": false})),
                Some(
                    json!({"kiosk": r.text(2)?, "detail": r.text(1)?, "acked": true, "note": note}),
                ),
                now,
            )
            .await?;
            Ok(())
        })?;
        self.alert(scope, id)
            .await?
            .ok_or(StoreError::NotFound("alert"))
    }

    // ------------------------------------------------------------ tickets

    /// A page of tickets in scope, each with its kiosk's district, newest
    /// first (by when raised, then id); `status` none: every status.
    pub async fn console_tickets(
        &self,
        scope: Option<&str>,
        status: Option<&str>,
        limit: i64,
        before: Option<SortKey<Uuid>>,
    ) -> SResult<ListPage<(String, Ticket)>> {
        let limit = list_limit(limit);
        let mut tx = self.db.begin_read().await?;
        let mut q = Sql::new(&format!(
            "SELECT {TICKET_COLS}, k.district FROM tickets t JOIN kiosks k ON k.id = t.kiosk_id WHERE 1 = 1"
        ));
        if let Some(s) = scope {
            q.push(" AND k.district = $?", s);
        }
        if let Some(st) = status {
            q.push(" AND t.status = $?", st);
        }
        if let Some(c) = before {
            q.past("t.created_ms", "t.id", true, c);
        }
        q.raw(" ORDER BY t.created_ms DESC, t.id DESC");
        q.page_limit(limit);
        let rows = tx.query(&q.text, &q.params).await?;
        let rows = rows
            .iter()
            .map(|r| Ok((r.text(11)?, ticket_from(r)?)))
            .collect::<SResult<Vec<_>>>()?;
        Ok(page_of(rows, limit))
    }

    pub async fn console_reply_ticket(
        &self,
        actor: &Actor,
        scope: Option<&str>,
        id: Uuid,
        status: Option<&str>,
        text: &str,
    ) -> SResult<Ticket> {
        let now = self.now_ms();
        let (kiosk, before) = self
            .ticket(id)
            .await?
            .ok_or(StoreError::NotFound("ticket"))?;
        let k = self
            .kiosk(kiosk)
            .await?
            .ok_or(StoreError::NotFound("ticket"))?;
        if scope.is_some_and(|s| s != k.district) {
            return Err(StoreError::NotFound("ticket"));
        }
        in_tx!(self.db, |tx| {
            let reply = self.reply_ticket_in(&mut *tx, id, status, text).await?;
            audit_in(
                &mut *tx,
                actor,
                "ticket.reply",
                &format!("ticket:{id}"),
                Some(&k.district),
                Some(json!({"status": before.status})),
                Some(json!({"status": status.unwrap_or(&before.status), "reply": reply, "text": text})),
                now,
            )
            .await?;
            Ok(())
        })?;
        Ok(self
            .ticket(id)
            .await?
            .ok_or(StoreError::NotFound("ticket"))?
            .1)
    }

    // ------------------------------------------------------------ catalogue

    /// Publishes `base_version + 1` with the changed services' charges,
    /// commissions and active flags; kiosks pull it.
    pub async fn publish_catalogue(
        &self,
        actor: &Actor,
        base_version: u32,
        changes: &[ServiceChange],
    ) -> SResult<u32> {
        if changes.is_empty() {
            return Err(StoreError::Invalid("nothing changed".into()));
        }
        let now = self.now_ms();
        let base = self
            .catalogue()
            .await?
            .ok_or(StoreError::NotFound("catalogue"))?;
        if base.version != base_version {
            return Err(refused(
                codes::CATALOGUE_STALE,
                format!(
                    "version {} is current now; reload and apply your changes again",
                    base.version
                ),
            ));
        }
        let mut next = base.clone();
        next.version = base.version + 1;
        let mut before = Vec::new();
        let mut after = Vec::new();
        for c in changes {
            let s = next
                .services
                .iter_mut()
                .find(|s| s.code == c.code)
                .ok_or_else(|| StoreError::Invalid(format!("no service {}", c.code)))?;
            let (charge, commission) = (Paise::new(c.charge), Paise::new(c.commission));
            if charge.is_negative() || commission.is_negative() {
                return Err(StoreError::Invalid(format!(
                    "{}: amounts cannot be negative",
                    c.code
                )));
            }
            if commission > s.state_rate {
                return Err(StoreError::Invalid(format!(
                    "{}: the commission {commission} is above the state rate {}",
                    c.code, s.state_rate
                )));
            }
            if charge > s.state_rate {
                return Err(StoreError::Invalid(format!(
                    "{}: the charge {charge} is above the state rate {}",
                    c.code, s.state_rate
                )));
            }
            before.push(json!({"code": s.code, "charge": s.charge, "commission": s.commission, "active": s.active}));
            s.charge = charge;
            s.commission = commission;
            s.active = c.active;
            after.push(json!({"code": s.code, "charge": s.charge, "commission": s.commission, "active": s.active}));
        }
        in_tx!(self.db, |tx| {
            // The version check and the insert in one transaction: two
            // publishers from the same base cannot both win.
            self.save_catalogue_in(&mut *tx, &next)
                .await
                .map_err(|e| match e {
                    StoreError::CatalogueNotNewer(..) => refused(
                        codes::CATALOGUE_STALE,
                        "another admin published first; reload",
                    ),
                    e => e,
                })?;
            audit_in(
                &mut *tx,
                actor,
                "catalogue.publish",
                &format!("catalogue:{}", next.version),
                None,
                Some(json!({"version": base.version, "services": before})),
                Some(json!({"version": next.version, "services": after})),
                now,
            )
            .await?;
            Ok(())
        })?;
        Ok(next.version)
    }

    /// The catalogue's version and when it was loaded.
    pub async fn catalogue_loaded(&self) -> SResult<Option<(u32, i64)>> {
        let mut tx = self.db.begin_read().await?;
        let r = tx
            .query_opt(
                "SELECT version, loaded_ms FROM catalogues ORDER BY version DESC LIMIT 1",
                &[],
            )
            .await?;
        r.map(|r| Ok((r.i64(0)? as u32, r.i64(1)?))).transpose()
    }

    // ------------------------------------------------------------ reconcile

    pub async fn reconcile_departments(
        &self,
        scope: Option<&str>,
        date: &str,
        department: Option<&str>,
    ) -> SResult<(Vec<ReconcileRow>, Vec<HeldRow>)> {
        let from = ist_day_start_ms(date)?;
        let to = from + 86_400_000;
        let mut tx = self.db.begin_snapshot().await?;
        let mut q = Sql::new(
            "SELECT pl.department, COUNT(DISTINCT p.txn_id), CAST(SUM(pl.bill_amount) AS BIGINT),
               CAST(SUM(CASE WHEN p.pending = FALSE AND p.cancel_txn IS NULL THEN pl.bill_amount ELSE 0 END) AS BIGINT),
               CAST(SUM(CASE WHEN p.pending = TRUE THEN pl.bill_amount ELSE 0 END) AS BIGINT),
               CAST(SUM(CASE WHEN p.cancel_txn IS NOT NULL THEN pl.bill_amount ELSE 0 END) AS BIGINT)
             FROM payment_lines pl JOIN payments p ON p.txn_id = pl.txn_id JOIN kiosks k ON k.id = p.kiosk_id WHERE 1 = 1",
        );
        q.push(" AND p.created_ms >= $?", from);
        q.push(" AND p.created_ms < $?", to);
        if let Some(s) = scope {
            q.push(" AND k.district = $?", s);
        }
        if let Some(d) = department.map(str::trim).filter(|d| !d.is_empty()) {
            q.push(" AND pl.department = $?", d);
        }
        q.raw(" GROUP BY pl.department ORDER BY pl.department");
        let rows = tx.query(&q.text, &q.params).await?;
        let mut out = Vec::new();
        for r in &rows {
            let dept = r.text(0)?;
            // What the department's account holds from these payments (a
            // cancellation's reversal is dated later, so it is counted too).
            let mut pq = Sql::new(
                "SELECT CAST(COALESCE(SUM(l.amount), 0) AS BIGINT) FROM ledger l JOIN payments p ON p.txn_id = l.txn_id JOIN kiosks k ON k.id = p.kiosk_id WHERE 1 = 1",
            );
            pq.push(" AND l.account = $?", accounts::department(&dept));
            pq.push(" AND p.created_ms >= $?", from);
            pq.push(" AND p.created_ms < $?", to);
            if let Some(s) = scope {
                pq.push(" AND k.district = $?", s);
            }
            let posted = tx.query_one(&pq.text, &pq.params).await?.i64(0)?;
            out.push(ReconcileRow {
                department: dept,
                count: r.i64(1)?,
                total: r.i64(2)?,
                accepted: r.i64(3)?,
                pending: r.i64(4)?,
                cancelled: r.i64(5)?,
                posted,
            });
        }
        let mut hq = Sql::new(HELD_SELECT);
        hq.push(" AND p.created_ms >= $?", from);
        hq.push(" AND p.created_ms < $?", to);
        if let Some(s) = scope {
            hq.push(" AND k.district = $?", s);
        }
        if let Some(d) = department.map(str::trim).filter(|d| !d.is_empty()) {
            hq.push(" AND EXISTS (SELECT 1 FROM payment_lines pl WHERE pl.txn_id = p.txn_id AND pl.department = $?)", d);
        }
        hq.raw(" ORDER BY p.created_ms");
        let held = tx.query(&hq.text, &hq.params).await?;
        Ok((out, held.iter().map(held_from).collect::<SResult<_>>()?))
    }

    // ------------------------------------------------------------ audit

    pub async fn audit_page(
        &self,
        scope: Option<&str>,
        offset: i64,
        limit: i64,
    ) -> SResult<(i64, Vec<AuditRow>)> {
        let mut tx = self.db.begin_snapshot().await?;
        let mut w = Sql::new(" WHERE 1 = 1");
        if let Some(s) = scope {
            w.push(" AND district = $?", s);
        }
        let total = tx
            .query_one(
                &format!("SELECT COUNT(*) FROM audit_log{}", w.text),
                &w.params,
            )
            .await?
            .i64(0)?;
        let mut q = Sql {
            text: format!(
                "SELECT id, at_ms, admin_login, action, target, district, before_json, after_json FROM audit_log{} ORDER BY id DESC",
                w.text
            ),
            params: w.params,
        };
        q.push(" LIMIT $?", limit);
        q.push(" OFFSET $?", offset);
        let rows = tx.query(&q.text, &q.params).await?;
        let parse = |s: Option<String>| s.and_then(|s| serde_json::from_str(&s).ok());
        let rows = rows
            .iter()
            .map(|r| {
                Ok(AuditRow {
                    id: r.i64(0)?,
                    at_ms: r.i64(1)?,
                    admin: r.text(2)?,
                    action: r.text(3)?,
                    target: r.text(4)?,
                    district: r.opt_text(5)?,
                    before: parse(r.opt_text(6)?),
                    after: parse(r.opt_text(7)?),
                })
            })
            .collect::<SResult<Vec<_>>>()?;
        Ok((total, rows))
    }
}

/// A service's new terms in a published catalogue.
#[derive(Debug, Clone, Deserialize)]
pub struct ServiceChange {
    pub code: String,
    pub charge: i64,
    pub commission: i64,
    pub active: bool,
}

/// Reprints in a day at a kiosk that the staff should look at.
pub const MANY_REPRINTS: i64 = 10;

/// What a kiosk's health report should tell the staff: its clock set back
/// (the centre's offset from it grew by more than the skew limit and it is
/// now behind: receipts could be backdated), or many reprints in a day.
fn health_alerts(
    before: Option<i64>,
    offset: Option<i64>,
    reprints_24h: i64,
) -> Vec<(&'static str, String)> {
    let limit = protocol::wire::CLOCK_SKEW_MAX_MS;
    let mut out = Vec::new();
    if let (Some(b), Some(o)) = (before, offset)
        && o - b > limit
        && o > limit
    {
        out.push((
            "clock rolled back",
            format!(
                "clock rolled back: the kiosk's clock was set back {} and is now {} behind the centre's",
                span(o - b),
                span(o)
            ),
        ));
    }
    if reprints_24h >= MANY_REPRINTS {
        out.push((
            "many reprints",
            format!("many reprints: {reprints_24h} duplicate copies in the last 24 hours"),
        ));
    }
    out
}

/// A length of time as staff read it: minutes, hours, or days.
fn span(ms: i64) -> String {
    let m = ms.abs() / 60_000;
    if m < 120 {
        format!("{m} min")
    } else if m < 2880 {
        format!("{} h", m / 60)
    } else {
        format!("{} days", m / 1440)
    }
}

fn alert_kind(detail: &str) -> &'static str {
    [
        ("chain mismatch", "chain"),
        ("sequence gap", "gap"),
        ("clock skew", "clock"),
        ("clock rolled back", "clock_back"),
        ("many reprints", "reprints"),
        ("device re-registered", "reregistered"),
        ("many cancellations", "cancellations"),
    ]
    .iter()
    .find(|(p, _)| detail.starts_with(p))
    .map_or("other", |(_, k)| k)
}

/// Alerts with their kiosk and acknowledgement, in [`alert_from`]'s column order.
const ALERT_SELECT: &str = "SELECT a.id, k.code, k.district, a.device_id, a.detail, a.at_ms, ad.login, x.at_ms, x.note
    FROM tamper_alerts a JOIN kiosks k ON k.id = a.kiosk_id
    LEFT JOIN alert_acks x ON x.alert_id = a.id LEFT JOIN admins ad ON ad.id = x.admin_id WHERE 1 = 1";

fn alert_from(r: &Row) -> SResult<AlertRow> {
    let detail = r.text(4)?;
    Ok(AlertRow {
        id: r.i64(0)?,
        kind: alert_kind(&detail).into(),
        kiosk_code: r.text(1)?,
        district: r.text(2)?,
        device_id: Some(r.uuid(3)?),
        detail,
        at_ms: r.i64(5)?,
        acked_by: r.opt_text(6)?,
        acked_ms: r.opt_i64(7)?,
        note: r.opt_text(8)?,
    })
}

/// Held payments with their kiosk, in [`held_from`]'s column order.
const HELD_SELECT: &str = "SELECT p.txn_id, p.receipt_no, k.code, k.district, p.total, p.created_ms FROM payments p JOIN kiosks k ON k.id = p.kiosk_id WHERE p.pending = TRUE";

fn held_from(r: &Row) -> SResult<HeldRow> {
    Ok(HeldRow {
        txn_id: r.i64(0)?,
        receipt_no: r.text(1)?,
        kiosk_code: r.text(2)?,
        district: r.text(3)?,
        total: r.i64(4)?,
        created_ms: r.i64(5)?,
    })
}

const PROPOSAL_SELECT: &str = "SELECT p.id, p.kind, k.code, k.district, p.amount, p.detail, m.login, p.proposed_ms, p.status, c.login, p.decided_ms, p.reason, p.proposed_by, p.kiosk_id
    FROM proposals p JOIN kiosks k ON k.id = p.kiosk_id JOIN admins m ON m.id = p.proposed_by LEFT JOIN admins c ON c.id = p.decided_by";

fn proposal_from(r: &Row) -> SResult<Proposal> {
    Ok(Proposal {
        id: r.uuid(0)?,
        kind: r.text(1)?,
        kiosk_code: r.text(2)?,
        district: r.text(3)?,
        amount: r.i64(4)?,
        detail: serde_json::from_str(&r.text(5)?)
            .map_err(|e| StoreError::Corrupt(e.to_string()))?,
        proposed_by: r.text(6)?,
        proposed_ms: r.i64(7)?,
        status: r.text(8)?,
        decided_by: r.opt_text(9)?,
        decided_ms: r.opt_i64(10)?,
        reason: r.opt_text(11)?,
    })
}

async fn proposal_in(tx: &mut dyn SqlTx, id: Uuid) -> SResult<Proposal> {
    let r = tx
        .query_opt(&format!("{PROPOSAL_SELECT} WHERE p.id = $1"), &params![id])
        .await?
        .ok_or(StoreError::NotFound("proposal"))?;
    proposal_from(&r)
}

/// A pending proposal in scope, locked by its kiosk: (it, maker, kiosk, detail).
async fn pending_proposal(
    tx: &mut dyn SqlTx,
    scope: Option<&str>,
    id: Uuid,
) -> SResult<(Proposal, Uuid, Uuid, Value)> {
    let r = tx
        .query_opt(&format!("{PROPOSAL_SELECT} WHERE p.id = $1"), &params![id])
        .await?
        .ok_or(StoreError::NotFound("proposal"))?;
    let kiosk = r.uuid(13)?;
    lock_kiosk(tx, kiosk).await?;
    // Read again under the kiosk's lock: two checkers cannot both apply it.
    let r = tx
        .query_one(&format!("{PROPOSAL_SELECT} WHERE p.id = $1"), &params![id])
        .await?;
    let p = proposal_from(&r)?;
    if scope.is_some_and(|s| s != p.district) {
        return Err(StoreError::NotFound("proposal"));
    }
    if p.status != "pending" {
        return Err(refused(
            codes::NOT_PENDING,
            format!("this proposal is {} already", p.status),
        ));
    }
    let detail = p.detail.clone();
    Ok((p, r.uuid(12)?, kiosk, detail))
}

async fn request_in(tx: &mut dyn SqlTx, id: Uuid) -> SResult<RefillRequest> {
    refills::request_by_id_in(tx, id)
        .await?
        .ok_or(StoreError::NotFound("refill request"))
}

async fn kiosk_by_code_in(tx: &mut dyn SqlTx, code: &str) -> SResult<Option<Kiosk>> {
    let r = tx
        .query_opt(
            &format!("SELECT {KIOSK_COLS} FROM kiosks WHERE code = $1"),
            &params![code],
        )
        .await?;
    r.as_ref().map(kiosk_from).transpose()
}
