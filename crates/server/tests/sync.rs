//! The sync behaviour suite: the same tests on PostgreSQL and on SQLite.

mod common;
use common::*;
use protocol::{Cursor, Outcome, codes};
use reqwest::StatusCode;

both!(push_then_pull, |h: H| async move {
    let mut d = h.register("k1001-h", 1).await;
    let cat = h.catalogue.clone();
    let w0 = h.wallet(&h.kiosk).await;
    d.pay(&cat, &[line("JVVNL-BILL", "210000000001", 1_450_00)]);
    d.pay(
        &cat,
        &[
            Line {
                charge: 5_00,
                ..line("PHED-WATER", "1000001", 340_00)
            },
            line("JVVNL-BILL", "210000000002", 823_50),
        ],
    );
    let r = h.push(&d, &d.rest(0)).await.unwrap();
    assert_eq!(r.high_water, 2);
    assert_eq!(r.outcomes.len(), 2);
    let (t1, r1) = accepted(&r.outcomes[0].outcome);
    let (t2, r2) = accepted(&r.outcomes[1].outcome);
    assert!(t2 > t1);
    assert_ne!(r1, r2);
    assert!(r1.starts_with("EM"));
    // Wallet debited bills + charges (PHED charges ₹5); commission credited.
    let w1 = h.wallet(&h.kiosk).await;
    assert_eq!(w0 - w1, 1_450_00 + 340_00 + 5_00 + 823_50);

    // Notices: one for this kiosk, one for every kiosk; both reach it.
    h.store
        .add_notice(
            Some(h.kiosk.id),
            "Power cut on Sunday",
            "रविवार को बिजली बंद",
        )
        .await
        .unwrap();
    h.store
        .add_notice(None, "New rates from 1 Dec", "1 दिसंबर से नई दरें")
        .await
        .unwrap();
    let p = h.pull(&d, Cursor::default(), 100).await;
    assert_eq!(p.wallet_balance.as_i64(), w1);
    assert_eq!(p.commission_balance.as_i64(), 600 + 500 + 600);
    let cat_v = p.catalogue.as_ref().expect("catalogue on first pull");
    assert!(cat_v.services.iter().any(|s| s.offline_allowed));
    assert_eq!(
        p.outcomes.iter().map(|o| o.seq).collect::<Vec<_>>(),
        vec![1, 2]
    );
    // Refill + 2 payments × (wallet, commission).
    assert_eq!(p.ledger.len(), 5);
    assert_eq!(p.exposure, server::store::DEFAULT_EXPOSURE);
    assert_eq!(
        p.notices
            .iter()
            .map(|n| (n.text_en.as_str(), n.text_hi.as_str()))
            .collect::<Vec<_>>(),
        vec![
            ("Power cut on Sunday", "रविवार को बिजली बंद"),
            ("New rates from 1 Dec", "1 दिसंबर से नई दरें"),
        ]
    );
    assert!(p.notices[0].id < p.notices[1].id);
    // Nothing new since the cursor.
    let p2 = h.pull(&d, p.cursor, 100).await;
    assert!(
        p2.catalogue.is_none()
            && p2.ledger.is_empty()
            && p2.outcomes.is_empty()
            && p2.notices.is_empty()
    );
    assert_eq!(p2.cursor, p.cursor);
    // Paging: a limit of 2 lines reports more.
    let p3 = h.pull(&d, Cursor::default(), 2).await;
    assert!(p3.more);
    assert_eq!(p3.ledger.len(), 2);
    h.finish().await;
});

both!(replay_returns_recorded_outcome_forever, |h: H| async move {
    let mut d = h.register("k1001-h", 1).await;
    let cat = h.catalogue.clone();
    for i in 0..5 {
        d.pay(
            &cat,
            &[line("JVVNL-BILL", &format!("21000000001{i}"), 100_00 + i)],
        );
    }
    let first = h.push(&d, &d.batch(1, 3)).await.unwrap();
    let w = h.wallet(&h.kiosk).await;
    // The answer was lost; the same batch again.
    let again = h.push(&d, &d.batch(1, 3)).await.unwrap();
    assert_eq!(again, first);
    assert_eq!(h.wallet(&h.kiosk).await, w);
    // Six weeks later, an overlapping batch: old outcomes, new ones applied.
    h.clock.advance(chrono::Duration::weeks(6));
    let over = h.push(&d, &d.batch(2, 5)).await.unwrap();
    assert_eq!(over.high_water, 5);
    assert_eq!(over.outcomes[0], first.outcomes[1]);
    assert_eq!(over.outcomes[1], first.outcomes[2]);
    accepted(&over.outcomes[2].outcome);
    assert_eq!(h.wallet(&h.kiosk).await, w - (100_03 + 100_04));
    // And a replay of one seq alone, much later still.
    h.clock.advance(chrono::Duration::days(400));
    let one = h.push(&d, &d.batch(1, 1)).await.unwrap();
    assert_eq!(one.outcomes, vec![first.outcomes[0].clone()]);
    assert_eq!(one.high_water, 5);
    h.finish().await;
});

both!(same_batch_concurrently_applies_once, |h: H| async move {
    let mut d = h.register("k1001-h", 1).await;
    let cat = h.catalogue.clone();
    for i in 0..30 {
        d.pay(
            &cat,
            &[line("JVVNL-BILL", &format!("2100000001{i:02}"), 200_00)],
        );
    }
    let w = h.wallet(&h.kiosk).await;
    let req = d.rest(0);
    // Two connections (separate clients), the same batch at once.
    let c1 = reqwest::Client::new();
    let c2 = reqwest::Client::new();
    let (a, b) = tokio::join!(h.push_with(&c1, &d, &req), h.push_with(&c2, &d, &req));
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a, b);
    assert_eq!(a.outcomes.len(), 30);
    assert_eq!(h.wallet(&h.kiosk).await, w - 30 * 200_00);
    let fp = h.store.fingerprint().await.unwrap();
    let payments = fp.iter().find(|(t, _)| t == "payments").unwrap().1;
    assert_eq!(payments, 30);
    h.finish().await;
});

