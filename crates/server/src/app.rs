//! Configuration, opening the store, the demo seed, and serving.

use crate::api::{AppState, Shared};
use crate::auth::AuthPolicy;
use crate::biller::{Billers, HttpBillerConfig};
use crate::db::{Db, PgDb, SqliteDb};
use crate::notify::{Notifier, SmsConfig, SmtpConfig};
use crate::store::{Bill, DEFAULT_EXPOSURE, NewKiosk, Role, Store, StoreError, User};
use domain::{Catalogue, Clock};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::sync::Arc;

/// `kiosk-server.toml` (an example with every commonly set field:
/// `crates/server/kiosk-server.example.toml`). Every field has a default. The demo data is seeded
/// only when asked for: `demo_seed = true`, `serve --demo`, or
/// `kiosk-server serve` with neither a config nor a database named (the
/// embedded demo on SQLite in `data_dir`). A database or config the
/// operator names is never given the public demo logins.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default = "default_listen")]
    pub listen: String,
    /// `postgres://…` or `sqlite:<file>`; default `sqlite:<data_dir>/server.db`.
    #[serde(default)]
    pub database: Option<String>,
    #[serde(default = "default_data_dir")]
    pub data_dir: PathBuf,
    /// Seed the demo kiosk, users, catalogue and bills into an empty
    /// database. Off unless asked for: its logins are public.
    #[serde(default)]
    pub demo_seed: bool,
    /// Catalogue loaded into an empty database (default: the sample catalogue).
    #[serde(default)]
    pub catalogue: Option<PathBuf>,
    #[serde(default = "default_pool")]
    pub pool_size: usize,
    #[serde(default = "default_ttl")]
    pub token_ttl_secs: i64,
    #[serde(default)]
    pub sms: Option<SmsConfig>,
    #[serde(default)]
    pub smtp: Option<SmtpConfig>,
    #[serde(default, rename = "biller")]
    pub billers: Vec<HttpBillerConfig>,
    #[serde(default = "default_notify_secs")]
    pub notify_every_secs: u64,
    /// HTTPS (rustls): PEM certificate chain and private key. Without it the
    /// server speaks plain HTTP (for a TLS-terminating proxy in front, or the demo).
    #[serde(default)]
    pub tls: Option<TlsConfig>,
    /// Services whose department confirms payments later: their payments are
    /// held (`pending`) until `kiosk-server admin settle`.
    #[serde(default)]
    pub confirm_later: Vec<String>,
    /// Failed password checks one client address may make at once (refilled
    /// over 15 minutes). Behind a proxy that hides client addresses every
    /// caller shares one: raise it there.
    #[serde(default = "default_addr_failures")]
    pub login_failures_per_address: u32,
    /// Password hashes at once (default: half the cores) and how many more
    /// may wait before logins are refused as busy.
    #[serde(default)]
    pub hash_threads: Option<usize>,
    #[serde(default = "default_hash_queue")]
    pub hash_queue: usize,
    /// Timeouts and connection limits (see [`crate::serve`]).
    #[serde(default)]
    pub limits: crate::serve::Limits,
    /// The console lists a kiosk as stuck when its oldest unsent entry is
    /// older than this (as the kiosk reports it); default 4 hours.
    #[serde(default = "default_stuck_secs")]
    pub stuck_after_secs: i64,
}

fn default_stuck_secs() -> i64 {
    crate::store::console::STUCK_AFTER_MS / 1000
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TlsConfig {
    pub cert: PathBuf,
    pub key: PathBuf,
}

fn default_listen() -> String {
    "127.0.0.1:8080".into()
}
fn default_data_dir() -> PathBuf {
    PathBuf::from(".demo/server")
}
fn default_addr_failures() -> u32 {
    10
}
fn default_hash_queue() -> usize {
    64
}
fn default_pool() -> usize {
    16
}
fn default_ttl() -> i64 {
    15 * 60
}
fn default_notify_secs() -> u64 {
    10
}

impl Default for Config {
    fn default() -> Self {
        toml::from_str("").expect("defaults parse")
    }
}

impl Config {
    pub fn load(path: Option<&std::path::Path>) -> anyhow::Result<Config> {
        match path {
            Some(p) => {
                let s = std::fs::read_to_string(p)
                    .map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))?;
                Ok(toml::from_str(&s)?)
            }
            None => Ok(Config::default()),
        }
    }
    pub fn database_url(&self) -> String {
        self.database
            .clone()
            .unwrap_or_else(|| format!("sqlite:{}", self.data_dir.join("server.db").display()))
    }
    pub fn policy(&self) -> AuthPolicy {
        AuthPolicy {
            token_ttl_secs: self.token_ttl_secs,
            ..AuthPolicy::default()
        }
    }
}

