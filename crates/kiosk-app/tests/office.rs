//! The back office (reports, receipts, reconcile) through the service
//! layer, against a real `kiosk-server` process and the real kiosk
//! database: every command with its refusals (bad input, an operator
//! where the holder is needed), nothing stored by a refusal, and the
//! exported files read back (CSV by hand, XLSX with calamine, PDF through
//! `pdftotext`) with totals equal to the database's.

mod common;
use common::*;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use kiosk_app::Service;
use kiosk_app::api::*;
use kiosk_store::rusqlite::Connection;
use sync_bench::{CentreProcess, DEMO_HOLDER, DEMO_KIOSK};

/// Rows of the tables a refusal must leave alone, and the outbox chain.
/// A registered kiosk, synced once, with the holder logged in.
async fn kit() -> Kit {
    // The centre's ledger lines come with a pull: pull often here.
    Kit::registered(|c| c.sync.idle_pull = Duration::from_millis(500)).await
}

fn counts(db: &Path) -> (i64, i64, i64, i64, String) {
    let c = Connection::open(db).unwrap();
    let n = |t: &str| -> i64 {
        c.query_row(&format!("SELECT COUNT(*) FROM {t}"), [], |r| r.get(0))
            .unwrap()
    };
    let fp: String = c
        .query_row(
            "SELECT COALESCE(group_concat(hex(hash) || status, ','), '') FROM
               (SELECT o.hash, COALESCE(r.status, '') AS status FROM outbox o
                  LEFT JOIN receipts r ON r.id = o.receipt_id ORDER BY o.seq)",
            [],
            |r| r.get(0),
        )
        .unwrap();
    (
        n("receipts"),
        n("outbox"),
        n("wallet_holds"),
        n("print_jobs"),
        fp,
    )
}

/// Money taken today as the database holds it: (total, commission).
fn db_totals(db: &Path) -> (i64, i64, i64) {
    let c = Connection::open(db).unwrap();
    c.query_row(
        "SELECT COALESCE(SUM(total_paise), 0), COALESCE(SUM(commission_paise), 0), COUNT(*)
           FROM receipts WHERE status <> 'cancelled' AND rejected = 0",
        [],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )
    .unwrap()
}

fn today() -> String {
    domain::clock::ist_date(domain::Clock::now(&domain::SystemClock)).to_string()
}

/// One receipt paid at the counter: typed amounts for JMC-UDTAX, a
/// fetched bill for JVVNL-BILL.
async fn pay(svc: &Service, bills: &[(&str, &str, Option<&str>)], mobile: &str) -> PayResult {
    for (service, consumer, amount) in bills {
        if amount.is_none() {
            ok(
                svc,
                serde_json::json!({"cmd": "fetch_bill", "args": {"service": service, "consumer_no": consumer}}),
            )
            .await;
        }
        let mut args = serde_json::json!({"service": service, "consumer_no": consumer});
        if let Some(a) = amount {
            args["amount"] = (*a).into();
        }
        ok(svc, serde_json::json!({"cmd": "cart_add", "args": args})).await;
    }
    ok(
        svc,
        serde_json::json!({"cmd": "cart_contact", "args": {"mobile": mobile}}),
    )
    .await;
    let c: CartView = get(
        svc,
        serde_json::json!({"cmd": "cart_mode", "args": {"mode": "wallet"}}),
    )
    .await;
    get(
        svc,
        serde_json::json!({"cmd": "pay", "args": {"cart_id": c.cart_id}}),
    )
    .await
}

fn filter(extra: serde_json::Value) -> serde_json::Value {
    let mut f = serde_json::json!({"from": today(), "to": today()});
    for (k, v) in extra.as_object().unwrap() {
        f[k] = v.clone();
    }
    f
}

async fn txns(svc: &Service, f: serde_json::Value) -> TxnReport {
    get(
        svc,
        serde_json::json!({"cmd": "report_transactions", "args": {"filter": f}}),
    )
    .await
}

fn set_printer(db: &Path, uri: &str, profile: &str) {
    let mut kiosk = kiosk_core::Kiosk::open(db, Arc::new(domain::SystemClock)).unwrap();
    print_queue::jobs::set_printer(
        &mut kiosk,
        &print_queue::PrinterChoice {
            uri: uri.into(),
            profile: profile.into(),
        },
    )
    .unwrap();
}

