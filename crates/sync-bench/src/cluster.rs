//! Several centre instances over one PostgreSQL behind a real HAProxy, for
//! the cluster tests and benchmarks: a schema of its own on the test
//! database, and the balancer with its per-request log (which instance
//! answered which request) and its view of the instances (up or down).

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn other(msg: impl Into<String>) -> io::Error {
    io::Error::other(msg.into())
}

/// The test PostgreSQL (`KIOSK_TEST_PG_URL`, default the local one).
pub fn pg_base() -> String {
    std::env::var("KIOSK_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://root@127.0.0.1:5432/test".into())
}

/// A schema of its own on the test PostgreSQL, dropped at the end.
pub struct PgSchema {
    pub base: String,
    pub schema: String,
}

impl PgSchema {
    pub fn new() -> io::Result<PgSchema> {
        let s = PgSchema {
            base: pg_base(),
            schema: format!("c_{}", uuid::Uuid::now_v7().simple()),
        };
        s.psql(&format!("CREATE SCHEMA \"{}\"", s.schema))?;
        Ok(s)
    }

    /// The database URL a `kiosk-server` instance is given; `name` shows
    /// in `pg_stat_activity.application_name`, so a test can see which
    /// instance is inside a transaction.
    pub fn database(&self, name: &str) -> String {
        let sep = if self.base.contains('?') { '&' } else { '?' };
        format!(
            "{}{sep}application_name={name}&options=-c%20search_path%3D{}",
            self.base, self.schema
        )
    }

    /// One SQL statement in the schema; its rows as `|`-separated lines.
    pub fn query(&self, sql: &str) -> io::Result<String> {
        let out = Command::new("psql")
            .args([&self.base, "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1"])
            .args(["-c", sql])
            .env("PGOPTIONS", format!("-c search_path={}", self.schema))
            .output()?;
        if !out.status.success() {
            return Err(other(format!(
                "psql {sql}: {}",
                String::from_utf8_lossy(&out.stderr)
            )));
        }
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
    }

    /// A query answering one number.
    pub fn count(&self, sql: &str) -> io::Result<i64> {
        let v = self.query(sql)?;
        v.parse()
            .map_err(|_| other(format!("{sql}: not a number: {v:?}")))
    }

