//! `kiosk-server`: the central server (`serve`), its migrations (`migrate`)
//! and the administrator's commands (`admin …`).

use anyhow::Context;
use clap::{Parser, Subcommand};
use server::app::{self, Config};
use server::store::{NewKiosk, Role, Store};
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Parser)]
#[command(name = "kiosk-server", version, about = "e-Mitra kiosk central server")]
struct Cli {
    /// Config file (TOML). Without one and without --database: the embedded
    /// demo (SQLite in .demo/server, demo seed, 127.0.0.1:8080).
    #[arg(long, short, global = true, env = "KIOSK_SERVER_CONFIG")]
    config: Option<PathBuf>,
    /// Overrides the config's database (`postgres://…` or `sqlite:<file>`).
    #[arg(long, global = true, env = "KIOSK_SERVER_DATABASE")]
    database: Option<String>,
    #[command(subcommand)]
    cmd: Option<Cmd>,
}

#[derive(Subcommand)]
enum Cmd {
    /// Serve the HTTP API (the default).
    Serve {
        /// Address to listen on, e.g. 0.0.0.0:8080.
        #[arg(long)]
        listen: Option<String>,
        /// Seed the demo kiosk and its public logins into an empty database
        /// (implied when neither --config nor --database is given).
        #[arg(long)]
        demo: bool,
    },
    /// Apply database migrations and exit.
    Migrate,
    /// Administration.
    #[command(subcommand)]
    Admin(Admin),
}

#[derive(Subcommand)]
enum Admin {
    /// Create a kiosk.
    CreateKiosk {
        #[arg(long)]
        code: String,
        #[arg(long)]
        district: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        cheque: bool,
    },
    /// Create a user; prints the first password (to be changed at first login).
    CreateUser {
        #[arg(long)]
        kiosk: String,
        #[arg(long)]
        login: String,
        #[arg(long)]
        name: String,
        /// holder or operator
        #[arg(long, default_value = "operator")]
        role: String,
        /// The user's registered mobile: the first password and any
        /// forgotten-password code go there by SMS.
        #[arg(long)]
        mobile: String,
    },
    /// Create a console admin (role state, district or auditor); the
    /// password comes on standard input (`--password-stdin`) or is made
    /// here and printed once.
    #[command(name = "create-admin")]
    CreateStaff {
        #[arg(long)]
        login: String,
        #[arg(long)]
        name: String,
        /// state (every district), district (its own) or auditor (reads only)
        #[arg(long)]
        role: String,
        /// The district a district admin (or a scoped auditor) sees.
        #[arg(long)]
        district: Option<String>,
        #[arg(long)]
        password_stdin: bool,
    },
    /// Deactivate a console admin: its sessions end at once.
    #[command(name = "deactivate-admin")]
    DeactivateStaff { login: String },
    /// Credit a kiosk's wallet (amount in rupees, e.g. 5000 or 1,234.50),
    /// or credit a kiosk's pending refill request (`--request`): its amount,
    /// the ledger line naming the request.
    Refill {
        #[arg(long, required_unless_present = "request", conflicts_with = "request")]
        kiosk: Option<String>,
        #[arg(long, required_unless_present = "request", conflicts_with = "request")]
        amount: Option<String>,
        #[arg(long, default_value = "refill", conflicts_with = "request")]
        memo: String,
        /// A refill request's id (see `refill-requests`).
        #[arg(long)]
        request: Option<uuid::Uuid>,
    },
    /// Reject a pending refill request; the kiosk shows the reason.
    RejectRefill {
        #[arg(long)]
        request: uuid::Uuid,
        #[arg(long)]
        reason: String,
    },
    /// List refill requests (of one kiosk, or all), newest first.
    RefillRequests {
        #[arg(long)]
        kiosk: Option<String>,
    },
    /// Set a kiosk's security-deposit limit (rupees; 0 withdraws it):
    /// payments may take its wallet this far below zero, as dues.
    SetDeposit {
        #[arg(long)]
        kiosk: String,
        #[arg(long)]
        amount: String,
    },
    /// A kiosk's deposit limit, its dues now (due date, interest so far)
    /// and its past stretches below zero.
    Dues {
        #[arg(long)]
        kiosk: String,
    },
    /// Load a catalogue file (its version must be newer than the loaded one).
    LoadCatalogue { file: PathBuf },
    /// List devices (of one kiosk, or all).
    Devices {
        #[arg(long)]
        kiosk: Option<String>,
    },
    /// Deactivate a user: no login, sessions end; their device may only push entries it made.
    DeactivateUser {
        #[arg(long)]
        login: String,
    },
    /// Activate a deactivated user again.
    ActivateUser {
        #[arg(long)]
        login: String,
    },
    /// Delete a user who never registered a device (otherwise: deactivate).
    DeleteUser {
        #[arg(long)]
        login: String,
    },
    /// Deactivate a kiosk: no user or device of it is served.
    DeactivateKiosk {
        #[arg(long)]
        kiosk: String,
    },
    /// Activate a deactivated kiosk again.
    ActivateKiosk {
        #[arg(long)]
        kiosk: String,
    },
    /// Delete a kiosk that never had a device or a payment, with its users.
    DeleteKiosk {
        #[arg(long)]
        kiosk: String,
        /// Also remove the refills credited to it (e.g. the demo's opening balance).
        #[arg(long)]
        discard_refills: bool,
    },
    /// De-register a device so its SSO ID can be bound elsewhere.
    DeregisterDevice { id: uuid::Uuid },
    /// Admit again a device this centre lost (restored from a backup older
    /// than its registration), from the kiosk's signed re-admission request
    /// (the line its app or `kioskctl sync readmit-request` shows). The
    /// kiosk then sends all its entries again.
    ReadmitDevice {
        /// A file holding the request, or - for standard input.
        request: std::path::PathBuf,
    },
    /// Show a kiosk's ledger and balances.
    Ledger {
        #[arg(long)]
        kiosk: String,
    },
    /// Check the ledger invariants (exit status 1 when broken).
    CheckLedger,
    /// Set a kiosk's offline exposure.
    SetExposure {
        #[arg(long)]
        kiosk: String,
        /// Rupees.
        #[arg(long)]
        amount: String,
        #[arg(long)]
        count: u32,
        #[arg(long)]
        hours: u32,
    },
    /// Post a notice to one kiosk or all.
    Notice {
        #[arg(long)]
        kiosk: Option<String>,
        #[arg(long)]
        en: String,
        #[arg(long)]
        hi: String,
    },
    /// List tickets; show one (with its support bundle and replies); or
    /// answer one: a new status, a reply, or both (the kiosk hears it on
    /// its next pull).
    Tickets {
        #[arg(long)]
        set: Option<uuid::Uuid>,
        #[arg(long)]
        status: Option<String>,
        /// The helpdesk's reply to the kiosk (with --set).
        #[arg(long)]
        reply: Option<String>,
        #[arg(long, conflicts_with = "set")]
        show: Option<uuid::Uuid>,
    },
    /// Tamper alerts raised by hash-chain mismatches.
    Alerts,
    /// The department's answer on a held (pending) payment.
    Settle {
        #[arg(long)]
        txn: i64,
        /// Confirm it (final receipt); without this flag it is refused and reversed.
        #[arg(long)]
        confirm: bool,
        #[arg(long, default_value = "")]
        reason: String,
    },
}

