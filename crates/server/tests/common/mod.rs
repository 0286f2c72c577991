//! Test harness: a real server over a real database (a fresh PostgreSQL
//! schema per test at `KIOSK_TEST_PG_URL`, or a fresh SQLite file), an
//! injected clock, and simulated kiosk devices that keep an outbox with the
//! same hash chain as the real kiosk.
#![allow(dead_code)]

use chrono::TimeZone;
use domain::{CartLine, Catalogue, Contact, FixedClock, Mobile, Paise, PaymentMode};
use ed25519_dalek::SigningKey;
use protocol::{
    ApiError, CancelPayload, Entry, EntryKind, GENESIS_HASH, Hash32, PaymentPayload, PullRequest,
    PullResponse, PushRequest, PushResponse, WireEntry, chain_hash,
};
use reqwest::StatusCode;
use server::api::AppState;
use server::auth::AuthPolicy;
use server::biller::{Billers, HttpBillerConfig};
use server::db::{Db, PgDb, SqliteDb};
use server::store::{DEFAULT_EXPOSURE, Kiosk, NewKiosk, Role, Store, User};
use std::sync::Arc;
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub fn pg_url() -> String {
    std::env::var("KIOSK_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://root@127.0.0.1:5432/test".into())
}

pub const HOLDER_PW: &str = "Holder@2026";
pub const OPERATOR_PW: &str = "Operator@2026";

pub struct H {
    pub backend: Backend,
    pub store: Store,
    pub clock: Arc<FixedClock>,
    pub base: String,
    pub http: reqwest::Client,
    pub catalogue: Catalogue,
    pub kiosk: Kiosk,
    _dir: Option<tempfile::TempDir>,
    schema: Option<String>,
    server: tokio::task::JoinHandle<()>,
}

pub fn start_time() -> chrono::DateTime<chrono::Utc> {
    chrono::Utc.with_ymd_and_hms(2026, 11, 20, 6, 0, 0).unwrap()
}

impl H {
    pub async fn new(backend: Backend) -> H {
        Self::with_billers(backend, vec![]).await
    }

    pub async fn with_billers(backend: Backend, billers: Vec<HttpBillerConfig>) -> H {
        Self::with_setup(backend, billers, vec![]).await
    }

    /// `confirm_later`: services whose payments are held until settled.
    pub async fn with_setup(
        backend: Backend,
        billers: Vec<HttpBillerConfig>,
        confirm_later: Vec<String>,
    ) -> H {
        Self::build(backend, billers, confirm_later, |_| {}).await
    }

    /// The server's state can be adjusted (policy, limits) before it serves.
    pub async fn with_state(backend: Backend, tweak: impl FnOnce(&mut AppState)) -> H {
        Self::build(backend, vec![], vec![], tweak).await
    }

