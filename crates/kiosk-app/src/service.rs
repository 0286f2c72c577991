//! [`Service`]: one open kiosk for the desktop app. It owns the counter's
//! database connection, the sync engine's loop (its own thread and
//! connection), the print worker (likewise) and the status the screen
//! shows, which it pushes as [`Event`]s whenever something changes.
//!
//! Every command is `async` and does its database work on the blocking
//! pool, so the window's thread never waits on SQLite, a printer or the
//! network.

use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use domain::{Clock, KioskCode, Paise, SystemClock};
use kiosk_core::{BillInput, ChequeInput, InitParams, Kiosk, Reach};
use kiosk_store::{get_setting, set_setting};
use kiosk_sync::engine::{Engine, SyncConfig, SyncHandle};
use kiosk_sync::keys::Keyring;
use kiosk_sync::lock::SyncLock;
use kiosk_sync::status::SyncStatus;
use kiosk_sync::transport::HttpTransport;
use print_queue::{JobEvent, Worker, WorkerOptions};
use protocol::codes;
use serde::Deserialize;

use crate::api::*;
use crate::auth;
use crate::centre::Centre;
use crate::counter;
use crate::error::{AppError, Result};
use crate::views;

/// The kiosk's database in the data folder.
pub const DB_FILE: &str = "kiosk.db";
/// Settings an installer (or the demo) may preset, in the data folder.
pub const CONFIG_FILE: &str = "kiosk.toml";
const LANG_KEY: &str = "app.lang";
const FAVOURITES_KEY: &str = "app.favourites";
/// The wallet floor the kiosk is expected to keep (₹20,000).
const WALLET_MINIMUM: i64 = 20_000_00;

/// What an installer may preset in `kiosk.toml`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub centre_url: Option<String>,
    /// Minutes without input before the counter locks (default 10).
    pub idle_lock_minutes: Option<u32>,
    /// A demo installation shows these on the first-run screen.
    pub demo: Option<DemoHint>,
    /// Where exported reports are written (default: `reports` in the data
    /// folder).
    pub reports_dir: Option<PathBuf>,
}

pub struct ServiceConfig {
    pub data_dir: PathBuf,
    pub clock: Arc<dyn Clock>,
    pub print: WorkerOptions,
    pub sync: SyncConfig,
}

impl ServiceConfig {
    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        ServiceConfig {
            data_dir: data_dir.into(),
            clock: Arc::new(SystemClock),
            print: WorkerOptions::default(),
            sync: SyncConfig::default(),
        }
    }
}

/// Where events go (the desktop host forwards them to the window).
pub type EventSink = Arc<dyn Fn(Event) + Send + Sync>;

struct Session {
    login: String,
    name: String,
    role: String,
    offline: bool,
    must_change: bool,
    /// The centre's token from an online login (memory only).
    token: Option<String>,
    last_active: Instant,
    locked: bool,
}

impl Session {
    fn view(&self) -> SessionView {
        SessionView {
            login: self.login.clone(),
            name: self.name.clone(),
            role: self.role.clone(),
            offline: self.offline,
            must_change_password: self.must_change,
        }
    }
}

#[derive(Default, Clone)]
struct PrinterLive {
    printing: bool,
    last_code: Option<String>,
}

struct SyncRunner {
    handle: SyncHandle,
    thread: Option<std::thread::JoinHandle<()>>,
}

pub(crate) struct Inner {
    db: PathBuf,
    reports_dir: PathBuf,
    clock: Arc<dyn Clock>,
    file: FileConfig,
    sync_cfg: SyncConfig,
    print_opts: WorkerOptions,
    kiosk: Mutex<Option<Kiosk>>,
    session: Mutex<Option<Session>>,
    sync: Mutex<Option<SyncRunner>>,
    sync_status: Mutex<Option<SyncStatus>>,
    worker: Mutex<Option<Worker>>,
    printer_live: Mutex<PrinterLive>,
    recovery: Mutex<Option<Recovery>>,
    lang: Mutex<Lang>,
    last_status: Mutex<Option<StatusView>>,
    /// Receipts on screen whose state the UI wants to hear about.
    watched: Mutex<Vec<(String, String)>>,
    poke: Mutex<Sender<()>>,
    sink: EventSink,
}

/// See the module docs. Cheap to clone.
#[derive(Clone)]
pub struct Service {
    inner: Arc<Inner>,
}

/// Alerts the operator marks seen; the others clear with their cause
/// (the device re-admitted, the clock right, the local record recovered).
fn alert_can_ack(code: &str) -> bool {
    matches!(code, codes::CENTRE_RESTORED | codes::OUTCOME_CHANGED)
}

