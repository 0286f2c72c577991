//! What the sync client builds on: reading the outbox in seq order,
//! recording the centre's outcomes, applying wallet figures and catalogues,
//! queue figures, and verifying the hash chain.

use crate::{CoreError, Kiosk, Result};
use chrono::{DateTime, Utc};
use domain::Paise;
use kiosk_store::rusqlite::{self, OptionalExtension, Transaction, params};
use kiosk_store::{parse_ts, to_hex, ts};
use protocol::{Entry, EntryKind, GENESIS_HASH, Hash32};
use serde::Serialize;

/// One outbox row: the entry as hashed, its chain links and the sync state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxRecord {
    pub entry: Entry,
    pub prev_hash: Hash32,
    pub hash: Hash32,
    pub created_at: DateTime<Utc>,
    pub receipt_id: Option<String>,
    /// `None` until the centre answers.
    pub outcome: Option<String>,
    pub outcome_code: Option<String>,
}

/// The centre's answer for one entry (DESIGN.md invariant 5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Accepted {
        server_txn_id: String,
        /// The centre's receipt number (payments).
        final_receipt_no: Option<String>,
    },
    Rejected {
        code: String,
        reason: String,
    },
    /// The department confirms later; a final outcome may follow.
    Pending,
}

impl Outcome {
    pub fn as_str(&self) -> &'static str {
        match self {
            Outcome::Accepted { .. } => "accepted",
            Outcome::Rejected { .. } => "rejected",
            Outcome::Pending => "pending",
        }
    }
}

