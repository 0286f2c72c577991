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
    /// The console's session cookie is `Secure` (the server speaks TLS).
    pub secure_cookies: bool,
    /// A kiosk whose oldest unsent entry is older than this is stuck on
    /// the console (`stuck_after_secs` in the config).
    pub stuck_after_ms: i64,
    /// When each device's health was last written, and what it said: a
    /// kiosk pulls every few seconds, its health row is written when it
    /// changes or once a minute.
    pub health_seen: std::sync::Mutex<
        std::collections::HashMap<Uuid, (std::time::Instant, Option<protocol::KioskHealth>)>,
    >,
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
            secure_cookies: false,
            stuck_after_ms: crate::store::console::STUCK_AFTER_MS,
            health_seen: Default::default(),
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
    ) && let Some(k) = addr_key(p)
    {
        s.addr_failures.allow(&k);
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
            | StoreError::HasRefills(_)
            | StoreError::ReadmitAlreadyKnown(_)
            | StoreError::Refused { .. } => StatusCode::CONFLICT,
            StoreError::NotFound(_) => StatusCode::NOT_FOUND,
            StoreError::Invalid(_) | StoreError::ReadmitInvalid(_) => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
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
            AuthError::Policy(_) | AuthError::OtpFormat | AuthError::Unchanged => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            AuthError::OtpInvalid => StatusCode::UNAUTHORIZED,
            AuthError::OtpRateLimited => StatusCode::TOO_MANY_REQUESTS,
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

// The JSON bodies, and the handlers (one per operation), each in its own file.
pub mod console;
mod handlers;
mod types;
use handlers::*;
pub use types::*;

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
    paths(healthz, openapi_json, login, change_password, forgot_password, reset_password, logout, kiosk_info, list_users, create_user, set_user_active,
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
        .route("/v1/auth/forgot", post(forgot_password))
        .route("/v1/auth/reset", post(reset_password))
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
        .merge(console::routes())
        .fallback(|| async {
            ApiErr::new(StatusCode::NOT_FOUND, codes::NOT_FOUND, "no such endpoint")
        })
        .layer(axum::extract::DefaultBodyLimit::max(
            protocol::wire::MAX_BODY_BYTES,
        ))
        .with_state(state)
}
