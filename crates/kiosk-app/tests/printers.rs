//! Printer set-up through the service layer, against a real `kiosk-server`
//! process, the real kiosk database and the real print worker: the
//! printers found and the profiles known, the receipt and the report
//! printer chosen (and refused: an unknown profile, a malformed URI,
//! serial settings where there is no serial port, an operator), a test
//! page sent to a TCP printer (a listener in the test, the one stand-in
//! for the physical printer) whose bytes pass the profile's validator and
//! whose preview is drawn from those very bytes, the printer's state, and
//! failed jobs retried.

mod common;
use common::*;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use base64::Engine as _;
use kiosk_app::Service;
use kiosk_app::api::*;
use kiosk_store::rusqlite::Connection;

/// A registered kiosk, synced once, with the holder logged in. A job is
/// `failed` after `max_attempts` tries.
async fn kit(max_attempts: i64) -> Kit {
    Kit::registered(|c| c.print.max_attempts = max_attempts).await
}

async fn printers(svc: &Service) -> PrintersView {
    get(svc, serde_json::json!({"cmd": "printers", "args": null})).await
}

fn set(role: &str, uri: &str, profile: &str) -> serde_json::Value {
    serde_json::json!({"cmd": "printer_set", "args": {"role": role, "printer": {"uri": uri, "profile": profile}}})
}

fn set_serial(
    role: &str,
    uri: &str,
    profile: &str,
    serial: serde_json::Value,
) -> serde_json::Value {
    serde_json::json!({"cmd": "printer_set", "args": {"role": role, "printer": {"uri": uri, "profile": profile, "serial": serial}}})
}

fn test_page(role: &str) -> serde_json::Value {
    serde_json::json!({"cmd": "printer_test_page", "args": {"role": role}})
}

fn test_page_on(role: &str, uri: &str, profile: &str) -> serde_json::Value {
    serde_json::json!({"cmd": "printer_test_page", "args": {"role": role, "printer": {"uri": uri, "profile": profile}}})
}

fn retry(job: Option<&str>) -> serde_json::Value {
    match job {
        Some(j) => serde_json::json!({"cmd": "printer_retry", "args": {"job": j}}),
        None => serde_json::json!({"cmd": "printer_retry", "args": {}}),
    }
}

/// The printer settings and the print jobs: what a refusal must leave as
/// it was.
fn stored(db: &Path) -> (Vec<(String, String)>, i64) {
    let c = Connection::open(db).unwrap();
    let mut st = c
        .prepare("SELECT key, value FROM settings WHERE key LIKE 'print.%' ORDER BY key")
        .unwrap();
    let settings = st
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<Vec<_>, _>>()
        .unwrap();
    let jobs = c
        .query_row("SELECT COUNT(*) FROM print_jobs", [], |r| r.get(0))
        .unwrap();
    (settings, jobs)
}

fn setting(db: &Path, key: &str) -> Option<String> {
    kiosk_store::get_setting(&Connection::open(db).unwrap(), key).unwrap()
}

fn job_state(db: &Path, id: &str) -> String {
    Connection::open(db)
        .unwrap()
        .query_row("SELECT state FROM print_jobs WHERE id = ?1", [id], |r| {
            r.get(0)
        })
        .unwrap()
}

fn job_payload(db: &Path, id: &str) -> Vec<u8> {
    Connection::open(db)
        .unwrap()
        .query_row("SELECT payload FROM print_jobs WHERE id = ?1", [id], |r| {
            r.get(0)
        })
        .unwrap()
}

/// A network printer on `l`: one connection per job, read to its end.
/// With a status byte for a connection, it first answers the ESC/POS
/// paper status query (DLE EOT 4) with it; a paper-out answer gets no
/// job, which is then not read.
fn tcp_printer(l: TcpListener, answers: Vec<Option<u8>>) -> JoinHandle<Vec<Vec<u8>>> {
    std::thread::spawn(move || {
        let mut jobs = Vec::new();
        for a in answers {
            let (mut s, _) = l.accept().unwrap();
            s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
            if let Some(status) = a {
                let mut q = [0u8; 3];
                s.read_exact(&mut q).unwrap();
                assert_eq!(q, print::transport::DLE_EOT_PAPER);
                s.write_all(&[status]).unwrap();
            }
            let mut b = Vec::new();
            s.read_to_end(&mut b).ok();
            jobs.push(b);
        }
        jobs
    })
}