both!(gap_is_refused_with_expected_seq, |h: H| async move {
    let mut d = h.register("k1001-h", 1).await;
    let cat = h.catalogue.clone();
    for i in 0..4 {
        d.pay(
            &cat,
            &[line("JVVNL-BILL", &format!("21000000002{i}"), 100_00)],
        );
    }
    h.push(&d, &d.batch(1, 1)).await.unwrap();
    let before = h.store.fingerprint().await.unwrap();
    let (st, e) = h.push(&d, &d.batch(3, 4)).await.unwrap_err();
    assert_eq!(st, StatusCode::CONFLICT);
    assert_eq!(e.code, codes::GAP);
    assert_eq!(e.expected_seq, Some(2));
    // Nothing stored but the alert for the centre's staff.
    let after = h.store.fingerprint().await.unwrap();
    for ((t, a), (_, b)) in before.iter().zip(after.iter()) {
        let want = if t == "tamper_alerts" { a + 1 } else { *a };
        assert_eq!(*b, want, "{t}");
    }
    let alerts = h.store.tamper_alerts().await.unwrap();
    assert!(
        alerts[0]
            .2
            .starts_with("sequence gap: the kiosk sent 3 while 2 was expected"),
        "{alerts:?}"
    );
    // The same gap again is not a second alert.
    h.push(&d, &d.batch(3, 4)).await.unwrap_err();
    assert_eq!(h.store.tamper_alerts().await.unwrap().len(), 1);
    // From the expected seq it goes through.
    assert_eq!(h.push(&d, &d.batch(2, 4)).await.unwrap().high_water, 4);
    h.finish().await;
});

both!(tampered_chain_is_refused_and_alerted, |h: H| async move {
    let mut d = h.register("k1001-h", 1).await;
    let cat = h.catalogue.clone();
    for i in 0..3 {
        d.pay(
            &cat,
            &[line("JVVNL-BILL", &format!("21000000003{i}"), 100_00)],
        );
    }
    h.push(&d, &d.batch(1, 1)).await.unwrap();
    // One paisa changed in entry 2 after it was chained.
    let mut req = d.batch(2, 3);
    let mut p = req.entries[0]
        .clone()
        .into_entry(d.id, 2)
        .payment()
        .unwrap();
    p.lines[0].bill_amount = domain::Paise::new(p.lines[0].bill_amount.as_i64() - 1);
    p.total = domain::Paise::new(p.total.as_i64() - 1);
    req.entries[0].payload = p.encode();
    let before = h.store.fingerprint().await.unwrap();
    let (st, e) = h.push(&d, &req).await.unwrap_err();
    assert_eq!(
        (st, e.code.as_str(), e.expected_seq),
        (StatusCode::CONFLICT, codes::CHAIN_MISMATCH, Some(2))
    );
    let after = h.store.fingerprint().await.unwrap();
    for ((t, a), (_, b)) in before.iter().zip(after.iter()) {
        if t == "tamper_alerts" {
            assert_eq!(*b, a + 1, "one tamper alert");
        } else {
            assert_eq!(a, b, "{t} unchanged");
        }
    }
    let alerts = h.store.tamper_alerts().await.unwrap();
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].0, d.id);
    // A replay of an applied seq with different content is a chain break too.
    let mut replay = d.batch(1, 1);
    replay.entries[0].device_time_ms += 1;
    let (_, e) = h.push(&d, &replay).await.unwrap_err();
    assert_eq!(e.code, codes::CHAIN_MISMATCH);
    // The genuine entries still go through.
    assert_eq!(h.push(&d, &d.batch(2, 3)).await.unwrap().high_water, 3);
    h.finish().await;
});

both!(refused_entries_never_block_later_ones, |h: H| async move {
    let mut d = h.register("k1001-h", 1).await;
    let cat = h.catalogue.clone();
    // A bill the demo biller knows, to be paid twice.
    h.store
        .upsert_bills(&[server::store::Bill {
            service_code: "JVVNL-BILL".into(),
            consumer_no: "210000000099".into(),
            bill_ref: "B1".into(),
            consumer_name: "X".into(),
            amount: 500_00,
            due_date: "2026-12-01".into(),
            paid: false,
        }])
        .await
        .unwrap();
    let paid = Line {
        bill_ref: Some("B1"),
        ..line("JVVNL-BILL", "210000000099", 500_00)
    };
    d.pay(&cat, &[paid]); // 1 ok
    let paid_again = Line {
        bill_ref: Some("B1"),
        ..line("JVVNL-BILL", "210000000099", 500_00)
    };
    d.pay(&cat, &[paid_again]); // 2 bill.already_paid
    d.pay(&cat, &[line("NO-SUCH", "1", 100)]); // 3 service.unknown
    let over_rate = Line {
        charge: 1001,
        ..line("JVVNL-BILL", "210000000041", 100_00)
    };
    d.pay(&cat, &[over_rate]); // 4 above state rate
    // 5: more than the wallet plus the exposure.
    let w = h.wallet(&h.kiosk).await;
    d.pay(
        &cat,
        &[line(
            "JVVNL-BILL",
            "210000000042",
            w + 20_000_00 - 500_00 + 1,
        )],
    );
    // 6: a total that is not the sum.
    let mut bad = d.payment_payload(
        &cat,
        &[line("JVVNL-BILL", "210000000043", 100_00)],
        domain::PaymentMode::Wallet,
    );
    bad.total = domain::Paise::new(1);
    d.pay_payload(&bad);
    // 7: garbage payload.
    d.append(protocol::EntryKind::Payment, vec![0xFF; 7]);
    // 8: names another kiosk.
    let mut other = d.payment_payload(
        &cat,
        &[line("JVVNL-BILL", "210000000044", 100_00)],
        domain::PaymentMode::Wallet,
    );
    other.kiosk_code = "K9999".into();
    d.pay_payload(&other);
    d.pay(&cat, &[line("JVVNL-BILL", "210000000045", 100_00)]); // 9 ok
    let r = h.push(&d, &d.rest(0)).await.unwrap();
    assert_eq!(r.high_water, 9);
    let o: Vec<_> = r.outcomes.iter().map(|o| o.outcome.clone()).collect();
    accepted(&o[0]);
    assert_eq!(rejected(&o[1]), codes::BILL_ALREADY_PAID);
    assert_eq!(rejected(&o[2]), codes::SERVICE_UNKNOWN);
    assert_eq!(rejected(&o[3]), codes::CHARGE_ABOVE_STATE_RATE);
    assert_eq!(rejected(&o[4]), codes::EXPOSURE_EXCEEDED);
    assert_eq!(rejected(&o[5]), codes::TOTALS_MISMATCH);
    assert_eq!(rejected(&o[6]), codes::ENTRY_MALFORMED);
    assert_eq!(rejected(&o[7]), codes::ENTRY_WRONG_KIOSK);
    accepted(&o[8]);
    assert_eq!(h.wallet(&h.kiosk).await, w - 500_00 - 100_00);
    // The rejections are recorded: replays say the same.
    assert_eq!(
        h.push(&d, &d.batch(2, 2)).await.unwrap().outcomes[0].outcome,
        o[1]
    );
    // And a later entry still goes.
    d.pay(&cat, &[line("JVVNL-BILL", "210000000046", 100_00)]);
    accepted(&h.push(&d, &d.rest(9)).await.unwrap().outcomes[0].outcome);
    h.finish().await;
});

