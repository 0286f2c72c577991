//! The store: notifications.

use super::*;

/// How long a claimed message is this process's to send (well above the
/// gateway's 15 s time-out); a process that dies holding it leaves it to
/// the others after that.
pub const CLAIM_MS: i64 = 120_000;

/// How long a held message (its text in one process's memory) may wait.
pub const HELD_TTL_MS: i64 = 15 * 60_000;

impl Store {
    pub async fn due_notifications(&self, limit: i64) -> SResult<Vec<Notification>> {
        let now = self.now_ms();
        let mut tx = self.db.begin_read().await?;
        let rows = tx
            .query(
                "SELECT id, txn_id, channel, recipient, subject, body, status, attempts, next_attempt_ms, last_error FROM notifications
                 WHERE status = 'queued' AND next_attempt_ms <= $1 ORDER BY next_attempt_ms LIMIT $2",
                &params![now, limit],
            )
            .await?;
        rows.iter().map(notification_from).collect()
    }

    /// Takes due messages for this process to send, so that several
    /// centre instances over one database never send one twice: each row
    /// is pushed `CLAIM_MS` into the future in the same statement that
    /// picks it (the outer condition is checked again on a row another
    /// instance changed meanwhile, so only one of them gets it). Messages
    /// whose text is held in memory are taken only by the process that
    /// holds it.
    pub async fn claim_due_notifications(&self, limit: i64) -> SResult<Vec<Notification>> {
        const COLS: &str = "id, txn_id, channel, recipient, subject, body, status, attempts, next_attempt_ms, last_error";
        let now = self.now_ms();
        let lease = now + CLAIM_MS;
        let mine: Vec<Uuid> = self.held.lock().unwrap().keys().copied().collect();
        in_tx!(self.db, |tx| {
            let mut out = Vec::new();
            for id in mine {
                let rows = tx
                    .query(
                        &format!(
                            "UPDATE notifications SET next_attempt_ms = $1
                              WHERE id = $2 AND status = 'queued' AND next_attempt_ms <= $3
                             RETURNING {COLS}"
                        ),
                        &params![lease, id, now],
                    )
                    .await?;
                for r in &rows {
                    out.push(notification_from(r)?);
                }
            }
            let rows = tx
                .query(
                    &format!(
                        "UPDATE notifications SET next_attempt_ms = $1
                          WHERE status = 'queued' AND next_attempt_ms <= $2 AND subject <> $3
                            AND id IN (SELECT id FROM notifications
                                        WHERE status = 'queued' AND next_attempt_ms <= $2 AND subject <> $3
                                        ORDER BY next_attempt_ms LIMIT $4)
                         RETURNING {COLS}"
                    ),
                    &params![lease, now, HELD_SUBJECT, limit],
                )
                .await?;
            for r in &rows {
                out.push(notification_from(r)?);
            }
            Ok(out)
        })
    }

    /// Held messages no process sent within [`HELD_TTL_MS`] are given up:
    /// the process that had the text has stopped (no other can send it),
    /// and what it carried (a first password, a reset code) is stale.
    pub async fn expire_held_notifications(&self) -> SResult<u64> {
        let before = self.now_ms() - HELD_TTL_MS;
        let n = in_tx!(self.db, |tx| {
            Ok(tx
                .exec(
                    "UPDATE notifications SET status = 'expired', last_error = 'its text was not kept: the server that had it stopped'
                      WHERE status = 'queued' AND subject = $1 AND created_ms < $2",
                    &params![HELD_SUBJECT, before],
                )
                .await?)
        })?;
        Ok(n)
    }

    pub async fn notifications_for_txn(&self, txn_id: i64) -> SResult<Vec<Notification>> {
        let mut tx = self.db.begin_read().await?;
        let rows = tx
            .query(
                "SELECT id, txn_id, channel, recipient, subject, body, status, attempts, next_attempt_ms, last_error FROM notifications WHERE txn_id = $1 ORDER BY channel",
                &params![txn_id],
            )
            .await?;
        rows.iter().map(notification_from).collect()
    }

