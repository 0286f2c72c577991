//! The holder's back office over the local database: transaction and
//! commission reports (with CSV, XLSX and PDF exports and a printed copy),
//! receipt search and cancellation, and the day's reconciliation. The
//! queries are the core's; this module shapes them for the screen and the
//! files.

use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate, Utc};
use domain::Paise;
use kiosk_core::{Kiosk, ReceiptQuery, ReceiptSort, ReceiptStatus, ReceiptSummary, SortColumn};
use kiosk_store::rusqlite::{self, OptionalExtension};

use crate::api::*;
use crate::error::{AppError, Result};

/// Rows per page of a list on screen (the core's largest page).
pub(crate) const PAGE: u32 = 200;

pub(crate) fn parse_day(s: &str) -> Result<NaiveDate> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .map_err(|_| AppError::DateInvalid(s.chars().take(12).collect()))
}

/// `[start of from, end of to)` in UTC for IST days.
fn range(f: &ReportFilter) -> Result<(DateTime<Utc>, DateTime<Utc>)> {
    let from = parse_day(&f.from)?;
    let to = parse_day(&f.to)?;
    if to < from {
        return Err(AppError::FilterInvalid(
            "the end date is before the start date",
        ));
    }
    Ok((
        domain::clock::ist_day_bounds(from).0,
        domain::clock::ist_day_bounds(to).1,
    ))
}

