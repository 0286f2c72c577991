//! The Account screen's commands against a real centre (a `kiosk-server`
//! process on its own SQLite file, its SMS sent to a receiver here): the
//! password changed online, a forgotten password reset with the code read
//! from the SMS (before set-up too), `account.online_only` without the
//! centre, and de-registering this PC (holder only, nothing unsent; the
//! database moved aside, set-up again, the SSO ID free at the centre).

mod common;
use common::*;

use std::path::PathBuf;

use kiosk_app::api::*;
use serde_json::json;
use sync_bench::{CentreProcess, DEMO_HOLDER, DEMO_KIOSK};

/// The demo holder's registered mobile at the centre.
const HOLDER_MOBILE: &str = "9414000001";
const NEW_PW: &str = "Account@2027";

fn login(l: &str, pw: &str) -> serde_json::Value {
    json!({"cmd": "login", "args": {"login": l, "password": pw}})
}

fn logout() -> serde_json::Value {
    json!({"cmd": "logout", "args": null})
}

fn change(old: &str, new: &str) -> serde_json::Value {
    json!({"cmd": "change_password", "args": {"old_password": old, "new_password": new}})
}

fn forgot(l: &str) -> serde_json::Value {
    json!({"cmd": "forgot_password_request", "args": {"login": l}})
}

fn reset(l: &str, otp: &str, pw: &str) -> serde_json::Value {
    json!({"cmd": "forgot_password_reset", "args": {"login": l, "otp": otp, "new_password": pw}})
}

fn deregister(pw: &str) -> serde_json::Value {
    json!({"cmd": "device_deregister", "args": {"password": pw}})
}

