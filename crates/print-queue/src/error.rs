use domain::ErrorCode;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum QueueError {
    #[error(transparent)]
    Print(#[from] print::PrintError),
    #[error(transparent)]
    Core(#[from] kiosk_core::CoreError),
    #[error(transparent)]
    Store(#[from] kiosk_store::StoreError),
    #[error(transparent)]
    Domain(#[from] domain::DomainError),
    #[error("database: {0}")]
    Sql(#[from] kiosk_store::rusqlite::Error),
    #[error("no print job {0}")]
    JobUnknown(String),
    #[error("print job {id} is {state}: only queued or failed jobs can be cancelled")]
    NotCancellable { id: String, state: String },
    #[error("receipt {0} has no failed print to retry (print it again to get a duplicate copy)")]
    NothingToRetry(String),
    #[error("receipt {0} is cancelled and is not printed")]
    ReceiptCancelled(String),
    #[error("no receipt printer set: pass --to and --profile, or `print use`")]
    NoPrinter,
    #[error("{columns} columns does not fit printer profile {profile} (32 to {max})")]
    ColumnsInvalid {
        columns: String,
        profile: String,
        max: u16,
    },
    #[error("print job {id} failed: {code}: {message}")]
    JobFailed {
        id: String,
        code: String,
        message: String,
    },
    #[error("io: {0}")]
    Io(#[from] std::io::Error),
}

impl ErrorCode for QueueError {
    fn code(&self) -> &str {
        match self {
            QueueError::Print(e) => e.code(),
            QueueError::Core(e) => e.code(),
            QueueError::Store(e) => e.code(),
            QueueError::Domain(e) => e.code(),
            QueueError::Sql(_) => "print_queue.database",
            QueueError::JobUnknown(_) => "print_queue.job_unknown",
            QueueError::NotCancellable { .. } => "print_queue.not_cancellable",
            QueueError::NothingToRetry(_) => "print_queue.nothing_to_retry",
            QueueError::ReceiptCancelled(_) => "print_queue.receipt_cancelled",
            QueueError::NoPrinter => "print_queue.no_printer",
            QueueError::ColumnsInvalid { .. } => "print_queue.columns_invalid",
            QueueError::JobFailed { .. } => "print_queue.job_failed",
            QueueError::Io(_) => "print_queue.io",
        }
    }
}

pub type Result<T, E = QueueError> = std::result::Result<T, E>;
