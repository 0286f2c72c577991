//! Refill requests through the outbox: one entry and one row per request,
//! in one transaction; bad input refused with its code and nothing stored;
//! the centre's answer and updates move it from queued to pending to
//! credited or rejected. The offline room counts the security deposit's
//! limit, and no further.

mod common;

use common::*;
use domain::{ErrorCode, Paise};
use kiosk_core::sync::WalletSnapshot;
use kiosk_core::{Kiosk, Outcome, RefillInput};
use protocol::EntryKind;
use protocol::refills::{RefillPayload, RefillUpdate, WalletTerms};

fn input(rupees: i64, mode: &str, reference: Option<&str>) -> RefillInput {
    RefillInput {
        amount: Paise::new(rupees * 100),
        mode: mode.into(),
        reference: reference.map(str::to_string),
    }
}

/// Everything a refused call must leave as it was.
fn state(k: &Kiosk) -> (Vec<(&'static str, i64)>, String, String) {
    let rows: String = k
        .store()
        .conn()
        .query_row(
            "SELECT COALESCE(group_concat(id || ':' || status || ':' || update_id, ','), '') FROM refill_requests",
            [],
            |r| r.get(0),
        )
        .unwrap();
    (counts(k), fingerprint(k), rows)
}

fn code<T: std::fmt::Debug>(r: kiosk_core::Result<T>) -> String {
    r.expect_err("refused").code().to_string()
}

fn update(id: i64, r: uuid::Uuid, status: &str, txn: Option<i64>, reason: &str) -> RefillUpdate {
    RefillUpdate {
        id,
        request_id: r,
        status: status.into(),
        amount: Paise::new(25_000_00),
        txn_id: txn,
        reason: reason.into(),
        at_ms: t0().timestamp_millis(),
    }
}

#[test]
fn a_request_is_one_entry_and_one_row_and_follows_the_centre() {
    let mut f = fixture();
    let k = &mut f.kiosk;
    let r = k
        .request_refill(
            "holder",
            &input(25_000, "neft_rtgs", Some(" sbin 0261 1340 0123")),
        )
        .unwrap();
    assert_eq!(r.outbox_seq, 1);
    let e = &k.outbox_from(1, 10).unwrap()[0];
    assert_eq!(e.entry.kind, EntryKind::RefillRequest);
    assert_eq!(
        RefillPayload::decode(&e.entry.payload).unwrap(),
        RefillPayload {
            request_id: r.id,
            requested_by: "holder".into(),
            amount: Paise::new(25_000_00),
            mode: "neft_rtgs".into(),
            reference: Some("SBIN026113400123".into()),
        }
    );
    k.verify_chain().unwrap();
    let l = k.refill_requests(10).unwrap();
    assert_eq!(l.len(), 1);
    assert_eq!((l[0].id, l[0].state.as_str()), (r.id, "queued"));
    assert_eq!(l[0].reference.as_deref(), Some("SBIN026113400123"));

    // At the centre: pending until credited.
    k.record_outcome(
        1,
        &Outcome::Accepted {
            server_txn_id: "77".into(),
            final_receipt_no: None,
        },
    )
    .unwrap();
    assert_eq!(k.refill_requests(10).unwrap()[0].state, "pending");
    let a = k
        .record_refill_updates(&[
            update(3, r.id, "pending", None, ""),
            update(4, r.id, "credited", Some(9001), ""),
            // Another device's request: not held here.
            update(5, uuid::Uuid::from_u128(5), "credited", Some(9002), ""),
        ])
        .unwrap();
    assert_eq!((a.stored, a.skipped), (2, 1));
    let l = k.refill_requests(10).unwrap();
    assert_eq!((l[0].state.as_str(), l[0].txn_id), ("credited", Some(9001)));
    // An older update pulled again changes nothing.
    let a = k
        .record_refill_updates(&[update(3, r.id, "pending", None, "")])
        .unwrap();
    assert_eq!((a.stored, a.skipped), (0, 1));
    assert_eq!(k.refill_requests(10).unwrap()[0].state, "credited");
    // A centre restored from a backup numbers its updates again: after the
    // rewind its word is taken whatever the id.
    assert_eq!(k.rewind_refill_updates().unwrap(), 1);
    let a = k
        .record_refill_updates(&[update(2, r.id, "pending", None, "")])
        .unwrap();
    assert_eq!((a.stored, a.skipped), (1, 0));
    assert_eq!(k.refill_requests(10).unwrap()[0].state, "pending");
}

#[test]
fn bad_input_is_refused_with_its_code_and_nothing_is_stored() {
    let mut f = fixture();
    let k = &mut f.kiosk;
    k.request_refill("holder", &input(10_000, "transfer", Some("TRF-0001")))
        .unwrap();
    let before = state(k);
    for (i, c) in [
        (input(0, "net_banking", None), "refill.amount_invalid"),
        (
            input(10_00_001, "net_banking", None),
            "refill.amount_invalid",
        ),
        (input(100, "cash", None), "refill.mode_unknown"),
        (input(100, "", None), "refill.mode_unknown"),
        (input(100, "neft_rtgs", None), "refill.reference_required"),
        (
            input(100, "neft_rtgs", Some("   ")),
            "refill.reference_required",
        ),
        (input(100, "transfer", None), "refill.reference_required"),
        (
            input(100, "neft_rtgs", Some("SBIN12")),
            "refill.reference_invalid",
        ),
        (
            input(100, "net_banking", Some("UTR#1234567")),
            "refill.reference_invalid",
        ),
        (
            input(100, "transfer", Some("trf-0001")),
            "refill.duplicate_reference",
        ),
    ] {
        assert_eq!(code(k.request_refill("holder", &i)), c, "{i:?}");
        assert_eq!(state(k), before, "{i:?} stored something");
    }
    assert_eq!(
        code(k.request_refill("nobody", &input(100, "net_banking", None))),
        "operator.unknown"
    );
    assert_eq!(state(k), before);
}

#[test]
fn a_refused_or_rejected_request_frees_its_reference() {
    let mut f = fixture();
    let k = &mut f.kiosk;
    let a = k
        .request_refill("holder", &input(5_000, "transfer", Some("TRF-0002")))
        .unwrap();
    k.record_outcome(
        a.outbox_seq,
        &Outcome::Rejected {
            code: "auth.holder_only".into(),
            reason: "op1 is not a holder".into(),
        },
    )
    .unwrap();
    let l = k.refill_requests(10).unwrap();
    assert_eq!(
        (l[0].state.as_str(), l[0].refused_code.as_deref()),
        ("refused", Some("auth.holder_only"))
    );
    let b = k
        .request_refill("holder", &input(5_000, "transfer", Some("TRF-0002")))
        .unwrap();
    k.record_outcome(
        b.outbox_seq,
        &Outcome::Accepted {
            server_txn_id: "8".into(),
            final_receipt_no: None,
        },
    )
    .unwrap();
    k.record_refill_updates(&[update(
        1,
        b.id,
        "rejected",
        None,
        "No transfer arrived\u{202E}",
    )])
    .unwrap();
    let l = k.refill_requests(10).unwrap();
    assert_eq!(l[0].id, b.id, "newest first");
    assert_eq!(
        (l[0].state.as_str(), l[0].reason.as_deref()),
        ("rejected", Some("No transfer arrived"))
    );
    k.request_refill("holder", &input(5_000, "transfer", Some("TRF-0002")))
        .unwrap();
    assert_eq!(k.refill_requests(10).unwrap().len(), 3);
}

#[test]
fn the_offline_room_counts_the_deposit_limit_and_no_further() {
    let mut f = fixture();
    let k = &mut f.kiosk;
    k.apply_wallet_snapshot(&WalletSnapshot {
        balance: Paise::new(1_000_00),
        as_of: t0(),
        covers_seq: 0,
        max_pending_amount: Paise::new(50_000_00),
        max_pending_count: 100,
        max_age_secs: 86_400,
    })
    .unwrap();
    assert_eq!(k.exposure().unwrap().available, Paise::new(1_000_00));
    assert!(k.dues().unwrap().is_none());
    k.apply_wallet_terms(
        &WalletTerms {
            deposit_limit: Paise::new(5_000_00),
            ..Default::default()
        },
        t0(),
    )
    .unwrap();
    let e = k.exposure().unwrap();
    assert_eq!(
        (e.deposit_limit, e.available),
        (Paise::new(5_000_00), Paise::new(6_000_00))
    );
    pay(k, "JVVNL-BILL", "210100000001", 4_000);
    assert_eq!(k.exposure().unwrap().available, Paise::new(2_000_00));
    let before = (counts(k), fingerprint(k));
    let refused = try_pay(k, &[bill("JVVNL-BILL", "210100000002", 2_001)], false);
    assert_eq!(code(refused), "exposure.balance_insufficient");
    assert_eq!((counts(k), fingerprint(k)), before);
    pay(k, "JVVNL-BILL", "210100000003", 2_000);
    assert_eq!(k.exposure().unwrap().available, Paise::ZERO);

    // The centre's dues figures are kept as they came.
    k.apply_wallet_terms(
        &WalletTerms {
            deposit_limit: Paise::new(5_000_00),
            dues: Paise::new(5_000_00),
            since_ms: Some(t0().timestamp_millis()),
            due_date: Some("2026-11-23".into()),
            interest: Paise::new(246),
        },
        t0(),
    )
    .unwrap();
    let d = k.dues().unwrap().unwrap();
    assert_eq!(d.dues, Paise::new(5_000_00));
    assert_eq!(d.due_date.unwrap().to_string(), "2026-11-23");
    assert_eq!((d.interest, d.since), (Paise::new(246), Some(t0())));
    let bad = WalletTerms {
        due_date: Some("23-11-2026".into()),
        ..Default::default()
    };
    assert_eq!(code(k.apply_wallet_terms(&bad, t0())), "wallet.invalid");
    // A withdrawn limit: the room is the balance's again.
    k.apply_wallet_terms(&WalletTerms::default(), t0()).unwrap();
    assert_eq!(k.exposure().unwrap().available, Paise::ZERO);
}
