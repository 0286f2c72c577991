//! Forgotten passwords (`/v1/auth/forgot`, `/v1/auth/reset`) and freeing a
//! device registration, on both stores: the code reaches the stand-in SMS
//! gateway through the centre's notification outbox and is read there;
//! only its salted hash is kept; it expires, allows five tries, is limited
//! per login and per address, answers a stranger as it answers the holder,
//! and never touches the login's failure count.

mod common;
use common::*;
use protocol::codes;
use reqwest::StatusCode;
use serde_json::{Value, json};
use server::notify::{Notifier, SmsConfig};
use std::sync::Arc;
use std::sync::atomic::Ordering;

const HOLDER: &str = "k1001-h";
const MOBILE: &str = "9414000001";
const NEW_PW: &str = "Fresh@Start9";

/// A client whose requests come from `ip` (any 127.x.y.z is local).
fn client_at(ip: [u8; 4]) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(std::net::IpAddr::from(ip))
        .build()
        .unwrap()
}

/// A fresh address per call, so the per-address limit stays out of tests
/// not about it.
fn fresh_client() -> reqwest::Client {
    use std::sync::atomic::AtomicU32;
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed) % 60_000;
    client_at([127, 50 + (n / 250) as u8, (n % 250) as u8 + 1, 1])
}

async fn post(c: &reqwest::Client, h: &H, path: &str, body: Value) -> (StatusCode, Value) {
    let r = c.post(h.url(path)).json(&body).send().await.unwrap();
    let st = r.status();
    let text = r.text().await.unwrap();
    (st, serde_json::from_str(&text).unwrap_or(Value::Null))
}

async fn forgot_with(c: &reqwest::Client, h: &H, login: &str) -> (StatusCode, Value) {
    post(c, h, "/v1/auth/forgot", json!({ "login": login })).await
}

async fn forgot(h: &H, login: &str) -> (StatusCode, Value) {
    forgot_with(&fresh_client(), h, login).await
}

async fn reset(h: &H, login: &str, otp: &str, pw: &str) -> (StatusCode, String) {
    let (st, v) = post(
        &fresh_client(),
        h,
        "/v1/auth/reset",
        json!({ "login": login, "otp": otp, "new_password": pw }),
    )
    .await;
    (st, v["code"].as_str().unwrap_or_default().to_string())
}

async fn login_status(h: &H, login: &str, pw: &str) -> (StatusCode, String) {
    let (st, v) = post(
        &fresh_client(),
        h,
        "/v1/auth/login",
        json!({ "login": login, "password": pw }),
    )
    .await;
    (st, v["code"].as_str().unwrap_or_default().to_string())
}

/// The centre's sender wired to a stand-in gateway that is up.
async fn sender(h: &H) -> (Notifier, Arc<Gateway>) {
    let (url, gw) = sms_gateway().await;
    gw.up.store(true, Ordering::SeqCst);
    let n = Notifier::new(
        h.store.clone(),
        Some(SmsConfig {
            url,
            sender_id: None,
        }),
        None,
    );
    (n, gw)
}

/// Gives the holder a registered mobile (the harness's users have none).
async fn with_mobile(h: &H, login: &str, mobile: &str) {
    let mut u = h.store.user_by_login(login).await.unwrap().unwrap();
    u.mobile = Some(mobile.into());
    h.store.update_user(&u).await.unwrap();
}

/// Sends what is due and returns the six-digit code of the last SMS to `mobile`.
async fn code_sent(n: &Notifier, gw: &Gateway, mobile: &str) -> String {
    n.run_once().await.unwrap();
    let texts = gw.to(mobile);
    let last = texts.last().expect("an SMS to the registered mobile");
    let code: Vec<&str> = last
        .split(|c: char| !c.is_ascii_digit())
        .filter(|w| w.len() == 6)
        .collect();
    assert_eq!(code.len(), 1, "one six-digit code in {last:?}");
    code[0].to_string()
}

