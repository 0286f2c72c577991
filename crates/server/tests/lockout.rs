//! Password guessing: parallel guesses, padded logins, delays that end,
//! per-address limits and the password-change endpoint — real concurrent
//! clients over real sockets, on both stores.

mod common;
use common::*;
use protocol::codes;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// One login on its own connection (a fresh client), from `from`.
async fn login_from(h: &H, from: [u8; 4], login: &str, pw: &str) -> (StatusCode, String) {
    let c = reqwest::Client::builder()
        .local_address(std::net::IpAddr::from(from))
        .build()
        .unwrap();
    let r = c
        .post(h.url("/v1/auth/login"))
        .json(&json!({"login": login, "password": pw}))
        .send()
        .await
        .unwrap();
    let st = r.status();
    let v: Value = r.json().await.unwrap_or(Value::Null);
    (st, v["code"].as_str().unwrap_or("").to_string())
}

/// A login from an address of its own, so the per-address limit stays out
/// of tests that are not about it.
async fn login(h: &H, login: &str, pw: &str) -> (StatusCode, String) {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed) % 60_000;
    login_from(
        h,
        [127, 1 + (n / 250) as u8, (n % 250) as u8 + 1, 1],
        login,
        pw,
    )
    .await
}

async fn failures(h: &H, login: &str) -> i64 {
    h.store
        .user_by_login(login)
        .await
        .unwrap()
        .unwrap()
        .failed_logins
}

const LOCKED: (StatusCode, &str) = (StatusCode::LOCKED, codes::AUTH_LOCKED);

fn bad() -> (StatusCode, String) {
    (
        StatusCode::UNAUTHORIZED,
        codes::AUTH_BAD_CREDENTIALS.to_string(),
    )
}

fn locked() -> (StatusCode, String) {
    (LOCKED.0, LOCKED.1.to_string())
}

both!(parallel_guesses_are_all_counted, |h: H| async move {
    // 60 wrong guesses at once, each on its own connection: only the five
    // the policy allows are checked, and every one of them is counted.
    let guesses = (0..60).map(|i| {
        let h = &h;
        async move { login(h, "k1001-o", &format!("Wrong@{i:03}")).await }
    });
    let answers = futures::future::join_all(guesses).await;
    let n_bad = answers.iter().filter(|a| **a == bad()).count();
    let n_locked = answers.iter().filter(|a| **a == locked()).count();
    assert_eq!((n_bad, n_locked), (4, 56), "{answers:?}");
    assert_eq!(failures(&h, "k1001-o").await, 5);
    // The right password after them waits out the delay.
    assert_eq!(login(&h, "k1001-o", OPERATOR_PW).await, locked());
    h.finish().await;
});

both!(padded_logins_are_one_login, |h: H| async move {
    for l in [
        " k1001-o",
        "k1001-o ",
        "\tk1001-o",
        "k1001-o\n",
        "\u{00a0}k1001-o",
    ] {
        let _ = login(&h, l, "Wrong@123").await;
    }
    assert_eq!(failures(&h, "k1001-o").await, 5);
    assert_eq!(login(&h, " k1001-o ", OPERATOR_PW).await, locked());
    h.finish().await;
});

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_login_rate_limit_sees_through_padding() {
    let h = H::with_state(Backend::Sqlite, |s| {
        s.limiter = server::api::RateLimiter::new(0.001, 3.0);
    })
    .await;
    let mut answers = vec![];
    for l in ["k1001-h", " k1001-h", "k1001-h  ", "\tk1001-h"] {
        answers.push(login(&h, l, HOLDER_PW).await.0);
    }
    assert_eq!(
        answers,
        [
            StatusCode::OK,
            StatusCode::OK,
            StatusCode::OK,
            StatusCode::TOO_MANY_REQUESTS
        ]
    );
    h.finish().await;
}

