//! Exactly-once push and pull-by-cursor.
//!
//! A push is applied in one database transaction holding the kiosk's and
//! the device's row locks: replayed seqs get their recorded outcome, new
//! ones are decided in seq order by `plan` (pure: no I/O) over a context
//! loaded up front, then written in a few multi-row statements.

use crate::db::{DbError, Dialect, SqlTx, V};
use crate::params;
use crate::store::{
    Kiosk, PostLine, RefillCtx, SResult, Store, StoreError, accounts, kiosk_ledger, lock_device,
    lock_kiosk, next_txn_ids, notices_after, placeholders, post_many, ticket_replies_after,
    value_rows,
};
use domain::{Catalogue, ErrorCode, Paise, PaymentMode};
use protocol::{
    CancelPayload, Cursor, Entry, EntryKind, EntryOutcome, GENESIS_HASH, Hash32, Outcome,
    PROTOCOL_VERSION, PaymentPayload, PullResponse, PushRequest, PushResponse, TicketPayload,
    chain_hash, codes, refills::RefillPayload,
};
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

#[derive(Debug, thiserror::Error)]
pub enum PushError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("unknown device")]
    UnknownDevice,
    #[error("device is de-registered")]
    Deregistered,
    #[error("kiosk is deactivated")]
    KioskInactive,
    #[error("the batch is empty")]
    Empty,
    #[error(
        "the batch has more than {} entries",
        protocol::wire::MAX_BATCH_ENTRIES
    )]
    TooLarge,
    #[error("seq gap: the server expects seq {expected}")]
    Gap { expected: u64 },
    #[error("hash chain mismatch at seq {at}; the server expects seq {expected}")]
    ChainMismatch { expected: u64, at: u64 },
    #[error("no service catalogue is loaded")]
    NoCatalogue,
}

impl From<DbError> for PushError {
    fn from(e: DbError) -> Self {
        PushError::Store(e.into())
    }
}

impl ErrorCode for PushError {
    fn code(&self) -> &str {
        match self {
            PushError::Store(e) => e.code(),
            PushError::UnknownDevice => codes::AUTH_UNKNOWN_DEVICE,
            PushError::Deregistered => codes::AUTH_DEVICE_DEREGISTERED,
            PushError::KioskInactive => codes::AUTH_INACTIVE,
            PushError::Empty => codes::BATCH_EMPTY,
            PushError::TooLarge => codes::BATCH_TOO_LARGE,
            PushError::Gap { .. } => codes::GAP,
            PushError::ChainMismatch { .. } => codes::CHAIN_MISMATCH,
            PushError::NoCatalogue => codes::INTERNAL,
        }
    }
}

/// The final receipt number the centre gives a payment.
pub fn receipt_no(txn_id: i64) -> String {
    format!("EM{txn_id:010}")
}

// Planning (pure: an entry and what is known → outcome and effects) and
// the outcome columns of `entries`, each in its own file.
mod plan;
mod rows;
mod users;
use plan::*;
use rows::*;
use users::*;

// ------------------------------------------------------------------ push

impl Store {
    /// Applies a push from `device_id` (whose signature the caller checked).
    pub async fn push(&self, device_id: Uuid, req: PushRequest) -> Result<PushResponse, PushError> {
        if req.entries.is_empty() {
            return Err(PushError::Empty);
        }
        if req.entries.len() > protocol::wire::MAX_BATCH_ENTRIES {
            return Err(PushError::TooLarge);
        }
        if req.first_seq == 0
            || req
                .first_seq
                .checked_add(req.entries.len() as u64)
                .is_none_or(|s| s > i64::MAX as u64)
        {
            return Err(PushError::Gap { expected: 1 });
        }
        let catalogue = self
            .current_catalogue()
            .await?
            .ok_or(PushError::NoCatalogue)?;
        let passwords = self.passwords_for(device_id, &req).await?;
        // A deadlock between two kiosks' bill locks is resolved by the
        // database killing one; that one is simply run again.
        let mut tries = 0;
        loop {
            tries += 1;
            match self
                .push_once(device_id, &req, &catalogue, &passwords)
                .await
            {
                Err(PushError::Store(StoreError::Db(e))) if e.is_retryable() && tries < 5 => {
                    continue;
                }
                r => return r,
            }
        }
    }

