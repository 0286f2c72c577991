//! Reports over a big kiosk database: 500,000 receipts (`BENCH_RECEIPTS`)
//! over a year, ~1.5 bills each. Measures a day's totals and pages of the
//! receipt search (by date, receipt no., consumer no., service, status),
//! and totals over a month, a quarter, a year and ranges that start and end
//! mid-day. Writes `p99_ms` over all of them and `month_totals_p99_ms`
//! (goal for both ≤ 50 ms), and the figures per kind.

use chrono::{Duration as CDuration, TimeZone, Utc};
use domain::{FixedClock, Paise};
use kiosk_core::bench_util::{quantile_ms, round3, work_dir, write_json};
use kiosk_core::{InitParams, Kiosk, ReceiptQuery, ReceiptStatus};
use kiosk_store::rusqlite::params;
use kiosk_store::ts;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

const SERVICES: [(&str, &str, i64, i64); 6] = [
    ("JVVNL-BILL", "JVVNL", 0, 600),
    ("AVVNL-BILL", "AVVNL", 0, 600),
    ("PHED-WATER", "PHED", 500, 500),
    ("BSNL-LANDLINE", "BSNL", 500, 400),
    ("AIRTEL-POSTPAID", "MOBILE", 500, 300),
    ("RSGL-GAS", "GAS", 500, 400),
];

struct Rng(u64);
impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

