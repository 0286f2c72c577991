//! The HTTP API (axum). JSON everywhere except the sync endpoints, whose
//! bodies are `zstd(postcard)` (see `protocol`). Every error is a JSON
//! [`protocol::ApiError`] with a stable code.
//!
//! Callers prove who they are in one of two ways:
//! * a user: `Authorization: Bearer <token>` from `POST /v1/auth/login`
//!   (15-minute tokens; a first password must be changed before anything
//!   else is allowed);
//! * a device: `x-device` + `x-sig` (ed25519 over method, path and body),
//!   with the key recorded at registration.

use crate::auth::{AuthError, AuthPolicy};
use crate::biller::Billers;
use crate::store::{Bill, Role, Store, StoreError, Ticket, TxnStatus};
use crate::sync::PushError;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{FromRequest, Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use domain::ErrorCode;
use protocol::{ApiError, codes};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use utoipa::{IntoParams, OpenApi, ToSchema};
use uuid::Uuid;

pub struct AppState {
    pub store: Store,
    pub policy: AuthPolicy,
    pub billers: Billers,
    pub limiter: RateLimiter,
    /// Failed password checks per client address (wall time): one address
    /// cannot drive many logins into delays. Tries from an address past its
    /// budget are refused before any check, so they count against no login.
    pub addr_failures: RateLimiter,
    /// The longest a request body may take to arrive (`request.timeout`).
    pub body_timeout: std::time::Duration,
}

impl AppState {
    pub fn new(store: Store, policy: AuthPolicy, billers: Billers) -> AppState {
        AppState {
            store,
            policy,
            billers,
            limiter: RateLimiter::default(),
            addr_failures: RateLimiter::failures_per_address(10),
            body_timeout: std::time::Duration::from_secs(600),
        }
    }
}

/// Server-side refusal codes (the kiosk's shared ones are in `protocol::codes`).
pub const CODE_BUSY: &str = "request.busy";
pub const CODE_TIMEOUT: &str = "request.timeout";

/// The caller's address, when the server was started with connect info.
pub struct Peer(pub Option<std::net::IpAddr>);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Peer {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, Self::Rejection> {
        let ext = &parts.extensions;
        Ok(Peer(
            ext.get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
                .map(|c| c.0.ip())
                .or_else(|| {
                    ext.get::<axum::extract::ConnectInfo<crate::tls::TlsPeer>>()
                        .map(|c| c.0.0.ip())
                }),
        ))
    }
}

fn addr_key(p: &Peer) -> Option<String> {
    p.0.map(|ip| format!("addr:{ip}"))
}

/// Refuses an address that has used up its failed-check budget.
fn addr_allowed(s: &AppState, p: &Peer) -> R<()> {
    match addr_key(p) {
        Some(k) if !s.addr_failures.has(&k) => Err(ApiErr::new(
            StatusCode::TOO_MANY_REQUESTS,
            codes::RATE_LIMITED,
            "too many failed logins from this address; try again later",
        )),
        _ => Ok(()),
    }
}

/// A failed password check is charged to the caller's address.
fn charge_addr(s: &AppState, p: &Peer, e: &AuthError) {
    if matches!(
        e,
        AuthError::BadCredentials | AuthError::WrongAndDelayed { .. }
    ) {
        if let Some(k) = addr_key(p) {
            s.addr_failures.allow(&k);
        }
    }
}

/// Token buckets per caller (device id, token, or login name for logins):
/// `burst` requests at once, refilled at `per_sec`. A kiosk syncs a few
/// times a minute; this only stops runaway or hostile clients. Wall time,
/// not the injected clock: it guards the process, not the books.
pub struct RateLimiter {
    per_sec: f64,
    burst: f64,
    buckets: std::sync::Mutex<std::collections::HashMap<String, (f64, std::time::Instant)>>,
}

impl RateLimiter {
    pub fn new(per_sec: f64, burst: f64) -> RateLimiter {
        RateLimiter {
            per_sec,
            burst,
            buckets: Default::default(),
        }
    }
    /// `n` failures at once per address, refilled over 15 minutes.
    pub fn failures_per_address(n: u32) -> RateLimiter {
        let n = n.max(1) as f64;
        RateLimiter::new(n / 900.0, n)
    }
    /// Whether `key` has a request left, without using it.
    pub fn has(&self, key: &str) -> bool {
        let now = std::time::Instant::now();
        let b = self.buckets.lock().unwrap();
        match b.get(key) {
            None => self.burst >= 1.0,
            Some((t, at)) => {
                (t + now.duration_since(*at).as_secs_f64() * self.per_sec).min(self.burst) >= 1.0
            }
        }
    }
    pub fn allow(&self, key: &str) -> bool {
        let now = std::time::Instant::now();
        let mut b = self.buckets.lock().unwrap();
        if b.len() > 200_000 {
            // Forget idle callers rather than grow without bound.
            let burst = self.burst;
            let rate = self.per_sec;
            b.retain(|_, (t, at)| *t + now.duration_since(*at).as_secs_f64() * rate < burst);
        }
        let e = b.entry(key.to_string()).or_insert((self.burst, now));
        e.0 = (e.0 + now.duration_since(e.1).as_secs_f64() * self.per_sec).min(self.burst);
        e.1 = now;
        if e.0 >= 1.0 {
            e.0 -= 1.0;
            true
        } else {
            false
        }
    }
}

impl Default for RateLimiter {
    fn default() -> Self {
        RateLimiter::new(20.0, 120.0)
    }
}

fn limit(s: &AppState, key: &str) -> Result<(), ApiErr> {
    if s.limiter.allow(key) {
        Ok(())
    } else {
        Err(ApiErr::new(
            StatusCode::TOO_MANY_REQUESTS,
            codes::RATE_LIMITED,
            "too many requests; slow down",
        ))
    }
}

pub type Shared = Arc<AppState>;

// ------------------------------------------------------------------ errors

#[derive(Debug)]
pub struct ApiErr(pub StatusCode, pub ApiError);

impl ApiErr {
    pub fn new(status: StatusCode, code: &str, message: impl Into<String>) -> ApiErr {
        ApiErr(
            status,
            ApiError {
                code: code.into(),
                message: message.into(),
                expected_seq: None,
            },
        )
    }
}

impl IntoResponse for ApiErr {
    fn into_response(self) -> Response {
        (self.0, axum::Json(self.1)).into_response()
    }
}

impl From<StoreError> for ApiErr {
    fn from(e: StoreError) -> ApiErr {
        let status = match &e {
            StoreError::Db(_) | StoreError::Corrupt(_) => StatusCode::INTERNAL_SERVER_ERROR,
            StoreError::Exists(_)
            | StoreError::BoundElsewhere(_)
            | StoreError::CatalogueNotNewer(..)
            | StoreError::HasHistory(_)
            | StoreError::HasRefills(_) => StatusCode::CONFLICT,
            StoreError::NotFound(_) => StatusCode::NOT_FOUND,
            StoreError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
        };
        if status == StatusCode::INTERNAL_SERVER_ERROR {
            tracing::error!(error = %e, "store error");
            return ApiErr::new(status, codes::INTERNAL, "internal error");
        }
        ApiErr::new(status, e.code(), e.to_string())
    }
}

impl From<PushError> for ApiErr {
    fn from(e: PushError) -> ApiErr {
        match e {
            PushError::Store(s) => s.into(),
            PushError::Gap { expected } | PushError::ChainMismatch { expected, .. } => {
                let mut r = ApiErr::new(StatusCode::CONFLICT, e.code(), e.to_string());
                r.1.expected_seq = Some(expected);
                r
            }
            PushError::UnknownDevice | PushError::Deregistered => {
                ApiErr::new(StatusCode::UNAUTHORIZED, e.code(), e.to_string())
            }
            PushError::KioskInactive => ApiErr::new(StatusCode::FORBIDDEN, e.code(), e.to_string()),
            PushError::Empty | PushError::TooLarge => {
                ApiErr::new(StatusCode::UNPROCESSABLE_ENTITY, e.code(), e.to_string())
            }
            PushError::NoCatalogue => {
                ApiErr::new(StatusCode::SERVICE_UNAVAILABLE, e.code(), e.to_string())
            }
        }
    }
}

impl From<AuthError> for ApiErr {
    fn from(e: AuthError) -> ApiErr {
        let status = match &e {
            AuthError::BadCredentials => StatusCode::UNAUTHORIZED,
            AuthError::Locked { .. } | AuthError::WrongAndDelayed { .. } => StatusCode::LOCKED,
            AuthError::Busy => StatusCode::SERVICE_UNAVAILABLE,
            AuthError::Inactive => StatusCode::FORBIDDEN,
            AuthError::Policy(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AuthError::Store(s) => {
                return ApiErr::from(StoreError::Invalid(s.to_string())).with_code(s.code());
            }
        };
        ApiErr::new(status, e.code(), e.to_string())
    }
}

impl ApiErr {
    fn with_code(mut self, code: &str) -> ApiErr {
        self.1.code = code.into();
        self
    }
}

type R<T> = Result<T, ApiErr>;

/// The request body, with size and read errors as API errors.
pub struct Body(pub Bytes);

impl FromRequest<Shared> for Body {
    type Rejection = ApiErr;
    async fn from_request(req: Request, state: &Shared) -> Result<Self, Self::Rejection> {
        // A body dripped in a byte at a time holds a connection and its
        // buffer: it gets `body_timeout` in all.
        let read = tokio::time::timeout(state.body_timeout, Bytes::from_request(req, state));
        let Ok(r) = read.await else {
            return Err(ApiErr::new(
                StatusCode::REQUEST_TIMEOUT,
                CODE_TIMEOUT,
                "the request body did not arrive in time",
            ));
        };
        match r {
            Ok(b) => Ok(Body(b)),
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => Err(ApiErr::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                codes::TOO_LARGE,
                format!(
                    "request body larger than {} bytes",
                    protocol::wire::MAX_BODY_BYTES
                ),
            )),
            Err(e) => Err(ApiErr::new(
                StatusCode::BAD_REQUEST,
                codes::MALFORMED,
                e.body_text(),
            )),
        }
    }
}

fn json<T: for<'de> Deserialize<'de>>(b: &Bytes) -> R<T> {
    if b.len() > 64 * 1024 {
        return Err(ApiErr::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            codes::TOO_LARGE,
            "JSON bodies are at most 64 KiB",
        ));
    }
    serde_json::from_slice(b).map_err(|e| {
        ApiErr::new(
            StatusCode::BAD_REQUEST,
            codes::MALFORMED,
            format!("JSON: {e}"),
        )
    })
}

