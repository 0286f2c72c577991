//! kill -9 matrix with real processes: the `kiosk-sync` binary is killed
//! (SIGKILL, by itself at a crash point or by this test at a random
//! instant) before sending, mid-request, after the centre committed but
//! before the ack is stored, and during the local ack write; then run
//! again. At the end the centre's ledger must equal the kiosk's: nothing
//! lost, nothing doubled.
//!
//! `KILLS=N` sets the number of kills (default 40; 240 with `SOAK=1`).

mod common;

use std::collections::BTreeMap;
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use common::*;
use kiosk_sync::backoff::{JitterRng, SplitMix};
use kiosk_sync::crash::CrashPoint;
use protocol::Exposure;

fn kiosk_sync(db: &Path) -> tokio::process::Command {
    let mut c = tokio::process::Command::new(env!("CARGO_BIN_EXE_kiosk-sync"));
    c.arg("--db")
        .arg(db)
        .arg("now")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    c
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_at_every_step_loses_and_doubles_nothing() {
    let soak = std::env::var("SOAK").is_ok_and(|v| v == "1");
    let target: u32 = std::env::var("KILLS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(if soak { 240 } else { 40 });
    let dir = tempfile::tempdir().unwrap();
    let centre = start_centre(dir.path()).await;
    // Room for many offline payments: the counter is not under test here.
    let k = centre
        .store
        .kiosk_by_code(server::app::DEMO_KIOSK)
        .await
        .unwrap()
        .unwrap();
    centre
        .store
        .set_exposure(
            k.id,
            Exposure {
                max_pending_amount: domain::Paise::new(10_00_000_00),
                max_pending_count: 100_000,
                max_age_secs: 86_400,
            },
        )
        .await
        .unwrap();
    centre
        .store
        .refill(k.id, domain::Paise::new(1_00_00_000_00), "soak float")
        .await
        .unwrap();
    let opening = OPENING + 1_00_00_000_00;
    let db = registered_kiosk(dir.path(), &centre.url()).await;
    let first = kiosk_sync(&db).output().await.unwrap();
    assert!(
        first.status.success(),
        "first sync: {}",
        String::from_utf8_lossy(&first.stderr)
    );

    let mut rng = SplitMix(0x6b69_6c6c);
    let mut kills: BTreeMap<&'static str, u32> = BTreeMap::new();
    let mut finished_runs = 0u32;
    let mut paid = 0u64;
    let mut total_kills = 0u32;
    let mut round = 0u32;
    while total_kills < target {
        round += 1;
        assert!(
            round < target * 4 + 20,
            "crash points are not being reached: {kills:?}"
        );
        let n = 1 + rng.next_u64() % 8;
        pay_many(&db, n, paid);
        paid += n;
        // Four self-inflicted points in turn, and every fifth run a kill
        // from outside at a random instant.
        let mut cmd = kiosk_sync(&db);
        cmd.env("KIOSK_SYNC_MAX_BATCH", (1 + rng.next_u64() % 4).to_string());
        let label = if round.is_multiple_of(5) {
            "external"
        } else {
            let p = CrashPoint::ALL[(round as usize) % 4];
            cmd.env("KIOSK_CRASH_AT", p.name())
                .env("KIOSK_CRASH_NTH", (1 + rng.next_u64() % 3).to_string())
                .env("KIOSK_CRASH_WINDOW_MS", "15");
            p.name()
        };
        let mut child = cmd.spawn().unwrap();
        let status = if label == "external" {
            let after = Duration::from_millis(rng.next_u64() % 120);
            match tokio::time::timeout(after, child.wait()).await {
                Ok(s) => s.unwrap(),
                Err(_) => {
                    child.start_kill().unwrap();
                    child.wait().await.unwrap()
                }
            }
        } else {
            child.wait().await.unwrap()
        };
        match status.signal() {
            Some(9) => {
                *kills.entry(label).or_default() += 1;
                total_kills += 1;
            }
            Some(sig) => panic!("{label}: died of signal {sig}"),
            None => {
                let mut err = String::new();
                if let Some(mut e) = child.stderr.take() {
                    use tokio::io::AsyncReadExt;
                    let _ = e.read_to_string(&mut err).await;
                }
                assert!(status.success(), "{label}: sync failed: {err}");
                finished_runs += 1;
            }
        }
    }
    // Restart with no crash: everything must drain.
    let mut ok = false;
    for _ in 0..5 {
        let out = kiosk_sync(&db).output().await.unwrap();
        if out.status.success() {
            ok = true;
            break;
        }
    }
    assert!(ok, "final sync did not succeed");
    let (entries, accepted) = assert_ledgers_agree(&db, &centre.store, opening).await;
    assert_eq!(entries, paid);
    assert_eq!(accepted as u64, paid);
    for p in CrashPoint::ALL {
        assert!(
            kills.get(p.name()).copied().unwrap_or(0) > 0,
            "no kill at {}: {kills:?}",
            p.name()
        );
    }
    eprintln!(
        "{total_kills} kills {kills:?}, {finished_runs} runs finished before their crash point, {paid} payments, 0 lost, 0 duplicated"
    );
}
