#![allow(clippy::inconsistent_digit_grouping)] // amounts written as rupees_paise
//! Every invalid input is refused with its own code and changes nothing:
//! row counts, the outbox (seq, hashes, outcomes), receipts, holds and
//! settings are compared before and after each refused call.

mod common;

use chrono::{Duration, NaiveDate};
use common::*;
use domain::{ErrorCode, Paise};
use kiosk_core::{BillInput, ChequeInput, Kiosk, Outcome, WalletSnapshot};

type Case = (
    &'static str,
    Box<dyn Fn(&mut Kiosk) -> kiosk_core::Result<()>>,
);

fn cart_with(k: &Kiosk, bills: &[BillInput]) -> kiosk_core::Draft {
    let mut d = k.start_cart();
    for b in bills {
        k.add_bill(&mut d, b).unwrap();
    }
    d
}

fn cheque(payee: &str, date: NaiveDate, number: &str, bank: &str) -> ChequeInput {
    ChequeInput {
        number: number.into(),
        date,
        bank: bank.into(),
        payee: payee.into(),
    }
}

fn amount(b: BillInput, paise: i64) -> BillInput {
    BillInput {
        amount: Paise::new(paise),
        ..b
    }
}

#[test]
fn every_invalid_input_has_its_code_and_changes_nothing() {
    let mut f = fixture();
    // Some history so that duplicates, cancels and outcomes have targets.
    let paid = pay(&mut f.kiosk, "JVVNL-BILL", "210100000001", 500);
    let cancelled = pay(&mut f.kiosk, "JVVNL-BILL", "210100000002", 500);
    f.kiosk
        .cancel_receipt(&cancelled.receipt_no, "op1", "test")
        .unwrap();
    f.kiosk
        .add_operator("gone", "Left the kiosk", "operator")
        .unwrap();
    f.kiosk.set_operator_active("gone", false).unwrap();
    let today = domain::clock::ist_date(t0());
    let (paid_no, paid_no2) = (paid.receipt_no.clone(), paid.receipt_no.clone());
    let jv = || bill("JVVNL-BILL", "210100000777", 100);

    let cases: Vec<Case> = vec![
        (
            "service.unknown",
            Box::new(|k| try_pay(k, &[bill("NOPE", "1", 1)], false).map(drop)),
        ),
        (
            "service.online_only",
            Box::new(|k| {
                try_pay(k, &[bill("MOBILE-RECHARGE", "9876543210", 199)], false).map(drop)
            }),
        ),
        (
            "consumer_no.invalid",
            Box::new(|k| try_pay(k, &[bill("JVVNL-BILL", "21010000000", 1)], false).map(drop)),
        ),
        (
            "consumer_no.invalid",
            Box::new(|k| try_pay(k, &[bill("JVVNL-BILL", "२१०१००००००००", 1)], false).map(drop)),
        ),
        (
            "money.zero",
            Box::new(move |k| try_pay(k, &[amount(jv(), 0)], false).map(drop)),
        ),
        (
            "money.negative",
            Box::new(move |k| try_pay(k, &[amount(jv(), -100)], false).map(drop)),
        ),
        (
            "money.overflow",
            Box::new(move |k| try_pay(k, &[amount(jv(), i64::MAX)], false).map(drop)),
        ),
        (
            "cart.duplicate_line",
            Box::new(move |k| try_pay(k, &[jv(), jv()], false).map(drop)),
        ),
        (
            "text.invalid",
            Box::new(move |k| {
                try_pay(
                    k,
                    &[BillInput {
                        consumer_name: Some("a\u{7}b".into()),
                        ..jv()
                    }],
                    false,
                )
                .map(drop)
            }),
        ),
        ("cart.empty", Box::new(|k| try_pay(k, &[], false).map(drop))),
        (
            "payment.duplicate_unconfirmed",
            Box::new(|k| try_pay(k, &[bill("JVVNL-BILL", "210100000001", 500)], false).map(drop)),
        ),
        (
            "contact.required",
            Box::new(move |k| {
                let mut d = cart_with(k, &[jv()]);
                k.choose_wallet(&mut d);
                k.commit_payment(&d, "op1", false).map(drop)
            }),
        ),
        (
            "contact.required",
            Box::new(move |k| {
                let mut d = cart_with(k, &[jv()]);
                k.set_contact(&mut d, Some("  "), Some("")).map(drop)
            }),
        ),
        (
            "contact.mobile_invalid",
            Box::new(move |k| {
                let mut d = cart_with(k, &[jv()]);
                k.set_contact(&mut d, Some("5876543210"), None)
            }),
        ),
        (
            "contact.email_invalid",
            Box::new(move |k| {
                let mut d = cart_with(k, &[jv()]);
                k.set_contact(&mut d, None, Some("ram@"))
            }),
        ),
        (
            "payment.mode_required",
            Box::new(move |k| {
                let mut d = cart_with(k, &[jv()]);
                k.set_contact(&mut d, Some("9876543210"), None)?;
                k.commit_payment(&d, "op1", false).map(drop)
            }),
        ),
        (
            "operator.unknown",
            Box::new(move |k| {
                let mut d = cart_with(k, &[jv()]);
                k.set_contact(&mut d, Some("9876543210"), None)?;
                k.choose_wallet(&mut d);
                k.commit_payment(&d, "nobody", false).map(drop)
            }),
        ),
        (
            "operator.inactive",
            Box::new(move |k| {
                let mut d = cart_with(k, &[jv()]);
                k.set_contact(&mut d, Some("9876543210"), None)?;
                k.choose_wallet(&mut d);
                k.commit_payment(&d, "gone", false).map(drop)
            }),
        ),
        (
            "cheque.number_invalid",
            Box::new(move |k| {
                let mut d = cart_with(k, &[jv()]);
                k.choose_cheque(&mut d, &cheque("AO (CCC)", today, "12345", "SBI"))
            }),
        ),
        (
            "cheque.bank_required",
            Box::new(move |k| {
                let mut d = cart_with(k, &[jv()]);
                k.choose_cheque(&mut d, &cheque("AO (CCC)", today, "123456", " "))
            }),
        ),
        (
            "cheque.post_dated",
            Box::new(move |k| {
                let mut d = cart_with(k, &[jv()]);
                k.choose_cheque(
                    &mut d,
                    &cheque("AO (CCC)", today + Duration::days(1), "123456", "SBI"),
                )
            }),
        ),
        (
            "cheque.stale",
            Box::new(move |k| {
                let mut d = cart_with(k, &[jv()]);
                k.choose_cheque(
                    &mut d,
                    &cheque("AO (CCC)", today - Duration::days(93), "123456", "SBI"),
                )
            }),
        ),
        (
            "cheque.payee_mismatch",
            Box::new(move |k| {
                let mut d = cart_with(k, &[jv()]);
                k.choose_cheque(
                    &mut d,
                    &cheque(
                        "District e-Governance Society, Jaipur",
                        today,
                        "123456",
                        "SBI",
                    ),
                )
            }),
        ),
        (
            "cheque.mixed_departments",
            Box::new(move |k| {
                let mut d = cart_with(k, &[jv(), bill("PHED-WATER", "4455667", 1)]);
                k.choose_cheque(&mut d, &cheque("AO (CCC)", today, "123456", "SBI"))
            }),
        ),
        (
            "cheque.refused_by_department",
            Box::new(move |k| {
                let mut d = cart_with(k, &[bill("RSGL-GAS", "1234567890", 1)]);
                k.choose_cheque(&mut d, &cheque("AO (CCC)", today, "123456", "SBI"))
            }),
        ),
        (
            "exposure.amount_exceeded",
            Box::new(|k| {
                try_pay(k, &[bill("JVVNL-BILL", "210100000888", 6_00_000)], false).map(drop)
            }),
        ),
        (
            "cart.no_such_line",
            Box::new(move |k| {
                let mut d = cart_with(k, &[jv()]);
                k.remove_bill(&mut d, 3)
            }),
        ),
        (
            "cancel.reason_required",
            Box::new(move |k| k.cancel_receipt(&paid_no, "op1", "").map(drop)),
        ),
        (
            "receipt.not_found",
            Box::new(|k| k.cancel_receipt("K1001-001-0009999", "op1", "x").map(drop)),
        ),
        (
            "receipt.already_cancelled",
            Box::new(move |k| {
                k.cancel_receipt(&cancelled.receipt_no, "op1", "x")
                    .map(drop)
            }),
        ),
        (
            "text.invalid",
            Box::new(move |k| {
                k.cancel_receipt(&paid_no2, "op1", &"x".repeat(201))
                    .map(drop)
            }),
        ),
        (
            "outbox.not_found",
            Box::new(|k| k.record_outcome(42, &Outcome::Pending)),
        ),
        (
            "wallet.invalid",
            Box::new(|k| {
                k.apply_wallet_snapshot(&WalletSnapshot {
                    balance: Paise::new(1),
                    as_of: t0(),
                    covers_seq: 0,
                    max_pending_amount: Paise::new(-1),
                    max_pending_count: 1,
                    max_age_secs: 1,
                })
            }),
        ),
        (
            "catalogue.invalid",
            Box::new(|k| k.import_catalogue_toml("version = 'x'").map(drop)),
        ),
        (
            "operator.login_invalid",
            Box::new(|k| k.add_operator("A B", "x", "operator").map(drop)),
        ),
        (
            "operator.role_invalid",
            Box::new(|k| k.add_operator("abc", "x", "root").map(drop)),
        ),
        (
            "operator.exists",
            Box::new(|k| k.add_operator("op1", "x", "operator").map(drop)),
        ),
        (
            "operator.unknown",
            Box::new(|k| k.set_operator_active("nobody", true)),
        ),
    ];

    let mut seen = std::collections::BTreeSet::new();
    for (want, case) in &cases {
        let before = (counts(&f.kiosk), fingerprint(&f.kiosk));
        let got = case(&mut f.kiosk).expect_err(want);
        assert_eq!(got.code(), *want, "{got}");
        assert_eq!(
            (counts(&f.kiosk), fingerprint(&f.kiosk)),
            before,
            "{want}: the database changed"
        );
        seen.insert(*want);
    }
    assert!(seen.len() >= 30, "{} distinct codes", seen.len());
    f.kiosk.verify_chain().unwrap();

    // Init refuses bad identities and leaves no kiosk behind.
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("k.db");
    type Spoil = Box<dyn Fn(&mut kiosk_core::InitParams)>;
    let bad_inits: Vec<(&str, Spoil)> = vec![
        (
            "kiosk_code.invalid",
            Box::new(|i| i.kiosk_code = "12".into()),
        ),
        ("device_no.invalid", Box::new(|i| i.device_no = 0)),
        (
            "kiosk.district_required",
            Box::new(|i| i.district = " ".into()),
        ),
        (
            "kiosk.name_required",
            Box::new(|i| i.kiosk_name = "".into()),
        ),
        (
            "operator.login_invalid",
            Box::new(|i| i.holder_login = "X".into()),
        ),
    ];
    for (want, tweak) in bad_inits {
        let mut params = init_params();
        tweak(&mut params);
        let e = Kiosk::init(&p, &params, f.clock.clone()).unwrap_err();
        assert_eq!(e.code(), want);
        if p.exists() {
            let s = kiosk_store::Store::open(&p).unwrap();
            assert_eq!(s.count("settings").unwrap(), 0);
            assert_eq!(s.count("operators").unwrap(), 0);
        }
    }
    assert_eq!(
        Kiosk::open(&p, f.clock.clone()).unwrap_err().code(),
        "kiosk.not_initialised"
    );
}
