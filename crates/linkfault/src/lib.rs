//! A fault-injecting TCP proxy for the sync tests and benchmarks.
//!
//! [`LinkFault::start`] listens on a loopback port and forwards every
//! connection to an upstream address, applying the [`Faults`] in force:
//! one-way latency with jitter, a bandwidth limit per direction, periodic
//! and on-demand connection resets (a real TCP RST), a cut after N bytes,
//! a per-request chance of being cut mid-way, a black hole (nothing flows,
//! so the peer times out), refusal, slow close and a flapping schedule.
//! A [`LinkHandle`] changes the faults while a test runs and reads the byte
//! counters per direction (the `wire` benchmark measures at the proxy).
//!
//! ## Why not `noxious`
//! `noxious` (a Rust port of Toxiproxy) builds with the current toolchain
//! and can run in-process, but it does not fit what we measure:
//! - bandwidth is whole kilobytes per second, so 20 kbps (2.5 KB/s) cannot
//!   be expressed;
//! - it has no byte counters, no "reset every live connection now", no
//!   probabilistic per-request cut and no up/down schedule;
//! - its last release (2021) pins tokio-util 0.6, rand 0.8 and thiserror 1,
//!   which would duplicate half the dependency tree.
//!
//! What we need is a few hundred lines on tokio, so it lives here.
//!
//! ## Model
//! Each direction is a serialiser (bandwidth: a chunk of `n` bytes occupies
//! the link for `8n/rate` seconds, and the proxy stops reading while the
//! link is busy, so TCP back-pressure reaches the sender) followed by a
//! propagation delay (latency ± jitter, never reordering bytes).

use std::io;
use std::net::SocketAddr;
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, mpsc, watch};
use tokio::task::JoinHandle;
use tokio::time::{Instant, sleep_until};

/// The faults applied by the proxy. `Default` is a clean link.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Faults {
    /// One-way delay added in each direction.
    pub latency: Duration,
    /// Uniform ± jitter around `latency` (bytes are never reordered).
    pub jitter: Duration,
    /// Client → server limit, bits per second.
    pub up_bps: Option<u64>,
    /// Server → client limit, bits per second.
    pub down_bps: Option<u64>,
    /// Nothing flows either way and new connections hang: the peer sees a
    /// time-out, as on a dead radio link. Bytes already read are held, not
    /// lost (TCP would retransmit them once the link returns).
    pub blackhole: bool,
    /// New connections are accepted and reset at once (link down, fast fail).
    pub refuse: bool,
    /// Each connection opened while this is set is reset after forwarding
    /// this many bytes (both directions together).
    pub cut_after: Option<u64>,
    /// Chance (0..=1) that a request (client bytes following a response, or
    /// the first ones) is cut mid-way: the connection is reset within the
    /// request or early in its response.
    pub cut_request_probability: f64,
    /// Reset every live connection at a random interval in this range.
    pub reset_every: Option<(Duration, Duration)>,
    /// Delay before a close (FIN) is passed on.
    pub slow_close: Option<Duration>,
    /// Link up for `.0`, then black-holed for `.1`, repeating.
    pub flap: Option<(Duration, Duration)>,
}

/// The named link profiles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    /// No faults.
    Clean,
    /// 50 kbps down / 20 kbps up, 500 ms one-way latency.
    Gprs,
    /// 20 kbps both ways, 650 ms one-way, 2 % of requests cut mid-way,
    /// a reset every 20–40 s.
    TwoGRural,
    /// Up 30 s, down (black hole) 30 s.
    Flapping,
    /// Worse than `2g-rural`: 12 kbps both ways, 900 ms one-way (± 150),
    /// 4 % of requests cut mid-way, a reset every 5–10 s, and a silent
    /// black hole of 6 s every 45 s.
    TwoGHarsh,
}

