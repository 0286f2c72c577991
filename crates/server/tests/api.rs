//! Accounts, devices, the authorization matrix, bad input, bills,
//! reconcile, tickets and the OpenAPI description — on both stores.

mod common;
use common::*;
use protocol::codes;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

async fn call(
    h: &H,
    m: Method,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut r = h.http.request(m, h.url(path));
    if let Some(t) = token {
        r = r.bearer_auth(t);
    }
    if let Some(b) = body {
        r = r.json(&b);
    }
    let r = r.send().await.unwrap();
    let st = r.status();
    let b = r.bytes().await.unwrap();
    (st, serde_json::from_slice(&b).unwrap_or(Value::Null))
}

/// A signed JSON-endpoint call by a device.
async fn call_dev(
    h: &H,
    d: &Dev,
    m: Method,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let bytes = body
        .map(|b| serde_json::to_vec(&b).unwrap())
        .unwrap_or_default();
    let sig = protocol::wire::sign_request(&d.key, d.id, m.as_str(), path, &bytes);
    let r = h
        .http
        .request(m, h.url(path))
        .header(protocol::wire::HEADER_DEVICE, d.id.to_string())
        .header(protocol::wire::HEADER_SIGNATURE, sig)
        .header("content-type", "application/json")
        .body(bytes)
        .send()
        .await
        .unwrap();
    let st = r.status();
    let b = r.bytes().await.unwrap();
    (st, serde_json::from_slice(&b).unwrap_or(Value::Null))
}

fn code(v: &Value) -> &str {
    v["code"].as_str().unwrap_or("")
}

both!(login_lockout_and_token_expiry, |h: H| async move {
    let bad = json!({"login": "k1001-o", "password": "Wrong@123"});
    for _ in 0..4 {
        let (st, v) = call(&h, Method::POST, "/v1/auth/login", None, Some(bad.clone())).await;
        assert_eq!(
            (st, code(&v)),
            (StatusCode::UNAUTHORIZED, codes::AUTH_BAD_CREDENTIALS)
        );
    }
    let (st, v) = call(&h, Method::POST, "/v1/auth/login", None, Some(bad.clone())).await;
    assert_eq!((st, code(&v)), (StatusCode::LOCKED, codes::AUTH_LOCKED));
    // Even the right password waits out the lock.
    let good = json!({"login": "k1001-o", "password": OPERATOR_PW});
    let (st, v) = call(&h, Method::POST, "/v1/auth/login", None, Some(good.clone())).await;
    assert_eq!((st, code(&v)), (StatusCode::LOCKED, codes::AUTH_LOCKED));
    h.clock.advance(chrono::Duration::minutes(16));
    let (st, v) = call(&h, Method::POST, "/v1/auth/login", None, Some(good.clone())).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let token = v["token"].as_str().unwrap().to_string();
    assert_eq!(v["role"], "operator");
    // Unknown logins look like wrong passwords.
    let (st, v) = call(
        &h,
        Method::POST,
        "/v1/auth/login",
        None,
        Some(json!({"login": "nobody", "password": "x"})),
    )
    .await;
    assert_eq!(
        (st, code(&v)),
        (StatusCode::UNAUTHORIZED, codes::AUTH_BAD_CREDENTIALS)
    );
    // Short-lived tokens.
    let (st, _) = call(&h, Method::GET, "/v1/kiosk", Some(&token), None).await;
    assert_eq!(st, StatusCode::OK);
    h.clock.advance(chrono::Duration::minutes(16));
    let (st, v) = call(&h, Method::GET, "/v1/kiosk", Some(&token), None).await;
    assert_eq!(
        (st, code(&v)),
        (StatusCode::UNAUTHORIZED, codes::AUTH_TOKEN_EXPIRED)
    );
    h.finish().await;
});

both!(
    first_password_must_be_changed_and_holder_manages_users,
    |h: H| async move {
        let holder = h.login("k1001-h", HOLDER_PW).await;
        let (st, v) = call(&h, Method::POST, "/v1/users", Some(&holder), Some(json!({"login": "op2", "name": "Op Two", "role": "operator", "mobile": "9829012345"}))).await;
        assert_eq!(st, StatusCode::CREATED, "{v}");
        let first = v["initial_password"].as_str().unwrap().to_string();
        assert!(domain::rules::check_password(&first).is_ok());
        // An SMS is queued for it, without the password at rest.
        let due = h.store.due_notifications(10).await.unwrap();
        assert!(
            due.iter()
                .any(|n| n.recipient == "9829012345" && !n.body.contains(&first))
        );
        let (st, v) = call(
            &h,
            Method::POST,
            "/v1/auth/login",
            None,
            Some(json!({"login": "op2", "password": first})),
        )
        .await;
        assert_eq!(st, StatusCode::OK);
        assert_eq!(v["must_change_password"], true);
        let t = v["token"].as_str().unwrap().to_string();
        let (st, v) = call(&h, Method::GET, "/v1/kiosk", Some(&t), None).await;
        assert_eq!(
            (st, code(&v)),
            (StatusCode::FORBIDDEN, codes::AUTH_PASSWORD_CHANGE_REQUIRED)
        );
        for (weak, c) in [
            ("Short1", "password.too_short"),
            ("alllower123", "password.no_uppercase"),
            ("NoDigitsHere", "password.no_digit"),
            ("ALLUPPER123", "password.no_lowercase"),
        ] {
            let (st, v) = call(
                &h,
                Method::POST,
                "/v1/auth/password",
                Some(&t),
                Some(json!({"old_password": first, "new_password": weak})),
            )
            .await;
            assert_eq!((st, code(&v)), (StatusCode::UNPROCESSABLE_ENTITY, c));
        }
        let (st, v) = call(
            &h,
            Method::POST,
            "/v1/auth/password",
            Some(&t),
            Some(json!({"old_password": first, "new_password": "NewPass123"})),
        )
        .await;
        assert_eq!(st, StatusCode::OK, "{v}");
        let t2 = v["token"].as_str().unwrap().to_string();
        let (st, _) = call(&h, Method::GET, "/v1/kiosk", Some(&t2), None).await;
        assert_eq!(st, StatusCode::OK);
        // The old token ended with the change.
        let (st, v) = call(&h, Method::GET, "/v1/kiosk", Some(&t), None).await;
        assert_eq!(
            (st, code(&v)),
            (StatusCode::UNAUTHORIZED, codes::AUTH_BAD_TOKEN)
        );
        // The holder deactivates op2: its token and its logins stop.
        let (st, _) = call(
            &h,
            Method::POST,
            "/v1/users/op2/active",
            Some(&holder),
            Some(json!({"active": false})),
        )
        .await;
        assert_eq!(st, StatusCode::NO_CONTENT);
        let (st, v) = call(&h, Method::GET, "/v1/kiosk", Some(&t2), None).await;
        assert_eq!(st, StatusCode::UNAUTHORIZED, "{v}");
        let (st, v) = call(
            &h,
            Method::POST,
            "/v1/auth/login",
            None,
            Some(json!({"login": "op2", "password": "NewPass123"})),
        )
        .await;
        assert_eq!(
            (st, code(&v)),
            (StatusCode::FORBIDDEN, codes::AUTH_INACTIVE)
        );
        let (st, v) = call(&h, Method::GET, "/v1/users", Some(&holder), None).await;
        assert_eq!(st, StatusCode::OK);
        assert!(
            v.as_array()
                .unwrap()
                .iter()
                .any(|u| u["login"] == "op2" && u["active"] == false)
        );
        h.finish().await;
    }
);

