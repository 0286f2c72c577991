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
    let jobs = sink.wait_jobs(1);
    validate(&jobs[0].bytes, "escp9-generic");
    // The preview is drawn from those bytes (a blank box fails here).
    app.wait_attr(&tid("preview-img"), "data-painted", |p| p == "1")
        .await;
    shot(&app, "after-pay").await;
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
    // The provisional slip is drawn too before the screen is shot.
    app.wait_attr(&tid("preview-img"), "data-painted", |p| p == "1")
        .await;
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
    let pids = driver.app_pids();
    for pid in &pids {
        // SAFETY: a process this test started.
        unsafe { libc::kill(*pid, libc::SIGKILL) };
    }
    drop(app);
    // Only once every thread is gone is the database's word final: a
    // killed process may still be finishing its commit on the other core.
    wait_dead(&pids).await;
    driver.wait_gone().await;
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

/// The back office's screen `view` reached from its menu by its key (Esc
/// steps back to the menu: out of an open receipt first).
async fn office_screen(app: &App, k: &str, view: &str) {
    for _ in 0..3 {
        if app.attr_of("office", "data-view").await.as_deref() == Some("menu") {
            break;
        }
        app.keys(key::ESC).await;
    }
    app.wait_attr(&tid("office"), "data-view", |v| v == "menu")
        .await;
    app.keys(k).await;
    app.wait_attr(&tid("office"), "data-view", |v| v == view)
        .await;
    app.el(&tid(view)).await;
}

/// The file a report export wrote, as the screen names it.
async fn exported(app: &App, ext: &str) -> PathBuf {
    app.wait_text("report-done", |t| t.contains(ext)).await;
    let path = app
        .attr_now("[data-testid=\"report-done\"] .path", "title")
        .await
        .expect("the file's path on screen");
    PathBuf::from(path)
}

fn money_cell(c: &calamine::Data) -> i64 {
    match c {
        calamine::Data::Float(f) => (f * 100.0).round() as i64,
        calamine::Data::Int(i) => i * 100,
        other => panic!("not an amount: {other:?}"),
    }
}

/// The data-id of each report row, in screen order.
async fn row_ids(app: &App) -> Vec<String> {
    let v = app
        .eval("return [...document.querySelectorAll('[data-testid=\"report-row\"]')].map(e => e.dataset.id)")
        .await;
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_str().unwrap().to_string())
        .collect()
}

