//! `print_jobs` rows: enqueue, list, cancel, retry.

use crate::error::{QueueError, Result};
use chrono::{DateTime, Utc};
use kiosk_core::Kiosk;
use kiosk_store::rusqlite::{self, Connection, OptionalExtension, params};
use kiosk_store::{get_setting, parse_ts, set_setting, ts};
use print::Profile;
use print::receipt::{Lang, layout};
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum JobKind {
    Receipt,
    Duplicate,
    Final,
    TestPage,
    Report,
}

impl JobKind {
    pub fn as_str(self) -> &'static str {
        match self {
            JobKind::Receipt => "receipt",
            JobKind::Duplicate => "duplicate",
            JobKind::Final => "final",
            JobKind::TestPage => "test_page",
            JobKind::Report => "report",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    Queued,
    Printing,
    Done,
    Failed,
    Cancelled,
}

impl JobState {
    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Queued => "queued",
            JobState::Printing => "printing",
            JobState::Done => "done",
            JobState::Failed => "failed",
            JobState::Cancelled => "cancelled",
        }
    }
    pub fn parse(s: &str) -> JobState {
        match s {
            "queued" => JobState::Queued,
            "printing" => JobState::Printing,
            "done" => JobState::Done,
            "cancelled" => JobState::Cancelled,
            _ => JobState::Failed,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Job {
    pub id: String,
    pub receipt_id: Option<String>,
    pub kind: String,
    pub printer: String,
    pub profile: String,
    pub state: JobState,
    pub attempts: i64,
    pub last_error_code: Option<String>,
    pub last_error: Option<String>,
    pub bytes: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub next_attempt_at: Option<DateTime<Utc>>,
}

/// Where receipts print: a printer URI and the profile for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PrinterChoice {
    pub uri: String,
    pub profile: String,
}

impl PrinterChoice {
    /// Checks both parts before anything is queued for them.
    pub fn validate(&self) -> Result<Profile> {
        let p = Profile::builtin_by_id(&self.profile)?;
        print::transport::Target::parse(&self.uri, Some(&p))?;
        Ok(p)
    }
}

pub fn configured_printer(conn: &Connection) -> Result<Option<PrinterChoice>> {
    let uri = get_setting(conn, "print.printer")?;
    let profile = get_setting(conn, "print.profile")?;
    Ok(match (uri, profile) {
        (Some(uri), Some(profile)) => Some(PrinterChoice { uri, profile }),
        _ => None,
    })
}

pub fn set_printer(kiosk: &mut Kiosk, choice: &PrinterChoice) -> Result<()> {
    set_printer_columns(kiosk, choice, None)
}

/// Sets the receipt printer and, optionally, the line width to lay its
/// jobs out at (136 on an 8" carriage prints condensed); `None` uses the
/// profile's own width.
pub fn set_printer_columns(
    kiosk: &mut Kiosk,
    choice: &PrinterChoice,
    columns: Option<u16>,
) -> Result<()> {
    let profile = choice.validate()?;
    if let Some(n) = columns {
        check_columns(n, &profile)?;
    }
    kiosk.store_mut().write(|tx| -> Result<()> {
        set_setting(tx, "print.printer", &choice.uri)?;
        set_setting(tx, "print.profile", &choice.profile)?;
        // Empty: the profile's own width.
        set_setting(
            tx,
            "print.columns",
            &columns.map(|n| n.to_string()).unwrap_or_default(),
        )?;
        Ok(())
    })
}

/// Layouts exist from a 32-column slip up to what the printer's narrowest
/// pitch gives; more would be cut at the paper's edge.
fn check_columns(n: u16, profile: &Profile) -> Result<()> {
    if !(32..=profile.max_columns()).contains(&n) {
        return Err(QueueError::ColumnsInvalid {
            columns: n.to_string(),
            profile: profile.id.clone(),
            max: profile.max_columns(),
        });
    }
    Ok(())
}

/// The line width a job for `printer` is laid out at: the kiosk's column
/// setting when this is its configured printer, else the profile's own.
pub fn layout_columns(
    conn: &Connection,
    printer: &PrinterChoice,
    profile: &Profile,
) -> Result<u16> {
    if configured_printer(conn)?.as_ref() == Some(printer)
        && let Some(c) = get_setting(conn, "print.columns")?.filter(|c| !c.is_empty())
    {
        let n = c.parse::<u16>().map_err(|_| QueueError::ColumnsInvalid {
            columns: c.clone(),
            profile: profile.id.clone(),
            max: profile.max_columns(),
        })?;
        check_columns(n, profile)?;
        return Ok(n);
    }
    Ok(profile.layout_columns())
}

const COLS: &str =
    "id, receipt_id, kind, printer, profile, state, attempts, last_error_code, last_error,
                    COALESCE(length(payload), 0), created_at, updated_at, next_attempt_at";

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<(Job, [String; 2], Option<String>)> {
    Ok((
        Job {
            id: r.get(0)?,
            receipt_id: r.get(1)?,
            kind: r.get(2)?,
            printer: r.get(3)?,
            profile: r.get(4)?,
            state: JobState::parse(&r.get::<_, String>(5)?),
            attempts: r.get(6)?,
            last_error_code: r.get(7)?,
            last_error: r.get(8)?,
            bytes: r.get(9)?,
            created_at: DateTime::<Utc>::MIN_UTC,
            updated_at: DateTime::<Utc>::MIN_UTC,
            next_attempt_at: None,
        },
        [r.get(10)?, r.get(11)?],
        r.get(12)?,
    ))
}

fn finish(x: (Job, [String; 2], Option<String>)) -> Result<Job> {
    let (mut j, [c, u], n) = x;
    j.created_at = parse_ts(&c)?;
    j.updated_at = parse_ts(&u)?;
    j.next_attempt_at = n.as_deref().map(parse_ts).transpose()?;
    Ok(j)
}

pub fn job(conn: &Connection, id: &str) -> Result<Job> {
    let x = conn
        .query_row(
            &format!("SELECT {COLS} FROM print_jobs WHERE id = ?1"),
            [id],
            row,
        )
        .optional()?
        .ok_or_else(|| QueueError::JobUnknown(id.to_string()))?;
    finish(x)
}

/// Newest first; `receipt_id` narrows to one receipt's jobs.
pub fn list(conn: &Connection, receipt_id: Option<&str>, limit: u32) -> Result<Vec<Job>> {
    let mut st = conn.prepare(&format!(
        "SELECT {COLS} FROM print_jobs WHERE (?1 IS NULL OR receipt_id = ?1)
          ORDER BY created_at DESC, id DESC LIMIT ?2"
    ))?;
    let rows = st.query_map(params![receipt_id, limit], row)?;
    rows.map(|r| finish(r?)).collect()
}

/// Queues ready-made bytes.
pub fn enqueue_bytes(
    conn: &Connection,
    now: DateTime<Utc>,
    id: &str,
    receipt_id: Option<&str>,
    kind: JobKind,
    printer: &PrinterChoice,
    payload: &[u8],
) -> Result<()> {
    conn.execute(
        "INSERT INTO print_jobs (id, receipt_id, kind, printer, profile, state, attempts, payload,
                                 created_at, updated_at, next_attempt_at)
         VALUES (?1, ?2, ?3, ?4, ?5, 'queued', 0, ?6, ?7, ?7, ?7)",
        params![
            id,
            receipt_id,
            kind.as_str(),
            printer.uri,
            printer.profile,
            payload,
            ts(now)
        ],
    )?;
    Ok(())
}

