//! The store: wallet refill requests, security-deposit limits and dues.
//!
//! A request arrives as an outbox entry (`sync::plan` checks it) and is
//! pending until the staff credit it (a `refill` ledger transaction naming
//! the request) or reject it with a reason. Every change is an event the
//! kiosk pulls by cursor; events are written under the kiosk's lock, so
//! their ids grow per kiosk in commit order.
//!
//! Dues ([`domain::dues`]): each stretch of the wallet below zero is a row
//! of `dues_episodes`, opened by the ledger post that takes the balance
//! below zero and closed (with the interest it accrued) by the one that
//! brings it back ([`track_dues`], called from every post). The interest so
//! far is worked out from the wallet's ledger lines: the dues at the start
//! of each overdue day are the balance then.

use super::*;
use chrono::NaiveDate;
use protocol::refills::{self as rf, RefillPayload, RefillUpdate, WalletTerms};
use std::collections::HashSet;

/// One refill request as the staff see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RefillRequest {
    pub id: Uuid,
    pub kiosk_id: Uuid,
    pub kiosk_code: String,
    pub amount: Paise,
    pub mode: String,
    pub reference: Option<String>,
    pub requested_by: String,
    /// `pending`, `credited` or `rejected`.
    pub status: String,
    /// The ledger transaction of the credit.
    pub txn_id: Option<i64>,
    pub reason: Option<String>,
    pub created_ms: i64,
    pub updated_ms: i64,
}

/// The columns [`request_from`] reads, from `refill_requests r JOIN kiosks k`.
pub(super) const REQUEST_COLS: &str = "r.id, r.kiosk_id, k.code, r.amount, r.mode, r.reference, r.requested_by, r.status, r.txn_id, r.reason, r.created_ms, r.updated_ms";

pub(super) fn request_from(r: &Row) -> SResult<RefillRequest> {
    Ok(RefillRequest {
        id: r.uuid(0)?,
        kiosk_id: r.uuid(1)?,
        kiosk_code: r.text(2)?,
        amount: Paise::new(r.i64(3)?),
        mode: r.text(4)?,
        reference: r.opt_text(5)?,
        requested_by: r.text(6)?,
        status: r.text(7)?,
        txn_id: r.opt_i64(8)?,
        reason: r.opt_text(9)?,
        created_ms: r.i64(10)?,
        updated_ms: r.i64(11)?,
    })
}

/// One stretch of the wallet below zero.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DuesEpisode {
    pub since_ms: i64,
    pub due_date: NaiveDate,
    /// When the balance came back to zero or above.
    pub closed_ms: Option<i64>,
    /// The interest it accrued, once closed.
    pub interest: Option<Paise>,
}

fn day(s: &str) -> SResult<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|_| StoreError::Corrupt(format!("due date {s:?}")))
}

fn ms_day(ms: i64) -> NaiveDate {
    domain::clock::ist_date(chrono::DateTime::from_timestamp_millis(ms).unwrap_or_default())
}

fn refused(code: &'static str, message: impl Into<String>) -> StoreError {
    StoreError::Refused {
        code,
        message: message.into(),
    }
}

impl Store {
    /// Grants (or changes, or with zero withdraws) a kiosk's
    /// security-deposit limit. The kiosk hears it on its next pull; dues
    /// already owed stay owed.
    pub async fn set_deposit_limit(&self, kiosk: Uuid, limit: Paise) -> SResult<()> {
        if limit.is_negative() || limit > rf::DEPOSIT_LIMIT_MAX {
            return Err(StoreError::Invalid(format!(
                "the deposit limit must be from 0 to {}",
                rf::DEPOSIT_LIMIT_MAX
            )));
        }
        let now = self.now_ms();
        in_tx!(self.db, |tx| {
            lock_kiosk(&mut *tx, kiosk)
                .await?
                .ok_or(StoreError::NotFound("kiosk"))?;
            tx.exec(
                "INSERT INTO kiosk_deposits (kiosk_id, deposit_limit, updated_ms) VALUES ($1,$2,$3)
                 ON CONFLICT (kiosk_id) DO UPDATE SET deposit_limit = excluded.deposit_limit, updated_ms = excluded.updated_ms",
                &params![kiosk, limit, now],
            )
            .await?;
            Ok(())
        })
    }