// ------------------------------------------------------------------ callers

#[derive(Debug, Clone)]
pub struct Caller {
    pub kiosk_id: Uuid,
    pub kind: CallerKind,
}

#[derive(Debug, Clone)]
pub enum CallerKind {
    User {
        user_id: Uuid,
        login: String,
        role: Role,
    },
    Device {
        device_id: Uuid,
    },
}

impl Caller {
    fn login(&self) -> String {
        match &self.kind {
            CallerKind::User { login, .. } => login.clone(),
            CallerKind::Device { device_id } => format!("device:{device_id}"),
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Need {
    /// A user or device of the kiosk.
    Any,
    /// A holder's token.
    Holder,
    /// A signed device request.
    Device,
    /// Any logged-in user, even one who must still change the first password.
    UserMayBeFresh,
}

/// Who may call a handler, as a type in its signature: a handler that
/// takes `Authed<HolderOnly>` cannot run for anyone else, and one that
/// forgets to ask does not compile into a private endpoint by accident.
trait Who {
    const NEED: Need;
}
/// A user or device of the kiosk.
struct AnyCaller;
/// A holder's token.
struct HolderOnly;
/// A signed device request.
struct DeviceOnly;
/// Any logged-in user, even one who must still change the first password.
struct FreshUserToo;
impl Who for AnyCaller {
    const NEED: Need = Need::Any;
}
impl Who for HolderOnly {
    const NEED: Need = Need::Holder;
}
impl Who for DeviceOnly {
    const NEED: Need = Need::Device;
}
impl Who for FreshUserToo {
    const NEED: Need = Need::UserMayBeFresh;
}

/// The proved caller with the request: the body is read here, once, as the
/// device signature covers it.
struct Authed<W> {
    caller: Caller,
    body: Bytes,
    uri: axum::http::Uri,
    headers: HeaderMap,
    _who: std::marker::PhantomData<W>,
}

impl<W: Who> FromRequest<Shared> for Authed<W> {
    type Rejection = ApiErr;
    async fn from_request(req: Request, s: &Shared) -> Result<Self, Self::Rejection> {
        let (method, uri, headers) = (
            req.method().clone(),
            req.uri().clone(),
            req.headers().clone(),
        );
        let Body(body) = Body::from_request(req, s).await?;
        let caller = authenticate(s, &method, &path_of(&uri), &headers, &body, W::NEED).await?;
        Ok(Authed {
            caller,
            body,
            uri,
            headers,
            _who: std::marker::PhantomData,
        })
    }
}

async fn authenticate(
    s: &AppState,
    method: &Method,
    path: &str,
    headers: &HeaderMap,
    body: &[u8],
    need: Need,
) -> R<Caller> {
    let unauth = |code: &str, msg: &str| ApiErr::new(StatusCode::UNAUTHORIZED, code, msg);
    let key = headers
        .get(protocol::wire::HEADER_DEVICE)
        .or_else(|| headers.get(header::AUTHORIZATION))
        .and_then(|v| v.to_str().ok())
        .unwrap_or("anonymous");
    limit(s, &key.chars().take(128).collect::<String>())?;
    if let Some(dev) = headers.get(protocol::wire::HEADER_DEVICE) {
        let id = dev
            .to_str()
            .ok()
            .and_then(|d| Uuid::parse_str(d).ok())
            .ok_or_else(|| unauth(codes::AUTH_UNKNOWN_DEVICE, "x-device is not a device id"))?;
        let d = s
            .store
            .device(id)
            .await?
            .ok_or_else(|| unauth(codes::AUTH_UNKNOWN_DEVICE, "unknown device"))?;
        let sig = headers
            .get(protocol::wire::HEADER_SIGNATURE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if !protocol::wire::verify_request(&d.public_key, id, method.as_str(), path, body, sig) {
            return Err(unauth(
                codes::AUTH_BAD_SIGNATURE,
                "signature does not verify",
            ));
        }
        if d.deregistered_ms.is_some() {
            return Err(unauth(
                codes::AUTH_DEVICE_DEREGISTERED,
                "this device is de-registered; register it again",
            ));
        }
        let k = s
            .store
            .kiosk(d.kiosk_id)
            .await?
            .ok_or_else(|| unauth(codes::AUTH_UNKNOWN_DEVICE, "unknown kiosk"))?;
        if !k.active {
            return Err(ApiErr::new(
                StatusCode::FORBIDDEN,
                codes::AUTH_INACTIVE,
                "kiosk is deactivated",
            ));
        }
        if matches!(need, Need::Holder | Need::UserMayBeFresh) {
            return Err(ApiErr::new(
                StatusCode::FORBIDDEN,
                codes::AUTH_FORBIDDEN,
                "this needs a user's login, not a device",
            ));
        }
        // A device bound to a deactivated user's SSO ID still hands in the
        // entries it made (money already taken from citizens must reach
        // the books), and nothing else.
        let bound_active = s.store.user(d.user_id).await?.is_some_and(|u| u.active);
        if !bound_active && path != "/v1/sync/push" {
            return Err(ApiErr::new(
                StatusCode::FORBIDDEN,
                codes::AUTH_INACTIVE,
                "the user this device is registered to is deactivated; only its pending entries are taken",
            ));
        }
        return Ok(Caller {
            kiosk_id: d.kiosk_id,
            kind: CallerKind::Device { device_id: id },
        });
    }
    let Some(auth) = headers.get(header::AUTHORIZATION) else {
        return Err(unauth(
            codes::AUTH_MISSING,
            "log in, or sign the request with the device key",
        ));
    };
    let token = auth
        .to_str()
        .ok()
        .and_then(|a| a.strip_prefix("Bearer "))
        .ok_or_else(|| unauth(codes::AUTH_BAD_TOKEN, "expected a bearer token"))?;
    let (user_id, expires) = s
        .store
        .session(crate::auth::token_hash(token.trim()))
        .await?
        .ok_or_else(|| unauth(codes::AUTH_BAD_TOKEN, "unknown token"))?;
    if expires <= s.store.now_ms() {
        return Err(unauth(
            codes::AUTH_TOKEN_EXPIRED,
            "token expired; log in again",
        ));
    }
    let u = s
        .store
        .user(user_id)
        .await?
        .ok_or_else(|| unauth(codes::AUTH_BAD_TOKEN, "unknown user"))?;
    let k_active = s.store.kiosk(u.kiosk_id).await?.is_some_and(|k| k.active);
    if !u.active || !k_active {
        return Err(ApiErr::new(
            StatusCode::FORBIDDEN,
            codes::AUTH_INACTIVE,
            "account or kiosk is deactivated",
        ));
    }
    if u.must_change && need != Need::UserMayBeFresh {
        return Err(ApiErr::new(
            StatusCode::FORBIDDEN,
            codes::AUTH_PASSWORD_CHANGE_REQUIRED,
            "change the first password before anything else",
        ));
    }
    match need {
        Need::Device => {
            return Err(ApiErr::new(
                StatusCode::FORBIDDEN,
                codes::AUTH_FORBIDDEN,
                "sync needs a signed device request",
            ));
        }
        Need::Holder if u.role != Role::Holder => {
            return Err(ApiErr::new(
                StatusCode::FORBIDDEN,
                codes::AUTH_FORBIDDEN,
                "only the kiosk holder may do this",
            ));
        }
        _ => {}
    }
    Ok(Caller {
        kiosk_id: u.kiosk_id,
        kind: CallerKind::User {
            user_id: u.id,
            login: u.login,
            role: u.role,
        },
    })
}

/// Another kiosk's object is answered exactly like one that does not
/// exist: a different answer would tell strangers which ids are real.
fn not_yours(what: &'static str) -> ApiErr {
    StoreError::NotFound(what).into()
}

fn path_of(uri: &axum::http::Uri) -> String {
    uri.path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| uri.path().to_string())
}

// ------------------------------------------------------------------ JSON types

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct LoginRequest {
    pub login: String,
    pub password: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct LoginResponse {
    pub token: String,
    pub expires_ms: i64,
    pub must_change_password: bool,
    pub role: Role,
    pub login: String,
    pub kiosk_code: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ChangePasswordRequest {
    pub old_password: String,
    pub new_password: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct KioskInfo {
    pub code: String,
    pub district: String,
    pub name: String,
    pub cheque_enabled: bool,
    /// Paise.
    pub wallet_balance: i64,
    /// Paise.
    pub commission_balance: i64,
    /// Paise.
    pub exposure_max_pending_amount: i64,
    pub exposure_max_pending_count: u32,
    pub exposure_max_age_secs: u32,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct NewUserRequest {
    pub login: String,
    pub name: String,
    pub role: Role,
    pub mobile: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct NewUserResponse {
    pub login: String,
    /// Must be changed at first login.
    pub initial_password: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct UserInfo {
    pub login: String,
    pub name: String,
    pub role: Role,
    pub active: bool,
    pub must_change_password: bool,
    pub locked: bool,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SetActiveRequest {
    pub active: bool,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RegisterDeviceRequest {
    /// The device's ed25519 public key, base64url without padding (43 chars).
    pub public_key: String,
    pub label: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct DeviceInfo {
    pub device_id: Uuid,
    /// 1-999 within the kiosk (part of local receipt numbers).
    pub device_no: i64,
    pub kiosk_code: String,
    pub label: String,
    pub registered_ms: i64,
    pub deregistered_ms: Option<i64>,
    /// Highest seq applied: the next push starts after it.
    pub high_water: u64,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct DuplicateInfo {
    pub code: String,
    pub kiosk_code: String,
    pub receipt_no: String,
    pub paid_ms: i64,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct BillResponse {
    pub bill: Bill,
    /// Set when the same service and consumer was paid at any kiosk in the last 30 days.
    pub duplicate: Option<DuplicateInfo>,
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct BillQuery {
    pub service: String,
    pub consumer_no: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct LedgerLineJson {
    pub id: i64,
    pub txn_id: i64,
    pub account: String,
    pub kind: String,
    /// Paise; positive credits the kiosk.
    pub amount: i64,
    pub memo: String,
    pub at_ms: i64,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct LedgerResponse {
    pub wallet_balance: i64,
    pub commission_balance: i64,
    pub lines: Vec<LedgerLineJson>,
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct LedgerQuery {
    pub after: Option<i64>,
    pub limit: Option<i64>,
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct TxnQuery {
    pub receipt_no: Option<String>,
    pub entry_id: Option<Uuid>,
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct DayQuery {
    /// `YYYY-MM-DD`, the India (IST) calendar day.
    pub date: String,
    /// `failed` (rejected), `pending`, `accepted`, `cancelled`; all when absent.
    pub status: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TicketRequest {
    /// The caller's id for this ticket (a UUID): required on signed device
    /// requests, so a replayed request makes no second ticket; a repeat
    /// answers the first.
    #[serde(default)]
    pub id: Option<Uuid>,
    pub subject: String,
    pub body: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Created {
    pub id: Uuid,
}

// ------------------------------------------------------------------ handlers

#[utoipa::path(get, path = "/healthz", responses((status = 200, description = "alive")))]
async fn healthz() -> &'static str {
    "ok"
}

#[utoipa::path(get, path = "/openapi.json", responses((status = 200, description = "this description")))]
async fn openapi_json() -> impl IntoResponse {
    axum::Json(ApiDoc::openapi())
}

#[utoipa::path(post, path = "/v1/auth/login", request_body = LoginRequest,
    responses((status = 200, body = LoginResponse), (status = 401, body = ApiErrorDoc), (status = 423, body = ApiErrorDoc),
        (status = 429, body = ApiErrorDoc), (status = 503, body = ApiErrorDoc)))]
async fn login(State(s): State<Shared>, peer: Peer, Body(b): Body) -> R<axum::Json<LoginResponse>> {
    let req: LoginRequest = json(&b)?;
    // One form of the name for the limiter and the store alike.
    let name = crate::auth::normalise_login(&req.login);
    limit(
        &s,
        &format!("login:{}", name.chars().take(128).collect::<String>()),
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
        .login(name, &req.password, &s.policy)
        .await
        .inspect_err(|e| charge_addr(&s, &peer, e))?;
    let k = s
        .store
        .kiosk(li.user.kiosk_id)
        .await?
        .ok_or(StoreError::NotFound("kiosk"))?;
    Ok(axum::Json(LoginResponse {
        token: li.token,
        expires_ms: li.expires_ms,
        must_change_password: li.user.must_change,
        role: li.user.role,
        login: li.user.login,
        kiosk_code: k.code,
    }))
}

#[utoipa::path(post, path = "/v1/auth/password", request_body = ChangePasswordRequest,
    responses((status = 401, body = ApiErrorDoc, description = "auth.bad_credentials: wrong old password"), (status = 423, body = ApiErrorDoc, description = "auth.locked"), (status = 503, body = ApiErrorDoc, description = "request.busy"), (status = 200, body = LoginResponse), (status = 422, body = ApiErrorDoc)), security(("bearer" = [])))]
async fn change_password(
    State(s): State<Shared>,
    peer: Peer,
    a: Authed<FreshUserToo>,
) -> R<axum::Json<LoginResponse>> {
    let Authed {
        caller: c, body: b, ..
    } = a;
    let CallerKind::User { user_id, .. } = c.kind else {
        unreachable!("users only")
    };
    let req: ChangePasswordRequest = json(&b)?;
    if req.new_password.len() > 256 || req.old_password.len() > 256 {
        return Err(ApiErr::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "password.too_long",
            "password is too long",
        ));
    }
    addr_allowed(&s, &peer)?;
    let li = s
        .store
        .change_password(user_id, &req.old_password, &req.new_password, &s.policy)
        .await
        .inspect_err(|e| charge_addr(&s, &peer, e))?;
    let k = s
        .store
        .kiosk(li.user.kiosk_id)
        .await?
        .ok_or(StoreError::NotFound("kiosk"))?;
    Ok(axum::Json(LoginResponse {
        token: li.token,
        expires_ms: li.expires_ms,
        must_change_password: false,
        role: li.user.role,
        login: li.user.login,
        kiosk_code: k.code,
    }))
}

#[utoipa::path(post, path = "/v1/auth/logout", responses((status = 204)), security(("bearer" = [])))]
async fn logout(State(s): State<Shared>, a: Authed<FreshUserToo>) -> R<StatusCode> {
    let Authed { headers: h, .. } = a;
    if let Some(t) = h
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
    {
        s.store
            .delete_session(crate::auth::token_hash(t.trim()))
            .await?;
    }
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/v1/kiosk", responses((status = 200, body = KioskInfo)), security(("bearer" = []), ("device" = [])))]
async fn kiosk_info(State(s): State<Shared>, a: Authed<AnyCaller>) -> R<axum::Json<KioskInfo>> {
    let Authed { caller: c, .. } = a;
    let k = s
        .store
        .kiosk(c.kiosk_id)
        .await?
        .ok_or(StoreError::NotFound("kiosk"))?;
    Ok(axum::Json(KioskInfo {
        code: k.code,
        district: k.district,
        name: k.name,
        cheque_enabled: k.cheque_enabled,
        wallet_balance: k.wallet_balance.as_i64(),
        commission_balance: k.commission_balance.as_i64(),
        exposure_max_pending_amount: k.exposure.max_pending_amount.as_i64(),
        exposure_max_pending_count: k.exposure.max_pending_count,
        exposure_max_age_secs: k.exposure.max_age_secs,
    }))
}

#[utoipa::path(get, path = "/v1/users", responses((status = 200, body = Vec<UserInfo>)), security(("bearer" = [])))]
async fn list_users(
    State(s): State<Shared>,
    a: Authed<HolderOnly>,
) -> R<axum::Json<Vec<UserInfo>>> {
    let Authed { caller: c, .. } = a;
    let now = s.store.now_ms();
    let users = s.store.list_users(c.kiosk_id).await?;
    Ok(axum::Json(
        users
            .into_iter()
            .map(|u| UserInfo {
                login: u.login,
                name: u.name,
                role: u.role,
                active: u.active,
                must_change_password: u.must_change,
                locked: u.locked_until_ms.is_some_and(|t| t > now),
            })
            .collect(),
    ))
}

#[utoipa::path(post, path = "/v1/users", request_body = NewUserRequest, responses((status = 409, body = ApiErrorDoc, description = "request.exists"), (status = 422, body = ApiErrorDoc), (status = 201, body = NewUserResponse)), security(("bearer" = [])))]
async fn create_user(
    State(s): State<Shared>,
    a: Authed<HolderOnly>,
) -> R<(StatusCode, axum::Json<NewUserResponse>)> {
    let Authed {
        caller: c, body: b, ..
    } = a;
    let req: NewUserRequest = json(&b)?;
    let (user, pw) = s
        .store
        .add_user(
            c.kiosk_id,
            &req.login,
            &req.name,
            req.role,
            req.mobile.as_deref(),
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(NewUserResponse {
            login: user.login,
            initial_password: pw,
        }),
    ))
}

#[utoipa::path(post, path = "/v1/users/{login}/active", request_body = SetActiveRequest,
    params(("login" = String, Path)), responses((status = 404, body = ApiErrorDoc, description = "not_found: no such user at this kiosk"), (status = 422, body = ApiErrorDoc), (status = 204)), security(("bearer" = [])))]
async fn set_user_active(
    State(s): State<Shared>,
    Path(login): Path<String>,
    a: Authed<HolderOnly>,
) -> R<StatusCode> {
    let Authed {
        caller: c, body: b, ..
    } = a;
    let req: SetActiveRequest = json(&b)?;
    let user = s
        .store
        .user_by_login(&login)
        .await?
        .ok_or(StoreError::NotFound("user"))?;
    if user.kiosk_id != c.kiosk_id {
        return Err(not_yours("user"));
    }
    if let CallerKind::User { user_id, .. } = &c.kind {
        if *user_id == user.id && !req.active {
            return Err(ApiErr::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                codes::INVALID,
                "a holder cannot deactivate themselves",
            ));
        }
    }
    s.store.set_user_active(user.id, req.active).await?;
    Ok(StatusCode::NO_CONTENT)
}

fn device_info(d: crate::store::Device, kiosk_code: &str) -> DeviceInfo {
    DeviceInfo {
        device_id: d.id,
        device_no: d.device_no,
        kiosk_code: kiosk_code.to_string(),
        label: d.label,
        registered_ms: d.registered_ms,
        deregistered_ms: d.deregistered_ms,
        high_water: d.high_water,
    }
}

#[utoipa::path(post, path = "/v1/devices", request_body = RegisterDeviceRequest,
    responses((status = 422, body = ApiErrorDoc, description = "device.bad_key, text.invalid"), (status = 201, body = DeviceInfo), (status = 409, body = ApiErrorDoc)), security(("bearer" = [])))]
async fn register_device(
    State(s): State<Shared>,
    a: Authed<HolderOnly>,
) -> R<(StatusCode, axum::Json<DeviceInfo>)> {
    use base64::Engine;
    let Authed {
        caller: c, body: b, ..
    } = a;
    let CallerKind::User { user_id, .. } = c.kind else {
        unreachable!("holder is a user")
    };
    let req: RegisterDeviceRequest = json(&b)?;
    let bad = || {
        ApiErr::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            codes::DEVICE_BAD_KEY,
            "public_key must be a 32-byte ed25519 key, base64url",
        )
    };
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(req.public_key.trim())
        .map_err(|_| bad())?;
    let key: [u8; 32] = raw.as_slice().try_into().map_err(|_| bad())?;
    ed25519_dalek::VerifyingKey::from_bytes(&key).map_err(|_| bad())?;
    let label = domain::error::clean_text("label", &req.label, 64)
        .map_err(|e| ApiErr::new(StatusCode::UNPROCESSABLE_ENTITY, e.code(), e.to_string()))?;
    let user = s
        .store
        .user(user_id)
        .await?
        .ok_or(StoreError::NotFound("user"))?;
    let d = s.store.register_device(&user, key, &label).await?;
    let k = s
        .store
        .kiosk(c.kiosk_id)
        .await?
        .ok_or(StoreError::NotFound("kiosk"))?;
    Ok((StatusCode::CREATED, axum::Json(device_info(d, &k.code))))
}

#[utoipa::path(get, path = "/v1/devices", responses((status = 200, body = Vec<DeviceInfo>)), security(("bearer" = [])))]
async fn list_devices(
    State(s): State<Shared>,
    a: Authed<HolderOnly>,
) -> R<axum::Json<Vec<DeviceInfo>>> {
    let Authed { caller: c, .. } = a;
    let k = s
        .store
        .kiosk(c.kiosk_id)
        .await?
        .ok_or(StoreError::NotFound("kiosk"))?;
    let ds = s.store.list_devices(Some(c.kiosk_id)).await?;
    Ok(axum::Json(
        ds.into_iter().map(|d| device_info(d, &k.code)).collect(),
    ))
}

#[utoipa::path(delete, path = "/v1/devices/{id}", params(("id" = Uuid, Path)), responses((status = 404, body = ApiErrorDoc, description = "not_found: no such device at this kiosk"), (status = 204)), security(("bearer" = [])))]
async fn deregister_device(
    State(s): State<Shared>,
    Path(id): Path<String>,
    a: Authed<HolderOnly>,
) -> R<StatusCode> {
    let Authed { caller: c, .. } = a;
    let id = Uuid::parse_str(&id).map_err(|_| not_yours("device"))?;
    let d = s
        .store
        .device(id)
        .await?
        .ok_or(StoreError::NotFound("device"))?;
    if d.kiosk_id != c.kiosk_id {
        return Err(not_yours("device"));
    }
    s.store.deregister_device(id).await?;
    Ok(StatusCode::NO_CONTENT)
}

fn sync_response<T: Serialize>(msg: &T) -> Response {
    let mut r = protocol::encode_body(msg).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(protocol::wire::SYNC_CONTENT_TYPE),
    );
    r
}

fn decode_err(e: protocol::WireError) -> ApiErr {
    let status = match e {
        protocol::WireError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
        protocol::WireError::UnsupportedVersion(_) => StatusCode::BAD_REQUEST,
        protocol::WireError::Malformed(_) => StatusCode::BAD_REQUEST,
    };
    ApiErr::new(status, e.code(), e.to_string())
}

#[utoipa::path(post, path = "/v1/sync/push",
    request_body(content = SyncBody, content_type = "application/x-kiosk-sync", description = "zstd(postcard(protocol::PushRequest))"),
    responses((status = 422, body = ApiErrorDoc, description = "sync.batch_empty, sync.batch_too_large"), (status = 503, body = ApiErrorDoc, description = "no catalogue loaded yet"), (status = 200, content_type = "application/x-kiosk-sync", description = "zstd(postcard(protocol::PushResponse))"),
        (status = 409, body = ApiErrorDoc, description = "sync.gap or sync.chain_mismatch, with expected_seq")),
    security(("device" = [])))]
async fn push(State(s): State<Shared>, a: Authed<DeviceOnly>) -> R<Response> {
    let Authed {
        caller: c, body: b, ..
    } = a;
    let CallerKind::Device { device_id } = c.kind else {
        unreachable!("device only")
    };
    let req: protocol::PushRequest = protocol::decode_body(&b).map_err(decode_err)?;
    let resp = s.store.push(device_id, req).await?;
    Ok(sync_response(&resp))
}

#[utoipa::path(post, path = "/v1/sync/pull",
    request_body(content = SyncBody, content_type = "application/x-kiosk-sync", description = "zstd(postcard(protocol::PullRequest))"),
    responses((status = 200, content_type = "application/x-kiosk-sync", description = "zstd(postcard(protocol::PullResponse))")),
    security(("device" = [])))]
async fn pull(State(s): State<Shared>, a: Authed<DeviceOnly>) -> R<Response> {
    let Authed {
        caller: c, body: b, ..
    } = a;
    let CallerKind::Device { device_id } = c.kind else {
        unreachable!("device only")
    };
    let req: protocol::PullRequest = protocol::decode_body(&b).map_err(decode_err)?;
    let resp = s.store.pull(device_id, req.cursor, req.limit).await?;
    Ok(sync_response(&resp))
}

#[utoipa::path(get, path = "/v1/bills", params(BillQuery),
    responses((status = 422, body = ApiErrorDoc, description = "consumer number invalid"), (status = 502, body = ApiErrorDoc, description = "biller.unavailable"), (status = 200, body = BillResponse), (status = 404, body = ApiErrorDoc)), security(("bearer" = []), ("device" = [])))]
async fn fetch_bill(State(s): State<Shared>, a: Authed<AnyCaller>) -> R<axum::Json<BillResponse>> {
    let Authed { uri: u, .. } = a;
    let q: BillQuery = Query::try_from_uri(&u)
        .map_err(|e| ApiErr::new(StatusCode::BAD_REQUEST, codes::MALFORMED, e.body_text()))?
        .0;
    let cat = s
        .store
        .current_catalogue()
        .await?
        .ok_or(StoreError::NotFound("catalogue"))?;
    let svc = cat
        .service(&q.service)
        .filter(|x| x.active)
        .ok_or_else(|| {
            ApiErr::new(
                StatusCode::NOT_FOUND,
                codes::SERVICE_UNKNOWN,
                "no such service",
            )
        })?;
    let consumer = svc
        .check_consumer_no(&q.consumer_no)
        .map_err(|e| ApiErr::new(StatusCode::UNPROCESSABLE_ENTITY, e.code(), e.to_string()))?;
    let bill = s
        .billers
        .fetch(svc, &consumer)
        .await
        .map_err(|e| ApiErr::new(StatusCode::BAD_GATEWAY, "biller.unavailable", e.to_string()))?
        .ok_or_else(|| {
            ApiErr::new(
                StatusCode::NOT_FOUND,
                codes::BILL_UNKNOWN,
                "no bill for this consumer",
            )
        })?;
    let duplicate = duplicate_of(&s, &svc.code, &consumer).await?;
    Ok(axum::Json(BillResponse { bill, duplicate }))
}

async fn duplicate_of(s: &AppState, service: &str, consumer: &str) -> R<Option<DuplicateInfo>> {
    let since = s.store.now_ms() - domain::rules::DUPLICATE_WINDOW.num_milliseconds();
    Ok(s.store
        .recent_payment(service, consumer, since)
        .await?
        .map(|(k, r, at)| DuplicateInfo {
            code: codes::DUPLICATE_WARNING.into(),
            kiosk_code: k,
            receipt_no: r,
            paid_ms: at,
        }))
}

#[utoipa::path(get, path = "/v1/duplicates", params(BillQuery),
    responses((status = 422, body = ApiErrorDoc, description = "text.invalid"), (status = 200, body = Option<DuplicateInfo>)), security(("bearer" = []), ("device" = [])))]
async fn duplicates(
    State(s): State<Shared>,
    a: Authed<AnyCaller>,
) -> R<axum::Json<Option<DuplicateInfo>>> {
    let Authed { uri: u, .. } = a;
    let q: BillQuery = Query::try_from_uri(&u)
        .map_err(|e| ApiErr::new(StatusCode::BAD_REQUEST, codes::MALFORMED, e.body_text()))?
        .0;
    if q.service.len() > 32 || q.consumer_no.len() > 64 {
        return Err(ApiErr::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            codes::TEXT_INVALID,
            "service or consumer number too long",
        ));
    }
    Ok(axum::Json(
        duplicate_of(&s, &q.service, &q.consumer_no).await?,
    ))
}

#[utoipa::path(get, path = "/v1/ledger", params(LedgerQuery), responses((status = 200, body = LedgerResponse)), security(("bearer" = []), ("device" = [])))]
async fn ledger(State(s): State<Shared>, a: Authed<AnyCaller>) -> R<axum::Json<LedgerResponse>> {
    let Authed {
        caller: c, uri: u, ..
    } = a;
    let q: LedgerQuery = Query::try_from_uri(&u)
        .map_err(|e| ApiErr::new(StatusCode::BAD_REQUEST, codes::MALFORMED, e.body_text()))?
        .0;
    let k = s
        .store
        .kiosk(c.kiosk_id)
        .await?
        .ok_or(StoreError::NotFound("kiosk"))?;
    let lines = s
        .store
        .ledger_lines(
            c.kiosk_id,
            q.after.unwrap_or(0),
            q.limit.unwrap_or(200).clamp(1, 1000),
        )
        .await?;
    Ok(axum::Json(LedgerResponse {
        wallet_balance: k.wallet_balance.as_i64(),
        commission_balance: k.commission_balance.as_i64(),
        lines: lines
            .into_iter()
            .map(|l| LedgerLineJson {
                id: l.id,
                txn_id: l.txn_id,
                account: l.account,
                kind: l.kind,
                amount: l.amount.as_i64(),
                memo: l.memo,
                at_ms: l.at_ms,
            })
            .collect(),
    }))
}

#[utoipa::path(get, path = "/v1/reconcile/txn", params(TxnQuery),
    responses((status = 422, body = ApiErrorDoc, description = "text.invalid"), (status = 200, body = TxnStatus), (status = 404, body = ApiErrorDoc)), security(("bearer" = []), ("device" = [])))]