impl Profile {
    pub const ALL: [Profile; 5] = [
        Profile::Clean,
        Profile::Gprs,
        Profile::TwoGRural,
        Profile::Flapping,
        Profile::TwoGHarsh,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Profile::Clean => "clean",
            Profile::Gprs => "gprs",
            Profile::TwoGRural => "2g-rural",
            Profile::Flapping => "flapping",
            Profile::TwoGHarsh => "2g-harsh",
        }
    }

    pub fn faults(self) -> Faults {
        match self {
            Profile::Clean => Faults::default(),
            Profile::Gprs => Faults {
                latency: Duration::from_millis(500),
                jitter: Duration::from_millis(50),
                up_bps: Some(20_000),
                down_bps: Some(50_000),
                ..Faults::default()
            },
            Profile::TwoGRural => Faults {
                latency: Duration::from_millis(650),
                jitter: Duration::from_millis(50),
                up_bps: Some(20_000),
                down_bps: Some(20_000),
                cut_request_probability: 0.02,
                reset_every: Some((Duration::from_secs(20), Duration::from_secs(40))),
                ..Faults::default()
            },
            Profile::Flapping => Faults {
                flap: Some((Duration::from_secs(30), Duration::from_secs(30))),
                ..Faults::default()
            },
            Profile::TwoGHarsh => Faults {
                latency: Duration::from_millis(900),
                jitter: Duration::from_millis(150),
                up_bps: Some(12_000),
                down_bps: Some(12_000),
                cut_request_probability: 0.04,
                reset_every: Some((Duration::from_secs(5), Duration::from_secs(10))),
                flap: Some((Duration::from_secs(45), Duration::from_secs(6))),
                ..Faults::default()
            },
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("unknown link profile `{0}` (known: clean, gprs, 2g-rural, flapping, 2g-harsh)")]
pub struct UnknownProfile(pub String);

impl FromStr for Profile {
    type Err = UnknownProfile;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Profile::ALL
            .into_iter()
            .find(|p| p.name() == s)
            .ok_or_else(|| UnknownProfile(s.to_string()))
    }
}

impl Faults {
    pub fn clean() -> Self {
        Faults::default()
    }
    pub fn profile(p: Profile) -> Self {
        p.faults()
    }
    fn rate(&self, dir: Dir) -> Option<u64> {
        match dir {
            Dir::Up => self.up_bps,
            Dir::Down => self.down_bps,
        }
        .filter(|r| *r > 0)
    }
}

/// Byte and event counters since start (or the last [`LinkHandle::reset_counters`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Counters {
    /// Bytes delivered to the server.
    pub up_bytes: u64,
    /// Bytes delivered to the client.
    pub down_bytes: u64,
    /// Connections accepted.
    pub connections: u64,
    /// Connections ended by a reset (on demand, periodic, refused, cut).
    pub resets: u64,
    /// Connections cut by `cut_after` or `cut_request_probability`.
    pub cuts: u64,
}

#[derive(Default)]
struct AtomicCounters {
    up_bytes: AtomicU64,
    down_bytes: AtomicU64,
    connections: AtomicU64,
    resets: AtomicU64,
    cuts: AtomicU64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dir {
    Up,
    Down,
}

/// SplitMix64: small, seedable, good enough for fault timing.
struct SplitMix(u64);
impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn between(&mut self, lo: Duration, hi: Duration) -> Duration {
        if hi <= lo {
            return lo;
        }
        lo + (hi - lo).mul_f64(self.unit())
    }
}

struct Shared {
    upstream: SocketAddr,
    faults: watch::Sender<Faults>,
    /// Black hole in force (configured or the down half of a flap).
    blocked: watch::Sender<bool>,
    reset_epoch: watch::Sender<u64>,
    counters: AtomicCounters,
    rng: Mutex<SplitMix>,
}

impl Shared {
    fn rand_unit(&self) -> f64 {
        self.rng.lock().unwrap().unit()
    }
    fn rand_between(&self, lo: Duration, hi: Duration) -> Duration {
        self.rng.lock().unwrap().between(lo, hi)
    }
    fn reset_all(&self) {
        self.reset_epoch.send_modify(|e| *e += 1);
    }
}

/// A running proxy. Dropping it stops accepting and resets live connections.
pub struct LinkFault {
    addr: SocketAddr,
    handle: LinkHandle,
    tasks: Vec<JoinHandle<()>>,
}

