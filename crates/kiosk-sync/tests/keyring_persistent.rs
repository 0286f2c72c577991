//! The device key in a real Secret Service (gnome-keyring on a private
//! D-Bus session bus this test starts): it outlives the kernel keyring that
//! caches it, as it must across a restart; without a Secret Service the
//! kiosk says that its key is not persistent. Needs `scripts/deps/sync.apt`.
#![cfg(target_os = "linux")]

mod common;

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, mpsc};
use std::time::Duration;

use common::*;
use domain::SystemClock;
use kiosk_core::Kiosk;

use keyring::credential::CredentialApi;
use keyring::keyutils::KeyutilsCredential;
use kiosk_sync::keys::{KEYRING_SERVICE, KeyStore, Keyring, NOT_PERSISTENT};
use uuid::Uuid;

/// Every wait on the daemons is bounded by this.
const START_TIMEOUT: Duration = Duration::from_secs(20);

/// The bus and the keyring daemon; killed and reaped on drop, also when
/// an assertion fails.
struct Daemons {
    children: Vec<Child>,
    address: String,
    _dir: tempfile::TempDir,
}

impl Drop for Daemons {
    fn drop(&mut self) {
        for c in self.children.iter_mut().rev() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn start_secret_service() -> Daemons {
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("run");
    std::fs::create_dir(&run).unwrap();
    // The keyring daemon wants a private runtime directory.
    std::fs::set_permissions(
        &run,
        <std::fs::Permissions as std::os::unix::fs::PermissionsExt>::from_mode(0o700),
    )
    .unwrap();
    let mut d = Daemons {
        children: Vec::new(),
        address: String::new(),
        _dir: dir,
    };
    let mut bus = Command::new("dbus-daemon")
        .args(["--session", "--nofork", "--print-address=1"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("dbus-daemon (apt: dbus)");
    let out = bus.stdout.take().unwrap();
    d.children.push(bus);
    // The address is the daemon's first line; read it on a thread so the
    // wait can time out.
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(out).read_line(&mut line);
        let _ = tx.send(line);
    });
    d.address = rx
        .recv_timeout(START_TIMEOUT)
        .expect("dbus-daemon printed no address")
        .trim()
        .to_string();
    assert!(!d.address.is_empty(), "dbus-daemon printed no address");

    let home = d._dir.path();
    let mut gk = Command::new("gnome-keyring-daemon")
        .args(["--foreground", "--unlock", "--components=secrets"])
        .env("DBUS_SESSION_BUS_ADDRESS", &d.address)
        .env("HOME", home)
        .env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_RUNTIME_DIR", &run)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("gnome-keyring-daemon (apt: gnome-keyring)");
    // --unlock reads the login keyring's password from stdin (and makes
    // that keyring, unlocked, on first use).
    {
        let mut stdin = gk.stdin.take().unwrap();
        stdin.write_all(b"kiosk-test").unwrap();
    }
    d.children.push(gk);
    // Blocks until the service owns its bus name, or gives up.
    let ok = Command::new("gdbus")
        .args(["wait", "--session", "--timeout"])
        .arg(START_TIMEOUT.as_secs().to_string())
        .arg("org.freedesktop.secrets")
        .env("DBUS_SESSION_BUS_ADDRESS", &d.address)
        .status()
        .expect("gdbus (apt: libglib2.0-bin)");
    assert!(ok.success(), "the Secret Service did not appear on the bus");
    d
}

/// The key as the kernel keyring alone sees it.
fn in_kernel_cache(device: Uuid) -> Option<Vec<u8>> {
    let cred =
        KeyutilsCredential::new_with_target(None, KEYRING_SERVICE, &device.to_string()).unwrap();
    match cred.get_secret() {
        Ok(s) => Some(s),
        Err(keyring::Error::NoEntry) => None,
        Err(e) => panic!("kernel keyring: {e}"),
    }
}

fn kiosk_sync(bus: Option<&str>, db: &Path, args: &[&str]) -> std::process::Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kiosk-sync"));
    cmd.arg("--db").arg(db).args(args);
    cmd.env_remove("DBUS_SESSION_BUS_ADDRESS");
    if let Some(a) = bus {
        cmd.env("DBUS_SESSION_BUS_ADDRESS", a);
    }
    cmd.output().unwrap()
}

fn status_json(bus: Option<&str>, db: &Path) -> serde_json::Value {
    let out = kiosk_sync(bus, db, &["--json", "status"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn key_outlives_the_kernel_keyring_through_the_secret_service() {
    let daemons = start_secret_service();
    let bus = daemons.address.clone();
    // SAFETY: the only test in this binary, set before any other thread
    // starts; the keyring code finds the bus through this variable.
    unsafe { std::env::set_var("DBUS_SESSION_BUS_ADDRESS", &bus) };
    assert_eq!(kiosk_sync::keys::key_store(), &KeyStore::Persistent);

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let centre = rt.block_on(start_centre(dir.path()));
    // Registration stores the key (in a session keyring of this test's own).
    let db = rt.block_on(registered_kiosk(dir.path(), &centre.url()));
    let device = Kiosk::open(&db, Arc::new(SystemClock))
        .unwrap()
        .identity()
        .device_id;
    let made = Keyring::for_device(device).unwrap().require().unwrap();
    assert_eq!(
        in_kernel_cache(device).as_deref(),
        Some(&made.signing_key().to_bytes()[..]),
        "the kernel keyring caches the key"
    );

    // A restart empties the kernel keyring: destroy the cached key and
    // start from a new session keyring.
    KeyutilsCredential::new_with_target(None, KEYRING_SERVICE, &device.to_string())
        .unwrap()
        .delete_credential()
        .unwrap();
    kiosk_sync::keys::join_new_session_keyring();
    assert!(in_kernel_cache(device).is_none());

    // Fresh processes (inheriting the empty session keyring) sync with the
    // key from the Secret Service: the first brings the catalogue, the
    // second pushes payments; the centre accepts their signatures.
    for round in 0..2 {
        if round == 1 {
            pay_many(&db, 2, 1);
        }
        let out = kiosk_sync(Some(&bus), &db, &["--json", "now"]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{stderr}");
        assert!(!stderr.contains(NOT_PERSISTENT), "{stderr}");
        let s: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(s["queue_len"], 0, "{s}");
        assert_eq!(s["online"], true, "{s}");
    }

    // In this process too, a new handle finds the same key and fills the
    // cache again.
    let again = Keyring::for_device(device).unwrap().require().unwrap();
    assert_eq!(again.public(), made.public());
    assert!(in_kernel_cache(device).is_some());

    // With the Secret Service no warning; with no bus the status says the
    // key is not persistent.
    let with = status_json(Some(&bus), &db);
    assert!(with.get("warnings").is_none(), "{with}");
    let without = status_json(None, &db);
    assert_eq!(without["warnings"][0]["code"], NOT_PERSISTENT, "{without}");

    Keyring::for_device(device).unwrap().delete().unwrap();
    assert!(
        Keyring::for_device(device)
            .unwrap()
            .load()
            .unwrap()
            .is_none()
    );
    assert!(in_kernel_cache(device).is_none());
    drop(centre);
    drop(rt);
}