/// Which kind of print a receipt gets now: the first print of a
/// provisional or a final receipt, or a duplicate copy of one already
/// printed.
fn kind_for(conn: &Connection, receipt_id: &str, provisional: bool) -> Result<JobKind> {
    let first = if provisional {
        JobKind::Receipt
    } else {
        JobKind::Final
    };
    let printed: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM print_jobs WHERE receipt_id = ?1 AND state = 'done' AND kind IN (?2, 'duplicate'))",
        params![receipt_id, first.as_str()],
        |r| r.get(0),
    )?;
    Ok(if printed { JobKind::Duplicate } else { first })
}

/// A receipt rendered for one printer and not queued yet: what a preview
/// is drawn from before anything is written.
#[derive(Debug, Clone)]
pub struct RenderedReceipt {
    pub receipt_id: String,
    pub kind: JobKind,
    pub profile: Profile,
    pub bytes: Vec<u8>,
}

/// Renders a receipt for a printer without touching the queue. A receipt
/// already printed comes out as DUPLICATE COPY.
pub fn render_receipt(
    kiosk: &Kiosk,
    key: &str,
    printer: &PrinterChoice,
    lang: Lang,
) -> Result<RenderedReceipt> {
    let profile = printer.validate()?;
    let (receipt_id, mut view) = crate::view::receipt_view(kiosk, key, false)?;
    let kind = kind_for(kiosk.store().conn(), &receipt_id, view.provisional)?;
    view.duplicate = kind == JobKind::Duplicate;
    let cols = layout_columns(kiosk.store().conn(), printer, &profile)?;
    let bytes = print::encode::encode(&layout(&view, cols, lang), &profile)?;
    Ok(RenderedReceipt {
        receipt_id,
        kind,
        profile,
        bytes,
    })
}

