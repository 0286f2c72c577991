//! The `print` and `printers` commands as the CLI runs them.

use domain::{ErrorCode as _, Paise, SystemClock};
use kiosk_core::{BillInput, Kiosk};
use print_queue::cli::{
    PrintCommand, PrintersCommand, ReceiptArgs, TestPageArgs, run_print, run_printers,
};
use print_queue::jobs::{self, JobState};
use std::io::Read;
use std::sync::Arc;

fn kiosk_with_receipt(db: &std::path::Path) -> String {
    kiosk_with_bills(db, &["210412345678"])
}

/// A kiosk whose one receipt pays a bill for each consumer number.
fn kiosk_with_bills(db: &std::path::Path, consumers: &[&str]) -> String {
    let mut k = kiosk_testkit::ready_kiosk(
        db,
        &kiosk_testkit::init_params("K10023456"),
        Arc::new(SystemClock),
    );
    let mut d = k.start_cart();
    for no in consumers {
        k.add_bill(
            &mut d,
            &BillInput {
                service: "JVVNL-BILL".into(),
                consumer_no: (*no).into(),
                amount: Paise::new(99_900),
                consumer_name: Some("Suresh Kumar".into()),
                bill_ref: None,
            },
        )
        .unwrap();
    }
    k.set_contact(&mut d, Some("9876543210"), None).unwrap();
    k.choose_wallet(&mut d);
    k.commit_payment(&d, "holder", false).unwrap().receipt_no
}

#[test]
fn test_page_to_a_file_printer() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("lp.bin");
    for profile in ["escp9-generic", "escpos-impact-tmu220", "ibm-proprinter"] {
        std::fs::remove_file(&out).ok();
        run_print(
            &dir.path().join("unused.db"),
            true,
            PrintCommand::TestPage(TestPageArgs {
                profile: profile.into(),
                to: format!("file://{}", out.display()),
            }),
        )
        .unwrap();
        let bytes = std::fs::read(&out).unwrap();
        let p = print::Profile::builtin_by_id(profile).unwrap();
        let rep = print::stream::validate(&bytes, &p).unwrap();
        assert!(rep.images >= 1, "{profile}: the Devanagari sample");
    }
    let e = run_print(
        &dir.path().join("unused.db"),
        false,
        PrintCommand::TestPage(TestPageArgs {
            profile: "no-such".into(),
            to: "file:/tmp/x".into(),
        }),
    )
    .unwrap_err();
    assert_eq!(e.code(), "print.profile_unknown");
}

#[test]
fn receipt_prints_with_a_preview_and_an_offline_printer_keeps_the_job() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("kiosk.db");
    let no = kiosk_with_receipt(&db);

    // Printer on: printed, and the preview is the virtual printer's PNG.
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let to = format!("tcp://{}", l.local_addr().unwrap());
    let sink = std::thread::spawn(move || {
        let (mut s, _) = l.accept().unwrap();
        let mut v = Vec::new();
        s.read_to_end(&mut v).unwrap();
        v
    });
    let png = dir.path().join("preview.png");
    run_print(
        &db,
        true,
        PrintCommand::Receipt(ReceiptArgs {
            receipt: no.clone(),
            to: Some(to.clone()),
            profile: Some("escpos-thermal-80".into()),
            english: false,
            preview: Some(png.clone()),
        }),
    )
    .unwrap();
    let bytes = sink.join().unwrap();
    // The thermal profile asks for paper status first; this sink does not
    // answer, so the job followed after the short wait.
    let bytes = bytes
        .strip_prefix(&print::transport::DLE_EOT_PAPER[..])
        .expect("status query first")
        .to_vec();
    let p = print::Profile::builtin_by_id("escpos-thermal-80").unwrap();
    print::stream::validate(&bytes, &p).unwrap();
    let preview = print::raster::Bitmap::from_png(&std::fs::read(&png).unwrap()).unwrap();
    assert_eq!(preview.width, 576);
    assert!(preview.count() > 5000);

    // Printer off: the command fails with a code and the job stays queued.
    let off = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("tcp://{}", l.local_addr().unwrap())
    };
    let use_off = PrintCommand::Use(print_queue::cli::PrinterArgs {
        to: off,
        profile: "escp9-generic".into(),
        columns: None,
    });
    run_print(&db, false, use_off).unwrap();
    let e = run_print(
        &db,
        false,
        PrintCommand::Receipt(ReceiptArgs {
            receipt: no.clone(),
            to: None,
            profile: None,
            english: true,
            preview: None,
        }),
    )
    .unwrap_err();
    assert_eq!(e.code(), "print_queue.job_failed");
    assert!(e.to_string().contains("print.printer_offline"), "{e}");
    let k = Kiosk::open(&db, Arc::new(SystemClock)).unwrap();
    let list = jobs::list(k.store().conn(), None, 10).unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(
        list[0].state,
        JobState::Queued,
        "kept for the worker to retry"
    );
    assert_eq!(
        list[0].kind, "duplicate",
        "the receipt printed once already"
    );
    assert_eq!(list[1].state, JobState::Done);

    // Unknown receipts and bad URIs are refused with their codes.
    let e = run_print(
        &db,
        false,
        PrintCommand::Receipt(ReceiptArgs {
            receipt: "K10023456-001-9999999".into(),
            to: None,
            profile: None,
            english: true,
            preview: None,
        }),
    )
    .unwrap_err();
    assert!(
        e.code().starts_with("receipt.") || e.code().starts_with("kiosk."),
        "{}",
        e.code()
    );
    let e = run_print(
        &db,
        false,
        PrintCommand::Use(print_queue::cli::PrinterArgs {
            to: "gopher://x".into(),
            profile: "escp9-generic".into(),
            columns: None,
        }),
    )
    .unwrap_err();
    assert_eq!(e.code(), "print.uri_invalid");
}

