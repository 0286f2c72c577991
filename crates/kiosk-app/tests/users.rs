//! Users and roles against a real centre (a `kiosk-server` process on its
//! own SQLite database, its SMS gateway a listener in this test): every
//! command, the holder-only refusals for an operator, bad input (a code
//! each, nothing stored), changes queued while the centre is down that
//! reach it on the next sync, the first password read from the SMS the
//! centre sent (never in the kiosk's database), and a deactivation that
//! takes the user's offline login away at once.

mod common;
use common::*;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

use kiosk_app::api::*;
use kiosk_app::users::UserList;
use kiosk_store::rusqlite::Connection;
use sync_bench::{CentreProcess, DEMO_HOLDER};

const MOBILE: &str = "9829012345";

/// An SMS gateway as the centre's sender calls it: `POST` with JSON
/// `{"to", "text", ...}`, answered 200; each message goes to the channel.
fn sms_gateway() -> (String, Receiver<serde_json::Value>) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/send", l.local_addr().unwrap());
    let (tx, rx) = channel();
    std::thread::spawn(move || {
        for s in l.incoming() {
            let Ok(mut s) = s else { return };
            let mut r = BufReader::new(s.try_clone().unwrap());
            let mut len = 0usize;
            loop {
                let mut line = String::new();
                if r.read_line(&mut line).unwrap_or(0) == 0 {
                    break;
                }
                let l = line.trim_end();
                if l.is_empty() {
                    break;
                }
                if let Some((k, v)) = l.split_once(':')
                    && k.eq_ignore_ascii_case("content-length")
                {
                    len = v.trim().parse().unwrap_or(0);
                }
            }
            let mut body = vec![0; len];
            if r.read_exact(&mut body).is_err() {
                continue;
            }
            let _ =
                s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
            if let Ok(v) = serde_json::from_slice(&body)
                && tx.send(v).is_err()
            {
                return;
            }
        }
    });
    (url, rx)
}

fn centre_config(sms_url: &str) -> String {
    format!("notify_every_secs = 1\n[sms]\nurl = {sms_url:?}\n")
}

/// The next SMS to `to` (others are skipped), at most 30 s; its password
/// is its last word.
fn password_from_sms(sms: &Receiver<serde_json::Value>, to: &str) -> (String, String) {
    let until = Instant::now() + Duration::from_secs(30);
    loop {
        let left = until.saturating_duration_since(Instant::now());
        let m = sms
            .recv_timeout(left)
            .unwrap_or_else(|_| panic!("no SMS to {to}"));
        if m["to"] == to {
            let text = m["text"].as_str().unwrap().to_string();
            let pw = text.split_whitespace().last().unwrap().to_string();
            return (text, pw);
        }
    }
}

/// The kiosk's database files as bytes (the WAL too).
fn db_bytes(db: &Path) -> Vec<u8> {
    let mut all = std::fs::read(db).unwrap();
    let wal = db.with_extension("db-wal");
    if let Ok(w) = std::fs::read(wal) {
        all.extend(w);
    }
    all
}

fn contains(hay: &[u8], needle: &str) -> bool {
    hay.windows(needle.len()).any(|w| w == needle.as_bytes())
}

