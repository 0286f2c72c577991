//! 1,000 queued payments drained through the `2g-rural` link profile (20
//! kbps both ways, 650 ms one-way, 2 % of requests cut, a reset every
//! 20–40 s) to a real `kiosk-server` process. Keys `seconds`, `lost`,
//! `duplicated` (goal ≤ 60 s, 0, 0).

use std::time::{Duration, Instant};

use anyhow::{Context, ensure};
use kiosk_sync::SyncConfig;
use kiosk_sync::benchkit::*;
use kiosk_sync::transport::Transport;
use linkfault::{Faults, LinkFault, Profile};
use protocol::{Cursor, PROTOCOL_VERSION, PullRequest};

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
    write_results(&serde_json::json!({
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
