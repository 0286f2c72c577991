//! Receipt search and totals.

use crate::{CoreError, Kiosk, Result};
use chrono::{DateTime, NaiveDate, Utc};
use domain::Paise;
use kiosk_store::rusqlite::{self, OptionalExtension, types::Value};
use kiosk_store::{parse_ts, ts};
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReceiptStatus {
    Provisional,
    Final,
    Cancelled,
}

impl ReceiptStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ReceiptStatus::Provisional => "provisional",
            ReceiptStatus::Final => "final",
            ReceiptStatus::Cancelled => "cancelled",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "provisional" => ReceiptStatus::Provisional,
            "final" => ReceiptStatus::Final,
            "cancelled" => ReceiptStatus::Cancelled,
            _ => return None,
        })
    }
}

/// See [`Kiosk::last_activity`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct LastActivity {
    pub at: DateTime<Utc>,
    /// False: no transaction yet, `at` is when the kiosk was set up.
    pub transaction: bool,
}

/// Filters for the receipt list; all optional, newest first, paged.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReceiptQuery {
    /// `[from, to)`
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    /// Local or final receipt number.
    pub receipt_no: Option<String>,
    pub consumer_no: Option<String>,
    pub service: Option<String>,
    pub status: Option<ReceiptStatus>,
    /// Only receipts the holder must reconcile.
    pub reconcile_only: bool,
    /// The operator's login who took it.
    pub operator: Option<String>,
    /// `wallet` or `cheque`.
    pub mode: Option<String>,
    /// The citizen's mobile number as stored (10 digits).
    pub mobile: Option<String>,
    /// Newest first unless told otherwise.
    pub sort: ReceiptSort,
    /// 0-based.
    pub page: u32,
    /// 1..=200; 0 means the default of 50.
    pub page_size: u32,
}

/// A column a receipt list can be ordered by.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SortColumn {
    #[default]
    CreatedAt,
    ReceiptNo,
    Operator,
    Mode,
    Status,
    Lines,
    Total,
    Commission,
    Services,
    Consumers,
}

impl SortColumn {
    pub fn parse(s: &str) -> Option<Self> {
        use SortColumn::*;
        Some(match s {
            "created_at" => CreatedAt,
            "receipt_no" => ReceiptNo,
            "operator" => Operator,
            "mode" => Mode,
            "status" => Status,
            "lines" => Lines,
            "total" => Total,
            "commission" => Commission,
            "services" => Services,
            "consumers" => Consumers,
            _ => return None,
        })
    }