async fn reconcile_txn(State(s): State<Shared>, a: Authed<AnyCaller>) -> R<axum::Json<TxnStatus>> {
    let Authed {
        caller: c, uri: u, ..
    } = a;
    let q: TxnQuery = Query::try_from_uri(&u)
        .map_err(|e| ApiErr::new(StatusCode::BAD_REQUEST, codes::MALFORMED, e.body_text()))?
        .0;
    if q.receipt_no.is_none() && q.entry_id.is_none() {
        return Err(ApiErr::new(
            StatusCode::BAD_REQUEST,
            codes::INVALID,
            "give receipt_no or entry_id",
        ));
    }
    if q.receipt_no.as_ref().is_some_and(|r| r.len() > 40) {
        return Err(ApiErr::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            codes::TEXT_INVALID,
            "receipt number too long",
        ));
    }
    // Unknown here: "not found", never "failed" — only the centre settles it.
    let t = s
        .store
        .txn_status(c.kiosk_id, q.receipt_no.as_deref(), q.entry_id)
        .await?
        .ok_or_else(|| {
            ApiErr::new(
                StatusCode::NOT_FOUND,
                codes::NOT_FOUND,
                "the centre has no such transaction from this kiosk",
            )
        })?;
    Ok(axum::Json(t))
}

