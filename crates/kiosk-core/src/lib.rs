//! The counter's use cases over the kiosk store, with an injected clock.
//!
//! One [`Kiosk`] per open database. The desktop app, the headless CLI and
//! the tests all drive this same API. Every refusal is a [`CoreError`] with
//! a stable code, and a refused call leaves the database untouched: all
//! checks run inside the write transaction, before the first write, and any
//! error rolls the transaction back.
//!
//! Layout: [`pay`] (cart, duplicates, exposure, commit), [`cancel`],
//! [`reports`] (search, totals), [`sync`] (outbox reading, outcomes, wallet
//! snapshot, catalogue replacement, chain verification), [`tickets`]
//! (helpdesk tickets through the outbox, and the centre's replies),
//! [`users`] (the centre's list of users, the holder's changes to it),
//! [`refills`] (wallet refill requests through the outbox, their state from
//! the centre, the security deposit's dues).

#[doc(hidden)]
pub mod bench_util;
pub mod bills;
pub mod cancel;
pub mod centre_clock;
mod error;
pub mod ledger;
pub mod pay;
pub mod refills;
pub mod reports;
pub mod sync;
pub mod tickets;
pub mod users;

pub use bills::FetchedBill;
pub use cancel::Cancelled;
pub use centre_clock::CentreClock;
pub use error::{CoreError, Result};
pub use ledger::{LedgerApplied, StatementLine, WalletStatement};
pub use pay::{BillInput, ChequeInput, Committed, Draft, DuplicateHit, Exposure, Reach};
pub use refills::{DuesRecord, RefillInput, RefillRecord, RefillRequested, RefillUpdatesApplied};
pub use reports::{
    CommissionRow, Period, QueryTotals, ReceiptDetail, ReceiptLineRow, ReceiptPage, ReceiptQuery,
    ReceiptSort, ReceiptStatus, ReceiptSummary, ServiceTotals, SortColumn, Totals,
};
pub use sync::{
    Answer, AnswersApplied, ChainReport, OutboxRecord, Outcome, OutcomeChange, QueueStats,
    ReceiptSyncNotes, WalletSnapshot,
};
pub use tickets::{
    RaisedTicket, TicketInput, TicketRecord, TicketRepliesApplied, TicketReplyRecord,
};
pub use users::{NewUser, UserChangeRecord, UserRecord, UsersApplied};

use domain::{Catalogue, Clock, DeviceNo, KioskCode};
use kiosk_store::rusqlite;
use kiosk_store::{Store, get_setting, set_setting, ts};
use rusqlite::OptionalExtension;
use serde::Serialize;
use std::path::Path;
use std::sync::Arc;
use uuid::Uuid;

/// Who this kiosk and device are (settings written by `init`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Identity {
    pub kiosk_code: KioskCode,
    pub device_no: DeviceNo,
    /// The outbox's device id: fixed for the life of the database.
    pub device_id: Uuid,
    pub district: String,
    pub kiosk_name: String,
    /// Cheque acceptance (enabled per kiosk after one-time approval).
    pub cheque_enabled: bool,
}

#[derive(Debug, Clone)]
pub struct InitParams {
    pub kiosk_code: String,
    pub device_no: u16,
    pub district: String,
    pub kiosk_name: String,
    /// The kiosk holder's login, made the first operator (role holder).
    pub holder_login: String,
    pub holder_name: String,
    pub cheque_enabled: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Operator {
    pub login: String,
    pub name: String,
    pub role: String,
    pub active: bool,
}

pub struct Kiosk {
    store: Store,
    /// The business clock: this PC's corrected to the centre's.
    clock: Arc<CentreClock>,
    identity: Identity,
    catalogue: Option<Catalogue>,
}

impl std::fmt::Debug for Kiosk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Kiosk")
            .field("store", &self.store)
            .field("identity", &self.identity)
            .finish()
    }
}

