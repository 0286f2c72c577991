#![allow(clippy::inconsistent_digit_grouping)]
//! Random sequences of counter and sync operations against a small model:
//! whatever order payments, duplicates, cancellations and outcomes come in,
//! the chain verifies, refused operations change nothing, and totals and
//! pending wallet debits equal what the model says.

mod common;

use chrono::Duration;
use common::*;
use domain::{Clock, ErrorCode, Paise};
use kiosk_core::Outcome;
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Op {
    Pay {
        bills: Vec<(usize, usize, i64)>,
        confirm: bool,
        cheque: bool,
    },
    Cancel(usize),
    Answer {
        seq: usize,
        kind: u8,
    },
    Wait(i64),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (proptest::collection::vec((0..2usize, 0..4usize, 1..50_000i64), 1..4), any::<bool>(), proptest::bool::weighted(0.2))
            .prop_map(|(bills, confirm, cheque)| Op::Pay { bills, confirm, cheque }),
        1 => (0..20usize).prop_map(Op::Cancel),
        2 => (0..30usize, 0..3u8).prop_map(|(seq, kind)| Op::Answer { seq, kind }),
        1 => (1..24 * 20i64).prop_map(Op::Wait),
    ]
}

#[derive(Debug, Clone)]
struct R {
    no: String,
    total: Paise,
    wallet: bool,
    cancelled: bool,
    rejected: bool,
    accepted: bool,
    released: bool,
}

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(24)
}

proptest! {
    // 24 cases by default; PROPTEST_CASES=N for a longer search.
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]
    #[test]
    fn the_ledger_matches_the_model(ops in proptest::collection::vec(op(), 1..40)) {
        let mut f = fixture();
        let mut receipts: Vec<R> = Vec::new();
        // seq → (receipt index, is payment, answered finally)
        let mut entries: Vec<(usize, bool, bool)> = Vec::new();
        let services = [("JVVNL-BILL", "2101000000"), ("AVVNL-BILL", "3101000000")];
        for op in ops {
            let before = (counts(&f.kiosk), fingerprint(&f.kiosk));
            let ok = match &op {
                Op::Pay { bills, confirm, cheque } => {
                    let k = &mut f.kiosk;
                    let mut d = k.start_cart();
                    let mut added = true;
                    for (s, c, rupees) in bills {
                        let (svc, prefix) = services[*s];
                        // Same service and consumer twice in one cart is refused by the cart.
                        if k.add_bill(&mut d, &bill(svc, &format!("{prefix}{c:02}"), *rupees)).is_err() {
                            added = false;
                        }
                    }
                    k.set_contact(&mut d, Some("9876543210"), None).unwrap();
                    if *cheque && d.cart.lines.iter().all(|l| l.department == d.cart.lines[0].department) {
                        k.choose_cheque(&mut d, &kiosk_core::ChequeInput {
                            number: "123456".into(),
                            date: domain::clock::ist_date(f.clock.now()),
                            bank: "SBI".into(),
                            payee: "AO (CCC)".into(),
                        }).unwrap();
                    } else {
                        k.choose_wallet(&mut d);
                    }
                    match k.commit_payment(&d, "op1", *confirm) {
                        Ok(c) => {
                            prop_assert!(added || !d.cart.is_empty());
                            prop_assert_eq!(c.outbox_seq as usize, entries.len() + 1);
                            receipts.push(R {
                                no: c.receipt_no.clone(),
                                total: c.total,
                                wallet: c.mode == "wallet",
                                cancelled: false,
                                rejected: false,
                                accepted: false,
                                released: false,
                            });
                            entries.push((receipts.len() - 1, true, false));
                            true
                        }
                        Err(e) => {
                            match e.code() {
                                "payment.duplicate_unconfirmed" => prop_assert!(!confirm),
                                c => prop_assert!(c.starts_with("exposure."), "{}", e),
                            }
                            false
                        }
                    }
                }
                Op::Cancel(i) => {
                    if receipts.is_empty() { continue; }
                    let i = i % receipts.len();
                    let no = receipts[i].no.clone();
                    match f.kiosk.cancel_receipt(&no, "op1", "model") {
                        Ok(x) => {
                            let r = &mut receipts[i];
                            prop_assert!(!r.cancelled && !r.rejected);
                            prop_assert_eq!(x.hold_released, r.wallet && !r.accepted);
                            r.cancelled = true;
                            if x.hold_released { r.released = true; }
                            entries.push((i, false, false));
                            true
                        }
                        Err(e) => {
                            let r = &receipts[i];
                            prop_assert!(r.cancelled || r.rejected, "{}", e);
                            false
                        }
                    }
                }
                Op::Answer { seq, kind } => {
                    if entries.is_empty() { continue; }
                    let s = seq % entries.len();
                    let o = match kind {
                        0 => Outcome::Accepted { server_txn_id: format!("T{s}"), final_receipt_no: Some(format!("RJ{s}")) },
                        1 => Outcome::Rejected { code: "x.y".into(), reason: "model".into() },
                        _ => Outcome::Pending,
                    };
                    match f.kiosk.record_outcome(s as u64 + 1, &o) {
                        Ok(()) => {
                            let (ri, is_payment, answered) = entries[s];
                            if answered { true } else {
                                if kind < &2 { entries[s].2 = true; }
                                let r = &mut receipts[ri];
                                if is_payment && *kind == 0 { r.accepted = true; }
                                if is_payment && *kind == 1 { r.rejected = true; if r.wallet { r.released = true; } }
                                true
                            }
                        }
                        Err(e) => {
                            prop_assert_eq!(e.code(), "outbox.outcome_conflict");
                            prop_assert!(entries[s].2);
                            false
                        }
                    }
                }
                Op::Wait(h) => { f.clock.advance(Duration::hours(*h)); continue; }
            };
            if !ok {
                prop_assert_eq!((counts(&f.kiosk), fingerprint(&f.kiosk)), before);
            }
        }
        let k = &f.kiosk;
        prop_assert_eq!(k.verify_chain().unwrap().entries as usize, entries.len());
        let t = k.totals(t0() - Duration::days(1), f.clock.now() + Duration::days(1)).unwrap();
        let taken: Vec<&R> = receipts.iter().filter(|r| !r.cancelled && !r.rejected).collect();
        prop_assert_eq!(t.receipts as usize, taken.len());
        prop_assert_eq!(t.total, Paise::try_sum(taken.iter().map(|r| r.total)).unwrap());
        let pending = Paise::try_sum(receipts.iter().filter(|r| r.wallet && !r.released).map(|r| r.total)).unwrap();
        prop_assert_eq!(k.exposure().unwrap().pending_amount, pending);
        prop_assert_eq!(t.by_service.iter().map(|s| s.total.as_i64()).sum::<i64>(), t.total.as_i64());
    }
}
