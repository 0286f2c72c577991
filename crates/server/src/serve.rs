//! The accept loop and HTTP connections (HTTP/1.1, and HTTP/2 by ALPN or
//! prior knowledge: its header compression makes a kiosk's lone payment
//! cost a fraction of the bytes on 2G), with the limits a server on
//! the open internet needs: a client that opens connections and sends
//! nothing, half a request head, or a body one byte a minute must not hold
//! descriptors or memory for long, and no one address may take them all.
//!
//! * head: the request head must arrive within `header_timeout` of the
//!   connection being ready for it (which also bounds a silent keep-alive);
//! * idle: a connection on which no byte moves either way for
//!   `idle_timeout` is closed (a stalled upload, a client that stops
//!   reading its answer);
//! * body: each request body must arrive within `body_timeout` (checked in
//!   the API's body extractor: `request.timeout`, 408);
//! * connections: at most `max_connections` at once, and
//!   `max_connections_per_address` from one address; past that a new one is
//!   closed at once.
//!
//! Accept errors (out of descriptors, above all) back off exponentially up
//! to a second, and are logged at most once every few seconds with the
//! number of errors in between, so a descriptor flood cannot turn into a
//! busy loop that fills the disk with warnings.

use axum::Router;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;

/// The connection limits, in the config (`[limits]`); every field has a default.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    pub header_timeout_secs: u64,
    pub idle_timeout_secs: u64,
    pub body_timeout_secs: u64,
    pub tls_handshake_timeout_secs: u64,
    pub max_connections: usize,
    pub max_connections_per_address: usize,
    /// Balancers in front of this server (their addresses as this server
    /// sees them). Their connections are exempt from the per-address cap,
    /// and a request through one is the client's whose address it names
    /// last in `X-Forwarded-For` (HAProxy's `option forwardfor` appends
    /// it), so per-address login limits see the real client. The header is
    /// ignored from anyone else: a client cannot pick its own address.
    pub trusted_proxies: Vec<IpAddr>,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            header_timeout_secs: 20,
            idle_timeout_secs: 60,
            // A 2G link at 20 kbit/s moves a 1 MiB body in about 7 minutes.
            body_timeout_secs: 600,
            tls_handshake_timeout_secs: 30,
            max_connections: 4096,
            max_connections_per_address: 64,
            trusted_proxies: Vec::new(),
        }
    }
}

/// How many connections each address holds, and in all.
struct Counts {
    per_addr: Mutex<HashMap<IpAddr, usize>>,
    max_per_addr: usize,
    /// Not capped per address: every client behind them shares it.
    uncapped: Vec<IpAddr>,
}

/// One connection's place; given back when dropped.
struct Slot {
    counts: Arc<Counts>,
    ip: IpAddr,
    _total: tokio::sync::OwnedSemaphorePermit,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut m = self.counts.per_addr.lock().unwrap();
        if let Some(n) = m.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                m.remove(&self.ip);
            }
        }
    }
}

impl Counts {
    fn take(self: &Arc<Self>, ip: IpAddr, total: &Arc<tokio::sync::Semaphore>) -> Option<Slot> {
        let permit = total.clone().try_acquire_owned().ok()?;
        let mut m = self.per_addr.lock().unwrap();
        let n = m.entry(ip).or_insert(0);
        if *n >= self.max_per_addr && !self.uncapped.contains(&ip) {
            return None;
        }
        *n += 1;
        Some(Slot {
            counts: self.clone(),
            ip,
            _total: permit,
        })
    }
}

/// Backs off after accept errors and says so in the log without flooding it.
pub(crate) struct AcceptErrors {
    delay: Duration,
    last_log: Option<Instant>,
    suppressed: u64,
}

impl AcceptErrors {
    const FIRST: Duration = Duration::from_millis(5);
    const MAX: Duration = Duration::from_secs(1);
    const LOG_EVERY: Duration = Duration::from_secs(5);

    pub(crate) fn new() -> Self {
        AcceptErrors {
            delay: Self::FIRST,
            last_log: None,
            suppressed: 0,
        }
    }

    pub(crate) async fn failed(&mut self, e: &std::io::Error) {
        let now = Instant::now();
        if self
            .last_log
            .is_none_or(|t| now.duration_since(t) >= Self::LOG_EVERY)
        {
            tracing::warn!(error = %e, suppressed = self.suppressed, "accept failed; backing off");
            self.last_log = Some(now);
            self.suppressed = 0;
        } else {
            self.suppressed += 1;
        }
        tokio::time::sleep(self.delay).await;
        self.delay = (self.delay * 2).min(Self::MAX);
    }