    /// The requests of one kiosk (or all), newest first.
    pub async fn refill_requests(&self, kiosk: Option<Uuid>) -> SResult<Vec<RefillRequest>> {
        let mut tx = self.db.begin_read().await?;
        let sql = format!(
            "SELECT {REQUEST_COLS} FROM refill_requests r JOIN kiosks k ON k.id = r.kiosk_id"
        );
        let rows = match kiosk {
            Some(k) => {
                tx.query(
                    &format!("{sql} WHERE r.kiosk_id = $1 ORDER BY r.created_ms DESC, r.id"),
                    &params![k],
                )
                .await?
            }
            None => {
                tx.query(&format!("{sql} ORDER BY r.created_ms DESC, r.id"), &[])
                    .await?
            }
        };
        rows.iter().map(request_from).collect()
    }

    pub async fn refill_request(&self, id: Uuid) -> SResult<Option<RefillRequest>> {
        let mut tx = self.db.begin_read().await?;
        request_by_id_in(&mut *tx, id).await
    }

    /// Credits a pending request's amount: refills account → the kiosk's
    /// wallet, one `refill` transaction whose memo names the request. Dues
    /// are paid first simply by the balance rising. Returns the txn id.
    pub async fn credit_refill(&self, id: Uuid) -> SResult<i64> {
        in_tx!(self.db, |tx| { self.credit_refill_in(&mut *tx, id).await })
    }

    /// [`Store::credit_refill`] inside the caller's transaction (the console
    /// writes its audit row in the same one).
    pub(crate) async fn credit_refill_in(&self, tx: &mut dyn SqlTx, id: Uuid) -> SResult<i64> {
        let now = self.now_ms();
        let (kiosk, req) = lock_pending(&mut *tx, id).await?;
        let txn = next_txn_ids(&mut *tx, 1).await?[0];
        let memo = format!(
            "refill request {id}: {}{}",
            req.mode,
            req.reference
                .as_deref()
                .map(|r| format!(" {r}"))
                .unwrap_or_default()
        );
        let lines = [
            PostLine {
                account: accounts::REFILLS.into(),
                kiosk: None,
                amount: -req.amount.as_i64(),
            },
            PostLine {
                account: accounts::WALLET.into(),
                kiosk: Some(kiosk),
                amount: req.amount.as_i64(),
            },
        ];
        post(&mut *tx, txn, "refill", &memo, now, &lines).await?;
        tx.exec(
            "UPDATE refill_requests SET status = 'credited', txn_id = $1, updated_ms = $2 WHERE id = $3",
            &params![txn, now, id],
        )
        .await?;
        insert_event(
            &mut *tx,
            kiosk,
            id,
            rf::STATUS_CREDITED,
            req.amount,
            Some(txn),
            "",
            now,
        )
        .await?;
        Ok(txn)
    }

    /// Rejects a pending request; the kiosk shows the reason. Its bank
    /// reference may be used again.
    pub async fn reject_refill(&self, id: Uuid, reason: &str) -> SResult<()> {
        in_tx!(self.db, |tx| {
            self.reject_refill_in(&mut *tx, id, reason).await
        })
    }

    /// [`Store::reject_refill`] inside the caller's transaction (the console
    /// writes its audit row in the same one).
    pub(crate) async fn reject_refill_in(
        &self,
        tx: &mut dyn SqlTx,
        id: Uuid,
        reason: &str,
    ) -> SResult<()> {
        let reason = domain::text::clean_text("reason", reason, rf::REASON_MAX_CHARS)
            .map_err(|e| StoreError::Invalid(e.to_string()))?;
        if reason.is_empty() {
            return Err(refused(
                rf::codes::REASON_REQUIRED,
                "say why the request is rejected",
            ));
        }
        let now = self.now_ms();
        let (kiosk, req) = lock_pending(&mut *tx, id).await?;
        tx.exec(
            "UPDATE refill_requests SET status = 'rejected', reason = $1, updated_ms = $2 WHERE id = $3",
            &params![&reason, now, id],
        )
        .await?;
        insert_event(
            &mut *tx,
            kiosk,
            id,
            rf::STATUS_REJECTED,
            req.amount,
            None,
            &reason,
            now,
        )
        .await?;
        Ok(())
    }

