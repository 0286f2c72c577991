//! The centre console: its pages (embedded) at `/console/` and its JSON API
//! under `/console/api/` (docs/console-api.md). Admins only; every change
//! checks the admin's district and is written with its audit row.

use super::*;
use crate::store::console::{
    Actor, Admin, AdminRole, KioskStatus, LIST_LIMIT_DEFAULT, LIST_LIMIT_MAX, ListPage,
    NewProposal, ServiceChange, SortKey,
};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use serde_json::{Value, json};

/// The session cookie.
const COOKIE: &str = "kc";
/// The header carrying the session's CSRF token on every change.
const CSRF_HEADER: &str = "x-csrf";
pub const CODE_CSRF: &str = "console.csrf";
pub const CODE_READ_ONLY: &str = "console.read_only";
pub const CODE_STATE_ONLY: &str = "console.state_only";

/// The logged-in admin of a console request; for a change (any method but
/// GET) the CSRF header has been checked.
pub struct ConsoleAdmin {
    pub admin: Admin,
    pub csrf: String,
    pub expires_ms: i64,
    /// The session's hard end (8 hours from the login) and this request's time.
    ends_ms: i64,
    now_ms: i64,
    token_hash: [u8; 32],
}

impl ConsoleAdmin {
    fn scope(&self) -> Option<&str> {
        self.admin.scope()
    }
    fn actor(&self) -> Actor {
        (&self.admin).into()
    }
    /// Auditors read only.
    fn may_change(&self) -> R<()> {
        if self.admin.role == AdminRole::Auditor {
            return Err(ApiErr::new(
                StatusCode::FORBIDDEN,
                CODE_READ_ONLY,
                "an auditor's account reads only",
            ));
        }
        Ok(())
    }
}

fn cookie_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == COOKIE)
        .map(|(_, v)| v.to_string())
}

impl FromRequestParts<Shared> for ConsoleAdmin {
    type Rejection = ApiErr;
    async fn from_request_parts(parts: &mut Parts, s: &Shared) -> Result<Self, Self::Rejection> {
        let unauth = |code: &str, msg: &str| ApiErr::new(StatusCode::UNAUTHORIZED, code, msg);
        let token = cookie_token(&parts.headers)
            .ok_or_else(|| unauth(codes::AUTH_MISSING, "log in to the console"))?;
        limit(
            s,
            &format!("console:{}", token.chars().take(64).collect::<String>()),
        )?;
        let hash = crate::auth::token_hash(&token);
        let sess = s.store.admin_session(hash).await?.ok_or_else(|| {
            unauth(
                codes::AUTH_BAD_TOKEN,
                "this session has ended; log in again",
            )
        })?;
        let now = s.store.now_ms();
        if sess.expires_ms <= now || sess.ends_ms <= now {
            return Err(unauth(
                codes::AUTH_TOKEN_EXPIRED,
                "the session ended; log in again",
            ));
        }
        let admin = s
            .store
            .admin(sess.admin_id)
            .await?
            .filter(|a| a.active)
            .ok_or_else(|| unauth(codes::AUTH_INACTIVE, "this admin account is deactivated"))?;
        if parts.method != Method::GET && parts.method != Method::HEAD {
            let sent = parts
                .headers
                .get(CSRF_HEADER)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            // Constant time is not needed for a per-session random token
            // compared once per request, but equal length is cheap to ask.
            if sent.len() != sess.csrf.len() || sent != sess.csrf {
                return Err(ApiErr::new(
                    StatusCode::FORBIDDEN,
                    CODE_CSRF,
                    "the request lacks this session's x-csrf token",
                ));
            }
        }
        let expires_ms = (now + s.policy.token_ttl_secs * 1000).min(sess.ends_ms);
        s.store.touch_admin_session(hash, expires_ms).await?;
        Ok(ConsoleAdmin {
            admin,
            csrf: sess.csrf,
            expires_ms,
            ends_ms: sess.ends_ms,
            now_ms: now,
            token_hash: hash,
        })
    }
}

/// A session as the console reads it. The durations (quiet time a request
/// restores, time left now and at most) let the page warn before the end
/// by its own clock, whatever the PC's clock says.
fn session_json(
    s: &AppState,
    a: &Admin,
    csrf: &str,
    expires_ms: i64,
    ends_ms: i64,
    now: i64,
) -> Value {
    json!({
        "admin": admin_json(a),
        "csrf": csrf,
        "expires_ms": expires_ms,
        "idle_ms": s.policy.token_ttl_secs * 1000,
        "left_ms": (expires_ms - now).max(0),
        "max_left_ms": (ends_ms - now).max(0),
    })
}

