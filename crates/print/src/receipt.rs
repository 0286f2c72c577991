//! Receipt layouts: one view struct, laid out for receipt printers (40, 42,
//! 48 columns), an 8" carriage (80) and a wide carriage or condensed 8"
//! (136). Amounts only through `domain::Paise`.

use crate::doc::{Align, Document, Run, Style, ascii, wrap};
use chrono::{DateTime, Utc};
use domain::{ChequeDetails, Paise, PaymentMode};
use serde::{Deserialize, Serialize};

/// Everything a receipt shows; built by the kiosk core from a committed
/// payment (and by tests).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceiptView {
    pub kiosk_name: String,
    pub kiosk_code: String,
    /// The kiosk's own number until sync; the server's after.
    pub receipt_no: String,
    /// Not yet accepted by the centre: the slip says so (Hindi and English).
    pub provisional: bool,
    /// A reprint.
    pub duplicate: bool,
    pub issued_at: DateTime<Utc>,
    pub operator: String,
    pub lines: Vec<ReceiptLine>,
    pub total: Paise,
    pub payment: PaymentMode,
    /// Already masked (`Contact::masked`).
    pub contact_masked: String,
    pub footer: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceiptLine {
    pub service_en: String,
    pub service_hi: Option<String>,
    pub department: String,
    pub consumer_no: String,
    pub consumer_name: Option<String>,
    pub bill_amount: Paise,
    pub charge: Paise,
}

/// Which languages to print.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    English,
    /// English plus Hindi (service names, amount in words, banners).
    Bilingual,
}

pub const PROVISIONAL_EN: &str =
    "PROVISIONAL - not the final receipt. Final receipt no. by SMS after sync.";
pub const PROVISIONAL_HI: &str =
    "अस्थायी रसीद — यह अंतिम रसीद नहीं है। सिंक के बाद अंतिम रसीद संख्या एसएमएस से मिलेगी।";
pub const DUPLICATE_EN: &str = "*** DUPLICATE COPY ***";

fn ist(at: DateTime<Utc>) -> String {
    at.with_timezone(&domain::clock::ist())
        .format("%d-%m-%Y %H:%M IST")
        .to_string()
}

fn money(p: Paise) -> String {
    p.format_ascii()
}

fn cheque_text(c: &ChequeDetails) -> String {
    format!(
        "Cheque No. {} dated {} on {}, payee {}",
        c.number,
        c.date.format("%d-%m-%Y"),
        c.bank,
        c.payee
    )
}