    /// The kiosk's deposit limit and dues now, as its pull says them.
    pub async fn wallet_terms(&self, kiosk: Uuid) -> SResult<WalletTerms> {
        let now = self.now_ms();
        let mut tx = self.db.begin_snapshot().await?;
        let bal = tx
            .query_opt(
                "SELECT wallet_balance FROM kiosks WHERE id = $1",
                &params![kiosk],
            )
            .await?
            .ok_or(StoreError::NotFound("kiosk"))?
            .i64(0)?;
        wallet_terms_in(&mut *tx, kiosk, bal, now).await
    }

    /// Every stretch of the kiosk's wallet below zero, oldest first.
    pub async fn dues_episodes(&self, kiosk: Uuid) -> SResult<Vec<DuesEpisode>> {
        let mut tx = self.db.begin_read().await?;
        let rows = tx
            .query(
                "SELECT since_ms, due_date, closed_ms, interest FROM dues_episodes WHERE kiosk_id = $1 ORDER BY id",
                &params![kiosk],
            )
            .await?;
        rows.iter()
            .map(|r| {
                Ok(DuesEpisode {
                    since_ms: r.i64(0)?,
                    due_date: day(&r.text(1)?)?,
                    closed_ms: r.opt_i64(2)?,
                    interest: r.opt_i64(3)?.map(Paise::new),
                })
            })
            .collect()
    }
}

/// A pending request, read again under its kiosk's lock: (kiosk, request).
async fn lock_pending(tx: &mut dyn SqlTx, id: Uuid) -> SResult<(Uuid, RefillRequest)> {
    let kiosk = tx
        .query_opt(
            "SELECT kiosk_id FROM refill_requests WHERE id = $1",
            &params![id],
        )
        .await?
        .ok_or(StoreError::NotFound("refill request"))?
        .uuid(0)?;
    lock_kiosk(tx, kiosk)
        .await?
        .ok_or(StoreError::NotFound("kiosk"))?;
    let r = tx
        .query_one(
            &format!("SELECT {REQUEST_COLS} FROM refill_requests r JOIN kiosks k ON k.id = r.kiosk_id WHERE r.id = $1"),
            &params![id],
        )
        .await?;
    let req = request_from(&r)?;
    if req.status != rf::STATUS_PENDING {
        return Err(refused(
            rf::codes::NOT_PENDING,
            format!("refill request {id} is {} already", req.status),
        ));
    }
    Ok((kiosk, req))
}

#[allow(clippy::too_many_arguments)]
async fn insert_event(
    tx: &mut dyn SqlTx,
    kiosk: Uuid,
    request: Uuid,
    status: &str,
    amount: Paise,
    txn: Option<i64>,
    reason: &str,
    now: i64,
) -> SResult<()> {
    tx.exec(
        "INSERT INTO refill_events (kiosk_id, request_id, status, amount, txn_id, reason, at_ms) VALUES ($1,$2,$3,$4,$5,$6,$7)",
        &params![kiosk, request, status, amount, txn, reason, now],
    )
    .await?;
    Ok(())
}

/// Records a request the plan accepted (checked, reference normalised),
/// pending, with its first event. Runs under the kiosk's lock (the push's).
pub(crate) async fn insert_refill_request(
    tx: &mut dyn SqlTx,
    kiosk: Uuid,
    entry_id: Uuid,
    p: &RefillPayload,
    now: i64,
) -> SResult<()> {
    tx.exec(
        "INSERT INTO refill_requests (id, kiosk_id, entry_id, amount, mode, reference, requested_by, status, created_ms, updated_ms)
         VALUES ($1,$2,$3,$4,$5,$6,$7,'pending',$8,$8)",
        &params![
            p.request_id,
            kiosk,
            entry_id,
            p.amount,
            &p.mode,
            p.reference.clone(),
            &p.requested_by,
            now
        ],
    )
    .await?;
    insert_event(
        tx,
        kiosk,
        p.request_id,
        rf::STATUS_PENDING,
        p.amount,
        None,
        "",
        now,
    )
    .await
}

