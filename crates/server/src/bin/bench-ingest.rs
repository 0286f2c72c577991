//! `scripts/bench ingest`: sync push throughput and latency on PostgreSQL.
//!
//! How the load is made: 10,000 kiosks are onboarded in a fresh schema of
//! the database at `KIOSK_TEST_PG_URL`, each with its own device and
//! ed25519 key. Every push body (batches of 50 bill payments, each kiosk's
//! own hash chain from seq 1) is built and signed before the clock starts,
//! so the figures are the server's: HTTP, signature check, decoding, chain
//! check, planning and the PostgreSQL transaction. Server and load
//! generator share this process and the machine's cores with PostgreSQL.
//!
//! * Phase A, throughput: `BENCH_CONCURRENCY` connections push the batches
//!   of `BENCH_PUSHES_A` different kiosks back to back → `txn_per_s`.
//! * Phase B, latency at the fleet's rate: 10,000 kiosks each syncing once a
//!   minute is 10,000/60 ≈ 167 syncs a second, started on that schedule
//!   (open loop: a slow answer does not slow the arrivals) for
//!   `BENCH_SECONDS`, each from a kiosk not yet seen. A sync is a pull
//!   (wallet, outcomes, notices) and, for the kiosks with a backlog, a push
//!   of 50 first. `BENCH_BUSY` (default 0.6) of the kiosks have one, so the
//!   fleet offers 10,000 × 0.6 × 50 / 60 = 5,000 transactions a second —
//!   the throughput goal — while every kiosk syncs. → `p99_push_ms`
//!   (and `p99_pull_ms`). `BENCH_BUSY=1` offers 8,333/s: every kiosk with a
//!   full batch every minute.
//!
//! Writes JSON to `BENCH_OUT` (keys `txn_per_s`, `p99_push_ms`, `lost`,
//! `duplicated`, …).
//!
//! `BENCH_TARGET` (a URL) and `BENCH_SCHEMA`: push to centre instances
//! already serving that schema (`scripts/bench ingest-cluster` starts them
//! behind HAProxy) instead of a server in this process; `BENCH_INSTANCES`
//! says how many there are, for the figures.

use anyhow::Context;
use domain::{CartLine, Contact, Mobile, Paise, PaymentMode};
use ed25519_dalek::SigningKey;
use protocol::{
    Entry, EntryKind, GENESIS_HASH, PaymentPayload, PushRequest, PushResponse, WireEntry,
    chain_hash,
};
use server::api::AppState;
use server::db::{Db, PgDb};
use server::store::Store;
use std::sync::Arc;
use std::time::{Duration, Instant};
use uuid::Uuid;

fn env_usize(k: &str, d: usize) -> usize {
    std::env::var(k)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(d)
}

struct Prepared {
    device: Uuid,
    sig: String,
    body: Vec<u8>,
    n: usize,
}

fn key_for(i: usize) -> SigningKey {
    let mut seed = [7u8; 32];
    seed[..8].copy_from_slice(&(i as u64).to_le_bytes());
    SigningKey::from_bytes(&seed)
}

fn build(
    i: usize,
    code: &str,
    device: Uuid,
    key: &SigningKey,
    batch: usize,
    t0_ms: i64,
) -> Prepared {
    let mut prev = GENESIS_HASH;
    let mut entries = Vec::with_capacity(batch);
    for n in 0..batch {
        let amount = 100_00 + ((i * 7919 + n * 104_729) % 1_900_00) as i64;
        let p = PaymentPayload {
            receipt_no: format!("{code}-001-{:07}", n + 1),
            receipt_id: domain::new_id(&domain::SystemClock),
            kiosk_code: code.to_string(),
            operator: "op1".into(),
            contact: Contact {
                mobile: Some(
                    Mobile::parse(&format!("98{:08}", (i * 100 + n) % 100_000_000)).unwrap(),
                ),
                email: None,
            },
            mode: PaymentMode::Wallet,
            lines: vec![CartLine {
                service_code: "JVVNL-BILL".into(),
                department: "JVVNL".into(),
                consumer_no: format!("2{i:05}{n:06}"),
                consumer_name: Some("Ram Lal".into()),
                bill_ref: None,
                bill_amount: Paise::new(amount),
                charge: Paise::ZERO,
                commission: Paise::new(600),
            }],
            total: Paise::new(amount),
            commission: Paise::new(600),
            duplicate_confirmed: false,
        };
        let e = Entry {
            format: protocol::ENTRY_FORMAT_VERSION,
            device_id: device,
            seq: n as u64 + 1,
            id: domain::new_id(&domain::SystemClock),
            kind: EntryKind::Payment,
            device_time_ms: t0_ms + n as i64 * 1000,
            payload: p.encode(),
        };
        prev = chain_hash(&prev, &e);
        entries.push(WireEntry::from_entry(&e));
    }
    let req = PushRequest {
        version: protocol::PROTOCOL_VERSION,
        first_seq: 1,
        last_hash: prev,
        entries,
        clock_offset_ms: Some(0),
    };
    let body = protocol::encode_body(&req);
    let sig = protocol::wire::sign_request(key, device, "POST", "/v1/sync/push", &body);
    Prepared {
        device,
        sig,
        body,
        n: batch,
    }
}

