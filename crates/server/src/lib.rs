//! The central server: the authority for wallets, the catalogue and final
//! receipts. See `protocol` for the sync wire format and `api` for the HTTP
//! API; `store` holds the logic over PostgreSQL or SQLite (`db`).

pub mod api;
pub mod app;
pub mod auth;
pub mod biller;
pub mod db;
pub mod notify;
pub mod store;
pub mod sync;
