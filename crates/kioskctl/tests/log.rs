//! `kioskctl sync watch` keeps a daily log file beside the kiosk database
//! (`logs/kioskctl.log.<date>`, a bounded number kept); other commands
//! write none. The real binary as a process, the link down (a closed
//! port): the engine's warning about the failed request and its retry
//! lands in the file and on stderr.

use std::io::Read;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_kioskctl");
/// As `src/log.rs` keeps.
const KEPT: usize = 14;

fn log_files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|d| {
            d.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| {
                    p.file_name()
                        .and_then(|n| n.to_str())
                        .is_some_and(|n| n.starts_with("kioskctl.log."))
                })
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

#[test]
fn sync_watch_logs_to_a_daily_file_beside_the_database_and_keeps_a_bounded_number() {
    kiosk_sync::keys::join_new_session_keyring();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("k.db");
    let cli = kiosk_testkit::cli::at(BIN, &db);
    cli.ready_kiosk("K1001");
    let logs = dir.path().join("logs");
    assert!(!logs.exists(), "only `sync watch` keeps a log file");
    // A device key, so the loop runs (the centre is never reached).
    let id = kiosk_core::Kiosk::open(&db, Arc::new(domain::SystemClock))
        .unwrap()
        .identity()
        .device_id;
    kiosk_sync::keys::Keyring::for_device(id)
        .unwrap()
        .load_or_create()
        .unwrap();
    // Twenty old days' files: only the newest ones are kept.
    std::fs::create_dir_all(&logs).unwrap();
    for d in 1..=20 {
        std::fs::write(logs.join(format!("kioskctl.log.2020-01-{d:02}")), "old\n").unwrap();
    }
    // Nothing listens there: the link is down.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = Command::new(BIN)
        .arg("--db")
        .arg(&db)
        .args(["sync", "watch", "--server"])
        .arg(format!("http://127.0.0.1:{port}"))
        .env_remove("EMITRA_LOG")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();

    // Polled with a deadline: the file is written as the loop fails.
    let deadline = Instant::now() + Duration::from_secs(30);
    let (today, text) = loop {
        let found = log_files(&logs).into_iter().find(|p| {
            !p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("kioskctl.log.2020-")
        });
        if let Some(p) = found {
            let text = std::fs::read_to_string(&p).unwrap_or_default();
            if text.contains("sync failed: retrying") {
                break (p, text);
            }
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let mut err = String::new();
            let _ = child.stderr.take().unwrap().read_to_string(&mut err);
            panic!(
                "no log line in {}: files {:?}; stderr {err}",
                logs.display(),
                log_files(&logs)
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    child.kill().unwrap();
    let out = child.wait_with_output().unwrap();

    let name = today.file_name().unwrap().to_string_lossy().into_owned();
    let date = name.strip_prefix("kioskctl.log.").unwrap();
    assert_eq!(date.len(), 10, "a file per day: {name}");
    let line = text
        .lines()
        .find(|l| l.contains("sync failed: retrying"))
        .unwrap();
    assert!(line.contains(" WARN "), "{line}");
    assert!(line.contains(" code=sync.offline"), "{line}");
    assert!(line.contains(" retry=true"), "{line}");
    assert!(line.contains(" delay_ms="), "{line}");
    assert!(!text.contains('\u{1b}'), "no colour codes in the file");
    // Warnings reach stderr too (the default level there is warn).
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("sync failed: retrying"), "{stderr}");
    // Bounded: the oldest went, today's file counts among those kept.
    let files = log_files(&logs);
    assert_eq!(files.len(), KEPT, "{files:?}");
    assert!(files.contains(&today));
}
