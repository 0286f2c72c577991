//! 1,000 queued payments drained through the `2g-rural` link profile (20
//! kbps both ways, 650 ms one-way, 2 % of requests cut, a reset every
//! 20–40 s) to a real `kiosk-server` process. Keys `seconds`, `lost`,
//! `duplicated` (goal ≤ 60 s, 0, 0).
//!
//! Then 1,000 more through the harsher `2g-harsh` profile (12 kbps, 900 ms
//! one-way, 4 % cut, a reset every 5–10 s, a 6 s black hole every 45 s),
//! twice with the same fault seed: by the long-running loop (`sync watch`,
//! the app's), keys `harsh_seconds` and `harsh_bytes_per_txn`; and by a
//! fresh `kiosk-sync now` process per run until the queue is empty, key
//! `harsh_fresh_seconds`. Goals: `harsh_seconds` ≤ 1.2 ×
//! `harsh_fresh_seconds`, `harsh_bytes_per_txn` ≤ 80.

use std::time::{Duration, Instant};

use anyhow::{Context, ensure};
use kiosk_sync::SyncConfig;
use kiosk_sync::transport::Transport;
use linkfault::{Faults, LinkFault, Profile};
use protocol::{Cursor, PROTOCOL_VERSION, PullRequest};
use sync_bench::*;

