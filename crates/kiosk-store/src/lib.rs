//! The kiosk's durable local ledger over SQLite (bundled).
//!
//! Opening a database ([`Store::open`]):
//! 1. sets WAL, `synchronous=FULL`, `foreign_keys=ON` and a busy timeout;
//! 2. runs `PRAGMA quick_check` and refuses a damaged file (`store.corrupt`);
//! 3. applies the migrations embedded from `migrations/kiosk/` that are not
//!    yet applied, each in its own transaction, recording a SHA-256 of its
//!    text; a recorded migration whose text changed is refused
//!    (`store.migration_edited`), and so is a database that has migrations
//!    this binary does not know (`store.schema_too_new`).
//!
//! # Recovery from a damaged database
//! [`backup`](Store::backup) writes a consistent copy with `VACUUM INTO`
//! into a backup folder and keeps the newest N. When [`Store::open`] fails
//! with `store.corrupt`, [`restore_newest`] (CLI: `kioskctl restore`) checks
//! the newest backup that passes its own integrity check, keeps the damaged
//! file aside as `<db>.damaged-<time>` and puts the backup in its place.
//! Whatever was written after that backup is not in it: the sync client must
//! then take the centre's high-water mark as the truth before new entries
//! are pushed (the outcomes the centre recorded are kept there forever), and
//! raise the receipt number floor (`Kiosk::raise_receipt_seq_floor` in
//! kiosk-core) so no receipt number is issued twice. `restore` records
//! `restored_at` and `restored_from` in the settings for that purpose.

mod backup;
mod error;
mod migrate;
pub mod private;

pub use backup::{BackupInfo, list_backups, restore_from, restore_newest};
pub use error::StoreError;
pub use migrate::{MIGRATIONS, Migration, schema_version};

use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::{Connection, OpenFlags, OptionalExtension, Transaction, TransactionBehavior};
use std::path::{Path, PathBuf};
use std::time::Duration;

pub use rusqlite;

/// How long a writer waits for another connection's lock before `store.busy`.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// WAL pages after which a commit checkpoints by itself. Checkpoints cost
/// several fsyncs, so the app runs them off the counter's path
/// ([`Store::checkpoint`] from its background loop); this larger automatic
/// one (about 40 MB) is only a safety net so the WAL never grows unbounded.
pub const WAL_AUTOCHECKPOINT_PAGES: u32 = 10_000;

/// An open kiosk database.
pub struct Store {
    conn: Connection,
    path: PathBuf,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish()
    }
}

impl Store {
    /// Opens (creating if missing) and upgrades the database at `path`.
    pub fn open(path: impl AsRef<Path>) -> Result<Store, StoreError> {
        Self::open_with(path, MIGRATIONS)
    }

    /// Opens with an explicit migration list: for tests that build a
    /// database of an earlier (or edited, or newer) schema.
    pub fn open_with(
        path: impl AsRef<Path>,
        migrations: &[Migration],
    ) -> Result<Store, StoreError> {
        let path = path.as_ref().to_path_buf();
        let conn = open_connection(&path)?;
        integrity_check(&conn)?;
        let mut store = Store { conn, path };
        migrate::migrate(&mut store.conn, migrations)?;
        Ok(store)
    }