    async fn push_once(
        &self,
        device_id: Uuid,
        req: &PushRequest,
        catalogue: &Catalogue,
        passwords: &HashMap<Uuid, NewPassword>,
    ) -> Result<PushResponse, PushError> {
        let now = self.now_ms();
        let mut txb = self.db.begin().await?;
        let tx: &mut dyn SqlTx = &mut *txb;
        let dev0 = crate::store::device_in(tx, device_id)
            .await?
            .ok_or(PushError::UnknownDevice)?;
        let kiosk = lock_kiosk(tx, dev0.kiosk_id)
            .await?
            .ok_or(PushError::UnknownDevice)?;
        let dev = lock_device(tx, device_id)
            .await?
            .ok_or(PushError::UnknownDevice)?;
        if dev.deregistered_ms.is_some() {
            return Err(PushError::Deregistered);
        }
        if !kiosk.active {
            return Err(PushError::KioskInactive);
        }
        let hwm = dev.high_water;
        let first = req.first_seq;
        let n = req.entries.len() as u64;
        let last = first + n - 1;
        if first > hwm + 1 {
            // Entries this centre never saw: a restored centre, or a kiosk
            // that skipped some. Refused either way; staff are told once a day.
            let at = format!(
                "sequence gap: the kiosk sent {first} while {} was expected",
                hwm + 1
            );
            if raise_alert(tx, device_id, kiosk.id, hwm + 1, "sequence gap", &at, now).await? {
                txb.commit().await?;
            }
            return Err(PushError::Gap { expected: hwm + 1 });
        }
        // Stored rows for seq first-1 ..= min(last, hwm): the chain's start and the replays.
        let mut stored: HashMap<u64, (Hash32, Outcome)> = HashMap::new();
        let lo = first.saturating_sub(1).max(1);
        let hi = last.min(hwm);
        if hwm >= 1 && lo <= hi {
            let rows = tx
                .query(
                    "SELECT seq, hash, status, code, reason, txn_id, receipt_no, warnings FROM entries WHERE device_id = $1 AND seq >= $2 AND seq <= $3",
                    &params![device_id, lo, hi],
                )
                .await?;
            for r in &rows {
                stored.insert(r.i64(0)? as u64, (r.hash32(1)?, outcome_from(r, 2)?));
            }
        }
        let mut prev = if first == 1 {
            GENESIS_HASH
        } else if first - 1 == hwm {
            dev.last_hash
        } else {
            stored
                .get(&(first - 1))
                .map(|s| s.0)
                .ok_or_else(|| StoreError::Corrupt(format!("missing entry {}", first - 1)))?
        };
        let mut entries = Vec::with_capacity(req.entries.len());
        let mut hashes = Vec::with_capacity(req.entries.len());
        let mut bad_at = None;
        for (i, w) in req.entries.iter().enumerate() {
            let seq = first + i as u64;
            let e = w.clone().into_entry(device_id, seq);
            let h = chain_hash(&prev, &e);
            if let Some((sh, _)) = stored.get(&seq)
                && *sh != h
                && bad_at.is_none()
            {
                bad_at = Some(seq);
            }
            prev = h;
            entries.push(e);
            hashes.push(h);
        }
        if bad_at.is_none() && prev != req.last_hash {
            bad_at = Some(last);
        }
        if let Some(at) = bad_at {
            // Refused, but the alert is kept: commit it alone. A kiosk
            // retrying the same batch raises it once a day, not each time.
            let detail = format!(
                "chain mismatch at entry {at} (a batch of entries {first} to {last}): the kiosk's records were changed after they were written"
            );
            if raise_alert(
                tx,
                device_id,
                kiosk.id,
                hwm + 1,
                "chain mismatch",
                &detail,
                now,
            )
            .await?
            {
                txb.commit().await?;
            }
            tracing::warn!(%device_id, at, expected = hwm + 1, "tamper alert: hash chain mismatch");
            return Err(PushError::ChainMismatch {
                expected: hwm + 1,
                at,
            });
        }

        let mut outcomes = Vec::with_capacity(entries.len());
        let new: Vec<usize> = (0..entries.len())
            .filter(|&i| entries[i].seq > hwm)
            .collect();
        for (i, e) in entries.iter().enumerate() {
            if e.seq <= hwm {
                let o = stored
                    .get(&e.seq)
                    .map(|s| s.1.clone())
                    .ok_or_else(|| StoreError::Corrupt(format!("missing entry {}", e.seq)))?;
                outcomes.push(EntryOutcome {
                    seq: e.seq,
                    outcome: o,
                });
            } else {
                let _ = i;
            }
        }
        if new.is_empty() {
            txb.commit().await?;
            return Ok(PushResponse {
                version: PROTOCOL_VERSION,
                high_water: hwm,
                outcomes,
                server_time_ms: now,
                wallet_balance: kiosk.wallet_balance,
                commission_balance: kiosk.commission_balance,
                exposure: kiosk.exposure,
            });
        }

        // Load what planning needs, in a few queries.
        let new_entries: Vec<&Entry> = new.iter().map(|&i| &entries[i]).collect();
        let mut ctx = load_ctx(
            tx,
            &kiosk,
            catalogue,
            &self.confirm_later,
            &new_entries,
            now,
        )
        .await?;
        ctx.txn_ids = next_txn_ids(tx, new.len()).await?.into_iter();
        ctx.clock_offset_ms = req.clock_offset_ms;
        ctx.passwords = passwords.clone();
        load_users(tx, &kiosk, &new_entries, &mut ctx).await?;
        if clock_skewed(req.clock_offset_ms, &new_entries, now) {
            tracing::warn!(
                %device_id,
                offset_ms = ?req.clock_offset_ms,
                "kiosk clock skewed: its entries are flagged clock.skew"
            );
            let detail = match req.clock_offset_ms {
                Some(o) => format!(
                    "clock skew: the kiosk's clock is {} min {} the centre's",
                    o.abs() / 60_000,
                    if o > 0 { "behind" } else { "ahead of" }
                ),
                None => "clock skew: entries dated far from the centre's time".to_string(),
            };
            raise_alert(tx, device_id, kiosk.id, hwm + 1, "clock skew", &detail, now).await?;
        }
        let mut planned = Vec::with_capacity(new.len());
        for &i in &new {
            let (o, fx) = plan(&mut ctx, &entries[i]);
            outcomes.push(EntryOutcome {
                seq: entries[i].seq,
                outcome: o.clone(),
            });
            planned.push(Planned {
                entry: entries[i].clone(),
                hash: hashes[i],
                outcome: o,
                effects: fx,
            });
        }
        write_planned(tx, &kiosk, &planned, now).await?;
        let held = write_user_changes(tx, &kiosk, &planned, now).await?;
        if new_entries
            .iter()
            .any(|e| e.kind == EntryKind::Cancellation)
        {
            let n = tx
                .query_one(
                    "SELECT CAST(COUNT(*) AS BIGINT) FROM entries e JOIN devices d ON d.id = e.device_id WHERE d.kiosk_id = $1 AND e.kind = 'cancellation' AND e.server_ms > $2",
                    &params![kiosk.id, now - DAY_MS],
                )
                .await?
                .i64(0)?;
            if n >= MANY_CANCELLATIONS {
                let detail = format!("many cancellations: {n} in the last 24 hours");
                raise_alert(
                    tx,
                    device_id,
                    kiosk.id,
                    last,
                    "many cancellations",
                    &detail,
                    now,
                )
                .await?;
            }
        }
        tx.exec(
            "UPDATE devices SET high_water = $1, last_hash = $2 WHERE id = $3",
            &params![last, req.last_hash, device_id],
        )
        .await?;
        // The balance with this batch in it, read under the kiosk's lock.
        let bal = tx
            .query_one(
                "SELECT wallet_balance, commission_balance FROM kiosks WHERE id = $1",
                &params![kiosk.id],
            )
            .await?;
        let (wallet_balance, commission_balance) =
            (Paise::new(bal.i64(0)?), Paise::new(bal.i64(1)?));
        // The texts are in memory before their rows can be seen: the sender
        // must never find a password message without its text.
        for (id, text) in &held {
            self.held.lock().unwrap().insert(*id, text.clone());
        }
        if let Err(e) = txb.commit().await {
            for (id, _) in &held {
                self.forget_held(*id);
            }
            return Err(e.into());
        }
        Ok(PushResponse {
            version: PROTOCOL_VERSION,
            high_water: last,
            outcomes,
            server_time_ms: now,
            wallet_balance,
            commission_balance,
            exposure: kiosk.exposure,
        })
    }

