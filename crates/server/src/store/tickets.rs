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
            insert_ticket(&mut *tx, id, kiosk, raised_by, subject, body, now).await?;
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
        let sql = "SELECT t.id, k.code, t.raised_by, t.subject, t.body, t.status, t.created_ms, t.updated_ms FROM tickets t JOIN kiosks k ON k.id = t.kiosk_id";
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
                "SELECT t.id, k.code, t.raised_by, t.subject, t.body, t.status, t.created_ms, t.updated_ms, t.kiosk_id FROM tickets t JOIN kiosks k ON k.id = t.kiosk_id WHERE t.id = $1",
                &params![id],
            )
            .await?;
        match r {
            None => Ok(None),
            Some(r) => Ok(Some((r.uuid(8)?, ticket_from(&r)?))),
        }
    }

    pub async fn set_ticket_status(&self, id: Uuid, status: &str) -> SResult<()> {
        if !TICKET_STATUSES.contains(&status) {
            return Err(StoreError::Invalid(format!(
                "ticket status must be one of {TICKET_STATUSES:?}"
            )));
        }
        let now = self.now_ms();
        in_tx!(self.db, |tx| {
            let n = tx
                .exec(
                    "UPDATE tickets SET status = $1, updated_ms = $2 WHERE id = $3",
                    &params![status, now, id],
                )
                .await?;
            if n == 0 {
                Err(StoreError::NotFound("ticket"))
            } else {
                Ok(())
            }
        })
    }
}