#[utoipa::path(get, path = "/v1/reconcile/day", params(DayQuery), responses((status = 200, body = Vec<TxnStatus>)), security(("bearer" = []), ("device" = [])))]
async fn reconcile_day(
    State(s): State<Shared>,
    a: Authed<AnyCaller>,
) -> R<axum::Json<Vec<TxnStatus>>> {
    let Authed {
        caller: c, uri: u, ..
    } = a;
    let q: DayQuery = Query::try_from_uri(&u)
        .map_err(|e| ApiErr::new(StatusCode::BAD_REQUEST, codes::MALFORMED, e.body_text()))?
        .0;
    let day = chrono::NaiveDate::parse_from_str(&q.date, "%Y-%m-%d").map_err(|_| {
        ApiErr::new(
            StatusCode::BAD_REQUEST,
            codes::INVALID,
            "date must be YYYY-MM-DD",
        )
    })?;
    let status = match q.status.as_deref() {
        None => None,
        Some("failed") | Some("rejected") => Some("rejected"),
        Some(s @ ("pending" | "accepted" | "cancelled")) => Some(s),
        Some(_) => {
            return Err(ApiErr::new(
                StatusCode::BAD_REQUEST,
                codes::INVALID,
                "status: failed, pending, accepted or cancelled",
            ));
        }
    };
    let (from, to) = domain::clock::ist_day_bounds(day);
    let list = s
        .store
        .txns_between(
            c.kiosk_id,
            from.timestamp_millis(),
            to.timestamp_millis(),
            status,
        )
        .await?;
    Ok(axum::Json(list))
}

