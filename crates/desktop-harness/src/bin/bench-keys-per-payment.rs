//! `keys-per-payment`: the keystrokes beyond the typed data (consumer
//! numbers, amounts, mobile) for a three-bill wallet payment in the real
//! app, online, bills fetched from the department: counted as sent, each
//! one checked to have done its step. Key `keys` (and the `sequence`).

use desktop_harness::*;

#[tokio::main]
async fn main() {
    let (app_exe, _) = build_bench_apps();
    let rig = Rig::new(&app_exe, |_, _| {}).await;
    let app = rig.counter().await;
    let mut seq: Vec<&str> = Vec::new();

    let focused = app
        .eval("return document.activeElement && document.activeElement.dataset.testid")
        .await;
    if focused.as_str() != Some("search") {
        app.keys(key::F2).await;
        seq.push("F2");
        app.wait_focus("search").await;
    }
    // The service: the favourites are listed first; ↓ until JVVNL's bill.
    for _ in 0..10 {
        let active = app.attr_now(".result.active", "data-code").await;
        if active.as_deref() == Some("JVVNL-BILL") {
            break;
        }
        app.keys(key::DOWN).await;
        seq.push("Down");
    }
    app.keys(key::ENTER).await;
    seq.push("Enter (service)");
    for (n, no) in ["210000000001", "210000000002", "210000000003"]
        .into_iter()
        .enumerate()
    {
        app.wait_focus("consumer-input").await;
        app.keys(no).await;
        app.keys(key::ENTER).await;
        seq.push("Enter (Get Bill Details)");
        app.by("bill-details").await;
        app.keys(key::ENTER).await;
        seq.push("Enter (Add)");
        wait_cart_lines(&app, n + 1).await;
    }
    app.keys(key::F6).await;
    seq.push("F6 (mobile)");
    app.wait_focus("mobile-input").await;
    app.keys("9829012345").await;
    app.keys(key::ENTER).await;
    seq.push("Enter (Pay)");
    app.wait_text("receipt-no", |t| !t.trim().is_empty()).await;
    let lines = app.count(&tid("receipt-line")).await;
    assert_eq!(lines, 3, "the receipt has the three bills");
    let mode = count(
        &kiosk_db(&rig.data),
        "SELECT COUNT(*) FROM receipts WHERE mode = 'wallet'",
    );
    assert_eq!(mode, 1, "one wallet receipt");
    app.close().await;
    write_results(&serde_json::json!({
        "keys": seq.len(),
        "sequence": seq,
        "bills": 3,
    }))
    .unwrap();
}
