//! Tickets against a real centre (a `kiosk-server` process on its own
//! SQLite database): a ticket raised while the centre is down waits in the
//! outbox, reaches the centre once it is back, and the helpdesk's reply
//! (`kiosk-server admin tickets --set … --reply …`) comes back on the pull
//! and shows in the list. The support bundle is checked against real-looking
//! secrets written where they live (the log file, the settings, the device
//! key in the keyring): none of them may appear in it.

mod common;
use common::*;

use std::path::Path;
use std::time::{Duration, Instant};

use kiosk_app::Service;
use kiosk_app::api::*;
use kiosk_app::tickets::{TicketList, TicketRaised};
use kiosk_store::rusqlite::Connection;
use sync_bench::{CentreProcess, DEMO_HOLDER, DEMO_KIOSK};

/// The app's own sync loop: its periodic pull is a minute apart, so a
/// reply seen within the tests' 30 s came with the pull "Sync now" makes.
fn kit() -> Kit {
    Kit::new(|_| {})
}

/// One wallet payment; returns its receipt once the centre made it final.
async fn pay_one(k: &Kit) -> ReceiptView {
    let _: CartView = get(
        &k.svc,
        serde_json::json!({"cmd": "cart_add", "args": {"service": "JMC-UDTAX", "consumer_no": "JP1000001", "amount": "340"}}),
    )
    .await;
    let _: CartView = get(
        &k.svc,
        serde_json::json!({"cmd": "cart_contact", "args": {"mobile": "9829012345"}}),
    )
    .await;
    let cart: CartView = get(
        &k.svc,
        serde_json::json!({"cmd": "cart_mode", "args": {"mode": "wallet"}}),
    )
    .await;
    let paid: PayResult = get(
        &k.svc,
        serde_json::json!({"cmd": "pay", "args": {"cart_id": cart.cart_id}}),
    )
    .await;
    let ev = wait_for(
        &k.events,
        "final receipt",
        |e| matches!(e, Event::Receipt(r) if r.id == paid.receipt.id && r.final_receipt_no.is_some()),
    );
    let Event::Receipt(r) = ev else {
        unreachable!()
    };
    r
}

/// Table sizes and the outbox's hashes: a refused command changes none.
fn kiosk_state(db: &Path) -> (i64, i64, i64, String) {
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
    (n("tickets"), n("ticket_replies"), n("outbox"), fp)
}

async fn list(svc: &Service) -> TicketList {
    get(svc, serde_json::json!({"cmd": "tickets", "args": null})).await
}

