//! Push planning: each new entry, with what the batch and the database
//! know, becomes an outcome and the effects to write. No I/O here.

use super::*;

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
    /// The centre's clock at this push.
    pub now_ms: i64,
    /// The centre's clock minus the kiosk's, as the kiosk measured it.
    pub clock_offset_ms: Option<i64>,
    /// The kiosk's users and the other logins the batch's additions name,
    /// by login (loaded for cancellations and user changes).
    pub users: HashMap<String, CtxUser>,
    /// Passwords made for the batch's new users and resets, by entry id.
    pub passwords: HashMap<Uuid, NewPassword>,
    /// The kiosk's security-deposit limit, paise: how far below zero a
    /// wallet payment may go besides the offline exposure.
    pub deposit_limit: i64,
    /// What the batch's refill requests are checked against.
    pub refills: RefillCtx,
}

impl Ctx<'_> {
    /// When an entry was made, by the centre's clock: the kiosk dates
    /// its entries by its reckoning of our clock (`Entry::device_time_ms`),
    /// and none is later than now.
    pub fn centre_time_ms(&self, device_time_ms: i64) -> i64 {
        device_time_ms.min(self.now_ms)
    }

    /// The kiosk's clock is off ours beyond the limit: by its own
    /// measurement, or by an entry dated in our future.
    pub fn skewed(&self, device_time_ms: i64) -> bool {
        self.clock_offset_ms
            .is_some_and(|o| o.abs() > protocol::wire::CLOCK_SKEW_MAX_MS)
            || device_time_ms > self.now_ms + protocol::wire::CLOCK_SKEW_MAX_MS
    }
}

/// Whether any of a batch's entries comes from a skewed kiosk clock.
pub(crate) fn clock_skewed(offset: Option<i64>, entries: &[&Entry], now_ms: i64) -> bool {
    offset.is_some_and(|o| o.abs() > protocol::wire::CLOCK_SKEW_MAX_MS)
        || entries
            .iter()
            .any(|e| e.device_time_ms > now_ms + protocol::wire::CLOCK_SKEW_MAX_MS)
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
    pub user: Option<UserEffect>,
    /// A refill request to record, its reference normalised.
    pub refill: Option<RefillPayload>,
}

pub(crate) struct Planned {
    pub entry: Entry,
    pub hash: Hash32,
    pub outcome: Outcome,
    pub effects: Effects,
}

pub(super) fn reject(code: &str, reason: impl Into<String>) -> (Outcome, Effects) {
    (
        Outcome::Rejected {
            code: code.to_string(),
            reason: reason.into(),
        },
        Effects::default(),
    )
}

/// The kiosk's text rule (`domain::text`), on text that must arrive
/// already clean: the entry is signed, so nothing in it is changed here.
pub(super) fn text_ok(s: &str, min: usize, max: usize) -> bool {
    s.chars().count() >= min && domain::text::check_clean("text", s, max).is_ok()
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
            EntryKind::UserChange => plan_user_change(ctx, e),
            EntryKind::RefillRequest => plan_refill(ctx, e),
        }
    };
    ctx.known_ids.insert(e.id, (e.device_id, outcome.clone()));
    (outcome, effects)
}