/// What planning a batch's refill requests needs to know.
#[derive(Debug, Default)]
pub(crate) struct RefillCtx {
    /// Logins of the kiosk's holders.
    pub holders: HashSet<String>,
    /// Request ids of the batch already recorded (any kiosk).
    pub known_ids: HashSet<Uuid>,
    /// The batch's references already on a pending or credited request of
    /// this kiosk.
    pub live_refs: HashSet<String>,
}

pub(crate) async fn refill_ctx(
    tx: &mut dyn SqlTx,
    kiosk: Uuid,
    batch: &[RefillPayload],
) -> SResult<RefillCtx> {
    let mut c = RefillCtx::default();
    if batch.is_empty() {
        return Ok(c);
    }
    for r in &tx
        .query(
            "SELECT login FROM users WHERE kiosk_id = $1 AND role = 'holder' AND active",
            &params![kiosk],
        )
        .await?
    {
        c.holders.insert(r.text(0)?);
    }
    for chunk in batch.chunks(200) {
        let ids: Vec<V> = chunk.iter().map(|p| V::U(p.request_id)).collect();
        let sql = format!(
            "SELECT id FROM refill_requests WHERE id IN ({})",
            placeholders(1, ids.len())
        );
        for r in &tx.query(&sql, &ids).await? {
            c.known_ids.insert(r.uuid(0)?);
        }
        let mut refs: Vec<V> = vec![V::U(kiosk)];
        refs.extend(chunk.iter().filter_map(|p| p.reference.clone()).map(V::T));
        if refs.len() > 1 {
            let sql = format!(
                "SELECT reference FROM refill_requests WHERE kiosk_id = $1 AND status <> 'rejected' AND reference IN ({})",
                placeholders(2, refs.len() - 1)
            );
            for r in &tx.query(&sql, &refs).await? {
                c.live_refs.insert(r.text(0)?);
            }
        }
    }
    Ok(c)
}

/// The changes of a kiosk's requests after event id `after`.
pub(crate) async fn refill_updates_after(
    tx: &mut dyn SqlTx,
    kiosk: Uuid,
    after: i64,
    limit: i64,
) -> SResult<Vec<RefillUpdate>> {
    let rows = tx
        .query(
            "SELECT id, request_id, status, amount, txn_id, reason, at_ms FROM refill_events WHERE kiosk_id = $1 AND id > $2 ORDER BY id LIMIT $3",
            &params![kiosk, after, limit],
        )
        .await?;
    rows.iter()
        .map(|r| {
            Ok(RefillUpdate {
                id: r.i64(0)?,
                request_id: r.uuid(1)?,
                status: r.text(2)?,
                amount: Paise::new(r.i64(3)?),
                txn_id: r.opt_i64(4)?,
                reason: r.text(5)?,
                at_ms: r.i64(6)?,
            })
        })
        .collect()
}

/// The kiosk's security-deposit limit (0: none).
pub(crate) async fn deposit_limit_in(tx: &mut dyn SqlTx, kiosk: Uuid) -> SResult<i64> {
    Ok(tx
        .query_opt(
            "SELECT deposit_limit FROM kiosk_deposits WHERE kiosk_id = $1",
            &params![kiosk],
        )
        .await?
        .map(|r| r.i64(0))
        .transpose()?
        .unwrap_or(0))
}

async fn open_episode(tx: &mut dyn SqlTx, kiosk: Uuid) -> SResult<Option<(i64, i64, NaiveDate)>> {
    let r = tx
        .query_opt(
            "SELECT id, since_ms, due_date FROM dues_episodes WHERE kiosk_id = $1 AND closed_ms IS NULL",
            &params![kiosk],
        )
        .await?;
    r.map(|r| Ok((r.i64(0)?, r.i64(1)?, day(&r.text(2)?)?)))
        .transpose()
}

