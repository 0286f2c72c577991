//! The store: ledger.

use super::*;

impl Store {
    /// Credits a kiosk's wallet (bank refill, transfer): refills account → wallet.
    pub async fn refill(&self, kiosk: Uuid, amount: Paise, memo: &str) -> SResult<i64> {
        in_tx!(self.db, |tx| {
            self.refill_in(&mut *tx, kiosk, amount, memo).await
        })
    }

    /// [`Store::refill`] inside the caller's transaction (the console
    /// writes its audit row in the same one).
    pub(crate) async fn refill_in(
        &self,
        tx: &mut dyn SqlTx,
        kiosk: Uuid,
        amount: Paise,
        memo: &str,
    ) -> SResult<i64> {
        if !amount.is_positive() || amount > Paise::MAX_INPUT {
            return Err(StoreError::Invalid(
                "refill amount must be positive and within limits".into(),
            ));
        }
        let now = self.now_ms();
        lock_kiosk(&mut *tx, kiosk)
            .await?
            .ok_or(StoreError::NotFound("kiosk"))?;
        let txn = next_txn_ids(&mut *tx, 1).await?[0];
        let lines = vec![
            PostLine {
                account: accounts::REFILLS.into(),
                kiosk: None,
                amount: -amount.as_i64(),
            },
            PostLine {
                account: accounts::WALLET.into(),
                kiosk: Some(kiosk),
                amount: amount.as_i64(),
            },
        ];
        post(&mut *tx, txn, "refill", memo, now, &lines).await?;
        Ok(txn)
    }

    pub async fn ledger_lines(
        &self,
        kiosk: Uuid,
        after: i64,
        limit: i64,
    ) -> SResult<Vec<LedgerLine>> {
        let mut tx = self.db.begin_read().await?;
        kiosk_ledger(&mut *tx, kiosk, after, limit).await
    }

    /// The whole ledger's self-check (the invariants tests run after every test).
    /// Payments stored, and how many distinct kiosk entries they came
    /// from (equal unless one was taken twice).
    pub async fn payment_counts(&self) -> SResult<(i64, i64)> {
        let mut tx = self.db.begin_read().await?;
        let r = tx
            .query_one(
                "SELECT CAST(COUNT(*) AS BIGINT), CAST(COUNT(DISTINCT entry_id) AS BIGINT) FROM payments",
                &[],
            )
            .await?;
        Ok((r.i64(0)?, r.i64(1)?))
    }

    pub async fn ledger_check(&self) -> SResult<LedgerCheck> {
        let mut tx = self.db.begin_snapshot().await?;
        let total = tx
            .query_one(
                "SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) FROM ledger",
                &[],
            )
            .await?
            .i64(0)?;
        let unbalanced = tx
            .query(
                "SELECT txn_id FROM ledger GROUP BY txn_id HAVING SUM(amount) <> 0 ORDER BY txn_id",
                &[],
            )
            .await?
            .iter()
            .map(|r| r.i64(0))
            .collect::<Result<Vec<_>, _>>()?;
        let rows = tx
            .query(
                "SELECT k.code, k.wallet_balance, CAST(COALESCE((SELECT SUM(amount) FROM ledger l WHERE l.kiosk_id = k.id AND l.account = 'wallet'), 0) AS BIGINT),
                        k.commission_balance, CAST(COALESCE((SELECT SUM(amount) FROM ledger l WHERE l.kiosk_id = k.id AND l.account = 'commission'), 0) AS BIGINT)
                 FROM kiosks k ORDER BY k.code",
                &[],
            )
            .await?;
        let mut mismatched = Vec::new();
        for r in rows {
            if r.i64(1)? != r.i64(2)? || r.i64(3)? != r.i64(4)? {
                mismatched.push((r.text(0)?, r.i64(1)?, r.i64(2)?));
            }
        }
        Ok(LedgerCheck {
            total,
            unbalanced_txns: unbalanced,
            mismatched_kiosks: mismatched,
        })
    }

    /// Onboards many kiosks at once (a district's roll-out, load tests):
    /// each gets a holder `<code lowercase>-h` with `password_hash`, one
    /// registered device with the given public key, and `opening` in the
    /// wallet. Returns (kiosk id, device id) per input, in order.
    pub async fn bulk_onboard(
        &self,
        kiosks: &[(String, [u8; 32])],
        district: &str,
        opening: Paise,
        password_hash: &str,
    ) -> SResult<Vec<(Uuid, Uuid)>> {
        let now = self.now_ms();
        let mut out = Vec::with_capacity(kiosks.len());
        for chunk in kiosks.chunks(500) {
            let ids: Vec<(Uuid, Uuid, Uuid)> = chunk
                .iter()
                .map(|_| {
                    (
                        domain::new_id(&*self.clock),
                        domain::new_id(&*self.clock),
                        domain::new_id(&*self.clock),
                    )
                })
                .collect();
            let r: SResult<()> = in_tx!(self.db, |tx| {
                let e = DEFAULT_EXPOSURE;
                let mut kv = Vec::new();
                let mut uv = Vec::new();
                let mut dv = Vec::new();
                for ((code, key), (k, u, d)) in chunk.iter().zip(&ids) {
                    let code = domain::KioskCode::parse(code)
                        .map_err(|e| StoreError::Invalid(e.to_string()))?;
                    kv.extend(params![
                        *k,
                        code.as_str(),
                        district,
                        format!("Kiosk {code}"),
                        true,
                        false,
                        e.max_pending_amount,
                        e.max_pending_count,
                        e.max_age_secs,
                        now
                    ]);
                    uv.extend(params![
                        *u,
                        *k,
                        format!("{}-h", code.as_str().to_lowercase()),
                        "Holder",
                        "holder",
                        None::<String>,
                        password_hash,
                        false,
                        true,
                        0i64,
                        None::<i64>,
                        now
                    ]);
                    dv.extend(params![
                        *d,
                        *k,
                        *u,
                        1i64,
                        *key,
                        "counter 1",
                        now,
                        None::<i64>,
                        0i64,
                        protocol::GENESIS_HASH
                    ]);
                }
                let n = chunk.len();
                tx.exec(&format!("INSERT INTO kiosks (id, code, district, name, active, cheque_enabled, exp_amount, exp_count, exp_age_secs, created_ms) VALUES {}", value_rows(n, 10)), &kv).await?;
                tx.exec(
                    &format!(
                        "INSERT INTO users ({USER_COLS}, created_ms) VALUES {}",
                        value_rows(n, 12)
                    ),
                    &uv,
                )
                .await?;
                tx.exec(
                    &format!(
                        "INSERT INTO devices ({DEVICE_COLS}) VALUES {}",
                        value_rows(n, 10)
                    ),
                    &dv,
                )
                .await?;
                if opening.is_positive() {
                    let txns = next_txn_ids(&mut *tx, n).await?;
                    let posts: Vec<_> = ids
                        .iter()
                        .zip(txns)
                        .map(|((k, _, _), t)| {
                            (
                                t,
                                "refill".to_string(),
                                "opening balance".to_string(),
                                vec![
                                    PostLine {
                                        account: accounts::REFILLS.into(),
                                        kiosk: None,
                                        amount: -opening.as_i64(),
                                    },
                                    PostLine {
                                        account: accounts::WALLET.into(),
                                        kiosk: Some(*k),
                                        amount: opening.as_i64(),
                                    },
                                ],
                            )
                        })
                        .collect();
                    post_many(&mut *tx, &posts, now).await?;
                }
                Ok(())
            });
            r?;
            out.extend(ids.iter().map(|(k, _, d)| (*k, *d)));
        }
        Ok(out)
    }
}
