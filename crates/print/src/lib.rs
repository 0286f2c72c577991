//! Receipt printing for the kiosk: printer profiles, a small document model,
//! encoders for ESC/P (ours), ESC/POS and plain text, Devanagari as bit
//! images, PDF for laser printers, a virtual printer for previews and
//! golden tests, and the transports that carry bytes to a printer.
//!
//! This crate does no database work; the persistent queue lives in
//! `print-queue`.

pub mod doc;
pub mod error;
pub mod profile;
pub mod raster;

pub use error::{PrintError, Result};
pub use profile::{Language, Profile};
pub mod encode;
pub mod pdf;
pub mod receipt;
pub mod stream;
pub mod virtual_printer;

pub use doc::Document;
pub use receipt::{Lang, ReceiptLine, ReceiptView};
pub mod discover;
pub mod translit;
pub mod transport;
