//! Wallet refill requests and the security deposit's dues.
//!
//! A request writes its `refill_requests` row and a `refill_request`
//! outbox entry in one transaction (as a ticket does), so it waits offline
//! and reaches the centre exactly once. Its state, as the list shows it:
//! `queued` until the centre answers the entry, `refused` when the centre
//! refused the entry (its code says why, e.g. `auth.holder_only`), then the
//! centre's word from the pull's updates: `pending` until its staff credit
//! it (`credited`, with the ledger transaction whose line arrives in the
//! statement) or reject it (`rejected`, with the reason).
//!
//! The rules, checked before anything is written (a refusal stores
//! nothing): amount, mode and bank reference by
//! [`protocol::refills::check_request`], the same checks the centre makes;
//! and no other request of this kiosk with the same reference that is not
//! refused or rejected (`refill.duplicate_reference`).
//!
//! The centre's deposit limit and dues come with every pull
//! ([`Kiosk::apply_wallet_terms`]); the limit widens the offline room
//! ([`crate::pay::Exposure`]).

use crate::pay::{append_entry, check_operator};
use crate::{CoreError, Kiosk, Result};
use chrono::{DateTime, NaiveDate, Utc};
use domain::Clock as _;
use domain::Paise;
use kiosk_store::rusqlite::{OptionalExtension, params};
use kiosk_store::{parse_ts, ts};
use protocol::EntryKind;
use protocol::refills::{
    RefillError, RefillPayload, RefillUpdate, STATUS_CREDITED, STATUS_PENDING, STATUS_REJECTED,
    WalletTerms, check_request,
};
use serde::Serialize;
use uuid::Uuid;

/// A request as the holder typed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefillInput {
    pub amount: Paise,
    pub mode: String,
    pub reference: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RefillRequested {
    pub id: Uuid,
    pub outbox_seq: u64,
    pub created_at: DateTime<Utc>,
}

/// One request for the list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RefillRecord {
    pub id: Uuid,
    pub amount: Paise,
    pub mode: String,
    pub reference: Option<String>,
    pub requested_by: String,
    pub created_at: DateTime<Utc>,
    /// `queued`, `refused`, `pending`, `credited` or `rejected` (module docs).
    pub state: String,
    /// Why the centre refused the entry (`refused`).
    pub refused_code: Option<String>,
    /// Why the centre's staff rejected it (`rejected`), or the refusal's text.
    pub reason: Option<String>,
    /// The centre's ledger transaction of the credit.
    pub txn_id: Option<i64>,
    pub updated_at: Option<DateTime<Utc>>,
    pub outbox_seq: u64,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct RefillUpdatesApplied {
    /// Updates that moved a request.
    pub stored: usize,
    /// Updates of requests this database does not hold (made on another
    /// device of the kiosk), malformed, or older than what it holds.
    pub skipped: usize,
}

/// The security deposit and the dues, as of the last pull.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DuesRecord {
    pub deposit_limit: Paise,
    pub dues: Paise,
    pub since: Option<DateTime<Utc>>,
    pub due_date: Option<NaiveDate>,
    pub interest: Paise,
    pub as_of: DateTime<Utc>,
}

/// Most requests on the list.
pub const LIST_MAX: u32 = 500;