fn admin_json(a: &Admin) -> Value {
    json!({"login": a.login, "name": a.name, "role": a.role, "district": a.district})
}

fn query<T: for<'de> Deserialize<'de>>(uri: &axum::http::Uri) -> R<T> {
    Query::try_from_uri(uri)
        .map(|q| q.0)
        .map_err(|e| ApiErr::new(StatusCode::BAD_REQUEST, codes::INVALID, e.body_text()))
}

fn page_of(page: Option<i64>, per_page: Option<i64>) -> (i64, i64, i64) {
    let per = per_page.unwrap_or(50).clamp(1, 200);
    let page = page.unwrap_or(1).max(1);
    (page, per, (page - 1) * per)
}

fn bad_request(message: impl Into<String>) -> ApiErr {
    ApiErr::new(StatusCode::BAD_REQUEST, codes::INVALID, message)
}

/// The query of a paged list: `status` where the list has one, `limit`
/// rows, and the cursor: `before` for a newest-first list, `after` for the
/// held payments (oldest first); either is the `next` of the page before.
#[derive(Deserialize)]
struct ListQuery {
    status: Option<String>,
    limit: Option<String>,
    before: Option<String>,
    after: Option<String>,
}

impl ListQuery {
    fn status(&self) -> Option<&str> {
        self.status.as_deref().map(str::trim)
    }
    fn limit(&self) -> R<i64> {
        match self.limit.as_deref().map(str::trim) {
            None | Some("") => Ok(LIST_LIMIT_DEFAULT),
            Some(l) => l
                .parse::<i64>()
                .ok()
                .filter(|n| (1..=LIST_LIMIT_MAX).contains(n))
                .ok_or_else(|| {
                    bad_request(format!(
                        "limit is a whole number from 1 to {LIST_LIMIT_MAX}"
                    ))
                }),
        }
    }
    /// The cursor of a newest-first list.
    fn before(&self) -> R<Option<&str>> {
        if self.after.is_some() {
            return Err(bad_request(
                "this list is newest first: the next page is asked for with before",
            ));
        }
        Ok(self
            .before
            .as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty()))
    }
    /// The cursor of an oldest-first list.
    fn after(&self) -> R<Option<&str>> {
        if self.before.is_some() {
            return Err(bad_request(
                "this list is oldest first: the next page is asked for with after",
            ));
        }
        Ok(self
            .after
            .as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty()))
    }
}

/// A cursor `<ms>:<id>` (a row's time and id) as a page's `next` gives it.
fn sort_key<Id: std::str::FromStr>(c: &str) -> R<SortKey<Id>> {
    let bad = || bad_request("the cursor is the next of the page before");
    let (ms, id) = c.split_once(':').ok_or_else(bad)?;
    Ok(SortKey {
        ms: ms.parse().map_err(|_| bad())?,
        id: id.parse().map_err(|_| bad())?,
    })
}

/// A page as JSON: its rows, its limit, whether more follow and the cursor
/// of the next page (the last row's sort key; null when none follow).
fn page_json<T>(
    p: ListPage<T>,
    limit: i64,
    row: impl Fn(&T) -> Value,
    key: impl Fn(&T) -> String,
) -> Value {
    let next = p.rows.last().filter(|_| p.more).map(&key);
    let rows: Vec<Value> = p.rows.iter().map(row).collect();
    json!({"rows": rows, "limit": limit, "more": p.more, "next": next})
}

fn to_json<T: Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

fn parse_uuid(s: &str, what: &'static str) -> R<Uuid> {
    Uuid::parse_str(s).map_err(|_| StoreError::NotFound(what).into())
}

// ------------------------------------------------------------------ auth

async fn login(State(s): State<Shared>, peer: Peer, Body(b): Body) -> R<Response> {
    #[derive(Deserialize)]
    struct Req {
        login: String,
        password: String,
    }
    let req: Req = json(&b)?;
    let name = crate::auth::normalise_login(&req.login);
    limit(
        &s,
        &format!(
            "console-login:{}",
            name.chars().take(128).collect::<String>()
        ),
    )?;
    addr_allowed(&s, &peer)?;
    if name.len() > 128 || req.password.len() > 256 {
        return Err(ApiErr::new(
            StatusCode::UNAUTHORIZED,
            codes::AUTH_BAD_CREDENTIALS,
            "wrong login or password",
        ));
    }
    let li = s
        .store
        .admin_login(name, &req.password, &s.policy)
        .await
        .inspect_err(|e| charge_addr(&s, &peer, e))?;
    let secure = if s.secure_cookies { "; Secure" } else { "" };
    let cookie = format!(
        "{COOKIE}={}; HttpOnly; SameSite=Strict; Path=/console; Max-Age={}{secure}",
        li.token,
        crate::auth::ADMIN_SESSION_MAX_MS / 1000
    );
    let now = s.store.now_ms();
    let ends = now + crate::auth::ADMIN_SESSION_MAX_MS;
    let body = session_json(&s, &li.admin, &li.csrf, li.expires_ms, ends, now);
    let mut r = axum::Json(body).into_response();
    r.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_str(&cookie).expect("cookie is ASCII"),
    );
    Ok(r)
}

