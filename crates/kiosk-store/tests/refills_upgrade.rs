//! Migration 0009 rebuilds the outbox to take refill requests: a database
//! of the earlier schema keeps every entry, the tickets that refer to them,
//! and the outbox's guards (no gap, no delete, no edit).

use kiosk_store::rusqlite::params;
use kiosk_store::{MIGRATIONS, Store};

fn entry(
    c: &kiosk_store::rusqlite::Connection,
    seq: i64,
    kind: &str,
) -> kiosk_store::rusqlite::Result<usize> {
    c.execute(
        "INSERT INTO outbox (device_id, seq, id, kind, format, device_time_ms, payload, prev_hash, hash, created_at)
         VALUES ('dev-1', ?1, ?2, ?3, 1, 0, x'01', ?4, ?4, '2026-11-21T04:30:00.000Z')",
        params![seq, format!("e-{seq}"), kind, vec![seq as u8; 32]],
    )
}

#[test]
fn an_earlier_database_keeps_its_entries_tickets_and_guards() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("k.db");
    let before = MIGRATIONS
        .iter()
        .position(|m| m.name == "0009_refills")
        .expect("the refills migration");
    {
        let s = Store::open_with(&path, &MIGRATIONS[..before]).unwrap();
        let c = s.conn();
        c.execute(
            "INSERT INTO operators (login, name, role, active, created_at) VALUES ('holder', 'H', 'holder', 1, 'x')",
            [],
        )
        .unwrap();
        entry(c, 1, "payment").unwrap();
        entry(c, 2, "ticket").unwrap();
        c.execute(
            "UPDATE outbox SET outcome = 'accepted', warnings = 'payment.duplicate_warning' WHERE seq = 1",
            [],
        )
        .unwrap();
        c.execute(
            "INSERT INTO tickets (id, entry_id, category, subject, description, raised_by, created_at)
             VALUES ('t-1', 'e-2', 'printer', 's', 'd', 'holder', 'x')",
            [],
        )
        .unwrap();
        // Not yet a kind.
        assert!(entry(c, 3, "refill_request").is_err());
    }
    let s = Store::open(&path).unwrap();
    assert_eq!(s.schema_version().unwrap(), MIGRATIONS.len() as u32);
    let c = s.conn();
    let rows: String = c
        .query_row(
            "SELECT group_concat(seq || ':' || kind || ':' || IFNULL(outcome, '-') || ':' || warnings || ':' || hex(hash), ',') FROM outbox",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(
        rows,
        format!(
            "1:payment:accepted:payment.duplicate_warning:{},2:ticket:-::{}",
            "01".repeat(32),
            "02".repeat(32)
        )
    );
    let fk: i64 = c
        .query_row("SELECT COUNT(*) FROM pragma_foreign_key_check", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(fk, 0);
    let joined: String = c
        .query_row(
            "SELECT o.kind FROM tickets t JOIN outbox o ON o.id = t.entry_id",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(joined, "ticket");
    // The new kind is taken; the guards hold as before.
    entry(c, 3, "refill_request").unwrap();
    assert!(entry(c, 5, "payment").is_err(), "a gap");
    assert!(entry(c, 4, "bogus").is_err(), "an unknown kind");
    assert!(c.execute("DELETE FROM outbox WHERE seq = 3", []).is_err());
    assert!(
        c.execute("UPDATE outbox SET payload = x'02' WHERE seq = 1", [])
            .is_err()
    );
    // Tickets still must name an entry.
    assert!(
        c.execute(
            "INSERT INTO tickets (id, entry_id, category, subject, description, raised_by, created_at)
             VALUES ('t-2', 'e-99', 'printer', 's', 'd', 'holder', 'x')",
            [],
        )
        .is_err()
    );
}
