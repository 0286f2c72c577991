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
        let now = self.now_ms();
        in_tx!(self.db, |tx| {
            let n = tx
                .exec(
                    "UPDATE devices SET deregistered_ms = $1 WHERE id = $2 AND deregistered_ms IS NULL",
                    &params![now, id],
                )
                .await?;
            Ok(n == 1)
        })
    }
}
