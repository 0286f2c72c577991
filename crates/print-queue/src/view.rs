//! A receipt as the core stored it → the print crate's view.

use crate::error::{QueueError, Result};
use chrono::NaiveDate;
use domain::{ChequeDetails, Contact, PaymentMode};
use kiosk_core::Kiosk;
use print::receipt::{ReceiptLine, ReceiptView};

pub const FOOTER: &[&str] = &[
    "Keep this receipt for your records.",
    "Rates are as fixed by the state.",
];

/// Builds the printable view of a receipt (by local or final number, or
/// id). `duplicate` marks a reprint.
pub fn receipt_view(kiosk: &Kiosk, key: &str, duplicate: bool) -> Result<(String, ReceiptView)> {
    let d = kiosk.receipt(key)?;
    let s = &d.summary;
    if s.status == "cancelled" {
        return Err(QueueError::ReceiptCancelled(s.receipt_no.clone()));
    }
    let id = kiosk.identity();
    let cat = kiosk.catalogue();
    let lines = d
        .lines
        .iter()
        .map(|l| {
            let svc = cat.and_then(|c| c.service(&l.service_code));
            let dep = cat.and_then(|c| c.department(&l.department));
            ReceiptLine {
                service_en: svc.map_or_else(|| l.service_code.clone(), |s| s.name_en.clone()),
                service_hi: svc.map(|s| s.name_hi.clone()).filter(|h| !h.is_empty()),
                department: dep.map_or_else(|| l.department.clone(), |d| d.name_en.clone()),
                consumer_no: l.consumer_no.clone(),
                consumer_name: l.consumer_name.clone(),
                bill_amount: l.bill_amount,
                charge: l.charge,
            }
        })
        .collect();
    let payment = match (d.cheque_no.as_ref(), d.cheque_date.as_deref()) {
        (Some(no), Some(date)) if s.mode == "cheque" => PaymentMode::Cheque(ChequeDetails {
            number: no.clone(),
            date: NaiveDate::parse_from_str(date, "%Y-%m-%d").unwrap_or_default(),
            bank: d.cheque_bank.clone().unwrap_or_default(),
            payee: d.cheque_payee.clone().unwrap_or_default(),
        }),
        _ => PaymentMode::Wallet,
    };
    let contact_masked = Contact::new(d.mobile.as_deref(), d.email.as_deref())
        .map(|c| c.masked())
        .unwrap_or_default();
    let provisional = s.status == "provisional";
    let view = ReceiptView {
        kiosk_name: id.kiosk_name.clone(),
        kiosk_code: id.kiosk_code.to_string(),
        receipt_no: if provisional {
            s.receipt_no.clone()
        } else {
            s.final_receipt_no
                .clone()
                .unwrap_or_else(|| s.receipt_no.clone())
        },
        provisional,
        duplicate,
        issued_at: s.created_at,
        operator: s.operator.clone(),
        lines,
        total: s.total,
        payment,
        contact_masked,
        footer: FOOTER.iter().map(|s| s.to_string()).collect(),
    };
    Ok((s.id.clone(), view))
}
