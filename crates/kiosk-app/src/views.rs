//! From the core's types to what the screen shows.

use domain::{Catalogue, ChequePayee, PaymentMode};
use kiosk_core::{Draft, DuplicateHit, Kiosk, ReceiptDetail};

use crate::api::*;

pub(crate) fn duplicate_local(h: &DuplicateHit) -> DuplicateView {
    DuplicateView {
        service_code: h.service_code.clone(),
        consumer_no: h.consumer_no.clone(),
        receipt_no: h.receipt_no.clone(),
        kiosk_code: String::new(),
        paid_at: h.paid_at.to_rfc3339(),
        amount: Some(h.amount.as_i64()),
    }
}

pub(crate) fn payee_for(cat: &Catalogue, department: &str, district: &str) -> Option<String> {
    cat.department(department)
        .map(|d| d.cheque_payee)
        .unwrap_or(ChequePayee::None)
        .payee_name(district)
}

pub(crate) fn catalogue(cat: &Catalogue, district: &str, favourites: Vec<String>) -> CatalogueView {
    let services: Vec<ServiceView> = cat
        .services
        .iter()
        .filter(|s| s.active)
        .map(|s| {
            let dep = cat.department(&s.department);
            ServiceView {
                code: s.code.clone(),
                department: s.department.clone(),
                department_en: dep.map_or_else(|| s.department.clone(), |d| d.name_en.clone()),
                department_hi: dep.map_or_else(|| s.department.clone(), |d| d.name_hi.clone()),
                category_en: s.category_en.clone(),
                category_hi: s.category_hi.clone(),
                name_en: s.name_en.clone(),
                name_hi: s.name_hi.clone(),
                consumer_label_en: s.consumer_label_en.clone(),
                consumer_label_hi: s.consumer_label_hi.clone(),
                charge: s.charge.as_i64(),
                state_rate: s.state_rate.as_i64(),
                bill_fetch_required: s.bill_fetch_required,
                offline_allowed: s.offline_allowed,
                cheque_payee: payee_for(cat, &s.department, district),
            }
        })
        .collect();
    // Categories in catalogue order, departments within them likewise.
    let mut categories: Vec<CategoryView> = Vec::new();
    for s in &services {
        let ci = match categories.iter().position(|c| c.name_en == s.category_en) {
            Some(i) => i,
            None => {
                categories.push(CategoryView {
                    name_en: s.category_en.clone(),
                    name_hi: s.category_hi.clone(),
                    departments: Vec::new(),
                });
                categories.len() - 1
            }
        };
        let deps = &mut categories[ci].departments;
        match deps.iter_mut().find(|d| d.code == s.department) {
            Some(d) => d.services.push(s.code.clone()),
            None => deps.push(DepartmentView {
                code: s.department.clone(),
                name_en: s.department_en.clone(),
                name_hi: s.department_hi.clone(),
                services: vec![s.code.clone()],
            }),
        }
    }
    let favourites = favourites
        .into_iter()
        .filter(|f| services.iter().any(|s| &s.code == f))
        .collect();
    CatalogueView {
        version: cat.version,
        categories,
        services,
        favourites,
    }
}

pub(crate) fn cart(k: &Kiosk, d: &Draft) -> CartView {
    let cat = k.catalogue();
    let id = k.identity();
    let lines = d
        .cart
        .lines
        .iter()
        .enumerate()
        .map(|(i, l)| {
            line(
                cat,
                i,
                &l.service_code,
                &l.consumer_no,
                &l.consumer_name,
                &l.bill_ref,
                l.bill_amount.as_i64(),
                l.charge.as_i64(),
            )
        })
        .collect();
    let totals = d.cart.totals().ok();
    let cheque_payee = match (cat, d.cart.lines.first()) {
        (Some(c), Some(l)) => payee_for(c, &l.department, &id.district),
        _ => None,
    };
    let (mode, cheque) = match &d.mode {
        None => (None, None),
        Some(PaymentMode::Wallet) => (Some("wallet".to_string()), None),
        Some(PaymentMode::Cheque(c)) => (
            Some("cheque".to_string()),
            Some(ChequeView {
                number: c.number.clone(),
                date: c.date.to_string(),
                bank: c.bank.clone(),
                payee: c.payee.clone(),
            }),
        ),
    };
    let duplicates = k
        .check_duplicates(d)
        .map(|hits| hits.iter().map(duplicate_local).collect())
        .unwrap_or_default();
    CartView {
        cart_id: d.id.to_string(),
        lines,
        bills: totals.map_or(0, |t| t.bills.as_i64()),
        charges: totals.map_or(0, |t| t.charges.as_i64()),
        total: totals.map_or(0, |t| t.total.as_i64()),
        mobile: d
            .contact
            .as_ref()
            .and_then(|c| c.mobile.as_ref())
            .map(|m| m.as_str().to_string()),
        email: d
            .contact
            .as_ref()
            .and_then(|c| c.email.as_ref())
            .map(|e| e.as_str().to_string()),
        mode,
        cheque,
        cheque_payee,
        cheque_enabled: id.cheque_enabled,
        duplicates,
    }
}

pub(crate) fn receipt(k: &Kiosk, d: &ReceiptDetail) -> ReceiptView {
    let cat = k.catalogue();
    let s = &d.summary;
    let pending: bool = k
        .store()
        .conn()
        .query_row(
            "SELECT EXISTS (SELECT 1 FROM outbox WHERE receipt_id = ?1 AND outcome = 'pending')",
            [&s.id],
            |r| r.get(0),
        )
        .unwrap_or(false);
    let status = if s.rejected {
        "rejected"
    } else if pending && s.status == "provisional" {
        "pending"
    } else {
        s.status.as_str()
    };
    ReceiptView {
        id: s.id.clone(),
        receipt_no: s.receipt_no.clone(),
        final_receipt_no: s.final_receipt_no.clone(),
        status: status.to_string(),
        created_at: s.created_at.to_rfc3339(),
        operator: s.operator.clone(),
        mode: s.mode.clone(),
        total: s.total.as_i64(),
        commission: s.commission.as_i64(),
        mobile: d.mobile.clone(),
        email: d.email.clone(),
        lines: d
            .lines
            .iter()
            .enumerate()
            .map(|(i, l)| {
                line(
                    cat,
                    i,
                    &l.service_code,
                    &l.consumer_no,
                    &l.consumer_name,
                    &l.bill_ref,
                    l.bill_amount.as_i64(),
                    l.charge.as_i64(),
                )
            })
            .collect(),
        reject_code: d.reconcile_code.clone().filter(|_| s.rejected),
    }
}

/// One bill as the screen shows it, in the cart and on a receipt alike.
#[allow(clippy::too_many_arguments)]
fn line(
    cat: Option<&Catalogue>,
    index: usize,
    service_code: &str,
    consumer_no: &str,
    consumer_name: &Option<String>,
    bill_ref: &Option<String>,
    bill_amount: i64,
    charge: i64,
) -> CartLineView {
    let svc = cat.and_then(|c| c.service(service_code));
    CartLineView {
        index: index as u32,
        service_code: service_code.to_string(),
        service_en: svc.map_or_else(|| service_code.to_string(), |s| s.name_en.clone()),
        service_hi: svc.map_or_else(|| service_code.to_string(), |s| s.name_hi.clone()),
        consumer_no: consumer_no.to_string(),
        consumer_name: consumer_name.clone(),
        bill_ref: bill_ref.clone(),
        bill_amount,
        charge,
        total: bill_amount + charge,
    }
}
