//! Exactly-once push and pull-by-cursor.
//!
//! A push is applied in one database transaction holding the kiosk's and
//! the device's row locks: replayed seqs get their recorded outcome, new
//! ones are decided in seq order by `plan` (pure: no I/O) over a context
//! loaded up front, then written in a few multi-row statements.

use crate::db::{DbError, Dialect, SqlTx, V};
use crate::params;
use crate::store::{
    Kiosk, PostLine, SResult, Store, StoreError, accounts, kiosk_ledger, lock_device, lock_kiosk,
    next_txn_ids, notices_after, placeholders, post_many, value_rows,
};
use domain::{Catalogue, ErrorCode, Paise, PaymentMode};
use protocol::{
    CancelPayload, Cursor, Entry, EntryKind, EntryOutcome, GENESIS_HASH, Hash32, Outcome,
    PROTOCOL_VERSION, PaymentPayload, PullResponse, PushRequest, PushResponse, TicketPayload,
    chain_hash, codes,
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
    fn code(&self) -> &'static str {
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

// ------------------------------------------------------------------ planning

#[derive(Debug, Clone)]
pub(crate) struct PaidPayment {
    pub txn_id: i64,
    pub pending: bool,
    pub receipt_no: String,
    pub cancelled: bool,
    pub lines: Vec<PostLine>,
    pub mobile: Option<String>,
    pub email: Option<String>,
    pub total: i64,
}

/// What [`plan`] needs to know, loaded inside the push transaction.
pub(crate) struct Ctx<'a> {
    pub kiosk: Kiosk,
    pub catalogue: &'a Catalogue,
    /// Bills named by the batch: (service, consumer, bill ref) → already paid.
    pub bills: HashMap<(String, String, String), bool>,
    /// Payments of this kiosk named by the batch's cancellations, by receipt id.
    pub payments: HashMap<Uuid, PaidPayment>,
    /// (service, consumer) paid at any kiosk within the duplicate window.
    pub recent: HashSet<(String, String)>,
    /// Entry ids already recorded: id → (device, outcome).
    pub known_ids: HashMap<Uuid, (Uuid, Outcome)>,
    pub txn_ids: std::vec::IntoIter<i64>,
    /// Services whose department confirms later.
    pub confirm_later: &'a HashSet<String>,
}