both!(a_delay_ends_and_the_count_is_forgotten, |h: H| async move {
    for _ in 0..4 {
        assert_eq!(login(&h, "k1001-o", "Wrong@123").await, bad());
    }
    // The fifth failure starts a short delay, not a long lock.
    assert_eq!(login(&h, "k1001-o", "Wrong@123").await, locked());
    h.clock.advance(chrono::Duration::seconds(29));
    assert_eq!(login(&h, "k1001-o", OPERATOR_PW).await, locked());
    // Guesses during the delay are not checked and do not extend it.
    assert_eq!(failures(&h, "k1001-o").await, 5);
    h.clock.advance(chrono::Duration::seconds(2));
    assert_eq!(login(&h, "k1001-o", OPERATOR_PW).await.0, StatusCode::OK);
    // A success forgets the failures.
    assert_eq!(failures(&h, "k1001-o").await, 0);

    // Each failure past the fifth doubles the delay.
    for _ in 0..4 {
        assert_eq!(login(&h, "k1001-o", "Wrong@123").await, bad());
    }
    assert_eq!(login(&h, "k1001-o", "Wrong@123").await, locked());
    h.clock.advance(chrono::Duration::seconds(31));
    assert_eq!(login(&h, "k1001-o", "Wrong@123").await, locked());
    h.clock.advance(chrono::Duration::seconds(31));
    assert_eq!(login(&h, "k1001-o", OPERATOR_PW).await, locked());
    h.clock.advance(chrono::Duration::seconds(30));
    assert_eq!(login(&h, "k1001-o", OPERATOR_PW).await.0, StatusCode::OK);

    // A stranger's wrong guess every 15 minutes never locks the holder out:
    // failures are forgotten once a full delay period passes without one.
    for _ in 0..12 {
        assert_eq!(login(&h, "k1001-h", "Wrong@123").await, bad());
        h.clock.advance(chrono::Duration::minutes(15));
    }
    assert_eq!(login(&h, "k1001-h", HOLDER_PW).await.0, StatusCode::OK);

    // Even a burst that reaches the longest delay ends, and the next wrong
    // guess after it starts a fresh count instead of another long lock.
    for _ in 0..4 {
        assert_eq!(login(&h, "k1001-h", "Wrong@123").await, bad());
    }
    for delay_secs in [30, 60, 120, 240, 480, 900] {
        assert_eq!(login(&h, "k1001-h", "Wrong@123").await, locked());
        h.clock.advance(chrono::Duration::seconds(delay_secs - 1));
        assert_eq!(login(&h, "k1001-h", HOLDER_PW).await, locked());
        h.clock.advance(chrono::Duration::seconds(1));
    }
    assert_eq!(login(&h, "k1001-h", "Wrong@123").await, bad());
    assert_eq!(failures(&h, "k1001-h").await, 1);
    assert_eq!(login(&h, "k1001-h", HOLDER_PW).await.0, StatusCode::OK);
    h.finish().await;
});

both!(one_address_cannot_lock_everyone, |h: H| async move {
    let stranger = [127, 0, 0, 9];
    // Wrong guesses against many logins from one address...
    let mut refused = None;
    for i in 0..40 {
        let login = if i % 2 == 0 { "k1001-h" } else { "nobody" };
        let (st, code) = login_from(&h, stranger, login, "Wrong@123").await;
        if st == StatusCode::TOO_MANY_REQUESTS {
            assert_eq!(code, codes::RATE_LIMITED);
            refused = Some(i);
            break;
        }
        h.clock.advance(chrono::Duration::minutes(16));
    }
    let first_refused = refused.expect("the address is limited");
    assert!(first_refused <= 20, "refused only after {first_refused}");
    // ...are refused unchecked from then on, even a right password,
    let (st, _) = login_from(&h, stranger, "k1001-o", OPERATOR_PW).await;
    assert_eq!(st, StatusCode::TOO_MANY_REQUESTS);
    // while the holder at another address logs in.
    let (st, _) = login_from(&h, [127, 0, 0, 2], "k1001-h", HOLDER_PW).await;
    assert_eq!(st, StatusCode::OK);
    h.finish().await;
});

both!(
    password_change_guesses_count_like_logins,
    |h: H| async move {
        let token = h.login("k1001-h", HOLDER_PW).await;
        let change = |old: &'static str| {
            let h = &h;
            let token = token.clone();
            async move {
                let r = h
                    .http
                    .post(h.url("/v1/auth/password"))
                    .bearer_auth(token)
                    .json(&json!({"old_password": old, "new_password": "Newpass@2027"}))
                    .send()
                    .await
                    .unwrap();
                let st = r.status();
                let v: Value = r.json().await.unwrap_or(Value::Null);
                (st, v["code"].as_str().unwrap_or("").to_string())
            }
        };
        let guesses = (0..20).map(|_| change("Guess@1234"));
        let answers = futures::future::join_all(guesses).await;
        let n_bad = answers.iter().filter(|a| **a == bad()).count();
        assert_eq!(n_bad, 4, "{answers:?}");
        assert!(answers.iter().all(|a| *a == bad() || *a == locked()));
        assert_eq!(failures(&h, "k1001-h").await, 5);
        // The right old password waits too, and so does a fresh login.
        assert_eq!(change(HOLDER_PW).await, locked());
        assert_eq!(login(&h, "k1001-h", HOLDER_PW).await, locked());
        h.clock.advance(chrono::Duration::seconds(31));
        assert_eq!(change(HOLDER_PW).await.0, StatusCode::OK);
        h.finish().await;
    }
);
