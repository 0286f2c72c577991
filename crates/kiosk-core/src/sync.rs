//! What the sync client builds on: reading the outbox in seq order,
//! recording the centre's outcomes, applying wallet figures and catalogues,
//! queue figures, and verifying the hash chain.

use crate::{CoreError, Kiosk, Result};
use chrono::{DateTime, Utc};
use domain::Clock as _;
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

/// The centre's answer for one entry (docs/architecture.md "Money path
/// invariants", 5).
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

/// Settings key: the seq where the local chain was found broken.
const CHAIN_BROKEN_KEY: &str = "outbox.chain_broken_at";

pub(crate) fn chain_broken_at(c: &rusqlite::Connection) -> Result<Option<u64>> {
    Ok(kiosk_store::get_setting(c, CHAIN_BROKEN_KEY)?.and_then(|v| v.parse().ok()))
}

impl Kiosk {
    /// Records that the local chain is broken at `seq` (found by the sync
    /// client or a verify): from now on no entry is written (payments,
    /// cancellations, tickets are refused with `outbox.entries_stopped`);
    /// entries before `seq` still go to the centre. Keeps the lowest seq.
    pub fn stop_entries_at(&mut self, seq: u64) -> Result<u64> {
        self.store.write(|tx| -> Result<u64> {
            let at = chain_broken_at(tx)?.map_or(seq, |h| h.min(seq));
            kiosk_store::set_setting(tx, CHAIN_BROKEN_KEY, &at.to_string())?;
            Ok(at)
        })
    }

    /// Where the local chain was found broken, if it was.
    pub fn entries_stopped_at(&self) -> Result<Option<u64>> {
        chain_broken_at(self.store.conn())
    }

    /// Checks the chain of `records` (consecutive, from one seq) against
    /// the hash before them; returns the first seq that does not verify.
    pub fn first_broken(&self, records: &[OutboxRecord]) -> Result<Option<u64>> {
        let Some(first) = records.first() else {
            return Ok(None);
        };
        let mut prev = if first.entry.seq == 1 {
            GENESIS_HASH
        } else {
            match read_outbox(
                self.store.conn(),
                &self.identity.device_id.to_string(),
                first.entry.seq - 1,
                1,
            )?
            .first()
            {
                Some(r) if r.entry.seq == first.entry.seq - 1 => r.hash,
                _ => return Ok(Some(first.entry.seq)),
            }
        };
        for r in records {
            if protocol::verify_chain(prev, [(&r.entry, r.prev_hash, r.hash)]).is_err() {
                return Ok(Some(r.entry.seq));
            }
            prev = r.hash;
        }
        Ok(None)
    }
}

/// One answer from the centre for one entry, with its non-blocking
/// warnings (e.g. `payment.duplicate_warning`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub seq: u64,
    pub outcome: Outcome,
    pub warnings: Vec<String>,
}

/// The centre's answer for an entry changed from what the kiosk held (a
/// centre restored from a backup applied a re-sent entry anew). The kiosk
/// takes the centre's word; this is what the operator is told.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OutcomeChange {
    pub id: i64,
    pub seq: u64,
    /// The local receipt number of the payment concerned, if any.
    pub receipt_no: Option<String>,
    pub old_outcome: String,
    pub old_receipt_no: Option<String>,
    pub new_outcome: String,
    pub new_receipt_no: Option<String>,
    /// The rejection code when the new answer is a rejection.
    pub new_code: Option<String>,
    pub at: DateTime<Utc>,
    pub seen: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AnswersApplied {
    /// Answers recorded (new, or the same again).
    pub applied: usize,
    /// Answers that replaced a different earlier one.
    pub changed: usize,
    /// Seqs this database does not hold (a kiosk restored from a backup).
    pub missing: Vec<u64>,
}

