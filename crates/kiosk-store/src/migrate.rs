//! Append-only migrations, embedded at compile time and checked by checksum.

use crate::StoreError;
use rusqlite::{Connection, TransactionBehavior};
use sha2::{Digest, Sha256};

#[derive(Debug, Clone, Copy)]
pub struct Migration {
    /// 1, 2, 3, ...: the file's number.
    pub version: u32,
    pub name: &'static str,
    pub sql: &'static str,
}

impl Migration {
    pub fn checksum(&self) -> String {
        crate::to_hex(&Sha256::digest(self.sql.as_bytes()))
    }
}

/// Every kiosk migration, oldest first. Add new files at the end; never
/// edit or reorder a released one.
pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "0001_init",
        sql: include_str!("../../../migrations/kiosk/0001_init.sql"),
    },
    Migration {
        version: 2,
        name: "0002_report_indexes",
        sql: include_str!("../../../migrations/kiosk/0002_report_indexes.sql"),
    },
    Migration {
        version: 3,
        name: "0003_wallet_ledger",
        sql: include_str!("../../../migrations/kiosk/0003_wallet_ledger.sql"),
    },
    Migration {
        version: 4,
        name: "0004_counter",
        sql: include_str!("../../../migrations/kiosk/0004_counter.sql"),
    },
    Migration {
        version: 5,
        name: "0005_day_totals",
        sql: include_str!("../../../migrations/kiosk/0005_day_totals.sql"),
    },
    Migration {
        version: 6,
        name: "0006_sync_answers",
        sql: include_str!("../../../migrations/kiosk/0006_sync_answers.sql"),
    },
    Migration {
        version: 7,
        name: "0007_tickets",
        sql: include_str!("../../../migrations/kiosk/0007_tickets.sql"),
    },
    Migration {
        version: 8,
        name: "0008_users",
        sql: include_str!("../../../migrations/kiosk/0008_users.sql"),
    },
    Migration {
        version: 9,
        name: "0009_refills",
        sql: include_str!("../../../migrations/kiosk/0009_refills.sql"),
    },
];

const BOOKKEEPING: &str = "CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    checksum   TEXT NOT NULL,
    applied_at TEXT NOT NULL
) STRICT";

/// The highest applied migration (0 for an empty database).
pub fn schema_version(conn: &Connection) -> Result<u32, StoreError> {
    let exists: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations')",
        [],
        |r| r.get(0),
    )?;
    if !exists {
        return Ok(0);
    }
    Ok(conn.query_row(
        "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
        [],
        |r| r.get(0),
    )?)
}

pub(crate) fn migrate(conn: &mut Connection, migrations: &[Migration]) -> Result<(), StoreError> {
    debug_assert!(
        migrations
            .iter()
            .enumerate()
            .all(|(i, m)| m.version as usize == i + 1),
        "migrations are numbered 1, 2, 3, ..."
    );
    // One write transaction for the check and all upgrades: a second process
    // opening at the same moment waits instead of applying twice.
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    tx.execute_batch(BOOKKEEPING)?;
    let applied: Vec<(u32, String, String)> = {
        let mut stmt =
            tx.prepare("SELECT version, name, checksum FROM schema_migrations ORDER BY version")?;
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<Result<_, _>>()?
    };
    let binary = migrations.len() as u32;
    if let Some((db, _, _)) = applied.iter().rev().find(|(v, _, _)| *v > binary) {
        return Err(StoreError::SchemaTooNew { db: *db, binary });
    }
    for (version, name, checksum) in &applied {
        let m = &migrations[*version as usize - 1];
        if m.checksum() != *checksum || m.name != name {
            return Err(StoreError::MigrationEdited {
                version: *version,
                name: m.name.to_string(),
            });
        }
    }
    let now = crate::ts(domain::Clock::now(&domain::SystemClock));
    for m in migrations.iter().skip(applied.len()) {
        tx.execute_batch(m.sql)
            .map_err(|source| StoreError::MigrationFailed {
                version: m.version,
                source,
            })?;
        tx.execute(
            "INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (?1, ?2, ?3, ?4)",
            rusqlite::params![m.version, m.name, m.checksum(), now],
        )?;
    }
    tx.commit()?;
    Ok(())
}