#[utoipa::path(post, path = "/v1/tickets", request_body = TicketRequest,
    responses((status = 201, body = Created), (status = 200, body = Created, description = "a repeat of the same id"),
        (status = 409, body = ApiErrorDoc), (status = 422, body = ApiErrorDoc)),
    security(("bearer" = []), ("device" = [])))]
async fn create_ticket(
    State(s): State<Shared>,
    a: Authed<AnyCaller>,
) -> R<(StatusCode, axum::Json<Created>)> {
    let Authed {
        caller: c, body: b, ..
    } = a;
    let req: TicketRequest = json(&b)?;
    let bad = |e: domain::DomainError| {
        ApiErr::new(StatusCode::UNPROCESSABLE_ENTITY, e.code(), e.to_string())
    };
    let subject = domain::error::clean_text("subject", &req.subject, 200).map_err(bad)?;
    if subject.is_empty() || req.body.chars().count() > 4000 {
        return Err(ApiErr::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            codes::TEXT_INVALID,
            "subject required; body at most 4000 characters",
        ));
    }
    let (id, new) = match (req.id, &c.kind) {
        (Some(id), _) => {
            let new = s
                .store
                .create_ticket_once(id, c.kiosk_id, &c.login(), &subject, req.body.trim())
                .await?;
            (id, new)
        }
        (None, CallerKind::Device { .. }) => {
            // Signatures carry no nonce: without the caller's id the same
            // signed bytes could be sent again to make another ticket.
            return Err(ApiErr::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                codes::INVALID,
                "a signed ticket request carries its own id",
            ));
        }
        (None, CallerKind::User { .. }) => {
            let id = s
                .store
                .create_ticket(c.kiosk_id, &c.login(), &subject, req.body.trim())
                .await?;
            (id, true)
        }
    };
    let status = if new {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, axum::Json(Created { id })))
}

