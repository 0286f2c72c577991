//! The kiosk's users through the outbox, on PostgreSQL and on SQLite: the
//! holder adds a user, deactivates, reactivates and resets a password with
//! `user_change` entries; the centre makes each password, queues it by SMS
//! (held in memory, never in a row or an entry) and its list of the kiosk's
//! users reaches the device on the pull only when it changed. Operators
//! cannot change users or cancel receipts, bad changes are refused with a
//! code each and change nothing, and a deactivated user cannot log in.

mod common;
use common::*;
use domain::Role;
use protocol::{Cursor, UserChange, codes};
use reqwest::StatusCode;
use server::store::HELD_SUBJECT;

const MOBILE: &str = "9876543210";

fn add(name: &str, mobile: &str, role: Role) -> UserChange {
    UserChange::Add {
        name: name.into(),
        mobile: mobile.into(),
        role,
    }
}

/// A login's answer: status and body.
async fn try_login(h: &H, login: &str, pw: &str) -> (StatusCode, serde_json::Value) {
    let r = h
        .http
        .post(h.url("/v1/auth/login"))
        .json(&serde_json::json!({"login": login, "password": pw}))
        .send()
        .await
        .unwrap();
    (r.status(), r.json().await.unwrap())
}

/// The password SMS queued to `mobile` after `skip` earlier ones: the row's
/// stored text and the text the sender holds in memory.
async fn password_sms(h: &H, mobile: &str, skip: usize) -> (String, String) {
    let due = h.store.due_notifications(100).await.unwrap();
    let mine: Vec<_> = due
        .iter()
        .filter(|n| n.recipient == mobile && n.subject == HELD_SUBJECT)
        .collect();
    assert_eq!(
        mine.len(),
        skip + 1,
        "password messages to {mobile}: {due:?}"
    );
    let n = mine[skip];
    assert_eq!(n.channel, "sms");
    let sent = h.store.held_text(n.id).expect("the text is held in memory");
    (n.body.clone(), sent)
}

/// The password in a held text: its last word (after the Hindi words).
fn password_in(text: &str) -> String {
    text.split_whitespace()
        .last()
        .expect("a password in the text")
        .to_string()
}

/// What a refused change must leave as it was: every user of both kiosks
/// (login, active, first password, hash) and the messages queued.
async fn counts(h: &H) -> (Vec<(String, bool, bool, String)>, usize) {
    let mut users = Vec::new();
    for code in ["k1001", "k2002"] {
        for s in ["h", "o"] {
            if let Some(u) = h.store.user_by_login(&format!("{code}-{s}")).await.unwrap() {
                users.push((u.login, u.active, u.must_change, u.password_hash));
            }
        }
    }
    for u in h.store.list_users(h.kiosk.id).await.unwrap() {
        users.push((u.login, u.active, u.must_change, u.password_hash));
    }
    (
        users,
        h.store.all_notification_bodies().await.unwrap().len(),
    )
}

