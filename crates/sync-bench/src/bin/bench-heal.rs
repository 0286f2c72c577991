//! Time from the link healing to the first successful push. The link is
//! the `2g-rural` figures (20 kbps, 650 ms one-way) without its random
//! cuts; it goes dark (black hole) with payments queued, the client falls
//! back to probing, then the link returns. Key `seconds`: the median of
//! the runs (goal ≤ 5).

use std::time::{Duration, Instant};

use anyhow::{Context, ensure};
use kiosk_sync::SyncConfig;
use linkfault::{Faults, LinkFault, Profile};
use sync_bench::*;

const RUNS: usize = 5;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let centre = CentreProcess::start(dir.path()).context("starting kiosk-server")?;
    let proxy = LinkFault::start(centre.addr, Faults::clean()).await?;
    let url = format!("http://{}", proxy.addr());
    let db = registered_kiosk(dir.path(), &url).await?;
    let mut e = engine(&db, &url, SyncConfig::default())?;
    e.sync_once().await?;
    let link = Faults {
        cut_request_probability: 0.0,
        reset_every: None,
        ..Profile::TwoGRural.faults()
    };
    let h = proxy.handle();
    h.set(link);
    let mut status = e.status();
    let nudge = e.handle();
    let runner = tokio::spawn(async move {
        e.run().await;
    });
    let mut times = Vec::new();
    for run in 0..RUNS {
        h.set(Faults {
            blackhole: true,
            ..link
        });
        pay_many(&db, 10, run as u64 * 10)?;
        nudge.nudge();
        // The client has noticed: a push or probe failed.
        tokio::time::timeout(Duration::from_secs(120), status.wait_for(|s| !s.online))
            .await
            .context("never went offline")??;
        let before = status.borrow().last_push_at;
        let healed = Instant::now();
        h.set(link);
        tokio::time::timeout(
            Duration::from_secs(120),
            status.wait_for(|s| s.last_push_at != before),
        )
        .await
        .context("no push after the heal")??;
        times.push(healed.elapsed().as_secs_f64());
        tokio::time::timeout(
            Duration::from_secs(120),
            status.wait_for(|s| s.queue_len == 0),
        )
        .await
        .context("not drained")??;
    }
    nudge.stop();
    runner.await?;
    ensure!(times.len() == RUNS);
    let mut sorted = times.clone();
    sorted.sort_by(|a, b| a.partial_cmp(b).unwrap());
    write_results(&serde_json::json!({
        "seconds": (sorted[RUNS / 2] * 100.0).round() / 100.0,
        "max_seconds": (sorted[RUNS - 1] * 100.0).round() / 100.0,
        "runs": times.iter().map(|t| (t * 100.0).round() / 100.0).collect::<Vec<_>>(),
        "link": "20 kbps both ways, 650 ms one-way, black hole while down",
        "goal_seconds": 5,
    }))?;
    Ok(())
}
