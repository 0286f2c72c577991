//! The way back for a kiosk whose centre lost its registration (the
//! centre's data restored from a backup older than the device): every
//! sync is refused with `auth.unknown_device`, and registering again is
//! refused because the outbox holds entries. The kiosk raises the
//! `sync.device_unknown` alert and makes a re-admission request signed by
//! its device key; the centre's administrator runs
//! `kiosk-server admin readmit-device` with it, and the next sync sends
//! every entry again (the centre-restored path takes over from there).

use chrono::{DateTime, Utc};
use kiosk_core::Kiosk;
use protocol::ReadmitRequest;

use crate::error::Result;
use crate::keys::DeviceKey;

/// The request for this kiosk, signed with its device key.
pub fn request(kiosk: &Kiosk, key: &DeviceKey, now: DateTime<Utc>) -> Result<ReadmitRequest> {
    use base64::Engine as _;
    let id = kiosk.identity();
    let q = kiosk.queue_stats()?;
    Ok(ReadmitRequest {
        device_id: id.device_id,
        kiosk_code: id.kiosk_code.as_str().to_string(),
        device_no: id.device_no.get(),
        public_key: base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(key.public().to_bytes()),
        last_seq: q.last_seq,
        made_at_ms: now.timestamp_millis(),
        signature: String::new(),
    }
    .sign(key.signing_key()))
}

/// Whether this error means the centre does not know the device.
pub fn is_unknown_device(e: &crate::SyncError) -> bool {
    matches!(e, crate::SyncError::Server { code, .. } if code == protocol::codes::AUTH_UNKNOWN_DEVICE)
}