async fn me(State(s): State<Shared>, a: ConsoleAdmin) -> axum::Json<Value> {
    axum::Json(session_json(
        &s,
        &a.admin,
        &a.csrf,
        a.expires_ms,
        a.ends_ms,
        a.now_ms,
    ))
}

async fn logout(State(s): State<Shared>, a: ConsoleAdmin) -> R<Response> {
    s.store.end_admin_session(a.token_hash, &a.admin).await?;
    let mut r = StatusCode::NO_CONTENT.into_response();
    r.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static("kc=; HttpOnly; SameSite=Strict; Path=/console; Max-Age=0"),
    );
    Ok(r)
}

// ------------------------------------------------------------------ kiosks

#[derive(Deserialize)]
struct KioskQuery {
    district: Option<String>,
    #[serde(default)]
    status: KioskStatus,
    q: Option<String>,
    page: Option<i64>,
    per_page: Option<i64>,
}

async fn kiosks(
    State(s): State<Shared>,
    a: ConsoleAdmin,
    uri: axum::http::Uri,
) -> R<axum::Json<Value>> {
    let q: KioskQuery = query(&uri)?;
    let (page, per, off) = page_of(q.page, q.per_page);
    let (total, rows) = s
        .store
        .kiosk_registry(
            a.scope(),
            q.district.as_deref(),
            q.status,
            q.q.as_deref(),
            off,
            per,
            s.stuck_after_ms,
        )
        .await?;
    Ok(axum::Json(
        json!({"total": total, "page": page, "per_page": per, "rows": rows}),
    ))
}

fn mask_mobile(m: &str) -> String {
    let n = m.chars().count();
    let tail: String = m.chars().skip(n.saturating_sub(4)).collect();
    format!("{}{tail}", "*".repeat(n.saturating_sub(4)))
}

async fn kiosk_page(
    State(s): State<Shared>,
    a: ConsoleAdmin,
    Path(code): Path<String>,
) -> R<axum::Json<Value>> {
    let row = s
        .store
        .kiosk_row(a.scope(), &code, s.stuck_after_ms)
        .await?
        .ok_or(StoreError::NotFound("kiosk"))?;
    let k = s
        .store
        .kiosk_by_code(&code)
        .await?
        .ok_or(StoreError::NotFound("kiosk"))?;
    let users = s.store.list_users(k.id).await?;
    let login_of: std::collections::HashMap<Uuid, String> =
        users.iter().map(|u| (u.id, u.login.clone())).collect();
    let devices: Vec<Value> = s
        .store
        .list_devices(Some(k.id))
        .await?
        .iter()
        .map(|d| {
            json!({"id": d.id, "device_no": d.device_no, "label": d.label,
                "user_login": login_of.get(&d.user_id), "registered_ms": d.registered_ms,
                "deregistered_ms": d.deregistered_ms, "high_water": d.high_water})
        })
        .collect();
    let users: Vec<Value> = users
        .iter()
        .map(|u| {
            json!({"login": u.login, "name": u.name, "role": u.role, "active": u.active,
                "mobile": u.mobile.as_deref().map(mask_mobile)})
        })
        .collect();
    let ledger = s.store.wallet_lines(&k, 50).await?;
    let receipts = s.store.recent_receipts(k.id, 20).await?;
    let terms = s.store.wallet_terms(k.id).await?;
    Ok(axum::Json(json!({
        "kiosk": row,
        "cheque_enabled": k.cheque_enabled,
        "exposure": {"max_pending_amount": k.exposure.max_pending_amount, "max_pending_count": k.exposure.max_pending_count, "max_age_secs": k.exposure.max_age_secs},
        "devices": devices, "users": users, "ledger": ledger, "receipts": receipts,
        "deposit_limit": terms.deposit_limit, "dues": terms.dues, "due_date": terms.due_date,
    })))
}