both!(one_device_per_sso_id, |h: H| async move {
    let holder = h.login("k1001-h", HOLDER_PW).await;
    let d1 = h.register_with(&holder, 1).await.unwrap();
    let (st, e) = h.register_with(&holder, 2).await.err().unwrap();
    assert_eq!(
        (st, e.code.as_str()),
        (StatusCode::CONFLICT, codes::DEVICE_BOUND_ELSEWHERE)
    );
    // A bad key is refused.
    let (st, v) = call(
        &h,
        Method::POST,
        "/v1/devices",
        Some(&holder),
        Some(json!({"public_key": "abc", "label": "x"})),
    )
    .await;
    assert_eq!(
        (st, code(&v)),
        (StatusCode::UNPROCESSABLE_ENTITY, codes::DEVICE_BAD_KEY)
    );
    let (st, v) = call(&h, Method::GET, "/v1/devices", Some(&holder), None).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(v.as_array().unwrap().len(), 1);
    assert_eq!(v[0]["device_no"], 1);
    let (st, _) = call(
        &h,
        Method::DELETE,
        &format!("/v1/devices/{}", d1.id),
        Some(&holder),
        None,
    )
    .await;
    assert_eq!(st, StatusCode::NO_CONTENT);
    let mut d2 = h.register_with(&holder, 2).await.unwrap();
    // The old device's key signs nothing any more.
    let mut d1 = d1;
    d1.pay(&h.catalogue, &[line("JVVNL-BILL", "210000000001", 100_00)]);
    let (st, e) = h.push(&d1, &d1.rest(0)).await.unwrap_err();
    assert_eq!(
        (st, e.code.as_str()),
        (StatusCode::UNAUTHORIZED, codes::AUTH_DEVICE_DEREGISTERED)
    );
    d2.pay(&h.catalogue, &[line("JVVNL-BILL", "210000000001", 100_00)]);
    h.push(&d2, &d2.rest(0)).await.unwrap();
    let (_, v) = call(&h, Method::GET, "/v1/devices", Some(&holder), None).await;
    assert_eq!(v[1]["device_no"], 2);
    assert_eq!(v[1]["high_water"], 1);
    h.finish().await;
});

