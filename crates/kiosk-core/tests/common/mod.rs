#![allow(dead_code, clippy::inconsistent_digit_grouping)]

use kiosk_core::{BillInput, Committed, InitParams, Kiosk};

#[allow(unused_imports)]
pub use kiosk_testkit::{SAMPLE_CATALOGUE as SAMPLE, bill, t0};

/// The shared kiosk (K1001, Jaipur) with cheque acceptance on.
pub fn init_params() -> InitParams {
    InitParams {
        cheque_enabled: true,
        ..kiosk_testkit::init_params("K1001")
    }
}

pub type Fixture = kiosk_testkit::Fixture;

/// An initialised kiosk with the sample catalogue, a roomy wallet and an
/// operator `op1`.
pub fn fixture() -> Fixture {
    let mut f = Fixture::new(&init_params());
    f.kiosk
        .add_operator("op1", "Sita Devi", "operator")
        .unwrap();
    f
}

/// Pays one wallet bill and returns the commit.
pub fn pay(k: &mut Kiosk, service: &str, consumer: &str, rupees: i64) -> Committed {
    try_pay(k, &[bill(service, consumer, rupees)], false).unwrap()
}

pub fn try_pay(k: &mut Kiosk, bills: &[BillInput], confirm: bool) -> kiosk_core::Result<Committed> {
    kiosk_testkit::try_pay(k, bills, "op1", confirm)
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