impl Kiosk {
    /// Creates the kiosk in a new (or empty) database.
    pub fn init(path: impl AsRef<Path>, p: &InitParams, clock: Arc<dyn Clock>) -> Result<Kiosk> {
        let kiosk_code = KioskCode::parse(&p.kiosk_code)?;
        let device_no = DeviceNo::new(p.device_no)?;
        let district = domain::error::clean_text("district", &p.district, 60)?;
        if district.is_empty() {
            return Err(CoreError::DistrictRequired);
        }
        let kiosk_name = domain::error::clean_text("kiosk_name", &p.kiosk_name, 100)?;
        if kiosk_name.is_empty() {
            return Err(CoreError::KioskNameRequired);
        }
        let holder_login = check_login(&p.holder_login)?;
        let holder_name = domain::error::clean_text("operator_name", &p.holder_name, 100)?;
        let mut store = Store::open(path)?;
        let now = clock.now();
        let device_id = domain::new_id(clock.as_ref());
        store.write(|tx| -> Result<()> {
            if let Some(k) = get_setting(tx, "kiosk_code")? {
                return Err(CoreError::AlreadyInitialised(k));
            }
            for (k, v) in [
                ("kiosk_code", kiosk_code.as_str().to_string()),
                ("device_no", device_no.get().to_string()),
                ("device_id", device_id.to_string()),
                ("district", district.clone()),
                ("kiosk_name", kiosk_name.clone()),
                ("cheque_enabled", bool_str(p.cheque_enabled).into()),
                ("initialised_at", ts(now)),
            ] {
                set_setting(tx, k, &v)?;
            }
            tx.execute(
                "INSERT INTO operators (login, name, role, active, created_at) VALUES (?1, ?2, 'holder', 1, ?3)",
                rusqlite::params![holder_login, holder_name, ts(now)],
            )?;
            Ok(())
        })?;
        Self::from_store(store, clock)
    }

    /// Opens an initialised kiosk database (integrity check and upgrade
    /// included).
    pub fn open(path: impl AsRef<Path>, clock: Arc<dyn Clock>) -> Result<Kiosk> {
        let store = Store::open(path)?;
        Self::from_store(store, clock)
    }

    /// Opens an initialised kiosk database that must already exist: a
    /// missing file is refused (`store.not_found`) instead of created.
    pub fn open_existing(path: impl AsRef<Path>, clock: Arc<dyn Clock>) -> Result<Kiosk> {
        let store = Store::open_existing(path)?;
        Self::from_store(store, clock)
    }

    /// Wraps an already open store.
    pub fn from_store(store: Store, clock: Arc<dyn Clock>) -> Result<Kiosk> {
        let identity = load_identity(&store)?;
        let catalogue = load_catalogue(&store)?;
        let offset = sync::stored_centre_offset(&store)?;
        Ok(Kiosk {
            store,
            clock: Arc::new(CentreClock::new(clock, offset)),
            identity,
            catalogue,
        })
    }

    pub fn identity(&self) -> &Identity {
        &self.identity
    }

    /// The kiosk's business clock: the centre's time as this kiosk
    /// knows it ([`centre_clock`]). Everything the kiosk records is dated
    /// by it.
    pub fn clock(&self) -> &dyn Clock {
        self.clock.as_ref()
    }

    /// The business clock itself, to share with another connection to the
    /// same kiosk in this process ([`Kiosk::share_clock`]).
    pub fn centre_clock(&self) -> &Arc<CentreClock> {
        &self.clock
    }

    /// Uses `other`'s business clock, so that what one connection learns
    /// of the centre's time (the sync engine's) dates the other's records
    /// (the counter's) at once.
    pub fn share_clock(&mut self, other: &Kiosk) {
        self.clock = other.clock.clone();
    }

    /// The store underneath, for crates that build on it (print queue,
    /// sync client): read with `store().conn()`, write with
    /// `store_mut().write(|tx| ...)`.
    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn store_mut(&mut self) -> &mut Store {
        &mut self.store
    }

    pub fn into_store(self) -> Store {
        self.store
    }

