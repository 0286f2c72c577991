//! What the kiosk learns from the centre with every exchange, and what it
//! does when the centre went back in time: the real centre over HTTP on a
//! real SQLite file, restored from a real backup (`VACUUM INTO`).

mod common;

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use common::*;
use domain::SystemClock;
use kiosk_core::Kiosk;
use kiosk_store::rusqlite;
use kiosk_sync::keys::Keyring;
use kiosk_sync::{Engine, HttpTransport, SyncConfig, SyncError, Transport};
use protocol::{PullRequest, PullResponse, PushRequest, PushResponse};

fn transport(db: &Path, url: &str) -> HttpTransport {
    let kiosk = Kiosk::open(db, Arc::new(SystemClock)).unwrap();
    let key = Keyring::for_device(kiosk.identity().device_id)
        .unwrap()
        .require()
        .unwrap();
    HttpTransport::new(url, key).unwrap()
}

fn engine_with<T: Transport>(db: &Path, t: T) -> Engine<T> {
    let kiosk = Kiosk::open(db, Arc::new(SystemClock)).unwrap();
    Engine::new(kiosk, t, Arc::new(SystemClock)).with_config(SyncConfig {
        request_timeout_floor: Duration::from_secs(3),
        ..SyncConfig::default()
    })
}

/// The real transport, but the link dies for good after `pushes` pushes.
#[derive(Clone)]
struct DiesAfter {
    inner: HttpTransport,
    pushes_left: Arc<AtomicU32>,
}

impl Transport for DiesAfter {
    fn push(
        &self,
        req: &PushRequest,
        t: Duration,
    ) -> impl Future<Output = kiosk_sync::Result<PushResponse>> + Send + 'static {
        let ok = self
            .pushes_left
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok();
        let f = self.inner.push(req, t);
        async move {
            if ok {
                f.await
            } else {
                Err(SyncError::Offline("link died".into()))
            }
        }
    }
    fn pull(
        &self,
        req: &PullRequest,
        t: Duration,
    ) -> impl Future<Output = kiosk_sync::Result<PullResponse>> + Send + 'static {
        self.inner.pull(req, t)
    }
    fn probe(&self, t: Duration) -> impl Future<Output = kiosk_sync::Result<()>> + Send + 'static {
        self.inner.probe(t)
    }
    fn bytes(&self) -> (u64, u64) {
        self.inner.bytes()
    }
}