/// Lays a receipt out for `columns` (40, 42, 48, 80 or 136; anything else
/// uses the nearest narrower layout).
pub fn layout(r: &ReceiptView, columns: u16, lang: Lang) -> Document {
    let mut d = Document::new(columns);
    let hi = lang == Lang::Bilingual;
    let w = columns as usize;
    if r.duplicate {
        d.centered(DUPLICATE_EN, Style::BOLD);
    }
    if is_latin(&r.kiosk_name) {
        let name_style = if r.kiosk_name.len() * 2 <= w {
            Style::BIG
        } else {
            Style::BOLD
        };
        d.centered(&r.kiosk_name, name_style);
    } else {
        // A kiosk named in Hindi: shaped and printed as an image.
        d.unicode_field(
            r.kiosk_name.clone(),
            Align::Center,
            romanised(&r.kiosk_name, "Kiosk name"),
        );
    }
    if hi {
        d.unicode("ई-मित्र कियोस्क — भुगतान रसीद", Align::Center);
    }
    d.centered(
        format!("e-Mitra Kiosk {} - Payment Receipt", r.kiosk_code),
        Style::PLAIN,
    );
    d.rule();
    if r.provisional {
        d.centered("PROVISIONAL RECEIPT", Style::BOLD);
        d.para(PROVISIONAL_EN, 0, Style::PLAIN);
        // Always in Hindi too (docs/domain.md "Provisional and final
        // receipts": the provisional slip says so in both).
        d.unicode(PROVISIONAL_HI, Align::Left);
        d.rule();
    }
    let no_label = if r.provisional {
        "Provisional No."
    } else {
        "Receipt No."
    };
    if w >= 80 {
        d.pair(
            format!("{no_label} {}", r.receipt_no),
            format!("Date: {}", ist(r.issued_at)),
            Style::BOLD,
        );
        let kiosk = if is_latin(&r.kiosk_name) {
            format!("{} ({})", r.kiosk_name, r.kiosk_code)
        } else {
            r.kiosk_code.clone()
        };
        d.pair(
            format!("Kiosk: {kiosk}"),
            format!("Operator: {}", r.operator),
            Style::PLAIN,
        );
    } else {
        d.line(no_label, Style::PLAIN);
        d.line(&r.receipt_no, Style::BOLD);
        d.pair("Date:", ist(r.issued_at), Style::PLAIN);
        d.pair("Operator:", &r.operator, Style::PLAIN);
    }
    d.rule();
    if w >= 80 {
        wide_lines(&mut d, r, w, hi);
    } else {
        narrow_lines(&mut d, r, hi);
    }
    d.rule();
    let total = format!("TOTAL {}", money(r.total));
    if total.len() * 2 <= w {
        let pad = w / 2 - total.len();
        d.runs(vec![
            Run {
                text: " ".repeat(pad * 2),
                style: Style::PLAIN,
            },
            Run {
                text: total,
                style: Style::BIG,
            },
        ]);
    } else {
        d.pair("TOTAL", money(r.total), Style::BOLD);
    }
    d.para(r.total.in_words_en(), 0, Style::PLAIN);
    if hi {
        d.unicode(format!("कुल राशि: {}", r.total.in_words_hi()), Align::Left);
    }
    d.rule();
    match &r.payment {
        PaymentMode::Wallet => d.line("Paid in cash (kiosk wallet debited)", Style::PLAIN),
        PaymentMode::Cheque(c) => {
            d.line("Paid by departmental cheque:", Style::PLAIN);
            d.para(cheque_text(c), 2, Style::PLAIN);
        }
    }
    if hi {
        let m = match &r.payment {
            PaymentMode::Wallet => "भुगतान: नकद",
            PaymentMode::Cheque(_) => "भुगतान: विभागीय चेक",
        };
        d.unicode(m, Align::Left);
    }
    if !r.contact_masked.is_empty() {
        d.line(format!("SMS/e-mail to: {}", r.contact_masked), Style::PLAIN);
    }
    d.rule();
    for f in &r.footer {
        d.centered(f, Style::PLAIN);
    }
    if hi {
        d.unicode("धन्यवाद", Align::Center);
    }
    if r.duplicate {
        d.centered(DUPLICATE_EN, Style::BOLD);
    }
    d
}

/// Printable as text on every profile.
fn is_latin(s: &str) -> bool {
    s.chars().all(|c| (' '..='~').contains(&c))
}

fn name_line(d: &mut Document, n: &str, indent: usize) {
    if is_latin(n) {
        d.para(format!("Name: {n}"), indent, Style::PLAIN);
    } else {
        d.unicode_field(
            format!("नाम: {n}"),
            Align::Left,
            format!("Name: {}", romanised(n, "Name")),
        );
    }
}

/// A Hindi name for printers without Devanagari: romanised, or where it
/// cannot be, a line that says it was left out (never silently dropped).
fn romanised(s: &str, what: &str) -> String {
    crate::translit::devanagari_to_ascii(s)
        .unwrap_or_else(|| format!("({what} not in Latin letters: not printable here)"))
}

fn narrow_lines(d: &mut Document, r: &ReceiptView, hi: bool) {
    for (i, l) in r.lines.iter().enumerate() {
        d.para(format!("{}. {}", i + 1, l.service_en), 0, Style::BOLD);
        if hi && let Some(h) = &l.service_hi {
            d.unicode(h.clone(), Align::Left);
        }
        d.para(format!("Dept: {}", l.department), 3, Style::PLAIN);
        d.para(format!("Consumer No: {}", l.consumer_no), 3, Style::PLAIN);
        if let Some(n) = &l.consumer_name {
            name_line(d, n, 3);
        }
        d.pair("   Bill amount", money(l.bill_amount), Style::PLAIN);
        d.pair("   Charge", money(l.charge), Style::PLAIN);
    }
}