async fn failures(h: &H, login: &str) -> (i64, Option<i64>) {
    let u = h.store.user_by_login(login).await.unwrap().unwrap();
    (u.failed_logins, u.locked_until_ms)
}

both!(a_code_by_sms_sets_a_new_password, |h: H| async move {
    with_mobile(&h, HOLDER, MOBILE).await;
    let (n, gw) = sender(&h).await;
    let token = h.login(HOLDER, HOLDER_PW).await;
    let (st, v) = forgot(&h, HOLDER).await;
    assert_eq!(st, StatusCode::ACCEPTED);
    assert_eq!(v, json!({ "expires_in_secs": 600 }));
    let otp = code_sent(&n, &gw, MOBILE).await;
    assert_eq!(gw.to(MOBILE).len(), 1);

    // At rest: the salted hash only. Not in the message rows, not in the
    // reset row, not as a key; the hash verifies the code.
    let bodies = h.store.all_notification_bodies().await.unwrap();
    assert!(!bodies.is_empty());
    assert!(bodies.iter().all(|b| !b.contains(&otp)), "{bodies:?}");
    let rows = h.store.otp_rows().await.unwrap();
    assert_eq!(rows.len(), 1);
    let (_, hash, tries, expires) = &rows[0];
    assert!(
        hash.starts_with("$argon2id$") && !hash.contains(&otp),
        "{hash}"
    );
    assert!(server::auth::verify_password(&otp, hash));
    assert_eq!(*tries, 5);
    assert_eq!(*expires, h.store.now_ms() + 600_000);

    assert_eq!(
        reset(&h, HOLDER, &otp, NEW_PW).await,
        (StatusCode::NO_CONTENT, String::new())
    );
    // The new password works, the old one does not; the code is spent and
    // the session from before the reset is gone.
    assert_eq!(login_status(&h, HOLDER, NEW_PW).await.0, StatusCode::OK);
    assert_eq!(
        login_status(&h, HOLDER, HOLDER_PW).await,
        (
            StatusCode::UNAUTHORIZED,
            codes::AUTH_BAD_CREDENTIALS.to_string()
        )
    );
    assert_eq!(
        reset(&h, HOLDER, &otp, "Other@Pass77").await,
        (StatusCode::UNAUTHORIZED, codes::OTP_INVALID.to_string())
    );
    assert!(h.store.otp_rows().await.unwrap().is_empty());
    let r = h
        .http
        .get(h.url("/v1/kiosk"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    // The user set the password: nothing to change at the next login.
    assert!(
        !h.store
            .user_by_login(HOLDER)
            .await
            .unwrap()
            .unwrap()
            .must_change
    );
    h.finish().await;
});

both!(a_code_expires_after_ten_minutes, |h: H| async move {
    with_mobile(&h, HOLDER, MOBILE).await;
    let (n, gw) = sender(&h).await;
    forgot(&h, HOLDER).await;
    let otp = code_sent(&n, &gw, MOBILE).await;
    h.clock.advance(chrono::Duration::seconds(600));
    assert_eq!(
        reset(&h, HOLDER, &otp, NEW_PW).await,
        (StatusCode::UNAUTHORIZED, codes::OTP_INVALID.to_string())
    );
    assert_eq!(login_status(&h, HOLDER, HOLDER_PW).await.0, StatusCode::OK);
    // A new request sends a new code that works.
    forgot(&h, HOLDER).await;
    let again = code_sent(&n, &gw, MOBILE).await;
    assert_eq!(gw.to(MOBILE).len(), 2);
    h.clock.advance(chrono::Duration::seconds(599));
    assert_eq!(
        reset(&h, HOLDER, &again, NEW_PW).await.0,
        StatusCode::NO_CONTENT
    );
    h.finish().await;
});

both!(five_tries_then_the_code_is_spent, |h: H| async move {
    with_mobile(&h, HOLDER, MOBILE).await;
    let (n, gw) = sender(&h).await;
    forgot(&h, HOLDER).await;
    let otp = code_sent(&n, &gw, MOBILE).await;
    let wrong = format!("{:06}", (otp.parse::<u32>().unwrap() + 1) % 1_000_000);
    for i in 0..5 {
        assert_eq!(
            reset(&h, HOLDER, &wrong, NEW_PW).await,
            (StatusCode::UNAUTHORIZED, codes::OTP_INVALID.to_string()),
            "try {i}"
        );
    }
    // The right code after five wrong ones: too late.
    assert_eq!(
        reset(&h, HOLDER, &otp, NEW_PW).await,
        (StatusCode::UNAUTHORIZED, codes::OTP_INVALID.to_string())
    );
    assert_eq!(login_status(&h, HOLDER, HOLDER_PW).await.0, StatusCode::OK);
    assert_eq!(
        login_status(&h, HOLDER, NEW_PW).await.0,
        StatusCode::UNAUTHORIZED
    );
    h.finish().await;
});

both!(
    parallel_guesses_cannot_outrun_the_five_tries,
    |h: H| async move {
        with_mobile(&h, HOLDER, MOBILE).await;
        let (n, gw) = sender(&h).await;
        forgot(&h, HOLDER).await;
        let otp = code_sent(&n, &gw, MOBILE).await;
        let o = otp.parse::<u32>().unwrap();
        // Twenty wrong guesses at once and the right code among them: only
        // five are checked, so the right one is refused unless it is among them.
        let guesses: Vec<String> = (1..=20)
            .map(|i| format!("{:06}", (o + i) % 1_000_000))
            .collect();
        let answers =
            futures::future::join_all(guesses.iter().map(|g| reset(&h, HOLDER, g, NEW_PW))).await;
        assert!(
            answers.iter().all(|a| a.1 == codes::OTP_INVALID),
            "{answers:?}"
        );
        let rows = h.store.otp_rows().await.unwrap();
        assert!(rows.is_empty() || rows[0].2 == 0, "{rows:?}");
        assert_eq!(reset(&h, HOLDER, &otp, NEW_PW).await.1, codes::OTP_INVALID);
        h.finish().await;
    }
);

both!(a_stranger_cannot_lock_the_holder_out, |h: H| async move {
    with_mobile(&h, HOLDER, MOBILE).await;
    let (n, gw) = sender(&h).await;
    // Four wrong logins: one more would start a delay.
    for _ in 0..4 {
        assert_eq!(
            login_status(&h, HOLDER, "Wrong@Pass1").await.0,
            StatusCode::UNAUTHORIZED
        );
    }
    let before = failures(&h, HOLDER).await;
    assert_eq!(before, (4, None));
    // A stranger asks for codes and guesses them: none of it is a failed login.
    for _ in 0..3 {
        assert_eq!(forgot(&h, HOLDER).await.0, StatusCode::ACCEPTED);
    }
    assert_eq!(forgot(&h, HOLDER).await.0, StatusCode::TOO_MANY_REQUESTS);
    let otp = code_sent(&n, &gw, MOBILE).await;
    let wrong = format!("{:06}", (otp.parse::<u32>().unwrap() + 7) % 1_000_000);
    for _ in 0..6 {
        assert_eq!(
            reset(&h, HOLDER, &wrong, NEW_PW).await.1,
            codes::OTP_INVALID
        );
    }
    assert_eq!(failures(&h, HOLDER).await, before);
    // The holder still logs in at once, with no delay.
    assert_eq!(login_status(&h, HOLDER, HOLDER_PW).await.0, StatusCode::OK);
    assert_eq!(failures(&h, HOLDER).await, (0, None));

    h.finish().await;
});

both!(a_reset_ends_a_login_delay, |h: H| async move {
    with_mobile(&h, HOLDER, MOBILE).await;
    let (n, gw) = sender(&h).await;
    // A stranger's five wrong passwords start a delay...
    for _ in 0..5 {
        login_status(&h, HOLDER, "Wrong@Pass1").await;
    }
    assert!(failures(&h, HOLDER).await.1.is_some());
    assert_eq!(
        login_status(&h, HOLDER, HOLDER_PW).await,
        (StatusCode::LOCKED, codes::AUTH_LOCKED.to_string())
    );
    // ...which the holder of the phone ends with a code.
    forgot(&h, HOLDER).await;
    let otp = code_sent(&n, &gw, MOBILE).await;
    assert_eq!(
        reset(&h, HOLDER, &otp, NEW_PW).await.0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(failures(&h, HOLDER).await, (0, None));
    assert_eq!(login_status(&h, HOLDER, NEW_PW).await.0, StatusCode::OK);
    h.finish().await;
});

both!(
    asking_is_limited_per_login_and_per_address,
    |h: H| async move {
        with_mobile(&h, HOLDER, MOBILE).await;
        let (n, gw) = sender(&h).await;
        let limited = (
            StatusCode::TOO_MANY_REQUESTS,
            codes::OTP_RATE_LIMITED.to_string(),
        );
        let code =
            |r: (StatusCode, Value)| (r.0, r.1["code"].as_str().unwrap_or_default().to_string());
        // Three an hour per login, whatever address asks; a login nobody has
        // is limited alike.
        for login in [HOLDER, "nobody-here"] {
            for i in 0..3 {
                assert_eq!(
                    forgot(&h, login).await.0,
                    StatusCode::ACCEPTED,
                    "{login} {i}"
                );
            }
            assert_eq!(code(forgot(&h, login).await), limited, "{login}");
        }
        n.run_once().await.unwrap();
        assert_eq!(gw.to(MOBILE).len(), 3);

        // Twenty an hour per address, asking and resetting together.
        let a = client_at([127, 9, 9, 9]);
        for i in 0..19 {
            let (st, _) = forgot_with(&a, &h, &format!("someone-{i}")).await;
            assert_eq!(st, StatusCode::ACCEPTED, "{i}");
        }
        let (st, _) = post(
            &a,
            &h,
            "/v1/auth/reset",
            json!({ "login": "someone-0", "otp": "123456", "new_password": NEW_PW }),
        )
        .await;
        assert_eq!(st, StatusCode::UNAUTHORIZED);
        assert_eq!(code(forgot_with(&a, &h, "someone-new").await), limited);
        let (st, v) = post(
            &a,
            &h,
            "/v1/auth/reset",
            json!({ "login": "someone-0", "otp": "123456", "new_password": NEW_PW }),
        )
        .await;
        assert_eq!(
            (st, v["code"].as_str().unwrap()),
            (limited.0, codes::OTP_RATE_LIMITED)
        );
        // Another address is not held back by it.
        assert_eq!(forgot(&h, "someone-new").await.0, StatusCode::ACCEPTED);

        // An hour on, both limits have room again.
        h.clock.advance(chrono::Duration::minutes(61));
        assert_eq!(forgot_with(&a, &h, HOLDER).await.0, StatusCode::ACCEPTED);
        n.run_once().await.unwrap();
        assert_eq!(gw.to(MOBILE).len(), 4);
        h.finish().await;
    }
);

both!(
    an_unknown_login_is_answered_as_a_known_one,
    |h: H| async move {
        with_mobile(&h, HOLDER, MOBILE).await;
        let (n, gw) = sender(&h).await;
        let raw = |login: &'static str| {
            let h = &h;
            async move {
                let r = fresh_client()
                    .post(h.url("/v1/auth/forgot"))
                    .json(&json!({ "login": login }))
                    .send()
                    .await
                    .unwrap();
                let st = r.status();
                let ct = r.headers().get("content-type").cloned();
                (st, ct, r.bytes().await.unwrap())
            }
        };
        let known = raw(HOLDER).await;
        // The operator has no mobile on record: nothing can be sent to them.
        let no_mobile = raw("k1001-o").await;
        let unknown = raw("nobody-at-all").await;
        assert_eq!(known, unknown);
        assert_eq!(known, no_mobile);
        n.run_once().await.unwrap();
        let all = gw.got.lock().unwrap().clone();
        assert_eq!(all.len(), 1, "{all:?}");
        assert_eq!(all[0]["to"], MOBILE);
        assert_eq!(h.store.otp_rows().await.unwrap().len(), 1);
        // Resetting: an unknown login, a login with no code and a wrong code
        // are one answer.
        let a = reset(&h, "nobody-at-all", "123456", NEW_PW).await;
        let b = reset(&h, "k1001-o", "123456", NEW_PW).await;
        assert_eq!(
            a,
            (StatusCode::UNAUTHORIZED, codes::OTP_INVALID.to_string())
        );
        assert_eq!(a, b);
        h.finish().await;
    }
);

both!(
    a_reset_needs_six_digits_and_the_policy_before_a_try_is_used,
    |h: H| async move {
        with_mobile(&h, HOLDER, MOBILE).await;
        let (n, gw) = sender(&h).await;
        forgot(&h, HOLDER).await;
        let otp = code_sent(&n, &gw, MOBILE).await;
        let unprocessable = |c: &str| (StatusCode::UNPROCESSABLE_ENTITY, c.to_string());
        for bad in ["12345", "1234567", "12a456", "", "１２３４５６"] {
            assert_eq!(
                reset(&h, HOLDER, bad, NEW_PW).await,
                unprocessable(codes::OTP_FORMAT),
                "{bad:?}"
            );
        }
        assert_eq!(
            reset(&h, HOLDER, &otp, "short1A").await,
            unprocessable("password.too_short")
        );
        assert_eq!(
            reset(&h, HOLDER, &otp, "alllower99").await,
            unprocessable("password.no_uppercase")
        );
        // The password in use now: the code was right, so it stays usable.
        assert_eq!(
            reset(&h, HOLDER, &otp, HOLDER_PW).await,
            unprocessable(codes::PASSWORD_UNCHANGED)
        );
        assert_eq!(h.store.otp_rows().await.unwrap()[0].2, 5);
        assert_eq!(
            reset(&h, HOLDER, &otp, NEW_PW).await.0,
            StatusCode::NO_CONTENT
        );
        h.finish().await;
    }
);

both!(deregistering_frees_the_sso_id, |h: H| async move {
    let d = h.register(HOLDER, 1).await;
    let holder = h.login(HOLDER, HOLDER_PW).await;
    // One place at a time.
    let (st, e) = h.register_with(&holder, 2).await.err().expect("refused");
    assert_eq!(
        (st, e.code.as_str()),
        (StatusCode::CONFLICT, codes::DEVICE_BOUND_ELSEWHERE)
    );
    // An operator may not free it.
    let op = h.login("k1001-o", OPERATOR_PW).await;
    let del = |token: String| {
        let h = &h;
        let id = d.id;
        async move {
            h.http
                .delete(h.url(&format!("/v1/devices/{id}")))
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(del(op).await, StatusCode::FORBIDDEN);
    assert!(
        h.store
            .device(d.id)
            .await
            .unwrap()
            .unwrap()
            .deregistered_ms
            .is_none()
    );
    assert_eq!(del(holder.clone()).await, StatusCode::NO_CONTENT);
    // The old key signs nothing any more; the SSO ID registers elsewhere.
    let req = protocol::PullRequest {
        version: protocol::PROTOCOL_VERSION,
        cursor: Default::default(),
        limit: 10,
        health: None,
    };
    let r = h
        .send_signed(&d, "/v1/sync/pull", protocol::encode_body(&req))
        .await;
    let (st, e) = decode::<protocol::PullResponse>(r)
        .await
        .expect_err("refused");
    assert_eq!(
        (st, e.code.as_str()),
        (StatusCode::UNAUTHORIZED, codes::AUTH_DEVICE_DEREGISTERED)
    );
    let other = h
        .register_with(&holder, 2)
        .await
        .expect("registers elsewhere");
    assert_ne!(other.id, d.id);
    h.finish().await;
});
