//! Wire types shared by kiosk and server.
//!
//! The outbox entry and its **canonical encoding** live here because both
//! sides must compute the same hash chain: `hash = SHA-256(prev_hash ‖
//! canonical(entry))`. The canonical encoding is `postcard` (deterministic:
//! fixed field order, varints, UUIDs as 16 raw bytes) of [`Entry`].

pub mod entry;

pub use entry::{
    CancelPayload, ENTRY_FORMAT_VERSION, Entry, EntryKind, GENESIS_HASH, Hash32, PaymentPayload,
    chain_hash, verify_chain,
};