#[derive(Deserialize)]
struct ReasonBody {
    #[serde(default)]
    reason: String,
}

async fn deregister(
    State(s): State<Shared>,
    a: ConsoleAdmin,
    Path(id): Path<String>,
    Body(b): Body,
) -> R<axum::Json<Value>> {
    a.may_change()?;
    let req: ReasonBody = json(&b)?;
    let id = parse_uuid(&id, "device")?;
    let d = s
        .store
        .console_deregister(&a.actor(), a.scope(), id, &req.reason)
        .await?;
    let login = s.store.user(d.user_id).await?.map(|u| u.login);
    Ok(axum::Json(
        json!({"device": {"id": d.id, "device_no": d.device_no, "label": d.label, "user_login": login,
        "registered_ms": d.registered_ms, "deregistered_ms": d.deregistered_ms, "high_water": d.high_water}}),
    ))
}

// ------------------------------------------------------------------ money

fn request_json(district: &str, r: &crate::store::RefillRequest) -> Value {
    json!({"id": r.id, "kiosk_code": r.kiosk_code, "district": district, "amount": r.amount,
        "mode": r.mode, "reference": r.reference, "requested_by": r.requested_by, "status": r.status,
        "reason": r.reason, "txn_id": r.txn_id, "created_ms": r.created_ms, "updated_ms": r.updated_ms})
}

async fn refill_requests(
    State(s): State<Shared>,
    a: ConsoleAdmin,
    uri: axum::http::Uri,
) -> R<axum::Json<Value>> {
    let q: ListQuery = query(&uri)?;
    let status = match q.status() {
        None | Some("") => Some("pending"),
        Some("all") => None,
        Some(st) => Some(st),
    };
    let limit = q.limit()?;
    let before = q.before()?.map(sort_key).transpose()?;
    let page = s
        .store
        .console_refill_requests(a.scope(), status, limit, before)
        .await?;
    Ok(axum::Json(page_json(
        page,
        limit,
        |(d, r)| request_json(d, r),
        |(_, r)| format!("{}:{}", r.created_ms, r.id),
    )))
}

async fn reject_refill_request(
    State(s): State<Shared>,
    a: ConsoleAdmin,
    Path(id): Path<String>,
    Body(b): Body,
) -> R<axum::Json<Value>> {
    a.may_change()?;
    let req: ReasonBody = json(&b)?;
    let id = parse_uuid(&id, "refill request")?;
    let r = s
        .store
        .console_reject_refill(&a.actor(), a.scope(), id, &req.reason)
        .await?;
    let k = s
        .store
        .kiosk(r.kiosk_id)
        .await?
        .ok_or(StoreError::NotFound("kiosk"))?;
    Ok(axum::Json(
        json!({"request": request_json(&k.district, &r)}),
    ))
}

async fn held(
    State(s): State<Shared>,
    a: ConsoleAdmin,
    uri: axum::http::Uri,
) -> R<axum::Json<Value>> {
    let q: ListQuery = query(&uri)?;
    let limit = q.limit()?;
    let after = q.after()?.map(sort_key).transpose()?;
    let page = s.store.held_payments(a.scope(), limit, after).await?;
    Ok(axum::Json(page_json(page, limit, to_json, |h| {
        format!("{}:{}", h.created_ms, h.txn_id)
    })))
}

async fn dues(State(s): State<Shared>, a: ConsoleAdmin) -> R<axum::Json<Value>> {
    Ok(axum::Json(
        json!({"rows": s.store.dues_rows(a.scope()).await?}),
    ))
}

async fn proposals(
    State(s): State<Shared>,
    a: ConsoleAdmin,
    uri: axum::http::Uri,
) -> R<axum::Json<Value>> {
    let q: ListQuery = query(&uri)?;
    let status = match q.status() {
        None | Some("") => Some("pending"),
        Some("all") => None,
        Some(st @ ("pending" | "approved" | "rejected")) => Some(st),
        Some(_) => {
            return Err(ApiErr::new(
                StatusCode::BAD_REQUEST,
                codes::INVALID,
                "status is pending, approved, rejected or all",
            ));
        }
    };
    let limit = q.limit()?;
    let before = q.before()?.map(sort_key).transpose()?;
    let page = s.store.proposals(a.scope(), status, limit, before).await?;
    Ok(axum::Json(page_json(page, limit, to_json, |p| {
        format!("{}:{}", p.proposed_ms, p.id)
    })))
}

