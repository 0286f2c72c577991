//! The kiosk's sync client.
//!
//! One [`engine::Engine`] per device database drains the outbox to the
//! centre (`POST /v1/sync/push`, contiguous batches sized to the measured
//! link, progress committed per batch) and applies what the centre sends
//! back (`POST /v1/sync/pull`: outcomes, wallet and exposure, catalogue,
//! notices). Failures are retried with capped exponential backoff and full
//! jitter; while the link is down overlapping probes (`GET /healthz`) watch
//! for it to heal, and the queue is pushed as soon as one answers. A
//! [`lock::SyncLock`] keeps one loop per database across processes; the
//! device's ed25519 key stays in the OS keyring ([`keys`]).
//!
//! ## Money safety
//! - Progress is the outbox rows themselves: an entry with no outcome is
//!   unsent. A push starts at the first unsent seq; the answer's outcomes
//!   are stored in one transaction per batch. A drop or a kill -9 never
//!   restarts from zero and never skips an entry.
//! - A request whose answer never came is sent again unchanged; the centre
//!   answers replays with the outcome it recorded the first time.
//! - A rejected entry is answered like any other, so the queue moves past
//!   it; the receipt is flagged for reconciliation by the core.
//! - Retrying never waits for a new write: the loop retries on its own,
//!   probes while offline, and also reacts at once to a new entry (a nudge
//!   in-process; across processes, the outbox's last seq is polled every
//!   250 ms).
//! - A batch the centre refuses as too large (HTTP 413) is halved, down to
//!   one entry.
//!
//! ## Proof
//! - `tests/sim.rs`: seeded deterministic simulation (fake clock, the real
//!   kiosk store and the real centre store on SQLite, a network that drops,
//!   duplicates, reorders and refuses big bodies, kiosk crashes, centre
//!   restarts, a 10-minute outage at the end); 240 seeds by default,
//!   `SOAK=1` 10,000; `SIM_SEED=N` replays one seed exactly.
//! - `tests/kill.rs`: kill -9 of the real `kiosk-sync` process before send,
//!   mid-request, after the centre committed and during the ack write, plus
//!   kills from outside at random instants; 40 kills by default, `SOAK=1`
//!   240 (`KILLS=N` to choose).
//! - `tests/centre_truth.rs`: the centre's balance with each batch, a
//!   centre restored from a backup (re-sent at once, its numbers taken,
//!   ledger fetched again), warnings kept, a broken local chain, a wrong PC
//!   clock, the status codes, resets between good batches.
//! - `tests/restore_process.rs`: a real `kiosk-server` restored from a real
//!   backup (SQLite `VACUUM INTO` + file copy; `pg_dump` / `pg_restore`)
//!   under a running `kiosk-sync watch`. The simulation also restores its
//!   centre from snapshots and runs kiosks whose PC clock is 90 days ahead
//!   or 2 days behind. See `docs/sync.md`.
//! - `tests/e2e.rs`, `tests/cli.rs`: the real centre over HTTP through the
//!   `linkfault` proxy; single flight across processes; the private key
//!   never on disk.
//!
//! Soak: `SOAK=1 cargo nextest run -p kiosk-sync --test sim --test kill`.
//!
//! ## Benchmarks (`scripts/bench NAME`)
//! `wire` (bytes per synced payment at the proxy, batch 50, warm
//! connection), `drain` (1,000 payments through `2g-rural`, then through
//! `2g-harsh` by the long-running loop and by fresh processes), `heal` (link
//! back → first successful push). They live in the `sync-bench` crate, out
//! of what ships; they start a real `kiosk-server` process (built on first
//! use) and measure through the `linkfault` proxy.
//!
//! ## Test knobs
//! `KIOSK_CRASH_AT` / `KIOSK_CRASH_NTH` / `KIOSK_CRASH_WINDOW_MS` ([`crash`])
//! and `KIOSK_SYNC_MAX_BATCH` are read only by a build with the
//! `test-knobs` feature, which only this crate's tests enable.
//!
//! ## Keys on Linux
//! The key is kept in the Secret Service (gnome-keyring, KWallet, ...) on
//! the session D-Bus, which keeps it across restarts, with the kernel
//! keyring (keyutils) as a cache in front of it: after a restart the first
//! read finds the key in the Secret Service and fills the cache again.
//! Which store is used is decided once per process ([`keys::key_store`]):
//! when no Secret Service answers (a headless box with no session bus, CI)
//! the key goes to the kernel keyring alone, which a restart empties, and
//! `sync status`, `sync now`/`watch` and `sync register` print the warning
//! `keys.not_persistent` (`--json status` lists it under `warnings`): such a
//! kiosk must register again after every restart. For a kiosk service, run
//! it in a session whose keyring is unlocked at start (e.g.
//! `echo -n "$PW" | gnome-keyring-daemon --unlock --components=secrets`
//! under `dbus-run-session`). A key stored while no Secret Service answered
//! stays in the kernel keyring only, also after one appears. Windows and
//! macOS keep the key in their persistent stores. A process with no session
//! keyring of its own joins the named one `emitra-kiosk`, shared by every
//! kiosk process of the user. `tests/keyring_persistent.rs` proves the key
//! outlives the kernel keyring against a real gnome-keyring.
//!
//! The CLI (`sync now | status | watch | register`) is [`cli`]; the
//! link-fault harness is the `linkfault` crate.

pub mod alerts;
pub mod backoff;
pub mod cli;
pub mod crash;
pub mod engine;
pub mod error;
pub mod keys;
pub mod lock;
pub mod readmit;
pub mod register;
pub mod status;
pub mod transport;

pub use engine::{Engine, PullReport, PushReport, SyncConfig, SyncHandle, SyncReport};
pub use error::{Result, SyncError};
pub use status::SyncStatus;
pub use transport::{HttpTransport, Transport};
