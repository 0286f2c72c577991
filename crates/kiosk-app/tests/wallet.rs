//! The Wallet screen's refill requests and dues against a real centre (a
//! `kiosk-server` process on its own SQLite database): a request made while
//! the centre is down waits in the outbox, reaches the centre once it is
//! back and shows as pending; the staff credit it with `kiosk-server admin
//! refill --request`; the pull brings the credit into the list, the balance
//! and the statement. Bad input and an operator are refused with their
//! codes and nothing stored. A security deposit granted with `admin
//! set-deposit` reaches the kiosk, widens its offline room, and a payment
//! into it shows as dues with their due date.

mod common;
use common::*;

use std::path::Path;

use kiosk_app::Service;
use kiosk_app::api::*;
use kiosk_app::refills::{RefillList, RefillRequested};
use kiosk_store::rusqlite::Connection;
use sync_bench::{CentreProcess, DEMO_HOLDER, DEMO_KIOSK, DEMO_OPENING};

/// Rows and the outbox's hashes: a refused command changes none.
fn kiosk_state(db: &Path) -> (i64, i64, String) {
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
    (n("refill_requests"), n("outbox"), fp)
}

fn ask(amount: &str, mode: &str, reference: Option<&str>) -> serde_json::Value {
    serde_json::json!({"cmd": "refill_request", "args": {"amount": amount, "mode": mode, "reference": reference}})
}

async fn list(svc: &Service) -> RefillList {
    get(svc, serde_json::json!({"cmd": "refills", "args": null})).await
}

async fn sync_now(k: &Kit) {
    let _ = get::<()>(&k.svc, serde_json::json!({"cmd": "sync_now", "args": null})).await;
}