async fn push(
    http: &reqwest::Client,
    base: &str,
    p: &Prepared,
) -> anyhow::Result<(Duration, usize)> {
    let t = Instant::now();
    let r = http
        .post(format!("{base}/v1/sync/push"))
        .header(protocol::wire::HEADER_DEVICE, p.device.to_string())
        .header(protocol::wire::HEADER_SIGNATURE, &p.sig)
        .header("content-type", protocol::wire::SYNC_CONTENT_TYPE)
        .body(p.body.clone())
        .send()
        .await?;
    let st = r.status();
    let b = r.bytes().await?;
    let el = t.elapsed();
    anyhow::ensure!(
        st.is_success(),
        "push answered {st}: {}",
        String::from_utf8_lossy(&b)
    );
    let resp: PushResponse = protocol::decode_body(&b)?;
    let ok = resp
        .outcomes
        .iter()
        .filter(|o| matches!(o.outcome, protocol::Outcome::Accepted { .. }))
        .count();
    anyhow::ensure!(
        ok == p.n,
        "{} of {} accepted: {:?}",
        ok,
        p.n,
        resp.outcomes
            .iter()
            .find(|o| !matches!(o.outcome, protocol::Outcome::Accepted { .. }))
    );
    Ok((el, ok))
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn main() -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    rt.block_on(run())
}