/// Wallet figures and offline exposure from the centre.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalletSnapshot {
    pub balance: Paise,
    /// Server time of the balance.
    pub as_of: DateTime<Utc>,
    /// The highest outbox seq of this device the balance already includes.
    pub covers_seq: u64,
    pub max_pending_amount: Paise,
    pub max_pending_count: i64,
    pub max_age_secs: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QueueStats {
    pub last_seq: u64,
    /// Entries the centre has not answered yet.
    pub unsent: i64,
    /// Entries the centre holds as pending.
    pub pending: i64,
    /// Lowest seq with no answer (where a push resumes).
    pub first_unsent_seq: Option<u64>,
    /// Age of the oldest unanswered entry, by the device clock.
    pub oldest_unsent_age_secs: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChainReport {
    pub entries: u64,
    pub last_seq: u64,
    pub last_hash: String,
}

impl Kiosk {
    /// Up to `limit` outbox entries with `seq >= from_seq`, in seq order.
    pub fn outbox_from(&self, from_seq: u64, limit: u32) -> Result<Vec<OutboxRecord>> {
        read_outbox(
            self.store.conn(),
            &self.identity.device_id.to_string(),
            from_seq,
            limit,
        )
    }

    /// Records the centre's answer for one entry. Idempotent; a final
    /// outcome (accepted / rejected) never changes.
    pub fn record_outcome(&mut self, seq: u64, outcome: &Outcome) -> Result<()> {
        self.record_outcomes(&[(seq, outcome.clone())])
    }

    /// Records a batch of answers in one transaction (one commit per pushed
    /// batch). Effects: a payment accepted → receipt final with the centre's
    /// number and txn id, hold settled; rejected → receipt marked rejected
    /// and for reconciliation, hold released; a cancellation rejected →
    /// receipt marked for reconciliation.
    pub fn record_outcomes(&mut self, outcomes: &[(u64, Outcome)]) -> Result<()> {
        let device = self.identity.device_id.to_string();
        let now = ts(self.clock.now());
        self.store.write(|tx| -> Result<()> {
            for (seq, o) in outcomes {
                apply_outcome(tx, &device, *seq, o, &now)?;
            }
            Ok(())
        })
    }

    /// Replaces the wallet figures and the granted offline exposure.
    pub fn apply_wallet_snapshot(&mut self, s: &WalletSnapshot) -> Result<()> {
        if s.max_pending_amount.is_negative() || s.max_pending_count < 0 || s.max_age_secs < 0 {
            return Err(CoreError::WalletInvalid("limits must not be negative"));
        }
        let now = ts(self.clock.now());
        self.store.write(|tx| -> Result<()> {
            tx.execute(
                "INSERT INTO wallet_snapshot (id, balance_paise, as_of, received_at, covers_seq,
                    max_pending_paise, max_pending_count, max_age_secs)
                 VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6, ?7)
                 ON CONFLICT (id) DO UPDATE SET balance_paise = excluded.balance_paise,
                    as_of = excluded.as_of, received_at = excluded.received_at,
                    covers_seq = excluded.covers_seq, max_pending_paise = excluded.max_pending_paise,
                    max_pending_count = excluded.max_pending_count, max_age_secs = excluded.max_age_secs",
                params![
                    s.balance.as_i64(),
                    ts(s.as_of),
                    now,
                    s.covers_seq,
                    s.max_pending_amount.as_i64(),
                    s.max_pending_count,
                    s.max_age_secs
                ],
            )?;
            Ok(())
        })
    }

    pub fn queue_stats(&self) -> Result<QueueStats> {
        let c = self.store.conn();
        let device = self.identity.device_id.to_string();
        let (last_seq, unsent, pending, first, oldest): (
            u64,
            i64,
            i64,
            Option<u64>,
            Option<String>,
        ) = c.query_row(
            "SELECT COALESCE(MAX(seq), 0),
                        COALESCE(SUM(outcome IS NULL), 0),
                        COALESCE(SUM(outcome = 'pending'), 0),
                        MIN(CASE WHEN outcome IS NULL THEN seq END),
                        MIN(CASE WHEN outcome IS NULL THEN created_at END)
                   FROM outbox WHERE device_id = ?1",
            [device],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )?;
        let now = self.clock.now();
        Ok(QueueStats {
            last_seq,
            unsent,
            pending,
            first_unsent_seq: first,
            oldest_unsent_age_secs: oldest
                .as_deref()
                .map(parse_ts)
                .transpose()?
                .map(|t| (now - t).num_seconds().max(0)),
        })
    }

    /// Recomputes the whole chain: contiguous seq from 1, each prev_hash the
    /// previous hash, each hash recomputed from the stored entry.
    pub fn verify_chain(&self) -> Result<ChainReport> {
        let device = self.identity.device_id.to_string();
        let c = self.store.conn();
        let mut prev = GENESIS_HASH;
        let mut expected = 1u64;
        let mut from = 1u64;
        loop {
            let batch = read_outbox(c, &device, from, 1000)?;
            if batch.is_empty() {
                break;
            }
            for r in &batch {
                if r.entry.seq != expected {
                    return Err(CoreError::ChainBroken(expected));
                }
                protocol::verify_chain(prev, [(&r.entry, r.prev_hash, r.hash)])
                    .map_err(CoreError::ChainBroken)?;
                prev = r.hash;
                expected += 1;
            }
            from = expected;
        }
        // Rows of another device id would mean a copied database.
        let others: i64 = c.query_row(
            "SELECT COUNT(*) FROM outbox WHERE device_id <> ?1",
            [&device],
            |r| r.get(0),
        )?;
        if others > 0 {
            return Err(CoreError::ChainBroken(0));
        }
        Ok(ChainReport {
            entries: expected - 1,
            last_seq: expected - 1,
            last_hash: to_hex(&prev),
        })
    }
}