async fn propose(State(s): State<Shared>, a: ConsoleAdmin, Body(b): Body) -> R<axum::Json<Value>> {
    a.may_change()?;
    let p: NewProposal = json(&b)?;
    let p = s.store.propose(&a.actor(), a.scope(), &p).await?;
    Ok(axum::Json(json!({"proposal": p})))
}

async fn approve(
    State(s): State<Shared>,
    a: ConsoleAdmin,
    Path(id): Path<String>,
) -> R<axum::Json<Value>> {
    a.may_change()?;
    let id = parse_uuid(&id, "proposal")?;
    let p = s.store.approve(&a.actor(), a.scope(), id).await?;
    Ok(axum::Json(json!({"proposal": p})))
}

async fn reject_proposal(
    State(s): State<Shared>,
    a: ConsoleAdmin,
    Path(id): Path<String>,
    Body(b): Body,
) -> R<axum::Json<Value>> {
    a.may_change()?;
    let req: ReasonBody = json(&b)?;
    let id = parse_uuid(&id, "proposal")?;
    let p = s
        .store
        .reject_proposal(&a.actor(), a.scope(), id, &req.reason)
        .await?;
    Ok(axum::Json(json!({"proposal": p})))
}

// ------------------------------------------------------------------ alerts

async fn alerts(
    State(s): State<Shared>,
    a: ConsoleAdmin,
    uri: axum::http::Uri,
) -> R<axum::Json<Value>> {
    let q: ListQuery = query(&uri)?;
    let acked = match q.status() {
        None | Some("") | Some("open") => Some(false),
        Some("acked") => Some(true),
        Some("all") => None,
        Some(_) => {
            return Err(ApiErr::new(
                StatusCode::BAD_REQUEST,
                codes::INVALID,
                "status is open, acked or all",
            ));
        }
    };
    let limit = q.limit()?;
    let before = q
        .before()?
        .map(|c| c.parse::<i64>())
        .transpose()
        .map_err(|_| bad_request("the cursor is the next of the page before"))?;
    let page = s.store.alerts(a.scope(), acked, limit, before).await?;
    let mut out = page_json(page, limit, to_json, |r| r.id.to_string());
    // Stuck kiosks are alerts that clear themselves when the queue moves:
    // what is true now, ahead of the recorded alerts on the first page.
    let mut rows = Vec::new();
    if acked != Some(true) && before.is_none() {
        let (_, stuck) = s
            .store
            .kiosk_registry(
                a.scope(),
                None,
                KioskStatus::Stuck,
                None,
                0,
                200,
                s.stuck_after_ms,
            )
            .await?;
        for k in stuck {
            rows.push(
                json!({"id": null, "kind": "stuck", "kiosk_code": k.code, "district": k.district,
                "device_id": null, "detail": match k.outbox_depth.unwrap_or(0) {
                    1 => "1 entry unsent".to_string(),
                    n => format!("{n} entries unsent"),
                }, "outbox_depth": k.outbox_depth,
                "at_ms": k.oldest_pending_ms, "acked_by": null, "acked_ms": null, "note": null}),
            );
        }
    }
    if let Some(Value::Array(alerts)) = out.get_mut("rows") {
        rows.append(alerts);
        *alerts = rows;
    }
    Ok(axum::Json(out))
}

#[derive(Deserialize)]
struct NoteBody {
    #[serde(default)]
    note: String,
}

async fn ack_alert(
    State(s): State<Shared>,
    a: ConsoleAdmin,
    Path(id): Path<String>,
    Body(b): Body,
) -> R<axum::Json<Value>> {
    a.may_change()?;
    let req: NoteBody = json(&b)?;
    let id: i64 = id
        .parse()
        .map_err(|_| ApiErr::from(StoreError::NotFound("alert")))?;
    let r = s
        .store
        .ack_alert(&a.actor(), a.scope(), id, &req.note)
        .await?;
    Ok(axum::Json(json!({"alert": r})))
}

// ------------------------------------------------------------------ tickets

async fn district_of(s: &AppState) -> R<std::collections::HashMap<String, String>> {
    Ok(s.store
        .list_kiosks()
        .await?
        .into_iter()
        .map(|k| (k.code, k.district))
        .collect())
}

fn ticket_json(t: &crate::store::Ticket, district: &str) -> Value {
    json!({"id": t.id, "kiosk_code": t.kiosk_code, "district": district, "raised_by": t.raised_by,
        "category": t.category, "subject": t.subject, "status": t.status, "receipt_no": t.receipt_no,
        "has_attachment": t.has_attachment, "created_ms": t.created_ms, "updated_ms": t.updated_ms})
}

