//! The store: notifications.

use super::*;

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