fn listener() -> (TcpListener, String) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let uri = format!("tcp://{}", l.local_addr().unwrap());
    (l, uri)
}

/// The picture the virtual printer draws of `bytes`, as the screen gets it.
fn drawn(bytes: &[u8], profile: &print::Profile) -> String {
    let png = print::virtual_printer::render(bytes, profile)
        .unwrap()
        .png();
    format!(
        "data:image/png;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(png)
    )
}

const PAPER_OK: u8 = 0x12;
const PAPER_OUT: u8 = 0x12 | 0x60;

#[tokio::test(flavor = "multi_thread")]
async fn choosing_printers_test_pages_and_bad_input() {
    let k = kit(12).await;
    let db = k.db();

    // Nothing set up yet: every profile of this build, no printer.
    let v = printers(&k.svc).await;
    let mut ids: Vec<String> = print::Profile::builtin()
        .into_iter()
        .map(|p| p.id)
        .collect();
    ids.sort();
    assert_eq!(
        v.profiles.iter().map(|p| p.id.clone()).collect::<Vec<_>>(),
        ids
    );
    let thermal = v
        .profiles
        .iter()
        .find(|p| p.id == "escpos-thermal-80")
        .unwrap();
    assert_eq!(thermal.language, "escpos");
    assert_eq!(thermal.serial.as_ref().map(|s| s.baud), Some(115_200));
    assert!(thermal.previewable);
    assert!(
        !v.profiles
            .iter()
            .find(|p| p.id == "pdf-laser")
            .unwrap()
            .previewable
    );
    assert!(v.receipt.is_none() && v.report.is_none());
    assert_eq!(v.status.state, "none");
    assert!(v.jobs.is_empty());
    assert!(v.can_change);

    // Discovery is the print queue's (`printers list`).
    let found: Vec<FoundPrinterView> = get(
        &k.svc,
        serde_json::json!({"cmd": "printers_discover", "args": null}),
    )
    .await;
    let mut a: Vec<String> = found.iter().map(|f| f.uri.clone()).collect();
    let mut b: Vec<String> = print_queue::setup::discover()
        .into_iter()
        .map(|f| f.uri)
        .collect();
    a.sort();
    b.sort();
    assert_eq!(a, b);
    assert!(
        found
            .iter()
            .all(|f| ["spooler", "usb", "lpt", "serial"].contains(&f.kind.as_str()))
    );

    // Bad input: a stable code, nothing stored, nothing queued.
    let before = stored(&db);
    let serial = |baud: u32, data: u8| serde_json::json!({"baud": baud, "data_bits": data, "parity": "none", "stop_bits": 1, "flow": "xonxoff"});
    let long = format!("file:/tmp/{}", "x".repeat(400));
    let bad: Vec<(serde_json::Value, &str)> = vec![
        (
            set("receipt", "tcp://127.0.0.1:9100", "no-such-printer"),
            "print.profile_unknown",
        ),
        (
            set("report", "spool:LASER", "pdf-laser-9000"),
            "print.profile_unknown",
        ),
        (
            set("receipt", "bogus:thing", "escp9-generic"),
            "print.uri_invalid",
        ),
        (set("receipt", "", "escp9-generic"), "print.uri_invalid"),
        (
            set("receipt", "tcp://", "escp9-generic"),
            "print.uri_invalid",
        ),
        (
            set("receipt", "tcp://printer:70000", "escp9-generic"),
            "print.uri_invalid",
        ),
        (set("receipt", "usb:", "escp9-generic"), "print.uri_invalid"),
        (set("report", "spool:", "pdf-laser"), "print.uri_invalid"),
        (
            set("receipt", "serial:/dev/ttyS0?baud=fast", "escp9-generic"),
            "print.uri_invalid",
        ),
        (set("receipt", &long, "escp9-generic"), "print.uri_invalid"),
        (
            set_serial(
                "receipt",
                "serial:/dev/ttyS0",
                "escp9-generic",
                serial(0, 8),
            ),
            "print.uri_invalid",
        ),
        (
            set_serial(
                "receipt",
                "serial:/dev/ttyS0",
                "escp9-generic",
                serial(9600, 9),
            ),
            "print.uri_invalid",
        ),
        (
            set_serial(
                "receipt",
                "tcp://127.0.0.1:9100",
                "escp9-generic",
                serial(9600, 8),
            ),
            "printer.not_serial",
        ),
        (
            set_serial(
                "receipt",
                "serial:/dev/ttyS0",
                "escp9-generic",
                serde_json::json!({"baud": 9600, "data_bits": 8, "parity": "mark", "stop_bits": 1, "flow": "none"}),
            ),
            "request.invalid",
        ),
        (
            set("kitchen", "tcp://127.0.0.1:9100", "escp9-generic"),
            "request.invalid",
        ),
        (
            test_page_on("receipt", "tcp://127.0.0.1:9100", "no-such-printer"),
            "print.profile_unknown",
        ),
        (
            test_page_on("receipt", "nowhere", "escp9-generic"),
            "print.uri_invalid",
        ),
        (test_page("receipt"), "print_queue.no_printer"),
        (test_page("report"), "print_queue.no_printer"),
        (retry(Some("no-such-job")), "print_queue.job_unknown"),
    ];
    for (req, code) in &bad {
        assert_eq!(&err(&k.svc, req.clone()).await.code, code, "{req}");
    }
    assert_eq!(stored(&db), before);

    // The receipt printer, stored as `print use` stores it.
    let (l, receipt_uri) = listener();
    let receipt_printer = tcp_printer(l, vec![None]);
    let v: PrintersView = get(&k.svc, set("receipt", &receipt_uri, "escp9-generic")).await;
    let r = v.receipt.clone().unwrap();
    assert_eq!(
        (r.uri.as_str(), r.profile.as_str(), r.kind.as_str()),
        (receipt_uri.as_str(), "escp9-generic", "tcp")
    );
    assert!(r.serial.is_none() && v.report.is_none());
    assert_eq!(v.status.state, "ready");
    let conn = Connection::open(&db).unwrap();
    assert_eq!(
        print_queue::jobs::configured_printer(&conn).unwrap(),
        Some(print_queue::PrinterChoice {
            uri: receipt_uri.clone(),
            profile: "escp9-generic".into()
        })
    );

    // A test page on it: the bytes the printer got pass the profile's
    // validator, are the bytes queued, and are the ones the preview shows.
    let tp: TestPageView = get(&k.svc, test_page("receipt")).await;
    assert_eq!(
        (tp.printer.as_str(), tp.profile.as_str()),
        (receipt_uri.as_str(), "escp9-generic")
    );
    let got = receipt_printer.join().unwrap().remove(0);
    let escp9 = print::Profile::builtin_by_id("escp9-generic").unwrap();
    let rep = print::stream::validate(&got, &escp9).expect("a valid ESC/P test page");
    assert!(rep.images >= 1, "the Devanagari sample is an image");
    assert_eq!(got, job_payload(&db, &tp.job));
    let pv = tp.preview.expect("a preview");
    assert_eq!(
        (pv.kind.as_str(), pv.profile.as_str()),
        ("test_page", "escp9-generic")
    );
    assert_eq!(pv.png, drawn(&got, &escp9));
    assert!(pv.width > 400 && pv.height > 100);
    until(&k.events, "test page printed", || {
        job_state(&db, &tp.job) == "done"
    });

    // The report printer, stored where `report_print` reads it; an ESC/POS
    // printer is asked for paper first.
    let (l, report_uri) = listener();
    let report_printer = tcp_printer(l, vec![Some(PAPER_OK), Some(PAPER_OK)]);
    let v: PrintersView = get(&k.svc, set("report", &report_uri, "escpos-thermal-80")).await;
    assert_eq!(
        v.receipt.as_ref().unwrap().uri,
        receipt_uri,
        "the receipt printer stays"
    );
    let rp = v.report.clone().unwrap();
    assert_eq!(
        (rp.uri.as_str(), rp.profile.as_str()),
        (report_uri.as_str(), "escpos-thermal-80")
    );
    assert_eq!(
        setting(&db, "print.report_printer").as_deref(),
        Some(report_uri.as_str())
    );
    assert_eq!(
        setting(&db, "print.report_profile").as_deref(),
        Some("escpos-thermal-80")
    );
    let tp: TestPageView = get(&k.svc, test_page("report")).await;
    assert_eq!(tp.printer, report_uri);
    let today = domain::clock::ist_date(domain::Clock::now(&domain::SystemClock)).to_string();
    let printed: PrintView = get(
        &k.svc,
        serde_json::json!({"cmd": "report_print", "args": {"report": "transactions", "filter": {"from": today, "to": today}}}),
    )
    .await;
    assert_eq!(
        printed.printer, report_uri,
        "reports go to the report printer"
    );
    let thermal = print::Profile::builtin_by_id("escpos-thermal-80").unwrap();
    let got = report_printer.join().unwrap();
    assert_eq!(got.len(), 2);
    for g in &got {
        print::stream::validate(g, &thermal).expect("valid ESC/POS");
    }
    assert_eq!(got[0], job_payload(&db, &tp.job));
    assert_eq!(tp.preview.unwrap().png, drawn(&got[0], &thermal));

    // A printer not saved yet can be tried: a file printer here, and a
    // laser (PDF) one, which has no preview.
    let file = k.dir.path().join("try.prn");
    let tp: TestPageView = get(
        &k.svc,
        test_page_on("receipt", &format!("file:{}", file.display()), "text-plain"),
    )
    .await;
    until(&k.events, "file test page", || {
        job_state(&db, &tp.job) == "done"
    });
    let text = print::Profile::builtin_by_id("text-plain").unwrap();
    let bytes = std::fs::read(&file).unwrap();
    print::stream::validate(&bytes, &text).expect("plain text");
    assert_eq!(tp.preview.unwrap().png, drawn(&bytes, &text));
    let pdf = k.dir.path().join("try.pdf");
    let tp: TestPageView = get(
        &k.svc,
        test_page_on("report", &format!("file:{}", pdf.display()), "pdf-laser"),
    )
    .await;
    assert!(tp.preview.is_none());
    until(&k.events, "pdf test page", || {
        job_state(&db, &tp.job) == "done"
    });
    assert!(std::fs::read(&pdf).unwrap().starts_with(b"%PDF"));
    // Trying one changed neither printer.
    let v = printers(&k.svc).await;
    assert_eq!(v.receipt.unwrap().uri, receipt_uri);
    assert_eq!(v.report.unwrap().uri, report_uri);

    // The receipt printer keeps its column setting while its profile stays.
    {
        let mut kiosk = kiosk_core::Kiosk::open(&db, Arc::new(domain::SystemClock)).unwrap();
        print_queue::jobs::set_printer_columns(
            &mut kiosk,
            &print_queue::PrinterChoice {
                uri: receipt_uri.clone(),
                profile: "escp9-generic".into(),
            },
            Some(136),
        )
        .unwrap();
    }
    ok(&k.svc, set("receipt", "usb:/dev/usb/lp7", "escp9-generic")).await;
    assert_eq!(setting(&db, "print.columns").as_deref(), Some("136"));
    let v: PrintersView = get(&k.svc, set("receipt", "lpt:/dev/lp0", "escp24-generic")).await;
    assert_eq!(setting(&db, "print.columns").as_deref(), Some(""));
    assert_eq!(v.receipt.unwrap().kind, "lpt");

    // Serial: the settings are written into the URI the parser reads; with
    // none, the profile's.
    let v: PrintersView = get(
        &k.svc,
        set_serial(
            "receipt",
            "serial:/dev/ttyS9?baud=1200",
            "escpos-impact-tmu220",
            serde_json::json!({"baud": 19200, "data_bits": 7, "parity": "even", "stop_bits": 2, "flow": "rtscts"}),
        ),
    )
    .await;
    let r = v.receipt.unwrap();
    assert_eq!(
        r.uri,
        "serial:/dev/ttyS9?baud=19200&data=7&parity=even&stop=2&flow=rtscts"
    );
    assert_eq!(r.kind, "serial");
    assert_eq!(
        r.serial,
        Some(SerialView {
            baud: 19200,
            data_bits: 7,
            parity: SerialParity::Even,
            stop_bits: 2,
            flow: SerialFlow::Rtscts
        })
    );
    match print::transport::Target::parse(&r.uri, None).unwrap() {
        print::transport::Target::Serial { path, settings } => {
            assert_eq!(path, "/dev/ttyS9");
            assert_eq!(settings.baud, 19200);
            assert_eq!(settings.parity, print::profile::Parity::Even);
        }
        t => panic!("{t:?}"),
    }
    let v: PrintersView = get(
        &k.svc,
        set("receipt", "serial:/dev/ttyS9", "escpos-impact-tmu220"),
    )
    .await;
    let tmu = print::Profile::builtin_by_id("escpos-impact-tmu220").unwrap();
    let want = tmu.transport.serial.clone().unwrap();
    let s = v.receipt.unwrap().serial.unwrap();
    assert_eq!(
        (s.baud, s.data_bits, s.stop_bits),
        (want.baud, want.data_bits, want.stop_bits)
    );

    // Reports go back to the receipt printer.
    let v: PrintersView = get(
        &k.svc,
        serde_json::json!({"cmd": "printer_clear_report", "args": null}),
    )
    .await;
    assert!(v.report.is_none());
    assert_eq!(setting(&db, "print.report_printer"), None);
    assert_eq!(setting(&db, "print.report_profile"), None);
    assert_eq!(
        print_queue::jobs::report_printer_or_receipt(&conn)
            .unwrap()
            .unwrap()
            .uri,
        "serial:/dev/ttyS9"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_operator_may_look_and_test_but_not_change_printers() {
    let k = kit(12).await;
    let db = k.db();
    let (l, uri) = listener();
    let printer = tcp_printer(l, vec![None]);
    ok(&k.svc, set("receipt", &uri, "escp24-generic")).await;
    ok(&k.svc, serde_json::json!({"cmd": "logout", "args": null})).await;
    assert_eq!(
        err(&k.svc, serde_json::json!({"cmd": "printers", "args": null}))
            .await
            .code,
        "session.none"
    );
    ok(
        &k.svc,
        serde_json::json!({"cmd": "login", "args": {"login": OPERATOR.0, "password": OPERATOR.1}}),
    )
    .await;

    let v = printers(&k.svc).await;
    assert!(!v.can_change);
    assert_eq!(v.receipt.unwrap().uri, uri);

    let before = stored(&db);
    for req in [
        set("receipt", "usb:/dev/usb/lp0", "escp9-generic"),
        set("report", "spool:LASER", "pdf-laser"),
        // Refused for who asks before what is asked.
        set("receipt", "bogus:thing", "no-such-printer"),
        serde_json::json!({"cmd": "printer_clear_report", "args": null}),
        test_page_on("receipt", "usb:/dev/usb/lp0", "escp9-generic"),
    ] {
        assert_eq!(
            err(&k.svc, req.clone()).await.code,
            "session.holder_only",
            "{req}"
        );
    }
    assert_eq!(stored(&db), before);

    // The printer that is set: an operator may print its test page.
    let tp: TestPageView = get(&k.svc, test_page("receipt")).await;
    let got = printer.join().unwrap().remove(0);
    let p = print::Profile::builtin_by_id("escp24-generic").unwrap();
    print::stream::validate(&got, &p).expect("valid ESC/P 24-pin");
    assert_eq!(tp.preview.unwrap().png, drawn(&got, &p));
}

/// One receipt paid at the counter with a typed amount.
async fn pay(svc: &Service) -> PayResult {
    ok(
        svc,
        serde_json::json!({"cmd": "cart_add", "args": {"service": "JMC-UDTAX", "consumer_no": "JP1000001", "amount": "340"}}),
    )
    .await;
    ok(
        svc,
        serde_json::json!({"cmd": "cart_contact", "args": {"mobile": "9829012345"}}),
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

fn printer_is(e: &Event, state: &str, failed: i64) -> bool {
    matches!(e, Event::Status(s) if s.printer.state == state && s.printer.failed == failed)
}

#[tokio::test(flavor = "multi_thread")]
async fn printer_state_failed_jobs_and_their_retry() {
    // One try each: a printer that does not answer fails the job at once.
    let k = kit(1).await;
    let db = k.db();
    // A port nothing listens on (yet): the printer is off.
    let (l, off_uri) = listener();
    let addr = l.local_addr().unwrap();
    drop(l);
    ok(&k.svc, set("receipt", &off_uri, "escp9-generic")).await;

    let paid = pay(&k.svc).await;
    wait_for(&k.events, "printer offline", |e| {
        printer_is(e, "offline", 1)
    });
    let tp_receipt: TestPageView = get(&k.svc, test_page("receipt")).await;
    wait_for(&k.events, "test page failed", |e| {
        printer_is(e, "offline", 2)
    });
    let v = printers(&k.svc).await;
    assert_eq!(v.status.state, "offline");
    assert_eq!(
        v.status.last_error_code.as_deref(),
        Some("print.printer_offline")
    );
    assert_eq!(v.jobs.len(), 2);
    assert!(v.jobs.iter().all(|j| j.state == "failed"
        && j.last_error_code.as_deref() == Some("print.printer_offline")
        && j.printer == off_uri));
    let receipt_job = v.jobs.iter().find(|j| j.kind == "receipt").unwrap().clone();
    let no = paid.receipt.receipt_no.clone();
    let shown = receipt_job.receipt_no.clone().unwrap();
    // The final number once the centre gave it, the local one before.
    let final_no: Option<String> = Connection::open(&db)
        .unwrap()
        .query_row(
            "SELECT final_receipt_no FROM receipts WHERE receipt_no = ?1",
            [&no],
            |r| r.get(0),
        )
        .unwrap();
    assert!(shown == no || Some(&shown) == final_no.as_ref(), "{shown}");
    let page_job = v.jobs.iter().find(|j| j.kind == "test_page").unwrap();
    assert_eq!(page_job.id, tp_receipt.job);
    assert!(page_job.receipt_no.is_none());

    // An ESC/POS report printer that says it has no paper: nothing is
    // printed into it, and the state says so.
    let (report_l, report_uri) = listener();
    let report_printer = tcp_printer(report_l, vec![Some(PAPER_OUT), Some(PAPER_OK)]);
    ok(&k.svc, set("report", &report_uri, "escpos-thermal-80")).await;
    let tp_report: TestPageView = get(&k.svc, test_page("report")).await;
    wait_for(&k.events, "paper out", |e| printer_is(e, "paper_out", 3));
    let v = printers(&k.svc).await;
    let j = v.jobs.iter().find(|j| j.id == tp_report.job).unwrap();
    assert_eq!(
        (j.state.as_str(), j.last_error_code.as_deref()),
        ("failed", Some("print.paper_out"))
    );

    // Paper in: that one job again.
    let v: PrintersView = get(&k.svc, retry(Some(&tp_report.job))).await;
    assert!(
        v.jobs
            .iter()
            .any(|j| j.id == tp_report.job && j.state != "failed")
    );
    until(&k.events, "report test page printed", || {
        job_state(&db, &tp_report.job) == "done"
    });
    let got = report_printer.join().unwrap();
    assert!(got[0].is_empty(), "nothing sent to a printer out of paper");
    let thermal = print::Profile::builtin_by_id("escpos-thermal-80").unwrap();
    print::stream::validate(&got[1], &thermal).expect("valid ESC/POS");
    assert_eq!(got[1], job_payload(&db, &tp_report.job));

    // The receipt printer on: every failed job again, each printed once.
    let l = TcpListener::bind(addr).unwrap();
    let receipt_printer = tcp_printer(l, vec![None, None]);
    let v: PrintersView = get(&k.svc, retry(None)).await;
    assert!(v.jobs.iter().all(|j| j.state != "failed"), "{:?}", v.jobs);
    wait_for(
        &k.events,
        "every job printed",
        |e| matches!(e, Event::Status(s) if s.printer.state == "ready" && s.printer.failed == 0 && s.printer.queued == 0),
    );
    let got = receipt_printer.join().unwrap();
    let escp9 = print::Profile::builtin_by_id("escp9-generic").unwrap();
    let mut want = vec![
        job_payload(&db, &receipt_job.id),
        job_payload(&db, &tp_receipt.job),
    ];
    let mut got_sorted = got.clone();
    want.sort();
    got_sorted.sort();
    assert_eq!(got_sorted, want);
    for g in &got {
        print::stream::validate(g, &escp9).expect("valid ESC/P");
    }
    let v = printers(&k.svc).await;
    assert!(v.jobs.is_empty());
    assert_eq!((v.status.state.as_str(), v.status.failed), ("ready", 0));

    // Nothing left to retry: retry-all changes nothing; a printed job is
    // not printed again.
    let before = stored(&db);
    ok(&k.svc, retry(None)).await;
    assert_eq!(
        err(&k.svc, retry(Some(&receipt_job.id))).await.code,
        "print_queue.nothing_to_retry"
    );
    assert_eq!(
        err(&k.svc, retry(Some(&tp_receipt.job))).await.code,
        "print_queue.nothing_to_retry"
    );
    assert_eq!(stored(&db), before);
    assert_eq!(job_state(&db, &receipt_job.id), "done");
}
