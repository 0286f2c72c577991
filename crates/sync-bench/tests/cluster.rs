//! Two stateless `kiosk-server` instances over one PostgreSQL behind a real
//! HAProxy: one device's pushes spread over both, the same batch sent to
//! both at once, an instance killed inside a push transaction. Every time:
//! each payment on the centre exactly once, under the kiosk's receipt
//! numbers, the ledger balanced, and the cluster still answering after.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use domain::SystemClock;
use kiosk_core::Kiosk;
use kiosk_sync::SyncConfig;
use sync_bench::cluster::{Haproxy, PgSchema, SmsReceiver};
use sync_bench::*;

struct Cluster {
    pg: PgSchema,
    centres: Vec<CentreProcess>,
    dirs: Vec<PathBuf>,
    lb: Haproxy,
}

impl Cluster {
    fn start(dir: &Path) -> Cluster {
        Self::start_with(dir, "")
    }

    /// `extra`: config lines for both instances.
    fn start_with(dir: &Path, extra: &str) -> Cluster {
        let pg = PgSchema::new().unwrap();
        let mut centres = Vec::new();
        let mut dirs = Vec::new();
        // One after the other: the first migrates and seeds the demo
        // kiosk; the second finds the database made.
        for i in 1..=2 {
            let d = dir.join(format!("c{i}"));
            std::fs::create_dir_all(&d).unwrap();
            let db = pg.database(&format!("c{i}"));
            let c = CentreProcess::start_on(&d, "127.0.0.1:0", Some(&db), extra).unwrap();
            centres.push(c);
            dirs.push(d);
        }
        let addrs: Vec<_> = centres.iter().map(|c| c.addr).collect();
        let lb = Haproxy::start(&dir.join("lb"), &addrs).unwrap();
        Cluster {
            pg,
            centres,
            dirs,
            lb,
        }
    }

    /// Each payment once, under the kiosk's numbers; the ledger balanced.
    fn assert_exactly_once(&self, db: &Path, paid: i64) {
        let pg = &self.pg;
        assert_eq!(pg.count("SELECT COUNT(*) FROM payments").unwrap(), paid);
        assert_eq!(
            pg.count("SELECT COUNT(DISTINCT entry_id) FROM payments")
                .unwrap(),
            paid
        );
        assert_eq!(
            pg.count("SELECT COUNT(*) FROM entries WHERE kind = 'payment' AND status = 'accepted'")
                .unwrap(),
            paid
        );
        let centre: std::collections::BTreeSet<String> = pg
            .query("SELECT local_receipt_no || ' ' || receipt_no FROM payments")
            .unwrap()
            .lines()
            .map(String::from)
            .collect();
        let kiosk: std::collections::BTreeSet<String> = kiosk_store::rusqlite::Connection::open(db)
            .unwrap()
            .prepare("SELECT receipt_no || ' ' || COALESCE(final_receipt_no, '-') FROM receipts")
            .unwrap()
            .query_map([], |r| r.get::<_, String>(0))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert_eq!(kiosk, centre, "the kiosk's final numbers are the centre's");
        // Exits 1 (an Err here) when the ledger's invariants break.
        self.centres[0].admin(&["check-ledger"]).unwrap();
        let total: i64 = kiosk_store::rusqlite::Connection::open(db)
            .unwrap()
            .query_row(
                "SELECT COALESCE(SUM(total_paise), 0) FROM receipts",
                [],
                |r| r.get(0),
            )
            .unwrap();
        let ledger = self.centres[0]
            .admin(&["ledger", "--kiosk", DEMO_KIOSK])
            .unwrap();
        let want = format!("wallet {}", domain::Paise::new(DEMO_OPENING - total));
        assert!(
            ledger.contains(&want),
            "wallet {want} (opening less the payments) in\n{ledger}"
        );
    }
}

fn unsent(db: &Path) -> u64 {
    Kiosk::open(db, Arc::new(SystemClock))
        .unwrap()
        .queue_stats()
        .unwrap()
        .unsent as u64
}

/// Pushes until the queue is empty, through whatever fails on the way
/// (an instance gone, the balancer's 502/503); the errors seen.
async fn drain(
    e: &mut kiosk_sync::Engine<kiosk_sync::transport::HttpTransport>,
    db: &Path,
) -> Vec<String> {
    let end = Instant::now() + Duration::from_secs(120);
    let mut errors = Vec::new();
    while unsent(db) > 0 {
        assert!(Instant::now() < end, "queue not drained; errors {errors:?}");
        if let Err(err) = e.push_all().await {
            errors.push(err.to_string());
        }
    }
    errors
}

