//! The counter flow: cart, contact, payment mode, duplicate check, commit.

use crate::{CoreError, Kiosk, Result};
use chrono::{DateTime, NaiveDate, Utc};
use domain::rules::DUPLICATE_WINDOW;
use domain::{Cart, ChequeDetails, ChequePayee, Contact, Paise, PaymentMode, ReceiptNo};
use kiosk_store::rusqlite::{self, OptionalExtension, Transaction, params};
use kiosk_store::{parse_ts, ts};
use protocol::{ENTRY_FORMAT_VERSION, Entry, EntryKind, GENESIS_HASH, Hash32, PaymentPayload};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A payment being put together at the counter (nothing stored yet).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Draft {
    /// Becomes the receipt's id at commit, so one cart can never make two
    /// receipts (a second commit of it is refused by the primary key).
    /// Nil for a draft made before ids existed: commit then picks one.
    #[serde(default)]
    pub id: Uuid,
    pub cart: Cart,
    pub contact: Option<Contact>,
    pub mode: Option<PaymentMode>,
}

/// One bill as the operator enters it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BillInput {
    pub service: String,
    pub consumer_no: String,
    pub amount: Paise,
    pub consumer_name: Option<String>,
    pub bill_ref: Option<String>,
}

/// A cheque as written; the payee is checked against the department's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChequeInput {
    pub number: String,
    pub date: NaiveDate,
    pub bank: String,
    pub payee: String,
}

/// An earlier payment the new one may repeat (same service and consumer
/// number within 30 days).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DuplicateHit {
    pub service_code: String,
    pub consumer_no: String,
    pub receipt_no: String,
    pub paid_at: DateTime<Utc>,
    pub amount: Paise,
}

/// Whether the centre answered just now, as the caller knows it (the app
/// from its sync status, the CLI from a round that just worked). A
/// service with `offline_allowed = false` (real-time, "online only") is
/// taken only [`Reach::Online`]: the payment still goes through the local
/// ledger and the outbox, and the centre takes it only when it arrives
/// within `protocol::wire::ONLINE_ONLY_MAX_AGE_MS`
/// (docs/domain.md "Offline policy and spending room").
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reach {
    /// The last round with the centre was answered and the link is up.
    Online,
    /// Not known to answer: the local ledger alone (the default).
    #[default]
    Offline,
}

impl Reach {
    pub fn from_online(online: bool) -> Reach {
        if online {
            Reach::Online
        } else {
            Reach::Offline
        }
    }

    /// Refuses an online-only service unless the centre answers.
    fn admits(self, svc: &domain::Service) -> Result<()> {
        if !svc.offline_allowed && self != Reach::Online {
            return Err(CoreError::ServiceOnlineOnly(svc.code.clone()));
        }
        Ok(())
    }
}

/// A committed payment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Committed {
    pub receipt_id: Uuid,
    pub receipt_no: String,
    pub created_at: DateTime<Utc>,
    pub outbox_seq: u64,
    pub hash: String,
    pub lines: usize,
    pub total: Paise,
    pub commission: Paise,
    pub mode: String,
    pub duplicate_confirmed: bool,
    /// A line is for an online-only service: the centre takes the payment
    /// only if it arrives within minutes, so the caller sends it at once.
    pub real_time: bool,
}

/// Offline spending room (docs/domain.md "Offline policy and spending room").
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Exposure {
    pub balance: Paise,
    pub balance_as_of: DateTime<Utc>,
    pub covers_seq: u64,
    /// Local wallet debits the balance does not include yet.
    pub pending_amount: Paise,
    pub pending_count: i64,
    pub oldest_pending_at: Option<DateTime<Utc>>,
    pub max_pending_amount: Paise,
    pub max_pending_count: i64,
    pub max_age_secs: i64,
    /// The centre's security-deposit limit: how far below zero the wallet
    /// may go (its use is dues, `crate::refills`).
    pub deposit_limit: Paise,
    /// What one more payment may debit now: balance + deposit limit −
    /// pending, within the granted exposure (never below zero).
    pub available: Paise,
}

impl Kiosk {
    pub fn start_cart(&self) -> Draft {
        Draft {
            id: domain::new_id(self.clock.as_ref()),
            ..Draft::default()
        }
    }

    /// Adds a bill from the catalogue to the cart, offline: an online-only
    /// service is refused (`service.online_only`). Returns its index.
    pub fn add_bill(&self, d: &mut Draft, b: &BillInput) -> Result<usize> {
        self.add_bill_with_reach(d, b, Reach::Offline)
    }