    pub async fn build(
        backend: Backend,
        billers: Vec<HttpBillerConfig>,
        confirm_later: Vec<String>,
        tweak: impl FnOnce(&mut AppState),
    ) -> H {
        let clock = Arc::new(FixedClock::new(start_time()));
        let (db, dir, schema): (Arc<dyn Db>, _, _) = match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().unwrap();
                let db = SqliteDb::open(&dir.path().join("server.db")).unwrap();
                (Arc::new(db), Some(dir), None)
            }
            Backend::Postgres => {
                let schema = format!("t_{}", Uuid::new_v4().simple());
                let db = PgDb::connect(&pg_url(), Some(&schema), 8)
                    .await
                    .expect("PostgreSQL at KIOSK_TEST_PG_URL");
                (Arc::new(db), None, Some(schema))
            }
        };
        db.migrate().await.unwrap();
        let store = Store::new(db, clock.clone()).with_confirm_later(confirm_later);
        let catalogue = Catalogue::from_toml(server::app::sample_catalogue_text()).unwrap();
        store.save_catalogue(&catalogue).await.unwrap();
        let kiosk = new_kiosk(&store, "K1001", "Jaipur").await;
        let billers = Billers::new(&store, &billers);
        let mut state = AppState::new(store.clone(), AuthPolicy::default(), billers);
        tweak(&mut state);
        let state = Arc::new(state);
        // Clients may bind other 127.0.0.x addresses to stand for other callers.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let app = server::api::router(state);
        let server = tokio::spawn(async move {
            axum::serve(
                listener,
                app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
            )
            .await
            .unwrap();
        });
        H {
            backend,
            store,
            clock,
            base: format!("http://{addr}"),
            http: reqwest::Client::new(),
            catalogue,
            kiosk,
            _dir: dir,
            schema,
            server,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// Creates a kiosk with a holder `<code>-h` and an operator `<code>-o`
    /// (passwords already changed) and ₹1,00,000 in the wallet.
    pub async fn add_kiosk(&self, code: &str) -> Kiosk {
        new_kiosk(&self.store, code, "Ajmer").await
    }

    pub async fn login(&self, login: &str, pw: &str) -> String {
        let r = self
            .http
            .post(self.url("/v1/auth/login"))
            .json(&serde_json::json!({"login": login, "password": pw}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK, "login {login}");
        let v: serde_json::Value = r.json().await.unwrap();
        v["token"].as_str().unwrap().to_string()
    }

    /// Registers a new device for the kiosk's holder over HTTP.
    pub async fn register(&self, holder_login: &str, seed: u8) -> Dev {
        let token = self.login(holder_login, HOLDER_PW).await;
        self.register_with(&token, seed)
            .await
            .expect("registration")
    }

    pub async fn register_with(
        &self,
        token: &str,
        seed: u8,
    ) -> Result<Dev, (StatusCode, ApiError)> {
        use base64::Engine;
        let key = SigningKey::from_bytes(&[seed; 32]);
        let pk =
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(key.verifying_key().to_bytes());
        let r = self
            .http
            .post(self.url("/v1/devices"))
            .bearer_auth(token)
            .json(&serde_json::json!({"public_key": pk, "label": format!("counter {seed}")}))
            .send()
            .await
            .unwrap();
        if r.status() != StatusCode::CREATED {
            let st = r.status();
            return Err((st, r.json().await.unwrap()));
        }
        let v: serde_json::Value = r.json().await.unwrap();
        Ok(Dev::new(
            Uuid::parse_str(v["device_id"].as_str().unwrap()).unwrap(),
            key,
            v["kiosk_code"].as_str().unwrap(),
        ))
    }

    /// Signs and sends a raw body to a sync endpoint.
    pub async fn send_signed(&self, dev: &Dev, path: &str, body: Vec<u8>) -> reqwest::Response {
        self.send_signed_with(&self.http, dev, path, body).await
    }

    pub async fn send_signed_with(
        &self,
        http: &reqwest::Client,
        dev: &Dev,
        path: &str,
        body: Vec<u8>,
    ) -> reqwest::Response {
        let sig = protocol::wire::sign_request(&dev.key, dev.id, "POST", path, &body);
        http.post(self.url(path))
            .header(protocol::wire::HEADER_DEVICE, dev.id.to_string())
            .header(protocol::wire::HEADER_SIGNATURE, sig)
            .header("content-type", protocol::wire::SYNC_CONTENT_TYPE)
            .body(body)
            .send()
            .await
            .unwrap()
    }

    pub async fn push(
        &self,
        dev: &Dev,
        req: &PushRequest,
    ) -> Result<PushResponse, (StatusCode, ApiError)> {
        self.push_with(&self.http, dev, req).await
    }

    pub async fn push_with(
        &self,
        http: &reqwest::Client,
        dev: &Dev,
        req: &PushRequest,
    ) -> Result<PushResponse, (StatusCode, ApiError)> {
        let r = self
            .send_signed_with(http, dev, "/v1/sync/push", protocol::encode_body(req))
            .await;
        decode(r).await
    }

    pub async fn pull(&self, dev: &Dev, cursor: protocol::Cursor, limit: u32) -> PullResponse {
        let req = PullRequest {
            version: protocol::PROTOCOL_VERSION,
            cursor,
            limit,
            health: None,
        };
        let r = self
            .send_signed(dev, "/v1/sync/pull", protocol::encode_body(&req))
            .await;
        decode(r).await.expect("pull")
    }

    /// The ledger invariants, checked at the end of every test.
    pub async fn finish(self) {
        let c = self.store.ledger_check().await.unwrap();
        assert!(c.is_ok(), "ledger invariants broken: {c:?}");
        self.server.abort();
        if let Some(s) = &self.schema {
            let (client, conn) = tokio_postgres::connect(&pg_url(), tokio_postgres::NoTls)
                .await
                .unwrap();
            let h = tokio::spawn(conn);
            client
                .batch_execute(&format!("DROP SCHEMA \"{s}\" CASCADE"))
                .await
                .unwrap();
            drop(client);
            let _ = h.await;
        }
    }

    pub async fn wallet(&self, kiosk: &Kiosk) -> i64 {
        self.store
            .kiosk(kiosk.id)
            .await
            .unwrap()
            .unwrap()
            .wallet_balance
            .as_i64()
    }
}

pub async fn decode<T: for<'de> serde::Deserialize<'de>>(
    r: reqwest::Response,
) -> Result<T, (StatusCode, ApiError)> {
    let st = r.status();
    let b = r.bytes().await.unwrap();
    if st == StatusCode::OK {
        Ok(protocol::decode_body(&b).expect("sync body"))
    } else {
        Err((
            st,
            serde_json::from_slice(&b)
                .unwrap_or_else(|_| panic!("JSON error body, got {st} {b:?}")),
        ))
    }
}

pub async fn new_kiosk(store: &Store, code: &str, district: &str) -> Kiosk {
    let k = store
        .create_kiosk(NewKiosk {
            code: code.into(),
            district: district.into(),
            name: format!("Kiosk {code}"),
            cheque_enabled: true,
            exposure: DEFAULT_EXPOSURE,
        })
        .await
        .unwrap();
    for (suffix, role, pw) in [
        ("h", Role::Holder, HOLDER_PW),
        ("o", Role::Operator, OPERATOR_PW),
    ] {
        store
            .create_user(&User {
                id: Uuid::new_v4(),
                kiosk_id: k.id,
                login: format!("{}-{suffix}", code.to_lowercase()),
                name: format!("{code} {suffix}"),
                role,
                mobile: None,
                password_hash: hash(pw),
                must_change: false,
                active: true,
                failed_logins: 0,
                locked_until_ms: None,
            })
            .await
            .unwrap();
    }
    store
        .refill(k.id, Paise::new(1_00_000_00), "opening")
        .await
        .unwrap();
    store.kiosk(k.id).await.unwrap().unwrap()
}

/// Password hashes are slow on purpose; tests reuse one per password.
pub fn hash(pw: &str) -> String {
    use std::collections::HashMap;
    use std::sync::Mutex;
    static CACHE: Mutex<Option<HashMap<String, String>>> = Mutex::new(None);
    let mut c = CACHE.lock().unwrap();
    c.get_or_insert_with(HashMap::new)
        .entry(pw.to_string())
        .or_insert_with(|| server::auth::hash_password(pw))
        .clone()
}

/// A simulated kiosk device: its outbox with the hash chain.
pub struct Dev {
    pub id: Uuid,
    pub key: SigningKey,
    pub kiosk_code: String,
    pub log: Vec<(Entry, Hash32)>,
    pub t_ms: i64,
    /// What the device reports as the centre's clock minus its own.
    pub clock_offset_ms: Option<i64>,
}

pub struct Line<'a> {
    pub service: &'a str,
    pub consumer: &'a str,
    pub amount: i64,
    pub charge: i64,
    pub bill_ref: Option<&'a str>,
}