/// Queues a rendered receipt; returns the job id.
pub fn enqueue_rendered(
    kiosk: &mut Kiosk,
    printer: &PrinterChoice,
    r: &RenderedReceipt,
) -> Result<String> {
    let now = kiosk.clock().now();
    let id = domain::new_id(kiosk.clock()).to_string();
    kiosk
        .store_mut()
        .write(|tx| enqueue_bytes(tx, now, &id, Some(&r.receipt_id), r.kind, printer, &r.bytes))?;
    Ok(id)
}

/// Renders and queues a receipt. A receipt already printed comes out as
/// DUPLICATE COPY. Returns the job id and its kind.
pub fn enqueue_receipt(
    kiosk: &mut Kiosk,
    key: &str,
    printer: &PrinterChoice,
    lang: Lang,
) -> Result<(String, JobKind)> {
    let r = render_receipt(kiosk, key, printer, lang)?;
    let id = enqueue_rendered(kiosk, printer, &r)?;
    Ok((id, r.kind))
}

/// Cancels a job that has not printed.
pub fn cancel(conn: &Connection, now: DateTime<Utc>, id: &str) -> Result<()> {
    let j = job(conn, id)?;
    if !matches!(j.state, JobState::Queued | JobState::Failed) {
        return Err(QueueError::NotCancellable {
            id: id.into(),
            state: j.state.as_str().into(),
        });
    }
    let n = conn.execute(
        "UPDATE print_jobs SET state = 'cancelled', updated_at = ?2, next_attempt_at = NULL
          WHERE id = ?1 AND state IN ('queued', 'failed')",
        params![id, ts(now)],
    )?;
    if n == 0 {
        // The worker picked it up in between.
        return Err(QueueError::NotCancellable {
            id: id.into(),
            state: "printing".into(),
        });
    }
    Ok(())
}

/// Puts a receipt's newest failed (or cancelled) print back in the queue,
/// due now; a print still queued for a later retry (printer was off) is
/// made due now too, so "print it later" never needs a second job that
/// would print twice. Returns the job id.
pub fn retry_receipt(kiosk: &mut Kiosk, key: &str) -> Result<String> {
    let d = kiosk.receipt(key)?;
    let rid = d.summary.id.clone();
    let now = kiosk.clock().now();
    kiosk.store_mut().write(|tx| -> Result<String> {
        let id: Option<String> = tx
            .query_row(
                "SELECT id FROM print_jobs WHERE receipt_id = ?1 AND state IN ('failed', 'cancelled', 'queued')
                   AND NOT EXISTS (SELECT 1 FROM print_jobs p WHERE p.receipt_id = ?1 AND p.id <> print_jobs.id
                                   AND p.state IN ('done', 'queued', 'printing') AND p.created_at >= print_jobs.created_at)
                 ORDER BY created_at DESC, id DESC LIMIT 1",
                [&rid],
                |r| r.get(0),
            )
            .optional()?;
        let id = id.ok_or_else(|| QueueError::NothingToRetry(d.summary.receipt_no.clone()))?;
        tx.execute(
            "UPDATE print_jobs SET state = 'queued', next_attempt_at = ?2, updated_at = ?2 WHERE id = ?1",
            params![id, ts(now)],
        )?;
        Ok(id)
    })
}