async fn tickets(
    State(s): State<Shared>,
    a: ConsoleAdmin,
    uri: axum::http::Uri,
) -> R<axum::Json<Value>> {
    let q: ListQuery = query(&uri)?;
    let status = q.status().filter(|st| !st.is_empty() && *st != "all");
    let limit = q.limit()?;
    let before = q.before()?.map(sort_key).transpose()?;
    let page = s
        .store
        .console_tickets(a.scope(), status, limit, before)
        .await?;
    Ok(axum::Json(page_json(
        page,
        limit,
        |(d, t)| ticket_json(t, d),
        |(_, t)| format!("{}:{}", t.created_ms, t.id),
    )))
}

async fn ticket(
    State(s): State<Shared>,
    a: ConsoleAdmin,
    Path(id): Path<String>,
) -> R<axum::Json<Value>> {
    let id = parse_uuid(&id, "ticket")?;
    let (t, attachment, replies) = s
        .store
        .ticket_detail(id)
        .await?
        .ok_or(StoreError::NotFound("ticket"))?;
    let d = district_of(&s).await?;
    let dist = d
        .get(&t.kiosk_code)
        .filter(|d| a.admin.sees(d))
        .ok_or(StoreError::NotFound("ticket"))?;
    Ok(axum::Json(
        json!({"ticket": ticket_json(&t, dist), "body": t.body, "attachment": attachment,
        "replies": replies}),
    ))
}

async fn reply_ticket(
    State(s): State<Shared>,
    a: ConsoleAdmin,
    Path(id): Path<String>,
    Body(b): Body,
) -> R<axum::Json<Value>> {
    #[derive(Deserialize)]
    struct Req {
        #[serde(default)]
        text: String,
        status: Option<String>,
    }
    a.may_change()?;
    let req: Req = json(&b)?;
    let id = parse_uuid(&id, "ticket")?;
    let t = s
        .store
        .console_reply_ticket(&a.actor(), a.scope(), id, req.status.as_deref(), &req.text)
        .await?;
    let d = district_of(&s).await?;
    Ok(axum::Json(
        json!({"ticket": ticket_json(&t, d.get(&t.kiosk_code).map_or("", |s| s))}),
    ))
}

// ------------------------------------------------------------------ catalogue

async fn catalogue(State(s): State<Shared>, _a: ConsoleAdmin) -> R<axum::Json<Value>> {
    let c = s
        .store
        .catalogue()
        .await?
        .ok_or(StoreError::NotFound("catalogue"))?;
    let loaded = s.store.catalogue_loaded().await?.map(|l| l.1);
    let services: Vec<Value> = c
        .services
        .iter()
        .map(|x| {
            json!({"code": x.code, "department": x.department, "name_en": x.name_en, "name_hi": x.name_hi,
                "category_en": x.category_en, "category_hi": x.category_hi,
                "state_rate": x.state_rate, "charge": x.charge, "commission": x.commission, "active": x.active})
        })
        .collect();
    Ok(axum::Json(
        json!({"version": c.version, "loaded_ms": loaded, "departments": c.departments, "services": services}),
    ))
}

async fn publish(State(s): State<Shared>, a: ConsoleAdmin, Body(b): Body) -> R<axum::Json<Value>> {
    #[derive(Deserialize)]
    struct Req {
        base_version: u32,
        services: Vec<ServiceChange>,
    }
    a.may_change()?;
    if a.admin.role != AdminRole::State {
        return Err(ApiErr::new(
            StatusCode::FORBIDDEN,
            CODE_STATE_ONLY,
            "only the state's admins publish the catalogue",
        ));
    }
    let req: Req = json(&b)?;
    let v = s
        .store
        .publish_catalogue(&a.actor(), req.base_version, &req.services)
        .await?;
    Ok(axum::Json(json!({"version": v})))
}

// ------------------------------------------------------------------ reconcile, audit

#[derive(Deserialize)]
struct ReconcileQuery {
    date: String,
    department: Option<String>,
}

async fn reconcile(
    State(s): State<Shared>,
    a: ConsoleAdmin,
    uri: axum::http::Uri,
) -> R<axum::Json<Value>> {
    let q: ReconcileQuery = query(&uri)?;
    let (rows, unsettled) = s
        .store
        .reconcile_departments(a.scope(), &q.date, q.department.as_deref())
        .await?;
    Ok(axum::Json(json!({"rows": rows, "unsettled": unsettled})))
}