    /// The catalogue in force (cached; re-read when a newer version is loaded).
    pub async fn current_catalogue(&self) -> SResult<Option<std::sync::Arc<Catalogue>>> {
        let mut tx = self.db.begin_read().await?;
        let v = tx
            .query_one(
                "SELECT CAST(COALESCE(MAX(version), 0) AS BIGINT) FROM catalogues",
                &[],
            )
            .await?
            .i64(0)? as u32;
        drop(tx);
        if v == 0 {
            return Ok(None);
        }
        if let Some(c) = self.cat_cache.read().unwrap().as_ref()
            && c.version == v
        {
            return Ok(Some(c.clone()));
        }
        let c = std::sync::Arc::new(
            self.catalogue()
                .await?
                .ok_or(StoreError::NotFound("catalogue"))?,
        );
        *self.cat_cache.write().unwrap() = Some(c.clone());
        Ok(Some(c))
    }

    /// Everything a device has not seen since `cursor`.
    pub async fn pull(
        &self,
        device_id: Uuid,
        cursor: Cursor,
        limit: u32,
    ) -> Result<PullResponse, PushError> {
        let limit = limit.clamp(1, 1000) as i64;
        let catalogue = self.current_catalogue().await?;
        let mut tx = self.db.begin_snapshot().await?;
        let dev = crate::store::device_in(&mut *tx, device_id)
            .await?
            .ok_or(PushError::UnknownDevice)?;
        if dev.deregistered_ms.is_some() {
            return Err(PushError::Deregistered);
        }
        let kr = tx
            .query_one(
                &format!(
                    "SELECT {} FROM kiosks WHERE id = $1",
                    crate::store::KIOSK_COLS
                ),
                &params![dev.kiosk_id],
            )
            .await?;
        let kiosk = crate::store::kiosk_from(&kr)?;
        let ledger = kiosk_ledger(&mut *tx, kiosk.id, cursor.ledger_after, limit).await?;
        let rows = tx
            .query(
                "SELECT seq, status, code, reason, txn_id, receipt_no, warnings FROM entries WHERE device_id = $1 AND seq > $2 ORDER BY seq LIMIT $3",
                &params![device_id, cursor.outcomes_after, limit],
            )
            .await?;
        let mut outcomes = rows
            .iter()
            .map(|r| {
                Ok(EntryOutcome {
                    seq: r.i64(0)? as u64,
                    outcome: outcome_from(r, 1)?,
                })
            })
            .collect::<SResult<Vec<_>>>()?;
        let outcomes_after = outcomes.last().map_or(cursor.outcomes_after, |o| o.seq);
        // Held entries settled since the device last looked, even below its seq cursor.
        let settled = tx
            .query(
                "SELECT seq, status, code, reason, txn_id, receipt_no, warnings, settled_rev FROM entries
                 WHERE device_id = $1 AND settled_rev IS NOT NULL AND settled_rev > $2 ORDER BY settled_rev LIMIT $3",
                &params![device_id, cursor.settled_after, limit],
            )
            .await?;
        let mut settled_after = cursor.settled_after;
        for r in &settled {
            settled_after = r.i64(7)?;
            let seq = r.i64(0)? as u64;
            if seq <= outcomes_after && !outcomes.iter().any(|o| o.seq == seq) {
                outcomes.push(EntryOutcome {
                    seq,
                    outcome: outcome_from(r, 1)?,
                });
            }
        }
        let notices = notices_after(&mut *tx, kiosk.id, cursor.notices_after, limit).await?;
        let ticket_replies =
            ticket_replies_after(&mut *tx, kiosk.id, cursor.tickets_after, limit).await?;
        let users = kiosk_users(&mut *tx, kiosk.id).await?;
        let users_digest = protocol::users_digest(&users);
        let refills =
            crate::store::refill_updates_after(&mut *tx, kiosk.id, cursor.refills_after, limit)
                .await?;
        let wallet_terms = crate::store::wallet_terms_in(
            &mut *tx,
            kiosk.id,
            kiosk.wallet_balance.as_i64(),
            self.now_ms(),
        )
        .await?;
        let ledger_high = tx
            .query_one(
                "SELECT CAST(COALESCE(MAX(id), 0) AS BIGINT) FROM ledger WHERE kiosk_id = $1",
                &params![kiosk.id],
            )
            .await?
            .i64(0)?;
        let check = if cursor.outcomes_after > 0 {
            tx.query_opt(
                "SELECT seq, status, code, reason, txn_id, receipt_no, warnings FROM entries WHERE device_id = $1 AND seq = $2",
                &params![device_id, cursor.outcomes_after],
            )
            .await?
            .map(|r| {
                Ok::<_, StoreError>(EntryOutcome {
                    seq: r.i64(0)? as u64,
                    outcome: outcome_from(&r, 1)?,
                })
            })
            .transpose()?
        } else {
            None
        };
        let more = ledger.len() as i64 == limit
            || rows.len() as i64 == limit
            || settled.len() as i64 == limit
            || notices.len() as i64 == limit
            || ticket_replies.len() as i64 == limit
            || refills.len() as i64 == limit;
        let catalogue = catalogue.filter(|c| c.version > cursor.catalogue_version);
        let new_cursor = Cursor {
            catalogue_version: catalogue
                .as_ref()
                .map_or(cursor.catalogue_version, |c| c.version),
            ledger_after: ledger.last().map_or(cursor.ledger_after, |l| l.id),
            outcomes_after,
            notices_after: notices.last().map_or(cursor.notices_after, |n| n.id),
            settled_after,
            tickets_after: ticket_replies.last().map_or(cursor.tickets_after, |r| r.id),
            users_digest,
            refills_after: refills.last().map_or(cursor.refills_after, |r| r.id),
        };
        Ok(PullResponse {
            version: PROTOCOL_VERSION,
            cursor: new_cursor,
            server_time_ms: self.now_ms(),
            wallet_balance: kiosk.wallet_balance,
            commission_balance: kiosk.commission_balance,
            exposure: kiosk.exposure,
            catalogue: catalogue.map(|c| (*c).clone()),
            ledger,
            outcomes,
            notices,
            more,
            high_water: dev.high_water,
            ledger_high,
            check,
            ticket_replies,
            // Only when the device's list is not this one.
            users: (cursor.users_digest != users_digest).then_some(users),
            refills,
            wallet_terms,
        })
    }
}