    /// Adds a bill from the catalogue to the cart; an online-only service
    /// only when `reach` says the centre answered just now. Returns its
    /// index.
    pub fn add_bill_with_reach(&self, d: &mut Draft, b: &BillInput, reach: Reach) -> Result<usize> {
        let cat = self.catalogue_or_err()?;
        let svc = cat
            .service(b.service.trim())
            .ok_or_else(|| CoreError::ServiceUnknown(b.service.chars().take(32).collect()))?;
        if !svc.active {
            return Err(CoreError::ServiceInactive(svc.code.clone()));
        }
        reach.admits(svc)?;
        Ok(d.cart.add(
            svc,
            &b.consumer_no,
            b.consumer_name.as_deref(),
            b.bill_ref.as_deref(),
            b.amount,
        )?)
    }

    pub fn remove_bill(&self, d: &mut Draft, index: usize) -> Result<()> {
        d.cart.remove(index)?;
        Ok(())
    }

    pub fn set_contact(
        &self,
        d: &mut Draft,
        mobile: Option<&str>,
        email: Option<&str>,
    ) -> Result<()> {
        d.contact = Some(Contact::new(mobile, email)?);
        Ok(())
    }

    pub fn choose_wallet(&self, d: &mut Draft) {
        d.mode = Some(PaymentMode::Wallet);
    }

    /// Checks a departmental cheque against the kiosk's approval, the
    /// cart's department, the payee rule and the date rules (IST today).
    pub fn choose_cheque(&self, d: &mut Draft, c: &ChequeInput) -> Result<()> {
        let details = ChequeDetails {
            number: c.number.trim().to_string(),
            date: c.date,
            bank: domain::error::clean_text("cheque_bank", &c.bank, 60)?,
            payee: domain::error::clean_text("cheque_payee", &c.payee, 100)?,
        };
        self.check_cheque(&d.cart, &details)?;
        d.mode = Some(PaymentMode::Cheque(details));
        Ok(())
    }

    fn check_cheque(&self, cart: &Cart, c: &ChequeDetails) -> Result<()> {
        if !self.identity.cheque_enabled {
            return Err(domain::DomainError::ChequeNotEnabled.into());
        }
        let first = cart.lines.first().ok_or(domain::DomainError::CartEmpty)?;
        if cart.lines.iter().any(|l| l.department != first.department) {
            return Err(CoreError::ChequeMixedDepartments);
        }
        let cat = self.catalogue_or_err()?;
        let payee = cat
            .department(&first.department)
            .map(|d| d.cheque_payee)
            .unwrap_or(ChequePayee::None)
            .payee_name(&self.identity.district)
            .ok_or_else(|| CoreError::ChequeRefusedByDepartment(first.department.clone()))?;
        // The centre's date: a PC clock that is wrong must not let a
        // post-dated or stale cheque through.
        let today = domain::clock::ist_date(self.centre_now());
        c.validate(today, Some(&payee))?;
        Ok(())
    }

    /// Earlier payments (not cancelled, not rejected) of the cart's bills
    /// within the duplicate window.
    pub fn check_duplicates(&self, d: &Draft) -> Result<Vec<DuplicateHit>> {
        duplicates(self.store.conn(), &d.cart, self.now())
    }

    /// Makes every later local receipt number use a sequence above `seq`.
    /// After a restore from an older backup, the sync client sets this to
    /// the highest receipt sequence the centre holds from this device, so
    /// no receipt number is ever issued twice. Never lowers the floor.
    pub fn raise_receipt_seq_floor(&mut self, seq: u64) -> Result<u64> {
        self.store.write(|tx| -> Result<u64> {
            let have: u64 = kiosk_store::get_setting(tx, "receipt_seq_floor")?
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            let floor = have.max(seq);
            kiosk_store::set_setting(tx, "receipt_seq_floor", &floor.to_string())?;
            Ok(floor)
        })
    }

    /// The offline exposure now.
    pub fn exposure(&self) -> Result<Exposure> {
        exposure(self.store.conn())?.ok_or(CoreError::ExposureNoSnapshot)
    }

    /// Commits the payment offline (an online-only line is refused,
    /// `service.online_only`): see [`Kiosk::commit_payment_with_reach`].
    pub fn commit_payment(
        &mut self,
        d: &Draft,
        operator: &str,
        confirm_duplicate: bool,
    ) -> Result<Committed> {
        self.commit_payment_with_reach(d, operator, confirm_duplicate, Reach::Offline)
    }