fn main() {
    let receipts: u64 = std::env::var("BENCH_RECEIPTS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(500_000);
    let dir = work_dir("reports");
    let db = dir.path().join("kiosk.db");
    let end = Utc.with_ymd_and_hms(2026, 11, 21, 12, 0, 0).unwrap();
    let start = end - CDuration::days(365);
    let clock = Arc::new(FixedClock::new(end));
    let mut k = Kiosk::init(
        &db,
        &InitParams {
            kiosk_code: "K10023456".into(),
            device_no: 1,
            district: "Jaipur".into(),
            kiosk_name: "Bench".into(),
            holder_login: "holder".into(),
            holder_name: "Bench".into(),
            cheque_enabled: true,
        },
        clock.clone(),
    )
    .expect("init");
    k.import_catalogue_toml(include_str!("../../../../data/catalogue.sample.toml"))
        .expect("catalogue");

    // Generate the history in one transaction, straight into the tables.
    let t = Instant::now();
    let step_ms = (365 * 86_400_000) / receipts as i64;
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    k.store_mut()
        .write(|tx| -> Result<(), kiosk_store::StoreError> {
            let mut ins_r = tx.prepare(
                "INSERT INTO receipts (id, receipt_no, device_seq, created_at, operator, mode, mobile,
                    line_count, bills_paise, charges_paise, total_paise, commission_paise, status)
                 VALUES (?1, ?2, ?3, ?4, 'holder', ?5, '9876543210', ?6, ?7, ?8, ?9, ?10, ?11)",
            )?;
            let mut ins_l = tx.prepare(
                "INSERT INTO receipt_lines (receipt_id, line_no, service_code, department, consumer_no,
                    bill_paise, charge_paise, commission_paise)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?;
            for seq in 1..=receipts {
                let at = start + CDuration::milliseconds(step_ms * seq as i64);
                let id = uuid::Uuid::from_u128(((at.timestamp_millis() as u128) << 80) | seq as u128)
                    .to_string();
                let lines = 1 + (rng.below(4) == 0) as u64 + (rng.below(8) == 0) as u64;
                let (mut bills, mut charges, mut comm) = (0i64, 0i64, 0i64);
                let mut rows = Vec::new();
                for l in 1..=lines {
                    let (svc, dept, charge, c) = SERVICES[rng.below(SERVICES.len() as u64) as usize];
                    // ~40,000 distinct consumers, so each recurs monthly-ish.
                    let consumer = format!("{:012}", 210_000_000_000 + rng.below(40_000));
                    let bill = 5_000 + rng.below(500_000) as i64;
                    bills += bill;
                    charges += charge;
                    comm += c;
                    rows.push((l, svc, dept, consumer, bill, charge, c));
                }
                let status = match rng.below(100) {
                    0..=1 => "cancelled",
                    2..=59 => "final",
                    _ => "provisional",
                };
                let mode = if rng.below(20) == 0 { "cheque" } else { "wallet" };
                ins_r.execute(params![
                    id,
                    format!("K10023456-001-{seq:07}"),
                    seq,
                    ts(at),
                    mode,
                    lines,
                    bills,
                    charges,
                    bills + charges,
                    comm,
                    status
                ])?;
                for (l, svc, dept, consumer, bill, charge, c) in rows {
                    ins_l.execute(params![id, l, svc, dept, consumer, bill, charge, c])?;
                }
            }
            Ok(())
        })
        .expect("generate");
    k.store().conn().execute_batch("ANALYZE").expect("analyze");
    let gen_secs = t.elapsed().as_secs_f64();
    eprintln!("generated {receipts} receipts in {gen_secs:.1} s");

    let mut by_kind: BTreeMap<&str, Vec<Duration>> = BTreeMap::new();
    let mut time = |kind: &'static str, f: &mut dyn FnMut()| {
        let t = Instant::now();
        f();
        by_kind.entry(kind).or_default().push(t.elapsed());
    };
    let days: Vec<chrono::NaiveDate> = (0..365)
        .step_by(7)
        .map(|d| domain::clock::ist_date(start + CDuration::days(d + 1)))
        .collect();
    for (i, day) in days.iter().enumerate() {
        let (from, to) = domain::clock::ist_day_bounds(*day);
        time("day_totals", &mut || {
            let t = k.totals_for_day(*day).unwrap();
            assert!(t.receipts > 0 && t.total > Paise::ZERO);
        });
        time("search_day_page", &mut || {
            let p = k
                .search_receipts(&ReceiptQuery {
                    from: Some(from),
                    to: Some(to),
                    page: (i % 3) as u32,
                    ..Default::default()
                })
                .unwrap();
            assert!(i % 3 != 0 || !p.receipts.is_empty());
        });
        time("search_latest_page", &mut || {
            let p = k.search_receipts(&ReceiptQuery::default()).unwrap();
            assert_eq!(p.receipts.len(), 50);
        });
        let seq = 1 + (i as u64 * 9_973) % receipts;
        time("search_receipt_no", &mut || {
            let p = k
                .search_receipts(&ReceiptQuery {
                    receipt_no: Some(format!("K10023456-001-{seq:07}")),
                    ..Default::default()
                })
                .unwrap();
            assert_eq!(p.receipts.len(), 1);
        });
        time("search_consumer", &mut || {
            let p = k
                .search_receipts(&ReceiptQuery {
                    consumer_no: Some(format!(
                        "{:012}",
                        210_000_000_000u64 + (i as u64 * 701) % 40_000
                    )),
                    ..Default::default()
                })
                .unwrap();
            assert!(p.receipts.len() <= 50);
        });
        time("search_service_week", &mut || {
            let p = k
                .search_receipts(&ReceiptQuery {
                    from: Some(from - CDuration::days(6)),
                    to: Some(to),
                    service: Some(SERVICES[i % SERVICES.len()].0.into()),
                    ..Default::default()
                })
                .unwrap();
            assert!(!p.receipts.is_empty());
        });
        time("search_cancelled", &mut || {
            let p = k
                .search_receipts(&ReceiptQuery {
                    status: Some(ReceiptStatus::Cancelled),
                    page: (i % 5) as u32,
                    ..Default::default()
                })
                .unwrap();
            assert!(p.receipts.len() <= 50);
        });
        time("month_totals", &mut || {
            let t = k.totals(from - CDuration::days(29), to).unwrap();
            assert!(t.receipts > 0);
        });
        time("quarter_totals", &mut || {
            let t = k.totals(from - CDuration::days(90), to).unwrap();
            assert!(t.receipts > 0);
        });
        time("year_totals", &mut || {
            let t = k.totals(start, end).unwrap();
            assert!(t.receipts > 0);
        });
        // Any range: from some minute of one day to some minute of a later one.
        let a = start + CDuration::minutes(rng.below(300 * 1440) as i64);
        let b = a + CDuration::minutes(1 + rng.below(60 * 1440) as i64);
        time("range_totals", &mut || {
            let t = k.totals(a, b).unwrap();
            assert!(t.receipts > 0);
        });
    }
    let mut all: Vec<Duration> = by_kind.values().flatten().copied().collect();
    all.sort();
    let mut kinds = serde_json::Map::new();
    for (kind, v) in by_kind.iter_mut() {
        v.sort();
        kinds.insert(
            kind.to_string(),
            serde_json::json!({
                "n": v.len(),
                "p50_ms": round3(quantile_ms(v, 0.5)),
                "p99_ms": round3(quantile_ms(v, 0.99)),
                "max_ms": round3(quantile_ms(v, 1.0)),
            }),
        );
    }
    let v = serde_json::json!({
        "benchmark": "reports",
        "what": "totals over a day, a month, a quarter, a year and any range (mid-day to mid-day), and receipt search pages, over a year of receipts",
        "receipts": receipts,
        "generate_secs": round3(gen_secs),
        "n": all.len(),
        "p50_ms": round3(quantile_ms(&all, 0.5)),
        "p99_ms": round3(quantile_ms(&all, 0.99)),
        "max_ms": round3(quantile_ms(&all, 1.0)),
        "goal_p99_ms": 50.0,
        "month_totals_p99_ms": round3(quantile_ms(&by_kind["month_totals"], 0.99)),
        "goal_month_totals_p99_ms": 50.0,
        "by_kind": kinds,
    });
    write_json("reports", &v);
}