    pub async fn mark_notification_sent(&self, id: Uuid) -> SResult<()> {
        let now = self.now_ms();
        in_tx!(self.db, |tx| {
            tx.exec(
                "UPDATE notifications SET status = 'sent', attempts = attempts + 1, sent_ms = $1, last_error = NULL WHERE id = $2",
                &params![now, id],
            )
            .await?;
            Ok(())
        })
    }

    /// A failed attempt: the message stays queued for `next_attempt_ms`.
    pub async fn mark_notification_failed(
        &self,
        id: Uuid,
        error: &str,
        next_attempt_ms: i64,
    ) -> SResult<()> {
        let error: String = error.chars().take(500).collect();
        in_tx!(self.db, |tx| {
            tx.exec(
                "UPDATE notifications SET attempts = attempts + 1, last_error = $1, next_attempt_ms = $2 WHERE id = $3",
                &params![error, next_attempt_ms, id],
            )
            .await?;
            Ok(())
        })
    }

    /// Queues a message whose text holds a secret: the row keeps `stored`
    /// (without it), the text to send lives in this process only. A server
    /// started again cannot send it; the message then expires.
    pub async fn queue_held_notification(
        &self,
        channel: &str,
        recipient: &str,
        stored: &str,
        text: &str,
    ) -> SResult<Uuid> {
        let id = self
            .queue_notification(channel, recipient, HELD_SUBJECT, stored)
            .await?;
        self.held.lock().unwrap().insert(id, text.to_string());
        Ok(id)
    }

    /// The text to send for a held message, if this process has it.
    pub fn held_text(&self, id: Uuid) -> Option<String> {
        self.held.lock().unwrap().get(&id).cloned()
    }

    pub fn forget_held(&self, id: Uuid) {
        self.held.lock().unwrap().remove(&id);
    }

    /// Messages still queued that were made before `before_ms` are given up
    /// (`expired`): a receipt SMS days late helps no one, and no gateway
    /// must mean retries forever. Returns how many.
    pub async fn expire_notifications(&self, before_ms: i64) -> SResult<u64> {
        let n = in_tx!(self.db, |tx| {
            Ok(tx
                .exec(
                    "UPDATE notifications SET status = 'expired', last_error = 'not delivered in time' WHERE status = 'queued' AND created_ms < $1",
                    &params![before_ms],
                )
                .await?)
        })?;
        Ok(n)
    }

    /// Gives one message up.
    pub async fn mark_notification_expired(&self, id: Uuid, why: &str) -> SResult<()> {
        in_tx!(self.db, |tx| {
            tx.exec(
                "UPDATE notifications SET status = 'expired', last_error = $1 WHERE id = $2",
                &params![why, id],
            )
            .await?;
            Ok(())
        })
    }

    /// Every stored message text (for checks that nothing secret is kept).
    pub async fn all_notification_bodies(&self) -> SResult<Vec<String>> {
        let mut tx = self.db.begin_read().await?;
        let rows = tx.query("SELECT body FROM notifications", &[]).await?;
        rows.iter().map(|r| Ok(r.text(0)?)).collect()
    }

    /// Queues a message outside a payment.
    pub async fn queue_notification(
        &self,
        channel: &str,
        recipient: &str,
        subject: &str,
        body: &str,
    ) -> SResult<Uuid> {
        let id = domain::new_id(&*self.clock);
        let now = self.now_ms();
        in_tx!(self.db, |tx| {
            tx.exec(
                "INSERT INTO notifications (id, txn_id, channel, recipient, subject, body, status, attempts, next_attempt_ms, created_ms) VALUES ($1,$2,$3,$4,$5,$6,'queued',0,$7,$8)",
                &params![id, 0i64, channel, recipient, subject, body, now, now],
            )
            .await?;
            Ok(id)
        })
    }
}
