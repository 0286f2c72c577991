//! Tickets: a problem raised with the helpdesk from the counter. Raising one
//! writes the local `tickets` row and a `ticket` outbox entry in one
//! transaction (as a cancellation does), so it waits offline like any entry
//! and reaches the centre exactly once. The centre's replies come back on
//! the pull ([`protocol::TicketReply`]) and are kept here for the list.
//!
//! The rules, checked before anything is written (a refusal stores
//! nothing):
//! - the category is one of [`protocol::TICKET_CATEGORIES`]
//!   (`ticket.category_unknown`);
//! - the description is free text under the domain's rules
//!   ([`domain::text::clean_text`], line by line: it may have several
//!   lines, but no other control character, no direction-changing
//!   character, nothing invisible-only), required
//!   (`ticket.description_required`) and at most
//!   [`protocol::wire::TICKET_DESCRIPTION_MAX_CHARS`] characters
//!   (`ticket.description_too_long`);
//! - a receipt, when given, is one this kiosk holds, by its local or final
//!   number (`receipt.not_found`);
//! - an attachment is at most [`protocol::wire::TICKET_ATTACHMENT_MAX_BYTES`]
//!   (`ticket.attachment_too_large`): the caller caps it first.

use crate::pay::{append_entry, check_operator};
use crate::{CoreError, Kiosk, Result};
use chrono::{DateTime, Utc};
use domain::Clock as _;
use kiosk_store::rusqlite::{OptionalExtension, params};
use kiosk_store::{parse_ts, ts};
use protocol::wire::{
    MAX_PAYLOAD_BYTES, TICKET_ATTACHMENT_MAX_BYTES, TICKET_DESCRIPTION_MAX_CHARS,
};
use protocol::{EntryKind, TICKET_CATEGORIES, TicketPayload, TicketReply};
use serde::Serialize;
use uuid::Uuid;

/// Characters of the description's first line used as the subject.
const SUBJECT_MAX_CHARS: usize = 120;
/// Most characters of a reply kept (the centre sends at most 1,000).
const REPLY_MAX_CHARS: usize = 2000;