    pub(crate) fn ok(&mut self) {
        self.delay = Self::FIRST;
    }
}

/// Bytes moved on a connection, for the idle check.
struct Watched<T> {
    inner: T,
    last: Arc<AtomicU64>,
    epoch: Instant,
}

impl<T> Watched<T> {
    fn touch(&self) {
        self.last
            .store(self.epoch.elapsed().as_millis() as u64, Ordering::Relaxed);
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for Watched<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let r = Pin::new(&mut self.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.touch();
        }
        r
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Watched<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write(cx, buf);
        if matches!(r, Poll::Ready(Ok(n)) if n > 0) {
            self.touch();
        }
        r
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// Serves `app` on `listener` (TLS when `tls` is given) until `stop`
/// resolves; then stops accepting, lets the requests in flight finish (a
/// push either commits or does not) and returns.
pub async fn run(
    listener: TcpListener,
    tls: Option<TlsAcceptor>,
    app: Router,
    limits: Limits,
    stop: impl std::future::Future<Output = ()>,
) -> std::io::Result<()> {
    let total = Arc::new(tokio::sync::Semaphore::new(limits.max_connections.max(1)));
    let counts = Arc::new(Counts {
        per_addr: Mutex::new(HashMap::new()),
        max_per_addr: limits.max_connections_per_address.max(1),
        uncapped: limits.trusted_proxies.clone(),
    });
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let mut errors = AcceptErrors::new();
    tokio::pin!(stop);
    loop {
        let (sock, peer) = tokio::select! {
            _ = &mut stop => break,
            r = listener.accept() => match r {
                Ok(x) => { errors.ok(); x }
                Err(e) => { errors.failed(&e).await; continue; }
            },
        };
        let Some(slot) = counts.take(peer.ip(), &total) else {
            // Over a limit: closed at once, before any byte is read.
            drop(sock);
            continue;
        };
        let (app, tls, limits, stop_rx) =
            (app.clone(), tls.clone(), limits.clone(), stop_rx.clone());
        tokio::spawn(async move {
            let _slot = slot;
            serve_conn(sock, peer, tls, app, &limits, stop_rx).await;
        });
    }
    // Stop: every connection finishes its request and closes; wait for all
    // places to come back.
    let _ = stop_tx.send(true);
    let all = limits.max_connections.max(1) as u32;
    let _ = total.acquire_many(all).await;
    Ok(())
}

async fn serve_conn(
    sock: TcpStream,
    peer: SocketAddr,
    tls: Option<TlsAcceptor>,
    app: Router,
    limits: &Limits,
    stop: tokio::sync::watch::Receiver<bool>,
) {
    let _ = sock.set_nodelay(true);
    let head = Duration::from_secs(limits.header_timeout_secs.max(1));
    match tls {
        None => {
            // HTTP/2 by prior knowledge starts with its preface; anything
            // else is HTTP/1.1. Nothing within the head timeout: closed, as
            // a head that never came.
            let mut first = [0u8; 4];
            let proto = match tokio::time::timeout(head, sock.peek(&mut first)).await {
                Ok(Ok(4)) if &first == b"PRI " => Proto::H2,
                Ok(Ok(n)) if n > 0 => Proto::H1,
                _ => return,
            };
            serve_io(sock, peer, app, limits, stop, proto).await
        }
        Some(acceptor) => {
            let hs = Duration::from_secs(limits.tls_handshake_timeout_secs.max(1));
            match tokio::time::timeout(hs, acceptor.accept(sock)).await {
                Ok(Ok(s)) => {
                    let proto = match s.get_ref().1.alpn_protocol() {
                        Some(b"h2") => Proto::H2,
                        _ => Proto::H1,
                    };
                    serve_io(s, peer, app, limits, stop, proto).await
                }
                Ok(Err(e)) => tracing::debug!(%peer, error = %e, "TLS handshake failed"),
                Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
            }
        }
    }
}

/// The HTTP version a connection speaks, known before it is served.
#[derive(Clone, Copy)]
enum Proto {
    H1,
    H2,
}

async fn serve_io<T>(
    io: T,
    peer: SocketAddr,
    app: Router,
    limits: &Limits,
    mut stop: tokio::sync::watch::Receiver<bool>,
    proto: Proto,
) where
    T: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let epoch = Instant::now();
    let last = Arc::new(AtomicU64::new(0));
    let io = Watched {
        inner: io,
        last: last.clone(),
        epoch,
    };
    let proxied = limits.trusted_proxies.contains(&peer.ip());
    let svc = hyper::service::service_fn(move |mut req: hyper::Request<hyper::body::Incoming>| {
        let client = if proxied {
            forwarded_for(req.headers()).map_or(peer, |ip| SocketAddr::new(ip, 0))
        } else {
            peer
        };
        req.extensions_mut()
            .insert(axum::extract::ConnectInfo(client));
        let app = app.clone();
        async move {
            let r = tower::ServiceExt::oneshot(app, req.map(axum::body::Body::new)).await;
            Ok::<_, Infallible>(with_date(r.unwrap_or_else(|e| match e {})))
        }
    });
    let b = hyper_util::server::conn::auto::Builder::new(hyper_util::rt::TokioExecutor::new());
    let mut b = match proto {
        Proto::H1 => b.http1_only(),
        Proto::H2 => b.http2_only(),
    };
    // No automatic Date: a sync answer carries the centre's clock in its
    // body, and on a warm HTTP/2 connection the date would be its largest
    // header. Every other answer gets one (`with_date`).
    b.http1()
        .timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(Duration::from_secs(limits.header_timeout_secs.max(1)))
        .keep_alive(true)
        .auto_date_header(false);
    b.http2()
        .timer(hyper_util::rt::TokioTimer::new())
        .auto_date_header(false)
        // One kiosk needs a couple of streams at once; a client that opens
        // hundreds on one connection gets no more work done than with 8.
        .max_concurrent_streams(8)
        .max_header_list_size(16 * 1024);
    let conn = b.serve_connection(hyper_util::rt::TokioIo::new(io), svc);
    tokio::pin!(conn);
    let idle = Duration::from_secs(limits.idle_timeout_secs.max(1));
    let mut stopping = false;
    loop {
        let since = Duration::from_millis(last.load(Ordering::Relaxed));
        let quiet_until = epoch + since + idle;
        tokio::select! {
            r = conn.as_mut() => {
                if let Err(e) = r {
                    tracing::debug!(%peer, error = %e, "connection ended");
                }
                return;
            }
            _ = tokio::time::sleep_until(quiet_until.into()) => {
                if epoch.elapsed() >= Duration::from_millis(last.load(Ordering::Relaxed)) + idle {
                    tracing::debug!(%peer, "idle connection closed");
                    return;
                }
            }
            _ = stop.changed(), if !stopping => {
                stopping = true;
                conn.as_mut().graceful_shutdown();
            }
        }
    }
}

/// Adds the Date header to every answer but a sync body (which carries the
/// centre's clock itself, in fewer bytes).
fn with_date(mut r: axum::response::Response) -> axum::response::Response {
    use axum::http::header;
    let sync = r
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes() == protocol::wire::SYNC_CONTENT_TYPE.as_bytes());
    if !sync && !r.headers().contains_key(header::DATE) {
        // The Date header is the machine's wall clock by definition (what
        // hyper would have sent), not a time any record is dated by.
        #[allow(clippy::disallowed_methods)]
        let now = httpdate::fmt_http_date(std::time::SystemTime::now());
        if let Ok(v) = header::HeaderValue::from_str(&now) {
            r.headers_mut().insert(header::DATE, v);
        }
    }
    r
}

/// The address a trusted balancer names last in `X-Forwarded-For` (the one
/// it saw; earlier ones are the client's own claims).
fn forwarded_for(h: &hyper::HeaderMap) -> Option<IpAddr> {
    h.get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .next_back()
        .and_then(|a| a.trim().parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_forwarded_address_is_the_client() {
        let mut h = hyper::HeaderMap::new();
        assert_eq!(forwarded_for(&h), None);
        h.append("x-forwarded-for", "10.9.9.9, 203.0.113.7".parse().unwrap());
        assert_eq!(forwarded_for(&h), Some("203.0.113.7".parse().unwrap()));
        h.append("x-forwarded-for", "198.51.100.2".parse().unwrap());
        assert_eq!(forwarded_for(&h), Some("198.51.100.2".parse().unwrap()));
        let mut bad = hyper::HeaderMap::new();
        bad.append("x-forwarded-for", "not-an-address".parse().unwrap());
        assert_eq!(forwarded_for(&bad), None);
    }
}
