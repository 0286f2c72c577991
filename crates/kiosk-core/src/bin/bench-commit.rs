//! Payment commit latency on a file database (WAL, synchronous=FULL):
//! receipt, lines, chained outbox entry and wallet hold in one transaction.
//! Writes `p50_ms` and `p99_ms` (goal: p99 ≤ 5 ms) to `$BENCH_OUT`.
//!
//! `BENCH_N` payments (default 3000) after 100 warm-up ones; carts
//! alternate between one and three bills. As in the app, WAL checkpoints
//! run off the counter's path: `p50_ms`/`p99_ms` checkpoint in the idle gap
//! between payments (untimed, as the app's idle loop does); the
//! `*_concurrent_ms` figures come from a second run with a background
//! connection checkpointing every 200 ms while payments go on back to back.
//! The disk's own fsync latency is measured first and reported next to the
//! figures: one commit needs one fsync, so that is the floor.

use domain::{Paise, SystemClock};
use kiosk_core::bench_util::{quantile_ms, round3, work_dir, write_json};
use kiosk_core::{BillInput, InitParams, Kiosk, WalletSnapshot};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn main() {
    let n: usize = std::env::var("BENCH_N")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3000);
    let dir = work_dir("commit");
    let db = dir.path().join("kiosk.db");
    let clock = Arc::new(SystemClock);
    let mut k = Kiosk::init(
        &db,
        &InitParams {
            kiosk_code: "K10023456".into(),
            device_no: 1,
            district: "Jaipur".into(),
            kiosk_name: "Bench".into(),
            holder_login: "holder".into(),
            holder_name: "Bench".into(),
            cheque_enabled: false,
        },
        clock.clone(),
    )
    .expect("init");
    k.import_catalogue_toml(include_str!("../../../../data/catalogue.sample.toml"))
        .expect("catalogue");
    k.apply_wallet_snapshot(&WalletSnapshot {
        balance: Paise::new(i64::MAX / 4),
        as_of: domain::Clock::now(clock.as_ref()),
        covers_seq: 0,
        max_pending_amount: Paise::new(i64::MAX / 4),
        max_pending_count: i64::MAX,
        max_age_secs: i64::MAX / 4,
    })
    .expect("wallet");

    let (fsync_p50, fsync_p99) = fsync_floor(dir.path());
    // BENCH_SYNC=OFF shows the cost without the fsync (diagnosis only: the
    // kiosk always runs FULL).
    let sync = std::env::var("BENCH_SYNC").unwrap_or_else(|_| "FULL".into());
    k.store()
        .conn()
        .pragma_update(None, "synchronous", &sync)
        .expect("synchronous");
    let idle = run(&mut k, n, None);
    let concurrent = run(&mut k, n, Some(&db));
    k.verify_chain().expect("chain");
    let samples = idle;
    let mean = samples.iter().sum::<Duration>().as_secs_f64() * 1000.0 / samples.len() as f64;
    let v = serde_json::json!({
        "benchmark": "commit",
        "what": "Kiosk::commit_payment on a file database, WAL, 1 or 3 bills per receipt",
        "synchronous": sync,
        "n": samples.len(),
        "p50_ms": round3(quantile_ms(&samples, 0.50)),
        "p90_ms": round3(quantile_ms(&samples, 0.90)),
        "p99_ms": round3(quantile_ms(&samples, 0.99)),
        "max_ms": round3(quantile_ms(&samples, 1.0)),
        "mean_ms": round3(mean),
        "goal_p99_ms": 5.0,
        "p50_concurrent_ms": round3(quantile_ms(&concurrent, 0.50)),
        "p99_concurrent_ms": round3(quantile_ms(&concurrent, 0.99)),
        "disk_fsync_p50_ms": round3(fsync_p50),
        "disk_fsync_p99_ms": round3(fsync_p99),
    });
    write_json("commit", &v);
}

/// p50 and p99 of a 4 KiB write + fdatasync on the benchmark's disk.
fn fsync_floor(dir: &std::path::Path) -> (f64, f64) {
    use std::io::Write;
    let p = dir.join("fsync-probe");
    let mut f = std::fs::File::create(&p).expect("probe file");
    let mut v = Vec::new();
    for _ in 0..300 {
        let t = Instant::now();
        f.write_all(&[0x5a; 4096]).unwrap();
        f.sync_data().unwrap();
        v.push(t.elapsed());
    }
    drop(f);
    let _ = std::fs::remove_file(&p);
    v.sort();
    (quantile_ms(&v, 0.5), quantile_ms(&v, 0.99))
}

/// `n` timed commits (after 100 untimed); with `background`, a second
/// connection to that database checkpoints meanwhile.
fn run(k: &mut Kiosk, n: usize, background: Option<&std::path::Path>) -> Vec<Duration> {
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let checkpointer = background.map(|db| {
        let stop = stop.clone();
        let store = kiosk_store::Store::open(db).expect("second connection");
        std::thread::spawn(move || {
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                store.checkpoint().expect("checkpoint");
                std::thread::sleep(Duration::from_millis(200));
            }
        })
    });
    let mut samples = Vec::with_capacity(n);
    // Fresh consumer numbers in each run, so no payment is a duplicate.
    let first = k.queue_stats().expect("stats").last_seq as usize;
    for i in first..(first + n + 100) {
        let mut d = k.start_cart();
        let bills = if i % 2 == 0 { 1 } else { 3 };
        for j in 0..bills {
            let (service, consumer) = match j {
                0 => (
                    "JVVNL-BILL",
                    format!("{:012}", 210_000_000_000u64 + i as u64),
                ),
                1 => ("PHED-WATER", format!("{:09}", 100_000_000 + i)),
                _ => (
                    "AIRTEL-POSTPAID",
                    format!("{}", 9_000_000_000u64 + i as u64),
                ),
            };
            k.add_bill(
                &mut d,
                &BillInput {
                    service: service.into(),
                    consumer_no: consumer,
                    amount: Paise::new(10_000 + i as i64),
                    consumer_name: Some("राम लाल".into()),
                    bill_ref: None,
                },
            )
            .expect("bill");
        }
        k.set_contact(&mut d, Some("9876543210"), None).unwrap();
        k.choose_wallet(&mut d);
        let t = Instant::now();
        k.commit_payment(&d, "holder", false).expect("commit");
        let el = t.elapsed();
        if i >= first + 100 {
            samples.push(el);
        }
        if background.is_none() && i % 50 == 49 {
            k.store().checkpoint().expect("checkpoint");
        }
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    if let Some(c) = checkpointer {
        c.join().unwrap();
    }
    samples.sort();
    samples
}