async fn centre_balance(centre: &Centre) -> i64 {
    centre
        .store
        .kiosk_by_code(server::app::DEMO_KIOSK)
        .await
        .unwrap()
        .unwrap()
        .wallet_balance
        .as_i64()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_accepted_batch_brings_the_balance_and_frees_the_offline_room() {
    let dir = tempfile::tempdir().unwrap();
    let centre = start_centre(dir.path()).await;
    let db = registered_kiosk(dir.path(), &centre.url()).await;
    engine_with(&db, transport(&db, &centre.url()))
        .sync_once()
        .await
        .unwrap();
    pay_many(&db, 10, 0);
    let t = DiesAfter {
        inner: transport(&db, &centre.url()),
        pushes_left: Arc::new(AtomicU32::new(1)),
    };
    // Batches of 4: one goes through, then the link dies, no pull ran.
    let mut e = engine_with(&db, t).with_sizer(kiosk_sync::backoff::BatchSizer::new(
        Duration::from_secs(5),
        1,
        4,
    ));
    let before = e.kiosk().exposure().unwrap();
    assert_eq!(before.pending_count, 10);
    let err = e.push_all().await.unwrap_err();
    assert!(err.is_transport(), "{err}");
    let x = e.kiosk().exposure().unwrap();
    assert_eq!(
        x.balance.as_i64(),
        centre_balance(&centre).await,
        "the balance came with the accepted batch"
    );
    assert_eq!(x.covers_seq, 4, "the balance covers the accepted batch");
    assert_eq!(
        x.pending_count, 6,
        "accepted payments no longer count against the offline room"
    );
    assert!(x.balance.as_i64() < OPENING);
}

/// A backup of the centre's SQLite database, taken while it runs.
fn backup_centre(from: &Path, to: &Path) {
    let c = rusqlite::Connection::open(from).unwrap();
    c.execute("VACUUM INTO ?1", [to.to_str().unwrap()]).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_centre_restored_from_a_backup_gets_the_lost_payments_again_and_its_numbers_win() {
    let dir = tempfile::tempdir().unwrap();
    let restored_dir = tempfile::tempdir().unwrap();
    let centre = start_centre(dir.path()).await;
    let db = registered_kiosk(dir.path(), &centre.url()).await;
    let mut e = engine_with(&db, transport(&db, &centre.url()));
    e.sync_once().await.unwrap();
    pay_many(&db, 5, 0);
    e.sync_once().await.unwrap();
    backup_centre(
        &dir.path().join("centre.db"),
        &restored_dir.path().join("centre.db"),
    );
    // After the backup: five more payments reach the centre, and are final.
    pay_many(&db, 5, 100);
    e.sync_once().await.unwrap();
    let old_numbers: Vec<(String, String)> = final_numbers(e.kiosk());
    assert_eq!(old_numbers.len(), 10);
    drop(e);
    drop(centre);

    // The centre is restored from the backup; a refill is booked there
    // before the kiosk calls again (so its numbers move on differently).
    let centre = start_centre(restored_dir.path()).await;
    let kid = centre
        .store
        .kiosk_by_code(server::app::DEMO_KIOSK)
        .await
        .unwrap()
        .unwrap()
        .id;
    centre
        .store
        .refill(kid, domain::Paise::new(1_000_00), "after restore")
        .await
        .unwrap();
    assert_eq!(
        fingerprint(&centre, "entries").await,
        5,
        "the backup lost five"
    );

    // One sync: the kiosk notices, re-sends at once, and takes the centre's word.
    let mut e = engine_with(&db, transport(&db, &centre.url()));
    let r = e.sync_once().await.unwrap();
    assert!(r.pull.centre_behind || r.push.centre_behind, "{r:?}");
    assert_eq!(fingerprint(&centre, "entries").await, 10, "re-sent at once");
    let new_numbers = final_numbers(e.kiosk());
    for (local, final_no) in &new_numbers {
        let at_centre = centre
            .store
            .txn_status(kid, Some(local), None)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            at_centre.receipt_no.as_deref(),
            Some(final_no.as_str()),
            "receipt {local}: the kiosk holds the centre's number"
        );
    }
    let changes = e.kiosk().outcome_changes(true).unwrap();
    assert_eq!(changes.len(), 5, "{changes:?}");
    for c in &changes {
        let old = old_numbers
            .iter()
            .find(|(l, _)| Some(l) == c.receipt_no.as_ref())
            .unwrap();
        assert_eq!(c.old_receipt_no.as_ref(), Some(&old.1));
        assert_ne!(c.new_receipt_no, c.old_receipt_no);
    }
    let reprint: i64 = e
        .kiosk()
        .store()
        .conn()
        .query_row("SELECT COUNT(*) FROM receipts WHERE reprint = 1", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(reprint, 5, "changed receipts are marked for reprint");
    let status = e.status().borrow().clone();
    let codes: Vec<&str> = status.alerts.iter().map(|a| a.code.as_str()).collect();
    assert!(codes.contains(&"sync.centre_restored"), "{codes:?}");
    assert!(codes.contains(&"sync.outcome_changed"), "{codes:?}");
    assert_eq!(status.outcome_changes, 5);
    // The ledger: the kiosk's lines are the restored centre's, refill included.
    let lines = centre.store.ledger_lines(kid, 0, 1_000_000).await.unwrap();
    let (count, wallet): (i64, i64) = e
        .kiosk()
        .store()
        .conn()
        .query_row(
            "SELECT COUNT(*), COALESCE(SUM(CASE WHEN account = 'wallet' THEN amount_paise END), 0) FROM wallet_ledger",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(count as usize, lines.len(), "every centre line, once");
    assert_eq!(wallet, centre_balance(&centre).await);
    assert_eq!(
        e.kiosk().exposure().unwrap().balance.as_i64(),
        centre_balance(&centre).await
    );
    let (entries, accepted) = assert_ledgers_agree(&db, &centre.store, OPENING + 1_000_00).await;
    assert_eq!((entries, accepted), (10, 10));
    // Acknowledged, the changes leave the status.
    let last = changes.last().unwrap().id;
    e.kiosk_mut().acknowledge_outcome_changes(last).unwrap();
    e.publish(None);
    assert_eq!(e.status().borrow().outcome_changes, 0);
}

fn final_numbers(k: &Kiosk) -> Vec<(String, String)> {
    let mut st = k
        .store()
        .conn()
        .prepare("SELECT receipt_no, final_receipt_no FROM receipts WHERE final_receipt_no IS NOT NULL ORDER BY device_seq")
        .unwrap();
    st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

async fn fingerprint(centre: &Centre, key: &str) -> i64 {
    let fp: std::collections::HashMap<String, i64> = centre
        .store
        .fingerprint()
        .await
        .unwrap()
        .into_iter()
        .collect();
    fp[key]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broken_local_chain_sends_the_good_entries_and_stops_the_counter() {
    let dir = tempfile::tempdir().unwrap();
    let centre = start_centre(dir.path()).await;
    let db = registered_kiosk(dir.path(), &centre.url()).await;
    let mut e = engine_with(&db, transport(&db, &centre.url()));
    e.sync_once().await.unwrap();
    pay_many(&db, 5, 0);
    // Someone edits a stored payment behind the app's back.
    {
        let c = rusqlite::Connection::open(&db).unwrap();
        c.execute_batch(
            "DROP TRIGGER outbox_immutable;
             UPDATE outbox SET payload = CAST(x'00' || payload AS BLOB) WHERE seq = 3;",
        )
        .unwrap();
    }
    let err = e.sync_once().await.unwrap_err();
    assert_eq!(err.code(), "outbox.chain_broken", "{err}");
    assert_eq!(
        fingerprint(&centre, "entries").await,
        2,
        "the entries before the break went through"
    );
    assert!(
        centre.store.tamper_alerts().await.unwrap().is_empty(),
        "nothing broken was sent"
    );
    let s = e.status().borrow().clone();
    assert!(
        s.alerts.iter().any(|a| a.code == "outbox.chain_broken"),
        "{s:?}"
    );
    // The counter refuses new payments, with a clear code, and writes nothing.
    let mut k = Kiosk::open(&db, Arc::new(SystemClock)).unwrap();
    let before = k.queue_stats().unwrap();
    let mut d = k.start_cart();
    k.add_bill(
        &mut d,
        &kiosk_core::BillInput {
            service: "JVVNL-BILL".into(),
            consumer_no: "210000000999".into(),
            amount: domain::Paise::new(500_00),
            consumer_name: None,
            bill_ref: None,
        },
    )
    .unwrap();
    k.set_contact(&mut d, Some("9876543210"), None).unwrap();
    k.choose_wallet(&mut d);
    let refused = k.commit_payment(&d, "holder1", true).unwrap_err();
    use domain::ErrorCode;
    assert_eq!(refused.code(), "outbox.entries_stopped");
    assert_eq!(k.queue_stats().unwrap(), before, "nothing written");
    let receipts: i64 = k
        .store()
        .conn()
        .query_row("SELECT COUNT(*) FROM receipts", [], |r| r.get(0))
        .unwrap();
    assert_eq!(receipts, 5, "no receipt written");
}

/// One wallet payment of `consumer` (a repeat is confirmed at the counter).
fn pay_one(db: &Path, consumer: &str) -> kiosk_core::Committed {
    pay_with(
        &mut Kiosk::open(db, Arc::new(SystemClock)).unwrap(),
        consumer,
    )
}

/// One ₹250 wallet bill paid at the counter `k`.
fn pay_with(k: &mut Kiosk, consumer: &str) -> kiosk_core::Committed {
    let mut d = k.start_cart();
    k.add_bill(
        &mut d,
        &kiosk_core::BillInput {
            service: "JVVNL-BILL".into(),
            consumer_no: consumer.into(),
            amount: domain::Paise::new(250_00),
            consumer_name: None,
            bill_ref: None,
        },
    )
    .unwrap();
    k.set_contact(&mut d, Some("9876543210"), None).unwrap();
    k.choose_wallet(&mut d);
    k.commit_payment(&d, "holder1", true).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_centres_warnings_are_kept_with_the_entry() {
    let dir = tempfile::tempdir().unwrap();
    let centre = start_centre(dir.path()).await;
    let db = registered_kiosk(dir.path(), &centre.url()).await;
    let mut e = engine_with(&db, transport(&db, &centre.url()));
    e.sync_once().await.unwrap();
    let first = pay_one(&db, "210000000777");
    let again = pay_one(&db, "210000000777");
    e.sync_once().await.unwrap();
    let k = e.kiosk();
    assert_eq!(
        k.entry_warnings(first.outbox_seq).unwrap(),
        Vec::<String>::new()
    );
    assert_eq!(
        k.entry_warnings(again.outbox_seq).unwrap(),
        vec!["payment.duplicate_warning".to_string()]
    );
    let notes = k.receipt_sync_notes(&again.receipt_id.to_string()).unwrap();
    assert_eq!(notes.outcome.as_deref(), Some("accepted"));
    assert_eq!(
        notes.warnings,
        vec!["payment.duplicate_warning".to_string()]
    );
    // Pulled again (an outcome the pull carries), the warning stays.
    let mut fresh = engine_with(&db, transport(&db, &centre.url()));
    fresh.sync_once().await.unwrap();
    assert_eq!(
        fresh.kiosk().entry_warnings(again.outbox_seq).unwrap(),
        vec!["payment.duplicate_warning".to_string()]
    );
}

/// This PC's clock, off by a fixed amount.
struct Shifted(chrono::Duration);

impl domain::Clock for Shifted {
    fn now(&self) -> chrono::DateTime<chrono::Utc> {
        domain::Clock::now(&domain::SystemClock) + self.0
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pc_clock_90_days_ahead_is_flagged_and_cheques_follow_the_centres_date() {
    let dir = tempfile::tempdir().unwrap();
    let centre = start_centre(dir.path()).await;
    let db = registered_kiosk(dir.path(), &centre.url()).await;
    // Cheques approved for this kiosk.
    Kiosk::open(&db, Arc::new(SystemClock))
        .unwrap()
        .set_cheque_enabled(true)
        .unwrap();
    let ahead = chrono::Duration::days(90);
    let clock: Arc<dyn domain::Clock> = Arc::new(Shifted(ahead));
    let kiosk = Kiosk::open(&db, clock.clone()).unwrap();
    assert!(kiosk.identity().cheque_enabled);
    let mut e = Engine::new(kiosk, transport(&db, &centre.url()), clock.clone());
    e.sync_once().await.unwrap();
    let s = e.status().borrow().clone();
    assert!(
        s.alerts.iter().any(|a| a.code == "clock.skew"),
        "the wrong clock is flagged: {s:?}"
    );
    let offset = e.kiosk().centre_offset().unwrap().unwrap();
    assert!(
        (offset + ahead.num_milliseconds()).abs() < 5_000,
        "offset {offset}"
    );
    let centre_now = e.centre_now().unwrap();
    assert!(
        (centre_now - domain::Clock::now(&domain::SystemClock))
            .num_seconds()
            .abs()
            < 5
    );
    // At the counter (another connection, same PC clock): a cheque dated
    // "today" by this PC is post-dated by 90 days at the centre.
    let k = Kiosk::open(&db, clock.clone()).unwrap();
    let mut d = k.start_cart();
    k.add_bill(
        &mut d,
        &kiosk_core::BillInput {
            service: "JVVNL-BILL".into(),
            consumer_no: "210000000888".into(),
            amount: domain::Paise::new(250_00),
            consumer_name: None,
            bill_ref: None,
        },
    )
    .unwrap();
    let cheque = |date| kiosk_core::ChequeInput {
        number: "123456".into(),
        date,
        bank: "SBI".into(),
        payee: "AO (CCC)".into(),
    };
    let pc_today = domain::clock::ist_date(clock.now());
    let err = k.choose_cheque(&mut d, &cheque(pc_today)).unwrap_err();
    use domain::ErrorCode;
    assert_eq!(err.code(), "cheque.post_dated");
    let real_today = domain::clock::ist_date(domain::Clock::now(&domain::SystemClock));
    k.choose_cheque(&mut d, &cheque(real_today)).unwrap();
    // The clock set right: the alert goes.
    let kiosk = Kiosk::open(&db, Arc::new(SystemClock)).unwrap();
    let mut e = Engine::new(kiosk, transport(&db, &centre.url()), Arc::new(SystemClock));
    e.sync_once().await.unwrap();
    let s = e.status().borrow().clone();
    assert!(!s.alerts.iter().any(|a| a.code == "clock.skew"), "{s:?}");
}

/// This PC's clock: the real one off by a shift that someone can change,
/// with the real monotonic clock underneath.
struct Settable(std::sync::atomic::AtomicI64);

impl domain::Clock for Settable {
    fn now(&self) -> chrono::DateTime<chrono::Utc> {
        domain::Clock::now(&SystemClock)
            + chrono::Duration::milliseconds(self.0.load(Ordering::SeqCst))
    }
    fn monotonic(&self) -> Option<Duration> {
        domain::Clock::monotonic(&SystemClock)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn payments_are_dated_and_filed_by_the_centres_clock_though_the_pc_clock_changed_between_syncs()
 {
    let dir = tempfile::tempdir().unwrap();
    let centre = start_centre(dir.path()).await;
    let db = registered_kiosk(dir.path(), &centre.url()).await;
    let day = 86_400_000i64;
    let pc = Arc::new(Settable(std::sync::atomic::AtomicI64::new(90 * day)));
    let clock: Arc<dyn domain::Clock> = pc.clone();
    let mut e = Engine::new(
        Kiosk::open(&db, clock.clone()).unwrap(),
        transport(&db, &centre.url()),
        clock.clone(),
    );
    e.sync_once().await.unwrap();
    // The counter's connection shares the engine's business clock (as the
    // app does); then someone sets the PC's date back 92 days.
    let mut counter = Kiosk::open(&db, clock.clone()).unwrap();
    counter.share_clock(e.kiosk());
    pc.0.store(-2 * day, Ordering::SeqCst);
    let c = pay_with(&mut counter, "210000000777");
    let real_now = domain::Clock::now(&SystemClock);
    assert!(
        (c.created_at - real_now).num_seconds().abs() < 5,
        "dated {} by a PC clock two days behind (truth {real_now})",
        c.created_at
    );
    e.sync_once().await.unwrap();
    // The centre files it under the true day...
    let kiosk = centre
        .store
        .kiosk_by_code(server::app::DEMO_KIOSK)
        .await
        .unwrap()
        .unwrap();
    let (from, to) = domain::clock::ist_day_bounds(domain::clock::ist_date(c.created_at));
    let filed = centre
        .store
        .txns_between(
            kiosk.id,
            from.timestamp_millis(),
            to.timestamp_millis(),
            None,
        )
        .await
        .unwrap();
    assert!(
        filed.iter().any(
            |t| t.local_receipt_no.as_deref() == Some(c.receipt_no.as_str())
                && t.status == "accepted"
        ),
        "{filed:?}"
    );
    // ...and the wrong clock is flagged, now two days behind.
    let s = e.status().borrow().clone();
    let skew = s
        .alerts
        .iter()
        .find(|a| a.code == "clock.skew")
        .expect("flagged");
    assert!(skew.message.contains("behind"), "{skew:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_status_says_what_is_true_now() {
    let dir = tempfile::tempdir().unwrap();
    let centre = start_centre(dir.path()).await;
    let db = registered_kiosk(dir.path(), &centre.url()).await;
    let device = Kiosk::open(&db, Arc::new(SystemClock))
        .unwrap()
        .identity()
        .device_id;
    let mut e = engine_with(&db, transport(&db, &centre.url()));
    assert_eq!(e.status().borrow().state, "");
    e.publish(None);
    e.sync_once().await.unwrap();
    assert_eq!(e.status().borrow().state, "sync.state.up_to_date");
    pay_many(&db, 2, 0);
    // The centre refuses (someone else's key): it answered, so online, and
    // the state says refused, with the centre's code.
    let impostor = kiosk_sync::keys::DeviceKey::generate(device).unwrap();
    let mut bad = engine_with(&db, HttpTransport::new(&centre.url(), impostor).unwrap());
    bad.sync_once().await.unwrap_err();
    let s = bad.status().borrow().clone();
    assert!(s.online, "a refusal is an answer: {s:?}");
    assert_eq!(s.state, "sync.state.refused");
    assert_eq!(s.last_error.unwrap().code, "auth.bad_signature");
    // No centre at all: offline.
    let mut gone = engine_with(&db, transport(&db, "http://127.0.0.1:1"));
    gone.sync_once().await.unwrap_err();
    let s = gone.status().borrow().clone();
    assert!(!s.online);
    assert_eq!(s.state, "sync.state.offline");
    assert_eq!(s.queue_len, 2);
    // The centre again: the old error is gone and the state is current.
    e.sync_once().await.unwrap();
    let s = e.status().borrow().clone();
    assert_eq!(s.state, "sync.state.up_to_date");
    assert!(s.last_error.is_none(), "{s:?}");
    assert_eq!(s.queue_len, 0);
}

/// The real transport, but every third push is reset by the link (the
/// centre never sees it); probes always answer.
#[derive(Clone)]
struct ResetsEvery3 {
    inner: HttpTransport,
    pushes: Arc<AtomicU32>,
    probes: Arc<AtomicU32>,
}

impl Transport for ResetsEvery3 {
    fn push(
        &self,
        req: &PushRequest,
        t: Duration,
    ) -> impl Future<Output = kiosk_sync::Result<PushResponse>> + Send + 'static {
        let n = self.pushes.fetch_add(1, Ordering::SeqCst);
        let f = self.inner.push(req, t);
        async move {
            if n % 3 == 2 {
                Err(SyncError::Offline("connection reset".into()))
            } else {
                f.await
            }
        }
    }
    fn pull(
        &self,
        req: &PullRequest,
        t: Duration,
    ) -> impl Future<Output = kiosk_sync::Result<PullResponse>> + Send + 'static {
        self.inner.pull(req, t)
    }
    fn probe(&self, t: Duration) -> impl Future<Output = kiosk_sync::Result<()>> + Send + 'static {
        self.probes.fetch_add(1, Ordering::SeqCst);
        self.inner.probe(t)
    }
    fn bytes(&self) -> (u64, u64) {
        self.inner.bytes()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_long_running_loop_is_not_slowed_by_resets_between_good_batches() {
    let dir = tempfile::tempdir().unwrap();
    let centre = start_centre(dir.path()).await;
    let db = registered_kiosk(dir.path(), &centre.url()).await;
    engine_with(&db, transport(&db, &centre.url()))
        .sync_once()
        .await
        .unwrap();
    pay_many(&db, 60, 0);
    let t = ResetsEvery3 {
        inner: transport(&db, &centre.url()),
        pushes: Arc::default(),
        probes: Arc::default(),
    };
    let probes = t.probes.clone();
    // Batches of 3: 20 good pushes, and a reset after every two of them.
    let mut e = engine_with(&db, t).with_sizer(kiosk_sync::backoff::BatchSizer::new(
        Duration::from_secs(5),
        1,
        3,
    ));
    let mut status = e.status();
    let handle = e.handle();
    let started = std::time::Instant::now();
    let runner = tokio::spawn(async move {
        e.run().await;
    });
    tokio::time::timeout(
        Duration::from_secs(60),
        status.wait_for(|s| s.queue_len == 0 && s.last_push_at.is_some()),
    )
    .await
    .expect("drains")
    .unwrap();
    let took = started.elapsed();
    handle.stop();
    runner.await.unwrap();
    // Ten resets: each costs one probe, not a backoff grown over the drain
    // (which would be minutes by the tenth).
    assert!(took < Duration::from_secs(8), "drained in {took:?}");
    let p = probes.load(Ordering::SeqCst);
    assert!(p <= 25, "{p} probes for ten resets");
    let (entries, accepted) = assert_ledgers_agree(&db, &centre.store, OPENING).await;
    assert_eq!((entries, accepted), (60, 60));
}
