//! The sync engine against the real centre over HTTP, through the
//! link-fault proxy.

mod common;

use domain::ErrorCode as _;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;
use domain::SystemClock;
use kiosk_core::Kiosk;
use kiosk_sync::keys::Keyring;
use kiosk_sync::{Engine, HttpTransport, SyncConfig};
use linkfault::{Faults, LinkFault};
use tokio::time::timeout;

fn engine(db: &std::path::Path, url: &str) -> Engine<HttpTransport> {
    let kiosk = Kiosk::open(db, Arc::new(SystemClock)).unwrap();
    let key = Keyring::for_device(kiosk.identity().device_id)
        .unwrap()
        .require()
        .unwrap();
    let t = HttpTransport::new(url, key).unwrap();
    Engine::new(kiosk, t, Arc::new(SystemClock)).with_config(SyncConfig {
        request_timeout_floor: Duration::from_secs(3),
        probe_every: Duration::from_millis(300),
        probe_timeout: Duration::from_secs(2),
        local_poll: Duration::from_millis(100),
        ..SyncConfig::default()
    })
}

/// After a drain: one more pull stores every centre ledger line, the
/// kiosk's wallet lines add up to the centre's wallet, and a pull after
/// that brings no line again.
async fn assert_ledger_pulled(db: &std::path::Path, centre: &Centre) {
    let url = centre.url();
    let mut e = engine(db, &url);
    e.pull_all().await.unwrap();
    let kiosk = centre
        .store
        .kiosk_by_code(server::app::DEMO_KIOSK)
        .await
        .unwrap()
        .unwrap();
    let lines = centre
        .store
        .ledger_lines(kiosk.id, 0, 1_000_000)
        .await
        .unwrap();
    let centre_wallet: i64 = lines
        .iter()
        .filter(|l| l.account == "wallet")
        .map(|l| l.amount.as_i64())
        .sum();
    assert_eq!(
        centre_wallet,
        kiosk.wallet_balance.as_i64(),
        "centre lines vs balance"
    );
    let (count, stored_wallet): (i64, i64) = e
        .kiosk()
        .store()
        .conn()
        .query_row(
            "SELECT COUNT(*), COALESCE(SUM(CASE WHEN account = 'wallet' THEN amount_paise END), 0) FROM wallet_ledger",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(count as usize, lines.len(), "every centre line stored once");
    assert_eq!(stored_wallet, centre_wallet, "kiosk lines vs centre wallet");
    assert_eq!(
        e.kiosk().ledger_cursor().unwrap(),
        lines.last().unwrap().id,
        "ledger cursor"
    );
    let st = e.kiosk().wallet_statement(None, None, 1000).unwrap();
    assert!(!st.truncated);
    assert_eq!(st.net, kiosk.wallet_balance);
    let again = e.pull_all().await.unwrap();
    assert_eq!(again.ledger_lines, 0, "ledger lines pulled twice");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offline_payments_become_final_when_the_link_comes_back() {
    let dir = tempfile::tempdir().unwrap();
    let centre = start_centre(dir.path()).await;
    let proxy = LinkFault::start(centre.addr, Faults::clean())
        .await
        .unwrap();
    let url = format!("http://{}", proxy.addr());
    let db = registered_kiosk(dir.path(), &url).await;
    // First contact: catalogue and wallet arrive by pull.
    let mut e = engine(&db, &url);
    let r = e.sync_once().await.unwrap();
    assert!(r.pull.catalogue_version.is_some(), "catalogue pulled");
    assert_eq!(r.pull.wallet_balance.map(|p| p.as_i64()), Some(OPENING));

    // The link dies; the counter goes on.
    proxy.handle().update(|f| f.blackhole = true);
    pay_many(&db, 5, 0);
    let handle = e.handle();
    let mut status = e.status();
    let runner = tokio::spawn(async move {
        e.run().await;
        e
    });
    timeout(
        Duration::from_secs(30),
        status.wait_for(|s| !s.online && s.last_error.is_some()),
    )
    .await
    .expect("goes offline")
    .unwrap();
    {
        let s = status.borrow().clone();
        assert_eq!(s.queue_len, 5);
        let code = s.last_error.as_ref().unwrap().code.clone();
        assert!(code == "sync.timeout" || code == "sync.offline", "{code}");
    }
    // A payment while offline is nudged but cannot go.
    pay_many(&db, 1, 100);
    handle.nudge();
    // The link heals: the queue drains without any new write.
    let healed = Instant::now();
    proxy.handle().set(Faults::clean());
    timeout(
        Duration::from_secs(30),
        status.wait_for(|s| s.online && s.queue_len == 0),
    )
    .await
    .expect("drains after heal")
    .unwrap();
    assert!(
        healed.elapsed() < Duration::from_secs(10),
        "heal to drained took {:?}",
        healed.elapsed()
    );
    handle.stop();
    let e = runner.await.unwrap();
    drop(e);
    let (entries, accepted) = assert_ledgers_agree(&db, &centre.store, OPENING).await;
    assert_eq!((entries, accepted), (6, 6));
    assert_ledger_pulled(&db, &centre).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_entry_lands_once_through_cuts_and_resets() {
    let dir = tempfile::tempdir().unwrap();
    let centre = start_centre(dir.path()).await;
    let proxy = LinkFault::start(centre.addr, Faults::clean())
        .await
        .unwrap();
    let url = format!("http://{}", proxy.addr());
    let db = registered_kiosk(dir.path(), &url).await;
    // Batches of at most 5: at least 18 pushes, so the faults surely bite.
    let mut e = engine(&db, &url).with_sizer(kiosk_sync::backoff::BatchSizer::new(
        Duration::from_secs(5),
        1,
        5,
    ));
    e.sync_once().await.unwrap();
    pay_many(&db, 90, 0);
    // Half the requests cut mid-way, latency, and resets.
    proxy.handle().set(Faults {
        latency: Duration::from_millis(20),
        cut_request_probability: 0.5,
        reset_every: Some((Duration::from_millis(300), Duration::from_millis(900))),
        ..Faults::default()
    });
    let mut status = e.status();
    let handle = e.handle();
    let runner = tokio::spawn(async move {
        e.run().await;
    });
    timeout(
        Duration::from_secs(90),
        status.wait_for(|s| s.queue_len == 0 && s.last_push_at.is_some()),
    )
    .await
    .expect("drains through faults")
    .unwrap();
    handle.stop();
    runner.await.unwrap();
    let c = proxy.handle().counters();
    assert!(c.cuts + c.resets > 0, "the faults really happened: {c:?}");
    let (entries, accepted) = assert_ledgers_agree(&db, &centre.store, OPENING).await;
    assert_eq!((entries, accepted), (90, 90));
    // Straight to the centre: the proxy still cuts.
    assert_ledger_pulled(&db, &centre).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_key_is_refused_with_a_stable_code() {
    let dir = tempfile::tempdir().unwrap();
    let centre = start_centre(dir.path()).await;
    let db = registered_kiosk(dir.path(), &centre.url()).await;
    let device = Kiosk::open(&db, Arc::new(SystemClock))
        .unwrap()
        .identity()
        .device_id;
    engine(&db, &centre.url()).sync_once().await.unwrap();
    pay_many(&db, 1, 0);
    // Someone else's key under this device id.
    let impostor = kiosk_sync::keys::DeviceKey::generate(device).unwrap();
    let kiosk = Kiosk::open(&db, Arc::new(SystemClock)).unwrap();
    let mut e = Engine::new(
        kiosk,
        HttpTransport::new(&centre.url(), impostor).unwrap(),
        Arc::new(SystemClock),
    );
    let err = e.sync_once().await.unwrap_err();
    assert_eq!(err.code(), "auth.bad_signature");
    assert_eq!(
        e.status().borrow().last_error.as_ref().unwrap().code,
        "auth.bad_signature"
    );
    assert_eq!(
        e.kiosk().queue_stats().unwrap().unsent,
        1,
        "nothing recorded on a refusal"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_entry_is_pushed_at_once_without_a_nudge() {
    let dir = tempfile::tempdir().unwrap();
    let centre = start_centre(dir.path()).await;
    let db = registered_kiosk(dir.path(), &centre.url()).await;
    let mut e = engine(&db, &centre.url());
    e.sync_once().await.unwrap();
    let mut status = e.status();
    let handle = e.handle();
    let runner = tokio::spawn(async move {
        e.run().await;
    });
    // Idle and online; the periodic pull is a minute away.
    timeout(
        Duration::from_secs(10),
        status.wait_for(|s| s.online && s.queue_len == 0),
    )
    .await
    .unwrap()
    .unwrap();
    let before = status.borrow().last_push_at;
    // The counter writes from its own connection and tells nobody.
    let written = Instant::now();
    pay_many(&db, 1, 0);
    timeout(
        Duration::from_secs(10),
        status.wait_for(|s| s.last_push_at != before && s.queue_len == 0),
    )
    .await
    .expect("pushed without a nudge")
    .unwrap();
    assert!(
        written.elapsed() < Duration::from_secs(3),
        "took {:?}",
        written.elapsed()
    );
    handle.stop();
    runner.await.unwrap();
    assert_ledgers_agree(&db, &centre.store, OPENING).await;
    assert_ledger_pulled(&db, &centre).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kiosk_that_dropped_its_ledger_lines_fetches_them_once() {
    let dir = tempfile::tempdir().unwrap();
    let centre = start_centre(dir.path()).await;
    let db = registered_kiosk(dir.path(), &centre.url()).await;
    let mut e = engine(&db, &centre.url());
    e.sync_once().await.unwrap();
    pay_many(&db, 3, 0);
    e.sync_once().await.unwrap();
    // As a database from before the ledger table: the pull cursor is past
    // lines the kiosk never kept.
    e.kiosk_mut()
        .store_mut()
        .write(|tx| -> Result<(), kiosk_store::StoreError> {
            tx.execute("DELETE FROM wallet_ledger", [])?;
            tx.execute("DELETE FROM settings WHERE key = 'ledger.cursor'", [])?;
            Ok(())
        })
        .unwrap();
    let pull_cursor: String = e
        .kiosk()
        .store()
        .conn()
        .query_row(
            "SELECT value FROM settings WHERE key = 'sync.pull_cursor'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let pull_cursor: protocol::Cursor = serde_json::from_str(&pull_cursor).unwrap();
    assert!(pull_cursor.ledger_after > 0, "{pull_cursor:?}");
    drop(e);
    assert_ledgers_agree(&db, &centre.store, OPENING).await;
    assert_ledger_pulled(&db, &centre).await;
}