both!(
    a_user_is_added_deactivated_reactivated_and_reset_through_sync,
    |h: H| async move {
        let mut d = h.register("k1001-h", 1).await;
        let holder = d.holder();
        let first = h.pull(&d, Cursor::default(), 100).await;
        let list = first.users.clone().expect("the first pull lists the users");
        assert_eq!(
            list.iter().map(|u| u.login.as_str()).collect::<Vec<_>>(),
            ["k1001-h", "k1001-o"]
        );
        assert_ne!(first.cursor.users_digest, 0);
        // Unchanged: no list on the wire, the same digest.
        let again = h.pull(&d, first.cursor, 100).await;
        assert_eq!(again.users, None);
        assert_eq!(again.cursor.users_digest, first.cursor.users_digest);

        // Added: the centre makes the password and queues it by SMS.
        d.user_change(&holder, "ram.lal", add("Ram Lal", MOBILE, Role::Operator));
        let r = h.push(&d, &d.rest(0)).await.unwrap();
        accepted(&r.outcomes[0].outcome);
        let u = h.store.user_by_login("ram.lal").await.unwrap().unwrap();
        assert_eq!(
            (u.kiosk_id, u.role, u.active, u.must_change),
            (h.kiosk.id, Role::Operator, true, true)
        );
        assert_eq!(u.mobile.as_deref(), Some(MOBILE));
        let (stored, sent) = password_sms(&h, MOBILE, 0).await;
        let pw = password_in(&sent);
        assert!(domain::rules::check_password(&pw).is_ok(), "{pw}");
        assert!(sent.contains("ram.lal") && sent.contains(&pw));
        // Nowhere at rest: not in the message row, not in the entry.
        assert!(!stored.contains(&pw), "{stored}");
        for b in h.store.all_notification_bodies().await.unwrap() {
            assert!(!b.contains(&pw));
        }
        let entry = &d.log[0].0.payload;
        assert!(!entry.windows(pw.len()).any(|w| w == pw.as_bytes()));
        // The user logs in with it and must change it first.
        let (st, body) = try_login(&h, "ram.lal", &pw).await;
        assert_eq!(st, StatusCode::OK, "{body}");
        assert_eq!(body["must_change_password"], true);
        assert_eq!(body["role"], "operator");
        // The next pull carries the new list.
        let p = h.pull(&d, again.cursor, 100).await;
        let list = p.users.expect("the list changed");
        let ram = list.iter().find(|u| u.login == "ram.lal").unwrap();
        assert!(ram.active && ram.must_change);
        assert_eq!(ram.name, "Ram Lal");
        assert_eq!(ram.mobile_hint.as_deref(), Some("3210"));
        assert_ne!(p.cursor.users_digest, first.cursor.users_digest);

        // Deactivated: the login is refused and the session ends.
        let token = body["token"].as_str().unwrap().to_string();
        d.user_change(&holder, "ram.lal", UserChange::Deactivate);
        let r = h.push(&d, &d.rest(1)).await.unwrap();
        accepted(&r.outcomes[0].outcome);
        let (st, body) = try_login(&h, "ram.lal", &pw).await;
        assert_eq!(st, StatusCode::FORBIDDEN);
        assert_eq!(body["code"], codes::AUTH_INACTIVE);
        let r = h
            .http
            .post(h.url("/v1/auth/password"))
            .bearer_auth(&token)
            .json(&serde_json::json!({"old_password": pw, "new_password": "Newpass123"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "the session ended");
        let p2 = h.pull(&d, p.cursor, 100).await;
        let list = p2.users.expect("the list changed");
        assert!(!list.iter().find(|u| u.login == "ram.lal").unwrap().active);
        // Said again (another device, a retried change): nothing more to do.
        d.user_change(&holder, "ram.lal", UserChange::Deactivate);
        let r = h.push(&d, &d.rest(2)).await.unwrap();
        accepted(&r.outcomes[0].outcome);
        assert_eq!(h.pull(&d, p2.cursor, 100).await.users, None);

        // Reactivated: the same password works again.
        d.user_change(&holder, "ram.lal", UserChange::Reactivate);
        let r = h.push(&d, &d.rest(3)).await.unwrap();
        accepted(&r.outcomes[0].outcome);
        assert_eq!(try_login(&h, "ram.lal", &pw).await.0, StatusCode::OK);

        // Reset: a new password by SMS; the old one no longer works.
        d.user_change(&holder, "ram.lal", UserChange::ResetPassword);
        let r = h.push(&d, &d.rest(4)).await.unwrap();
        accepted(&r.outcomes[0].outcome);
        let (stored, sent) = password_sms(&h, MOBILE, 1).await;
        let pw2 = password_in(&sent);
        assert_ne!(pw2, pw);
        assert!(!stored.contains(&pw2));
        assert!(sent.contains("reset"));
        assert_eq!(
            try_login(&h, "ram.lal", &pw).await.0,
            StatusCode::UNAUTHORIZED
        );
        let (st, body) = try_login(&h, "ram.lal", &pw2).await;
        assert_eq!(st, StatusCode::OK);
        assert_eq!(body["must_change_password"], true);

        // A replay of the whole run changes nothing and answers the same.
        let replay = h.push(&d, &d.rest(0)).await.unwrap();
        assert_eq!(replay.outcomes.len(), 5);
        assert_eq!(password_sms(&h, MOBILE, 1).await.1, sent);
        assert_eq!(h.store.list_users(h.kiosk.id).await.unwrap().len(), 3);
        h.finish().await;
    }
);

both!(
    operators_can_neither_change_users_nor_cancel,
    |h: H| async move {
        let other = h.add_kiosk("K2002").await;
        let mut d = h.register("k1001-h", 1).await;
        let cat = h.catalogue.clone();
        let (_, paid) = d.pay(&cat, &[line("JVVNL-BILL", "210000000001", 1_450_00)]);
        let r = h.push(&d, &d.rest(0)).await.unwrap();
        accepted(&r.outcomes[0].outcome);
        let wallet = h.wallet(&h.kiosk).await;
        let before = counts(&h).await;
        // The kiosk's operator, another kiosk's holder, nobody at all.
        d.user_change("k1001-o", "new.op", add("New Op", MOBILE, Role::Operator));
        d.user_change("k1001-o", "k1001-h", UserChange::Deactivate);
        d.user_change("k1001-o", "k1001-o", UserChange::ResetPassword);
        d.user_change("k2002-h", "new.op", add("New Op", MOBILE, Role::Holder));
        d.user_change("ghost", "k1001-o", UserChange::Deactivate);
        d.cancel_by(&paid, "k1001-o");
        d.cancel_by(&paid, "k2002-h");
        let r = h.push(&d, &d.rest(1)).await.unwrap();
        assert_eq!(r.outcomes.len(), 7);
        for o in &r.outcomes {
            assert_eq!(rejected(&o.outcome), codes::AUTH_HOLDER_ONLY, "{o:?}");
        }
        assert_eq!(counts(&h).await, before);
        assert_eq!(
            h.wallet(&h.kiosk).await,
            wallet,
            "no cancellation went through"
        );
        assert!(h.store.user_by_login("new.op").await.unwrap().is_none());
        // A holder cannot reach another kiosk's users.
        d.user_change("k1001-h", "k2002-o", UserChange::Deactivate);
        let r = h.push(&d, &d.rest(8)).await.unwrap();
        assert_eq!(rejected(&r.outcomes[0].outcome), codes::OPERATOR_UNKNOWN);
        let o = h.store.user_by_login("k2002-o").await.unwrap().unwrap();
        assert!(o.active && o.kiosk_id == other.id);
        // The holder may cancel.
        d.cancel(&paid);
        let r = h.push(&d, &d.rest(9)).await.unwrap();
        accepted(&r.outcomes[0].outcome);
        assert_eq!(h.wallet(&h.kiosk).await, wallet + 1_450_00);
        h.finish().await;
    }
);

both!(
    bad_user_changes_are_refused_and_change_nothing,
    |h: H| async move {
        h.add_kiosk("K2002").await;
        let mut d = h.register("k1001-h", 1).await;
        let holder = d.holder();
        let before = counts(&h).await;
        let digest = h.pull(&d, Cursor::default(), 100).await.cursor;
        d.append(protocol::EntryKind::UserChange, vec![1, 2, 3]);
        d.append(protocol::EntryKind::UserChange, vec![]);
        let cases = [
            (
                "Ram.Lal",
                add("Ram", MOBILE, Role::Operator),
                codes::OPERATOR_LOGIN_INVALID,
            ),
            (
                "ra",
                add("Ram", MOBILE, Role::Operator),
                codes::OPERATOR_LOGIN_INVALID,
            ),
            (
                "k1001-o",
                add("Ram", MOBILE, Role::Operator),
                codes::OPERATOR_LOGIN_TAKEN,
            ),
            (
                "k2002-o",
                add("Ram", MOBILE, Role::Operator),
                codes::OPERATOR_LOGIN_TAKEN,
            ),
            (
                "ram.lal",
                add("", MOBILE, Role::Operator),
                codes::OPERATOR_NAME_INVALID,
            ),
            (
                "ram.lal",
                add("Ram\u{202E}Lal", MOBILE, Role::Operator),
                codes::OPERATOR_NAME_INVALID,
            ),
            (
                "ram.lal",
                add("Ram", "12345", Role::Operator),
                codes::OPERATOR_NO_MOBILE,
            ),
            (
                "ram.lal",
                add("Ram", "5876543210", Role::Operator),
                codes::OPERATOR_NO_MOBILE,
            ),
            (
                "ram.lal",
                add("Ram", "+91 98765 43210", Role::Operator),
                codes::OPERATOR_NO_MOBILE,
            ),
            (
                "k1001-h",
                UserChange::Deactivate,
                codes::OPERATOR_SELF_DEACTIVATE,
            ),
            ("nobody", UserChange::Deactivate, codes::OPERATOR_UNKNOWN),
            ("nobody", UserChange::ResetPassword, codes::OPERATOR_UNKNOWN),
            // The demo operator has no mobile on record.
            (
                "k1001-o",
                UserChange::ResetPassword,
                codes::OPERATOR_NO_MOBILE,
            ),
        ];
        for (login, change, _) in &cases {
            d.user_change(&holder, login, change.clone());
        }
        let r = h.push(&d, &d.rest(0)).await.unwrap();
        assert_eq!(rejected(&r.outcomes[0].outcome), codes::ENTRY_MALFORMED);
        assert_eq!(rejected(&r.outcomes[1].outcome), codes::ENTRY_MALFORMED);
        for ((login, change, code), o) in cases.iter().zip(&r.outcomes[2..]) {
            assert_eq!(rejected(&o.outcome), *code, "{login} {change:?}");
        }
        assert_eq!(counts(&h).await, before);
        assert!(h.store.due_notifications(100).await.unwrap().is_empty());
        // The list the kiosk holds is still the centre's.
        assert_eq!(h.pull(&d, digest, 100).await.users, None);
        // An inactive user gets no new password.
        d.user_change(&holder, "k1001-o", UserChange::Deactivate);
        d.user_change(&holder, "k1001-o", UserChange::ResetPassword);
        let r = h.push(&d, &d.rest(15)).await.unwrap();
        accepted(&r.outcomes[0].outcome);
        assert_eq!(rejected(&r.outcomes[1].outcome), codes::OPERATOR_INACTIVE);
        assert!(h.store.due_notifications(100).await.unwrap().is_empty());
        h.finish().await;
    }
);

both!(
    an_added_user_and_a_removal_in_one_batch,
    |h: H| async move {
        let mut d = h.register("k1001-h", 1).await;
        let holder = d.holder();
        // Added, then the same login again, then deactivated: in seq order.
        d.user_change(
            &holder,
            "sita.devi",
            add("सीता देवी", "9829012345", Role::Holder),
        );
        d.user_change(
            &holder,
            "sita.devi",
            add("Sita", "9829012345", Role::Operator),
        );
        d.user_change(&holder, "sita.devi", UserChange::Deactivate);
        let r = h.push(&d, &d.rest(0)).await.unwrap();
        accepted(&r.outcomes[0].outcome);
        assert_eq!(
            rejected(&r.outcomes[1].outcome),
            codes::OPERATOR_LOGIN_TAKEN
        );
        accepted(&r.outcomes[2].outcome);
        let u = h.store.user_by_login("sita.devi").await.unwrap().unwrap();
        assert_eq!(
            (u.name.as_str(), u.role, u.active),
            ("सीता देवी", Role::Holder, false)
        );
        // The first password went all the same (the user exists).
        let (_, sent) = password_sms(&h, "9829012345", 0).await;
        let pw = password_in(&sent);
        let (st, body) = try_login(&h, "sita.devi", &pw).await;
        assert_eq!(st, StatusCode::FORBIDDEN);
        assert_eq!(body["code"], codes::AUTH_INACTIVE);
        h.finish().await;
    }
);
