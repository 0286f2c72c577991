//! What the service-layer tests start from: a real centre (a `kiosk-server`
//! process on its own SQLite file with the demo kiosk), a kiosk data
//! folder, the service with its events, and commands sent as the UI sends
//! them. Waits are on real conditions, bounded in time.

// Each test binary uses its own share of these.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

use kiosk_app::api::*;
use kiosk_app::{Service, ServiceConfig};
use kiosk_store::rusqlite::Connection;
use sync_bench::{CentreProcess, DEMO_HOLDER, DEMO_KIOSK};

pub const OPERATOR: (&str, &str) = ("operator1", "Operator@2026");

/// Field order is drop order: the service stops before the centre and
/// the folder go.
pub struct Kit {
    pub svc: Service,
    pub events: Receiver<Event>,
    /// `None` once a test has stopped it.
    pub centre: Option<CentreProcess>,
    pub data: PathBuf,
    pub dir: tempfile::TempDir,
}

impl Kit {
    /// A centre and a kiosk not registered yet, the service configured by
    /// `tweak` (e.g. a faster pull).
    pub fn new(tweak: impl FnOnce(&mut ServiceConfig)) -> Kit {
        Kit::with_centre_config("", tweak)
    }

    /// The same, the centre's configuration file extended by `extra`.
    pub fn with_centre_config(extra: &str, tweak: impl FnOnce(&mut ServiceConfig)) -> Kit {
        kiosk_sync::keys::join_new_session_keyring();
        let dir = tempfile::tempdir().unwrap();
        let centre = CentreProcess::start_with(dir.path(), "127.0.0.1:0", extra).unwrap();
        let data = dir.path().join("app");
        let mut cfg = ServiceConfig::new(&data);
        tweak(&mut cfg);
        let (svc, events) = open_with(cfg);
        Kit {
            svc,
            events,
            centre: Some(centre),
            data,
            dir,
        }
    }

    /// Like [`Kit::new`], with the centre sending its SMS (every second)
    /// to a local receiver the test reads.
    pub fn with_sms(tweak: impl FnOnce(&mut ServiceConfig)) -> (Kit, SmsSink) {
        kiosk_sync::keys::join_new_session_keyring();
        let sms = SmsSink::start();
        let dir = tempfile::tempdir().unwrap();
        let centre = CentreProcess::start_with(
            dir.path(),
            "127.0.0.1:0",
            &format!("notify_every_secs = 1\n[sms]\nurl = {:?}\n", sms.url),
        )
        .unwrap();
        let data = dir.path().join("app");
        let mut cfg = ServiceConfig::new(&data);
        tweak(&mut cfg);
        let (svc, events) = open_with(cfg);
        let kit = Kit {
            svc,
            events,
            centre: Some(centre),
            data,
            dir,
        };
        (kit, sms)
    }

    /// The demo kiosk registered by its holder (logged in), synced once.
    pub async fn registered(tweak: impl FnOnce(&mut ServiceConfig)) -> Kit {
        let k = Kit::new(tweak);
        k.register().await;
        k
    }

    /// Registers the demo kiosk and waits for its first full sync.
    pub async fn register(&self) -> serde_json::Value {
        let st = ok(
            &self.svc,
            serde_json::json!({"cmd": "register", "args": {
                "centre_url": self.centre().url(), "kiosk_code": DEMO_KIOSK,
                "login": DEMO_HOLDER.0, "password": DEMO_HOLDER.1}}),
        )
        .await;
        wait_for(&self.events, "first sync", synced);
        st
    }

    pub fn centre(&self) -> &CentreProcess {
        self.centre.as_ref().expect("the centre runs")
    }

    pub fn db(&self) -> PathBuf {
        self.data.join("kiosk.db")
    }

    /// The centre's own database file.
    pub fn centre_db(&self) -> PathBuf {
        self.dir.path().join("centre/server.db")
    }
}

/// The test's SMS gateway: the centre's sender posts `{"to", "text", …}`
/// JSON here (HTTP/1.1, kept alive); each message lands on a channel.
pub struct SmsSink {
    pub url: String,
    got: Receiver<serde_json::Value>,
}

impl SmsSink {
    pub fn start() -> SmsSink {
        use std::io::{BufRead, BufReader, Read, Write};
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/send", l.local_addr().unwrap());
        let (tx, got) = channel();
        std::thread::spawn(move || {
            for conn in l.incoming() {
                let Ok(conn) = conn else { return };
                let tx = tx.clone();
                std::thread::spawn(move || {
                    let mut w = conn.try_clone().unwrap();
                    let mut r = BufReader::new(conn);
                    loop {
                        let mut len = 0usize;
                        let mut line = String::new();
                        // The request line and headers, up to the blank line.
                        loop {
                            line.clear();
                            if r.read_line(&mut line).unwrap_or(0) == 0 {
                                return;
                            }
                            let t = line.trim_end();
                            if t.is_empty() {
                                break;
                            }
                            if let Some(v) = t.to_ascii_lowercase().strip_prefix("content-length:")
                            {
                                len = v.trim().parse().unwrap_or(0);
                            }
                        }
                        let mut body = vec![0; len];
                        if r.read_exact(&mut body).is_err() {
                            return;
                        }
                        if let Ok(v) = serde_json::from_slice(&body) {
                            let _ = tx.send(v);
                        }
                        if w.write_all(b"HTTP/1.1 202 Accepted\r\ncontent-length: 0\r\n\r\n")
                            .is_err()
                        {
                            return;
                        }
                    }
                });
            }
        });
        SmsSink { url, got }
    }

