//! The service layer against a real centre: a `kiosk-server` process on
//! its own SQLite database with the demo kiosk, a real kiosk database, the
//! real sync loop and print worker. Waits are on real conditions (an event
//! that says so), bounded in time.

mod common;
use common::*;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use kiosk_app::Service;
use kiosk_app::api::*;
use kiosk_store::rusqlite::Connection;
use sync_bench::{CentreProcess, DEMO_HOLDER, DEMO_KIOSK};

fn counts(db: &Path) -> (i64, i64, i64, String) {
    let c = Connection::open(db).unwrap();
    let n = |t: &str| -> i64 {
        c.query_row(&format!("SELECT COUNT(*) FROM {t}"), [], |r| r.get(0))
            .unwrap()
    };
    let fp: String = c
        .query_row(
            "SELECT COALESCE(group_concat(hex(hash), ','), '') FROM (SELECT hash FROM outbox ORDER BY seq)",
            [],
            |r| r.get(0),
        )
        .unwrap();
    (n("receipts"), n("outbox"), n("wallet_holds"), fp)
}

fn centre_payments(k: &Kit) -> i64 {
    one(&k.centre_db(), "SELECT COUNT(*) FROM payments")
}

async fn add_bill(svc: &Service, service: &str, consumer: &str, amount: Option<&str>) -> CartView {
    let mut args = serde_json::json!({"service": service, "consumer_no": consumer});
    if let Some(a) = amount {
        args["amount"] = a.into();
    }
    call(svc, serde_json::json!({"cmd": "cart_add", "args": args}))
        .await
        .unwrap_or_else(|e| panic!("{service} {consumer}: {e:?}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn first_run_registers_with_clear_errors() {
    let k = Kit::new(|_| {});
    let st: AppState = serde_json::from_value(
        ok(
            &k.svc,
            serde_json::json!({"cmd": "app_state", "args": null}),
        )
        .await,
    )
    .unwrap();
    assert_eq!(st.phase, Phase::Setup);
    // Nothing works before set-up, with a code the UI can translate.
    let e = err(&k.svc, serde_json::json!({"cmd": "cart", "args": null})).await;
    assert_eq!(e.code, "session.none");

    let reg = |url: String, code: &str, login: &str, pw: &str| {
        serde_json::json!({"cmd": "register", "args": {
            "centre_url": url, "kiosk_code": code, "login": login, "password": pw}})
    };
    let e = err(
        &k.svc,
        reg(k.centre().url(), DEMO_KIOSK, DEMO_HOLDER.0, "Wrong@2026"),
    )
    .await;
    assert_eq!(e.code, "auth.bad_credentials");
    let e = err(
        &k.svc,
        reg(k.centre().url(), "K1002", DEMO_HOLDER.0, DEMO_HOLDER.1),
    )
    .await;
    assert_eq!(e.code, "register.wrong_kiosk");
    let e = err(
        &k.svc,
        reg(k.centre().url(), DEMO_KIOSK, OPERATOR.0, OPERATOR.1),
    )
    .await;
    assert_eq!(e.code, "register.not_holder");
    let e = err(
        &k.svc,
        reg(
            "http://127.0.0.1:9".into(),
            DEMO_KIOSK,
            DEMO_HOLDER.0,
            DEMO_HOLDER.1,
        ),
    )
    .await;
    assert_eq!(e.code, "centre.offline");
    let e = err(
        &k.svc,
        reg("not a url".into(), DEMO_KIOSK, DEMO_HOLDER.0, DEMO_HOLDER.1),
    )
    .await;
    assert_eq!(e.code, "centre.url_invalid");
    let e = err(
        &k.svc,
        reg(k.centre().url(), "k 1", DEMO_HOLDER.0, DEMO_HOLDER.1),
    )
    .await;
    assert_eq!(e.code, "kiosk_code.invalid");
    // None of those made a kiosk database.
    assert!(!k.data.join("kiosk.db").exists() || counts(&k.data.join("kiosk.db")).1 == 0);

    let st: AppState = serde_json::from_value(k.register().await).unwrap();
    assert_eq!(st.phase, Phase::Counter);
    assert_eq!(st.identity.unwrap().kiosk_code, DEMO_KIOSK);
    // The catalogue and the wallet arrived by sync.
    let cat: CatalogueView = call(
        &k.svc,
        serde_json::json!({"cmd": "catalogue", "args": null}),
    )
    .await
    .unwrap();
    assert!(
        cat.services
            .iter()
            .any(|s| s.code == "JVVNL-BILL" && s.name_hi.contains("बिजली"))
    );
    let s: StatusView = call(&k.svc, serde_json::json!({"cmd": "status", "args": null}))
        .await
        .unwrap();
    assert_eq!(s.wallet.balance, 50_000_00);
    // A second registration is refused.
    let e = err(
        &k.svc,
        reg(k.centre().url(), DEMO_KIOSK, DEMO_HOLDER.0, DEMO_HOLDER.1),
    )
    .await;
    assert_eq!(e.code, "app.already_set_up");
}

#[tokio::test(flavor = "multi_thread")]
async fn three_bills_paid_once_and_made_final_by_sync() {
    let k = Kit::new(|_| {});
    k.register().await;
    let db = k.data.join("kiosk.db");
    // Get Bill Details, then add the fetched bill.
    let bill: BillView = call(
        &k.svc,
        serde_json::json!({"cmd": "fetch_bill", "args": {"service": "JVVNL-BILL", "consumer_no": "2100 0000 0001"}}),
    )
    .await
    .unwrap();
    assert_eq!(bill.amount, 1_450_00);
    assert_eq!(bill.consumer_name.as_deref(), Some("Ram Lal"));
    add_bill(&k.svc, "JVVNL-BILL", "210000000001", None).await;
    call::<BillView>(&k.svc, serde_json::json!({"cmd": "fetch_bill", "args": {"service": "PHED-WATER", "consumer_no": "1000001"}}))
        .await
        .unwrap();
    add_bill(&k.svc, "PHED-WATER", "1000001", None).await;
    call::<BillView>(&k.svc, serde_json::json!({"cmd": "fetch_bill", "args": {"service": "BSNL-LANDLINE", "consumer_no": "01412345678"}}))
        .await
        .unwrap();
    let cart = add_bill(&k.svc, "BSNL-LANDLINE", "01412345678", None).await;
    assert_eq!(cart.lines.len(), 3);
    assert_eq!(cart.bills, 1_450_00 + 340_00 + 599_00);
    assert_eq!(cart.total, cart.bills + cart.charges);
    ok(
        &k.svc,
        serde_json::json!({"cmd": "cart_contact", "args": {"mobile": "9829012345"}}),
    )
    .await;
    let cart: CartView = call(
        &k.svc,
        serde_json::json!({"cmd": "cart_mode", "args": {"mode": "wallet"}}),
    )
    .await
    .unwrap();
    assert_eq!(cart.mode.as_deref(), Some("wallet"));

    let pay = serde_json::json!({"cmd": "pay", "args": {"cart_id": cart.cart_id}});
    let first: PayResult = call(&k.svc, pay.clone()).await.unwrap();
    assert!(!first.already_paid);
    assert_eq!(first.receipt.lines.len(), 3);
    // Pay pressed again, and twice at once: the same receipt, no second.
    let (a, b) = tokio::join!(
        call::<PayResult>(&k.svc, pay.clone()),
        call::<PayResult>(&k.svc, pay.clone())
    );
    for r in [a.unwrap(), b.unwrap()] {
        assert!(r.already_paid);
        assert_eq!(r.receipt.receipt_no, first.receipt.receipt_no);
    }
    assert_eq!(counts(&db).0, 1);
    // The cart is empty again, with a new id.
    let c: CartView = call(&k.svc, serde_json::json!({"cmd": "cart", "args": null}))
        .await
        .unwrap();
    assert!(c.lines.is_empty());
    assert_ne!(c.cart_id, cart.cart_id);

    // Sync makes it final; the screen hears of it.
    let ev = wait_for(
        &k.events,
        "final receipt",
        |e| matches!(e, Event::Receipt(r) if r.status == "final" && r.final_receipt_no.is_some()),
    );
    let Event::Receipt(r) = ev else {
        unreachable!()
    };
    assert_eq!(r.receipt_no, first.receipt.receipt_no);
    let s: StatusView = call(&k.svc, serde_json::json!({"cmd": "status", "args": null}))
        .await
        .unwrap();
    assert_eq!(s.sync.pending, 0);
    assert_eq!(centre_payments(&k), 1);
    assert_eq!(counts(&db).0, 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_input_is_refused_with_a_code_and_changes_nothing() {
    let k = Kit::new(|_| {});
    k.register().await;
    let db = k.data.join("kiosk.db");
    add_bill(&k.svc, "JMC-UDTAX", "JP1000002", Some("415")).await;
    let before = counts(&db);
    let cart_before: CartView = call(&k.svc, serde_json::json!({"cmd": "cart", "args": null}))
        .await
        .unwrap();
    let cases: Vec<(serde_json::Value, &str)> = vec![
        (
            serde_json::json!({"cmd": "cart_add", "args": {"service": "NOPE", "consumer_no": "1"}}),
            "service.unknown",
        ),
        (
            serde_json::json!({"cmd": "cart_add", "args": {"service": "JVVNL-BILL", "consumer_no": "12ab"}}),
            "consumer_no.invalid",
        ),
        (
            serde_json::json!({"cmd": "cart_add", "args": {"service": "JVVNL-BILL", "consumer_no": "210000000009"}}),
            "bill.fetch_required",
        ),
        (
            serde_json::json!({"cmd": "cart_add", "args": {"service": "JMC-UDTAX", "consumer_no": "JP1000009", "amount": "-5"}}),
            "money.negative",
        ),
        (
            serde_json::json!({"cmd": "cart_add", "args": {"service": "JMC-UDTAX", "consumer_no": "JP1000009", "amount": "1.234"}}),
            "money.too_many_decimals",
        ),
        (
            serde_json::json!({"cmd": "cart_add", "args": {"service": "JMC-UDTAX", "consumer_no": "JP1000009", "amount": "abc"}}),
            "money.invalid",
        ),
        (
            serde_json::json!({"cmd": "cart_add", "args": {"service": "JMC-UDTAX", "consumer_no": "JP1000009"}}),
            "amount.required",
        ),
        (
            serde_json::json!({"cmd": "cart_add", "args": {"service": "JMC-UDTAX", "consumer_no": "JP1000002", "amount": "415"}}),
            "cart.duplicate_line",
        ),
        (
            serde_json::json!({"cmd": "cart_remove", "args": {"index": 7}}),
            "cart.no_such_line",
        ),
        (
            serde_json::json!({"cmd": "cart_contact", "args": {"mobile": "12345"}}),
            "contact.mobile_invalid",
        ),
        (
            serde_json::json!({"cmd": "cart_contact", "args": {"email": "not-an-email"}}),
            "contact.email_invalid",
        ),
        (
            serde_json::json!({"cmd": "cart_contact", "args": {}}),
            "contact.required",
        ),
        (
            // The municipal department takes no cheques.
            serde_json::json!({"cmd": "cart_mode", "args": {"mode": "cheque", "number": "123456", "date": "2026-12-01", "bank": "SBI"}}),
            "cheque.refused_by_department",
        ),
        (
            serde_json::json!({"cmd": "cart_mode", "args": {"mode": "cheque", "number": "123456", "date": "yesterday", "bank": "SBI"}}),
            "cheque.date_invalid",
        ),
        (
            serde_json::json!({"cmd": "pay", "args": {"cart_id": cart_before.cart_id}}),
            "contact.required",
        ),
        (
            serde_json::json!({"cmd": "pay", "args": {"cart_id": "0190aaaa-0000-7000-8000-000000000000"}}),
            "cart.changed",
        ),
        (
            serde_json::json!({"cmd": "receipt", "args": {"key": "K1001-001-9999999"}}),
            "receipt.not_found",
        ),
        (
            serde_json::json!({"cmd": "set_lang", "args": {"lang": "fr"}}),
            "request.invalid",
        ),
        (
            serde_json::json!({"cmd": "set_favourites", "args": {"codes": ["NOPE"]}}),
            "service.unknown",
        ),
        (
            serde_json::json!({"cmd": "check_consumer", "args": {"service": "NOPE", "consumer_no": "1"}}),
            "service.unknown",
        ),
    ];
    for (req, code) in cases {
        let got = match serde_json::from_value::<Request>(req.clone()) {
            Err(_) => "request.invalid".to_string(),
            Ok(r) => match k.svc.dispatch(r).await {
                Ok(v) => panic!("{req} accepted: {v}"),
                Err(e) => {
                    assert!(!e.message.is_empty());
                    e.code
                }
            },
        };
        assert_eq!(got, code, "{req}");
        assert_eq!(counts(&db), before, "{req} changed the database");
    }
    let cart_after: CartView = call(&k.svc, serde_json::json!({"cmd": "cart", "args": null}))
        .await
        .unwrap();
    assert_eq!(cart_after, cart_before);
    // The consumer number is checked as it is typed.
    let c: ConsumerCheck = call(&k.svc, serde_json::json!({"cmd": "check_consumer", "args": {"service": "JVVNL-BILL", "consumer_no": "2100"}}))
        .await
        .unwrap();
    assert!(!c.valid);
    assert_eq!(c.error.unwrap().code, "consumer_no.invalid");
    let c: ConsumerCheck = call(&k.svc, serde_json::json!({"cmd": "check_consumer", "args": {"service": "JVVNL-BILL", "consumer_no": "2100 0000 0001"}}))
        .await
        .unwrap();
    assert_eq!(c.normalised.as_deref(), Some("210000000001"));
}

/// A real-time service (online only in the catalogue) is taken while the
/// centre answers and made final by the sync that Pay starts at once;
/// with the centre gone it is refused at Add and at Pay, nothing stored.
#[tokio::test(flavor = "multi_thread")]
async fn an_online_only_service_is_taken_online_and_refused_offline() {
    // A quick periodic round, so that the centre's going is noticed soon.
    let mut k = Kit::new(|c| c.sync.idle_pull = Duration::from_millis(500));
    k.register().await;
    let db = k.data.join("kiosk.db");
    let cat: CatalogueView = call(
        &k.svc,
        serde_json::json!({"cmd": "catalogue", "args": null}),
    )
    .await
    .unwrap();
    assert!(
        cat.services
            .iter()
            .any(|s| s.code == "MOBILE-RECHARGE" && !s.offline_allowed)
    );
    let s: StatusView = call(&k.svc, serde_json::json!({"cmd": "status", "args": null}))
        .await
        .unwrap();
    assert!(s.sync.realtime);
    let contact_and_wallet = |svc: Service| async move {
        ok(
            &svc,
            serde_json::json!({"cmd": "cart_contact", "args": {"mobile": "9829012345"}}),
        )
        .await;
        let c: CartView = call(
            &svc,
            serde_json::json!({"cmd": "cart_mode", "args": {"mode": "wallet"}}),
        )
        .await
        .unwrap();
        c
    };

    // Online: the amount as typed (no bill to fetch), paid, final by sync.
    add_bill(&k.svc, "MOBILE-RECHARGE", "98290 12345", Some("199")).await;
    let cart = contact_and_wallet(k.svc.clone()).await;
    assert_eq!(cart.total, 199_00);
    let paid: PayResult = call(
        &k.svc,
        serde_json::json!({"cmd": "pay", "args": {"cart_id": cart.cart_id}}),
    )
    .await
    .unwrap();
    assert_eq!(paid.receipt.lines[0].service_code, "MOBILE-RECHARGE");
    let ev = wait_for(
        &k.events,
        "the recharge made final",
        |e| matches!(e, Event::Receipt(r) if r.id == paid.receipt.id && r.status == "final"),
    );
    let Event::Receipt(r) = ev else {
        unreachable!()
    };
    assert!(r.final_receipt_no.unwrap().starts_with("EM"));
    assert_eq!(centre_payments(&k), 1);

    // A cart with a recharge added while online, then the centre stops.
    add_bill(&k.svc, "MOBILE-RECHARGE", "9829012346", Some("99")).await;
    add_bill(&k.svc, "JMC-UDTAX", "JP1000002", Some("415")).await;
    let cart = contact_and_wallet(k.svc.clone()).await;
    let other = k.dir.path().join("other");
    std::fs::create_dir_all(&other).unwrap();
    drop(k.centre.replace(CentreProcess::start(&other).unwrap()));
    wait_for(
        &k.events,
        "the centre seen gone",
        |e| matches!(e, Event::Status(s) if s.sync.state == "offline" && !s.sync.realtime),
    );
    let before = counts(&db);
    let e = err(
        &k.svc,
        serde_json::json!({"cmd": "cart_add", "args": {"service": "MOBILE-RECHARGE", "consumer_no": "9829012347", "amount": "50"}}),
    )
    .await;
    assert_eq!(e.code, "service.online_only");
    assert!(e.message.contains("MOBILE-RECHARGE"));
    assert_eq!(counts(&db), before);
    let e = err(
        &k.svc,
        serde_json::json!({"cmd": "pay", "args": {"cart_id": cart.cart_id}}),
    )
    .await;
    assert_eq!(e.code, "service.online_only");
    assert_eq!(counts(&db), before, "a refused Pay stores nothing");
    // The cart is kept as it was; without the recharge it goes offline.
    let now: CartView = call(&k.svc, serde_json::json!({"cmd": "cart", "args": null}))
        .await
        .unwrap();
    assert_eq!(now, cart);
    ok(
        &k.svc,
        serde_json::json!({"cmd": "cart_remove", "args": {"index": 0}}),
    )
    .await;
    let cart: CartView = call(&k.svc, serde_json::json!({"cmd": "cart", "args": null}))
        .await
        .unwrap();
    let r: PayResult = call(
        &k.svc,
        serde_json::json!({"cmd": "pay", "args": {"cart_id": cart.cart_id}}),
    )
    .await
    .unwrap();
    assert_eq!(r.receipt.status, "provisional");
    assert_eq!(counts(&db).0, before.0 + 1);
    assert_eq!(centre_payments(&k), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn duplicate_needs_an_explicit_confirm() {
    let k = Kit::new(|_| {});
    k.register().await;
    let pay_one = |amount: &'static str| {
        let svc = k.svc.clone();
        async move {
            add_bill(&svc, "JMC-UDTAX", "JP1000002", Some(amount)).await;
            ok(
                &svc,
                serde_json::json!({"cmd": "cart_contact", "args": {"mobile": "9829012345"}}),
            )
            .await;
            let c: CartView = call(
                &svc,
                serde_json::json!({"cmd": "cart_mode", "args": {"mode": "wallet"}}),
            )
            .await
            .unwrap();
            c
        }
    };
    let c = pay_one("415").await;
    ok(
        &k.svc,
        serde_json::json!({"cmd": "pay", "args": {"cart_id": c.cart_id}}),
    )
    .await;
    let c = pay_one("415").await;
    assert_eq!(c.duplicates.len(), 1, "the cart shows the earlier receipt");
    let e = err(
        &k.svc,
        serde_json::json!({"cmd": "pay", "args": {"cart_id": c.cart_id}}),
    )
    .await;
    assert_eq!(e.code, "payment.duplicate_unconfirmed");
    let dups = &e.details.unwrap()["duplicates"];
    assert_eq!(dups.as_array().unwrap().len(), 1);
    assert!(
        dups[0]["receipt_no"]
            .as_str()
            .unwrap()
            .starts_with("K1001-")
    );
    assert_eq!(counts(&k.data.join("kiosk.db")).0, 1);
    let r: PayResult = call(&k.svc, serde_json::json!({"cmd": "pay", "args": {"cart_id": c.cart_id, "confirm_duplicate": true}}))
        .await
        .unwrap();
    assert!(!r.already_paid);
    assert_eq!(counts(&k.data.join("kiosk.db")).0, 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn operator_logs_in_online_then_offline_and_locks_out() {
    let mut k = Kit::new(|_| {});
    k.register().await;
    ok(&k.svc, serde_json::json!({"cmd": "logout", "args": null})).await;
    let login = |pw: &str| serde_json::json!({"cmd": "login", "args": {"login": OPERATOR.0, "password": pw}});
    let st: AppState = call(&k.svc, login(OPERATOR.1)).await.unwrap();
    assert_eq!(st.phase, Phase::Counter);
    assert!(!st.session.as_ref().unwrap().offline);
    assert_eq!(st.session.unwrap().role, "operator");
    // An operator may not pin favourites.
    let e = err(
        &k.svc,
        serde_json::json!({"cmd": "set_favourites", "args": {"codes": ["JVVNL-BILL"]}}),
    )
    .await;
    assert_eq!(e.code, "session.holder_only");
    ok(&k.svc, serde_json::json!({"cmd": "logout", "args": null})).await;

    // The centre stops: the operator logs in against the cached verifier.
    let other = k.dir.path().join("other");
    std::fs::create_dir_all(&other).unwrap();
    drop(k.centre.replace(CentreProcess::start(&other).unwrap()));
    let st: AppState = call(&k.svc, login(OPERATOR.1)).await.unwrap();
    assert!(st.session.as_ref().unwrap().offline);
    ok(&k.svc, serde_json::json!({"cmd": "logout", "args": null})).await;
    // Someone never seen online cannot log in offline.
    let e = err(
        &k.svc,
        serde_json::json!({"cmd": "login", "args": {"login": "stranger", "password": "Abcdefg1"}}),
    )
    .await;
    assert_eq!(e.code, "login.no_offline_verifier");
    // Five wrong passwords lock the login, offline too; the right one is
    // then refused until the lock ends.
    for _ in 0..5 {
        let e = err(&k.svc, login("Wrong@2026")).await;
        assert_eq!(e.code, "login.bad_credentials");
    }
    let e = err(&k.svc, login(OPERATOR.1)).await;
    assert_eq!(e.code, "login.locked");
    assert!(e.details.unwrap()["until"].is_string());
    // The database holds a verifier, never the password.
    let c = Connection::open(k.data.join("kiosk.db")).unwrap();
    let v: String = c
        .query_row(
            "SELECT verifier FROM operator_credentials WHERE login = ?1",
            [OPERATOR.0],
            |r| r.get(0),
        )
        .unwrap();
    assert!(v.starts_with("$argon2id$"));
    let dump: String = c
        .query_row("SELECT group_concat(value, '|') FROM settings", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert!(!dump.contains(OPERATOR.1) && !v.contains(OPERATOR.1));
}

#[tokio::test(flavor = "multi_thread")]
async fn webview_reload_keeps_the_cart_and_restart_says_what_became_of_pay() {
    let k = Kit::new(|_| {});
    k.register().await;
    add_bill(&k.svc, "JMC-UDTAX", "JP1000001", Some("340")).await;
    ok(
        &k.svc,
        serde_json::json!({"cmd": "cart_contact", "args": {"mobile": "9829012345"}}),
    )
    .await;
    let cart: CartView = call(
        &k.svc,
        serde_json::json!({"cmd": "cart_mode", "args": {"mode": "wallet"}}),
    )
    .await
    .unwrap();
    // A reload asks again: the same cart.
    let again: CartView = call(&k.svc, serde_json::json!({"cmd": "cart", "args": null}))
        .await
        .unwrap();
    assert_eq!(again, cart);
    k.svc.shutdown();
    drop(k.svc);

    // Pay pressed, then the power went before the commit: after restart
    // the cart is intact and the screen says it was not paid.
    let db = k.data.join("kiosk.db");
    {
        let mut kiosk = kiosk_core::Kiosk::open(&db, Arc::new(domain::SystemClock)).unwrap();
        let d = kiosk_app::counter::load(&mut kiosk).unwrap();
        kiosk_app::counter::press(&mut kiosk, &d).unwrap();
    }
    let (svc, _ev) = open(&k.data);
    let st: AppState = call(&svc, serde_json::json!({"cmd": "app_state", "args": null}))
        .await
        .unwrap();
    let r = st.recovery.expect("recovery note");
    assert!(!r.paid);
    assert_eq!(r.cart_id, cart.cart_id);
    svc.shutdown();
    drop(svc);

    // Pay pressed and committed, then the power went before the screen
    // heard: after restart it says paid, once.
    {
        let mut kiosk = kiosk_core::Kiosk::open(&db, Arc::new(domain::SystemClock)).unwrap();
        let d = kiosk_app::counter::load(&mut kiosk).unwrap();
        kiosk_app::counter::press(&mut kiosk, &d).unwrap();
        kiosk.commit_payment(&d, DEMO_HOLDER.0, false).unwrap();
    }
    let (svc, _ev) = open(&k.data);
    let st: AppState = call(&svc, serde_json::json!({"cmd": "app_state", "args": null}))
        .await
        .unwrap();
    let r = st.recovery.expect("recovery note");
    assert!(r.paid);
    assert_eq!(counts(&db).0, 1);
    assert!(r.receipt_no.unwrap().starts_with("K1001-001-"));
    // Logged out by the restart; the cart is empty after the paid one.
    assert_eq!(st.phase, Phase::Login);
    let st: AppState = call(
        &svc,
        serde_json::json!({"cmd": "dismiss_recovery", "args": null}),
    )
    .await
    .unwrap();
    assert!(st.recovery.is_none());
    svc.shutdown();
}

#[tokio::test(flavor = "multi_thread")]
async fn printing_after_pay_and_preview_from_the_printer_bytes() {
    let k = Kit::new(|_| {});
    k.register().await;
    let sink = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = sink.local_addr().unwrap();
    // The printer: a TCP sink (the one stand-in, for the physical printer).
    let printer = std::thread::spawn(move || {
        use std::io::Read;
        let (mut s, _) = sink.accept().unwrap();
        let mut b = Vec::new();
        s.read_to_end(&mut b).unwrap();
        b
    });
    {
        let mut kiosk =
            kiosk_core::Kiosk::open(k.data.join("kiosk.db"), Arc::new(domain::SystemClock))
                .unwrap();
        print_queue::jobs::set_printer(
            &mut kiosk,
            &print_queue::PrinterChoice {
                uri: format!("tcp://{addr}"),
                profile: "escp9-generic".into(),
            },
        )
        .unwrap();
    }
    add_bill(&k.svc, "JMC-UDTAX", "JP1000001", Some("340")).await;
    ok(
        &k.svc,
        serde_json::json!({"cmd": "cart_contact", "args": {"email": "ram@example.in"}}),
    )
    .await;
    let c: CartView = call(
        &k.svc,
        serde_json::json!({"cmd": "cart_mode", "args": {"mode": "wallet"}}),
    )
    .await
    .unwrap();
    let r: PayResult = call(
        &k.svc,
        serde_json::json!({"cmd": "pay", "args": {"cart_id": c.cart_id}}),
    )
    .await
    .unwrap();
    let p = r.print.expect("a printer is set");
    assert_eq!(p.status, "queued");
    assert_eq!(p.kind.as_deref(), Some("receipt"));
    let bytes = printer.join().unwrap();
    let profile = print::Profile::builtin_by_id("escp9-generic").unwrap();
    print::stream::validate(&bytes, &profile).expect("valid ESC/P");
    let pv: PreviewView = call(
        &k.svc,
        serde_json::json!({"cmd": "preview", "args": {"key": r.receipt.receipt_no}}),
    )
    .await
    .unwrap();
    assert!(pv.png.starts_with("data:image/png;base64,"));
    assert!(pv.width > 400 && pv.height > 200);
    assert_eq!(pv.profile, "escp9-generic");
    wait_for(
        &k.events,
        "printer ready",
        |e| matches!(e, Event::Status(s) if s.printer.state == "ready" && s.printer.queued == 0),
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn alerts_show_until_seen_and_the_readmit_request_is_signed_by_this_pc() {
    let k = Kit::new(|_| {});
    k.register().await;
    let db = k.data.join("kiosk.db");
    // Raised as the sync engine raises them, on its own connection.
    {
        let mut kiosk = kiosk_core::Kiosk::open(&db, Arc::new(domain::SystemClock)).unwrap();
        for code in ["sync.centre_restored", "sync.device_unknown"] {
            kiosk_sync::alerts::raise(
                &mut kiosk,
                code,
                "test".into(),
                domain::Clock::now(&domain::SystemClock),
            )
            .unwrap();
        }
    }
    let codes = |s: &StatusView| -> Vec<(String, bool)> {
        s.sync
            .alerts
            .iter()
            .map(|a| (a.code.clone(), a.can_ack))
            .collect()
    };
    let st: StatusView = call(&k.svc, serde_json::json!({"cmd": "status", "args": null}))
        .await
        .unwrap();
    assert_eq!(
        codes(&st),
        [
            ("sync.centre_restored".into(), true),
            ("sync.device_unknown".into(), false)
        ]
    );
    // One that clears with its cause, and one not raised: refused, nothing changes.
    for (code, want) in [
        ("sync.device_unknown", "alert.not_acknowledgeable"),
        ("sync.outcome_changed", "alert.none"),
    ] {
        let e = err(
            &k.svc,
            serde_json::json!({"cmd": "ack_alert", "args": {"code": code}}),
        )
        .await;
        assert_eq!(e.code, want);
    }
    let st: StatusView = call(
        &k.svc,
        serde_json::json!({"cmd": "ack_alert", "args": {"code": "sync.centre_restored"}}),
    )
    .await
    .unwrap();
    assert_eq!(codes(&st), [("sync.device_unknown".into(), false)]);

    // The request verifies, is saved where the screen says, and names this
    // PC's registered key: the centre answers that it knows it already.
    let r: ReadmitView = call(
        &k.svc,
        serde_json::json!({"cmd": "readmit_request", "args": null}),
    )
    .await
    .unwrap();
    assert_eq!(std::fs::read_to_string(&r.path).unwrap().trim(), r.text);
    let req = protocol::ReadmitRequest::from_text(&r.text).unwrap();
    assert!(req.verified_key().is_some());
    assert_eq!(req.kiosk_code, DEMO_KIOSK);
    let e = k.centre().admin(&["readmit-device", &r.path]).unwrap_err();
    assert!(e.to_string().contains("readmit.already_known"), "{e}");
}
