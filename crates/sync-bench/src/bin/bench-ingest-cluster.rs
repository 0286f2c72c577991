//! `scripts/bench ingest-cluster`: the `ingest` load (10,000 kiosks, the
//! same phases and keys) against two `kiosk-server` processes over one
//! PostgreSQL schema, behind a real HAProxy — the production layout of
//! docs/production.md on one machine. The instances, the balancer,
//! PostgreSQL and the load generator share this machine's cores, so the
//! figures are a floor for a real cluster, not its ceiling.
//!
//! Adds to `ingest`'s keys: `instances`, and `lost` / `duplicated` counted
//! in the database against every push the centre answered accepted.

use std::process::Command;
use sync_bench::cluster::{Haproxy, PgSchema};
use sync_bench::*;

fn main() -> anyhow::Result<()> {
    let instances = 2;
    let pg = PgSchema::new()?;
    let dir = tempfile::tempdir()?;
    let mut centres = Vec::new();
    for i in 1..=instances {
        let d = dir.path().join(format!("c{i}"));
        std::fs::create_dir_all(&d)?;
        // Each as in production behind a balancer (docs/production/); the
        // in-process `ingest` has a pool of 12, shared here by two.
        let extra = "pool_size = 8\n[limits]\ntrusted_proxies = [\"127.0.0.1\"]\n";
        centres.push(CentreProcess::start_on(
            &d,
            "127.0.0.1:0",
            Some(&pg.database(&format!("c{i}"))),
            extra,
        )?);
    }
    let addrs: Vec<_> = centres.iter().map(|c| c.addr).collect();
    let lb = Haproxy::start(&dir.path().join("lb"), &addrs)?;
    eprintln!(
        "bench-ingest-cluster: {instances} instances {addrs:?} behind {}",
        lb.url()
    );
    let ingest = workspace_exe("server", "bench-ingest")?;
    let ok = Command::new(ingest)
        .env("BENCH_TARGET", lb.url())
        .env("BENCH_SCHEMA", &pg.schema)
        .env("BENCH_INSTANCES", instances.to_string())
        .status()?
        .success();
    anyhow::ensure!(ok, "bench-ingest failed");
    let served = lb.log().len();
    eprintln!("the balancer passed {served} requests");
    Ok(())
}
