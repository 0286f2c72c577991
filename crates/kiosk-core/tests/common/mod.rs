#![allow(dead_code, clippy::inconsistent_digit_grouping)]

use chrono::{DateTime, TimeZone, Utc};
use domain::{FixedClock, Paise};
use kiosk_core::{BillInput, Committed, InitParams, Kiosk, WalletSnapshot};
use std::sync::Arc;

pub const SAMPLE: &str = include_str!("../../../../data/catalogue.sample.toml");

pub struct Fixture {
    pub dir: tempfile::TempDir,
    pub clock: Arc<FixedClock>,
    pub kiosk: Kiosk,
}

/// 2026-11-21 10:00 IST.
pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 21, 4, 30, 0).unwrap()
}

pub fn init_params() -> InitParams {
    InitParams {
        kiosk_code: "K1001".into(),
        device_no: 1,
        district: "Jaipur".into(),
        kiosk_name: "Shree Ganesh e-Mitra".into(),
        holder_login: "holder".into(),
        holder_name: "Ramesh Kumar".into(),
        cheque_enabled: true,
    }
}

/// An initialised kiosk with the sample catalogue and a roomy wallet.
pub fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(FixedClock::new(t0()));
    let mut kiosk =
        Kiosk::init(dir.path().join("kiosk.db"), &init_params(), clock.clone()).unwrap();
    kiosk.import_catalogue_toml(SAMPLE).unwrap();
    kiosk.add_operator("op1", "Sita Devi", "operator").unwrap();
    kiosk
        .apply_wallet_snapshot(&WalletSnapshot {
            balance: Paise::new(10_00_000_00),
            as_of: t0(),
            covers_seq: 0,
            max_pending_amount: Paise::new(5_00_000_00),
            max_pending_count: 1000,
            max_age_secs: 365 * 86400,
        })
        .unwrap();
    Fixture { dir, clock, kiosk }
}

pub fn bill(service: &str, consumer: &str, rupees: i64) -> BillInput {
    BillInput {
        service: service.into(),
        consumer_no: consumer.into(),
        amount: Paise::new(rupees * 100),
        consumer_name: None,
        bill_ref: None,
    }
}

/// Pays one wallet bill and returns the commit.
pub fn pay(k: &mut Kiosk, service: &str, consumer: &str, rupees: i64) -> Committed {
    try_pay(k, &[bill(service, consumer, rupees)], false).unwrap()
}

pub fn try_pay(k: &mut Kiosk, bills: &[BillInput], confirm: bool) -> kiosk_core::Result<Committed> {
    let mut d = k.start_cart();
    for b in bills {
        k.add_bill(&mut d, b)?;
    }
    k.set_contact(&mut d, Some("9876543210"), None)?;
    k.choose_wallet(&mut d);
    k.commit_payment(&d, "op1", confirm)
}

/// Row counts of every table a use case may write.
pub fn counts(k: &Kiosk) -> Vec<(&'static str, i64)> {
    [
        "settings",
        "catalogue",
        "operators",
        "receipts",
        "receipt_lines",
        "outbox",
        "wallet_snapshot",
        "wallet_holds",
        "print_jobs",
    ]
    .into_iter()
    .map(|t| (t, k.store().count(t).unwrap()))
    .collect()
}

/// A fingerprint of the outbox and the mutable receipt/hold columns, to
/// prove a refused call changed nothing (not only the counts).
pub fn fingerprint(k: &Kiosk) -> String {
    let c = k.store().conn();
    let q = |sql: &str| -> String {
        c.query_row(sql, [], |r| r.get::<_, Option<String>>(0))
            .unwrap()
            .unwrap_or_default()
    };
    [
        q("SELECT group_concat(seq || ':' || hex(hash) || ':' || IFNULL(outcome, '-'), ',') FROM outbox"),
        q("SELECT group_concat(receipt_no || ':' || status || ':' || rejected || ':' || reconcile, ',') FROM receipts"),
        q("SELECT group_concat(receipt_id || ':' || state, ',') FROM wallet_holds"),
        q("SELECT group_concat(key || '=' || value, ',') FROM settings"),
        q("SELECT group_concat(login || ':' || active, ',') FROM operators"),
        q("SELECT version || ':' || imported_at FROM catalogue"),
        q("SELECT balance_paise || ':' || covers_seq || ':' || max_pending_paise FROM wallet_snapshot"),
    ]
    .join("\n")
}
