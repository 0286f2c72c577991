//! `sync now`, `sync status`, `sync watch`, `sync register`: a clap subcommand
//! the kiosk CLI mounts, and [`run`].

use domain::ErrorCode as _;
use std::path::Path;
use std::sync::Arc;

use domain::SystemClock;
use kiosk_core::Kiosk;
use kiosk_store::{get_setting, set_setting};

use crate::crash::CrashPlan;
use crate::engine::Engine;
use crate::error::{Result, SyncError};
use crate::keys::Keyring;
use crate::lock::SyncLock;
use crate::status::SyncStatus;
use crate::transport::HttpTransport;

/// Where the centre is: a setting, not a secret.
pub const SERVER_URL_KEY: &str = "sync.server_url";

#[derive(Debug, clap::Subcommand)]
pub enum SyncCommand {
    /// Push every queued entry and pull the centre's news, once.
    Now {
        /// The centre's address, e.g. https://centre.example:8443 (remembered).
        #[arg(long)]
        server: Option<String>,
    },
    /// Link state, queue length, oldest pending entry, last error, bytes.
    Status,
    /// Keep syncing until interrupted, printing each status change.
    Watch {
        #[arg(long)]
        server: Option<String>,
    },
    /// The operator has seen an alert (`sync status` lists them) and acted
    /// on it: `sync.outcome_changed` marks every changed receipt seen;
    /// `outbox.chain_broken` cannot be acknowledged (see docs/sync.md).
    Ack {
        /// The alert's code, e.g. sync.centre_restored.
        code: String,
    },
    /// The centre does not know this device any more (`sync.device_unknown`):
    /// print the re-admission request, signed by the device key, that the
    /// centre's administrator passes to `kiosk-server admin readmit-device`.
    ReadmitRequest {
        /// Also write it to this file.
        #[arg(long)]
        out: Option<std::path::PathBuf>,
    },
    /// Register this kiosk as a device with the centre (online, once): the
    /// holder's login, a new device key kept in the OS keyring.
    Register {
        #[arg(long)]
        server: String,
        /// The kiosk holder's login.
        #[arg(long)]
        login: String,
        /// Read from this environment variable, never from the command line.
        #[arg(long, default_value = "KIOSK_PASSWORD")]
        password_env: String,
        #[arg(long, default_value = "counter 1")]
        label: String,
        /// Allow plain http:// to a host other than this machine: the
        /// password crosses the network in clear (a test centre on a
        /// closed network only). Without it, refused (sync.insecure_url).
        #[arg(long)]
        allow_insecure_http: bool,
        /// An HTTP proxy for this kiosk's link to the centre, e.g.
        /// http://10.0.0.1:3128 (remembered for sync; without it the
        /// centre is reached directly: proxy variables in the environment
        /// are never used).
        #[arg(long, value_name = "URL")]
        proxy: Option<String>,
    },
}

/// Runs one sync command against the kiosk database at `db`; `json`
/// prints machine-readable status.
pub fn run(cmd: SyncCommand, db: &Path, json: bool) -> Result<()> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(run_async(cmd, db, json))
}

fn open(db: &Path) -> Result<Kiosk> {
    Ok(Kiosk::open(db, Arc::new(SystemClock))?)
}

fn server_url(kiosk: &mut Kiosk, given: Option<String>) -> Result<String> {
    if let Some(url) = given {
        kiosk
            .store_mut()
            .write(|tx| set_setting(tx, SERVER_URL_KEY, &url))?;
        return Ok(url);
    }
    get_setting(kiosk.store().conn(), SERVER_URL_KEY)?
        .ok_or_else(|| SyncError::Config("no server address: pass --server URL once".into()))
}

fn engine(db: &Path, server: Option<String>) -> Result<Engine<HttpTransport>> {
    let mut kiosk = open(db)?;
    let url = server_url(&mut kiosk, server)?;
    let ring = Keyring::for_device(kiosk.identity().device_id)?;
    for w in ring.store().warnings() {
        eprintln!("warning {}: {}", w.code, w.message);
    }
    let key = ring.require()?;
    let proxy = get_setting(kiosk.store().conn(), crate::transport::PROXY_URL_KEY)?;
    let transport = HttpTransport::with_proxy(&url, key, proxy.as_deref())?;
    let e =
        Engine::new(kiosk, transport, Arc::new(SystemClock)).with_crash_plan(CrashPlan::from_env());
    #[cfg(feature = "test-knobs")]
    let e = test_knobs(e);
    Ok(e)
}

/// Test knob (tests' builds only): small batches so one run crosses many
/// batch boundaries.
#[cfg(feature = "test-knobs")]
fn test_knobs(e: Engine<HttpTransport>) -> Engine<HttpTransport> {
    use crate::backoff::BatchSizer;
    match std::env::var("KIOSK_SYNC_MAX_BATCH")
        .ok()
        .and_then(|s| s.parse::<usize>().ok())
    {
        Some(max) => e.with_sizer(BatchSizer::new(
            std::time::Duration::from_secs(6),
            1.min(max),
            max,
        )),
        None => e,
    }
}