/// Changes the faults of a running proxy and reads its counters. Cheap to clone.
#[derive(Clone)]
pub struct LinkHandle {
    shared: Arc<Shared>,
}

impl LinkFault {
    /// Listens on `127.0.0.1:0` and forwards to `upstream`.
    pub async fn start(upstream: SocketAddr, faults: Faults) -> io::Result<LinkFault> {
        Self::start_on(
            "127.0.0.1:0".parse().expect("valid"),
            upstream,
            faults,
            0x5eed,
        )
        .await
    }

    /// Listens on `listen` with a seed for the fault timing.
    pub async fn start_on(
        listen: SocketAddr,
        upstream: SocketAddr,
        faults: Faults,
        seed: u64,
    ) -> io::Result<LinkFault> {
        let listener = TcpListener::bind(listen).await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            upstream,
            faults: watch::Sender::new(faults),
            blocked: watch::Sender::new(faults.blackhole),
            reset_epoch: watch::Sender::new(0),
            counters: AtomicCounters::default(),
            rng: Mutex::new(SplitMix(seed)),
        });
        let accept = tokio::spawn(accept_loop(listener, shared.clone()));
        let schedule = tokio::spawn(scheduler(shared.clone()));
        Ok(LinkFault {
            addr,
            handle: LinkHandle { shared },
            tasks: vec![accept, schedule],
        })
    }

    /// Where clients connect.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn handle(&self) -> LinkHandle {
        self.handle.clone()
    }
}

impl Drop for LinkFault {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
        self.handle.shared.reset_all();
    }
}

impl LinkHandle {
    /// Replaces the faults. Latency, bandwidth, black hole, refusal, slow
    /// close and the schedules apply at once, also to live connections;
    /// `cut_after` applies to connections opened afterwards.
    pub fn set(&self, faults: Faults) {
        self.shared.faults.send_replace(faults);
    }

    pub fn set_profile(&self, p: Profile) {
        self.set(p.faults());
    }

    /// Changes some of the faults.
    pub fn update(&self, f: impl FnOnce(&mut Faults)) {
        self.shared.faults.send_modify(f);
    }

    pub fn faults(&self) -> Faults {
        *self.shared.faults.borrow()
    }

    /// Resets (RST) every live connection now.
    pub fn reset_all(&self) {
        self.shared.reset_all();
    }

    /// True while nothing flows (black hole or the down half of a flap).
    pub fn is_blocked(&self) -> bool {
        *self.shared.blocked.borrow()
    }

    /// Waits until the black hole state equals `blocked` (e.g. for a flap).
    pub async fn wait_blocked(&self, blocked: bool) {
        let mut rx = self.shared.blocked.subscribe();
        let _ = rx.wait_for(|b| *b == blocked).await;
    }

    pub fn counters(&self) -> Counters {
        let c = &self.shared.counters;
        Counters {
            up_bytes: c.up_bytes.load(Ordering::Relaxed),
            down_bytes: c.down_bytes.load(Ordering::Relaxed),
            connections: c.connections.load(Ordering::Relaxed),
            resets: c.resets.load(Ordering::Relaxed),
            cuts: c.cuts.load(Ordering::Relaxed),
        }
    }

    pub fn reset_counters(&self) {
        let c = &self.shared.counters;
        for a in [
            &c.up_bytes,
            &c.down_bytes,
            &c.connections,
            &c.resets,
            &c.cuts,
        ] {
            a.store(0, Ordering::Relaxed);
        }
    }
}

async fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    loop {
        let Ok((client, _)) = listener.accept().await else {
            continue;
        };
        shared.counters.connections.fetch_add(1, Ordering::Relaxed);
        tokio::spawn(serve_conn(client, shared.clone()));
    }
}