#[utoipa::path(get, path = "/v1/tickets", responses((status = 200, body = Vec<Ticket>)), security(("bearer" = []), ("device" = [])))]
async fn list_tickets(State(s): State<Shared>, a: Authed<AnyCaller>) -> R<axum::Json<Vec<Ticket>>> {
    let Authed { caller: c, .. } = a;
    Ok(axum::Json(s.store.tickets(Some(c.kiosk_id)).await?))
}

#[utoipa::path(get, path = "/v1/tickets/{id}", params(("id" = Uuid, Path)), responses((status = 404, body = ApiErrorDoc, description = "not_found: no such ticket at this kiosk"), (status = 200, body = Ticket)), security(("bearer" = []), ("device" = [])))]
async fn get_ticket(
    State(s): State<Shared>,
    Path(id): Path<String>,
    a: Authed<AnyCaller>,
) -> R<axum::Json<Ticket>> {
    let Authed { caller: c, .. } = a;
    let id = Uuid::parse_str(&id).map_err(|_| not_yours("ticket"))?;
    let (kiosk, t) = s
        .store
        .ticket(id)
        .await?
        .ok_or(StoreError::NotFound("ticket"))?;
    if kiosk != c.kiosk_id {
        return Err(not_yours("ticket"));
    }
    Ok(axum::Json(t))
}

