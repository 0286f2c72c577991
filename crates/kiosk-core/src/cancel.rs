//! Cancelling a receipt: an outbox entry with the reason, in one transaction
//! with the status change and the release of the wallet hold.

use crate::pay::{append_entry, check_operator};
use crate::{CoreError, Kiosk, Result};
use chrono::{DateTime, Utc};
use kiosk_store::rusqlite::{OptionalExtension, params};
use kiosk_store::ts;
use protocol::{CancelPayload, EntryKind};
use serde::Serialize;
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Cancelled {
    pub receipt_id: Uuid,
    pub receipt_no: String,
    pub outbox_seq: u64,
    pub cancelled_at: DateTime<Utc>,
    /// True when the payment had not reached the centre yet, so its wallet
    /// hold was released at once; otherwise the centre reverses the debit.
    pub hold_released: bool,
}

impl Kiosk {
    /// Cancels a receipt by its local receipt number (or its id).
    pub fn cancel_receipt(
        &mut self,
        receipt: &str,
        operator: &str,
        reason: &str,
    ) -> Result<Cancelled> {
        let reason = domain::error::clean_text("cancel_reason", reason, 200)?;
        if reason.is_empty() {
            return Err(CoreError::CancelReasonRequired);
        }
        let key = receipt.trim().to_string();
        let now = self.now();
        let device_id = self.identity.device_id;
        let entry_id = domain::new_id(self.clock.as_ref());
        self.store.write(|tx| -> Result<Cancelled> {
            check_operator(tx, operator)?;
            let row: Option<(String, String, String, bool)> = tx
                .query_row(
                    "SELECT id, receipt_no, status, rejected FROM receipts WHERE receipt_no = ?1 OR id = ?1",
                    [&key],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
                )
                .optional()?;
            let Some((id, receipt_no, status, rejected)) = row else {
                return Err(CoreError::ReceiptNotFound(key.chars().take(40).collect()));
            };
            if status == "cancelled" {
                return Err(CoreError::ReceiptAlreadyCancelled(receipt_no));
            }
            if rejected {
                return Err(CoreError::ReceiptRejected(receipt_no));
            }
            let receipt_id: Uuid = id
                .parse()
                .map_err(|_| kiosk_store::StoreError::Invalid(format!("receipt id {id:?}")))?;
            let payload = CancelPayload {
                receipt_id,
                receipt_no: receipt_no.clone(),
                operator: operator.to_string(),
                reason: reason.clone(),
            };
            let (seq, _) = append_entry(
                tx,
                device_id,
                entry_id,
                EntryKind::Cancellation,
                payload.encode(),
                now,
                Some(receipt_id),
            )?;
            tx.execute(
                "UPDATE receipts SET status = 'cancelled', cancelled_at = ?2, cancelled_by = ?3, cancel_reason = ?4
                  WHERE id = ?1",
                params![id, ts(now), operator, reason],
            )?;
            let released = tx.execute(
                "UPDATE wallet_holds SET state = 'released', updated_at = ?2 WHERE receipt_id = ?1 AND state = 'held'",
                params![id, ts(now)],
            )?;
            Ok(Cancelled {
                receipt_id,
                receipt_no,
                outbox_seq: seq,
                cancelled_at: now,
                hold_released: released > 0,
            })
        })
    }
}