fn alert_views(k: Option<&Kiosk>) -> Vec<AlertView> {
    k.map(kiosk_sync::alerts::load)
        .unwrap_or_default()
        .into_iter()
        .map(|a| AlertView {
            can_ack: alert_can_ack(&a.code),
            code: a.code,
            since: a.since.to_rfc3339(),
        })
        .collect()
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic elsewhere must not take the counter down with it.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Service {
    /// Opens (or prepares) the kiosk in `cfg.data_dir` and starts its
    /// background work. Events go to `sink`.
    pub fn open(cfg: ServiceConfig, sink: EventSink) -> Result<Service> {
        create_private_dir(&cfg.data_dir)?;
        let file = read_file_config(&cfg.data_dir)?;
        let db = cfg.data_dir.join(DB_FILE);
        let (poke_tx, poke_rx) = channel();
        let reports_dir = file
            .reports_dir
            .clone()
            .unwrap_or_else(|| cfg.data_dir.join("reports"));
        let inner = Arc::new(Inner {
            db: db.clone(),
            reports_dir,
            clock: cfg.clock.clone(),
            file,
            sync_cfg: cfg.sync,
            print_opts: cfg.print,
            kiosk: Mutex::new(None),
            session: Mutex::new(None),
            sync: Mutex::new(None),
            sync_status: Mutex::new(None),
            worker: Mutex::new(None),
            printer_live: Mutex::new(PrinterLive::default()),
            recovery: Mutex::new(None),
            lang: Mutex::new(Lang::En),
            last_status: Mutex::new(None),
            watched: Mutex::new(Vec::new()),
            poke: Mutex::new(poke_tx),
            sink,
        });
        let svc = Service { inner };
        if db.exists() {
            match Kiosk::open(&db, cfg.clock.clone()) {
                Ok(mut k) => {
                    *lock(&svc.inner.recovery) = counter::recover(&mut k)?;
                    if let Some(l) = get_setting(k.store().conn(), LANG_KEY)? {
                        *lock(&svc.inner.lang) = parse_lang(&l)?;
                    }
                    *lock(&svc.inner.kiosk) = Some(k);
                    svc.start_background()?;
                }
                // Created but never initialised (registration stopped
                // half-way): set-up starts again.
                Err(kiosk_core::CoreError::NotInitialised) => {}
                Err(e) => return Err(e.into()),
            }
        }
        let weak = Arc::downgrade(&svc.inner);
        std::thread::Builder::new()
            .name("kiosk-status".into())
            .spawn(move || status_loop(weak, poke_rx))
            .map_err(|e| AppError::Internal(format!("status thread: {e}")))?;
        svc.poke();
        Ok(svc)
    }

    /// Stops the sync loop and the print worker (each finishes what it
    /// has in hand).
    pub fn shutdown(&self) {
        if let Some(mut r) = lock(&self.inner.sync).take() {
            r.handle.stop();
            if let Some(t) = r.thread.take() {
                let _ = t.join();
            }
        }
        if let Some(w) = lock(&self.inner.worker).take() {
            w.stop();
        }
    }

    pub fn db_path(&self) -> &Path {
        &self.inner.db
    }

    pub(crate) fn poke(&self) {
        let _ = lock(&self.inner.poke).send(());
    }

    fn registered(&self) -> bool {
        lock(&self.inner.sync).is_some()
    }

    /// Runs `f` with the open kiosk on the blocking pool.
    pub(crate) async fn with_kiosk<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Kiosk, &Inner) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || {
            let mut g = lock(&inner.kiosk);
            let k = g.as_mut().ok_or(AppError::NotSetUp)?;
            f(k, &inner)
        })
        .await
        .map_err(|e| AppError::Internal(format!("worker: {e}")))?
    }

    async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Inner) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || f(&inner))
            .await
            .map_err(|e| AppError::Internal(format!("worker: {e}")))?
    }

    fn idle_limit(&self) -> Duration {
        Duration::from_secs(60 * self.inner.file.idle_lock_minutes.unwrap_or(10).max(1) as u64)
    }

    /// The logged-in operator for a counter action (touches the session).
    pub(crate) fn operator(&self) -> Result<(String, String)> {
        let mut g = lock(&self.inner.session);
        let s = g.as_mut().ok_or(AppError::NoSession)?;
        if s.locked || s.last_active.elapsed() > self.idle_limit() {
            s.locked = true;
            return Err(AppError::Locked);
        }
        if s.must_change {
            return Err(AppError::PasswordChangeRequired);
        }
        s.last_active = Instant::now();
        Ok((s.login.clone(), s.role.clone()))
    }

    /// The one holder guard: the logged-in user, for what only the kiosk
    /// holder may do (cancel a receipt, manage users, change printers or
    /// the favourites). Everyone else gets `session.holder_only`.
    pub(crate) fn holder(&self) -> Result<String> {
        let (login, role) = self.operator()?;
        if role != domain::Role::Holder.as_str() {
            return Err(AppError::HolderOnly);
        }
        Ok(login)
    }

    // ------------------------------------------------------------ commands

    pub async fn app_state(&self, _: ()) -> Result<AppState> {
        Ok(self.state())
    }

    fn state(&self) -> AppState {
        let identity = lock(&self.inner.kiosk).as_ref().map(|k| {
            let i = k.identity();
            KioskIdentity {
                kiosk_code: i.kiosk_code.to_string(),
                device_no: i.device_no.get(),
                district: i.district.clone(),
                kiosk_name: i.kiosk_name.clone(),
                cheque_enabled: i.cheque_enabled,
            }
        });
        let centre_url = lock(&self.inner.kiosk)
            .as_ref()
            .and_then(|k| get_setting(k.store().conn(), kiosk_sync::cli::SERVER_URL_KEY).ok())
            .flatten()
            .or_else(|| self.inner.file.centre_url.clone());
        let idle = self.idle_limit();
        let session = {
            let mut g = lock(&self.inner.session);
            if let Some(s) = g.as_mut()
                && s.last_active.elapsed() > idle
            {
                s.locked = true;
            }
            g.as_ref().map(|s| (s.view(), s.locked))
        };
        let phase = if !self.registered() {
            Phase::Setup
        } else {
            match &session {
                None => Phase::Login,
                Some((_, true)) => Phase::Locked,
                Some((v, false)) if v.must_change_password => Phase::ChangePassword,
                Some(_) => Phase::Counter,
            }
        };
        AppState {
            phase,
            identity,
            session: session.map(|(v, _)| v),
            lang: *lock(&self.inner.lang),
            centre_url,
            demo: if self.registered() {
                None
            } else {
                self.inner.file.demo.clone()
            },
            recovery: lock(&self.inner.recovery).clone(),
            idle_lock_minutes: self.inner.file.idle_lock_minutes.unwrap_or(10),
            version: env!("CARGO_PKG_VERSION").to_string(),
        }
    }

    pub async fn register(&self, a: RegisterArgs) -> Result<AppState> {
        if self.registered() {
            return Err(AppError::AlreadySetUp);
        }
        let code = KioskCode::parse(&a.kiosk_code)?.to_string();
        let login = auth::normalise_login(&a.login);
        if login.is_empty() || a.password.is_empty() {
            return Err(AppError::BadCredentials);
        }
        let centre = Centre::new(&a.centre_url)?;
        let mut li = centre.login(&login, &a.password).await?;
        if li.role != "holder" {
            return Err(AppError::NotHolder);
        }
        if li.kiosk_code != code {
            return Err(AppError::WrongKiosk {
                login,
                kiosk: li.kiosk_code,
                typed: code,
            });
        }
        let mut password = a.password.clone();
        if li.must_change_password {
            let np = a
                .new_password
                .clone()
                .ok_or(AppError::NewPasswordRequired)?;
            domain::rules::check_password(&np)?;
            li = centre.change_password(&li.token, &password, &np).await?;
            password = np;
        }
        let info = centre.kiosk_info(&li.token).await?;
        // The local database, created once from the centre's record.
        let db = self.inner.db.clone();
        let clock = self.inner.clock.clone();
        let holder = login.clone();
        let typed = code.clone();
        self.blocking(move |_| {
            let init = || {
                Kiosk::init(
                    &db,
                    &InitParams {
                        kiosk_code: info.code.clone(),
                        device_no: 1,
                        district: info.district.clone(),
                        kiosk_name: info.name.clone(),
                        holder_login: holder.clone(),
                        holder_name: holder.clone(),
                        cheque_enabled: info.cheque_enabled,
                    },
                    clock.clone(),
                )
            };
            if !db.exists() {
                init()?;
                return Ok(());
            }
            match Kiosk::open(&db, clock.clone()) {
                // A registration that stopped half-way: the same kiosk only.
                Ok(k) => {
                    let have = k.identity().kiosk_code.to_string();
                    if have != typed {
                        return Err(AppError::WrongKiosk {
                            login: holder.clone(),
                            kiosk: have,
                            typed,
                        });
                    }
                }
                Err(kiosk_core::CoreError::NotInitialised) => {
                    init()?;
                }
                Err(e) => return Err(e.into()),
            }
            Ok(())
        })
        .await?;
        kiosk_sync::register::register(&self.inner.db, centre.base(), &login, &password, "counter")
            .await?;
        let db = self.inner.db.clone();
        let clock = self.inner.clock.clone();
        let pw = password.clone();
        let holder = login.clone();
        let lang = *lock(&self.inner.lang);
        self.blocking(move |inner| {
            let mut k = Kiosk::open(&db, clock.clone())?;
            auth::record_online(k.store_mut(), &holder, &pw, "holder", false, clock.now())?;
            k.store_mut()
                .write(|tx| set_setting(tx, LANG_KEY, lang_str(lang)))?;
            *lock(&inner.kiosk) = Some(k);
            Ok(())
        })
        .await?;
        self.start_background()?;
        *lock(&self.inner.session) = Some(Session {
            login: login.clone(),
            name: login,
            role: "holder".into(),
            offline: false,
            must_change: false,
            token: Some(li.token),
            last_active: Instant::now(),
            locked: false,
        });
        self.poke();
        Ok(self.state())
    }

    pub async fn login(&self, a: LoginArgs) -> Result<AppState> {
        if !self.registered() {
            return Err(AppError::NotSetUp);
        }
        let login = auth::normalise_login(&a.login);
        if login.is_empty() || a.password.is_empty() || a.password.len() > 256 {
            return Err(AppError::BadCredentials);
        }
        let l2 = login.clone();
        self.with_kiosk(move |k, _| {
            // Lockouts by the business clock: setting the PC's clock
            // forward does not end one.
            auth::check_not_locked(k.store().conn(), &l2, k.clock().now())?;
            // Deactivated here, the centre not told yet: out already, and
            // no online login may bring the offline verifier back.
            if kiosk_core::users::pending_deactivation(k.store().conn(), &l2)? {
                return Err(kiosk_core::CoreError::OperatorInactive(l2).into());
            }
            Ok(())
        })
        .await?;
        let url = self.centre_url().await?;
        let centre = Centre::new(&url)?;
        let session = match centre.login(&login, &a.password).await {
            Ok(li) => {
                let ours = self
                    .with_kiosk(|k, _| Ok(k.identity().kiosk_code.to_string()))
                    .await?;
                if li.kiosk_code != ours {
                    return Err(AppError::WrongKiosk {
                        login,
                        kiosk: li.kiosk_code,
                        typed: ours,
                    });
                }
                let (l2, pw, role, mc) = (
                    login.clone(),
                    a.password.clone(),
                    li.role.clone(),
                    li.must_change_password,
                );
                self.with_kiosk(move |k, _| {
                    let now = k.clock().now();
                    auth::record_online(k.store_mut(), &l2, &pw, &role, mc, now)
                })
                .await?;
                Session {
                    name: login.clone(),
                    login,
                    role: li.role,
                    offline: false,
                    must_change: li.must_change_password,
                    token: Some(li.token),
                    last_active: Instant::now(),
                    locked: false,
                }
            }
            Err(AppError::Offline(_)) => {
                let (l2, pw) = (login.clone(), a.password.clone());
                let cr = self
                    .with_kiosk(move |k, _| {
                        let now = k.clock().now();
                        auth::verify_offline(k.store_mut(), &l2, &pw, now)
                    })
                    .await?;
                Session {
                    name: login.clone(),
                    login,
                    role: cr.role,
                    offline: true,
                    must_change: cr.must_change,
                    token: None,
                    last_active: Instant::now(),
                    locked: false,
                }
            }
            Err(AppError::Centre { code, message }) => {
                if code == protocol::codes::AUTH_BAD_CREDENTIALS {
                    let l2 = login.clone();
                    self.with_kiosk(move |k, _| {
                        let now = k.clock().now();
                        auth::record_failure(k.store_mut(), &l2, now)
                    })
                    .await?;
                    return Err(AppError::BadCredentials);
                }
                return Err(AppError::Centre { code, message });
            }
            Err(e) => return Err(e),
        };
        // A deactivated operator may not use the counter, online or not.
        let l2 = session.login.clone();
        let active = self
            .with_kiosk(move |k, _| auth::operator_active(k.store().conn(), &l2))
            .await?;
        if matches!(active, Some((_, _, false))) {
            return Err(kiosk_core::CoreError::OperatorInactive(session.login).into());
        }
        *lock(&self.inner.session) = Some(session);
        self.poke();
        Ok(self.state())
    }

    pub async fn change_password(&self, a: ChangePasswordArgs) -> Result<AppState> {
        let (login, token) = {
            let g = lock(&self.inner.session);
            let s = g.as_ref().ok_or(AppError::NoSession)?;
            if s.locked {
                return Err(AppError::Locked);
            }
            (s.login.clone(), s.token.clone())
        };
        domain::rules::check_password(&a.new_password)?;
        if a.new_password == a.old_password {
            return Err(AppError::PasswordUnchanged);
        }
        let centre = Centre::new(&self.centre_url().await?)?;
        let online_only = |e: AppError| match e {
            AppError::Offline(_) => AppError::AccountOnlineOnly,
            e => e,
        };
        // Offline sessions have no token, and a token lasts minutes: the
        // old password gets a fresh one.
        let fresh = || async {
            centre
                .login(&login, &a.old_password)
                .await
                .map(|li| li.token)
                .map_err(online_only)
        };
        let token = match token {
            Some(t) => t,
            None => fresh().await?,
        };
        let li = match centre
            .change_password(&token, &a.old_password, &a.new_password)
            .await
        {
            Err(AppError::Centre { code, .. })
                if code == codes::AUTH_TOKEN_EXPIRED || code == codes::AUTH_BAD_TOKEN =>
            {
                let token = fresh().await?;
                centre
                    .change_password(&token, &a.old_password, &a.new_password)
                    .await
            }
            r => r,
        }
        .map_err(online_only)?;
        let (l2, pw, role) = (login.clone(), a.new_password.clone(), li.role.clone());
        self.with_kiosk(move |k, _| {
            let now = k.clock().now();
            auth::record_online(k.store_mut(), &l2, &pw, &role, false, now)
        })
        .await?;
        if let Some(s) = lock(&self.inner.session).as_mut() {
            s.must_change = false;
            s.offline = false;
            s.token = Some(li.token);
            s.last_active = Instant::now();
        }
        self.poke();
        Ok(self.state())
    }

    pub async fn logout(&self, _: ()) -> Result<AppState> {
        *lock(&self.inner.session) = None;
        self.poke();
        Ok(self.state())
    }

    pub async fn lock(&self, _: ()) -> Result<AppState> {
        if let Some(s) = lock(&self.inner.session).as_mut() {
            s.locked = true;
        }
        Ok(self.state())
    }

    pub async fn set_lang(&self, a: SetLangArgs) -> Result<AppState> {
        *lock(&self.inner.lang) = a.lang;
        if lock(&self.inner.kiosk).is_some() {
            self.with_kiosk(move |k, _| {
                k.store_mut()
                    .write(|tx| set_setting(tx, LANG_KEY, lang_str(a.lang)))?;
                Ok(())
            })
            .await?;
        }
        Ok(self.state())
    }

    pub async fn touch(&self, _: ()) -> Result<()> {
        let idle = self.idle_limit();
        if let Some(s) = lock(&self.inner.session).as_mut()
            && !s.locked
            && s.last_active.elapsed() <= idle
        {
            s.last_active = Instant::now();
        }
        Ok(())
    }

    pub async fn catalogue(&self, _: ()) -> Result<CatalogueView> {
        self.operator()?;
        self.with_kiosk(|k, _| catalogue_view(k)).await
    }

    pub async fn set_favourites(&self, a: SetFavouritesArgs) -> Result<CatalogueView> {
        self.holder()?;
        self.with_kiosk(move |k, _| {
            let cat = k.catalogue().ok_or(kiosk_core::CoreError::NoCatalogue)?;
            for c in &a.codes {
                if cat.service(c).is_none() {
                    return Err(kiosk_core::CoreError::ServiceUnknown(
                        c.chars().take(32).collect(),
                    )
                    .into());
                }
            }
            let mut codes: Vec<String> = Vec::new();
            for c in a.codes {
                if !codes.contains(&c) {
                    codes.push(c);
                }
            }
            let body = serde_json::to_string(&codes).expect("codes serialise");
            k.store_mut()
                .write(|tx| set_setting(tx, FAVOURITES_KEY, &body))?;
            catalogue_view(k)
        })
        .await
    }

    pub async fn check_consumer(&self, a: ConsumerArgs) -> Result<ConsumerCheck> {
        self.operator()?;
        self.with_kiosk(move |k, _| {
            let cat = k.catalogue().ok_or(kiosk_core::CoreError::NoCatalogue)?;
            let svc = cat.service(a.service.trim()).ok_or_else(|| {
                kiosk_core::CoreError::ServiceUnknown(a.service.chars().take(32).collect())
            })?;
            Ok(match svc.check_consumer_no(&a.consumer_no) {
                Ok(n) => ConsumerCheck {
                    valid: true,
                    normalised: Some(n),
                    error: None,
                },
                Err(e) => ConsumerCheck {
                    valid: false,
                    normalised: None,
                    error: Some(AppError::from(e).to_api()),
                },
            })
        })
        .await
    }

    pub async fn fetch_bill(&self, a: ConsumerArgs) -> Result<BillView> {
        self.operator()?;
        let url = self.centre_url().await?;
        let (service, consumer, device_id) = {
            let a = a.clone();
            self.with_kiosk(move |k, _| {
                let cat = k.catalogue().ok_or(kiosk_core::CoreError::NoCatalogue)?;
                let svc = cat.service(a.service.trim()).ok_or_else(|| {
                    kiosk_core::CoreError::ServiceUnknown(a.service.chars().take(32).collect())
                })?;
                let n = svc.check_consumer_no(&a.consumer_no)?;
                Ok((svc.code.clone(), n, k.identity().device_id))
            })
            .await?
        };
        let key = tokio::task::spawn_blocking(move || Keyring::for_device(device_id)?.require())
            .await
            .map_err(|e| AppError::Internal(e.to_string()))??;
        let resp = Centre::new(&url)?
            .fetch_bill(&key, &service, &consumer)
            .await?;
        self.with_kiosk(move |k, _| {
            let b = resp.bill;
            let due = chrono::NaiveDate::parse_from_str(&b.due_date, "%Y-%m-%d").ok();
            let name = (!b.consumer_name.is_empty()).then_some(b.consumer_name.as_str());
            let bref = (!b.bill_ref.is_empty()).then_some(b.bill_ref.as_str());
            let f = k.record_fetched_bill(
                &service,
                &consumer,
                name,
                bref,
                Paise::new(b.amount),
                due,
                None,
            )?;
            Ok(BillView {
                service: f.service_code,
                consumer_no: f.consumer_no,
                consumer_name: f.consumer_name,
                bill_ref: f.bill_ref,
                amount: f.amount.as_i64(),
                due_date: f.due_date.map(|d| d.to_string()),
                duplicate: resp.duplicate.map(|d| DuplicateView {
                    service_code: service.clone(),
                    consumer_no: consumer.clone(),
                    receipt_no: d.receipt_no,
                    kiosk_code: d.kiosk_code,
                    paid_at: chrono::DateTime::from_timestamp_millis(d.paid_ms)
                        .map(|t| t.to_rfc3339())
                        .unwrap_or_default(),
                    amount: None,
                }),
            })
        })
        .await
    }

    pub async fn cart(&self, _: ()) -> Result<CartView> {
        self.operator()?;
        self.with_kiosk(|k, _| {
            let d = counter::load(k)?;
            Ok(views::cart(k, &d))
        })
        .await
    }

    pub async fn cart_add(&self, a: CartAddArgs) -> Result<CartView> {
        self.operator()?;
        let online = self.online();
        // An online-only service is taken only while the centre answers.
        let reach = self.reach();
        self.with_kiosk(move |k, _| {
            let mut d = counter::load(k)?;
            let cat = k.catalogue().ok_or(kiosk_core::CoreError::NoCatalogue)?;
            let svc = cat.service(a.service.trim()).ok_or_else(|| {
                kiosk_core::CoreError::ServiceUnknown(a.service.chars().take(32).collect())
            })?;
            let consumer = svc.check_consumer_no(&a.consumer_no)?;
            let fetched = k.fetched_bill(&svc.code, &consumer)?;
            let typed = a.amount.as_deref().map(str::trim).filter(|t| !t.is_empty());
            // Online, a service that needs its bill fetched takes the
            // fetched amount; offline, one that may be taken offline takes
            // the amount as typed from the paper bill.
            let fetch_needed = svc.bill_fetch_required && online;
            let input = match (typed, fetched) {
                (_, Some(b)) if typed.is_none() || svc.bill_fetch_required => BillInput {
                    service: svc.code.clone(),
                    consumer_no: consumer,
                    amount: b.amount,
                    consumer_name: b.consumer_name,
                    bill_ref: b.bill_ref,
                },
                (Some(t), f) if !fetch_needed => BillInput {
                    service: svc.code.clone(),
                    consumer_no: consumer,
                    amount: Paise::parse(t)?,
                    consumer_name: f.as_ref().and_then(|b| b.consumer_name.clone()),
                    bill_ref: f.and_then(|b| b.bill_ref),
                },
                _ if fetch_needed => return Err(AppError::BillFetchRequired),
                _ => return Err(AppError::AmountRequired),
            };
            k.add_bill_with_reach(&mut d, &input, reach)?;
            // A cheque chosen before applies to the cart as it was.
            if matches!(d.mode, Some(domain::PaymentMode::Cheque(_))) {
                d.mode = None;
            }
            counter::save(k, &d)?;
            Ok(views::cart(k, &d))
        })
        .await
    }

    pub async fn cart_remove(&self, a: CartRemoveArgs) -> Result<CartView> {
        self.operator()?;
        self.with_kiosk(move |k, _| {
            let mut d = counter::load(k)?;
            k.remove_bill(&mut d, a.index as usize)?;
            if matches!(d.mode, Some(domain::PaymentMode::Cheque(_))) {
                d.mode = None;
            }
            counter::save(k, &d)?;
            Ok(views::cart(k, &d))
        })
        .await
    }

    pub async fn cart_clear(&self, _: ()) -> Result<CartView> {
        self.operator()?;
        self.with_kiosk(|k, _| {
            let d = counter::clear(k)?;
            Ok(views::cart(k, &d))
        })
        .await
    }

    pub async fn cart_contact(&self, a: CartContactArgs) -> Result<CartView> {
        self.operator()?;
        self.with_kiosk(move |k, _| {
            let mut d = counter::load(k)?;
            let m = a.mobile.as_deref().map(str::trim).filter(|s| !s.is_empty());
            let e = a.email.as_deref().map(str::trim).filter(|s| !s.is_empty());
            k.set_contact(&mut d, m, e)?;
            counter::save(k, &d)?;
            Ok(views::cart(k, &d))
        })
        .await
    }

    pub async fn cart_mode(&self, a: CartModeArgs) -> Result<CartView> {
        self.operator()?;
        self.with_kiosk(move |k, _| {
            let mut d = counter::load(k)?;
            match a {
                CartModeArgs::Wallet => k.choose_wallet(&mut d),
                CartModeArgs::Cheque { number, date, bank } => {
                    let date = chrono::NaiveDate::parse_from_str(date.trim(), "%Y-%m-%d")
                        .map_err(|_| AppError::ChequeDateInvalid)?;
                    let payee = views::cart(k, &d).cheque_payee.ok_or_else(|| {
                        match d.cart.lines.first() {
                            Some(l) => kiosk_core::CoreError::ChequeRefusedByDepartment(
                                l.department.clone(),
                            ),
                            None => domain::DomainError::CartEmpty.into(),
                        }
                    })?;
                    k.choose_cheque(
                        &mut d,
                        &ChequeInput {
                            number,
                            date,
                            bank,
                            payee,
                        },
                    )?;
                }
            }
            counter::save(k, &d)?;
            Ok(views::cart(k, &d))
        })
        .await
    }

    pub async fn pay(&self, a: PayArgs) -> Result<PayResult> {
        let (operator, _) = self.operator()?;
        // Asked again at Pay: the link may have gone since the line was added.
        let reach = self.reach();
        let out = self
            .with_kiosk(move |k, inner| {
                let d = counter::load(k)?;
                let already = if d.id.to_string() != a.cart_id {
                    // Pressed again after the first Pay went through (or a
                    // stale screen): the cart it names is paid, or gone.
                    match counter::receipt_no_of(k, &a.cart_id)? {
                        Some(no) => Some(no),
                        None => return Err(AppError::CartChanged),
                    }
                } else {
                    None
                };
                let (receipt_no, already_paid) = match already {
                    Some(no) => (no, true),
                    None => match counter::pay(k, &d, &operator, a.confirm_duplicate, reach) {
                        Ok(c) => (c.receipt_no, false),
                        Err(AppError::Core(kiosk_core::CoreError::CartAlreadyPaid(no))) => {
                            (no, true)
                        }
                        Err(e) => return Err(e),
                    },
                };
                let print = if already_paid {
                    None
                } else {
                    let p = crate::printing::queue_receipt(k, &receipt_no);
                    if let Some(w) = lock(&inner.worker).as_ref() {
                        w.wake();
                    }
                    p
                };
                let detail = k.receipt(&receipt_no)?;
                let view = views::receipt(k, &detail);
                Ok(PayResult {
                    receipt: view,
                    print,
                    already_paid,
                })
            })
            .await?;
        *lock(&self.inner.recovery) = None;
        self.watch(&out.receipt);
        // Sent at once, not at the next poll: a payment with an online-only
        // line is taken by the centre only within minutes
        // (`protocol::wire::ONLINE_ONLY_MAX_AGE_MS`).
        if let Some(r) = lock(&self.inner.sync).as_ref() {
            r.handle.nudge();
        }
        self.poke();
        Ok(out)
    }

    fn watch(&self, r: &ReceiptView) {
        let mut w = lock(&self.inner.watched);
        w.retain(|(id, _)| id != &r.id);
        w.push((r.id.clone(), receipt_mark(r)));
        let n = w.len();
        if n > 20 {
            w.drain(..n - 20);
        }
    }

    pub async fn receipt(&self, a: ReceiptArgs) -> Result<ReceiptView> {
        self.operator()?;
        let r = self
            .with_kiosk(move |k, _| {
                let d = k.receipt(a.key.trim())?;
                Ok(views::receipt(k, &d))
            })
            .await?;
        self.watch(&r);
        Ok(r)
    }

    pub async fn print_receipt(&self, a: ReceiptArgs) -> Result<PrintView> {
        self.operator()?;
        let out = self
            .with_kiosk(move |k, inner| {
                let key = a.key.trim().to_string();
                k.receipt(&key)?;
                let p = crate::printing::queue_receipt(k, &key)
                    .ok_or(print_queue::QueueError::NoPrinter)?;
                if let Some(w) = lock(&inner.worker).as_ref() {
                    w.wake();
                }
                Ok(p)
            })
            .await?;
        self.poke();
        Ok(out)
    }

    pub async fn preview(&self, a: ReceiptArgs) -> Result<PreviewView> {
        self.operator()?;
        self.with_kiosk(move |k, _| crate::printing::preview(k, a.key.trim()))
            .await
    }

    pub async fn status(&self, _: ()) -> Result<StatusView> {
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || compute_status(&inner))
            .await
            .map_err(|e| AppError::Internal(e.to_string()))
    }

    // ------------------------------------------------------------ back office

    pub async fn report_transactions(&self, a: TxnReportArgs) -> Result<TxnReport> {
        self.operator()?;
        self.with_kiosk(move |k, _| crate::office::txn_report(k, &a))
            .await
    }

    pub async fn report_commissions(&self, a: ReportFilter) -> Result<CommissionReport> {
        self.operator()?;
        self.with_kiosk(move |k, _| crate::office::commission_report(k, &a))
            .await
    }

    pub async fn report_export(&self, a: ExportArgs) -> Result<ExportView> {
        self.operator()?;
        self.with_kiosk(move |k, inner| crate::office::export(k, &inner.reports_dir, &a))
            .await
    }

    pub async fn report_print(&self, a: ReportPrintArgs) -> Result<PrintView> {
        self.operator()?;
        let out = self
            .with_kiosk(move |k, inner| {
                let p = crate::office::print_report(k, &a)?;
                if let Some(w) = lock(&inner.worker).as_ref() {
                    w.wake();
                }
                Ok(p)
            })
            .await?;
        self.poke();
        Ok(out)
    }

    pub async fn receipts_search(&self, a: ReceiptSearchArgs) -> Result<ReceiptList> {
        self.operator()?;
        self.with_kiosk(move |k, _| crate::office::receipts_search(k, &a))
            .await
    }

    pub async fn receipt_detail(&self, a: ReceiptArgs) -> Result<ReceiptDetailView> {
        let (_, role) = self.operator()?;
        let d = self
            .with_kiosk(move |k, _| crate::office::detail(k, a.key.trim(), role == "holder"))
            .await?;
        self.watch(&d.receipt);
        Ok(d)
    }

    /// Holder only: the cancellation goes to the centre through the outbox
    /// (the centre tells the citizen), the wallet hold is released.
    pub async fn receipt_cancel(&self, a: CancelArgs) -> Result<ReceiptDetailView> {
        let login = self.holder()?;
        let d = self
            .with_kiosk(move |k, _| {
                // By any of its numbers: the core cancels by id.
                let id = k.receipt(a.key.trim())?.summary.id;
                k.cancel_receipt(&id, &login, &a.reason)?;
                crate::office::detail(k, &id, true)
            })
            .await?;
        if let Some(r) = lock(&self.inner.sync).as_ref() {
            r.handle.nudge();
        }
        self.poke();
        Ok(d)
    }

    pub async fn reconcile_day(&self, a: DayArgs) -> Result<ReconcileView> {
        self.operator()?;
        let day = crate::office::parse_day(&a.date)?;
        self.with_kiosk(move |k, _| {
            let p = crate::office::day_payments(k, day)?;
            Ok(crate::office::day_view(day, &p))
        })
        .await
    }

    /// Asks the centre (online) what became of one payment or of every
    /// payment of the day, and records its answers as a sync would.
    pub async fn reconcile_verify(&self, a: VerifyArgs) -> Result<VerifyResult> {
        self.operator()?;
        let day = crate::office::parse_day(&a.date)?;
        let key_arg = a.key.as_deref().map(str::trim).map(str::to_string);
        let (payments, device_id) = self
            .with_kiosk(move |k, _| {
                let all = crate::office::day_payments(k, day)?;
                let chosen = match &key_arg {
                    None => all,
                    Some(key) => {
                        let id = k.receipt(key)?.summary.id;
                        let one: Vec<_> = all.into_iter().filter(|p| p.row.id == id).collect();
                        if one.is_empty() {
                            // A receipt of another day.
                            return Err(AppError::FilterInvalid("the receipt is not of this day"));
                        }
                        one
                    }
                };
                Ok((chosen, k.identity().device_id))
            })
            .await?;
        let url = self.centre_url().await?;
        let key = tokio::task::spawn_blocking(move || Keyring::for_device(device_id)?.require())
            .await
            .map_err(|e| AppError::Internal(e.to_string()))??;
        let centre = Centre::new(&url)?;
        // One request for the day; the centre lists by the time it received
        // an entry, so any payment it did not list is asked for alone.
        let mut known = if payments.len() > 1 {
            centre.txns_of_day(&key, &a.date).await?
        } else {
            Vec::new()
        };
        let mut answers = Vec::new();
        for p in payments {
            let Some(entry) = p.entry_id.clone() else {
                answers.push((p, None));
                continue;
            };
            let hit = known
                .iter()
                .position(|t| t.entry_id == entry)
                .map(|i| known.swap_remove(i));
            let ans = match hit {
                Some(t) => Some(t),
                None => centre.txn_status(&key, &entry).await?,
            };
            answers.push((p, ans));
        }
        let out = self
            .with_kiosk(move |k, _| {
                let (rows, summary) = crate::office::apply_verify(k, answers)?;
                let p = crate::office::day_payments(k, day)?;
                Ok(VerifyResult {
                    rows,
                    summary,
                    day: crate::office::day_view(day, &p),
                })
            })
            .await?;
        self.poke();
        Ok(out)
    }

    pub async fn wallet(&self, a: WalletArgs) -> Result<WalletScreen> {
        self.operator()?;
        let (lines, truncated, credits, debits) = self
            .with_kiosk(move |k, _| crate::office::statement(k, &a))
            .await?;
        let inner = self.inner.clone();
        let wallet = tokio::task::spawn_blocking(move || compute_status(&inner).wallet)
            .await
            .map_err(|e| AppError::Internal(e.to_string()))?;
        Ok(WalletScreen {
            wallet,
            minimum: WALLET_MINIMUM,
            lines,
            truncated,
            credits,
            debits,
        })
    }

    pub async fn dismiss_recovery(&self, _: ()) -> Result<AppState> {
        *lock(&self.inner.recovery) = None;
        Ok(self.state())
    }

    pub async fn sync_now(&self, _: ()) -> Result<()> {
        match lock(&self.inner.sync).as_ref() {
            Some(r) => {
                r.handle.sync_now();
                Ok(())
            }
            None => Err(AppError::NotSetUp),
        }
    }

    pub async fn ack_alert(&self, a: AckAlertArgs) -> Result<StatusView> {
        self.operator()?;
        self.with_kiosk(move |k, _| {
            if !alert_can_ack(&a.code) {
                return Err(AppError::AlertNotAcknowledgeable(
                    a.code.chars().take(64).collect(),
                ));
            }
            if a.code == codes::OUTCOME_CHANGED {
                k.acknowledge_outcome_changes(i64::MAX)?;
            }
            if !kiosk_sync::alerts::clear(k, &a.code)? {
                return Err(AppError::AlertNone(a.code.chars().take(64).collect()));
            }
            Ok(())
        })
        .await?;
        self.poke();
        self.status(()).await
    }

    pub async fn readmit_request(&self, _: ()) -> Result<ReadmitView> {
        self.operator()?;
        if !self.registered() {
            return Err(AppError::NotSetUp);
        }
        let device_id = self.with_kiosk(|k, _| Ok(k.identity().device_id)).await?;
        let key = tokio::task::spawn_blocking(move || Keyring::for_device(device_id)?.require())
            .await
            .map_err(|e| AppError::Internal(e.to_string()))??;
        self.with_kiosk(move |k, inner| {
            let text = {
                let now = k.clock().now();
                kiosk_sync::readmit::request(k, &key, now)
            }?
            .to_text();
            create_private_dir(&inner.reports_dir)?;
            let path = inner.reports_dir.join("readmit-request.txt");
            std::fs::write(&path, format!("{text}\n"))
                .map_err(|e| AppError::Export(format!("{}: {e}", path.display())))?;
            Ok(ReadmitView {
                text,
                path: path.display().to_string(),
            })
        })
        .await
    }

    // ------------------------------------------------------------ internals

    /// Takes the open kiosk out of the service: until it is put back or
    /// retired, no command can write to it (nothing new for the outbox).
    pub(crate) async fn take_kiosk(&self) -> Result<Kiosk> {
        self.blocking(|inner| lock(&inner.kiosk).take().ok_or(AppError::NotSetUp))
            .await
    }

    pub(crate) fn put_kiosk(&self, k: Kiosk) {
        *lock(&self.inner.kiosk) = Some(k);
        self.poke();
    }

    /// The centre freed this device: the sync loop and the print worker
    /// stop, the database (with its -wal, -shm and lock files) moves into
    /// `deregistered-<UTC time>/` in the data folder, kept, never deleted;
    /// the device key leaves the keyring and nobody is logged in, so the
    /// app is at set-up again. Returns the folder.
    pub(crate) async fn retire(&self, k: Kiosk) -> Result<PathBuf> {
        let device_id = k.identity().device_id;
        let svc = self.clone();
        let out = self
            .blocking(move |inner| {
                svc.shutdown();
                // Every connection closed before the files move (Windows
                // cannot move an open file).
                drop(k);
                let data = svc.data_dir();
                let stamp = inner.clock.now().format("%Y%m%dT%H%M%SZ").to_string();
                let mut dir = data.join(format!("deregistered-{stamp}"));
                let mut n = 1;
                while dir.exists() {
                    n += 1;
                    dir = data.join(format!("deregistered-{stamp}-{n}"));
                }
                create_private_dir(&dir)?;
                let io = |e: std::io::Error| AppError::Internal(format!("{}: {e}", data.display()));
                for entry in std::fs::read_dir(&data).map_err(io)? {
                    let entry = entry.map_err(io)?;
                    if entry.file_name().to_string_lossy().starts_with(DB_FILE) {
                        std::fs::rename(entry.path(), dir.join(entry.file_name())).map_err(io)?;
                    }
                }
                *lock(&inner.session) = None;
                *lock(&inner.sync_status) = None;
                *lock(&inner.recovery) = None;
                *lock(&inner.printer_live) = PrinterLive::default();
                lock(&inner.watched).clear();
                // Of no use any more: the centre refuses what it signs.
                if let Err(e) = Keyring::for_device(device_id).and_then(|r| r.delete()) {
                    tracing::warn!("the old device key stays in the keyring: {e}");
                }
                Ok(dir)
            })
            .await?;
        self.poke();
        Ok(out)
    }

    /// A wrong password the centre refused, counted here as a login's
    /// (the local lock applies offline too).
    pub(crate) async fn record_login_failure(&self, login: &str) -> Result<()> {
        let l = login.to_string();
        self.with_kiosk(move |k, _| {
            let now = k.clock().now();
            auth::record_failure(k.store_mut(), &l, now)
        })
        .await
    }

    /// The centre this kiosk talks to, or (not set up yet) the one given
    /// or preset.
    pub(crate) async fn centre_for(&self, given: Option<&str>) -> Result<String> {
        if lock(&self.inner.kiosk).is_some() {
            return self.centre_url().await;
        }
        given
            .map(str::trim)
            .filter(|u| !u.is_empty())
            .map(str::to_string)
            .or_else(|| self.inner.file.centre_url.clone())
            .ok_or(AppError::NotSetUp)
    }

    pub(crate) fn is_registered(&self) -> bool {
        self.registered()
    }

    /// The data folder (the database's, where `logs` is too).
    pub(crate) fn data_dir(&self) -> PathBuf {
        self.inner
            .db
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default()
    }

    /// The sync loop's last published status.
    pub(crate) fn sync_status_snapshot(&self) -> Option<SyncStatus> {
        lock(&self.inner.sync_status).clone()
    }

    /// The centre's token of an online login (memory only), so a support
    /// bundle can be checked for it.
    pub(crate) fn session_token(&self) -> Option<String> {
        lock(&self.inner.session)
            .as_ref()
            .and_then(|s| s.token.clone())
    }

    /// Wakes the sync loop after a new outbox entry.
    pub(crate) fn nudge_sync(&self) {
        if let Some(r) = lock(&self.inner.sync).as_ref() {
            r.handle.nudge();
        }
    }

    fn online(&self) -> bool {
        lock(&self.inner.sync_status)
            .as_ref()
            .is_some_and(|s| s.online)
    }

    /// Whether the centre answered just now, for online-only services:
    /// the kiosk is registered, its last sync round worked and the link is
    /// up (what [`SyncView::realtime`] shows).
    fn reach(&self) -> Reach {
        Reach::from_online(centre_answers(&self.inner))
    }

    async fn centre_url(&self) -> Result<String> {
        self.with_kiosk(|k, inner| {
            get_setting(k.store().conn(), kiosk_sync::cli::SERVER_URL_KEY)?
                .or_else(|| inner.file.centre_url.clone())
                .ok_or(AppError::NotSetUp)
        })
        .await
    }

    /// Starts the sync loop (when the device key is here) and the print
    /// worker.
    fn start_background(&self) -> Result<()> {
        let (device_id, url) = {
            let g = lock(&self.inner.kiosk);
            let k = g.as_ref().ok_or(AppError::NotSetUp)?;
            (
                k.identity().device_id,
                get_setting(k.store().conn(), kiosk_sync::cli::SERVER_URL_KEY)?,
            )
        };
        let Some(url) = url else { return Ok(()) };
        let ring = Keyring::for_device(device_id)?;
        let Some(key) = ring.load()? else {
            // Registered once but the key is gone (e.g. kept only in a
            // kernel keyring across a restart): set-up must run again.
            tracing::warn!("device key missing: registration needed");
            return Ok(());
        };
        if lock(&self.inner.worker).is_none() {
            let (w, events) = Worker::start(&self.inner.db, self.inner.print_opts.clone())?;
            *lock(&self.inner.worker) = Some(w);
            let weak = Arc::downgrade(&self.inner);
            std::thread::Builder::new()
                .name("kiosk-print-events".into())
                .spawn(move || print_events(weak, events))
                .map_err(|e| AppError::Internal(format!("print thread: {e}")))?;
        }
        let transport = HttpTransport::new(&url, key)?;
        let mut engine_kiosk = Kiosk::open(&self.inner.db, self.inner.clock.clone())?;
        // What the engine learns of the centre's time dates the counter's
        // receipts at once (one business clock for both connections).
        if let Some(k) = lock(&self.inner.kiosk).as_ref() {
            engine_kiosk.share_clock(k);
        }
        let clock = self.inner.clock.clone();
        let cfg = self.inner.sync_cfg.clone();
        let db = self.inner.db.clone();
        let weak = Arc::downgrade(&self.inner);
        let (htx, hrx) = channel();
        let thread = std::thread::Builder::new()
            .name("kiosk-sync".into())
            .spawn(move || {
                let rt = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(rt) => rt,
                    Err(e) => {
                        tracing::error!("sync runtime: {e}");
                        return;
                    }
                };
                rt.block_on(async move {
                    let mut engine =
                        Engine::new(engine_kiosk, transport, clock.clone()).with_config(cfg);
                    let _ = htx.send(engine.handle());
                    // One loop per database, even with a second app or a
                    // `kioskctl sync watch` running.
                    let _guard = loop {
                        match SyncLock::try_acquire(&db) {
                            Ok(g) => break g,
                            Err(_) => {
                                set_sync_status(&weak, |s| {
                                    s.last_error = Some(kiosk_sync::status::LastError {
                                        code: "sync.locked".into(),
                                        message: "another program is syncing this kiosk".into(),
                                        at: clock.now(),
                                    })
                                });
                                tokio::time::sleep(Duration::from_secs(5)).await;
                                if weak.upgrade().is_none() {
                                    return;
                                }
                            }
                        }
                    };
                    let mut rx = engine.status();
                    let w2 = weak.clone();
                    let fwd = tokio::spawn(async move {
                        loop {
                            let s = rx.borrow_and_update().clone();
                            set_sync_status(&w2, move |x| *x = s);
                            if rx.changed().await.is_err() {
                                break;
                            }
                        }
                    });
                    engine.run().await;
                    fwd.abort();
                });
            })
            .map_err(|e| AppError::Internal(format!("sync thread: {e}")))?;
        let handle = hrx
            .recv()
            .map_err(|_| AppError::Internal("the sync loop did not start".into()))?;
        *lock(&self.inner.sync) = Some(SyncRunner {
            handle,
            thread: Some(thread),
        });
        Ok(())
    }
}

