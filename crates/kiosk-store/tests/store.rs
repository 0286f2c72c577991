use domain::ErrorCode;
use kiosk_store::{MIGRATIONS, Migration, Store, StoreError, list_backups, restore_newest};
use std::io::{Seek, SeekFrom, Write};

fn code<T: std::fmt::Debug>(r: Result<T, StoreError>) -> String {
    r.unwrap_err().code().to_string()
}

fn now() -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339("2026-11-21T10:00:00Z")
        .unwrap()
        .to_utc()
}

#[test]
fn a_new_database_has_the_pragmas_and_every_migration() {
    let dir = tempfile::tempdir().unwrap();
    let s = Store::open(dir.path().join("k.db")).unwrap();
    assert_eq!(s.schema_version().unwrap(), MIGRATIONS.len() as u32);
    let c = s.conn();
    let mode: String = c
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    let sync: i64 = c.query_row("PRAGMA synchronous", [], |r| r.get(0)).unwrap();
    assert_eq!(sync, 2, "synchronous=FULL");
    let fk: i64 = c
        .query_row("PRAGMA foreign_keys", [], |r| r.get(0))
        .unwrap();
    assert_eq!(fk, 1);
    for t in [
        "settings",
        "catalogue",
        "fetched_bills",
        "operators",
        "receipts",
        "receipt_lines",
        "outbox",
        "wallet_snapshot",
        "wallet_holds",
        "print_jobs",
    ] {
        assert_eq!(s.count(t).unwrap(), 0, "{t}");
    }
    drop(s);
    // Reopening applies nothing twice.
    let s = Store::open(dir.path().join("k.db")).unwrap();
    assert_eq!(
        s.count("schema_migrations").unwrap(),
        MIGRATIONS.len() as i64
    );
}

#[test]
fn an_earlier_schema_is_upgraded_keeping_its_data() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("k.db");
    {
        let s = Store::open_with(&p, &MIGRATIONS[..1]).unwrap();
        assert_eq!(s.schema_version().unwrap(), 1);
        s.conn()
            .execute(
                "INSERT INTO settings (key, value) VALUES ('kiosk_code', 'K1001')",
                [],
            )
            .unwrap();
        let has_index: bool = s
            .conn()
            .query_row(
                "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE name = 'receipt_lines_service')",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert!(!has_index);
    }
    let s = Store::open(&p).unwrap();
    assert_eq!(s.schema_version().unwrap(), MIGRATIONS.len() as u32);
    let has_ledger: bool = s
        .conn()
        .query_row(
            "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'wallet_ledger')",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(has_ledger);
    assert_eq!(s.setting("kiosk_code").unwrap().as_deref(), Some("K1001"));
    let has_index: bool = s
        .conn()
        .query_row(
            "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE name = 'receipt_lines_service')",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(has_index);
}

#[test]
fn a_newer_schema_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("k.db");
    let mut newer: Vec<Migration> = MIGRATIONS.to_vec();
    newer.push(Migration {
        version: MIGRATIONS.len() as u32 + 1,
        name: "9999_from_the_future",
        sql: "CREATE TABLE future (x INTEGER) STRICT;",
    });
    Store::open_with(&p, &newer).unwrap();
    let e = Store::open(&p).unwrap_err();
    assert_eq!(e.code(), "store.schema_too_new");
    assert!(e.to_string().contains("newer"), "{e}");
    match e {
        StoreError::SchemaTooNew { db, binary } => {
            assert_eq!(
                (db, binary),
                (MIGRATIONS.len() as u32 + 1, MIGRATIONS.len() as u32)
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn an_edited_migration_is_detected() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("k.db");
    Store::open(&p).unwrap();
    let mut edited: Vec<Migration> = MIGRATIONS.to_vec();
    edited[1].sql = "CREATE INDEX receipt_lines_service ON receipt_lines (service_code);";
    let e = Store::open_with(&p, &edited).unwrap_err();
    assert_eq!(e.code(), "store.migration_edited");
    assert!(matches!(e, StoreError::MigrationEdited { version: 2, .. }));
}

#[test]
fn a_damaged_file_is_refused_and_restored_from_the_newest_backup() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("k.db");
    let bdir = dir.path().join("backups");
    {
        let s = Store::open(&p).unwrap();
        kiosk_store::set_setting(s.conn(), "kiosk_code", "K1").unwrap();
        let mut t = now();
        for i in 0..4 {
            kiosk_store::set_setting(s.conn(), "n", &i.to_string()).unwrap();
            s.backup(&bdir, 3, t).unwrap();
            t += chrono::Duration::seconds(1);
        }
        assert_eq!(list_backups(&bdir).unwrap().len(), 3, "rotation keeps 3");
        assert_eq!(code(s.backup(&bdir, 0, t)), "store.invalid");
    }
    // Scribble over the middle of the file (past the header page).
    let len = std::fs::metadata(&p).unwrap().len();
    assert!(len > 8192);
    {
        let mut f = std::fs::OpenOptions::new().write(true).open(&p).unwrap();
        f.seek(SeekFrom::Start(4096)).unwrap();
        f.write_all(&vec![0xA5u8; (len - 4096) as usize]).unwrap();
    }
    let e = Store::open(&p).unwrap_err();
    assert_eq!(e.code(), "store.corrupt", "{e}");
    assert!(e.to_string().contains("restore"), "{e}");

    // The newest backup is itself damaged: restore skips to the next one.
    let newest = list_backups(&bdir).unwrap()[0].path.clone();
    std::fs::write(&newest, b"not a database at all, just text").unwrap();
    let used = restore_newest(&p, &bdir, now()).unwrap();
    assert_ne!(used, newest);
    let s = Store::open(&p).unwrap();
    assert_eq!(s.setting("n").unwrap().as_deref(), Some("2"));
    assert!(s.setting("restored_at").unwrap().is_some());
    let aside = std::fs::read_dir(dir.path())
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .contains(".damaged-")
        })
        .count();
    assert!(aside >= 1, "the damaged file is kept aside");
}

#[test]
fn restore_without_backups_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let e = restore_newest(&dir.path().join("k.db"), &dir.path().join("none"), now()).unwrap_err();
    assert_eq!(e.code(), "store.no_backup");
}