impl Kiosk {
    /// Queues a refill request: see the module docs for the rules.
    pub fn request_refill(
        &mut self,
        operator: &str,
        input: &RefillInput,
    ) -> Result<RefillRequested> {
        let (mode, reference) =
            check_request(input.amount, &input.mode, input.reference.as_deref())?;
        let now = self.now();
        let device_id = self.identity.device_id;
        let id = domain::new_id(self.clock.as_ref());
        let entry_id = domain::new_id(self.clock.as_ref());
        self.store.write(|tx| -> Result<RefillRequested> {
            check_operator(tx, operator)?;
            if let Some(r) = &reference {
                let taken: bool = tx.query_row(
                    "SELECT EXISTS (SELECT 1 FROM refill_requests q JOIN outbox o ON o.id = q.entry_id
                      WHERE q.reference = ?1 AND q.status <> 'rejected'
                        AND (o.outcome IS NULL OR o.outcome <> 'rejected'))",
                    [r],
                    |x| x.get(0),
                )?;
                if taken {
                    return Err(RefillError::DuplicateReference.into());
                }
            }
            let payload = RefillPayload {
                request_id: id,
                requested_by: operator.to_string(),
                amount: input.amount,
                mode: mode.as_str().to_string(),
                reference: reference.clone(),
            }
            .encode();
            let (seq, _) = append_entry(
                tx,
                device_id,
                entry_id,
                EntryKind::RefillRequest,
                payload,
                now,
                None,
            )?;
            tx.execute(
                "INSERT INTO refill_requests (id, entry_id, amount_paise, mode, reference, requested_by, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    id.to_string(),
                    entry_id.to_string(),
                    input.amount.as_i64(),
                    mode.as_str(),
                    reference,
                    operator,
                    ts(now)
                ],
            )?;
            Ok(RefillRequested {
                id,
                outbox_seq: seq,
                created_at: now,
            })
        })
    }

    /// The latest `limit` requests, newest first.
    pub fn refill_requests(&self, limit: u32) -> Result<Vec<RefillRecord>> {
        let c = self.store.conn();
        let mut stmt = c.prepare(
            "SELECT q.id, q.amount_paise, q.mode, q.reference, q.requested_by, q.created_at, q.status,
                    q.txn_id, q.reason, q.updated_at, o.outcome, o.outcome_code, o.outcome_reason, o.seq
               FROM refill_requests q JOIN outbox o ON o.id = q.entry_id
              ORDER BY q.created_at DESC, o.seq DESC LIMIT ?1",
        )?;
        type Row = (
            String,
            i64,
            String,
            Option<String>,
            String,
            String,
            String,
            Option<i64>,
            Option<String>,
            Option<String>,
            Option<String>,
            Option<String>,
            Option<String>,
            u64,
        );
        let rows = stmt
            .query_map([limit.clamp(1, LIST_MAX)], |r| {
                Ok::<Row, _>((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                    r.get(7)?,
                    r.get(8)?,
                    r.get(9)?,
                    r.get(10)?,
                    r.get(11)?,
                    r.get(12)?,
                    r.get(13)?,
                ))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        rows.into_iter()
            .map(
                |(
                    id,
                    amount,
                    mode,
                    reference,
                    by,
                    created,
                    status,
                    txn,
                    reason,
                    updated,
                    outcome,
                    code,
                    why,
                    seq,
                )| {
                    let (state, refused_code, reason) = match outcome.as_deref() {
                        None => ("queued".to_string(), None, None),
                        Some("rejected") => ("refused".to_string(), code, why),
                        Some(_) => (status, None, reason),
                    };
                    Ok(RefillRecord {
                        id: id.parse().map_err(|_| {
                            kiosk_store::StoreError::Invalid(format!("refill request id {id:?}"))
                        })?,
                        amount: Paise::new(amount),
                        mode,
                        reference,
                        requested_by: by,
                        created_at: parse_ts(&created)?,
                        state,
                        refused_code,
                        reason,
                        txn_id: txn,
                        updated_at: updated.as_deref().map(parse_ts).transpose()?,
                        outbox_seq: seq,
                    })
                },
            )
            .collect()
    }

    /// Moves requests to the state the centre's updates say, in one
    /// transaction. An update older than the one a request holds (pulled
    /// again after a rewind) changes nothing.
    pub fn record_refill_updates(
        &mut self,
        updates: &[RefillUpdate],
    ) -> Result<RefillUpdatesApplied> {
        let now = ts(self.clock.now());
        self.store.write(|tx| -> Result<RefillUpdatesApplied> {
            let mut out = RefillUpdatesApplied::default();
            for u in updates {
                let known_status = [STATUS_PENDING, STATUS_CREDITED, STATUS_REJECTED]
                    .contains(&u.status.as_str());
                if u.id <= 0
                    || !known_status
                    || DateTime::<Utc>::from_timestamp_millis(u.at_ms).is_none()
                {
                    out.skipped += 1;
                    continue;
                }
                let reason = (u.status == STATUS_REJECTED)
                    .then(|| domain::text::sanitize_text(&u.reason, protocol::refills::REASON_MAX_CHARS));
                let n = tx.execute(
                    "UPDATE refill_requests SET status = ?2, txn_id = ?3, reason = ?4, update_id = ?5, updated_at = ?6
                      WHERE id = ?1 AND update_id < ?5",
                    params![u.request_id.to_string(), u.status, u.txn_id, reason, u.id, now],
                )?;
                if n == 1 {
                    out.stored += 1;
                } else {
                    out.skipped += 1;
                }
            }
            Ok(out)
        })
    }

    /// The centre went back in time (restored from a backup) and hands out
    /// its update ids again: the next updates are taken whatever their id.
    /// Returns the requests concerned.
    pub fn rewind_refill_updates(&mut self) -> Result<usize> {
        self.store.write(|tx| -> Result<usize> {
            Ok(tx.execute(
                "UPDATE refill_requests SET update_id = 0 WHERE update_id <> 0",
                [],
            )?)
        })
    }

    /// Keeps the centre's deposit limit and dues as of `as_of` (the pull's
    /// server time).
    pub fn apply_wallet_terms(&mut self, t: &WalletTerms, as_of: DateTime<Utc>) -> Result<()> {
        if t.deposit_limit.is_negative() || t.dues.is_negative() || t.interest.is_negative() {
            return Err(CoreError::WalletInvalid(
                "deposit, dues and interest must not be negative",
            ));
        }
        let due = match &t.due_date {
            None => None,
            Some(d) => Some(
                NaiveDate::parse_from_str(d, "%Y-%m-%d")
                    .map_err(|_| CoreError::WalletInvalid("the due date is not a date"))?,
            ),
        };
        let since = match t.since_ms {
            None => None,
            Some(ms) => Some(
                DateTime::<Utc>::from_timestamp_millis(ms)
                    .ok_or(CoreError::WalletInvalid("time out of range"))?,
            ),
        };
        let now = ts(self.clock.now());
        self.store.write(|tx| -> Result<()> {
            tx.execute(
                "INSERT INTO wallet_dues (id, deposit_limit_paise, dues_paise, since, due_date, interest_paise, as_of, received_at)
                 VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6, ?7)
                 ON CONFLICT (id) DO UPDATE SET deposit_limit_paise = excluded.deposit_limit_paise,
                    dues_paise = excluded.dues_paise, since = excluded.since, due_date = excluded.due_date,
                    interest_paise = excluded.interest_paise, as_of = excluded.as_of,
                    received_at = excluded.received_at",
                params![
                    t.deposit_limit.as_i64(),
                    t.dues.as_i64(),
                    since.map(ts),
                    due.map(|d| d.format("%Y-%m-%d").to_string()),
                    t.interest.as_i64(),
                    ts(as_of),
                    now
                ],
            )?;
            Ok(())
        })
    }

    /// The deposit limit and dues as of the last pull (`None` before one).
    pub fn dues(&self) -> Result<Option<DuesRecord>> {
        type Row = (i64, i64, Option<String>, Option<String>, i64, String);
        let r: Option<Row> = self
            .store
            .conn()
            .query_row(
                "SELECT deposit_limit_paise, dues_paise, since, due_date, interest_paise, as_of FROM wallet_dues WHERE id = 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?)),
            )
            .optional()?;
        let Some((limit, dues, since, due, interest, as_of)) = r else {
            return Ok(None);
        };
        Ok(Some(DuesRecord {
            deposit_limit: Paise::new(limit),
            dues: Paise::new(dues),
            since: since.as_deref().map(parse_ts).transpose()?,
            due_date: due
                .as_deref()
                .map(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d"))
                .transpose()
                .map_err(|_| CoreError::WalletInvalid("stored due date is not a date"))?,
            interest: Paise::new(interest),
            as_of: parse_ts(&as_of)?,
        }))
    }
}

/// The deposit limit the offline room counts (0 before the first pull).
pub(crate) fn deposit_limit(c: &kiosk_store::rusqlite::Connection) -> Result<i64> {
    Ok(c.query_row(
        "SELECT deposit_limit_paise FROM wallet_dues WHERE id = 1",
        [],
        |r| r.get(0),
    )
    .optional()?
    .unwrap_or(0))
}
