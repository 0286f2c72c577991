//! A real centre (`kiosk-server` process, SQLite file) restored from a real
//! backup while a real `kiosk-sync watch` runs: the kiosk notices, re-sends
//! what the centre lost, takes the centre's numbers and says so.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use common::*;
use domain::SystemClock;
use kiosk_core::Kiosk;
use tokio::io::AsyncBufReadExt;

/// The `kiosk-server` binary of this build, built if missing.
fn kiosk_server_exe() -> PathBuf {
    let here = std::env::current_exe().unwrap();
    let mut dir = here.parent().unwrap();
    if dir.file_name().is_some_and(|n| n == "deps") {
        dir = dir.parent().unwrap();
    }
    let exe = dir.join("kiosk-server");
    if !exe.exists() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let ok = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
            .current_dir(root)
            .args(["build", "-q", "-p", "server", "--bin", "kiosk-server"])
            .status()
            .unwrap()
            .success();
        assert!(ok, "building kiosk-server");
    }
    exe
}

/// `kiosk-server serve` on `database` (demo seed) at `listen`; returns it
/// and its address.
fn serve(dir: &Path, database: &str, listen: &str) -> (Child, String) {
    use std::io::BufRead;
    let config = dir.join("kiosk-server.toml");
    std::fs::write(
        &config,
        format!(
            "listen = {listen:?}\ndatabase = {database:?}\ndata_dir = {:?}\ndemo_seed = true\n",
            dir.display().to_string()
        ),
    )
    .unwrap();
    let mut child = Command::new(kiosk_server_exe())
        .arg("--config")
        .arg(&config)
        .arg("serve")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let addr = loop {
        let line = lines.next().expect("kiosk-server exited").unwrap();
        if let Some(rest) = line.split("http://").nth(1) {
            break rest.split_whitespace().next().unwrap().to_string();
        }
    };
    std::thread::spawn(move || for _ in lines {});
    (child, addr)
}

fn stop(mut c: Child) {
    c.kill().unwrap();
    c.wait().unwrap();
}

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

async fn centre_store(database: &str) -> server::store::Store {
    let db = server::app::open_db(database, 2).await.unwrap();
    server::store::Store::new(db, Arc::new(SystemClock))
}

/// Where the centre keeps its data, and how it is backed up and restored.
enum Backend {
    /// A SQLite file: `VACUUM INTO` while it runs, a file copy back.
    Sqlite(PathBuf),
    /// A PostgreSQL schema: `pg_dump -Fc` while it runs, `pg_restore` into
    /// the dropped schema.
    Postgres { base: String, schema: String },
}

fn psql(base: &str, sql: &str) {
    let ok = Command::new("psql")
        .args([base, "-q", "-v", "ON_ERROR_STOP=1", "-c", sql])
        .status()
        .unwrap()
        .success();
    assert!(ok, "psql {sql}");
}

impl Backend {
    fn database(&self) -> String {
        match self {
            Backend::Sqlite(p) => format!("sqlite:{}", p.display()),
            Backend::Postgres { base, schema } => {
                format!("{base}?options=-c%20search_path%3D{schema}")
            }
        }
    }
    fn backup(&self, to: &Path) {
        match self {
            Backend::Sqlite(p) => {
                kiosk_store::rusqlite::Connection::open(p)
                    .unwrap()
                    .execute("VACUUM INTO ?1", [to.to_str().unwrap()])
                    .unwrap();
            }
            Backend::Postgres { base, schema } => {
                let ok = Command::new("pg_dump")
                    .args(["-Fc", "-n", schema, "-f", to.to_str().unwrap(), base])
                    .status()
                    .unwrap()
                    .success();
                assert!(ok, "pg_dump");
            }
        }
    }
    /// With the centre stopped.
    fn restore(&self, from: &Path) {
        match self {
            Backend::Sqlite(p) => {
                for ext in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{ext}", p.display()));
                }
                std::fs::copy(from, p).unwrap();
            }
            Backend::Postgres { base, schema } => {
                psql(base, &format!("DROP SCHEMA \"{schema}\" CASCADE"));
                let ok = Command::new("pg_restore")
                    .args(["-d", base, from.to_str().unwrap()])
                    .status()
                    .unwrap()
                    .success();
                assert!(ok, "pg_restore");
            }
        }
    }
}