pub fn line<'a>(service: &'a str, consumer: &'a str, amount: i64) -> Line<'a> {
    Line {
        service,
        consumer,
        amount,
        charge: 0,
        bill_ref: None,
    }
}

impl Dev {
    pub fn new(id: Uuid, key: SigningKey, kiosk_code: &str) -> Dev {
        Dev {
            id,
            key,
            kiosk_code: kiosk_code.into(),
            log: vec![],
            t_ms: start_time().timestamp_millis(),
            clock_offset_ms: None,
        }
    }

    pub fn seq(&self) -> u64 {
        self.log.len() as u64
    }

    pub fn append(&mut self, kind: EntryKind, payload: Vec<u8>) -> Entry {
        self.t_ms += 1000;
        let seq = self.seq() + 1;
        let e = Entry {
            format: protocol::ENTRY_FORMAT_VERSION,
            device_id: self.id,
            seq,
            // Random, like the kiosk's UUIDv7: unique across devices and runs.
            id: Uuid::new_v4(),
            kind,
            device_time_ms: self.t_ms,
            payload,
        };
        let prev = self.log.last().map_or(GENESIS_HASH, |(_, h)| *h);
        let h = chain_hash(&prev, &e);
        self.log.push((e.clone(), h));
        e
    }

    pub fn payment_payload(
        &self,
        cat: &Catalogue,
        lines: &[Line],
        mode: PaymentMode,
    ) -> PaymentPayload {
        let lines: Vec<CartLine> = lines
            .iter()
            .map(|l| {
                let dept = cat
                    .service(l.service)
                    .map(|s| s.department.clone())
                    .unwrap_or_else(|| "NOPE".into());
                let commission = cat
                    .service(l.service)
                    .map(|s| s.commission)
                    .unwrap_or_default();
                CartLine {
                    service_code: l.service.into(),
                    department: dept,
                    consumer_no: l.consumer.into(),
                    consumer_name: Some("Ram Lal".into()),
                    bill_ref: l.bill_ref.map(String::from),
                    bill_amount: Paise::new(l.amount),
                    charge: Paise::new(l.charge),
                    commission,
                }
            })
            .collect();
        let total = lines
            .iter()
            .map(|l| l.bill_amount.as_i64() + l.charge.as_i64())
            .sum();
        let commission = lines.iter().map(|l| l.commission.as_i64()).sum();
        let n = self.seq() + 1;
        PaymentPayload {
            receipt_no: format!("{}-001-{n:07}", self.kiosk_code),
            receipt_id: Uuid::new_v4(),
            kiosk_code: self.kiosk_code.clone(),
            operator: "op1".into(),
            contact: Contact {
                mobile: Some(Mobile::parse("9876543210").unwrap()),
                email: None,
            },
            mode,
            lines,
            total: Paise::new(total),
            commission: Paise::new(commission),
            duplicate_confirmed: false,
        }
    }