pub(super) fn plan_payment(ctx: &mut Ctx, e: &Entry) -> (Outcome, Effects) {
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
        if !svc.offline_allowed {
            // Real-time: the kiosk takes it only while we answer, so it
            // must reach us within minutes of being taken (by our clock),
            // or the money is not taken (docs/domain.md "Offline policy").
            let age_ms = ctx.now_ms - ctx.centre_time_ms(e.device_time_ms);
            if age_ms > protocol::wire::ONLINE_ONLY_MAX_AGE_MS {
                return reject(
                    codes::SERVICE_ONLINE_ONLY_LATE,
                    format!(
                        "service {} is online only: the payment arrived {} s after it was taken (at most {} s)",
                        svc.code,
                        age_ms / 1000,
                        protocol::wire::ONLINE_ONLY_MAX_AGE_MS / 1000
                    ),
                );
            }
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
        match domain::catalogue::consumer_no_matches(&svc.consumer_pattern, &l.consumer_no)
            .unwrap_or(false)
        {
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
        if let Some(r) = &l.bill_ref
            && ctx
                .bills
                .get(&(l.service_code.clone(), l.consumer_no.clone(), r.clone()))
                == Some(&true)
        {
            return reject(
                codes::BILL_ALREADY_PAID,
                format!("bill {r} of {} is already paid", l.consumer_no),
            );
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
            // A security deposit's limit lets the wallet go below zero; the
            // offline exposure allows for what the kiosk could not know.
            let floor = ctx.kiosk.exposure.max_pending_amount.as_i64() + ctx.deposit_limit;
            if after < -floor {
                return reject(
                    codes::EXPOSURE_EXCEEDED,
                    format!(
                        "wallet {} cannot cover {} within the deposit limit {} and the offline exposure",
                        ctx.kiosk.wallet_balance,
                        total,
                        Paise::new(ctx.deposit_limit)
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
            // The centre's date, not the kiosk's clock: not post-dated by
            // today here, not stale on the day it was taken (by our clock).
            let ist = |ms: i64| {
                domain::clock::ist_date(
                    chrono::DateTime::from_timestamp_millis(ms).unwrap_or_default(),
                )
            };
            let taken = ist(ctx.centre_time_ms(e.device_time_ms));
            let today = ist(ctx.now_ms);
            if ch.date > today {
                let err = domain::DomainError::ChequePostDated { date: ch.date };
                return reject(err.code(), err.to_string());
            }
            if let Err(err) = ch.validate(taken, payee.as_deref()) {
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
    // A repeat later in the same batch is a duplicate too.
    for l in &p.lines {
        ctx.recent
            .insert((l.service_code.clone(), l.consumer_no.clone()));
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
    if ctx.skewed(e.device_time_ms) {
        warnings.push(codes::CLOCK_SKEW.to_string());
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

pub(super) fn queue_contact(fx: &mut Effects, c: &domain::Contact, subject: &str, body: &str) {
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

pub(super) fn plan_cancel(ctx: &mut Ctx, e: &Entry) -> (Outcome, Effects) {
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
    if !is_holder(ctx, &c.operator) {
        return reject(
            codes::AUTH_HOLDER_ONLY,
            format!("{} is not an active holder of this kiosk", c.operator),
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

pub(super) fn plan_ticket(ctx: &mut Ctx, e: &Entry) -> (Outcome, Effects) {
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
    // Any short lowercase word: a newer kiosk may offer more categories.
    let category_ok = t.category.len() <= 32
        && t.category
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !category_ok || t.receipt_no.as_deref().is_some_and(|r| !text_ok(r, 1, 40)) {
        return reject(
            codes::TEXT_INVALID,
            "ticket category or receipt number is not valid",
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

/// A refill request: from a holder of the kiosk, passing the kiosk's own
/// checks (`protocol::refills::check_request`) with its reference already
/// normalised, a request id not seen before, and a bank reference not on a
/// pending or credited request of this kiosk.
pub(super) fn plan_refill(ctx: &mut Ctx, e: &Entry) -> (Outcome, Effects) {
    use protocol::refills::{check_request, codes as rc};
    let p = match RefillPayload::decode(&e.payload) {
        Ok(p) => p,
        Err(err) => return reject(codes::ENTRY_MALFORMED, format!("refill payload: {err}")),
    };
    if !text_ok(&p.requested_by, 1, 64) {
        return reject(codes::TEXT_INVALID, "the requester's login is not valid");
    }
    if !ctx.refills.holders.contains(&p.requested_by) {
        return reject(
            codes::AUTH_HOLDER_ONLY,
            format!(
                "{} is not a holder of kiosk {}: only the holder requests refills",
                p.requested_by, ctx.kiosk.code
            ),
        );
    }
    let reference = match check_request(p.amount, &p.mode, p.reference.as_deref()) {
        Ok((mode, r)) if mode.as_str() == p.mode => r,
        Ok(_) => {
            return reject(
                rc::MODE_UNKNOWN,
                "the mode is not written as the kiosk writes it",
            );
        }
        Err(err) => return reject(err.code(), err.to_string()),
    };
    if reference != p.reference {
        // Signed as sent: the centre does not rewrite it.
        return reject(rc::REFERENCE_INVALID, "the reference is not normalised");
    }
    if ctx.refills.known_ids.contains(&p.request_id) {
        return reject(
            codes::ENTRY_MALFORMED,
            "this refill request id belongs to an earlier request",
        );
    }
    if let Some(r) = &reference
        && ctx.refills.live_refs.contains(r)
    {
        return reject(
            rc::DUPLICATE_REFERENCE,
            format!("a request with reference {r} is already pending or credited"),
        );
    }
    // Later entries of the same batch see this one.
    ctx.refills.known_ids.insert(p.request_id);
    ctx.refills.live_refs.extend(reference);
    let txn = ctx.txn_ids.next().expect("txn id per entry");
    (
        Outcome::Accepted {
            txn_id: txn,
            receipt_no: String::new(),
            warnings: vec![],
        },
        Effects {
            refill: Some(p),
            ..Default::default()
        },
    )
}
