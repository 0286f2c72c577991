//! The store: users.

use super::*;

impl Store {
    pub async fn create_user(&self, u: &User) -> SResult<()> {
        let now = self.now_ms();
        in_tx!(self.db, |tx| {
            tx.exec(
                &format!("INSERT INTO users ({USER_COLS}, created_ms) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12)"),
                &params![u.id, u.kiosk_id, &u.login, &u.name, u.role.as_str(), u.mobile.clone(), &u.password_hash, u.must_change, u.active, u.failed_logins, u.locked_until_ms, now],
            )
            .await
            .map_err(|e| if e.is_unique_violation() { StoreError::Exists("user") } else { e.into() })?;
            Ok(())
        })
    }

    pub async fn user_by_login(&self, login: &str) -> SResult<Option<User>> {
        let mut tx = self.db.begin_read().await?;
        let r = tx
            .query_opt(
                &format!("SELECT {USER_COLS} FROM users WHERE login = $1"),
                &params![login],
            )
            .await?;
        r.as_ref().map(user_from).transpose()
    }

    pub async fn user(&self, id: Uuid) -> SResult<Option<User>> {
        let mut tx = self.db.begin_read().await?;
        let r = tx
            .query_opt(
                &format!("SELECT {USER_COLS} FROM users WHERE id = $1"),
                &params![id],
            )
            .await?;
        r.as_ref().map(user_from).transpose()
    }

    pub async fn list_users(&self, kiosk: Uuid) -> SResult<Vec<User>> {
        let mut tx = self.db.begin_read().await?;
        let rows = tx
            .query(
                &format!("SELECT {USER_COLS} FROM users WHERE kiosk_id = $1 ORDER BY login"),
                &params![kiosk],
            )
            .await?;
        rows.iter().map(user_from).collect()
    }

    /// Writes the mutable fields of a user back. The failure count and
    /// delay are not among them: only the password check changes those,
    /// under the row lock, so a stale copy can never undo a counted guess.
    pub async fn update_user(&self, u: &User) -> SResult<()> {
        in_tx!(self.db, |tx| {
            tx.exec(
                "UPDATE users SET name = $1, mobile = $2, password_hash = $3, must_change = $4, active = $5 WHERE id = $6",
                &params![&u.name, u.mobile.clone(), &u.password_hash, u.must_change, u.active, u.id],
            )
            .await?;
            Ok(())
        })
    }

    /// Books one password check for `user` before it is made, under the
    /// user's row lock: counted as a failure up front, so parallel guesses
    /// cannot outrun the count, and refused while a delay runs (such a try
    /// is neither checked nor counted). `delay(n)` is the delay that the
    /// n-th failure in a row starts (0: none); the count starts over once
    /// `forget_ms` pass without a failure.
    pub async fn book_password_check(
        &self,
        user: Uuid,
        forget_ms: i64,
        delay: impl Fn(i64) -> i64 + Send,
    ) -> SResult<Booked> {
        self.book_check("users", user, forget_ms, delay).await
    }

    /// [`Store::book_password_check`] for a console admin.
    pub async fn book_admin_check(
        &self,
        admin: Uuid,
        forget_ms: i64,
        delay: impl Fn(i64) -> i64 + Send,
    ) -> SResult<Booked> {
        self.book_check("admins", admin, forget_ms, delay).await
    }

    async fn book_check(
        &self,
        table: &'static str,
        user: Uuid,
        forget_ms: i64,
        delay: impl Fn(i64) -> i64 + Send,
    ) -> SResult<Booked> {
        let now = self.now_ms();
        in_tx!(self.db, |tx| {
            let lock = row_lock(&*tx);
            let r = tx
                .query_opt(
                    &format!("SELECT failed_logins, locked_until_ms, last_failed_ms FROM {table} WHERE id = $1{lock}"),
                    &params![user],
                )
                .await?
                .ok_or(StoreError::NotFound("user"))?;
            let (count, until, last) = (r.i64(0)?, r.opt_i64(1)?, r.opt_i64(2)?);
            if let Some(u) = until.filter(|u| *u > now) {
                return Ok(Booked::Delayed { until_ms: u });
            }
            let n = match last {
                Some(t) if now - t >= forget_ms => 1,
                _ => count + 1,
            };
            let d = delay(n);
            let until = (d > 0).then_some(now + d);
            tx.exec(
                &format!("UPDATE {table} SET failed_logins = $1, last_failed_ms = $2, locked_until_ms = $3 WHERE id = $4"),
                &params![n, now, until, user],
            )
            .await?;
            Ok(Booked::Check {
                failures: n,
                delayed_until_ms: until,
            })
        })
    }

    /// The password was right: the booked failure and any before it are forgotten.
    pub async fn password_check_passed(&self, user: Uuid) -> SResult<()> {
        self.check_passed("users", user).await
    }

