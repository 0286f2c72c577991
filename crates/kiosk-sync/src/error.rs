//! Sync errors, each with a stable dotted code the UI translates.

use domain::ErrorCode;

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// No answer: connect failed, reset, cut or timed out. What was sent is
    /// *unknown* (never "failed"): the next push settles it.
    #[error("the centre could not be reached: {0}")]
    Offline(String),
    #[error("the request timed out after {0:?}")]
    Timeout(std::time::Duration),
    /// The centre answered with an error body (`code` is the centre's own).
    #[error("the centre refused the request: {code}: {message}")]
    Server {
        status: u16,
        code: String,
        message: String,
        expected_seq: Option<u64>,
    },
    /// The centre expects a seq we cannot produce (it is ahead of a wiped
    /// kiosk, or behind a pruned outbox).
    #[error("the centre expects seq {expected}, the outbox starts at {have}")]
    Gap { expected: u64, have: u64 },
    #[error("unreadable answer from the centre: {0}")]
    Protocol(String),
    #[error(transparent)]
    Local(#[from] kiosk_core::CoreError),
    #[error("local store: {0}")]
    Store(#[from] kiosk_store::StoreError),
    #[error("another sync process holds the lock ({0})")]
    Locked(String),
    #[error("no device key in the keyring for device {0}")]
    KeyMissing(uuid::Uuid),
    #[error("keyring: {0}")]
    Keyring(String),
    #[error("configuration: {0}")]
    Config(String),
    /// Registration over plain http:// to another host.
    #[error(
        "refusing to send the holder's password in clear to {0}: use https:// (or, for a test centre on a closed network, --allow-insecure-http)"
    )]
    InsecureUrl(String),
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
}

impl ErrorCode for SyncError {
    /// The stable code. Errors the centre sent keep the centre's code.
    fn code(&self) -> &str {
        match self {
            SyncError::Offline(_) => "sync.offline",
            SyncError::Timeout(_) => "sync.timeout",
            SyncError::Server { code, .. } => code,
            SyncError::Gap { .. } => "sync.gap",
            SyncError::Protocol(_) => "sync.protocol",
            SyncError::Local(e) => e.code(),
            SyncError::Store(_) => "sync.store",
            SyncError::Locked(_) => "sync.locked",
            SyncError::KeyMissing(_) => "sync.key_missing",
            SyncError::Keyring(_) => "sync.keyring",
            SyncError::Config(_) => "sync.config",
            SyncError::InsecureUrl(_) => "sync.insecure_url",
            SyncError::Io(_) => "sync.io",
        }
    }
}

impl SyncError {
    /// The link, not the data, was at fault: probe and retry.
    pub fn is_transport(&self) -> bool {
        matches!(self, SyncError::Offline(_) | SyncError::Timeout(_))
    }

    /// Worth retrying later without anyone acting (5xx, rate limits, link).
    pub fn is_retryable(&self) -> bool {
        match self {
            SyncError::Offline(_) | SyncError::Timeout(_) | SyncError::Protocol(_) => true,
            SyncError::Server { status, .. } => *status >= 500 || *status == 429 || *status == 408,
            _ => false,
        }
    }
}

pub type Result<T, E = SyncError> = std::result::Result<T, E>;
