#![allow(clippy::inconsistent_digit_grouping)] // amounts written as rupees_paise
mod common;

use chrono::{Duration, NaiveDate, TimeZone, Utc};
use common::*;
use domain::{Clock, ErrorCode, Paise};
use kiosk_core::{
    ChequeInput, CoreError, Kiosk, Outcome, Reach, ReceiptQuery, ReceiptStatus, WalletSnapshot,
};
use protocol::EntryKind;

fn code<T: std::fmt::Debug>(r: kiosk_core::Result<T>) -> String {
    r.unwrap_err().code().to_string()
}

#[test]
fn a_multi_bill_payment_commits_receipt_lines_entry_and_hold_together() {
    let mut f = fixture();
    let k = &mut f.kiosk;
    let bills = [
        bill("JVVNL-BILL", "2101 2345 6789", 1500),
        bill("PHED-WATER", "4455667", 320),
    ];
    let c = try_pay(k, &bills, false).unwrap();
    assert_eq!(c.receipt_no, "K1001-001-0000001");
    assert_eq!(c.outbox_seq, 1);
    assert_eq!(c.lines, 2);
    // PHED charges ₹5 on top of the bill.
    assert_eq!(c.total, Paise::new(1500_00 + 320_00 + 5_00));
    assert_eq!(c.commission, Paise::new(6_00 + 5_00));

    let d = k.receipt("K1001-001-0000001").unwrap();
    assert_eq!(d.summary.status, "provisional");
    assert_eq!(d.lines.len(), 2);
    assert_eq!(d.lines[0].consumer_no, "210123456789");
    assert_eq!(d.mobile.as_deref(), Some("9876543210"));

    let out = k.outbox_from(1, 10).unwrap();
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].entry.kind, EntryKind::Payment);
    let p = out[0].entry.payment().unwrap();
    assert_eq!(p.receipt_no, c.receipt_no);
    assert_eq!(p.total, c.total);
    assert_eq!(p.lines.len(), 2);
    assert_eq!(out[0].prev_hash, protocol::GENESIS_HASH);
    assert_eq!(
        out[0].hash,
        protocol::chain_hash(&protocol::GENESIS_HASH, &out[0].entry)
    );

    let e = k.exposure().unwrap();
    assert_eq!(e.pending_amount, c.total);
    assert_eq!(e.pending_count, 1);

    let c2 = pay(k, "AIRTEL-POSTPAID", "9829012345", 499);
    assert_eq!(c2.receipt_no, "K1001-001-0000002");
    let chain = k.verify_chain().unwrap();
    assert_eq!(chain.entries, 2);
    assert_eq!(chain.last_hash, c2.hash);
}

#[test]
fn an_online_only_service_is_taken_only_while_the_centre_answers() {
    let mut f = fixture();
    let k = &mut f.kiosk;
    let recharge = bill("MOBILE-RECHARGE", "98290 12345", 199);
    assert!(
        !k.catalogue()
            .unwrap()
            .service("MOBILE-RECHARGE")
            .unwrap()
            .offline_allowed
    );
    // Offline (the default, and said so): refused at Add, nothing written.
    let before = (counts(k), fingerprint(k));
    let mut d = k.start_cart();
    assert_eq!(code(k.add_bill(&mut d, &recharge)), "service.online_only");
    assert_eq!(
        code(k.add_bill_with_reach(&mut d, &recharge, Reach::Offline)),
        "service.online_only"
    );
    assert!(d.cart.is_empty());
    assert_eq!((counts(k), fingerprint(k)), before);

    // Online: added beside a bill that may go offline, and committed.
    k.add_bill_with_reach(&mut d, &recharge, Reach::Online)
        .unwrap();
    k.add_bill_with_reach(
        &mut d,
        &bill("JVVNL-BILL", "210100000001", 100),
        Reach::Online,
    )
    .unwrap();
    k.set_contact(&mut d, Some("9876543210"), None).unwrap();
    k.choose_wallet(&mut d);
    // The link went between Add and Pay: refused at Pay, nothing written,
    // the cart as it was.
    assert_eq!(
        code(k.commit_payment(&d, "op1", false)),
        "service.online_only"
    );
    assert_eq!(
        code(k.commit_payment_with_reach(&d, "op1", false, Reach::Offline)),
        "service.online_only"
    );
    assert_eq!((counts(k), fingerprint(k)), before);
    assert_eq!(d.cart.lines.len(), 2);

    let c = k
        .commit_payment_with_reach(&d, "op1", false, Reach::Online)
        .unwrap();
    assert!(c.real_time);
    assert_eq!(c.total, Paise::new(199_00 + 100_00));
    assert_eq!(
        k.receipt(&c.receipt_no).unwrap().summary.status,
        "provisional"
    );
    let out = k.outbox_from(c.outbox_seq, 1).unwrap();
    let p = out[0].entry.payment().unwrap();
    assert_eq!(p.lines[0].service_code, "MOBILE-RECHARGE");
    assert_eq!(p.lines[0].consumer_no, "9829012345");
    // Held in the wallet like any payment, until the centre answers.
    assert_eq!(k.exposure().unwrap().pending_amount, c.total);
    // Once per cart, online or not.
    assert_eq!(
        code(k.commit_payment_with_reach(&d, "op1", false, Reach::Online)),
        "payment.already_paid"
    );
    // A payment without an online-only line is not real-time.
    let plain = pay(k, "JVVNL-BILL", "210100000002", 100);
    assert!(!plain.real_time);
    assert_eq!(Reach::from_online(true), Reach::Online);
    assert_eq!(Reach::default(), Reach::Offline);
}

