//! `app-pay-to-print`: the Pay key in the real app (`desktop` profile) →
//! the first byte of the receipt at a TCP printer, over keyboard payments
//! of one typed bill each, the centre online. Key `p99_ms` (also `p50_ms`,
//! `max_ms`, `payments`).

use desktop_harness::*;

const PAYMENTS: usize = 100;

#[tokio::main]
async fn main() {
    let (app_exe, _) = build_bench_apps();
    let rig = Rig::new(&app_exe, |_, _| {}).await;
    let app = rig.counter().await;
    let mut ms = Vec::new();
    for i in 0..PAYMENTS {
        let d = pay_typed_bill(&app, &rig.sink, i).await;
        ms.push(d.as_secs_f64() * 1e3);
    }
    app.close().await;
    write_results(&serde_json::json!({
        "p99_ms": (percentile(&ms, 99.0) * 10.0).round() / 10.0,
        "p50_ms": (percentile(&ms, 50.0) * 10.0).round() / 10.0,
        "max_ms": (percentile(&ms, 100.0) * 10.0).round() / 10.0,
        "payments": PAYMENTS,
        "profile": "desktop",
        "printer_profile": PROFILE,
    }))
    .unwrap();
}