// Every endpoint × (no credentials, another kiosk, an operator where the
// holder is required, a de-registered device, a bad signature): refused
// with the right code, and nothing changed.
both!(authorization_matrix, |h: H| async move {
    h.add_kiosk("K2002").await;
    let holder_a = h.login("k1001-h", HOLDER_PW).await;
    let op_a = h.login("k1001-o", OPERATOR_PW).await;
    let holder_b = h.login("k2002-h", HOLDER_PW).await;
    // A de-registered device of kiosk A, then A's live device.
    let gone = h.register_with(&holder_a, 9).await.unwrap();
    h.store.deregister_device(gone.id).await.unwrap();
    let mut dev_a = h.register_with(&holder_a, 1).await.unwrap();
    let dev_b = h.register_with(&holder_b, 2).await.unwrap();
    // Some of A's data.
    let (e, _) = dev_a.pay(&h.catalogue, &[line("JVVNL-BILL", "210000000001", 100_00)]);
    h.push(&dev_a, &dev_a.rest(0)).await.unwrap();
    let ticket = h
        .store
        .create_ticket(h.kiosk.id, "k1001-h", "help", "x")
        .await
        .unwrap();
    let rno = h
        .store
        .txn_status(h.kiosk.id, None, Some(e.id))
        .await
        .unwrap()
        .unwrap()
        .receipt_no
        .unwrap();
    // B's device signs a request claiming to be A's device: a bad signature.
    let imposter = Dev::new(dev_a.id, dev_b.key.clone(), "K2002");

    let before = h.store.fingerprint().await.unwrap();
    let tickets_path = format!("/v1/tickets/{ticket}");
    let device_path = format!("/v1/devices/{}", dev_a.id);
    let txn_path = format!("/v1/reconcile/txn?receipt_no={rno}");
    // (method, path, body, holder only, device only)
    let endpoints: Vec<(Method, String, Option<Value>, bool, bool)> = vec![
        (Method::GET, "/v1/kiosk".into(), None, false, false),
        (Method::GET, "/v1/users".into(), None, true, false),
        (
            Method::POST,
            "/v1/users".into(),
            Some(json!({"login": "evil", "name": "E", "role": "holder"})),
            true,
            false,
        ),
        (
            Method::POST,
            "/v1/users/k1001-o/active".into(),
            Some(json!({"active": false})),
            true,
            false,
        ),
        (Method::GET, "/v1/devices".into(), None, true, false),
        (
            Method::POST,
            "/v1/devices".into(),
            Some(json!({"public_key": "AAAA", "label": "x"})),
            true,
            false,
        ),
        (Method::DELETE, device_path.clone(), None, true, false),
        (Method::POST, "/v1/sync/push".into(), None, false, true),
        (Method::POST, "/v1/sync/pull".into(), None, false, true),
        (
            Method::GET,
            "/v1/bills?service=JVVNL-BILL&consumer_no=210000000001".into(),
            None,
            false,
            false,
        ),
        (
            Method::GET,
            "/v1/duplicates?service=JVVNL-BILL&consumer_no=210000000001".into(),
            None,
            false,
            false,
        ),
        (Method::GET, "/v1/ledger".into(), None, false, false),
        (Method::GET, txn_path.clone(), None, false, false),
        (
            Method::GET,
            "/v1/reconcile/day?date=2026-11-20".into(),
            None,
            false,
            false,
        ),
        (Method::GET, "/v1/tickets".into(), None, false, false),
        (
            Method::POST,
            "/v1/tickets".into(),
            Some(json!({"subject": "s", "body": "b"})),
            false,
            false,
        ),
        (Method::GET, tickets_path.clone(), None, false, false),
        (
            Method::POST,
            "/v1/auth/password".into(),
            Some(json!({"old_password": "x", "new_password": "y"})),
            false,
            false,
        ),
        (Method::POST, "/v1/auth/logout".into(), None, false, false),
    ];
    for (m, path, body, holder_only, device_only) in &endpoints {
        let what = format!("{m} {path}");
        // 1. No credentials.
        let (st, v) = call(&h, m.clone(), path, None, body.clone()).await;
        assert_eq!(
            (st, code(&v)),
            (StatusCode::UNAUTHORIZED, codes::AUTH_MISSING),
            "{what}: none"
        );
        // 2. A de-registered device.
        let (st, v) = call_dev(&h, &gone, m.clone(), path, body.clone()).await;
        assert_eq!(
            (st, code(&v)),
            (StatusCode::UNAUTHORIZED, codes::AUTH_DEVICE_DEREGISTERED),
            "{what}: de-registered"
        );
        // 3. A bad signature.
        let (st, v) = call_dev(&h, &imposter, m.clone(), path, body.clone()).await;
        assert_eq!(
            (st, code(&v)),
            (StatusCode::UNAUTHORIZED, codes::AUTH_BAD_SIGNATURE),
            "{what}: bad signature"
        );
        // 4. An operator where the holder is required; a user where a device is.
        if *holder_only {
            let (st, v) = call(&h, m.clone(), path, Some(&op_a), body.clone()).await;
            assert_eq!(
                (st, code(&v)),
                (StatusCode::FORBIDDEN, codes::AUTH_FORBIDDEN),
                "{what}: operator"
            );
            let (st, v) = call_dev(&h, &dev_a, m.clone(), path, body.clone()).await;
            assert_eq!(
                (st, code(&v)),
                (StatusCode::FORBIDDEN, codes::AUTH_FORBIDDEN),
                "{what}: device"
            );
        }
        if *device_only {
            let (st, v) = call(&h, m.clone(), path, Some(&holder_a), body.clone()).await;
            assert_eq!(
                (st, code(&v)),
                (StatusCode::FORBIDDEN, codes::AUTH_FORBIDDEN),
                "{what}: token"
            );
        }
    }
    // 5. Another kiosk's holder, on A's own resources: the same answer as
    // for something that does not exist, so nothing tells which do.
    let nobody = uuid::Uuid::new_v4();
    for (m, path, missing, body) in [
        (
            Method::DELETE,
            device_path.clone(),
            format!("/v1/devices/{nobody}"),
            None,
        ),
        (
            Method::POST,
            "/v1/users/k1001-o/active".to_string(),
            "/v1/users/nobody-here/active".to_string(),
            Some(json!({"active": false})),
        ),
        (
            Method::GET,
            tickets_path.clone(),
            format!("/v1/tickets/{nobody}"),
            None,
        ),
        (
            Method::GET,
            txn_path.clone(),
            "/v1/reconcile/txn?receipt_no=K9999-001-0000001".to_string(),
            None,
        ),
    ] {
        let (st, v) = call(&h, m.clone(), &path, Some(&holder_b), body.clone()).await;
        assert_eq!(
            (st, code(&v)),
            (StatusCode::NOT_FOUND, codes::NOT_FOUND),
            "{m} {path}: other kiosk"
        );
        let (st2, v2) = call(&h, m.clone(), &missing, Some(&holder_b), body).await;
        assert_eq!((st, &v), (st2, &v2), "{m} {path} vs {missing}");
    }
    // Lists show B only its own.
    let (_, v) = call(&h, Method::GET, "/v1/tickets", Some(&holder_b), None).await;
    assert_eq!(v.as_array().unwrap().len(), 0);
    let (_, v) = call(&h, Method::GET, "/v1/ledger", Some(&holder_b), None).await;
    assert!(
        v["lines"]
            .as_array()
            .unwrap()
            .iter()
            .all(|l| l["kind"] == "refill")
    );
    let (_, v) = call(&h, Method::GET, "/v1/devices", Some(&holder_b), None).await;
    assert_eq!(v.as_array().unwrap().len(), 1);
    // A pull signed by B's device shows B's kiosk, not A's.
    let p = h.pull(&dev_b, protocol::Cursor::default(), 100).await;
    assert!(p.outcomes.is_empty());
    assert_eq!(p.ledger.len(), 1);

    assert_eq!(
        h.store.fingerprint().await.unwrap(),
        before,
        "refused requests changed nothing"
    );
    // A garbage token and an expired device id are refused too.
    let (st, v) = call(&h, Method::GET, "/v1/kiosk", Some("garbage"), None).await;
    assert_eq!(
        (st, code(&v)),
        (StatusCode::UNAUTHORIZED, codes::AUTH_BAD_TOKEN)
    );
    let ghost = Dev::new(uuid::Uuid::new_v4(), dev_b.key.clone(), "K2002");
    let (st, v) = call_dev(&h, &ghost, Method::GET, "/v1/kiosk", None).await;
    assert_eq!(
        (st, code(&v)),
        (StatusCode::UNAUTHORIZED, codes::AUTH_UNKNOWN_DEVICE)
    );
    h.finish().await;
});

