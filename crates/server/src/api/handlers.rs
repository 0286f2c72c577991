//! The handlers: who may call each is in its signature ([`super::Authed`]).

use super::*;

#[utoipa::path(get, path = "/healthz", responses((status = 200, description = "alive")))]
pub(super) async fn healthz() -> &'static str {
    "ok"
}

#[utoipa::path(get, path = "/openapi.json", responses((status = 200, description = "this description")))]
pub(super) async fn openapi_json() -> impl IntoResponse {
    axum::Json(ApiDoc::openapi())
}

#[utoipa::path(post, path = "/v1/auth/login", request_body = LoginRequest,
    responses((status = 200, body = LoginResponse), (status = 401, body = ApiErrorDoc), (status = 423, body = ApiErrorDoc),
        (status = 429, body = ApiErrorDoc), (status = 503, body = ApiErrorDoc)))]
pub(super) async fn login(
    State(s): State<Shared>,
    peer: Peer,
    Body(b): Body,
) -> R<axum::Json<LoginResponse>> {
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
pub(super) async fn change_password(
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

#[utoipa::path(post, path = "/v1/auth/forgot", request_body = ForgotRequest,
    responses((status = 202, body = ForgotResponse, description = "the same for every login: a code by SMS when the login exists and has a registered mobile"),
        (status = 429, body = ApiErrorDoc, description = "otp.rate_limited: 3 an hour per login, 20 an hour per client address"),
        (status = 503, body = ApiErrorDoc, description = "request.busy")))]
pub(super) async fn forgot_password(
    State(s): State<Shared>,
    peer: Peer,
    Body(b): Body,
) -> R<(StatusCode, axum::Json<ForgotResponse>)> {
    let req: ForgotRequest = json(&b)?;
    let addr = peer.0.map(|ip| ip.to_string());
    // No login is that long: answered as any other, nothing kept.
    if req.login.len() <= 128 {
        s.store.forgot_password(&req.login, addr.as_deref()).await?;
    }
    Ok((
        StatusCode::ACCEPTED,
        axum::Json(ForgotResponse {
            expires_in_secs: crate::auth::OTP_TTL_MS / 1000,
        }),
    ))
}

#[utoipa::path(post, path = "/v1/auth/reset", request_body = ResetRequest,
    responses((status = 204, description = "the new password is set; the user's sessions ended"),
        (status = 401, body = ApiErrorDoc, description = "otp.invalid: wrong, expired, used up (5 tries) or never sent"),
        (status = 422, body = ApiErrorDoc, description = "otp.format, password.too_short, password.no_lowercase, password.no_uppercase, password.no_digit, password.too_long, password.unchanged"),
        (status = 429, body = ApiErrorDoc, description = "otp.rate_limited"),
        (status = 503, body = ApiErrorDoc, description = "request.busy")))]
