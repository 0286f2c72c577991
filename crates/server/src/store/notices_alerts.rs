//! The store: notices, alerts.

use super::*;

impl Store {
    pub async fn add_notice(
        &self,
        kiosk: Option<Uuid>,
        text_en: &str,
        text_hi: &str,
    ) -> SResult<()> {
        let now = self.now_ms();
        in_tx!(self.db, |tx| {
            tx.exec(
                "INSERT INTO notices (kiosk_id, text_en, text_hi, at_ms) VALUES ($1,$2,$3,$4)",
                &params![kiosk, text_en, text_hi, now],
            )
            .await?;
            Ok(())
        })
    }

    /// Tamper alerts: (device, expected seq, detail, at).
    pub async fn tamper_alerts(&self) -> SResult<Vec<(Uuid, u64, String, i64)>> {
        let mut tx = self.db.begin_read().await?;
        let rows = tx
            .query(
                "SELECT device_id, expected_seq, detail, at_ms FROM tamper_alerts ORDER BY id",
                &[],
            )
            .await?;
        rows.iter()
            .map(|r| Ok((r.uuid(0)?, r.i64(1)? as u64, r.text(2)?, r.i64(3)?)))
            .collect()
    }

    /// Row counts of the tables a refused request must not touch.
    pub async fn fingerprint(&self) -> SResult<Vec<(String, i64)>> {
        let mut tx = self.db.begin_snapshot().await?;
        let mut out = Vec::new();
        for t in [
            "entries",
            "payments",
            "payment_lines",
            "ledger",
            "notifications",
            "tickets",
            "devices",
            "users",
            "sessions",
            "kiosks",
            "tamper_alerts",
            "refill_requests",
            "catalogues",
            "audit_log",
            "proposals",
            "alert_acks",
        ] {
            let n = tx
                .query_one(&format!("SELECT CAST(COUNT(*) AS BIGINT) FROM {t}"), &[])
                .await?
                .i64(0)?;
            out.push((t.to_string(), n));
        }
        let h = tx
            .query_one(
                "SELECT CAST(COALESCE(SUM(high_water), 0) AS BIGINT) FROM devices",
                &[],
            )
            .await?
            .i64(0)?;
        out.push(("devices.high_water".into(), h));
        Ok(out)
    }
}
