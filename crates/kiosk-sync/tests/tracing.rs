//! What the sync engine logs, captured by a real `tracing_subscriber` fmt
//! layer against the real centre over HTTP: each refused entry with its
//! seq and code, each pushed batch, a failed request with its code and the
//! retry it gets, the recovery — and never a consumer's number or mobile,
//! a request signature or the device key.

mod common;

use std::path::Path;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::*;
use domain::SystemClock;
use kiosk_core::Kiosk;
use kiosk_sync::backoff::Backoff;
use kiosk_sync::keys::{DeviceKey, Keyring};
use kiosk_sync::transport::{PULL_PATH, PUSH_PATH};
use kiosk_sync::{Engine, HttpTransport, SyncConfig, SyncError, Transport};
use protocol::{PullRequest, PullResponse, PushRequest, PushResponse};
use tracing::instrument::WithSubscriber;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::prelude::*;

/// Everything the fmt layer writes, kept in memory.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
    fn lines_with(&self, message: &str) -> Vec<String> {
        self.text()
            .lines()
            .filter(|l| l.contains(message))
            .map(str::to_string)
            .collect()
    }
}

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Captured {
        self.clone()
    }
}

/// The binaries' default (info) plus everything the sync crate says.
fn subscriber(log: &Captured) -> impl tracing::Subscriber + Send + Sync + 'static {
    tracing_subscriber::registry()
        .with(tracing_subscriber::EnvFilter::new("info,kiosk_sync=trace"))
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(log.clone())
                .with_ansi(false),
        )
}

fn device_key(db: &Path) -> DeviceKey {
    let kiosk = Kiosk::open(db, Arc::new(SystemClock)).unwrap();
    Keyring::for_device(kiosk.identity().device_id)
        .unwrap()
        .require()
        .unwrap()
}

/// (path, body) of each request sent.
type Bodies = Arc<Mutex<Vec<(&'static str, Vec<u8>)>>>;

/// The real transport, keeping each request body it sends (to work out
/// the signatures that went out, which must not be logged).
#[derive(Clone)]
struct Recording {
    inner: HttpTransport,
    bodies: Bodies,
}

impl Recording {
    fn new(db: &Path, url: &str) -> Recording {
        Recording {
            inner: HttpTransport::new(url, device_key(db)).unwrap(),
            bodies: Arc::default(),
        }
    }
}

impl Transport for Recording {
    fn push(
        &self,
        req: &PushRequest,
        t: Duration,
    ) -> impl Future<Output = kiosk_sync::Result<PushResponse>> + Send + 'static {
        self.bodies
            .lock()
            .unwrap()
            .push((PUSH_PATH, protocol::encode_body(req)));
        self.inner.push(req, t)
    }
    fn pull(
        &self,
        req: &PullRequest,
        t: Duration,
    ) -> impl Future<Output = kiosk_sync::Result<PullResponse>> + Send + 'static {
        self.bodies
            .lock()
            .unwrap()
            .push((PULL_PATH, protocol::encode_body(req)));
        self.inner.pull(req, t)
    }
    fn probe(&self, t: Duration) -> impl Future<Output = kiosk_sync::Result<()>> + Send + 'static {
        self.inner.probe(t)
    }
    fn bytes(&self) -> (u64, u64) {
        self.inner.bytes()
    }
}

/// Error text that must not reach the log (an address with credentials).
const SECRET_IN_ERROR: &str = "http://proxyuser:hunter2@10.0.0.1:3128";

/// [`Recording`], but the first `fails` pushes fail as a dead link would.
#[derive(Clone)]
struct FailsFirst {
    inner: Recording,
    fails: Arc<AtomicU32>,
}

impl Transport for FailsFirst {
    fn push(
        &self,
        req: &PushRequest,
        t: Duration,
    ) -> impl Future<Output = kiosk_sync::Result<PushResponse>> + Send + 'static {
        let fail = self
            .fails
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok();
        let f = self.inner.push(req, t);
        async move {
            if fail {
                Err(SyncError::Offline(format!(
                    "error sending request for url ({SECRET_IN_ERROR}): connection reset"
                )))
            } else {
                f.await
            }
        }
    }
    fn pull(
        &self,
        req: &PullRequest,
        t: Duration,
    ) -> impl Future<Output = kiosk_sync::Result<PullResponse>> + Send + 'static {
        self.inner.pull(req, t)
    }
    fn probe(&self, t: Duration) -> impl Future<Output = kiosk_sync::Result<()>> + Send + 'static {
        self.inner.probe(t)
    }
    fn bytes(&self) -> (u64, u64) {
        self.inner.bytes()
    }
}