/// The day's transactions as a report (for the laser printer's PDF, or a
/// DMP), built from the core's receipt list and totals.
pub fn day_report(kiosk: &Kiosk, day: chrono::NaiveDate) -> Result<print::receipt::ReportView> {
    let (from, to) = domain::clock::ist_day_bounds(day);
    let mut rows = Vec::new();
    let mut page = 0;
    loop {
        let p = kiosk.search_receipts(&kiosk_core::ReceiptQuery {
            from: Some(from),
            to: Some(to),
            page,
            page_size: 200,
            ..Default::default()
        })?;
        // Newest first from the core; each receipt's bills in line order,
        // so the block is reversed as a whole below.
        for r in p.receipts.iter() {
            rows.push(receipt_rows(r));
        }
        if !p.has_more {
            break;
        }
        page += 1;
    }
    // Oldest first reads like a day book.
    rows.reverse();
    let rows: Vec<Vec<String>> = rows.into_iter().flatten().collect();
    let t = kiosk.totals(from, to)?;
    let id = kiosk.identity();
    Ok(print::receipt::ReportView {
        title: format!("{} ({}) - Transactions", id.kiosk_name, id.kiosk_code),
        subtitle: format!(
            "{}  receipts {}  cancelled {}  commission {}",
            day.format("%d-%m-%Y"),
            t.receipts,
            t.cancelled,
            t.commission.format_ascii()
        ),
        headers: [
            "Receipt No",
            "Time",
            "Service",
            "Consumer No",
            "Status",
            "Amount",
        ]
        .map(String::from)
        .to_vec(),
        widths: vec![21, 5, 16, 14, 7, 12],
        right_aligned: vec![false, false, false, false, false, true],
        rows,
        total: Some(t.total),
    })
}

/// One report row per bill of a receipt: the receipt's number, time,
/// status and total on its first bill's row, so a multi-bill receipt's
/// services and consumer numbers each get a line of their own.
fn receipt_rows(r: &kiosk_core::ReceiptSummary) -> Vec<Vec<String>> {
    let services: Vec<&str> = r.services.split(',').collect();
    let consumers: Vec<&str> = r.consumers.split(',').collect();
    let n = services.len().max(consumers.len()).max(1);
    (0..n)
        .map(|i| {
            let svc = services.get(i).copied().unwrap_or("").to_string();
            let no = consumers.get(i).copied().unwrap_or("").to_string();
            if i == 0 {
                vec![
                    r.final_receipt_no
                        .clone()
                        .unwrap_or_else(|| r.receipt_no.clone()),
                    r.created_at
                        .with_timezone(&domain::clock::ist())
                        .format("%H:%M")
                        .to_string(),
                    svc,
                    no,
                    r.status.clone(),
                    r.total.format_plain(),
                ]
            } else {
                vec![
                    String::new(),
                    String::new(),
                    svc,
                    no,
                    String::new(),
                    String::new(),
                ]
            }
        })
        .collect()
}

/// Renders and queues a report.
pub fn enqueue_report(
    kiosk: &mut Kiosk,
    report: &print::receipt::ReportView,
    printer: &PrinterChoice,
) -> Result<String> {
    let profile = printer.validate()?;
    let cols = layout_columns(kiosk.store().conn(), printer, &profile)?;
    let bytes = print::encode::encode(&print::receipt::report(report, cols), &profile)?;
    let now = kiosk.clock().now();
    let id = domain::new_id(kiosk.clock()).to_string();
    kiosk
        .store_mut()
        .write(|tx| enqueue_bytes(tx, now, &id, None, JobKind::Report, printer, &bytes))?;
    Ok(id)
}

// ------------------------------------------------------------ report printer

const REPORT_PRINTER: &str = "print.report_printer";
const REPORT_PROFILE: &str = "print.report_profile";

/// The printer the holder chose for reports, if any (reports print on the
/// receipt printer otherwise: see [`report_printer_or_receipt`]).
pub fn report_printer(conn: &Connection) -> Result<Option<PrinterChoice>> {
    let uri = get_setting(conn, REPORT_PRINTER)?.filter(|s| !s.is_empty());
    let profile = get_setting(conn, REPORT_PROFILE)?.filter(|s| !s.is_empty());
    Ok(match (uri, profile) {
        (Some(uri), Some(profile)) => Some(PrinterChoice { uri, profile }),
        _ => None,
    })
}

/// Where a report prints: the report printer when one is set, else the
/// receipt printer.
pub fn report_printer_or_receipt(conn: &Connection) -> Result<Option<PrinterChoice>> {
    match report_printer(conn)? {
        Some(p) => Ok(Some(p)),
        None => configured_printer(conn),
    }
}

/// Sets the report printer (both parts checked first, stored together),
/// or with `None` sends reports to the receipt printer again.
pub fn set_report_printer(kiosk: &mut Kiosk, choice: Option<&PrinterChoice>) -> Result<()> {
    if let Some(c) = choice {
        c.validate()?;
    }
    kiosk.store_mut().write(|tx| -> Result<()> {
        match choice {
            Some(c) => {
                set_setting(tx, REPORT_PRINTER, &c.uri)?;
                set_setting(tx, REPORT_PROFILE, &c.profile)?;
            }
            None => {
                tx.execute(
                    "DELETE FROM settings WHERE key IN (?1, ?2)",
                    params![REPORT_PRINTER, REPORT_PROFILE],
                )?;
            }
        }
        Ok(())
    })
}

