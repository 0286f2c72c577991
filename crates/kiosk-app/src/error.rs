//! Everything the service layer can refuse, each with a stable code (the
//! UI translates the code; [`crate::codes`] lists them all).

use chrono::{DateTime, Utc};

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

impl domain::ErrorCode for AppError {
    fn code(&self) -> &str {
        use AppError::*;
        match self {
            Core(e) => e.code(),
            Domain(e) => e.code(),
            Store(e) => e.code(),
            Queue(e) => e.code(),
            Print(e) => e.code(),
            Sync(e) => e.code(),
            Centre { code, .. } => code,
            Offline(_) => "centre.offline",
            UrlInvalid(_) => "centre.url_invalid",
            NotSetUp => "app.not_set_up",
            AlreadySetUp => "app.already_set_up",
            WrongKiosk { .. } => "register.wrong_kiosk",
            NotHolder => "register.not_holder",
            NewPasswordRequired => "register.new_password_required",
            NoSession => "session.none",
            Locked => "session.locked",
            PasswordChangeRequired => "session.password_change_required",
            HolderOnly => "session.holder_only",
            BadCredentials => "login.bad_credentials",
            LoginLocked { .. } => "login.locked",
            NoOfflineVerifier(_) => "login.no_offline_verifier",
            PasswordUnchanged => "password.unchanged",
            BillFetchRequired => "bill.fetch_required",
            AmountRequired => "amount.required",
            CartChanged => "cart.changed",
            ChequeDateInvalid => "cheque.date_invalid",
            LangInvalid(_) => "app.lang_invalid",
            DateInvalid(_) => "report.date_invalid",
            FilterInvalid(_) => "report.filter_invalid",
            Export(_) => "report.export_failed",
            AlertNotAcknowledgeable(_) => "alert.not_acknowledgeable",
            AlertNone(_) => "alert.none",
            NotSerial(_) => "printer.not_serial",
            AccountOnlineOnly => "account.online_only",
            OutboxNotEmpty(_) => "account.outbox_not_empty",
            OtpFormat => protocol::codes::OTP_FORMAT,
            Internal(_) => "app.internal",
        }
    }
}

impl AppError {
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
            code: domain::ErrorCode::code(self).to_string(),
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