pub(super) async fn reset_password(
    State(s): State<Shared>,
    peer: Peer,
    Body(b): Body,
) -> R<StatusCode> {
    let req: ResetRequest = json(&b)?;
    if req.otp.len() > 32 {
        return Err(AuthError::OtpFormat.into());
    }
    if req.login.len() > 128 {
        return Err(AuthError::OtpInvalid.into());
    }
    let addr = peer.0.map(|ip| ip.to_string());
    s.store
        .reset_password(&req.login, &req.otp, &req.new_password, addr.as_deref())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/v1/auth/logout", responses((status = 204)), security(("bearer" = [])))]
pub(super) async fn logout(State(s): State<Shared>, a: Authed<FreshUserToo>) -> R<StatusCode> {
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
pub(super) async fn kiosk_info(
    State(s): State<Shared>,
    a: Authed<AnyCaller>,
) -> R<axum::Json<KioskInfo>> {
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
pub(super) async fn list_users(
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
pub(super) async fn create_user(
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
pub(super) async fn set_user_active(
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
    if let CallerKind::User { user_id, .. } = &c.kind
        && *user_id == user.id
        && !req.active
    {
        return Err(ApiErr::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            codes::INVALID,
            "a holder cannot deactivate themselves",
        ));
    }
    s.store.set_user_active(user.id, req.active).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub(super) fn device_info(d: crate::store::Device, kiosk_code: &str) -> DeviceInfo {
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
pub(super) async fn register_device(
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
pub(super) async fn list_devices(
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
pub(super) async fn deregister_device(
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

/// A sync answer: compressed, or raw when that is smaller and the request
/// came raw (a kiosk that sends raw reads raw; an older one reads zstd only).
pub(super) fn sync_response<T: Serialize>(msg: &T, request: &[u8]) -> Response {
    let body = if protocol::is_compressed(request) {
        protocol::encode_body(msg)
    } else {
        protocol::encode_body_compact(msg)
    };
    let mut r = body.into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(protocol::wire::SYNC_CONTENT_TYPE),
    );
    r
}

pub(super) fn decode_err(e: protocol::WireError) -> ApiErr {
    let status = match e {
        protocol::WireError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
        protocol::WireError::UnsupportedVersion(_) => StatusCode::BAD_REQUEST,
        protocol::WireError::Malformed(_) => StatusCode::BAD_REQUEST,
    };
    ApiErr::new(status, e.code(), e.to_string())
}

#[utoipa::path(post, path = "/v1/sync/push",
    request_body(content = SyncBody, content_type = "application/x-kiosk-sync", description = "postcard(protocol::PushRequest), zstd-compressed or raw"),
    responses((status = 422, body = ApiErrorDoc, description = "sync.batch_empty, sync.batch_too_large"), (status = 503, body = ApiErrorDoc, description = "no catalogue loaded yet"), (status = 200, content_type = "application/x-kiosk-sync", description = "postcard(protocol::PushResponse): zstd, or raw when smaller and the request came raw"),
        (status = 409, body = ApiErrorDoc, description = "sync.gap or sync.chain_mismatch, with expected_seq")),
    security(("device" = [])))]
pub(super) async fn push(State(s): State<Shared>, a: Authed<DeviceOnly>) -> R<Response> {
    let Authed {
        caller: c, body: b, ..
    } = a;
    let CallerKind::Device { device_id } = c.kind else {
        unreachable!("device only")
    };
    let req: protocol::PushRequest = protocol::decode_body(&b).map_err(decode_err)?;
    let resp = s.store.push(device_id, req).await?;
    Ok(sync_response(&resp, &b))
}

#[utoipa::path(post, path = "/v1/sync/pull",
    request_body(content = SyncBody, content_type = "application/x-kiosk-sync", description = "postcard(protocol::PullRequest), zstd-compressed or raw"),
    responses((status = 200, content_type = "application/x-kiosk-sync", description = "postcard(protocol::PullResponse): zstd, or raw when smaller and the request came raw")),
    security(("device" = [])))]
pub(super) async fn pull(State(s): State<Shared>, a: Authed<DeviceOnly>) -> R<Response> {
    let Authed {
        caller: c, body: b, ..
    } = a;
    let CallerKind::Device { device_id } = c.kind else {
        unreachable!("device only")
    };
    let req: protocol::PullRequest = protocol::decode_body(&b).map_err(decode_err)?;
    let resp = s.store.pull(device_id, req.cursor, req.limit).await?;
    let due = {
        let mut seen = s.health_seen.lock().unwrap_or_else(|p| p.into_inner());
        if seen.len() > 200_000 {
            seen.clear();
        }
        let due = seen.get(&device_id).is_none_or(|(at, h)| {
            at.elapsed() >= std::time::Duration::from_secs(60) || *h != req.health
        });
        if due {
            seen.insert(device_id, (std::time::Instant::now(), req.health.clone()));
        }
        due
    };
    if due {
        // The console's view only: a failure here must not fail the pull.
        if let Err(e) = s
            .store
            .record_health(device_id, c.kiosk_id, req.health.as_ref())
            .await
        {
            tracing::warn!(%device_id, error = %e, "kiosk health not recorded");
        }
    }
    Ok(sync_response(&resp, &b))
}

#[utoipa::path(get, path = "/v1/bills", params(BillQuery),
    responses((status = 422, body = ApiErrorDoc, description = "consumer number invalid"), (status = 502, body = ApiErrorDoc, description = "biller.unavailable"), (status = 200, body = BillResponse), (status = 404, body = ApiErrorDoc)), security(("bearer" = []), ("device" = [])))]
pub(super) async fn fetch_bill(
    State(s): State<Shared>,
    a: Authed<AnyCaller>,
) -> R<axum::Json<BillResponse>> {
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

pub(super) async fn duplicate_of(
    s: &AppState,
    service: &str,
    consumer: &str,
) -> R<Option<DuplicateInfo>> {
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
pub(super) async fn duplicates(
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
pub(super) async fn ledger(
    State(s): State<Shared>,
    a: Authed<AnyCaller>,
) -> R<axum::Json<LedgerResponse>> {
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
pub(super) async fn reconcile_txn(
    State(s): State<Shared>,
    a: Authed<AnyCaller>,
) -> R<axum::Json<TxnStatus>> {
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
pub(super) async fn reconcile_day(
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
pub(super) async fn create_ticket(
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
pub(super) async fn list_tickets(
    State(s): State<Shared>,
    a: Authed<AnyCaller>,
) -> R<axum::Json<Vec<Ticket>>> {
    let Authed { caller: c, .. } = a;
    Ok(axum::Json(s.store.tickets(Some(c.kiosk_id)).await?))
}

#[utoipa::path(get, path = "/v1/tickets/{id}", params(("id" = Uuid, Path)), responses((status = 404, body = ApiErrorDoc, description = "not_found: no such ticket at this kiosk"), (status = 200, body = Ticket)), security(("bearer" = []), ("device" = [])))]
pub(super) async fn get_ticket(
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
