//! The centre console's API on PostgreSQL and on SQLite: admin logins,
//! sessions and CSRF; the district scope over every endpoint (a Jaipur
//! kiosk's records are invisible to an Ajmer admin); maker-checker on
//! refills and settlements (self-approval refused); one audit row for every
//! change and none for a refusal; auditors read only; kiosk health from the
//! pull; the catalogue published and pulled.

mod common;
use common::*;
use domain::Paise;
use protocol::refills::RefillPayload;
use protocol::{Cursor, EntryKind, KioskHealth};
use reqwest::StatusCode;
use serde_json::{Value, json};
use server::store::console::AdminRole;
use uuid::Uuid;

/// A console session: its cookie and CSRF token.
#[derive(Clone)]
struct Console {
    base: String,
    http: reqwest::Client,
    cookie: String,
    csrf: String,
}

const PW: &str = "Console@2026";

async fn admin(h: &H, login: &str, role: AdminRole, district: Option<&str>) {
    h.store
        .create_admin(login, &format!("Admin {login}"), role, district, &hash(PW))
        .await
        .unwrap();
}

async fn login_raw(h: &H, login: &str, pw: &str) -> reqwest::Response {
    h.http
        .post(h.url("/console/api/login"))
        .json(&json!({"login": login, "password": pw}))
        .send()
        .await
        .unwrap()
}

async fn console(h: &H, login: &str) -> Console {
    let r = login_raw(h, login, PW).await;
    assert_eq!(r.status(), StatusCode::OK, "console login {login}");
    let set = r.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(
        set.contains("HttpOnly")
            && set.contains("SameSite=Strict")
            && set.contains("Path=/console"),
        "{set}"
    );
    let cookie = set.split(';').next().unwrap().to_string();
    let v: Value = r.json().await.unwrap();
    Console {
        base: h.base.clone(),
        http: h.http.clone(),
        cookie,
        csrf: v["csrf"].as_str().unwrap().to_string(),
    }
}

impl Console {
    async fn call(&self, method: &str, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut r = self
            .http
            .request(m, format!("{}{path}", self.base))
            .header("cookie", &self.cookie)
            .header("x-csrf", &self.csrf);
        if let Some(b) = body {
            r = r.json(&b);
        }
        let r = r.send().await.unwrap();
        let st = r.status();
        let text = r.text().await.unwrap();
        (
            st,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }
    async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.call("GET", path, None).await
    }
    async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.call("POST", path, Some(body)).await
    }
}

fn code(v: &Value) -> &str {
    v["code"].as_str().unwrap_or("")
}

async fn audit_count(h: &H) -> i64 {
    h.store.audit_page(None, 0, 1).await.unwrap().0
}

/// A Jaipur kiosk's device that has asked for a refill (returned) and a
/// tampered push behind it (one tamper alert).
async fn refill_request(h: &H, d: &mut Dev, amount: i64, utr: &str) -> Uuid {
    let p = RefillPayload {
        request_id: Uuid::now_v7(),
        requested_by: d.holder(),
        amount: Paise::new(amount),
        mode: "neft_rtgs".into(),
        reference: Some(utr.into()),
    };
    d.append(EntryKind::RefillRequest, p.encode());
    let hw = h.store.device(d.id).await.unwrap().unwrap().high_water;
    h.push(d, &d.rest(hw)).await.unwrap();
    p.request_id
}

async fn tamper(h: &H, d: &mut Dev) {
    let cat = h.catalogue.clone();
    d.pay(&cat, &[line("JVVNL-BILL", "210000000051", 100_00)]);
    let hw = h.store.device(d.id).await.unwrap().unwrap().high_water;
    let mut req = d.rest(hw);
    req.last_hash = [7; 32];
    assert!(h.push(d, &req).await.is_err());
}

