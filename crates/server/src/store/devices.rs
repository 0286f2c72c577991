//! The store: devices.

use super::*;

impl Store {
    /// Binds `user`'s SSO ID to a new device with this public key. Refused
    /// while the user has a device that is not de-registered.
    pub async fn register_device(
        &self,
        user: &User,
        public_key: [u8; 32],
        label: &str,
    ) -> SResult<Device> {
        let id = domain::new_id(&*self.clock);
        let now = self.now_ms();
        let r: SResult<()> = in_tx!(self.db, |tx| {
            // Serialise registrations of one kiosk (device numbers).
            lock_kiosk(&mut *tx, user.kiosk_id).await?;
            if let Some(r) = tx
                .query_opt(
                    "SELECT id FROM devices WHERE user_id = $1 AND deregistered_ms IS NULL",
                    &params![user.id],
                )
                .await?
            {
                return Err(StoreError::BoundElsewhere(r.uuid(0)?));
            }
            let n = tx
                .query_one(
                    "SELECT CAST(COALESCE(MAX(device_no), 0) AS BIGINT) FROM devices WHERE kiosk_id = $1",
                    &params![user.kiosk_id],
                )
                .await?
                .i64(0)?;
            if n >= 999 {
                return Err(StoreError::Invalid("kiosk has 999 devices".into()));
            }
            tx.exec(
                &format!(
                    "INSERT INTO devices ({DEVICE_COLS}) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)"
                ),
                &params![
                    id,
                    user.kiosk_id,
                    user.id,
                    n + 1,
                    public_key,
                    label,
                    now,
                    None::<i64>,
                    0i64,
                    protocol::GENESIS_HASH
                ],
            )
            .await
            .map_err(|e| {
                if e.is_unique_violation() {
                    StoreError::BoundElsewhere(Uuid::nil())
                } else {
                    e.into()
                }
            })?;
            // The SSO ID moved to another PC: the staff should know.
            if let Some(prev) = tx
                .query_opt(
                    "SELECT device_no, deregistered_ms FROM devices WHERE user_id = $1 AND id <> $2 ORDER BY deregistered_ms DESC LIMIT 1",
                    &params![user.id, id],
                )
                .await?
            {
                let detail = format!(
                    "device re-registered: {} bound a new PC (device {}) after device {} was de-registered",
                    user.login,
                    n + 1,
                    prev.i64(0)?
                );
                crate::sync::raise_alert(&mut *tx, id, user.kiosk_id, 0, "device re-registered", &detail, now).await?;
            }
            Ok(())
        });
        r?;
        self.device(id).await?.ok_or(StoreError::NotFound("device"))
    }