/// A ticket as the operator typed it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TicketInput {
    pub category: String,
    pub description: String,
    /// Local or final receipt number (or the receipt's id).
    pub receipt: Option<String>,
    /// The support bundle, already made and capped by the caller.
    pub attachment: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RaisedTicket {
    pub id: Uuid,
    pub outbox_seq: u64,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TicketReplyRecord {
    pub id: i64,
    pub status: String,
    pub text: String,
    pub at: DateTime<Utc>,
}

/// One ticket for the list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TicketRecord {
    pub id: Uuid,
    pub category: String,
    pub subject: String,
    pub description: String,
    pub receipt_no: Option<String>,
    pub raised_by: String,
    pub created_at: DateTime<Utc>,
    pub attachment_bytes: i64,
    /// `queued` (not at the centre yet), `rejected` (the centre refused the
    /// entry; `reject_code` says why), or the centre's status: `open`,
    /// `in_progress`, `resolved`, `closed`.
    pub state: String,
    pub reject_code: Option<String>,
    pub outbox_seq: u64,
    /// Oldest first.
    pub replies: Vec<TicketReplyRecord>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct TicketRepliesApplied {
    /// Replies stored (new, or replacing the same id).
    pub stored: usize,
    /// Replies to tickets this database does not hold (raised on another
    /// device of the kiosk, or at the centre): not kept.
    pub skipped: usize,
}

/// Cleans a description: each line by the domain's free-text rule, CR LF
/// read as LF, tabs as spaces, blank lines at either end dropped.
fn clean_description(s: &str) -> Result<String> {
    let s = s.replace("\r\n", "\n").replace('\t', " ");
    let mut lines = Vec::new();
    for line in s.split('\n') {
        // The length is checked on the whole text below.
        lines.push(domain::error::clean_text(
            "ticket_description",
            line,
            usize::MAX,
        )?);
    }
    let text = lines.join("\n").trim_matches('\n').to_string();
    if text.is_empty() {
        return Err(CoreError::TicketDescriptionRequired);
    }
    let n = text.chars().count();
    if n > TICKET_DESCRIPTION_MAX_CHARS {
        return Err(CoreError::TicketDescriptionTooLong {
            chars: n,
            max: TICKET_DESCRIPTION_MAX_CHARS,
        });
    }
    Ok(text)
}

/// The first line, cut to [`SUBJECT_MAX_CHARS`].
fn subject_of(description: &str) -> String {
    let first = description
        .lines()
        .find(|l| !l.is_empty())
        .unwrap_or_default();
    let cut: String = first.chars().take(SUBJECT_MAX_CHARS).collect();
    cut.trim_end().to_string()
}

/// A reply's text as the kiosk keeps it: lines without control or
/// direction-changing characters, at most [`REPLY_MAX_CHARS`].
fn clean_reply(s: &str) -> String {
    let lines: Vec<String> = s
        .replace("\r\n", "\n")
        .split('\n')
        .map(|l| domain::text::sanitize_text(l, REPLY_MAX_CHARS))
        .collect();
    let t = lines.join("\n");
    t.trim_matches('\n').chars().take(REPLY_MAX_CHARS).collect()
}

fn clean_status(s: &str) -> String {
    let t: String = s
        .to_ascii_lowercase()
        .chars()
        .filter(|c| c.is_ascii_lowercase() || *c == '_')
        .take(20)
        .collect();
    if t.is_empty() { "open".into() } else { t }
}

impl Kiosk {
    /// Raises a ticket: see the module docs for the rules.
    pub fn raise_ticket(&mut self, operator: &str, input: &TicketInput) -> Result<RaisedTicket> {
        let category = input.category.trim();
        if !TICKET_CATEGORIES.contains(&category) {
            return Err(CoreError::TicketCategoryUnknown(
                category.chars().take(32).collect(),
            ));
        }
        let description = clean_description(&input.description)?;
        let subject = subject_of(&description);
        let receipt_key = input
            .receipt
            .as_deref()
            .map(str::trim)
            .filter(|r| !r.is_empty())
            .map(str::to_string);
        if let Some(a) = &input.attachment
            && a.len() > TICKET_ATTACHMENT_MAX_BYTES
        {
            return Err(CoreError::TicketAttachmentTooLarge {
                bytes: a.len(),
                max: TICKET_ATTACHMENT_MAX_BYTES,
            });
        }
        let now = self.now();
        let device_id = self.identity.device_id;
        let ticket_id = domain::new_id(self.clock.as_ref());
        let entry_id = domain::new_id(self.clock.as_ref());
        let attachment = input.attachment.clone();
        let category = category.to_string();
        self.store.write(|tx| -> Result<RaisedTicket> {
            check_operator(tx, operator)?;
            let receipt: Option<(String, String)> = match &receipt_key {
                None => None,
                Some(key) => {
                    let row: Option<(String, String, Option<String>)> = tx
                        .query_row(
                            "SELECT id, receipt_no, final_receipt_no FROM receipts
                              WHERE receipt_no = ?1 OR final_receipt_no = ?1 OR id = ?1
                              ORDER BY receipt_no = ?1 DESC LIMIT 1",
                            [key],
                            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                        )
                        .optional()?;
                    let Some((id, local, fin)) = row else {
                        return Err(CoreError::ReceiptNotFound(key.chars().take(40).collect()));
                    };
                    // The centre knows its own number best.
                    Some((id, fin.unwrap_or(local)))
                }
            };
            let payload = TicketPayload {
                ticket_id,
                raised_by: operator.to_string(),
                subject: subject.clone(),
                body: description.clone(),
                category: category.clone(),
                receipt_no: receipt.as_ref().map(|r| r.1.clone()),
                attachment: attachment.clone(),
            }
            .encode();
            if payload.len() > MAX_PAYLOAD_BYTES {
                return Err(CoreError::TicketAttachmentTooLarge {
                    bytes: payload.len(),
                    max: MAX_PAYLOAD_BYTES,
                });
            }
            let (seq, _) = append_entry(
                tx,
                device_id,
                entry_id,
                EntryKind::Ticket,
                payload,
                now,
                None,
            )?;
            tx.execute(
                "INSERT INTO tickets (id, entry_id, category, subject, description, receipt_id, receipt_no,
                                      raised_by, attachment_bytes, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                params![
                    ticket_id.to_string(),
                    entry_id.to_string(),
                    category,
                    subject,
                    description,
                    receipt.as_ref().map(|r| r.0.clone()),
                    receipt.as_ref().map(|r| r.1.clone()),
                    operator,
                    attachment.as_ref().map_or(0, |a| a.len() as i64),
                    ts(now)
                ],
            )?;
            Ok(RaisedTicket {
                id: ticket_id,
                outbox_seq: seq,
                created_at: now,
            })
        })
    }

    /// The latest `limit` tickets, newest first, with their replies.
    pub fn tickets(&self, limit: u32) -> Result<Vec<TicketRecord>> {
        let c = self.store.conn();
        let mut stmt = c.prepare(
            "SELECT t.id, t.category, t.subject, t.description, t.receipt_no, t.raised_by, t.created_at,
                    t.attachment_bytes, t.status, o.outcome, o.outcome_code, o.seq
               FROM tickets t JOIN outbox o ON o.id = t.entry_id
              ORDER BY t.created_at DESC, t.id DESC LIMIT ?1",
        )?;
        let rows = stmt
            .query_map([limit.clamp(1, 1000)], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, Option<String>>(4)?,
                    r.get::<_, String>(5)?,
                    r.get::<_, String>(6)?,
                    r.get::<_, i64>(7)?,
                    r.get::<_, String>(8)?,
                    r.get::<_, Option<String>>(9)?,
                    r.get::<_, Option<String>>(10)?,
                    r.get::<_, u64>(11)?,
                ))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        let mut replies = c.prepare(
            "SELECT id, status, text, at FROM ticket_replies WHERE ticket_id = ?1 ORDER BY id",
        )?;
        let mut out = Vec::with_capacity(rows.len());
        for (
            id,
            category,
            subject,
            description,
            receipt_no,
            raised_by,
            created,
            bytes,
            status,
            outcome,
            code,
            seq,
        ) in rows
        {
            let rs = replies
                .query_map([&id], |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, String>(3)?,
                    ))
                })?
                .collect::<Result<Vec<_>, _>>()?
                .into_iter()
                .map(|(rid, st, text, at)| {
                    Ok(TicketReplyRecord {
                        id: rid,
                        status: st,
                        text,
                        at: parse_ts(&at)?,
                    })
                })
                .collect::<Result<Vec<_>>>()?;
            let state = match outcome.as_deref() {
                None => "queued".to_string(),
                Some("rejected") => "rejected".to_string(),
                Some(_) => status,
            };
            out.push(TicketRecord {
                id: id
                    .parse()
                    .map_err(|_| kiosk_store::StoreError::Invalid(format!("ticket id {id:?}")))?,
                category,
                subject,
                description,
                receipt_no,
                raised_by,
                created_at: parse_ts(&created)?,
                attachment_bytes: bytes,
                state,
                reject_code: code.filter(|_| outcome.as_deref() == Some("rejected")),
                outbox_seq: seq,
                replies: rs,
            });
        }
        Ok(out)
    }

    /// Stores the centre's replies (once each; a reply id delivered again
    /// replaces the one held, the centre being the truth) and moves each
    /// ticket's status to its latest reply's, in one transaction. Replies to
    /// tickets this database does not hold are skipped.
    pub fn record_ticket_replies(
        &mut self,
        replies: &[TicketReply],
    ) -> Result<TicketRepliesApplied> {
        let now = ts(self.clock.now());
        self.store.write(|tx| -> Result<TicketRepliesApplied> {
            let mut applied = TicketRepliesApplied::default();
            for r in replies {
                let Some(at) = DateTime::<Utc>::from_timestamp_millis(r.at_ms) else {
                    applied.skipped += 1;
                    continue;
                };
                let known: bool = tx.query_row(
                    "SELECT EXISTS (SELECT 1 FROM tickets WHERE id = ?1)",
                    [r.ticket_id.to_string()],
                    |x| x.get(0),
                )?;
                if r.id <= 0 || !known {
                    applied.skipped += 1;
                    continue;
                }
                let status = clean_status(&r.status);
                tx.execute(
                    "INSERT INTO ticket_replies (id, ticket_id, status, text, at, received_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                     ON CONFLICT (id) DO UPDATE SET ticket_id = excluded.ticket_id,
                        status = excluded.status, text = excluded.text, at = excluded.at,
                        received_at = excluded.received_at",
                    params![
                        r.id,
                        r.ticket_id.to_string(),
                        status,
                        clean_reply(&r.text),
                        ts(at),
                        now
                    ],
                )?;
                tx.execute(
                    "UPDATE tickets SET updated_at = ?2,
                            status = (SELECT status FROM ticket_replies WHERE ticket_id = ?1 ORDER BY id DESC LIMIT 1)
                      WHERE id = ?1",
                    params![r.ticket_id.to_string(), now],
                )?;
                applied.stored += 1;
            }
            Ok(applied)
        })
    }

    /// Ticket counts by state, for the support bundle: (queued, at the
    /// centre, refused).
    pub fn ticket_counts(&self) -> Result<(i64, i64, i64)> {
        let c = self.store.conn();
        let r = c
            .query_row(
                "SELECT COALESCE(SUM(o.outcome IS NULL), 0), COALESCE(SUM(o.outcome IN ('accepted', 'pending')), 0),
                        COALESCE(SUM(o.outcome = 'rejected'), 0)
                   FROM tickets t JOIN outbox o ON o.id = t.entry_id",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        Ok(r.unwrap_or((0, 0, 0)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptions_keep_their_lines_and_lose_what_the_rule_strips() {
        assert_eq!(
            clean_description("  Printer\r\n\tprints  garbage\u{200B}\n\n").unwrap(),
            "Printer\nprints  garbage"
        );
        assert!(matches!(
            clean_description(" \n \n"),
            Err(CoreError::TicketDescriptionRequired)
        ));
        assert_eq!(subject_of("\nfirst line\nsecond"), "first line");
        let long = "क".repeat(SUBJECT_MAX_CHARS + 5);
        assert_eq!(subject_of(&long).chars().count(), SUBJECT_MAX_CHARS);
    }

    #[test]
    fn replies_are_cleaned_not_refused() {
        assert_eq!(clean_reply("ok\u{202E}\r\nnext\u{7}"), "ok\nnext");
        assert_eq!(clean_status("Resolved!"), "resolved");
        assert_eq!(clean_status(""), "open");
    }
}
