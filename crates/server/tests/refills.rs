//! Refill requests and security-deposit dues, on PostgreSQL and on SQLite:
//! a request through sync is pending, credited through the ledger (the books
//! balanced, the wallet up) or rejected with a reason, each change pulled by
//! cursor; a bank reference used twice and a request from an operator are
//! refused; a deposit limit lets the wallet go below zero down to the limit
//! and no further; the dues' due date and interest against figures worked
//! out by hand; a refill pays the dues first.

mod common;
use chrono::TimeZone;
use common::*;
use domain::{Clock, Paise};
use protocol::refills::{RefillPayload, WalletTerms};
use protocol::{Cursor, EntryKind, codes};
use uuid::Uuid;

const UTR: &str = "SBIN026113400123";

fn request(by: &str, amount: i64, mode: &str, reference: Option<&str>) -> RefillPayload {
    RefillPayload {
        request_id: Uuid::new_v4(),
        requested_by: by.into(),
        amount: Paise::new(amount),
        mode: mode.into(),
        reference: reference.map(str::to_string),
    }
}

fn ask(d: &mut Dev, p: &RefillPayload) {
    d.append(EntryKind::RefillRequest, p.encode());
}

/// Pushes what the device has not sent; returns the outcomes.
async fn push(h: &H, d: &Dev, from: u64) -> Vec<protocol::Outcome> {
    let r = h.push(d, &d.rest(from - 1)).await.unwrap();
    r.outcomes.into_iter().map(|o| o.outcome).collect()
}

/// 10:00 in India on a day.
fn at_ten(y: i32, m: u32, d: u32) -> chrono::DateTime<chrono::Utc> {
    chrono::Utc.with_ymd_and_hms(y, m, d, 4, 30, 0).unwrap()
}

/// Moves the centre's clock, and the device's with it.
fn set_clock(h: &H, d: &mut Dev, t: chrono::DateTime<chrono::Utc>) {
    h.clock.set(t);
    d.t_ms = t.timestamp_millis();
}

async fn terms(h: &H, d: &Dev) -> WalletTerms {
    let p = h.pull(d, Cursor::default(), 100).await;
    assert_eq!(
        p.wallet_terms,
        h.store.wallet_terms(h.kiosk.id).await.unwrap()
    );
    p.wallet_terms
}

fn store_code(e: server::store::StoreError) -> String {
    domain::ErrorCode::code(&e).to_string()
}