fn pushes_by(lb: &Haproxy) -> std::collections::BTreeMap<String, usize> {
    let mut m = std::collections::BTreeMap::new();
    for l in lb.log() {
        if l.path == "/v1/sync/push" && l.status == 200 {
            *m.entry(l.server).or_insert(0) += 1;
        }
    }
    m
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_devices_pushes_spread_over_both_instances_and_land_once() {
    let dir = tempfile::tempdir().unwrap();
    // Both instances send the consumers' SMS from the one queue.
    let sms = SmsReceiver::start().await.unwrap();
    let c = Cluster::start_with(
        dir.path(),
        &format!("notify_every_secs = 1\n[sms]\nurl = {:?}\n", sms.url),
    );
    let db = registered_kiosk(dir.path(), &c.lb.url()).await.unwrap();
    let mut e = engine(&db, &c.lb.url(), SyncConfig::default()).unwrap();
    // The catalogue and the wallet first.
    e.sync_once().await.unwrap();
    let mut paid = 0;
    for round in 0..8u64 {
        pay_many(&db, 15, round * 15).unwrap();
        paid += 15;
        let errors = drain(&mut e, &db).await;
        assert!(errors.is_empty(), "{errors:?}");
    }
    // The balancer logs a request when it ends, which may be just after
    // the kiosk has its answer.
    let end = Instant::now() + Duration::from_secs(10);
    let by = loop {
        let by = pushes_by(&c.lb);
        if by.values().sum::<usize>() >= 8 || Instant::now() > end {
            break by;
        }
        tokio::task::yield_now().await;
    };
    assert!(
        by.get("c1").copied().unwrap_or(0) >= 2 && by.get("c2").copied().unwrap_or(0) >= 2,
        "one device's pushes went to both instances: {by:?}"
    );
    c.assert_exactly_once(&db, paid);
    // One SMS per payment, each sent once although both instances drain
    // the queue every second.
    let end = Instant::now() + Duration::from_secs(60);
    while c
        .pg
        .count("SELECT COUNT(*) FROM notifications WHERE channel = 'sms' AND status = 'sent'")
        .unwrap()
        < paid
    {
        assert!(
            Instant::now() < end,
            "SMS not all sent: {}",
            sms.messages().len()
        );
        tokio::task::yield_now().await;
    }
    let refs: Vec<String> = sms
        .messages()
        .iter()
        .map(|m| m["ref"].to_string())
        .collect();
    let distinct: std::collections::BTreeSet<_> = refs.iter().collect();
    assert_eq!(refs.len() as i64, paid, "no SMS sent twice");
    assert_eq!(distinct.len() as i64, paid);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_batch_sent_to_both_instances_at_once_lands_once() {
    let dir = tempfile::tempdir().unwrap();
    let c = Cluster::start(dir.path());
    let db = registered_kiosk(dir.path(), &c.lb.url()).await.unwrap();
    // Two sync loops of one kiosk, each straight at one instance: every
    // batch goes to both at the same moment.
    let mut a = engine(&db, &c.centres[0].url(), SyncConfig::default()).unwrap();
    let mut b = engine(&db, &c.centres[1].url(), SyncConfig::default()).unwrap();
    a.sync_once().await.unwrap();
    let mut paid = 0;
    let mut both_accepted = 0;
    for round in 0..6u64 {
        pay_many(&db, 40, round * 40).unwrap();
        paid += 40;
        let (ra, rb) = tokio::join!(a.push_all(), b.push_all());
        if let (Ok(x), Ok(y)) = (&ra, &rb)
            && x.accepted > 0
            && y.accepted > 0
        {
            both_accepted += 1;
        }
        // Whatever one of them was refused, the other loop (or the next
        // round) sends again.
        drain(&mut a, &db).await;
    }
    assert!(
        both_accepted > 0,
        "both instances answered the same batch as accepted at least once"
    );
    c.assert_exactly_once(&db, paid);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_instance_killed_inside_a_push_loses_and_doubles_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = Cluster::start(dir.path());
    // A backlog of a thousand, as after a day offline: the kiosk may hold
    // that many unsent.
    c.centres[1]
        .admin(&[
            "set-exposure",
            "--kiosk",
            DEMO_KIOSK,
            "--amount",
            "45000",
            "--count",
            "2000",
            "--hours",
            "48",
        ])
        .unwrap();
    let db = registered_kiosk(dir.path(), &c.lb.url()).await.unwrap();
    engine(&db, &c.lb.url(), SyncConfig::default())
        .unwrap()
        .sync_once()
        .await
        .unwrap();
    let paid = 1_000;
    pay_many(&db, paid as u64, 0).unwrap();
    let url = c.lb.url();
    let db2 = db.clone();
    // Made here: the device key is in this thread's session keyring.
    let mut e = engine(&db2, &url, SyncConfig::default()).unwrap();
    let pusher = tokio::spawn(async move { drain(&mut e, &db2).await });
    // Until c1 is inside a transaction (its connection in PostgreSQL is
    // busy), then SIGKILL.
    let end = Instant::now() + Duration::from_secs(60);
    loop {
        let busy =
            c.pg.count(
                "SELECT COUNT(*) FROM pg_stat_activity WHERE application_name = 'c1' \
                 AND state IN ('active', 'idle in transaction')",
            )
            .unwrap();
        if busy > 0 {
            break;
        }
        assert!(
            !pusher.is_finished(),
            "the queue drained before c1 was caught in a push"
        );
        assert!(Instant::now() < end, "c1 never seen inside a transaction");
    }
    c.centres[0].kill();
    c.lb.wait_states(Duration::from_secs(10), |s| {
        s.iter().any(|(n, st)| n == "c1" && st.starts_with("DOWN"))
    })
    .unwrap();
    let errors = pusher.await.unwrap();
    eprintln!("errors while an instance died: {errors:?}");
    c.assert_exactly_once(&db, paid);
    // The killed transaction held no lock for good: the instance back on
    // its address, and both answer more pushes of the same device.
    let addr = c.centres[0].addr.to_string();
    c.centres[0] =
        CentreProcess::start_on(&c.dirs[0], &addr, Some(&c.pg.database("c1")), "").unwrap();
    c.lb.wait_up(2, Duration::from_secs(20)).unwrap();
    let before = pushes_by(&c.lb);
    let mut e = engine(&db, &c.lb.url(), SyncConfig::default()).unwrap();
    for round in 0..4u64 {
        pay_many(&db, 5, 10_000 + round * 5).unwrap();
        assert!(drain(&mut e, &db).await.is_empty());
    }
    let end = Instant::now() + Duration::from_secs(10);
    loop {
        let after = pushes_by(&c.lb);
        let grew =
            |s: &str| after.get(s).copied().unwrap_or(0) > before.get(s).copied().unwrap_or(0);
        if grew("c1") && grew("c2") {
            break;
        }
        assert!(
            Instant::now() < end,
            "both instances answer again: {before:?} → {after:?}"
        );
        tokio::task::yield_now().await;
    }
    c.assert_exactly_once(&db, paid + 20);
}

/// A wrong login from one client address through the balancer.
async fn wrong_login(lb: &Haproxy, from: &str, login: &str, spoof: Option<&str>) -> (u16, String) {
    let http = reqwest::Client::builder()
        .local_address(from.parse::<std::net::IpAddr>().unwrap())
        .build()
        .unwrap();
    let mut r = http
        .post(format!("{}/v1/auth/login", lb.url()))
        .json(&serde_json::json!({"login": login, "password": "Wrong@2026"}));
    if let Some(a) = spoof {
        r = r.header("x-forwarded-for", a);
    }
    let r = r.send().await.unwrap();
    let status = r.status().as_u16();
    let v: serde_json::Value = r.json().await.unwrap_or_default();
    (status, v["code"].as_str().unwrap_or_default().to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_limits_see_the_client_behind_the_balancer() {
    let dir = tempfile::tempdir().unwrap();
    // HAProxy reaches the instances from 127.0.0.1; the clients come from
    // other loopback addresses (all of 127/8 is this machine).
    let c = Cluster::start_with(
        dir.path(),
        "login_failures_per_address = 3\n[limits]\ntrusted_proxies = [\"127.0.0.1\"]\n",
    );
    // The budget is each instance's own (kept in memory): at most 3 per
    // instance, so 6 through two, and then the address is refused.
    let mut refused_after = None;
    for i in 1..=7 {
        let (status, code) = wrong_login(
            &c.lb,
            "127.0.0.2",
            &format!("nobody{i}"),
            Some("127.0.0.99"),
        )
        .await;
        if status == 429 {
            assert_eq!(code, "request.rate_limited");
            refused_after = Some(i - 1);
            break;
        }
        assert_eq!(status, 401, "{code}");
    }
    let n = refused_after.expect("the address was refused");
    assert!((3..=6).contains(&n), "refused after {n} failures");
    // Another client is not: the instances see each by its own address,
    // whatever the first one wrote in its header.
    let (status, code) = wrong_login(&c.lb, "127.0.0.3", "somebody", None).await;
    assert_eq!(status, 401, "{code}");
}

#[test]
fn the_production_balancer_example_is_valid() {
    // docs/production/haproxy.cfg, with a certificate made here for the
    // one it names.
    let dir = tempfile::tempdir().unwrap();
    let (key, cert) = (dir.path().join("k.pem"), dir.path().join("c.pem"));
    let ok = std::process::Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
        ])
        .args(["-subj", "/CN=centre", "-keyout"])
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .unwrap()
        .status
        .success();
    assert!(ok, "openssl req");
    let pem = dir.path().join("centre.pem");
    let both = std::fs::read_to_string(&cert).unwrap() + &std::fs::read_to_string(&key).unwrap();
    std::fs::write(&pem, both).unwrap();
    let example = include_str!("../../../docs/production/haproxy.cfg");
    assert!(example.contains("/etc/haproxy/certs/centre.pem"));
    assert!(
        example.contains("option forwardfor") && example.contains("option httpchk GET /healthz")
    );
    assert!(
        example.contains("alpn h2,http/1.1"),
        "kiosks sync over HTTP/2"
    );
    let cfg = dir.path().join("haproxy.cfg");
    std::fs::write(
        &cfg,
        example.replace("/etc/haproxy/certs/centre.pem", pem.to_str().unwrap()),
    )
    .unwrap();
    sync_bench::cluster::check_config(&cfg).unwrap();
}
