//! The store: tickets.

use super::*;

impl Store {
    pub async fn create_ticket(
        &self,
        kiosk: Uuid,
        raised_by: &str,
        subject: &str,
        body: &str,
    ) -> SResult<Uuid> {
        let id = domain::new_id(&*self.clock);
        let now = self.now_ms();
        in_tx!(self.db, |tx| {
            insert_ticket(
                &mut *tx,
                id,
                kiosk,
                raised_by,
                subject,
                body,
                &TicketExtra::default(),
                now,
            )
            .await?;
            Ok(id)
        })
    }

    /// A ticket with the caller's own id: a repeat of the same id at the
    /// same kiosk answers the first ticket (false: not new); at another
    /// kiosk it is refused.
    pub async fn create_ticket_once(
        &self,
        id: Uuid,
        kiosk: Uuid,
        raised_by: &str,
        subject: &str,
        body: &str,
    ) -> SResult<bool> {
        let now = self.now_ms();
        in_tx!(self.db, |tx| {
            let n = tx
                .exec(
                    "INSERT INTO tickets (id, kiosk_id, raised_by, subject, body, status, created_ms, updated_ms) VALUES ($1,$2,$3,$4,$5,'open',$6,$6) ON CONFLICT (id) DO NOTHING",
                    &params![id, kiosk, raised_by, subject, body, now],
                )
                .await?;
            if n == 1 {
                return Ok(true);
            }
            let owner = tx
                .query_one("SELECT kiosk_id FROM tickets WHERE id = $1", &params![id])
                .await?
                .uuid(0)?;
            if owner == kiosk {
                Ok(false)
            } else {
                Err(StoreError::Exists("ticket"))
            }
        })
    }

    pub async fn tickets(&self, kiosk: Option<Uuid>) -> SResult<Vec<Ticket>> {
        let mut tx = self.db.begin_read().await?;
        let sql = format!("SELECT {TICKET_COLS} FROM tickets t JOIN kiosks k ON k.id = t.kiosk_id");
        let rows = match kiosk {
            Some(k) => {
                tx.query(
                    &format!("{sql} WHERE t.kiosk_id = $1 ORDER BY t.created_ms DESC"),
                    &params![k],
                )
                .await?
            }
            None => {
                tx.query(&format!("{sql} ORDER BY t.created_ms DESC"), &[])
                    .await?
            }
        };
        rows.iter().map(ticket_from).collect()
    }

    pub async fn ticket(&self, id: Uuid) -> SResult<Option<(Uuid, Ticket)>> {
        let mut tx = self.db.begin_read().await?;
        let r = tx
            .query_opt(
                &format!("SELECT {TICKET_COLS}, t.kiosk_id FROM tickets t JOIN kiosks k ON k.id = t.kiosk_id WHERE t.id = $1"),
                &params![id],
            )
            .await?;
        match r {
            None => Ok(None),
            Some(r) => Ok(Some((r.uuid(11)?, ticket_from(&r)?))),
        }
    }

    /// A ticket's support bundle (if one came with it) and the helpdesk's
    /// replies, oldest first.
    pub async fn ticket_detail(
        &self,
        id: Uuid,
    ) -> SResult<Option<(Ticket, Option<String>, Vec<TicketReplyRow>)>> {
        let Some((_, t)) = self.ticket(id).await? else {
            return Ok(None);
        };
        let mut tx = self.db.begin_read().await?;
        let attachment = tx
            .query_one("SELECT attachment FROM tickets WHERE id = $1", &params![id])
            .await?
            .opt_text(0)?;
        let replies = tx
            .query(
                "SELECT id, ticket_id, status, text, at_ms FROM ticket_replies WHERE ticket_id = $1 ORDER BY id",
                &params![id],
            )
            .await?
            .iter()
            .map(|r| {
                Ok(TicketReplyRow {
                    id: r.i64(0)?,
                    ticket_id: r.uuid(1)?,
                    status: r.text(2)?,
                    text: r.text(3)?,
                    at_ms: r.i64(4)?,
                })
            })
            .collect::<SResult<Vec<_>>>()?;
        Ok(Some((t, attachment, replies)))
    }

    /// The helpdesk answers a ticket: a reply, a new status, or both. The
    /// kiosk hears it on its next pull. Written under the kiosk's lock, so
    /// a kiosk's reply ids grow in the order they commit (the pull cursor
    /// relies on it). Returns the reply's id.
    pub async fn reply_ticket(&self, id: Uuid, status: Option<&str>, text: &str) -> SResult<i64> {
        let mut txb = self.db.begin().await?;
        let r = self.reply_ticket_in(&mut *txb, id, status, text).await?;
        txb.commit().await?;
        Ok(r)
    }

    /// [`Store::reply_ticket`] inside the caller's transaction (the console
    /// writes its audit row in the same one).
    pub(crate) async fn reply_ticket_in(
        &self,
        tx: &mut dyn SqlTx,
        id: Uuid,
        status: Option<&str>,
        text: &str,
    ) -> SResult<i64> {
        if let Some(st) = status
            && !TICKET_STATUSES.contains(&st)
        {
            return Err(StoreError::Invalid(format!(
                "ticket status must be one of {TICKET_STATUSES:?}"
            )));
        }
        let text = text
            .replace("\r\n", "\n")
            .split('\n')
            .map(|l| domain::text::clean_text("reply", l, TICKET_REPLY_MAX_CHARS))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| StoreError::Invalid(e.to_string()))?
            .join("\n")
            .trim()
            .to_string();
        if text.chars().count() > TICKET_REPLY_MAX_CHARS {
            return Err(StoreError::Invalid(format!(
                "a reply has at most {TICKET_REPLY_MAX_CHARS} characters"
            )));
        }
        if status.is_none() && text.is_empty() {
            return Err(StoreError::Invalid(
                "a reply needs a text or a new status".into(),
            ));
        }
        let now = self.now_ms();
        let r = tx
            .query_opt(
                "SELECT kiosk_id, status FROM tickets WHERE id = $1",
                &params![id],
            )
            .await?
            .ok_or(StoreError::NotFound("ticket"))?;
        let kiosk = r.uuid(0)?;
        lock_kiosk(tx, kiosk)
            .await?
            .ok_or(StoreError::NotFound("kiosk"))?;
        // Re-read under the lock: the status the reply leaves.
        let current = tx
            .query_one("SELECT status FROM tickets WHERE id = $1", &params![id])
            .await?
            .text(0)?;
        let status = status.map_or(current, str::to_string);
        tx.exec(
            "UPDATE tickets SET status = $1, updated_ms = $2 WHERE id = $3",
            &params![&status, now, id],
        )
        .await?;
        let reply = tx
            .query_one(
                "INSERT INTO ticket_replies (ticket_id, kiosk_id, status, text, at_ms) VALUES ($1,$2,$3,$4,$5) RETURNING id",
                &params![id, kiosk, &status, &text, now],
            )
            .await?
            .i64(0)?;
        Ok(reply)
    }

    /// A new status with no text: a reply the kiosk hears like any other.
    pub async fn set_ticket_status(&self, id: Uuid, status: &str) -> SResult<()> {
        self.reply_ticket(id, Some(status), "").await.map(|_| ())
    }
}
