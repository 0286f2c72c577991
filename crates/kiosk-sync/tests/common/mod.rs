//! Shared set-up for the end-to-end tests: the real centre (its HTTP API on
//! a loopback port, SQLite store with the demo kiosk), a kiosk database
//! registered as a device over HTTP, and counter payments.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use domain::{Paise, SystemClock};
use kiosk_core::{BillInput, InitParams, Kiosk};

pub struct Centre {
    pub addr: SocketAddr,
    pub store: server::store::Store,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Centre {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Centre {
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

pub async fn start_centre(dir: &Path) -> Centre {
    let cfg = server::app::Config {
        database: Some(format!("sqlite:{}", dir.join("centre.db").display())),
        data_dir: dir.to_path_buf(),
        demo_seed: true,
        ..Default::default()
    };
    let (state, store) = server::app::build_state(&cfg, Arc::new(SystemClock))
        .await
        .expect("centre state");
    // The kill soak restarts the client hundreds of times a minute; the
    // centre's per-device rate limit (a guard against runaway clients) is
    // not what these tests are about.
    let mut state =
        Arc::try_unwrap(state).unwrap_or_else(|_| panic!("centre state is not shared yet"));
    state.limiter = server::api::RateLimiter::new(100_000.0, 100_000.0);
    let state = Arc::new(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(async move {
        axum::serve(listener, server::api::router(state))
            .await
            .unwrap();
    });
    Centre { addr, store, task }
}

/// A new kiosk database for the demo kiosk, registered with the centre at
/// `server_url` (which may be a proxy in front of it).
pub async fn registered_kiosk(dir: &Path, server_url: &str) -> PathBuf {
    kiosk_sync::keys::join_new_session_keyring();
    let db = dir.join("kiosk.db");
    Kiosk::init(
        &db,
        &InitParams {
            kiosk_code: server::app::DEMO_KIOSK.into(),
            device_no: 1,
            district: "Jaipur".into(),
            kiosk_name: "Demo e-Mitra".into(),
            holder_login: "holder1".into(),
            holder_name: "Demo Holder".into(),
            cheque_enabled: false,
        },
        Arc::new(SystemClock),
    )
    .expect("kiosk init");
    let (login, password) = server::app::DEMO_HOLDER;
    kiosk_sync::register::register(&db, server_url, login, password, "counter 1")
        .await
        .expect("registration");
    db
}

/// Counter payments of one JVVNL bill each; returns the total paid.
pub fn pay_many(db: &Path, n: u64, start: u64) -> Paise {
    let mut k = Kiosk::open(db, Arc::new(SystemClock)).unwrap();
    let mut total = Paise::ZERO;
    for i in start..start + n {
        let mut d = k.start_cart();
        let amount = Paise::new(10_000 + (i as i64 % 97) * 100);
        k.add_bill(
            &mut d,
            &BillInput {
                service: "JVVNL-BILL".into(),
                consumer_no: format!("{:012}", 200_000_000_000u64 + i),
                amount,
                consumer_name: None,
                bill_ref: None,
            },
        )
        .unwrap();
        k.set_contact(&mut d, Some("9876543210"), None).unwrap();
        k.choose_wallet(&mut d);
        k.commit_payment(&d, "holder1", true).unwrap();
        total = total.checked_add(amount).unwrap();
    }
    total
}

/// Checks both sides after a drain: every entry answered and applied
/// exactly once; the centre's wallet equals the opening balance less the
/// accepted payments. Returns (entries, accepted).
pub async fn assert_ledgers_agree(
    db: &Path,
    centre: &server::store::Store,
    opening: i64,
) -> (u64, i64) {
    let k = Kiosk::open(db, Arc::new(SystemClock)).unwrap();
    let q = k.queue_stats().unwrap();
    assert_eq!(q.unsent, 0, "entries left unanswered: {q:?}");
    let chain = k.verify_chain().unwrap();
    let conn = k.store().conn();
    let (accepted, accepted_total): (i64, i64) = conn
        .query_row(
            "SELECT COUNT(*), COALESCE(SUM(r.total_paise), 0) FROM outbox o JOIN receipts r ON r.id = o.receipt_id
              WHERE o.kind = 'payment' AND o.outcome = 'accepted'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    let fp: std::collections::HashMap<String, i64> =
        centre.fingerprint().await.unwrap().into_iter().collect();
    assert_eq!(
        fp["entries"] as u64, chain.entries,
        "lost or duplicated entries"
    );
    assert_eq!(
        fp["payments"], accepted,
        "centre payments vs kiosk accepted"
    );
    assert!(centre.ledger_check().await.unwrap().is_ok());
    let kiosk = centre
        .kiosk_by_code(server::app::DEMO_KIOSK)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        kiosk.wallet_balance.as_i64(),
        opening - accepted_total,
        "centre wallet"
    );
    let not_final: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM receipts r JOIN outbox o ON o.receipt_id = r.id
              WHERE o.outcome = 'accepted' AND (r.status <> 'final' OR r.final_receipt_no IS NULL)",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(not_final, 0, "accepted receipts still provisional");
    (chain.entries, accepted)
}

/// The demo kiosk's opening wallet balance.
pub const OPENING: i64 = 50_000_00;
