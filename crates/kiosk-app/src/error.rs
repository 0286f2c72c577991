//! Everything the service layer can refuse, each with a stable code (the
//! UI translates the code; [`crate::codes`] lists them all).

use chrono::{DateTime, Utc};
use domain::ErrorCode;

use crate::api::ApiError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error(transparent)]
    Core(#[from] kiosk_core::CoreError),
    #[error(transparent)]
    Domain(#[from] domain::DomainError),
    #[error(transparent)]
    Store(#[from] kiosk_store::StoreError),
    #[error(transparent)]
    Queue(#[from] print_queue::QueueError),
    #[error(transparent)]
    Print(#[from] print::PrintError),
    #[error(transparent)]
    Sync(#[from] kiosk_sync::error::SyncError),
    /// The centre answered with a refusal of its own (its stable code).
    #[error("{message}")]
    Centre { code: String, message: String },
    #[error("the centre cannot be reached: {0}")]
    Offline(String),
    #[error("the centre's address is not valid: {0}")]
    UrlInvalid(String),
    #[error("this kiosk is not registered with the centre yet")]
    NotSetUp,
    #[error("this kiosk is registered already")]
    AlreadySetUp,
    #[error("the login {login} belongs to kiosk {kiosk}, not {typed}")]
    WrongKiosk {
        login: String,
        kiosk: String,
        typed: String,
    },
    #[error("only the kiosk holder can register the kiosk")]
    NotHolder,
    #[error("the centre asks for a new password before the first use")]
    NewPasswordRequired,
    #[error("log in first")]
    NoSession,
    #[error("the screen is locked: log in again")]
    Locked,
    #[error("the first password must be changed before anything else")]
    PasswordChangeRequired,
    #[error("the holder does this, not an operator")]
    HolderOnly,
    #[error("wrong login or password")]
    BadCredentials,
    #[error("too many wrong passwords: this login is locked until {until}")]
    LoginLocked { until: DateTime<Utc> },
    #[error("{0} has not logged in online on this kiosk yet: the first login needs the centre")]
    NoOfflineVerifier(String),
    #[error("the new password is the same as the old one")]
    PasswordUnchanged,
    #[error("this service needs Get Bill Details first")]
    BillFetchRequired,
    #[error("enter the bill amount")]
    AmountRequired,
    #[error("the cart changed since it was shown: look at it again before Pay")]
    CartChanged,
    #[error("the cheque date must be a date (YYYY-MM-DD)")]
    ChequeDateInvalid,
    #[error("the language {0} is not offered")]
    LangInvalid(String),
    #[error("{0} is not a date (YYYY-MM-DD)")]
    DateInvalid(String),
    #[error("the report cannot be made: {0}")]
    FilterInvalid(&'static str),
    #[error("the file could not be written: {0}")]
    Export(String),
    #[error("the alert {0} clears by itself once its cause is fixed")]
    AlertNotAcknowledgeable(String),
    #[error("no alert {0} is raised")]
    AlertNone(String),
    #[error("serial settings are for a printer on a serial port (serial:…), not {0}")]
    NotSerial(String),
    #[error("this needs the centre, which cannot be reached now")]
    AccountOnlineOnly,
    #[error("{0} entries have not reached the centre yet: sync first")]
    OutboxNotEmpty(i64),
    #[error("the code is six digits")]
    OtpFormat,
    #[error("{0}")]
    Internal(String),
}

pub type Result<T, E = AppError> = std::result::Result<T, E>;

impl AppError {
    pub fn code(&self) -> String {
        use AppError::*;
        match self {
            Core(e) => e.code().into(),
            Domain(e) => e.code().into(),
            Store(e) => e.code().into(),
            Queue(e) => e.code().into(),
            Print(e) => e.code().into(),
            Sync(e) => e.code(),
            Centre { code, .. } => code.clone(),
            Offline(_) => "centre.offline".into(),
            UrlInvalid(_) => "centre.url_invalid".into(),
            NotSetUp => "app.not_set_up".into(),
            AlreadySetUp => "app.already_set_up".into(),
            WrongKiosk { .. } => "register.wrong_kiosk".into(),
            NotHolder => "register.not_holder".into(),
            NewPasswordRequired => "register.new_password_required".into(),
            NoSession => "session.none".into(),
            Locked => "session.locked".into(),
            PasswordChangeRequired => "session.password_change_required".into(),
            HolderOnly => "session.holder_only".into(),
            BadCredentials => "login.bad_credentials".into(),
            LoginLocked { .. } => "login.locked".into(),
            NoOfflineVerifier(_) => "login.no_offline_verifier".into(),
            PasswordUnchanged => "password.unchanged".into(),
            BillFetchRequired => "bill.fetch_required".into(),
            AmountRequired => "amount.required".into(),
            CartChanged => "cart.changed".into(),
            ChequeDateInvalid => "cheque.date_invalid".into(),
            LangInvalid(_) => "app.lang_invalid".into(),
            DateInvalid(_) => "report.date_invalid".into(),
            FilterInvalid(_) => "report.filter_invalid".into(),
            Export(_) => "report.export_failed".into(),
            AlertNotAcknowledgeable(_) => "alert.not_acknowledgeable".into(),
            AlertNone(_) => "alert.none".into(),
            NotSerial(_) => "printer.not_serial".into(),
            AccountOnlineOnly => "account.online_only".into(),
            OutboxNotEmpty(_) => "account.outbox_not_empty".into(),
            OtpFormat => protocol::codes::OTP_FORMAT.into(),
            Internal(_) => "app.internal".into(),
        }
    }

    fn details(&self) -> Option<serde_json::Value> {
        match self {
            AppError::Core(kiosk_core::CoreError::DuplicateUnconfirmed(hits)) => Some(
                serde_json::json!({ "duplicates": hits.iter().map(crate::views::duplicate_local).collect::<Vec<_>>() }),
            ),
            AppError::LoginLocked { until } => Some(serde_json::json!({ "until": until })),
            AppError::WrongKiosk { kiosk, .. } => Some(serde_json::json!({ "kiosk": kiosk })),
            AppError::OutboxNotEmpty(n) => Some(serde_json::json!({ "pending": n })),
            _ => None,
        }
    }

    pub fn to_api(&self) -> ApiError {
        ApiError {
            code: self.code(),
            message: self.to_string(),
            details: self.details(),
        }
    }
}

impl From<kiosk_store::rusqlite::Error> for AppError {
    fn from(e: kiosk_store::rusqlite::Error) -> Self {
        AppError::Store(e.into())
    }
}
