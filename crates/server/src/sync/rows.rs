//! Outcomes in rows: how a recorded outcome is stored in and read back
//! from `entries`.

use super::*;

/// An outcome's columns: (outcome, code, reason, txn id, receipt no.,
/// warnings).
type OutcomeCols = (
    &'static str,
    Option<String>,
    Option<String>,
    Option<i64>,
    Option<String>,
    String,
);

pub(super) fn outcome_cols(o: &Outcome) -> OutcomeCols {
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
pub(super) fn outcome_from(r: &crate::db::Row, i: usize) -> SResult<Outcome> {
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