async fn load_ctx<'a>(
    tx: &mut dyn SqlTx,
    kiosk: &Kiosk,
    catalogue: &'a Catalogue,
    confirm_later: &'a HashSet<String>,
    entries: &[&Entry],
    now: i64,
) -> SResult<Ctx<'a>> {
    let mut bill_keys = Vec::new();
    let mut consumers = HashSet::new();
    let mut cancels = Vec::new();
    let mut refills = Vec::new();
    let mut wallet_payments = false;
    for e in entries {
        match e.kind {
            EntryKind::Payment => {
                if let Ok(p) = e.payment() {
                    wallet_payments |= p.mode == PaymentMode::Wallet;
                    // Loaded like a cancellation's target: a payment that
                    // reuses an earlier one's receipt id is refused in the plan.
                    cancels.push(p.receipt_id);
                    for l in &p.lines {
                        consumers.insert((l.service_code.clone(), l.consumer_no.clone()));
                        if let Some(r) = &l.bill_ref {
                            bill_keys.push((
                                l.service_code.clone(),
                                l.consumer_no.clone(),
                                r.clone(),
                            ));
                        }
                    }
                }
            }
            EntryKind::Cancellation => {
                if let Ok(c) = e.cancellation() {
                    cancels.push(c.receipt_id);
                }
            }
            EntryKind::RefillRequest => {
                if let Ok(r) = RefillPayload::decode(&e.payload) {
                    refills.push(r);
                }
            }
            _ => {}
        }
    }
    let mut ctx = Ctx {
        kiosk: kiosk.clone(),
        catalogue,
        bills: HashMap::new(),
        payments: HashMap::new(),
        recent: HashSet::new(),
        known_ids: HashMap::new(),
        txn_ids: Vec::new().into_iter(),
        confirm_later,
        now_ms: now,
        clock_offset_ms: None,
        users: HashMap::new(),
        passwords: HashMap::new(),
        deposit_limit: if wallet_payments {
            crate::store::deposit_limit_in(tx, kiosk.id).await?
        } else {
            0
        },
        refills: RefillCtx::default(),
    };
    ctx.refills = crate::store::refill_ctx(tx, kiosk.id, &refills).await?;
    // Entry ids seen before (any device).
    let ids: Vec<V> = entries.iter().map(|e| V::U(e.id)).collect();
    for chunk in ids.chunks(500) {
        // PostgreSQL: a LATERAL probe per id, so a generic plan made while
        // the table was small can never become a sequential scan.
        let sql = if tx.dialect() == Dialect::Postgres {
            let vals: Vec<String> = (1..=chunk.len()).map(|i| format!("(${i}::uuid)")).collect();
            format!(
                "SELECT e.id, e.device_id, e.status, e.code, e.reason, e.txn_id, e.receipt_no, e.warnings
                 FROM (VALUES {}) AS v(id) CROSS JOIN LATERAL (
                     SELECT * FROM entries x WHERE x.id = v.id ORDER BY x.seq LIMIT 1) e",
                vals.join(", ")
            )
        } else {
            format!(
                "SELECT id, device_id, status, code, reason, txn_id, receipt_no, warnings FROM entries WHERE id IN ({})",
                placeholders(1, chunk.len())
            )
        };
        let rows = tx.query(&sql, chunk).await?;
        for r in &rows {
            ctx.known_ids
                .entry(r.uuid(0)?)
                .or_insert((r.uuid(1)?, outcome_from(r, 2)?));
        }
    }
    // Bills, locked so two kiosks cannot both pay one (sorted: no lock-order deadlock).
    bill_keys.sort();
    bill_keys.dedup();
    let lock = crate::store::row_lock(tx);
    for (s, c, r) in bill_keys {
        if let Some(row) = tx
            .query_opt(
                &format!("SELECT paid_txn FROM bills WHERE service_code = $1 AND consumer_no = $2 AND bill_ref = $3{lock}"),
                &params![&s, &c, &r],
            )
            .await?
        {
            ctx.bills.insert((s, c, r), !row.is_null(0));
        }
    }
    // Recent payments of the same consumers, any kiosk (the duplicate warning).
    let since = now - domain::rules::DUPLICATE_WINDOW.num_milliseconds();
    let consumers: Vec<_> = consumers.into_iter().collect();
    for chunk in consumers.chunks(200) {
        let mut p = vec![V::I(since)];
        for (s, c) in chunk {
            p.push(V::T(s.clone()));
            p.push(V::T(c.clone()));
        }
        let sql = if tx.dialect() == Dialect::Postgres {
            // A VALUES list joined to the index: one plan, one probe per consumer.
            let vals: Vec<String> = (0..chunk.len())
                .map(|i| format!("(${}::text, ${}::text)", 2 + 2 * i, 3 + 2 * i))
                .collect();
            format!(
                "SELECT v.s, v.c FROM (VALUES {}) AS v(s, c) CROSS JOIN LATERAL (
                     SELECT 1 FROM payment_lines l
                     WHERE l.service_code = v.s AND l.consumer_no = v.c AND l.created_ms >= $1 AND NOT l.cancelled LIMIT 1) x",
                vals.join(", ")
            )
        } else {
            let conds: Vec<String> = (0..chunk.len())
                .map(|i| {
                    format!(
                        "(service_code = ${} AND consumer_no = ${})",
                        2 + 2 * i,
                        3 + 2 * i
                    )
                })
                .collect();
            format!(
                "SELECT DISTINCT service_code, consumer_no FROM payment_lines WHERE created_ms >= $1 AND NOT cancelled AND ({})",
                conds.join(" OR ")
            )
        };
        for r in &tx.query(&sql, &p).await? {
            ctx.recent.insert((r.text(0)?, r.text(1)?));
        }
    }
    // Payments the batch cancels, or whose receipt ids its payments reuse.
    for rid in cancels {
        if ctx.payments.contains_key(&rid) {
            continue;
        }
        let Some(p) = tx
            .query_opt(
                "SELECT txn_id, receipt_no, cancel_txn, mobile, email, total, pending FROM payments WHERE kiosk_id = $1 AND receipt_id = $2",
                &params![kiosk.id, rid],
            )
            .await?
        else {
            continue;
        };
        let txn = p.i64(0)?;
        let lines = tx
            .query(
                "SELECT account, kiosk_id, amount FROM ledger WHERE txn_id = $1 ORDER BY id",
                &params![txn],
            )
            .await?
            .iter()
            .map(|r| {
                Ok(PostLine {
                    account: r.text(0)?,
                    kiosk: r.opt_uuid(1)?,
                    amount: r.i64(2)?,
                })
            })
            .collect::<SResult<Vec<_>>>()?;
        ctx.payments.insert(
            rid,
            PaidPayment {
                txn_id: txn,
                pending: p.bool(6)?,
                receipt_no: p.text(1)?,
                cancelled: !p.is_null(2),
                lines,
                mobile: p.opt_text(3)?,
                email: p.opt_text(4)?,
                total: p.i64(5)?,
            },
        );
    }
    Ok(ctx)
}