impl Kiosk {
    /// Records the centre's answers in one transaction. Unlike
    /// [`Kiosk::record_outcomes`], the centre is the truth here: an answer
    /// that differs from the one held (another txn id or final receipt
    /// number, or another outcome) replaces it, the receipt is updated and
    /// marked for reprint, its wallet hold follows the new outcome, and the
    /// change is kept in `outcome_changes` for the operator. Warnings are
    /// kept with the entry. Seqs this database lacks are skipped.
    pub fn apply_answers(&mut self, answers: &[Answer]) -> Result<AnswersApplied> {
        let device = self.identity.device_id.to_string();
        let now = ts(self.clock.now());
        self.store.write(|tx| -> Result<AnswersApplied> {
            let mut out = AnswersApplied::default();
            for a in answers {
                match apply_answer(tx, &device, a, &now)? {
                    None => out.missing.push(a.seq),
                    Some(changed) => {
                        out.applied += 1;
                        out.changed += usize::from(changed);
                    }
                }
            }
            Ok(out)
        })
    }

    /// The changes of answers the operator has not acknowledged (or all).
    pub fn outcome_changes(&self, unseen_only: bool) -> Result<Vec<OutcomeChange>> {
        let mut stmt = self.store.conn().prepare(
            "SELECT c.id, c.seq, r.receipt_no, c.old_outcome, c.old_receipt_no, c.new_outcome,
                    c.new_receipt_no, c.new_code, c.at, c.seen
               FROM outcome_changes c LEFT JOIN receipts r ON r.id = c.receipt_id
              WHERE (?1 = 0 OR c.seen = 0) ORDER BY c.id",
        )?;
        let rows = stmt.query_map([unseen_only as i64], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, u64>(1)?,
                r.get::<_, Option<String>>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, Option<String>>(4)?,
                r.get::<_, String>(5)?,
                r.get::<_, Option<String>>(6)?,
                r.get::<_, Option<String>>(7)?,
                r.get::<_, String>(8)?,
                r.get::<_, bool>(9)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (
                id,
                seq,
                receipt_no,
                old_outcome,
                old_receipt_no,
                new_outcome,
                new_receipt_no,
                new_code,
                at,
                seen,
            ) = row?;
            out.push(OutcomeChange {
                id,
                seq,
                receipt_no,
                old_outcome,
                old_receipt_no,
                new_outcome,
                new_receipt_no,
                new_code,
                at: parse_ts(&at)?,
                seen,
            });
        }
        Ok(out)
    }

    /// The operator was told of every change up to `up_to_id`.
    pub fn acknowledge_outcome_changes(&mut self, up_to_id: i64) -> Result<usize> {
        self.store.write(|tx| -> Result<usize> {
            Ok(tx.execute(
                "UPDATE outcome_changes SET seen = 1 WHERE seen = 0 AND id <= ?1",
                [up_to_id],
            )?)
        })
    }

    /// The centre's warnings kept with an entry.
    pub fn entry_warnings(&self, seq: u64) -> Result<Vec<String>> {
        let w: Option<String> = self
            .store
            .conn()
            .query_row(
                "SELECT warnings FROM outbox WHERE device_id = ?1 AND seq = ?2",
                params![self.identity.device_id.to_string(), seq],
                |r| r.get(0),
            )
            .optional()?;
        let w = w.ok_or(CoreError::OutboxNotFound(seq))?;
        Ok(split_warnings(&w))
    }

    /// The highest seq the centre has answered (0: none).
    pub fn last_answered_seq(&self) -> Result<u64> {
        Ok(self.store.conn().query_row(
            "SELECT COALESCE(MAX(seq), 0) FROM outbox WHERE device_id = ?1 AND outcome IS NOT NULL",
            [self.identity.device_id.to_string()],
            |r| r.get(0),
        )?)
    }
}

pub(crate) fn split_warnings(w: &str) -> Vec<String> {
    w.split(',')
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect()
}