both!(bad_input_is_refused_and_nothing_stored, |h: H| async move {
    let mut d = h.register("k1001-h", 1).await;
    let cat = h.catalogue.clone();
    d.pay(&cat, &[line("JVVNL-BILL", "210000000001", 100_00)]);
    let before = h.store.fingerprint().await.unwrap();
    // Oversize body.
    let r = h
        .send_signed(
            &d,
            "/v1/sync/push",
            vec![7u8; protocol::wire::MAX_BODY_BYTES + 1],
        )
        .await;
    let (st, v): (_, Value) = (r.status(), r.json().await.unwrap());
    assert_eq!(
        (st, code(&v)),
        (StatusCode::PAYLOAD_TOO_LARGE, codes::TOO_LARGE)
    );
    // Neither zstd nor raw; zstd of garbage; a compression bomb.
    for body in [
        b"hello".to_vec(),
        zstd::bulk::compress(&[0xFF; 64], 3).unwrap(),
        zstd::bulk::compress(&vec![0u8; 8 << 20], 3).unwrap(),
    ] {
        let r = h.send_signed(&d, "/v1/sync/push", body).await;
        let (st, v): (_, Value) = (r.status(), r.json().await.unwrap());
        assert_eq!((st, code(&v)), (StatusCode::BAD_REQUEST, codes::MALFORMED));
    }
    // An unknown protocol version.
    let mut req = d.rest(0);
    req.version = 9;
    let r = h
        .send_signed(&d, "/v1/sync/push", protocol::encode_body(&req))
        .await;
    let (st, v): (_, Value) = (r.status(), r.json().await.unwrap());
    assert_eq!(
        (st, code(&v)),
        (StatusCode::BAD_REQUEST, codes::UNSUPPORTED_VERSION)
    );
    // Empty and over-long batches; seq 0.
    let mut empty = d.rest(0);
    empty.entries.clear();
    assert_eq!(
        h.push(&d, &empty).await.unwrap_err().1.code,
        codes::BATCH_EMPTY
    );
    let mut huge = d.rest(0);
    huge.entries = vec![huge.entries[0].clone(); protocol::wire::MAX_BATCH_ENTRIES + 1];
    assert_eq!(
        h.push(&d, &huge).await.unwrap_err().1.code,
        codes::BATCH_TOO_LARGE
    );
    let mut zero = d.rest(0);
    zero.first_seq = 0;
    assert_eq!(h.push(&d, &zero).await.unwrap_err().1.code, codes::GAP);
    // JSON endpoints: malformed JSON, absurd strings.
    let (st, v) = call(&h, Method::POST, "/v1/auth/login", None, None).await;
    assert_eq!((st, code(&v)), (StatusCode::BAD_REQUEST, codes::MALFORMED));
    let token = h.login("k1001-h", HOLDER_PW).await;
    let (st, v) = call(
        &h,
        Method::POST,
        "/v1/tickets",
        Some(&token),
        Some(json!({"subject": "x", "body": "y".repeat(5000)})),
    )
    .await;
    assert_eq!(
        (st, code(&v)),
        (StatusCode::UNPROCESSABLE_ENTITY, codes::TEXT_INVALID)
    );
    let (st, v) = call(
        &h,
        Method::POST,
        "/v1/tickets",
        Some(&token),
        Some(json!({"subject": "a\u{0007}b", "body": "y"})),
    )
    .await;
    assert_eq!(
        (st, code(&v)),
        (StatusCode::UNPROCESSABLE_ENTITY, "text.invalid")
    );
    let (st, v) = call(
        &h,
        Method::POST,
        "/v1/users",
        Some(&token),
        Some(json!({"login": "x".repeat(500), "name": "n", "role": "operator"})),
    )
    .await;
    assert_eq!(
        (st, code(&v)),
        (StatusCode::UNPROCESSABLE_ENTITY, codes::INVALID)
    );
    let (st, v) = call(
        &h,
        Method::POST,
        "/v1/users",
        Some(&token),
        Some(json!({"login": "ok", "name": "n", "role": "superuser"})),
    )
    .await;
    assert_eq!((st, code(&v)), (StatusCode::BAD_REQUEST, codes::MALFORMED));
    let (st, v) = call(
        &h,
        Method::GET,
        "/v1/bills?service=JVVNL-BILL&consumer_no=12",
        Some(&token),
        None,
    )
    .await;
    assert_eq!(
        (st, code(&v)),
        (StatusCode::UNPROCESSABLE_ENTITY, "consumer_no.invalid")
    );
    let (st, v) = call(
        &h,
        Method::GET,
        "/v1/reconcile/day?date=yesterday",
        Some(&token),
        None,
    )
    .await;
    assert_eq!((st, code(&v)), (StatusCode::BAD_REQUEST, codes::INVALID));
    let mut after = h.store.fingerprint().await.unwrap();
    // The logins made sessions; nothing else moved.
    after.retain(|(t, _)| t != "sessions");
    let mut b = before.clone();
    b.retain(|(t, _)| t != "sessions");
    assert_eq!(after, b);

    // Inside a good batch: negative, overflowing and absurd entries are
    // recorded as rejected and move no money.
    let ledger_before = h
        .store
        .ledger_lines(h.kiosk.id, 0, 1000)
        .await
        .unwrap()
        .len();
    let mut neg = d.payment_payload(
        &cat,
        &[line("JVVNL-BILL", "210000000002", 100_00)],
        domain::PaymentMode::Wallet,
    );
    neg.lines[0].bill_amount = domain::Paise::new(-100_00);
    neg.total = domain::Paise::new(-100_00);
    d.pay_payload(&neg);
    let mut over = d.payment_payload(
        &cat,
        &[
            line("JVVNL-BILL", "210000000003", 100_00),
            line("AVVNL-BILL", "310000000001", 100_00),
        ],
        domain::PaymentMode::Wallet,
    );
    over.lines[0].bill_amount = domain::Paise::new(i64::MAX);
    over.lines[1].bill_amount = domain::Paise::new(i64::MAX);
    over.total = domain::Paise::new(-2);
    d.pay_payload(&over);
    let mut name = d.payment_payload(
        &cat,
        &[line("JVVNL-BILL", "210000000004", 100_00)],
        domain::PaymentMode::Wallet,
    );
    name.lines[0].consumer_name = Some("x".repeat(10_000));
    d.pay_payload(&name);
    let mut ctl = d.payment_payload(
        &cat,
        &[line("JVVNL-BILL", "210000000005", 100_00)],
        domain::PaymentMode::Wallet,
    );
    ctl.receipt_no = "K1001\u{0000}".into();
    d.pay_payload(&ctl);
    let mut zero = d.payment_payload(
        &cat,
        &[line("JVVNL-BILL", "210000000006", 100_00)],
        domain::PaymentMode::Wallet,
    );
    zero.lines[0].bill_amount = domain::Paise::ZERO;
    zero.total = domain::Paise::ZERO;
    d.pay_payload(&zero);
    let r = h.push(&d, &d.rest(0)).await.unwrap();
    accepted(&r.outcomes[0].outcome);
    let codes_got: Vec<_> = r.outcomes[1..]
        .iter()
        .map(|o| rejected(&o.outcome))
        .collect();
    assert_eq!(
        codes_got,
        vec![
            codes::AMOUNT_INVALID,
            codes::AMOUNT_INVALID,
            codes::TEXT_INVALID,
            codes::TEXT_INVALID,
            codes::AMOUNT_INVALID
        ]
    );
    // Only the first payment's two lines were added.
    assert_eq!(
        h.store
            .ledger_lines(h.kiosk.id, 0, 1000)
            .await
            .unwrap()
            .len(),
        ledger_before + 2
    );
    h.finish().await;
});

