//! The store: reconcile.

use super::*;

impl Store {
    /// Verify: a transaction of this kiosk by its final or local receipt
    /// number or by its entry id.
    pub async fn txn_status(
        &self,
        kiosk: Uuid,
        receipt_no: Option<&str>,
        entry_id: Option<Uuid>,
    ) -> SResult<Option<TxnStatus>> {
        let mut tx = self.db.begin_read().await?;
        let base = "SELECT e.id, e.device_id, e.seq, e.kind, e.status, e.code, e.reason, e.txn_id, e.receipt_no, p.local_receipt_no, p.total, e.device_time_ms, e.server_ms, p.cancel_txn
                    FROM entries e JOIN devices d ON d.id = e.device_id LEFT JOIN payments p ON p.txn_id = e.txn_id AND e.kind = 'payment'
                    WHERE d.kiosk_id = $1";
        let r = if let Some(id) = entry_id {
            tx.query_opt(
                &format!("{base} AND e.id = $2 ORDER BY e.seq LIMIT 1"),
                &params![kiosk, id],
            )
            .await?
        } else if let Some(no) = receipt_no {
            match tx
                .query_opt(
                    "SELECT entry_id FROM payments WHERE kiosk_id = $1 AND (receipt_no = $2 OR local_receipt_no = $2)",
                    &params![kiosk, no],
                )
                .await?
            {
                Some(p) => tx.query_opt(&format!("{base} AND e.id = $2 ORDER BY e.seq LIMIT 1"), &params![kiosk, p.uuid(0)?]).await?,
                None => None,
            }
        } else {
            None
        };
        r.as_ref().map(txn_status_from).transpose()
    }

    /// Transactions of a kiosk taken in `[from_ms, to_ms)`, optionally by
    /// status: by the kiosk's date of each entry (its reckoning of our
    /// clock), never later than when it reached us.
    pub async fn txns_between(
        &self,
        kiosk: Uuid,
        from_ms: i64,
        to_ms: i64,
        status: Option<&str>,
    ) -> SResult<Vec<TxnStatus>> {
        let mut tx = self.db.begin_read().await?;
        let rows = tx
            .query(
                "SELECT e.id, e.device_id, e.seq, e.kind, e.status, e.code, e.reason, e.txn_id, e.receipt_no, p.local_receipt_no, p.total, e.device_time_ms, e.server_ms, p.cancel_txn
                 FROM entries e JOIN devices d ON d.id = e.device_id LEFT JOIN payments p ON p.txn_id = e.txn_id AND e.kind = 'payment'
                 WHERE d.kiosk_id = $1 AND (CASE WHEN e.device_time_ms < e.server_ms THEN e.device_time_ms ELSE e.server_ms END) >= $2
                   AND (CASE WHEN e.device_time_ms < e.server_ms THEN e.device_time_ms ELSE e.server_ms END) < $3
                 ORDER BY (CASE WHEN e.device_time_ms < e.server_ms THEN e.device_time_ms ELSE e.server_ms END), e.seq LIMIT 5000",
                &params![kiosk, from_ms, to_ms],
            )
            .await?;
        let all = rows
            .iter()
            .map(txn_status_from)
            .collect::<SResult<Vec<_>>>()?;
        Ok(match status {
            Some(s) => all.into_iter().filter(|t| t.status == s).collect(),
            None => all,
        })
    }
}
