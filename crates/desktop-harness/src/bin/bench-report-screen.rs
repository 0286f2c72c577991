//! `report-screen`: the back office's reports in the real app (`desktop`)
//! over a kiosk database of 500,000 receipts (`BENCH_RECEIPTS`) spread over
//! five years. For each of the last 12 whole months: the first page of the
//! month's transactions, a re-sort by amount (both ways), and the month's
//! commission report (per service per day). Each is measured in the window
//! (`window.__kioskPerf.report`: the request made → the rows rendered and
//! laid out), so it is the command and the render. Keys `first_page_ms`,
//! `sort_ms`, `commission_ms` (medians; also `*_max_ms`, and
//! `first_page_cold_ms`, the first request after the app opened).

use chrono::{Datelike, Months, NaiveDate};
use desktop_harness::*;

const YEARS: i64 = 5;

/// The window's report measurement number `seen` (0-based), answered by
/// the window itself once it is taken (no polling from here).
async fn next_sample(app: &App, seen: usize) -> serde_json::Value {
    let js = "const [n, done] = arguments; const p = window.__kioskPerf.report; \
              (function look() { if (p.length > n) done(p[n]); else requestAnimationFrame(look); })();";
    within(
        "a report measured",
        app.client.execute_async(js, vec![serde_json::json!(seen)]),
    )
    .await
    .expect("the window answers")
}

async fn measured(app: &App, seen: &mut usize, what: &str, press: &str) -> f64 {
    app.click(press).await;
    let s = next_sample(app, *seen).await;
    *seen += 1;
    assert_eq!(s["what"], what, "{s}");
    assert!(s["rows"].as_u64().unwrap() > 0, "an empty report: {s}");
    s["ms"].as_f64().unwrap()
}

fn median(v: &[f64]) -> f64 {
    percentile(v, 50.0)
}

fn r2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

#[tokio::main]
async fn main() {
    let (rig, receipts, end) = rig_with_history(YEARS).await;
    let app = rig.counter().await;
    app.open_reports().await;
    // The screen opens on the last seven days; that request is not counted.
    let mut seen = 0;
    next_sample(&app, 0).await;
    seen += 1;

    let this_month = NaiveDate::from_ymd_opt(end.year(), end.month(), 1).unwrap();
    let months: Vec<(NaiveDate, NaiveDate)> = (1..=12)
        .map(|i| {
            let first = this_month - Months::new(i);
            (first, first + Months::new(1) - chrono::Days::new(1))
        })
        .collect();
    let (mut first, mut sort, mut comm) = (vec![], vec![], vec![]);
    for (from, to) in &months {
        app.set_date("report-from", &from.to_string()).await;
        app.set_date("report-to", &to.to_string()).await;
        first.push(measured(&app, &mut seen, "transactions", "report-show").await);
        // By amount, largest first, then the other way round.
        sort.push(measured(&app, &mut seen, "transactions", "sort-total").await);
        sort.push(measured(&app, &mut seen, "transactions", "sort-total").await);
        // Back to the time order for the next month.
        app.click("sort-created_at").await;
        next_sample(&app, seen).await;
        seen += 1;
    }
    measured(&app, &mut seen, "commissions", "report-kind-commissions").await;
    for (from, to) in &months {
        app.set_date("report-from", &from.to_string()).await;
        app.set_date("report-to", &to.to_string()).await;
        comm.push(measured(&app, &mut seen, "commissions", "report-show").await);
    }
    let month_rows: serde_json::Value = app
        .eval("return document.querySelectorAll('[data-testid=\"report-row\"]').length")
        .await;
    app.close().await;
    write_results(&serde_json::json!({
        "first_page_ms": r2(median(&first)),
        "first_page_max_ms": r2(percentile(&first, 100.0)),
        "first_page_cold_ms": r2(first[0]),
        "sort_ms": r2(median(&sort)),
        "sort_max_ms": r2(percentile(&sort, 100.0)),
        "commission_ms": r2(median(&comm)),
        "commission_max_ms": r2(percentile(&comm, 100.0)),
        "goal_ms": 100,
        "months": months.len(),
        "commission_rows_last_month": month_rows,
        "receipts": receipts,
        "years": YEARS,
        "profile": "desktop",
    }))
    .unwrap();
}
