//! The wallet's refill requests and the security deposit's dues, for the
//! back office's Wallet screen. The request itself is the core's
//! ([`kiosk_core::refills`]): one outbox entry, queued offline like a
//! payment, pending at the centre until its staff credit it; the credit
//! comes back on the pull, as the request's new state and as a refill line
//! of the statement. Only the holder requests a refill
//! (`session.holder_only`; the centre refuses an operator's entry too).

use domain::Paise;
use domain::dues::{DueState, due_state};
use kiosk_core::{CoreError, RefillInput, RefillRecord};
use protocol::refills::{REFILL_MAX, REFILL_MODES, RefillError};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::Service;
use crate::error::{AppError, Result};

/// Requests on the list.
const LIST_LIMIT: u32 = 200;

// ------------------------------------------------------------------ api types

#[derive(Debug, Clone, Deserialize, TS)]
pub struct RefillRequestArgs {
    /// Rupees as typed (`25000`, `25,000.50`).
    pub amount: String,
    /// One of `RefillList.modes`.
    pub mode: String,
    /// The bank's reference (UTR); required for `neft_rtgs` and `transfer`.
    #[ts(optional)]
    #[serde(default)]
    pub reference: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct RefillView {
    pub id: String,
    /// Paise.
    pub amount: i64,
    pub mode: String,
    pub reference: Option<String>,
    pub requested_by: String,
    pub created_at: String,
    /// `queued` (waiting to reach the centre), `refused` (the centre
    /// refused the entry: `refused_code`), `pending` (at the centre until
    /// credited), `credited` or `rejected` (`reason`).
    pub state: String,
    pub refused_code: Option<String>,
    pub reason: Option<String>,
    /// The centre's ledger transaction of the credit.
    pub txn_id: Option<i64>,
    pub updated_at: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct DuesView {
    /// The centre's figures have arrived (after the first pull).
    pub known: bool,
    /// Paise: how far below zero payments may take the wallet.
    pub deposit_limit: i64,
    /// Paise below zero.
    pub dues: i64,
    /// When the wallet went below zero.
    pub since: Option<String>,
    /// `YYYY-MM-DD`: the bank working day the dues must be paid by.
    pub due_date: Option<String>,
    /// `none` (no dues), `upcoming`, `due_today` or `overdue`, by today's
    /// date in India on the centre's clock.
    pub due_state: String,
    /// Paise of interest so far (18% a year on overdue dues).
    pub interest: i64,
    /// When the centre worked these figures out.
    pub as_of: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct RefillList {
    /// Newest first.
    pub requests: Vec<RefillView>,
    /// The modes a request may have, in the order to offer them.
    pub modes: Vec<String>,
    /// The modes that need a bank reference.
    pub reference_required: Vec<String>,
    /// Paise: the most one request may ask for.
    pub max_amount: i64,
    pub dues: DuesView,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct RefillRequested {
    pub request: RefillView,
}

pub(crate) fn view(r: &RefillRecord) -> RefillView {
    RefillView {
        id: r.id.to_string(),
        amount: r.amount.as_i64(),
        mode: r.mode.clone(),
        reference: r.reference.clone(),
        requested_by: r.requested_by.clone(),
        created_at: r.created_at.to_rfc3339(),
        state: r.state.clone(),
        refused_code: r.refused_code.clone(),
        reason: r.reason.clone(),
        txn_id: r.txn_id,
        updated_at: r.updated_at.map(|t| t.to_rfc3339()),
    }
}

fn dues_view(k: &kiosk_core::Kiosk) -> Result<DuesView> {
    let Some(d) = k.dues()? else {
        return Ok(DuesView {
            known: false,
            deposit_limit: 0,
            dues: 0,
            since: None,
            due_date: None,
            due_state: "none".into(),
            interest: 0,
            as_of: None,
        });
    };
    let today = domain::clock::ist_date(k.centre_now());
    let state = match d.due_date {
        Some(due) if d.dues.is_positive() => match due_state(due, today) {
            DueState::Upcoming => "upcoming",
            DueState::DueToday => "due_today",
            DueState::Overdue => "overdue",
        },
        _ => "none",
    };
    Ok(DuesView {
        known: true,
        deposit_limit: d.deposit_limit.as_i64(),
        dues: d.dues.as_i64(),
        since: d.since.map(|t| t.to_rfc3339()),
        due_date: d.due_date.map(|d| d.format("%Y-%m-%d").to_string()),
        due_state: state.into(),
        interest: d.interest.as_i64(),
        as_of: Some(d.as_of.to_rfc3339()),
    })
}

// ------------------------------------------------------------------ commands

impl Service {
    /// Holder only; queued for the centre like any entry.
    pub async fn refill_request(&self, a: RefillRequestArgs) -> Result<RefillRequested> {
        let login = self.holder()?;
        // Whatever does not read as an amount is no amount to refill.
        let amount = Paise::parse(&a.amount)
            .map_err(|_| AppError::Core(CoreError::Refill(RefillError::AmountInvalid)))?;
        let out = self
            .with_kiosk(move |k, _| {
                let r = k.request_refill(
                    &login,
                    &RefillInput {
                        amount,
                        mode: a.mode,
                        reference: a.reference,
                    },
                )?;
                let rec = k
                    .refill_requests(LIST_LIMIT)?
                    .into_iter()
                    .find(|x| x.id == r.id)
                    .ok_or_else(|| AppError::Internal("the new request is not listed".into()))?;
                Ok(RefillRequested {
                    request: view(&rec),
                })
            })
            .await?;
        self.nudge_sync();
        self.poke();
        Ok(out)
    }

    /// Any operator may read the requests and the dues.
    pub async fn refills(&self, _: ()) -> Result<RefillList> {
        self.operator()?;
        self.with_kiosk(|k, _| {
            Ok(RefillList {
                requests: k.refill_requests(LIST_LIMIT)?.iter().map(view).collect(),
                modes: REFILL_MODES.iter().map(|m| m.to_string()).collect(),
                reference_required: REFILL_MODES
                    .iter()
                    .filter(|m| {
                        protocol::refills::RefillMode::parse(m)
                            .is_some_and(|m| m.reference_required())
                    })
                    .map(|m| m.to_string())
                    .collect(),
                max_amount: REFILL_MAX.as_i64(),
                dues: dues_view(k)?,
            })
        })
        .await
    }
}