#[test]
fn printers_list_and_profiles_run() {
    run_printers(true, PrintersCommand::List).unwrap();
    run_printers(false, PrintersCommand::Profiles).unwrap();
}

#[test]
fn day_report_as_pdf_to_a_file_printer() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("kiosk.db");
    let no = kiosk_with_receipt(&db);
    let out = dir.path().join("laser.pdf");
    let today = domain::clock::ist_date(domain::Clock::now(&SystemClock));
    run_print(
        &db,
        false,
        PrintCommand::Report(print_queue::cli::ReportArgs {
            day: Some(today),
            to: Some(format!("file://{}", out.display())),
            profile: Some("pdf-laser".into()),
        }),
    )
    .unwrap();
    let pdf = std::fs::read(&out).unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    // The receipt's row is in it (Courier text is stored as is).
    let k = Kiosk::open(&db, Arc::new(SystemClock)).unwrap();
    let r = jobs::day_report(&k, today).unwrap();
    assert_eq!(r.rows.len(), 1);
    assert_eq!(r.rows[0][0], no);
    // Bill plus the kiosk's charge for the service.
    assert!(r.total.unwrap() >= Paise::new(99_900), "{:?}", r.total);
    assert!(
        pdf.windows(no.len()).any(|w| w == no.as_bytes()),
        "receipt number in the PDF"
    );
}

#[test]
fn a_refused_preview_queues_nothing() {
    // The laser profile prints PDF, which the virtual printer cannot draw:
    // the request is refused with its code and leaves no job behind that a
    // later retry would print.
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("kiosk.db");
    let no = kiosk_with_receipt(&db);
    let png = dir.path().join("preview.png");
    let e = run_print(
        &db,
        false,
        PrintCommand::Receipt(ReceiptArgs {
            receipt: no.clone(),
            to: Some(format!("file://{}", dir.path().join("laser.pdf").display())),
            profile: Some("pdf-laser".into()),
            english: false,
            preview: Some(png.clone()),
        }),
    )
    .unwrap_err();
    assert_eq!(e.code(), "print.unsupported");
    let k = Kiosk::open(&db, Arc::new(SystemClock)).unwrap();
    assert!(jobs::list(k.store().conn(), None, 10).unwrap().is_empty());
    drop(k);
    assert!(!png.exists(), "no preview written for a refused request");
    assert!(!dir.path().join("laser.pdf").exists(), "nothing printed");
    // A retry finds nothing to print.
    let e = run_print(
        &db,
        false,
        PrintCommand::Retry {
            receipt: no.clone(),
        },
    )
    .unwrap_err();
    assert_eq!(e.code(), "print_queue.nothing_to_retry");

    // A preview that cannot be written is refused the same way.
    let e = run_print(
        &db,
        false,
        PrintCommand::Receipt(ReceiptArgs {
            receipt: no,
            to: Some(format!("file://{}", dir.path().join("lp.bin").display())),
            profile: Some("escp9-generic".into()),
            english: false,
            preview: Some(dir.path().join("no-such-dir/preview.png")),
        }),
    )
    .unwrap_err();
    assert_eq!(e.code(), "print_queue.io");
    let k = Kiosk::open(&db, Arc::new(SystemClock)).unwrap();
    assert!(jobs::list(k.store().conn(), None, 10).unwrap().is_empty());
    assert!(!dir.path().join("lp.bin").exists(), "nothing printed");
}

