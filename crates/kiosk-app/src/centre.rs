//! The few calls the counter makes to the centre itself (the sync engine
//! makes the rest): operator login, password change, the kiosk's record,
//! Get Bill Details. Every call has a time-out; a link failure is
//! [`AppError::Offline`], a refusal the centre's own code.

use std::time::Duration;

use protocol::ApiError as WireApiError;
use protocol::json::{
    BillResponse, ChangePasswordRequest, ForgotRequest, ForgotResponse, KioskInfo, LoginRequest,
    LoginResponse, ResetRequest,
};
use protocol::wire::sign_request;

use crate::error::{AppError, Result};

/// Long enough for a login over 2G, short enough that the offline path
/// is taken while the operator still waits.
const TIMEOUT: Duration = Duration::from_secs(20);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(8);

#[derive(Clone)]
pub struct Centre {
    base: String,
    http: reqwest::Client,
}

impl Centre {
    pub fn new(base: &str) -> Result<Centre> {
        let base = base.trim().trim_end_matches('/').to_string();
        let url = reqwest::Url::parse(&base).map_err(|e| AppError::UrlInvalid(e.to_string()))?;
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
            return Err(AppError::UrlInvalid(base));
        }
        let http = reqwest::Client::builder()
            .use_rustls_tls()
            // The kiosk talks to its centre directly; a proxy from the
            // environment would silently redirect the holder's password.
            .no_proxy()
            .timeout(TIMEOUT)
            .connect_timeout(CONNECT_TIMEOUT)
            .build()
            .map_err(|e| AppError::Internal(format!("http client: {e}")))?;
        Ok(Centre { base, http })
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    pub async fn login(&self, login: &str, password: &str) -> Result<LoginResponse> {
        let body = LoginRequest {
            login: login.to_string(),
            password: password.to_string(),
        };
        let rq = self
            .http
            .post(format!("{}/v1/auth/login", self.base))
            .json(&body);
        answer(rq).await
    }

    pub async fn change_password(
        &self,
        token: &str,
        old: &str,
        new: &str,
    ) -> Result<LoginResponse> {
        let body = ChangePasswordRequest {
            old_password: old.to_string(),
            new_password: new.to_string(),
        };
        let rq = self
            .http
            .post(format!("{}/v1/auth/password", self.base))
            .bearer_auth(token)
            .json(&body);
        answer(rq).await
    }

    /// Asks for a password reset code by SMS (the centre answers alike
    /// for every login).
    pub async fn forgot_password(&self, login: &str) -> Result<ForgotResponse> {
        let rq = self
            .http
            .post(format!("{}/v1/auth/forgot", self.base))
            .json(&ForgotRequest {
                login: login.to_string(),
            });
        answer(rq).await
    }

    /// Sets a new password with the code from the SMS.
    pub async fn reset_password(&self, login: &str, otp: &str, new: &str) -> Result<()> {
        let rq = self
            .http
            .post(format!("{}/v1/auth/reset", self.base))
            .json(&ResetRequest {
                login: login.to_string(),
                otp: otp.to_string(),
                new_password: new.to_string(),
            });
        answer_empty(rq).await
    }

    /// Frees the holder's SSO ID from this device (holder's token).
    pub async fn deregister_device(&self, token: &str, device_id: uuid::Uuid) -> Result<()> {
        let rq = self
            .http
            .delete(format!("{}/v1/devices/{device_id}", self.base))
            .bearer_auth(token);
        answer_empty(rq).await
    }

    pub async fn kiosk_info(&self, token: &str) -> Result<KioskInfo> {
        let rq = self
            .http
            .get(format!("{}/v1/kiosk", self.base))
            .bearer_auth(token);
        answer(rq).await
    }

    /// Get Bill Details, signed with the device key (no token needed, so
    /// an operator who logged in offline can fetch once the link is back).
    pub async fn fetch_bill(
        &self,
        key: &kiosk_sync::keys::DeviceKey,
        service: &str,
        consumer_no: &str,
    ) -> Result<BillResponse> {
        self.signed_get(
            key,
            "/v1/bills",
            &[("service", service), ("consumer_no", consumer_no)],
        )
        .await
    }

    /// What the centre recorded for one entry of this device (Verify).
    /// `None` when it has no such transaction (not received yet).
    pub async fn txn_status(
        &self,
        key: &kiosk_sync::keys::DeviceKey,
        entry_id: &str,
    ) -> Result<Option<crate::office::TxnStatus>> {
        match self
            .signed_get(key, "/v1/reconcile/txn", &[("entry_id", entry_id)])
            .await
        {
            Ok(t) => Ok(Some(t)),
            Err(AppError::Centre { code, .. }) if code == protocol::codes::NOT_FOUND => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Every transaction of this kiosk the centre received on an IST day.
    pub async fn txns_of_day(
        &self,
        key: &kiosk_sync::keys::DeviceKey,
        date: &str,
    ) -> Result<Vec<crate::office::TxnStatus>> {
        self.signed_get(key, "/v1/reconcile/day", &[("date", date)])
            .await
    }

    async fn signed_get<T: serde::de::DeserializeOwned>(
        &self,
        key: &kiosk_sync::keys::DeviceKey,
        path: &str,
        query: &[(&str, &str)],
    ) -> Result<T> {
        let mut url = reqwest::Url::parse(&format!("{}{path}", self.base))
            .map_err(|e| AppError::UrlInvalid(e.to_string()))?;
        {
            let mut q = url.query_pairs_mut();
            for (k, v) in query {
                q.append_pair(k, v);
            }
        }
        let path = match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_string(),
        };
        let sig = sign_request(key.signing_key(), key.device_id, "GET", &path, &[]);
        let rq = self
            .http
            .get(url)
            .header(protocol::wire::HEADER_DEVICE, key.device_id.to_string())
            .header(protocol::wire::HEADER_SIGNATURE, sig);
        answer(rq).await
    }
}

async fn answer<T: serde::de::DeserializeOwned>(rq: reqwest::RequestBuilder) -> Result<T> {
    let bytes = answer_bytes(rq).await?;
    serde_json::from_slice(&bytes).map_err(|e| AppError::Centre {
        code: "centre.bad_answer".into(),
        message: format!("the centre's answer could not be read: {e}"),
    })
}

/// A success without a body (204), or the centre's refusal.
async fn answer_empty(rq: reqwest::RequestBuilder) -> Result<()> {
    answer_bytes(rq).await.map(drop)
}

async fn answer_bytes(rq: reqwest::RequestBuilder) -> Result<Vec<u8>> {
    let resp = rq
        .send()
        .await
        .map_err(|e| AppError::Offline(e.to_string()))?;
    let status = resp.status();
    let bytes = resp
        .bytes()
        .await
        .map_err(|e| AppError::Offline(e.to_string()))?;
    if status.is_success() {
        return Ok(bytes.to_vec());
    }
    Err(match serde_json::from_slice::<WireApiError>(&bytes) {
        Ok(e) => AppError::Centre {
            code: e.code,
            message: e.message,
        },
        Err(_) => AppError::Centre {
            code: format!("http.{}", status.as_u16()),
            message: String::from_utf8_lossy(&bytes).chars().take(200).collect(),
        },
    })
}