/// `None`: no such entry here. `Some(changed)`.
fn apply_answer(tx: &Transaction<'_>, device: &str, a: &Answer, now: &str) -> Result<Option<bool>> {
    type Held = (
        String,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
    );
    let row: Option<Held> = tx
        .query_row(
            "SELECT kind, receipt_id, outcome, server_txn_id, final_receipt_no, outcome_code
               FROM outbox WHERE device_id = ?1 AND seq = ?2",
            params![device, a.seq],
            |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                ))
            },
        )
        .optional()?;
    let Some((kind, receipt_id, have, have_txn, have_no, have_code)) = row else {
        return Ok(None);
    };
    let warnings = a.warnings.join(",");
    let same = match (&a.outcome, have.as_deref()) {
        (
            Outcome::Accepted {
                server_txn_id,
                final_receipt_no,
            },
            Some("accepted"),
        ) => Some(server_txn_id) == have_txn.as_ref() && final_receipt_no == &have_no,
        (Outcome::Rejected { code, .. }, Some("rejected")) => Some(code) == have_code.as_ref(),
        _ => false,
    };
    if same {
        tx.execute(
            "UPDATE outbox SET warnings = ?3 WHERE device_id = ?1 AND seq = ?2",
            params![device, a.seq, warnings],
        )?;
        return Ok(Some(false));
    }
    let changed = matches!(have.as_deref(), Some("accepted" | "rejected"));
    if !changed {
        // First answer (or a pending one settled): the usual effects.
        apply_outcome(tx, device, a.seq, &a.outcome, now)?;
        tx.execute(
            "UPDATE outbox SET warnings = ?3 WHERE device_id = ?1 AND seq = ?2",
            params![device, a.seq, warnings],
        )?;
        return Ok(Some(false));
    }
    // The centre's answer changed: the centre is the truth.
    let (code, reason, txn, final_no) = match &a.outcome {
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
                final_receipt_no = ?7, acked_at = ?8, warnings = ?9
          WHERE device_id = ?1 AND seq = ?2",
        params![device, a.seq, a.outcome.as_str(), code, reason, txn, final_no, now, warnings],
    )?;
    tx.execute(
        "INSERT INTO outcome_changes (seq, receipt_id, old_outcome, old_txn_id, old_receipt_no,
            new_outcome, new_txn_id, new_receipt_no, new_code, at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        params![
            a.seq,
            receipt_id,
            have.as_deref().unwrap_or(""),
            have_txn,
            have_no,
            a.outcome.as_str(),
            txn,
            final_no,
            code,
            now
        ],
    )?;
    let Some(rid) = receipt_id else {
        return Ok(Some(true));
    };
    match (kind.as_str(), &a.outcome) {
        ("payment", Outcome::Accepted { .. }) => {
            tx.execute(
                "UPDATE receipts SET final_receipt_no = ?2, server_txn_id = ?3, rejected = 0, reprint = 1,
                        reconcile = 1, reconcile_code = 'sync.outcome_changed',
                        reconcile_reason = 'the centre answered this payment again differently',
                        status = CASE status WHEN 'provisional' THEN 'final' ELSE status END
                  WHERE id = ?1",
                params![rid, final_no, txn],
            )?;
            tx.execute(
                "UPDATE wallet_holds SET state = 'settled', updated_at = ?2 WHERE receipt_id = ?1",
                params![rid, now],
            )?;
        }
        ("payment", Outcome::Rejected { code, reason }) => {
            tx.execute(
                "UPDATE receipts SET final_receipt_no = NULL, server_txn_id = NULL, rejected = 1, reprint = 1,
                        reconcile = 1, reconcile_code = ?2, reconcile_reason = ?3,
                        status = CASE status WHEN 'final' THEN 'provisional' ELSE status END
                  WHERE id = ?1",
                params![rid, code, reason],
            )?;
            tx.execute(
                "UPDATE wallet_holds SET state = 'released', updated_at = ?2 WHERE receipt_id = ?1",
                params![rid, now],
            )?;
        }
        ("payment", Outcome::Pending) => {
            tx.execute(
                "UPDATE receipts SET final_receipt_no = NULL, server_txn_id = NULL, rejected = 0, reprint = 1,
                        status = CASE status WHEN 'final' THEN 'provisional' ELSE status END
                  WHERE id = ?1",
                params![rid],
            )?;
            tx.execute(
                "UPDATE wallet_holds SET state = 'held', updated_at = ?2 WHERE receipt_id = ?1",
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
    Ok(Some(true))
}

/// What the centre said about a receipt's payment, for the screens.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ReceiptSyncNotes {
    /// `accepted`, `rejected`, `pending`; `None` while unanswered.
    pub outcome: Option<String>,
    /// The rejection's code and reason.
    pub code: Option<String>,
    pub reason: Option<String>,
    /// The centre's non-blocking warnings (e.g. `payment.duplicate_warning`).
    pub warnings: Vec<String>,
    /// The centre's answer changed after it may have been printed.
    pub reprint: bool,
}

impl Kiosk {
    /// The centre's answer, warnings and reprint mark of a receipt (by id).
    pub fn receipt_sync_notes(&self, receipt_id: &str) -> Result<ReceiptSyncNotes> {
        let c = self.store.conn();
        let reprint: Option<bool> = c
            .query_row(
                "SELECT reprint FROM receipts WHERE id = ?1",
                [receipt_id],
                |r| r.get(0),
            )
            .optional()?;
        let reprint = reprint
            .ok_or_else(|| CoreError::ReceiptNotFound(receipt_id.chars().take(40).collect()))?;
        // (outcome, code, reason, warnings)
        type Answer = (Option<String>, Option<String>, Option<String>, String);
        let row: Option<Answer> = c
            .query_row(
                "SELECT outcome, outcome_code, outcome_reason, warnings FROM outbox
                  WHERE receipt_id = ?1 AND kind = 'payment' ORDER BY seq LIMIT 1",
                [receipt_id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .optional()?;
        let Some((outcome, code, reason, warnings)) = row else {
            return Ok(ReceiptSyncNotes {
                reprint,
                ..Default::default()
            });
        };
        Ok(ReceiptSyncNotes {
            outcome,
            code,
            reason,
            warnings: split_warnings(&warnings),
            reprint,
        })
    }
}

/// Settings key: the centre's clock minus this PC's, in ms, as last measured.
const CENTRE_OFFSET_KEY: &str = "clock.centre_offset_ms";

impl Kiosk {
    /// Records the centre's clock minus this PC's (measured by the sync
    /// client on each exchange); the business clock follows at once.
    pub fn set_centre_offset(&mut self, offset_ms: i64) -> Result<()> {
        self.store
            .write(|tx| kiosk_store::set_setting(tx, CENTRE_OFFSET_KEY, &offset_ms.to_string()))?;
        self.clock.set_offset(offset_ms);
        Ok(())
    }

    /// The centre's clock minus this PC's, if it was ever measured.
    pub fn centre_offset(&self) -> Result<Option<i64>> {
        stored_centre_offset(&self.store)
    }

    /// Duplicate copies printed since `since` (for the centre's staff).
    pub fn reprints_since(&self, since: DateTime<Utc>) -> Result<u32> {
        let n: i64 = self.store.conn().query_row(
            "SELECT COUNT(*) FROM print_jobs WHERE kind = 'duplicate' AND created_at >= ?1",
            [ts(since)],
            |r| r.get(0),
        )?;
        Ok(n.clamp(0, u32::MAX as i64) as u32)
    }

    /// Now by the centre's clock (the business clock,
    /// [`crate::CentreClock`]).
    pub fn centre_now(&self) -> DateTime<Utc> {
        self.now()
    }

    /// Now by the business clock, for a use case that records something:
    /// without the centre's time learnt in this process, the offset is
    /// read again first (another connection or process may have measured
    /// it since this one opened).
    pub(crate) fn now(&self) -> DateTime<Utc> {
        if !self.clock.anchored()
            && let Ok(Some(o)) = stored_centre_offset(&self.store)
        {
            self.clock.set_offset(o);
        }
        self.clock.now()
    }
}

pub(crate) fn stored_centre_offset(store: &kiosk_store::Store) -> Result<Option<i64>> {
    Ok(kiosk_store::get_setting(store.conn(), CENTRE_OFFSET_KEY)?.and_then(|v| v.parse().ok()))
}
