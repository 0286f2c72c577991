#![allow(clippy::inconsistent_digit_grouping)]
//! Totals over any range: what they cost (they must not grow with the
//! receipts inside the range's whole days) and that they are right (equal
//! to adding up the receipts themselves, whatever was paid, cancelled or
//! rejected, at any time of day).

mod common;

use chrono::{DateTime, Duration, Utc};
use common::*;
use domain::{Clock, Paise};
use kiosk_core::{Kiosk, Outcome};
use kiosk_store::rusqlite::params;
use kiosk_store::ts;
use proptest::prelude::*;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

const SERVICES: [(&str, &str); 3] = [
    ("JVVNL-BILL", "JVVNL"),
    ("AVVNL-BILL", "AVVNL"),
    ("PHED-WATER", "PHED"),
];

/// `per_day` receipts (1 to 3 bills each, some cancelled, some rejected, a
/// few by cheque) on each of `days` days from `start`, written straight
/// into the tables in one transaction, as years of counter work would
/// leave them.
fn history(k: &mut Kiosk, start: DateTime<Utc>, days: i64, per_day: i64) {
    let step = Duration::milliseconds(86_400_000 / per_day);
    k.store_mut()
        .write(|tx| -> Result<(), kiosk_store::StoreError> {
            let mut ins_r = tx.prepare(
                "INSERT INTO receipts (id, receipt_no, device_seq, created_at, operator, mode, mobile,
                    line_count, bills_paise, charges_paise, total_paise, commission_paise, status, rejected)
                 VALUES (?1, ?2, ?3, ?4, 'holder', ?5, '9876543210', ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
            )?;
            let mut ins_l = tx.prepare(
                "INSERT INTO receipt_lines (receipt_id, line_no, service_code, department, consumer_no,
                    bill_paise, charge_paise, commission_paise)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?;
            let mut seq = 0i64;
            for d in 0..days {
                for i in 0..per_day {
                    seq += 1;
                    let at = start + Duration::days(d) + step * i as i32;
                    let id = format!("r{seq:09}");
                    let lines = 1 + seq % 3;
                    let (mut bills, mut charges, mut comm) = (0, 0, 0);
                    let mut rows = Vec::new();
                    for l in 0..lines {
                        let (svc, dept) = SERVICES[((seq + l) % 3) as usize];
                        let bill = 100_00 + (seq * 37 + l * 11) % 90_000;
                        let charge = if dept == "PHED" { 5_00 } else { 0 };
                        bills += bill;
                        charges += charge;
                        comm += 3_00;
                        rows.push((l + 1, svc, dept, format!("{:012}", 210_000_000_000 + seq), bill, charge));
                    }
                    let status = match seq % 17 {
                        0 => "cancelled",
                        1..=9 => "final",
                        _ => "provisional",
                    };
                    let rejected = seq % 23 == 0;
                    let mode = if seq % 11 == 0 { "cheque" } else { "wallet" };
                    ins_r.execute(params![
                        id,
                        format!("K1001-001-{seq:07}"),
                        seq,
                        ts(at),
                        mode,
                        lines,
                        bills,
                        charges,
                        bills + charges,
                        comm,
                        status,
                        rejected
                    ])?;
                    for (l, svc, dept, consumer, bill, charge) in rows {
                        ins_l.execute(params![id, l, svc, dept, consumer, bill, charge, 3_00])?;
                    }
                }
            }
            Ok(())
        })
        .unwrap();
    k.store().conn().execute_batch("ANALYZE").unwrap();
}

/// SQLite virtual-machine steps (in thousands) that `f` costs: a measure
/// of work that does not depend on how loaded the machine is.
fn work<T>(k: &mut Kiosk, f: impl FnOnce(&Kiosk) -> T) -> (u64, T) {
    let n = Arc::new(AtomicU64::new(0));
    let c = n.clone();
    k.store_mut()
        .conn_mut()
        .progress_handler(
            1000,
            Some(move || {
                c.fetch_add(1, Ordering::Relaxed);
                false
            }),
        )
        .unwrap();
    let v = f(k);
    k.store_mut()
        .conn_mut()
        .progress_handler(1000, None::<fn() -> bool>)
        .unwrap();
    (n.load(Ordering::Relaxed), v)
}