/// Runs the flap and periodic-reset schedules and keeps `blocked` current.
async fn scheduler(shared: Arc<Shared>) {
    let mut rx = shared.faults.subscribe();
    let mut current = *rx.borrow_and_update();
    let mut flap_down = false;
    let mut flap_at: Option<Instant> = current.flap.map(|(up, _)| Instant::now() + up);
    let mut reset_at: Option<Instant> = current
        .reset_every
        .map(|(lo, hi)| Instant::now() + shared.rand_between(lo, hi));
    loop {
        shared.blocked.send_if_modified(|b| {
            let want = current.blackhole || flap_down;
            let changed = *b != want;
            *b = want;
            changed
        });
        let far = Instant::now() + Duration::from_secs(86_400);
        tokio::select! {
            changed = rx.changed() => {
                if changed.is_err() { return; }
                let new = *rx.borrow_and_update();
                if new.flap != current.flap {
                    flap_down = false;
                    flap_at = new.flap.map(|(up, _)| Instant::now() + up);
                }
                if new.reset_every != current.reset_every {
                    reset_at = new.reset_every.map(|(lo, hi)| Instant::now() + shared.rand_between(lo, hi));
                }
                current = new;
            }
            _ = sleep_until(flap_at.unwrap_or(far)), if flap_at.is_some() => {
                let (up, down) = current.flap.expect("flap_at implies flap");
                flap_down = !flap_down;
                flap_at = Some(Instant::now() + if flap_down { down } else { up });
            }
            _ = sleep_until(reset_at.unwrap_or(far)), if reset_at.is_some() => {
                shared.reset_all();
                let (lo, hi) = current.reset_every.expect("reset_at implies reset_every");
                reset_at = Some(Instant::now() + shared.rand_between(lo, hi));
            }
        }
    }
}

/// Per-connection state shared by its two directions.
struct Conn {
    forwarded: AtomicU64,
    cut_at: AtomicU64,
    /// The next client bytes start a new request.
    expecting_request: AtomicBool,
    kill: Notify,
}

/// Sends a TCP RST instead of a FIN when the socket is dropped.
fn arm_reset(s: &TcpStream) {
    let _ = socket2::SockRef::from(s).set_linger(Some(Duration::ZERO));
}

async fn serve_conn(client: TcpStream, shared: Arc<Shared>) {
    let mut reset_rx = shared.reset_epoch.subscribe();
    reset_rx.borrow_and_update();
    let faults = *shared.faults.borrow();
    if faults.refuse {
        arm_reset(&client);
        shared.counters.resets.fetch_add(1, Ordering::Relaxed);
        return;
    }
    // In a black hole the client's connect succeeded (we accepted) but nothing
    // more happens until the link returns or the connection is reset.
    let mut blocked_rx = shared.blocked.subscribe();
    tokio::select! {
        _ = blocked_rx.wait_for(|b| !*b) => {}
        _ = reset_rx.changed() => {
            arm_reset(&client);
            shared.counters.resets.fetch_add(1, Ordering::Relaxed);
            return;
        }
    }
    let mut client = client;
    let mut server = match TcpStream::connect(shared.upstream).await {
        Ok(s) => s,
        Err(_) => {
            arm_reset(&client);
            return;
        }
    };
    let _ = client.set_nodelay(true);
    let _ = server.set_nodelay(true);
    let conn = Conn {
        forwarded: AtomicU64::new(0),
        cut_at: AtomicU64::new(faults.cut_after.unwrap_or(u64::MAX)),
        expecting_request: AtomicBool::new(true),
        kill: Notify::new(),
    };
    let killed = {
        let (cr, cw) = client.split();
        let (sr, sw) = server.split();
        let up = direction(cr, sw, Dir::Up, &shared, &conn);
        let down = direction(sr, cw, Dir::Down, &shared, &conn);
        tokio::select! {
            _ = async { tokio::join!(up, down) } => false,
            _ = reset_rx.changed() => true,
            _ = conn.kill.notified() => true,
        }
    };
    if killed {
        arm_reset(&client);
        arm_reset(&server);
        shared.counters.resets.fetch_add(1, Ordering::Relaxed);
    }
}

enum Chunk {
    Data(Instant, Vec<u8>),
    Eof(Instant),
}