fn text(s: &Option<String>) -> Option<String> {
    s.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

fn txn_query(f: &ReportFilter, page: u32) -> Result<ReceiptQuery> {
    let (from, to) = range(f)?;
    let status = match text(&f.status) {
        None => None,
        Some(s) => Some(ReceiptStatus::parse(&s).ok_or(AppError::FilterInvalid(
            "status: provisional, final or cancelled",
        ))?),
    };
    let column = match text(&f.sort) {
        None => SortColumn::CreatedAt,
        Some(s) => SortColumn::parse(&s).ok_or(AppError::FilterInvalid("no such column"))?,
    };
    Ok(ReceiptQuery {
        from: Some(from),
        to: Some(to),
        service: text(&f.service),
        status,
        operator: text(&f.operator),
        mode: text(&f.mode),
        sort: ReceiptSort {
            column,
            descending: f.desc,
        },
        page,
        page_size: PAGE,
        ..Default::default()
    })
}

/// The receipt's state as the lists show it (the same words as
/// [`crate::views::receipt`]).
fn list_status(s: &ReceiptSummary) -> String {
    if s.rejected {
        return "rejected".into();
    }
    if s.unsent {
        return "pending".into();
    }
    s.status.clone()
}

pub(crate) fn row(s: &ReceiptSummary) -> ReceiptRow {
    ReceiptRow {
        id: s.id.clone(),
        receipt_no: s.receipt_no.clone(),
        final_receipt_no: s.final_receipt_no.clone(),
        created_at: s.created_at.to_rfc3339(),
        operator: s.operator.clone(),
        mode: s.mode.clone(),
        status: list_status(s),
        lines: s.line_count,
        total: s.total.as_i64(),
        commission: s.commission.as_i64(),
        services: s.services.clone(),
        consumers: s.consumers.clone(),
    }
}

fn totals_view(t: &kiosk_core::QueryTotals) -> ReportTotals {
    ReportTotals {
        matched: t.matched,
        receipts: t.receipts,
        lines: t.lines,
        bills: t.bills.as_i64(),
        charges: t.charges.as_i64(),
        total: t.total.as_i64(),
        commission: t.commission.as_i64(),
        cancelled: t.cancelled,
        rejected: t.rejected,
    }
}

pub(crate) fn txn_report(k: &Kiosk, a: &TxnReportArgs) -> Result<TxnReport> {
    let q = txn_query(&a.filter, a.page)?;
    let p = k.search_receipts(&q)?;
    let t = k.query_totals(&q)?;
    Ok(TxnReport {
        rows: p.receipts.iter().map(row).collect(),
        page: p.page,
        has_more: p.has_more,
        totals: totals_view(&t),
    })
}

fn period(f: &ReportFilter) -> Period {
    f.period.unwrap_or(Period::Day)
}

pub(crate) fn commission_report(k: &Kiosk, f: &ReportFilter) -> Result<CommissionReport> {
    let (from, to) = range(f)?;
    let by = match period(f) {
        Period::Day => kiosk_core::Period::Day,
        Period::Month => kiosk_core::Period::Month,
    };
    let service = text(&f.service);
    let rows = k.commission_report(from, to, service.as_deref(), by)?;
    let cat = k.catalogue();
    let mut totals = ReportTotals {
        matched: 0,
        receipts: 0,
        lines: 0,
        bills: 0,
        charges: 0,
        total: 0,
        commission: 0,
        cancelled: 0,
        rejected: 0,
    };
    let rows = rows
        .into_iter()
        .map(|r| {
            let svc = cat.and_then(|c| c.service(&r.service_code));
            totals.receipts += r.receipts;
            totals.lines += r.lines;
            totals.bills += r.bills.as_i64();
            totals.charges += r.charges.as_i64();
            totals.total += r.total.as_i64();
            totals.commission += r.commission.as_i64();
            CommissionRowView {
                period: r.period,
                service_en: svc.map_or_else(|| r.service_code.clone(), |s| s.name_en.clone()),
                service_hi: svc.map_or_else(|| r.service_code.clone(), |s| s.name_hi.clone()),
                service_code: r.service_code,
                receipts: r.receipts,
                lines: r.lines,
                bills: r.bills.as_i64(),
                charges: r.charges.as_i64(),
                total: r.total.as_i64(),
                commission: r.commission.as_i64(),
            }
        })
        .collect::<Vec<_>>();
    totals.matched = rows.len() as i64;
    Ok(CommissionReport {
        period: period(f),
        rows,
        totals,
    })
}

// ------------------------------------------------------------ tables for files and paper

enum Cell {
    Text(String),
    Money(i64),
    Int(i64),
}

/// A report as rows of typed cells: one source for CSV, XLSX, PDF and
/// the printed copy, so their totals cannot differ.
struct Table {
    name: &'static str,
    title: String,
    subtitle: String,
    headers: Vec<&'static str>,
    rows: Vec<Vec<Cell>>,
    totals: Vec<Cell>,
    /// The money total of the totals row.
    total: i64,
}

fn ist_time(at: DateTime<Utc>) -> String {
    at.with_timezone(&domain::clock::ist())
        .format("%d-%m-%Y %H:%M")
        .to_string()
}

fn subtitle(k: &Kiosk, f: &ReportFilter) -> String {
    let id = k.identity();
    let mut s = format!(
        "{} ({})  {} to {}",
        id.kiosk_name, id.kiosk_code, f.from, f.to
    );
    for (label, v) in [
        ("service", &f.service),
        ("operator", &f.operator),
        ("status", &f.status),
        ("mode", &f.mode),
    ] {
        if let Some(v) = text(v) {
            s.push_str(&format!("  {label} {v}"));
        }
    }
    s
}

fn txn_table(k: &Kiosk, f: &ReportFilter) -> Result<Table> {
    let mut t = txn_frame(k, f)?;
    let mut rows = Vec::new();
    txn_rows(k, f, |r| {
        rows.push(r);
        Ok(())
    })?;
    t.rows = rows;
    Ok(t)
}

/// Every receipt of the transactions report as a row of cells, in order.
fn txn_rows(
    k: &Kiosk,
    f: &ReportFilter,
    mut out: impl FnMut(Vec<Cell>) -> Result<()>,
) -> Result<()> {
    k.each_receipt::<AppError>(&txn_query(f, 0)?, |s| {
        let r = row(&s);
        out(vec![
            Cell::Text(r.final_receipt_no.clone().unwrap_or(r.receipt_no.clone())),
            Cell::Text(ist_time(s.created_at)),
            Cell::Text(r.operator),
            Cell::Text(r.services.replace(',', ", ")),
            Cell::Text(r.consumers.replace(',', ", ")),
            Cell::Text(r.mode),
            Cell::Text(r.status),
            Cell::Int(r.lines),
            Cell::Money(r.total),
            Cell::Money(r.commission),
        ])
    })
}

/// The transactions report without its rows: titles, headers, totals.
fn txn_frame(k: &Kiosk, f: &ReportFilter) -> Result<Table> {
    let q = txn_query(f, 0)?;
    let t = k.query_totals(&q)?;
    Ok(Table {
        name: "transactions",
        title: "Transactions".into(),
        subtitle: format!(
            "{}  receipts {}  cancelled {}  rejected {}",
            subtitle(k, f),
            t.receipts,
            t.cancelled,
            t.rejected
        ),
        headers: vec![
            "Receipt No",
            "Date",
            "Operator",
            "Services",
            "Consumer Nos",
            "Mode",
            "Status",
            "Bills",
            "Amount",
            "Commission",
        ],
        rows: Vec::new(),
        totals: vec![
            Cell::Text("TOTAL (cancelled and rejected left out)".into()),
            Cell::Text(String::new()),
            Cell::Text(String::new()),
            Cell::Text(String::new()),
            Cell::Text(String::new()),
            Cell::Text(String::new()),
            Cell::Text(String::new()),
            Cell::Int(t.lines),
            Cell::Money(t.total.as_i64()),
            Cell::Money(t.commission.as_i64()),
        ],
        total: t.total.as_i64(),
    })
}

fn commission_table(k: &Kiosk, f: &ReportFilter) -> Result<Table> {
    let r = commission_report(k, f)?;
    let rows = r
        .rows
        .iter()
        .map(|x| {
            vec![
                Cell::Text(x.period.clone()),
                Cell::Text(x.service_code.clone()),
                Cell::Int(x.receipts),
                Cell::Int(x.lines),
                Cell::Money(x.bills),
                Cell::Money(x.charges),
                Cell::Money(x.total),
                Cell::Money(x.commission),
            ]
        })
        .collect();
    let t = &r.totals;
    Ok(Table {
        name: "commissions",
        title: format!(
            "Commissions per service per {}",
            match r.period {
                Period::Day => "day",
                Period::Month => "month",
            }
        ),
        subtitle: subtitle(k, f),
        headers: vec![
            "Period",
            "Service",
            "Receipts",
            "Bills",
            "Bill amount",
            "Charges",
            "Total",
            "Commission",
        ],
        rows,
        totals: vec![
            Cell::Text("TOTAL".into()),
            Cell::Text(String::new()),
            Cell::Int(t.receipts),
            Cell::Int(t.lines),
            Cell::Money(t.bills),
            Cell::Money(t.charges),
            Cell::Money(t.total),
            Cell::Money(t.commission),
        ],
        total: t.total,
    })
}

fn table(k: &Kiosk, kind: ReportKind, f: &ReportFilter) -> Result<Table> {
    match kind {
        ReportKind::Transactions => txn_table(k, f),
        ReportKind::Commissions => commission_table(k, f),
    }
}

/// Rupees with two decimals and no grouping, for files other programs read.
fn rupees(p: i64) -> String {
    let sign = if p < 0 { "-" } else { "" };
    let a = p.unsigned_abs();
    format!("{sign}{}.{:02}", a / 100, a % 100)
}

fn csv_field(c: &Cell) -> String {
    let s = match c {
        Cell::Text(t) => {
            // A spreadsheet would run a cell that starts like a formula.
            if t.starts_with(['=', '+', '-', '@']) {
                format!("'{t}")
            } else {
                t.clone()
            }
        }
        Cell::Money(p) => rupees(*p),
        Cell::Int(n) => n.to_string(),
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

fn csv(t: &Table) -> Vec<u8> {
    let mut out = String::new();
    let line = |out: &mut String, cells: Vec<String>| {
        out.push_str(&cells.join(","));
        out.push_str("\r\n");
    };
    line(
        &mut out,
        t.headers
            .iter()
            .map(|h| csv_field(&Cell::Text(h.to_string())))
            .collect(),
    );
    for r in t.rows.iter().chain(std::iter::once(&t.totals)) {
        line(&mut out, r.iter().map(csv_field).collect());
    }
    out.into_bytes()
}

fn xlsx(t: &Table) -> Result<Vec<u8>> {
    xlsx_rows(t, t.rows.iter())
}

/// `t`'s titles, headers and totals around `rows` (which may still be
/// arriving from the database).
fn xlsx_rows<R: std::borrow::Borrow<Vec<Cell>>>(
    t: &Table,
    rows: impl Iterator<Item = R>,
) -> Result<Vec<u8>> {
    use rust_xlsxwriter::{Format, Workbook};
    let bad = |e: rust_xlsxwriter::XlsxError| AppError::Export(e.to_string());
    let mut wb = Workbook::new();
    let bold = Format::new().set_bold();
    let money = Format::new().set_num_format("#,##0.00");
    let money_bold = Format::new().set_num_format("#,##0.00").set_bold();
    // Rows go to the file as they come (no table of shared strings): a
    // year of receipts in seconds, in little memory.
    let ws = wb.add_worksheet_with_constant_memory().map_err(bad)?;
    ws.set_name(t.name).map_err(bad)?;
    ws.write_string_with_format(0, 0, &t.title, &bold)
        .map_err(bad)?;
    ws.write_string(1, 0, &t.subtitle).map_err(bad)?;
    const HEAD: u32 = 3;
    for (c, h) in t.headers.iter().enumerate() {
        ws.write_string_with_format(HEAD, c as u16, *h, &bold)
            .map_err(bad)?;
        ws.set_column_width(c as u16, if c < 5 { 18 } else { 12 })
            .map_err(bad)?;
    }
    let mut write = |y: u32, r: &[Cell], is_total: bool| -> Result<()> {
        for (c, cell) in r.iter().enumerate() {
            let x = c as u16;
            match cell {
                Cell::Text(s) if s.is_empty() => {}
                Cell::Text(s) if is_total => {
                    ws.write_string_with_format(y, x, s, &bold).map_err(bad)?;
                }
                Cell::Text(s) => {
                    ws.write_string(y, x, s).map_err(bad)?;
                }
                // A spreadsheet keeps numbers as doubles: paise / 100 is
                // exact to the paisa for any kiosk's takings.
                Cell::Money(p) => {
                    let f = if is_total { &money_bold } else { &money };
                    ws.write_number_with_format(y, x, *p as f64 / 100.0, f)
                        .map_err(bad)?;
                }
                Cell::Int(n) => {
                    ws.write_number(y, x, *n as f64).map_err(bad)?;
                }
            }
        }
        Ok(())
    };
    let mut y = HEAD + 1;
    for r in rows {
        write(y, r.borrow(), false)?;
        y += 1;
    }
    write(y, &t.totals, true)?;
    wb.save_to_buffer().map_err(bad)
}

fn report_view(t: &Table) -> print::receipt::ReportView {
    let cell = |c: &Cell| match c {
        Cell::Text(s) => s.clone(),
        Cell::Money(p) => Paise::new(*p).format_plain(),
        Cell::Int(n) => n.to_string(),
    };
    let right: Vec<bool> = t
        .totals
        .iter()
        .map(|c| !matches!(c, Cell::Text(_)))
        .collect();
    let mut rows: Vec<Vec<String>> = t
        .rows
        .iter()
        .map(|r| r.iter().map(cell).collect())
        .collect();
    let mut tot: Vec<String> = t.totals.iter().map(cell).collect();
    // The long label of the file's totals row would widen the first column.
    tot[0] = "TOTAL".into();
    rows.push(tot);
    print::receipt::ReportView {
        title: t.title.clone(),
        subtitle: t.subtitle.clone(),
        headers: t.headers.iter().map(|h| h.to_string()).collect(),
        widths: t.headers.iter().map(|h| h.len().max(8)).collect(),
        right_aligned: right,
        rows,
        total: Some(Paise::new(t.total)),
    }
}

/// The line width of an A4 PDF report: wide enough for the transactions
/// table in one line per receipt.
const PDF_COLUMNS: u16 = 132;

fn pdf(t: &Table) -> Result<Vec<u8>> {
    let profile = print::Profile::builtin_by_id("pdf-laser")?;
    let doc = print::receipt::report(&report_view(t), PDF_COLUMNS);
    Ok(print::encode::encode(&doc, &profile)?)
}

pub(crate) fn export(k: &Kiosk, dir: &Path, a: &ExportArgs) -> Result<ExportView> {
    let t0 = std::time::Instant::now();
    let (t, rows, bytes, ext) = match (a.format, a.report) {
        // A year of receipts: the workbook is written while the database
        // is still being read, on a second thread.
        (ExportFormat::Xlsx, ReportKind::Transactions) => {
            let t = txn_frame(k, &a.filter)?;
            let (rows, bytes) = xlsx_streamed(k, &a.filter, &t)?;
            (t, rows, bytes, "xlsx")
        }
        (format, report) => {
            let t = table(k, report, &a.filter)?;
            let (bytes, ext) = match format {
                ExportFormat::Csv => (csv(&t), "csv"),
                ExportFormat::Xlsx => (xlsx(&t)?, "xlsx"),
                ExportFormat::Pdf => (pdf(&t)?, "pdf"),
            };
            let n = t.rows.len();
            (t, n, bytes, ext)
        }
    };
    let stamp = k
        .clock()
        .now()
        .with_timezone(&domain::clock::ist())
        .format("%Y%m%d-%H%M%S");
    let file_name = format!(
        "{}-{}-{}-{stamp}.{ext}",
        t.name,
        a.filter.from.trim(),
        a.filter.to.trim()
    );
    let path = write_file(dir, &file_name, &bytes)?;
    // What a slow export spent its time on, for a support ticket's log.
    tracing::info!(
        format = ext,
        rows,
        bytes = bytes.len(),
        total_ms = t0.elapsed().as_millis(),
        "report exported"
    );
    Ok(ExportView {
        path: path.display().to_string(),
        file_name,
        bytes: bytes.len() as u64,
        rows: rows as u32,
        total: t.total,
    })
}

/// The transactions workbook, its rows handed from the database reader
/// to the writer as they are read. Returns (rows, file).
fn xlsx_streamed(k: &Kiosk, f: &ReportFilter, frame: &Table) -> Result<(usize, Vec<u8>)> {
    std::thread::scope(|sc| {
        let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<Cell>>(1024);
        let writer = sc.spawn(move || xlsx_rows(frame, rx.into_iter()));
        let mut n = 0;
        let read = txn_rows(k, f, |r| {
            n += 1;
            // Refused only when the writer has stopped: its error says why.
            tx.send(r)
                .map_err(|_| AppError::Export("the file writer stopped".into()))
        });
        drop(tx);
        let written = writer
            .join()
            .map_err(|_| AppError::Internal("the file writer failed".into()))?;
        match (read, written) {
            (Ok(()), Ok(bytes)) => Ok((n, bytes)),
            (_, Err(e)) | (Err(e), _) => Err(e),
        }
    })
}

/// Written whole or not at all (a power cut leaves no half file).
fn write_file(dir: &Path, name: &str, bytes: &[u8]) -> Result<PathBuf> {
    let io = |e: std::io::Error| AppError::Export(format!("{}: {e}", dir.display()));
    std::fs::create_dir_all(dir).map_err(io)?;
    let path = dir.join(name);
    let tmp = dir.join(format!(".{name}.part"));
    std::fs::write(&tmp, bytes).map_err(io)?;
    std::fs::rename(&tmp, &path).map_err(io)?;
    Ok(path)
}

pub(crate) fn print_report(k: &mut Kiosk, a: &ReportPrintArgs) -> Result<PrintView> {
    let t = table(k, a.report, &a.filter)?;
    // The report printer when one is set, else the receipt printer.
    let printer = print_queue::jobs::report_printer_or_receipt(k.store().conn())?
        .ok_or(print_queue::QueueError::NoPrinter)?;
    let job = print_queue::jobs::enqueue_report(k, &report_view(&t), &printer)?;
    Ok(PrintView {
        status: "queued".into(),
        printer: printer.uri,
        job: Some(job),
        kind: Some("report".into()),
        code: None,
        message: None,
    })
}

// ------------------------------------------------------------ receipts

pub(crate) fn receipts_search(k: &Kiosk, a: &ReceiptSearchArgs) -> Result<ReceiptList> {
    let (from, to) = match text(&a.date) {
        Some(d) => {
            let (f, t) = domain::clock::ist_day_bounds(parse_day(&d)?);
            (Some(f), Some(t))
        }
        None => (None, None),
    };
    if let Some(m) = text(&a.mobile)
        && !(m.len() == 10 && m.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(domain::DomainError::MobileInvalid(m.chars().take(16).collect()).into());
    }
    let p = k.search_receipts(&ReceiptQuery {
        from,
        to,
        receipt_no: text(&a.receipt_no),
        consumer_no: text(&a.consumer_no),
        mobile: text(&a.mobile),
        page: a.page,
        page_size: 50,
        ..Default::default()
    })?;
    Ok(ReceiptList {
        rows: p.receipts.iter().map(row).collect(),
        page: p.page,
        has_more: p.has_more,
    })
}

pub(crate) fn detail(k: &Kiosk, key: &str, holder: bool) -> Result<ReceiptDetailView> {
    let d = k.receipt(key)?;
    let receipt = crate::views::receipt(k, &d);
    let conn = k.store().conn();
    let id = d.summary.id.clone();
    let cancelled_by: Option<String> = conn
        .query_row(
            "SELECT cancelled_by FROM receipts WHERE id = ?1",
            [&id],
            |r| r.get(0),
        )
        .optional()?
        .flatten();
    let cancel_pending: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM outbox WHERE receipt_id = ?1 AND kind = 'cancellation' AND outcome IS NULL)",
        [&id],
        |r| r.get(0),
    )?;
    let payment = payment_outcome(conn, &id)?;
    let centre_state = centre_state(&d.summary.status, d.summary.rejected, payment.as_deref());
    let prints = print_queue::jobs::list(conn, Some(&id), 50)?
        .into_iter()
        .map(|j| PrintJobView {
            id: j.id,
            kind: j.kind,
            state: match j.state {
                print_queue::jobs::JobState::Done => "printed".into(),
                s => s.as_str().into(),
            },
            printer: j.printer,
            attempts: j.attempts,
            created_at: j.created_at.to_rfc3339(),
            updated_at: j.updated_at.to_rfc3339(),
            last_error_code: j.last_error_code,
        })
        .collect();
    let can_cancel = holder && d.summary.status != "cancelled" && !d.summary.rejected;
    Ok(ReceiptDetailView {
        receipt,
        centre_state,
        cancelled_at: d.cancelled_at.map(|t| t.to_rfc3339()),
        cancelled_by,
        cancel_reason: d.cancel_reason,
        reject_reason: d.reconcile_reason.filter(|_| d.summary.rejected),
        cancel_pending,
        prints,
        can_cancel,
    })
}

fn payment_outcome(conn: &rusqlite::Connection, receipt_id: &str) -> Result<Option<String>> {
    Ok(conn
        .query_row(
            "SELECT outcome FROM outbox WHERE receipt_id = ?1 AND kind = 'payment'",
            [receipt_id],
            |r| r.get(0),
        )
        .optional()?
        .flatten())
}

/// What the centre said of a payment. No answer is `unknown`: only the
/// centre settles it, so it is never shown as failed.
fn centre_state(status: &str, rejected: bool, outcome: Option<&str>) -> String {
    if status == "cancelled" {
        "cancelled"
    } else if rejected {
        "rejected"
    } else {
        match outcome {
            Some("accepted") => "final",
            Some("pending") => "pending",
            Some("rejected") => "rejected",
            _ => "unknown",
        }
    }
    .into()
}

// ------------------------------------------------------------ reconcile

/// A payment of the day and its outbox entry.
#[derive(Debug, Clone)]
pub(crate) struct Payment {
    pub row: ReconcileRow,
    pub entry_id: Option<String>,
    pub seq: Option<u64>,
}

pub(crate) fn day_payments(k: &Kiosk, day: NaiveDate) -> Result<Vec<Payment>> {
    let (from, to) = domain::clock::ist_day_bounds(day);
    let mut stmt = k.store().conn().prepare_cached(
        "SELECT r.id, r.receipt_no, r.final_receipt_no, r.created_at, r.operator, r.total_paise,
                r.status, r.rejected, r.reconcile_code, r.reconcile_reason,
                o.id, o.seq, o.outcome, o.outcome_code, o.outcome_reason
           FROM receipts r LEFT JOIN outbox o ON o.receipt_id = r.id AND o.kind = 'payment'
          WHERE r.created_at >= ?1 AND r.created_at < ?2
          ORDER BY r.created_at, r.device_seq",
    )?;
    let rows = stmt
        .query_map([kiosk_store::ts(from), kiosk_store::ts(to)], |r| {
            let status: String = r.get(6)?;
            let rejected: bool = r.get(7)?;
            let outcome: Option<String> = r.get(12)?;
            let code: Option<String> = r.get::<_, Option<String>>(13)?.or(r.get(8)?);
            let reason: Option<String> = r.get::<_, Option<String>>(14)?.or(r.get(9)?);
            let at: String = r.get(3)?;
            Ok(Payment {
                row: ReconcileRow {
                    id: r.get(0)?,
                    receipt_no: r.get(1)?,
                    final_receipt_no: r.get(2)?,
                    created_at: kiosk_store::parse_ts(&at)
                        .map(|t| t.to_rfc3339())
                        .unwrap_or(at),
                    operator: r.get(4)?,
                    total: r.get(5)?,
                    state: centre_state(&status, rejected, outcome.as_deref()),
                    code: code.filter(|_| rejected),
                    reason: reason.filter(|_| rejected),
                },
                entry_id: r.get(10)?,
                seq: r.get(11)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

pub(crate) fn day_view(date: NaiveDate, payments: &[Payment]) -> ReconcileView {
    let mut counts = ReconcileCounts::default();
    for p in payments {
        match p.row.state.as_str() {
            "final" => counts.finals += 1,
            "pending" => counts.pending += 1,
            "rejected" => counts.rejected += 1,
            "cancelled" => counts.cancelled += 1,
            _ => counts.unknown += 1,
        }
    }
    ReconcileView {
        date: date.to_string(),
        rows: payments.iter().map(|p| p.row.clone()).collect(),
        counts,
    }
}

/// What the centre said of one transaction (`GET /v1/reconcile/...`).
#[derive(Debug, Clone, serde::Deserialize)]
pub struct TxnStatus {
    pub entry_id: String,
    pub seq: u64,
    pub status: String,
    pub code: Option<String>,
    pub reason: Option<String>,
    pub txn_id: Option<i64>,
    pub receipt_no: Option<String>,
}

/// Records what the centre said of each payment (as a sync would) and
/// says what changed.
pub(crate) fn apply_verify(
    k: &mut Kiosk,
    answers: Vec<(Payment, Option<TxnStatus>)>,
) -> Result<(Vec<VerifyRow>, VerifySummary)> {
    let mut rows = Vec::new();
    let mut sum = VerifySummary::default();
    for (p, ans) in answers {
        let before = p.row.state.clone();
        let mut v = VerifyRow {
            receipt_no: p.row.receipt_no.clone(),
            before: before.clone(),
            after: before.clone(),
            centre_status: ans.as_ref().map(|a| a.status.clone()),
            final_receipt_no: ans.as_ref().and_then(|a| a.receipt_no.clone()),
            code: ans.as_ref().and_then(|a| a.code.clone()),
            reason: ans.as_ref().and_then(|a| a.reason.clone()),
            outcome: String::new(),
        };
        let outcome = match (&ans, p.seq) {
            (None, _) | (_, None) => None,
            (Some(a), Some(seq)) => {
                // The centre's seq for this entry must be ours.
                if a.seq != seq || Some(&a.entry_id) != p.entry_id.as_ref() {
                    None
                } else {
                    match a.status.as_str() {
                        // A payment later cancelled was accepted first.
                        "accepted" | "cancelled" => Some(kiosk_core::Outcome::Accepted {
                            server_txn_id: a.txn_id.map(|t| t.to_string()).unwrap_or_default(),
                            final_receipt_no: a.receipt_no.clone(),
                        }),
                        "rejected" => Some(kiosk_core::Outcome::Rejected {
                            code: a.code.clone().unwrap_or_else(|| "rejected".into()),
                            reason: a.reason.clone().unwrap_or_default(),
                        }),
                        "pending" => Some(kiosk_core::Outcome::Pending),
                        _ => None,
                    }
                    .map(|o| (seq, o))
                }
            }
        };
        v.outcome = match outcome {
            None => {
                sum.still_unknown += 1;
                "still_unknown".into()
            }
            Some((seq, o)) => match k.record_outcome(seq, &o) {
                Err(kiosk_core::CoreError::OutcomeConflict { .. }) => {
                    sum.mismatch += 1;
                    "mismatch".into()
                }
                Err(e) => return Err(e.into()),
                Ok(()) => {
                    let now = payment_outcome(k.store().conn(), &p.row.id)?;
                    let d = k.receipt(&p.row.id)?;
                    v.after = centre_state(&d.summary.status, d.summary.rejected, now.as_deref());
                    match v.after.as_str() {
                        "rejected" => {
                            sum.rejected += 1;
                            "rejected".into()
                        }
                        "pending" => {
                            sum.pending += 1;
                            "pending".into()
                        }
                        _ if before == v.after => {
                            sum.matched += 1;
                            "matched".into()
                        }
                        _ => {
                            sum.settled += 1;
                            "settled".into()
                        }
                    }
                }
            },
        };
        rows.push(v);
    }
    Ok((rows, sum))
}

// ------------------------------------------------------------ wallet

/// The centre's statement of the wallet (as last synced), newest line
/// last, each with the balance after it when the statement runs up to now.
pub(crate) fn statement(
    k: &Kiosk,
    a: &WalletArgs,
) -> Result<(Vec<StatementLineView>, bool, i64, i64)> {
    let from = match text(&a.from) {
        Some(d) => Some(domain::clock::ist_day_bounds(parse_day(&d)?).0),
        None => None,
    };
    let to = match text(&a.to) {
        Some(d) => Some(domain::clock::ist_day_bounds(parse_day(&d)?).1),
        None => None,
    };
    if let (Some(f), Some(t)) = (from, to)
        && f >= t
    {
        return Err(AppError::FilterInvalid(
            "the end date is before the start date",
        ));
    }
    let s = k.wallet_statement(from, to, 200)?;
    let mut lines: Vec<StatementLineView> = s
        .lines
        .iter()
        .map(|l| StatementLineView {
            line_id: l.line_id,
            at: l.at.to_rfc3339(),
            kind: l.kind.clone(),
            amount: l.amount.as_i64(),
            txn_id: l.txn_id,
            memo: l.memo.clone(),
            balance_after: None,
        })
        .collect();
    // Backwards from the centre's balance: only when nothing newer than
    // the statement's last line was left out.
    if let (None, Some(b)) = (to, s.balance) {
        let mut bal = b.as_i64();
        for l in lines.iter_mut().rev() {
            l.balance_after = Some(bal);
            bal -= l.amount;
        }
    }
    Ok((lines, s.truncated, s.credits.as_i64(), s.debits.as_i64()))
}
