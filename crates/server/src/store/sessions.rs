//! The store: sessions.

use super::*;

impl Store {
    pub async fn create_session(
        &self,
        token_hash: [u8; 32],
        user: Uuid,
        expires_ms: i64,
    ) -> SResult<()> {
        let now = self.now_ms();
        in_tx!(self.db, |tx| {
            // Expired sessions are of no use to anyone: sweep them as we go.
            tx.exec(
                "DELETE FROM sessions WHERE user_id = $1 AND expires_ms < $2",
                &params![user, now],
            )
            .await?;
            tx.exec(
                "INSERT INTO sessions (token_hash, user_id, expires_ms) VALUES ($1,$2,$3)",
                &params![token_hash, user, expires_ms],
            )
            .await?;
            Ok(())
        })
    }

    /// The session's user and expiry.
    pub async fn session(&self, token_hash: [u8; 32]) -> SResult<Option<(Uuid, i64)>> {
        let mut tx = self.db.begin_read().await?;
        let r = tx
            .query_opt(
                "SELECT user_id, expires_ms FROM sessions WHERE token_hash = $1",
                &params![token_hash],
            )
            .await?;
        Ok(match r {
            Some(r) => Some((r.uuid(0)?, r.i64(1)?)),
            None => None,
        })
    }

    pub async fn delete_sessions(&self, user: Uuid) -> SResult<()> {
        in_tx!(self.db, |tx| {
            tx.exec("DELETE FROM sessions WHERE user_id = $1", &params![user])
                .await?;
            Ok(())
        })
    }

    pub async fn delete_session(&self, token_hash: [u8; 32]) -> SResult<()> {
        in_tx!(self.db, |tx| {
            tx.exec(
                "DELETE FROM sessions WHERE token_hash = $1",
                &params![token_hash],
            )
            .await?;
            Ok(())
        })
    }
}
