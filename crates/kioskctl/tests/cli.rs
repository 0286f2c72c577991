//! The CLI end to end: JSON output, stable error codes and exit status, and
//! refused commands leaving the database as it was.

use serde_json::Value;
use std::path::Path;
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_kioskctl");

fn run(db: &Path, args: &[&str]) -> (i32, Value) {
    kiosk_testkit::cli::at(BIN, db).run(args)
}

fn ok(db: &Path, args: &[&str]) -> Value {
    kiosk_testkit::cli::at(BIN, db).ok(args)
}

fn err(db: &Path, args: &[&str]) -> String {
    kiosk_testkit::cli::at(BIN, db).err(args)
}

fn counts(db: &Path) -> String {
    let c = kiosk_store::rusqlite::Connection::open(db).unwrap();
    c.query_row(
        "SELECT (SELECT COUNT(*) FROM receipts) || '/' || (SELECT COUNT(*) FROM receipt_lines) || '/' ||
                (SELECT COUNT(*) FROM outbox) || '/' || (SELECT COUNT(*) FROM wallet_holds) || '/' ||
                (SELECT IFNULL(MAX(seq), 0) FROM outbox)",
        [],
        |r| r.get(0),
    )
    .unwrap()
}

#[test]
fn a_session_at_the_counter() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("k.db");
    assert_eq!(err(&db, &["list"]), "store.not_found");
    ok(
        &db,
        &[
            "init",
            "--kiosk-code",
            "K1001",
            "--district",
            "Ajmer",
            "--name",
            "Test",
            "--cheque-enabled",
        ],
    );
    assert_eq!(
        err(
            &db,
            &[
                "init",
                "--kiosk-code",
                "K1001",
                "--district",
                "Ajmer",
                "--name",
                "Test"
            ]
        ),
        "kiosk.already_initialised"
    );
    assert_eq!(
        err(
            &db,
            &[
                "pay",
                "--service",
                "JVVNL-BILL",
                "--consumer",
                "210100000001",
                "--amount",
                "10",
                "--mobile",
                "9876543210",
                "--operator",
                "holder"
            ]
        ),
        "catalogue.missing"
    );
    let cat = kiosk_testkit::sample_catalogue_path();
    let v = ok(&db, &["catalogue", "import", cat.to_str().unwrap()]);
    assert_eq!(v["sample"], true);
    assert_eq!(
        err(
            &db,
            &[
                "pay",
                "--service",
                "JVVNL-BILL",
                "--consumer",
                "210100000001",
                "--amount",
                "10",
                "--mobile",
                "9876543210",
                "--operator",
                "holder"
            ]
        ),
        "exposure.no_snapshot"
    );
    ok(
        &db,
        &[
            "wallet",
            "set",
            "--balance",
            "20000",
            "--max-pending-amount",
            "10000",
        ],
    );
    let v = ok(
        &db,
        &[
            "pay",
            "--service",
            "JVVNL-BILL",
            "--consumer",
            "2101 0000 0001",
            "--amount",
            "1,234.50",
            "--bill",
            "PHED-WATER:4455667:99.5:राम लाल",
            "--mobile",
            "+91 98765 43210",
            "--operator",
            "holder",
        ],
    );
    assert_eq!(v["receipt_no"], "K1001-001-0000001");
    assert_eq!(v["total"], 123450 + 9950 + 500);
    let before = counts(&db);
    let pay = |extra: &[&str]| {
        let mut a = vec![
            "pay",
            "--service",
            "JVVNL-BILL",
            "--consumer",
            "210100000002",
            "--amount",
            "10",
            "--operator",
            "holder",
        ];
        a.extend_from_slice(extra);
        a.into_iter().map(String::from).collect::<Vec<_>>()
    };
    let cases: Vec<(&str, Vec<String>)> = vec![
        ("contact.required", pay(&[])),
        ("contact.mobile_invalid", pay(&["--mobile", "12345"])),
        ("money.too_many_decimals", {
            let mut a = pay(&["--mobile", "9876543210"]);
            a[6] = "10.005".into();
            a
        }),
        ("money.invalid", {
            let mut a = pay(&["--mobile", "9876543210"]);
            a[6] = "ten".into();
            a
        }),
        ("operator.unknown", {
            let mut a = pay(&["--mobile", "9876543210"]);
            a[8] = "nobody".into();
            a
        }),
        (
            "cli.cheque_incomplete",
            pay(&["--mobile", "9876543210", "--cheque-no", "123456"]),
        ),
        (
            "cli.date_invalid",
            pay(&[
                "--mobile",
                "9876543210",
                "--cheque-no",
                "123456",
                "--cheque-date",
                "21/11/2026",
                "--cheque-bank",
                "SBI",
                "--cheque-payee",
                "AO (CCC)",
            ]),
        ),
        (
            "cheque.post_dated",
            pay(&[
                "--mobile",
                "9876543210",
                "--cheque-no",
                "123456",
                "--cheque-date",
                "2999-01-01",
                "--cheque-bank",
                "SBI",
                "--cheque-payee",
                "AO (CCC)",
            ]),
        ),
        (
            "cli.bill_invalid",
            pay(&["--mobile", "9876543210", "--bill", "PHED-WATER:4455667"]),
        ),
        ("payment.duplicate_unconfirmed", {
            let mut a = pay(&["--mobile", "9876543210"]);
            a[4] = "210100000001".into();
            a
        }),
        ("exposure.amount_exceeded", {
            let mut a = pay(&["--mobile", "9876543210"]);
            a[6] = "9000".into();
            a
        }),
        ("cli.usage", vec!["pay".into(), "--frobnicate".into()]),
        (
            "receipt.not_found",
            vec![
                "cancel".into(),
                "K1001-001-0000009".into(),
                "--operator".into(),
                "holder".into(),
                "--reason".into(),
                "x".into(),
            ],
        ),
        (
            "cancel.reason_required",
            vec![
                "cancel".into(),
                "K1001-001-0000001".into(),
                "--operator".into(),
                "holder".into(),
                "--reason".into(),
                " ".into(),
            ],
        ),
        (
            "query.invalid",
            vec!["list".into(), "--page-size".into(), "1000".into()],
        ),
    ];
    for (want, args) in &cases {
        let a: Vec<&str> = args.iter().map(String::as_str).collect();
        assert_eq!(err(&db, &a), *want, "{args:?}");
        assert_eq!(counts(&db), before, "{want}: the database changed");
    }
    // Human form: `error[code]: message` on stderr.
    let out = Command::new(BIN)
        .arg("--db")
        .arg(&db)
        .args(["show", "nope"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).starts_with("error[receipt.not_found]: "));

    let v = ok(&db, &["list", "--consumer", "4455667"]);
    assert_eq!(v["receipts"].as_array().unwrap().len(), 1);
    let v = ok(&db, &["totals"]);
    assert_eq!(v["receipts"], 1);
    let v = ok(&db, &["verify"]);
    assert_eq!(v["chain"]["entries"], 1);
    ok(
        &db,
        &[
            "cancel",
            "K1001-001-0000001",
            "--operator",
            "holder",
            "--reason",
            "citizen asked",
        ],
    );
    let v = ok(&db, &["queue"]);
    assert_eq!(v["unsent"], 2);

    // Backup, damage, refuse, restore.
    let v = ok(&db, &["backup", "--keep", "2"]);
    let backup = v["backup"].as_str().unwrap().to_string();
    assert!(Path::new(&backup).exists());
    std::fs::write(&db, b"this is not a database, the disk ate it").unwrap();
    let _ = std::fs::remove_file(dir.path().join("k.db-wal"));
    let _ = std::fs::remove_file(dir.path().join("k.db-shm"));
    assert_eq!(err(&db, &["verify"]), "store.corrupt");
    ok(&db, &["restore"]);
    let v = ok(&db, &["verify"]);
    assert_eq!(v["chain"]["entries"], 2);
}