both!(cancellation_reverses_and_notifies, |h: H| async move {
    let mut d = h.register("k1001-h", 1).await;
    let cat = h.catalogue.clone();
    let w0 = h.wallet(&h.kiosk).await;
    let (_, p) = d.pay(&cat, &[line("PHED-WATER", "1000001", 340_00)]);
    d.cancel(&p);
    d.cancel(&p);
    let unknown = {
        let mut q = p.clone();
        q.receipt_id = uuid::Uuid::new_v4();
        q
    };
    d.cancel(&unknown);
    let r = h.push(&d, &d.rest(0)).await.unwrap();
    let (t_pay, rno) = accepted(&r.outcomes[0].outcome);
    let (t_cancel, rno2) = accepted(&r.outcomes[1].outcome);
    assert_eq!(rno, rno2, "a cancellation names the receipt it cancels");
    assert!(t_cancel > t_pay);
    assert_eq!(
        rejected(&r.outcomes[2].outcome),
        codes::RECEIPT_ALREADY_CANCELLED
    );
    assert_eq!(rejected(&r.outcomes[3].outcome), codes::RECEIPT_UNKNOWN);
    assert_eq!(h.wallet(&h.kiosk).await, w0);
    let k = h.store.kiosk(h.kiosk.id).await.unwrap().unwrap();
    assert_eq!(k.commission_balance.as_i64(), 0);
    // The citizen hears of both.
    let n1 = h.store.notifications_for_txn(t_pay).await.unwrap();
    let n2 = h.store.notifications_for_txn(t_cancel).await.unwrap();
    assert_eq!(n1.len(), 1);
    assert_eq!(n1[0].recipient, "9876543210");
    assert!(n1[0].body.contains(&rno));
    assert_eq!(n2.len(), 1);
    assert!(n2[0].body.contains("cancelled"));
    // Verify in Reconcile shows it cancelled.
    let t = h
        .store
        .txn_status(h.kiosk.id, Some(&rno), None)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(t.status, "cancelled");
    h.finish().await;
});

both!(duplicates_across_kiosks_warn, |h: H| async move {
    let other = h.add_kiosk("K2002").await;
    let mut a = h.register("k1001-h", 1).await;
    let mut b = h.register("k2002-h", 2).await;
    let cat = h.catalogue.clone();
    a.pay(&cat, &[line("JVVNL-BILL", "210000000077", 100_00)]);
    let ra = h.push(&a, &a.rest(0)).await.unwrap();
    match &ra.outcomes[0].outcome {
        Outcome::Accepted { warnings, .. } => assert!(warnings.is_empty()),
        o => panic!("{o:?}"),
    }
    b.pay(&cat, &[line("JVVNL-BILL", "210000000077", 100_00)]);
    let rb = h.push(&b, &b.rest(0)).await.unwrap();
    match &rb.outcomes[0].outcome {
        Outcome::Accepted { warnings, .. } => {
            assert_eq!(warnings, &vec![codes::DUPLICATE_WARNING.to_string()])
        }
        o => panic!("{o:?}"),
    }
    // 31 days later it is no longer a duplicate.
    h.clock.advance(chrono::Duration::days(31));
    b.pay(&cat, &[line("JVVNL-BILL", "210000000077", 100_00)]);
    match &h.push(&b, &b.rest(1)).await.unwrap().outcomes[0].outcome {
        Outcome::Accepted { warnings, .. } => assert!(warnings.is_empty()),
        o => panic!("{o:?}"),
    }
    let _ = other;
    h.finish().await;
});

both!(
    entry_id_reused_by_another_device_is_refused,
    |h: H| async move {
        h.add_kiosk("K2002").await;
        let mut a = h.register("k1001-h", 1).await;
        let mut b = h.register("k2002-h", 2).await;
        let cat = h.catalogue.clone();
        let (e, _) = a.pay(&cat, &[line("JVVNL-BILL", "210000000078", 100_00)]);
        h.push(&a, &a.rest(0)).await.unwrap();
        // b's entry carries a's id.
        let p = b.payment_payload(
            &cat,
            &[line("JVVNL-BILL", "210000000079", 100_00)],
            domain::PaymentMode::Wallet,
        );
        b.t_ms += 1000;
        let forged = protocol::Entry {
            id: e.id,
            device_id: b.id,
            seq: 1,
            ..e.clone()
        };
        let forged = protocol::Entry {
            payload: p.encode(),
            ..forged
        };
        let h1 = protocol::chain_hash(&protocol::GENESIS_HASH, &forged);
        b.log.push((forged, h1));
        let r = h.push(&b, &b.rest(0)).await.unwrap();
        assert_eq!(rejected(&r.outcomes[0].outcome), codes::DUPLICATE_ENTRY_ID);
        h.finish().await;
    }
);