async fn run() -> anyhow::Result<()> {
    let url = std::env::var("KIOSK_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://root@127.0.0.1:5432/test".into());
    let out = std::env::var("BENCH_OUT").unwrap_or_else(|_| "bench-results/ingest.json".into());
    let kiosks = env_usize("BENCH_KIOSKS", 10_000);
    let batch = env_usize("BENCH_BATCH", 50);
    let conc = env_usize("BENCH_CONCURRENCY", 8);
    let pushes_a = env_usize("BENCH_PUSHES_A", 1_000).min(kiosks / 2);
    let secs_b = env_usize("BENCH_SECONDS", 20);
    let rate_b = kiosks as f64 / 60.0;
    let syncs_b = ((rate_b * secs_b as f64) as usize).min(kiosks - pushes_a);
    let busy: f64 = std::env::var("BENCH_BUSY")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.6);
    // Kiosk k of phase B has a backlog when its share of busy ones says so (evenly spread).
    let has_backlog = move |k: usize| ((k + 1) as f64 * busy).floor() > (k as f64 * busy).floor();
    let pushes_b = syncs_b;

    let target = std::env::var("BENCH_TARGET").ok();
    let instances = env_usize("BENCH_INSTANCES", 1);
    let schema = std::env::var("BENCH_SCHEMA")
        .unwrap_or_else(|_| format!("bench_{}", domain::new_id(&domain::SystemClock).simple()));
    eprintln!("bench-ingest: schema {schema}, {kiosks} kiosks, batches of {batch}");
    let db = PgDb::connect(&url, Some(&schema), 12)
        .await
        .context("PostgreSQL at KIOSK_TEST_PG_URL")?;
    db.migrate().await?;
    let db: Arc<dyn Db> = Arc::new(db);
    let store = Store::new(db, Arc::new(domain::SystemClock));
    let cat = domain::Catalogue::from_toml(server::app::sample_catalogue_text())?;
    // Instances serving the schema already loaded this same catalogue.
    if store.catalogue().await?.is_none() {
        store.save_catalogue(&cat).await?;
    }

    let t = Instant::now();
    let keys: Vec<SigningKey> = (0..kiosks).map(key_for).collect();
    let codes: Vec<String> = (0..kiosks).map(|i| format!("B{i:05}")).collect();
    let onboard: Vec<(String, [u8; 32])> = codes
        .iter()
        .zip(&keys)
        .map(|(c, k)| (c.clone(), k.verifying_key().to_bytes()))
        .collect();
    let pw = server::auth::hash_password("Bench@12345");
    let ids = store
        .bulk_onboard(&onboard, "Jaipur", Paise::new(10_00_000_00), &pw)
        .await?;
    eprintln!(
        "onboarded {kiosks} kiosks in {:.1} s",
        t.elapsed().as_secs_f64()
    );

    let t = Instant::now();
    let t0 = domain::Clock::now(&domain::SystemClock).timestamp_millis();
    let prepared: Vec<Prepared> = (0..pushes_a + pushes_b)
        .map(|i| build(i, &codes[i], ids[i].1, &keys[i], batch, t0))
        .collect();
    let pulls: Vec<(Uuid, String, Vec<u8>)> = (0..pushes_b)
        .map(|k| {
            let i = pushes_a + k;
            let cursor = protocol::Cursor {
                catalogue_version: cat.version,
                ..Default::default()
            };
            let body = protocol::encode_body(&protocol::PullRequest {
                version: protocol::PROTOCOL_VERSION,
                cursor,
                limit: 100,
                health: None,
            });
            let sig =
                protocol::wire::sign_request(&keys[i], ids[i].1, "POST", "/v1/sync/pull", &body);
            (ids[i].1, sig, body)
        })
        .collect();
    let pulls = Arc::new(pulls);
    let body_bytes: usize = prepared.iter().map(|p| p.body.len()).sum();
    eprintln!(
        "built {} signed pushes in {:.1} s ({:.0} body bytes per entry)",
        prepared.len(),
        t.elapsed().as_secs_f64(),
        body_bytes as f64 / (prepared.len() * batch) as f64
    );

    let mut state = AppState::new(
        store.clone(),
        Default::default(),
        server::biller::Billers::new(&store, &[]),
    );
    // The load is the point here, not its limits.
    state.limiter = server::api::RateLimiter::new(1e9, 1e9);
    let state = Arc::new(state);
    let (base, srv) = match &target {
        Some(t) => (t.trim_end_matches('/').to_string(), None),
        None => {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
            let base = format!("http://{}", listener.local_addr()?);
            let app = server::api::router(state);
            (
                base,
                Some(tokio::spawn(
                    async move { axum::serve(listener, app).await },
                )),
            )
        }
    };
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(256)
        .build()?;
    let prepared = Arc::new(prepared);

    // Phase A: closed loop.
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let t = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..conc {
        let (http, base, prepared, next) =
            (http.clone(), base.clone(), prepared.clone(), next.clone());
        workers.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut n = 0;
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                if i >= pushes_a {
                    return Ok::<_, anyhow::Error>((lat, n));
                }
                let (d, ok) = push(&http, &base, &prepared[i]).await?;
                lat.push(d.as_secs_f64() * 1000.0);
                n += ok;
            }
        }));
    }
    let mut lat_a = Vec::new();
    let mut txns_a = 0;
    for w in workers {
        let (l, n) = w.await??;
        lat_a.extend(l);
        txns_a += n;
    }
    let el_a = t.elapsed().as_secs_f64();
    let txn_per_s = txns_a as f64 / el_a;
    lat_a.sort_by(|a, b| a.total_cmp(b));
    eprintln!(
        "phase A: {txns_a} txns in {el_a:.1} s = {txn_per_s:.0} txn/s; push p50 {:.1} ms p99 {:.1} ms",
        pct(&lat_a, 0.5),
        pct(&lat_a, 0.99)
    );

    // Phase B: open loop at the fleet's rate.
    let start = tokio::time::Instant::now();
    let mut tasks = Vec::with_capacity(syncs_b);
    for k in 0..syncs_b {
        tokio::time::sleep_until(start + Duration::from_secs_f64(k as f64 / rate_b)).await;
        let (http, base, prepared, pulls) =
            (http.clone(), base.clone(), prepared.clone(), pulls.clone());
        let backlog = has_backlog(k);
        tasks.push(tokio::spawn(async move {
            let pushed = if backlog {
                Some(push(&http, &base, &prepared[pushes_a + k]).await?)
            } else {
                None
            };
            let (dev, sig, body) = &pulls[k];
            let t = Instant::now();
            let r = http
                .post(format!("{base}/v1/sync/pull"))
                .header(protocol::wire::HEADER_DEVICE, dev.to_string())
                .header(protocol::wire::HEADER_SIGNATURE, sig)
                .header("content-type", protocol::wire::SYNC_CONTENT_TYPE)
                .body(body.clone())
                .send()
                .await?;
            anyhow::ensure!(r.status().is_success(), "pull answered {}", r.status());
            let p: protocol::PullResponse = protocol::decode_body(&r.bytes().await?)?;
            let pull_ms = t.elapsed().as_secs_f64() * 1000.0;
            anyhow::ensure!(
                p.outcomes.len() == if backlog { batch } else { 0 },
                "pull saw {} outcomes",
                p.outcomes.len()
            );
            Ok::<_, anyhow::Error>((pushed, pull_ms))
        }));
    }
    let mut lat_b = Vec::new();
    let mut lat_pull = Vec::new();
    let mut txns_b = 0;
    for t in tasks {
        let (pushed, pull_ms) = t.await??;
        if let Some((d, n)) = pushed {
            lat_b.push(d.as_secs_f64() * 1000.0);
            txns_b += n;
        }
        lat_pull.push(pull_ms);
    }
    let el_b = start.elapsed().as_secs_f64();
    lat_b.sort_by(|a, b| a.total_cmp(b));
    lat_pull.sort_by(|a, b| a.total_cmp(b));
    let p99 = pct(&lat_b, 0.99);
    eprintln!(
        "phase B: {syncs_b} syncs at {rate_b:.0}/s, {} with a push of {batch} ({:.0} txn/s offered) over {el_b:.1} s; push p50 {:.1} ms p99 {p99:.1} ms max {:.1} ms; pull p99 {:.1} ms",
        lat_b.len(),
        rate_b * busy * batch as f64,
        pct(&lat_b, 0.5),
        lat_b.last().copied().unwrap_or(0.0),
        pct(&lat_pull, 0.99)
    );

    let check = store.ledger_check().await?;
    anyhow::ensure!(check.is_ok(), "ledger invariants broken: {check:?}");
    if let Some(srv) = srv {
        srv.abort();
    }
    // Every transaction the centre answered accepted, against what it
    // stored: none missing, none twice.
    let answered = (txns_a + txns_b) as i64;
    let (stored, distinct) = store.payment_counts().await?;
    let lost = (answered - distinct).max(0);
    let duplicated = stored - distinct;

    let json = serde_json::json!({
        "txn_per_s": (txn_per_s * 10.0).round() / 10.0,
        "p99_push_ms": (p99 * 10.0).round() / 10.0,
        "p50_push_ms": (pct(&lat_b, 0.5) * 10.0).round() / 10.0,
        "batch": batch,
        "kiosks": kiosks,
        "phase_a": {"pushes": pushes_a, "concurrency": conc, "txns": txns_a, "seconds": el_a, "p50_ms": pct(&lat_a, 0.5), "p99_ms": pct(&lat_a, 0.99)},
        "phase_b": {"syncs": syncs_b, "syncs_per_s": rate_b, "busy_fraction": busy, "pushes": lat_b.len(), "txns": txns_b, "offered_txn_per_s": rate_b * busy * batch as f64, "seconds": el_b, "p50_ms": pct(&lat_b, 0.5), "p99_ms": p99, "max_ms": lat_b.last(), "pull_p99_ms": pct(&lat_pull, 0.99)},
        "p99_pull_ms": (pct(&lat_pull, 0.99) * 10.0).round() / 10.0,
        "request_body_bytes_per_txn": body_bytes as f64 / (prepared.len() * batch) as f64,
        "ledger_ok": check.is_ok(),
        "lost": lost,
        "duplicated": duplicated,
        "instances": instances,
        "through": if target.is_some() { "haproxy" } else { "in-process" },
        "store": "postgresql",
    });
    if let Some(dir) = std::path::Path::new(&out).parent() {
        std::fs::create_dir_all(dir).ok();
    }
    std::fs::write(&out, serde_json::to_string_pretty(&json)?)?;
    println!("{}", serde_json::to_string_pretty(&json)?);

    if std::env::var("BENCH_SCHEMA").is_ok() {
        // The caller's schema: it drops it.
        return Ok(());
    }
    if std::env::var("BENCH_KEEP").is_ok() {
        eprintln!("kept schema {schema}");
        return Ok(());
    }
    let (client, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await?;
    let h = tokio::spawn(conn);
    client
        .batch_execute(&format!("DROP SCHEMA \"{schema}\" CASCADE"))
        .await?;
    drop(client);
    let _ = h.await;
    Ok(())
}
