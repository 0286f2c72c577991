//! Registration glue: the centre names the device when it registers the
//! device's public key, and the kiosk adopts that id for its outbox
//! ([`kiosk_core::Kiosk::assign_device`]). Only in an initialised kiosk
//! database and only before the first entry: the id is part of every
//! chained hash.

use std::path::Path;
use std::sync::Arc;

use domain::SystemClock;
use kiosk_core::Kiosk;
use kiosk_store::set_setting;
use uuid::Uuid;

use crate::error::{Result, SyncError};

/// Sets the outbox device id of the kiosk database at `db` to `id`.
/// Refused for a missing (`store.not_found`) or uninitialised
/// (`kiosk.not_initialised`) database, and once the outbox has an entry
/// (`kiosk.device_id_fixed`).
pub fn adopt_device_id(db: &Path, id: Uuid) -> Result<()> {
    let mut k = Kiosk::open_existing(db, Arc::new(SystemClock))?;
    let no = k.identity().device_no.get();
    k.assign_device(id, no)?;
    Ok(())
}

/// How registration may reach the centre.
#[derive(Debug, Clone, Default)]
pub struct RegisterOptions {
    /// Send the holder's password over plain `http://` to a host that is
    /// not this machine (a test centre on a closed network). Off: refused
    /// with `sync.insecure_url`.
    pub allow_insecure_http: bool,
    /// The HTTP proxy configured for this kiosk (remembered for sync);
    /// `None`: direct, whatever the environment says.
    pub proxy: Option<String>,
}

/// Whether `url` would carry a password in clear over a network: plain
/// `http://` to anything but a loopback address or `localhost`.
pub fn sends_password_in_clear(url: &str) -> Result<bool> {
    let u = reqwest::Url::parse(url.trim())
        .map_err(|e| SyncError::Config(format!("server address {url:?}: {e}")))?;
    match u.scheme() {
        "https" => Ok(false),
        "http" => {
            let host = u.host_str().unwrap_or("");
            let ip = host.trim_start_matches('[').trim_end_matches(']');
            Ok(match ip.parse::<std::net::IpAddr>() {
                Ok(a) => !a.is_loopback(),
                Err(_) => {
                    let h = host.to_ascii_lowercase();
                    h != "localhost" && !h.ends_with(".localhost")
                }
            })
        }
        other => Err(SyncError::Config(format!(
            "server address {url:?}: scheme {other:?} (use https://)"
        ))),
    }
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
///
/// Refused before anything is sent: a database that is missing or has no
/// kiosk yet (run `init` first), one whose outbox has entries, and plain
/// `http://` to another host (the password would cross the network in
/// clear; see [`register_with`] for a test centre).
pub async fn register(
    db: &Path,
    server: &str,
    login: &str,
    password: &str,
    label: &str,
) -> Result<Registered> {
    register_with(
        db,
        server,
        login,
        password,
        label,
        &RegisterOptions::default(),
    )
    .await
}

/// [`register`] with explicit options.
pub async fn register_with(
    db: &Path,
    server: &str,
    login: &str,
    password: &str,
    label: &str,
    opts: &RegisterOptions,
) -> Result<Registered> {
    use base64::Engine as _;
    let base = server.trim().trim_end_matches('/');
    if sends_password_in_clear(base)? && !opts.allow_insecure_http {
        return Err(SyncError::InsecureUrl(base.to_string()));
    }
    let proxy = opts
        .proxy
        .as_deref()
        .map(str::trim)
        .filter(|p| !p.is_empty());
    let client = crate::transport::client_builder(proxy)?
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
    // Refuse early, before the centre binds anything: the database must
    // exist, hold an initialised kiosk (whose device id `init` made) and
    // have no outbox entry yet. Registering first and initialising after
    // would use up the holder's device slot under an id `init` replaces.
    Kiosk::open_existing(db, Arc::new(SystemClock))?.check_device_assignable()?;
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
    let mut kiosk = Kiosk::open_existing(db, Arc::new(SystemClock))?;
    kiosk.assign_device(device_id, device_no)?;
    kiosk.store_mut().write(|tx| -> Result<()> {
        set_setting(tx, crate::cli::SERVER_URL_KEY, base)?;
        match proxy {
            Some(p) => set_setting(tx, crate::transport::PROXY_URL_KEY, p)?,
            None => {
                tx.execute(
                    "DELETE FROM settings WHERE key = ?1",
                    [crate::transport::PROXY_URL_KEY],
                )
                .map_err(kiosk_store::StoreError::from)?;
            }
        }
        Ok(())
    })?;
    Ok(Registered {
        device_id,
        device_no,
        public_key_hex: key.public_hex(),
        warnings: ring.store().warnings(),
    })
}

#[cfg(test)]
mod tests {
    use super::sends_password_in_clear as clear;

    #[test]
    fn only_plain_http_to_another_host_sends_the_password_in_clear() {
        for u in [
            "https://centre.example.in",
            "https://10.0.0.5:8443/",
            "http://127.0.0.1:8080",
            "http://127.9.9.9",
            "http://[::1]:8080",
            "http://localhost:8080",
            "http://LOCALHOST",
            "http://centre.localhost",
        ] {
            assert!(!clear(u).unwrap(), "{u}");
        }
        for u in [
            "http://10.0.0.5:8080",
            "http://centre.example.in",
            "http://[2001:db8::1]",
            "http://0.0.0.0:1",
            "http://localhost.example.in",
        ] {
            assert!(clear(u).unwrap(), "{u}");
        }
        assert!(clear("ftp://centre").is_err());
        assert!(clear("centre.example.in").is_err());
    }
}