/// Errors end as one line, `error CODE: message` (no backtrace, whatever
/// `RUST_BACKTRACE` says), and exit status 1.
fn main() -> std::process::ExitCode {
    match run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            let code = error_code(&e);
            eprintln!("error {code}: {}", format!("{e:#}").replace('\n', " "));
            std::process::ExitCode::FAILURE
        }
    }
}

/// The stable code of a command's error, where it has one.
fn error_code(e: &anyhow::Error) -> &str {
    use domain::ErrorCode;
    if let Some(d) = e.downcast_ref::<domain::DomainError>() {
        return d.code();
    }
    if let Some(s) = e.downcast_ref::<server::store::StoreError>() {
        return s.code();
    }
    if e.downcast_ref::<std::io::Error>().is_some() {
        return "io.error";
    }
    "internal"
}

#[tokio::main]
async fn run() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    // Nothing named at all: the embedded demo. A named config or database
    // gets demo data only when asked (`demo_seed = true` or `--demo`).
    let embedded_demo = cli.config.is_none() && cli.database.is_none();
    let mut cfg = Config::load(cli.config.as_deref())?;
    if let Some(db) = cli.database {
        cfg.database = Some(db);
    }
    // A command whose output goes into a pipe that closed (`| head -1`)
    // ends quietly, as Unix tools do; the server itself keeps SIGPIPE
    // ignored (a client hanging up must not kill it).
    #[cfg(unix)]
    if !matches!(cli.cmd, None | Some(Cmd::Serve { .. })) {
        // SAFETY: restoring the default disposition of one signal at start,
        // before any other thread runs code of ours.
        unsafe {
            libc::signal(libc::SIGPIPE, libc::SIG_DFL);
        }
    }
    match cli.cmd.unwrap_or(Cmd::Serve {
        listen: None,
        demo: false,
    }) {
        Cmd::Serve { listen, demo } => {
            if let Some(l) = listen {
                cfg.listen = l;
            }
            cfg.demo_seed |= demo || embedded_demo;
            app::serve(cfg).await
        }
        Cmd::Migrate => {
            app::open_db(&cfg.database_url(), 2).await?;
            println!("migrated {}", app::redact(&cfg.database_url()));
            Ok(())
        }
        Cmd::Admin(a) => {
            let db = app::open_db(&cfg.database_url(), 2).await?;
            let store = Store::new(db, Arc::new(domain::SystemClock));
            admin(&store, a).await
        }
    }
}

