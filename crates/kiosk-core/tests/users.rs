//! The kiosk's users: the holder's changes as outbox entries (one row and
//! one entry each, in one transaction; every bad input refused with its
//! code and nothing stored), the centre's list taken from the pull, and
//! the offline verifier gone with a deactivation.

mod common;

use common::*;
use domain::{ErrorCode, Role};
use kiosk_core::{Kiosk, NewUser, Outcome};
use protocol::{EntryKind, KioskUser, UserChange, UserChangePayload};

fn new_user(login: &str, name: &str, mobile: &str, role: &str) -> NewUser {
    NewUser {
        login: login.into(),
        name: name.into(),
        mobile: mobile.into(),
        role: role.into(),
    }
}

fn listed(login: &str, role: Role, active: bool) -> KioskUser {
    KioskUser {
        login: login.into(),
        name: format!("{login} name"),
        role,
        active,
        must_change: false,
        mobile_hint: Some("3210".into()),
    }
}

/// Everything a refused call must leave as it was.
fn state(k: &Kiosk) -> (Vec<(&'static str, i64)>, String, i64) {
    (
        counts(k),
        fingerprint(k),
        k.store().count("user_changes").unwrap(),
    )
}

fn code<T: std::fmt::Debug>(r: kiosk_core::Result<T>) -> String {
    r.expect_err("refused").code().to_string()
}

/// A verifier as an online login leaves it (the app's `auth` writes it).
fn give_verifier(k: &mut Kiosk, login: &str) {
    k.store_mut()
        .write(|tx| -> kiosk_core::Result<()> {
            tx.execute(
                "INSERT INTO operator_credentials (login, verifier, role, updated_at) VALUES (?1, '$argon2id$x', 'operator', 'now')
                 ON CONFLICT (login) DO UPDATE SET verifier = '$argon2id$x'",
                [login],
            )?;
            Ok(())
        })
        .unwrap();
}

fn has_verifier(k: &Kiosk, login: &str) -> bool {
    k.store()
        .conn()
        .query_row(
            "SELECT COUNT(*) FROM operator_credentials WHERE login = ?1 AND verifier IS NOT NULL",
            [login],
            |r| r.get::<_, i64>(0),
        )
        .unwrap()
        == 1
}

#[test]
fn changes_are_entries_and_refusals_store_nothing() {
    let mut f = fixture();
    let k = &mut f.kiosk;
    k.replace_users(&[
        listed("holder", Role::Holder, true),
        listed("op1", Role::Operator, true),
    ])
    .unwrap();
    let before = state(k);
    let cases: Vec<(&str, kiosk_core::Result<kiosk_core::UserChangeRecord>)> = vec![
        (
            "operator.login_invalid",
            k.add_user("holder", &new_user("x", "Ram", "9876543210", "operator")),
        ),
        (
            "operator.login_taken",
            k.add_user("holder", &new_user("op1", "Ram", "9876543210", "operator")),
        ),
        (
            "operator.name_invalid",
            k.add_user("holder", &new_user("ram", " ", "9876543210", "operator")),
        ),
        (
            "operator.name_invalid",
            k.add_user(
                "holder",
                &new_user("ram", "a\u{7}b", "9876543210", "operator"),
            ),
        ),
        (
            "operator.no_mobile",
            k.add_user("holder", &new_user("ram", "Ram", "98765", "operator")),
        ),
        (
            "operator.role_invalid",
            k.add_user("holder", &new_user("ram", "Ram", "9876543210", "boss")),
        ),
        (
            "operator.unknown",
            k.add_user("ghost", &new_user("ram", "Ram", "9876543210", "operator")),
        ),
        (
            "operator.self_deactivate",
            k.set_user_active("holder", "holder", false),
        ),
        (
            "operator.unknown",
            k.set_user_active("holder", "nobody", false),
        ),
        (
            "operator.already_active",
            k.set_user_active("holder", "op1", true),
        ),
        (
            "operator.unknown",
            k.reset_user_password("holder", "nobody"),
        ),
    ];
    for (want, got) in cases {
        assert_eq!(code(got), want);
        assert_eq!(state(k), before, "{want} stored something");
    }

    // An addition: a row and an entry whose payload holds no password.
    let r = k
        .add_user(
            "holder",
            &new_user("ram", "Ram Lal", "+91 98290 12345", "operator"),
        )
        .unwrap();
    assert_eq!((r.action.as_str(), r.state.as_str()), ("add", "queued"));
    let e = k.outbox_from(r.outbox_seq, 1).unwrap().remove(0).entry;
    assert_eq!(e.kind, EntryKind::UserChange);
    let p = UserChangePayload::decode(&e.payload).unwrap();
    assert_eq!(
        p,
        UserChangePayload {
            by: "holder".into(),
            login: "ram".into(),
            change: UserChange::Add {
                name: "Ram Lal".into(),
                mobile: "9829012345".into(),
                role: Role::Operator,
            },
        }
    );
    let ram = k
        .users()
        .unwrap()
        .into_iter()
        .find(|u| u.login == "ram")
        .unwrap();
    assert!(!ram.listed && !ram.active);
    assert_eq!(ram.pending, ["add"]);
    assert_eq!(ram.mobile_hint.as_deref(), Some("2345"));
    // Taken while on its way; no second password meanwhile.
    assert_eq!(
        code(k.add_user("holder", &new_user("ram", "Ram", "9876543210", "operator"))),
        "operator.login_taken"
    );
    assert_eq!(
        code(k.reset_user_password("holder", "ram")),
        "operator.change_pending"
    );

    // A deactivation: the verifier goes at once, the centre's word stays.
    give_verifier(k, "op1");
    let d = k.set_user_active("holder", "op1", false).unwrap();
    assert!(!has_verifier(k, "op1"));
    assert!(kiosk_core::users::pending_deactivation(k.store().conn(), "op1").unwrap());
    let op1 = k
        .users()
        .unwrap()
        .into_iter()
        .find(|u| u.login == "op1")
        .unwrap();
    assert!(op1.active && op1.listed);
    assert_eq!(op1.pending, ["deactivate"]);
    assert_eq!(
        code(k.set_user_active("holder", "op1", false)),
        "operator.inactive"
    );
    assert_eq!(
        code(k.reset_user_password("holder", "op1")),
        "operator.inactive"
    );
    // The centre refuses it: it no longer keeps the user out.
    k.record_outcome(
        d.outbox_seq,
        &Outcome::Rejected {
            code: "auth.holder_only".into(),
            reason: "x".into(),
        },
    )
    .unwrap();
    assert!(!kiosk_core::users::pending_deactivation(k.store().conn(), "op1").unwrap());
    let ch = k.user_changes(10).unwrap();
    assert_eq!(ch[0].state, "refused");
    assert_eq!(ch[0].code.as_deref(), Some("auth.holder_only"));
    assert_eq!(ch[1].state, "queued");
}

#[test]
fn the_centre_list_is_taken_as_it_comes() {
    let mut f = fixture();
    let k = &mut f.kiosk;
    assert_eq!(k.users_digest().unwrap(), 0, "no list yet");
    let list = vec![
        listed("holder", Role::Holder, true),
        listed("op1", Role::Operator, true),
        listed("op2", Role::Operator, true),
    ];
    k.replace_users(&list).unwrap();
    // The digest names exactly the list received.
    assert_eq!(k.users_digest().unwrap(), protocol::users_digest(&list));
    assert_eq!(
        k.users()
            .unwrap()
            .iter()
            .map(|u| (u.login.as_str(), u.active, u.listed))
            .collect::<Vec<_>>(),
        [
            ("holder", true, true),
            ("op1", true, true),
            ("op2", true, true)
        ]
    );
    // Deactivated at the centre, or gone from its list: no offline login.
    give_verifier(k, "op1");
    give_verifier(k, "op2");
    let applied = k
        .replace_users(&[
            listed("holder", Role::Holder, true),
            listed("op1", Role::Operator, false),
        ])
        .unwrap();
    assert_eq!((applied.listed, applied.verifiers_removed), (2, 2));
    assert!(!has_verifier(k, "op1") && !has_verifier(k, "op2"));
    let us = k.users().unwrap();
    let op2 = us.iter().find(|u| u.login == "op2").unwrap();
    assert!(!op2.active && !op2.listed);
    // A payment by a deactivated operator is refused.
    assert_eq!(
        code(kiosk_testkit::try_pay(
            k,
            &[bill("JVVNL-BILL", "210000000001", 100)],
            "op1",
            false
        )),
        "operator.inactive"
    );
}