    /// Commits the payment: receipt, lines, outbox entry (chained) and
    /// wallet hold in one transaction. Nothing is written if any check
    /// fails; `confirm_duplicate` must be true when [`Kiosk::check_duplicates`]
    /// finds anything. A line for an online-only service is taken only
    /// when `reach` says the centre answered just now; the payment is then
    /// [`Committed::real_time`] and should be sent at once.
    pub fn commit_payment_with_reach(
        &mut self,
        d: &Draft,
        operator: &str,
        confirm_duplicate: bool,
        reach: Reach,
    ) -> Result<Committed> {
        let now = self.now();
        if d.cart.is_empty() {
            return Err(domain::DomainError::CartEmpty.into());
        }
        let contact = d
            .contact
            .clone()
            .ok_or(domain::DomainError::ContactRequired)?;
        let mode = d.mode.clone().ok_or(CoreError::PaymentModeRequired)?;
        // The catalogue may have changed since the bills were added.
        let cat = self.catalogue_or_err()?;
        let mut real_time = false;
        for l in &d.cart.lines {
            let svc = cat
                .service(&l.service_code)
                .ok_or_else(|| CoreError::ServiceUnknown(l.service_code.clone()))?;
            if !svc.active {
                return Err(CoreError::ServiceInactive(svc.code.clone()));
            }
            // Added online, the link may have gone since: asked again.
            reach.admits(svc)?;
            real_time |= !svc.offline_allowed;
            svc.check_charge(l.charge)?;
        }
        if let PaymentMode::Cheque(c) = &mode {
            self.check_cheque(&d.cart, c)?;
        }
        let totals = d.cart.totals()?;
        let identity = self.identity.clone();
        let receipt_id = if d.id.is_nil() {
            domain::new_id(self.clock.as_ref())
        } else {
            d.id
        };
        let entry_id = domain::new_id(self.clock.as_ref());

        self.store.write(|tx| -> Result<Committed> {
            check_operator(tx, operator)?;
            let done: Option<String> = tx
                .query_row(
                    "SELECT receipt_no FROM receipts WHERE id = ?1",
                    [receipt_id.to_string()],
                    |r| r.get(0),
                )
                .optional()?;
            if let Some(no) = done {
                return Err(CoreError::CartAlreadyPaid(no));
            }
            let dups = duplicates(tx, &d.cart, now)?;
            if !dups.is_empty() && !confirm_duplicate {
                return Err(CoreError::DuplicateUnconfirmed(dups));
            }
            let duplicate_confirmed = !dups.is_empty();
            if matches!(mode, PaymentMode::Wallet) {
                check_exposure(tx, now, totals.total)?;
            }

            // Above every receipt here and above the floor set after a
            // restore (numbers the centre saw must never come back).
            let device_seq: u64 = tx.query_row(
                "SELECT MAX(COALESCE((SELECT MAX(device_seq) FROM receipts), 0),
                            COALESCE((SELECT CAST(value AS INTEGER) FROM settings WHERE key = 'receipt_seq_floor'), 0)) + 1",
                [],
                |r| r.get(0),
            )?;
            let receipt_no =
                ReceiptNo::new(identity.kiosk_code.clone(), identity.device_no, device_seq)
                    .to_string();
            let (cheque_no, cheque_date, cheque_bank, cheque_payee) = match &mode {
                PaymentMode::Cheque(c) => (
                    Some(c.number.clone()),
                    Some(c.date.to_string()),
                    Some(c.bank.clone()),
                    Some(c.payee.clone()),
                ),
                PaymentMode::Wallet => (None, None, None, None),
            };
            tx.execute(
                "INSERT INTO receipts (id, receipt_no, device_seq, created_at, operator, mode,
                    cheque_no, cheque_date, cheque_bank, cheque_payee, mobile, email,
                    line_count, bills_paise, charges_paise, total_paise, commission_paise,
                    duplicate_confirmed, status)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, 'provisional')",
                params![
                    receipt_id.to_string(),
                    receipt_no,
                    device_seq,
                    ts(now),
                    operator,
                    mode.code(),
                    cheque_no,
                    cheque_date,
                    cheque_bank,
                    cheque_payee,
                    contact.mobile.as_ref().map(|m| m.as_str().to_string()),
                    contact.email.as_ref().map(|e| e.as_str().to_string()),
                    totals.lines as i64,
                    totals.bills.as_i64(),
                    totals.charges.as_i64(),
                    totals.total.as_i64(),
                    totals.commission.as_i64(),
                    duplicate_confirmed,
                ],
            )?;
            {
                let mut ins = tx.prepare_cached(
                    "INSERT INTO receipt_lines (receipt_id, line_no, service_code, department,
                        consumer_no, consumer_name, bill_ref, bill_paise, charge_paise, commission_paise)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                )?;
                for (i, l) in d.cart.lines.iter().enumerate() {
                    ins.execute(params![
                        receipt_id.to_string(),
                        i as i64 + 1,
                        l.service_code,
                        l.department,
                        l.consumer_no,
                        l.consumer_name,
                        l.bill_ref,
                        l.bill_amount.as_i64(),
                        l.charge.as_i64(),
                        l.commission.as_i64(),
                    ])?;
                }
            }
            let payload = PaymentPayload {
                receipt_no: receipt_no.clone(),
                receipt_id,
                kiosk_code: identity.kiosk_code.to_string(),
                operator: operator.to_string(),
                contact: contact.clone(),
                mode: mode.clone(),
                lines: d.cart.lines.clone(),
                total: totals.total,
                commission: totals.commission,
                duplicate_confirmed,
            };
            let (seq, hash) = append_entry(
                tx,
                identity.device_id,
                entry_id,
                EntryKind::Payment,
                payload.encode(),
                now,
                Some(receipt_id),
            )?;
            if matches!(mode, PaymentMode::Wallet) {
                tx.execute(
                    "INSERT INTO wallet_holds (receipt_id, outbox_seq, amount_paise, state, created_at, updated_at)
                     VALUES (?1, ?2, ?3, 'held', ?4, ?4)",
                    params![receipt_id.to_string(), seq, totals.total.as_i64(), ts(now)],
                )?;
            }
            Ok(Committed {
                receipt_id,
                receipt_no,
                created_at: now,
                outbox_seq: seq,
                hash: kiosk_store::to_hex(&hash),
                lines: totals.lines,
                total: totals.total,
                commission: totals.commission,
                mode: mode.code().to_string(),
                duplicate_confirmed,
                real_time,
            })
        })
    }
}

