//! The centre's ledger lines for this kiosk, kept so the holder can read a
//! wallet statement offline, and so a pull asks only for newer lines.

use crate::{CoreError, Kiosk, Result};
use chrono::{DateTime, Utc};
use domain::Clock as _;
use domain::Paise;
use kiosk_store::rusqlite::{self, params};
use kiosk_store::{get_setting, parse_ts, set_setting, ts};
use protocol::LedgerLine;
use serde::Serialize;

/// Settings key of the last centre line id stored. Kept apart from the
/// sync engine's pull cursor so a database that dropped lines before this
/// table existed starts again from 0 and fetches its history once.
const LEDGER_CURSOR_KEY: &str = "ledger.cursor";

/// Default and largest number of lines in one statement.
pub const STATEMENT_DEFAULT_LIMIT: u32 = 100;
pub const STATEMENT_MAX_LIMIT: u32 = 1000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct LedgerApplied {
    /// Lines new to this database.
    pub stored: usize,
    /// Lines it already held (delivered again).
    pub duplicates: usize,
    /// The ledger cursor after this call.
    pub cursor: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatementLine {
    pub line_id: i64,
    pub at: DateTime<Utc>,
    pub kind: String,
    /// Credit positive, debit negative.
    pub amount: Paise,
    pub txn_id: i64,
    pub memo: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WalletStatement {
    /// `[from, to)`, as asked.
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    /// Oldest first: the latest `limit` wallet lines in the range.
    pub lines: Vec<StatementLine>,
    /// Older lines in the range were left out by the limit.
    pub truncated: bool,
    /// Sums over `lines`.
    pub credits: Paise,
    pub debits: Paise,
    pub net: Paise,
    /// The centre's balance as of the last sync, if any.
    pub balance: Option<Paise>,
    pub balance_as_of: Option<DateTime<Utc>>,
}

impl Kiosk {
    /// The highest centre ledger line id stored (0: none).
    pub fn ledger_cursor(&self) -> Result<i64> {
        read_cursor(self.store.conn())
    }

    /// Stores the centre's lines once each and moves the ledger cursor past
    /// them, all in one transaction: a crash leaves both or neither.
    pub fn record_ledger_lines(&mut self, lines: &[LedgerLine]) -> Result<LedgerApplied> {
        for l in lines {
            if l.id <= 0 {
                return Err(CoreError::LedgerLineInvalid {
                    id: l.id,
                    why: "id must be positive",
                });
            }
            if l.account.trim().is_empty() || l.kind.trim().is_empty() {
                return Err(CoreError::LedgerLineInvalid {
                    id: l.id,
                    why: "account and kind are required",
                });
            }
            if DateTime::<Utc>::from_timestamp_millis(l.at_ms).is_none() {
                return Err(CoreError::LedgerLineInvalid {
                    id: l.id,
                    why: "time out of range",
                });
            }
        }
        let now = ts(self.clock.now());
        self.store.write(|tx| -> Result<LedgerApplied> {
            let mut stored = 0;
            let mut cursor = read_cursor(tx)?;
            {
                let mut ins = tx.prepare(
                    "INSERT INTO wallet_ledger (line_id, account, kind, amount_paise, txn_id, memo, at, received_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
                     ON CONFLICT (line_id) DO NOTHING",
                )?;
                for l in lines {
                    let at = DateTime::<Utc>::from_timestamp_millis(l.at_ms).expect("checked");
                    stored += ins.execute(params![
                        l.id,
                        l.account,
                        l.kind,
                        l.amount.as_i64(),
                        l.txn_id,
                        l.memo,
                        ts(at),
                        now
                    ])?;
                    cursor = cursor.max(l.id);
                }
            }
            set_setting(tx, LEDGER_CURSOR_KEY, &cursor.to_string())?;
            Ok(LedgerApplied {
                stored,
                duplicates: lines.len() - stored,
                cursor,
            })
        })
    }

    /// The centre's ledger went back in time (restored from a backup):
    /// forgets the lines above `to` and moves the cursor back to it, so the
    /// next pull fetches the centre's lines again. Returns the lines dropped.
    pub fn rewind_ledger(&mut self, to: i64) -> Result<usize> {
        let to = to.max(0);
        self.store.write(|tx| -> Result<usize> {
            let n = tx.execute("DELETE FROM wallet_ledger WHERE line_id > ?1", [to])?;
            let cursor = read_cursor(tx)?.min(to);
            set_setting(tx, LEDGER_CURSOR_KEY, &cursor.to_string())?;
            Ok(n)
        })
    }

    /// Wallet lines in `[from, to)`: the latest `limit` (0: the default),
    /// oldest first, with their sums.
    pub fn wallet_statement(
        &self,
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
        limit: u32,
    ) -> Result<WalletStatement> {
        if let (Some(f), Some(t)) = (from, to)
            && f >= t
        {
            return Err(CoreError::QueryInvalid("from must be before to"));
        }
        if limit > STATEMENT_MAX_LIMIT {
            return Err(CoreError::QueryInvalid("limit must be at most 1000"));
        }
        let limit = if limit == 0 {
            STATEMENT_DEFAULT_LIMIT
        } else {
            limit
        };
        let c = self.store.conn();
        let f = from.map(ts);
        let t = to.map(ts);
        // One more than asked tells whether older lines were cut.
        let mut stmt = c.prepare(
            "SELECT line_id, at, kind, amount_paise, txn_id, memo FROM wallet_ledger
              WHERE account = 'wallet' AND (?1 IS NULL OR at >= ?1) AND (?2 IS NULL OR at < ?2)
              ORDER BY at DESC, line_id DESC LIMIT ?3",
        )?;
        let rows = stmt.query_map(params![f, t, i64::from(limit) + 1], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, i64>(3)?,
                r.get::<_, i64>(4)?,
                r.get::<_, String>(5)?,
            ))
        })?;
        let mut lines = Vec::new();
        for row in rows {
            let (line_id, at, kind, amount, txn_id, memo) = row?;
            lines.push(StatementLine {
                line_id,
                at: parse_ts(&at)?,
                kind,
                amount: Paise::new(amount),
                txn_id,
                memo,
            });
        }
        let truncated = lines.len() > limit as usize;
        lines.truncate(limit as usize);
        lines.reverse();
        let (mut credits, mut debits) = (0i64, 0i64);
        for l in &lines {
            let a = l.amount.as_i64();
            if a >= 0 {
                credits = credits
                    .checked_add(a)
                    .ok_or(CoreError::WalletInvalid("statement sum overflows"))?;
            } else {
                debits = debits
                    .checked_add(a)
                    .ok_or(CoreError::WalletInvalid("statement sum overflows"))?;
            }
        }
        let net = credits
            .checked_add(debits)
            .ok_or(CoreError::WalletInvalid("statement sum overflows"))?;
        let snap: Option<(i64, String)> = {
            use rusqlite::OptionalExtension;
            c.query_row(
                "SELECT balance_paise, as_of FROM wallet_snapshot WHERE id = 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?
        };
        let (balance, balance_as_of) = match snap {
            Some((b, a)) => (Some(Paise::new(b)), Some(parse_ts(&a)?)),
            None => (None, None),
        };
        Ok(WalletStatement {
            from,
            to,
            lines,
            truncated,
            credits: Paise::new(credits),
            debits: Paise::new(debits),
            net: Paise::new(net),
            balance,
            balance_as_of,
        })
    }
}

fn read_cursor(c: &rusqlite::Connection) -> Result<i64> {
    match get_setting(c, LEDGER_CURSOR_KEY)? {
        None => Ok(0),
        Some(s) => s
            .parse()
            .map_err(|_| CoreError::WalletInvalid("stored ledger cursor is not a number")),
    }
}