both!(
    a_request_is_pending_until_credited_through_the_ledger,
    |h: H| async move {
        let mut d = h.register("k1001-h", 1).await;
        let w0 = h.wallet(&h.kiosk).await;
        let p = request("k1001-h", 25_000_00, "neft_rtgs", Some(UTR));
        ask(&mut d, &p);
        let o = push(&h, &d, 1).await;
        accepted(&o[0]);
        let rs = h.store.refill_requests(Some(h.kiosk.id)).await.unwrap();
        assert_eq!(rs.len(), 1);
        let r = &rs[0];
        assert_eq!(
            (r.id, r.status.as_str(), r.amount, r.mode.as_str()),
            (p.request_id, "pending", Paise::new(25_000_00), "neft_rtgs")
        );
        assert_eq!(
            (r.reference.as_deref(), r.requested_by.as_str(), r.txn_id),
            (Some(UTR), "k1001-h", None)
        );
        // Recorded is not credited: the wallet has not moved.
        assert_eq!(h.wallet(&h.kiosk).await, w0);
        let p1 = h.pull(&d, Cursor::default(), 100).await;
        assert_eq!(p1.refills.len(), 1);
        assert_eq!(
            (p1.refills[0].request_id, p1.refills[0].status.as_str()),
            (p.request_id, "pending")
        );
        assert_eq!(p1.cursor.refills_after, p1.refills[0].id);

        // The staff credit it: one balanced refill transaction naming it.
        let txn = h.store.credit_refill(p.request_id).await.unwrap();
        let check = h.store.ledger_check().await.unwrap();
        assert!(check.is_ok(), "{check:?}");
        assert_eq!(check.total, 0, "debits equal credits");
        assert_eq!(h.wallet(&h.kiosk).await, w0 + 25_000_00);
        let r = h.store.refill_request(p.request_id).await.unwrap().unwrap();
        assert_eq!((r.status.as_str(), r.txn_id), ("credited", Some(txn)));
        // The pull from the cursor brings the credit, once, and its ledger line.
        let p2 = h.pull(&d, p1.cursor, 100).await;
        assert_eq!(p2.refills.len(), 1);
        let u = &p2.refills[0];
        assert_eq!(
            (u.request_id, u.status.as_str(), u.txn_id, u.amount),
            (p.request_id, "credited", Some(txn), Paise::new(25_000_00))
        );
        let line = p2
            .ledger
            .iter()
            .find(|l| l.txn_id == txn)
            .expect("the credit's line");
        assert_eq!(
            (line.kind.as_str(), line.account.as_str()),
            ("refill", "wallet")
        );
        assert_eq!(line.amount, Paise::new(25_000_00));
        assert!(
            line.memo.contains(&p.request_id.to_string()) && line.memo.contains(UTR),
            "{}",
            line.memo
        );
        assert_eq!(p2.wallet_balance.as_i64(), w0 + 25_000_00);
        assert!(h.pull(&d, p2.cursor, 100).await.refills.is_empty());
        // Only once.
        let e = h.store.credit_refill(p.request_id).await.unwrap_err();
        assert_eq!(store_code(e), "refill.not_pending");
        assert_eq!(h.wallet(&h.kiosk).await, w0 + 25_000_00);
        let e = h.store.credit_refill(Uuid::new_v4()).await.unwrap_err();
        assert_eq!(store_code(e), codes::NOT_FOUND);
        h.finish().await;
    }
);

both!(
    a_rejected_request_says_why_and_frees_its_reference,
    |h: H| async move {
        let mut d = h.register("k1001-h", 1).await;
        let w0 = h.wallet(&h.kiosk).await;
        let p = request("k1001-h", 5_000_00, "transfer", Some("TRF-2026-0042"));
        ask(&mut d, &p);
        accepted(&push(&h, &d, 1).await[0]);
        let c0 = h.pull(&d, Cursor::default(), 100).await.cursor;
        let e = h.store.reject_refill(p.request_id, "  ").await.unwrap_err();
        assert_eq!(store_code(e), "refill.reason_required");
        h.store
            .reject_refill(p.request_id, "No transfer with this reference has arrived")
            .await
            .unwrap();
        let r = h.store.refill_request(p.request_id).await.unwrap().unwrap();
        assert_eq!(r.status, "rejected");
        assert_eq!(
            r.reason.as_deref(),
            Some("No transfer with this reference has arrived")
        );
        let u = h.pull(&d, c0, 100).await.refills;
        assert_eq!(u.len(), 1);
        assert_eq!(
            (u[0].status.as_str(), u[0].reason.as_str(), u[0].txn_id),
            (
                "rejected",
                "No transfer with this reference has arrived",
                None
            )
        );
        assert_eq!(h.wallet(&h.kiosk).await, w0);
        let e = h.store.credit_refill(p.request_id).await.unwrap_err();
        assert_eq!(store_code(e), "refill.not_pending");
        assert_eq!(h.wallet(&h.kiosk).await, w0);
        // The reference may be sent again once its request was rejected.
        let again = request("k1001-h", 5_000_00, "transfer", Some("TRF-2026-0042"));
        ask(&mut d, &again);
        accepted(&push(&h, &d, 2).await[0]);
        h.finish().await;
    }
);