pub(crate) fn check_operator(tx: &rusqlite::Connection, login: &str) -> Result<()> {
    let active: Option<bool> = tx
        .query_row(
            "SELECT active FROM operators WHERE login = ?1",
            [login],
            |r| r.get(0),
        )
        .optional()?;
    match active {
        None => Err(CoreError::OperatorUnknown(login.chars().take(32).collect())),
        Some(false) => Err(CoreError::OperatorInactive(login.to_string())),
        Some(true) => Ok(()),
    }
}

/// Appends one entry to the outbox, chained to the last one. Must run in
/// the caller's write transaction.
pub(crate) fn append_entry(
    tx: &Transaction<'_>,
    device_id: Uuid,
    id: Uuid,
    kind: EntryKind,
    payload: Vec<u8>,
    now: DateTime<Utc>,
    receipt_id: Option<Uuid>,
) -> Result<(u64, Hash32)> {
    // Nothing new after a break: it could never be accepted.
    if let Some(at) = crate::sync::chain_broken_at(tx)? {
        return Err(CoreError::EntriesStopped(at));
    }
    let last: Option<(u64, Vec<u8>)> = tx
        .query_row(
            "SELECT seq, hash FROM outbox WHERE device_id = ?1 ORDER BY seq DESC LIMIT 1",
            [device_id.to_string()],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let (seq, prev) = match last {
        None => (1, GENESIS_HASH),
        Some((s, h)) => (s + 1, h.try_into().map_err(|_| CoreError::ChainBroken(s))?),
    };
    let entry = Entry {
        format: ENTRY_FORMAT_VERSION,
        device_id,
        seq,
        id,
        kind,
        device_time_ms: now.timestamp_millis(),
        payload,
    };
    let hash = protocol::chain_hash(&prev, &entry);
    tx.prepare_cached(
        "INSERT INTO outbox (device_id, seq, id, kind, format, device_time_ms, payload, prev_hash, hash, created_at, receipt_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    )?
    .execute(params![
        device_id.to_string(),
        seq,
        id.to_string(),
        kind.as_str(),
        entry.format,
        entry.device_time_ms,
        entry.payload,
        &prev[..],
        &hash[..],
        ts(now),
        receipt_id.map(|r| r.to_string()),
    ])?;
    Ok((seq, hash))
}

fn duplicates(
    conn: &rusqlite::Connection,
    cart: &Cart,
    now: DateTime<Utc>,
) -> Result<Vec<DuplicateHit>> {
    // A payment exactly 30 days old is outside the window
    // (domain::rules::is_within_duplicate_window); later ones, including
    // ones "in the future" from a clock that lied, are inside.
    let since = ts(now - DUPLICATE_WINDOW);
    let mut stmt = conn.prepare_cached(
        "SELECT r.receipt_no, r.created_at, l.bill_paise
           FROM receipt_lines l JOIN receipts r ON r.id = l.receipt_id
          WHERE l.consumer_no = ?1 AND l.service_code = ?2 AND r.created_at > ?3
            AND r.status <> 'cancelled' AND r.rejected = 0
          ORDER BY r.created_at DESC",
    )?;
    let mut out = Vec::new();
    for l in &cart.lines {
        let rows = stmt.query_map(params![l.consumer_no, l.service_code, since], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, i64>(2)?,
            ))
        })?;
        for row in rows {
            let (receipt_no, at, amount) = row?;
            let paid_at = parse_ts(&at)?;
            debug_assert!(domain::rules::is_within_duplicate_window(paid_at, now));
            out.push(DuplicateHit {
                service_code: l.service_code.clone(),
                consumer_no: l.consumer_no.clone(),
                receipt_no,
                paid_at,
                amount: Paise::new(amount),
            });
        }
    }
    Ok(out)
}