async fn kiosk(store: &Store, code: &str) -> anyhow::Result<server::store::Kiosk> {
    store
        .kiosk_by_code(code)
        .await?
        .with_context(|| format!("no kiosk {code}"))
}

async fn user(store: &Store, login: &str) -> anyhow::Result<server::store::User> {
    store
        .user_by_login(login.trim())
        .await?
        .with_context(|| format!("no user {login}"))
}

async fn admin(store: &Store, a: Admin) -> anyhow::Result<()> {
    match a {
        Admin::CreateKiosk {
            code,
            district,
            name,
            cheque,
        } => {
            let k = store
                .create_kiosk(NewKiosk {
                    code,
                    district,
                    name,
                    cheque_enabled: cheque,
                    exposure: server::store::DEFAULT_EXPOSURE,
                })
                .await?;
            println!("kiosk {} created ({})", k.code, k.id);
        }
        Admin::CreateUser {
            kiosk: code,
            login,
            name,
            role,
            mobile,
        } => {
            anyhow::ensure!(
                !mobile.trim().is_empty(),
                "--mobile is required (the first password and reset codes go there)"
            );
            let k = kiosk(store, &code).await?;
            let role = Role::parse(&role).context("role must be holder or operator")?;
            let (u, pw) = store
                .add_user(k.id, &login, &name, role, Some(&mobile))
                .await?;
            println!(
                "user {} ({}) at {}: first password {pw} (must be changed at first login)",
                u.login,
                role.as_str(),
                k.code
            );
        }
        Admin::Refill {
            kiosk: code,
            amount,
            memo,
            request,
        } => {
            let (txn, amt, kiosk_id) = match (request, code, amount) {
                (Some(id), _, _) => {
                    let r = store
                        .refill_request(id)
                        .await?
                        .with_context(|| format!("no refill request {id}"))?;
                    (store.credit_refill(id).await?, r.amount, r.kiosk_id)
                }
                (None, Some(code), Some(amount)) => {
                    let k = kiosk(store, &code).await?;
                    let amt = domain::Paise::parse(&amount).map_err(|e| anyhow::anyhow!("{e}"))?;
                    (store.refill(k.id, amt, &memo).await?, amt, k.id)
                }
                _ => anyhow::bail!("--kiosk and --amount, or --request"),
            };
            let k = store.kiosk(kiosk_id).await?.context("no kiosk")?;
            println!(
                "refill txn {txn}: {amt} credited to {}; wallet {}",
                k.code, k.wallet_balance
            );
        }
        Admin::RejectRefill { request, reason } => {
            store.reject_refill(request, &reason).await?;
            println!("refill request {request} rejected; the kiosk hears it on its next pull");
        }
        Admin::RefillRequests { kiosk: code } => {
            let k = match code {
                Some(c) => Some(kiosk(store, &c).await?.id),
                None => None,
            };
            for r in store.refill_requests(k).await? {
                println!(
                    "{}  {}  {:<8}  {:>14}  {:<15}  {:<22}  {}{}",
                    r.id,
                    r.kiosk_code,
                    r.status,
                    r.amount.to_string(),
                    r.mode,
                    r.reference.as_deref().unwrap_or("-"),
                    r.requested_by,
                    match (&r.txn_id, &r.reason) {
                        (Some(t), _) => format!("  txn {t}"),
                        (None, Some(why)) => format!("  ({why})"),
                        _ => String::new(),
                    }
                );
            }
        }
        Admin::SetDeposit {
            kiosk: code,
            amount,
        } => {
            let k = kiosk(store, &code).await?;
            let amt = domain::Paise::parse(&amount).map_err(|e| anyhow::anyhow!("{e}"))?;
            store.set_deposit_limit(k.id, amt).await?;
            println!("deposit limit of {} set to {amt}", k.code);
        }
        Admin::Dues { kiosk: code } => {
            let k = kiosk(store, &code).await?;
            let t = store.wallet_terms(k.id).await?;
            println!(
                "{} wallet {}  deposit limit {}  dues {}  due {}  interest so far {}",
                k.code,
                k.wallet_balance,
                t.deposit_limit,
                t.dues,
                t.due_date.as_deref().unwrap_or("-"),
                t.interest
            );
            for e in store.dues_episodes(k.id).await? {
                println!(
                    "below zero from {}  due {}  {}",
                    chrono::DateTime::from_timestamp_millis(e.since_ms).unwrap_or_default(),
                    e.due_date,
                    match (e.closed_ms, e.interest) {
                        (Some(c), Some(i)) => format!(
                            "paid {}  interest {i}",
                            chrono::DateTime::from_timestamp_millis(c).unwrap_or_default()
                        ),
                        _ => "open".into(),
                    }
                );
            }
        }
        Admin::LoadCatalogue { file } => {
            let text = std::fs::read_to_string(&file)
                .map_err(|e| anyhow::Error::new(e).context(format!("{}", file.display())))?;
            let c = domain::Catalogue::from_toml(&text)?;
            store.save_catalogue(&c).await?;
            println!(
                "catalogue version {} loaded ({} services)",
                c.version,
                c.services.len()
            );
        }
        Admin::Devices { kiosk: code } => {
            let k = match code {
                Some(c) => Some(kiosk(store, &c).await?.id),
                None => None,
            };
            for d in store.list_devices(k).await? {
                println!(
                    "{}  kiosk {}  no {:03}  {}  high-water {}  {}",
                    d.id,
                    d.kiosk_id,
                    d.device_no,
                    d.label,
                    d.high_water,
                    if d.deregistered_ms.is_some() {
                        "DE-REGISTERED"
                    } else {
                        "active"
                    }
                );
            }
        }
        Admin::DeactivateUser { login } => {
            let u = user(store, &login).await?;
            store.set_user_active(u.id, false).await?;
            println!("user {} deactivated", u.login);
        }
        Admin::ActivateUser { login } => {
            let u = user(store, &login).await?;
            store.set_user_active(u.id, true).await?;
            println!("user {} activated", u.login);
        }
        Admin::DeleteUser { login } => {
            let u = user(store, &login).await?;
            store.delete_user(u.id).await?;
            println!("user {} deleted", u.login);
        }
        Admin::DeactivateKiosk { kiosk: code } => {
            let k = kiosk(store, &code).await?;
            store.set_kiosk_flags(k.id, false, k.cheque_enabled).await?;
            println!("kiosk {} deactivated", k.code);
        }
        Admin::ActivateKiosk { kiosk: code } => {
            let k = kiosk(store, &code).await?;
            store.set_kiosk_flags(k.id, true, k.cheque_enabled).await?;
            println!("kiosk {} activated", k.code);
        }
        Admin::DeleteKiosk {
            kiosk: code,
            discard_refills,
        } => {
            let k = kiosk(store, &code).await?;
            match store.delete_kiosk(k.id, discard_refills).await {
                Ok(discarded) => {
                    println!("kiosk {} deleted (refills discarded: {discarded})", k.code)
                }
                Err(e @ server::store::StoreError::HasRefills(_)) => {
                    anyhow::bail!("{e}; pass --discard-refills to remove them with the kiosk")
                }
                Err(e) => return Err(e.into()),
            }
        }
        Admin::CreateStaff {
            login,
            name,
            role,
            district,
            password_stdin,
        } => {
            let role = server::store::console::AdminRole::parse(&role)
                .context("role must be state, district or auditor")?;
            let (pw, made) = if password_stdin {
                let mut line = String::new();
                std::io::stdin().read_line(&mut line)?;
                (line.trim_end_matches(['\r', '\n']).to_string(), false)
            } else {
                (server::auth::initial_password(), true)
            };
            domain::rules::check_password(&pw)?;
            let a = store
                .create_admin(
                    &login,
                    &name,
                    role,
                    district.as_deref(),
                    &server::auth::hash_password(&pw),
                )
                .await?;
            let scope = a.district.as_deref().unwrap_or("every district");
            if made {
                println!(
                    "admin {} ({}, {scope}): password {pw}",
                    a.login,
                    role.as_str()
                );
            } else {
                println!("admin {} ({}, {scope}) created", a.login, role.as_str());
            }
        }
        Admin::DeactivateStaff { login } => {
            store.set_admin_active(&login, false).await?;
            println!("admin {login} deactivated; its sessions ended");
        }
        Admin::DeregisterDevice { id } => {
            if store.deregister_device(id).await? {
                println!("device {id} de-registered");
            } else {
                anyhow::bail!("device {id} not found or already de-registered");
            }
        }
        Admin::ReadmitDevice { request } => {
            let text = if request.as_os_str() == "-" {
                std::io::read_to_string(std::io::stdin())?
            } else {
                std::fs::read_to_string(&request)
                    .map_err(|e| anyhow::anyhow!("{}: {e}", request.display()))?
            };
            let req = protocol::ReadmitRequest::from_text(&text).ok_or_else(|| {
                server::store::StoreError::ReadmitInvalid(
                    "not a re-admission request (a line starting EMITRA-READMIT-1:)".into(),
                )
            })?;
            let d = store.readmit_device(&req).await?;
            println!(
                "device {} re-admitted to kiosk {} as device {}; it will send its {} entries again",
                d.id, req.kiosk_code, d.device_no, req.last_seq
            );
        }
        Admin::Ledger { kiosk: code } => {
            let k = kiosk(store, &code).await?;
            println!(
                "{} wallet {}  commission {}",
                k.code, k.wallet_balance, k.commission_balance
            );
            let mut after = 0;
            loop {
                let lines = store.ledger_lines(k.id, after, 500).await?;
                if lines.is_empty() {
                    break;
                }
                for l in &lines {
                    println!(
                        "{:>8} txn {:>8} {:<11} {:<13} {:>14} {}",
                        l.id,
                        l.txn_id,
                        l.account,
                        l.kind,
                        l.amount.to_string(),
                        l.memo
                    );
                }
                after = lines.last().map(|l| l.id).unwrap_or(after);
            }
        }
        Admin::CheckLedger => {
            let c = store.ledger_check().await?;
            println!("{c:?}");
            if !c.is_ok() {
                std::process::exit(1);
            }
        }
        Admin::SetExposure {
            kiosk: code,
            amount,
            count,
            hours,
        } => {
            let k = kiosk(store, &code).await?;
            let amt = domain::Paise::parse(&amount).map_err(|e| anyhow::anyhow!("{e}"))?;
            store
                .set_exposure(
                    k.id,
                    protocol::Exposure {
                        max_pending_amount: amt,
                        max_pending_count: count,
                        max_age_secs: hours * 3600,
                    },
                )
                .await?;
            println!("exposure of {} set", k.code);
        }
        Admin::Notice {
            kiosk: code,
            en,
            hi,
        } => {
            let k = match code {
                Some(c) => Some(kiosk(store, &c).await?.id),
                None => None,
            };
            store.add_notice(k, &en, &hi).await?;
            println!("notice posted");
        }
        Admin::Tickets {
            set,
            status,
            reply,
            show,
        } => {
            if let Some(id) = set {
                if status.is_none() && reply.is_none() {
                    anyhow::bail!("--set needs --status, --reply or both");
                }
                let n = store
                    .reply_ticket(id, status.as_deref(), reply.as_deref().unwrap_or(""))
                    .await?;
                let t = store.ticket(id).await?.map(|(_, t)| t.status);
                println!(
                    "ticket {id} is {}; reply {n} goes to the kiosk on its next pull",
                    t.unwrap_or_default()
                );
            } else if let Some(id) = show {
                let Some((t, attachment, replies)) = store.ticket_detail(id).await? else {
                    anyhow::bail!("no ticket {id}");
                };
                println!("ticket    {}", t.id);
                println!("kiosk     {}", t.kiosk_code);
                println!("raised by {}", t.raised_by);
                println!("category  {}", t.category);
                println!("receipt   {}", t.receipt_no.as_deref().unwrap_or("-"));
                println!("status    {}", t.status);
                println!("subject   {}", t.subject);
                println!("\n{}\n", t.body);
                for r in &replies {
                    println!("reply {} [{}] {}", r.id, r.status, r.text);
                }
                match attachment {
                    Some(a) => println!("\nsupport bundle:\n{a}"),
                    None => println!("\nno support bundle"),
                }
            } else {
                for t in store.tickets(None).await? {
                    println!(
                        "{}  {}  {:<11}  {:<8}  {}  {}{}",
                        t.id,
                        t.kiosk_code,
                        t.status,
                        t.category,
                        t.raised_by,
                        t.subject,
                        if t.has_attachment { "  [bundle]" } else { "" }
                    );
                }
            }
        }
        Admin::Settle {
            txn,
            confirm,
            reason,
        } => {
            let o = store.settle(txn, confirm, &reason).await?;
            println!("txn {txn}: {o:?}");
        }
        Admin::Alerts => {
            for (dev, seq, detail, at) in store.tamper_alerts().await? {
                println!("{at}  device {dev}  expected seq {seq}  {detail}");
            }
        }
    }
    Ok(())
}