both!(
    the_same_bank_reference_twice_from_one_kiosk_is_refused,
    |h: H| async move {
        let mut d = h.register("k1001-h", 1).await;
        let first = request("k1001-h", 10_000_00, "neft_rtgs", Some(UTR));
        let twin = request("k1001-h", 10_000_00, "neft_rtgs", Some(UTR));
        ask(&mut d, &first);
        ask(&mut d, &twin);
        let o = push(&h, &d, 1).await;
        accepted(&o[0]);
        assert_eq!(rejected(&o[1]), "refill.duplicate_reference");
        // In a later batch too, and after the first was credited.
        h.store.credit_refill(first.request_id).await.unwrap();
        let later = request("k1001-h", 1_00, "neft_rtgs", Some(UTR));
        ask(&mut d, &later);
        assert_eq!(
            rejected(&push(&h, &d, 3).await[0]),
            "refill.duplicate_reference"
        );
        // Nothing was stored for the refused ones.
        let rs = h.store.refill_requests(Some(h.kiosk.id)).await.unwrap();
        assert_eq!(
            rs.iter().map(|r| r.id).collect::<Vec<_>>(),
            vec![first.request_id]
        );
        // Another kiosk's reference is its own.
        let k2 = h.add_kiosk("K2002").await;
        let mut d2 = h.register("k2002-h", 2).await;
        ask(
            &mut d2,
            &request("k2002-h", 10_000_00, "neft_rtgs", Some(UTR)),
        );
        accepted(&push(&h, &d2, 1).await[0]);
        assert_eq!(h.store.refill_requests(Some(k2.id)).await.unwrap().len(), 1);
        // A request id used before is refused, whoever sends it.
        let mut reuse = request("k2002-h", 1_00, "net_banking", None);
        reuse.request_id = first.request_id;
        ask(&mut d2, &reuse);
        assert_eq!(rejected(&push(&h, &d2, 2).await[0]), codes::ENTRY_MALFORMED);
        h.finish().await;
    }
);

both!(
    an_operators_request_and_bad_input_are_refused_and_nothing_is_stored,
    |h: H| async move {
        let mut d = h.register("k1001-h", 1).await;
        let w0 = h.wallet(&h.kiosk).await;
        let cases = [
            (
                request("k1001-o", 1_000_00, "net_banking", None),
                codes::AUTH_HOLDER_ONLY,
            ),
            (
                request("k2002-h", 1_000_00, "net_banking", None),
                codes::AUTH_HOLDER_ONLY,
            ),
            (
                request("k1001-h", 0, "net_banking", None),
                "refill.amount_invalid",
            ),
            (
                request("k1001-h", 10_00_000_01, "net_banking", None),
                "refill.amount_invalid",
            ),
            (
                request("k1001-h", 1_000_00, "cash", None),
                "refill.mode_unknown",
            ),
            (
                request("k1001-h", 1_000_00, "neft_rtgs", None),
                "refill.reference_required",
            ),
            (
                request("k1001-h", 1_000_00, "transfer", None),
                "refill.reference_required",
            ),
            (
                request("k1001-h", 1_000_00, "neft_rtgs", Some("SBIN0261")),
                "refill.reference_invalid",
            ),
            // Not as the kiosk writes it (capitals, no spaces): the centre does
            // not rewrite a signed entry.
            (
                request("k1001-h", 1_000_00, "neft_rtgs", Some("sbin026113400123")),
                "refill.reference_invalid",
            ),
        ];
        for (p, _) in &cases {
            ask(&mut d, p);
        }
        // A good one after them all: refusals never block the queue.
        let good = request(
            "k1001-h",
            1_000_00,
            "payment_gateway",
            Some("PAY_29QQOUBI66XM2F"),
        );
        ask(&mut d, &good);
        let o = push(&h, &d, 1).await;
        for (i, (p, code)) in cases.iter().enumerate() {
            assert_eq!(rejected(&o[i]), *code, "{p:?}");
        }
        accepted(&o[cases.len()]);
        let rs = h.store.refill_requests(None).await.unwrap();
        assert_eq!(
            rs.iter().map(|r| r.id).collect::<Vec<_>>(),
            vec![good.request_id]
        );
        assert_eq!(h.wallet(&h.kiosk).await, w0);
        // Replayed, the same answers.
        let again = h.push(&d, &d.batch(1, d.seq())).await.unwrap();
        assert_eq!(
            again
                .outcomes
                .into_iter()
                .map(|o| o.outcome)
                .collect::<Vec<_>>(),
            o
        );
        h.finish().await;
    }
);