async fn write_planned(
    tx: &mut dyn SqlTx,
    kiosk: &Kiosk,
    planned: &[Planned],
    now: i64,
) -> SResult<()> {
    // entries
    const EC: usize = 14;
    for chunk in planned.chunks(500) {
        let mut vals = Vec::with_capacity(chunk.len() * EC);
        for p in chunk {
            let (status, code, reason, txn, rno, warn) = outcome_cols(&p.outcome);
            vals.extend(params![
                p.entry.device_id,
                p.entry.seq,
                p.entry.id,
                p.entry.kind.as_str(),
                p.entry.device_time_ms,
                now,
                p.hash,
                p.entry.payload.clone(),
                status,
                code,
                reason,
                txn,
                rno,
                warn
            ]);
        }
        tx.exec(
            &format!(
                "INSERT INTO entries (device_id, seq, id, kind, device_time_ms, server_ms, hash, payload, status, code, reason, txn_id, receipt_no, warnings) VALUES {}",
                value_rows(chunk.len(), EC)
            ),
            &vals,
        )
        .await?;
    }
    // payments and their lines
    let pays: Vec<(&Planned, &NewPayment)> = planned
        .iter()
        .filter_map(|p| p.effects.payment.as_ref().map(|x| (p, x)))
        .collect();
    const PC: usize = 17;
    for chunk in pays.chunks(200) {
        let mut vals = Vec::with_capacity(chunk.len() * PC);
        for (pl, np) in chunk {
            let p = &np.p;
            vals.extend(params![
                np.txn_id,
                kiosk.id,
                pl.entry.device_id,
                pl.entry.seq,
                pl.entry.id,
                p.receipt_id,
                &p.receipt_no,
                crate::sync::receipt_no(np.txn_id),
                p.mode.code(),
                p.total,
                np.commission,
                p.contact.mobile.as_ref().map(|m| m.as_str().to_string()),
                p.contact.email.as_ref().map(|m| m.as_str().to_string()),
                &p.operator,
                now,
                pl.entry.device_time_ms,
                np.pending
            ]);
        }
        tx.exec(
            &format!(
                "INSERT INTO payments (txn_id, kiosk_id, device_id, seq, entry_id, receipt_id, local_receipt_no, receipt_no, mode, total, commission, mobile, email, operator, created_ms, device_time_ms, pending) VALUES {}",
                value_rows(chunk.len(), PC)
            ),
            &vals,
        )
        .await
        .map_err(|e| if e.is_unique_violation() { StoreError::Invalid("receipt id reused".into()) } else { e.into() })?;
    }
    let mut lines: Vec<V> = Vec::new();
    const LC: usize = 11;
    let mut nlines = 0;
    for (_, np) in &pays {
        for (i, l) in np.p.lines.iter().enumerate() {
            lines.extend(params![
                np.txn_id,
                i as i64 + 1,
                kiosk.id,
                &l.service_code,
                &l.department,
                &l.consumer_no,
                l.bill_ref.clone(),
                l.bill_amount,
                l.charge,
                l.commission,
                now
            ]);
            nlines += 1;
        }
    }
    let _ = nlines;
    for chunk in lines.chunks(LC * 500) {
        tx.exec(
            &format!(
                "INSERT INTO payment_lines (txn_id, line_no, kiosk_id, service_code, department, consumer_no, bill_ref, bill_amount, charge, commission, created_ms) VALUES {}",
                value_rows(chunk.len() / LC, LC)
            ),
            chunk,
        )
        .await?;
    }
    // ledger
    let posts: Vec<_> = planned
        .iter()
        .filter_map(|p| p.effects.ledger.clone())
        .collect();
    if !posts.is_empty() {
        post_many(tx, &posts, now).await?;
    }
    // cancellations, bills
    for p in planned {
        if let Some((orig, txn)) = p.effects.cancel {
            tx.exec(
                "UPDATE payments SET cancel_txn = $1 WHERE txn_id = $2",
                &params![txn, orig],
            )
            .await?;
        }
        for orig in &p.effects.bills_unpaid {
            tx.exec(
                "UPDATE bills SET paid_txn = NULL WHERE paid_txn = $1",
                &params![*orig],
            )
            .await?;
        }
        for (s, c, r, txn) in &p.effects.bills_paid {
            tx.exec(
                "UPDATE bills SET paid_txn = $1 WHERE service_code = $2 AND consumer_no = $3 AND bill_ref = $4",
                &params![*txn, s, c, r],
            )
            .await?;
        }
        if let Some(r) = &p.effects.refill {
            crate::store::insert_refill_request(tx, kiosk.id, p.entry.id, r, now).await?;
        }
        if let Some(t) = &p.effects.ticket {
            crate::store::insert_ticket(
                tx,
                t.ticket_id,
                kiosk.id,
                &t.raised_by,
                &t.subject,
                &t.body,
                &crate::store::TicketExtra {
                    category: &t.category,
                    receipt_no: t.receipt_no.as_deref(),
                    attachment: t.attachment.as_deref(),
                },
                now,
            )
            .await?;
        }
    }
    // notifications (the sender picks them up; nothing is lost if it is down)
    let mut nv: Vec<V> = Vec::new();
    const NC: usize = 9;
    let mut counter = 0u64;
    for p in planned {
        let txn = match &p.outcome {
            Outcome::Accepted { txn_id, .. } => *txn_id,
            _ => continue,
        };
        for (ch, to, subj, body) in &p.effects.notify {
            counter += 1;
            // Deterministic per (entry, message): a retried push makes the same ids.
            let id = derived_id(&p.entry.id, counter);
            nv.extend(params![id, txn, ch, to, subj, body, "queued", now, now]);
        }
    }
    for chunk in nv.chunks(NC * 500) {
        tx.exec(
            &format!(
                "INSERT INTO notifications (id, txn_id, channel, recipient, subject, body, status, next_attempt_ms, created_ms) VALUES {}",
                value_rows(chunk.len() / NC, NC)
            ),
            chunk,
        )
        .await?;
    }
    Ok(())
}

