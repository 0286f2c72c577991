//! The counter's cart, kept in the kiosk database so that a reload of the
//! window, a crash of the app or a power cut loses no line, and Pay, which
//! makes one receipt per cart whatever is pressed twice.
//!
//! Crash safety of Pay: the draft is saved with `pay_pressed` before the
//! commit; the commit (one transaction in the core) gives the receipt the
//! cart's id; only then is a new empty draft saved. At the next start a
//! pressed draft whose id names a receipt was paid (once: the receipts'
//! primary key refuses a second); one whose id names none was not paid,
//! and its lines are still there.

use chrono::{DateTime, Utc};
use kiosk_core::{Committed, CoreError, Draft, Kiosk, Reach};
use kiosk_store::rusqlite::{OptionalExtension, params};
use kiosk_store::ts;
use serde::{Deserialize, Serialize};

use crate::api::Recovery;
use crate::error::{AppError, Result};

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Stored {
    draft: Draft,
    #[serde(default)]
    pay_pressed: bool,
    /// The receipt the previous cart became, until this cart is touched:
    /// a restart right after Pay still says the payment was made.
    #[serde(default)]
    last_paid: Option<String>,
}

fn read(k: &Kiosk) -> Result<Option<Stored>> {
    let body: Option<String> = k
        .store()
        .conn()
        .query_row("SELECT body FROM counter_draft WHERE slot = 1", [], |r| {
            r.get(0)
        })
        .optional()
        .map_err(kiosk_store::StoreError::from)?;
    Ok(body.and_then(|b| serde_json::from_str(&b).ok()))
}

fn write(k: &mut Kiosk, s: &Stored, now: DateTime<Utc>) -> Result<()> {
    let body = serde_json::to_string(s).expect("a draft serialises");
    let id = s.draft.id.to_string();
    k.store_mut().write(|tx| -> Result<()> {
        tx.execute(
            "INSERT INTO counter_draft (slot, cart_id, body, updated_at) VALUES (1, ?1, ?2, ?3)
             ON CONFLICT (slot) DO UPDATE SET cart_id = ?1, body = ?2, updated_at = ?3",
            params![id, body, ts(now)],
        )
        .map_err(kiosk_store::StoreError::from)?;
        Ok(())
    })
}

/// The cart in progress (a new empty one when there is none).
pub fn load(k: &mut Kiosk) -> Result<Draft> {
    match read(k)? {
        Some(s) if !s.draft.id.is_nil() => Ok(s.draft),
        _ => {
            let d = k.start_cart();
            save(k, &d)?;
            Ok(d)
        }
    }
}

pub fn save(k: &mut Kiosk, d: &Draft) -> Result<()> {
    let now = k.clock().now();
    write(
        k,
        &Stored {
            draft: d.clone(),
            pay_pressed: false,
            last_paid: None,
        },
        now,
    )
}

/// Starts a new empty cart in place of the current one.
pub fn clear(k: &mut Kiosk) -> Result<Draft> {
    let d = k.start_cart();
    save(k, &d)?;
    Ok(d)
}

/// At start: what became of a Pay pressed just before the app stopped.
/// Clears the mark (and the cart, when it was paid).
pub fn recover(k: &mut Kiosk) -> Result<Option<Recovery>> {
    let Some(s) = read(k)? else { return Ok(None) };
    if let Some(id) = s.last_paid.as_deref().filter(|_| !s.pay_pressed) {
        let no = receipt_no_of(k, id)?;
        save(k, &s.draft)?;
        return Ok(no.map(|n| Recovery {
            cart_id: id.to_string(),
            paid: true,
            receipt_no: Some(n),
        }));
    }
    if !s.pay_pressed {
        return Ok(None);
    }
    let id = s.draft.id.to_string();
    let paid = receipt_no_of(k, &id)?;
    match &paid {
        Some(_) => {
            clear(k)?;
        }
        None => save(k, &s.draft)?,
    }
    Ok(Some(Recovery {
        cart_id: id,
        paid: paid.is_some(),
        receipt_no: paid,
    }))
}

pub(crate) fn receipt_no_of(k: &Kiosk, receipt_id: &str) -> Result<Option<String>> {
    k.store()
        .conn()
        .query_row(
            "SELECT receipt_no FROM receipts WHERE id = ?1",
            [receipt_id],
            |r| r.get(0),
        )
        .optional()
        .map_err(|e| kiosk_store::StoreError::from(e).into())
}

/// Marks the draft as being paid, before the commit (see the module docs).
pub fn press(k: &mut Kiosk, d: &Draft) -> Result<()> {
    let now = k.clock().now();
    write(
        k,
        &Stored {
            draft: d.clone(),
            pay_pressed: true,
            last_paid: None,
        },
        now,
    )
}

/// Pays the counter's draft; `reach` says whether the centre answers now
/// (an online-only line is refused otherwise). Returns the commit, or
/// `Err(payment.already_paid)` when this cart made a receipt before.
pub fn pay(
    k: &mut Kiosk,
    d: &Draft,
    operator: &str,
    confirm_duplicate: bool,
    reach: Reach,
) -> Result<Committed> {
    press(k, d)?;
    match k.commit_payment_with_reach(d, operator, confirm_duplicate, reach) {
        Ok(c) => {
            let next = k.start_cart();
            let now = k.clock().now();
            write(
                k,
                &Stored {
                    draft: next,
                    pay_pressed: false,
                    last_paid: Some(c.receipt_id.to_string()),
                },
                now,
            )?;
            Ok(c)
        }
        Err(CoreError::CartAlreadyPaid(no)) => {
            clear(k)?;
            Err(CoreError::CartAlreadyPaid(no).into())
        }
        Err(e) => {
            // Refused: nothing was paid; the cart stays as it was.
            save(k, d)?;
            Err(AppError::from(e))
        }
    }
}