const N: u64 = 1_000;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let centre = CentreProcess::start(dir.path()).context("starting kiosk-server")?;
    let proxy = LinkFault::start(centre.addr, Faults::clean()).await?;
    let url = format!("http://{}", proxy.addr());
    let db = registered_kiosk(dir.path(), &url).await?;
    centre.admin(&[
        "set-exposure",
        "--kiosk",
        DEMO_KIOSK,
        "--amount",
        "1000000",
        "--count",
        "100000",
        "--hours",
        "72",
    ])?;
    let mut e = engine(&db, &url, SyncConfig::default())?;
    e.sync_once().await?;
    let paid = pay_many(&db, N, 0)?;
    ensure!(e.kiosk().queue_stats()?.unsent == N as i64);

    let h = proxy.handle();
    h.set_profile(Profile::TwoGRural);
    h.reset_counters();
    let mut status = e.status();
    let stop = e.handle();
    let start = Instant::now();
    let runner = tokio::spawn(async move {
        e.run().await;
        e
    });
    let drained = tokio::time::timeout(
        Duration::from_secs(900),
        status.wait_for(|s| s.queue_len == 0 && s.last_push_at.is_some()),
    )
    .await
    // Drop the guard at once: holding it would stall the engine's updates.
    .map(|r| r.is_ok());
    let seconds = start.elapsed().as_secs_f64();
    ensure!(drained == Ok(true), "not drained after 900 s");
    let faults = h.counters();
    stop.stop();
    let e = runner.await?;

    // Count on a clean link: what the kiosk holds answered, what the
    // centre charged (its ledger lines for this kiosk).
    h.set(Faults::clean());
    let conn = e.kiosk().store().conn();
    let (answered, accepted, accepted_total): (i64, i64, i64) = conn.query_row(
        "SELECT COUNT(o.outcome), COUNT(CASE WHEN o.outcome = 'accepted' THEN 1 END),
                COALESCE(SUM(CASE WHEN o.outcome = 'accepted' THEN r.total_paise END), 0)
           FROM outbox o JOIN receipts r ON r.id = o.receipt_id WHERE o.kind = 'payment'",
        [],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )?;
    let mut cursor = Cursor::default();
    let mut charged = std::collections::HashMap::<i64, i64>::new();
    let mut balance;
    loop {
        let r = e
            .transport()
            .pull(
                &PullRequest {
                    version: PROTOCOL_VERSION,
                    cursor,
                    limit: 1000,
                    health: None,
                },
                Duration::from_secs(30),
            )
            .await?;
        for l in r
            .ledger
            .iter()
            .filter(|l| l.account == "wallet" && l.kind == "payment")
        {
            *charged.entry(l.txn_id).or_default() += 1;
        }
        balance = r.wallet_balance.as_i64();
        if !r.more {
            break;
        }
        cursor = r.cursor;
    }
    let lost = N as i64 - answered;
    let duplicated = (charged.len() as i64 - accepted).max(0)
        + charged.values().filter(|c| **c > 1).count() as i64;
    ensure!(
        balance == DEMO_OPENING - accepted_total,
        "centre wallet {balance} vs opening less accepted {}",
        DEMO_OPENING - accepted_total
    );
    drop(e);

    // The harsher link, the same fault seed for both ways of draining.
    const HARSH_SEED: u64 = 0x4a25_5eed;
    centre.admin(&["refill", "--kiosk", DEMO_KIOSK, "--amount", "100000"])?;
    let mut e = engine(&db, &url, SyncConfig::default())?;
    e.sync_once().await?;
    pay_many(&db, N, 10_000)?;
    let harsh = LinkFault::start_on(
        "127.0.0.1:0".parse()?,
        centre.addr,
        Faults::profile(Profile::TwoGHarsh),
        HARSH_SEED,
    )
    .await?;
    let harsh_url = format!("http://{}", harsh.addr());
    let mut e = engine(&db, &harsh_url, SyncConfig::default())?;
    let mut status = e.status();
    let stop = e.handle();
    let start = Instant::now();
    let runner = tokio::spawn(async move {
        e.run().await;
        e
    });
    let drained = tokio::time::timeout(
        Duration::from_secs(1800),
        status.wait_for(|s| s.queue_len == 0 && s.last_push_at.is_some()),
    )
    .await
    .map(|r| r.is_ok());
    let harsh_seconds = start.elapsed().as_secs_f64();
    ensure!(drained == Ok(true), "harsh loop: not drained after 1800 s");
    let hc = harsh.handle().counters();
    stop.stop();
    drop(runner.await?);
    drop(harsh);

    pay_many(&db, N, 20_000)?;
    let harsh = LinkFault::start_on(
        "127.0.0.1:0".parse()?,
        centre.addr,
        Faults::profile(Profile::TwoGHarsh),
        HARSH_SEED,
    )
    .await?;
    let harsh_url = format!("http://{}", harsh.addr());
    let exe = kiosk_sync_exe()?;
    let start = Instant::now();
    let mut runs = 0;
    loop {
        runs += 1;
        ensure!(
            start.elapsed() < Duration::from_secs(1800),
            "harsh fresh: not drained"
        );
        let _ = std::process::Command::new(&exe)
            .arg("--db")
            .arg(&db)
            .args(["now", "--server", &harsh_url])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()?;
        let k = kiosk_core::Kiosk::open(&db, std::sync::Arc::new(domain::SystemClock))?;
        if k.queue_stats()?.unsent == 0 {
            break;
        }
    }
    let harsh_fresh_seconds = start.elapsed().as_secs_f64();
    let fc = harsh.handle().counters();
    let round = |x: f64| (x * 10.0).round() / 10.0;

    write_results(&serde_json::json!({
        "harsh_seconds": round(harsh_seconds),
        "harsh_fresh_seconds": round(harsh_fresh_seconds),
        "harsh_bytes_per_txn": round((hc.up_bytes + hc.down_bytes) as f64 / N as f64),
        "harsh_fresh_bytes_per_txn": round((fc.up_bytes + fc.down_bytes) as f64 / N as f64),
        "harsh_fresh_runs": runs,
        "harsh_link_resets": hc.resets,
        "harsh_link_cuts": hc.cuts,
        "goal_harsh_seconds_vs_fresh": 1.2,
        "goal_harsh_bytes_per_txn": 80,
        "seconds": (seconds * 10.0).round() / 10.0,
        "lost": lost,
        "duplicated": duplicated,
        "txns": N,
        "accepted": accepted,
        "paid_paise": paid.as_i64(),
        "profile": "2g-rural",
        "link_resets": faults.resets,
        "link_cuts": faults.cuts,
        "up_bytes": faults.up_bytes,
        "down_bytes": faults.down_bytes,
        "connections": faults.connections,
        "goal_seconds": 60,
    }))?;
    Ok(())
}
