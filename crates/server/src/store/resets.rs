//! The store: forgotten passwords (one-time codes) and their hourly limits.
//! Nothing here touches a user's login failure count or delay.

use super::*;

/// A live one-time code, as [`Store::book_otp_try`] hands it out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OtpTry {
    pub otp_hash: String,
    /// Tries left after this one.
    pub tries_left: i64,
}

impl Store {
    /// Books one request under every key (`(key, most per window)`), or
    /// none of them when any key has had its most within the last
    /// `window_ms`: then returns false. Keys that need not exist (a login
    /// nobody has) are counted like the others.
    pub async fn book_otp_request(&self, keys: &[(String, i64)], window_ms: i64) -> SResult<bool> {
        let now = self.now_ms();
        let since = now - window_ms;
        in_tx!(self.db, |tx| {
            let mut keys: Vec<&(String, i64)> = keys.iter().collect();
            // The same order everywhere, so two requests never wait on each other's locks.
            keys.sort();
            for (key, _) in &keys {
                if tx.dialect() == Dialect::Postgres {
                    // Counting then inserting must not interleave for one key.
                    tx.exec(
                        "SELECT pg_advisory_xact_lock(hashtext($1))",
                        &params![key.as_str()],
                    )
                    .await?;
                }
                tx.exec(
                    "DELETE FROM otp_requests WHERE key = $1 AND at_ms <= $2",
                    &params![key.as_str(), since],
                )
                .await?;
            }
            for (key, max) in &keys {
                let n = tx
                    .query_one(
                        "SELECT CAST(COUNT(*) AS BIGINT) FROM otp_requests WHERE key = $1",
                        &params![key.as_str()],
                    )
                    .await?
                    .i64(0)?;
                if n >= *max {
                    return Ok(false);
                }
            }
            for (key, _) in &keys {
                tx.exec(
                    "INSERT INTO otp_requests (key, at_ms) VALUES ($1, $2)",
                    &params![key.as_str(), now],
                )
                .await?;
            }
            Ok(true)
        })
    }

    /// Keeps a new code for `user` (its hash only), replacing any other.
    pub async fn save_otp(
        &self,
        user: Uuid,
        otp_hash: &str,
        expires_ms: i64,
        tries: i64,
    ) -> SResult<()> {
        let now = self.now_ms();
        in_tx!(self.db, |tx| {
            tx.exec(
                "INSERT INTO password_resets (user_id, otp_hash, expires_ms, tries_left, created_ms) VALUES ($1,$2,$3,$4,$5)
                 ON CONFLICT (user_id) DO UPDATE SET otp_hash = excluded.otp_hash, expires_ms = excluded.expires_ms,
                    tries_left = excluded.tries_left, created_ms = excluded.created_ms",
                &params![user, otp_hash, expires_ms, tries, now],
            )
            .await?;
            Ok(())
        })
    }

    /// Takes one try of `user`'s code before it is checked, under the
    /// row's lock, so parallel guesses cannot outrun the count. None when
    /// there is no live code (never sent, expired or used up): an expired
    /// or used-up one is removed.
    pub async fn book_otp_try(&self, user: Uuid) -> SResult<Option<OtpTry>> {
        let now = self.now_ms();
        in_tx!(self.db, |tx| {
            let lock = row_lock(&*tx);
            let Some(r) = tx
                .query_opt(
                    &format!("SELECT otp_hash, expires_ms, tries_left FROM password_resets WHERE user_id = $1{lock}"),
                    &params![user],
                )
                .await?
            else {
                return Ok(None);
            };
            let (hash, expires, left) = (r.text(0)?, r.i64(1)?, r.i64(2)?);
            if expires <= now || left <= 0 {
                tx.exec(
                    "DELETE FROM password_resets WHERE user_id = $1",
                    &params![user],
                )
                .await?;
                return Ok(None);
            }
            tx.exec(
                "UPDATE password_resets SET tries_left = tries_left - 1 WHERE user_id = $1",
                &params![user],
            )
            .await?;
            Ok(Some(OtpTry {
                otp_hash: hash,
                tries_left: left - 1,
            }))
        })
    }

    /// Gives a try back (the code was right, the request failed for
    /// another reason).
    pub async fn refund_otp_try(&self, user: Uuid, otp_hash: &str) -> SResult<()> {
        in_tx!(self.db, |tx| {
            tx.exec(
                "UPDATE password_resets SET tries_left = tries_left + 1 WHERE user_id = $1 AND otp_hash = $2",
                &params![user, otp_hash],
            )
            .await?;
            Ok(())
        })
    }

    /// The code was right: in one transaction it is used up, the new
    /// password set (no first-password flag), the user's sessions ended
    /// and the login's failure count cleared (the holder of the phone has
    /// shown who they are). False when the code went meanwhile (used by a
    /// parallel reset, or replaced by a newer one).
    pub async fn finish_reset(
        &self,
        user: Uuid,
        otp_hash: &str,
        password_hash: &str,
    ) -> SResult<bool> {
        in_tx!(self.db, |tx| {
            let n = tx
                .exec(
                    "DELETE FROM password_resets WHERE user_id = $1 AND otp_hash = $2",
                    &params![user, otp_hash],
                )
                .await?;
            if n != 1 {
                return Ok(false);
            }
            tx.exec(
                "UPDATE users SET password_hash = $1, must_change = $2, failed_logins = 0, locked_until_ms = NULL, last_failed_ms = NULL WHERE id = $3",
                &params![password_hash, false, user],
            )
            .await?;
            tx.exec("DELETE FROM sessions WHERE user_id = $1", &params![user])
                .await?;
            Ok(true)
        })
    }

    /// Every kept code hash with its tries left (for checks of what is at rest).
    pub async fn otp_rows(&self) -> SResult<Vec<(Uuid, String, i64, i64)>> {
        let mut tx = self.db.begin_read().await?;
        let rows = tx
            .query(
                "SELECT user_id, otp_hash, tries_left, expires_ms FROM password_resets ORDER BY created_ms",
                &[],
            )
            .await?;
        rows.iter()
            .map(|r| Ok((r.uuid(0)?, r.text(1)?, r.i64(2)?, r.i64(3)?)))
            .collect()
    }
}