pub(crate) fn exposure(conn: &rusqlite::Connection) -> Result<Option<Exposure>> {
    let snap: Option<(i64, String, u64, i64, i64, i64)> = conn
        .query_row(
            "SELECT balance_paise, as_of, covers_seq, max_pending_paise, max_pending_count, max_age_secs
               FROM wallet_snapshot WHERE id = 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?)),
        )
        .optional()?;
    let Some((balance, as_of, covers_seq, max_amount, max_count, max_age)) = snap else {
        return Ok(None);
    };
    // Pending: wallet debits made here that the balance does not include
    // yet — entries after covers_seq, unless the centre rejected them or
    // the receipt was cancelled before it was synced.
    let (pending, count, oldest): (i64, i64, Option<String>) = conn.query_row(
        "SELECT COALESCE(SUM(amount_paise), 0), COUNT(*), MIN(created_at)
           FROM wallet_holds WHERE state <> 'released' AND outbox_seq > ?1",
        [covers_seq],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )?;
    let oldest_pending_at = oldest.as_deref().map(parse_ts).transpose()?;
    let limit = crate::refills::deposit_limit(conn)?;
    let by_balance = balance.saturating_add(limit).saturating_sub(pending);
    let by_exposure = max_amount.saturating_sub(pending);
    let available = by_balance.min(by_exposure).max(0);
    Ok(Some(Exposure {
        balance: Paise::new(balance),
        balance_as_of: parse_ts(&as_of)?,
        covers_seq,
        pending_amount: Paise::new(pending),
        pending_count: count,
        oldest_pending_at,
        max_pending_amount: Paise::new(max_amount),
        max_pending_count: max_count,
        max_age_secs: max_age,
        deposit_limit: Paise::new(limit),
        available: Paise::new(available),
    }))
}

fn check_exposure(conn: &rusqlite::Connection, now: DateTime<Utc>, amount: Paise) -> Result<()> {
    let e = exposure(conn)?.ok_or(CoreError::ExposureNoSnapshot)?;
    if e.pending_count + 1 > e.max_pending_count {
        return Err(CoreError::ExposureCountExceeded {
            pending: e.pending_count,
            max: e.max_pending_count,
        });
    }
    if let Some(oldest) = e.oldest_pending_at {
        let age = (now - oldest).num_seconds();
        if age > e.max_age_secs {
            return Err(CoreError::ExposureAgeExceeded {
                age_secs: age,
                max_secs: e.max_age_secs,
            });
        }
    }
    let after = e.pending_amount.try_add(amount)?;
    if after > e.max_pending_amount {
        return Err(CoreError::ExposureAmountExceeded {
            pending: e.pending_amount,
            amount,
            max: e.max_pending_amount,
        });
    }
    // Down to minus the deposit limit, as the centre allows.
    let floor = e.balance.try_add(e.deposit_limit)?;
    if floor.try_sub(after)?.is_negative() {
        return Err(CoreError::ExposureBalanceInsufficient {
            available: Paise::new(
                floor
                    .as_i64()
                    .saturating_sub(e.pending_amount.as_i64())
                    .max(0),
            ),
            amount,
        });
    }
    Ok(())
}