both!(bills_reconcile_and_tickets, |h: H| async move {
    let catalogue = h.catalogue.clone();
    h.store
        .upsert_bills(&[server::store::Bill {
            service_code: "JVVNL-BILL".into(),
            consumer_no: "210000000001".into(),
            bill_ref: "B2611-0001".into(),
            consumer_name: "Ram Lal".into(),
            amount: 1_450_00,
            due_date: "2026-12-05".into(),
            paid: false,
        }])
        .await
        .unwrap();
    let token = h.login("k1001-o", OPERATOR_PW).await;
    let (st, v) = call(
        &h,
        Method::GET,
        "/v1/bills?service=JVVNL-BILL&consumer_no=2100%200000%200001",
        Some(&token),
        None,
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["bill"]["amount"], 1_450_00);
    assert_eq!(v["bill"]["paid"], false);
    assert!(v["duplicate"].is_null());
    let (st, v) = call(
        &h,
        Method::GET,
        "/v1/bills?service=JVVNL-BILL&consumer_no=219999999999",
        Some(&token),
        None,
    )
    .await;
    assert_eq!((st, code(&v)), (StatusCode::NOT_FOUND, codes::BILL_UNKNOWN));
    let (st, v) = call(
        &h,
        Method::GET,
        "/v1/bills?service=NOPE&consumer_no=1",
        Some(&token),
        None,
    )
    .await;
    assert_eq!(
        (st, code(&v)),
        (StatusCode::NOT_FOUND, codes::SERVICE_UNKNOWN)
    );

    let mut d = h.register("k1001-h", 1).await;
    let (e1, p1) = d.pay(
        &catalogue,
        &[Line {
            bill_ref: Some("B2611-0001"),
            ..line("JVVNL-BILL", "210000000001", 1_450_00)
        }],
    );
    let (e2, _) = d.pay(&catalogue, &[line("NOPE", "1", 1)]);
    let r = h.push(&d, &d.rest(0)).await.unwrap();
    let (_, rno) = accepted(&r.outcomes[0].outcome);
    // The bill is paid now, and a second fetch warns of the duplicate.
    let (_, v) = call(
        &h,
        Method::GET,
        "/v1/bills?service=JVVNL-BILL&consumer_no=210000000001",
        Some(&token),
        None,
    )
    .await;
    assert_eq!(v["bill"]["paid"], true);
    assert_eq!(v["duplicate"]["receipt_no"], rno.as_str());
    assert_eq!(v["duplicate"]["kiosk_code"], "K1001");
    // Verify by final receipt, local receipt and entry id.
    for q in [
        format!("receipt_no={rno}"),
        format!("receipt_no={}", p1.receipt_no),
        format!("entry_id={}", e1.id),
    ] {
        let (st, v) = call(
            &h,
            Method::GET,
            &format!("/v1/reconcile/txn?{q}"),
            Some(&token),
            None,
        )
        .await;
        assert_eq!(st, StatusCode::OK, "{q}: {v}");
        assert_eq!(v["status"], "accepted");
        assert_eq!(v["receipt_no"], rno.as_str());
        assert_eq!(v["total"], 1_450_00);
    }
    let (st, v) = call(
        &h,
        Method::GET,
        &format!("/v1/reconcile/txn?entry_id={}", e2.id),
        Some(&token),
        None,
    )
    .await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(v["status"], "rejected");
    assert_eq!(v["code"], codes::SERVICE_UNKNOWN);
    let (st, v) = call(
        &h,
        Method::GET,
        &format!("/v1/reconcile/txn?entry_id={}", uuid::Uuid::new_v4()),
        Some(&token),
        None,
    )
    .await;
    assert_eq!((st, code(&v)), (StatusCode::NOT_FOUND, codes::NOT_FOUND));
    // Failed transactions of the day (IST).
    let (_, v) = call(
        &h,
        Method::GET,
        "/v1/reconcile/day?date=2026-11-20&status=failed",
        Some(&token),
        None,
    )
    .await;
    let list = v.as_array().unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["entry_id"], e2.id.to_string());
    let (_, v) = call(
        &h,
        Method::GET,
        "/v1/reconcile/day?date=2026-11-20",
        Some(&token),
        None,
    )
    .await;
    assert_eq!(v.as_array().unwrap().len(), 2);
    let (_, v) = call(
        &h,
        Method::GET,
        "/v1/reconcile/day?date=2026-11-19",
        Some(&token),
        None,
    )
    .await;
    assert_eq!(v.as_array().unwrap().len(), 0);
    // The same through the device's signature.
    let (st, v) = call_dev(
        &h,
        &d,
        Method::GET,
        &format!("/v1/reconcile/txn?receipt_no={rno}"),
        None,
    )
    .await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(v["status"], "accepted");

    // Tickets: create, list, status.
    let (st, v) = call(
        &h,
        Method::POST,
        "/v1/tickets",
        Some(&token),
        Some(json!({"subject": "Wallet not credited", "body": "NEFT ref 123"})),
    )
    .await;
    assert_eq!(st, StatusCode::CREATED);
    let id: uuid::Uuid = v["id"].as_str().unwrap().parse().unwrap();
    let (_, v) = call(&h, Method::GET, "/v1/tickets", Some(&token), None).await;
    assert_eq!(v[0]["subject"], "Wallet not credited");
    assert_eq!(v[0]["raised_by"], "k1001-o");
    h.store.set_ticket_status(id, "resolved").await.unwrap();
    let (_, v) = call(
        &h,
        Method::GET,
        &format!("/v1/tickets/{id}"),
        Some(&token),
        None,
    )
    .await;
    assert_eq!(v["status"], "resolved");
    assert!(h.store.set_ticket_status(id, "bogus").await.is_err());
    h.finish().await;
});