/// Column widths for the wide table: #, service, department, consumer no,
/// name, bill, charge.
fn wide_cols(w: usize) -> [usize; 7] {
    if w >= 136 {
        [3, 34, 26, 18, 24, 14, 11]
    } else {
        [3, 18, 14, 13, 0, 16, 11]
    }
}

fn cell(s: &str, n: usize, right: bool) -> String {
    let mut s = ascii(s);
    s.truncate(n);
    if right {
        format!("{s:>n$}")
    } else {
        format!("{s:<n$}")
    }
}

fn wide_lines(d: &mut Document, r: &ReceiptView, w: usize, hi: bool) {
    let c = wide_cols(w);
    let row = |v: [&str; 7]| {
        let mut out = String::new();
        for (k, (s, n)) in v.iter().zip(c).enumerate() {
            if n == 0 {
                continue;
            }
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(&cell(s, n, k >= 5));
        }
        out
    };
    d.line(
        row([
            "#",
            "Service",
            "Department",
            "Consumer No",
            "Name",
            "Bill amount",
            "Charge",
        ]),
        Style::BOLD,
    );
    for (i, l) in r.lines.iter().enumerate() {
        let (bill, charge) = (money(l.bill_amount), money(l.charge));
        // Amounts and consumer numbers are never cut: wrap or move them.
        let amounts_fit = bill.len() <= c[5] && charge.len() <= c[6];
        let name = l.consumer_name.clone().unwrap_or_default();
        // Names in Devanagari go on their own line as an image.
        let (name, name_hi) = if is_latin(&name) {
            (name, None)
        } else {
            (String::new(), Some(name))
        };
        let col = |s: &str, n: usize| {
            if n == 0 {
                vec![String::new()]
            } else {
                wrap(&ascii(s), n)
            }
        };
        let cols = [
            col(&l.service_en, c[1]),
            col(&l.department, c[2]),
            col(&l.consumer_no, c[3]),
            col(&name, c[4]),
        ];
        let rows = cols.iter().map(Vec::len).max().unwrap_or(1);
        let n = format!("{}.", i + 1);
        for k in 0..rows {
            let g = |j: usize| cols[j].get(k).map(String::as_str).unwrap_or("");
            let first = k == 0 && amounts_fit;
            d.line(
                row([
                    if k == 0 { &n } else { "" },
                    g(0),
                    g(1),
                    g(2),
                    g(3),
                    if first { &bill } else { "" },
                    if first { &charge } else { "" },
                ]),
                Style::PLAIN,
            );
        }
        if !amounts_fit {
            d.pair("    Bill amount", &bill, Style::PLAIN);
            d.pair("    Charge", &charge, Style::PLAIN);
        }
        if c[4] == 0 && !name.is_empty() {
            d.para(format!("Name: {name}"), 4, Style::PLAIN);
        }
        if let Some(n) = &name_hi {
            name_line(d, n, 4);
        }
        if hi && let Some(h) = &l.service_hi {
            d.unicode(h.clone(), Align::Left);
        }
    }
}

/// A test page: every pitch and style, a rule and a Devanagari sample.
pub fn test_page(profile: &crate::Profile) -> Document {
    let cols = profile.default_columns();
    let mut d = Document::new(cols);
    d.centered("PRINTER TEST PAGE", Style::BIG);
    d.line(format!("Profile: {}", profile.id), Style::PLAIN);
    d.para(&profile.name, 0, Style::PLAIN);
    d.rule();
    let digits: String = (0..cols)
        .map(|i| char::from(b'0' + (i % 10) as u8))
        .collect();
    d.line(&digits, Style::PLAIN);
    d.line("Bold text", Style::BOLD);
    d.line("Wide", Style::BIG);
    d.line(
        format!(
            "Amount {}",
            Paise::from_rupees(123456)
                .unwrap_or(Paise::ZERO)
                .format_ascii()
        ),
        Style::PLAIN,
    );
    d.rule();
    d.unicode("हिन्दी परीक्षण: क्ष श्री कृ र्य द्ध", Align::Left);
    d
}