#[test]
#[allow(clippy::inconsistent_digit_grouping)] // amounts written as rupees_paise
fn the_wallet_statement_shows_the_stored_centre_lines() {
    use chrono::TimeZone;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("k.db");
    ok(
        &db,
        &[
            "init",
            "--kiosk-code",
            "K1001",
            "--district",
            "Ajmer",
            "--name",
            "Test",
        ],
    );
    let empty = ok(&db, &["wallet", "statement"]);
    assert_eq!(empty["lines"].as_array().unwrap().len(), 0);
    assert_eq!(empty["net"], 0);
    // As the sync client stores them: 20 Nov 10:00 IST and 21 Nov 10:00 IST.
    let day1 = chrono::Utc
        .with_ymd_and_hms(2026, 11, 20, 4, 30, 0)
        .unwrap();
    let day2 = chrono::Utc
        .with_ymd_and_hms(2026, 11, 21, 4, 30, 0)
        .unwrap();
    let line =
        |id: i64, kind: &str, paise: i64, at: chrono::DateTime<chrono::Utc>| protocol::LedgerLine {
            id,
            txn_id: 70 + id,
            account: "wallet".into(),
            kind: kind.into(),
            amount: domain::Paise::new(paise),
            memo: format!("m{id}"),
            at_ms: at.timestamp_millis(),
        };
    {
        let mut k = kiosk_core::Kiosk::open(&db, std::sync::Arc::new(domain::SystemClock)).unwrap();
        k.record_ledger_lines(&[
            line(1, "refill", 20_000_00, day1),
            line(2, "payment", -450_50, day2),
            line(3, "payment", -99_50, day2 + chrono::Duration::minutes(1)),
        ])
        .unwrap();
    }
    let all = ok(&db, &["wallet", "statement"]);
    let ids: Vec<i64> = all["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["line_id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [1, 2, 3]);
    assert_eq!(all["credits"], 20_000_00);
    assert_eq!(all["debits"], -550_00);
    assert_eq!(all["net"], 19_450_00);
    let day = ok(
        &db,
        &[
            "wallet",
            "statement",
            "--from",
            "2026-11-21",
            "--to",
            "2026-11-21",
        ],
    );
    assert_eq!(day["lines"].as_array().unwrap().len(), 2);
    assert_eq!(day["net"], -550_00);
    let last = ok(&db, &["wallet", "statement", "--limit", "1"]);
    assert_eq!(last["lines"][0]["line_id"], 3);
    assert_eq!(last["truncated"], true);
    assert_eq!(
        err(&db, &["wallet", "statement", "--from", "21/11/2026"]),
        "cli.date_invalid"
    );
    assert_eq!(
        err(&db, &["wallet", "statement", "--limit", "0"]),
        "cli.limit_invalid"
    );
    assert_eq!(
        err(&db, &["wallet", "statement", "--limit", "5000"]),
        "query.invalid"
    );
    assert_eq!(
        err(
            &db,
            &[
                "wallet",
                "statement",
                "--from",
                "2026-11-21",
                "--to",
                "2026-11-20"
            ]
        ),
        "query.invalid"
    );
    // The human form: one row per line and the sums.
    let out = Command::new(BIN)
        .arg("--db")
        .arg(&db)
        .args(["wallet", "statement"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("refill") && text.contains("m3"), "{text}");
    assert!(text.contains("net"), "{text}");
}

/// The shared ready kiosk, with room for a lakh-rupee bill.
fn ready_kiosk(dir: &Path) -> std::path::PathBuf {
    let db = dir.join("k.db");
    let cli = kiosk_testkit::cli::at(BIN, &db);
    cli.ready_kiosk("K1001");
    cli.ok(&[
        "wallet",
        "set",
        "--balance",
        "5,00,000",
        "--max-pending-amount",
        "2,00,000",
    ]);
    db
}

#[test]
fn a_decimal_comma_or_a_hidden_name_is_refused_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = ready_kiosk(dir.path());
    let pay = |amount: &str, name: &str| {
        run(
            &db,
            &[
                "pay",
                "--service",
                "JVVNL-BILL",
                "--consumer",
                "210100000001",
                "--amount",
                amount,
                "--name",
                name,
                "--mobile",
                "9876543210",
                "--operator",
                "holder",
                "--no-print",
            ],
        )
    };
    let before = counts(&db);
    for (amount, name, code) in [
        ("1,50", "Ram Lal", "money.grouping_invalid"),
        ("12,5.00", "Ram Lal", "money.grouping_invalid"),
        ("1,2345", "Ram Lal", "money.grouping_invalid"),
        ("150", "\u{202E}laL maR", "text.bidi_control"),
        ("150", "Ram\u{2066} Lal", "text.bidi_control"),
        ("150", "\u{200B}\u{200D}", "text.invisible_only"),
        ("150", "\u{3164}\u{3164}", "text.invisible_only"),
    ] {
        let (status, v) = pay(amount, name);
        assert_ne!(status, 0, "{amount} {name:?}: {v}");
        assert_eq!(v["error"]["code"], code, "{amount} {name:?}: {v}");
        assert_eq!(
            counts(&db),
            before,
            "{amount} {name:?} changed the database"
        );
    }
    // Thousands groups, Western or Indian, are amounts; stray invisible
    // characters in a name are dropped.
    let (status, v) = pay("1,50,000", "Ram\u{200B} Lal");
    assert_eq!(status, 0, "{v}");
    assert_eq!(v["total"], 150_000_00);
    let (status, v) = run(&db, &["show", v["receipt_no"].as_str().unwrap()]);
    assert_eq!(status, 0, "{v}");
    assert_eq!(v["lines"][0]["consumer_name"], "Ram Lal");
    let (status, v) = run(
        &db,
        &[
            "pay",
            "--bill",
            "JVVNL-BILL:210100000002:1,234.50",
            "--mobile",
            "9876543210",
            "--operator",
            "holder",
            "--no-print",
        ],
    );
    assert_eq!(status, 0, "{v}");
    assert_eq!(v["total"], 1_234_50);
}

