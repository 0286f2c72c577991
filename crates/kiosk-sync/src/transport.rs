//! How requests reach the centre. [`HttpTransport`] is the real one
//! (reqwest, rustls, one warm keep-alive connection); the simulation
//! supplies its own network behind the same trait.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use protocol::wire::{HEADER_DEVICE, HEADER_SIGNATURE, sign_request};
use protocol::{
    ApiError, PullRequest, PullResponse, PushRequest, PushResponse, decode_body,
    encode_body_compact,
};

use crate::error::{Result, SyncError};
use crate::keys::DeviceKey;

pub const PUSH_PATH: &str = "/v1/sync/push";
pub const PULL_PATH: &str = "/v1/sync/pull";
/// Any HTTP answer here (even 404) proves the centre is reachable.
pub const PROBE_PATH: &str = "/healthz";

pub trait Transport: Clone + Send + Sync + 'static {
    fn push(
        &self,
        req: &PushRequest,
        timeout: Duration,
    ) -> impl Future<Output = Result<PushResponse>> + Send + 'static;
    fn pull(
        &self,
        req: &PullRequest,
        timeout: Duration,
    ) -> impl Future<Output = Result<PullResponse>> + Send + 'static;
    /// A cheap request that succeeds when the centre answers at all.
    fn probe(&self, timeout: Duration) -> impl Future<Output = Result<()>> + Send + 'static;
    /// (sent, received) bytes so far.
    fn bytes(&self) -> (u64, u64);
}

#[derive(Clone)]
pub struct HttpTransport {
    inner: Arc<Inner>,
}

struct Inner {
    client: reqwest::Client,
    base: String,
    key: DeviceKey,
    sent: AtomicU64,
    received: AtomicU64,
    /// Set once a centre refused a raw body (one older than raw bodies):
    /// from then on every body goes compressed.
    compress_always: std::sync::atomic::AtomicBool,
}

/// The kiosk setting naming the HTTP proxy sync goes through, if any.
pub const PROXY_URL_KEY: &str = "sync.proxy_url";

/// A client builder that reaches the centre directly, or through `proxy`
/// when one is configured for the kiosk. Proxy variables in the
/// environment (`HTTP_PROXY`, `ALL_PROXY`, `http_proxy`, ...) are never
/// used: anything in the app's environment could otherwise redirect the
/// kiosk's payments and the holder's password.
pub fn client_builder(proxy: Option<&str>) -> Result<reqwest::ClientBuilder> {
    let b = reqwest::Client::builder().use_rustls_tls().no_proxy();
    match proxy.map(str::trim).filter(|p| !p.is_empty()) {
        None => Ok(b),
        Some(p) => {
            let px = reqwest::Proxy::all(p)
                .map_err(|e| SyncError::Config(format!("proxy {p:?}: {e}")))?;
            Ok(b.proxy(px))
        }
    }
}

impl HttpTransport {
    /// `base` like `https://centre.example:8443` (no trailing slash needed),
    /// reached directly.
    pub fn new(base: &str, key: DeviceKey) -> Result<HttpTransport> {
        Self::with_proxy(base, key, None)
    }

    /// As [`HttpTransport::new`], through the kiosk's configured proxy if
    /// `proxy` names one.
    pub fn with_proxy(base: &str, key: DeviceKey, proxy: Option<&str>) -> Result<HttpTransport> {
        let mut b = client_builder(proxy)?
            .tcp_nodelay(true)
            // Keep the one connection warm across batches: a new TCP (and
            // TLS) handshake costs seconds on 2G.
            .pool_idle_timeout(Duration::from_secs(120))
            .pool_max_idle_per_host(2)
            .connect_timeout(Duration::from_secs(15));
        // HTTP/2: on a warm connection its header compression sends the
        // request's fixed headers as a byte each, which for a lone payment
        // is most of the bytes. Over TLS ALPN picks it when the centre
        // offers it; a plain-http centre is kiosk-server (h2c by prior
        // knowledge), unless a forward proxy stands between.
        let direct = proxy.is_none_or(|p| p.trim().is_empty());
        if direct && base.starts_with("http://") {
            b = b.http2_prior_knowledge();
        }
        let client = b
            .build()
            .map_err(|e| SyncError::Config(format!("http client: {e}")))?;
        Ok(HttpTransport {
            inner: Arc::new(Inner {
                client,
                base: base.trim_end_matches('/').to_string(),
                key,
                sent: AtomicU64::new(0),
                received: AtomicU64::new(0),
                compress_always: Default::default(),
            }),
        })
    }

    pub fn base(&self) -> &str {
        &self.inner.base
    }