impl Inner {
    /// The printer's state as the status bar shows it (the kiosk is the
    /// one in hand; the worker's live state is read here).
    pub(crate) fn printer_view(&self, k: &Kiosk) -> PrinterView {
        printer_view(Some(k), &lock(&self.printer_live))
    }

    /// Tells the print worker a job is due.
    pub(crate) fn wake_printer(&self) {
        if let Some(w) = lock(&self.worker).as_ref() {
            w.wake();
        }
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        if let Some(r) = self.sync.get_mut().ok().and_then(|s| s.take()) {
            r.handle.stop();
        }
    }
}

fn set_sync_status(weak: &std::sync::Weak<Inner>, f: impl FnOnce(&mut SyncStatus)) {
    if let Some(inner) = weak.upgrade() {
        let mut g = lock(&inner.sync_status);
        let s = g.get_or_insert_with(SyncStatus::default);
        f(s);
        drop(g);
        let _ = lock(&inner.poke).send(());
    }
}

fn print_events(weak: std::sync::Weak<Inner>, events: Receiver<JobEvent>) {
    while let Ok(ev) = events.recv() {
        let Some(inner) = weak.upgrade() else { return };
        {
            let mut p = lock(&inner.printer_live);
            match ev {
                JobEvent::Started { .. } => p.printing = true,
                JobEvent::Done { .. } => {
                    p.printing = false;
                    p.last_code = None;
                }
                JobEvent::Retrying { code, .. } | JobEvent::Failed { code, .. } => {
                    p.printing = false;
                    p.last_code = Some(code.to_string());
                }
            }
        }
        let _ = lock(&inner.poke).send(());
    }
}