/// An online-only service (MOBILE-RECHARGE) goes only with `--online` and
/// a sync round on this database that worked just before; otherwise it
/// is refused with its code and nothing is written.
#[test]
fn an_online_only_service_needs_online_and_a_sync_round_that_just_worked() {
    use kiosk_sync::status::{LastError, SyncStatus};
    let dir = tempfile::tempdir().unwrap();
    let db = ready_kiosk(dir.path());
    let recharge = |consumer: &'static str, online: bool| {
        let mut args = vec![
            "pay",
            "--service",
            "MOBILE-RECHARGE",
            "--consumer",
            consumer,
            "--amount",
            "199",
            "--mobile",
            "9876543210",
            "--operator",
            "holder",
            "--no-print",
        ];
        if online {
            args.push("--online");
        }
        run(&db, &args)
    };
    let refused = |consumer: &'static str, online: bool| {
        let before = counts(&db);
        let (status, v) = recharge(consumer, online);
        assert_ne!(status, 0, "{v}");
        assert_eq!(v["error"]["code"], "service.online_only", "{v}");
        assert_eq!(counts(&db), before, "a refused payment wrote something");
        v["error"]["message"].as_str().unwrap().to_string()
    };
    let status_at = |at: chrono::DateTime<chrono::Utc>, error: Option<&str>| {
        let mut s = SyncStatus {
            online: true,
            updated_at: Some(at),
            last_error: error.map(|c| LastError {
                code: c.into(),
                message: String::new(),
                at,
            }),
            ..Default::default()
        };
        s.derive_state(false, error.is_some());
        s.save(&db).unwrap();
    };
    let now = domain::Clock::now(&domain::SystemClock);

    // Without the flag, as before: offline rules.
    refused("9829012345", false);
    // With it, but nothing says the centre answered.
    let m = refused("9829012345", true);
    assert!(m.contains("sync now"), "{m}");
    // A round that worked ten minutes ago is too old; one refused is no answer.
    status_at(now - chrono::Duration::minutes(10), None);
    refused("9829012345", true);
    status_at(now, Some("auth.unknown_device"));
    refused("9829012345", true);
    // A round that just worked: taken, real-time (to be sent at once).
    status_at(now, None);
    refused("9829012345", false);
    let before = counts(&db);
    let (status, v) = recharge("9829012345", true);
    assert_eq!(status, 0, "{v}");
    assert_eq!(v["real_time"], true, "{v}");
    assert_ne!(counts(&db), before);
    // A bill that may go offline is not real-time, flag or not.
    let v = ok(
        &db,
        &[
            "pay",
            "--service",
            "JVVNL-BILL",
            "--consumer",
            "210100000009",
            "--amount",
            "10",
            "--mobile",
            "9876543210",
            "--operator",
            "holder",
            "--no-print",
            "--online",
        ],
    );
    assert_eq!(v["real_time"], false, "{v}");
}