/// Opens (and migrates) the database a URL names.
pub async fn open_db(url: &str, pool_size: usize) -> anyhow::Result<Arc<dyn Db>> {
    let db: Arc<dyn Db> = if let Some(path) = url.strip_prefix("sqlite:") {
        let p = PathBuf::from(path);
        if let Some(dir) = p.parent().filter(|d| !d.as_os_str().is_empty()) {
            create_private_dir(dir)?;
        }
        Arc::new(SqliteDb::open(&p)?)
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Arc::new(PgDb::connect(url, None, pool_size).await?)
    } else {
        anyhow::bail!("database must be postgres://… or sqlite:<file>");
    };
    db.migrate().await?;
    Ok(db)
}

/// Directories the server makes for its data are its own: 0700 (the
/// database holds password hashes and citizens' contacts). Directories that
/// already exist are the operator's and left as they are.
pub fn create_private_dir(dir: &std::path::Path) -> std::io::Result<()> {
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut b, 0o700);
    b.create(dir)
}

pub fn sample_catalogue_text() -> &'static str {
    include_str!("../../../data/catalogue.sample.toml")
}

pub const DEMO_KIOSK: &str = "K1001";
pub const DEMO_HOLDER: (&str, &str) = ("holder1", "Holder@2026");
pub const DEMO_OPERATOR: (&str, &str) = ("operator1", "Operator@2026");
/// The demo holder's and operator's registered mobiles (a forgotten
/// password's code is sent there).
pub const DEMO_MOBILES: (&str, &str) = ("9414000001", "9414000002");

/// The demo's console admins: two state admins (one proposes a refill,
/// the other approves it), a Jaipur district admin and an auditor.
pub const DEMO_ADMINS: &[(&str, &str, &str, Option<&str>, &str)] = &[
    ("state1", "State@2026", "state", None, "Demo State Admin"),
    ("state2", "State2@2026", "state", None, "Demo State Checker"),
    (
        "district1",
        "District@2026",
        "district",
        Some("Jaipur"),
        "Demo Jaipur Admin",
    ),
    ("auditor1", "Auditor@2026", "auditor", None, "Demo Auditor"),
];

/// Demo consumer numbers per sample service, with bill amounts in paise.
pub const DEMO_BILLS: &[(&str, &str, &str, i64)] = &[
    ("JVVNL-BILL", "210000000001", "Ram Lal", 1_450_00),
    ("JVVNL-BILL", "210000000002", "Sita Devi", 823_50),
    ("JVVNL-BILL", "210000000003", "Mohan Singh", 2_310_00),
    ("AVVNL-BILL", "310000000001", "Geeta Sharma", 990_00),
    ("JDVVNL-BILL", "410000000001", "Abdul Khan", 1_205_75),
    ("PHED-WATER", "1000001", "Kamla Meena", 340_00),
    ("PHED-WATER", "1000002", "Suresh Jat", 415_00),
    ("BSNL-LANDLINE", "01412345678", "Rekha Gupta", 599_00),
    ("AIRTEL-POSTPAID", "9829000001", "Vikram Rathore", 749_00),
    ("VI-POSTPAID", "9829000002", "Pooja Saini", 399_00),
];