both!(ledger_endpoint_and_refills, |h: H| async move {
    let token = h.login("k1001-h", HOLDER_PW).await;
    let before = h.wallet(&h.kiosk).await;
    h.store
        .refill(h.kiosk.id, domain::Paise::new(5_000_00), "NEFT UTR123")
        .await
        .unwrap();
    assert!(
        h.store
            .refill(h.kiosk.id, domain::Paise::new(-1), "x")
            .await
            .is_err()
    );
    assert!(
        h.store
            .refill(h.kiosk.id, domain::Paise::new(i64::MAX), "x")
            .await
            .is_err()
    );
    let (_, v) = call(&h, Method::GET, "/v1/ledger", Some(&token), None).await;
    assert_eq!(v["wallet_balance"], before + 5_000_00);
    let lines = v["lines"].as_array().unwrap();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[1]["memo"], "NEFT UTR123");
    let (_, v) = call(
        &h,
        Method::GET,
        &format!("/v1/ledger?after={}", lines[0]["id"]),
        Some(&token),
        None,
    )
    .await;
    assert_eq!(v["lines"].as_array().unwrap().len(), 1);
    h.finish().await;
});

#[tokio::test]
async fn openapi_describes_every_route_that_answers() {
    let h = H::new(Backend::Sqlite).await;
    let (st, doc) = call(&h, Method::GET, "/openapi.json", None, None).await;
    assert_eq!(st, StatusCode::OK);
    let paths = doc["paths"].as_object().unwrap();
    let mut n = 0;
    for (path, item) in paths {
        for (method, _) in item.as_object().unwrap() {
            let m = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let concrete = path
                .replace("{id}", &uuid::Uuid::new_v4().to_string())
                .replace("{login}", "someone");
            let (st, v) = call(&h, m.clone(), &concrete, None, None).await;
            assert_ne!(
                st,
                StatusCode::METHOD_NOT_ALLOWED,
                "{method} {path} documented but not routed"
            );
            assert!(
                !(st == StatusCode::NOT_FOUND && v["message"] == "no such endpoint"),
                "{method} {path} documented but not routed"
            );
            n += 1;
        }
    }
    assert!(n >= 22, "{n} operations documented");
    // The reverse: routes the router serves are in the description.
    for (m, p) in [
        ("post", "/v1/sync/push"),
        ("post", "/v1/sync/pull"),
        ("post", "/v1/devices"),
        ("delete", "/v1/devices/{id}"),
        ("get", "/v1/reconcile/day"),
    ] {
        assert!(
            paths.get(p).and_then(|i| i.get(m)).is_some(),
            "{m} {p} undocumented"
        );
    }
    let (st, v) = call(&h, Method::GET, "/v1/nothing-here", None, None).await;
    assert_eq!((st, code(&v)), (StatusCode::NOT_FOUND, codes::NOT_FOUND));
    assert!(doc["components"]["securitySchemes"]["device"].is_object());
    h.finish().await;
}

#[tokio::test]
async fn runaway_callers_are_rate_limited() {
    let h = H::new(Backend::Sqlite).await;
    // A server over the same store with a tight limit: 3 at once, then one every 1000 s.
    let mut state = server::api::AppState::new(
        h.store.clone(),
        Default::default(),
        server::biller::Billers::new(&h.store, &[]),
    );
    state.limiter = server::api::RateLimiter::new(0.001, 3.0);
    let state = std::sync::Arc::new(state);
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", l.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(l, server::api::router(state)).await.unwrap() });
    let token = h.login("k1001-h", HOLDER_PW).await;
    let get = |t: String| {
        let (c, u) = (h.http.clone(), format!("{base}/v1/kiosk"));
        async move { c.get(u).bearer_auth(t).send().await.unwrap() }
    };
    for _ in 0..3 {
        assert_eq!(get(token.clone()).await.status(), StatusCode::OK);
    }
    let r = get(token.clone()).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        r.json::<Value>().await.unwrap()["code"],
        codes::RATE_LIMITED
    );
    // Another caller has its own bucket.
    let other = h.login("k1001-o", OPERATOR_PW).await;
    assert_eq!(get(other).await.status(), StatusCode::OK);
    h.finish().await;
}

