//! The kiosk's service layer: everything the desktop app does, with no
//! Tauri in it, so the same code runs under the app, the CLI and the tests.
//!
//! - [`Service`] owns one open kiosk: the counter's database connection,
//!   the sync engine's loop, the print worker and the status streams
//!   (sync, wallet, printer, operator), pushed as [`api::Event`]s.
//! - [`api`] declares every command (`{cmd, args}` → result) and event
//!   once; [`bindings`] writes their TypeScript types for the UI (a test
//!   fails when the committed ones are stale).
//! - [`counter`] is the cart and Pay shared with `kioskctl`; [`printing`]
//!   the receipt print after a payment and the preview from the printer's
//!   own bytes; [`auth`] operator login, online and offline; `printers`
//!   the printer set-up (receipt and report printer, test page, retries);
//!   [`tickets`] helpdesk tickets and the support bundle; [`users`] the
//!   kiosk's users and the holder's changes to them; [`account`] a
//!   forgotten password and de-registering this PC; [`refills`] the
//!   wallet's refill requests and the security deposit's dues.
//! - Every refusal is an [`AppError`] with a stable code; [`codes`] lists
//!   every code the UI may receive, so its translations can be checked.

pub mod account;
pub mod api;
pub mod auth;
pub mod bindings;
pub mod centre;
pub mod codes;
pub mod counter;
mod error;
pub mod office;
mod printers;
pub mod printing;
pub mod refills;
mod service;
pub mod tickets;
pub mod users;
mod views;

pub use domain::ErrorCode;
pub use error::{AppError, Result};
pub use service::{CONFIG_FILE, DB_FILE, EventSink, FileConfig, Service, ServiceConfig};

/// Call first thing in `main`, before any thread starts. On Linux the
/// kernel keyring that caches the device key is per thread: joined here,
/// every thread of the process (the async runtime's workers, the sync
/// loop) inherits the same one and finds the key the registration stored.
pub fn prepare_process() {
    kiosk_sync::keys::join_named_session_keyring_if_none();
}
