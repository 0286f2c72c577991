//! The store: kiosks.

use super::*;

impl Store {
    pub async fn create_kiosk(&self, k: NewKiosk) -> SResult<Kiosk> {
        let code =
            domain::KioskCode::parse(&k.code).map_err(|e| StoreError::Invalid(e.to_string()))?;
        let id = domain::new_id(&*self.clock);
        let now = self.now_ms();
        let r: SResult<()> = in_tx!(self.db, |tx| {
            tx.exec(
                "INSERT INTO kiosks (id, code, district, name, active, cheque_enabled, exp_amount, exp_count, exp_age_secs, created_ms) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)",
                &params![id, code.as_str(), &k.district, &k.name, true, k.cheque_enabled, k.exposure.max_pending_amount, k.exposure.max_pending_count, k.exposure.max_age_secs, now],
            )
            .await
            .map_err(|e| if e.is_unique_violation() { StoreError::Exists("kiosk") } else { e.into() })?;
            Ok(())
        });
        r?;
        self.kiosk(id).await?.ok_or(StoreError::NotFound("kiosk"))
    }

    pub async fn kiosk(&self, id: Uuid) -> SResult<Option<Kiosk>> {
        let mut tx = self.db.begin_read().await?;
        let r = tx
            .query_opt(
                &format!("SELECT {KIOSK_COLS} FROM kiosks WHERE id = $1"),
                &params![id],
            )
            .await?;
        r.as_ref().map(kiosk_from).transpose()
    }

    pub async fn kiosk_by_code(&self, code: &str) -> SResult<Option<Kiosk>> {
        let mut tx = self.db.begin_read().await?;
        let r = tx
            .query_opt(
                &format!("SELECT {KIOSK_COLS} FROM kiosks WHERE code = $1"),
                &params![code.trim().to_ascii_uppercase()],
            )
            .await?;
        r.as_ref().map(kiosk_from).transpose()
    }

    pub async fn list_kiosks(&self) -> SResult<Vec<Kiosk>> {
        let mut tx = self.db.begin_read().await?;
        let rows = tx
            .query(
                &format!("SELECT {KIOSK_COLS} FROM kiosks ORDER BY code"),
                &[],
            )
            .await?;
        rows.iter().map(kiosk_from).collect()
    }

    pub async fn set_exposure(&self, kiosk: Uuid, e: Exposure) -> SResult<()> {
        in_tx!(self.db, |tx| {
            let n = tx
                .exec(
                    "UPDATE kiosks SET exp_amount = $1, exp_count = $2, exp_age_secs = $3 WHERE id = $4",
                    &params![e.max_pending_amount, e.max_pending_count, e.max_age_secs, kiosk],
                )
                .await?;
            if n == 0 {
                Err(StoreError::NotFound("kiosk"))
            } else {
                Ok(())
            }
        })
    }

    pub async fn set_kiosk_flags(
        &self,
        kiosk: Uuid,
        active: bool,
        cheque_enabled: bool,
    ) -> SResult<()> {
        in_tx!(self.db, |tx| {
            let n = tx
                .exec(
                    "UPDATE kiosks SET active = $1, cheque_enabled = $2 WHERE id = $3",
                    &params![active, cheque_enabled, kiosk],
                )
                .await?;
            if n == 0 {
                Err(StoreError::NotFound("kiosk"))
            } else {
                Ok(())
            }
        })
    }
}
