//! The department API adapter and the SMS / SMTP senders, against local
//! stand-ins: a small HTTP server playing the department, another playing
//! the SMS gateway, and a minimal SMTP receiver. No real department or
//! gateway can be reached from here; these are the only doubles.

mod common;
use axum::extract::Query;
use axum::http::StatusCode;
use axum::routing::get;
use common::*;
use serde_json::{Value, json};
use server::notify::{Notifier, SmsConfig, SmtpConfig};
use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

/// The stand-in department: one bill for 1000001, 500 for 1000009.
async fn department() -> String {
    let app = axum::Router::new().route(
        "/bills",
        get(|Query(q): Query<HashMap<String, String>>| async move {
            match q.get("consumer_no").map(String::as_str) {
                Some("1000001") if q.get("service").map(String::as_str) == Some("PHED-WATER") => (
                    StatusCode::OK,
                    axum::Json(json!({"bill_ref": "PH-77", "consumer_name": "Kamla Meena", "amount_paise": 34000, "due_date": "2026-12-01"})),
                ),
                Some("1000003") => (
                    StatusCode::OK,
                    axum::Json(json!({"bill_ref": "PH-78", "consumer_name": "\u{202E}Kamla\u{200B} Meena\u{202C}\n", "amount_paise": 12000, "due_date": "2026-12-01"})),
                ),
                Some("1000004") => (
                    StatusCode::OK,
                    axum::Json(json!({"bill_ref": "PH-79", "consumer_name": "\u{200B}\u{3164}", "amount_paise": 12000, "due_date": "2026-12-01"})),
                ),
                Some("1000009") => (StatusCode::INTERNAL_SERVER_ERROR, axum::Json(json!({}))),
                Some("1000008") => (StatusCode::OK, axum::Json(json!({"bill_ref": "x", "consumer_name": "y", "amount_paise": -5, "due_date": "z"}))),
                _ => (StatusCode::NOT_FOUND, axum::Json(json!({}))),
            }
        }),
    );
    format!("{}/bills", spawn(app).await)
}

both!(http_biller_reads_the_department_api, |_h: H| async move {
    // (the harness given is replaced by one configured with the adapter)
    let backend = _h.backend;
    _h.finish().await;
    let url = department().await;
    let h = H::with_billers(
        backend,
        vec![server::biller::HttpBillerConfig {
            services: vec!["PHED-WATER".into()],
            url,
            timeout_secs: 5,
        }],
    )
    .await;
    let token = h.login("k1001-o", OPERATOR_PW).await;
    let get = |c: &'static str| {
        let h = &h;
        let token = token.clone();
        async move {
            let r = h
                .http
                .get(h.url(&format!("/v1/bills?service=PHED-WATER&consumer_no={c}")))
                .bearer_auth(token)
                .send()
                .await
                .unwrap();
            (r.status(), r.json::<Value>().await.unwrap())
        }
    };
    let (st, v) = get("1000001").await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["bill"]["bill_ref"], "PH-77");
    assert_eq!(v["bill"]["amount"], 34000);
    assert_eq!(v["bill"]["consumer_name"], "Kamla Meena");
    // The department's text goes through the kiosk's text rule: direction
    // overrides, invisible characters and controls are stripped (the
    // bill stays payable), and a name of nothing visible becomes empty.
    let (st, v) = get("1000003").await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["bill"]["consumer_name"], "Kamla Meena");
    let (st, v) = get("1000004").await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["bill"]["consumer_name"], "");
    let (st, v) = get("1000002").await;
    assert_eq!(
        (st.as_u16(), v["code"].as_str().unwrap()),
        (404, "bill.unknown")
    );
    let (st, v) = get("1000009").await;
    assert_eq!(
        (st.as_u16(), v["code"].as_str().unwrap()),
        (502, "biller.unavailable")
    );
    let (st, v) = get("1000008").await;
    assert_eq!(
        (st.as_u16(), v["code"].as_str().unwrap()),
        (502, "biller.unavailable")
    );
    // Other services still use the built-in biller.
    let r = h
        .http
        .get(h.url("/v1/bills?service=JVVNL-BILL&consumer_no=210000000001"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 404);
    h.finish().await;
});