both!(
    tickets_and_user_changes_through_the_outbox,
    |h: H| async move {
        let mut d = h.register("k1001-h", 1).await;
        let t = protocol::TicketPayload {
            ticket_id: uuid::Uuid::new_v4(),
            raised_by: "op1".into(),
            subject: "Printer prints garbage".into(),
            body: "LX-310 on LPT1".into(),
            category: "printer".into(),
            receipt_no: None,
            attachment: None,
        };
        d.append(protocol::EntryKind::Ticket, t.encode());
        // A user change is applied now (tests/users.rs): bytes that are
        // not one are refused, and the ticket before them stands.
        d.append(protocol::EntryKind::UserChange, vec![1, 2, 3]);
        let r = h.push(&d, &d.rest(0)).await.unwrap();
        accepted(&r.outcomes[0].outcome);
        assert_eq!(rejected(&r.outcomes[1].outcome), codes::ENTRY_MALFORMED);
        let ts = h.store.tickets(Some(h.kiosk.id)).await.unwrap();
        assert_eq!(ts.len(), 1);
        assert_eq!(ts[0].id, t.ticket_id);
        assert_eq!(ts[0].status, "open");
        h.finish().await;
    }
);

both!(
    ticket_details_are_kept_and_replies_reach_the_kiosk_on_pull,
    |h: H| async move {
        let mut d = h.register("k1001-h", 1).await;
        let t = protocol::TicketPayload {
            ticket_id: uuid::Uuid::new_v4(),
            raised_by: "op1".into(),
            subject: "Receipt printed twice".into(),
            body: "Receipt printed twice\nwhich copy counts?".into(),
            category: "receipt".into(),
            receipt_no: Some("EM0000000042".into()),
            attachment: Some(r#"{"bundle":"kiosk-support/1"}"#.into()),
        };
        // An older kiosk's payload (no category, receipt or bundle: the
        // new shape less its last three one-byte fields) still makes a
        // ticket, filed under "other".
        let old_id = uuid::Uuid::new_v4();
        let mut old = protocol::TicketPayload {
            ticket_id: old_id,
            raised_by: "op1".into(),
            subject: "Old kiosk".into(),
            body: String::new(),
            category: String::new(),
            receipt_no: None,
            attachment: None,
        }
        .encode();
        old.truncate(old.len() - 3);
        let bad = protocol::TicketPayload {
            ticket_id: uuid::Uuid::new_v4(),
            category: "Not A Word".into(),
            ..t.clone()
        };
        d.append(protocol::EntryKind::Ticket, t.encode());
        d.append(protocol::EntryKind::Ticket, old);
        d.append(protocol::EntryKind::Ticket, bad.encode());
        let r = h.push(&d, &d.rest(0)).await.unwrap();
        accepted(&r.outcomes[0].outcome);
        accepted(&r.outcomes[1].outcome);
        assert_eq!(rejected(&r.outcomes[2].outcome), codes::TEXT_INVALID);
        let (got, attachment, replies) = h.store.ticket_detail(t.ticket_id).await.unwrap().unwrap();
        assert_eq!(got.category, "receipt");
        assert_eq!(got.receipt_no.as_deref(), Some("EM0000000042"));
        assert!(got.has_attachment);
        assert_eq!(attachment.as_deref(), t.attachment.as_deref());
        assert!(replies.is_empty());
        let (o, _, _) = h.store.ticket_detail(old_id).await.unwrap().unwrap();
        assert_eq!((o.category.as_str(), o.has_attachment), ("other", false));

        // Nothing to say yet.
        let p = h.pull(&d, Cursor::default(), 100).await;
        assert!(p.ticket_replies.is_empty());
        assert_eq!(p.cursor.tickets_after, 0);
        // The helpdesk replies, then only changes the status.
        let r1 = h
            .store
            .reply_ticket(
                t.ticket_id,
                Some("in_progress"),
                "  Looking into it\r\n second line ",
            )
            .await
            .unwrap();
        let r2 = h.store.set_ticket_status(old_id, "closed").await;
        r2.unwrap();
        // Refused: an unknown status, nothing at all, bidi text, no ticket.
        for (status, text) in [(Some("lost"), "x"), (None, "  "), (None, "a\u{202E}b")] {
            assert!(
                h.store
                    .reply_ticket(t.ticket_id, status, text)
                    .await
                    .is_err()
            );
        }
        assert!(matches!(
            h.store.reply_ticket(uuid::Uuid::new_v4(), None, "x").await,
            Err(server::store::StoreError::NotFound(_))
        ));
        let p = h.pull(&d, p.cursor, 100).await;
        assert_eq!(p.ticket_replies.len(), 2);
        assert_eq!(p.ticket_replies[0].id, r1);
        assert_eq!(p.ticket_replies[0].ticket_id, t.ticket_id);
        assert_eq!(p.ticket_replies[0].status, "in_progress");
        assert_eq!(p.ticket_replies[0].text, "Looking into it\nsecond line");
        assert_eq!(p.ticket_replies[1].ticket_id, old_id);
        assert_eq!(
            (
                p.ticket_replies[1].status.as_str(),
                p.ticket_replies[1].text.as_str()
            ),
            ("closed", "")
        );
        assert_eq!(p.cursor.tickets_after, p.ticket_replies[1].id);
        // Seen once: the next pull from the new cursor brings none; a
        // small limit pages and says there is more.
        let again = h.pull(&d, p.cursor, 100).await;
        assert!(again.ticket_replies.is_empty());
        let one = h.pull(&d, Cursor::default(), 1).await;
        assert_eq!(one.ticket_replies.len(), 1);
        assert!(one.more);
        let ts = h.store.tickets(Some(h.kiosk.id)).await.unwrap();
        let st: Vec<_> = ts.iter().map(|x| (x.id, x.status.clone())).collect();
        assert!(st.contains(&(t.ticket_id, "in_progress".to_string())));
        assert!(st.contains(&(old_id, "closed".to_string())));
        // Another kiosk's device hears nothing of them.
        h.add_kiosk("K2002").await;
        let other = h.register("k2002-h", 2).await;
        assert!(
            h.pull(&other, Cursor::default(), 100)
                .await
                .ticket_replies
                .is_empty()
        );
        h.finish().await;
    }
);

both!(
    a_reused_ticket_id_keeps_the_first_ticket,
    |h: H| async move {
        // Two devices, one ticket id: the first ticket stands, every entry
        // gets an outcome and the outbox moves on, on both stores alike.
        let mut a = h.register("k1001-h", 1).await;
        let k2 = h.add_kiosk("K2002").await;
        let mut b = h.register("k2002-h", 2).await;
        let id = uuid::Uuid::new_v4();
        let ticket = |subject: &str| protocol::TicketPayload {
            ticket_id: id,
            raised_by: "op1".into(),
            subject: subject.into(),
            body: "LX-310 on LPT1".into(),
            category: "printer".into(),
            receipt_no: None,
            attachment: None,
        };
        a.append(protocol::EntryKind::Ticket, ticket("first").encode());
        let r = h.push(&a, &a.rest(0)).await.unwrap();
        accepted(&r.outcomes[0].outcome);
        // The same id again from the same device in a later batch, next to a payment...
        a.append(protocol::EntryKind::Ticket, ticket("second").encode());
        let cat = h.catalogue.clone();
        a.pay(&cat, &[line("JVVNL-BILL", "210000000001", 100_00)]);
        let r = h
            .push(&a, &a.rest(1))
            .await
            .expect("no 500, no stuck outbox");
        assert_eq!(r.outcomes.len(), 2);
        accepted(&r.outcomes[1].outcome);
        // ...and twice in one batch from another kiosk's device.
        b.append(protocol::EntryKind::Ticket, ticket("third").encode());
        b.append(protocol::EntryKind::Ticket, ticket("fourth").encode());
        let r = h
            .push(&b, &b.rest(0))
            .await
            .expect("no 500, no stuck outbox");
        assert_eq!(r.outcomes.len(), 2);
        let ts = h.store.tickets(None).await.unwrap();
        let with_id: Vec<_> = ts.iter().filter(|t| t.id == id).collect();
        assert_eq!(with_id.len(), 1);
        assert_eq!(with_id[0].subject, "first");
        assert!(h.store.tickets(Some(k2.id)).await.unwrap().is_empty());
        assert_eq!(h.store.device(a.id).await.unwrap().unwrap().high_water, 3);
        assert_eq!(h.store.device(b.id).await.unwrap().unwrap().high_water, 2);
        h.finish().await;
    }
);

both!(
    a_reused_receipt_id_is_rejected_not_a_stuck_batch,
    |h: H| async move {
        let mut d = h.register("k1001-h", 1).await;
        let cat = h.catalogue.clone();
        let (_, p) = d.pay(&cat, &[line("JVVNL-BILL", "210000000001", 100_00)]);
        let r = h.push(&d, &d.rest(0)).await.unwrap();
        accepted(&r.outcomes[0].outcome);
        let before = h.wallet(&h.kiosk).await;
        // A new payment entry that reuses the receipt id, in a later batch
        // and twice in one batch, with a good payment after them.
        let mut again = d.payment_payload(
            &cat,
            &[line("JVVNL-BILL", "210000000002", 200_00)],
            domain::PaymentMode::Wallet,
        );
        again.receipt_id = p.receipt_id;
        d.pay_payload(&again);
        let mut twin = d.payment_payload(
            &cat,
            &[line("JVVNL-BILL", "210000000003", 300_00)],
            domain::PaymentMode::Wallet,
        );
        let shared = uuid::Uuid::new_v4();
        twin.receipt_id = shared;
        d.pay_payload(&twin);
        let mut twin2 = d.payment_payload(
            &cat,
            &[line("AVVNL-BILL", "310000000001", 400_00)],
            domain::PaymentMode::Wallet,
        );
        twin2.receipt_id = shared;
        d.pay_payload(&twin2);
        let r = h.push(&d, &d.rest(1)).await.expect("no stuck batch");
        assert_eq!(rejected(&r.outcomes[0].outcome), "receipt.id_reused");
        accepted(&r.outcomes[1].outcome);
        assert_eq!(rejected(&r.outcomes[2].outcome), "receipt.id_reused");
        // Only the one good payment took money; replays answer the same.
        assert_eq!(h.wallet(&h.kiosk).await, before - 300_00);
        let again = h.push(&d, &d.rest(1)).await.unwrap();
        assert_eq!(again.outcomes, r.outcomes);
        h.finish().await;
    }
);

// A lone payment goes raw (zstd would only add its frame) and is answered
// raw; an older kiosk's compressed body is answered compressed.
both!(
    raw_bodies_are_answered_raw_compressed_compressed,
    |h: H| async move {
        let mut d = h.register("k1001-h", 1).await;
        let cat = h.catalogue.clone();
        d.pay(&cat, &[line("JVVNL-BILL", "210000000001", 1_450_00)]);
        let r = h
            .send_signed(&d, "/v1/sync/push", protocol::encode_body_raw(&d.rest(0)))
            .await;
        assert_eq!(r.status(), 200);
        let b = r.bytes().await.unwrap();
        let resp: protocol::PushResponse = protocol::decode_body(&b).unwrap();
        // Raw, or compressed only where that is smaller.
        let raw = protocol::encode_body_raw(&resp);
        assert!(
            b == raw || (protocol::is_compressed(&b) && b.len() < raw.len()),
            "{} vs raw {}",
            b.len(),
            raw.len()
        );
        assert_eq!((resp.high_water, resp.outcomes.len()), (1, 1));
        accepted(&resp.outcomes[0].outcome);
        d.pay(&cat, &[line("JVVNL-BILL", "210000000002", 2_450_00)]);
        let r = h
            .send_signed(&d, "/v1/sync/push", protocol::encode_body(&d.rest(1)))
            .await;
        assert_eq!(r.status(), 200);
        let b = r.bytes().await.unwrap();
        assert!(
            protocol::is_compressed(&b),
            "an older kiosk reads zstd only"
        );
        let resp: protocol::PushResponse = protocol::decode_body(&b).unwrap();
        assert_eq!(resp.high_water, 2);
        h.finish().await;
    }
);

/// Bytes on the wire per synced payment at batch 50, request and response
/// with their HTTP/1.1 headers, as a minimal client sends them (the goal is
/// ≤ 100 bytes per transaction).
#[tokio::test]
async fn bytes_on_the_wire_per_transaction() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let h = H::new(Backend::Sqlite).await;
    let mut d = h.register("k1001-h", 1).await;
    let cat = h.catalogue.clone();
    for i in 0..50u64 {
        d.pay(
            &cat,
            &[line(
                "JVVNL-BILL",
                &format!("2100000{i:05}"),
                100_00 + i as i64 * 37,
            )],
        );
    }
    let body = protocol::encode_body(&d.rest(0));
    let sig = protocol::wire::sign_request(&d.key, d.id, "POST", "/v1/sync/push", &body);
    let addr = h.base.trim_start_matches("http://").to_string();
    let mut req = format!(
        "POST /v1/sync/push HTTP/1.1\r\nhost: {addr}\r\nx-device: {}\r\nx-sig: {sig}\r\ncontent-length: {}\r\n\r\n",
        d.id,
        body.len()
    )
    .into_bytes();
    req.extend_from_slice(&body);
    let mut s = tokio::net::TcpStream::connect(&addr).await.unwrap();
    s.write_all(&req).await.unwrap();
    // Read the head, then exactly content-length bytes of body.
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        let n = s.read(&mut chunk).await.unwrap();
        assert!(n > 0, "connection closed early");
        buf.extend_from_slice(&chunk[..n]);
        if let Some(p) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break p + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_lowercase();
    assert!(head.starts_with("http/1.1 200"), "{head}");
    let len: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length: "))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    while buf.len() < head_end + len {
        let n = s.read(&mut chunk).await.unwrap();
        assert!(n > 0);
        buf.extend_from_slice(&chunk[..n]);
    }
    let resp: protocol::PushResponse =
        protocol::decode_body(&buf[head_end..head_end + len]).unwrap();
    assert_eq!(resp.outcomes.len(), 50);
    let per_txn = (req.len() + head_end + len) as f64 / 50.0;
    println!(
        "request {} B (body {}), response {} B (body {}): {per_txn:.1} B per transaction",
        req.len(),
        body.len(),
        head_end + len,
        len
    );
    assert!(per_txn <= 100.0, "{per_txn} bytes per transaction");
    h.finish().await;
}