    /// The next message to `to`, at most 30 s away (others are passed over).
    pub fn next_to(&self, to: &str) -> String {
        let until = Instant::now() + Duration::from_secs(30);
        loop {
            let left = until.saturating_duration_since(Instant::now());
            match self.got.recv_timeout(left) {
                Ok(m) if m["to"] == to => {
                    return m["text"].as_str().unwrap_or_default().to_string();
                }
                Ok(_) => {}
                Err(_) => panic!("no SMS to {to}"),
            }
        }
    }

    /// Nothing more arrived (what has come so far).
    pub fn drained(&self) -> Vec<serde_json::Value> {
        self.got.try_iter().collect()
    }
}

/// The six-digit code in an SMS text.
pub fn code_in(text: &str) -> String {
    let codes: Vec<&str> = text
        .split(|c: char| !c.is_ascii_digit())
        .filter(|w| w.len() == 6)
        .collect();
    assert_eq!(codes.len(), 1, "one six-digit code in {text:?}");
    codes[0].to_string()
}

/// One wallet payment of a bill typed from paper (an offline-allowed
/// service): the receipt, final or provisional.
pub async fn pay_wallet(svc: &Service, consumer: &str, amount: &str) -> PayResult {
    let _: CartView = get(
        svc,
        serde_json::json!({"cmd": "cart_add", "args": {"service": "JMC-UDTAX", "consumer_no": consumer, "amount": amount}}),
    )
    .await;
    let _: CartView = get(
        svc,
        serde_json::json!({"cmd": "cart_contact", "args": {"mobile": "9829012345"}}),
    )
    .await;
    let cart: CartView = get(
        svc,
        serde_json::json!({"cmd": "cart_mode", "args": {"mode": "wallet"}}),
    )
    .await;
    get(
        svc,
        serde_json::json!({"cmd": "pay", "args": {"cart_id": cart.cart_id}}),
    )
    .await
}

/// The service on a data folder, its events into a channel.
pub fn open(data: &Path) -> (Service, Receiver<Event>) {
    open_with(ServiceConfig::new(data))
}

pub fn open_with(cfg: ServiceConfig) -> (Service, Receiver<Event>) {
    let (tx, rx) = channel();
    let tx = std::sync::Mutex::new(tx);
    let sink: kiosk_app::EventSink = Arc::new(move |e| {
        let _ = tx.lock().unwrap().send(e);
    });
    (Service::open(cfg, sink).unwrap(), rx)
}

/// A command as the UI sends it (`{"cmd", "args"}` JSON, the host's
/// path), its answer decoded.
pub async fn call<T: serde::de::DeserializeOwned>(
    svc: &Service,
    v: serde_json::Value,
) -> Result<T, ApiError> {
    svc.dispatch_json(v)
        .await
        .map(|r| serde_json::from_value(r).unwrap())
}

pub async fn ok(svc: &Service, v: serde_json::Value) -> serde_json::Value {
    call::<serde_json::Value>(svc, v.clone())
        .await
        .unwrap_or_else(|e| panic!("{v}: {e:?}"))
}

pub async fn get<T: serde::de::DeserializeOwned>(svc: &Service, v: serde_json::Value) -> T {
    call::<T>(svc, v.clone())
        .await
        .unwrap_or_else(|e| panic!("{v}: {e:?}"))
}

pub async fn err(svc: &Service, v: serde_json::Value) -> ApiError {
    match call::<serde_json::Value>(svc, v.clone()).await {
        Ok(r) => panic!("{v} was accepted: {r}"),
        Err(e) => e,
    }
}

/// Each command is refused with its code, and what the kiosk stored
/// (`state`) is after each still `before`.
pub async fn refused_storing_nothing<S: PartialEq + std::fmt::Debug>(
    svc: &Service,
    cases: impl IntoIterator<Item = (serde_json::Value, &str)>,
    before: &S,
    state: impl Fn() -> S,
) {
    for (cmd, code) in cases {
        let e = err(svc, cmd.clone()).await;
        assert_eq!(e.code, code, "{cmd}");
        assert_eq!(&state(), before, "{cmd} stored something");
    }
}

/// Waits for an event that passes `f`, at most 30 s.
pub fn wait_for(events: &Receiver<Event>, what: &str, f: impl Fn(&Event) -> bool) -> Event {
    let until = Instant::now() + Duration::from_secs(30);
    loop {
        let left = until.saturating_duration_since(Instant::now());
        match events.recv_timeout(left) {
            Ok(e) if f(&e) => return e,
            Ok(_) => {}
            Err(_) => panic!("no event: {what}"),
        }
    }
}

/// Waits until `cond` holds, looking again at every event and at least
/// every 200 ms, at most 30 s (a real condition on the real files).
pub fn until(events: &Receiver<Event>, what: &str, cond: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !cond() {
        assert!(Instant::now() < deadline, "timed out: {what}");
        let _ = events.recv_timeout(Duration::from_millis(200));
    }
}

/// Online, the wallet known, nothing left to send.
pub fn synced(e: &Event) -> bool {
    matches!(e, Event::Status(s) if s.wallet.known && s.sync.state == "online" && s.sync.pending == 0)
}

/// One value from a database file.
pub fn one<T: kiosk_store::rusqlite::types::FromSql>(db: &Path, sql: &str) -> T {
    Connection::open(db)
        .unwrap()
        .query_row(sql, [], |r| r.get(0))
        .unwrap()
}
