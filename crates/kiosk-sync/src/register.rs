//! Registration glue: the centre names the device when it registers the
//! device's public key, and the kiosk adopts that id for its outbox. Only
//! before the first entry: the id is part of every chained hash.

use std::path::Path;

use kiosk_store::{Store, set_setting};
use uuid::Uuid;

use crate::error::{Result, SyncError};

/// Sets the outbox device id of the kiosk database at `db` to `id`.
/// Refused (`sync.config`) once the outbox has an entry.
pub fn adopt_device_id(db: &Path, id: Uuid) -> Result<()> {
    let mut store = Store::open(db)?;
    store.write(|tx| -> Result<()> {
        let n: i64 = tx
            .query_row("SELECT COUNT(*) FROM outbox", [], |r| r.get(0))
            .map_err(kiosk_store::StoreError::from)?;
        if n > 0 {
            return Err(SyncError::Config(format!(
                "the outbox already has {n} entries under the old device id"
            )));
        }
        set_setting(tx, "device_id", &id.to_string())?;
        Ok(())
    })
}

/// What registration settled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registered {
    pub device_id: Uuid,
    pub device_no: u16,
    pub public_key_hex: String,
    /// E.g. `keys.not_persistent` when the key will not survive a restart.
    pub warnings: Vec<crate::status::Warning>,
}

/// Registers this kiosk database as a device with the centre (online,
/// once): the holder logs in, the device makes an ed25519 key, the centre
/// records the public half and names the device; the private key goes to
/// the OS keyring, the id and number to the kiosk's settings.
pub async fn register(
    db: &Path,
    server: &str,
    login: &str,
    password: &str,
    label: &str,
) -> Result<Registered> {
    use base64::Engine as _;
    let base = server.trim_end_matches('/');
    let client = reqwest::Client::builder()
        .use_rustls_tls()
        .timeout(std::time::Duration::from_secs(60))
        .build()
        .map_err(|e| SyncError::Config(format!("http client: {e}")))?;
    let post_json = |path: &str, token: Option<&str>, body: serde_json::Value| {
        let mut rq = client
            .post(format!("{base}{path}"))
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body.to_string());
        if let Some(t) = token {
            rq = rq.bearer_auth(t);
        }
        async move {
            let resp = rq
                .send()
                .await
                .map_err(|e| SyncError::Offline(e.to_string()))?;
            let status = resp.status();
            let bytes = resp
                .bytes()
                .await
                .map_err(|e| SyncError::Offline(e.to_string()))?;
            if !status.is_success() {
                let e: protocol::ApiError =
                    serde_json::from_slice(&bytes).unwrap_or(protocol::ApiError {
                        code: format!("http.{}", status.as_u16()),
                        message: String::from_utf8_lossy(&bytes).chars().take(200).collect(),
                        expected_seq: None,
                    });
                return Err(SyncError::Server {
                    status: status.as_u16(),
                    code: e.code,
                    message: e.message,
                    expected_seq: None,
                });
            }
            serde_json::from_slice::<serde_json::Value>(&bytes)
                .map_err(|e| SyncError::Protocol(e.to_string()))
        }
    };
    // Refuse early, before the centre binds anything, if the outbox is not empty.
    {
        let store = Store::open(db)?;
        let n: i64 = store
            .conn()
            .query_row("SELECT COUNT(*) FROM outbox", [], |r| r.get(0))
            .map_err(kiosk_store::StoreError::from)?;
        if n > 0 {
            return Err(SyncError::Config(
                "this kiosk database already has outbox entries".into(),
            ));
        }
    }
    let li = post_json(
        "/v1/auth/login",
        None,
        serde_json::json!({ "login": login, "password": password }),
    )
    .await?;
    let token = li["token"]
        .as_str()
        .ok_or_else(|| SyncError::Protocol("login answer has no token".into()))?
        .to_string();
    let key = crate::keys::DeviceKey::generate(Uuid::nil())?;
    let pk = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(key.public().to_bytes());
    let d = post_json(
        "/v1/devices",
        Some(&token),
        serde_json::json!({ "public_key": pk, "label": label }),
    )
    .await?;
    let device_id: Uuid = d["device_id"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| SyncError::Protocol("device answer has no device_id".into()))?;
    let device_no = d["device_no"].as_u64().unwrap_or(1) as u16;
    let key = key.with_device_id(device_id);
    let ring = crate::keys::Keyring::for_device(device_id)?;
    ring.save(&key)?;
    adopt_device_id(db, device_id)?;
    let mut store = Store::open(db)?;
    store.write(|tx| -> Result<()> {
        set_setting(tx, "device_no", &device_no.to_string())?;
        set_setting(tx, crate::cli::SERVER_URL_KEY, base)?;
        Ok(())
    })?;
    Ok(Registered {
        device_id,
        device_no,
        public_key_hex: key.public_hex(),
        warnings: ring.store().warnings(),
    })
}