/// Fills an empty database with the demo: catalogue, kiosk K1001 with a
/// holder and an operator, ₹50,000 in the wallet, bills to fetch. Returns
/// false when the database already had kiosks.
pub async fn seed_demo(store: &Store, catalogue: &Catalogue) -> anyhow::Result<bool> {
    if !store.list_kiosks().await?.is_empty() {
        return Ok(false);
    }
    if store.catalogue().await?.is_none() {
        store.save_catalogue(catalogue).await?;
    }
    let k = store
        .create_kiosk(NewKiosk {
            code: DEMO_KIOSK.into(),
            district: "Jaipur".into(),
            name: "Demo e-Mitra, MI Road".into(),
            cheque_enabled: true,
            exposure: DEFAULT_EXPOSURE,
        })
        .await?;
    for ((login, pw), role, name, mobile) in [
        (DEMO_HOLDER, Role::Holder, "Demo Holder", DEMO_MOBILES.0),
        (
            DEMO_OPERATOR,
            Role::Operator,
            "Demo Operator",
            DEMO_MOBILES.1,
        ),
    ] {
        store
            .create_user(&User {
                id: domain::new_id(&**store.clock()),
                kiosk_id: k.id,
                login: login.into(),
                name: name.into(),
                role,
                // Where a forgotten password's code goes.
                mobile: Some(mobile.into()),
                password_hash: crate::auth::hash_password(pw),
                // Demo logins are printed for everyone; real first passwords must be changed.
                must_change: false,
                active: true,
                failed_logins: 0,
                locked_until_ms: None,
            })
            .await?;
    }
    store
        .refill(k.id, domain::Paise::new(50_000_00), "demo opening balance")
        .await?;
    for (login, pw, role, district, name) in DEMO_ADMINS {
        let role = crate::store::console::AdminRole::parse(role).expect("demo role");
        store
            .create_admin(
                login,
                name,
                role,
                *district,
                &crate::auth::hash_password(pw),
            )
            .await?;
    }
    let today = domain::clock::ist_date(store.clock().now());
    let due = (today + chrono::Duration::days(15))
        .format("%Y-%m-%d")
        .to_string();
    let mut bills = Vec::new();
    for (i, (svc, consumer, name, amount)) in DEMO_BILLS.iter().enumerate() {
        let Some(s) = catalogue.service(svc) else {
            continue;
        };
        if s.check_consumer_no(consumer).is_err() {
            continue;
        }
        bills.push(Bill {
            service_code: svc.to_string(),
            consumer_no: consumer.to_string(),
            bill_ref: format!("B{}{:04}", today.format("%y%m"), i + 1),
            consumer_name: name.to_string(),
            amount: *amount,
            due_date: due.clone(),
            paid: false,
        });
    }
    store.upsert_bills(&bills).await?;
    store
        .add_notice(
            None,
            "Welcome to the e-Mitra demo server.",
            "ई-मित्र डेमो सर्वर में आपका स्वागत है।",
        )
        .await?;
    Ok(true)
}

pub async fn build_state(cfg: &Config, clock: Arc<dyn Clock>) -> anyhow::Result<(Shared, Store)> {
    let db = open_db(&cfg.database_url(), cfg.pool_size).await?;
    let store = Store::new(db, clock).with_confirm_later(cfg.confirm_later.clone());
    let catalogue = match &cfg.catalogue {
        Some(p) => Catalogue::from_toml(&std::fs::read_to_string(p)?)?,
        None => Catalogue::from_toml(sample_catalogue_text())?,
    };
    if cfg.demo_seed {
        if seed_demo(&store, &catalogue).await? {
            tracing::info!("seeded the demo kiosk {DEMO_KIOSK}");
        }
    } else {
        if store.catalogue().await?.is_none() {
            match store.save_catalogue(&catalogue).await {
                Ok(()) | Err(StoreError::CatalogueNotNewer(..)) => {}
                Err(e) => return Err(e.into()),
            }
        }
        warn_public_demo_login(&store).await?;
    }
    let billers = Billers::new(&store, &cfg.billers);
    let mut state = AppState::new(store.clone(), cfg.policy(), billers);
    state.body_timeout = std::time::Duration::from_secs(cfg.limits.body_timeout_secs.max(1));
    state.addr_failures =
        crate::api::RateLimiter::failures_per_address(cfg.login_failures_per_address);
    state.secure_cookies = cfg.tls.is_some();
    state.stuck_after_ms = cfg.stuck_after_secs.max(1) * 1000;
    let state = Arc::new(state);
    Ok((state, store))
}