fn files_in(dir: &Path) -> usize {
    std::fs::read_dir(dir).map(|d| d.count()).unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread")]
async fn reports_sort_filter_total_and_refuse_bad_input() {
    let k = kit().await;
    let r1 = pay(
        &k.svc,
        &[("JMC-UDTAX", "JP1000001", Some("340"))],
        "9829012345",
    )
    .await;
    pay(
        &k.svc,
        &[
            ("JVVNL-BILL", "210000000001", None),
            ("JMC-UDTAX", "JP1000002", Some("1,234.50")),
        ],
        "9829012346",
    )
    .await;
    pay(
        &k.svc,
        &[("JMC-UDTAX", "JP1000003", Some("99.99"))],
        "9829012347",
    )
    .await;
    // One cancelled: no money taken, counted apart.
    ok(
        &k.svc,
        serde_json::json!({"cmd": "receipt_cancel", "args": {"key": r1.receipt.receipt_no, "reason": "wrong consumer"}}),
    )
    .await;

    let all = txns(&k.svc, filter(serde_json::json!({}))).await;
    assert_eq!(all.rows.len(), 3);
    let (total, commission, receipts) = db_totals(&k.db());
    assert_eq!(all.totals.total, total);
    assert_eq!(all.totals.commission, commission);
    assert_eq!(all.totals.receipts, receipts);
    assert_eq!(all.totals.receipts, 2);
    assert_eq!(all.totals.cancelled, 1);
    assert_eq!(all.totals.matched, 3);
    assert_eq!(all.totals.bills, 1_450_00 + 1_234_50 + 99_99);
    assert_eq!(all.totals.total, all.totals.bills + all.totals.charges);

    // Every column sorts, both ways, in the order of its values.
    let key = |r: &ReceiptRow, col: &str| -> (Option<i64>, String) {
        match col {
            "receipt_no" => (
                None,
                r.final_receipt_no.clone().unwrap_or(r.receipt_no.clone()),
            ),
            "created_at" => (None, r.created_at.clone()),
            "operator" => (None, r.operator.clone()),
            "mode" => (None, r.mode.clone()),
            "status" => (None, r.status.clone()),
            "lines" => (Some(r.lines), String::new()),
            "total" => (Some(r.total), String::new()),
            "commission" => (Some(r.commission), String::new()),
            "services" => (None, r.services.clone()),
            "consumers" => (None, r.consumers.clone()),
            _ => unreachable!(),
        }
    };
    for col in [
        "receipt_no",
        "created_at",
        "operator",
        "mode",
        "status",
        "lines",
        "total",
        "commission",
        "services",
        "consumers",
    ] {
        for desc in [false, true] {
            let rep = txns(
                &k.svc,
                filter(serde_json::json!({"sort": col, "desc": desc})),
            )
            .await;
            assert_eq!(rep.rows.len(), 3, "{col}");
            let keys: Vec<_> = rep.rows.iter().map(|r| key(r, col)).collect();
            let mut want = keys.clone();
            want.sort();
            if desc {
                want.reverse();
            }
            assert_eq!(keys, want, "sorted by {col}, desc {desc}");
            assert_eq!(rep.totals, all.totals, "totals do not depend on the order");
        }
    }
    let by_amount = txns(
        &k.svc,
        filter(serde_json::json!({"sort": "total", "desc": true})),
    )
    .await;
    assert!(by_amount.rows[0].total > by_amount.rows[2].total);

    // Filters.
    let cancelled = txns(&k.svc, filter(serde_json::json!({"status": "cancelled"}))).await;
    assert_eq!(cancelled.rows.len(), 1);
    assert_eq!(cancelled.rows[0].receipt_no, r1.receipt.receipt_no);
    assert_eq!(cancelled.totals.total, 0);
    let jvvnl = txns(&k.svc, filter(serde_json::json!({"service": "JVVNL-BILL"}))).await;
    assert_eq!(jvvnl.rows.len(), 1);
    assert_eq!(jvvnl.rows[0].lines, 2);
    let holder = txns(
        &k.svc,
        filter(serde_json::json!({"operator": DEMO_HOLDER.0})),
    )
    .await;
    assert_eq!(holder.rows.len(), 3);
    let nobody = txns(&k.svc, filter(serde_json::json!({"operator": "nobody"}))).await;
    assert!(nobody.rows.is_empty() && nobody.totals.total == 0);
    let cheques = txns(&k.svc, filter(serde_json::json!({"mode": "cheque"}))).await;
    assert!(cheques.rows.is_empty());

    // Commissions per day: one row per service, totals equal the takings.
    let cr: CommissionReport = get(
        &k.svc,
        serde_json::json!({"cmd": "report_commissions", "args": filter(serde_json::json!({}))}),
    )
    .await;
    assert_eq!(
        cr.rows
            .iter()
            .map(|r| r.service_code.as_str())
            .collect::<Vec<_>>(),
        ["JMC-UDTAX", "JVVNL-BILL"]
    );
    assert!(cr.rows.iter().all(|r| r.period == today()));
    assert_eq!(cr.totals.total, total);
    assert_eq!(cr.totals.commission, commission);
    let month: CommissionReport = get(
        &k.svc,
        serde_json::json!({"cmd": "report_commissions", "args": filter(serde_json::json!({"period": "month"}))}),
    )
    .await;
    assert_eq!(month.rows[0].period, today()[..7]);

    // Bad input: a stable code, nothing stored, no file written. First
    // the sync loop has finished with every payment (it may turn one final
    // while the refusals run, which is no change made by them).
    until(&k.events, "every payment answered", || {
        one::<i64>(
            &k.db(),
            "SELECT COUNT(*) FROM receipts WHERE status = 'provisional'",
        ) == 0
    });
    let before = counts(&k.db());
    let reports = k.data.join("reports");
    let bad: &[(serde_json::Value, &str)] = &[
        (
            serde_json::json!({"cmd": "report_transactions", "args": {"filter": filter(serde_json::json!({"sort": "total; DROP TABLE receipts"}))}}),
            "report.filter_invalid",
        ),
        (
            serde_json::json!({"cmd": "report_transactions", "args": {"filter": {"from": "2026-13-01", "to": today()}}}),
            "report.date_invalid",
        ),
        (
            serde_json::json!({"cmd": "report_transactions", "args": {"filter": {"from": today(), "to": "2020-01-01"}}}),
            "report.filter_invalid",
        ),
        (
            serde_json::json!({"cmd": "report_transactions", "args": {"filter": filter(serde_json::json!({"status": "paid"}))}}),
            "report.filter_invalid",
        ),
        (
            serde_json::json!({"cmd": "report_transactions", "args": {"filter": filter(serde_json::json!({"mode": "cash"}))}}),
            "query.invalid",
        ),
        (
            serde_json::json!({"cmd": "report_commissions", "args": {"from": "yesterday", "to": today()}}),
            "report.date_invalid",
        ),
        (
            serde_json::json!({"cmd": "report_commissions", "args": filter(serde_json::json!({"period": "week"}))}),
            "request.invalid",
        ),
        (
            serde_json::json!({"cmd": "report_export", "args": {"report": "transactions", "format": "doc", "filter": filter(serde_json::json!({}))}}),
            "request.invalid",
        ),
        (
            serde_json::json!({"cmd": "report_export", "args": {"report": "transactions", "format": "csv", "filter": {"from": "", "to": ""}}}),
            "report.date_invalid",
        ),
        (
            serde_json::json!({"cmd": "report_print", "args": {"report": "transactions", "filter": filter(serde_json::json!({}))}}),
            "print_queue.no_printer",
        ),
    ];
    for (req, code) in bad {
        assert_eq!(&err(&k.svc, req.clone()).await.code, code, "{req}");
    }
    assert_eq!(counts(&k.db()), before);
    assert_eq!(files_in(&reports), 0);

    // Reports need a session like the counter.
    ok(&k.svc, serde_json::json!({"cmd": "logout", "args": null})).await;
    let e = err(
        &k.svc,
        serde_json::json!({"cmd": "report_transactions", "args": {"filter": filter(serde_json::json!({}))}}),
    )
    .await;
    assert_eq!(e.code, "session.none");
    // An operator may read the reports.
    ok(
        &k.svc,
        serde_json::json!({"cmd": "login", "args": {"login": OPERATOR.0, "password": OPERATOR.1}}),
    )
    .await;
    assert_eq!(
        txns(&k.svc, filter(serde_json::json!({}))).await.totals,
        all.totals
    );
}

fn money_cell(c: &calamine::Data) -> i64 {
    match c {
        calamine::Data::Float(f) => (f * 100.0).round() as i64,
        calamine::Data::Int(i) => i * 100,
        other => panic!("not an amount: {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn exports_read_back_with_the_databases_totals_and_a_printed_report() {
    let k = kit().await;
    pay(
        &k.svc,
        &[("JMC-UDTAX", "JP2000001", Some("340"))],
        "9829012345",
    )
    .await;
    pay(
        &k.svc,
        &[
            ("JVVNL-BILL", "210000000001", None),
            ("JMC-UDTAX", "JP2000002", Some("12,345.67")),
        ],
        "9829012346",
    )
    .await;
    let r3 = pay(
        &k.svc,
        &[("JMC-UDTAX", "JP2000003", Some("5"))],
        "9829012347",
    )
    .await;
    ok(
        &k.svc,
        serde_json::json!({"cmd": "receipt_cancel", "args": {"key": r3.receipt.receipt_no, "reason": "asked by the citizen"}}),
    )
    .await;
    let (total, commission, _) = db_totals(&k.db());
    let export = |report: &str, format: &str| serde_json::json!({"cmd": "report_export", "args": {"report": report, "format": format, "filter": filter(serde_json::json!({}))}});

    // CSV: a header, one row per receipt, the totals row last.
    let csv: ExportView = get(&k.svc, export("transactions", "csv")).await;
    assert_eq!(csv.total, total);
    assert!(
        csv.path
            .starts_with(k.data.join("reports").to_str().unwrap())
    );
    let text = std::fs::read_to_string(&csv.path).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 1 + 3 + 1, "{text}");
    assert!(lines[0].starts_with("Receipt No,Date,Operator"));
    let last: Vec<&str> = lines[4].split(',').collect();
    let rupees = |s: &str| -> i64 {
        let (r, p) = s.split_once('.').unwrap();
        r.parse::<i64>().unwrap() * 100 + p.parse::<i64>().unwrap()
    };
    assert!(last[0].starts_with("TOTAL"));
    assert_eq!(rupees(last[8]), total);
    assert_eq!(rupees(last[9]), commission);
    // The cancelled receipt is listed but not added up.
    assert!(text.contains(",cancelled,"));

    // XLSX, opened by a reader library.
    use calamine::Reader;
    let x: ExportView = get(&k.svc, export("transactions", "xlsx")).await;
    let mut wb: calamine::Xlsx<_> = calamine::open_workbook(&x.path).unwrap();
    let sheet = wb.worksheet_range("transactions").unwrap();
    let rows: Vec<_> = sheet.rows().collect();
    let head = rows
        .iter()
        .position(|r| r.first().map(|c| c.to_string()) == Some("Receipt No".into()))
        .unwrap();
    let body = &rows[head + 1..];
    assert_eq!(body.len(), 4);
    let tot = body.last().unwrap();
    assert!(tot[0].to_string().starts_with("TOTAL"));
    assert_eq!(money_cell(&tot[8]), total);
    assert_eq!(money_cell(&tot[9]), commission);
    // Each amount of the sheet is the database's, to the paisa.
    let c = Connection::open(k.db()).unwrap();
    for r in &body[..3] {
        let no = r[0].to_string();
        let paise: i64 = c
            .query_row(
                "SELECT total_paise FROM receipts WHERE receipt_no = ?1 OR final_receipt_no = ?1",
                [&no],
                |x| x.get(0),
            )
            .unwrap();
        assert_eq!(money_cell(&r[8]), paise, "{no}");
    }
    let cx: ExportView = get(&k.svc, export("commissions", "xlsx")).await;
    let mut wb: calamine::Xlsx<_> = calamine::open_workbook(&cx.path).unwrap();
    let sheet = wb.worksheet_range("commissions").unwrap();
    let last = sheet.rows().next_back().unwrap().to_vec();
    assert_eq!(last[0].to_string(), "TOTAL");
    assert_eq!(money_cell(&last[6]), total);
    assert_eq!(money_cell(&last[7]), commission);

    // PDF, read through pdftotext.
    let p: ExportView = get(&k.svc, export("transactions", "pdf")).await;
    assert!(std::fs::read(&p.path).unwrap().starts_with(b"%PDF"));
    let out = std::process::Command::new("pdftotext")
        .args(["-layout", &p.path, "-"])
        .output()
        .expect("pdftotext (poppler-utils) is installed");
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    let want = domain::Paise::new(total).format_plain();
    let line = text
        .lines()
        .find(|l| l.trim_start().starts_with("TOTAL"))
        .unwrap_or_else(|| panic!("no totals row in {text}"));
    assert!(line.contains(&want), "{line} / {want}");
    assert!(text.contains(&r3.receipt.receipt_no) || text.contains("cancelled"));
    let pc: ExportView = get(&k.svc, export("commissions", "pdf")).await;
    let out = std::process::Command::new("pdftotext")
        .args(["-layout", &pc.path, "-"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains(&domain::Paise::new(commission).format_plain()));
    assert!(text.contains("JVVNL-BILL"));
    assert_eq!(files_in(&k.data.join("reports")), 5);

    // One click prints it on the report printer, through the print queue.
    let paper = k.dir.path().join("printer.out");
    set_printer(
        &k.db(),
        &format!("file://{}", paper.display()),
        "escp9-generic",
    );
    let pv: PrintView = get(
        &k.svc,
        serde_json::json!({"cmd": "report_print", "args": {"report": "transactions", "filter": filter(serde_json::json!({}))}}),
    )
    .await;
    assert_eq!(pv.status, "queued");
    assert_eq!(pv.kind.as_deref(), Some("report"));
    let job = pv.job.clone().unwrap();
    until(&k.events, "report printed", || {
        one::<String>(
            &k.db(),
            &format!("SELECT state FROM print_jobs WHERE id = '{job}'"),
        ) == "done"
    });
    let bytes = std::fs::read(&paper).unwrap();
    let profile = print::Profile::builtin_by_id("escp9-generic").unwrap();
    print::stream::validate(&bytes, &profile).expect("valid ESC/P");
    let ascii = String::from_utf8_lossy(&bytes);
    assert!(ascii.contains("Transactions"));
    assert!(ascii.contains(&domain::Paise::new(total).format_plain()));
}

#[tokio::test(flavor = "multi_thread")]
async fn receipts_found_opened_reprinted_and_cancelled_by_the_holder_only() {
    let k = kit().await;
    let paper = k.dir.path().join("printer.out");
    set_printer(
        &k.db(),
        &format!("file://{}", paper.display()),
        "escp9-generic",
    );
    let a = pay(
        &k.svc,
        &[("JMC-UDTAX", "JP3000001", Some("340"))],
        "9829012345",
    )
    .await;
    let b = pay(
        &k.svc,
        &[("JMC-UDTAX", "JP3000002", Some("120"))],
        "9829099999",
    )
    .await;
    until(&k.events, "both final and printed", || {
        one::<i64>(
            &k.db(),
            "SELECT COUNT(*) FROM receipts WHERE final_receipt_no IS NOT NULL",
        ) == 2
            && one::<i64>(
                &k.db(),
                "SELECT COUNT(*) FROM print_jobs WHERE state = 'done'",
            ) == 2
    });
    // The wallet: the centre's lines with the balance after each; the last
    // is the centre's own figure.
    until(&k.events, "the centre's ledger lines", || {
        one::<i64>(
            &k.db(),
            "SELECT COUNT(*) FROM wallet_ledger WHERE account = 'wallet' AND amount_paise < 0",
        ) >= 2
    });
    let w: WalletScreen = get(&k.svc, serde_json::json!({"cmd": "wallet", "args": {}})).await;
    assert!(w.wallet.known);
    assert_eq!(w.minimum, 20_000_00);
    assert!(
        w.lines.iter().filter(|l| l.amount < 0).count() >= 2,
        "{:?}",
        w.lines
    );
    let centre_balance: i64 = Connection::open(k.dir.path().join("centre/server.db"))
        .unwrap()
        .query_row(
            "SELECT wallet_balance FROM kiosks WHERE code = ?1",
            [DEMO_KIOSK],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(w.lines.last().unwrap().balance_after, Some(centre_balance));
    assert_eq!(w.wallet.balance, centre_balance);
    assert_eq!(
        w.debits,
        -w.lines
            .iter()
            .filter(|l| l.amount < 0)
            .map(|l| -l.amount)
            .sum::<i64>()
    );
    for (args, code) in [
        (
            serde_json::json!({"from": "2026-02-30"}),
            "report.date_invalid",
        ),
        (
            serde_json::json!({"from": today(), "to": "2020-01-01"}),
            "report.filter_invalid",
        ),
    ] {
        let e = err(&k.svc, serde_json::json!({"cmd": "wallet", "args": args})).await;
        assert_eq!(e.code, code);
    }
    let search =
        |args: serde_json::Value| serde_json::json!({"cmd": "receipts_search", "args": args});
    let found: ReceiptList = get(
        &k.svc,
        search(serde_json::json!({"receipt_no": a.receipt.receipt_no})),
    )
    .await;
    assert_eq!(found.rows.len(), 1);
    assert_eq!(found.rows[0].id, a.receipt.id);
    let d: ReceiptDetailView = get(
        &k.svc,
        serde_json::json!({"cmd": "receipt_detail", "args": {"key": a.receipt.id}}),
    )
    .await;
    let final_no = d
        .receipt
        .final_receipt_no
        .clone()
        .expect("final after sync");
    assert_eq!(d.centre_state, "final");
    let by_final: ReceiptList =
        get(&k.svc, search(serde_json::json!({"receipt_no": final_no}))).await;
    assert_eq!(by_final.rows[0].id, a.receipt.id);
    let by_consumer: ReceiptList = get(
        &k.svc,
        search(serde_json::json!({"consumer_no": "jp 300 0002"})),
    )
    .await;
    assert_eq!(by_consumer.rows.len(), 1);
    assert_eq!(by_consumer.rows[0].id, b.receipt.id);
    let by_mobile: ReceiptList =
        get(&k.svc, search(serde_json::json!({"mobile": "9829099999"}))).await;
    assert_eq!(by_mobile.rows[0].id, b.receipt.id);
    let by_day: ReceiptList = get(&k.svc, search(serde_json::json!({"date": today()}))).await;
    assert_eq!(by_day.rows.len(), 2);
    let none: ReceiptList = get(&k.svc, search(serde_json::json!({"date": "2020-01-01"}))).await;
    assert!(none.rows.is_empty());
    for (args, code) in [
        (
            serde_json::json!({"mobile": "98290"}),
            "contact.mobile_invalid",
        ),
        (
            serde_json::json!({"date": "01-12-2026"}),
            "report.date_invalid",
        ),
    ] {
        assert_eq!(err(&k.svc, search(args)).await.code, code);
    }

    // The print history. The slip printed offline-style before the final
    // number came; the next print is the final receipt, and once that has
    // printed a reprint is a DUPLICATE COPY. Each is added to the history.
    assert_eq!(d.prints.len(), 1);
    assert_eq!(d.prints[0].state, "printed");
    assert_eq!(d.prints[0].kind, "receipt");
    let reprint = serde_json::json!({"cmd": "print_receipt", "args": {"key": a.receipt.id}});
    let pv: PrintView = get(&k.svc, reprint.clone()).await;
    assert_eq!(pv.kind.as_deref(), Some("final"));
    let job = pv.job.unwrap();
    until(&k.events, "the final receipt printed", || {
        one::<String>(
            &k.db(),
            &format!("SELECT state FROM print_jobs WHERE id = '{job}'"),
        ) == "done"
    });
    let pv: PrintView = get(&k.svc, reprint).await;
    assert_eq!(pv.kind.as_deref(), Some("duplicate"));
    let d: ReceiptDetailView = get(
        &k.svc,
        serde_json::json!({"cmd": "receipt_detail", "args": {"key": final_no}}),
    )
    .await;
    assert_eq!(d.prints.len(), 3);
    assert_eq!(d.prints.iter().filter(|p| p.kind == "duplicate").count(), 1);
    assert_eq!(d.prints.iter().filter(|p| p.kind == "final").count(), 1);
    assert!(d.can_cancel);

    // Cancel: refusals first, each leaving everything as it was.
    let cancel = |key: &str, reason: &str| serde_json::json!({"cmd": "receipt_cancel", "args": {"key": key, "reason": reason}});
    let before = counts(&k.db());
    assert_eq!(
        err(&k.svc, cancel(&a.receipt.id, "   ")).await.code,
        "cancel.reason_required"
    );
    assert_eq!(
        err(&k.svc, cancel("K9999/L000001", "x")).await.code,
        "receipt.not_found"
    );
    assert_eq!(
        err(
            &k.svc,
            serde_json::json!({"cmd": "receipt_cancel", "args": {"key": a.receipt.id}})
        )
        .await
        .code,
        "request.invalid"
    );
    ok(&k.svc, serde_json::json!({"cmd": "logout", "args": null})).await;
    ok(
        &k.svc,
        serde_json::json!({"cmd": "login", "args": {"login": OPERATOR.0, "password": OPERATOR.1}}),
    )
    .await;
    assert_eq!(
        err(&k.svc, cancel(&a.receipt.id, "operator tries"))
            .await
            .code,
        "session.holder_only"
    );
    let d: ReceiptDetailView = get(
        &k.svc,
        serde_json::json!({"cmd": "receipt_detail", "args": {"key": a.receipt.id}}),
    )
    .await;
    assert!(!d.can_cancel, "an operator is not offered the cancel");
    assert_eq!(counts(&k.db()), before);
    ok(&k.svc, serde_json::json!({"cmd": "logout", "args": null})).await;
    ok(
        &k.svc,
        serde_json::json!({"cmd": "login", "args": {"login": DEMO_HOLDER.0, "password": DEMO_HOLDER.1}}),
    )
    .await;

    // By its final number: cancelled, queued in the outbox, then the centre
    // has it and queues the citizen's SMS.
    let d: ReceiptDetailView = get(&k.svc, cancel(&final_no, "wrong consumer number")).await;
    assert_eq!(d.receipt.status, "cancelled");
    assert_eq!(d.cancel_reason.as_deref(), Some("wrong consumer number"));
    assert_eq!(d.cancelled_by.as_deref(), Some(DEMO_HOLDER.0));
    assert!(!d.can_cancel);
    let after = counts(&k.db());
    assert_eq!(after.1, before.1 + 1, "one outbox entry");
    assert_eq!(after.0, before.0, "no receipt made");
    until(&k.events, "the centre answered the cancellation", || {
        one::<i64>(
            &k.db(),
            "SELECT COUNT(*) FROM outbox WHERE kind = 'cancellation' AND outcome IS NOT NULL",
        ) == 1
    });
    let d: ReceiptDetailView = get(
        &k.svc,
        serde_json::json!({"cmd": "receipt_detail", "args": {"key": a.receipt.id}}),
    )
    .await;
    assert!(!d.cancel_pending);
    let centre = Connection::open(k.dir.path().join("centre/server.db")).unwrap();
    let sms: i64 = centre
        .query_row(
            "SELECT COUNT(*) FROM notifications WHERE channel = 'sms' AND recipient LIKE '%9829012345'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(sms >= 2, "payment and cancellation SMS, got {sms}");
    let e = err(&k.svc, cancel(&a.receipt.receipt_no, "again")).await;
    assert_eq!(e.code, "receipt.already_cancelled");
}

#[tokio::test(flavor = "multi_thread")]
async fn reconcile_shows_unknown_and_verify_settles_it_from_the_centre() {
    let mut k = kit().await;
    let a = pay(
        &k.svc,
        &[("JMC-UDTAX", "JP4000001", Some("340"))],
        "9829012345",
    )
    .await;
    until(&k.events, "final", || {
        one::<i64>(
            &k.db(),
            "SELECT COUNT(*) FROM receipts WHERE final_receipt_no IS NOT NULL",
        ) == 1
    });
    // The sync loop stops; then the answer to the first payment is lost
    // (as when the link drops after the centre took it), and a second
    // payment never leaves the kiosk.
    k.svc.shutdown();
    {
        let c = Connection::open(k.db()).unwrap();
        c.execute(
            "UPDATE outbox SET outcome = NULL, outcome_code = NULL, server_txn_id = NULL,
                    final_receipt_no = NULL, acked_at = NULL WHERE receipt_id = ?1",
            [&a.receipt.id],
        )
        .unwrap();
        c.execute(
            "UPDATE receipts SET status = 'provisional', final_receipt_no = NULL, server_txn_id = NULL WHERE id = ?1",
            [&a.receipt.id],
        )
        .unwrap();
    }
    let b = pay(
        &k.svc,
        &[("JMC-UDTAX", "JP4000002", Some("120"))],
        "9829012346",
    )
    .await;
    let day: ReconcileView = get(
        &k.svc,
        serde_json::json!({"cmd": "reconcile_day", "args": {"date": today()}}),
    )
    .await;
    assert_eq!(day.rows.len(), 2);
    assert!(day.rows.iter().all(|r| r.state == "unknown"), "{day:?}");
    assert_eq!(day.counts.unknown, 2);

    // Bad input and another day's receipt: a code, nothing changed.
    let before = counts(&k.db());
    for (args, code) in [
        (
            serde_json::json!({"date": "2026-02-30"}),
            "report.date_invalid",
        ),
        (
            serde_json::json!({"date": "2020-01-01", "key": a.receipt.id}),
            "report.filter_invalid",
        ),
        (
            serde_json::json!({"date": today(), "key": "nope"}),
            "receipt.not_found",
        ),
    ] {
        let e = err(
            &k.svc,
            serde_json::json!({"cmd": "reconcile_verify", "args": args}),
        )
        .await;
        assert_eq!(e.code, code);
    }
    assert_eq!(
        err(
            &k.svc,
            serde_json::json!({"cmd": "reconcile_day", "args": {"date": "today"}})
        )
        .await
        .code,
        "report.date_invalid"
    );
    assert_eq!(counts(&k.db()), before);

    // Verify all: the centre had the first (settled now, final number),
    // not the second (still unknown, never failed).
    let v: VerifyResult = get(
        &k.svc,
        serde_json::json!({"cmd": "reconcile_verify", "args": {"date": today()}}),
    )
    .await;
    assert_eq!(v.summary.settled, 1, "{v:?}");
    assert_eq!(v.summary.still_unknown, 1);
    let ra = v
        .rows
        .iter()
        .find(|r| r.receipt_no == a.receipt.receipt_no)
        .unwrap();
    assert_eq!(
        (ra.before.as_str(), ra.after.as_str()),
        ("unknown", "final")
    );
    assert_eq!(ra.centre_status.as_deref(), Some("accepted"));
    let rb = v
        .rows
        .iter()
        .find(|r| r.receipt_no == b.receipt.receipt_no)
        .unwrap();
    assert_eq!(rb.outcome, "still_unknown");
    assert_eq!(rb.after, "unknown");
    assert_eq!(v.day.counts.finals, 1);
    assert_eq!(v.day.counts.unknown, 1);
    let d: ReceiptDetailView = get(
        &k.svc,
        serde_json::json!({"cmd": "receipt_detail", "args": {"key": a.receipt.id}}),
    )
    .await;
    assert_eq!(d.receipt.status, "final");
    assert!(d.receipt.final_receipt_no.is_some());

    // Verify one: already settled, it matches.
    let v: VerifyResult = get(
        &k.svc,
        serde_json::json!({"cmd": "reconcile_verify", "args": {"date": today(), "key": a.receipt.receipt_no}}),
    )
    .await;
    assert_eq!(v.rows.len(), 1);
    assert_eq!(v.summary.matched, 1);

    // With the centre gone: a clear code, the states as they were.
    let before = counts(&k.db());
    let other = k.dir.path().join("other");
    std::fs::create_dir_all(&other).unwrap();
    drop(k.centre.replace(CentreProcess::start(&other).unwrap()));
    let e = err(
        &k.svc,
        serde_json::json!({"cmd": "reconcile_verify", "args": {"date": today()}}),
    )
    .await;
    assert_eq!(e.code, "centre.offline");
    assert_eq!(counts(&k.db()), before);
}