    pub async fn admin_check_passed(&self, admin: Uuid) -> SResult<()> {
        self.check_passed("admins", admin).await
    }

    async fn check_passed(&self, table: &'static str, user: Uuid) -> SResult<()> {
        in_tx!(self.db, |tx| {
            tx.exec(
                &format!("UPDATE {table} SET failed_logins = 0, locked_until_ms = NULL, last_failed_ms = NULL WHERE id = $1"),
                &params![user],
            )
            .await?;
            Ok(())
        })
    }

    /// Sets a new password hash; the first-password flag goes.
    pub async fn set_password(&self, user: Uuid, hash: &str) -> SResult<()> {
        in_tx!(self.db, |tx| {
            tx.exec(
                "UPDATE users SET password_hash = $1, must_change = $2 WHERE id = $3",
                &params![hash, false, user],
            )
            .await?;
            Ok(())
        })
    }

    /// Deactivates (or reactivates) a user; a deactivated user's sessions end.
    pub async fn set_user_active(&self, user: Uuid, active: bool) -> SResult<()> {
        in_tx!(self.db, |tx| {
            let n = tx
                .exec(
                    "UPDATE users SET active = $1 WHERE id = $2",
                    &params![active, user],
                )
                .await?;
            if n == 0 {
                return Err(StoreError::NotFound("user"));
            }
            if !active {
                tx.exec("DELETE FROM sessions WHERE user_id = $1", &params![user])
                    .await?;
            }
            Ok(())
        })
    }

    /// Deletes a user who never had a device: a device's entries are
    /// history the centre keeps, so such a user can only be deactivated.
    pub async fn delete_user(&self, user: Uuid) -> SResult<()> {
        in_tx!(self.db, |tx| {
            if tx
                .query_opt("SELECT id FROM devices WHERE user_id = $1", &params![user])
                .await?
                .is_some()
            {
                return Err(StoreError::HasHistory("user"));
            }
            for sql in [
                "DELETE FROM sessions WHERE user_id = $1",
                "DELETE FROM user_changes WHERE user_id = $1",
                "DELETE FROM password_resets WHERE user_id = $1",
            ] {
                tx.exec(sql, &params![user]).await?;
            }
            let n = tx
                .exec("DELETE FROM users WHERE id = $1", &params![user])
                .await?;
            if n == 0 {
                return Err(StoreError::NotFound("user"));
            }
            Ok(())
        })
    }

    /// Deletes a kiosk that never served anyone (no device, no payment),
    /// with its users, tickets and notices. Refills credited to it are
    /// removed as whole transactions (the books stay balanced), and only
    /// when `discard_refills` says so; returns their total.
    pub async fn delete_kiosk(&self, kiosk: Uuid, discard_refills: bool) -> SResult<Paise> {
        in_tx!(self.db, |tx| {
            lock_kiosk(&mut *tx, kiosk)
                .await?
                .ok_or(StoreError::NotFound("kiosk"))?;
            let used = tx
                .query_one(
                    "SELECT CAST((SELECT COUNT(*) FROM devices WHERE kiosk_id = $1) + (SELECT COUNT(*) FROM payments WHERE kiosk_id = $1) + (SELECT COUNT(*) FROM ledger WHERE kiosk_id = $1 AND kind <> 'refill') AS BIGINT)",
                    &params![kiosk],
                )
                .await?
                .i64(0)?;
            if used > 0 {
                return Err(StoreError::HasHistory("kiosk"));
            }
            let r = tx
                .query_one(
                    "SELECT CAST(COUNT(*) AS BIGINT), CAST(COALESCE(SUM(amount), 0) AS BIGINT) FROM ledger WHERE kiosk_id = $1",
                    &params![kiosk],
                )
                .await?;
            let (lines, total) = (r.i64(0)?, Paise::new(r.i64(1)?));
            if lines > 0 && !discard_refills {
                return Err(StoreError::HasRefills(total));
            }
            tx.exec(
                "DELETE FROM ledger WHERE txn_id IN (SELECT txn_id FROM ledger WHERE kiosk_id = $1)",
                &params![kiosk],
            )
            .await?;
            for sql in [
                "DELETE FROM sessions WHERE user_id IN (SELECT id FROM users WHERE kiosk_id = $1)",
                "DELETE FROM user_changes WHERE kiosk_id = $1",
                "DELETE FROM password_resets WHERE user_id IN (SELECT id FROM users WHERE kiosk_id = $1)",
                "DELETE FROM users WHERE kiosk_id = $1",
                "DELETE FROM ticket_replies WHERE kiosk_id = $1",
                "DELETE FROM tickets WHERE kiosk_id = $1",
                "DELETE FROM notices WHERE kiosk_id = $1",
                "DELETE FROM kiosks WHERE id = $1",
            ] {
                tx.exec(sql, &params![kiosk]).await?;
            }
            Ok(total)
        })
    }
}