#[test]
fn receipt_numbers_continue_after_reopening() {
    let mut f = fixture();
    pay(&mut f.kiosk, "JVVNL-BILL", "210100000001", 100);
    let path = f.kiosk.store().path().to_path_buf();
    drop(f.kiosk);
    let mut k = Kiosk::open(&path, f.clock.clone()).unwrap();
    assert_eq!(
        pay(&mut k, "JVVNL-BILL", "210100000002", 100).receipt_no,
        "K1001-001-0000002"
    );
    assert_eq!(
        code(Kiosk::init(&path, &init_params(), f.clock.clone())),
        "kiosk.already_initialised"
    );
}

#[test]
fn duplicate_window_is_thirty_days_and_needs_confirmation() {
    let mut f = fixture();
    let first = pay(&mut f.kiosk, "JVVNL-BILL", "210100000009", 700);
    let before = (counts(&f.kiosk), fingerprint(&f.kiosk));

    // Same service and K No. a moment later: warning, nothing written.
    f.clock.advance(Duration::days(30) - Duration::seconds(1));
    let e = try_pay(
        &mut f.kiosk,
        &[bill("JVVNL-BILL", "210100000009", 700)],
        false,
    )
    .unwrap_err();
    assert_eq!(e.code(), "payment.duplicate_unconfirmed");
    match &e {
        CoreError::DuplicateUnconfirmed(hits) => {
            assert_eq!(hits.len(), 1);
            assert_eq!(hits[0].receipt_no, first.receipt_no);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!((counts(&f.kiosk), fingerprint(&f.kiosk)), before);

    // Another service with the same number is not a duplicate.
    let d = f.kiosk.start_cart();
    assert!(f.kiosk.check_duplicates(&d).unwrap().is_empty());

    // Exactly 30 days later: outside the window.
    f.clock.advance(Duration::seconds(1));
    let c = pay(&mut f.kiosk, "JVVNL-BILL", "210100000009", 700);
    assert!(!c.duplicate_confirmed);

    // Confirmed by the operator: goes through and says so.
    let c = try_pay(
        &mut f.kiosk,
        &[bill("JVVNL-BILL", "210100000009", 700)],
        true,
    )
    .unwrap();
    assert!(c.duplicate_confirmed);
    assert!(f.kiosk.receipt(&c.receipt_no).unwrap().duplicate_confirmed);

    // A cancelled payment does not count.
    let x = pay(&mut f.kiosk, "BSNL-LANDLINE", "01412345678", 250);
    f.kiosk
        .cancel_receipt(&x.receipt_no, "op1", "wrong number")
        .unwrap();
    pay(&mut f.kiosk, "BSNL-LANDLINE", "01412345678", 250);
}

#[test]
fn offline_exposure_limits_amount_count_age_and_balance() {
    let mut f = fixture();
    let k = &mut f.kiosk;
    k.apply_wallet_snapshot(&WalletSnapshot {
        balance: Paise::new(1000_00),
        as_of: t0(),
        covers_seq: 0,
        max_pending_amount: Paise::new(500_00),
        max_pending_count: 2,
        max_age_secs: 3600,
    })
    .unwrap();
    let a = pay(k, "JVVNL-BILL", "210100000001", 300);
    assert_eq!(k.exposure().unwrap().available, Paise::new(200_00));
    let before = (counts(k), fingerprint(k));
    assert_eq!(
        code(try_pay(
            k,
            &[bill("JVVNL-BILL", "210100000002", 250)],
            false
        )),
        "exposure.amount_exceeded"
    );
    assert_eq!((counts(k), fingerprint(k)), before);
    pay(k, "JVVNL-BILL", "210100000003", 200);
    assert_eq!(
        code(try_pay(k, &[bill("JVVNL-BILL", "210100000004", 1)], false)),
        "exposure.count_exceeded"
    );
    // The centre accepts the first and sends a balance that includes it.
    k.record_outcome(
        a.outbox_seq,
        &Outcome::Accepted {
            server_txn_id: "T1".into(),
            final_receipt_no: Some("RJ-1".into()),
        },
    )
    .unwrap();
    k.apply_wallet_snapshot(&WalletSnapshot {
        balance: Paise::new(700_00),
        as_of: t0(),
        covers_seq: a.outbox_seq,
        max_pending_amount: Paise::new(500_00),
        max_pending_count: 2,
        max_age_secs: 3600,
    })
    .unwrap();
    let e = k.exposure().unwrap();
    assert_eq!((e.pending_count, e.pending_amount), (1, Paise::new(200_00)));
    assert_eq!(e.available, Paise::new(300_00));
    // Balance is the tighter bound now: 700 − 200 = 500 but exposure room 300.
    assert_eq!(
        code(try_pay(
            k,
            &[bill("JVVNL-BILL", "210100000005", 301)],
            false
        )),
        "exposure.amount_exceeded"
    );
    // Too old: the unsynced payment is over an hour old.
    f.clock.advance(Duration::seconds(3601));
    assert_eq!(
        code(try_pay(
            &mut f.kiosk,
            &[bill("JVVNL-BILL", "210100000006", 1)],
            false
        )),
        "exposure.age_exceeded"
    );
    let k = &mut f.kiosk;
    k.apply_wallet_snapshot(&WalletSnapshot {
        balance: Paise::new(250_00),
        as_of: f.clock.now(),
        covers_seq: 2,
        max_pending_amount: Paise::new(500_00),
        max_pending_count: 5,
        max_age_secs: 3600,
    })
    .unwrap();
    assert_eq!(
        code(try_pay(
            k,
            &[bill("JVVNL-BILL", "210100000007", 251)],
            false
        )),
        "exposure.balance_insufficient"
    );
    pay(k, "JVVNL-BILL", "210100000008", 250);
}

#[test]
fn no_wallet_figures_means_no_wallet_payments_but_cheques_go() {
    let dir = tempfile::tempdir().unwrap();
    let clock = std::sync::Arc::new(domain::FixedClock::new(t0()));
    let mut k = Kiosk::init(dir.path().join("k.db"), &init_params(), clock).unwrap();
    k.import_catalogue_toml(SAMPLE).unwrap();
    k.add_operator("op1", "Sita", "operator").unwrap();
    assert_eq!(code(k.exposure()), "exposure.no_snapshot");
    assert_eq!(
        code(try_pay(
            &mut k,
            &[bill("JVVNL-BILL", "210100000001", 10)],
            false
        )),
        "exposure.no_snapshot"
    );
    let mut d = k.start_cart();
    k.add_bill(&mut d, &bill("JVVNL-BILL", "210100000001", 10))
        .unwrap();
    k.set_contact(&mut d, None, Some("ram@example.in")).unwrap();
    k.choose_cheque(&mut d, &cheque("AO (CCC)", t0().date_naive()))
        .unwrap();
    let c = k.commit_payment(&d, "op1", false).unwrap();
    assert_eq!(c.mode, "cheque");
    assert_eq!(
        k.store().count("wallet_holds").unwrap(),
        0,
        "a cheque holds no wallet money"
    );
    let r = k.receipt(&c.receipt_no).unwrap();
    assert_eq!(r.cheque_payee.as_deref(), Some("AO (CCC)"));
}

fn cheque(payee: &str, date: NaiveDate) -> ChequeInput {
    ChequeInput {
        number: "123456".into(),
        date,
        bank: "State Bank of India".into(),
        payee: payee.into(),
    }
}

#[test]
fn cheque_rules() {
    let mut f = fixture();
    let k = &mut f.kiosk;
    let today = domain::clock::ist_date(t0());
    let mut d = k.start_cart();
    k.add_bill(&mut d, &bill("PHED-WATER", "4455667", 100))
        .unwrap();
    k.choose_cheque(
        &mut d,
        &cheque("District e-Governance Society, Jaipur", today),
    )
    .unwrap();
    assert_eq!(
        code(k.choose_cheque(&mut d, &cheque("AO (CCC)", today))),
        "cheque.payee_mismatch"
    );
    assert_eq!(
        code(k.choose_cheque(
            &mut d,
            &cheque(
                "District e-Governance Society, Jaipur",
                today + Duration::days(1)
            )
        )),
        "cheque.post_dated"
    );
    let three_months = today.checked_sub_months(chrono::Months::new(3)).unwrap();
    k.choose_cheque(
        &mut d,
        &cheque("District e-Governance Society, Jaipur", three_months),
    )
    .unwrap();
    assert_eq!(
        code(k.choose_cheque(
            &mut d,
            &cheque(
                "District e-Governance Society, Jaipur",
                three_months - Duration::days(1)
            )
        )),
        "cheque.stale"
    );
    k.add_bill(&mut d, &bill("JVVNL-BILL", "210100000001", 100))
        .unwrap();
    assert_eq!(
        code(k.choose_cheque(&mut d, &cheque("AO (CCC)", today))),
        "cheque.mixed_departments"
    );
    let mut g = k.start_cart();
    k.add_bill(&mut g, &bill("RSGL-GAS", "1234567890", 100))
        .unwrap();
    assert_eq!(
        code(k.choose_cheque(&mut g, &cheque("AO (CCC)", today))),
        "cheque.refused_by_department"
    );
    k.set_cheque_enabled(false).unwrap();
    let mut e = k.start_cart();
    k.add_bill(&mut e, &bill("JVVNL-BILL", "210100000001", 100))
        .unwrap();
    assert_eq!(
        code(k.choose_cheque(&mut e, &cheque("AO (CCC)", today))),
        "cheque.not_enabled"
    );
}

#[test]
fn cancel_writes_an_entry_and_releases_the_hold() {
    let mut f = fixture();
    let k = &mut f.kiosk;
    let c = pay(k, "JVVNL-BILL", "210100000001", 900);
    let x = k
        .cancel_receipt(&c.receipt_no, "op1", "citizen paid twice")
        .unwrap();
    assert!(x.hold_released);
    assert_eq!(x.outbox_seq, 2);
    let out = k.outbox_from(2, 10).unwrap();
    assert_eq!(out[0].entry.kind, EntryKind::Cancellation);
    let p = out[0].entry.cancellation().unwrap();
    assert_eq!(
        (p.receipt_no.as_str(), p.reason.as_str()),
        (c.receipt_no.as_str(), "citizen paid twice")
    );
    let r = k.receipt(&c.receipt_no).unwrap();
    assert_eq!(r.summary.status, "cancelled");
    assert_eq!(r.cancel_reason.as_deref(), Some("citizen paid twice"));
    assert_eq!(k.exposure().unwrap().pending_amount, Paise::ZERO);
    let before = (counts(k), fingerprint(k));
    assert_eq!(
        code(k.cancel_receipt(&c.receipt_no, "op1", "again")),
        "receipt.already_cancelled"
    );
    assert_eq!(
        code(k.cancel_receipt("K1001-001-0000099", "op1", "x")),
        "receipt.not_found"
    );
    let c2 = pay(k, "JVVNL-BILL", "210100000002", 900);
    let before2 = (counts(k), fingerprint(k));
    assert_eq!(
        code(k.cancel_receipt(&c2.receipt_no, "op1", "   ")),
        "cancel.reason_required"
    );
    assert_eq!(
        code(k.cancel_receipt(&c2.receipt_no, "ghost", "x")),
        "operator.unknown"
    );
    assert_eq!((counts(k), fingerprint(k)), before2);
    assert_ne!(before, before2);
    // Accepted, then cancelled: the hold stays settled (the centre reverses).
    k.record_outcome(
        c2.outbox_seq,
        &Outcome::Accepted {
            server_txn_id: "T9".into(),
            final_receipt_no: Some("RJ-9".into()),
        },
    )
    .unwrap();
    let x2 = k.cancel_receipt("RJ-9", "op1", "x").unwrap_err();
    assert_eq!(
        x2.code(),
        "receipt.not_found",
        "cancel takes the local number"
    );
    let x2 = k
        .cancel_receipt(&c2.receipt_no, "op1", "wrong bill")
        .unwrap();
    assert!(!x2.hold_released);
    k.verify_chain().unwrap();
}

#[test]
fn day_totals_follow_the_indian_day_and_leave_out_cancelled_and_rejected() {
    let mut f = fixture();
    let day = NaiveDate::from_ymd_opt(2026, 11, 21).unwrap();
    // 23:59:59 IST on the 21st, and 00:00:00 IST on the 22nd.
    let last = Utc.with_ymd_and_hms(2026, 11, 21, 18, 29, 59).unwrap();
    let next = Utc.with_ymd_and_hms(2026, 11, 21, 18, 30, 0).unwrap();
    let a = pay(&mut f.kiosk, "JVVNL-BILL", "210100000001", 1000);
    pay(&mut f.kiosk, "PHED-WATER", "4455667", 200);
    let c = pay(&mut f.kiosk, "JVVNL-BILL", "210100000002", 50);
    let r = pay(&mut f.kiosk, "JVVNL-BILL", "210100000003", 70);
    f.clock.set(last);
    pay(&mut f.kiosk, "JVVNL-BILL", "210100000004", 10);
    f.clock.set(next);
    pay(&mut f.kiosk, "JVVNL-BILL", "210100000005", 999);
    let k = &mut f.kiosk;
    k.cancel_receipt(&c.receipt_no, "op1", "mistake").unwrap();
    k.record_outcome(
        r.outbox_seq,
        &Outcome::Rejected {
            code: "bill.already_paid".into(),
            reason: "paid elsewhere".into(),
        },
    )
    .unwrap();
    let t = k.totals_for_day(day).unwrap();
    assert_eq!(t.receipts, 3);
    assert_eq!(t.bills, Paise::new((1000 + 200 + 10) * 100));
    assert_eq!(t.charges, Paise::new(5_00));
    assert_eq!(t.total, Paise::new((1000 + 200 + 10) * 100 + 5_00));
    assert_eq!(t.wallet_total, t.total);
    assert_eq!(t.commission, Paise::new(6_00 * 2 + 5_00));
    assert_eq!((t.cancelled, t.rejected), (1, 1));
    assert_eq!(t.by_service.len(), 2);
    let jv = t
        .by_service
        .iter()
        .find(|s| s.service_code == "JVVNL-BILL")
        .unwrap();
    assert_eq!((jv.receipts, jv.bills), (2, Paise::new(1010_00)));
    let t2 = k.totals_for_day(day.succ_opt().unwrap()).unwrap();
    assert_eq!((t2.receipts, t2.total), (1, Paise::new(999_00)));
    let all = k
        .totals(t0() - Duration::days(1), next + Duration::days(1))
        .unwrap();
    assert_eq!(all.receipts, 4);
    assert_eq!(code(k.totals(next, next)), "query.invalid");
    let _ = a;
}

#[test]
fn search_by_number_consumer_service_status_and_date_with_paging() {
    let mut f = fixture();
    for i in 0..7 {
        pay(
            &mut f.kiosk,
            "JVVNL-BILL",
            &format!("2101000000{i:02}"),
            100 + i,
        );
        f.clock.advance(Duration::minutes(1));
    }
    pay(&mut f.kiosk, "PHED-WATER", "4455667", 300);
    let k = &mut f.kiosk;
    k.cancel_receipt("K1001-001-0000002", "op1", "mistake")
        .unwrap();
    let q = |q: ReceiptQuery| k.search_receipts(&q).unwrap();

    let all = q(ReceiptQuery::default());
    assert_eq!(all.receipts.len(), 8);
    assert_eq!(
        all.receipts[0].receipt_no, "K1001-001-0000008",
        "newest first"
    );
    assert_eq!(all.receipts[0].services, "PHED-WATER");

    let p0 = q(ReceiptQuery {
        page_size: 3,
        ..Default::default()
    });
    let p2 = q(ReceiptQuery {
        page_size: 3,
        page: 2,
        ..Default::default()
    });
    assert!(p0.has_more);
    assert!(!p2.has_more);
    assert_eq!(p2.receipts.len(), 2);
    assert_eq!(p2.receipts[1].receipt_no, "K1001-001-0000001");
    // The export's single pass yields what paging yields, in the same order.
    let paged: Vec<String> = (0..3)
        .flat_map(|page| {
            q(ReceiptQuery {
                page_size: 3,
                page,
                ..Default::default()
            })
            .receipts
        })
        .map(|r| r.receipt_no)
        .collect();
    let mut streamed = Vec::new();
    k.each_receipt::<kiosk_core::CoreError>(&ReceiptQuery::default(), |r| {
        streamed.push(r.receipt_no);
        Ok(())
    })
    .unwrap();
    assert_eq!(streamed, paged);
    assert_eq!(streamed.len(), 8);

    let one = q(ReceiptQuery {
        receipt_no: Some("k1001-001-0000003".into()),
        ..Default::default()
    });
    assert_eq!(one.receipts.len(), 1);
    let by_consumer = q(ReceiptQuery {
        consumer_no: Some("2101 0000 0004".into()),
        ..Default::default()
    });
    assert_eq!(by_consumer.receipts[0].receipt_no, "K1001-001-0000005");
    let by_service = q(ReceiptQuery {
        service: Some("PHED-WATER".into()),
        ..Default::default()
    });
    assert_eq!(by_service.receipts.len(), 1);
    let cancelled = q(ReceiptQuery {
        status: Some(ReceiptStatus::Cancelled),
        ..Default::default()
    });
    assert_eq!(cancelled.receipts.len(), 1);
    assert_eq!(cancelled.receipts[0].receipt_no, "K1001-001-0000002");
    let window = q(ReceiptQuery {
        from: Some(t0() + Duration::minutes(2)),
        to: Some(t0() + Duration::minutes(4)),
        ..Default::default()
    });
    assert_eq!(
        window
            .receipts
            .iter()
            .map(|r| r.receipt_no.as_str())
            .collect::<Vec<_>>(),
        ["K1001-001-0000004", "K1001-001-0000003"]
    );
    assert_eq!(
        code(k.search_receipts(&ReceiptQuery {
            page_size: 500,
            ..Default::default()
        })),
        "query.invalid"
    );
}

#[test]
fn outcomes_finalise_reject_and_never_flip() {
    let mut f = fixture();
    let k = &mut f.kiosk;
    let a = pay(k, "JVVNL-BILL", "210100000001", 100);
    let b = pay(k, "JVVNL-BILL", "210100000002", 200);
    let c = pay(k, "JVVNL-BILL", "210100000003", 300);
    let s = k.queue_stats().unwrap();
    assert_eq!((s.last_seq, s.unsent, s.first_unsent_seq), (3, 3, Some(1)));
    let acc = Outcome::Accepted {
        server_txn_id: "TXN-1".into(),
        final_receipt_no: Some("RJ-000123".into()),
    };
    k.record_outcomes(&[
        (a.outbox_seq, acc.clone()),
        (
            b.outbox_seq,
            Outcome::Rejected {
                code: "consumer.unknown".into(),
                reason: "no such K No.".into(),
            },
        ),
        (c.outbox_seq, Outcome::Pending),
    ])
    .unwrap();
    let ra = k.receipt(&a.receipt_no).unwrap();
    assert_eq!(ra.summary.status, "final");
    assert_eq!(ra.summary.final_receipt_no.as_deref(), Some("RJ-000123"));
    assert_eq!(ra.server_txn_id.as_deref(), Some("TXN-1"));
    assert_eq!(
        k.receipt("RJ-000123").unwrap().summary.receipt_no,
        a.receipt_no
    );
    let rb = k.receipt(&b.receipt_no).unwrap();
    assert!(rb.summary.rejected && rb.summary.reconcile);
    assert_eq!(rb.reconcile_code.as_deref(), Some("consumer.unknown"));
    assert_eq!(
        code(k.cancel_receipt(&b.receipt_no, "op1", "x")),
        "receipt.rejected"
    );
    let e = k.exposure().unwrap();
    // a settled but not yet covered by a snapshot, b released, c held.
    assert_eq!(e.pending_amount, Paise::new(400_00));
    let s = k.queue_stats().unwrap();
    assert_eq!((s.unsent, s.pending, s.first_unsent_seq), (0, 1, None));

    // Replays are fine; a different final answer is refused, nothing changes.
    k.record_outcome(a.outbox_seq, &acc).unwrap();
    let before = (counts(k), fingerprint(k));
    assert_eq!(
        code(k.record_outcome(a.outbox_seq, &Outcome::Pending)),
        "outbox.outcome_conflict"
    );
    assert_eq!(
        code(k.record_outcomes(&[(c.outbox_seq, acc.clone()), (99, acc.clone())])),
        "outbox.not_found"
    );
    assert_eq!(
        (counts(k), fingerprint(k)),
        before,
        "a failed batch is rolled back whole"
    );
    k.record_outcome(c.outbox_seq, &acc).unwrap();
    assert_eq!(k.receipt(&c.receipt_no).unwrap().summary.status, "final");
    let recon = k
        .search_receipts(&ReceiptQuery {
            reconcile_only: true,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(recon.receipts.len(), 1);
}

#[test]
fn a_tampered_outbox_row_breaks_the_chain() {
    let mut f = fixture();
    for i in 0..4 {
        pay(&mut f.kiosk, "JVVNL-BILL", &format!("21010000000{i}"), 100);
    }
    assert_eq!(f.kiosk.verify_chain().unwrap().entries, 4);
    let path = f.kiosk.store().path().to_path_buf();
    // Someone with the file edits one amount in entry 2 behind the app's back.
    let raw = kiosk_store::rusqlite::Connection::open(&path).unwrap();
    raw.execute_batch("DROP TRIGGER outbox_immutable").unwrap();
    let payload: Vec<u8> = raw
        .query_row("SELECT payload FROM outbox WHERE seq = 2", [], |r| r.get(0))
        .unwrap();
    let mut p: protocol::PaymentPayload = protocol::Entry {
        format: 1,
        device_id: uuid::Uuid::nil(),
        seq: 2,
        id: uuid::Uuid::nil(),
        kind: EntryKind::Payment,
        device_time_ms: 0,
        payload,
    }
    .payment()
    .unwrap();
    p.total = Paise::new(1);
    raw.execute("UPDATE outbox SET payload = ?1 WHERE seq = 2", [p.encode()])
        .unwrap();
    drop(raw);
    let e = f.kiosk.verify_chain().unwrap_err();
    assert_eq!(e.code(), "outbox.chain_broken");
    assert!(matches!(e, CoreError::ChainBroken(2)), "{e:?}");
}

#[test]
fn catalogue_versions_only_move_forward() {
    let mut f = fixture();
    let k = &mut f.kiosk;
    let mut c = k.catalogue().unwrap().clone();
    c.version = 0;
    let before = (counts(k), fingerprint(k));
    assert_eq!(code(k.replace_catalogue(c.clone())), "catalogue.older");
    assert_eq!(
        code(k.import_catalogue_toml("version = 1\n[[service]]\ncode = 1")),
        "catalogue.invalid"
    );
    assert_eq!((counts(k), fingerprint(k)), before);
    c.version = 2;
    c.services.retain(|s| s.code != "PHED-WATER");
    k.replace_catalogue(c).unwrap();
    assert_eq!(
        code(try_pay(k, &[bill("PHED-WATER", "4455667", 1)], false)),
        "service.unknown"
    );
    let path = k.store().path().to_path_buf();
    let k2 = Kiosk::open(&path, f.clock.clone()).unwrap();
    assert_eq!(
        k2.catalogue().unwrap().version,
        2,
        "the cache survives a restart"
    );
}

#[test]
fn fetched_bills_are_kept_and_the_latest_is_found() {
    let mut f = fixture();
    let k = &mut f.kiosk;
    assert_eq!(k.fetched_bill("JVVNL-BILL", "210100000001").unwrap(), None);
    k.record_fetched_bill(
        "JVVNL-BILL",
        "2101 0000 0001",
        Some("राम लाल"),
        Some("B-1"),
        Paise::new(1200_00),
        None,
        Some(b"{}"),
    )
    .unwrap();
    f.clock.advance(Duration::minutes(5));
    let k = &mut f.kiosk;
    let due = NaiveDate::from_ymd_opt(2026, 12, 5);
    k.record_fetched_bill(
        "JVVNL-BILL",
        "210100000001",
        None,
        Some("B-2"),
        Paise::new(1250_00),
        due,
        None,
    )
    .unwrap();
    let b = k
        .fetched_bill("JVVNL-BILL", "2101 0000 0001")
        .unwrap()
        .unwrap();
    assert_eq!(
        (b.bill_ref.as_deref(), b.amount, b.due_date),
        (Some("B-2"), Paise::new(1250_00), due)
    );
    let before = (
        counts(k),
        fingerprint(k),
        k.store().count("fetched_bills").unwrap(),
    );
    assert_eq!(
        code(k.record_fetched_bill("JVVNL-BILL", "12", None, None, Paise::new(1), None, None)),
        "consumer_no.invalid"
    );
    assert_eq!(
        code(k.record_fetched_bill(
            "JVVNL-BILL",
            "210100000001",
            None,
            None,
            Paise::new(-1),
            None,
            None
        )),
        "money.negative"
    );
    assert_eq!(
        (
            counts(k),
            fingerprint(k),
            k.store().count("fetched_bills").unwrap()
        ),
        before
    );
}

#[test]
fn commissions_group_by_the_indian_day_and_month_and_query_totals_match_the_day_totals() {
    use kiosk_core::{Period, ReceiptQuery, ReceiptSort, SortColumn};
    let mut f = fixture();
    // 23:59:59 IST on 30 November and 00:00:00 IST on 1 December.
    let last = Utc.with_ymd_and_hms(2026, 11, 30, 18, 29, 59).unwrap();
    let next = Utc.with_ymd_and_hms(2026, 11, 30, 18, 30, 0).unwrap();
    f.clock.set(last);
    pay(&mut f.kiosk, "JVVNL-BILL", "210100000011", 100);
    pay(&mut f.kiosk, "PHED-WATER", "4455601", 40);
    f.clock.set(next);
    pay(&mut f.kiosk, "JVVNL-BILL", "210100000012", 300);
    let c = pay(&mut f.kiosk, "JVVNL-BILL", "210100000013", 7);
    f.kiosk
        .cancel_receipt(&c.receipt_no, "op1", "mistake")
        .unwrap();
    let k = &f.kiosk;
    let (from, to) = (last - Duration::days(1), next + Duration::days(1));
    let days = k.commission_report(from, to, None, Period::Day).unwrap();
    let keys: Vec<(&str, &str, i64)> = days
        .iter()
        .map(|r| (r.period.as_str(), r.service_code.as_str(), r.bills.as_i64()))
        .collect();
    assert_eq!(
        keys,
        [
            ("2026-11-30", "JVVNL-BILL", 100_00),
            ("2026-11-30", "PHED-WATER", 40_00),
            ("2026-12-01", "JVVNL-BILL", 300_00),
        ]
    );
    let months = k.commission_report(from, to, None, Period::Month).unwrap();
    assert_eq!(
        months.iter().map(|r| r.period.as_str()).collect::<Vec<_>>(),
        ["2026-11", "2026-11", "2026-12"]
    );
    let only = k
        .commission_report(from, to, Some("PHED-WATER"), Period::Month)
        .unwrap();
    assert_eq!(only.len(), 1);
    assert_eq!(
        code(k.commission_report(to, from, None, Period::Day)),
        "query.invalid"
    );
    // The totals of a query are the day totals over the same range.
    let q = ReceiptQuery {
        from: Some(from),
        to: Some(to),
        ..Default::default()
    };
    let qt = k.query_totals(&q).unwrap();
    let t = k.totals(from, to).unwrap();
    assert_eq!(
        (qt.receipts, qt.total, qt.commission),
        (t.receipts, t.total, t.commission)
    );
    assert_eq!((qt.matched, qt.cancelled), (4, 1));
    let sum: i64 = days.iter().map(|r| r.total.as_i64()).sum();
    assert_eq!(sum, t.total.as_i64());
    // Sorted by amount both ways; filters by operator, mode and mobile.
    for descending in [false, true] {
        let p = k
            .search_receipts(&ReceiptQuery {
                sort: ReceiptSort {
                    column: SortColumn::Total,
                    descending,
                },
                ..q.clone()
            })
            .unwrap();
        let totals: Vec<i64> = p.receipts.iter().map(|r| r.total.as_i64()).collect();
        let mut want = totals.clone();
        want.sort();
        if descending {
            want.reverse();
        }
        assert_eq!(totals, want);
    }
    let by = |o: Option<&str>, m: Option<&str>, mob: Option<&str>| {
        k.search_receipts(&ReceiptQuery {
            operator: o.map(String::from),
            mode: m.map(String::from),
            mobile: mob.map(String::from),
            ..q.clone()
        })
        .map(|p| p.receipts.len())
    };
    assert_eq!(by(Some("op1"), None, None).unwrap(), 4);
    assert_eq!(by(Some("nobody"), None, None).unwrap(), 0);
    assert_eq!(by(None, Some("cheque"), None).unwrap(), 0);
    assert_eq!(by(None, None, Some("9876543210")).unwrap(), 4);
    assert_eq!(code(by(None, Some("cash"), None)), "query.invalid");
    assert_eq!(SortColumn::parse("total; DROP TABLE receipts"), None);
}

#[test]
fn receipts_and_entries_are_dated_by_the_centres_clock_whatever_the_pcs_says() {
    let mut f = fixture();
    let truth = f.clock.now();
    let entry_time = |k: &Kiosk, seq: u64| -> i64 {
        k.store()
            .conn()
            .query_row(
                "SELECT device_time_ms FROM outbox WHERE seq = ?1",
                [seq as i64],
                |r| r.get(0),
            )
            .unwrap()
    };
    // The PC's clock is 90 days ahead, and a sync measured it so.
    f.clock.change_wall(Duration::days(90));
    let offset = -Duration::days(90).num_milliseconds();
    f.kiosk.set_centre_offset(offset).unwrap();
    let a = pay(&mut f.kiosk, "JVVNL-BILL", "210100000101", 500);
    assert_eq!(a.created_at, truth);
    assert_eq!(entry_time(&f.kiosk, a.outbox_seq), truth.timestamp_millis());
    // Filed under the true day, in the day's totals and the receipt.
    let day = domain::clock::ist_date(truth);
    assert_eq!(f.kiosk.totals_for_day(day).unwrap().receipts, 1);
    assert_eq!(
        f.kiosk.receipt(&a.receipt_no).unwrap().summary.created_at,
        truth
    );
    // Another connection (the stored offset) dates alike.
    let mut other = Kiosk::open(&f.db, f.clock.clone()).unwrap();
    assert_eq!(other.clock().now(), truth);

    // The engine learns the centre's time on the monotonic clock; then
    // someone sets the PC's date 92 days back (2 days behind the truth).
    f.kiosk
        .centre_clock()
        .learn(truth.timestamp_millis(), offset, f.clock.monotonic());
    other.share_clock(&f.kiosk);
    f.clock.advance(Duration::minutes(5));
    f.clock.change_wall(-Duration::days(92));
    assert_eq!(
        f.kiosk.centre_clock().pc_moved_ms(),
        Some(-Duration::days(92).num_milliseconds())
    );
    // The same bill again minutes later is still a duplicate to confirm.
    let e = try_pay(
        &mut other,
        &[bill("JVVNL-BILL", "210100000101", 500)],
        false,
    )
    .unwrap_err();
    assert_eq!(e.code(), "payment.duplicate_unconfirmed");
    let b = pay(&mut other, "JVVNL-BILL", "210100000102", 300);
    assert_eq!(b.created_at, truth + Duration::minutes(5));
    assert_eq!(
        entry_time(&other, b.outbox_seq),
        (truth + Duration::minutes(5)).timestamp_millis()
    );
    assert_eq!(f.kiosk.totals_for_day(day).unwrap().receipts, 2);
    // Cheque dates follow the centre's date too: today's goes, and one
    // dated today by the PC's (two days behind) stays good, while the
    // centre's tomorrow is post-dated.
    let payee = "District e-Governance Society, Jaipur";
    let mut d = other.start_cart();
    other
        .add_bill(&mut d, &bill("PHED-WATER", "4455668", 200))
        .unwrap();
    let today = domain::clock::ist_date(truth);
    other.choose_cheque(&mut d, &cheque(payee, today)).unwrap();
    let pc_today = domain::clock::ist_date(f.clock.now());
    assert_eq!(pc_today, today - Duration::days(2));
    other
        .choose_cheque(&mut d, &cheque(payee, pc_today))
        .unwrap();
    assert_eq!(
        code(other.choose_cheque(&mut d, &cheque(payee, today + Duration::days(1)))),
        "cheque.post_dated"
    );
}