both!(
    a_deactivated_holders_device_may_only_hand_in_what_it_took,
    |h: H| async move {
        // Decided: entries a device already made are money taken from
        // citizens, so its pushes are still applied (exactly once, as
        // ever); everything else — pulls, reads, bills, tickets — is
        // refused with auth.inactive until the holder is active again.
        let mut d = h.register("k1001-h", 1).await;
        let cat = h.catalogue.clone();
        d.pay(&cat, &[line("JVVNL-BILL", "210000000001", 100_00)]);
        let holder = h.store.user_by_login("k1001-h").await.unwrap().unwrap();
        h.store.set_user_active(holder.id, false).await.unwrap();
        let r = h.push(&d, &d.rest(0)).await.expect("the push is taken");
        accepted(&r.outcomes[0].outcome);
        let req = protocol::PullRequest {
            version: protocol::PROTOCOL_VERSION,
            cursor: protocol::Cursor::default(),
            limit: 10,
            health: None,
        };
        let r = h
            .send_signed(&d, "/v1/sync/pull", protocol::encode_body(&req))
            .await;
        let (st, e) = decode::<protocol::PullResponse>(r).await.unwrap_err();
        assert_eq!(
            (st, e.code.as_str()),
            (StatusCode::FORBIDDEN, codes::AUTH_INACTIVE)
        );
        for (m, path, body) in [
            (Method::GET, "/v1/kiosk", None),
            (Method::GET, "/v1/ledger", None),
            (
                Method::GET,
                "/v1/bills?service=JVVNL-BILL&consumer_no=210000000002",
                None,
            ),
            (Method::GET, "/v1/tickets", None),
            (
                Method::POST,
                "/v1/tickets",
                Some(json!({"subject": "s", "body": "b"})),
            ),
        ] {
            let (st, v) = call_dev(&h, &d, m.clone(), path, body).await;
            assert_eq!(
                (st, code(&v)),
                (StatusCode::FORBIDDEN, codes::AUTH_INACTIVE),
                "{m} {path}"
            );
        }
        assert!(h.store.tickets(Some(h.kiosk.id)).await.unwrap().is_empty());
        // Active again: everything works as before.
        h.store.set_user_active(holder.id, true).await.unwrap();
        let (st, _) = call_dev(&h, &d, Method::GET, "/v1/kiosk", None).await;
        assert_eq!(st, StatusCode::OK);
        h.pull(&d, protocol::Cursor::default(), 10).await;
        h.finish().await;
    }
);

both!(
    a_replayed_signed_ticket_request_makes_one_ticket,
    |h: H| async move {
        let d = h.register("k1001-h", 1).await;
        let id = uuid::Uuid::new_v4();
        let body = json!({"id": id, "subject": "Printer jams", "body": "LX-310"});
        // The same signed bytes three times, as a replaying stranger would.
        let mut answers = vec![];
        for _ in 0..3 {
            answers.push(call_dev(&h, &d, Method::POST, "/v1/tickets", Some(body.clone())).await);
        }
        assert_eq!(answers[0].0, StatusCode::CREATED);
        for (st, v) in &answers {
            assert!(st.is_success(), "{st} {v}");
            assert_eq!(v["id"], json!(id));
        }
        assert_eq!(h.store.tickets(Some(h.kiosk.id)).await.unwrap().len(), 1);
        // A signed request without a client id would be replayable: refused.
        let (st, v) = call_dev(
            &h,
            &d,
            Method::POST,
            "/v1/tickets",
            Some(json!({"subject": "again", "body": "x"})),
        )
        .await;
        assert_eq!(
            (st, code(&v)),
            (StatusCode::UNPROCESSABLE_ENTITY, codes::INVALID)
        );
        // The same id from another kiosk does not touch this one's ticket.
        h.add_kiosk("K2002").await;
        let other = h.register("k2002-h", 2).await;
        let (st, v) = call_dev(&h, &other, Method::POST, "/v1/tickets", Some(body.clone())).await;
        assert_eq!((st, code(&v)), (StatusCode::CONFLICT, "request.exists"));
        let ts = h.store.tickets(None).await.unwrap();
        assert_eq!(ts.len(), 1);
        assert_eq!(ts[0].subject, "Printer jams");
        // A user's token request may leave the id to the server.
        let token = h.login("k1001-o", OPERATOR_PW).await;
        let (st, _) = call(
            &h,
            Method::POST,
            "/v1/tickets",
            Some(&token),
            Some(json!({"subject": "Paper out", "body": ""})),
        )
        .await;
        assert_eq!(st, StatusCode::CREATED);
        h.finish().await;
    }
);