// ------------------------------------------------------------------ router, OpenAPI

/// The error body, for the description.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ApiErrorDoc {
    /// Stable dotted code, e.g. `sync.gap`.
    code: String,
    message: String,
    expected_seq: Option<u64>,
}

/// The refusals every API operation can give, added to each so that the
/// description lists what a client really meets (the test
/// `openapi_declares_every_status_the_handlers_answer` probes them).
struct CommonResponses;
impl utoipa::Modify for CommonResponses {
    fn modify(&self, api: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
        let err = |d: &str| {
            ResponseBuilder::new()
                .description(d)
                .content(
                    "application/json",
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name("ApiErrorDoc")))
                        .build(),
                )
                .build()
        };
        for (path, item) in api.paths.paths.iter_mut() {
            if !path.starts_with("/v1/") {
                continue;
            }
            for op in [
                item.get.as_mut(),
                item.post.as_mut(),
                item.delete.as_mut(),
                item.put.as_mut(),
            ]
            .into_iter()
            .flatten()
            {
                let secured = op.security.as_ref().is_some_and(|s| !s.is_empty());
                let mut add = vec![
                    (
                        "400",
                        "protocol.malformed or request.invalid: unreadable input",
                    ),
                    ("408", "request.timeout: the body did not arrive in time"),
                    ("413", "protocol.too_large: the body is too large"),
                    ("429", "request.rate_limited: too many requests"),
                    ("500", "internal"),
                ];
                if secured {
                    add.push((
                        "401",
                        "auth.missing, auth.bad_token, auth.token_expired, auth.bad_signature, auth.unknown_device, auth.device_deregistered",
                    ));
                    add.push((
                        "403",
                        "auth.forbidden, auth.inactive, auth.password_change_required",
                    ));
                }
                for (st, d) in add {
                    op.responses
                        .responses
                        .entry(st.to_string())
                        .or_insert_with(|| err(d).into());
                }
            }
        }
    }
}