both!(
    one_bill_paid_at_two_kiosks_at_once_is_taken_once,
    |h: H| async move {
        h.add_kiosk("K2002").await;
        let mut a = h.register("k1001-h", 1).await;
        let mut b = h.register("k2002-h", 2).await;
        let cat = h.catalogue.clone();
        let bills: Vec<_> = (0..10)
            .map(|i| server::store::Bill {
                service_code: "JVVNL-BILL".into(),
                consumer_no: format!("2100000005{i:02}"),
                bill_ref: format!("R{i}"),
                consumer_name: "X".into(),
                amount: 100_00,
                due_date: "2026-12-01".into(),
                paid: false,
            })
            .collect();
        h.store.upsert_bills(&bills).await.unwrap();
        // Both kiosks take the same ten bills offline, in opposite orders.
        let keys: Vec<(String, String)> = (0..10)
            .map(|i| (format!("2100000005{i:02}"), format!("R{i}")))
            .collect();
        for i in 0..10 {
            let (c, r) = &keys[i];
            a.pay(
                &cat,
                &[Line {
                    bill_ref: Some(r),
                    ..line("JVVNL-BILL", c, 100_00)
                }],
            );
            let (c, r) = &keys[9 - i];
            b.pay(
                &cat,
                &[Line {
                    bill_ref: Some(r),
                    ..line("JVVNL-BILL", c, 100_00)
                }],
            );
        }
        let (c1, c2) = (reqwest::Client::new(), reqwest::Client::new());
        let (qa, qb) = (a.rest(0), b.rest(0));
        let (ra, rb) = tokio::join!(h.push_with(&c1, &a, &qa), h.push_with(&c2, &b, &qb));
        let (ra, rb) = (ra.unwrap(), rb.unwrap());
        let ok = |r: &protocol::PushResponse| {
            r.outcomes
                .iter()
                .filter(|o| matches!(o.outcome, Outcome::Accepted { .. }))
                .count()
        };
        let paid_twice = |r: &protocol::PushResponse| {
            r.outcomes.iter().filter(|o| matches!(&o.outcome, Outcome::Rejected { code, .. } if code == codes::BILL_ALREADY_PAID)).count()
        };
        assert_eq!(ok(&ra) + ok(&rb), 10, "each bill taken exactly once");
        assert_eq!(paid_twice(&ra) + paid_twice(&rb), 10);
        h.finish().await;
    }
);