#[derive(Debug, Clone)]
pub(crate) struct NewPayment {
    pub txn_id: i64,
    pub pending: bool,
    pub p: PaymentPayload,
    pub commission: i64,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct Effects {
    pub ledger: Option<(i64, String, String, Vec<PostLine>)>,
    pub payment: Option<NewPayment>,
    pub cancel: Option<(i64, i64)>,
    pub bills_paid: Vec<(String, String, String, i64)>,
    pub bills_unpaid: Vec<i64>,
    /// (channel, recipient, subject, body)
    pub notify: Vec<(String, String, String, String)>,
    pub ticket: Option<TicketPayload>,
}

pub(crate) struct Planned {
    pub entry: Entry,
    pub hash: Hash32,
    pub outcome: Outcome,
    pub effects: Effects,
}

fn reject(code: &str, reason: impl Into<String>) -> (Outcome, Effects) {
    (
        Outcome::Rejected {
            code: code.to_string(),
            reason: reason.into(),
        },
        Effects::default(),
    )
}

fn text_ok(s: &str, min: usize, max: usize) -> bool {
    let n = s.chars().count();
    n >= min && n <= max && !s.chars().any(char::is_control)
}

/// Decides one new entry. Pure: reads and updates only `ctx`.
pub(crate) fn plan(ctx: &mut Ctx, e: &Entry) -> (Outcome, Effects) {
    if let Some((dev, recorded)) = ctx.known_ids.get(&e.id) {
        // The same entry id again: same device → the recorded outcome, no
        // second effect; another device → refused.
        return if *dev == e.device_id {
            (recorded.clone(), Effects::default())
        } else {
            reject(
                codes::DUPLICATE_ENTRY_ID,
                "entry id already used by another device",
            )
        };
    }
    let (outcome, effects) = if e.format != protocol::ENTRY_FORMAT_VERSION {
        reject(
            codes::ENTRY_UNSUPPORTED_FORMAT,
            format!("entry format {} is not supported", e.format),
        )
    } else if e.payload.len() > protocol::wire::MAX_PAYLOAD_BYTES {
        reject(codes::ENTRY_MALFORMED, "payload too large")
    } else {
        match e.kind {
            EntryKind::Payment => plan_payment(ctx, e),
            EntryKind::Cancellation => plan_cancel(ctx, e),
            EntryKind::Ticket => plan_ticket(ctx, e),
            EntryKind::UserChange => {
                // Recorded for audit; user changes are made online by the holder.
                let txn = ctx.txn_ids.next().expect("txn id per entry");
                (
                    Outcome::Accepted {
                        txn_id: txn,
                        receipt_no: String::new(),
                        warnings: vec![],
                    },
                    Effects::default(),
                )
            }
        }
    };
    ctx.known_ids.insert(e.id, (e.device_id, outcome.clone()));
    (outcome, effects)
}

fn plan_payment(ctx: &mut Ctx, e: &Entry) -> (Outcome, Effects) {
    let p = match e.payment() {
        Ok(p) => p,
        Err(err) => return reject(codes::ENTRY_MALFORMED, format!("payment payload: {err}")),
    };
    if p.kiosk_code != ctx.kiosk.code {
        return reject(codes::ENTRY_WRONG_KIOSK, "payment names another kiosk");
    }
    if ctx.payments.contains_key(&p.receipt_id) {
        return reject(
            codes::RECEIPT_ID_REUSED,
            "this receipt id belongs to an earlier payment",
        );
    }
    if !text_ok(&p.receipt_no, 1, 40) || !text_ok(&p.operator, 1, 64) {
        return reject(
            codes::TEXT_INVALID,
            "receipt number or operator is empty, too long or has control characters",
        );
    }
    if p.contact.mobile.is_none() && p.contact.email.is_none() {
        return reject(
            codes::ENTRY_MALFORMED,
            "a mobile number or an e-mail address is required",
        );
    }
    if p.lines.is_empty() || p.lines.len() > domain::cart::MAX_CART_LINES {
        return reject(codes::ENTRY_MALFORMED, "a payment has 1 to 20 bills");
    }
    let mut total = Paise::ZERO;
    let mut commission = Paise::ZERO;
    let mut charges = Paise::ZERO;
    let mut by_dept: std::collections::BTreeMap<String, i64> = Default::default();
    let mut seen = HashSet::new();
    let mut warnings = Vec::new();
    for l in &p.lines {
        if !text_ok(&l.service_code, 1, 32)
            || !text_ok(&l.department, 1, 32)
            || !text_ok(&l.consumer_no, 1, 64)
            || !l
                .consumer_name
                .as_deref()
                .is_none_or(|n| text_ok(n, 0, 100))
            || !l.bill_ref.as_deref().is_none_or(|n| text_ok(n, 1, 64))
        {
            return reject(
                codes::TEXT_INVALID,
                "a bill line has an empty, too long or control-character field",
            );
        }
        if !l.bill_amount.is_positive()
            || l.bill_amount > Paise::MAX_INPUT
            || l.charge.is_negative()
            || l.charge > Paise::MAX_INPUT
            || l.commission.is_negative()
        {
            return reject(
                codes::AMOUNT_INVALID,
                "bill amounts must be positive, charges not negative, all within limits",
            );
        }
        let Some(svc) = ctx.catalogue.service(&l.service_code) else {
            return reject(
                codes::SERVICE_UNKNOWN,
                format!("service {} is not in the catalogue", l.service_code),
            );
        };
        if !svc.active {
            return reject(
                codes::SERVICE_INACTIVE,
                format!("service {} is not active", l.service_code),
            );
        }
        if svc.department != l.department {
            return reject(
                codes::ENTRY_MALFORMED,
                format!(
                    "service {} belongs to department {}",
                    svc.code, svc.department
                ),
            );
        }
        if l.charge > svc.state_rate {
            return reject(
                codes::CHARGE_ABOVE_STATE_RATE,
                format!(
                    "charge {} is above the state rate {}",
                    l.charge, svc.state_rate
                ),
            );
        }
        match consumer_no_ok(&svc.consumer_pattern, &l.consumer_no) {
            true => {}
            false => {
                return reject(
                    "consumer_no.invalid",
                    format!("{} {:?} is not valid", svc.consumer_label_en, l.consumer_no),
                );
            }
        }
        if !seen.insert((l.service_code.clone(), l.consumer_no.clone())) {
            return reject(codes::ENTRY_MALFORMED, "the same bill twice on one receipt");
        }
        if let Some(r) = &l.bill_ref {
            if ctx
                .bills
                .get(&(l.service_code.clone(), l.consumer_no.clone(), r.clone()))
                == Some(&true)
            {
                return reject(
                    codes::BILL_ALREADY_PAID,
                    format!("bill {r} of {} is already paid", l.consumer_no),
                );
            }
        }
        if ctx
            .recent
            .contains(&(l.service_code.clone(), l.consumer_no.clone()))
            && !warnings.iter().any(|w| w == codes::DUPLICATE_WARNING)
        {
            warnings.push(codes::DUPLICATE_WARNING.to_string());
        }
        let line_total = match l.bill_amount.checked_add(l.charge) {
            Some(t) => t,
            None => return reject(codes::AMOUNT_INVALID, "amount overflow"),
        };
        total = match total.checked_add(line_total) {
            Some(t) => t,
            None => return reject(codes::AMOUNT_INVALID, "amount overflow"),
        };
        charges = charges.checked_add(l.charge).unwrap_or(Paise::MAX_INPUT);
        // The centre pays the commission its own catalogue names.
        commission = commission
            .checked_add(svc.commission)
            .unwrap_or(Paise::MAX_INPUT);
        *by_dept.entry(l.department.clone()).or_default() += l.bill_amount.as_i64();
    }
    if total != p.total {
        return reject(
            codes::TOTALS_MISMATCH,
            format!("total {} is not the sum of the bills {}", p.total, total),
        );
    }
    if total > Paise::MAX_INPUT {
        return reject(codes::AMOUNT_INVALID, "total above the limit");
    }
    let debit_account = match &p.mode {
        PaymentMode::Wallet => {
            let after = ctx.kiosk.wallet_balance.as_i64() - total.as_i64();
            if after < -ctx.kiosk.exposure.max_pending_amount.as_i64() {
                return reject(
                    codes::EXPOSURE_EXCEEDED,
                    format!(
                        "wallet {} cannot cover {} within the offline exposure",
                        ctx.kiosk.wallet_balance, total
                    ),
                );
            }
            accounts::WALLET
        }
        PaymentMode::Cheque(ch) => {
            if !ctx.kiosk.cheque_enabled {
                return reject(
                    "cheque.not_enabled",
                    "cheque payments are not enabled for this kiosk",
                );
            }
            if by_dept.len() != 1 {
                return reject(
                    codes::CHEQUE_INVALID,
                    "a cheque pays one department's bills",
                );
            }
            let dept_code = by_dept.keys().next().expect("one department");
            let payee = ctx
                .catalogue
                .department(dept_code)
                .and_then(|d| d.cheque_payee.payee_name(&ctx.kiosk.district));
            let day = domain::clock::ist_date(
                chrono::DateTime::from_timestamp_millis(e.device_time_ms).unwrap_or_default(),
            );
            if let Err(err) = ch.validate(day, payee.as_deref()) {
                return reject(err.code(), err.to_string());
            }
            accounts::CHEQUE_CLEARING
        }
    };

    let txn = ctx.txn_ids.next().expect("txn id per entry");
    let rno = receipt_no(txn);
    let k = ctx.kiosk.id;
    let mut lines = vec![PostLine {
        account: debit_account.into(),
        kiosk: Some(k),
        amount: -total.as_i64(),
    }];
    for (d, amt) in &by_dept {
        lines.push(PostLine {
            account: accounts::department(d),
            kiosk: None,
            amount: *amt,
        });
    }
    let fees = charges.as_i64() - commission.as_i64();
    if fees != 0 {
        lines.push(PostLine {
            account: accounts::FEES.into(),
            kiosk: None,
            amount: fees,
        });
    }
    if commission.is_positive() {
        lines.push(PostLine {
            account: accounts::COMMISSION.into(),
            kiosk: Some(k),
            amount: commission.as_i64(),
        });
    }
    if debit_account == accounts::WALLET {
        ctx.kiosk.wallet_balance = Paise::new(ctx.kiosk.wallet_balance.as_i64() - total.as_i64());
    }
    // A department that confirms later: the money is held (debited and
    // parked) until `settle` posts the rest or gives it back.
    let pending = p
        .lines
        .iter()
        .any(|l| ctx.confirm_later.contains(&l.service_code));
    if pending {
        lines = vec![
            lines[0].clone(),
            PostLine {
                account: accounts::PENDING.into(),
                kiosk: None,
                amount: total.as_i64(),
            },
        ];
    }
    let mut fx = Effects::default();
    for l in &p.lines {
        ctx.recent
            .insert((l.service_code.clone(), l.consumer_no.clone()));
        if let Some(r) = &l.bill_ref {
            let key = (l.service_code.clone(), l.consumer_no.clone(), r.clone());
            if ctx.bills.contains_key(&key) {
                ctx.bills.insert(key.clone(), true);
                fx.bills_paid.push((key.0, key.1, key.2, txn));
            }
        }
    }
    let first = &p.lines[0];
    let svc_name = ctx
        .catalogue
        .service(&first.service_code)
        .map(|s| s.name_en.clone())
        .unwrap_or_default();
    let more = if p.lines.len() > 1 {
        format!(" +{} more", p.lines.len() - 1)
    } else {
        String::new()
    };
    let sms = format!(
        "e-Mitra: {} received for {} {}{}. Receipt {}. / {} प्राप्त, रसीद {}",
        total, svc_name, first.consumer_no, more, rno, total, rno
    );
    if !pending {
        // A held payment's citizen hears when the department has confirmed it.
        queue_contact(&mut fx, &p.contact, &format!("e-Mitra receipt {rno}"), &sms);
    }
    ctx.payments.insert(
        p.receipt_id,
        PaidPayment {
            txn_id: txn,
            pending,
            receipt_no: rno.clone(),
            cancelled: false,
            lines: lines.clone(),
            mobile: p.contact.mobile.as_ref().map(|m| m.as_str().to_string()),
            email: p.contact.email.as_ref().map(|m| m.as_str().to_string()),
            total: total.as_i64(),
        },
    );
    let kind = if pending { "payment_held" } else { "payment" };
    fx.ledger = Some((txn, kind.into(), format!("receipt {rno}"), lines));
    fx.payment = Some(NewPayment {
        txn_id: txn,
        pending,
        p,
        commission: commission.as_i64(),
    });
    if pending {
        return (Outcome::Pending { txn_id: txn }, fx);
    }
    (
        Outcome::Accepted {
            txn_id: txn,
            receipt_no: rno,
            warnings,
        },
        fx,
    )
}

/// The service's consumer-number rule, with compiled patterns cached (the
/// catalogue has a few dozen; compiling one per bill would dominate a push).
fn consumer_no_ok(pattern: &str, consumer_no: &str) -> bool {
    use std::sync::{Mutex, OnceLock};
    static CACHE: OnceLock<Mutex<HashMap<String, Option<regex::Regex>>>> = OnceLock::new();
    let mut c = CACHE.get_or_init(Default::default).lock().unwrap();
    if c.len() > 10_000 {
        c.clear();
    }
    let re = c.entry(pattern.to_string()).or_insert_with(|| {
        let p = format!(
            "^(?:{})$",
            pattern.trim_start_matches('^').trim_end_matches('$')
        );
        regex::Regex::new(&p).ok()
    });
    // Stored numbers are already normalised (no spaces, upper case).
    consumer_no.len() <= 64
        && !consumer_no.contains(char::is_whitespace)
        && consumer_no.to_uppercase() == consumer_no
        && re.as_ref().is_some_and(|r| r.is_match(consumer_no))
}

fn queue_contact(fx: &mut Effects, c: &domain::Contact, subject: &str, body: &str) {
    if let Some(m) = &c.mobile {
        fx.notify.push((
            "sms".into(),
            m.as_str().to_string(),
            subject.to_string(),
            body.to_string(),
        ));
    }
    if let Some(m) = &c.email {
        fx.notify.push((
            "email".into(),
            m.as_str().to_string(),
            subject.to_string(),
            body.to_string(),
        ));
    }
}

fn plan_cancel(ctx: &mut Ctx, e: &Entry) -> (Outcome, Effects) {
    let c: CancelPayload = match e.cancellation() {
        Ok(c) => c,
        Err(err) => {
            return reject(
                codes::ENTRY_MALFORMED,
                format!("cancellation payload: {err}"),
            );
        }
    };
    if !text_ok(&c.reason, 0, 200) || !text_ok(&c.operator, 1, 64) || !text_ok(&c.receipt_no, 1, 40)
    {
        return reject(
            codes::TEXT_INVALID,
            "reason, operator or receipt number is too long or has control characters",
        );
    }
    let Some(orig) = ctx.payments.get(&c.receipt_id).cloned() else {
        return reject(
            codes::RECEIPT_UNKNOWN,
            format!("no payment {} at this kiosk", c.receipt_no),
        );
    };
    if orig.pending {
        return reject(
            "receipt.pending",
            format!(
                "receipt {} waits for the department; cancel it once settled",
                c.receipt_no
            ),
        );
    }
    if orig.cancelled {
        return reject(
            codes::RECEIPT_ALREADY_CANCELLED,
            format!("receipt {} is already cancelled", orig.receipt_no),
        );
    }
    let txn = ctx.txn_ids.next().expect("txn id per entry");
    let lines: Vec<PostLine> = orig
        .lines
        .iter()
        .map(|l| PostLine {
            account: l.account.clone(),
            kiosk: l.kiosk,
            amount: -l.amount,
        })
        .collect();
    for l in &lines {
        if l.account == accounts::WALLET {
            ctx.kiosk.wallet_balance = Paise::new(ctx.kiosk.wallet_balance.as_i64() + l.amount);
        }
    }
    ctx.payments
        .get_mut(&c.receipt_id)
        .expect("present")
        .cancelled = true;
    let mut fx = Effects::default();
    let body = format!(
        "e-Mitra: receipt {} for {} is cancelled; the amount is reversed. / रसीद {} रद्द",
        orig.receipt_no,
        Paise::new(orig.total),
        orig.receipt_no
    );
    let subject = format!("e-Mitra receipt {} cancelled", orig.receipt_no);
    if let Some(m) = &orig.mobile {
        fx.notify
            .push(("sms".into(), m.clone(), subject.clone(), body.clone()));
    }
    if let Some(m) = &orig.email {
        fx.notify
            .push(("email".into(), m.clone(), subject.clone(), body.clone()));
    }
    fx.ledger = Some((
        txn,
        "cancellation".into(),
        format!("cancel receipt {}", orig.receipt_no),
        lines,
    ));
    fx.cancel = Some((orig.txn_id, txn));
    fx.bills_unpaid.push(orig.txn_id);
    (
        Outcome::Accepted {
            txn_id: txn,
            receipt_no: orig.receipt_no,
            warnings: vec![],
        },
        fx,
    )
}

fn plan_ticket(ctx: &mut Ctx, e: &Entry) -> (Outcome, Effects) {
    let t = match TicketPayload::decode(&e.payload) {
        Ok(t) => t,
        Err(err) => return reject(codes::ENTRY_MALFORMED, format!("ticket payload: {err}")),
    };
    if !text_ok(&t.subject, 1, 200)
        || !text_ok(&t.raised_by, 1, 64)
        || t.body.chars().count() > 4000
    {
        return reject(
            codes::TEXT_INVALID,
            "ticket subject, author or body is empty, too long or has control characters",
        );
    }
    let txn = ctx.txn_ids.next().expect("txn id per entry");
    let fx = Effects {
        ticket: Some(t),
        ..Default::default()
    };
    (
        Outcome::Accepted {
            txn_id: txn,
            receipt_no: String::new(),
            warnings: vec![],
        },
        fx,
    )
}

// ------------------------------------------------------------------ outcomes in rows

fn outcome_cols(
    o: &Outcome,
) -> (
    &'static str,
    Option<String>,
    Option<String>,
    Option<i64>,
    Option<String>,
    String,
) {
    match o {
        Outcome::Accepted {
            txn_id,
            receipt_no,
            warnings,
        } => (
            "accepted",
            None,
            None,
            Some(*txn_id),
            Some(receipt_no.clone()),
            warnings.join(","),
        ),
        Outcome::Rejected { code, reason } => (
            "rejected",
            Some(code.clone()),
            Some(reason.clone()),
            None,
            None,
            String::new(),
        ),
        Outcome::Pending { txn_id } => ("pending", None, None, Some(*txn_id), None, String::new()),
    }
}

/// Rebuilds an outcome from `status, code, reason, txn_id, receipt_no, warnings` at `i..`.
fn outcome_from(r: &crate::db::Row, i: usize) -> SResult<Outcome> {
    Ok(match r.text(i)?.as_str() {
        "accepted" => Outcome::Accepted {
            txn_id: r.i64(i + 3)?,
            receipt_no: r.opt_text(i + 4)?.unwrap_or_default(),
            warnings: r
                .text(i + 5)?
                .split(',')
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect(),
        },
        "rejected" => Outcome::Rejected {
            code: r.text(i + 1)?,
            reason: r.opt_text(i + 2)?.unwrap_or_default(),
        },
        "pending" => Outcome::Pending {
            txn_id: r.i64(i + 3)?,
        },
        s => return Err(StoreError::Corrupt(format!("entry status {s}"))),
    })
}

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
        // A deadlock between two kiosks' bill locks is resolved by the
        // database killing one; that one is simply run again.
        let mut tries = 0;
        loop {
            tries += 1;
            match self.push_once(device_id, &req, &catalogue).await {
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
            if let Some((sh, _)) = stored.get(&seq) {
                if *sh != h && bad_at.is_none() {
                    bad_at = Some(seq);
                }
            }
            prev = h;
            entries.push(e);
            hashes.push(h);
        }
        if bad_at.is_none() && prev != req.last_hash {
            bad_at = Some(last);
        }
        if let Some(at) = bad_at {
            // Refused, but the alert is kept: commit it alone.
            tx.exec(
                "INSERT INTO tamper_alerts (device_id, kiosk_id, expected_seq, detail, at_ms) VALUES ($1,$2,$3,$4,$5)",
                &params![device_id, kiosk.id, hwm + 1, format!("chain mismatch at seq {at} in batch {first}..={last}"), now],
            )
            .await?;
            txb.commit().await?;
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
        tx.exec(
            "UPDATE devices SET high_water = $1, last_hash = $2 WHERE id = $3",
            &params![last, req.last_hash, device_id],
        )
        .await?;
        txb.commit().await?;
        Ok(PushResponse {
            version: PROTOCOL_VERSION,
            high_water: last,
            outcomes,
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
        if let Some(c) = self.cat_cache.read().unwrap().as_ref() {
            if c.version == v {
                return Ok(Some(c.clone()));
            }
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
        let more = ledger.len() as i64 == limit
            || rows.len() as i64 == limit
            || settled.len() as i64 == limit
            || notices.len() as i64 == limit;
        let catalogue = catalogue.filter(|c| c.version > cursor.catalogue_version);
        let new_cursor = Cursor {
            catalogue_version: catalogue
                .as_ref()
                .map_or(cursor.catalogue_version, |c| c.version),
            ledger_after: ledger.last().map_or(cursor.ledger_after, |l| l.id),
            outcomes_after,
            notices_after: notices.last().map_or(cursor.notices_after, |n| n.id),
            settled_after,
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
    for e in entries {
        match e.kind {
            EntryKind::Payment => {
                if let Ok(p) = e.payment() {
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
    };
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
        if let Some(t) = &p.effects.ticket {
            crate::store::insert_ticket(
                tx,
                t.ticket_id,
                kiosk.id,
                &t.raised_by,
                &t.subject,
                &t.body,
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
        let now = self.now_ms();
        let reason: String = reason
            .chars()
            .filter(|c| !c.is_control())
            .take(200)
            .collect();
        let mut txb = self.db.begin().await?;
        let tx: &mut dyn SqlTx = &mut *txb;
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
        txb.commit().await?;
        Ok(outcome)
    }
}