fn engine_with<T: Transport>(db: &Path, t: T) -> Engine<T> {
    let kiosk = Kiosk::open(db, Arc::new(SystemClock)).unwrap();
    Engine::new(kiosk, t, Arc::new(SystemClock)).with_config(SyncConfig {
        request_timeout_floor: Duration::from_secs(3),
        probe_every: Duration::from_millis(20),
        ..SyncConfig::default()
    })
}

/// What [`pay_many`] puts in each payment that is the consumer's.
fn consumer_data(n: u64) -> Vec<String> {
    let mut v: Vec<String> = (0..n)
        .map(|i| format!("{:012}", 200_000_000_000u64 + i))
        .collect();
    v.push("9876543210".into());
    v
}

/// None of the consumers' data, no signature that went out, no key.
fn assert_nothing_secret(log: &str, key: &DeviceKey, sent: &Recording, consumer: &[String]) {
    use base64::Engine as _;
    for c in consumer {
        assert!(
            !log.contains(c.as_str()),
            "consumer data {c} logged:\n{log}"
        );
    }
    let bodies = sent.bodies.lock().unwrap();
    assert!(!bodies.is_empty());
    for (path, body) in bodies.iter() {
        let sig =
            protocol::wire::sign_request(key.signing_key(), key.device_id, "POST", path, body);
        assert!(!log.contains(&sig), "a request signature logged:\n{log}");
    }
    let secret = key.signing_key().to_bytes();
    let hex: String = secret.iter().map(|b| format!("{b:02x}")).collect();
    let b64 = base64::engine::general_purpose::STANDARD.encode(secret);
    let b64url = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(secret);
    for s in [hex, b64, b64url] {
        assert!(!log.contains(&s), "the device key logged:\n{log}");
    }
    assert!(
        !log.contains(SECRET_IN_ERROR) && !log.contains("hunter2"),
        "an error's text logged:\n{log}"
    );
}