    /// Appends a wallet payment; returns (entry, payload).
    pub fn pay(&mut self, cat: &Catalogue, lines: &[Line]) -> (Entry, PaymentPayload) {
        let p = self.payment_payload(cat, lines, PaymentMode::Wallet);
        (self.append(EntryKind::Payment, p.encode()), p)
    }

    pub fn pay_payload(&mut self, p: &PaymentPayload) -> Entry {
        self.append(EntryKind::Payment, p.encode())
    }

    /// A cancellation by the kiosk's holder (the centre takes it from no
    /// one else).
    pub fn cancel(&mut self, p: &PaymentPayload) -> Entry {
        let by = self.holder();
        self.cancel_by(p, &by)
    }

    pub fn cancel_by(&mut self, p: &PaymentPayload, operator: &str) -> Entry {
        let c = CancelPayload {
            receipt_id: p.receipt_id,
            receipt_no: p.receipt_no.clone(),
            operator: operator.into(),
            reason: "wrong consumer number".into(),
        };
        self.append(EntryKind::Cancellation, c.encode())
    }

    /// The holder's login `new_kiosk` made for this device's kiosk.
    pub fn holder(&self) -> String {
        format!("{}-h", self.kiosk_code.to_lowercase())
    }

    /// A user change made by `by`.
    pub fn user_change(&mut self, by: &str, login: &str, change: protocol::UserChange) -> Entry {
        let p = protocol::UserChangePayload {
            by: by.into(),
            login: login.into(),
            change,
        };
        self.append(EntryKind::UserChange, p.encode())
    }