fn read_outbox(
    conn: &rusqlite::Connection,
    device: &str,
    from_seq: u64,
    limit: u32,
) -> Result<Vec<OutboxRecord>> {
    let mut stmt = conn.prepare_cached(
        "SELECT device_id, seq, id, kind, format, device_time_ms, payload, prev_hash, hash,
                created_at, receipt_id, outcome, outcome_code
           FROM outbox WHERE device_id = ?1 AND seq >= ?2 ORDER BY seq LIMIT ?3",
    )?;
    type Row = (
        String,
        u64,
        String,
        String,
        u16,
        i64,
        Vec<u8>,
        Vec<u8>,
        Vec<u8>,
        String,
        Option<String>,
        Option<String>,
        Option<String>,
    );
    let rows = stmt
        .query_map(params![device, from_seq, limit], |r| {
            Ok::<Row, rusqlite::Error>((
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
            ))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    rows.into_iter()
        .map(
            |(d, seq, id, kind, format, time, payload, prev, hash, at, rid, outcome, code)| {
                let bad = || CoreError::EntryUndecodable(seq);
                Ok(OutboxRecord {
                    entry: Entry {
                        format,
                        device_id: d.parse().map_err(|_| bad())?,
                        seq,
                        id: id.parse().map_err(|_| bad())?,
                        kind: EntryKind::parse(&kind).ok_or_else(bad)?,
                        device_time_ms: time,
                        payload,
                    },
                    prev_hash: prev.try_into().map_err(|_| bad())?,
                    hash: hash.try_into().map_err(|_| bad())?,
                    created_at: parse_ts(&at)?,
                    receipt_id: rid,
                    outcome,
                    outcome_code: code,
                })
            },
        )
        .collect()
}

fn apply_outcome(
    tx: &Transaction<'_>,
    device: &str,
    seq: u64,
    o: &Outcome,
    now: &str,
) -> Result<()> {
    let row: Option<(String, Option<String>, Option<String>)> = tx
        .query_row(
            "SELECT kind, receipt_id, outcome FROM outbox WHERE device_id = ?1 AND seq = ?2",
            params![device, seq],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    let Some((kind, receipt_id, have)) = row else {
        return Err(CoreError::OutboxNotFound(seq));
    };
    match have.as_deref() {
        // The same answer again (a replayed response): nothing to do.
        Some(h) if h == o.as_str() && h != "pending" => return Ok(()),
        Some(h @ ("accepted" | "rejected")) => {
            return Err(CoreError::OutcomeConflict {
                seq,
                have: h.to_string(),
                got: o.as_str().to_string(),
            });
        }
        _ => {}
    }
    let (code, reason, txn, final_no) = match o {
        Outcome::Accepted {
            server_txn_id,
            final_receipt_no,
        } => (
            None,
            None,
            Some(server_txn_id.clone()),
            final_receipt_no.clone(),
        ),
        Outcome::Rejected { code, reason } => {
            (Some(code.clone()), Some(reason.clone()), None, None)
        }
        Outcome::Pending => (None, None, None, None),
    };
    tx.execute(
        "UPDATE outbox SET outcome = ?3, outcome_code = ?4, outcome_reason = ?5, server_txn_id = ?6,
                final_receipt_no = ?7, acked_at = ?8
          WHERE device_id = ?1 AND seq = ?2",
        params![device, seq, o.as_str(), code, reason, txn, final_no, now],
    )?;
    let Some(rid) = receipt_id else { return Ok(()) };
    match (kind.as_str(), o) {
        (
            "payment",
            Outcome::Accepted {
                server_txn_id,
                final_receipt_no,
            },
        ) => {
            // A receipt cancelled meanwhile stays cancelled; it still gets
            // the centre's numbers.
            tx.execute(
                "UPDATE receipts SET final_receipt_no = ?2, server_txn_id = ?3,
                        status = CASE status WHEN 'provisional' THEN 'final' ELSE status END
                  WHERE id = ?1",
                params![rid, final_receipt_no, server_txn_id],
            )?;
            tx.execute(
                "UPDATE wallet_holds SET state = 'settled', updated_at = ?2 WHERE receipt_id = ?1 AND state = 'held'",
                params![rid, now],
            )?;
        }
        ("payment", Outcome::Rejected { code, reason }) => {
            tx.execute(
                "UPDATE receipts SET rejected = 1, reconcile = 1, reconcile_code = ?2, reconcile_reason = ?3
                  WHERE id = ?1",
                params![rid, code, reason],
            )?;
            tx.execute(
                "UPDATE wallet_holds SET state = 'released', updated_at = ?2 WHERE receipt_id = ?1",
                params![rid, now],
            )?;
        }
        ("cancellation", Outcome::Rejected { code, reason }) => {
            tx.execute(
                "UPDATE receipts SET reconcile = 1, reconcile_code = ?2, reconcile_reason = ?3 WHERE id = ?1",
                params![rid, code, reason],
            )?;
        }
        _ => {}
    }
    Ok(())
}