fn receipt_mark(r: &ReceiptView) -> String {
    format!(
        "{}|{}",
        r.status,
        r.final_receipt_no.as_deref().unwrap_or("")
    )
}

/// Recomputes the status on every poke (and every 15 s, for ages and the
/// idle lock) and pushes what changed.
fn status_loop(weak: std::sync::Weak<Inner>, pokes: Receiver<()>) {
    loop {
        match pokes.recv_timeout(Duration::from_secs(15)) {
            Ok(()) | Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => return,
        }
        while pokes.try_recv().is_ok() {}
        let Some(inner) = weak.upgrade() else { return };
        // The engine may have installed a newer catalogue.
        let catalogue_changed = lock(&inner.kiosk)
            .as_mut()
            .map(|k| k.reload().unwrap_or(false))
            .unwrap_or(false);
        if catalogue_changed {
            (inner.sink)(Event::Catalogue);
        }
        let st = compute_status(&inner);
        let changed = lock(&inner.last_status).as_ref() != Some(&st);
        if changed {
            *lock(&inner.last_status) = Some(st.clone());
            (inner.sink)(Event::Status(st));
        }
        // Receipts on screen that moved (final number, rejection).
        let watched = lock(&inner.watched).clone();
        let mut moved = Vec::new();
        if let Some(k) = lock(&inner.kiosk).as_ref() {
            for (id, mark) in &watched {
                if let Ok(d) = k.receipt(id) {
                    let v = views::receipt(k, &d);
                    if &receipt_mark(&v) != mark {
                        moved.push(v);
                    }
                }
            }
        }
        for v in moved {
            {
                let mut w = lock(&inner.watched);
                if let Some(e) = w.iter_mut().find(|(id, _)| id == &v.id) {
                    e.1 = receipt_mark(&v);
                }
            }
            (inner.sink)(Event::Receipt(v));
        }
        // Idle lock, said to the window when it happens.
        let idle =
            Duration::from_secs(60 * inner.file.idle_lock_minutes.unwrap_or(10).max(1) as u64);
        let newly_locked = {
            let mut g = lock(&inner.session);
            match g.as_mut() {
                Some(s) if !s.locked && s.last_active.elapsed() > idle => {
                    s.locked = true;
                    true
                }
                _ => false,
            }
        };
        if newly_locked {
            (inner.sink)(Event::Locked);
        }
    }
}