/// The state of a request in the kiosk's own database.
fn local_state(db: &Path, id: &str) -> String {
    one(
        db,
        &format!("SELECT status FROM refill_requests WHERE id = '{id}'"),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn a_request_made_offline_is_pending_until_the_centre_credits_it() {
    let mut k = Kit::new(|_| {});
    k.register().await;
    let db = k.db();

    // Refusals first: a code each, nothing stored.
    let before = kiosk_state(&db);
    refused_storing_nothing(
        &k.svc,
        [
            (ask("0", "net_banking", None), "refill.amount_invalid"),
            (ask("abc", "net_banking", None), "refill.amount_invalid"),
            (ask("", "net_banking", None), "refill.amount_invalid"),
            (
                ask("10,00,000.01", "net_banking", None),
                "refill.amount_invalid",
            ),
            (ask("5000", "cash", None), "refill.mode_unknown"),
            (ask("5000", "neft_rtgs", None), "refill.reference_required"),
            (
                ask("5000", "transfer", Some("  ")),
                "refill.reference_required",
            ),
            (
                ask("5000", "neft_rtgs", Some("SBIN12345")),
                "refill.reference_invalid",
            ),
            (
                ask("5000", "payment_gateway", Some("PAY#1")),
                "refill.reference_invalid",
            ),
        ],
        &before,
        || kiosk_state(&db),
    )
    .await;
    let e = k
        .svc
        .dispatch_json(serde_json::json!({"cmd": "refill_request", "args": {"mode": "transfer"}}))
        .await
        .unwrap_err();
    assert_eq!(e.code, "request.invalid");
    assert_eq!(kiosk_state(&db), before);

    // The centre goes away; the request is made all the same.
    let addr = k.centre().addr;
    drop(k.centre.take());
    let r: RefillRequested = get(
        &k.svc,
        ask("25,000", "neft_rtgs", Some("sbin 0261 1340 0123")),
    )
    .await;
    let id = r.request.id.clone();
    assert_eq!(r.request.state, "queued");
    assert_eq!(r.request.amount, 25_000_00);
    assert_eq!(r.request.reference.as_deref(), Some("SBIN026113400123"));
    assert_eq!(r.request.requested_by, DEMO_HOLDER.0);
    // The same reference again is refused before anything is stored.
    let before = kiosk_state(&db);
    let e = err(&k.svc, ask("1000", "neft_rtgs", Some("SBIN026113400123"))).await;
    assert_eq!(e.code, "refill.duplicate_reference");
    assert_eq!(kiosk_state(&db), before);
    sync_now(&k).await;
    wait_for(
        &k.events,
        "a round without the centre",
        |e| matches!(e, Event::Status(s) if s.sync.state == "offline"),
    );
    let l = list(&k.svc).await;
    assert_eq!(l.requests.len(), 1);
    assert_eq!(l.requests[0].state, "queued", "no centre, no answer");
    assert_eq!(
        l.modes,
        ["neft_rtgs", "net_banking", "payment_gateway", "transfer"]
    );
    assert_eq!(l.reference_required, ["neft_rtgs", "transfer"]);
    assert_eq!(l.max_amount, 10_00_000_00);

    // The centre is back: the request goes out and is pending there.
    k.centre = Some(CentreProcess::start_at(k.dir.path(), &addr.to_string()).unwrap());
    sync_now(&k).await;
    wait_for(&k.events, "sync after the centre came back", synced);
    let l = list(&k.svc).await;
    assert_eq!(l.requests[0].state, "pending");
    let listed = k
        .centre()
        .admin(&["refill-requests", "--kiosk", DEMO_KIOSK])
        .unwrap();
    assert!(
        listed.contains(&id) && listed.contains("pending") && listed.contains("SBIN026113400123"),
        "{listed}"
    );
    // Pending is not money: the balance has not moved.
    let w: WalletScreen = get(&k.svc, serde_json::json!({"cmd": "wallet", "args": {}})).await;
    assert_eq!(w.wallet.balance, DEMO_OPENING);

    // The staff credit it; "Sync now" brings the credit.
    let out = k.centre().admin(&["refill", "--request", &id]).unwrap();
    assert!(out.contains("₹25,000.00 credited"), "{out}");
    sync_now(&k).await;
    until(&k.events, "the credit comes back", || {
        local_state(&db, &id) == "credited"
    });
    let l = list(&k.svc).await;
    let r = &l.requests[0];
    assert_eq!(r.state, "credited");
    let txn = r.txn_id.expect("the credit's transaction");
    // In the balance and in the statement, as a refill line naming it.
    until(&k.events, "the credit's ledger line", || {
        one::<i64>(
            &db,
            &format!("SELECT COUNT(*) FROM wallet_ledger WHERE txn_id = {txn}"),
        ) == 1
    });
    let w: WalletScreen = get(&k.svc, serde_json::json!({"cmd": "wallet", "args": {}})).await;
    assert_eq!(w.wallet.balance, DEMO_OPENING + 25_000_00);
    let line = w
        .lines
        .iter()
        .find(|l| l.txn_id == txn)
        .expect("the refill on the statement");
    assert_eq!((line.kind.as_str(), line.amount), ("refill", 25_000_00));
    assert!(line.memo.contains(&id), "{}", line.memo);
    assert_eq!(line.balance_after, Some(DEMO_OPENING + 25_000_00));
    // Credited once: the centre refuses a second credit.
    let again = k.centre().admin(&["refill", "--request", &id]).unwrap_err();
    assert!(again.to_string().contains("refill.not_pending"), "{again}");

    // A second request, rejected by the staff: the reason shows.
    let r2: RefillRequested = get(&k.svc, ask("1000", "transfer", Some("TRF-77"))).await;
    sync_now(&k).await;
    wait_for(&k.events, "the second request sent", synced);
    k.centre()
        .admin(&[
            "reject-refill",
            "--request",
            &r2.request.id,
            "--reason",
            "No transfer with this reference",
        ])
        .unwrap();
    sync_now(&k).await;
    until(&k.events, "the rejection comes back", || {
        local_state(&db, &r2.request.id) == "rejected"
    });
    let l = list(&k.svc).await;
    assert_eq!(l.requests[0].id, r2.request.id, "newest first");
    assert_eq!(
        l.requests[0].reason.as_deref(),
        Some("No transfer with this reference")
    );

    // An operator may read the list but not ask.
    ok(&k.svc, serde_json::json!({"cmd": "logout", "args": null})).await;
    ok(
        &k.svc,
        serde_json::json!({"cmd": "login", "args": {"login": OPERATOR.0, "password": OPERATOR.1}}),
    )
    .await;
    let before = kiosk_state(&db);
    let e = err(&k.svc, ask("1000", "net_banking", None)).await;
    assert_eq!(e.code, "session.holder_only");
    assert_eq!(kiosk_state(&db), before);
    assert_eq!(list(&k.svc).await.requests.len(), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_security_deposit_widens_the_offline_room_and_its_use_is_dues() {
    let k = Kit::registered(|_| {}).await;
    let db = k.db();
    let l = list(&k.svc).await;
    assert!(l.dues.known);
    assert_eq!((l.dues.deposit_limit, l.dues.dues), (0, 0));
    assert_eq!(l.dues.due_state, "none");
    // An exposure wide enough that the balance is what bounds the room.
    k.centre()
        .admin(&[
            "set-exposure",
            "--kiosk",
            DEMO_KIOSK,
            "--amount",
            "2,00,000",
            "--count",
            "100",
            "--hours",
            "72",
        ])
        .unwrap();
    sync_now(&k).await;
    until(&k.events, "the wider exposure", || {
        one::<i64>(&db, "SELECT max_pending_paise FROM wallet_snapshot") == 2_00_000_00
    });
    let st: StatusView = get(&k.svc, serde_json::json!({"cmd": "status", "args": null})).await;
    assert_eq!(st.wallet.available, DEMO_OPENING);

    let out = k
        .centre()
        .admin(&["set-deposit", "--kiosk", DEMO_KIOSK, "--amount", "10,000"])
        .unwrap();
    assert!(out.contains("₹10,000.00"), "{out}");
    sync_now(&k).await;
    until(&k.events, "the deposit limit", || {
        one::<i64>(&db, "SELECT deposit_limit_paise FROM wallet_dues") == 10_000_00
    });
    let st: StatusView = get(&k.svc, serde_json::json!({"cmd": "status", "args": null})).await;
    assert_eq!(st.wallet.available, DEMO_OPENING + 10_000_00);

    // A payment into the deposit: the kiosk takes it, the centre too, and
    // the dues come back with their due date.
    for (cmd, args) in [
        (
            "cart_add",
            serde_json::json!({"service": "JMC-UDTAX", "consumer_no": "JP1000001", "amount": "54,990"}),
        ),
        ("cart_contact", serde_json::json!({"mobile": "9829012345"})),
        ("cart_mode", serde_json::json!({"mode": "wallet"})),
    ] {
        ok(&k.svc, serde_json::json!({"cmd": cmd, "args": args})).await;
    }
    let cart: CartView = get(&k.svc, serde_json::json!({"cmd": "cart", "args": null})).await;
    // ₹54,990 and the ₹10 charge.
    assert_eq!(cart.total, 55_000_00);
    ok(
        &k.svc,
        serde_json::json!({"cmd": "pay", "args": {"cart_id": cart.cart_id}}),
    )
    .await;
    sync_now(&k).await;
    until(&k.events, "the dues come back", || {
        one::<i64>(&db, "SELECT dues_paise FROM wallet_dues") == 5_000_00
    });
    let l = list(&k.svc).await;
    assert_eq!(l.dues.deposit_limit, 10_000_00);
    assert_eq!(l.dues.dues, 5_000_00);
    let today = domain::clock::ist_date(domain::Clock::now(&domain::SystemClock));
    let due = domain::dues::due_date(today);
    assert_eq!(l.dues.due_date, Some(due.format("%Y-%m-%d").to_string()));
    assert_eq!(l.dues.due_state, "upcoming");
    assert_eq!(l.dues.interest, 0);
    let st: StatusView = get(&k.svc, serde_json::json!({"cmd": "status", "args": null})).await;
    assert_eq!(st.wallet.balance, DEMO_OPENING - 55_000_00);
    assert_eq!(st.wallet.available, 5_000_00, "what is left of the deposit");
    let dues = k.centre().admin(&["dues", "--kiosk", DEMO_KIOSK]).unwrap();
    assert!(
        dues.contains("dues ₹5,000.00") && dues.contains(&format!("due {due}")),
        "{dues}"
    );
}