/// A minimal SMTP receiver: answers every command, keeps each DATA block.
async fn smtp_receiver() -> (u16, Arc<Mutex<Vec<String>>>) {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = l.local_addr().unwrap().port();
    let mails = Arc::new(Mutex::new(Vec::new()));
    let m = mails.clone();
    tokio::spawn(async move {
        loop {
            let (s, _) = l.accept().await.unwrap();
            let m = m.clone();
            tokio::spawn(async move {
                let (r, mut w) = s.into_split();
                let mut r = BufReader::new(r);
                w.write_all(b"220 test ESMTP\r\n").await.unwrap();
                let mut in_data = false;
                let mut data = String::new();
                loop {
                    let mut line = String::new();
                    if r.read_line(&mut line).await.unwrap() == 0 {
                        return;
                    }
                    if in_data {
                        if line == ".\r\n" {
                            in_data = false;
                            m.lock().unwrap().push(std::mem::take(&mut data));
                            w.write_all(b"250 queued\r\n").await.unwrap();
                        } else {
                            data.push_str(&line);
                        }
                        continue;
                    }
                    let cmd = line.to_ascii_uppercase();
                    let reply: &[u8] = if cmd.starts_with("EHLO") {
                        b"250-test\r\n250 8BITMIME\r\n"
                    } else if cmd.starts_with("DATA") {
                        in_data = true;
                        b"354 go ahead\r\n"
                    } else if cmd.starts_with("QUIT") {
                        w.write_all(b"221 bye\r\n").await.unwrap();
                        return;
                    } else {
                        b"250 ok\r\n"
                    };
                    w.write_all(reply).await.unwrap();
                }
            });
        }
    });
    (port, mails)
}

both!(notifications_survive_a_gateway_outage, |h: H| async move {
    let (url, gw) = sms_gateway().await;
    let (port, mails) = smtp_receiver().await;
    let notifier = Notifier::new(
        h.store.clone(),
        Some(SmsConfig {
            url,
            sender_id: Some("EMITRA".into()),
        }),
        Some(SmtpConfig {
            host: "127.0.0.1".into(),
            port,
            from: "noreply@emitra.test".into(),
        }),
    );
    let mut d = h.register("k1001-h", 1).await;
    let mut p = d.payment_payload(
        &h.catalogue,
        &[line("JVVNL-BILL", "210000000001", 1_450_00)],
        domain::PaymentMode::Wallet,
    );
    p.contact = domain::Contact::new(Some("9876543210"), Some("ram@example.in")).unwrap();
    d.pay_payload(&p);
    let r = h.push(&d, &d.rest(0)).await.unwrap();
    let (txn, rno) = accepted(&r.outcomes[0].outcome);

    // The gateway is down: the SMS stays queued, the e-mail goes.
    let st = notifier.run_once().await.unwrap();
    assert_eq!((st.sent, st.failed), (1, 1));
    let ns = h.store.notifications_for_txn(txn).await.unwrap();
    let sms = ns.iter().find(|n| n.channel == "sms").unwrap();
    assert_eq!(sms.status, "queued");
    assert_eq!(sms.attempts, 1);
    assert!(sms.last_error.as_deref().unwrap().contains("503"));
    assert!(sms.next_attempt_ms > h.store.now_ms());
    assert_eq!(
        ns.iter().find(|n| n.channel == "email").unwrap().status,
        "sent"
    );
    let mail = mails.lock().unwrap().clone();
    assert_eq!(mail.len(), 1);
    assert!(mail[0].contains("To: <ram@example.in>"));
    assert!(mail[0].contains(&rno));
    // Not due again until the back-off has passed.
    assert_eq!(notifier.run_once().await.unwrap(), Default::default());
    h.clock.advance(chrono::Duration::seconds(31));
    gw.up.store(true, Ordering::SeqCst);
    let st = notifier.run_once().await.unwrap();
    assert_eq!((st.sent, st.failed), (1, 0));
    let got = gw.got.lock().unwrap().clone();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0]["to"], "9876543210");
    assert!(got[0]["text"].as_str().unwrap().contains(&rno));
    assert_eq!(got[0]["sender"], "EMITRA");
    assert_eq!(notifier.run_once().await.unwrap(), Default::default());

    // No gateway at all (nothing listening): still queued, nothing lost.
    let dead = Notifier::new(
        h.store.clone(),
        Some(SmsConfig {
            url: "http://127.0.0.1:9/none".into(),
            sender_id: None,
        }),
        None,
    );
    d.pay(&h.catalogue, &[line("JVVNL-BILL", "210000000002", 100_00)]);
    let r = h.push(&d, &d.rest(1)).await.unwrap();
    let (txn2, _) = accepted(&r.outcomes[0].outcome);
    assert_eq!(dead.run_once().await.unwrap().failed, 1);
    let n = &h.store.notifications_for_txn(txn2).await.unwrap()[0];
    assert_eq!((n.status.as_str(), n.attempts), ("queued", 1));
    h.finish().await;
});