/// The value of `field=` in a log line.
fn field<'a>(line: &'a str, name: &str) -> Option<&'a str> {
    let pat = format!(" {name}=");
    let at = line.find(&pat)? + pat.len();
    let rest = &line[at..];
    Some(rest.split(' ').next().unwrap_or(rest))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_entry_is_logged_with_its_seq_and_code_and_no_consumer_data() {
    let dir = tempfile::tempdir().unwrap();
    let centre = start_centre(dir.path()).await;
    let db = registered_kiosk(dir.path(), &centre.url()).await;
    let sent = Recording::new(&db, &centre.url());
    let mut e = engine_with(&db, sent.clone());
    // The catalogue first (the counter needs it).
    e.sync_once().await.unwrap();
    // The centre has since narrowed the consumer numbers it takes for the
    // service: the kiosk's payments made on the old catalogue are refused
    // (`consumer_no.invalid`, a reason quoting the number).
    let mut cat = centre.store.catalogue().await.unwrap().unwrap();
    cat.version += 1;
    cat.services
        .iter_mut()
        .find(|s| s.code == "JVVNL-BILL")
        .unwrap()
        .consumer_pattern = "^9{12}$".into();
    centre.store.save_catalogue(&cat).await.unwrap();
    pay_many(&db, 3, 0);

    let log = Captured::default();
    let r = e
        .sync_once()
        .with_subscriber(subscriber(&log))
        .await
        .unwrap();
    assert_eq!(r.push.rejected, 3, "{r:?}");
    let text = log.text();

    let refused: Vec<(u64, String)> = {
        let k = Kiosk::open(&db, Arc::new(SystemClock)).unwrap();
        let conn = k.store().conn();
        let mut st = conn
            .prepare("SELECT seq, outcome_code FROM outbox WHERE outcome = 'rejected' ORDER BY seq")
            .unwrap();
        st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    };
    assert_eq!(refused.len(), 3);
    let lines = log.lines_with("entry rejected by the centre");
    assert_eq!(lines.len(), 3, "{text}");
    for ((seq, code), line) in refused.iter().zip(&lines) {
        assert_eq!(code, "consumer_no.invalid");
        assert!(line.contains(" WARN "), "{line}");
        assert_eq!(field(line, "seq"), Some(seq.to_string().as_str()), "{line}");
        assert_eq!(field(line, "code"), Some(code.as_str()), "{line}");
        assert_eq!(field(line, "kind"), Some("payment"), "{line}");
    }

    let batch = log.lines_with("batch pushed");
    assert_eq!(batch.len(), 1, "{text}");
    let b = &batch[0];
    assert!(b.contains(" INFO "), "{b}");
    let (first, last) = (refused[0].0.to_string(), refused[2].0.to_string());
    for (name, want) in [
        ("first_seq", first.as_str()),
        ("last_seq", last.as_str()),
        ("entries", "3"),
        ("accepted", "0"),
        ("rejected", "3"),
        ("pending", "0"),
    ] {
        assert_eq!(field(b, name), Some(want), "{name} in {b}");
    }
    for name in ["bytes_sent", "bytes_received", "ms"] {
        let v: u64 = field(b, name)
            .unwrap_or_else(|| panic!("{name} in {b}"))
            .parse()
            .unwrap();
        if name != "ms" {
            assert!(v > 0, "{name} in {b}");
        }
    }

    // The pull after it brought the new catalogue.
    let pulls = log.lines_with("pull applied");
    assert!(
        pulls
            .iter()
            .any(|l| field(l, "catalogue_version") == Some(cat.version.to_string().as_str())),
        "{text}"
    );
    assert_nothing_secret(&text, &device_key(&db), &sent, &consumer_data(3));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_request_is_logged_with_its_code_and_its_retry_then_the_recovery() {
    let dir = tempfile::tempdir().unwrap();
    let centre = start_centre(dir.path()).await;
    let db = registered_kiosk(dir.path(), &centre.url()).await;
    engine_with(&db, Recording::new(&db, &centre.url()))
        .sync_once()
        .await
        .unwrap();
    pay_many(&db, 3, 0);
    let first = {
        let k = Kiosk::open(&db, Arc::new(SystemClock)).unwrap();
        k.queue_stats().unwrap().first_unsent_seq.unwrap()
    };

    let sent = Recording::new(&db, &centre.url());
    let t = FailsFirst {
        inner: sent.clone(),
        fails: Arc::new(AtomicU32::new(2)),
    };
    let mut e = engine_with(&db, t).with_backoff(Backoff::new(
        Duration::from_millis(10),
        Duration::from_millis(50),
    ));
    let handle = e.handle();
    let log = Captured::default();
    let sub = subscriber(&log);
    let run = async { e.run().with_subscriber(sub).await };
    let watch = async {
        // Polled with a deadline: the loop gives no other sign here.
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        while log.lines_with("sync recovered").is_empty() {
            assert!(
                tokio::time::Instant::now() < deadline,
                "no recovery logged:\n{}",
                log.text()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        handle.stop();
    };
    tokio::join!(run, watch);
    let text = log.text();

    let failed = log.lines_with("sync failed: retrying");
    assert_eq!(failed.len(), 2, "{text}");
    for (i, line) in failed.iter().enumerate() {
        assert!(line.contains(" WARN "), "{line}");
        assert_eq!(field(line, "code"), Some("sync.offline"), "{line}");
        assert_eq!(field(line, "request"), Some("\"push\""), "{line}");
        assert_eq!(
            field(line, "first_seq"),
            Some(first.to_string().as_str()),
            "{line}"
        );
        assert_eq!(field(line, "entries"), Some("3"), "{line}");
        assert_eq!(field(line, "link"), Some("true"), "{line}");
        assert_eq!(field(line, "retry"), Some("true"), "{line}");
        assert_eq!(
            field(line, "failures"),
            Some((i + 1).to_string().as_str()),
            "{line}"
        );
        // The delay the backoff chose: within its ceiling for the attempt.
        let delay: u64 = field(line, "delay_ms").unwrap().parse().unwrap();
        assert!(delay <= 10 << i, "{line}");
    }
    let recovered = log.lines_with("sync recovered");
    assert_eq!(field(&recovered[0], "failures"), Some("2"), "{text}");
    assert!(recovered[0].contains(" INFO "), "{text}");
    let batch = log.lines_with("batch pushed");
    assert_eq!(batch.len(), 1, "{text}");
    assert_eq!(field(&batch[0], "accepted"), Some("3"), "{text}");
    // In that order: the failures, then the push that went through.
    let at = |s: &str| text.find(s).unwrap();
    assert!(at("sync failed: retrying") < at("batch pushed"));
    assert!(at("batch pushed") < at("sync recovered"));
    assert_nothing_secret(&text, &device_key(&db), &sent, &consumer_data(3));
    assert_ledgers_agree(&db, &centre.store, OPENING).await;
}