/// Reports (transactions, commissions) as a plain table, for the laser
/// printer's PDF and for DMPs alike.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportView {
    pub title: String,
    pub subtitle: String,
    pub headers: Vec<String>,
    /// Width of each column in characters; amounts are right-aligned.
    pub widths: Vec<usize>,
    pub right_aligned: Vec<bool>,
    pub rows: Vec<Vec<String>>,
    pub total: Option<Paise>,
}

/// Lays a report out for `columns`. Nothing is ever cut: cells wrap inside
/// their column (amounts are never wrapped), and where the table cannot fit
/// the paper each row becomes a block of "Header: value" lines.
pub fn report(r: &ReportView, columns: u16) -> Document {
    let w = columns as usize;
    let mut d = Document::new(columns);
    d.centered(&r.title, Style::BOLD);
    d.centered(&r.subtitle, Style::PLAIN);
    d.rule();
    match table_widths(r, w) {
        Some(widths) => report_table(&mut d, r, &widths),
        None => report_blocks(&mut d, r),
    }
    d.rule();
    if let Some(t) = r.total {
        d.pair("Total", money(t), Style::BOLD);
    }
    d
}

fn report_cols(r: &ReportView) -> usize {
    r.rows
        .iter()
        .map(Vec::len)
        .chain([r.headers.len(), r.widths.len()])
        .max()
        .unwrap_or(0)
}

fn right_aligned(r: &ReportView, k: usize) -> bool {
    r.right_aligned.get(k).copied().unwrap_or(false)
}

/// A text cell with a break chance after every comma, so a list of
/// consumer numbers wraps between numbers, not inside one.
fn breakable(s: &str) -> String {
    ascii(s).replace(',', ", ").replace(",  ", ", ")
}

/// A word's pieces, each ending after a '-' or '/' (where a long code or
/// receipt number may break between lines).
fn pieces(word: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, c) in word.char_indices() {
        if matches!(c, '-' | '/') && i + 1 < word.len() {
            out.push(&word[start..=i]);
            start = i + 1;
        }
    }
    out.push(&word[start..]);
    out
}

/// Word wrap for table cells: whole words where they fit, else a word
/// breaks after a '-' or '/'; only a piece wider than the column is cut.
fn wrap_cell(s: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut lines = Vec::new();
    let mut cur = String::new();
    for word in s.split_whitespace() {
        let sep = usize::from(!cur.is_empty());
        if cur.len() + sep + word.len() <= width {
            if sep == 1 {
                cur.push(' ');
            }
            cur.push_str(word);
            continue;
        }
        for (k, piece) in pieces(word).into_iter().enumerate() {
            let sep = usize::from(k == 0 && !cur.is_empty());
            if cur.len() + sep + piece.len() <= width {
                if sep == 1 {
                    cur.push(' ');
                }
                cur.push_str(piece);
                continue;
            }
            if !cur.is_empty() {
                lines.push(std::mem::take(&mut cur));
            }
            let mut p = piece;
            while p.len() > width {
                lines.push(p[..width].to_string());
                p = &p[width..];
            }
            cur = p.to_string();
        }
    }
    if !cur.is_empty() || lines.is_empty() {
        lines.push(cur);
    }
    lines
}

