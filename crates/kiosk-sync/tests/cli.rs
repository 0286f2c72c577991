//! The sync commands as real processes: single flight across processes,
//! status from another process, a first sync that brings the catalogue.

mod common;

use std::process::Command;

use common::*;
use kiosk_sync::lock::SyncLock;

fn kiosk_sync(db: &std::path::Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_kiosk-sync"))
        .arg("--db")
        .arg(db)
        .args(args)
        .output()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_sync_per_database_across_processes_and_status_from_another() {
    let dir = tempfile::tempdir().unwrap();
    let centre = start_centre(dir.path()).await;
    let db = registered_kiosk(dir.path(), &centre.url()).await;
    let db2 = db.clone();
    let out = tokio::task::spawn_blocking(move || kiosk_sync(&db2, &["now"]))
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    pay_many(&db, 3, 0);

    // Another process (here: this test) holds the sync lock.
    let held = SyncLock::try_acquire(&db).unwrap();
    let db2 = db.clone();
    let out = tokio::task::spawn_blocking(move || kiosk_sync(&db2, &["now"]))
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("sync.locked"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Status needs no lock and sees the queue.
    let db2 = db.clone();
    let out = tokio::task::spawn_blocking(move || kiosk_sync(&db2, &["--json", "status"]))
        .await
        .unwrap();
    assert!(out.status.success());
    let s: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(s["queue_len"], 3);
    assert!(
        s["last_pull_at"].is_string(),
        "status written by the earlier run: {s}"
    );
    drop(held);

    let db2 = db.clone();
    let out = tokio::task::spawn_blocking(move || kiosk_sync(&db2, &["--json", "now"]))
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let s: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(s["queue_len"], 0);
    assert_eq!(s["online"], true);
    // The private key is in no file beside the database.
    let kiosk = kiosk_core::Kiosk::open(&db, std::sync::Arc::new(domain::SystemClock)).unwrap();
    let key = kiosk_sync::keys::Keyring::for_device(kiosk.identity().device_id)
        .unwrap()
        .require()
        .unwrap();
    let secret = key.signing_key().to_bytes();
    let hex: String = secret.iter().map(|b| format!("{b:02x}")).collect();
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap_or_default();
        assert!(
            !bytes.windows(32).any(|w| w == secret),
            "raw private key found on disk"
        );
        assert!(
            !String::from_utf8_lossy(&bytes).contains(&hex),
            "hex private key found on disk"
        );
    }
    assert_ledgers_agree(&db, &centre.store, OPENING).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_drains_new_payments_and_prints_each_status() {
    use tokio::io::AsyncBufReadExt;
    let dir = tempfile::tempdir().unwrap();
    let centre = start_centre(dir.path()).await;
    let db = registered_kiosk(dir.path(), &centre.url()).await;
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_kiosk-sync"))
        .arg("--db")
        .arg(&db)
        .arg("watch")
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = tokio::io::BufReader::new(child.stdout.take().unwrap()).lines();
    async fn line_with(
        lines: &mut tokio::io::Lines<tokio::io::BufReader<tokio::process::ChildStdout>>,
        want: &str,
    ) -> String {
        loop {
            let l = lines.next_line().await.unwrap().expect("watch ended");
            if l.contains(want) {
                return l;
            }
        }
    }
    let t = std::time::Duration::from_secs(20);
    // "online" only once the centre has answered: the first sync (with the
    // catalogue) is done, so the counter can pay.
    let first = tokio::time::timeout(
        t,
        line_with(&mut lines, "up to date (sync.state.up_to_date): queue 0"),
    )
    .await
    .expect("online");
    pay_many(&db, 4, 0);
    // Pushed without a nudge: a new line, with more bytes sent, queue empty.
    let drained = async {
        loop {
            let l = line_with(&mut lines, "up to date (sync.state.up_to_date): queue 0").await;
            if l != first {
                return l;
            }
        }
    };
    tokio::time::timeout(t, drained)
        .await
        .expect("drains the new payments");
    child.start_kill().unwrap();
    child.wait().await.unwrap();
    let (entries, accepted) = assert_ledgers_agree(&db, &centre.store, OPENING).await;
    assert_eq!((entries, accepted), (4, 4));
}

/// A middlebox in front of the centre that resets any connection the
/// moment a pull request crosses it: pushes get through, pulls never do.
/// Sync speaks HTTP/2, whose compressed headers hide the path: `sync now`
/// pushes first, so the connection's second request is the pull.
async fn pulls_cut(centre: std::net::SocketAddr) -> std::net::SocketAddr {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    const PREFACE: usize = 24;
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let (mut c, _) = l.accept().await.unwrap();
            tokio::spawn(async move {
                let mut s = tokio::net::TcpStream::connect(centre).await.unwrap();
                let (mut cr, mut cw) = c.split();
                let (mut sr, mut sw) = s.split();
                let up = async {
                    let mut buf = vec![0u8; 64 * 1024];
                    // Bytes read but not yet forwarded (an HTTP/2 frame not
                    // yet whole), which HTTP it is, and request heads seen.
                    let mut pending = Vec::new();
                    let mut h2: Option<bool> = None;
                    let mut preface_left = PREFACE;
                    let mut heads = 0;
                    loop {
                        let n = cr.read(&mut buf).await.unwrap_or(0);
                        if n == 0 {
                            return;
                        }
                        pending.extend_from_slice(&buf[..n]);
                        if h2.is_none() && pending.len() >= 4 {
                            h2 = Some(pending.starts_with(b"PRI "));
                        }
                        let at = match h2 {
                            None => continue,
                            Some(false) => {
                                if pending.windows(13).any(|w| w == b"/v1/sync/pull") {
                                    return;
                                }
                                pending.len()
                            }
                            // Whole frames only; a second HEADERS frame
                            // (type 1) is the pull.
                            Some(true) => {
                                let mut at = preface_left.min(pending.len());
                                preface_left -= at;
                                while preface_left == 0 && pending.len() >= at + 9 {
                                    let len = u32::from_be_bytes([
                                        0,
                                        pending[at],
                                        pending[at + 1],
                                        pending[at + 2],
                                    ]) as usize;
                                    if pending.len() < at + 9 + len {
                                        break;
                                    }
                                    if pending[at + 3] == 1 {
                                        heads += 1;
                                        if heads == 2 {
                                            return;
                                        }
                                    }
                                    at += 9 + len;
                                }
                                at
                            }
                        };
                        if sw.write_all(&pending[..at]).await.is_err() {
                            return;
                        }
                        pending.drain(..at);
                    }
                };
                let down = async {
                    let _ = tokio::io::copy(&mut sr, &mut cw).await;
                };
                tokio::select! { _ = up => {}, _ = down => {} }
                // Dropping both ends resets the kiosk's connection.
            });
        }
    });
    addr
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_now_reports_progress_and_exits_0_when_the_queue_drained_though_the_pull_failed() {
    let dir = tempfile::tempdir().unwrap();
    let centre = start_centre(dir.path()).await;
    let db = registered_kiosk(dir.path(), &centre.url()).await;
    let db2 = db.clone();
    let out = tokio::task::spawn_blocking(move || kiosk_sync(&db2, &["now"]))
        .await
        .unwrap();
    assert!(out.status.success());
    pay_many(&db, 3, 0);
    let cut = pulls_cut(centre.addr).await;
    let db2 = db.clone();
    let url = format!("http://{cut}");
    let out = tokio::task::spawn_blocking(move || kiosk_sync(&db2, &["now", "--server", &url]))
        .await
        .unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout).to_string(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    );
    assert!(out.status.success(), "{stdout}{stderr}");
    assert!(
        stdout.contains("pushed 1 batches: 3 accepted, 0 rejected, 0 pending; left 0"),
        "{stdout}"
    );
    assert!(stderr.contains("warning sync.offline"), "{stderr}");
    // Payments that did not drain: the error, with how far it got.
    pay_many(&db, 2, 100);
    let db2 = db.clone();
    let url = "http://127.0.0.1:1".to_string();
    let out = tokio::task::spawn_blocking(move || kiosk_sync(&db2, &["now", "--server", &url]))
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("pushed 0 batches: 0 accepted, 0 rejected, 0 pending; left 2"),
        "{stderr}"
    );
    let db2 = db.clone();
    let url = centre.url();
    let out = tokio::task::spawn_blocking(move || kiosk_sync(&db2, &["now", "--server", &url]))
        .await
        .unwrap();
    assert!(out.status.success());
    let (entries, accepted) = assert_ledgers_agree(&db, &centre.store, OPENING).await;
    assert_eq!((entries, accepted), (5, 5));
}
