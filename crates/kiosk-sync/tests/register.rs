//! `sync register` as a real process against a real centre: refused before
//! `init` (nothing bound at the centre, no file made), then, after `init`,
//! the device the centre names is the one the outbox signs with.

mod common;

use std::process::{Command, Output};
use std::sync::Arc;

use common::*;
use domain::SystemClock;
use kiosk_core::{InitParams, Kiosk};

fn kiosk_sync(db: &std::path::Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kiosk-sync"))
        .arg("--db")
        .arg(db)
        .args(args)
        .env("KIOSK_PASSWORD", server::app::DEMO_HOLDER.1)
        .output()
        .unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn init(db: &std::path::Path) {
    Kiosk::init(
        db,
        &InitParams {
            kiosk_code: server::app::DEMO_KIOSK.into(),
            device_no: 1,
            district: "Jaipur".into(),
            kiosk_name: "Demo e-Mitra".into(),
            holder_login: "holder1".into(),
            holder_name: "Demo Holder".into(),
            cheque_enabled: false,
        },
        Arc::new(SystemClock),
    )
    .unwrap();
}

async fn devices_at_centre(centre: &Centre) -> i64 {
    let k = centre
        .store
        .kiosk_by_code(server::app::DEMO_KIOSK)
        .await
        .unwrap()
        .unwrap();
    centre.store.list_devices(Some(k.id)).await.unwrap().len() as i64
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn register_before_init_is_refused_and_binds_nothing_at_the_centre() {
    kiosk_sync::keys::join_new_session_keyring();
    let dir = tempfile::tempdir().unwrap();
    let centre = start_centre(dir.path()).await;
    let url = centre.url();
    let db = dir.path().join("kiosk.db");
    let register = {
        let (db, url) = (db.clone(), url.clone());
        move || {
            let (db, url) = (db.clone(), url.clone());
            tokio::task::spawn_blocking(move || {
                kiosk_sync(
                    &db,
                    &[
                        "register",
                        "--server",
                        &url,
                        "--login",
                        server::app::DEMO_HOLDER.0,
                    ],
                )
            })
        }
    };
    let before = devices_at_centre(&centre).await;

    // No database at all: refused, and no file is made.
    let out = register().await.unwrap();
    assert!(!out.status.success());
    assert!(stderr(&out).contains("store.not_found"), "{}", stderr(&out));
    assert!(!db.exists(), "a refused registration made {}", db.display());

    // A database without a kiosk in it: refused before the centre is asked.
    drop(kiosk_store::Store::open(&db).unwrap());
    let out = register().await.unwrap();
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("kiosk.not_initialised"),
        "{}",
        stderr(&out)
    );
    assert_eq!(devices_at_centre(&centre).await, before);
    assert_eq!(
        kiosk_store::Store::open(&db)
            .unwrap()
            .setting("device_id")
            .unwrap(),
        None
    );

    // init, then register: the holder's slot was still free, and the outbox
    // signs as the device the centre named, with the key it holds.
    init(&db);
    let out = register().await.unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(devices_at_centre(&centre).await, before + 1);
    let k = Kiosk::open(&db, Arc::new(SystemClock)).unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(text.contains(&k.identity().device_id.to_string()), "{text}");
    drop(k);
    // The first sync brings the catalogue and the wallet figures.
    let first = tokio::task::spawn_blocking({
        let db = db.clone();
        move || kiosk_sync(&db, &["now"])
    })
    .await
    .unwrap();
    assert!(first.status.success(), "{}", stderr(&first));
    pay_many(&db, 2, 0);
    let out = tokio::task::spawn_blocking({
        let db = db.clone();
        move || kiosk_sync(&db, &["--json", "now"])
    })
    .await
    .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let s: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(s["queue_len"], 0, "{s}");

    // Once the outbox has entries the device cannot be named again.
    let out = register().await.unwrap();
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("kiosk.device_id_fixed"),
        "{}",
        stderr(&out)
    );
    assert_eq!(devices_at_centre(&centre).await, before + 1);
}

/// A stand-in for a proxy someone put in the app's environment: it counts
/// the connections it gets and drops them.
struct Trap {
    url: String,
    hits: Arc<std::sync::atomic::AtomicUsize>,
}

fn trap() -> Trap {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", l.local_addr().unwrap());
    let hits = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let h = hits.clone();
    std::thread::spawn(move || {
        for c in l.incoming() {
            h.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            drop(c);
        }
    });
    Trap { url, hits }
}

const PROXY_VARS: [&str; 6] = [
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "http_proxy",
    "https_proxy",
    "all_proxy",
];