/// Column widths for the table layout: wide enough for every amount and
/// every unbreakable piece of text (so nothing is cut), then the spare
/// room to the columns that would wrap, those that lack least first;
/// `None` when that cannot fit `w`.
fn table_widths(r: &ReportView, w: usize) -> Option<Vec<usize>> {
    let n = report_cols(r);
    if n == 0 {
        return Some(Vec::new());
    }
    let cells = |k: usize| {
        r.rows
            .iter()
            .filter_map(move |row| row.get(k))
            .chain(r.headers.get(k))
    };
    // min: the widest amount and unbreakable piece; want: every cell on
    // one line; pref: the view's widths where they are wider still.
    let mut min = vec![0usize; n];
    let mut want = vec![0usize; n];
    let mut pref = vec![0usize; n];
    for k in 0..n {
        let given = r.widths.get(k).copied().unwrap_or(10).max(1);
        if right_aligned(r, k) {
            min[k] = cells(k).map(|s| ascii(s).len()).max().unwrap_or(0).max(1);
            want[k] = min[k];
        } else {
            let piece = cells(k)
                .flat_map(|s| {
                    breakable(s)
                        .split_whitespace()
                        .flat_map(|w| pieces(w).into_iter().map(str::len).collect::<Vec<_>>())
                        .collect::<Vec<_>>()
                })
                .max()
                .unwrap_or(0);
            let whole = cells(k).map(|s| breakable(s).len()).max().unwrap_or(0);
            min[k] = piece.max(1);
            want[k] = whole.max(min[k]);
        }
        pref[k] = want[k].max(given);
    }
    let gaps = n - 1;
    let sum = |v: &[usize]| v.iter().sum::<usize>() + gaps;
    if sum(&min) > w {
        return None;
    }
    // Grow `from` towards `to` within `w`, the columns that lack least
    // first (a receipt number stays on one line before a service wraps).
    let grow = |from: &[usize], to: &[usize]| {
        let mut spare = w - sum(from);
        let mut widths = from.to_vec();
        let mut order: Vec<usize> = (0..n).collect();
        order.sort_by_key(|&k| to[k] - from[k]);
        for k in order {
            let add = (to[k] - from[k]).min(spare);
            widths[k] += add;
            spare -= add;
        }
        widths
    };
    Some(if sum(&want) <= w {
        grow(&want, &pref)
    } else {
        grow(&min, &want)
    })
}

fn report_table(d: &mut Document, r: &ReportView, widths: &[usize]) {
    let line = |d: &mut Document, v: &[String], style: Style| {
        let cols: Vec<Vec<String>> = widths
            .iter()
            .enumerate()
            .map(|(k, &n)| {
                let s = v.get(k).map(String::as_str).unwrap_or("");
                if right_aligned(r, k) {
                    vec![ascii(s)]
                } else {
                    wrap_cell(&breakable(s), n)
                }
            })
            .collect();
        let rows = cols.iter().map(Vec::len).max().unwrap_or(1);
        for i in 0..rows {
            let mut out = String::new();
            for (k, &n) in widths.iter().enumerate() {
                if k > 0 {
                    out.push(' ');
                }
                let s = cols[k].get(i).map(String::as_str).unwrap_or("");
                if right_aligned(r, k) {
                    out.push_str(&format!("{s:>n$}"));
                } else {
                    out.push_str(&format!("{s:<n$}"));
                }
            }
            d.line(out.trim_end(), style);
        }
    };
    line(d, &r.headers, Style::BOLD);
    for row in &r.rows {
        line(d, row, Style::PLAIN);
    }
}

/// Too narrow for a table (receipt printers): each row is its first cell
/// with the row's amount on the right, then "Header: value" lines.
fn report_blocks(d: &mut Document, r: &ReportView) {
    let n = report_cols(r);
    let amount = (0..n).rev().find(|&k| right_aligned(r, k));
    let header = |k: usize| r.headers.get(k).map(String::as_str).unwrap_or("");
    for row in &r.rows {
        let cell = |k: usize| row.get(k).map(String::as_str).unwrap_or("");
        let first = cell(0);
        let amt = amount.map(cell).unwrap_or("");
        if !first.is_empty() || !amt.is_empty() {
            d.pair(first, amt, Style::BOLD);
        }
        for k in 1..n {
            if Some(k) == amount || cell(k).is_empty() {
                continue;
            }
            d.para(
                format!("{}: {}", header(k), breakable(cell(k))),
                2,
                Style::PLAIN,
            );
        }
    }
}

/// Fixed example receipts: the test page, golden files and benchmarks use
/// them (not shown to citizens).
pub mod sample {
    use super::*;
    use chrono::{NaiveDate, TimeZone};