/// See [`Service::reach`].
fn centre_answers(inner: &Inner) -> bool {
    let registered = lock(&inner.sync).is_some();
    let answers = lock(&inner.sync_status)
        .as_ref()
        .is_some_and(SyncStatus::centre_answers);
    registered && answers
}

fn compute_status(inner: &Inner) -> StatusView {
    let realtime = centre_answers(inner);
    let sync_s = lock(&inner.sync_status).clone();
    let registered = lock(&inner.sync).is_some();
    let g = lock(&inner.kiosk);
    let k = g.as_ref();
    let queue = k.and_then(|k| k.queue_stats().ok());
    let sync = match (&sync_s, registered) {
        (_, false) => SyncView {
            state: "not_registered".into(),
            pending: queue.as_ref().map_or(0, |q| q.unsent),
            held: 0,
            rejected: 0,
            oldest_pending_age_secs: None,
            last_sync_at: None,
            last_error_code: None,
            alerts: Vec::new(),
            realtime: false,
        },
        (s, true) => {
            let s = s.clone().unwrap_or_default();
            // The engine's own verdict (a refusal is an answer, so the
            // centre counts as reachable, yet nothing goes through).
            let state = match s.state.as_str() {
                codes::STATE_UP_TO_DATE | codes::STATE_SENDING => "online",
                codes::STATE_OFFLINE => "offline",
                codes::STATE_REFUSED => "refused",
                codes::STATE_STOPPED => "stopped",
                _ if s.online => "online",
                _ => "connecting",
            };
            SyncView {
                state: state.into(),
                // Always fresh from the database: a payment shows at once.
                pending: queue.as_ref().map_or(s.queue_len, |q| q.unsent),
                held: queue.as_ref().map_or(s.pending, |q| q.pending),
                rejected: s.rejected,
                oldest_pending_age_secs: queue
                    .as_ref()
                    .map_or(s.oldest_pending_age_secs, |q| q.oldest_unsent_age_secs),
                last_sync_at: s.last_pull_at.or(s.last_push_at).map(|t| t.to_rfc3339()),
                // An error is only news while nothing goes through.
                last_error_code: if state == "online" {
                    None
                } else {
                    s.last_error.map(|e| e.code)
                },
                alerts: alert_views(k),
                realtime,
            }
        }
    };
    let wallet = match k.map(|k| k.exposure()) {
        Some(Ok(e)) => WalletView {
            known: true,
            balance: e.balance.as_i64(),
            balance_as_of: Some(e.balance_as_of.to_rfc3339()),
            pending_debits: e.pending_amount.as_i64(),
            available: e.available.as_i64(),
            offline_count_left: (e.max_pending_count - e.pending_count).max(0),
            below_minimum: e.balance.as_i64() - e.pending_amount.as_i64() < WALLET_MINIMUM,
        },
        _ => WalletView {
            known: false,
            balance: 0,
            balance_as_of: None,
            pending_debits: 0,
            available: 0,
            offline_count_left: 0,
            below_minimum: false,
        },
    };
    let printer = printer_view(k, &lock(&inner.printer_live));
    let inactivity = k.and_then(|k| inactivity_view(k, k.clock().now()));
    let clock_offset_ms = k.map_or(0, |k| {
        let c = k.centre_clock();
        let ms = (c.now() - c.pc().now()).num_milliseconds();
        // Whole minutes: the screens' dates and times need no more, and a
        // steady figure does not make a new status every second.
        (ms + 30_000).div_euclid(60_000) * 60_000
    });
    drop(g);
    let operator = lock(&inner.session).as_ref().map(|s| s.login.clone());
    StatusView {
        sync,
        wallet,
        printer,
        operator,
        inactivity,
        clock_offset_ms,
    }
}

