//! The rules of the trade, free of I/O and of clock reads (the clock is
//! injected through [`clock::Clock`]), so kiosk and server share them.

pub mod cart;
pub mod catalogue;
pub mod clock;
pub mod dues;
pub mod error;
pub mod ids;
pub mod money;
pub mod rules;
pub mod text;

pub use cart::{Cart, CartLine, CartTotals, PaymentMode};
pub use catalogue::{Catalogue, ChequePayee, Department, Service};
pub use clock::{Clock, FixedClock, SystemClock};
pub use error::{DomainError, ErrorCode};
pub use ids::{DeviceNo, KioskCode, LOGIN_MAX, ReceiptNo, Role, login_ok, new_id};
pub use money::Paise;
pub use rules::{ChequeDetails, Contact, Email, Mobile};