/// A UUID derived from an entry id and a counter (SHA-256, version bits of v8).
fn derived_id(base: &Uuid, n: u64) -> Uuid {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(base.as_bytes());
    h.update(n.to_be_bytes());
    let d: [u8; 32] = h.finalize().into();
    let mut b = [0u8; 16];
    b.copy_from_slice(&d[..16]);
    uuid::Builder::from_custom_bytes(b).into_uuid()
}

impl Store {
    /// The department's word on a held (`pending`) payment: confirmed, it
    /// posts the department, fee and commission lines and gets its final
    /// receipt; refused, the held money goes back to the kiosk. The entry's
    /// recorded outcome changes once (to `accepted` or `rejected`
    /// `department.refused`) and the device's next pull carries it.
    pub async fn settle(&self, txn_id: i64, confirm: bool, reason: &str) -> SResult<Outcome> {
        let mut txb = self.db.begin().await?;
        let r = self.settle_in(&mut *txb, txn_id, confirm, reason).await?;
        txb.commit().await?;
        Ok(r)
    }

    /// [`Store::settle`] inside the caller's transaction (the console
    /// writes its audit row in the same one).
    pub(crate) async fn settle_in(
        &self,
        tx: &mut dyn SqlTx,
        txn_id: i64,
        confirm: bool,
        reason: &str,
    ) -> SResult<Outcome> {
        let now = self.now_ms();
        let reason: String = reason
            .chars()
            .filter(|c| !c.is_control())
            .take(200)
            .collect();
        let p = tx
            .query_opt("SELECT kiosk_id, total, commission, receipt_no, mobile, email, entry_id FROM payments WHERE txn_id = $1", &params![txn_id])
            .await?
            .ok_or(StoreError::NotFound("payment"))?;
        let kiosk = p.uuid(0)?;
        lock_kiosk(tx, kiosk)
            .await?
            .ok_or(StoreError::NotFound("kiosk"))?;
        // Re-read under the kiosk's lock: two settlements cannot both apply.
        let still = tx
            .query_one(
                "SELECT pending FROM payments WHERE txn_id = $1",
                &params![txn_id],
            )
            .await?
            .bool(0)?;
        if !still {
            return Err(StoreError::Invalid(format!(
                "payment {txn_id} is not pending"
            )));
        }
        let (total, commission, rno) = (p.i64(1)?, p.i64(2)?, p.text(3)?);
        let (mobile, email, entry_id) = (p.opt_text(4)?, p.opt_text(5)?, p.uuid(6)?);
        let rev = match tx.dialect() {
            Dialect::Postgres => tx
                .query_one("SELECT nextval('settle_seq')", &[])
                .await?
                .i64(0)?,
            Dialect::Sqlite => tx
                .query_one(
                    "UPDATE counters SET value = value + 1 WHERE name = 'settle' RETURNING value",
                    &[],
                )
                .await?
                .i64(0)?,
        };
        let (outcome, lines, kind, text) = if confirm {
            let mut lines = vec![PostLine {
                account: accounts::PENDING.into(),
                kiosk: None,
                amount: -total,
            }];
            let rows = tx
                .query("SELECT department, bill_amount, charge FROM payment_lines WHERE txn_id = $1 ORDER BY line_no", &params![txn_id])
                .await?;
            let mut by_dept: std::collections::BTreeMap<String, i64> = Default::default();
            let mut charges = 0;
            for r in &rows {
                *by_dept.entry(r.text(0)?).or_default() += r.i64(1)?;
                charges += r.i64(2)?;
            }
            for (d, a) in by_dept {
                lines.push(PostLine {
                    account: accounts::department(&d),
                    kiosk: None,
                    amount: a,
                });
            }
            if charges - commission != 0 {
                lines.push(PostLine {
                    account: accounts::FEES.into(),
                    kiosk: None,
                    amount: charges - commission,
                });
            }
            if commission > 0 {
                lines.push(PostLine {
                    account: accounts::COMMISSION.into(),
                    kiosk: Some(kiosk),
                    amount: commission,
                });
            }
            tx.exec(
                "UPDATE payments SET pending = FALSE WHERE txn_id = $1",
                &params![txn_id],
            )
            .await?;
            tx.exec(
                "UPDATE entries SET status = 'accepted', receipt_no = $1, settled_rev = $2 WHERE txn_id = $3 AND status = 'pending'",
                &params![&rno, rev, txn_id],
            )
            .await?;
            let text = format!(
                "e-Mitra: {} confirmed by the department. Receipt {rno}. / रसीद {rno}",
                Paise::new(total)
            );
            (
                Outcome::Accepted {
                    txn_id,
                    receipt_no: rno.clone(),
                    warnings: vec![],
                },
                lines,
                "payment_confirmed",
                text,
            )
        } else {
            // Give back exactly what was held.
            let held = tx
                .query(
                    "SELECT account, kiosk_id, amount FROM ledger WHERE txn_id = $1",
                    &params![txn_id],
                )
                .await?;
            let mut lines = Vec::new();
            for r in &held {
                lines.push(PostLine {
                    account: r.text(0)?,
                    kiosk: r.opt_uuid(1)?,
                    amount: -r.i64(2)?,
                });
            }
            tx.exec(
                "UPDATE payments SET pending = FALSE, cancel_txn = $1 WHERE txn_id = $1",
                &params![txn_id],
            )
            .await?;
            tx.exec(
                "UPDATE payment_lines SET cancelled = TRUE WHERE txn_id = $1",
                &params![txn_id],
            )
            .await?;
            tx.exec(
                "UPDATE bills SET paid_txn = NULL WHERE paid_txn = $1",
                &params![txn_id],
            )
            .await?;
            tx.exec(
                "UPDATE entries SET status = 'rejected', code = 'department.refused', reason = $1, settled_rev = $2 WHERE txn_id = $3 AND status = 'pending'",
                &params![&reason, rev, txn_id],
            )
            .await?;
            let text = format!(
                "e-Mitra: the department refused the payment of {}; it is reversed. / भुगतान अस्वीकृत",
                Paise::new(total)
            );
            (
                Outcome::Rejected {
                    code: "department.refused".into(),
                    reason: reason.clone(),
                },
                lines,
                "payment_refused",
                text,
            )
        };
        crate::store::post(tx, txn_id, kind, &format!("receipt {rno}"), now, &lines).await?;
        for (i, (ch, to)) in [("sms", mobile), ("email", email)].into_iter().enumerate() {
            if let Some(to) = to {
                tx.exec(
                    "INSERT INTO notifications (id, txn_id, channel, recipient, subject, body, status, next_attempt_ms, created_ms) VALUES ($1,$2,$3,$4,$5,$6,'queued',$7,$7)",
                    &params![derived_id(&entry_id, 1000 + i as u64), txn_id, ch, to, format!("e-Mitra receipt {rno}"), &text, now],
                )
                .await?;
            }
        }
        Ok(outcome)
    }
}