    /// A push of entries `from..=to` (1-based seqs).
    pub fn batch(&self, from: u64, to: u64) -> PushRequest {
        let entries = self.log[(from - 1) as usize..to as usize]
            .iter()
            .map(|(e, _)| WireEntry::from_entry(e))
            .collect();
        PushRequest {
            version: protocol::PROTOCOL_VERSION,
            first_seq: from,
            last_hash: self.log[(to - 1) as usize].1,
            entries,
            clock_offset_ms: self.clock_offset_ms,
        }
    }

    /// Everything not yet pushed after `hwm`.
    pub fn rest(&self, hwm: u64) -> PushRequest {
        self.batch(hwm + 1, self.seq())
    }
}

pub fn accepted(o: &protocol::Outcome) -> (i64, String) {
    match o {
        protocol::Outcome::Accepted {
            txn_id, receipt_no, ..
        } => (*txn_id, receipt_no.clone()),
        other => panic!("expected accepted, got {other:?}"),
    }
}

pub fn rejected(o: &protocol::Outcome) -> String {
    match o {
        protocol::Outcome::Rejected { code, .. } => code.clone(),
        other => panic!("expected rejected, got {other:?}"),
    }
}

/// Serves `app` on a free local port; its base URL.
pub async fn spawn(app: axum::Router) -> String {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(l, app).await.unwrap() });
    format!("http://{addr}")
}

/// The stand-in SMS gateway: answers 503 while `up` is false, else keeps
/// each message (`{"to", "text", "ref", "sender"}`).
#[derive(Default)]
pub struct Gateway {
    pub up: std::sync::atomic::AtomicBool,
    pub got: std::sync::Mutex<Vec<serde_json::Value>>,
}

impl Gateway {
    /// The messages received so far for `to`.
    pub fn to(&self, to: &str) -> Vec<String> {
        self.got
            .lock()
            .unwrap()
            .iter()
            .filter(|m| m["to"] == to)
            .map(|m| m["text"].as_str().unwrap_or_default().to_string())
            .collect()
    }
}

/// A gateway (down until `up` is set) and the URL to configure.
pub async fn sms_gateway() -> (String, Arc<Gateway>) {
    use axum::extract::State;
    use std::sync::atomic::Ordering;
    let gw = Arc::new(Gateway::default());
    let app =
        axum::Router::new()
            .route(
                "/send",
                axum::routing::post(
                    |State(g): State<Arc<Gateway>>,
                     axum::Json(v): axum::Json<serde_json::Value>| async move {
                        if !g.up.load(Ordering::SeqCst) {
                            return StatusCode::SERVICE_UNAVAILABLE;
                        }
                        g.got.lock().unwrap().push(v);
                        StatusCode::ACCEPTED
                    },
                ),
            )
            .with_state(gw.clone());
    (format!("{}/send", spawn(app).await), gw)
}

/// Runs one async test body on both stores.
#[macro_export]
macro_rules! both {
    ($name:ident, $body:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let h = $crate::common::H::new($crate::common::Backend::Sqlite).await;
                ($body)(h).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let h = $crate::common::H::new($crate::common::Backend::Postgres).await;
                ($body)(h).await;
            }
        }
    };
}