both!(login_session_csrf_and_expiry, |h: H| async move {
    admin(&h, "state1", AdminRole::State, None).await;
    // A wrong password and an unknown login answer alike.
    for (l, p) in [("state1", "Wrong@2026"), ("nobody", PW)] {
        let r = login_raw(&h, l, p).await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        let v: Value = r.json().await.unwrap();
        assert_eq!(code(&v), "auth.bad_credentials");
    }
    // No cookie: not logged in.
    let r = h.http.get(h.url("/console/api/me")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let c = console(&h, "state1").await;
    let (st, me) = c.get("/console/api/me").await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(me["admin"]["role"], "state");
    assert_eq!(me["csrf"], c.csrf.as_str());
    // A change without the session's CSRF token is refused and does nothing.
    let mut d = h.register("k1001-h", 1).await;
    let before = h.store.fingerprint().await.unwrap();
    let mut forged = c.clone();
    forged.csrf = "not-the-token".into();
    let (st, v) = forged
        .post(
            &format!("/console/api/devices/{}/deregister", d.id),
            json!({"reason": "x"}),
        )
        .await;
    assert_eq!((st, code(&v)), (StatusCode::FORBIDDEN, "console.csrf"));
    assert_eq!(h.store.fingerprint().await.unwrap(), before);
    assert!(
        h.store
            .device(d.id)
            .await
            .unwrap()
            .unwrap()
            .deregistered_ms
            .is_none()
    );
    // Each request pushes the idle expiry forward; 15 idle minutes end it.
    // The page is told the durations (its warning runs on its own clock).
    let min = 60_000;
    assert_eq!(
        (&me["idle_ms"], &me["left_ms"], &me["max_left_ms"]),
        (&json!(15 * min), &json!(15 * min), &json!(8 * 60 * min))
    );
    h.clock.advance(chrono::Duration::minutes(14));
    let (st, me) = c.get("/console/api/me").await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(
        (&me["left_ms"], &me["max_left_ms"]),
        (&json!(15 * min), &json!((8 * 60 - 14) * min))
    );
    h.clock.advance(chrono::Duration::minutes(14));
    assert_eq!(c.get("/console/api/me").await.0, StatusCode::OK);
    h.clock.advance(chrono::Duration::minutes(16));
    let (st, v) = c.get("/console/api/me").await;
    assert_eq!(
        (st, code(&v)),
        (StatusCode::UNAUTHORIZED, "auth.token_expired")
    );
    // Logout ends the session at once.
    let c = console(&h, "state1").await;
    assert_eq!(
        c.post("/console/api/logout", json!({})).await.0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(c.get("/console/api/me").await.0, StatusCode::UNAUTHORIZED);
    // Repeated failures start a delay, as for kiosk users.
    for _ in 0..4 {
        assert_eq!(
            login_raw(&h, "state1", "Wrong@2026").await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(
        login_raw(&h, "state1", "Wrong@2026").await.status(),
        StatusCode::LOCKED
    );
    assert_eq!(
        login_raw(&h, "state1", PW).await.status(),
        StatusCode::LOCKED
    );
    // Logins and logouts are in the audit log.
    let (_, rows) = h.store.audit_page(None, 0, 50).await.unwrap();
    let actions: Vec<&str> = rows.iter().map(|r| r.action.as_str()).collect();
    assert!(
        actions.contains(&"console.login") && actions.contains(&"console.logout"),
        "{actions:?}"
    );
    let _ = &mut d;
    h.finish().await;
});

// Every endpoint, asked by an Ajmer admin about Jaipur's records, answers
// as if they did not exist; lists leave them out. The Jaipur admin sees
// them, so the refusals are the scope's doing.
mod scope_matrix {
    use super::*;

    async fn run(backend: Backend) {
        let h = H::with_setup(backend, vec![], vec!["BSNL-LANDLINE".into()]).await;
        admin(&h, "jaipur1", AdminRole::District, Some("Jaipur")).await;
        admin(&h, "ajmer1", AdminRole::District, Some("Ajmer")).await;
        let ajmer_kiosk = h.add_kiosk("K2001").await;
        h.store
            .set_deposit_limit(h.kiosk.id, Paise::new(10_000_00))
            .await
            .unwrap();
        let mut d = h.register("k1001-h", 1).await;
        let req = refill_request(&h, &mut d, 5_000_00, "SBIN000000000001").await;
        let cat = h.catalogue.clone();
        d.pay(&cat, &[line("BSNL-LANDLINE", "01412345678", 589_00)]);
        let hw = h.store.device(d.id).await.unwrap().unwrap().high_water;
        let r = h.push(&d, &d.rest(hw)).await.unwrap();
        let held_txn = match r.outcomes[0].outcome {
            protocol::Outcome::Pending { txn_id } => txn_id,
            ref o => panic!("{o:?}"),
        };
        tamper(&h, &mut d).await;
        let alert = h.store.alerts(None, None, 500, None).await.unwrap().rows[0].id;
        let ticket = h
            .store
            .create_ticket(h.kiosk.id, "k1001-h", "Printer jams", "It jams.")
            .await
            .unwrap();
        let jaipur = console(&h, "jaipur1").await;
        let (_, p) = jaipur
            .post("/console/api/proposals", json!({"kind": "refill", "kiosk_code": "K1001", "amount": 100_00, "mode": "neft_rtgs", "reference": "UTR1"}))
            .await;
        let proposal = p["proposal"]["id"].as_str().unwrap().to_string();
        let ajmer = console(&h, "ajmer1").await;
        let today = "2026-11-20";

        let before = h.store.fingerprint().await.unwrap();
        let w0 = h.wallet(&h.kiosk).await;
        for (method, path) in server::api::console::ENDPOINTS {
            let p = path.replace("{code}", "K1001").replace(
                "{id}",
                &match *path {
                    "/console/api/devices/{id}/deregister" => d.id.to_string(),
                    "/console/api/refill-requests/{id}/reject" => req.to_string(),
                    "/console/api/proposals/{id}/approve"
                    | "/console/api/proposals/{id}/reject" => proposal.clone(),
                    "/console/api/alerts/{id}/ack" => alert.to_string(),
                    _ => ticket.to_string(),
                },
            );
            let body = json!({"reason": "out of scope", "note": "n", "text": "t",
                "kind": "settle", "txn_id": held_txn, "confirm": true, "base_version": 1, "services": []});
            match (*method, *path) {
                // Not about any kiosk: scope does not apply.
                (_, "/console/api/login" | "/console/api/me" | "/console/api/logout") => continue,
                // The catalogue is the state's: a district admin may read it only.
                ("GET", "/console/api/catalogue") => {
                    assert_eq!(ajmer.get(&p).await.0, StatusCode::OK);
                }
                ("POST", "/console/api/catalogue") => {
                    let (st, v) = ajmer.post(&p, body).await;
                    assert_eq!(
                        (st, code(&v)),
                        (StatusCode::FORBIDDEN, "console.state_only")
                    );
                }
                ("GET", "/console/api/kiosks")
                | ("GET", "/console/api/refill-requests")
                | ("GET", "/console/api/held")
                | ("GET", "/console/api/dues")
                | ("GET", "/console/api/proposals")
                | ("GET", "/console/api/alerts")
                | ("GET", "/console/api/tickets")
                | ("GET", "/console/api/audit")
                | ("GET", "/console/api/audit.csv") => {
                    let q = if p.contains('?') { "" } else { "?status=all" };
                    let q = if *path == "/console/api/kiosks"
                        || path.starts_with("/console/api/audit")
                    {
                        ""
                    } else {
                        q
                    };
                    let (st, v) = ajmer.get(&format!("{p}{q}")).await;
                    assert_eq!(st, StatusCode::OK, "{p}");
                    let text = v.to_string();
                    assert!(
                        !text.contains("K1001") && !text.contains("Jaipur"),
                        "{p} leaks: {text}"
                    );
                    // The Jaipur admin's list does hold the record.
                    let (_, v) = jaipur.get(&format!("{p}{q}")).await;
                    assert!(
                        v.to_string().contains("K1001") || v.to_string().contains("Jaipur"),
                        "{p}: {v}"
                    );
                }
                ("GET", "/console/api/reconcile") | ("GET", "/console/api/reconcile.csv") => {
                    let (st, v) = ajmer.get(&format!("{p}?date={today}")).await;
                    assert_eq!(st, StatusCode::OK);
                    assert!(
                        !v.to_string().contains("JVVNL") && !v.to_string().contains("BSNL"),
                        "{p}: {v}"
                    );
                    let (_, v) = jaipur.get(&format!("{p}?date={today}")).await;
                    assert!(v.to_string().contains("BSNL"), "{p}: {v}");
                }
                ("POST", "/console/api/proposals") => {
                    let (st, v) = ajmer.post(&p, body).await;
                    assert_eq!((st, code(&v)), (StatusCode::NOT_FOUND, "not_found"), "{p}");
                    let (st, v) = ajmer
                        .post(&p, json!({"kind": "refill", "kiosk_code": "K1001", "amount": 100_00, "mode": "neft_rtgs", "reference": "UTR2"}))
                        .await;
                    assert_eq!((st, code(&v)), (StatusCode::NOT_FOUND, "not_found"), "{p}");
                }
                ("GET", _) => {
                    let (st, v) = ajmer.get(&p).await;
                    assert_eq!((st, code(&v)), (StatusCode::NOT_FOUND, "not_found"), "{p}");
                    assert_eq!(jaipur.get(&p).await.0, StatusCode::OK, "{p}");
                }
                ("POST", _) => {
                    let (st, v) = ajmer.post(&p, body).await;
                    assert_eq!((st, code(&v)), (StatusCode::NOT_FOUND, "not_found"), "{p}");
                }
                (m, p) => panic!("no scope case for {m} {p}"),
            }
        }
        // Nothing the Ajmer admin tried changed anything.
        assert_eq!(h.store.fingerprint().await.unwrap(), before);
        assert_eq!(h.wallet(&h.kiosk).await, w0);
        assert!(
            h.store
                .device(d.id)
                .await
                .unwrap()
                .unwrap()
                .deregistered_ms
                .is_none()
        );
        // Its own kiosk it does see.
        let (_, v) = ajmer.get("/console/api/kiosks").await;
        assert_eq!(v["total"], 1);
        assert_eq!(v["rows"][0]["code"], ajmer_kiosk.code.as_str());
        h.finish().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        run(Backend::Sqlite).await
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        run(Backend::Postgres).await
    }
}

both!(maker_checker_refills, |h: H| async move {
    admin(&h, "state1", AdminRole::State, None).await;
    admin(&h, "state2", AdminRole::State, None).await;
    let mut d = h.register("k1001-h", 1).await;
    let req = refill_request(&h, &mut d, 7_500_00, "SBIN000000000009").await;
    let maker = console(&h, "state1").await;
    let checker = console(&h, "state2").await;
    let (_, v) = maker.get("/console/api/refill-requests").await;
    assert_eq!(v["rows"][0]["id"], req.to_string());
    assert_eq!(v["rows"][0]["amount"], 7_500_00);
    let (st, v) = maker
        .post("/console/api/proposals", json!({"kind": "refill", "kiosk_code": "K1001", "amount": 1, "mode": "neft_rtgs", "request_id": req}))
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    // The request's own amount is proposed, whatever the maker typed.
    assert_eq!(v["proposal"]["amount"], 7_500_00);
    let id = v["proposal"]["id"].as_str().unwrap().to_string();
    // One proposal per request.
    let (st, v) = checker
        .post("/console/api/proposals", json!({"kind": "refill", "kiosk_code": "K1001", "amount": 1, "mode": "neft_rtgs", "request_id": req}))
        .await;
    assert_eq!(
        (st, code(&v)),
        (StatusCode::CONFLICT, "console.already_proposed")
    );
    let w0 = h.wallet(&h.kiosk).await;
    let a0 = audit_count(&h).await;
    let (st, v) = maker
        .post(&format!("/console/api/proposals/{id}/approve"), json!({}))
        .await;
    assert_eq!(
        (st, code(&v)),
        (StatusCode::CONFLICT, "console.self_approval")
    );
    assert_eq!(h.wallet(&h.kiosk).await, w0, "nothing moved");
    assert_eq!(audit_count(&h).await, a0, "a refusal writes no audit row");
    let (st, v) = checker
        .post(&format!("/console/api/proposals/{id}/approve"), json!({}))
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["proposal"]["status"], "approved");
    assert_eq!(v["proposal"]["decided_by"], "state2");
    assert_eq!(h.wallet(&h.kiosk).await, w0 + 7_500_00);
    assert_eq!(
        h.store.refill_request(req).await.unwrap().unwrap().status,
        "credited"
    );
    // Approved once only.
    let (st, v) = checker
        .post(&format!("/console/api/proposals/{id}/approve"), json!({}))
        .await;
    assert_eq!(
        (st, code(&v)),
        (StatusCode::CONFLICT, "console.not_pending")
    );
    assert_eq!(h.wallet(&h.kiosk).await, w0 + 7_500_00);
    // The kiosk hears of it on its next pull.
    let p = h.pull(&d, Cursor::default(), 500).await;
    assert!(
        p.refills
            .iter()
            .any(|r| r.request_id == req && r.status == "credited"),
        "{:?}",
        p.refills
    );
    // The audit row of the approval names both and the money.
    let (_, rows) = h.store.audit_page(None, 0, 1).await.unwrap();
    assert_eq!(
        (rows[0].action.as_str(), rows[0].admin.as_str()),
        ("refill.approve", "state2")
    );
    assert_eq!(rows[0].before.as_ref().unwrap()["status"], "pending");
    assert_eq!(rows[0].after.as_ref().unwrap()["status"], "approved");
    assert!(rows[0].after.as_ref().unwrap()["applied"]["txn_id"].is_i64());
    // A manual refill: proposed, rejected by the checker with a reason: nothing moves.
    let (_, v) = maker
        .post("/console/api/proposals", json!({"kind": "refill", "kiosk_code": "K1001", "amount": 2_000_00, "mode": "transfer", "reference": "TRF-1"}))
        .await;
    let id = v["proposal"]["id"].as_str().unwrap().to_string();
    let (st, v) = checker
        .post(
            &format!("/console/api/proposals/{id}/reject"),
            json!({"reason": ""}),
        )
        .await;
    assert_eq!(
        (st, code(&v)),
        (StatusCode::CONFLICT, "console.reason_required")
    );
    let (st, _) = checker
        .post(
            &format!("/console/api/proposals/{id}/reject"),
            json!({"reason": "no such transfer"}),
        )
        .await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(h.wallet(&h.kiosk).await, w0 + 7_500_00);
    let (_, v) = maker.get("/console/api/proposals?status=rejected").await;
    assert_eq!(v["rows"][0]["reason"], "no such transfer");
    h.finish().await;
});

// A held payment: one admin proposes the department's answer, a second
// applies it; the kiosk's next pull carries the final outcome.
mod maker_checker_settle {
    use super::*;

    async fn run(backend: Backend) {
        let h = H::with_setup(backend, vec![], vec!["BSNL-LANDLINE".into()]).await;
        admin(&h, "jaipur1", AdminRole::District, Some("Jaipur")).await;
        admin(&h, "state1", AdminRole::State, None).await;
        let mut d = h.register("k1001-h", 1).await;
        let cat = h.catalogue.clone();
        d.pay(&cat, &[line("BSNL-LANDLINE", "01412345678", 589_00)]);
        let r = h.push(&d, &d.rest(0)).await.unwrap();
        let txn = match r.outcomes[0].outcome {
            protocol::Outcome::Pending { txn_id } => txn_id,
            ref o => panic!("{o:?}"),
        };
        let maker = console(&h, "jaipur1").await;
        let checker = console(&h, "state1").await;
        let (_, v) = maker.get("/console/api/held").await;
        assert_eq!(v["rows"][0]["txn_id"], txn);
        // Refusing needs a reason.
        let (st, v) = maker
            .post(
                "/console/api/proposals",
                json!({"kind": "settle", "txn_id": txn, "confirm": false}),
            )
            .await;
        assert_eq!(
            (st, code(&v)),
            (StatusCode::CONFLICT, "console.reason_required")
        );
        let (st, v) = maker
            .post(
                "/console/api/proposals",
                json!({"kind": "settle", "txn_id": txn, "confirm": true}),
            )
            .await;
        assert_eq!(st, StatusCode::OK, "{v}");
        let id = v["proposal"]["id"].as_str().unwrap().to_string();
        let (st, v) = maker
            .post(&format!("/console/api/proposals/{id}/approve"), json!({}))
            .await;
        assert_eq!(
            (st, code(&v)),
            (StatusCode::CONFLICT, "console.self_approval")
        );
        assert_eq!(
            h.store
                .held_payments(None, 500, None)
                .await
                .unwrap()
                .rows
                .len(),
            1
        );
        let (st, _) = checker
            .post(&format!("/console/api/proposals/{id}/approve"), json!({}))
            .await;
        assert_eq!(st, StatusCode::OK);
        assert!(
            h.store
                .held_payments(None, 500, None)
                .await
                .unwrap()
                .rows
                .is_empty()
        );
        let p = h.pull(&d, Cursor::default(), 500).await;
        assert!(p.outcomes.iter().any(
            |o| matches!(o.outcome, protocol::Outcome::Accepted { txn_id, .. } if txn_id == txn)
        ));
        h.finish().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        run(Backend::Sqlite).await
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        run(Backend::Postgres).await
    }
}

// Every change through the console writes exactly one audit row naming
// the admin and the action; bad input is refused with a code and changes
// nothing, not even the audit log; an auditor's every change is refused.
both!(
    audit_rows_for_every_change_and_none_for_refusals,
    |h: H| async move {
        admin(&h, "state1", AdminRole::State, None).await;
        admin(&h, "state2", AdminRole::State, None).await;
        admin(&h, "audit1", AdminRole::Auditor, None).await;
        let mut d = h.register("k1001-h", 1).await;
        let req = refill_request(&h, &mut d, 1_000_00, "SBIN000000000077").await;
        tamper(&h, &mut d).await;
        let alert = h.store.alerts(None, None, 500, None).await.unwrap().rows[0].id;
        let ticket = h
            .store
            .create_ticket(h.kiosk.id, "k1001-h", "Paper", "Out of paper")
            .await
            .unwrap();
        let s1 = console(&h, "state1").await;
        let s2 = console(&h, "state2").await;
        let auditor = console(&h, "audit1").await;
        let (_, cat) = s1.get("/console/api/catalogue").await;
        let version = cat["version"].as_u64().unwrap();
        let svc = cat["services"][0].clone();
        let (_, v) = s1
        .post("/console/api/proposals", json!({"kind": "refill", "kiosk_code": "K1001", "amount": 300_00, "mode": "transfer", "reference": "TRF-9"}))
        .await;
        let prop = v["proposal"]["id"].as_str().unwrap().to_string();

        // (path, bad body → code, good body, the action audited)
        let cases: Vec<(String, Value, &str, Value, &str)> = vec![
            (
                format!("/console/api/alerts/{alert}/ack"),
                json!({"note": "  "}),
                "console.reason_required",
                json!({"note": "known: test PC"}),
                "alert.ack",
            ),
            (
                format!("/console/api/tickets/{ticket}/reply"),
                json!({"status": "lost"}),
                "request.invalid",
                json!({"text": "A technician comes today", "status": "in_progress"}),
                "ticket.reply",
            ),
            (
                "/console/api/catalogue".into(),
                json!({"base_version": version, "services": [{"code": svc["code"], "charge": svc["state_rate"].as_i64().unwrap() + 1, "commission": 0, "active": true}]}),
                "request.invalid",
                json!({"base_version": version, "services": [{"code": svc["code"], "charge": svc["charge"], "commission": 0, "active": true}]}),
                "catalogue.publish",
            ),
            (
                "/console/api/proposals".into(),
                json!({"kind": "refill", "kiosk_code": "K1001", "amount": -5, "mode": "transfer", "reference": "X"}),
                "refill.amount_invalid",
                json!({"kind": "refill", "kiosk_code": "K1001", "amount": 10_00, "mode": "transfer", "reference": "TRF-10"}),
                "refill.propose",
            ),
            (
                format!("/console/api/proposals/{prop}/approve"),
                Value::Null,
                "",
                json!({}),
                "refill.approve",
            ),
            (
                format!("/console/api/refill-requests/{req}/reject"),
                json!({"reason": ""}),
                "console.reason_required",
                json!({"reason": "UTR not found at the bank"}),
                "refill_request.reject",
            ),
            (
                format!("/console/api/devices/{}/deregister", d.id),
                json!({}),
                "console.reason_required",
                json!({"reason": "PC replaced"}),
                "device.deregister",
            ),
        ];
        for (path, bad, bad_code, good, action) in cases {
            // The auditor is refused before anything is looked at.
            let (st, v) = auditor.post(&path, good.clone()).await;
            assert_eq!(
                (st, code(&v)),
                (StatusCode::FORBIDDEN, "console.read_only"),
                "{path}"
            );
            let before = h.store.fingerprint().await.unwrap();
            if !bad.is_null() {
                let (st, v) = s2.post(&path, bad).await;
                assert!(st.is_client_error(), "{path}: {st}");
                assert_eq!(code(&v), bad_code, "{path}: {v}");
                assert_eq!(
                    h.store.fingerprint().await.unwrap(),
                    before,
                    "{path}: a refusal changed something"
                );
            }
            let a0 = audit_count(&h).await;
            let (st, v) = s2.post(&path, good).await;
            assert_eq!(st, StatusCode::OK, "{path}: {v}");
            assert_eq!(audit_count(&h).await, a0 + 1, "{path}: one audit row");
            let (_, rows) = h.store.audit_page(None, 0, 1).await.unwrap();
            assert_eq!(
                (rows[0].action.as_str(), rows[0].admin.as_str()),
                (action, "state2"),
                "{path}"
            );
            assert!(rows[0].after.is_some(), "{path}: the record after");
        }
        // The audit log as the console shows it, and as CSV.
        let (_, v) = auditor.get("/console/api/audit?per_page=5").await;
        assert_eq!(v["rows"].as_array().unwrap().len(), 5);
        assert!(v["total"].as_i64().unwrap() >= 7);
        let r = h
            .http
            .get(h.url("/console/api/audit.csv"))
            .header("cookie", &auditor.cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(r.headers()["content-type"], "text/csv; charset=utf-8");
        let csv = r.text().await.unwrap();
        assert!(
            csv.contains("device.deregister") && csv.contains("PC replaced"),
            "{csv}"
        );
        // The device is de-registered: its SSO ID may bind elsewhere.
        assert!(
            h.store
                .device(d.id)
                .await
                .unwrap()
                .unwrap()
                .deregistered_ms
                .is_some()
        );
        h.finish().await;
    }
);

both!(registry_shows_health_and_stuck_kiosks, |h: H| async move {
    admin(&h, "state1", AdminRole::State, None).await;
    for i in 0..7 {
        h.add_kiosk(&format!("K3{i:03}")).await;
    }
    let d = h.register("k1001-h", 1).await;
    let c = console(&h, "state1").await;
    let (_, v) = c.get("/console/api/kiosks?per_page=3&page=2").await;
    assert_eq!(
        (v["total"].as_i64(), v["rows"].as_array().unwrap().len()),
        (Some(8), 3)
    );
    let (_, v) = c.get("/console/api/kiosks?q=k1001").await;
    assert_eq!(
        v["rows"][0]["last_seen_ms"],
        Value::Null,
        "never reported yet"
    );
    assert_eq!(v["rows"][0]["online"], false);
    // The kiosk reports 3 unsent entries, the oldest 5 hours old, and a clock 9 minutes slow.
    let pull = protocol::PullRequest {
        version: protocol::PROTOCOL_VERSION,
        cursor: Cursor::default(),
        limit: 10,
        health: Some(KioskHealth {
            outbox_depth: 3,
            outbox_amount: Paise::new(1_234_00),
            oldest_pending_secs: Some(5 * 3600),
            app_version: "0.1.0".into(),
            clock_offset_ms: Some(9 * 60 * 1000),
            reprints_24h: 0,
        }),
    };
    let r = h
        .send_signed(&d, "/v1/sync/pull", protocol::encode_body(&pull))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let (_, v) = c.get("/console/api/kiosks?status=stuck").await;
    assert_eq!(v["total"], 1, "{v}");
    let k = &v["rows"][0];
    assert_eq!(k["code"], "K1001");
    assert_eq!(
        (k["outbox_depth"].as_i64(), k["outbox_amount"].as_i64()),
        (Some(3), Some(1_234_00))
    );
    assert_eq!(k["clock_offset_ms"], 9 * 60 * 1000);
    assert_eq!(
        (k["online"].as_bool(), k["stuck"].as_bool()),
        (Some(true), Some(true))
    );
    assert_eq!(k["app_version"], "0.1.0");
    let (_, v) = c.get("/console/api/alerts").await;
    assert!(
        v["rows"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["kind"] == "stuck" && a["kiosk_code"] == "K1001")
    );
    // Eleven quiet minutes later it is offline.
    h.clock.advance(chrono::Duration::minutes(11));
    let c = console(&h, "state1").await;
    let (_, v) = c.get("/console/api/kiosks?status=offline&q=K1001").await;
    assert_eq!(v["total"], 1);
    let (_, v) = c.get("/console/api/kiosks?status=online").await;
    assert_eq!(v["total"], 0);
    // A kiosk's page: its device, users with masked mobiles, wallet lines with balances.
    h.store
        .add_user(
            h.kiosk.id,
            "k1001-m",
            "Counter Two",
            server::store::Role::Operator,
            Some("9414000123"),
        )
        .await
        .unwrap();
    let (st, v) = c.get("/console/api/kiosks/K1001").await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(v["devices"][0]["id"], d.id.to_string());
    assert_eq!(v["devices"][0]["user_login"], "k1001-h");
    let mobiles: Vec<&str> = v["users"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|u| u["mobile"].as_str())
        .collect();
    assert!(mobiles.contains(&"******0123"), "{mobiles:?}");
    assert!(
        !v.to_string().contains("9414000123"),
        "the mobile is masked"
    );
    assert_eq!(v["ledger"][0]["balance"], h.wallet(&h.kiosk).await);
    assert_eq!(
        c.get("/console/api/kiosks/K9999").await.0,
        StatusCode::NOT_FOUND
    );
    h.finish().await;
});

both!(
    catalogue_published_is_pulled_by_the_kiosk,
    |h: H| async move {
        admin(&h, "state1", AdminRole::State, None).await;
        admin(&h, "state2", AdminRole::State, None).await;
        let d = h.register("k1001-h", 1).await;
        let c = console(&h, "state1").await;
        let (_, cat) = c.get("/console/api/catalogue").await;
        let v0 = cat["version"].as_u64().unwrap();
        let svc = cat["services"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["charge"].as_i64().unwrap() > 0)
            .unwrap()
            .clone();
        let change = json!({"base_version": v0, "services": [{"code": svc["code"], "charge": svc["charge"].as_i64().unwrap() - 1, "commission": 0, "active": true}]});
        // A negative commission is refused (one above the charge is not:
        // some departments pay the kiosk on a service free to the citizen).
        let (st, v) = c
        .post("/console/api/catalogue", json!({"base_version": v0, "services": [{"code": svc["code"], "charge": 0, "commission": -1, "active": true}]}))
        .await;
        assert_eq!(
            (st, code(&v)),
            (StatusCode::UNPROCESSABLE_ENTITY, "request.invalid")
        );
        let (st, v) = c.post("/console/api/catalogue", change.clone()).await;
        assert_eq!(st, StatusCode::OK, "{v}");
        assert_eq!(v["version"], v0 + 1);
        // The second admin's edit from the old version is stale.
        let c2 = console(&h, "state2").await;
        let (st, v) = c2.post("/console/api/catalogue", change).await;
        assert_eq!((st, code(&v)), (StatusCode::CONFLICT, "catalogue.stale"));
        let p = h
            .pull(
                &d,
                Cursor {
                    catalogue_version: v0 as u32,
                    ..Default::default()
                },
                10,
            )
            .await;
        let got = p.catalogue.expect("the new catalogue");
        assert_eq!(got.version as u64, v0 + 1);
        let s = got.service(svc["code"].as_str().unwrap()).unwrap();
        assert_eq!(s.charge.as_i64(), svc["charge"].as_i64().unwrap() - 1);
        h.finish().await;
    }
);

both!(
    console_pages_are_served_with_a_strict_policy,
    |h: H| async move {
        // Compressed for a client that asks (reqwest here does not decompress).
        let r = h
            .http
            .get(h.url("/console/"))
            .header("accept-encoding", "gzip")
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.headers()
                .get("content-encoding")
                .map(|v| v.to_str().unwrap()),
            Some("gzip")
        );
        let gz = r.bytes().await.unwrap();
        assert_eq!(&gz[..2], &[0x1f, 0x8b], "a gzip stream");
        let r = h.http.get(h.url("/console/")).send().await.unwrap();
        if r.status() == StatusCode::SERVICE_UNAVAILABLE {
            panic!("the console's pages were not built (npm run build in console/)");
        }
        assert_eq!(r.status(), StatusCode::OK);
        let csp = r.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .to_string();
        assert!(
            csp.contains("default-src 'self'") && csp.contains("frame-ancestors 'none'"),
            "{csp}"
        );
        assert_eq!(r.headers()["content-type"], "text/html");
        let html = r.text().await.unwrap();
        assert!(html.contains("/console/assets/"), "{html}");
        // No page asks for anything off this server.
        assert!(
            !html.contains("http://") && !html.contains("https://"),
            "{html}"
        );
        let r = h
            .http
            .get(h.url("/console/api/nothing"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
        h.finish().await;
    }
);

/// The kinds of the raised alerts on an Alerts page (stuck kiosks, which
/// have no id, left out), in its order.
fn alert_kinds(v: &Value) -> Vec<String> {
    v["rows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["id"].is_i64())
        .map(|a| a["kind"].as_str().unwrap().to_string())
        .collect()
}

// What the Alerts page lists besides a broken chain: a kiosk clock far
// from the centre's, a push that skips entries, an SSO ID moved to a new
// PC, a day of many cancellations. Each once (until acknowledged), each
// kept even when its push is refused.
both!(
    alerts_for_skew_gaps_reregistration_and_cancellations,
    |h: H| async move {
        admin(&h, "state1", AdminRole::State, None).await;
        let c = console(&h, "state1").await;
        let mut d = h.register("k1001-h", 1).await;
        let cat = h.catalogue.clone();
        // A clock 20 minutes slow, twice: one alert.
        for i in 0..2 {
            d.pay(
                &cat,
                &[line("JVVNL-BILL", &format!("21000000007{i}"), 100_00)],
            );
            let hw = h.store.device(d.id).await.unwrap().unwrap().high_water;
            let mut req = d.rest(hw);
            req.clock_offset_ms = Some(20 * 60 * 1000);
            h.push(&d, &req).await.unwrap();
        }
        let (_, v) = c.get("/console/api/alerts").await;
        assert_eq!(alert_kinds(&v), vec!["clock"], "{v}");
        assert!(
            v["rows"][0]["detail"]
                .as_str()
                .unwrap()
                .contains("20 min behind"),
            "{v}"
        );
        // A batch that starts past what the centre holds.
        for i in 0..2 {
            d.pay(
                &cat,
                &[line("JVVNL-BILL", &format!("21000000008{i}"), 100_00)],
            );
        }
        let hw = h.store.device(d.id).await.unwrap().unwrap().high_water;
        let (st, e) = h.push(&d, &d.batch(hw + 2, hw + 2)).await.unwrap_err();
        assert_eq!(
            (st, e.code.as_str()),
            (StatusCode::CONFLICT, protocol::codes::GAP)
        );
        let (_, v) = c.get("/console/api/alerts").await;
        assert_eq!(alert_kinds(&v), vec!["gap", "clock"], "{v}");
        h.push(&d, &d.rest(hw)).await.unwrap();
        // Ten cancellations in a day.
        let mut paid = Vec::new();
        for i in 0..10 {
            paid.push(
                d.pay(&cat, &[line("PHED-WATER", &format!("10000{i:02}"), 50_00)])
                    .1,
            );
        }
        for p in &paid {
            d.cancel(p);
        }
        let hw = h.store.device(d.id).await.unwrap().unwrap().high_water;
        h.push(&d, &d.rest(hw)).await.unwrap();
        let (_, v) = c.get("/console/api/alerts").await;
        assert_eq!(
            alert_kinds(&v),
            vec!["cancellations", "gap", "clock"],
            "{v}"
        );
        // The PC is replaced: de-registered at the console, the holder binds a new one.
        let (st, _) = c
            .post(
                &format!("/console/api/devices/{}/deregister", d.id),
                json!({"reason": "PC replaced"}),
            )
            .await;
        assert_eq!(st, StatusCode::OK);
        let _new = h.register("k1001-h", 2).await;
        let (_, v) = c.get("/console/api/alerts").await;
        assert_eq!(alert_kinds(&v)[0], "reregistered", "{v}");
        // Acknowledged, an alert leaves the open list and shows who and why.
        let id = v["rows"][0]["id"].as_i64().unwrap();
        let (st, _) = c
            .post(
                &format!("/console/api/alerts/{id}/ack"),
                json!({"note": "new PC, known"}),
            )
            .await;
        assert_eq!(st, StatusCode::OK);
        let (st, e) = c
            .post(
                &format!("/console/api/alerts/{id}/ack"),
                json!({"note": "again"}),
            )
            .await;
        assert_eq!(
            (st, code(&e)),
            (StatusCode::CONFLICT, "console.already_acked")
        );
        let (_, v) = c.get("/console/api/alerts?status=acked").await;
        assert_eq!(
            (
                v["rows"][0]["acked_by"].as_str(),
                v["rows"][0]["note"].as_str()
            ),
            (Some("state1"), Some("new PC, known"))
        );
        h.finish().await;
    }
);

// What a kiosk's health report raises: its clock set back (and now behind
// the centre's) and many reprints in a day. A clock set right raises
// nothing; each alert comes once until acknowledged.
both!(
    alerts_for_a_clock_rolled_back_and_many_reprints,
    |h: H| async move {
        admin(&h, "state1", AdminRole::State, None).await;
        let c = console(&h, "state1").await;
        let d = h.register("k1001-h", 1).await;
        let minute = 60_000i64;
        let report = |offset: i64, reprints: u32| {
            let pull = protocol::PullRequest {
                version: protocol::PROTOCOL_VERSION,
                cursor: Cursor::default(),
                limit: 10,
                health: Some(KioskHealth {
                    app_version: "0.1.0".into(),
                    clock_offset_ms: Some(offset),
                    reprints_24h: reprints,
                    ..KioskHealth::default()
                }),
            };
            protocol::encode_body(&pull)
        };
        // 90 days ahead, then set right: no roll-back alert.
        for offset in [-90 * 1440 * minute, 0, 2 * minute] {
            let r = h.send_signed(&d, "/v1/sync/pull", report(offset, 9)).await;
            assert_eq!(r.status(), StatusCode::OK);
        }
        let (_, v) = c.get("/console/api/alerts").await;
        assert!(alert_kinds(&v).is_empty(), "{v}");
        // Set back 36 minutes: 38 behind the centre.
        for _ in 0..2 {
            let r = h
                .send_signed(&d, "/v1/sync/pull", report(38 * minute, 10))
                .await;
            assert_eq!(r.status(), StatusCode::OK);
        }
        let (_, v) = c.get("/console/api/alerts").await;
        assert_eq!(alert_kinds(&v), vec!["reprints", "clock_back"], "{v}");
        let detail = |k: &str| -> String {
            v["rows"]
                .as_array()
                .unwrap()
                .iter()
                .find(|a| a["kind"] == k)
                .unwrap()["detail"]
                .as_str()
                .unwrap()
                .to_string()
        };
        assert!(detail("clock_back").contains("set back 36 min"), "{v}");
        assert!(detail("clock_back").contains("38 min behind"), "{v}");
        assert!(detail("reprints").contains("10 duplicate copies"), "{v}");
        h.finish().await;
    }
);

// The lists of refill requests, tickets, held payments, proposals and
// alerts come in pages: `limit` rows, then the `next` cursor for the page
// after. Walked page by page, every row comes exactly once and in the
// list's order, also across rows made in the same millisecond; a district
// admin's pages hold its own district's rows only; a bad limit or cursor
// is refused and changes nothing.
mod lists_page_by_cursor {
    use super::*;
    use std::collections::HashSet;

    /// One paged list: where, with what filter, its cursor parameter, the
    /// fields of its sort key, and its direction.
    struct List {
        path: &'static str,
        query: &'static str,
        cursor: &'static str,
        ms: &'static str,
        id: &'static str,
        desc: bool,
    }

    fn id_of(v: &Value, field: &str) -> String {
        match &v[field] {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            o => panic!("{field}: {o}"),
        }
    }

    /// A row's place in its list: its time and its id's bytes (a UUID as
    /// both databases order it, a number big-endian).
    fn place(v: &Value, l: &List) -> (i64, Vec<u8>) {
        let id = match &v[l.id] {
            Value::String(s) => Uuid::parse_str(s).unwrap().as_bytes().to_vec(),
            Value::Number(n) => n.as_i64().unwrap().to_be_bytes().to_vec(),
            o => panic!("{}: {o}", l.id),
        };
        (v[l.ms].as_i64().unwrap(), id)
    }

    /// Every page of the list `limit` rows at a time, each page checked:
    /// full while more follow, `next` the last row's key; all rows in order.
    async fn walk(c: &Console, l: &List, limit: usize) -> Vec<Value> {
        let mut out: Vec<Value> = Vec::new();
        let mut next: Option<String> = None;
        for _ in 0..100 {
            let mut url = format!("{}?limit={limit}{}", l.path, l.query);
            if let Some(n) = &next {
                url.push_str(&format!("&{}={n}", l.cursor));
            }
            let (st, v) = c.get(&url).await;
            assert_eq!(st, StatusCode::OK, "{url}: {v}");
            assert_eq!(v["limit"], limit, "{url}");
            let rows = v["rows"].as_array().unwrap();
            let more = v["more"].as_bool().unwrap();
            out.extend(rows.iter().cloned());
            if !more {
                assert!(rows.len() <= limit, "{url}: {v}");
                assert_eq!(v["next"], Value::Null, "{url}");
                let ids: Vec<String> = out.iter().map(|r| id_of(r, l.id)).collect();
                let unique: HashSet<&String> = ids.iter().collect();
                assert_eq!(unique.len(), ids.len(), "{}: a row twice: {ids:?}", l.path);
                for w in out.windows(2) {
                    let (a, b) = (place(&w[0], l), place(&w[1], l));
                    assert!(
                        if l.desc { a > b } else { a < b },
                        "{}{}: out of order: {} then {}",
                        l.path,
                        l.query,
                        w[0],
                        w[1]
                    );
                }
                return out;
            }
            assert_eq!(rows.len(), limit, "{url}: a page short while more follow");
            let last = rows.last().unwrap();
            let key = if l.ms == l.id {
                id_of(last, l.id)
            } else {
                format!("{}:{}", last[l.ms], id_of(last, l.id))
            };
            assert_eq!(v["next"], key.as_str(), "{url}: next is the last row's key");
            next = Some(key);
        }
        panic!("{}: more than 100 pages", l.path);
    }

    fn ids(rows: &[Value], l: &List) -> Vec<String> {
        rows.iter().map(|r| id_of(r, l.id)).collect()
    }

    fn set(ids: &[String]) -> HashSet<String> {
        ids.iter().cloned().collect()
    }

    /// Holds at least two rows made in the same millisecond next to each
    /// other, so that the id decides their order.
    fn has_ties(rows: &[Value], l: &List) -> bool {
        rows.windows(2).any(|w| w[0][l.ms] == w[1][l.ms])
    }

    async fn held_push(h: &H, d: &mut Dev, n: usize, from: usize) -> Vec<i64> {
        let cat = h.catalogue.clone();
        let hw = h.store.device(d.id).await.unwrap().unwrap().high_water;
        for i in from..from + n {
            d.pay(
                &cat,
                &[line("BSNL-LANDLINE", &format!("0141{i:07}"), 100_00)],
            );
        }
        let r = h.push(d, &d.rest(hw)).await.unwrap();
        r.outcomes
            .iter()
            .map(|o| match o.outcome {
                protocol::Outcome::Pending { txn_id } => txn_id,
                ref o => panic!("{o:?}"),
            })
            .collect()
    }

    async fn run(backend: Backend) {
        // Hundreds of requests from one session in a few seconds: the rate
        // limit (real time) is not what this test is about.
        let h = H::build(backend, vec![], vec!["BSNL-LANDLINE".into()], |s| {
            s.limiter = server::api::RateLimiter::new(1e9, 1e9);
        })
        .await;
        admin(&h, "state1", AdminRole::State, None).await;
        admin(&h, "jaipur1", AdminRole::District, Some("Jaipur")).await;
        admin(&h, "ajmer1", AdminRole::District, Some("Ajmer")).await;
        let ajmer_kiosk = h.add_kiosk("K2001").await;
        let mut dj = h.register("k1001-h", 1).await;
        let mut da = h.register("k2001-h", 2).await;
        let state = console(&h, "state1").await;
        let jaipur = console(&h, "jaipur1").await;
        let ajmer = console(&h, "ajmer1").await;
        let tick = || h.clock.advance(chrono::Duration::seconds(1));

        // Rows in two districts, several made in the same millisecond.
        let (mut req_j, mut req_a) = (Vec::new(), Vec::new());
        let (mut tic_j, mut tic_a) = (Vec::new(), Vec::new());
        let (mut held_j, mut held_a) = (Vec::new(), Vec::new());
        let (mut prop_j, mut prop_a) = (Vec::new(), Vec::new());
        let mut n = 0;
        for group in 0..3 {
            for _ in 0..2 {
                n += 1;
                req_j.push(refill_request(&h, &mut dj, 1_000_00, &format!("SBIN{n:012}")).await);
                tic_j.push(
                    h.store
                        .create_ticket(h.kiosk.id, "k1001-h", &format!("Jaipur {n}"), "Help")
                        .await
                        .unwrap(),
                );
                let (st, v) = jaipur
                    .post("/console/api/proposals", json!({"kind": "refill", "kiosk_code": "K1001", "amount": 100_00 + n, "mode": "neft_rtgs", "reference": format!("PJ{n}")}))
                    .await;
                assert_eq!(st, StatusCode::OK, "{v}");
                prop_j.push(v["proposal"]["id"].as_str().unwrap().to_string());
            }
            req_a.push(refill_request(&h, &mut da, 2_000_00, &format!("HDFC{group:012}")).await);
            tic_a.push(
                h.store
                    .create_ticket(ajmer_kiosk.id, "k2001-h", &format!("Ajmer {group}"), "Help")
                    .await
                    .unwrap(),
            );
            let (st, v) = ajmer
                .post("/console/api/proposals", json!({"kind": "refill", "kiosk_code": "K2001", "amount": 200_00, "mode": "neft_rtgs", "reference": format!("PA{group}")}))
                .await;
            assert_eq!(st, StatusCode::OK, "{v}");
            prop_a.push(v["proposal"]["id"].as_str().unwrap().to_string());
            held_j.extend(held_push(&h, &mut dj, 2, group * 10).await);
            held_a.extend(held_push(&h, &mut da, 1, group * 10).await);
            tick();
        }
        // Alerts, Jaipur's and Ajmer's in turn: one open at a time per
        // device, so each but the last (Jaipur's) is acknowledged before
        // the next tampered push.
        let (mut al_j, mut al_a) = (Vec::new(), Vec::new());
        for i in 0..5 {
            let (d, ids) = if i % 2 == 1 {
                (&mut da, &mut al_a)
            } else {
                (&mut dj, &mut al_j)
            };
            tamper(&h, d).await;
            let (_, v) = state.get("/console/api/alerts?status=open").await;
            let open: Vec<&Value> = v["rows"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|a| a["id"].is_i64())
                .collect();
            assert_eq!(open.len(), 1, "{v}");
            let id = open[0]["id"].as_i64().unwrap();
            ids.push(id.to_string());
            if i < 4 {
                let (st, v) = state
                    .post(
                        &format!("/console/api/alerts/{id}/ack"),
                        json!({"note": "seen"}),
                    )
                    .await;
                assert_eq!(st, StatusCode::OK, "{v}");
            }
        }
        // Some rows leave the default filters: a request rejected, a
        // ticket in progress, a proposal withdrawn.
        let (st, _) = state
            .post(
                &format!("/console/api/refill-requests/{}/reject", req_j[1]),
                json!({"reason": "no such UTR"}),
            )
            .await;
        assert_eq!(st, StatusCode::OK);
        let (st, _) = jaipur
            .post(
                &format!("/console/api/tickets/{}/reply", tic_j[2]),
                json!({"text": "On it", "status": "in_progress"}),
            )
            .await;
        assert_eq!(st, StatusCode::OK);
        let (st, _) = jaipur
            .post(
                &format!("/console/api/proposals/{}/reject", prop_j[3]),
                json!({"reason": "typed wrong"}),
            )
            .await;
        assert_eq!(st, StatusCode::OK);

        let strs = |v: &[Uuid]| v.iter().map(|u| u.to_string()).collect::<Vec<_>>();
        let nums = |v: &[i64]| v.iter().map(|u| u.to_string()).collect::<Vec<_>>();
        let without =
            |v: &[String], x: &str| v.iter().filter(|s| *s != x).cloned().collect::<Vec<_>>();
        let (req_j, req_a) = (strs(&req_j), strs(&req_a));
        let (tic_j, tic_a) = (strs(&tic_j), strs(&tic_a));
        let (held_j, held_a) = (nums(&held_j), nums(&held_a));
        let list = |path, query, cursor, ms, id, desc| List {
            path,
            query,
            cursor,
            ms,
            id,
            desc,
        };
        // (list, Jaipur's rows, Ajmer's rows)
        let cases: Vec<(List, Vec<String>, Vec<String>)> = vec![
            (
                list(
                    "/console/api/refill-requests",
                    "&status=all",
                    "before",
                    "created_ms",
                    "id",
                    true,
                ),
                req_j.clone(),
                req_a.clone(),
            ),
            (
                list(
                    "/console/api/refill-requests",
                    "",
                    "before",
                    "created_ms",
                    "id",
                    true,
                ),
                without(&req_j, &req_j[1]),
                req_a.clone(),
            ),
            (
                list(
                    "/console/api/tickets",
                    "",
                    "before",
                    "created_ms",
                    "id",
                    true,
                ),
                tic_j.clone(),
                tic_a.clone(),
            ),
            (
                list(
                    "/console/api/tickets",
                    "&status=open",
                    "before",
                    "created_ms",
                    "id",
                    true,
                ),
                without(&tic_j, &tic_j[2]),
                tic_a.clone(),
            ),
            (
                list(
                    "/console/api/held",
                    "",
                    "after",
                    "created_ms",
                    "txn_id",
                    false,
                ),
                held_j.clone(),
                held_a.clone(),
            ),
            (
                list(
                    "/console/api/proposals",
                    "&status=all",
                    "before",
                    "proposed_ms",
                    "id",
                    true,
                ),
                prop_j.clone(),
                prop_a.clone(),
            ),
            (
                list(
                    "/console/api/proposals",
                    "",
                    "before",
                    "proposed_ms",
                    "id",
                    true,
                ),
                without(&prop_j, &prop_j[3]),
                prop_a.clone(),
            ),
            (
                list(
                    "/console/api/alerts",
                    "&status=all",
                    "before",
                    "id",
                    "id",
                    true,
                ),
                al_j.clone(),
                al_a.clone(),
            ),
            (
                list(
                    "/console/api/alerts",
                    "&status=acked",
                    "before",
                    "id",
                    "id",
                    true,
                ),
                without(&al_j, al_j.last().unwrap()),
                al_a.clone(),
            ),
        ];
        for (l, jr, ar) in &cases {
            let what = format!("{}{}", l.path, l.query);
            let all = walk(&state, l, 2).await;
            let expected: HashSet<String> = set(jr).union(&set(ar)).cloned().collect();
            assert_eq!(
                set(&ids(&all, l)),
                expected,
                "{what}: the state admin's rows"
            );
            assert!(all.len() > 2, "{what}: more than one page");
            if l.ms != l.id {
                assert!(has_ties(&all, l), "{what}: rows of the same millisecond");
            }
            // Pages of another size, and one page of them all, agree.
            assert_eq!(ids(&walk(&state, l, 3).await, l), ids(&all, l), "{what}");
            assert_eq!(ids(&walk(&state, l, 500).await, l), ids(&all, l), "{what}");
            // Without a limit: 100 rows, here all of them.
            let (_, v) = state
                .get(&format!("{}?{}", l.path, l.query.trim_start_matches('&')))
                .await;
            assert_eq!(
                (v["limit"].as_i64(), v["more"].as_bool()),
                (Some(100), Some(false)),
                "{what}: {v}"
            );
            assert_eq!(
                ids(v["rows"].as_array().unwrap(), l),
                ids(&all, l),
                "{what}"
            );
            // Each district admin pages through its own rows only, in the same order.
            for (c, district, mine) in [(&jaipur, "Jaipur", jr), (&ajmer, "Ajmer", ar)] {
                let rows = walk(c, l, 2).await;
                assert!(
                    rows.iter().all(|r| r["district"] == district),
                    "{what}: {rows:?}"
                );
                assert_eq!(set(&ids(&rows, l)), set(mine), "{what}: {district}'s rows");
                let order: Vec<String> = ids(&all, l)
                    .into_iter()
                    .filter(|i| mine.contains(i))
                    .collect();
                assert_eq!(ids(&rows, l), order, "{what}: {district}'s order");
            }
        }

        // A bad limit or cursor is refused with a code and changes nothing.
        let before = h.store.fingerprint().await.unwrap();
        let a0 = audit_count(&h).await;
        let w0 = h.wallet(&h.kiosk).await;
        for path in ["refill-requests", "tickets", "held", "proposals", "alerts"] {
            let (good, wrong) = if path == "held" {
                ("after", "before")
            } else {
                ("before", "after")
            };
            let mut bad: Vec<String> = ["0", "-1", "501", "1000000", "ten", "2.5", "1e2"]
                .iter()
                .map(|l| format!("limit={l}"))
                .collect();
            bad.push(format!("{good}=nonsense"));
            bad.push(format!(
                "{good}=12:{}",
                if path == "alerts" { "3" } else { "x" }
            ));
            bad.push(format!("{wrong}=1"));
            for q in bad {
                let url = format!("/console/api/{path}?{q}");
                for c in [&state, &jaipur] {
                    let (st, v) = c.get(&url).await;
                    assert_eq!(
                        (st, code(&v)),
                        (StatusCode::BAD_REQUEST, "request.invalid"),
                        "{url}: {v}"
                    );
                    assert!(
                        !v["message"].as_str().unwrap_or("").is_empty(),
                        "{url}: {v}"
                    );
                }
            }
            // The edges of the range are fine.
            for l in [1, 500] {
                let (st, v) = state.get(&format!("/console/api/{path}?limit={l}")).await;
                assert_eq!(st, StatusCode::OK, "{path} limit {l}: {v}");
            }
        }
        assert_eq!(h.store.fingerprint().await.unwrap(), before);
        assert_eq!(audit_count(&h).await, a0);
        assert_eq!(h.wallet(&h.kiosk).await, w0);
        h.finish().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        run(Backend::Sqlite).await
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        run(Backend::Postgres).await
    }
}