#[tokio::test(flavor = "multi_thread")]
async fn a_ticket_raised_offline_reaches_the_centre_and_its_reply_comes_back() {
    let mut k = kit();
    k.register().await;
    let receipt = pay_one(&k).await;
    let final_no = receipt.final_receipt_no.clone().unwrap();
    let db = k.data.join("kiosk.db");

    // Refusals first, online or not: a code each, nothing stored.
    let before = kiosk_state(&db);
    let raise = |cat: &str, text: &str, receipt: Option<&str>| {
        serde_json::json!({"cmd": "ticket_raise", "args": {
            "category": cat, "description": text, "receipt_no": receipt, "attach_bundle": true}})
    };
    refused_storing_nothing(
        &k.svc,
        [
            (
                raise("printer", "  \n ", None),
                "ticket.description_required",
            ),
            (
                raise("printer", &"x".repeat(2001), None),
                "ticket.description_too_long",
            ),
            (
                raise("printer", "abc\u{202E}def", None),
                "text.bidi_control",
            ),
            (
                raise("toaster", "it burns", None),
                "ticket.category_unknown",
            ),
            (
                raise("receipt", "lost", Some("EM9999999999")),
                "receipt.not_found",
            ),
        ],
        &before,
        || kiosk_state(&db),
    )
    .await;
    let e = k
        .svc
        .dispatch_json(serde_json::json!({"cmd": "ticket_raise", "args": {"category": "other"}}))
        .await
        .unwrap_err();
    assert_eq!(e.code, "request.invalid");
    assert_eq!(kiosk_state(&db), before);

    // The centre goes away; the ticket is raised all the same.
    let addr = k.centre().addr;
    drop(k.centre.take());
    let raised: TicketRaised = get(
        &k.svc,
        raise(
            "receipt",
            "Receipt printed twice\nThe citizen holds both copies; which one counts?",
            Some(&receipt.receipt_no),
        ),
    )
    .await;
    let t = raised.ticket;
    assert_eq!(t.state, "queued");
    assert_eq!(t.subject, "Receipt printed twice");
    // The centre's own number is the one sent.
    assert_eq!(t.receipt_no.as_deref(), Some(final_no.as_str()));
    let b = raised.bundle.expect("a bundle was asked for");
    assert!(b.bytes > 500 && b.bytes <= 8 * 1024, "{b:?}");
    assert_eq!(t.bundle_bytes, b.bytes);
    let _ = get::<()>(&k.svc, serde_json::json!({"cmd": "sync_now", "args": null})).await;
    // The nudged round has run and found no centre.
    wait_for(
        &k.events,
        "a round without the centre",
        |e| matches!(e, Event::Status(s) if s.sync.state == "offline"),
    );
    let l = list(&k.svc).await;
    assert_eq!(l.tickets.len(), 1);
    assert_eq!(l.tickets[0].state, "queued", "no centre, no answer");
    assert_eq!(
        l.categories,
        [
            "payment", "receipt", "sync", "printer", "wallet", "login", "other"
        ]
    );

    // The centre is back at the same address: the ticket goes out.
    k.centre = Some(CentreProcess::start_at(k.dir.path(), &addr.to_string()).unwrap());
    let _ = get::<()>(&k.svc, serde_json::json!({"cmd": "sync_now", "args": null})).await;
    wait_for(&k.events, "sync after the centre came back", synced);
    let l = list(&k.svc).await;
    assert_eq!(l.tickets[0].state, "open");
    // What the centre holds: one ticket with its category, receipt and bundle.
    let c = Connection::open(k.dir.path().join("centre/server.db")).unwrap();
    let (id, category, rno, subject, body, attachment): (
        Vec<u8>,
        String,
        Option<String>,
        String,
        String,
        Option<String>,
    ) = c
        .query_row(
            "SELECT id, category, receipt_no, subject, body, attachment FROM tickets",
            [],
            |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                ))
            },
        )
        .unwrap();
    assert_eq!(uuid::Uuid::from_slice(&id).unwrap().to_string(), t.id);
    assert_eq!(category, "receipt");
    assert_eq!(rno.as_deref(), Some(final_no.as_str()));
    assert_eq!(subject, "Receipt printed twice");
    assert!(body.ends_with("which one counts?"));
    let bundle: serde_json::Value = serde_json::from_str(&attachment.unwrap()).unwrap();
    assert_eq!(bundle["bundle"], "kiosk-support/1");
    assert_eq!(bundle["kiosk"]["kiosk_code"], DEMO_KIOSK);
    let listed = k.centre().admin(&["tickets"]).unwrap();
    assert!(
        listed.contains("Receipt printed twice") && listed.contains("[bundle]"),
        "{listed}"
    );

    // The helpdesk answers; "Sync now" pulls it into the list.
    let out = k
        .centre()
        .admin(&[
            "tickets",
            "--set",
            &t.id,
            "--status",
            "resolved",
            "--reply",
            "The first print counts; the second is a duplicate copy.",
        ])
        .unwrap();
    assert!(out.contains("resolved"), "{out}");
    let _ = get::<()>(&k.svc, serde_json::json!({"cmd": "sync_now", "args": null})).await;
    let until = Instant::now() + Duration::from_secs(30);
    let l = loop {
        let l = list(&k.svc).await;
        if !l.tickets[0].replies.is_empty() {
            break l;
        }
        assert!(Instant::now() < until, "the reply did not come back");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let t2 = &l.tickets[0];
    assert_eq!(t2.state, "resolved");
    assert_eq!(t2.replies.len(), 1);
    assert_eq!(t2.replies[0].status, "resolved");
    assert_eq!(
        t2.replies[0].text,
        "The first print counts; the second is a duplicate copy."
    );
    // A bare status change is heard too, once.
    k.centre()
        .admin(&["tickets", "--set", &t.id, "--status", "closed"])
        .unwrap();
    let _ = get::<()>(&k.svc, serde_json::json!({"cmd": "sync_now", "args": null})).await;
    let until = Instant::now() + Duration::from_secs(30);
    loop {
        let l = list(&k.svc).await;
        if l.tickets[0].state == "closed" {
            assert_eq!(l.tickets[0].replies.len(), 2);
            break;
        }
        assert!(
            Instant::now() < until,
            "the status change did not come back"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let shown = k.centre().admin(&["tickets", "--show", &t.id]).unwrap();
    assert!(
        shown.contains("support bundle:") && shown.contains("kiosk-support/1"),
        "{shown}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_support_bundle_carries_no_secret_and_is_capped_to_fit() {
    let k = kit();
    k.register().await;
    let db = k.data.join("kiosk.db");

    // The device key, as the keyring holds it, in the encodings a careless
    // log line could use.
    let device_id: uuid::Uuid = Connection::open(&db)
        .unwrap()
        .query_row(
            "SELECT value FROM settings WHERE key = 'device_id'",
            [],
            |r| r.get::<_, String>(0),
        )
        .unwrap()
        .parse()
        .unwrap();
    let key = kiosk_sync::keys::Keyring::for_device(device_id)
        .unwrap()
        .require()
        .unwrap();
    let seed = key.signing_key().to_bytes();
    let key_hex: String = seed.iter().map(|b| format!("{b:02x}")).collect();
    let key_b64 = {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode(seed)
    };
    let sig = protocol::wire::sign_request(
        key.signing_key(),
        device_id,
        "POST",
        "/v1/sync/push",
        b"body",
    );
    let jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJob2xkZXIxIiwia2lvc2siOiJLMTAwMSJ9.Qm9ndXNTaWduYXR1cmVWYWx1ZTEyMzQ1Njc4OQ";
    let bearer = "tok_live_3f9a8b7c6d5e4f3a2b1c0d9e";
    let printer_pw = "Pr1nterPass!";
    let proxy_pw = "Pr0xySecret77";
    let secrets: Vec<(&str, String)> = vec![
        ("holder password", DEMO_HOLDER.1.to_string()),
        ("operator password", "Operator@2026".into()),
        ("login token", jwt.into()),
        ("bearer token", bearer.into()),
        ("device key hex", key_hex.clone()),
        ("device key base64", key_b64.clone()),
        ("request signature", sig.clone()),
        ("printer password", printer_pw.into()),
        ("proxy password", proxy_pw.into()),
        ("pem body", "MC4CAQAwBQYDK2VwBCIEIP3kExample".into()),
        (
            "argon2 hash",
            "c29tZXNhbHRzb21lc2FsdA$ZXhhbXBsZWhhc2hleGFtcGxlaGFzaA".into(),
        ),
    ];

    // Where they live: the app's log file...
    let logs = k.data.join("logs");
    std::fs::create_dir_all(&logs).unwrap();
    let log = [
        "2026-12-01T04:10:00.000000Z  INFO kiosk_app: kiosk opened db=/data/app/kiosk.db".to_string(),
        format!("2026-12-01T04:10:01.000000Z DEBUG kiosk_app::centre: login answered token=\"{jwt}\""),
        format!("2026-12-01T04:10:02.000000Z DEBUG reqwest: GET /v1/kiosk Authorization: Bearer {bearer}"),
        format!("2026-12-01T04:10:03.000000Z  WARN kiosk_app::auth: offline login attempt password={}", DEMO_HOLDER.1),
        r#"2026-12-01T04:10:04.000000Z DEBUG kiosk_app::auth: body {"login":"operator1","password":"Operator@2026"}"#.to_string(),
        format!("2026-12-01T04:10:05.000000Z DEBUG kiosk_sync::transport: x-sig: {sig}"),
        format!("2026-12-01T04:10:06.000000Z ERROR kiosk_sync::keys: device key {key_hex} (base64 {key_b64})"),
        "2026-12-01T04:10:07.000000Z ERROR kiosk_sync::keys: -----BEGIN PRIVATE KEY----- MC4CAQAwBQYDK2VwBCIEIP3kExample".to_string(),
        "2026-12-01T04:10:08.000000Z DEBUG kiosk_app::auth: verifier $argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$ZXhhbXBsZWhhc2hleGFtcGxlaGFzaA".to_string(),
        format!("2026-12-01T04:10:09.000000Z  WARN print_queue: printer ipp://admin:{printer_pw}@192.0.2.10/ipp/print did not answer"),
        "2026-12-01T04:10:10.000000Z  INFO kiosk_sync::engine: pushed 2 entries seq 1..2".to_string(),
    ]
    .join("\n");
    std::fs::write(logs.join("kiosk.2026-12-01.log"), format!("{log}\n")).unwrap();
    // ...and the settings: a printer and a proxy with credentials.
    {
        let c = Connection::open(&db).unwrap();
        for (key, value) in [
            (
                "print.printer",
                format!("ipp://admin:{printer_pw}@192.0.2.10/ipp/print"),
            ),
            ("print.profile", "epson-lx310".to_string()),
            (
                "sync.proxy_url",
                format!("http://proxyuser:{proxy_pw}@192.0.2.1:3128"),
            ),
        ] {
            c.execute(
                "INSERT INTO settings (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                [key, value.as_str()],
            )
            .unwrap();
        }
    }

    let raised: TicketRaised = get(
        &k.svc,
        serde_json::json!({"cmd": "ticket_raise", "args": {
            "category": "printer", "description": "Printer does not answer", "attach_bundle": true}}),
    )
    .await;
    let b = raised.bundle.clone().unwrap();
    assert!(!b.capped);
    assert_eq!(b.log_lines, 11);
    let bundle = sent_bundle(&db, &raised.ticket.id);
    if std::env::var_os("SHOW_BUNDLE").is_some() {
        eprintln!("{bundle}");
    }
    for (what, s) in &secrets {
        assert!(
            !bundle.contains(s.as_str()),
            "the {what} is in the bundle:\n{bundle}"
        );
    }
    // What it is for is there: versions, sync, queue, printer, the log.
    let v: serde_json::Value = serde_json::from_str(&bundle).unwrap();
    assert_eq!(v["app"]["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(v["os"]["family"], std::env::consts::OS);
    assert_eq!(v["kiosk"]["kiosk_code"], DEMO_KIOSK);
    assert_eq!(v["sync"]["state"], "online");
    // Made before its own entry: registration wrote none.
    assert_eq!(v["queue"]["last_seq"], 0);
    assert_eq!(v["queue"]["unsent"], 0);
    assert_eq!(v["printer"]["profile"], "epson-lx310");
    assert_eq!(v["printer"]["uri"], "ipp://[redacted]@192.0.2.10/ipp/print");
    assert_eq!(v["sync"]["proxy_url"], "http://[redacted]@192.0.2.1:3128");
    let lines: Vec<&str> = v["logs"]["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap())
        .collect();
    assert!(
        lines[0].ends_with("kiosk opened db=/data/app/kiosk.db"),
        "{lines:?}"
    );
    assert!(
        lines[10].ends_with("pushed 2 entries seq 1..2"),
        "{lines:?}"
    );
    assert!(
        lines[2].contains("Authorization: [redacted]"),
        "{}",
        lines[2]
    );
    assert_eq!(v["logs"]["files"][0], "kiosk.2026-12-01.log");
    assert_eq!(v["capped"], false);

    // A log too big for one entry: the oldest lines go, and it says so.
    let mut more = String::new();
    for i in 0..3000 {
        more.push_str(&format!(
            "2026-12-02T05:{:02}:{:02}.000000Z  INFO kiosk_sync::engine: line {i} of a busy day, nothing secret here at all\n",
            (i / 60) % 60,
            i % 60
        ));
    }
    more.push_str(&format!(
        "2026-12-02T06:00:00.000000Z DEBUG kiosk_app: the last line password={}\n",
        DEMO_HOLDER.1
    ));
    std::fs::write(logs.join("kiosk.2026-12-02.log"), more).unwrap();
    let raised: TicketRaised = get(
        &k.svc,
        serde_json::json!({"cmd": "ticket_raise", "args": {
            "category": "sync", "description": "क्या हुआ: सिंक धीमा है", "attach_bundle": true}}),
    )
    .await;
    let b = raised.bundle.clone().unwrap();
    assert!(b.capped, "{b:?}");
    assert!(b.log_lines_dropped > 0 && b.log_lines > 10, "{b:?}");
    assert!(b.bytes <= 8 * 1024);
    let bundle = sent_bundle(&db, &raised.ticket.id);
    assert!(bundle.len() <= protocol::wire::TICKET_ATTACHMENT_MAX_BYTES);
    let v: serde_json::Value = serde_json::from_str(&bundle).unwrap();
    assert_eq!(v["capped"], true);
    assert_eq!(v["log_lines_dropped"], b.log_lines_dropped);
    let last = v["logs"]["lines"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .as_str()
        .unwrap();
    assert!(last.contains("the last line password=[redacted]"), "{last}");
    assert!(!bundle.contains(DEMO_HOLDER.1));
    // Both reach the centre.
    let _ = get::<()>(&k.svc, serde_json::json!({"cmd": "sync_now", "args": null})).await;
    wait_for(&k.events, "tickets sent", synced);
    let l = list(&k.svc).await;
    assert!(l.tickets.iter().all(|t| t.state == "open"), "{l:?}");
}

/// The bundle exactly as it went into the outbox entry of ticket `id`.
fn sent_bundle(db: &Path, id: &str) -> String {
    let c = Connection::open(db).unwrap();
    let payload: Vec<u8> = c
        .query_row(
            "SELECT o.payload FROM outbox o JOIN tickets t ON t.entry_id = o.id WHERE t.id = ?1",
            [id],
            |r| r.get(0),
        )
        .unwrap();
    protocol::TicketPayload::decode(&payload)
        .unwrap()
        .attachment
        .expect("a bundle was attached")
}