/// One direction: read → serialise at the rate → delay → write.
/// Any I/O error ends the whole connection with a reset, as a real link would.
async fn direction<R, W>(mut reader: R, mut writer: W, dir: Dir, shared: &Shared, conn: &Conn)
where
    R: tokio::io::AsyncRead + Unpin,
    W: tokio::io::AsyncWrite + Unpin,
{
    let (tx, mut rx) = mpsc::channel::<Chunk>(64);
    let read_side = async {
        let mut blocked = shared.blocked.subscribe();
        let mut buf = vec![0u8; 16 * 1024];
        let mut link_free = Instant::now();
        let mut last_at = Instant::now();
        loop {
            let _ = blocked.wait_for(|b| !*b).await;
            let faults = *shared.faults.borrow();
            // Small reads at low rates keep the serialiser's timing fine-grained.
            let max = faults
                .rate(dir)
                .map_or(buf.len(), |r| ((r / 8 / 10) as usize).clamp(64, buf.len()));
            let n = match reader.read(&mut buf[..max]).await {
                Ok(n) => n,
                Err(_) => return Err(()),
            };
            // The faults may have changed while the read waited.
            let faults = *shared.faults.borrow();
            let rate = faults.rate(dir);
            let now = Instant::now();
            if n == 0 {
                let at = last_at.max(now) + faults.slow_close.unwrap_or_default();
                let _ = tx.send(Chunk::Eof(at)).await;
                return Ok(());
            }
            match dir {
                Dir::Up => {
                    if conn.expecting_request.swap(false, Ordering::Relaxed)
                        && faults.cut_request_probability > 0.0
                        && shared.rand_unit() < faults.cut_request_probability
                    {
                        let span = n as u64 + 400;
                        let at = conn.forwarded.load(Ordering::Relaxed)
                            + 1
                            + (shared.rand_unit() * span as f64) as u64;
                        conn.cut_at.fetch_min(at, Ordering::Relaxed);
                    }
                }
                Dir::Down => conn.expecting_request.store(true, Ordering::Relaxed),
            }
            let start = now.max(link_free);
            let tx_time = rate.map_or(Duration::ZERO, |r| {
                Duration::from_nanos(n as u64 * 8 * 1_000_000_000 / r)
            });
            link_free = start + tx_time;
            let jitter = if faults.jitter.is_zero() {
                Duration::ZERO
            } else {
                shared.rand_between(Duration::ZERO, faults.jitter * 2)
            };
            let delay = (faults.latency + jitter).saturating_sub(faults.jitter);
            let at = last_at.max(link_free + delay);
            last_at = at;
            if tx.send(Chunk::Data(at, buf[..n].to_vec())).await.is_err() {
                return Err(());
            }
            // Do not read more while the link is still busy with this chunk.
            sleep_until(link_free).await;
        }
    };
    let write_side = async {
        let mut blocked = shared.blocked.subscribe();
        while let Some(chunk) = rx.recv().await {
            match chunk {
                Chunk::Data(at, data) => {
                    sleep_until(at).await;
                    let _ = blocked.wait_for(|b| !*b).await;
                    let n = data.len() as u64;
                    let before = conn.forwarded.fetch_add(n, Ordering::Relaxed);
                    let cut_at = conn.cut_at.load(Ordering::Relaxed);
                    let send = if before + n >= cut_at {
                        (cut_at.saturating_sub(before)) as usize
                    } else {
                        data.len()
                    };
                    if send > 0 && writer.write_all(&data[..send]).await.is_err() {
                        return Err(());
                    }
                    let counter = match dir {
                        Dir::Up => &shared.counters.up_bytes,
                        Dir::Down => &shared.counters.down_bytes,
                    };
                    counter.fetch_add(send as u64, Ordering::Relaxed);
                    if send < data.len() || before + n >= cut_at {
                        shared.counters.cuts.fetch_add(1, Ordering::Relaxed);
                        return Err(());
                    }
                }
                Chunk::Eof(at) => {
                    sleep_until(at).await;
                    let _ = blocked.wait_for(|b| !*b).await;
                    let _ = writer.shutdown().await;
                    return Ok(());
                }
            }
        }
        Ok(())
    };
    if tokio::try_join!(read_side, write_side).is_err() {
        conn.kill.notify_one();
    }
}
