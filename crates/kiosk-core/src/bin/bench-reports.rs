//! Reports over a big kiosk database: 500,000 receipts (`BENCH_RECEIPTS`)
//! over a year, ~1.5 bills each. Measures a day's totals and pages of the
//! receipt search (by date, receipt no., consumer no., service, status),
//! and totals over a month, a quarter, a year and ranges that start and end
//! mid-day. Writes `p99_ms` over all of them and `month_totals_p99_ms`
//! (goal for both ≤ 50 ms), and the figures per kind.

use chrono::{Duration as CDuration, TimeZone, Utc};
use domain::{FixedClock, Paise};
use kiosk_core::bench_util::{
    HISTORY_SERVICES, History, Rng, fill_history, quantile_ms, round3, work_dir, write_json,
};
use kiosk_core::{InitParams, Kiosk, ReceiptQuery, ReceiptStatus};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

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
    k.store_mut()
        .write(|tx| -> Result<(), kiosk_store::StoreError> {
            Ok(fill_history(
                tx,
                &History {
                    receipt_prefix: "K10023456-001",
                    operator: "holder",
                    receipts,
                    start,
                    end,
                },
            )?)
        })
        .expect("generate");
    k.store().conn().execute_batch("ANALYZE").expect("analyze");
    let gen_secs = t.elapsed().as_secs_f64();
    eprintln!("generated {receipts} receipts in {gen_secs:.1} s");

    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
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
                    service: Some(HISTORY_SERVICES[i % HISTORY_SERVICES.len()].0.into()),
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
