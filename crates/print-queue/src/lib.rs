//! The persistent print queue. Jobs live in the kiosk database's
//! `print_jobs` table with their rendered bytes, so a job survives a power
//! cut, a printer that is off, out of paper or unplugged mid-job: it stays
//! queued, is retried with backoff, can be cancelled, and a failed print can
//! be retried from its receipt. A worker thread with its own database
//! connection does the printing, so the counter never waits for a printer.

pub mod cli;
mod error;
pub mod jobs;
pub mod setup;
pub mod view;
pub mod worker;

pub use error::QueueError;
pub use jobs::{Job, JobKind, JobState, PrinterChoice};
pub use worker::{JobEvent, Worker, WorkerOptions};