/// The holder's back office in the real app, by keyboard from the counter:
/// every screen reached by its key (a screenshot of each, English and
/// Hindi); the transactions report sorted by each column; exported to
/// CSV, XLSX and PDF and read back with the database's totals; printed to
/// the printer (its bytes validated); a receipt cancelled while the centre
/// is down that reaches the centre after sync, with the citizen's SMS in
/// the centre's notifications outbox; an operator refused what only the
/// holder may do.
#[tokio::test(flavor = "multi_thread")]
async fn the_back_office_in_the_real_app() {
    use calamine::Reader;
    // Registered by the holder, the receipt printer a TCP sink; the
    // centre's SMS go to a stand-in gateway (the real one is a third
    // party's), where the test reads a forgotten password's code.
    let sms_gateway = SmsReceiver::start().await.unwrap();
    let centre_extra = format!(
        "notify_every_secs = 1\n[sms]\nurl = {:?}\n",
        sms_gateway.url
    );
    let mut rig = Rig::with_centre_config(Path::new(APP), &centre_extra, |_, _| {}).await;
    let (driver, sink, db) = (&rig.driver, &rig.sink, kiosk_db(&rig.data));

    driver.step("three receipts at the counter");
    let app = driver.launch().await;
    login(&app, DEMO_HOLDER).await;
    app.wait_phase("counter").await;
    app.wait_ready().await;
    let carts: [&[(&str, &str)]; 3] = [
        &[("JVVNL", "210000000002")],
        &[("PHED", "1000002"), ("BSNL", "01412345678")],
        &[("JVVNL", "210000000003")],
    ];
    let mut receipts = vec![];
    for bills in carts {
        for (i, (search, consumer)) in bills.iter().enumerate() {
            bill_by_keys(&app, search, consumer).await;
            wait_cart_lines(&app, i + 1).await;
        }
        app.keys(key::F6).await;
        app.wait_focus("mobile-input").await;
        app.keys("9829012345").await;
        app.keys(key::F7).await;
        app.keys(key::F9).await;
        receipts.push(app.wait_text("receipt-no", |t| !t.trim().is_empty()).await);
        app.keys(key::ESC).await;
        wait_cart_lines(&app, 0).await;
    }
    pending_is(&app, 0).await;
    sink.wait_jobs(3);
    let total = count(
        &db,
        "SELECT SUM(total_paise) FROM receipts WHERE status <> 'cancelled'",
    );
    let commission = count(
        &db,
        "SELECT SUM(commission_paise) FROM receipts WHERE status <> 'cancelled'",
    );

    driver.step("the office menu, then reports");
    app.keys(key::F12).await;
    app.wait_focus("office-menu-reports").await;
    shot(&app, "office-menu").await;
    app.keys(key::F2).await;
    app.wait_attr(&tid("report-totals"), "data-total", |t| {
        t == total.to_string()
    })
    .await;
    let by_time: Vec<String> = {
        let c = kiosk_store::rusqlite::Connection::open(&db).unwrap();
        let mut s = c
            .prepare("SELECT id FROM receipts ORDER BY created_at DESC")
            .unwrap();
        s.query_map([], |r| r.get(0))
            .unwrap()
            .map(|r| r.unwrap())
            .collect()
    };
    assert_eq!(row_ids(&app).await, by_time, "newest first");

    driver.step("sorted by each column");
    for col in [
        "receipt_no",
        "created_at",
        "operator",
        "services",
        "consumers",
        "mode",
        "status",
        "lines",
        "total",
        "commission",
    ] {
        for _ in 0..2 {
            let before = app
                .attr_of(&format!("sort-{col}-head"), "aria-sort")
                .await
                .unwrap_or_default();
            app.click(&format!("sort-{col}")).await;
            let now = app
                .wait_attr(&tid(&format!("sort-{col}-head")), "aria-sort", |s| {
                    s != "none" && s != before
                })
                .await;
            app.wait_attr(&tid("report-table"), "aria-busy", |b| b == "false")
                .await;
            let ids = row_ids(&app).await;
            let mut sorted = ids.clone();
            sorted.sort();
            let mut all = by_time.clone();
            all.sort();
            assert_eq!(sorted, all, "every receipt, once, sorted by {col}");
            if col == "total" {
                let v = app
                    .eval("return [...document.querySelectorAll('[data-testid=\"report-row\"]')].map(e => Number(e.dataset.total))")
                    .await;
                let t: Vec<i64> = v
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|x| x.as_i64().unwrap())
                    .collect();
                let mut want = t.clone();
                want.sort();
                if now == "descending" {
                    want.reverse();
                }
                assert_eq!(t, want, "by amount, {now}");
            }
            if col == "created_at" {
                let mut want = by_time.clone();
                if now == "ascending" {
                    want.reverse();
                }
                assert_eq!(ids, want, "by time, {now}");
            }
        }
    }
    shot(&app, "reports-transactions").await;

    driver.step("exported to CSV, XLSX and PDF, read back");
    app.keys(key::F6).await;
    let csv = std::fs::read_to_string(exported(&app, ".csv").await).unwrap();
    let last: Vec<&str> = csv.lines().last().unwrap().split(',').collect();
    let rupees = |s: &str| -> i64 {
        let (r, p) = s.split_once('.').unwrap();
        r.parse::<i64>().unwrap() * 100 + p.parse::<i64>().unwrap()
    };
    assert!(last[0].starts_with("TOTAL"), "{csv}");
    assert_eq!(rupees(last[8]), total);
    assert_eq!(rupees(last[9]), commission);
    app.keys(key::F7).await;
    let x = exported(&app, ".xlsx").await;
    let mut wb: calamine::Xlsx<_> = calamine::open_workbook(&x).unwrap();
    let sheet = wb.worksheet_range("transactions").unwrap();
    let tot = sheet.rows().next_back().unwrap().to_vec();
    assert!(tot[0].to_string().starts_with("TOTAL"));
    assert_eq!(money_cell(&tot[8]), total);
    assert_eq!(money_cell(&tot[9]), commission);
    shot(&app, "reports-exported").await;
    app.keys(key::F8).await;
    let pdf = exported(&app, ".pdf").await;
    let out = std::process::Command::new("pdftotext")
        .args(["-layout", pdf.to_str().unwrap(), "-"])
        .output()
        .expect("pdftotext (poppler-utils) is installed");
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .find(|l| l.trim_start().starts_with("TOTAL"))
        .unwrap_or_else(|| panic!("no totals row in {text}"));
    assert!(
        line.contains(&domain::Paise::new(total).format_plain()),
        "{line}"
    );

    driver.step("printed on the dot-matrix printer");
    let printed = sink.len();
    app.keys(key::F10).await;
    let jobs = sink.wait_jobs(printed + 1);
    let report = &jobs[printed].bytes;
    validate(report, "escp9-generic");
    let want = domain::Paise::new(total).format_plain();
    assert!(
        String::from_utf8_lossy(report).contains(&want),
        "the printed report carries the total {want}"
    );
    app.keys(key::F5).await;
    app.wait_attr(&tid("reports"), "data-kind", |k| k == "commissions")
        .await;
    app.wait_attr(&tid("report-totals"), "data-total", |t| {
        t == total.to_string()
    })
    .await;
    shot(&app, "reports-commissions").await;

    driver.step("a receipt found, then cancelled while the centre is down");
    office_screen(&app, key::F3, "receipts").await;
    app.wait_focus("receipt-query").await;
    app.keys(&receipts[2]).await;
    app.keys(key::ENTER).await;
    app.el(&tid("receipt-detail")).await;
    shot(&app, "receipts-detail").await;
    let centre_addr = rig.centre.take().expect("the centre runs").addr;
    app.keys(key::F9).await;
    app.wait_focus("cancel-reason").await;
    app.keys("Wrong consumer number").await;
    shot(&app, "receipts-cancel").await;
    app.keys(key::ENTER).await;
    app.by("detail-cancel-pending").await;
    pending_is(&app, 1).await;
    assert_eq!(
        count(
            &db,
            "SELECT COUNT(*) FROM outbox WHERE kind = 'cancellation' AND outcome IS NULL"
        ),
        1
    );
    driver.step("the centre back: the cancellation reaches it");
    rig.centre = Some(
        CentreProcess::start_with(rig.dir.path(), &centre_addr.to_string(), &centre_extra).unwrap(),
    );
    pending_is(&app, 0).await;
    let centre_db = rig.dir.path().join("centre/server.db");
    let sms = count(
        &centre_db,
        "SELECT COUNT(*) FROM notifications WHERE channel = 'sms' \
         AND recipient LIKE '%9829012345' AND subject LIKE '%cancelled'",
    );
    assert_eq!(sms, 1, "the citizen's SMS of the cancellation is queued");

    driver.step("reconcile, wallet, printers, tickets");
    office_screen(&app, key::F4, "reconcile").await;
    app.el(&tid("rec-row")).await;
    shot(&app, "reconcile").await;
    office_screen(&app, key::F5, "wallet").await;
    app.el(&tid("wallet-balance")).await;
    shot(&app, "wallet").await;
    // A refill request with the link down: queued here, then pending at
    // the centre once it is sent.
    let centre_addr = rig.centre.take().expect("the centre runs").addr;
    app.type_in("refill-amount", "25000").await;
    let mode = app
        .eval(
            "const s = document.querySelector('[data-testid=\"refill-mode\"]'); \
             s.value = 'neft_rtgs'; s.dispatchEvent(new Event('change', { bubbles: true })); return s.value",
        )
        .await;
    assert_eq!(mode, "neft_rtgs");
    app.type_in("refill-reference", "SBIN126000000777").await;
    app.click("refill-send").await;
    app.wait_attr(&tid("refill-row"), "data-state", |s| s == "queued")
        .await;
    shot(&app, "wallet-refill-offline").await;
    rig.centre = Some(
        CentreProcess::start_with(rig.dir.path(), &centre_addr.to_string(), &centre_extra).unwrap(),
    );
    app.wait_attr(&tid("refill-row"), "data-state", |s| s == "pending")
        .await;
    office_screen(&app, key::F6, "printers").await;
    app.el(&tid("printer-receipt-current")).await;
    shot(&app, "printers").await;
    office_screen(&app, key::F7, "tickets").await;
    app.wait_focus("ticket-category").await;
    // The category as the select takes it (a WebDriver click would open
    // GTK's popup menu, which WebDriver cannot drive); the event bubbles,
    // as Svelte listens for it at the root.
    let chosen = app
        .eval(
            "const s = document.querySelector('[data-testid=\"ticket-category\"]'); \
             s.value = 'printer'; s.dispatchEvent(new Event('change', { bubbles: true })); return s.value",
        )
        .await;
    assert_eq!(chosen, "printer");
    let description = "The printer skips the last line of each receipt";
    app.type_in("ticket-description", description).await;
    app.click("ticket-bundle").await;
    app.keys(key::F9).await;
    app.wait_attr(&tid("ticket-sent"), "data-id", |v| !v.is_empty())
        .await;
    app.by("ticket-bundle-sent").await;
    shot(&app, "tickets").await;
    // The holder's own screens: the centre's list of users (the demo
    // holder and operator among them), and the account's password form.
    office_screen(&app, key::F8, "users").await;
    app.el(&tid("user-row")).await;
    assert!(
        app.count(&tid("user-row")).await >= 2,
        "the holder and the operator"
    );
    shot(&app, "users").await;
    office_screen(&app, key::F9, "account").await;
    app.el(&tid("account-old")).await;
    shot(&app, "account").await;
    pending_is(&app, 0).await;
    // At the centre with its support bundle, and never a secret in it:
    // no password, no verifier (nor any argon2 hash), no key.
    let bundle: String = kiosk_store::rusqlite::Connection::open(&centre_db)
        .unwrap()
        .query_row(
            "SELECT attachment FROM tickets WHERE body LIKE '%' || ?1 || '%'",
            [description],
            |r| r.get(0),
        )
        .unwrap();
    assert!(bundle.len() > 200, "a bundle of {} bytes", bundle.len());
    let verifiers: Vec<String> = {
        let c = kiosk_store::rusqlite::Connection::open(&db).unwrap();
        let mut st = c
            .prepare("SELECT verifier FROM operator_credentials WHERE verifier IS NOT NULL")
            .unwrap();
        st.query_map([], |r| r.get::<_, String>(0))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    assert!(
        !verifiers.is_empty(),
        "the logins left verifiers to look for"
    );
    let mut secrets = vec![
        DEMO_HOLDER.1.to_string(),
        OPERATOR.1.to_string(),
        "$argon2".to_string(),
        "PRIVATE KEY".to_string(),
    ];
    // Each verifier's hash (its last part) too, in case it was cut.
    secrets.extend(
        verifiers
            .iter()
            .filter_map(|v| v.rsplit('$').next().map(str::to_string)),
    );
    for s in &secrets {
        assert!(
            !bundle.contains(s.as_str()),
            "the support bundle holds {s:?}"
        );
    }

    driver.step("an operator is refused the holder's actions");
    let queued = |kind: &str| {
        count(
            &db,
            &format!("SELECT COUNT(*) FROM outbox WHERE kind = '{kind}'"),
        )
    };
    let before: Vec<i64> = ["user_change", "refill_request"]
        .iter()
        .map(|k| queued(k))
        .collect();
    app.keys(key::F12).await;
    app.wait_phase("counter").await;
    app.click("logout-button").await;
    login(&app, OPERATOR).await;
    app.wait_phase("counter").await;
    app.wait_ready().await;
    app.keys(key::F12).await;
    app.wait_focus("office-menu-reports").await;
    app.keys(key::F3).await;
    app.wait_focus("receipt-query").await;
    app.keys(&receipts[0]).await;
    app.keys(key::ENTER).await;
    app.el(&tid("receipt-detail")).await;
    app.by("detail-holder-only").await;
    app.keys(key::F9).await;
    let code = app
        .wait_attr(&tid("receipt-error"), "data-code", |c| !c.is_empty())
        .await;
    assert_eq!(code, "session.holder_only");
    assert!(!app.exists(&tid("cancel-dialog")).await);
    office_screen(&app, key::F6, "printers").await;
    app.by("printer-holder-only").await;
    // Users and roles: not even the list.
    office_screen(&app, key::F8, "users").await;
    let code = app
        .wait_attr(&tid("user-list-error"), "data-code", |c| !c.is_empty())
        .await;
    assert_eq!(code, "session.holder_only");
    shot(&app, "users-operator").await;
    // A refill request: the form says whose it is.
    office_screen(&app, key::F5, "wallet").await;
    app.by("refill-holder-only").await;
    shot(&app, "wallet-operator").await;
    // De-registering this PC is the holder's too.
    office_screen(&app, key::F9, "account").await;
    app.by("dereg-holder-only").await;
    shot(&app, "account-operator").await;
    for (kind, had) in ["user_change", "refill_request"].iter().zip(&before) {
        assert_eq!(queued(kind), *had, "the operator queued no {kind}");
    }
    assert_eq!(
        count(
            &db,
            "SELECT COUNT(*) FROM outbox WHERE kind = 'cancellation'"
        ),
        1,
        "the operator cancelled nothing"
    );

    driver.step("the holder forgot the password: a code by SMS, then a new one");
    app.keys(key::F12).await;
    app.wait_phase("counter").await;
    app.click("logout-button").await;
    app.wait_phase("login").await;
    app.keys(key::F3).await;
    app.type_in("forgot-login", DEMO_HOLDER.0).await;
    app.click("forgot-send").await;
    app.by("forgot-sent").await;
    let code = otp_sent_to(&sms_gateway, DEMO_HOLDER_MOBILE).await;
    shot(&app, "forgot-code").await;
    let new_pw = "Jaipur@2027x";
    app.type_in("forgot-code", &code).await;
    app.type_in("forgot-new", new_pw).await;
    app.type_in("forgot-repeat", new_pw).await;
    app.click("forgot-submit").await;
    // Set, and logged in with it at once.
    app.wait_phase("counter").await;
    assert!(app.text("status-operator").await.contains(DEMO_HOLDER.0));
    // The old password is gone, the new one logs in.
    app.click("logout-button").await;
    login(&app, DEMO_HOLDER).await;
    let code = app
        .wait_attr(&tid("login-error"), "data-code", |c| !c.is_empty())
        .await;
    assert_eq!(code, "login.bad_credentials");
    login(&app, (DEMO_HOLDER.0, new_pw)).await;
    app.wait_phase("counter").await;
    app.close().await;
}

/// The 6-digit code of the newest SMS to `mobile` (what the citizen's
/// phone shows), waiting for the centre's sender.
async fn otp_sent_to(sms: &SmsReceiver, mobile: &str) -> String {
    sms.wait_for(std::time::Duration::from_secs(30), |m| {
        (m["to"].as_str()? == mobile)
            .then(|| m["text"].as_str())
            .flatten()?
            .split_whitespace()
            .find(|w| w.len() == 6 && w.bytes().all(|b| b.is_ascii_digit()))
            .map(str::to_string)
    })
    .await
    .unwrap_or_else(|| panic!("no code sent to {mobile}"))
}
