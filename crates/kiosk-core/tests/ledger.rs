#![allow(clippy::inconsistent_digit_grouping)] // amounts written as rupees_paise
//! The centre's ledger lines in the kiosk database and the wallet statement.
mod common;

use chrono::Duration;
use common::*;
use domain::{ErrorCode, Paise};
use kiosk_core::Kiosk;
use protocol::LedgerLine;

fn line(id: i64, account: &str, kind: &str, paise: i64, minutes: i64) -> LedgerLine {
    LedgerLine {
        id,
        txn_id: 1000 + id,
        account: account.into(),
        kind: kind.into(),
        amount: Paise::new(paise),
        memo: format!("line {id}"),
        at_ms: (t0() + Duration::minutes(minutes)).timestamp_millis(),
    }
}

fn kiosk(dir: &tempfile::TempDir) -> Kiosk {
    let clock = std::sync::Arc::new(domain::FixedClock::new(t0()));
    Kiosk::init(dir.path().join("k.db"), &init_params(), clock).unwrap()
}

fn stored(k: &Kiosk) -> i64 {
    k.store()
        .conn()
        .query_row("SELECT COUNT(*) FROM wallet_ledger", [], |r| r.get(0))
        .unwrap()
}

#[test]
fn redelivered_lines_are_stored_once_and_the_cursor_only_moves_forward() {
    let dir = tempfile::tempdir().unwrap();
    let mut k = kiosk(&dir);
    assert_eq!(k.ledger_cursor().unwrap(), 0);
    let first = [
        line(1, "wallet", "refill", 50_000_00, 0),
        line(2, "wallet", "payment", -1_250_50, 5),
        line(3, "commission", "payment", 12_00, 5),
    ];
    let a = k.record_ledger_lines(&first).unwrap();
    assert_eq!((a.stored, a.duplicates, a.cursor), (3, 0, 3));
    // The same answer again (the acknowledgement was lost), then an
    // overlapping one.
    let a = k.record_ledger_lines(&first).unwrap();
    assert_eq!((a.stored, a.duplicates, a.cursor), (0, 3, 3));
    let a = k
        .record_ledger_lines(&[
            first[2].clone(),
            line(4, "wallet", "cancellation", 1_250_50, 9),
        ])
        .unwrap();
    assert_eq!((a.stored, a.duplicates, a.cursor), (1, 1, 4));
    assert_eq!(stored(&k), 4);
    // An old line delivered late does not move the cursor back.
    let a = k.record_ledger_lines(&[first[0].clone()]).unwrap();
    assert_eq!(a.cursor, 4);
    drop(k);
    // Both survive reopening the file.
    let k = Kiosk::open(
        dir.path().join("k.db"),
        std::sync::Arc::new(domain::FixedClock::new(t0())),
    )
    .unwrap();
    assert_eq!(k.ledger_cursor().unwrap(), 4);
    assert_eq!(stored(&k), 4);
}

#[test]
fn a_bad_line_stores_nothing_and_keeps_the_cursor() {
    let dir = tempfile::tempdir().unwrap();
    let mut k = kiosk(&dir);
    k.record_ledger_lines(&[line(1, "wallet", "refill", 100, 0)])
        .unwrap();
    let mut bad = line(0, "wallet", "payment", -5, 1);
    let e = k
        .record_ledger_lines(&[line(2, "wallet", "payment", -5, 1), bad.clone()])
        .unwrap_err();
    assert_eq!(e.code(), "ledger.line_invalid");
    bad.id = 3;
    bad.kind = " ".into();
    assert_eq!(
        k.record_ledger_lines(&[bad]).unwrap_err().code(),
        "ledger.line_invalid"
    );
    let mut bad = line(4, "wallet", "payment", -5, 1);
    bad.at_ms = i64::MAX;
    assert_eq!(
        k.record_ledger_lines(&[bad]).unwrap_err().code(),
        "ledger.line_invalid"
    );
    assert_eq!(stored(&k), 1);
    assert_eq!(k.ledger_cursor().unwrap(), 1);
}

#[test]
fn the_statement_is_wallet_lines_oldest_first_with_their_sums() {
    let dir = tempfile::tempdir().unwrap();
    let mut k = kiosk(&dir);
    // Delivered out of time order: the statement orders by time, then id.
    k.record_ledger_lines(&[
        line(1, "wallet", "refill", 50_000_00, 0),
        line(2, "wallet", "payment", -1_000_00, 60),
        line(3, "commission", "payment", 10_00, 60),
        line(5, "wallet", "payment", -250_25, 30),
        line(4, "wallet", "cancellation", 1_000_00, 120),
        line(6, "wallet", "payment", -99, 120),
    ])
    .unwrap();
    let st = k.wallet_statement(None, None, 0).unwrap();
    let ids: Vec<i64> = st.lines.iter().map(|l| l.line_id).collect();
    assert_eq!(ids, [1, 5, 2, 4, 6]);
    assert!(!st.truncated);
    assert_eq!(st.credits, Paise::new(51_000_00));
    assert_eq!(st.debits, Paise::new(-1_251_24));
    assert_eq!(st.net, Paise::new(49_748_76));
    assert_eq!(st.balance, None, "no snapshot yet");

    // The limit keeps the latest lines.
    let st = k.wallet_statement(None, None, 2).unwrap();
    let ids: Vec<i64> = st.lines.iter().map(|l| l.line_id).collect();
    assert_eq!(ids, [4, 6]);
    assert!(st.truncated);
    assert_eq!(st.net, Paise::new(999_01));

    // [from, to)
    let from = t0() + Duration::minutes(30);
    let to = t0() + Duration::minutes(120);
    let st = k.wallet_statement(Some(from), Some(to), 10).unwrap();
    let ids: Vec<i64> = st.lines.iter().map(|l| l.line_id).collect();
    assert_eq!(ids, [5, 2]);
    assert_eq!(st.net, Paise::new(-1_250_25));

    let empty = k
        .wallet_statement(Some(t0() + Duration::days(3650)), None, 10)
        .unwrap();
    assert!(empty.lines.is_empty());
    assert_eq!(empty.net, Paise::ZERO);

    assert_eq!(
        k.wallet_statement(Some(to), Some(from), 10)
            .unwrap_err()
            .code(),
        "query.invalid"
    );
    assert_eq!(
        k.wallet_statement(None, None, 1001).unwrap_err().code(),
        "query.invalid"
    );
}