// ------------------------------------------------------------ test page

/// A test page encoded for one printer and not queued yet: what its
/// preview is drawn from before anything is written.
#[derive(Debug, Clone)]
pub struct RenderedTestPage {
    pub profile: Profile,
    pub bytes: Vec<u8>,
}

/// The test page for a printer (every pitch and style, a rule and a
/// Devanagari sample), encoded for its profile: the bytes `print
/// test-page` sends and the set-up screen queues. Both parts of the
/// choice are checked first.
pub fn render_test_page(printer: &PrinterChoice) -> Result<RenderedTestPage> {
    let profile = printer.validate()?;
    let bytes = print::encode::encode(&print::receipt::test_page(&profile), &profile)?;
    Ok(RenderedTestPage { profile, bytes })
}

/// Queues a rendered test page for the worker; returns the job id.
pub fn enqueue_test_page(
    kiosk: &mut Kiosk,
    printer: &PrinterChoice,
    page: &RenderedTestPage,
) -> Result<String> {
    let now = kiosk.clock().now();
    let id = domain::new_id(kiosk.clock()).to_string();
    kiosk
        .store_mut()
        .write(|tx| enqueue_bytes(tx, now, &id, None, JobKind::TestPage, printer, &page.bytes))?;
    Ok(id)
}

// ------------------------------------------------------------ open jobs and retries

/// Jobs not printed yet: queued, being sent, or failed (newest first).
pub fn open_jobs(conn: &Connection, limit: u32) -> Result<Vec<Job>> {
    let mut st = conn.prepare(&format!(
        "SELECT {COLS} FROM print_jobs WHERE state IN ('queued', 'printing', 'failed')
          ORDER BY created_at DESC, id DESC LIMIT ?1"
    ))?;
    let rows = st.query_map(params![limit], row)?;
    rows.map(|r| finish(r?)).collect()
}

/// Puts one failed (or cancelled, or waiting) job back in the queue, due
/// now. A receipt's job goes through [`retry_receipt`], so a receipt is
/// never queued twice; a report or a test page is its own job. Returns
/// the id of the job queued.
pub fn retry_job(kiosk: &mut Kiosk, id: &str) -> Result<String> {
    let j = job(kiosk.store().conn(), id)?;
    if let Some(receipt) = &j.receipt_id {
        return retry_receipt(kiosk, receipt);
    }
    if !matches!(
        j.state,
        JobState::Failed | JobState::Cancelled | JobState::Queued
    ) {
        return Err(QueueError::NothingToRetry(format!("job {id}")));
    }
    let now = kiosk.clock().now();
    let n = kiosk.store_mut().write(|tx| -> Result<usize> {
        Ok(tx.execute(
            "UPDATE print_jobs SET state = 'queued', next_attempt_at = ?2, updated_at = ?2
              WHERE id = ?1 AND state IN ('failed', 'cancelled', 'queued')",
            params![id, ts(now)],
        )?)
    })?;
    if n == 0 {
        // The worker took it in between.
        return Err(QueueError::NothingToRetry(format!("job {id}")));
    }
    Ok(id.to_string())
}

/// Every failed job back in the queue (one per receipt: its newest).
/// Returns the ids queued.
pub fn retry_failed(kiosk: &mut Kiosk) -> Result<Vec<String>> {
    let failed: Vec<(String, Option<String>)> = {
        let conn = kiosk.store().conn();
        let mut st = conn.prepare(
            "SELECT id, receipt_id FROM print_jobs WHERE state = 'failed' ORDER BY created_at, id",
        )?;
        st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?
    };
    let mut done_receipts: Vec<String> = Vec::new();
    let mut out = Vec::new();
    for (id, receipt) in failed {
        if let Some(r) = &receipt {
            if done_receipts.contains(r) {
                continue;
            }
            done_receipts.push(r.clone());
        }
        match retry_job(kiosk, &id) {
            Ok(j) => out.push(j),
            // A receipt printed since, or cancelled: nothing to print.
            Err(QueueError::NothingToRetry(_) | QueueError::ReceiptCancelled(_)) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(out)
}