    /// Reads identity and catalogue again, after another connection (the
    /// sync engine, registration) changed them. True when the catalogue
    /// version changed.
    pub fn reload(&mut self) -> Result<bool> {
        let before = self.catalogue.as_ref().map(|c| c.version);
        self.identity = load_identity(&self.store)?;
        self.catalogue = load_catalogue(&self.store)?;
        Ok(self.catalogue.as_ref().map(|c| c.version) != before)
    }

    /// The catalogue in use, if any.
    pub fn catalogue(&self) -> Option<&Catalogue> {
        self.catalogue.as_ref()
    }

    pub(crate) fn catalogue_or_err(&self) -> Result<&Catalogue> {
        self.catalogue.as_ref().ok_or(CoreError::NoCatalogue)
    }

    /// Imports a catalogue file (TOML); same rule as [`Kiosk::replace_catalogue`].
    pub fn import_catalogue_toml(&mut self, text: &str) -> Result<&Catalogue> {
        let c = Catalogue::from_toml(text)?;
        self.replace_catalogue(c)
    }

    /// Replaces the cached catalogue. A version older than the one in use is
    /// refused (`catalogue.older`); the same version is re-applied.
    pub fn replace_catalogue(&mut self, c: Catalogue) -> Result<&Catalogue> {
        c.validate()?;
        let body = serde_json::to_string(&c).expect("a catalogue serialises");
        let now = ts(self.clock.now());
        self.store.write(|tx| -> Result<()> {
            let have: Option<u32> = tx
                .query_row("SELECT version FROM catalogue WHERE id = 1", [], |r| {
                    r.get(0)
                })
                .optional()?;
            if let Some(have) = have
                && c.version < have
            {
                return Err(CoreError::CatalogueOlder {
                    have,
                    got: c.version,
                });
            }
            tx.execute(
                "INSERT INTO catalogue (id, version, sample, body, imported_at) VALUES (1, ?1, ?2, ?3, ?4)
                 ON CONFLICT (id) DO UPDATE SET version = excluded.version, sample = excluded.sample,
                   body = excluded.body, imported_at = excluded.imported_at",
                rusqlite::params![c.version, c.sample, body, now],
            )?;
            Ok(())
        })?;
        self.catalogue = Some(c);
        Ok(self.catalogue.as_ref().expect("just set"))
    }

    /// Whether the centre may still name this device
    /// ([`Kiosk::assign_device`]): only before the first outbox entry,
    /// because the device id is part of every chained hash. Registration
    /// checks this before it asks the centre for anything, so a refused
    /// registration uses up no device slot at the centre.
    pub fn check_device_assignable(&self) -> Result<()> {
        let n: i64 = self
            .store
            .conn()
            .query_row("SELECT COUNT(*) FROM outbox", [], |r| r.get(0))?;
        if n > 0 {
            return Err(CoreError::DeviceIdFixed(n));
        }
        Ok(())
    }

    /// Adopts the device id and number the centre gave at registration.
    /// The only way the outbox's device id changes after [`Kiosk::init`];
    /// refused (`kiosk.device_id_fixed`) once the outbox has an entry.
    pub fn assign_device(&mut self, device_id: Uuid, device_no: u16) -> Result<()> {
        let device_no = DeviceNo::new(device_no)?;
        self.store.write(|tx| -> Result<()> {
            let n: i64 = tx.query_row("SELECT COUNT(*) FROM outbox", [], |r| r.get(0))?;
            if n > 0 {
                return Err(CoreError::DeviceIdFixed(n));
            }
            set_setting(tx, "device_id", &device_id.to_string())?;
            set_setting(tx, "device_no", &device_no.get().to_string())?;
            Ok(())
        })?;
        self.identity.device_id = device_id;
        self.identity.device_no = device_no;
        Ok(())
    }