/// What a refused command must leave as it was.
fn kiosk_state(db: &Path) -> (i64, String, String) {
    let c = Connection::open(db).unwrap();
    let n: i64 = c
        .query_row("SELECT COUNT(*) FROM user_changes", [], |r| r.get(0))
        .unwrap();
    let fp: String = c
        .query_row(
            "SELECT COALESCE(group_concat(hex(hash), ','), '') FROM (SELECT hash FROM outbox ORDER BY seq)",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let ops: String = c
        .query_row(
            "SELECT COALESCE(group_concat(login || active || must_change || COALESCE(o.verifier, '-'), ','), '')
               FROM (SELECT p.login, p.active, p.must_change, c.verifier FROM operators p
                     LEFT JOIN operator_credentials c ON c.login = p.login ORDER BY p.login) o",
            [],
            |r| r.get(0),
        )
        .unwrap();
    (n, fp, ops)
}

async fn users(k: &Kit) -> UserList {
    get(&k.svc, serde_json::json!({"cmd": "users", "args": null})).await
}

async fn login(k: &Kit, login: &str, password: &str) -> Result<AppState, ApiError> {
    let _: AppState = get(&k.svc, serde_json::json!({"cmd": "logout", "args": null})).await;
    call(
        &k.svc,
        serde_json::json!({"cmd": "login", "args": {"login": login, "password": password}}),
    )
    .await
}

fn add(login: &str, name: &str, mobile: &str, role: &str) -> serde_json::Value {
    serde_json::json!({"cmd": "user_add", "args": {"login": login, "name": name, "mobile": mobile, "role": role}})
}

fn set_active(login: &str, active: bool) -> serde_json::Value {
    serde_json::json!({"cmd": "user_set_active", "args": {"login": login, "active": active}})
}

fn reset(login: &str) -> serde_json::Value {
    serde_json::json!({"cmd": "user_reset_password", "args": {"login": login}})
}

fn one_kiosk<T: kiosk_store::rusqlite::types::FromSql>(k: &Kit, sql: &str) -> T {
    one(&k.db(), sql)
}

#[tokio::test(flavor = "multi_thread")]
async fn refusals_store_nothing_and_an_operator_is_refused_every_holder_action() {
    let k = Kit::registered(|_| {}).await;
    let db = k.db();
    // The first sync brought the centre's list.
    let l = users(&k).await;
    let logins: Vec<_> = l.users.iter().map(|u| u.login.as_str()).collect();
    assert_eq!(logins, ["holder1", "operator1"]);
    assert!(
        l.users
            .iter()
            .all(|u| u.at_centre && u.active && u.pending.is_empty())
    );
    assert!(l.users[0].is_me && !l.users[1].is_me);
    assert_eq!(
        (l.users[0].role.as_str(), l.users[1].role.as_str()),
        ("holder", "operator")
    );
    assert_eq!(l.roles, ["operator", "holder"]);
    assert!(l.changes.is_empty());

    let before = kiosk_state(&db);
    refused_storing_nothing(
        &k.svc,
        [
            (
                add("ab", "Ram Lal", MOBILE, "operator"),
                "operator.login_invalid",
            ),
            (
                add("ram lal", "Ram Lal", MOBILE, "operator"),
                "operator.login_invalid",
            ),
            (
                add("राम", "Ram Lal", MOBILE, "operator"),
                "operator.login_invalid",
            ),
            (
                add("operator1", "Ram Lal", MOBILE, "operator"),
                "operator.login_taken",
            ),
            // Logins are lowercased as typed: the same login.
            (
                add(" Operator1 ", "Ram Lal", MOBILE, "operator"),
                "operator.login_taken",
            ),
            (
                add("ram.lal", "  ", MOBILE, "operator"),
                "operator.name_invalid",
            ),
            (
                add("ram.lal", "Ram\u{202E}Lal", MOBILE, "operator"),
                "operator.name_invalid",
            ),
            (
                add("ram.lal", &"x".repeat(101), MOBILE, "operator"),
                "operator.name_invalid",
            ),
            (
                add("ram.lal", "Ram Lal", "", "operator"),
                "operator.no_mobile",
            ),
            (
                add("ram.lal", "Ram Lal", "12345", "operator"),
                "operator.no_mobile",
            ),
            (
                add("ram.lal", "Ram Lal", "5829012345", "operator"),
                "operator.no_mobile",
            ),
            (
                add("ram.lal", "Ram Lal", MOBILE, "admin"),
                "operator.role_invalid",
            ),
            (set_active("holder1", false), "operator.self_deactivate"),
            (set_active("nobody", false), "operator.unknown"),
            (set_active("operator1", true), "operator.already_active"),
            (reset("nobody"), "operator.unknown"),
            // (`operator.no_mobile` on a reset cannot arise here: every user,
            // the demo's too, has a mobile at the centre.)
            (
                serde_json::json!({"cmd": "user_add", "args": {"login": "ram.lal"}}),
                "request.invalid",
            ),
            (
                serde_json::json!({"cmd": "user_set_active", "args": {"login": "operator1"}}),
                "request.invalid",
            ),
        ],
        &before,
        || kiosk_state(&db),
    )
    .await;
    assert!(users(&k).await.changes.is_empty());

    // The operator logs in (online) and tries everything the holder does.
    let st = login(&k, "operator1", OPERATOR.1).await.unwrap();
    assert_eq!(st.session.unwrap().role, "operator");
    let before = kiosk_state(&db);
    let printer = serde_json::json!({"uri": "file:/tmp/nowhere.prn", "profile": "epson-lx310"});
    for cmd in [
        serde_json::json!({"cmd": "users", "args": null}),
        add("ram.lal", "Ram Lal", MOBILE, "operator"),
        set_active("holder1", false),
        set_active("operator1", false),
        reset("holder1"),
        serde_json::json!({"cmd": "receipt_cancel", "args": {"key": "K1001-001-0000001", "reason": "x"}}),
        serde_json::json!({"cmd": "set_favourites", "args": {"codes": []}}),
        serde_json::json!({"cmd": "printer_set", "args": {"role": "receipt", "printer": printer}}),
        serde_json::json!({"cmd": "printer_clear_report", "args": null}),
        serde_json::json!({"cmd": "printer_test_page", "args": {"role": "report", "printer": printer}}),
    ] {
        let e = err(&k.svc, cmd.clone()).await;
        assert_eq!(e.code, "session.holder_only", "{cmd}");
    }
    assert_eq!(
        kiosk_state(&db),
        before,
        "an operator's try stored something"
    );
    // What an operator may do still works.
    let _: kiosk_app::tickets::TicketList =
        get(&k.svc, serde_json::json!({"cmd": "tickets", "args": null})).await;

    // Without a session, nothing at all.
    let _: AppState = get(&k.svc, serde_json::json!({"cmd": "logout", "args": null})).await;
    assert_eq!(
        err(&k.svc, serde_json::json!({"cmd": "users", "args": null}))
            .await
            .code,
        "session.none"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn changes_made_offline_reach_the_centre_and_the_password_comes_by_sms() {
    let (sms_url, sms) = sms_gateway();
    let extra = centre_config(&sms_url);
    let mut k = Kit::with_centre_config(&extra, |_| {});
    k.register().await;
    let db = k.db();
    // The operator has logged in here once: an offline verifier exists.
    login(&k, "operator1", OPERATOR.1).await.unwrap();
    login(&k, DEMO_HOLDER.0, DEMO_HOLDER.1).await.unwrap();
    let has_verifier = |who: &str| -> bool {
        one(
            &db,
            &format!("SELECT verifier IS NOT NULL FROM operator_credentials WHERE login = '{who}'"),
        )
    };
    assert!(has_verifier("operator1"));

    // The centre goes away; the holder adds a user and deactivates one.
    let addr = k.centre().addr;
    drop(k.centre.take());
    let l: UserList = get(
        &k.svc,
        add("Ram.Lal", "राम लाल", "+91 98290 12345", "operator"),
    )
    .await;
    let ram = l.users.iter().find(|u| u.login == "ram.lal").unwrap();
    assert!(!ram.at_centre && !ram.active);
    assert_eq!(ram.pending, ["add"]);
    assert_eq!(ram.name, "राम लाल");
    assert_eq!(ram.mobile_hint.as_deref(), Some("2345"));
    assert_eq!(
        (l.changes[0].action.as_str(), l.changes[0].state.as_str()),
        ("add", "queued")
    );
    let l: UserList = get(&k.svc, set_active("operator1", false)).await;
    let op = l.users.iter().find(|u| u.login == "operator1").unwrap();
    // The centre still says active; the change is on its way.
    assert!(op.active && op.at_centre);
    assert_eq!(op.pending, ["deactivate"]);
    // The offline login is gone at once.
    assert!(!has_verifier("operator1"));
    // A second deactivation, or a reset of the pending user, is refused.
    assert_eq!(
        err(&k.svc, set_active("operator1", false)).await.code,
        "operator.inactive"
    );
    assert_eq!(
        err(&k.svc, reset("ram.lal")).await.code,
        "operator.change_pending"
    );
    let queued: i64 = one_kiosk(
        &k,
        "SELECT COUNT(*) FROM outbox WHERE kind = 'user_change' AND outcome IS NULL",
    );
    assert_eq!(queued, 2);
    // The operator cannot log in offline any more; the holder can.
    assert_eq!(
        login(&k, "operator1", OPERATOR.1).await.unwrap_err().code,
        "operator.inactive"
    );
    let st = login(&k, DEMO_HOLDER.0, DEMO_HOLDER.1).await.unwrap();
    assert!(st.session.unwrap().offline);

    // The centre is back: both changes reach it; its list comes back.
    k.centre = Some(CentreProcess::start_with(k.dir.path(), &addr.to_string(), &extra).unwrap());
    let _ = get::<()>(&k.svc, serde_json::json!({"cmd": "sync_now", "args": null})).await;
    until(&k.events, "the changes applied and listed", || {
        one::<i64>(&db, "SELECT COUNT(*) FROM outbox WHERE outcome IS NULL") == 0
            && one::<i64>(
                &db,
                "SELECT COUNT(*) FROM operators WHERE listed_at IS NOT NULL AND login = 'ram.lal'",
            ) == 1
            && one::<i64>(
                &db,
                "SELECT active FROM operators WHERE login = 'operator1'",
            ) == 0
    });
    let l = users(&k).await;
    let ram = l.users.iter().find(|u| u.login == "ram.lal").unwrap();
    assert!(ram.at_centre && ram.active && ram.must_change_password && ram.pending.is_empty());
    let op = l.users.iter().find(|u| u.login == "operator1").unwrap();
    assert!(!op.active && op.pending.is_empty());
    assert!(
        l.changes.iter().all(|c| c.state == "applied"),
        "{:?}",
        l.changes
    );
    // The centre holds them; the first password went by SMS.
    let centre = Connection::open(k.centre_db()).unwrap();
    let (role, must_change, active): (String, bool, bool) = centre
        .query_row(
            "SELECT role, must_change, active FROM users WHERE login = 'ram.lal'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert_eq!(
        (role.as_str(), must_change, active),
        ("operator", true, true)
    );
    let (text, pw) = password_from_sms(&sms, MOBILE);
    assert!(text.contains("ram.lal"), "{text}");
    assert!(domain::rules::check_password(&pw).is_ok(), "{pw}");
    // Never on the kiosk: not in its database, not in the outbox.
    assert!(
        !contains(&db_bytes(&db), &pw),
        "the password is in the kiosk's database"
    );
    let stored: String = centre
        .query_row(
            "SELECT body FROM notifications WHERE recipient = ?1",
            [MOBILE],
            |r| r.get(0),
        )
        .unwrap();
    assert!(!stored.contains(&pw));
    // The centre refuses the deactivated operator online too.
    assert_eq!(
        login(&k, "operator1", OPERATOR.1).await.unwrap_err().code,
        "auth.inactive"
    );

    // The new user logs in with the SMS password and must change it first.
    let st = login(&k, "ram.lal", &pw).await.unwrap();
    assert_eq!(st.phase, Phase::ChangePassword);
    assert_eq!(
        err(
            &k.svc,
            serde_json::json!({"cmd": "catalogue", "args": null})
        )
        .await
        .code,
        "session.password_change_required"
    );
    let st: AppState = get(
        &k.svc,
        serde_json::json!({"cmd": "change_password", "args": {"old_password": pw, "new_password": "Ramlal@2027"}}),
    )
    .await;
    assert_eq!(st.phase, Phase::Counter);
    assert!(has_verifier("ram.lal"));
    assert_eq!(
        err(&k.svc, serde_json::json!({"cmd": "users", "args": null}))
            .await
            .code,
        "session.holder_only"
    );

    // The holder resets ram.lal's password and reactivates the operator.
    login(&k, DEMO_HOLDER.0, DEMO_HOLDER.1).await.unwrap();
    let l: UserList = get(&k.svc, reset("ram.lal")).await;
    assert_eq!(
        l.users
            .iter()
            .find(|u| u.login == "ram.lal")
            .unwrap()
            .pending,
        ["reset_password"]
    );
    assert!(
        !has_verifier("ram.lal"),
        "the old password stops working offline"
    );
    let _: UserList = get(&k.svc, set_active("operator1", true)).await;
    let (text, pw2) = password_from_sms(&sms, MOBILE);
    assert!(text.contains("reset"), "{text}");
    assert_ne!(pw2, pw);
    until(&k.events, "the reactivation listed", || {
        one::<i64>(
            &db,
            "SELECT active FROM operators WHERE login = 'operator1'",
        ) == 1
    });
    assert!(!contains(&db_bytes(&db), &pw2));
    let st = login(&k, "ram.lal", &pw2).await.unwrap();
    assert_eq!(st.phase, Phase::ChangePassword);
    assert_eq!(
        login(&k, "ram.lal", "Ramlal@2027").await.unwrap_err().code,
        "login.bad_credentials"
    );
    let st = login(&k, "operator1", OPERATOR.1).await.unwrap();
    assert_eq!(st.phase, Phase::Counter);
    assert!(has_verifier("operator1"));
    let changes = {
        login(&k, DEMO_HOLDER.0, DEMO_HOLDER.1).await.unwrap();
        users(&k).await.changes
    };
    assert_eq!(
        changes
            .iter()
            .map(|c| c.action.as_str())
            .collect::<Vec<_>>(),
        ["reactivate", "reset_password", "deactivate", "add"]
    );
}