fn csv_response(name: &str, header: &[&str], rows: Vec<Vec<String>>) -> R<Response> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let io = |e: csv::Error| {
        ApiErr::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            codes::INTERNAL,
            e.to_string(),
        )
    };
    w.write_record(header).map_err(io)?;
    for r in rows {
        w.write_record(&r).map_err(io)?;
    }
    let bytes = w.into_inner().map_err(|e| {
        ApiErr::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            codes::INTERNAL,
            e.to_string(),
        )
    })?;
    // A byte-order mark so that spreadsheet programs read Hindi text as UTF-8.
    let mut body = "\u{feff}".as_bytes().to_vec();
    body.extend(bytes);
    let mut r = body.into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    h.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")).expect("ASCII name"),
    );
    Ok(r)
}

async fn reconcile_csv(
    State(s): State<Shared>,
    a: ConsoleAdmin,
    uri: axum::http::Uri,
) -> R<Response> {
    let q: ReconcileQuery = query(&uri)?;
    let (rows, _) = s
        .store
        .reconcile_departments(a.scope(), &q.date, q.department.as_deref())
        .await?;
    let rupees = |p: i64| domain::Paise::new(p).to_string();
    csv_response(
        &format!(
            "reconcile-{}.csv",
            q.date
                .chars()
                .filter(|c| c.is_ascii_digit() || *c == '-')
                .collect::<String>()
        ),
        &[
            "date",
            "department",
            "payments",
            "total",
            "accepted",
            "pending",
            "cancelled",
            "posted",
        ],
        rows.iter()
            .map(|r| {
                vec![
                    q.date.clone(),
                    r.department.clone(),
                    r.count.to_string(),
                    rupees(r.total),
                    rupees(r.accepted),
                    rupees(r.pending),
                    rupees(r.cancelled),
                    rupees(r.posted),
                ]
            })
            .collect(),
    )
}

#[derive(Deserialize)]
struct PageQuery {
    page: Option<i64>,
    per_page: Option<i64>,
}

async fn audit(
    State(s): State<Shared>,
    a: ConsoleAdmin,
    uri: axum::http::Uri,
) -> R<axum::Json<Value>> {
    let q: PageQuery = query(&uri)?;
    let (page, per, off) = page_of(q.page, q.per_page);
    let (total, rows) = s.store.audit_page(a.scope(), off, per).await?;
    Ok(axum::Json(
        json!({"total": total, "page": page, "per_page": per, "rows": rows}),
    ))
}

async fn audit_csv(State(s): State<Shared>, a: ConsoleAdmin) -> R<Response> {
    let mut rows = Vec::new();
    let mut off = 0;
    loop {
        let (_, page) = s.store.audit_page(a.scope(), off, 1000).await?;
        if page.is_empty() {
            break;
        }
        off += page.len() as i64;
        let ist = chrono::FixedOffset::east_opt(5 * 3600 + 1800).expect("IST");
        for r in page {
            let at = chrono::DateTime::from_timestamp_millis(r.at_ms)
                .map(|t| {
                    t.with_timezone(&ist)
                        .format("%Y-%m-%d %H:%M:%S")
                        .to_string()
                })
                .unwrap_or_default();
            let j = |v: Option<Value>| v.map(|v| v.to_string()).unwrap_or_default();
            rows.push(vec![
                r.id.to_string(),
                at,
                r.admin,
                r.action,
                r.target,
                r.district.unwrap_or_default(),
                j(r.before),
                j(r.after),
            ]);
        }
    }
    csv_response(
        "audit.csv",
        &[
            "id", "at (IST)", "admin", "action", "target", "district", "before", "after",
        ],
        rows,
    )
}

// ------------------------------------------------------------------ pages

/// The console's built pages (`console/dist`, from `npm run build` in
/// `console/`); the README's commands build them before the server.
#[derive(rust_embed::RustEmbed)]
#[folder = "../../console/dist"]
#[allow_missing = true]
struct Pages;

/// gzip of each page asset, made once on first use.
fn gzipped(path: &str, data: &[u8]) -> std::sync::Arc<Vec<u8>> {
    use std::collections::HashMap;
    use std::sync::{Arc, Mutex, OnceLock};
    static CACHE: OnceLock<Mutex<HashMap<String, Arc<Vec<u8>>>>> = OnceLock::new();
    let mut c = CACHE
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|p| p.into_inner());
    c.entry(path.to_string())
        .or_insert_with(|| {
            use std::io::Write;
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
            let _ = e.write_all(data);
            Arc::new(e.finish().unwrap_or_default())
        })
        .clone()
}