fn local_failures(k: &Kit, l: &str) -> i64 {
    one(
        &k.db(),
        &format!(
            "SELECT COALESCE((SELECT failures FROM operator_credentials WHERE login = '{l}'), 0)"
        ),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_password_is_changed_online_and_offline_says_so() {
    let mut k = Kit::registered(|_| {}).await;
    // The policy first: nothing reaches the centre.
    let e = err(&k.svc, change(DEMO_HOLDER.1, "weakpass1")).await;
    assert_eq!(e.code, "password.no_uppercase");
    let e = err(&k.svc, change(DEMO_HOLDER.1, DEMO_HOLDER.1)).await;
    assert_eq!(e.code, "password.unchanged");
    // A wrong current password: the centre's refusal.
    let e = err(&k.svc, change("Wrong@Pass9", NEW_PW)).await;
    assert_eq!(e.code, "auth.bad_credentials");
    let st: AppState = get(&k.svc, change(DEMO_HOLDER.1, NEW_PW)).await;
    assert_eq!(st.phase, Phase::Counter);

    // The centre has the new one, the old one is refused.
    let _: AppState = get(&k.svc, logout()).await;
    let e = err(&k.svc, login(DEMO_HOLDER.0, DEMO_HOLDER.1)).await;
    assert_eq!(e.code, "login.bad_credentials");
    let st: AppState = get(&k.svc, login(DEMO_HOLDER.0, NEW_PW)).await;
    assert!(!st.session.unwrap().offline);

    // Without the centre: the new password opens the counter offline,
    // and the account's changes say they need the centre.
    drop(k.centre.take());
    let _: AppState = get(&k.svc, logout()).await;
    let e = err(&k.svc, login(DEMO_HOLDER.0, DEMO_HOLDER.1)).await;
    assert_eq!(e.code, "login.bad_credentials");
    let st: AppState = get(&k.svc, login(DEMO_HOLDER.0, NEW_PW)).await;
    assert!(st.session.unwrap().offline);
    let e = err(&k.svc, change(NEW_PW, "Another@2028")).await;
    assert_eq!(e.code, "account.online_only");
    let e = err(&k.svc, forgot(DEMO_HOLDER.0)).await;
    assert_eq!(e.code, "account.online_only");
    let e = err(&k.svc, deregister(NEW_PW)).await;
    assert_eq!(e.code, "account.online_only");
    // Still this kiosk, still set up.
    assert!(k.db().exists());
    let st: AppState = get(&k.svc, json!({"cmd": "app_state", "args": null})).await;
    assert_eq!(st.phase, Phase::Counter);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forgotten_password_is_reset_with_the_code_from_the_sms() {
    let (mut k, sms) = Kit::with_sms(|_| {});
    k.register().await;
    let _: AppState = get(&k.svc, logout()).await;

    let asked: ForgotView = get(&k.svc, forgot(DEMO_HOLDER.0)).await;
    assert_eq!(asked.expires_in_secs, 600);
    let otp = code_in(&sms.next_to(HOLDER_MOBILE));
    // At the centre the code is not at rest: no message row holds it, the
    // reset row holds a salted hash.
    let centre = k.centre_db();
    let bodies: i64 = one(
        &centre,
        &format!(
            "SELECT COUNT(*) FROM notifications WHERE body LIKE '%{otp}%' OR subject LIKE '%{otp}%'"
        ),
    );
    assert_eq!(bodies, 0);
    let hash: String = one(&centre, "SELECT otp_hash FROM password_resets");
    assert!(
        hash.starts_with("$argon2id$") && !hash.contains(&otp),
        "{hash}"
    );

    // A login nobody has is answered alike, and nothing is queued for it.
    let messages = || one::<i64>(&centre, "SELECT COUNT(*) FROM notifications");
    let before = messages();
    let other: ForgotView = get(&k.svc, forgot("nobody.here")).await;
    assert_eq!(other, asked);
    assert_eq!(messages(), before);

    // Refused here, before the centre spends a try: not six digits, a
    // password against the policy.
    let e = err(&k.svc, reset(DEMO_HOLDER.0, "12a456", NEW_PW)).await;
    assert_eq!(e.code, "otp.format");
    let e = err(&k.svc, reset(DEMO_HOLDER.0, &otp, "short1A")).await;
    assert_eq!(e.code, "password.too_short");
    // A wrong code: the centre's one answer; no login failure counted.
    let wrong = format!("{:06}", (otp.parse::<u32>().unwrap() + 1) % 1_000_000);
    let e = err(&k.svc, reset(DEMO_HOLDER.0, &wrong, NEW_PW)).await;
    assert_eq!(e.code, "otp.invalid");
    assert_eq!(local_failures(&k, DEMO_HOLDER.0), 0);
    let tries: i64 = one(&centre, "SELECT tries_left FROM password_resets");
    assert_eq!(tries, 4);
    let centre_failures: i64 = one(
        &centre,
        "SELECT failed_logins FROM users WHERE login = 'holder1'",
    );
    assert_eq!(centre_failures, 0);

    // The right code: the new password is set and the holder is logged in.
    let done: ResetDone = get(&k.svc, reset(DEMO_HOLDER.0, &otp, NEW_PW)).await;
    assert!(done.logged_in, "{:?}", done.login_error);
    assert_eq!(done.state.phase, Phase::Counter);
    assert_eq!(done.state.session.unwrap().login, DEMO_HOLDER.0);
    let e = err(&k.svc, reset(DEMO_HOLDER.0, &otp, "Again@Pass11")).await;
    assert_eq!(e.code, "otp.invalid");

    let _: AppState = get(&k.svc, logout()).await;
    let e = err(&k.svc, login(DEMO_HOLDER.0, DEMO_HOLDER.1)).await;
    assert_eq!(e.code, "login.bad_credentials");
    let _: AppState = get(&k.svc, login(DEMO_HOLDER.0, NEW_PW)).await;
    // Offline, the old password does not open this counter either.
    drop(k.centre.take());
    let _: AppState = get(&k.svc, logout()).await;
    let e = err(&k.svc, login(DEMO_HOLDER.0, DEMO_HOLDER.1)).await;
    assert_eq!(e.code, "login.bad_credentials");
    let st: AppState = get(&k.svc, login(DEMO_HOLDER.0, NEW_PW)).await;
    assert!(st.session.unwrap().offline);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forgotten_password_before_the_kiosk_is_set_up() {
    let (k, sms) = Kit::with_sms(|_| {});
    let url = k.centre().url();
    // No centre known yet: it has to be named.
    let e = err(&k.svc, forgot(DEMO_HOLDER.0)).await;
    assert_eq!(e.code, "app.not_set_up");
    let _: ForgotView = get(
        &k.svc,
        json!({"cmd": "forgot_password_request", "args": {"login": DEMO_HOLDER.0, "centre_url": url}}),
    )
    .await;
    let otp = code_in(&sms.next_to(HOLDER_MOBILE));
    let done: ResetDone = get(
        &k.svc,
        json!({"cmd": "forgot_password_reset", "args": {"login": DEMO_HOLDER.0, "otp": otp, "new_password": NEW_PW, "centre_url": url}}),
    )
    .await;
    assert!(!done.logged_in);
    assert_eq!(done.state.phase, Phase::Setup);
    // Registering with the new password.
    let e = err(
        &k.svc,
        json!({"cmd": "register", "args": {"centre_url": url, "kiosk_code": DEMO_KIOSK, "login": DEMO_HOLDER.0, "password": DEMO_HOLDER.1}}),
    )
    .await;
    assert_eq!(e.code, "auth.bad_credentials");
    let st: AppState = get(
        &k.svc,
        json!({"cmd": "register", "args": {"centre_url": url, "kiosk_code": DEMO_KIOSK, "login": DEMO_HOLDER.0, "password": NEW_PW}}),
    )
    .await;
    assert_eq!(st.phase, Phase::Counter);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_cannot_deregister_the_pc() {
    let k = Kit::registered(|_| {}).await;
    let _: AppState = get(&k.svc, logout()).await;
    let _: AppState = get(&k.svc, login(OPERATOR.0, OPERATOR.1)).await;
    let e = err(&k.svc, deregister(OPERATOR.1)).await;
    assert_eq!(e.code, "session.holder_only");
    assert!(k.db().exists());
    let bound: i64 = one(
        &k.centre_db(),
        "SELECT COUNT(*) FROM devices WHERE deregistered_ms IS NULL",
    );
    assert_eq!(bound, 1);
    let st: AppState = get(&k.svc, json!({"cmd": "app_state", "args": null})).await;
    assert_eq!(st.phase, Phase::Counter);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deregistering_waits_for_the_outbox_then_moves_the_database_aside() {
    let mut k = Kit::registered(|_| {}).await;
    let addr = k.centre().addr;
    // A payment taken while the centre is away waits in the outbox.
    drop(k.centre.take());
    let paid = pay_wallet(&k.svc, "JP1000001", "340").await;
    assert_eq!(paid.receipt.status, "provisional");
    let e = err(&k.svc, deregister(DEMO_HOLDER.1)).await;
    assert_eq!(e.code, "account.outbox_not_empty");
    assert_eq!(e.details.unwrap()["pending"], 1);
    assert!(k.db().exists());

    // The centre is back; once the payment is there the PC may leave.
    k.centre = Some(CentreProcess::start_at(k.dir.path(), &addr.to_string()).unwrap());
    ok(&k.svc, json!({"cmd": "sync_now", "args": null})).await;
    wait_for(&k.events, "the payment at the centre", synced);
    let payments: i64 = one(&k.centre_db(), "SELECT COUNT(*) FROM payments");
    assert_eq!(payments, 1);
    // The password is asked again; a wrong one changes nothing.
    let e = err(&k.svc, deregister("Wrong@Pass9")).await;
    assert_eq!(e.code, "login.bad_credentials");
    assert!(k.db().exists());

    let done: DeregisterDone = get(&k.svc, deregister(DEMO_HOLDER.1)).await;
    assert_eq!(done.state.phase, Phase::Setup);
    assert!(done.state.session.is_none());
    let moved = PathBuf::from(&done.moved_to);
    assert_eq!(moved.parent().unwrap(), k.data);
    assert!(
        moved
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("deregistered-"),
        "{moved:?}"
    );
    // Kept, whole: the receipt and its answered entry are in the old file.
    assert!(!k.db().exists());
    let old = moved.join("kiosk.db");
    assert_eq!(one::<i64>(&old, "SELECT COUNT(*) FROM receipts"), 1);
    assert_eq!(
        one::<i64>(&old, "SELECT COUNT(*) FROM outbox WHERE outcome IS NULL"),
        0
    );
    let freed: i64 = one(
        &k.centre_db(),
        "SELECT COUNT(*) FROM devices WHERE deregistered_ms IS NOT NULL",
    );
    assert_eq!(freed, 1);
    let st: StatusView = get(&k.svc, json!({"cmd": "status", "args": null})).await;
    assert_eq!(st.sync.state, "not_registered");
    assert!(st.inactivity.is_none());
    let e = err(&k.svc, json!({"cmd": "cart", "args": null})).await;
    assert_eq!(e.code, "session.none");

    // The SSO ID is free: it registers again (here, as it could elsewhere).
    k.register().await;
    let st: AppState = get(&k.svc, json!({"cmd": "app_state", "args": null})).await;
    assert_eq!(st.phase, Phase::Counter);
    assert_eq!(one::<i64>(&k.db(), "SELECT COUNT(*) FROM receipts"), 0);
}
