//! `export`: a year of transactions (~100,000 receipts of a kiosk database
//! of 500,000 over five years, `BENCH_RECEIPTS`) exported to XLSX from the
//! reports screen of the real app (`desktop` profile): the key pressed → the screen
//! says where the file is. The file is then read back (calamine) and its
//! rows counted against the database. Key `xlsx_s` (also `rows`, `bytes`).

use calamine::Reader;
use chrono::Days;
use desktop_harness::*;
use std::time::Instant;

#[tokio::main]
async fn main() {
    let (rig, receipts, end) = rig_with_history(5).await;
    let to = end.date_naive();
    let from = to - Days::new(364);
    let app = rig.counter().await;
    app.open_reports().await;
    app.set_date("report-from", &from.to_string()).await;
    app.set_date("report-to", &to.to_string()).await;
    app.click("report-show").await;
    app.wait_attr(&tid("report-table"), "aria-busy", |b| b == "false")
        .await;
    let t0 = Instant::now();
    app.keys(key::F7).await;
    app.wait_text("report-done", |t| t.contains(".xlsx")).await;
    let secs = t0.elapsed().as_secs_f64();
    let path = app
        .attr_now("[data-testid=\"report-done\"] .path", "title")
        .await
        .expect("the file's path on screen");
    app.close().await;

    let bytes = std::fs::metadata(&path).unwrap().len();
    let mut book = calamine::open_workbook_auto(&path).unwrap();
    let sheet = book.worksheet_range_at(0).unwrap().unwrap();
    // Title, subtitle, a blank line and the header above; totals below.
    let rows = sheet.rows().count() - 5;
    // The report's days are India's.
    let (start, _) = domain::clock::ist_day_bounds(from);
    let (_, end) = domain::clock::ist_day_bounds(to);
    let in_db = count(
        &kiosk_db(&rig.data),
        &format!(
            "SELECT COUNT(*) FROM receipts WHERE created_at >= '{}' AND created_at < '{}'",
            kiosk_store::ts(start),
            kiosk_store::ts(end)
        ),
    );
    assert_eq!(
        rows as i64, in_db,
        "every receipt of the year is in the file"
    );
    write_results(&serde_json::json!({
        "xlsx_s": (secs * 100.0).round() / 100.0,
        "goal_s": 5,
        "rows": rows,
        "bytes": bytes,
        "from": from.to_string(),
        "to": to.to_string(),
        "receipts_in_db": receipts,
        "profile": "desktop",
    }))
    .unwrap();
}
