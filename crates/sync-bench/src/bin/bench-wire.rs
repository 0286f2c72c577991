//! Bytes on the wire per synced payment, measured at the link-fault proxy
//! between the kiosk and a real `kiosk-server` process: request + answer
//! of a push of 50 entries on a warm connection. Key `bytes_per_txn`
//! (goal ≤ 100). Then one payment pushed alone on the same warm
//! connection, as the long-running loop does after each sale: key
//! `single_warm_bytes` (request + answer; goal ≤ 250).

use std::time::Duration;

use anyhow::{Context, ensure};
use kiosk_sync::SyncConfig;
use kiosk_sync::backoff::BatchSizer;
use linkfault::{Faults, LinkFault};
use sync_bench::*;

const BATCH: u64 = 50;
const ROUNDS: u64 = 10;

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
    let mut e = engine(&db, &url, SyncConfig::default())?.with_sizer(BatchSizer::new(
        Duration::from_secs(6),
        BATCH as usize,
        BATCH as usize,
    ));
    e.sync_once().await?;
    // Warm the connection with one batch.
    pay_many(&db, BATCH, 0)?;
    e.push_all().await?;
    let h = proxy.handle();
    let (mut up, mut down) = (0u64, 0u64);
    for r in 1..=ROUNDS {
        pay_many(&db, BATCH, r * BATCH)?;
        h.reset_counters();
        let rep = e.push_all().await?;
        ensure!(
            rep.batches == 1 && rep.accepted == BATCH as u32,
            "one batch of {BATCH} accepted: {rep:?}"
        );
        let c = h.counters();
        ensure!(c.connections == 0, "the connection stayed warm");
        up += c.up_bytes;
        down += c.down_bytes;
    }
    h.reset_counters();
    e.pull_all().await?;
    let pull = h.counters();
    // One payment alone, warm connection (the loop after a sale).
    let mut single = Vec::new();
    for i in 0..5 {
        pay_many(&db, 1, 10_000 + i)?;
        h.reset_counters();
        let rep = e.push_all().await?;
        ensure!(
            rep.batches == 1 && rep.accepted == 1,
            "one payment: {rep:?}"
        );
        let c = h.counters();
        ensure!(c.connections == 0, "the connection stayed warm");
        single.push((c.up_bytes, c.down_bytes));
    }
    single.sort();
    let (s_up, s_down) = single[single.len() / 2];
    let n = (ROUNDS * BATCH) as f64;
    write_results(&serde_json::json!({
        "bytes_per_txn": ((up + down) as f64 / n * 10.0).round() / 10.0,
        "request_bytes_per_txn": (up as f64 / n * 10.0).round() / 10.0,
        "response_bytes_per_txn": (down as f64 / n * 10.0).round() / 10.0,
        "batch": BATCH,
        "batches_measured": ROUNDS,
        "pull_after_batch_bytes": pull.up_bytes + pull.down_bytes,
        "single_warm_bytes": s_up + s_down,
        "single_warm_request_bytes": s_up,
        "single_warm_response_bytes": s_down,
        "goal_single_warm_bytes": 250,
        "encoding": "postcard (raw when zstd would not shrink it, else zstd) over HTTP/2, signed (x-device, x-sig)",
        "goal_bytes_per_txn": 100,
    }))?;
    Ok(())
}
