//! Wire types shared by kiosk and server.
//!
//! The outbox entry and its **canonical encoding** live here because both
//! sides must compute the same hash chain: `hash = SHA-256(prev_hash ‖
//! canonical(entry))`. The canonical encoding is `postcard` (deterministic:
//! fixed field order, varints, UUIDs as 16 raw bytes) of [`Entry`].
//!
//! # Sync API v1 (see [`wire`])
//!
//! * `POST /v1/sync/push` — body [`PushRequest`], answer [`PushResponse`].
//!   A contiguous run of one device's outbox starting at any seq up to the
//!   server's high-water mark + 1. Entries the server already holds get their
//!   recorded outcome back (forever); new ones are applied in seq order in
//!   one database transaction. The chain hash does not travel per entry: the
//!   server recomputes `chain_hash` from its stored hash and compares the
//!   batch's `last_hash`. A gap answers 409 `sync.gap`, a chain mismatch 409
//!   `sync.chain_mismatch` (and raises a tamper alert); both carry
//!   `expected_seq`.
//! * `POST /v1/sync/pull` — body [`PullRequest`] (a [`Cursor`]), answer
//!   [`PullResponse`]: wallet balance, exposure, catalogue when newer,
//!   ledger lines, outcomes, notices and the helpdesk's replies to the
//!   kiosk's tickets ([`TicketReply`], cursor `tickets_after`) after the
//!   cursor, and the kiosk's users ([`KioskUser`]) when their list differs
//!   from the one the cursor's `users_digest` names ([`users`]).
//!   (`tickets_after`, `ticket_replies`, `users_digest`, `users`,
//!   `refills_after`, `refills` and `wallet_terms` came later under the
//!   same version with serde defaults, as `settled_after` did: the kiosk's
//!   stored cursor without them still reads. In postcard both sides must
//!   know the fields, so kiosk and centre are updated together.)
//!
//! Sync bodies are `zstd(postcard(message))`, or raw, `0x00 ‖
//! postcard(message)`, when zstd would not make it smaller (one payment:
//! ids and hashes do not compress, and the frame costs a dozen bytes); the
//! first bytes tell them apart (zstd's magic number, or the zero), anything
//! else is `protocol.malformed`, and a centre answers raw only to a request
//! that came raw. Content type [`wire::SYNC_CONTENT_TYPE`]
//! (answers; requests need none); every message starts with `version: u16`
//! ([`PROTOCOL_VERSION`]). Errors are JSON [`ApiError`] `{code, message,
//! expected_seq?}` with the stable codes of [`codes`].
//!
//! ## Signature scheme
//!
//! Sync requests carry no bearer token. Two small headers:
//! `x-device: <device uuid>` and `x-sig: <base64url(ed25519 signature)>`
//! (86 characters). The signature is over [`wire::signing_message`]:
//! `"KSIG1" 0x00 ‖ device_id (16 raw bytes) ‖ METHOD 0x00 ‖ path 0x00 ‖ body`
//! (the path with its query string exactly as sent, e.g.
//! `/v1/reconcile/txn?receipt_no=EM0000000042`; the body empty for a GET)
//! with the device key whose public half was recorded when the device was
//! registered. A replayed signed push is harmless (pushes are idempotent);
//! TLS keeps pulls from being read or replayed by others. Never send a push
//! in TLS 0-RTT early data.
//!
//! ## Encoding, chosen by measurement
//!
//! Bytes per bill-payment entry in a push body (the sample payment of
//! `tests/encoding_size.rs`: one bill, mobile contact, wallet mode; run
//! `cargo test -p protocol --test encoding_size -- --nocapture`):
//!
//! | encoding          | batch 1 | batch 50 | batch 200 |
//! |-------------------|--------:|---------:|----------:|
//! | JSON              |     700 |      548 |       546 |
//! | JSON + gzip       |     411 |       83 |        77 |
//! | JSON + zstd       |     419 |       70 |        65 |
//! | postcard          |     178 |      143 |       142 |
//! | postcard + zstd   |     146 |       56 |        55 |
//!
//! (JSON carries the payment as an object, with the kiosk-made UUIDs as
//! strings, as a JSON API would.) **Choice: postcard + zstd (level 3).** It
//! is the smallest at every batch size that matters, needs no schema
//! compiler, and postcard is already the canonical encoding of the chain.
//! On the wire (the server's `bytes_on_the_wire_per_transaction` test: 50
//! payments, HTTP/1.1, the two signature headers, no bearer token): request
//! 2,638 B (body 2,419), answer 395 B (body 278: status, txn id varint and a
//! receipt number zstd folds into the previous one) — **61 bytes per synced
//! payment**, against the goal of 100.

pub mod entry;
pub mod json;
pub mod refills;
pub mod users;
pub mod wire;

pub use entry::{
    CancelPayload, ENTRY_FORMAT_VERSION, Entry, EntryKind, GENESIS_HASH, Hash32, PaymentPayload,
    chain_hash, verify_chain,
};
pub use users::{KioskUser, UserChange, UserChangePayload, users_digest};
pub use wire::{
    ApiError, Cursor, EntryOutcome, Exposure, KioskHealth, LedgerLine, Notice, Outcome,
    PROTOCOL_VERSION, PullRequest, PullResponse, PushRequest, PushResponse, ReadmitRequest,
    TICKET_CATEGORIES, TicketPayload, TicketReply, WireEntry, WireError, codes, decode_body,
    encode_body, encode_body_compact, encode_body_raw, is_compressed,
};