both!(
    a_deposit_limit_lets_the_wallet_below_zero_and_dues_follow_bank_days,
    |h: H| async move {
        let mut d = h.register("k1001-h", 1).await;
        let cat = h.catalogue.clone();
        // No offline allowance below zero: only the deposit counts.
        h.store
            .set_exposure(
                h.kiosk.id,
                protocol::Exposure {
                    max_pending_amount: Paise::ZERO,
                    ..server::store::DEFAULT_EXPOSURE
                },
            )
            .await
            .unwrap();
        assert_eq!(h.wallet(&h.kiosk).await, 1_00_000_00);
        // Friday 27 November 2026 (the next day is the 4th Saturday).
        set_clock(&h, &mut d, at_ten(2026, 11, 27));
        // Without a deposit, a payment beyond the balance is refused.
        d.pay(&cat, &[line("JVVNL-BILL", "210000000001", 1_00_000_01)]);
        assert_eq!(
            rejected(&push(&h, &d, 1).await[0]),
            codes::EXPOSURE_EXCEEDED
        );
        assert_eq!(terms(&h, &d).await, WalletTerms::default());

        h.store
            .set_deposit_limit(h.kiosk.id, Paise::new(50_000_00))
            .await
            .unwrap();
        d.pay(&cat, &[line("JVVNL-BILL", "210000000002", 1_20_000_00)]);
        // One paisa beyond the limit is refused; exactly the limit is taken.
        d.pay(&cat, &[line("JVVNL-BILL", "210000000003", 30_000_01)]);
        d.pay(&cat, &[line("JVVNL-BILL", "210000000004", 30_000_00)]);
        let o = push(&h, &d, 2).await;
        accepted(&o[0]);
        assert_eq!(rejected(&o[1]), codes::EXPOSURE_EXCEEDED);
        accepted(&o[2]);
        assert_eq!(h.wallet(&h.kiosk).await, -50_000_00);
        let since = h.clock.now().timestamp_millis();
        let t = terms(&h, &d).await;
        assert_eq!(
            t,
            WalletTerms {
                deposit_limit: Paise::new(50_000_00),
                dues: Paise::new(50_000_00),
                since_ms: Some(since),
                // Saturday the 28th is the 4th Saturday, then a Sunday.
                due_date: Some("2026-11-30".into()),
                interest: Paise::ZERO,
            }
        );
        d.pay(&cat, &[line("JVVNL-BILL", "210000000005", 1)]);
        assert_eq!(
            rejected(&push(&h, &d, 5).await[0]),
            codes::EXPOSURE_EXCEEDED
        );

        // Due on Monday: no interest that day.
        set_clock(&h, &mut d, at_ten(2026, 11, 30));
        assert_eq!(terms(&h, &d).await.interest, Paise::ZERO);
        // Overdue from Tuesday: 50,00,000 × 18 / 36,500 = 2,465.75 → 2,465 a day.
        set_clock(&h, &mut d, at_ten(2026, 12, 1));
        assert_eq!(terms(&h, &d).await.interest, Paise::new(2_465));
        set_clock(&h, &mut d, at_ten(2026, 12, 2));
        assert_eq!(terms(&h, &d).await.interest, Paise::new(2 * 2_465));
        // A refill of ₹20,000 on Wednesday pays dues first: ₹30,000 left owed;
        // Wednesday's interest stands on its opening dues.
        let part = request("k1001-h", 20_000_00, "neft_rtgs", Some("HDFCN52026120201"));
        ask(&mut d, &part);
        accepted(&push(&h, &d, 6).await[0]);
        h.store.credit_refill(part.request_id).await.unwrap();
        assert_eq!(h.wallet(&h.kiosk).await, -30_000_00);
        let t = terms(&h, &d).await;
        assert_eq!(
            (t.dues, t.interest),
            (Paise::new(30_000_00), Paise::new(4_930))
        );
        assert_eq!(t.due_date.as_deref(), Some("2026-11-30"));
        // Thursday: + 30,00,000 × 18 / 36,500 = 1,479.45 → 1,479.
        set_clock(&h, &mut d, at_ten(2026, 12, 3));
        assert_eq!(terms(&h, &d).await.interest, Paise::new(4_930 + 1_479));
        // ₹40,000 clears the dues and leaves ₹10,000: the balance simply rises.
        let rest = request("k1001-h", 40_000_00, "net_banking", None);
        ask(&mut d, &rest);
        accepted(&push(&h, &d, 7).await[0]);
        let txn = h.store.credit_refill(rest.request_id).await.unwrap();
        assert_eq!(h.wallet(&h.kiosk).await, 10_000_00);
        let lines = h.store.ledger_lines(h.kiosk.id, 0, 1000).await.unwrap();
        let of_txn: Vec<_> = lines.iter().filter(|l| l.txn_id == txn).collect();
        assert_eq!(of_txn.len(), 1, "one wallet line: {of_txn:?}");
        assert_eq!(of_txn[0].amount, Paise::new(40_000_00));
        assert_eq!(
            terms(&h, &d).await,
            WalletTerms {
                deposit_limit: Paise::new(50_000_00),
                ..Default::default()
            }
        );
        let eps = h.store.dues_episodes(h.kiosk.id).await.unwrap();
        assert_eq!(eps.len(), 1);
        assert_eq!(eps[0].since_ms, since);
        assert_eq!(eps[0].closed_ms, Some(h.clock.now().timestamp_millis()));
        assert_eq!(eps[0].interest, Some(Paise::new(6_409)));

        // Friday 11 December: the next day is the 2nd Saturday → Monday 14th.
        set_clock(&h, &mut d, at_ten(2026, 12, 11));
        d.pay(&cat, &[line("JVVNL-BILL", "210000000006", 20_000_00)]);
        accepted(&push(&h, &d, 8).await[0]);
        let t = terms(&h, &d).await;
        assert_eq!(
            (t.dues, t.due_date.as_deref()),
            (Paise::new(10_000_00), Some("2026-12-14"))
        );
        // Paid the same day: no interest.
        h.store
            .refill(h.kiosk.id, Paise::new(10_000_00), "bank transfer")
            .await
            .unwrap();
        assert_eq!(h.wallet(&h.kiosk).await, 0);
        assert_eq!(terms(&h, &d).await.dues, Paise::ZERO);
        // A plain Tuesday: due on the Wednesday.
        set_clock(&h, &mut d, at_ten(2026, 12, 15));
        d.pay(&cat, &[line("JVVNL-BILL", "210000000007", 5_000_00)]);
        accepted(&push(&h, &d, 9).await[0]);
        assert_eq!(terms(&h, &d).await.due_date.as_deref(), Some("2026-12-16"));
        // Thursday 17th: one day late on ₹5,000: 5,00,000 × 18 / 36,500 = 246.57 → 246.
        set_clock(&h, &mut d, at_ten(2026, 12, 17));
        assert_eq!(terms(&h, &d).await.interest, Paise::new(246));
        let eps = h.store.dues_episodes(h.kiosk.id).await.unwrap();
        assert_eq!(eps.len(), 3);
        assert_eq!(
            eps.iter()
                .map(|e| (e.due_date.to_string(), e.interest))
                .collect::<Vec<_>>(),
            vec![
                ("2026-11-30".to_string(), Some(Paise::new(6_409))),
                ("2026-12-14".to_string(), Some(Paise::ZERO)),
                ("2026-12-16".to_string(), None),
            ]
        );
        h.finish().await;
    }
);
