//! Fixtures the kiosk crates' tests share instead of each keeping a copy:
//!
//! - [`SAMPLE_CATALOGUE`] / [`sample_catalogue_path`]: `data/catalogue.sample.toml`;
//! - [`init_params`], [`roomy_wallet`], [`ready_kiosk`], [`Fixture`]: a real
//!   kiosk database (a SQLite file in a temporary folder) with the sample
//!   catalogue and room in the wallet;
//! - [`bill`], [`try_pay`], [`pay`]: counter payments through the core;
//! - [`cli::Cli`]: a kiosk CLI binary run as a process with `--json`.
//!
//! A dev-dependency only: nothing here ships.

use chrono::{DateTime, TimeZone, Utc};
use domain::{Clock, FixedClock, Paise};
use kiosk_core::{BillInput, Committed, InitParams, Kiosk, WalletSnapshot};
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub mod cli;

/// The sample catalogue (SAMPLE DATA), as text.
pub const SAMPLE_CATALOGUE: &str = include_str!("../../../data/catalogue.sample.toml");

/// The sample catalogue's file, for commands that read a path.
pub fn sample_catalogue_path() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../data/catalogue.sample.toml"
    ))
}

/// 2026-11-21 10:00 IST.
pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 21, 4, 30, 0).unwrap()
}

/// A kiosk in Jaipur, holder `holder` (Ramesh Kumar), device 1, cheques off.
pub fn init_params(kiosk_code: &str) -> InitParams {
    InitParams {
        kiosk_code: kiosk_code.into(),
        device_no: 1,
        district: "Jaipur".into(),
        kiosk_name: "Shree Ganesh e-Mitra".into(),
        holder_login: "holder".into(),
        holder_name: "Ramesh Kumar".into(),
        cheque_enabled: false,
    }
}

/// Wallet figures with plenty of room: ₹10,00,000 balance, ₹5,00,000 and
/// 1,000 payments may wait for sync, for a year.
pub fn roomy_wallet(as_of: DateTime<Utc>) -> WalletSnapshot {
    WalletSnapshot {
        balance: Paise::new(10_00_000_00),
        as_of,
        covers_seq: 0,
        max_pending_amount: Paise::new(5_00_000_00),
        max_pending_count: 1000,
        max_age_secs: 365 * 86400,
    }
}

/// Initialises the kiosk database at `db` with `params`, the sample
/// catalogue and [`roomy_wallet`] figures as of the clock's now.
pub fn ready_kiosk(db: &Path, params: &InitParams, clock: Arc<dyn Clock>) -> Kiosk {
    let mut k = Kiosk::init(db, params, clock.clone()).expect("kiosk init");
    k.import_catalogue_toml(SAMPLE_CATALOGUE)
        .expect("sample catalogue");
    k.apply_wallet_snapshot(&roomy_wallet(clock.now()))
        .expect("wallet figures");
    k
}

/// A ready kiosk in a temporary folder on a fixed clock at [`t0`].
pub struct Fixture {
    pub dir: tempfile::TempDir,
    pub db: PathBuf,
    pub clock: Arc<FixedClock>,
    pub kiosk: Kiosk,
}

impl Fixture {
    /// `params` as given (e.g. `init_params("K1001")` with cheques on).
    pub fn new(params: &InitParams) -> Fixture {
        let dir = tempfile::tempdir().expect("temporary folder");
        let db = dir.path().join("kiosk.db");
        let clock = Arc::new(FixedClock::new(t0()));
        let kiosk = ready_kiosk(&db, params, clock.clone());
        Fixture {
            dir,
            db,
            clock,
            kiosk,
        }
    }
}

/// One bill of `rupees` whole rupees.
pub fn bill(service: &str, consumer: &str, rupees: i64) -> BillInput {
    BillInput {
        service: service.into(),
        consumer_no: consumer.into(),
        amount: Paise::new(rupees * 100),
        consumer_name: None,
        bill_ref: None,
    }
}

/// Pays `bills` on one receipt from the wallet, as `operator`, the
/// consumer reachable at 9876543210.
pub fn try_pay(
    k: &mut Kiosk,
    bills: &[BillInput],
    operator: &str,
    confirm_duplicate: bool,
) -> kiosk_core::Result<Committed> {
    let mut d = k.start_cart();
    for b in bills {
        k.add_bill(&mut d, b)?;
    }
    k.set_contact(&mut d, Some("9876543210"), None)?;
    k.choose_wallet(&mut d);
    k.commit_payment(&d, operator, confirm_duplicate)
}

/// [`try_pay`] that must succeed.
pub fn pay(k: &mut Kiosk, bills: &[BillInput], operator: &str) -> Committed {
    try_pay(k, bills, operator, false).expect("payment")
}
