//! Errors with stable codes: the UI and the print queue match on
//! [`PrintError::code`], never on the message.

use thiserror::Error;

#[derive(Debug, Error)]
pub enum PrintError {
    #[error("printer profile {profile}: {field}: {reason}")]
    ProfileInvalid {
        profile: String,
        field: String,
        reason: String,
    },
    #[error("no printer profile named {0}")]
    ProfileUnknown(String),
    #[error("cannot read printer profile {path}: {reason}")]
    ProfileUnreadable { path: String, reason: String },
    #[error("printer URI {uri}: {reason}")]
    UriInvalid { uri: String, reason: String },
    #[error("printer {target} is offline: {reason}")]
    PrinterOffline { target: String, reason: String },
    #[error("printer {target} reports paper out")]
    PaperOut { target: String },
    #[error("printer {target} stopped mid-job after {written} of {total} bytes: {reason}")]
    Interrupted {
        target: String,
        written: usize,
        total: usize,
        reason: String,
    },
    #[error("spooler: {0}")]
    Spooler(String),
    #[error("this profile cannot print {0}")]
    Unsupported(String),
    #[error("font: {0}")]
    Font(String),
    #[error("byte stream: {0}")]
    Stream(String),
    #[error("encoder: {0}")]
    Encoder(String),
}

/// Stable code for the UI and the queue's `last_error_code`.
impl domain::ErrorCode for PrintError {
    fn code(&self) -> &str {
        match self {
            PrintError::ProfileInvalid { .. } => "print.profile_invalid",
            PrintError::ProfileUnknown(_) => "print.profile_unknown",
            PrintError::ProfileUnreadable { .. } => "print.profile_unreadable",
            PrintError::UriInvalid { .. } => "print.uri_invalid",
            PrintError::PrinterOffline { .. } => "print.printer_offline",
            PrintError::PaperOut { .. } => "print.paper_out",
            PrintError::Interrupted { .. } => "print.interrupted",
            PrintError::Spooler(_) => "print.spooler",
            PrintError::Unsupported(_) => "print.unsupported",
            PrintError::Font(_) => "print.font",
            PrintError::Stream(_) => "print.stream_invalid",
            PrintError::Encoder(_) => "print.encoder",
        }
    }
}

impl PrintError {
    /// Whether trying again later can succeed (the printer may come back).
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            PrintError::PrinterOffline { .. }
                | PrintError::PaperOut { .. }
                | PrintError::Interrupted { .. }
                | PrintError::Spooler(_)
        )
    }
}

pub type Result<T, E = PrintError> = std::result::Result<T, E>;