// A department that confirms later: held, then confirmed or refused; the
// device learns the final outcome on its next pull.
mod held_payments {
    use super::*;

    async fn run(backend: Backend) {
        let h = H::with_setup(backend, vec![], vec!["BSNL-LANDLINE".into()]).await;
        let mut d = h.register("k1001-h", 1).await;
        let cat = h.catalogue.clone();
        let w0 = h.wallet(&h.kiosk).await;
        let (_, p1) = d.pay(&cat, &[line("BSNL-LANDLINE", "01412345678", 589_00)]);
        d.pay(&cat, &[line("JVVNL-BILL", "210000000001", 100_00)]);
        d.pay(&cat, &[line("BSNL-LANDLINE", "01412345679", 300_00)]);
        d.cancel(&p1);
        let r = h.push(&d, &d.rest(0)).await.unwrap();
        let t1 = match r.outcomes[0].outcome {
            Outcome::Pending { txn_id } => txn_id,
            ref o => panic!("{o:?}"),
        };
        accepted(&r.outcomes[1].outcome);
        let t3 = match r.outcomes[2].outcome {
            Outcome::Pending { txn_id } => txn_id,
            ref o => panic!("{o:?}"),
        };
        assert_eq!(rejected(&r.outcomes[3].outcome), "receipt.pending");
        // Held money has left the wallet; no commission yet, no SMS yet.
        assert_eq!(h.wallet(&h.kiosk).await, w0 - 589_00 - 100_00 - 300_00);
        assert_eq!(
            h.store
                .kiosk(h.kiosk.id)
                .await
                .unwrap()
                .unwrap()
                .commission_balance
                .as_i64(),
            600
        );
        assert!(h.store.notifications_for_txn(t1).await.unwrap().is_empty());
        let c1 = h.pull(&d, Cursor::default(), 100).await.cursor;
        assert_eq!(c1.outcomes_after, 4);

        let o1 = h.store.settle(t1, true, "").await.unwrap();
        let (_, rno) = accepted(&o1);
        assert!(
            h.store.settle(t1, false, "again").await.is_err(),
            "settled once only"
        );
        let o3 = h
            .store
            .settle(t3, false, "consumer number closed")
            .await
            .unwrap();
        assert_eq!(rejected(&o3), "department.refused");

        let p = h.pull(&d, c1, 100).await;
        let got: Vec<_> = p
            .outcomes
            .iter()
            .map(|o| (o.seq, o.outcome.clone()))
            .collect();
        assert_eq!(got, vec![(1, o1.clone()), (3, o3.clone())]);
        assert!(h.pull(&d, p.cursor, 100).await.outcomes.is_empty());
        // A replay now says what was finally decided.
        assert_eq!(
            h.push(&d, &d.batch(1, 1)).await.unwrap().outcomes[0].outcome,
            o1
        );
        assert_eq!(h.wallet(&h.kiosk).await, w0 - 589_00 - 100_00);
        assert_eq!(
            h.store
                .kiosk(h.kiosk.id)
                .await
                .unwrap()
                .unwrap()
                .commission_balance
                .as_i64(),
            600 + 400
        );
        let n = h.store.notifications_for_txn(t1).await.unwrap();
        assert!(n[0].body.contains(&rno));
        // Confirmed, it can now be cancelled; everything nets out.
        d.cancel(&p1);
        accepted(&h.push(&d, &d.rest(4)).await.unwrap().outcomes[0].outcome);
        assert_eq!(h.wallet(&h.kiosk).await, w0 - 100_00);
        assert_eq!(
            h.store
                .kiosk(h.kiosk.id)
                .await
                .unwrap()
                .unwrap()
                .commission_balance
                .as_i64(),
            600
        );
        h.finish().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        run(Backend::Sqlite).await;
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        run(Backend::Postgres).await;
    }
}

