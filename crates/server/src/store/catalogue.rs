//! The store: catalogue.

use super::*;

impl Store {
    pub async fn save_catalogue(&self, c: &Catalogue) -> SResult<()> {
        in_tx!(self.db, |tx| { self.save_catalogue_in(&mut *tx, c).await })
    }

    /// [`Store::save_catalogue`] inside the caller's transaction (the console
    /// writes its audit row in the same one).
    pub(crate) async fn save_catalogue_in(&self, tx: &mut dyn SqlTx, c: &Catalogue) -> SResult<()> {
        c.validate()
            .map_err(|e| StoreError::Invalid(e.to_string()))?;
        let body = serde_json::to_string(c).map_err(|e| StoreError::Invalid(e.to_string()))?;
        let now = self.now_ms();
        let have = tx
            .query_one(
                "SELECT CAST(COALESCE(MAX(version), 0) AS BIGINT) FROM catalogues",
                &[],
            )
            .await?
            .i64(0)? as u32;
        if c.version <= have {
            return Err(StoreError::CatalogueNotNewer(c.version, have));
        }
        tx.exec(
            "INSERT INTO catalogues (version, body, loaded_ms) VALUES ($1,$2,$3)",
            &params![c.version, body, now],
        )
        .await?;
        Ok(())
    }

    pub async fn catalogue(&self) -> SResult<Option<Catalogue>> {
        let mut tx = self.db.begin_read().await?;
        let r = tx
            .query_opt(
                "SELECT body FROM catalogues ORDER BY version DESC LIMIT 1",
                &[],
            )
            .await?;
        match r {
            None => Ok(None),
            Some(r) => serde_json::from_str(&r.text(0)?)
                .map(Some)
                .map_err(|e| StoreError::Corrupt(e.to_string())),
        }
    }
}