    /// Opens an existing database only (no creation), e.g. a backup to check.
    pub fn open_existing(path: impl AsRef<Path>) -> Result<Store, StoreError> {
        let path = path.as_ref();
        if !path.exists() {
            return Err(StoreError::NotFound(path.to_path_buf()));
        }
        Self::open(path)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The connection, for reads and for crates that build on the store
    /// (print queue, sync client). Writes that must be atomic go through
    /// [`Store::write`].
    pub fn conn(&self) -> &Connection {
        &self.conn
    }

    pub fn conn_mut(&mut self) -> &mut Connection {
        &mut self.conn
    }

    /// Runs `f` in an IMMEDIATE transaction (the write lock is taken at
    /// the start, so two writers never interleave a read-then-write such as
    /// "next seq"), committing only if `f` returns `Ok`. Any error rolls
    /// everything back.
    pub fn write<T, E>(&mut self, f: impl FnOnce(&Transaction<'_>) -> Result<T, E>) -> Result<T, E>
    where
        E: From<StoreError>,
    {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(StoreError::from)?;
        let v = f(&tx)?;
        tx.commit().map_err(StoreError::from)?;
        Ok(v)
    }

    /// A read transaction: one consistent snapshot for several queries.
    pub fn read<T, E>(&mut self, f: impl FnOnce(&Transaction<'_>) -> Result<T, E>) -> Result<T, E>
    where
        E: From<StoreError>,
    {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Deferred)
            .map_err(StoreError::from)?;
        let v = f(&tx)?;
        tx.finish().map_err(StoreError::from)?;
        Ok(v)
    }

    /// Copies the WAL back into the database file without blocking writers
    /// (PASSIVE). Call it when the counter is idle or from a background
    /// connection; returns (WAL frames, frames checkpointed).
    pub fn checkpoint(&self) -> Result<(i64, i64), StoreError> {
        Ok(self
            .conn
            .query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| {
                Ok((r.get(1)?, r.get(2)?))
            })?)
    }

    /// `PRAGMA integrity_check` (the full one; `open` runs the quick one).
    pub fn integrity_check_full(&self) -> Result<(), StoreError> {
        check_pragma(&self.conn, "integrity_check")
    }

    /// The schema version (highest applied migration).
    pub fn schema_version(&self) -> Result<u32, StoreError> {
        schema_version(&self.conn)
    }

    /// Writes a consistent copy into `dir` with `VACUUM INTO` and deletes
    /// all but the newest `keep` backups there. Returns the new file.
    pub fn backup(
        &self,
        dir: impl AsRef<Path>,
        keep: usize,
        now: DateTime<Utc>,
    ) -> Result<PathBuf, StoreError> {
        backup::backup(&self.conn, dir.as_ref(), keep, now)
    }

    pub fn setting(&self, key: &str) -> Result<Option<String>, StoreError> {
        get_setting(&self.conn, key)
    }

    /// Row count of a table (tests and diagnostics; the name is checked).
    pub fn count(&self, table: &str) -> Result<i64, StoreError> {
        if !table.chars().all(|c| c.is_ascii_lowercase() || c == '_') {
            return Err(StoreError::Invalid(format!("table name {table:?}")));
        }
        Ok(self
            .conn
            .query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get(0))?)
    }
}

pub fn get_setting(conn: &Connection, key: &str) -> Result<Option<String>, StoreError> {
    Ok(conn
        .query_row("SELECT value FROM settings WHERE key = ?1", [key], |r| {
            r.get(0)
        })
        .optional()?)
}

pub fn set_setting(conn: &Connection, key: &str, value: &str) -> Result<(), StoreError> {
    conn.execute(
        "INSERT INTO settings (key, value) VALUES (?1, ?2)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [key, value],
    )?;
    Ok(())
}

/// The one text form of an instant in the database: fixed width UTC with
/// milliseconds, so text order is time order.
pub fn ts(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Parses [`ts`] text back.
pub fn parse_ts(s: &str) -> Result<DateTime<Utc>, StoreError> {
    DateTime::parse_from_rfc3339(s)
        .map(|d| d.with_timezone(&Utc))
        .map_err(|_| StoreError::Invalid(format!("timestamp {s:?}")))
}

/// Lowercase hex, for hashes in reports.
pub fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn open_connection(path: &Path) -> Result<Connection, StoreError> {
    private::prepare_database(path).map_err(|e| StoreError::io(path, e))?;
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| StoreError::classify(e, path))?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    // journal_mode answers with the mode now in force; a damaged header
    // fails here first, so classify it.
    let mode: String = conn
        .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
        .map_err(|e| StoreError::classify(e, path))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(StoreError::Invalid(format!(
            "could not switch to WAL (got {mode})"
        )));
    }
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.pragma_update(None, "wal_autocheckpoint", WAL_AUTOCHECKPOINT_PAGES)?;
    Ok(conn)
}

fn integrity_check(conn: &Connection) -> Result<(), StoreError> {
    check_pragma(conn, "quick_check")
}

fn check_pragma(conn: &Connection, pragma: &str) -> Result<(), StoreError> {
    let mut stmt = conn
        .prepare(&format!("PRAGMA {pragma}"))
        .map_err(|e| StoreError::classify(e, Path::new("")))?;
    let rows: Vec<String> = stmt
        .query_map([], |r| r.get(0))
        .and_then(|it| it.collect())
        .map_err(|e| StoreError::classify(e, Path::new("")))?;
    if rows.len() == 1 && rows[0] == "ok" {
        Ok(())
    } else {
        Err(StoreError::Corrupt(
            rows.join("; ").chars().take(500).collect(),
        ))
    }
}