#[test]
fn a_multi_bill_receipt_keeps_every_consumer_number_in_the_printed_report() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("kiosk.db");
    let nos = ["210000000101", "210000000102", "210000000103"];
    let no = kiosk_with_bills(&db, &nos);
    let today = domain::clock::ist_date(domain::Clock::now(&SystemClock));
    let k = Kiosk::open(&db, Arc::new(SystemClock)).unwrap();
    let r = jobs::day_report(&k, today).unwrap();
    drop(k);
    // One row per bill; the receipt's number and total on the first.
    assert_eq!(r.rows.len(), 3, "{:?}", r.rows);
    assert_eq!(r.rows[0][0], no);
    for (row, n) in r.rows.iter().zip(nos) {
        assert_eq!(row[3], n);
        assert_eq!(row[2], "JVVNL-BILL");
    }
    // Printed on a 40-column receipt printer and on an 80-column DMP.
    for profile in ["escpos-impact-tmu220", "escp9-generic", "text-plain"] {
        let out = dir.path().join(format!("{profile}.bin"));
        run_print(
            &db,
            false,
            PrintCommand::Report(print_queue::cli::ReportArgs {
                day: Some(today),
                to: Some(format!("file://{}", out.display())),
                profile: Some(profile.into()),
            }),
        )
        .unwrap();
        let bytes = std::fs::read(&out).unwrap();
        let p = print::Profile::builtin_by_id(profile).unwrap();
        print::stream::validate(&bytes, &p).unwrap();
        for n in nos.iter().chain([&no.as_str()]) {
            assert!(
                bytes.windows(n.len()).any(|w| w == n.as_bytes()),
                "{profile}: {n} missing from\n{}",
                String::from_utf8_lossy(&bytes)
            );
        }
    }
}

/// Whether a stream switches to condensed pitch (SI) anywhere.
fn condensed(bytes: &[u8], p: &print::Profile) -> bool {
    print::stream::parse(bytes, p.language)
        .unwrap()
        .iter()
        .any(|(_, op)| *op == print::stream::Op::Condensed(true))
}

#[test]
fn the_line_width_comes_from_the_printer_setting() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("kiosk.db");
    let no = kiosk_with_receipt(&db);
    let out = dir.path().join("lp.bin");
    let to = format!("file://{}", out.display());
    let use_ = |profile: &str, columns: Option<u16>| {
        run_print(
            &db,
            false,
            PrintCommand::Use(print_queue::cli::PrinterArgs {
                to: to.clone(),
                profile: profile.into(),
                columns,
            }),
        )
    };
    let receipt = || {
        std::fs::remove_file(&out).ok();
        run_print(
            &db,
            false,
            PrintCommand::Receipt(ReceiptArgs {
                receipt: no.clone(),
                to: None,
                profile: None,
                english: true,
                preview: None,
            }),
        )
        .unwrap();
        std::fs::read(&out).unwrap()
    };
    // An 8" carriage set to 136 columns prints condensed.
    use_("escp9-generic", Some(136)).unwrap();
    let bytes = receipt();
    let p = print::Profile::builtin_by_id("escp9-generic").unwrap();
    let rep = print::stream::validate(&bytes, &p).unwrap();
    assert!(condensed(&bytes, &p), "condensed (SI)");
    assert!(rep.max_line_fraction_permille > 900, "{rep:?}");
    // The wide carriage prints 136 columns at 10 cpi, by its profile alone.
    use_("escp9-wide", None).unwrap();
    let bytes = receipt();
    let w = print::Profile::builtin_by_id("escp9-wide").unwrap();
    let rep = print::stream::validate(&bytes, &w).unwrap();
    assert!(!condensed(&bytes, &w), "pica, not condensed");
    assert!(rep.max_line_fraction_permille > 900, "{rep:?}");
    // The 80-column default is back when the setting is dropped.
    use_("escp9-generic", None).unwrap();
    let bytes = receipt();
    assert!(!condensed(&bytes, &p));
    // More columns than the printer has is refused, and changes nothing.
    let e = use_("escpos-impact-tmu220", Some(136)).unwrap_err();
    assert_eq!(e.code(), "print_queue.columns_invalid");
    let k = Kiosk::open(&db, Arc::new(SystemClock)).unwrap();
    let c = jobs::configured_printer(k.store().conn()).unwrap().unwrap();
    assert_eq!(c.profile, "escp9-generic");
}