const DAY_MS: i64 = 24 * 60 * 60 * 1000;
/// Cancellations in a day at one kiosk past which the centre's staff are told.
pub const MANY_CANCELLATIONS: i64 = 10;

/// Records a tamper alert for the console, unless one of the same kind
/// (`kind`: the detail's start) for this device waits unacknowledged from
/// the last day. Returns whether it wrote one.
pub(crate) async fn raise_alert(
    tx: &mut dyn SqlTx,
    device: Uuid,
    kiosk: Uuid,
    expected_seq: u64,
    kind: &str,
    detail: &str,
    now: i64,
) -> SResult<bool> {
    let open = tx
        .query_opt(
            "SELECT 1 FROM tamper_alerts a WHERE a.device_id = $1 AND a.detail LIKE $2 AND a.at_ms > $3
               AND NOT EXISTS (SELECT 1 FROM alert_acks x WHERE x.alert_id = a.id)",
            &params![device, format!("{kind}%"), now - DAY_MS],
        )
        .await?;
    if open.is_some() {
        return Ok(false);
    }
    tx.exec(
        "INSERT INTO tamper_alerts (device_id, kiosk_id, expected_seq, detail, at_ms) VALUES ($1,$2,$3,$4,$5)",
        &params![device, kiosk, expected_seq, detail, now],
    )
    .await?;
    tracing::warn!(%device, detail, "alert for the centre's staff");
    Ok(true)
}