    /// Admits a device again that this centre lost (its data restored from
    /// a backup older than the registration), from the device's own signed
    /// request: the same id and key, bound to the kiosk's holder, with no
    /// entries — the kiosk then re-sends everything from its first entry.
    /// Refused when the request does not verify, the kiosk is unknown, the
    /// id is known under another key, or the holder is bound to another
    /// device meanwhile (de-register that one first).
    pub async fn readmit_device(&self, req: &protocol::ReadmitRequest) -> SResult<Device> {
        let bad = |m: String| StoreError::ReadmitInvalid(m);
        let pk = req
            .verified_key()
            .ok_or_else(|| bad("its signature does not verify with the key it carries".into()))?;
        let kiosk = self
            .kiosk_by_code(&req.kiosk_code)
            .await?
            .ok_or_else(|| bad(format!("no kiosk {} at this centre", req.kiosk_code)))?;
        if let Some(d) = self.device(req.device_id).await? {
            return Err(
                if d.public_key == pk && d.deregistered_ms.is_none() && d.kiosk_id == kiosk.id {
                    StoreError::ReadmitAlreadyKnown(d.id)
                } else {
                    bad(format!(
                        "device {} is on record here with another key, kiosk or de-registered; register the PC anew",
                        d.id
                    ))
                },
            );
        }
        let now = self.now_ms();
        let id = req.device_id;
        let r: SResult<()> = in_tx!(self.db, |tx| {
            lock_kiosk(&mut *tx, kiosk.id).await?;
            let holder = tx
                .query_opt(
                    "SELECT id FROM users WHERE kiosk_id = $1 AND role = 'holder' AND active = $2 ORDER BY login LIMIT 1",
                    &params![kiosk.id, true],
                )
                .await?
                .ok_or_else(|| bad(format!("kiosk {} has no active holder", req.kiosk_code)))?
                .uuid(0)?;
            if let Some(r) = tx
                .query_opt(
                    "SELECT id FROM devices WHERE user_id = $1 AND deregistered_ms IS NULL",
                    &params![holder],
                )
                .await?
            {
                return Err(StoreError::BoundElsewhere(r.uuid(0)?));
            }
            // Its old number when free, so its receipt numbers stay its own.
            let taken = tx
                .query_opt(
                    "SELECT id FROM devices WHERE kiosk_id = $1 AND device_no = $2",
                    &params![kiosk.id, i64::from(req.device_no)],
                )
                .await?
                .is_some();
            let no = if taken || req.device_no == 0 {
                tx.query_one(
                    "SELECT CAST(COALESCE(MAX(device_no), 0) AS BIGINT) FROM devices WHERE kiosk_id = $1",
                    &params![kiosk.id],
                )
                .await?
                .i64(0)?
                    + 1
            } else {
                i64::from(req.device_no)
            };
            tx.exec(
                &format!(
                    "INSERT INTO devices ({DEVICE_COLS}) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)"
                ),
                &params![
                    id,
                    kiosk.id,
                    holder,
                    no,
                    pk,
                    "re-admitted",
                    now,
                    None::<i64>,
                    0i64,
                    protocol::GENESIS_HASH
                ],
            )
            .await?;
            Ok(())
        });
        r?;
        self.device(id).await?.ok_or(StoreError::NotFound("device"))
    }

    pub async fn device(&self, id: Uuid) -> SResult<Option<Device>> {
        let mut tx = self.db.begin_read().await?;
        let r = tx
            .query_opt(
                &format!("SELECT {DEVICE_COLS} FROM devices WHERE id = $1"),
                &params![id],
            )
            .await?;
        r.as_ref().map(device_from).transpose()
    }

    pub async fn list_devices(&self, kiosk: Option<Uuid>) -> SResult<Vec<Device>> {
        let mut tx = self.db.begin_read().await?;
        let rows = match kiosk {
            Some(k) => {
                tx.query(
                    &format!(
                        "SELECT {DEVICE_COLS} FROM devices WHERE kiosk_id = $1 ORDER BY device_no"
                    ),
                    &params![k],
                )
                .await?
            }
            None => {
                tx.query(
                    &format!("SELECT {DEVICE_COLS} FROM devices ORDER BY kiosk_id, device_no"),
                    &[],
                )
                .await?
            }
        };
        rows.iter().map(device_from).collect()
    }

    /// De-registers a device; its key no longer signs anything. Returns
    /// false when it was already de-registered.
    pub async fn deregister_device(&self, id: Uuid) -> SResult<bool> {
        in_tx!(self.db, |tx| {
            self.deregister_device_in(&mut *tx, id).await
        })
    }

    /// [`Store::deregister_device`] inside the caller's transaction (the console
    /// writes its audit row in the same one).
    pub(crate) async fn deregister_device_in(&self, tx: &mut dyn SqlTx, id: Uuid) -> SResult<bool> {
        let now = self.now_ms();
        let n = tx
            .exec(
                "UPDATE devices SET deregistered_ms = $1 WHERE id = $2 AND deregistered_ms IS NULL",
                &params![now, id],
            )
            .await?;
        Ok(n == 1)
    }
}
