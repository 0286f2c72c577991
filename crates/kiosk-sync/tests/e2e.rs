//! The sync engine against the real centre over HTTP, through the
//! link-fault proxy.

mod common;

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
}
