//! `scripts/bench login-flood`: how fast a kiosk syncs while strangers
//! flood the centre with logins. One `kiosk-server` process on PostgreSQL
//! (the demo kiosk, default hashing pool), a registered kiosk syncing one
//! new payment at a time (push + pull, `Engine::sync_once`), first alone
//! (the anchor, `sync_p99_quiet_ms`), five a second, then while 32 clients, each from its
//! own loopback address, send wrong logins for random names back to back
//! (`sync_p99_ms`, goal ≤ 50 ms). The per-address failure budget is lifted
//! in this centre's config so that every login costs a password hash: the
//! flood tests the hashing pool, not the address limit.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use kiosk_sync::SyncConfig;
use sync_bench::cluster::PgSchema;
use sync_bench::*;

const FLOODERS: usize = 32;

fn pct(v: &[f64], p: f64) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

async fn syncs(
    e: &mut kiosk_sync::Engine<kiosk_sync::transport::HttpTransport>,
    db: &std::path::Path,
    n: u64,
    start: u64,
) -> anyhow::Result<Vec<f64>> {
    let mut lat = Vec::new();
    // Five syncs a second: well inside the centre's per-device rate limit
    // (20 requests a second), far above what a real kiosk does.
    let mut tick = tokio::time::interval(Duration::from_millis(200));
    for i in start..start + n {
        tick.tick().await;
        pay_many(db, 1, i)?;
        let t = Instant::now();
        e.sync_once().await?;
        lat.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    lat.sort_by(|a, b| a.total_cmp(b));
    Ok(lat)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let n = std::env::var("BENCH_SYNCS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200u64);
    let pg = PgSchema::new()?;
    let dir = tempfile::tempdir()?;
    let cdir = dir.path().join("centre");
    std::fs::create_dir_all(&cdir)?;
    let centre = CentreProcess::start_on(
        &cdir,
        "127.0.0.1:0",
        Some(&pg.database("flood")),
        "login_failures_per_address = 100000000\n",
    )?;
    let url = centre.url();
    let db = registered_kiosk(dir.path(), &url).await?;
    let mut e = engine(&db, &url, SyncConfig::default())?;
    // Warm: the catalogue and wallet first, then a connection in use.
    e.sync_once().await?;
    syncs(&mut e, &db, 5, 0).await?;
    let quiet = syncs(&mut e, &db, n, 100).await?;

    let stop = Arc::new(AtomicBool::new(false));
    let answered = Arc::new(AtomicUsize::new(0));
    let busy = Arc::new(AtomicUsize::new(0));
    let mut flood = Vec::new();
    for i in 0..FLOODERS {
        let (stop, answered, busy, url) =
            (stop.clone(), answered.clone(), busy.clone(), url.clone());
        flood.push(tokio::spawn(async move {
            let http = reqwest::Client::builder()
                .local_address(std::net::IpAddr::from([127, 0, 4, 1 + i as u8]))
                .build()?;
            let mut k = 0u64;
            while !stop.load(Ordering::Relaxed) {
                k += 1;
                let r = http
                    .post(format!("{url}/v1/auth/login"))
                    .json(&serde_json::json!({"login": format!("stranger{i}x{k}"), "password": "Guess@1234"}))
                    .send()
                    .await?;
                if r.status() == reqwest::StatusCode::SERVICE_UNAVAILABLE
                    || r.status() == reqwest::StatusCode::TOO_MANY_REQUESTS
                {
                    busy.fetch_add(1, Ordering::Relaxed);
                }
                let _ = r.bytes().await;
                answered.fetch_add(1, Ordering::Relaxed);
            }
            Ok::<_, anyhow::Error>(())
        }));
    }
    // The flood is on once every flooder has had an answer or two.
    let t0 = Instant::now();
    while answered.load(Ordering::Relaxed) < FLOODERS * 2 {
        anyhow::ensure!(
            t0.elapsed() < Duration::from_secs(60),
            "the flood never got answers"
        );
        tokio::task::yield_now().await;
    }
    let a0 = answered.load(Ordering::Relaxed);
    let t = Instant::now();
    let flooded = syncs(&mut e, &db, n, 10_000).await?;
    let logins_per_s = (answered.load(Ordering::Relaxed) - a0) as f64 / t.elapsed().as_secs_f64();
    stop.store(true, Ordering::Relaxed);
    for f in flood {
        f.await??;
    }
    let r = |x: f64| (x * 10.0).round() / 10.0;
    write_results(&serde_json::json!({
        "sync_p99_ms": r(pct(&flooded, 0.99)),
        "sync_p50_ms": r(pct(&flooded, 0.5)),
        "sync_p99_quiet_ms": r(pct(&quiet, 0.99)),
        "sync_p50_quiet_ms": r(pct(&quiet, 0.5)),
        "syncs": n,
        "flooders": FLOODERS,
        "flood_logins_per_s": r(logins_per_s),
        "flood_refused_busy": busy.load(Ordering::Relaxed),
        "store": "postgresql",
    }))?;
    Ok(())
}
