//! Alerts: things the operator must see and act on that are not one
//! request's error — the centre went back in time (restored from a
//! backup), the centre's answer for receipts changed, the kiosk clock is
//! wrong, the local chain is broken. Kept in the kiosk database (so they
//! outlive the process and reach every reader of the status) until the
//! condition clears or the operator acknowledges them. Codes are stable
//! and listed in [`protocol::codes`].

use chrono::{DateTime, Utc};
use kiosk_core::Kiosk;
use kiosk_store::{get_setting, set_setting};
use serde::{Deserialize, Serialize};

use crate::error::Result;

const ALERTS_KEY: &str = "sync.alerts";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Alert {
    /// Stable dotted code, e.g. `sync.centre_restored`.
    pub code: String,
    /// English detail (the app shows the translation of the code).
    pub message: String,
    /// When it was first raised.
    pub since: DateTime<Utc>,
    /// When it was last confirmed.
    pub at: DateTime<Utc>,
}

/// The alerts held now, oldest first.
pub fn load(kiosk: &Kiosk) -> Vec<Alert> {
    get_setting(kiosk.store().conn(), ALERTS_KEY)
        .ok()
        .flatten()
        .and_then(|s| serde_json::from_str(&s).ok())
        .unwrap_or_default()
}

fn save(kiosk: &mut Kiosk, all: &[Alert]) -> Result<()> {
    let json = serde_json::to_string(all).expect("alerts serialise");
    kiosk
        .store_mut()
        .write(|tx| set_setting(tx, ALERTS_KEY, &json))?;
    Ok(())
}

/// Raises (or refreshes the message of) the alert `code`.
pub fn raise(kiosk: &mut Kiosk, code: &str, message: String, now: DateTime<Utc>) -> Result<()> {
    let mut all = load(kiosk);
    match all.iter_mut().find(|a| a.code == code) {
        Some(a) => {
            if a.message == message {
                return Ok(());
            }
            a.message = message;
            a.at = now;
        }
        None => all.push(Alert {
            code: code.to_string(),
            message,
            since: now,
            at: now,
        }),
    }
    save(kiosk, &all)
}

/// Clears the alert `code`; true when it was raised.
pub fn clear(kiosk: &mut Kiosk, code: &str) -> Result<bool> {
    let mut all = load(kiosk);
    let before = all.len();
    all.retain(|a| a.code != code);
    if all.len() == before {
        return Ok(false);
    }
    save(kiosk, &all)?;
    Ok(true)
}