impl Drop for Backend {
    fn drop(&mut self) {
        if let Backend::Postgres { base, schema } = self {
            psql(base, &format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE"));
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_centre_restored_from_a_sqlite_backup_under_a_running_sync_watch() {
    let dir = tempfile::tempdir().unwrap();
    let b = Backend::Sqlite(dir.path().join("server.db"));
    restored_under_watch(dir.path(), b).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_centre_restored_from_a_pg_dump_under_a_running_sync_watch() {
    let dir = tempfile::tempdir().unwrap();
    let base = std::env::var("KIOSK_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://root@127.0.0.1:5432/test".into());
    let schema = format!("t_{}", uuid::Uuid::now_v7().simple());
    psql(&base, &format!("CREATE SCHEMA \"{schema}\""));
    restored_under_watch(dir.path(), Backend::Postgres { base, schema }).await;
}

async fn restored_under_watch(dir: &Path, b: Backend) {
    let centre_dir = dir.join("centre");
    std::fs::create_dir_all(&centre_dir).unwrap();
    let database = b.database();
    let (centre, addr) = serve(&centre_dir, &database, "127.0.0.1:0");
    let url = format!("http://{addr}");
    let db = registered_kiosk(dir, &url).await;
    let mut watch = tokio::process::Command::new(env!("CARGO_BIN_EXE_kiosk-sync"))
        .arg("--db")
        .arg(&db)
        .args(["watch", "--server", &url])
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = tokio::io::BufReader::new(watch.stdout.take().unwrap()).lines();
    let t = Duration::from_secs(30);
    let up = "up to date (sync.state.up_to_date): queue 0";
    tokio::time::timeout(t, line_with(&mut lines, up))
        .await
        .expect("first sync");
    pay_many(&db, 5, 0);
    tokio::time::timeout(t, async {
        loop {
            line_with(&mut lines, up).await;
            if Kiosk::open(&db, Arc::new(SystemClock))
                .unwrap()
                .queue_stats()
                .unwrap()
                .unsent
                == 0
            {
                break;
            }
        }
    })
    .await
    .expect("five synced");
    // A backup of the running centre.
    let backup = dir.join("backup");
    b.backup(&backup);
    pay_many(&db, 5, 100);
    tokio::time::timeout(t, async {
        loop {
            line_with(&mut lines, up).await;
            let k = Kiosk::open(&db, Arc::new(SystemClock)).unwrap();
            if k.queue_stats().unwrap().unsent == 0 {
                break;
            }
        }
    })
    .await
    .expect("ten synced");
    // The centre is stopped and restored from the backup (a file copy),
    // then started again where the kiosk looks for it.
    stop(centre);
    b.restore(&backup);
    let (centre, again) = serve(&centre_dir, &database, &addr);
    assert_eq!(again, addr);
    // The running watch notices at its next pull (or a new payment): one
    // more payment so it does not wait for the idle pull.
    pay_many(&db, 1, 200);
    tokio::time::timeout(t, line_with(&mut lines, "alert sync.centre_restored"))
        .await
        .expect("the restore is noticed and shown");
    tokio::time::timeout(t, async {
        loop {
            let store = centre_store(&database).await;
            let fp: std::collections::HashMap<String, i64> =
                store.fingerprint().await.unwrap().into_iter().collect();
            if fp["entries"] == 11 {
                break;
            }
            line_with(&mut lines, up).await;
        }
    })
    .await
    .expect("the lost payments re-sent");
    watch.start_kill().unwrap();
    watch.wait().await.unwrap();
    let store = centre_store(&database).await;
    let (entries, accepted) = assert_ledgers_agree(&db, &store, OPENING).await;
    assert_eq!((entries, accepted), (11, 11));
    // Every final number the kiosk holds is the restored centre's.
    let k = Kiosk::open(&db, Arc::new(SystemClock)).unwrap();
    let kid = store
        .kiosk_by_code(server::app::DEMO_KIOSK)
        .await
        .unwrap()
        .unwrap()
        .id;
    let rows: Vec<(String, String)> = {
        let mut st = k
            .store()
            .conn()
            .prepare("SELECT receipt_no, final_receipt_no FROM receipts ORDER BY device_seq")
            .unwrap();
        st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    };
    assert_eq!(rows.len(), 11);
    for (local, final_no) in rows {
        let t = store
            .txn_status(kid, Some(&local), None)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(t.receipt_no.as_deref(), Some(final_no.as_str()), "{local}");
    }
    stop(centre);
}

/// `kiosk-sync ARGS` on `db`: (success, stdout + stderr).
fn kiosk_sync(db: &Path, args: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_kiosk-sync"))
        .arg("--db")
        .arg(db)
        .args(args)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

/// `kiosk-server admin ARGS` on the centre in `centre_dir`.
fn centre_admin(centre_dir: &Path, args: &[&str]) -> (bool, String) {
    let out = Command::new(kiosk_server_exe())
        .arg("--config")
        .arg(centre_dir.join("kiosk-server.toml"))
        .arg("admin")
        .args(args)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

/// One more counter payment, or the code it was refused with.
fn try_pay(db: &Path, i: u64) -> Result<(), String> {
    use domain::ErrorCode;
    let mut k = Kiosk::open(db, Arc::new(SystemClock)).unwrap();
    let mut d = k.start_cart();
    k.add_bill(
        &mut d,
        &kiosk_core::BillInput {
            service: "JVVNL-BILL".into(),
            consumer_no: format!("{:012}", 200_000_000_000u64 + i),
            amount: domain::Paise::new(10_000),
            consumer_name: None,
            bill_ref: None,
        },
    )
    .unwrap();
    k.set_contact(&mut d, Some("9876543210"), None).unwrap();
    k.choose_wallet(&mut d);
    k.commit_payment(&d, "holder1", true)
        .map(|_| ())
        .map_err(|e| e.code().to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_lost_by_a_sqlite_restore_is_readmitted_from_its_signed_request() {
    let dir = tempfile::tempdir().unwrap();
    let b = Backend::Sqlite(dir.path().join("server.db"));
    readmitted_after_an_older_backup(dir.path(), b).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_lost_by_a_pg_restore_is_readmitted_from_its_signed_request() {
    let dir = tempfile::tempdir().unwrap();
    let base = std::env::var("KIOSK_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://root@127.0.0.1:5432/test".into());
    let schema = format!("t_{}", uuid::Uuid::now_v7().simple());
    psql(&base, &format!("CREATE SCHEMA \"{schema}\""));
    readmitted_after_an_older_backup(dir.path(), Backend::Postgres { base, schema }).await;
}

/// The centre is restored from a backup made before the kiosk registered:
/// it refuses the kiosk as unknown. The kiosk says so (an alert), stops
/// at its offline limits, and makes a signed request; the centre's admin
/// re-admits it and every payment reaches the centre once.
async fn readmitted_after_an_older_backup(dir: &Path, b: Backend) {
    let centre_dir = dir.join("centre");
    std::fs::create_dir_all(&centre_dir).unwrap();
    let database = b.database();
    let (centre, addr) = serve(&centre_dir, &database, "127.0.0.1:0");
    let url = format!("http://{addr}");
    // Offline limits the restored centre keeps: three payments unsent.
    let store = centre_store(&database).await;
    let kid = store
        .kiosk_by_code(server::app::DEMO_KIOSK)
        .await
        .unwrap()
        .unwrap()
        .id;
    store
        .set_exposure(
            kid,
            protocol::Exposure {
                max_pending_amount: domain::Paise::new(20_000_00),
                max_pending_count: 3,
                max_age_secs: 86_400,
            },
        )
        .await
        .unwrap();
    drop(store);
    let backup = dir.join("backup");
    b.backup(&backup);
    let db = registered_kiosk(dir, &url).await;
    // The first sync brings the catalogue and the offline limits.
    let (ok, out) = kiosk_sync(&db, &["now", "--server", &url]);
    assert!(ok, "{out}");
    pay_many(&db, 2, 0);
    let (ok, out) = kiosk_sync(&db, &["now"]);
    assert!(ok, "{out}");
    stop(centre);
    b.restore(&backup);
    let (centre, again) = serve(&centre_dir, &database, &addr);
    assert_eq!(again, addr);

    // The centre no longer knows the device: refused, and the kiosk says
    // what to do (the alert), not just "offline".
    // (Nothing is queued, so the run itself drains; the pull is refused.)
    let (_, out) = kiosk_sync(&db, &["now"]);
    assert!(out.contains("auth.unknown_device"), "{out}");
    let (_, status) = kiosk_sync(&db, &["--json", "status"]);
    assert!(status.contains("sync.device_unknown"), "{status}");
    assert!(status.contains("sync.state.refused"), "{status}");
    // It keeps taking payments up to its offline limits, then refuses.
    for i in 100..103 {
        try_pay(&db, i).unwrap();
    }
    assert_eq!(try_pay(&db, 103), Err("exposure.count_exceeded".into()));

    // A request that does not verify is refused and changes nothing.
    let request = dir.join("request");
    let (ok, text) = kiosk_sync(
        &db,
        &["readmit-request", "--out", request.to_str().unwrap()],
    );
    assert!(ok, "{text}");
    let line = text
        .lines()
        .find(|l| l.starts_with("EMITRA-READMIT-1:"))
        .unwrap();
    assert_eq!(std::fs::read_to_string(&request).unwrap().trim(), line);
    let mut forged = protocol::ReadmitRequest::from_text(line).unwrap();
    forged.kiosk_code = "RJ-XYZ-0001".into();
    std::fs::write(dir.join("forged"), forged.to_text()).unwrap();
    let (ok, out) = centre_admin(
        &centre_dir,
        &["readmit-device", dir.join("forged").to_str().unwrap()],
    );
    assert!(!ok && out.contains("readmit.invalid"), "{out}");
    let (ok, _) = kiosk_sync(&db, &["now"]);
    assert!(!ok);

    // The real one (the file the kiosk wrote) re-admits it, once.
    let (ok, out) = centre_admin(&centre_dir, &["readmit-device", request.to_str().unwrap()]);
    assert!(ok, "{out}");
    let (ok, out) = centre_admin(&centre_dir, &["readmit-device", request.to_str().unwrap()]);
    assert!(!ok && out.contains("readmit.already_known"), "{out}");

    // The next sync sends everything again; both sides agree.
    let (ok, out) = kiosk_sync(&db, &["now"]);
    assert!(ok, "{out}");
    let store = centre_store(&database).await;
    let (entries, accepted) = assert_ledgers_agree(&db, &store, OPENING).await;
    assert_eq!((entries, accepted), (5, 5));
    let (_, status) = kiosk_sync(&db, &["--json", "status"]);
    assert!(!status.contains("sync.device_unknown"), "{status}");
    // And the counter takes payments again.
    try_pay(&db, 104).unwrap();
    stop(centre);
}