#[test]
fn a_reports_cost_does_not_grow_with_the_receipts_of_its_whole_days() {
    let start = t0() - Duration::days(130);
    let days = 120;
    let mut few = fixture();
    history(&mut few.kiosk, start, days, 5);
    let mut many = fixture();
    history(&mut many.kiosk, start, days, 60);
    let ranges = [
        // 120 whole IST days.
        domain::clock::ist_day_bounds(domain::clock::ist_date(start)).0,
        // From mid-morning on day 3 to mid-afternoon on day 100.
        start + Duration::days(3) + Duration::hours(5),
    ];
    let ends = [
        domain::clock::ist_day_bounds(domain::clock::ist_date(start) + chrono::Days::new(120)).0,
        start + Duration::days(100) + Duration::hours(9) + Duration::minutes(17),
    ];
    for (i, (from, to)) in ranges.into_iter().zip(ends).enumerate() {
        let (w_few, t_few) = work(&mut few.kiosk, |k| k.totals(from, to).unwrap());
        let (w_many, t_many) = work(&mut many.kiosk, |k| k.totals(from, to).unwrap());
        let (w_scan, scan) = work(&mut many.kiosk, |k| {
            k.totals_from_receipts(from, to).unwrap()
        });
        assert_eq!(t_few, few.kiosk.totals_from_receipts(from, to).unwrap());
        assert_eq!(t_many, scan);
        assert!(t_many.receipts > 10 * t_few.receipts);
        // A fraction of what adding up the receipts costs: only the
        // partial days at the ends are read from the receipts.
        assert!(
            5 * w_many < w_scan,
            "{from}..{to}: {w_many} thousand steps for {} receipts, a scan {w_scan}",
            t_many.receipts
        );
        // Whole days only: 12 times the receipts, about the same work (the
        // rollups have one row per day either way); a scan would be ~12×.
        if i == 0 {
            assert!(
                w_many < 2 * w_few.max(1),
                "{from}..{to}: {w_many} thousand steps for {} receipts vs {w_few} for {}",
                t_many.receipts,
                t_few.receipts
            );
        }
    }
}

#[test]
fn the_day_rollups_of_an_existing_database_are_filled_by_the_upgrade() {
    let mut f = fixture();
    history(&mut f.kiosk, t0() - Duration::days(10), 10, 20);
    // Forget the rollups, as a database from before them, then let the
    // upgrade's own statements fill them again.
    let sql = kiosk_store::MIGRATIONS
        .iter()
        .find(|m| m.name.contains("day_totals"))
        .expect("the day rollup migration")
        .sql;
    let backfill = &sql[sql
        .rfind("-- The receipts already in the database.")
        .unwrap()..];
    let from = t0() - Duration::days(11);
    let to = t0();
    let want = f.kiosk.totals(from, to).unwrap();
    f.kiosk
        .store()
        .conn()
        .execute_batch("DELETE FROM day_totals; DELETE FROM day_service_totals;")
        .unwrap();
    assert_ne!(f.kiosk.totals(from, to).unwrap(), want);
    f.kiosk.store().conn().execute_batch(backfill).unwrap();
    assert_eq!(f.kiosk.totals(from, to).unwrap(), want);
    assert_eq!(want, f.kiosk.totals_from_receipts(from, to).unwrap());
}

