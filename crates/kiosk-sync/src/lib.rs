//! The kiosk's sync client.
//!
//! One [`engine::Engine`] per device database drains the outbox to the
//! centre (`POST /v1/sync/push`, contiguous batches sized to the measured
//! link, progress committed per batch) and applies what the centre sends
//! back (`POST /v1/sync/pull`: outcomes, wallet and exposure, catalogue,
//! notices). Failures are retried with capped exponential backoff and full
//! jitter; while the link is down overlapping probes watch for it to heal.
//! A [`lock::SyncLock`] keeps one loop per database across processes; the
//! device's ed25519 key stays in the OS keyring ([`keys`]).
//!
//! The CLI (`sync now | status | watch | key`) is [`cli`]; the link-fault
//! harness used by the tests and benchmarks is the `linkfault` crate.

pub mod backoff;
pub mod benchkit;
pub mod cli;
pub mod crash;
pub mod engine;
pub mod error;
pub mod keys;
pub mod lock;
pub mod register;
pub mod status;
pub mod transport;

pub use engine::{Engine, PullReport, PushReport, SyncConfig, SyncHandle, SyncReport};
pub use error::{Result, SyncError};
pub use status::SyncStatus;
pub use transport::{HttpTransport, Transport};
