//! The sync benchmarks (`scripts/bench drain | wire | heal`) and what they
//! share, kept out of the kiosk's libraries so nothing of them ships: the real
//! centre as a separate `kiosk-server` process on a temporary SQLite
//! database with the demo kiosk, a kiosk database registered with it over
//! HTTP, counter payments, and the JSON figures (`BENCH_OUT`).

pub mod cluster;

use std::io::{self, BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;

use domain::{Paise, SystemClock};
use kiosk_core::{BillInput, InitParams, Kiosk};

use kiosk_sync::keys::Keyring;
use kiosk_sync::transport::HttpTransport;
use kiosk_sync::{Engine, SyncConfig};

/// The demo kiosk the centre seeds, and its holder's login.
pub const DEMO_KIOSK: &str = "K1001";
pub const DEMO_HOLDER: (&str, &str) = ("holder1", "Holder@2026");
/// The demo holder's registered mobile, as the centre's demo seeds it (a
/// forgotten password's code goes there).
pub const DEMO_HOLDER_MOBILE: &str = "9414000001";
/// The demo kiosk's opening balance, paise.
pub const DEMO_OPENING: i64 = 50_000_00;

fn other(msg: impl Into<String>) -> io::Error {
    io::Error::other(msg.into())
}

/// The `kiosk-server` binary beside this program, built if missing.
pub fn kiosk_server_exe() -> io::Result<PathBuf> {
    workspace_exe("server", "kiosk-server")
}

/// The `kiosk-sync` binary beside this program, built if missing.
pub fn kiosk_sync_exe() -> io::Result<PathBuf> {
    workspace_exe("kiosk-sync", "kiosk-sync")
}

/// A binary of this workspace beside this program (same profile), built if missing.
pub fn workspace_exe(package: &str, bin: &str) -> io::Result<PathBuf> {
    let here = std::env::current_exe()?;
    let mut dir = here.parent().ok_or_else(|| other("no exe dir"))?;
    // Test programs live in `deps/`, the binaries one level up.
    if dir.file_name().is_some_and(|n| n == "deps") {
        dir = dir.parent().ok_or_else(|| other("no target dir"))?;
    }
    let exe = dir.join(bin);
    if exe.exists() {
        return Ok(exe);
    }
    let release = dir.file_name().is_some_and(|n| n == "release");
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut c = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    c.current_dir(root)
        .args(["build", "-q", "-p", package, "--bin", bin]);
    if release {
        c.arg("--release");
    }
    if !c.status()?.success() {
        return Err(other(format!("building {bin} failed")));
    }
    Ok(exe)
}

/// A `kiosk-server` process on its own SQLite database (demo seed).
pub struct CentreProcess {
    child: Child,
    pub addr: SocketAddr,
    config: PathBuf,
    exe: PathBuf,
}

impl CentreProcess {
    pub fn start(dir: &Path) -> io::Result<CentreProcess> {
        Self::start_at(dir, "127.0.0.1:0")
    }

    /// On a given address, e.g. the one a stopped centre had, so kiosks
    /// find it again.
    pub fn start_at(dir: &Path, listen: &str) -> io::Result<CentreProcess> {
        Self::start_on(dir, listen, None, "")
    }

    /// With more of the configuration file (TOML appended to the demo's,
    /// e.g. an `[sms]` gateway).
    pub fn start_with(dir: &Path, listen: &str, extra: &str) -> io::Result<CentreProcess> {
        Self::start_on(dir, listen, None, extra)
    }

    /// On `database` (`postgres://…` or `sqlite:…`; none: SQLite under
    /// `dir`), e.g. one of several instances over one PostgreSQL. The demo
    /// seed only fills an empty database, so a second instance adds nothing.
    /// `extra`: more lines of the config file (TOML).
    pub fn start_on(
        dir: &Path,
        listen: &str,
        database: Option<&str>,
        extra: &str,
    ) -> io::Result<CentreProcess> {
        let exe = kiosk_server_exe()?;
        let config = dir.join("kiosk-server.toml");
        let database = database
            .map(|d| format!("database = {d:?}\n"))
            .unwrap_or_default();
        std::fs::write(
            &config,
            format!(
                "listen = {listen:?}\n{database}data_dir = {:?}\ndemo_seed = true\n{extra}\n",
                dir.join("centre").display().to_string()
            ),
        )?;
        let mut child = Command::new(&exe)
            .arg("--config")
            .arg(&config)
            .arg("serve")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()?;
        // The server prints its address once it listens.
        let out = child.stdout.take().ok_or_else(|| other("no stdout"))?;
        let mut lines = BufReader::new(out).lines();
        let addr = loop {
            let line = lines
                .next()
                .ok_or_else(|| other("kiosk-server exited before listening"))??;
            if let Some(rest) = line.split("http://").nth(1) {
                let a = rest.split_whitespace().next().unwrap_or_default();
                break a
                    .parse()
                    .map_err(|_| other(format!("bad address in {line:?}")))?;
            }
        };
        // Keep draining stdout so the server never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        Ok(CentreProcess {
            child,
            addr,
            config,
            exe,
        })
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// SIGKILL, as a crash or an OOM kill would: no graceful shutdown.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// `kiosk-server admin …` against the same database.
    pub fn admin(&self, args: &[&str]) -> io::Result<String> {
        let out = Command::new(&self.exe)
            .arg("--config")
            .arg(&self.config)
            .arg("admin")
            .args(args)
            .output()?;
        if !out.status.success() {
            return Err(other(format!(
                "admin {args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            )));
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }
}

impl Drop for CentreProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A new kiosk database for the demo kiosk, registered with the centre.
pub async fn registered_kiosk(dir: &Path, server_url: &str) -> kiosk_sync::Result<PathBuf> {
    kiosk_sync::keys::join_new_session_keyring();
    let db = dir.join("kiosk.db");
    Kiosk::init(
        &db,
        &InitParams {
            kiosk_code: DEMO_KIOSK.into(),
            device_no: 1,
            district: "Jaipur".into(),
            kiosk_name: "Bench kiosk".into(),
            holder_login: DEMO_HOLDER.0.into(),
            holder_name: "Demo Holder".into(),
            cheque_enabled: false,
        },
        Arc::new(SystemClock),
    )?;
    kiosk_sync::register::register(&db, server_url, DEMO_HOLDER.0, DEMO_HOLDER.1, "bench").await?;
    Ok(db)
}

/// An engine on the kiosk database talking to `url`.
pub fn engine(db: &Path, url: &str, cfg: SyncConfig) -> kiosk_sync::Result<Engine<HttpTransport>> {
    let kiosk = Kiosk::open(db, Arc::new(SystemClock))?;
    let key = Keyring::for_device(kiosk.identity().device_id)?.require()?;
    Ok(Engine::new(kiosk, HttpTransport::new(url, key)?, Arc::new(SystemClock)).with_config(cfg))
}

/// `n` counter payments of one small electricity bill each (₹10–₹40, so
/// the demo wallet covers a thousand). Returns their total.
pub fn pay_many(db: &Path, n: u64, start: u64) -> kiosk_sync::Result<Paise> {
    let mut k = Kiosk::open(db, Arc::new(SystemClock))?;
    let mut total = 0i64;
    for i in start..start + n {
        let amount = 1_000 + (i as i64 * 37 % 3_000);
        let mut d = k.start_cart();
        k.add_bill(
            &mut d,
            &BillInput {
                service: "JVVNL-BILL".into(),
                consumer_no: format!("{:012}", 300_000_000_000u64 + i),
                amount: Paise::new(amount),
                consumer_name: None,
                bill_ref: None,
            },
        )?;
        k.set_contact(&mut d, Some("9876543210"), None)?;
        k.choose_wallet(&mut d);
        k.commit_payment(&d, DEMO_HOLDER.0, true)?;
        total += amount;
    }
    Ok(Paise::new(total))
}

/// Writes the figures to `$BENCH_OUT` (and prints them).
pub fn write_results(v: &serde_json::Value) -> io::Result<()> {
    let text = serde_json::to_string_pretty(v).expect("json");
    println!("{text}");
    if let Ok(p) = std::env::var("BENCH_OUT") {
        std::fs::write(p, text + "\n")?;
    }
    Ok(())
}