    async fn post(
        inner: Arc<Inner>,
        path: &'static str,
        body: Vec<u8>,
        timeout: Duration,
    ) -> Result<Vec<u8>> {
        if protocol::is_compressed(&body) {
            return Self::post_once(&inner, path, body, timeout).await;
        }
        // A raw body: small (zstd did not shrink it), so keeping a copy for
        // a centre that predates raw bodies costs next to nothing.
        let compressed = || protocol::wire::recompress_body(&body);
        if inner.compress_always.load(Ordering::Relaxed) {
            return Self::post_once(&inner, path, compressed(), timeout).await;
        }
        match Self::post_once(&inner, path, body.clone(), timeout).await {
            Err(SyncError::Server {
                status: 400, code, ..
            }) if code == protocol::codes::MALFORMED => {
                tracing::info!("the centre takes compressed bodies only");
                inner.compress_always.store(true, Ordering::Relaxed);
                Self::post_once(&inner, path, compressed(), timeout).await
            }
            r => r,
        }
    }

    async fn post_once(
        inner: &Inner,
        path: &'static str,
        body: Vec<u8>,
        timeout: Duration,
    ) -> Result<Vec<u8>> {
        let device = inner.key.device_id;
        let sig = sign_request(inner.key.signing_key(), device, "POST", path, &body);
        let device_s = device.to_string();
        // Request line + the headers we and reqwest send, as HTTP/1.1
        // would (an upper bound on HTTP/2; the proxy in the benchmarks
        // measures exactly).
        let head = 60 + inner.base.len() + path.len() + device_s.len() + sig.len() + 40;
        inner
            .sent
            .fetch_add((head + body.len()) as u64, Ordering::Relaxed);
        let mut sig = reqwest::header::HeaderValue::from_str(&sig)
            .map_err(|e| SyncError::Protocol(format!("signature header: {e}")))?;
        // Never indexed: a signature is new each time, and in the header
        // table it would only push out what repeats (the device id).
        sig.set_sensitive(true);
        let resp = inner
            .client
            .post(format!("{}{}", inner.base, path))
            .header(HEADER_DEVICE, device_s)
            .header(HEADER_SIGNATURE, sig)
            .body(body)
            .timeout(timeout)
            .send()
            .await
            .map_err(|e| map_err(e, timeout))?;
        let status = resp.status();
        let bytes = resp.bytes().await.map_err(|e| map_err(e, timeout))?;
        inner
            .received
            .fetch_add((bytes.len() + 120) as u64, Ordering::Relaxed);
        if status.is_success() {
            return Ok(bytes.to_vec());
        }
        Err(match serde_json::from_slice::<ApiError>(&bytes) {
            Ok(e) => SyncError::Server {
                status: status.as_u16(),
                code: e.code,
                message: e.message,
                expected_seq: e.expected_seq,
            },
            Err(_) => SyncError::Server {
                status: status.as_u16(),
                code: format!("http.{}", status.as_u16()),
                message: String::from_utf8_lossy(&bytes).chars().take(200).collect(),
                expected_seq: None,
            },
        })
    }
}

fn map_err(e: reqwest::Error, timeout: Duration) -> SyncError {
    if e.is_timeout() {
        return SyncError::Timeout(timeout);
    }
    // The source chain says what really happened (reset, refused, ...).
    let mut msg = e.to_string();
    let mut src = std::error::Error::source(&e);
    while let Some(s) = src {
        msg.push_str(": ");
        msg.push_str(&s.to_string());
        src = s.source();
    }
    SyncError::Offline(msg)
}

fn decode<T: for<'de> serde::Deserialize<'de>>(b: &[u8]) -> Result<T> {
    decode_body(b).map_err(|e| SyncError::Protocol(e.to_string()))
}

impl Transport for HttpTransport {
    fn push(
        &self,
        req: &PushRequest,
        timeout: Duration,
    ) -> impl Future<Output = Result<PushResponse>> + Send + 'static {
        let body = encode_body_compact(req);
        let inner = self.inner.clone();
        async move { decode(&Self::post(inner, PUSH_PATH, body, timeout).await?) }
    }

    fn pull(
        &self,
        req: &PullRequest,
        timeout: Duration,
    ) -> impl Future<Output = Result<PullResponse>> + Send + 'static {
        let body = encode_body_compact(req);
        let inner = self.inner.clone();
        async move { decode(&Self::post(inner, PULL_PATH, body, timeout).await?) }
    }

    fn probe(&self, timeout: Duration) -> impl Future<Output = Result<()>> + Send + 'static {
        let inner = self.inner.clone();
        async move {
            inner
                .sent
                .fetch_add(60 + inner.base.len() as u64, Ordering::Relaxed);
            let r = inner
                .client
                .get(format!("{}{}", inner.base, PROBE_PATH))
                .timeout(timeout)
                .send()
                .await
                .map_err(|e| map_err(e, timeout))?;
            let b = r.bytes().await.map_err(|e| map_err(e, timeout))?;
            inner
                .received
                .fetch_add((b.len() + 100) as u64, Ordering::Relaxed);
            Ok(())
        }
    }

    fn bytes(&self) -> (u64, u64) {
        (
            self.inner.sent.load(Ordering::Relaxed),
            self.inner.received.load(Ordering::Relaxed),
        )
    }
}