/// Keeps the kiosk's dues episodes in step with a wallet balance that went
/// from `old` to `new` at `now` (the lines are already written).
pub(crate) async fn track_dues(
    tx: &mut dyn SqlTx,
    kiosk: Uuid,
    old: i64,
    new: i64,
    now: i64,
) -> SResult<()> {
    if new >= 0 && old >= 0 {
        return Ok(());
    }
    let open = open_episode(tx, kiosk).await?;
    match open {
        None if new < 0 => {
            let due = domain::dues::due_date(ms_day(now));
            tx.exec(
                "INSERT INTO dues_episodes (kiosk_id, since_ms, due_date) VALUES ($1,$2,$3)",
                &params![kiosk, now, due.format("%Y-%m-%d").to_string()],
            )
            .await?;
        }
        Some((id, _, due)) if new >= 0 => {
            let interest = interest_in(tx, kiosk, new, due, ms_day(now)).await?;
            tx.exec(
                "UPDATE dues_episodes SET closed_ms = $1, interest = $2 WHERE id = $3",
                &params![now, interest, id],
            )
            .await?;
        }
        _ => {}
    }
    Ok(())
}

/// Interest through `today` on dues due on `due`, from the wallet's lines:
/// the dues at the start of a day are the balance then, below zero.
async fn interest_in(
    tx: &mut dyn SqlTx,
    kiosk: Uuid,
    balance_now: i64,
    due: NaiveDate,
    today: NaiveDate,
) -> SResult<Paise> {
    if today <= due {
        return Ok(Paise::ZERO);
    }
    let first = due + chrono::Duration::days(1);
    let start = |d: NaiveDate| domain::clock::ist_day_bounds(d).0.timestamp_millis();
    let lines: Vec<(i64, i64)> = tx
        .query(
            "SELECT at_ms, amount FROM ledger WHERE kiosk_id = $1 AND account = 'wallet' AND at_ms >= $2 ORDER BY at_ms, id",
            &params![kiosk, start(first)],
        )
        .await?
        .iter()
        .map(|r| Ok((r.i64(0)?, r.i64(1)?)))
        .collect::<SResult<_>>()?;
    // The balance at the start of the first overdue day, then day by day.
    let mut bal = balance_now - lines.iter().map(|l| l.1).sum::<i64>();
    let mut next = 0;
    Ok(domain::dues::interest_through(due, today, |d| {
        let from = start(d);
        while next < lines.len() && lines[next].0 < from {
            bal += lines[next].1;
            next += 1;
        }
        Paise::new((-bal).max(0))
    }))
}

/// The deposit limit and the dues of a kiosk whose balance is `balance`.
pub(crate) async fn wallet_terms_in(
    tx: &mut dyn SqlTx,
    kiosk: Uuid,
    balance: i64,
    now: i64,
) -> SResult<WalletTerms> {
    let limit = Paise::new(deposit_limit_in(tx, kiosk).await?);
    if balance >= 0 {
        return Ok(WalletTerms {
            deposit_limit: limit,
            ..Default::default()
        });
    }
    let mut t = WalletTerms {
        deposit_limit: limit,
        dues: Paise::new(-balance),
        ..Default::default()
    };
    if let Some((_, since, due)) = open_episode(tx, kiosk).await? {
        t.since_ms = Some(since);
        t.due_date = Some(due.format("%Y-%m-%d").to_string());
        t.interest = interest_in(tx, kiosk, balance, due, ms_day(now)).await?;
    }
    Ok(t)
}

pub(crate) async fn request_by_id_in(
    tx: &mut dyn SqlTx,
    id: Uuid,
) -> SResult<Option<RefillRequest>> {
    let r = tx
        .query_opt(
            &format!("SELECT {REQUEST_COLS} FROM refill_requests r JOIN kiosks k ON k.id = r.kiosk_id WHERE r.id = $1"),
            &params![id],
        )
        .await?;
    r.as_ref().map(request_from).transpose()
}