both!(
    consumer_names_with_bidi_controls_or_only_invisible_text_are_rejected,
    |h: H| async move {
        let mut d = h.register("k1001-h", 1).await;
        let cat = h.catalogue.clone();
        let w0 = h.wallet(&h.kiosk).await;
        let names = [
            "\u{202E}laL maR",         // 1 a right-to-left override
            "Ram \u{2067}Lal\u{2069}", // 2 an isolate
            "\u{200B}\u{200B}",        // 3 nothing visible
            "\u{3164}",                // 4 a filler that shows as blank
            "राम लाल",                 // 5 fine
        ];
        for (i, n) in names.iter().enumerate() {
            let consumer = format!("2100000005{i:02}");
            let mut p = d.payment_payload(
                &cat,
                &[line("JVVNL-BILL", &consumer, 100_00)],
                domain::PaymentMode::Wallet,
            );
            p.lines[0].consumer_name = Some(n.to_string());
            d.pay_payload(&p);
        }
        let r = h.push(&d, &d.rest(0)).await.unwrap();
        assert_eq!(r.high_water, 5);
        for o in &r.outcomes[..4] {
            assert_eq!(rejected(&o.outcome), codes::TEXT_INVALID, "seq {}", o.seq);
        }
        accepted(&r.outcomes[4].outcome);
        // Only the clean one took money.
        assert_eq!(h.wallet(&h.kiosk).await, w0 - 100_00);
        h.finish().await;
    }
);

both!(
    push_answers_carry_the_balance_and_pulls_the_high_water,
    |h: H| async move {
        let mut a = h.register("k1001-h", 1).await;
        let cat = h.catalogue.clone();
        let before = h.pull(&a, protocol::Cursor::default(), 100).await;
        let opening = h.store.ledger_lines(h.kiosk.id, 0, 1000).await.unwrap();
        assert_eq!(before.high_water, 0);
        assert_eq!(before.ledger_high, opening.last().map_or(0, |l| l.id));
        a.pay(&cat, &[line("JVVNL-BILL", "210000000301", 100_00)]);
        a.pay(&cat, &[line("JVVNL-BILL", "210000000302", 200_00)]);
        // The same bill again in the same batch is a duplicate too.
        a.pay(&cat, &[line("JVVNL-BILL", "210000000302", 200_00)]);
        let r = h.push(&a, &a.rest(0)).await.unwrap();
        let k = h.store.kiosk(h.kiosk.id).await.unwrap().unwrap();
        assert_eq!(r.high_water, 3);
        assert_eq!(
            r.wallet_balance, k.wallet_balance,
            "balance with this batch in it"
        );
        assert!(r.wallet_balance < before.wallet_balance);
        assert_eq!(r.commission_balance, k.commission_balance);
        assert_eq!(r.exposure, k.exposure);
        assert!(
            (r.server_time_ms - domain::Clock::now(h.clock.as_ref()).timestamp_millis()).abs()
                < 1000
        );
        match &r.outcomes[2].outcome {
            Outcome::Accepted { warnings, .. } => {
                assert_eq!(warnings, &vec![codes::DUPLICATE_WARNING.to_string()])
            }
            o => panic!("{o:?}"),
        }
        // A replay answers with the balance as it is now.
        let again = h.push(&a, &a.rest(0)).await.unwrap();
        assert_eq!(again.wallet_balance, k.wallet_balance);
        let p = h.pull(&a, protocol::Cursor::default(), 100).await;
        assert_eq!(p.high_water, 3);
        let lines = h.store.ledger_lines(h.kiosk.id, 0, 1000).await.unwrap();
        assert_eq!(p.ledger_high, lines.last().unwrap().id);
        h.finish().await;
    }
);

