//! Tickets through the outbox: one entry and one row per ticket, in one
//! transaction; every bad input refused with its code and nothing stored;
//! the centre's answer and replies shown on the list.

mod common;

use common::*;
use domain::ErrorCode;
use kiosk_core::{Kiosk, Outcome, TicketInput};
use protocol::{EntryKind, TicketPayload, TicketReply};
use uuid::Uuid;

fn input(category: &str, description: &str, receipt: Option<&str>) -> TicketInput {
    TicketInput {
        category: category.into(),
        description: description.into(),
        receipt: receipt.map(str::to_string),
        attachment: None,
    }
}

/// Everything a refused call must leave as it was.
fn state(k: &Kiosk) -> (Vec<(&'static str, i64)>, String, i64, i64, String) {
    let tickets = k.store().count("tickets").unwrap();
    let replies = k.store().count("ticket_replies").unwrap();
    let rows: String = k
        .store()
        .conn()
        .query_row(
            "SELECT COALESCE(group_concat(id || ':' || status, ','), '') FROM tickets",
            [],
            |r| r.get(0),
        )
        .unwrap();
    (counts(k), fingerprint(k), tickets, replies, rows)
}

fn code<T: std::fmt::Debug>(r: kiosk_core::Result<T>) -> String {
    r.expect_err("refused").code().to_string()
}

#[test]
fn a_ticket_is_one_entry_and_one_row_and_shows_the_centres_answer_and_replies() {
    let mut f = fixture();
    let k = &mut f.kiosk;
    let paid = pay(k, "JVVNL-BILL", "210100000001", 500);
    let t = k
        .raise_ticket(
            "op1",
            &TicketInput {
                attachment: Some(r#"{"bundle":"kiosk-support/1"}"#.into()),
                ..input(
                    "receipt",
                    "  Receipt printed twice\r\n\tthe citizen has both copies\u{200B}\n\n",
                    Some(&paid.receipt_no),
                )
            },
        )
        .unwrap();
    assert_eq!(t.outbox_seq, 2);
    let out = k.outbox_from(2, 10).unwrap();
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].entry.kind, EntryKind::Ticket);
    // Not tied to the receipt's row: a ticket's answer never touches it.
    assert_eq!(out[0].receipt_id, None);
    let p = TicketPayload::decode(&out[0].entry.payload).unwrap();
    assert_eq!(p.ticket_id, t.id);
    assert_eq!(p.raised_by, "op1");
    assert_eq!(p.category, "receipt");
    assert_eq!(p.subject, "Receipt printed twice");
    assert_eq!(p.body, "Receipt printed twice\nthe citizen has both copies");
    assert_eq!(p.receipt_no.as_deref(), Some(paid.receipt_no.as_str()));
    assert_eq!(
        p.attachment.as_deref(),
        Some(r#"{"bundle":"kiosk-support/1"}"#)
    );
    k.verify_chain().unwrap();

    let list = k.tickets(50).unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].state, "queued");
    assert_eq!(
        list[0].receipt_no.as_deref(),
        Some(paid.receipt_no.as_str())
    );
    assert_eq!(list[0].attachment_bytes, 28);
    assert!(list[0].replies.is_empty());
    assert_eq!(k.ticket_counts().unwrap(), (1, 0, 0));

    // The centre accepts the entry: the ticket is open there.
    k.record_outcome(
        2,
        &Outcome::Accepted {
            server_txn_id: "77".into(),
            final_receipt_no: None,
        },
    )
    .unwrap();
    assert_eq!(k.tickets(50).unwrap()[0].state, "open");
    assert_eq!(k.ticket_counts().unwrap(), (0, 1, 0));
    // The receipt kept its state.
    assert_eq!(
        k.receipt(&paid.receipt_no).unwrap().summary.status,
        "provisional"
    );

    // Replies: stored once, the latest sets the status; a reply to a
    // ticket this database does not hold is skipped; control and
    // direction characters are cleaned, not refused.
    let reply = |id: i64, ticket: Uuid, status: &str, text: &str| TicketReply {
        id,
        ticket_id: ticket,
        status: status.into(),
        text: text.into(),
        at_ms: 1_764_000_000_000 + id,
    };
    let applied = k
        .record_ticket_replies(&[
            reply(5, t.id, "in_progress", "Looking into it"),
            reply(6, Uuid::from_u128(99), "open", "not ours"),
            reply(
                7,
                t.id,
                "resolved",
                "Cancel one\u{202E} copy\r\nthen reprint\u{7}",
            ),
        ])
        .unwrap();
    assert_eq!((applied.stored, applied.skipped), (2, 1));
    let again = k
        .record_ticket_replies(&[reply(7, t.id, "resolved", "Cancel one copy\nthen reprint")])
        .unwrap();
    assert_eq!(again.stored, 1);
    let list = k.tickets(50).unwrap();
    assert_eq!(list[0].state, "resolved");
    let texts: Vec<_> = list[0].replies.iter().map(|r| r.text.as_str()).collect();
    assert_eq!(texts, ["Looking into it", "Cancel one copy\nthen reprint"]);
    assert_eq!(k.store().count("ticket_replies").unwrap(), 2);

    // By the final number too, once the centre gave one; newest first.
    k.record_outcome(
        1,
        &Outcome::Accepted {
            server_txn_id: "76".into(),
            final_receipt_no: Some("EM0000000076".into()),
        },
    )
    .unwrap();
    f.clock.advance(chrono::Duration::seconds(5));
    let t2 = f
        .kiosk
        .raise_ticket(
            "op1",
            &input("payment", "Amount wrong", Some("EM0000000076")),
        )
        .unwrap();
    let list = f.kiosk.tickets(50).unwrap();
    assert_eq!(list[0].id, t2.id);
    assert_eq!(list[0].receipt_no.as_deref(), Some("EM0000000076"));
}