async fn run_async(cmd: SyncCommand, db: &Path, json: bool) -> Result<()> {
    match cmd {
        SyncCommand::Now { server } => {
            let _lock = SyncLock::try_acquire(db)?;
            let mut e = engine(db, server)?;
            let r = e.sync_once().await;
            let status = e.status().borrow().clone();
            match r {
                Ok(rep) => {
                    if json {
                        println!("{}", serde_json::to_string_pretty(&status).expect("json"));
                    } else {
                        println!(
                            "pushed {} batches: {} accepted, {} rejected, {} pending; pulled {} outcomes, {} notices, {} ledger lines; queue {}",
                            rep.push.batches,
                            rep.push.accepted,
                            rep.push.rejected,
                            rep.push.pending,
                            rep.pull.outcomes,
                            rep.pull.notices,
                            rep.pull.ledger_lines,
                            status.queue_len
                        );
                        if let Some(v) = rep.pull.catalogue_version {
                            println!("catalogue version {v} installed");
                        }
                        if let Some(b) = rep.pull.wallet_balance {
                            println!("wallet balance at the centre: {b}");
                        }
                    }
                    Ok(())
                }
                Err(err) => {
                    // Say how far it got. A queue that drained is success,
                    // even if a later request (the pull) failed.
                    let p = e.last_push();
                    let q = e.kiosk().queue_stats()?;
                    let progress = format!(
                        "pushed {} batches: {} accepted, {} rejected, {} pending; left {}",
                        p.batches, p.accepted, p.rejected, p.pending, q.unsent
                    );
                    if q.unsent == 0 {
                        if json {
                            println!("{}", serde_json::to_string_pretty(&status).expect("json"));
                        } else {
                            println!("{progress}; queue 0");
                        }
                        eprintln!(
                            "warning {}: the queue drained, but a later request failed: {err}",
                            err.code()
                        );
                        Ok(())
                    } else {
                        eprintln!("{progress}");
                        Err(err)
                    }
                }
            }
        }
        SyncCommand::Status => {
            let kiosk = open(db)?;
            let q = kiosk.queue_stats()?;
            let mut s = SyncStatus::load(db).unwrap_or_default();
            // The queue figures are always fresh from the database.
            s.queue_len = q.unsent;
            s.pending = q.pending;
            s.oldest_pending_age_secs = q.oldest_unsent_age_secs;
            s.alerts = crate::alerts::load(&kiosk);
            s.outcome_changes = kiosk.outcome_changes(true)?.len() as i64;
            let refused = s.state == protocol::codes::STATE_REFUSED;
            let stopped = kiosk.entries_stopped_at()?.is_some();
            s.derive_state(stopped, refused);
            // Where the key is kept is decided by this machine now, not by
            // whichever process last wrote the status file.
            s.warnings = crate::keys::key_store().warnings();
            if json {
                println!("{}", serde_json::to_string_pretty(&s).expect("json"));
            } else {
                print_status(&s);
            }
            Ok(())
        }
        SyncCommand::Watch { server } => {
            let _lock = SyncLock::try_acquire(db)?;
            let mut e = engine(db, server)?;
            let mut rx = e.status();
            let handle = e.handle();
            let printer = tokio::spawn(async move {
                while rx.changed().await.is_ok() {
                    let s = rx.borrow_and_update().clone();
                    print_status(&s);
                }
            });
            tokio::select! {
                _ = e.run() => {}
                _ = tokio::signal::ctrl_c() => handle.stop(),
            }
            printer.abort();
            Ok(())
        }
        SyncCommand::Ack { code } => {
            let mut kiosk = open(db)?;
            if code == "outbox.chain_broken" {
                return Err(SyncError::Config(
                    "a broken local chain is not acknowledged: recover the kiosk with the centre (docs/sync.md)".into(),
                ));
            }
            if code == protocol::codes::OUTCOME_CHANGED {
                let n = kiosk.acknowledge_outcome_changes(i64::MAX)?;
                println!("{n} changed receipts marked seen");
            }
            if crate::alerts::clear(&mut kiosk, &code)? {
                println!("alert {code} acknowledged");
                Ok(())
            } else {
                Err(SyncError::Config(format!("no alert {code} is raised")))
            }
        }
        SyncCommand::ReadmitRequest { out } => {
            let kiosk = open(db)?;
            let key = Keyring::for_device(kiosk.identity().device_id)?.require()?;
            let text =
                crate::readmit::request(&kiosk, &key, domain::Clock::now(&SystemClock))?.to_text();
            if let Some(path) = out {
                std::fs::write(&path, format!("{text}\n"))?;
            }
            println!("{text}");
            Ok(())
        }
        SyncCommand::Register {
            server,
            login,
            password_env,
            label,
            allow_insecure_http,
            proxy,
        } => {
            let password = std::env::var(&password_env).map_err(|_| {
                SyncError::Config(format!("set the holder's password in ${password_env}"))
            })?;
            let opts = crate::register::RegisterOptions {
                allow_insecure_http,
                proxy,
            };
            let r = crate::register::register_with(db, &server, &login, &password, &label, &opts)
                .await?;
            println!(
                "registered device {} (no. {}), public key {}",
                r.device_id, r.device_no, r.public_key_hex
            );
            for w in &r.warnings {
                println!("warning {}: {}", w.code, w.message);
            }
            Ok(())
        }
    }
}

fn print_status(s: &SyncStatus) {
    let err = s
        .last_error
        .as_ref()
        .map(|e| format!(" last error {} ({})", e.code, e.at.format("%H:%M:%S")))
        .unwrap_or_default();
    println!(
        "{} ({}): queue {} pending {} rejected {} oldest {} sent {} B received {} B{}",
        s.state_words(),
        s.state,
        s.queue_len,
        s.pending,
        s.rejected,
        s.oldest_pending_age_secs
            .map(|a| format!("{a}s"))
            .unwrap_or_else(|| "-".into()),
        s.bytes_sent,
        s.bytes_received,
        err
    );
    for w in &s.warnings {
        println!("warning {}: {}", w.code, w.message);
    }
    for a in &s.alerts {
        println!("alert {}: {}", a.code, a.message);
    }
}