#[test]
fn a_refill_request_is_queued_listed_and_a_bad_one_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = ready_kiosk(dir.path());
    let before = counts(&db);
    // Refused before anything is written: each with its code.
    for (args, code) in [
        (
            vec![
                "--amount",
                "0",
                "--mode",
                "neft_rtgs",
                "--reference",
                "SBIN126000000001",
            ],
            "refill.amount_invalid",
        ),
        (
            vec![
                "--amount",
                "50000",
                "--mode",
                "cash",
                "--reference",
                "SBIN126000000001",
            ],
            "refill.mode_unknown",
        ),
        (
            vec!["--amount", "50000", "--mode", "neft_rtgs"],
            "refill.reference_required",
        ),
    ] {
        let mut a = vec!["wallet", "refill", "--operator", "holder"];
        a.extend(args);
        assert_eq!(err(&db, &a), code);
    }
    assert_eq!(counts(&db), before);
    let r = ok(
        &db,
        &[
            "wallet",
            "refill",
            "--operator",
            "holder",
            "--amount",
            "50,000",
            "--mode",
            "neft_rtgs",
            "--reference",
            "SBIN126000000001",
        ],
    );
    assert!(r["outbox_seq"].as_u64().unwrap() >= 1, "{r}");
    // The same reference again is refused.
    assert_eq!(
        err(
            &db,
            &[
                "wallet",
                "refill",
                "--operator",
                "holder",
                "--amount",
                "100",
                "--mode",
                "neft_rtgs",
                "--reference",
                "SBIN126000000001",
            ],
        ),
        "refill.duplicate_reference"
    );
    let list = ok(&db, &["wallet", "refills"]);
    let rows = list.as_array().unwrap();
    assert_eq!(rows.len(), 1, "{list}");
    assert_eq!(rows[0]["amount"], 50_000_00);
    assert_eq!(rows[0]["state"], "queued");
    assert_eq!(rows[0]["reference"], "SBIN126000000001");
    // As text, for the holder's eyes.
    let out = Command::new(BIN)
        .args(["--db", db.to_str().unwrap()])
        .args(["wallet", "refills"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("50,000.00") && text.contains("queued") && text.contains("SBIN126000000001"),
        "{text}"
    );
}