fn kiosk_sync_env(db: &std::path::Path, args: &[&str], proxy_env: &str) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_kiosk-sync"));
    c.arg("--db")
        .arg(db)
        .args(args)
        .env("KIOSK_PASSWORD", server::app::DEMO_HOLDER.1)
        .env_remove("NO_PROXY")
        .env_remove("no_proxy");
    for v in PROXY_VARS {
        c.env(v, proxy_env);
    }
    c.output().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn proxy_variables_do_not_redirect_sync_and_a_configured_proxy_is_used() {
    kiosk_sync::keys::join_new_session_keyring();
    let dir = tempfile::tempdir().unwrap();
    let centre = start_centre(dir.path()).await;
    let url = centre.url();
    let env_trap = trap();
    let run = |db: std::path::PathBuf, args: Vec<String>, proxy: String| {
        tokio::task::spawn_blocking(move || {
            let a: Vec<&str> = args.iter().map(String::as_str).collect();
            kiosk_sync_env(&db, &a, &proxy)
        })
    };
    let args = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();

    // A configured proxy is what registration goes through (this one
    // drops the connection, so registration fails offline and binds
    // nothing).
    let cfg_trap = trap();
    let db2 = dir.path().join("other.db");
    init(&db2);
    let out = run(
        db2.clone(),
        args(&[
            "register",
            "--server",
            &url,
            "--login",
            server::app::DEMO_HOLDER.0,
            "--proxy",
            &cfg_trap.url,
        ]),
        env_trap.url.clone(),
    )
    .await
    .unwrap();
    assert!(!out.status.success());
    assert!(stderr(&out).contains("sync.offline"), "{}", stderr(&out));
    assert!(cfg_trap.hits.load(std::sync::atomic::Ordering::SeqCst) >= 1);

    // Every proxy variable set: registration and sync still go straight
    // to the centre.
    let db = dir.path().join("kiosk.db");
    init(&db);
    let out = run(
        db.clone(),
        args(&[
            "register",
            "--server",
            &url,
            "--login",
            server::app::DEMO_HOLDER.0,
        ]),
        env_trap.url.clone(),
    )
    .await
    .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let out = run(db.clone(), args(&["now"]), env_trap.url.clone())
        .await
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    pay_many(&db, 3, 0);
    let out = run(db.clone(), args(&["--json", "now"]), env_trap.url.clone())
        .await
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let s: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(s["queue_len"], 0, "{s}");
    assert_eq!(
        env_trap.hits.load(std::sync::atomic::Ordering::SeqCst),
        0,
        "a proxy from the environment was used"
    );

    // A proxy configured for the kiosk is remembered and used by sync.
    let before = cfg_trap.hits.load(std::sync::atomic::Ordering::SeqCst);
    {
        let mut st = kiosk_store::Store::open(&db).unwrap();
        st.write(|tx| {
            kiosk_store::set_setting(tx, kiosk_sync::transport::PROXY_URL_KEY, &cfg_trap.url)
        })
        .unwrap();
    }
    pay_many(&db, 1, 10);
    let out = run(db.clone(), args(&["now"]), env_trap.url.clone())
        .await
        .unwrap();
    assert!(!out.status.success());
    assert!(cfg_trap.hits.load(std::sync::atomic::Ordering::SeqCst) > before);
    assert_eq!(env_trap.hits.load(std::sync::atomic::Ordering::SeqCst), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn register_over_plain_http_to_another_host_is_refused_unless_allowed() {
    kiosk_sync::keys::join_new_session_keyring();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("kiosk.db");
    init(&db);
    let settings = || {
        let st = kiosk_store::Store::open(&db).unwrap();
        (
            st.setting(kiosk_sync::cli::SERVER_URL_KEY).unwrap(),
            st.setting("device_id").unwrap(),
        )
    };
    let before = settings();
    for server in [
        "http://192.0.2.10:8080",
        "http://centre.example.in",
        "http://[2001:db8::1]:80/",
        "http://0.0.0.0:1",
    ] {
        let out = kiosk_sync(&db, &["register", "--server", server, "--login", "holder1"]);
        assert!(!out.status.success());
        let e = stderr(&out);
        assert!(e.contains("sync.insecure_url"), "{server}: {e}");
        assert!(
            e.contains("https://"),
            "{server}: the message says what to do: {e}"
        );
        assert_eq!(settings(), before, "{server}");
    }
    // With the explicit flag it is tried (here nothing listens: offline).
    let out = kiosk_sync(
        &db,
        &[
            "register",
            "--server",
            "http://0.0.0.0:1",
            "--login",
            "holder1",
            "--allow-insecure-http",
        ],
    );
    assert!(!out.status.success());
    assert!(stderr(&out).contains("sync.offline"), "{}", stderr(&out));
    assert_eq!(settings(), before);
}