/// Every (operation, status) the server answers is in the description: each
/// documented operation is probed with no caller, bad callers, a caller of
/// the wrong kind, good callers with empty, malformed, oversized and
/// plausible bodies, and every status seen must be declared there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openapi_declares_every_status_the_handlers_answer() {
    let h = H::new(Backend::Sqlite).await;
    let (_, doc) = call(&h, Method::GET, "/openapi.json", None, None).await;
    let holder = h.login("k1001-h", HOLDER_PW).await;
    let operator = h.login("k1001-o", OPERATOR_PW).await;
    let dev = h.register_with(&holder, 1).await.unwrap();
    // A second kiosk's objects, for "not yours".
    h.add_kiosk("K2002").await;
    let holder_b = h.login("k2002-h", HOLDER_PW).await;
    let (_, t) = call(
        &h,
        Method::POST,
        "/v1/tickets",
        Some(&holder_b),
        Some(json!({"subject": "b's", "body": ""})),
    )
    .await;
    let other_ticket = t["id"].as_str().unwrap().to_string();
    let big_json = json!({"subject": "x".repeat(70 * 1024), "body": ""});
    let plausible = |path: &str| -> Vec<Value> {
        match path {
            "/v1/auth/login" => vec![
                json!({"login": "k1001-h", "password": "Wrong@123"}),
                json!({"login": "k1001-o", "password": OPERATOR_PW}),
            ],
            "/v1/auth/password" => vec![
                json!({"old_password": "Wrong@123", "new_password": "Newpass@2027"}),
                json!({"old_password": HOLDER_PW, "new_password": "short"}),
            ],
            "/v1/users" => vec![
                json!({"login": "op9", "name": "Op", "role": "operator"}),
                json!({"login": "op9", "name": "Op", "role": "operator"}),
                json!({"login": "x", "name": "Op", "role": "operator"}),
            ],
            "/v1/users/{login}/active" => vec![json!({"active": true})],
            "/v1/devices" => vec![
                json!({"public_key": "bad", "label": "c"}),
                json!({"public_key": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "label": "c"}),
            ],
            "/v1/tickets" => vec![
                json!({"subject": "", "body": ""}),
                json!({"subject": "ok", "body": ""}),
                json!({"id": uuid::Uuid::new_v4(), "subject": "ok", "body": ""}),
            ],
            _ => vec![],
        }
    };
    let concrete = |path: &str| -> Vec<String> {
        let mut out = vec![];
        for id in [
            uuid::Uuid::new_v4().to_string(),
            dev.id.to_string(),
            other_ticket.clone(),
            "not-a-uuid".into(),
        ] {
            for login in ["someone", "k1001-o", "k2002-o"] {
                out.push(path.replace("{id}", &id).replace("{login}", login));
            }
        }
        out.sort();
        out.dedup();
        if path == "/v1/bills" || path == "/v1/duplicates" {
            out = vec![
                format!("{path}"),
                format!("{path}?service=JVVNL-BILL&consumer_no=210000000001"),
                format!("{path}?service=JVVNL-BILL&consumer_no=999999999999"),
                format!("{path}?service=JVVNL-BILL&consumer_no=12"),
                format!("{path}?service=NOPE&consumer_no=1"),
            ];
        }
        if path == "/v1/reconcile/txn" {
            out = vec![
                path.to_string(),
                format!("{path}?receipt_no=K1001-001-0000001"),
                format!("{path}?entry_id=nope"),
            ];
        }
        if path == "/v1/reconcile/day" {
            out = vec![
                path.to_string(),
                format!("{path}?date=2026-11-20"),
                format!("{path}?date=bad"),
                format!("{path}?date=2026-11-20&status=odd"),
            ];
        }
        if path == "/v1/ledger" {
            out = vec![path.to_string(), format!("{path}?after=x")];
        }
        out
    };
    let mut seen: std::collections::BTreeSet<(String, String, u16)> = Default::default();
    let paths = doc["paths"].as_object().unwrap().clone();
    for (path, item) in &paths {
        for (method, _) in item.as_object().unwrap() {
            let m = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let mut bodies: Vec<Option<Vec<u8>>> = vec![
                None,
                Some(b"{".to_vec()),
                Some(serde_json::to_vec(&big_json).unwrap()),
                Some(vec![b' '; protocol::wire::MAX_BODY_BYTES + 10]),
            ];
            bodies.extend(
                plausible(path)
                    .into_iter()
                    .map(|b| Some(serde_json::to_vec(&b).unwrap())),
            );
            if path.starts_with("/v1/sync/") {
                bodies.push(Some(vec![1, 2, 3]));
                let pull = protocol::PullRequest {
                    version: protocol::PROTOCOL_VERSION,
                    cursor: protocol::Cursor::default(),
                    limit: 10,
                    health: None,
                };
                bodies.push(Some(protocol::encode_body(&pull)));
                let mut d2 = Dev::new(dev.id, dev.key.clone(), &dev.kiosk_code);
                let cat = h.catalogue.clone();
                d2.pay(&cat, &[line("JVVNL-BILL", "210000000003", 100_00)]);
                bodies.push(Some(protocol::encode_body(&d2.rest(0))));
                bodies.push(Some(
                    protocol::encode_body(&d2.batch(1, 1))
                        .into_iter()
                        .take(20)
                        .collect(),
                ));
            }
            for url in concrete(path) {
                for body in &bodies {
                    for who in [
                        "none",
                        "junk",
                        "operator",
                        "holder",
                        "holder_b",
                        "device",
                        "bad_device",
                    ] {
                        let b = body.clone().unwrap_or_default();
                        let mut r = h.http.request(m.clone(), h.url(&url));
                        r = match who {
                            "junk" => r.header("authorization", "Bearer nope"),
                            "operator" => r.bearer_auth(&operator),
                            "holder" => r.bearer_auth(&holder),
                            "holder_b" => r.bearer_auth(&holder_b),
                            "device" | "bad_device" => {
                                let signed = if who == "device" { url.as_str() } else { "/x" };
                                let sig = protocol::wire::sign_request(
                                    &dev.key,
                                    dev.id,
                                    m.as_str(),
                                    signed,
                                    &b,
                                );
                                r.header(protocol::wire::HEADER_DEVICE, dev.id.to_string())
                                    .header(protocol::wire::HEADER_SIGNATURE, sig)
                            }
                            _ => r,
                        };
                        // A server may answer and close before a big body is sent.
                        if let Ok(resp) = r.body(b).send().await {
                            seen.insert((method.clone(), path.clone(), resp.status().as_u16()));
                        }
                    }
                }
            }
        }
    }
    let missing: Vec<_> = seen
        .iter()
        .filter(|(m, p, st)| doc["paths"][p][m]["responses"][st.to_string()].is_null())
        .collect();
    assert!(
        missing.is_empty(),
        "answered but not described: {missing:#?}"
    );
    // The sync bodies are described as bytes a generic client can send.
    for p in ["/v1/sync/push", "/v1/sync/pull"] {
        let mut s = &doc["paths"][p]["post"]["requestBody"]["content"]["application/x-kiosk-sync"]
            ["schema"];
        if let Some(r) = s["$ref"].as_str() {
            s = &doc["components"]["schemas"][r.rsplit('/').next().unwrap()];
        }
        assert_eq!(
            (s["type"].as_str(), s["format"].as_str()),
            (Some("string"), Some("binary")),
            "{p}: {s}"
        );
    }
    h.finish().await;
}