async fn page(uri: axum::http::Uri, headers: HeaderMap) -> Response {
    let rel = uri
        .path()
        .trim_start_matches("/console")
        .trim_start_matches('/');
    let rel = if rel.is_empty() { "index.html" } else { rel };
    let Some(file) = Pages::get(rel) else {
        if Pages::get("index.html").is_none() {
            return ApiErr::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "console.not_built",
                "this server was built without the console's pages (npm run build in console/)",
            )
            .into_response();
        }
        return ApiErr::new(StatusCode::NOT_FOUND, codes::NOT_FOUND, "no such page")
            .into_response();
    };
    let gzip = headers
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("gzip"));
    let mime = file.metadata.mimetype().to_string();
    let compressible = mime.starts_with("text/")
        || mime.contains("javascript")
        || mime.contains("json")
        || mime.contains("svg");
    let mut r = if gzip && compressible {
        let mut r = gzipped(rel, &file.data).to_vec().into_response();
        r.headers_mut()
            .insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        r
    } else {
        file.data.to_vec().into_response()
    };
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(&mime)
            .unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );
    h.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    // Built assets carry a content hash in their names: cache them for good;
    // the page itself is asked for again each time.
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(if rel.starts_with("assets/") {
            "public, max-age=31536000, immutable"
        } else {
            "no-cache"
        }),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; font-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    r
}

pub fn routes() -> Router<Shared> {
    Router::new()
        .route("/console/api/login", post(login))
        .route("/console/api/me", get(me))
        .route("/console/api/logout", post(logout))
        .route("/console/api/kiosks", get(kiosks))
        .route("/console/api/kiosks/{code}", get(kiosk_page))
        .route("/console/api/devices/{id}/deregister", post(deregister))
        .route("/console/api/refill-requests", get(refill_requests))
        .route(
            "/console/api/refill-requests/{id}/reject",
            post(reject_refill_request),
        )
        .route("/console/api/held", get(held))
        .route("/console/api/dues", get(dues))
        .route("/console/api/proposals", get(proposals).post(propose))
        .route("/console/api/proposals/{id}/approve", post(approve))
        .route("/console/api/proposals/{id}/reject", post(reject_proposal))
        .route("/console/api/alerts", get(alerts))
        .route("/console/api/alerts/{id}/ack", post(ack_alert))
        .route("/console/api/tickets", get(tickets))
        .route("/console/api/tickets/{id}", get(ticket))
        .route("/console/api/tickets/{id}/reply", post(reply_ticket))
        .route("/console/api/catalogue", get(catalogue).post(publish))
        .route("/console/api/reconcile", get(reconcile))
        .route("/console/api/reconcile.csv", get(reconcile_csv))
        .route("/console/api/audit", get(audit))
        .route("/console/api/audit.csv", get(audit_csv))
        .route(
            "/console/api/{*rest}",
            axum::routing::any(|| async {
                ApiErr::new(StatusCode::NOT_FOUND, codes::NOT_FOUND, "no such endpoint")
            }),
        )
        .route(
            "/console",
            get(|| async { axum::response::Redirect::permanent("/console/") }),
        )
        .route("/console/", get(page))
        .route("/console/{*path}", get(page))
}

/// Every console endpoint, for the scope and audit tests.
pub const ENDPOINTS: &[(&str, &str)] = &[
    ("POST", "/console/api/login"),
    ("GET", "/console/api/me"),
    ("POST", "/console/api/logout"),
    ("GET", "/console/api/kiosks"),
    ("GET", "/console/api/kiosks/{code}"),
    ("POST", "/console/api/devices/{id}/deregister"),
    ("GET", "/console/api/refill-requests"),
    ("POST", "/console/api/refill-requests/{id}/reject"),
    ("GET", "/console/api/held"),
    ("GET", "/console/api/dues"),
    ("GET", "/console/api/proposals"),
    ("POST", "/console/api/proposals"),
    ("POST", "/console/api/proposals/{id}/approve"),
    ("POST", "/console/api/proposals/{id}/reject"),
    ("GET", "/console/api/alerts"),
    ("POST", "/console/api/alerts/{id}/ack"),
    ("GET", "/console/api/tickets"),
    ("GET", "/console/api/tickets/{id}"),
    ("POST", "/console/api/tickets/{id}/reply"),
    ("GET", "/console/api/catalogue"),
    ("POST", "/console/api/catalogue"),
    ("GET", "/console/api/reconcile"),
    ("GET", "/console/api/reconcile.csv"),
    ("GET", "/console/api/audit"),
    ("GET", "/console/api/audit.csv"),
];