    // Fixed SQL per column: nothing typed ever reaches the ORDER BY.
    fn sql(self) -> &'static str {
        use SortColumn::*;
        match self {
            CreatedAt => "r.created_at",
            ReceiptNo => "COALESCE(r.final_receipt_no, r.receipt_no)",
            Operator => "r.operator",
            Mode => "r.mode",
            Status => "r.status",
            Lines => "r.line_count",
            Total => "r.total_paise",
            Commission => "r.commission_paise",
            // Only a sort by these reads the lines a second time.
            Services => {
                "(SELECT group_concat(service_code, ',') FROM (SELECT service_code FROM receipt_lines WHERE receipt_id = r.id ORDER BY line_no))"
            }
            Consumers => {
                "(SELECT group_concat(consumer_no, ',') FROM (SELECT consumer_no FROM receipt_lines WHERE receipt_id = r.id ORDER BY line_no))"
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ReceiptSort {
    pub column: SortColumn,
    pub descending: bool,
}

impl Default for ReceiptSort {
    fn default() -> Self {
        ReceiptSort {
            column: SortColumn::CreatedAt,
            descending: true,
        }
    }
}

/// Sums over every receipt a query matches (not one page): the money
/// taken leaves cancelled and rejected receipts out, as [`Totals`] does.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct QueryTotals {
    /// Receipts matched, whatever their state.
    pub matched: i64,
    /// Receipts that count as money taken.
    pub receipts: i64,
    pub lines: i64,
    pub bills: Paise,
    pub charges: Paise,
    pub total: Paise,
    pub commission: Paise,
    pub cancelled: i64,
    pub rejected: i64,
}

/// Commission (and takings) per service per IST day or month.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Period {
    Day,
    Month,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CommissionRow {
    /// `YYYY-MM-DD` or `YYYY-MM` (IST).
    pub period: String,
    pub service_code: String,
    pub receipts: i64,
    pub lines: i64,
    pub bills: Paise,
    pub charges: Paise,
    pub total: Paise,
    pub commission: Paise,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReceiptSummary {
    pub id: String,
    pub receipt_no: String,
    pub final_receipt_no: Option<String>,
    pub created_at: DateTime<Utc>,
    pub operator: String,
    pub mode: String,
    pub line_count: i64,
    pub total: Paise,
    pub commission: Paise,
    pub status: String,
    pub rejected: bool,
    pub reconcile: bool,
    /// Service codes of the lines, comma-separated.
    pub services: String,
    /// Consumer numbers of the lines, comma-separated.
    pub consumers: String,
    /// Provisional and still in the outbox (not yet at the centre).
    pub unsent: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReceiptPage {
    pub page: u32,
    pub page_size: u32,
    pub has_more: bool,
    pub receipts: Vec<ReceiptSummary>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReceiptLineRow {
    pub line_no: i64,
    pub service_code: String,
    pub department: String,
    pub consumer_no: String,
    pub consumer_name: Option<String>,
    pub bill_ref: Option<String>,
    pub bill_amount: Paise,
    pub charge: Paise,
    pub commission: Paise,
}

/// Everything a printed receipt needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReceiptDetail {
    pub summary: ReceiptSummary,
    pub bills: Paise,
    pub charges: Paise,
    pub mobile: Option<String>,
    pub email: Option<String>,
    pub cheque_no: Option<String>,
    pub cheque_date: Option<String>,
    pub cheque_bank: Option<String>,
    pub cheque_payee: Option<String>,
    pub duplicate_confirmed: bool,
    pub server_txn_id: Option<String>,
    pub cancelled_at: Option<DateTime<Utc>>,
    pub cancel_reason: Option<String>,
    pub reconcile_code: Option<String>,
    pub reconcile_reason: Option<String>,
    pub lines: Vec<ReceiptLineRow>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ServiceTotals {
    pub service_code: String,
    pub receipts: i64,
    pub lines: i64,
    pub bills: Paise,
    pub charges: Paise,
    pub total: Paise,
    pub commission: Paise,
}

/// Money taken in `[from, to)`: cancelled and rejected receipts are left
/// out (and counted apart).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Totals {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub receipts: i64,
    pub lines: i64,
    pub bills: Paise,
    pub charges: Paise,
    pub total: Paise,
    pub commission: Paise,
    /// Cash at the counter (wallet mode) vs cheques taken.
    pub wallet_total: Paise,
    pub cheque_total: Paise,
    pub cancelled: i64,
    pub rejected: i64,
    pub by_service: Vec<ServiceTotals>,
}

const SUMMARY_COLS: &str = "r.id, r.receipt_no, r.final_receipt_no, r.created_at, r.operator, r.mode,
    r.line_count, r.total_paise, r.commission_paise, r.status, r.rejected, r.reconcile,
    (SELECT group_concat(service_code || char(9) || consumer_no, ',') FROM (SELECT service_code, consumer_no FROM receipt_lines WHERE receipt_id = r.id ORDER BY line_no)) AS lines,
    r.status = 'provisional' AND EXISTS (SELECT 1 FROM outbox o WHERE o.receipt_id = r.id AND o.outcome = 'pending') AS unsent";

fn summary(r: &rusqlite::Row<'_>) -> rusqlite::Result<(ReceiptSummary, String)> {
    let at: String = r.get(3)?;
    // One pass over the lines gives both lists: "service<TAB>consumer,...".
    let lines = r.get_ref(12)?.as_str_or_null()?.unwrap_or_default();
    let (mut services, mut consumers) = (String::new(), String::new());
    for (i, l) in lines.split(',').filter(|l| !l.is_empty()).enumerate() {
        let (s, c) = l.split_once('\t').unwrap_or((l, ""));
        if i > 0 {
            services.push(',');
            consumers.push(',');
        }
        services.push_str(s);
        consumers.push_str(c);
    }
    Ok((
        ReceiptSummary {
            services,
            consumers,
            id: r.get(0)?,
            receipt_no: r.get(1)?,
            final_receipt_no: r.get(2)?,
            created_at: DateTime::<Utc>::MIN_UTC,
            operator: r.get(4)?,
            mode: r.get(5)?,
            line_count: r.get(6)?,
            total: Paise::new(r.get(7)?),
            commission: Paise::new(r.get(8)?),
            status: r.get(9)?,
            rejected: r.get(10)?,
            reconcile: r.get(11)?,
            unsent: r.get(13)?,
        },
        at,
    ))
}

/// The WHERE clause (after `WHERE 1 = 1`) and its arguments for a query.
fn receipt_filter(q: &ReceiptQuery) -> Result<(String, Vec<Value>)> {
    if let (Some(f), Some(t)) = (q.from, q.to)
        && f >= t
    {
        return Err(CoreError::QueryInvalid("from must be before to"));
    }
    let mut sql = String::new();
    let mut args: Vec<Value> = Vec::new();
    let mut arg = |sql: &mut String, clause: &str, v: Value| {
        args.push(v);
        sql.push_str(&clause.replace('?', &format!("?{}", args.len())));
    };
    if let Some(f) = q.from {
        arg(&mut sql, " AND r.created_at >= ?", Value::Text(ts(f)));
    }
    if let Some(t) = q.to {
        arg(&mut sql, " AND r.created_at < ?", Value::Text(ts(t)));
    }
    if let Some(n) = q
        .receipt_no
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        // Local numbers are upper case; the centre's are kept as sent.
        arg(
            &mut sql,
            " AND (r.receipt_no = ? OR r.final_receipt_no = ?",
            Value::Text(n.to_uppercase()),
        );
        arg(
            &mut sql,
            " OR r.final_receipt_no = ?)",
            Value::Text(n.to_string()),
        );
    }
    if let Some(c) = q
        .consumer_no
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        let c: String = c.chars().filter(|c| !c.is_whitespace()).collect();
        arg(
            &mut sql,
            " AND r.id IN (SELECT receipt_id FROM receipt_lines WHERE consumer_no = ?)",
            Value::Text(c.to_uppercase()),
        );
    }
    if let Some(s) = q
        .service
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        arg(
            &mut sql,
            " AND EXISTS (SELECT 1 FROM receipt_lines l WHERE l.receipt_id = r.id AND l.service_code = ?)",
            Value::Text(s.to_string()),
        );
    }
    if let Some(st) = q.status {
        arg(
            &mut sql,
            " AND r.status = ?",
            Value::Text(st.as_str().into()),
        );
    }
    if q.reconcile_only {
        sql.push_str(" AND r.reconcile = 1");
    }
    let text = |s: &Option<String>| {
        s.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    if let Some(o) = text(&q.operator) {
        arg(
            &mut sql,
            " AND r.operator = ?",
            Value::Text(o.to_lowercase()),
        );
    }
    if let Some(m) = text(&q.mode) {
        if !matches!(m.as_str(), "wallet" | "cheque") {
            return Err(CoreError::QueryInvalid("mode must be wallet or cheque"));
        }
        arg(&mut sql, " AND r.mode = ?", Value::Text(m));
    }
    if let Some(m) = text(&q.mobile) {
        let m: String = m.chars().filter(|c| !c.is_whitespace()).collect();
        arg(&mut sql, " AND r.mobile = ?", Value::Text(m));
    }
    Ok((sql, args))
}

/// The receipts `q` matches, sorted as it asks, without a page limit.
fn ordered_receipts(q: &ReceiptQuery) -> Result<(String, Vec<Value>)> {
    let (filter, args) = receipt_filter(q)?;
    let dir = if q.sort.descending { "DESC" } else { "ASC" };
    let sql = format!(
        "SELECT {SUMMARY_COLS} FROM receipts r WHERE 1 = 1{filter} \
         ORDER BY {} {dir}, r.created_at {dir}, r.device_seq {dir}",
        q.sort.column.sql()
    );
    Ok((sql, args))
}

fn with_time((mut s, at): (ReceiptSummary, String)) -> Result<ReceiptSummary> {
    s.created_at = parse_ts(&at)?;
    Ok(s)
}

impl Kiosk {
    /// When this kiosk last did business: its newest receipt the centre did
    /// not refuse (a cancelled one was still a transaction), or, before the
    /// first, when the kiosk was set up. What the inactivity fine counts
    /// from (`domain::rules::INACTIVITY_FINE_DAYS`).
    pub fn last_activity(&self) -> Result<Option<LastActivity>> {
        let c = self.store.conn();
        let last: Option<String> = c.query_row(
            "SELECT MAX(created_at) FROM receipts WHERE rejected = 0",
            [],
            |r| r.get(0),
        )?;
        let (at, transaction) = match last {
            Some(t) => (Some(t), true),
            None => (kiosk_store::get_setting(c, "initialised_at")?, false),
        };
        Ok(match at {
            Some(t) => Some(LastActivity {
                at: parse_ts(&t)?,
                transaction,
            }),
            None => None,
        })
    }

    /// Receipts matching `q`, newest first.
    pub fn search_receipts(&self, q: &ReceiptQuery) -> Result<ReceiptPage> {
        let page_size = match q.page_size {
            0 => 50,
            n @ 1..=200 => n,
            _ => return Err(CoreError::QueryInvalid("page size must be 1-200")),
        };
        if let (Some(f), Some(t)) = (q.from, q.to)
            && f >= t
        {
            return Err(CoreError::QueryInvalid("from must be before to"));
        }
        let (mut sql, args) = ordered_receipts(q)?;
        let offset = u64::from(q.page) * u64::from(page_size);
        sql.push_str(&format!(" LIMIT {} OFFSET {offset}", page_size + 1));
        let mut stmt = self.store.conn().prepare_cached(&sql)?;
        let mut rows = stmt
            .query_map(rusqlite::params_from_iter(args.iter()), summary)?
            .map(|r| r.map_err(CoreError::from).and_then(with_time))
            .collect::<Result<Vec<_>>>()?;
        let has_more = rows.len() > page_size as usize;
        rows.truncate(page_size as usize);
        Ok(ReceiptPage {
            page: q.page,
            page_size,
            has_more,
            receipts: rows,
        })
    }

    /// Every receipt `q` matches, in its order, one at a time (its page
    /// ignored): what an export reads. One statement, where paging a year
    /// through OFFSET would read the skipped rows again for every page.
    /// `f`'s error stops the walk and is returned as it is.
    pub fn each_receipt<E: From<CoreError>>(
        &self,
        q: &ReceiptQuery,
        mut f: impl FnMut(ReceiptSummary) -> std::result::Result<(), E>,
    ) -> std::result::Result<(), E> {
        if let (Some(from), Some(to)) = (q.from, q.to)
            && from >= to
        {
            return Err(CoreError::QueryInvalid("from must be before to").into());
        }
        let (sql, args) = ordered_receipts(q)?;
        let mut stmt = self.store.conn().prepare(&sql).map_err(CoreError::from)?;
        let rows = stmt
            .query_map(rusqlite::params_from_iter(args.iter()), summary)
            .map_err(CoreError::from)?;
        for r in rows {
            f(with_time(r.map_err(CoreError::from)?)?)?;
        }
        Ok(())
    }

    /// Sums over every receipt `q` matches (its page and sort ignored).
    pub fn query_totals(&self, q: &ReceiptQuery) -> Result<QueryTotals> {
        let (filter, args) = receipt_filter(q)?;
        let sql = format!(
            "SELECT COUNT(*), COALESCE(SUM(ok), 0), COALESCE(SUM(ok * line_count), 0),
                    COALESCE(SUM(ok * bills_paise), 0), COALESCE(SUM(ok * charges_paise), 0),
                    COALESCE(SUM(ok * total_paise), 0), COALESCE(SUM(ok * commission_paise), 0),
                    COALESCE(SUM(status = 'cancelled'), 0),
                    COALESCE(SUM(rejected = 1 AND status <> 'cancelled'), 0)
               FROM (SELECT r.*, (r.status <> 'cancelled' AND r.rejected = 0) AS ok
                       FROM receipts r WHERE 1 = 1{filter})"
        );
        let mut stmt = self.store.conn().prepare_cached(&sql)?;
        let t = stmt.query_row(rusqlite::params_from_iter(args.iter()), |r| {
            Ok(QueryTotals {
                matched: r.get(0)?,
                receipts: r.get(1)?,
                lines: r.get(2)?,
                bills: Paise::new(r.get(3)?),
                charges: Paise::new(r.get(4)?),
                total: Paise::new(r.get(5)?),
                commission: Paise::new(r.get(6)?),
                cancelled: r.get(7)?,
                rejected: r.get(8)?,
            })
        })?;
        Ok(t)
    }

    /// Commission and takings per service per IST day or month over
    /// `[from, to)`, oldest period first; cancelled and rejected receipts
    /// are left out.
    pub fn commission_report(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        service: Option<&str>,
        by: Period,
    ) -> Result<Vec<CommissionRow>> {
        if from >= to {
            return Err(CoreError::QueryInvalid("from must be before to"));
        }
        // Stored times are UTC; IST is five and a half hours ahead.
        let fmt = match by {
            Period::Day => "%Y-%m-%d",
            Period::Month => "%Y-%m",
        };
        let service = service.map(str::trim).filter(|s| !s.is_empty());
        let sql = format!(
            "SELECT strftime('{fmt}', r.created_at, '+330 minutes') AS period, l.service_code,
                    COUNT(DISTINCT r.id), COUNT(*), SUM(l.bill_paise), SUM(l.charge_paise),
                    SUM(l.bill_paise + l.charge_paise), SUM(l.commission_paise)
               FROM receipts r JOIN receipt_lines l ON l.receipt_id = r.id
              WHERE r.created_at >= ?1 AND r.created_at < ?2
                AND r.status <> 'cancelled' AND r.rejected = 0
                AND (?3 IS NULL OR l.service_code = ?3)
              GROUP BY period, l.service_code ORDER BY period, l.service_code"
        );
        let mut stmt = self.store.conn().prepare_cached(&sql)?;
        let rows = stmt
            .query_map(rusqlite::params![ts(from), ts(to), service], |r| {
                Ok(CommissionRow {
                    period: r.get(0)?,
                    service_code: r.get(1)?,
                    receipts: r.get(2)?,
                    lines: r.get(3)?,
                    bills: Paise::new(r.get(4)?),
                    charges: Paise::new(r.get(5)?),
                    total: Paise::new(r.get(6)?),
                    commission: Paise::new(r.get(7)?),
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// One receipt with its lines, by local or final receipt number or id.
    pub fn receipt(&self, key: &str) -> Result<ReceiptDetail> {
        let key = key.trim();
        let c = self.store.conn();
        let sql = format!(
            "SELECT {SUMMARY_COLS}, r.bills_paise, r.charges_paise, r.mobile, r.email, r.cheque_no,
                    r.cheque_date, r.cheque_bank, r.cheque_payee, r.duplicate_confirmed, r.server_txn_id,
                    r.cancelled_at, r.cancel_reason, r.reconcile_code, r.reconcile_reason
               FROM receipts r
              WHERE r.receipt_no = ?1 OR r.id = ?1 OR r.final_receipt_no = ?1"
        );
        type Extra = (
            i64,
            i64,
            Option<String>,
            Option<String>,
            Option<String>,
            Option<String>,
            Option<String>,
            Option<String>,
            bool,
            Option<String>,
            Option<String>,
            Option<String>,
            Option<String>,
            Option<String>,
        );
        let map = |r: &rusqlite::Row<'_>| -> rusqlite::Result<((ReceiptSummary, String), Extra)> {
            Ok((
                summary(r)?,
                (
                    r.get(14)?,
                    r.get(15)?,
                    r.get(16)?,
                    r.get(17)?,
                    r.get(18)?,
                    r.get(19)?,
                    r.get(20)?,
                    r.get(21)?,
                    r.get(22)?,
                    r.get(23)?,
                    r.get(24)?,
                    r.get(25)?,
                    r.get(26)?,
                    r.get(27)?,
                ),
            ))
        };
        // Local numbers are upper case, ids lower case, the centre's as sent.
        let row = match c.query_row(&sql, [key.to_uppercase()], map).optional()? {
            Some(r) => Some(r),
            None => c.query_row(&sql, [key], map).optional()?,
        };
        let Some((s, x)) = row else {
            return Err(CoreError::ReceiptNotFound(key.chars().take(40).collect()));
        };
        let summary = with_time(s)?;
        let mut stmt = c.prepare_cached(
            "SELECT line_no, service_code, department, consumer_no, consumer_name, bill_ref,
                    bill_paise, charge_paise, commission_paise
               FROM receipt_lines WHERE receipt_id = ?1 ORDER BY line_no",
        )?;
        let lines = stmt
            .query_map([&summary.id], |r| {
                Ok(ReceiptLineRow {
                    line_no: r.get(0)?,
                    service_code: r.get(1)?,
                    department: r.get(2)?,
                    consumer_no: r.get(3)?,
                    consumer_name: r.get(4)?,
                    bill_ref: r.get(5)?,
                    bill_amount: Paise::new(r.get(6)?),
                    charge: Paise::new(r.get(7)?),
                    commission: Paise::new(r.get(8)?),
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(ReceiptDetail {
            summary,
            bills: Paise::new(x.0),
            charges: Paise::new(x.1),
            mobile: x.2,
            email: x.3,
            cheque_no: x.4,
            cheque_date: x.5,
            cheque_bank: x.6,
            cheque_payee: x.7,
            duplicate_confirmed: x.8,
            server_txn_id: x.9,
            cancelled_at: x.10.as_deref().map(parse_ts).transpose()?,
            cancel_reason: x.11,
            reconcile_code: x.12,
            reconcile_reason: x.13,
            lines,
        })
    }

    /// Totals of one IST calendar day.
    pub fn totals_for_day(&self, day: NaiveDate) -> Result<Totals> {
        let (from, to) = domain::clock::ist_day_bounds(day);
        self.totals(from, to)
    }

    /// Totals over `[from, to)`, overall and per service. The whole IST
    /// days inside the range come from the day rollups (one row per day,
    /// kept by the database's triggers), only the partial days at its ends
    /// from the receipts: a year costs about what a day does.
    pub fn totals(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Totals> {
        if from >= to {
            return Err(CoreError::QueryInvalid("from must be before to"));
        }
        let c = self.store.conn();
        let mut sum = Sums::default();
        let first_day = {
            let d = domain::clock::ist_date(from);
            if domain::clock::ist_day_bounds(d).0 == from {
                d
            } else {
                d + chrono::Days::new(1)
            }
        };
        let last_day = domain::clock::ist_date(to) - chrono::Days::new(1);
        if first_day > last_day {
            sum.scan(c, from, to)?;
        } else {
            let whole_from = domain::clock::ist_day_bounds(first_day).0;
            let whole_to = domain::clock::ist_day_bounds(last_day).1;
            if from < whole_from {
                sum.scan(c, from, whole_from)?;
            }
            sum.days(c, first_day, last_day)?;
            if whole_to < to {
                sum.scan(c, whole_to, to)?;
            }
        }
        Ok(sum.into_totals(from, to))
    }

    /// [`Kiosk::totals`] the slow way, from the receipts alone (no
    /// rollups): for tests and checks that the two agree.
    #[doc(hidden)]
    pub fn totals_from_receipts(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Totals> {
        if from >= to {
            return Err(CoreError::QueryInvalid("from must be before to"));
        }
        let mut sum = Sums::default();
        sum.scan(self.store.conn(), from, to)?;
        Ok(sum.into_totals(from, to))
    }
}

/// Totals being added up from parts of a range.
#[derive(Default)]
struct Sums {
    /// receipts, lines, bills, charges, total, commission, wallet, cheque,
    /// cancelled, rejected
    overall: [i64; 10],
    /// service → receipts, lines, bills, charges, commission
    by_service: std::collections::BTreeMap<String, [i64; 5]>,
}

impl Sums {
    fn add_overall(&mut self, v: [i64; 10]) {
        for (a, b) in self.overall.iter_mut().zip(v) {
            *a += b;
        }
    }

    fn add_service(&mut self, code: String, v: [i64; 5]) {
        let e = self.by_service.entry(code).or_default();
        for (a, b) in e.iter_mut().zip(v) {
            *a += b;
        }
    }

    /// `[from, to)` from the receipts and their lines.
    fn scan(
        &mut self,
        c: &rusqlite::Connection,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<()> {
        let (f, t) = (ts(from), ts(to));
        let v = c
            .prepare_cached(
                "SELECT COALESCE(SUM(ok), 0), COALESCE(SUM(ok * line_count), 0),
                    COALESCE(SUM(ok * bills_paise), 0), COALESCE(SUM(ok * charges_paise), 0),
                    COALESCE(SUM(ok * total_paise), 0), COALESCE(SUM(ok * commission_paise), 0),
                    COALESCE(SUM(ok * (mode = 'wallet') * total_paise), 0),
                    COALESCE(SUM(ok * (mode = 'cheque') * total_paise), 0),
                    COALESCE(SUM(status = 'cancelled'), 0),
                    COALESCE(SUM(rejected = 1 AND status <> 'cancelled'), 0)
               FROM (SELECT *, (status <> 'cancelled' AND rejected = 0) AS ok
                       FROM receipts WHERE created_at >= ?1 AND created_at < ?2)",
            )?
            .query_row([&f, &t], ten)?;
        self.add_overall(v);
        let mut stmt = c.prepare_cached(
            "SELECT l.service_code, COUNT(DISTINCT r.id), COUNT(*), SUM(l.bill_paise),
                    SUM(l.charge_paise), SUM(l.commission_paise)
               FROM receipts r JOIN receipt_lines l ON l.receipt_id = r.id
              WHERE r.created_at >= ?1 AND r.created_at < ?2
                AND r.status <> 'cancelled' AND r.rejected = 0
              GROUP BY l.service_code",
        )?;
        let rows = stmt.query_map([&f, &t], service_row)?;
        for r in rows {
            let (code, v) = r?;
            self.add_service(code, v);
        }
        Ok(())
    }

    /// The whole IST days `first..=last` from the day rollups.
    fn days(&mut self, c: &rusqlite::Connection, first: NaiveDate, last: NaiveDate) -> Result<()> {
        let (f, l) = (first.to_string(), last.to_string());
        let v = c
            .prepare_cached(
                "SELECT COALESCE(SUM(receipts), 0), COALESCE(SUM(lines), 0),
                    COALESCE(SUM(bills_paise), 0), COALESCE(SUM(charges_paise), 0),
                    COALESCE(SUM(total_paise), 0), COALESCE(SUM(commission_paise), 0),
                    COALESCE(SUM(wallet_paise), 0), COALESCE(SUM(cheque_paise), 0),
                    COALESCE(SUM(cancelled), 0), COALESCE(SUM(rejected), 0)
               FROM day_totals WHERE day >= ?1 AND day <= ?2",
            )?
            .query_row([&f, &l], ten)?;
        self.add_overall(v);
        let mut stmt = c.prepare_cached(
            "SELECT service_code, SUM(receipts), SUM(lines), SUM(bills_paise),
                    SUM(charges_paise), SUM(commission_paise)
               FROM day_service_totals WHERE day >= ?1 AND day <= ?2
              GROUP BY service_code",
        )?;
        let rows = stmt.query_map([&f, &l], service_row)?;
        for r in rows {
            let (code, v) = r?;
            self.add_service(code, v);
        }
        Ok(())
    }

    fn into_totals(self, from: DateTime<Utc>, to: DateTime<Utc>) -> Totals {
        let [
            receipts,
            lines,
            bills,
            charges,
            total,
            commission,
            wallet,
            cheque,
            cancelled,
            rejected,
        ] = self.overall;
        let by_service = self
            .by_service
            .into_iter()
            // A service whose counted lines were all cancelled or rejected
            // leaves zeros in its day rows: not a line of the report.
            .filter(|(_, v)| v[1] > 0)
            .map(
                |(service_code, [receipts, lines, bills, charges, commission])| ServiceTotals {
                    service_code,
                    receipts,
                    lines,
                    bills: Paise::new(bills),
                    charges: Paise::new(charges),
                    total: Paise::new(bills + charges),
                    commission: Paise::new(commission),
                },
            )
            .collect();
        Totals {
            from,
            to,
            receipts,
            lines,
            bills: Paise::new(bills),
            charges: Paise::new(charges),
            total: Paise::new(total),
            commission: Paise::new(commission),
            wallet_total: Paise::new(wallet),
            cheque_total: Paise::new(cheque),
            cancelled,
            rejected,
            by_service,
        }
    }
}

fn ten(r: &rusqlite::Row<'_>) -> rusqlite::Result<[i64; 10]> {
    let mut v = [0i64; 10];
    for (i, x) in v.iter_mut().enumerate() {
        *x = r.get(i)?;
    }
    Ok(v)
}

fn service_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<(String, [i64; 5])> {
    Ok((
        r.get(0)?,
        [r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?],
    ))
}