/// A database seeded by an older server may still hold the demo holder
/// with its published password: say so at every start until it is gone.
async fn warn_public_demo_login(store: &Store) -> anyhow::Result<()> {
    if let Some(u) = store.user_by_login(DEMO_HOLDER.0).await?
        && u.active
        && crate::auth::verify_password(DEMO_HOLDER.1, &u.password_hash)
    {
        tracing::warn!(
            "the public demo login {} is active on this database: remove the demo kiosk \
             (kiosk-server admin delete-kiosk --kiosk {DEMO_KIOSK} --discard-refills) \
             or deactivate it (kiosk-server admin deactivate-user --login {})",
            DEMO_HOLDER.0,
            DEMO_HOLDER.0
        );
    }
    for (login, pw, ..) in DEMO_ADMINS {
        if let Some(a) = store.admin_by_login(login).await?
            && a.active
            && crate::auth::verify_password(pw, &a.password_hash)
        {
            tracing::warn!(
                "the public demo console admin {login} is active on this database: \
                 kiosk-server admin deactivate-admin {login}"
            );
        }
    }
    Ok(())
}

/// Serves until the process is stopped.
pub async fn serve(cfg: Config) -> anyhow::Result<()> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    crate::auth::HashPool::configure(
        cfg.hash_threads.unwrap_or((cores / 2).max(1)),
        cfg.hash_queue,
    );
    let (state, store) = build_state(&cfg, Arc::new(domain::SystemClock)).await?;
    let notifier = Notifier::new(store.clone(), cfg.sms.clone(), cfg.smtp.clone());
    tokio::spawn(notifier.run(std::time::Duration::from_secs(cfg.notify_every_secs.max(1))));
    let listener = tokio::net::TcpListener::bind(&cfg.listen).await?;
    let addr = listener.local_addr()?;
    let scheme = if cfg.tls.is_some() { "https" } else { "http" };
    println!(
        "kiosk-server listening on {scheme}://{addr}  (database {})",
        redact(&cfg.database_url())
    );
    if cfg.demo_seed {
        println!(
            "demo kiosk {DEMO_KIOSK}: holder {} / {}, operator {} / {}",
            DEMO_HOLDER.0, DEMO_HOLDER.1, DEMO_OPERATOR.0, DEMO_OPERATOR.1
        );
        println!("OpenAPI: {scheme}://{addr}/openapi.json");
        let admins: Vec<String> = DEMO_ADMINS
            .iter()
            .map(|(l, p, ..)| format!("{l} / {p}"))
            .collect();
        println!(
            "console: {scheme}://{addr}/console/  ({})",
            admins.join(", ")
        );
    }
    let app = crate::api::router(state);
    let tls = match &cfg.tls {
        Some(t) => Some(crate::tls::acceptor(&t.cert, &t.key)?),
        None => None,
    };
    crate::serve::run(listener, tls, app, cfg.limits.clone(), stop_signal()).await?;
    Ok(())
}

/// Ctrl-C or SIGTERM: stop taking connections, finish the requests in
/// flight (a push either commits or does not), then exit.
async fn stop_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("stopping");
}

/// A database URL without its password, for logs.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.find('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.find(':') {
                Some(c) => format!("{}{}:***{}", &url[..s + 3], &creds[..c], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_example_config_is_a_valid_config() {
        let c: super::Config = toml::from_str(include_str!("../kiosk-server.example.toml"))
            .expect("the example parses");
        assert!(!c.demo_seed);
        assert_eq!(c.limits.max_connections_per_address, 64);
        assert!(c.tls.is_some() && c.sms.is_some());
    }

    #[test]
    fn the_production_example_is_a_valid_config() {
        // docs/production.md: an instance behind the balancers.
        let c: super::Config =
            toml::from_str(include_str!("../../../docs/production/kiosk-server.toml"))
                .expect("the production example parses");
        assert!(!c.demo_seed);
        assert!(c.tls.is_none(), "TLS ends at the balancer");
        assert!(c.database_url().starts_with("postgres://"));
        assert_eq!(c.limits.trusted_proxies.len(), 2);
        assert!(c.sms.is_some());
    }

    #[test]
    fn no_config_seeds_nothing_by_itself() {
        // The embedded demo is decided by the command line, not the defaults.
        assert!(!super::Config::default().demo_seed);
    }
}