#[test]
fn the_outbox_is_append_only_and_gap_free() {
    let dir = tempfile::tempdir().unwrap();
    let s = Store::open(dir.path().join("k.db")).unwrap();
    let ins = |seq: i64, id: &str| {
        s.conn().execute(
            "INSERT INTO outbox (device_id, seq, id, kind, format, device_time_ms, payload, prev_hash, hash, created_at)
             VALUES ('d', ?1, ?2, 'payment', 1, 0, x'00', zeroblob(32), zeroblob(32), '2026-01-01T00:00:00.000Z')",
            rusqlite::params![seq, id],
        )
    };
    ins(1, "a").unwrap();
    assert!(ins(3, "b").is_err(), "gap refused");
    ins(2, "b").unwrap();
    assert!(
        s.conn()
            .execute("DELETE FROM outbox WHERE seq = 2", [])
            .is_err()
    );
    assert!(
        s.conn()
            .execute("UPDATE outbox SET payload = x'01' WHERE seq = 1", [])
            .is_err()
    );
    // Only the sync columns move.
    s.conn()
        .execute("UPDATE outbox SET outcome = 'accepted' WHERE seq = 1", [])
        .unwrap();
    assert_eq!(s.count("outbox").unwrap(), 2);
}

#[cfg(unix)]
fn mode(p: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p)
        .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
        .permissions()
        .mode()
        & 0o7777
}

/// The database, its -wal and -shm files, backups and the backups folder
/// hold citizens' data: the kiosk's user only (files 0600, folder 0700),
/// from creation on, and narrowed when an older version left them wider.
#[cfg(unix)]
#[test]
fn the_database_and_its_backups_are_for_the_kiosk_user_only() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("kiosk.db");
    let s = Store::open(&db).unwrap();
    let [main, wal, shm] = kiosk_store::private::database_files(&db);
    assert_eq!(mode(&main), 0o600);
    assert_eq!(mode(&wal), 0o600);
    assert_eq!(mode(&shm), 0o600);

    let backups = dir.path().join("kiosk.db.backups");
    let b = s.backup(&backups, 3, now()).unwrap();
    assert_eq!(mode(&backups), 0o700);
    assert_eq!(mode(&b), 0o600);
    drop(s);

    // Left wide by an older version: narrowed on the next open and backup.
    for p in [&main, &wal, &shm, &b] {
        if p.exists() {
            std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o644)).unwrap();
        }
    }
    std::fs::set_permissions(&backups, std::fs::Permissions::from_mode(0o755)).unwrap();
    let s = Store::open(&db).unwrap();
    for p in [&main, &wal, &shm] {
        assert_eq!(mode(p), 0o600, "{}", p.display());
    }
    let b2 = s
        .backup(&backups, 3, now() + chrono::Duration::seconds(1))
        .unwrap();
    assert_eq!(mode(&backups), 0o700);
    assert_eq!(mode(&b), 0o600);
    assert_eq!(mode(&b2), 0o600);
    drop(s);

    // A restore puts a private copy in place and keeps the damaged file
    // aside privately too.
    std::fs::set_permissions(&b2, std::fs::Permissions::from_mode(0o644)).unwrap();
    kiosk_store::restore_from(&db, &b2, now() + chrono::Duration::seconds(2)).unwrap();
    assert_eq!(mode(&db), 0o600);
    let aside: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().contains(".damaged-"))
        .collect();
    assert!(!aside.is_empty());
    for p in aside {
        assert_eq!(mode(&p), 0o600, "{}", p.display());
    }
}