    fn line(
        svc: &str,
        hi: &str,
        dep: &str,
        no: &str,
        name: &str,
        bill: i64,
        charge: i64,
    ) -> ReceiptLine {
        ReceiptLine {
            service_en: svc.into(),
            service_hi: Some(hi.into()),
            department: dep.into(),
            consumer_no: no.into(),
            consumer_name: Some(name.into()),
            bill_amount: Paise::new(bill),
            charge: Paise::new(charge),
        }
    }

    /// A final (synced) cash receipt with two bills.
    pub fn english() -> ReceiptView {
        ReceiptView {
            kiosk_name: "Shree Ganesh e-Mitra".into(),
            kiosk_code: "K10023456".into(),
            receipt_no: "RJ2026112100004521".into(),
            provisional: false,
            duplicate: false,
            issued_at: Utc.with_ymd_and_hms(2026, 11, 21, 8, 35, 0).unwrap(),
            operator: "ramesh.k".into(),
            lines: vec![
                line(
                    "Electricity Bill (JVVNL)",
                    "बिजली बिल (जयपुर विद्युत वितरण निगम)",
                    "Jaipur Vidyut Vitran Nigam Ltd",
                    "210412345678",
                    "Suresh Kumar Sharma",
                    123_450,
                    1_000,
                ),
                line(
                    "Water Bill (PHED)",
                    "पानी का बिल (जन स्वास्थ्य अभियांत्रिकी विभाग)",
                    "Public Health Engineering Dept",
                    "PHED/JP/99812",
                    "Kamla Devi",
                    45_600,
                    500,
                ),
            ],
            total: Paise::new(123_450 + 1_000 + 45_600 + 500),
            payment: PaymentMode::Wallet,
            contact_masked: "98******10".into(),
            footer: vec![
                "Keep this receipt for your records.".into(),
                "Helpdesk: 0141-2923486".into(),
            ],
        }
    }

    /// A day's transactions as `print-queue`'s day report builds them: one
    /// row per bill, a three-bill receipt among them, a long service code.
    pub fn day_report() -> ReportView {
        let row = |v: [&str; 6]| v.map(String::from).to_vec();
        ReportView {
            title: "Shree Ganesh e-Mitra (K10023456) - Transactions".into(),
            subtitle: "21-11-2026  receipts 3  cancelled 1  commission Rs.45.00".into(),
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
            rows: vec![
                row([
                    "RJ2026112100004519",
                    "09:12",
                    "JVVNL-BILL",
                    "210412345678",
                    "synced",
                    "1244.50",
                ]),
                row([
                    "K10023456-001-0000042",
                    "10:35",
                    "JVVNL-BILL",
                    "210000000101",
                    "pending",
                    "5630.00",
                ]),
                row(["", "", "JVVNL-BILL", "210000000102", "", ""]),
                row(["", "", "PHED-WATER-BILL-JAIPUR", "PHED/JP/99812", "", ""]),
                row([
                    "K10023456-001-0000043",
                    "11:02",
                    "RAJ-MOBILE-POSTPAID",
                    "9876543210",
                    "cancelled",
                    "399.00",
                ]),
            ],
            total: Some(Paise::new(124_450 + 563_000)),
        }
    }

    /// A provisional reprint paid by cheque, with conjunct-heavy Hindi.
    pub fn bilingual() -> ReceiptView {
        let mut r = english();
        r.provisional = true;
        r.duplicate = true;
        r.receipt_no = "K10023456-001-0000042".into();
        r.lines[0].consumer_name = Some("Shri Krishna Dwivedi".into());
        r.lines[0].service_hi = Some("श्री कृष्ण द्विवेदी — बिजली बिल (क्षेत्रीय कार्यालय)".into());
        r.payment = PaymentMode::Cheque(domain::ChequeDetails {
            number: "004512".into(),
            date: NaiveDate::from_ymd_opt(2026, 11, 20).unwrap(),
            bank: "State Bank of India, MI Road".into(),
            payee: "AO (CCC)".into(),
        });
        r
    }
}
