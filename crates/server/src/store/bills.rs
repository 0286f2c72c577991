//! The store: bills.

use super::*;

impl Store {
    pub async fn upsert_bills(&self, bills: &[Bill]) -> SResult<()> {
        in_tx!(self.db, |tx| {
            for b in bills {
                tx.exec(
                    "INSERT INTO bills (service_code, consumer_no, bill_ref, consumer_name, amount, due_date) VALUES ($1,$2,$3,$4,$5,$6)
                     ON CONFLICT (service_code, consumer_no, bill_ref) DO UPDATE SET consumer_name = $4, amount = $5, due_date = $6",
                    &params![&b.service_code, &b.consumer_no, &b.bill_ref, &b.consumer_name, b.amount, &b.due_date],
                )
                .await?;
            }
            Ok(())
        })
    }

    /// The consumer's latest unpaid bill for a service, else the latest paid one.
    pub async fn find_bill(&self, service: &str, consumer_no: &str) -> SResult<Option<Bill>> {
        let mut tx = self.db.begin_read().await?;
        let r = tx
            .query_opt(
                "SELECT service_code, consumer_no, bill_ref, consumer_name, amount, due_date, paid_txn FROM bills
                 WHERE service_code = $1 AND consumer_no = $2
                 ORDER BY CASE WHEN paid_txn IS NULL THEN 0 ELSE 1 END, due_date DESC LIMIT 1",
                &params![service, consumer_no],
            )
            .await?;
        Ok(match r {
            None => None,
            Some(r) => Some(Bill {
                service_code: r.text(0)?,
                consumer_no: r.text(1)?,
                bill_ref: r.text(2)?,
                consumer_name: r.text(3)?,
                amount: r.i64(4)?,
                due_date: r.text(5)?,
                paid: !r.is_null(6),
            }),
        })
    }

    /// The latest payment (any kiosk) for this service and consumer since
    /// `since_ms`: (kiosk code, receipt no, created ms). The duplicate warning.
    pub async fn recent_payment(
        &self,
        service: &str,
        consumer_no: &str,
        since_ms: i64,
    ) -> SResult<Option<(String, String, i64)>> {
        let mut tx = self.db.begin_read().await?;
        let r = tx
            .query_opt(
                "SELECT k.code, p.receipt_no, l.created_ms FROM payment_lines l
                 JOIN payments p ON p.txn_id = l.txn_id JOIN kiosks k ON k.id = p.kiosk_id
                 WHERE l.service_code = $1 AND l.consumer_no = $2 AND l.created_ms >= $3 AND p.cancel_txn IS NULL
                 ORDER BY l.created_ms DESC LIMIT 1",
                &params![service, consumer_no, since_ms],
            )
            .await?;
        Ok(match r {
            None => None,
            Some(r) => Some((r.text(0)?, r.text(1)?, r.i64(2)?)),
        })
    }
}
