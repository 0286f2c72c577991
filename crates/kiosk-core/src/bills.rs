//! Bills fetched from departments ("Get Bill Details"), kept so the counter
//! can show and match them (also when the link drops afterwards).

use crate::{CoreError, Kiosk, Result};
use chrono::{DateTime, NaiveDate, Utc};
use domain::Clock as _;
use domain::Paise;
use kiosk_store::rusqlite::{OptionalExtension, params};
use kiosk_store::{parse_ts, ts};
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FetchedBill {
    pub id: String,
    pub service_code: String,
    pub consumer_no: String,
    pub consumer_name: Option<String>,
    pub bill_ref: Option<String>,
    pub amount: Paise,
    pub due_date: Option<NaiveDate>,
    pub fetched_at: DateTime<Utc>,
}

impl Kiosk {
    /// Stores a bill the department returned; the consumer number is
    /// checked against the service like a typed one.
    #[allow(clippy::too_many_arguments)]
    pub fn record_fetched_bill(
        &mut self,
        service: &str,
        consumer_no: &str,
        consumer_name: Option<&str>,
        bill_ref: Option<&str>,
        amount: Paise,
        due_date: Option<NaiveDate>,
        raw: Option<&[u8]>,
    ) -> Result<FetchedBill> {
        let svc = self
            .catalogue_or_err()?
            .service(service.trim())
            .ok_or_else(|| CoreError::ServiceUnknown(service.chars().take(32).collect()))?;
        let consumer_no = svc.check_consumer_no(consumer_no)?;
        if amount.is_negative() {
            return Err(domain::DomainError::MoneyNegative.into());
        }
        let clean = |f: &'static str, v: Option<&str>, n: usize| -> Result<Option<String>> {
            Ok(v.map(|s| domain::error::clean_text(f, s, n))
                .transpose()?
                .filter(|s| !s.is_empty()))
        };
        let bill = FetchedBill {
            id: domain::new_id(self.clock.as_ref()).to_string(),
            service_code: svc.code.clone(),
            consumer_no,
            consumer_name: clean("consumer_name", consumer_name, 100)?,
            bill_ref: clean("bill_ref", bill_ref, 64)?,
            amount,
            due_date,
            fetched_at: self.clock.now(),
        };
        self.store.write(|tx| -> Result<()> {
            tx.execute(
                "INSERT INTO fetched_bills (id, service_code, consumer_no, consumer_name, bill_ref,
                    amount_paise, due_date, fetched_at, raw)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                params![
                    bill.id,
                    bill.service_code,
                    bill.consumer_no,
                    bill.consumer_name,
                    bill.bill_ref,
                    bill.amount.as_i64(),
                    bill.due_date.map(|d| d.to_string()),
                    ts(bill.fetched_at),
                    raw
                ],
            )?;
            Ok(())
        })?;
        Ok(bill)
    }

    /// The latest fetched bill for a service and consumer number.
    pub fn fetched_bill(&self, service: &str, consumer_no: &str) -> Result<Option<FetchedBill>> {
        let c: String = consumer_no
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_uppercase();
        type Row = (
            String,
            String,
            String,
            Option<String>,
            Option<String>,
            i64,
            Option<String>,
            String,
        );
        let row: Option<Row> = self
            .store
            .conn()
            .query_row(
                "SELECT id, service_code, consumer_no, consumer_name, bill_ref, amount_paise, due_date, fetched_at
                   FROM fetched_bills WHERE service_code = ?1 AND consumer_no = ?2
                  ORDER BY fetched_at DESC LIMIT 1",
                params![service.trim(), c],
                |r| {
                    Ok((
                        r.get(0)?,
                        r.get(1)?,
                        r.get(2)?,
                        r.get(3)?,
                        r.get(4)?,
                        r.get(5)?,
                        r.get(6)?,
                        r.get(7)?,
                    ))
                },
            )
            .optional()?;
        row.map(|(id, s, c, name, bref, amount, due, at)| {
            Ok(FetchedBill {
                id,
                service_code: s,
                consumer_no: c,
                consumer_name: name,
                bill_ref: bref,
                amount: Paise::new(amount),
                due_date: due.and_then(|d| d.parse().ok()),
                fetched_at: parse_ts(&at)?,
            })
        })
        .transpose()
    }
}