#[test]
fn every_bad_ticket_has_its_code_and_stores_nothing() {
    let mut f = fixture();
    let paid = pay(&mut f.kiosk, "JVVNL-BILL", "210100000001", 500);
    f.kiosk
        .raise_ticket("op1", &input("other", "an earlier one", None))
        .unwrap();
    f.kiosk
        .add_operator("gone", "Left the kiosk", "operator")
        .unwrap();
    f.kiosk.set_operator_active("gone", false).unwrap();
    let long = "क".repeat(protocol::wire::TICKET_DESCRIPTION_MAX_CHARS + 1);
    let big = "x".repeat(protocol::wire::TICKET_ATTACHMENT_MAX_BYTES + 1);
    let cases: Vec<(&str, &str, TicketInput)> = vec![
        (
            "empty",
            "ticket.description_required",
            input("printer", "", None),
        ),
        (
            "blank lines",
            "ticket.description_required",
            input("printer", " \n\t\r\n ", None),
        ),
        (
            "too long",
            "ticket.description_too_long",
            input("printer", &long, None),
        ),
        (
            "bidi",
            "text.bidi_control",
            input("printer", "राम\u{202E}लाल", None),
        ),
        (
            "bidi mark on line 2",
            "text.bidi_control",
            input("printer", "ok\nx\u{200F}y", None),
        ),
        (
            "control",
            "text.invalid",
            input("printer", "bell\u{7}", None),
        ),
        (
            "invisible only",
            "text.invisible_only",
            input("printer", "\u{200D}\u{200C}", None),
        ),
        (
            "unknown category",
            "ticket.category_unknown",
            input("toaster", "it burns", None),
        ),
        (
            "no category",
            "ticket.category_unknown",
            input("", "it burns", None),
        ),
        (
            "upper-case category",
            "ticket.category_unknown",
            input("Printer", "it burns", None),
        ),
        (
            "unknown receipt",
            "receipt.not_found",
            input("receipt", "where is it", Some("K1001-001-0009999")),
        ),
        (
            "attachment too large",
            "ticket.attachment_too_large",
            TicketInput {
                attachment: Some(big),
                ..input("sync", "bundle", None)
            },
        ),
    ];
    for (what, want, inp) in cases {
        let before = state(&f.kiosk);
        let got = code(f.kiosk.raise_ticket("op1", &inp));
        assert_eq!(got, want, "{what}");
        assert_eq!(state(&f.kiosk), before, "{what} changed something");
    }
    let before = state(&f.kiosk);
    let ok = input("receipt", "fine", Some(&paid.receipt_no));
    assert_eq!(
        code(f.kiosk.raise_ticket("nobody", &ok)),
        "operator.unknown"
    );
    assert_eq!(code(f.kiosk.raise_ticket("gone", &ok)), "operator.inactive");
    assert_eq!(state(&f.kiosk), before);
    // A kiosk whose local chain broke writes nothing more, tickets neither.
    f.kiosk.stop_entries_at(1).unwrap();
    let before = state(&f.kiosk);
    assert_eq!(
        code(f.kiosk.raise_ticket("op1", &ok)),
        "outbox.entries_stopped"
    );
    assert_eq!(state(&f.kiosk), before);
}

#[test]
fn a_ticket_the_centre_refuses_says_why() {
    let mut f = fixture();
    let t = f
        .kiosk
        .raise_ticket("op1", &input("login", "locked out", None))
        .unwrap();
    f.kiosk
        .record_outcome(
            t.outbox_seq,
            &Outcome::Rejected {
                code: "text.invalid".into(),
                reason: "ticket subject ...".into(),
            },
        )
        .unwrap();
    let list = f.kiosk.tickets(10).unwrap();
    assert_eq!(list[0].state, "rejected");
    assert_eq!(list[0].reject_code.as_deref(), Some("text.invalid"));
    assert_eq!(f.kiosk.ticket_counts().unwrap(), (0, 0, 1));
}
