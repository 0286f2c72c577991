//! Rotating backups with `VACUUM INTO`, and restore from the newest good one.

use crate::{Store, StoreError};
use chrono::{DateTime, Utc};
use rusqlite::Connection;
use std::fs;
use std::path::{Path, PathBuf};

const PREFIX: &str = "kiosk-";
const SUFFIX: &str = ".db";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupInfo {
    pub path: PathBuf,
    pub bytes: u64,
}

/// Backups in `dir`, newest first. The name carries the UTC time to the
/// millisecond, so name order is time order.
pub fn list_backups(dir: &Path) -> Result<Vec<BackupInfo>, StoreError> {
    let rd = match fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(vec![]),
        Err(e) => return Err(StoreError::io(dir, e)),
    };
    let mut out = Vec::new();
    for ent in rd {
        let ent = ent.map_err(|e| StoreError::io(dir, e))?;
        let name = ent.file_name().to_string_lossy().into_owned();
        if name.starts_with(PREFIX) && name.ends_with(SUFFIX) {
            let bytes = ent.metadata().map(|m| m.len()).unwrap_or(0);
            out.push(BackupInfo {
                path: ent.path(),
                bytes,
            });
        }
    }
    out.sort_by(|a, b| b.path.cmp(&a.path));
    Ok(out)
}

pub(crate) fn backup(
    conn: &Connection,
    dir: &Path,
    keep: usize,
    now: DateTime<Utc>,
) -> Result<PathBuf, StoreError> {
    if keep == 0 {
        return Err(StoreError::Invalid("keep at least one backup".into()));
    }
    crate::private::create_dir(dir).map_err(|e| StoreError::io(dir, e))?;
    let stamp = now.format("%Y%m%dT%H%M%S%3fZ").to_string();
    let mut path = dir.join(format!("{PREFIX}{stamp}{SUFFIX}"));
    let mut n = 1;
    while path.exists() {
        path = dir.join(format!("{PREFIX}{stamp}-{n:03}{SUFFIX}"));
        n += 1;
    }
    // Written under a temporary name and renamed, so a power cut never
    // leaves a half backup that looks like the newest good one.
    let tmp = dir.join(format!(".tmp-{stamp}-{}", std::process::id()));
    let _ = fs::remove_file(&tmp);
    // VACUUM INTO writes into an empty file as it finds it: made 0600 here,
    // the copy is never readable by others.
    drop(crate::private::create_file(&tmp, true).map_err(|e| StoreError::io(&tmp, e))?);
    let target = tmp
        .to_str()
        .ok_or_else(|| StoreError::Invalid("backup path is not UTF-8".into()))?;
    conn.execute("VACUUM INTO ?1", [target])?;
    fsync_file(&tmp)?;
    fs::rename(&tmp, &path).map_err(|e| StoreError::io(&path, e))?;
    fsync_dir(dir);
    for (i, b) in list_backups(dir)?.into_iter().enumerate() {
        if i < keep {
            // Ones an older version wrote world-readable are narrowed.
            crate::private::narrow_file(&b.path).map_err(|e| StoreError::io(&b.path, e))?;
        } else {
            fs::remove_file(&b.path).map_err(|e| StoreError::io(&b.path, e))?;
        }
    }
    Ok(path)
}

/// Checks that a backup opens and passes the full integrity check.
fn check_backup(path: &Path) -> Result<(), StoreError> {
    let conn = Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
        .map_err(|e| StoreError::BackupInvalid {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
    let res: Result<String, _> = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0));
    match res {
        Ok(s) if s == "ok" => Ok(()),
        Ok(s) => Err(StoreError::BackupInvalid {
            path: path.to_path_buf(),
            reason: s,
        }),
        Err(e) => Err(StoreError::BackupInvalid {
            path: path.to_path_buf(),
            reason: e.to_string(),
        }),
    }
}

/// Replaces the database at `db` with the newest backup in `dir` that passes
/// an integrity check. The current file (if any) is kept aside as
/// `<db>.damaged-<time>`. Returns the backup used.
pub fn restore_newest(db: &Path, dir: &Path, now: DateTime<Utc>) -> Result<PathBuf, StoreError> {
    let mut last_err = None;
    for b in list_backups(dir)? {
        match check_backup(&b.path) {
            Ok(()) => {
                restore_checked(db, &b.path, now)?;
                return Ok(b.path);
            }
            Err(e) => last_err = Some(e),
        }
    }
    Err(last_err.unwrap_or_else(|| StoreError::NoBackup(dir.to_path_buf())))
}

/// Replaces the database at `db` with the given backup file.
pub fn restore_from(db: &Path, backup: &Path, now: DateTime<Utc>) -> Result<(), StoreError> {
    if !backup.exists() {
        return Err(StoreError::NotFound(backup.to_path_buf()));
    }
    check_backup(backup)?;
    restore_checked(db, backup, now)
}

fn restore_checked(db: &Path, backup: &Path, now: DateTime<Utc>) -> Result<(), StoreError> {
    let stamp = now.format("%Y%m%dT%H%M%S%3fZ").to_string();
    if db.exists() {
        let aside = with_suffix(db, &format!(".damaged-{stamp}"));
        fs::rename(db, &aside).map_err(|e| StoreError::io(db, e))?;
        for ext in ["-wal", "-shm"] {
            let side = with_suffix(db, ext);
            if side.exists() {
                fs::rename(&side, with_suffix(&aside, ext))
                    .map_err(|e| StoreError::io(&side, e))?;
            }
        }
        // The damaged copy holds the same citizens' data.
        for p in crate::private::database_files(&aside) {
            crate::private::narrow_file(&p).map_err(|e| StoreError::io(&p, e))?;
        }
    }
    let tmp = with_suffix(db, ".restoring");
    let _ = fs::remove_file(&tmp);
    {
        let mut out =
            crate::private::create_file(&tmp, true).map_err(|e| StoreError::io(&tmp, e))?;
        let mut src = fs::File::open(backup).map_err(|e| StoreError::io(backup, e))?;
        std::io::copy(&mut src, &mut out).map_err(|e| StoreError::io(&tmp, e))?;
    }
    fsync_file(&tmp)?;
    fs::rename(&tmp, db).map_err(|e| StoreError::io(db, e))?;
    if let Some(parent) = db.parent() {
        fsync_dir(parent);
    }
    // Prove the result opens and upgrades like any database.
    let store = Store::open(db)?;
    crate::set_setting(store.conn(), "restored_at", &crate::ts(now))?;
    crate::set_setting(
        store.conn(),
        "restored_from",
        &backup.file_name().unwrap_or_default().to_string_lossy(),
    )?;
    Ok(())
}

fn with_suffix(p: &Path, suffix: &str) -> PathBuf {
    let mut s = p.as_os_str().to_os_string();
    s.push(suffix);
    PathBuf::from(s)
}

fn fsync_file(p: &Path) -> Result<(), StoreError> {
    fs::File::open(p)
        .and_then(|f| f.sync_all())
        .map_err(|e| StoreError::io(p, e))
}

fn fsync_dir(dir: &Path) {
    // Best effort: not every platform can open a directory for syncing.
    if let Ok(f) = fs::File::open(dir) {
        let _ = f.sync_all();
    }
}
