use domain::ErrorCode;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "the database is damaged ({0}); restore the newest backup (kioskctl restore) and let the kiosk sync"
    )]
    Corrupt(String),
    #[error(
        "the database has schema version {db}, newer than this program knows ({binary}); install the newer program"
    )]
    SchemaTooNew { db: u32, binary: u32 },
    #[error(
        "migration {version} ({name}) was changed after it was applied; migrations are append-only"
    )]
    MigrationEdited { version: u32, name: String },
    #[error("migration {version} failed: {source}")]
    MigrationFailed {
        version: u32,
        source: rusqlite::Error,
    },
    #[error("the database is busy (another program holds its lock)")]
    Busy,
    #[error("no database at {0}")]
    NotFound(PathBuf),
    #[error("no usable backup in {0}")]
    NoBackup(PathBuf),
    #[error("backup {path} is not usable: {reason}")]
    BackupInvalid { path: PathBuf, reason: String },
    #[error("file error on {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("invalid store request: {0}")]
    Invalid(String),
    #[error("database error: {0}")]
    Sqlite(rusqlite::Error),
}

impl ErrorCode for StoreError {
    fn code(&self) -> &str {
        match self {
            StoreError::Corrupt(_) => "store.corrupt",
            StoreError::SchemaTooNew { .. } => "store.schema_too_new",
            StoreError::MigrationEdited { .. } => "store.migration_edited",
            StoreError::MigrationFailed { .. } => "store.migration_failed",
            StoreError::Busy => "store.busy",
            StoreError::NotFound(_) => "store.not_found",
            StoreError::NoBackup(_) => "store.no_backup",
            StoreError::BackupInvalid { .. } => "store.backup_invalid",
            StoreError::Io { .. } => "store.io",
            StoreError::Invalid(_) => "store.invalid",
            StoreError::Sqlite(_) => "store.sqlite",
        }
    }
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        StoreError::classify(e, Path::new(""))
    }
}

impl StoreError {
    /// Maps SQLite's result codes to the ones a caller must act on.
    pub(crate) fn classify(e: rusqlite::Error, _path: &Path) -> StoreError {
        use rusqlite::ffi::ErrorCode as C;
        match e.sqlite_error_code() {
            Some(C::DatabaseBusy) | Some(C::DatabaseLocked) => StoreError::Busy,
            Some(C::NotADatabase) | Some(C::DatabaseCorrupt) => StoreError::Corrupt(e.to_string()),
            _ => StoreError::Sqlite(e),
        }
    }

    pub(crate) fn io(path: &Path, source: std::io::Error) -> StoreError {
        StoreError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}
