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
        d.unicode(r.kiosk_name.clone(), Align::Center);
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
        // Always in Hindi too (DESIGN: the provisional slip says so in both).
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
        d.unicode(format!("नाम: {n}"), Align::Left);
    }
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

pub fn report(r: &ReportView, columns: u16) -> Document {
    let mut d = Document::new(columns);
    d.centered(&r.title, Style::BOLD);
    d.centered(&r.subtitle, Style::PLAIN);
    d.rule();
    let fmt = |v: &[String]| {
        let mut out = String::new();
        for (k, s) in v.iter().enumerate() {
            let n = r.widths.get(k).copied().unwrap_or(10);
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(&cell(
                s,
                n,
                r.right_aligned.get(k).copied().unwrap_or(false),
            ));
        }
        out.truncate(columns as usize);
        out
    };
    d.line(fmt(&r.headers), Style::BOLD);
    for row in &r.rows {
        d.line(fmt(row), Style::PLAIN);
    }
    d.rule();
    if let Some(t) = r.total {
        d.pair("Total", money(t), Style::BOLD);
    }
    d
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
