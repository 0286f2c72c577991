//! Single flight across processes: one sync loop per device database, even
//! if the app is started twice or `sync now` runs beside the app.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};

use crate::error::{Result, SyncError};

/// Held while syncing; the OS releases it if the process dies (kill -9
/// included), so a crash never leaves a stale lock behind.
#[derive(Debug)]
pub struct SyncLock {
    _file: File,
    path: PathBuf,
}

impl SyncLock {
    /// The lock file beside the database.
    pub fn path_for(db: &Path) -> PathBuf {
        let mut p = db.as_os_str().to_owned();
        p.push(".sync.lock");
        PathBuf::from(p)
    }

    /// Takes the lock or answers `sync.locked` at once.
    pub fn try_acquire(db: &Path) -> Result<SyncLock> {
        let path = Self::path_for(db);
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)?;
        match file.try_lock() {
            Ok(()) => Ok(SyncLock { _file: file, path }),
            Err(TryLockError::WouldBlock) => Err(SyncError::Locked(path.display().to_string())),
            Err(TryLockError::Error(e)) => Err(SyncError::Io(e)),
        }
    }

    /// Waits (blocking the calling thread) until the lock is free.
    pub fn acquire_blocking(db: &Path) -> Result<SyncLock> {
        let path = Self::path_for(db);
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)?;
        file.lock()?;
        Ok(SyncLock { _file: file, path })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}