both!(
    a_wrong_kiosk_clock_is_flagged_and_cheque_dates_follow_the_centre,
    |h: H| async move {
        use domain::{ChequeDetails, PaymentMode};
        h.store
            .set_kiosk_flags(h.kiosk.id, true, true)
            .await
            .unwrap();
        let mut a = h.register("k1001-h", 1).await;
        let cat = h.catalogue.clone();
        let now = domain::Clock::now(h.clock.as_ref());
        let today = domain::clock::ist_date(now);
        let day = 86_400_000i64;
        let cheque = |date| {
            PaymentMode::Cheque(ChequeDetails {
                number: "123456".into(),
                date,
                bank: "SBI".into(),
                payee: "AO (CCC)".into(),
            })
        };
        // The kiosk's clock is 90 days ahead; it measured the centre's so,
        // and dates its entries by the centre's clock.
        a.t_ms = now.timestamp_millis();
        a.clock_offset_ms = Some(-90 * day);
        // A cheque post-dated by 90 days is "today's" by the kiosk's clock.
        let p = a.payment_payload(
            &cat,
            &[line("JVVNL-BILL", "210000000401", 100_00)],
            cheque(today + chrono::Days::new(90)),
        );
        a.pay_payload(&p);
        a.pay(&cat, &[line("JVVNL-BILL", "210000000402", 100_00)]);
        let r = h.push(&a, &a.rest(0)).await.unwrap();
        match &r.outcomes[0].outcome {
            Outcome::Rejected { code, .. } => assert_eq!(code, "cheque.post_dated"),
            o => panic!("{o:?}"),
        }
        match &r.outcomes[1].outcome {
            Outcome::Accepted { warnings, .. } => {
                assert_eq!(warnings, &vec![codes::CLOCK_SKEW.to_string()])
            }
            o => panic!("{o:?}"),
        }
        // Two days behind: a cheque three months and a day old by the
        // centre's date is stale, though the kiosk's clock says otherwise.
        a.t_ms = now.timestamp_millis();
        a.clock_offset_ms = Some(2 * day);
        let stale = today
            .checked_sub_months(chrono::Months::new(3))
            .unwrap()
            .pred_opt()
            .unwrap();
        let p = a.payment_payload(
            &cat,
            &[line("JVVNL-BILL", "210000000403", 100_00)],
            cheque(stale),
        );
        a.pay_payload(&p);
        let r = h.push(&a, &a.rest(2)).await.unwrap();
        match &r.outcomes[0].outcome {
            Outcome::Rejected { code, .. } => assert_eq!(code, "cheque.stale"),
            o => panic!("{o:?}"),
        }
        // A good clock: no flag, and a cheque dated today goes through.
        a.t_ms = now.timestamp_millis();
        a.clock_offset_ms = Some(300);
        let p = a.payment_payload(
            &cat,
            &[line("JVVNL-BILL", "210000000404", 100_00)],
            cheque(today),
        );
        a.pay_payload(&p);
        let r = h.push(&a, &a.rest(3)).await.unwrap();
        match &r.outcomes[0].outcome {
            Outcome::Accepted { warnings, .. } => assert!(warnings.is_empty(), "{warnings:?}"),
            o => panic!("{o:?}"),
        }
        h.finish().await;
    }
);

both!(
    an_online_only_payment_is_taken_only_when_it_arrives_fresh,
    |h: H| async move {
        use protocol::wire::ONLINE_ONLY_MAX_AGE_MS;
        let mut a = h.register("k1001-h", 1).await;
        let cat = h.catalogue.clone();
        assert!(!cat.service("MOBILE-RECHARGE").unwrap().offline_allowed);
        let minute = 60_000i64;
        let now_ms = || domain::Clock::now(h.clock.as_ref()).timestamp_millis();
        let w0 = h.wallet(&h.kiosk).await;
        // Taken just now (the centre answered the kiosk), pushed at once.
        a.t_ms = now_ms() - 1000;
        a.pay(&cat, &[line("MOBILE-RECHARGE", "9829012345", 199_00)]);
        let r = h.push(&a, &a.rest(0)).await.unwrap();
        let (_, no) = accepted(&r.outcomes[0].outcome);
        assert!(no.starts_with("EM"));
        assert_eq!(h.wallet(&h.kiosk).await, w0 - 199_00);

        // Taken, then the link went: it reaches the centre eleven minutes
        // later. The recharge is refused (no money taken); a bill taken at
        // the same time offline, behind it in the queue, still goes.
        a.t_ms = now_ms() - 1000;
        a.pay(&cat, &[line("MOBILE-RECHARGE", "9829012346", 99_00)]);
        a.pay(&cat, &[line("JVVNL-BILL", "210000000501", 100_00)]);
        h.clock.advance(chrono::Duration::minutes(11));
        let r = h.push(&a, &a.rest(1)).await.unwrap();
        assert_eq!(r.high_water, 3);
        assert_eq!(
            rejected(&r.outcomes[0].outcome),
            codes::SERVICE_ONLINE_ONLY_LATE
        );
        accepted(&r.outcomes[1].outcome);
        assert_eq!(h.wallet(&h.kiosk).await, w0 - 199_00 - 100_00);
        // Recorded: a replay says the same, and moves no money.
        let again = h.push(&a, &a.batch(2, 2)).await.unwrap();
        assert_eq!(again.outcomes[0], r.outcomes[0]);
        assert_eq!(h.wallet(&h.kiosk).await, w0 - 199_00 - 100_00);

        // At the edge of the window it is still fresh.
        a.t_ms = now_ms() - 1000;
        a.pay(&cat, &[line("MOBILE-RECHARGE", "9829012347", 50_00)]);
        h.clock
            .advance(chrono::Duration::milliseconds(ONLINE_ONLY_MAX_AGE_MS));
        accepted(&h.push(&a, &a.rest(3)).await.unwrap().outcomes[0].outcome);

        // The age is by the centre's clock, which the kiosk dates its
        // entries by: a kiosk clock two hours slow (and knowing it) taking
        // one now is fresh...
        a.t_ms = now_ms() - 1000;
        a.clock_offset_ms = Some(120 * minute);
        a.pay(&cat, &[line("MOBILE-RECHARGE", "9829012348", 10_00)]);
        accepted(&h.push(&a, &a.rest(4)).await.unwrap().outcomes[0].outcome);
        // ...and one two hours fast that took it eleven minutes ago is late.
        a.t_ms = now_ms() - 11 * minute - 1000;
        a.clock_offset_ms = Some(-120 * minute);
        a.pay(&cat, &[line("MOBILE-RECHARGE", "9829012349", 10_00)]);
        assert_eq!(
            rejected(&h.push(&a, &a.rest(5)).await.unwrap().outcomes[0].outcome),
            codes::SERVICE_ONLINE_ONLY_LATE
        );
        assert_eq!(
            h.wallet(&h.kiosk).await,
            w0 - 199_00 - 100_00 - 50_00 - 10_00
        );
        h.finish().await;
    }
);