/// Days since the kiosk's last transaction, from its own ledger.
fn inactivity_view(k: &Kiosk, now: chrono::DateTime<chrono::Utc>) -> Option<InactivityView> {
    use domain::rules::{INACTIVITY_FINE, INACTIVITY_FINE_DAYS, INACTIVITY_WARN_DAYS};
    let last = k.last_activity().ok().flatten()?;
    Some(InactivityView {
        days: domain::rules::days_without_transaction(last.at, now),
        last_at: last.transaction.then(|| last.at.to_rfc3339()),
        warn_from_days: INACTIVITY_WARN_DAYS,
        fine_at_days: INACTIVITY_FINE_DAYS,
        fine: INACTIVITY_FINE.as_i64(),
    })
}

fn printer_view(k: Option<&Kiosk>, live: &PrinterLive) -> PrinterView {
    let Some(k) = k else {
        return PrinterView {
            state: "none".into(),
            uri: None,
            profile: None,
            queued: 0,
            failed: 0,
            last_error_code: None,
        };
    };
    let conn = k.store().conn();
    let choice = print_queue::jobs::configured_printer(conn).ok().flatten();
    let count = |state: &str| -> i64 {
        conn.query_row(
            "SELECT COUNT(*) FROM print_jobs WHERE state = ?1",
            [state],
            |r| r.get(0),
        )
        .unwrap_or(0)
    };
    let (queued, failed) = (count("queued") + count("printing"), count("failed"));
    let state = match (&choice, live.printing, live.last_code.as_deref()) {
        (None, _, _) => "none",
        (_, true, _) => "printing",
        (_, _, Some("print.paper_out")) => "paper_out",
        (_, _, Some("print.printer_offline" | "print_queue.io" | "print.interrupted")) => "offline",
        (_, _, Some(_)) => "error",
        _ => "ready",
    };
    PrinterView {
        state: state.into(),
        uri: choice.as_ref().map(|c| c.uri.clone()),
        profile: choice.map(|c| c.profile),
        queued,
        failed,
        last_error_code: live.last_code.clone(),
    }
}