both!(
    first_passwords_are_never_at_rest_and_messages_expire,
    |h: H| async move {
        let (url, gw) = sms_gateway().await;
        let notifier = Notifier::new(
            h.store.clone(),
            Some(SmsConfig {
                url: url.clone(),
                sender_id: None,
            }),
            None,
        );
        let holder = h.login("k1001-h", HOLDER_PW).await;
        let add = |login: &'static str| {
            let (h, holder) = (&h, holder.clone());
            async move {
                let r = h
                    .http
                    .post(h.url("/v1/users"))
                    .bearer_auth(holder)
                    .json(&serde_json::json!({"login": login, "name": "Op", "role": "operator", "mobile": "9829012345"}))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status(), reqwest::StatusCode::CREATED);
                let v: serde_json::Value = r.json().await.unwrap();
                v["initial_password"].as_str().unwrap().to_string()
            }
        };
        let first = add("op2").await;
        // Queued while the gateway is down: the row holds no password.
        assert_eq!(notifier.run_once().await.unwrap().failed, 1);
        let rows = h.store.all_notification_bodies().await.unwrap();
        assert!(!rows.is_empty());
        assert!(rows.iter().all(|b| !b.contains(&first)), "{rows:?}");
        // The running server still sends it once the gateway is back.
        h.clock.advance(chrono::Duration::seconds(31));
        gw.up.store(true, Ordering::SeqCst);
        assert_eq!(notifier.run_once().await.unwrap().sent, 1);
        let got = gw.got.lock().unwrap().clone();
        assert!(got[0]["text"].as_str().unwrap().contains(&first));

        // Another server on the same database (a second instance, or this
        // one started again) has no copy: it leaves the message to the
        // process that has the text.
        let second = add("op3").await;
        let other = Notifier::new(
            h.store.reopened(),
            Some(SmsConfig {
                url: url.clone(),
                sender_id: None,
            }),
            None,
        );
        assert_eq!(other.run_once().await.unwrap(), Default::default());
        assert_eq!(notifier.run_once().await.unwrap().sent, 1);
        assert_eq!(other.run_once().await.unwrap(), Default::default());
        let with_second = |gw: &Vec<serde_json::Value>| {
            gw.iter()
                .filter(|m| m["text"].as_str().unwrap().contains(&second))
                .count()
        };
        assert_eq!(with_second(&gw.got.lock().unwrap()), 1, "sent once");

        // A held message not sent within a quarter of an hour expires
        // unsent, whoever runs next: the process that had the text may be
        // gone, and what it carried is stale (the holder has the password
        // from the API answer, or asks for a new one).
        let third = add("op4").await;
        h.clock.advance(chrono::Duration::minutes(16));
        let survivor = Notifier::new(
            h.store.reopened(),
            Some(SmsConfig {
                url,
                sender_id: None,
            }),
            None,
        );
        let st = survivor.run_once().await.unwrap();
        assert_eq!((st.sent, st.expired), (0, 1));
        assert!(
            gw.got
                .lock()
                .unwrap()
                .iter()
                .all(|m| !m["text"].as_str().unwrap().contains(&third))
        );
        assert_eq!(notifier.run_once().await.unwrap(), Default::default());

        // Messages no gateway took are not retried forever: after two days
        // they expire.
        gw.up.store(false, Ordering::SeqCst);
        let mut d = h.register("k1001-h", 1).await;
        d.pay(&h.catalogue, &[line("JVVNL-BILL", "210000000001", 100_00)]);
        let r = h.push(&d, &d.rest(0)).await.unwrap();
        let (txn, _) = accepted(&r.outcomes[0].outcome);
        assert_eq!(notifier.run_once().await.unwrap().failed, 1);
        h.clock.advance(chrono::Duration::hours(49));
        gw.up.store(true, Ordering::SeqCst);
        let st = notifier.run_once().await.unwrap();
        assert_eq!((st.sent, st.expired), (0, 1));
        let n = &h.store.notifications_for_txn(txn).await.unwrap()[0];
        assert_eq!(n.status, "expired");
        h.finish().await;
    }
);