/// A sync body: `zstd(postcard(…))` bytes.
#[derive(ToSchema)]
#[schema(value_type = String, format = Binary)]
#[allow(dead_code)]
pub struct SyncBody(Vec<u8>);

struct Security;
impl utoipa::Modify for Security {
    fn modify(&self, api: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{
            ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme,
        };
        let c = api.components.get_or_insert_with(Default::default);
        c.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        c.add_security_scheme(
            "device",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "x-sig",
                "ed25519 signature (base64url) over KSIG1\\0 ‖ device id ‖ METHOD\\0 ‖ path\\0 ‖ body, with x-device: <device id>",
            ))),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "e-Mitra kiosk central server", version = "1"),
    paths(healthz, openapi_json, login, change_password, logout, kiosk_info, list_users, create_user, set_user_active,
        register_device, list_devices, deregister_device, push, pull, fetch_bill, duplicates, ledger,
        reconcile_txn, reconcile_day, create_ticket, list_tickets, get_ticket),
    components(schemas(ApiErrorDoc, SyncBody)),
    modifiers(&Security, &CommonResponses)
)]
pub struct ApiDoc;

pub fn router(state: Shared) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/openapi.json", get(openapi_json))
        .route("/v1/auth/login", post(login))
        .route("/v1/auth/password", post(change_password))
        .route("/v1/auth/logout", post(logout))
        .route("/v1/kiosk", get(kiosk_info))
        .route("/v1/users", get(list_users).post(create_user))
        .route("/v1/users/{login}/active", post(set_user_active))
        .route("/v1/devices", get(list_devices).post(register_device))
        .route("/v1/devices/{id}", delete(deregister_device))
        .route("/v1/sync/push", post(push))
        .route("/v1/sync/pull", post(pull))
        .route("/v1/bills", get(fetch_bill))
        .route("/v1/duplicates", get(duplicates))
        .route("/v1/ledger", get(ledger))
        .route("/v1/reconcile/txn", get(reconcile_txn))
        .route("/v1/reconcile/day", get(reconcile_day))
        .route("/v1/tickets", get(list_tickets).post(create_ticket))
        .route("/v1/tickets/{id}", get(get_ticket))
        .fallback(|| async {
            ApiErr::new(StatusCode::NOT_FOUND, codes::NOT_FOUND, "no such endpoint")
        })
        .layer(axum::extract::DefaultBodyLimit::max(
            protocol::wire::MAX_BODY_BYTES,
        ))
        .with_state(state)
}