fn catalogue_view(k: &Kiosk) -> Result<CatalogueView> {
    let cat = k.catalogue().ok_or(kiosk_core::CoreError::NoCatalogue)?;
    let favourites: Vec<String> = get_setting(k.store().conn(), FAVOURITES_KEY)?
        .and_then(|s| serde_json::from_str(&s).ok())
        .unwrap_or_default();
    Ok(views::catalogue(cat, &k.identity().district, favourites))
}

fn lang_str(l: Lang) -> &'static str {
    match l {
        Lang::En => "en",
        Lang::Hi => "hi",
    }
}

fn parse_lang(s: &str) -> Result<Lang> {
    match s {
        "en" => Ok(Lang::En),
        "hi" => Ok(Lang::Hi),
        other => Err(AppError::LangInvalid(other.chars().take(8).collect())),
    }
}

fn read_file_config(dir: &Path) -> Result<FileConfig> {
    let p = dir.join(CONFIG_FILE);
    match std::fs::read_to_string(&p) {
        Ok(text) => {
            toml::from_str(&text).map_err(|e| AppError::Internal(format!("{}: {e}", p.display())))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(FileConfig::default()),
        Err(e) => Err(AppError::Internal(format!("{}: {e}", p.display()))),
    }
}

/// The data folder holds citizens' data: only this user may read it.
fn create_private_dir(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir)
        .map_err(|e| AppError::Internal(format!("{}: {e}", dir.display())))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700));
    }
    Ok(())
}
