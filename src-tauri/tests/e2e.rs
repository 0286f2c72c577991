//! The real app in a real WebKit window under Xvfb, driven by keyboard as
//! an operator works, against a real `kiosk-server` process (SQLite, demo
//! data) and a TCP printer sink. One test, run in order, because each step
//! builds on the kiosk the one before left (registration is once per
//! device). `E2E_SCREENS=DIR` also saves a screenshot of each screen, in
//! English and in Hindi.

use std::path::{Path, PathBuf};

use desktop_harness::*;

const APP: &str = env!("CARGO_BIN_EXE_kiosk-desktop");

fn screens() -> Option<PathBuf> {
    std::env::var_os("E2E_SCREENS").map(PathBuf::from)
}

/// The screen as it is, in English, then in Hindi (F11 switches on every
/// screen), then back.
async fn shot(app: &App, name: &str) {
    let Some(d) = screens() else { return };
    for lang in ["en", "hi"] {
        app.wait_attr("[data-phase]", "lang", |l| l == lang).await;
        app.screenshot(&d.join(lang).join(format!("{name}.png")))
            .await;
        app.keys(key::F11).await;
    }
    app.wait_attr("[data-phase]", "lang", |l| l == "en").await;
}

fn validate(bytes: &[u8], profile: &str) {
    let p = print::Profile::builtin_by_id(profile).unwrap();
    print::stream::validate(bytes, &p).unwrap_or_else(|e| panic!("printer bytes invalid: {e:?}"));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_counter_in_the_real_app() {
    let dir = tempfile::tempdir().unwrap();
    let root: &Path = dir.path();
    let mut centre = CentreProcess::start(root).unwrap();
    let display = Display::start();
    let bus = SessionBus::start();
    let data = root.join("app");
    preset(&data, &centre.url());
    let driver = Driver::start(&display, &bus, Path::new(APP), &data);
    let db = kiosk_db(&data);

    // ---- first run: registration, with a wrong password first.
    driver.step("first run");
    let app = driver.launch().await;
    app.wait_phase("setup").await;
    shot(&app, "setup").await;
    app.type_in("setup-kiosk", DEMO_KIOSK).await;
    app.type_in("setup-login", DEMO_HOLDER.0).await;
    app.type_in("setup-password", "Wrong@2026").await;
    app.click("setup-submit").await;
    let e = app
        .wait_attr(&tid("setup-error"), "data-code", |c| !c.is_empty())
        .await;
    assert_eq!(e, "auth.bad_credentials");
    app.type_in("setup-password", DEMO_HOLDER.1).await;
    app.click("setup-submit").await;
    app.wait_phase("counter").await;
    app.wait_attr("[data-phase]", "data-ready", |r| r == "1")
        .await;
    pending_is(&app, 0).await;
    app.close().await;

    // ---- operator login online, on a fresh start of the app.
    driver.step("operator login online, on a fresh start of the app");
    let sink = PrinterSink::start();
    use_printer(&data, &sink, "escp9-generic");
    let app = driver.launch().await;
    shot(&app, "login").await;
    login(&app, OPERATOR).await;
    app.wait_phase("counter").await;
    app.wait_attr("[data-phase]", "data-ready", |r| r == "1")
        .await;
    assert!(app.text("status-operator").await.contains(OPERATOR.0));

    // ---- three bills by keyboard only, one receipt.
    driver.step("three bills by keyboard only, one receipt");
    bill_by_keys(&app, "JVVNL", "210000000002").await;
    wait_cart_lines(&app, 1).await;
    bill_by_keys(&app, "PHED", "1000002").await;
    wait_cart_lines(&app, 2).await;
    // A reload of the window mid-cart keeps the cart (it lives in Rust).
    app.client.refresh().await.unwrap();
    app.wait_attr("[data-phase]", "data-ready", |r| r == "1")
        .await;
    wait_cart_lines(&app, 2).await;
    bill_by_keys(&app, "BSNL", "01412345678").await;
    wait_cart_lines(&app, 3).await;
    shot(&app, "counter-cart").await;
    app.keys(key::F6).await;
    app.wait_focus("mobile-input").await;
    app.keys("9829012345").await;
    app.keys(key::F7).await;
    driver.step("pay, pressed twice");
    // Pay pressed twice in a row: one receipt.
    app.keys(key::F9).await;
    app.keys(key::F9).await;
    let receipt_no = app.wait_text("receipt-no", |t| !t.trim().is_empty()).await;
    shot(&app, "after-pay").await;
    let jobs = sink.wait_jobs(1);
    validate(&jobs[0].bytes, "escp9-generic");
    app.by("preview-img").await;
    driver.step("printed; waiting for sync");
    // Sync: pending 1 → 0, the receipt becomes final on screen.
    pending_is(&app, 0).await;
    app.wait_attr(&tid("receipt-status"), "data-status", |s| s == "final")
        .await;
    assert_eq!(
        count(&db, "SELECT COUNT(*) FROM receipts"),
        1,
        "{receipt_no}"
    );
    assert_eq!(centre_payments(root), 1);
    driver.step("reprint");
    // Reprint: a DUPLICATE COPY.
    app.click("print-button").await;
    let jobs = sink.wait_jobs(2);
    validate(&jobs[1].bytes, "escp9-generic");
    app.keys(key::ESC).await;

    // ---- the centre stops: an offline payment is PROVISIONAL, and final
    driver.step("the centre stops");
    // once the centre is back.
    let centre_dir = root.to_path_buf();
    let addr = centre.addr.to_string();
    drop(centre);
    // A municipal tax bill: typed from the paper bill (no fetch needed).
    bill_by_keys_offline(&app, "JMC", "JP1000001", "340").await;
    wait_cart_lines(&app, 1).await;
    app.keys(key::F6).await;
    app.wait_focus("mobile-input").await;
    app.keys("9829012345").await;
    app.keys(key::F7).await;
    app.keys(key::F9).await;
    app.wait_attr(&tid("receipt-status"), "data-status", |s| {
        s == "provisional"
    })
    .await;
    pending_is(&app, 1).await;
    shot(&app, "after-pay-offline").await;
    driver.step("the centre is back");
    centre = CentreProcess::start_at(&centre_dir, &addr).unwrap();
    app.wait_attr(&tid("receipt-status"), "data-status", |s| s == "final")
        .await;
    pending_is(&app, 0).await;
    assert_eq!(centre_payments(root), 2);
    app.keys(key::ESC).await;
    app.close().await;

    // ---- operator login offline (the centre stopped).
    driver.step("operator login offline (the centre stopped)");
    drop(centre);
    let app = driver.launch().await;
    login(&app, OPERATOR).await;
    app.wait_phase("counter").await;
    app.by("login-offline").await;
    app.close().await;

    // ---- the app is killed right after Pay: after a restart the payment
    driver.step("the app is killed right after Pay");
    // exists once or not at all, and the screen says which.
    let _centre = CentreProcess::start_at(&centre_dir, &addr).unwrap();
    let app = driver.launch().await;
    login(&app, OPERATOR).await;
    app.wait_attr("[data-phase]", "data-ready", |r| r == "1")
        .await;
    bill_by_keys(&app, "JVVNL", "210000000003").await;
    wait_cart_lines(&app, 1).await;
    app.keys(key::F6).await;
    app.wait_focus("mobile-input").await;
    app.keys("9829012345").await;
    app.keys(key::F7).await;
    let before = count(&db, "SELECT COUNT(*) FROM receipts");
    app.keys(key::F9).await;
    for pid in driver.app_pids() {
        // SAFETY: a process this test started.
        unsafe { libc::kill(pid, libc::SIGKILL) };
    }
    drop(app);
    let after = count(&db, "SELECT COUNT(*) FROM receipts");
    assert!(after == before || after == before + 1);
    driver.step("restart after the kill");
    let app = driver.launch().await;
    login(&app, OPERATOR).await;
    app.wait_attr("[data-phase]", "data-ready", |r| r == "1")
        .await;
    if after == before + 1 {
        // Paid, once: the screen says so.
        let banner = app.by("recovery-banner").await;
        let paid = banner.attr("data-paid").await.unwrap().unwrap_or_default();
        assert_eq!(paid, "1", "the screen says the payment was made");
    } else {
        // Not paid: the cart is as it was (and a banner, if Pay had
        // reached the service, says it was not paid).
        if app.exists(&tid("recovery-banner")).await {
            let paid = app.attr_of("recovery-banner", "data-paid").await;
            assert_eq!(paid.as_deref(), Some("0"));
        }
        wait_cart_lines(&app, 1).await;
    }
    shot(&app, "recovery").await;
    app.close().await;
}

/// One bill offline: the amount typed from the paper bill.
async fn bill_by_keys_offline(app: &App, search: &str, consumer: &str, amount: &str) {
    app.keys(key::F2).await;
    app.wait_focus("search").await;
    app.keys(search).await;
    app.keys(key::ENTER).await;
    app.wait_focus("consumer-input").await;
    app.keys(consumer).await;
    app.keys(key::ENTER).await;
    app.wait_focus("amount-input").await;
    app.keys(amount).await;
    app.keys(key::ENTER).await;
}