    fn psql(&self, sql: &str) -> io::Result<()> {
        let ok = Command::new("psql")
            .args([&self.base, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-c", sql])
            .status()?
            .success();
        if ok {
            Ok(())
        } else {
            Err(other(format!("psql {sql} failed")))
        }
    }
}

impl Drop for PgSchema {
    fn drop(&mut self) {
        let _ = self.psql(&format!(
            "DROP SCHEMA IF EXISTS \"{}\" CASCADE",
            self.schema
        ));
    }
}

/// A free TCP port on loopback (bound, then let go for the next program).
pub fn free_port() -> io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// One request as the balancer logged it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Logged {
    /// The instance (`c1`, `c2`, …) or `<NOSRV>`.
    pub server: String,
    pub method: String,
    pub path: String,
    pub status: u16,
}

/// A real HAProxy (Debian's) in front of the instances: round robin per
/// request (no stickiness, so one device's pushes spread), health checks
/// on `/healthz` every 200 ms, and connection failures sent to another
/// instance. A request that fails on an instance mid-way is not replayed
/// by the balancer: the kiosk sends it again, and the centre's idempotence
/// makes that safe.
pub struct Haproxy {
    child: Child,
    pub port: u16,
    socket: PathBuf,
    log: Arc<Mutex<Vec<Logged>>>,
}

/// The configuration the tests run; the production example in
/// `docs/production/haproxy.cfg` differs in TLS and addresses only.
pub fn haproxy_config(port: u16, socket: &Path, backends: &[SocketAddr]) -> String {
    let servers: String = backends
        .iter()
        .enumerate()
        .map(|(i, a)| format!("    server c{} {a} check\n", i + 1))
        .collect();
    format!(
        "global
    log stdout format raw local0
    stats socket {socket} mode 600 level admin
    maxconn 4096

defaults
    mode http
    log global
    log-format \"%s %HM %HP %ST\"
    timeout connect 2s
    timeout client 120s
    timeout server 120s
    retries 3
    option redispatch
    retry-on conn-failure

frontend kiosks
    bind 127.0.0.1:{port}
    option forwardfor
    default_backend centres

backend centres
    balance roundrobin
    option httpchk GET /healthz
    default-server inter 200ms fall 1 rise 1
{servers}",
        socket = socket.display()
    )
}

impl Haproxy {
    pub fn start(dir: &Path, backends: &[SocketAddr]) -> io::Result<Haproxy> {
        std::fs::create_dir_all(dir)?;
        let port = free_port()?;
        let socket = dir.join("haproxy.sock");
        let cfg = dir.join("haproxy.cfg");
        std::fs::write(&cfg, haproxy_config(port, &socket, backends))?;
        check_config(&cfg)?;
        let mut child = Command::new("haproxy")
            .arg("-db")
            .arg("-f")
            .arg(&cfg)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| other(format!("haproxy (apt install haproxy): {e}")))?;
        let log = Arc::new(Mutex::new(Vec::new()));
        let out = child.stdout.take().ok_or_else(|| other("no stdout"))?;
        let sink = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                let f: Vec<&str> = line.split_whitespace().collect();
                if let [server, method, path, status] = f[..] {
                    // HTTP/2 requests carry scheme and authority, and
                    // HAProxy logs them in absolute form: keep the path.
                    let path = match path.split_once("://") {
                        Some((_, rest)) => rest.find('/').map_or("/", |i| &rest[i..]),
                        None => path,
                    };
                    sink.lock().unwrap().push(Logged {
                        server: server.into(),
                        method: method.into(),
                        path: path.into(),
                        status: status.parse().unwrap_or(0),
                    });
                }
            }
        });
        let h = Haproxy {
            child,
            port,
            socket,
            log,
        };
        h.wait_up(backends.len(), Duration::from_secs(20))?;
        Ok(h)
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Every request logged so far, oldest first.
    pub fn log(&self) -> Vec<Logged> {
        self.log.lock().unwrap().clone()
    }

    /// The instances' states as the balancer sees them (`UP`, `DOWN`, …),
    /// by name, from its stats socket.
    pub fn states(&self) -> io::Result<Vec<(String, String)>> {
        let mut s = UnixStream::connect(&self.socket)?;
        s.write_all(b"show stat\n")?;
        let mut text = String::new();
        s.read_to_string(&mut text)?;
        let mut lines = text.lines();
        let header: Vec<&str> = lines
            .next()
            .ok_or_else(|| other("empty stats"))?
            .trim_start_matches("# ")
            .split(',')
            .collect();
        let col = |n: &str| header.iter().position(|h| *h == n);
        let (px, sv, st) = match (col("pxname"), col("svname"), col("status")) {
            (Some(a), Some(b), Some(c)) => (a, b, c),
            _ => return Err(other("stats without pxname/svname/status")),
        };
        Ok(lines
            .map(|l| l.split(',').collect::<Vec<_>>())
            .filter(|f| f.len() > st && f[px] == "centres" && f[sv].starts_with('c'))
            .map(|f| (f[sv].to_string(), f[st].to_string()))
            .collect())
    }

    /// Waits until `n` instances are up (health checks every 200 ms).
    pub fn wait_up(&self, n: usize, within: Duration) -> io::Result<()> {
        self.wait_states(within, |s| {
            s.iter().filter(|(_, st)| st.starts_with("UP")).count() == n
        })
    }

    /// Waits until the stats say what `ok` wants.
    pub fn wait_states(
        &self,
        within: Duration,
        ok: impl Fn(&[(String, String)]) -> bool,
    ) -> io::Result<()> {
        let end = Instant::now() + within;
        loop {
            // The socket appears once HAProxy has parsed its config.
            if let Ok(s) = self.states()
                && ok(&s)
            {
                return Ok(());
            }
            if Instant::now() > end {
                return Err(other(format!(
                    "balancer states not reached: {:?}",
                    self.states()
                )));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Haproxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `haproxy -c`: the configuration is valid.
pub fn check_config(cfg: &Path) -> io::Result<()> {
    let out = Command::new("haproxy")
        .arg("-c")
        .arg("-f")
        .arg(cfg)
        .output()
        .map_err(|e| other(format!("haproxy (apt install haproxy): {e}")))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(other(format!(
            "haproxy -c {}: {}{}",
            cfg.display(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )))
    }
}

/// A stand-in for the SMS gateway (the real one is a third party's): an
/// HTTP/1.1 server on loopback that answers 200 to every `POST` and keeps
/// each message's JSON body, so a test can count what was sent.
pub struct SmsReceiver {
    pub url: String,
    got: Arc<Mutex<Vec<serde_json::Value>>>,
    arrived: Arc<tokio::sync::Notify>,
}

impl SmsReceiver {
    pub async fn start() -> io::Result<SmsReceiver> {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}/sms", l.local_addr()?);
        let got = Arc::new(Mutex::new(Vec::new()));
        let arrived = Arc::new(tokio::sync::Notify::new());
        let (sink, bell) = (got.clone(), arrived.clone());
        tokio::spawn(async move {
            while let Ok((s, _)) = l.accept().await {
                let (sink, bell) = (sink.clone(), bell.clone());
                tokio::spawn(async move {
                    let _ = serve_messages(s, sink, bell).await;
                });
            }
        });
        Ok(SmsReceiver { url, got, arrived })
    }

    pub fn messages(&self) -> Vec<serde_json::Value> {
        self.got.lock().unwrap().clone()
    }

    /// The first answer `f` finds in the messages (newest first), waiting
    /// for new ones as they arrive; `None` after `limit`.
    pub async fn wait_for<T>(
        &self,
        limit: std::time::Duration,
        f: impl Fn(&serde_json::Value) -> Option<T>,
    ) -> Option<T> {
        let until = tokio::time::Instant::now() + limit;
        loop {
            // Armed before looking, so a message that lands in between wakes it.
            let next = self.arrived.notified();
            if let Some(t) = self.messages().iter().rev().find_map(&f) {
                return Some(t);
            }
            tokio::time::timeout_at(until, next).await.ok()?;
        }
    }
}

async fn serve_messages(
    s: tokio::net::TcpStream,
    sink: Arc<Mutex<Vec<serde_json::Value>>>,
    arrived: Arc<tokio::sync::Notify>,
) -> io::Result<()> {
    use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::io::BufReader::new(s);
    loop {
        let mut len = 0usize;
        let mut line = String::new();
        if s.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        loop {
            line.clear();
            s.read_line(&mut line).await?;
            let l = line.trim_end();
            if l.is_empty() {
                break;
            }
            if let Some((k, v)) = l.split_once(':')
                && k.eq_ignore_ascii_case("content-length")
            {
                len = v.trim().parse().unwrap_or(0);
            }
        }
        let mut body = vec![0; len];
        s.read_exact(&mut body).await?;
        if let Ok(v) = serde_json::from_slice(&body) {
            sink.lock().unwrap().push(v);
            arrived.notify_waiters();
        }
        s.get_mut()
            .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n")
            .await?;
    }
}