#[derive(Debug, Clone)]
enum Op {
    Pay(Vec<(usize, u8, i64)>, bool),
    Cancel(usize),
    Answer(usize, bool),
    Wait(i64),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (proptest::collection::vec((0..3usize, 0..4u8, 1..20_000i64), 1..4), proptest::bool::weighted(0.2))
            .prop_map(|(b, cheque)| Op::Pay(b, cheque)),
        1 => (0..30usize).prop_map(Op::Cancel),
        2 => (0..30usize, any::<bool>()).prop_map(|(s, ok)| Op::Answer(s, ok)),
        3 => (1..40 * 60i64).prop_map(Op::Wait),
    ]
}

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(16)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]
    #[test]
    fn totals_of_any_range_equal_the_receipts_added_up(
        ops in proptest::collection::vec(op(), 1..40),
        ranges in proptest::collection::vec((0..8 * 24 * 60i64, 1..8 * 24 * 60i64, any::<bool>()), 1..12),
    ) {
        let mut f = fixture();
        let mut receipts: Vec<String> = Vec::new();
        let mut seq = 0u64;
        for op in ops {
            let k = &mut f.kiosk;
            match op {
                Op::Pay(bills, cheque) => {
                    let mut d = k.start_cart();
                    for (s, c, rupees) in &bills {
                        let (svc, _) = SERVICES[*s];
                        let consumer = if svc == "PHED-WATER" {
                            format!("10000{c:02}")
                        } else {
                            format!("2101000000{c:02}")
                        };
                        let _ = k.add_bill(&mut d, &bill(svc, &consumer, *rupees));
                    }
                    if d.cart.is_empty() { continue; }
                    k.set_contact(&mut d, Some("9876543210"), None).unwrap();
                    let one_dept = d.cart.lines.iter().all(|l| l.department == "JVVNL");
                    if cheque && one_dept {
                        k.choose_cheque(&mut d, &kiosk_core::ChequeInput {
                            number: "123456".into(),
                            date: domain::clock::ist_date(f.clock.now()),
                            bank: "SBI".into(),
                            payee: "AO (CCC)".into(),
                        }).unwrap();
                    } else {
                        k.choose_wallet(&mut d);
                    }
                    if let Ok(c) = k.commit_payment(&d, "op1", true) {
                        receipts.push(c.receipt_no);
                        seq = c.outbox_seq;
                    }
                }
                Op::Cancel(i) => {
                    if receipts.is_empty() { continue; }
                    if let Ok(c) = k.cancel_receipt(&receipts[i % receipts.len()], "op1", "test") {
                        seq = c.outbox_seq;
                    }
                }
                Op::Answer(s, ok) => {
                    if seq == 0 { continue; }
                    let o = if ok {
                        Outcome::Accepted { server_txn_id: format!("T{s}"), final_receipt_no: Some(format!("RJ{s}")) }
                    } else {
                        Outcome::Rejected { code: "x.y".into(), reason: "test".into() }
                    };
                    let _ = k.record_outcome(s as u64 % seq + 1, &o);
                }
                Op::Wait(m) => f.clock.advance(Duration::minutes(m)),
            }
        }
        let k = &f.kiosk;
        // From IST midnight of the first day, in minutes; `aligned` snaps
        // both ends to IST midnights (whole days only).
        let day0 = domain::clock::ist_day_bounds(domain::clock::ist_date(t0())).0;
        for (a, len, aligned) in ranges {
            let (mut from, mut to) = (day0 + Duration::minutes(a), day0 + Duration::minutes(a + len));
            if aligned {
                from = domain::clock::ist_day_bounds(domain::clock::ist_date(from)).0;
                to = domain::clock::ist_day_bounds(domain::clock::ist_date(to)).1;
            }
            let t = k.totals(from, to).unwrap();
            prop_assert_eq!(&t, &k.totals_from_receipts(from, to).unwrap(), "{}..{}", from, to);
            prop_assert!(t.total >= Paise::ZERO);
        }
        // And the rollups themselves equal a recount from the receipts.
        let c = k.store().conn();
        let q = |sql: &str| -> String {
            c.query_row(sql, [], |r| r.get::<_, Option<String>>(0)).unwrap().unwrap_or_default()
        };
        prop_assert_eq!(
            q("SELECT group_concat(x, ';') FROM (SELECT day || ':' || receipts || ':' || lines || ':' || total_paise || ':' || wallet_paise || ':' || cheque_paise || ':' || cancelled || ':' || rejected AS x
                 FROM day_totals WHERE receipts <> 0 OR cancelled <> 0 OR rejected <> 0 ORDER BY day)"),
            q("SELECT group_concat(x, ';') FROM (SELECT d || ':' || SUM(ok) || ':' || SUM(ok * line_count) || ':' || SUM(ok * total_paise) || ':' || SUM(ok * (mode = 'wallet') * total_paise) || ':' || SUM(ok * (mode = 'cheque') * total_paise) || ':' || SUM(status = 'cancelled') || ':' || SUM(rejected = 1 AND status <> 'cancelled') AS x
                 FROM (SELECT date(created_at, '+330 minutes') AS d, *, (status <> 'cancelled' AND rejected = 0) AS ok FROM receipts) GROUP BY d ORDER BY d)")
        );
    }
}