    /// Turns cheque acceptance on or off for this kiosk.
    pub fn set_cheque_enabled(&mut self, on: bool) -> Result<()> {
        self.store
            .write(|tx| -> Result<()> { Ok(set_setting(tx, "cheque_enabled", bool_str(on))?) })?;
        self.identity.cheque_enabled = on;
        Ok(())
    }

    pub fn add_operator(&mut self, login: &str, name: &str, role: &str) -> Result<Operator> {
        let login = check_login(login)?;
        let name = domain::error::clean_text("operator_name", name, 100)?;
        if domain::Role::parse(role).is_none() {
            return Err(CoreError::OperatorRoleInvalid(
                role.chars().take(32).collect(),
            ));
        }
        let now = ts(self.clock.now());
        self.store.write(|tx| -> Result<()> {
            let n = tx.execute(
                "INSERT INTO operators (login, name, role, active, created_at) VALUES (?1, ?2, ?3, 1, ?4)
                 ON CONFLICT (login) DO NOTHING",
                rusqlite::params![login, name, role, now],
            )?;
            if n == 0 {
                return Err(CoreError::OperatorExists(login.clone()));
            }
            Ok(())
        })?;
        Ok(Operator {
            login,
            name,
            role: role.to_string(),
            active: true,
        })
    }

    pub fn set_operator_active(&mut self, login: &str, active: bool) -> Result<()> {
        self.store.write(|tx| -> Result<()> {
            let n = tx.execute(
                "UPDATE operators SET active = ?2 WHERE login = ?1",
                rusqlite::params![login, active],
            )?;
            if n == 0 {
                return Err(CoreError::OperatorUnknown(login.chars().take(32).collect()));
            }
            Ok(())
        })
    }

    pub fn operators(&self) -> Result<Vec<Operator>> {
        let mut stmt = self
            .store
            .conn()
            .prepare("SELECT login, name, role, active FROM operators ORDER BY login")?;
        let rows = stmt
            .query_map([], |r| {
                Ok(Operator {
                    login: r.get(0)?,
                    name: r.get(1)?,
                    role: r.get(2)?,
                    active: r.get(3)?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }
}

fn bool_str(b: bool) -> &'static str {
    if b { "true" } else { "false" }
}

pub(crate) fn check_login(s: &str) -> Result<String> {
    let t = s.trim();
    if domain::login_ok(t) {
        Ok(t.to_string())
    } else {
        Err(CoreError::OperatorLoginInvalid(
            s.chars().take(32).collect(),
        ))
    }
}

fn load_identity(store: &Store) -> Result<Identity> {
    let c = store.conn();
    let Some(code) = get_setting(c, "kiosk_code")? else {
        return Err(CoreError::NotInitialised);
    };
    let get = |k: &str| -> Result<String> {
        get_setting(c, k)?.ok_or_else(|| {
            CoreError::Store(kiosk_store::StoreError::Invalid(format!(
                "setting {k} is missing"
            )))
        })
    };
    let bad = |k: &str| {
        CoreError::Store(kiosk_store::StoreError::Invalid(format!(
            "setting {k} is invalid"
        )))
    };
    Ok(Identity {
        kiosk_code: KioskCode::parse(&code)?,
        device_no: DeviceNo::new(get("device_no")?.parse().map_err(|_| bad("device_no"))?)?,
        device_id: get("device_id")?.parse().map_err(|_| bad("device_id"))?,
        district: get("district")?,
        kiosk_name: get("kiosk_name")?,
        cheque_enabled: get("cheque_enabled")? == "true",
    })
}

fn load_catalogue(store: &Store) -> Result<Option<Catalogue>> {
    let body: Option<String> = store
        .conn()
        .query_row("SELECT body FROM catalogue WHERE id = 1", [], |r| r.get(0))
        .optional()?;
    match body {
        None => Ok(None),
        Some(b) => {
            let c: Catalogue = serde_json::from_str(&b).map_err(|e| {
                CoreError::Store(kiosk_store::StoreError::Invalid(format!(
                    "cached catalogue: {e}"
                )))
            })?;
            Ok(Some(c))
        }
    }
}
