//! The receipt printing that follows a payment (DOMAIN.md, the counter
//! flow, step 7): queued on the configured printer, sent once, and reported
//! as printed or as waiting in the queue. Nothing here can fail the
//! payment, which is committed before any of it runs.

use kiosk_core::Kiosk;
use print_queue::jobs::{self, JobState};
use print_queue::{QueueError, WorkerOptions};
use serde::Serialize;
use std::path::Path;
use std::sync::mpsc::{RecvTimeoutError, channel};
use std::thread::JoinHandle;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// The printer took the whole job.
    Printed,
    /// In the queue: not tried yet, or tried and due again later.
    Queued,
    /// Still being sent when the wait ran out.
    Printing,
    /// Could not be queued, or the printer refused it for good.
    Failed,
    /// `--no-print`.
    Skipped,
}

/// What became of the receipt's print; `pay` shows it next to the payment.
#[derive(Debug, Clone, Serialize)]
pub struct PrintOutcome {
    pub status: Status,
    pub printer: String,
    pub job: Option<String>,
    /// `receipt` (provisional) or `final`.
    pub kind: Option<String>,
    pub attempts: i64,
    pub code: Option<String>,
    pub message: Option<String>,
    /// The command that prints it later, when it did not print now.
    pub hint: Option<String>,
}

impl PrintOutcome {
    pub fn human(&self) -> String {
        let later = self
            .hint
            .as_deref()
            .map(|h| format!("; `{h}` prints it"))
            .unwrap_or_default();
        let why = match (&self.code, &self.message) {
            (Some(c), Some(m)) => format!(": {c}: {m}"),
            (Some(c), None) => format!(": {c}"),
            (None, Some(m)) => format!(": {m}"),
            (None, None) => String::new(),
        };
        match self.status {
            Status::Printed => format!("receipt printed on {}", self.printer),
            Status::Skipped => format!("receipt not printed (--no-print){later}"),
            Status::Queued if self.attempts == 0 => {
                format!("receipt queued for {}, not sent yet{later}", self.printer)
            }
            Status::Queued => format!("receipt NOT printed, kept in the print queue{why}{later}"),
            Status::Printing => format!("receipt still being sent{why}{later}"),
            Status::Failed => format!("receipt NOT printed{why}{later}"),
        }
    }
}

/// A send still under way when `pay` stopped waiting for it.
pub struct InFlight(Option<JoinHandle<()>>);

impl InFlight {
    /// Lets the send finish (the transport's own timeouts bound it), so the
    /// process never exits with its job half sent and marked `printing`.
    pub fn finish(self) {
        if let Some(h) = self.0 {
            let _ = h.join();
        }
    }
}

/// Queues the receipt on the configured printer and waits up to `wait` for
/// one attempt to send it. `None` when no printer is configured.
pub fn after_payment(
    kiosk: &mut Kiosk,
    db: &Path,
    receipt_no: &str,
    wait: Duration,
    skip: bool,
) -> (Option<PrintOutcome>, InFlight) {
    let idle = || InFlight(None);
    let printer = match jobs::configured_printer(kiosk.store().conn()) {
        Ok(Some(p)) => p,
        Ok(None) => return (None, idle()),
        Err(e) => {
            return (
                Some(failed("(unknown)", None, coded(&e), receipt_no)),
                idle(),
            );
        }
    };
    let later = |cmd: &str| Some(format!("kioskctl print {cmd} {receipt_no}"));
    let mut out = PrintOutcome {
        status: Status::Skipped,
        printer: printer.uri.clone(),
        job: None,
        kind: None,
        attempts: 0,
        code: None,
        message: None,
        hint: later("receipt"),
    };
    if skip {
        return (Some(out), idle());
    }
    let (job_id, kind) =
        match jobs::enqueue_receipt(kiosk, receipt_no, &printer, print::Lang::Bilingual) {
            Ok(x) => x,
            Err(e) => {
                return (
                    Some(failed(&printer.uri, None, coded(&e), receipt_no)),
                    idle(),
                );
            }
        };
    out.job = Some(job_id.clone());
    out.kind = Some(kind.as_str().to_string());
    out.status = Status::Queued;
    out.hint = later("retry");
    if wait.is_zero() {
        return (Some(out), idle());
    }
    // One attempt on this job only, through the worker's own claim and
    // state changes: a backlog of other receipts is not printed from here,
    // and a job another process is sending is never taken over. A
    // retryable failure leaves the job queued for `print retry` or the
    // app's worker.
    let (tx, rx) = channel();
    let db_owned = db.to_path_buf();
    let id = job_id.clone();
    let sender = std::thread::spawn(move || {
        let r = print_queue::worker::print_now(&db_owned, &id, &WorkerOptions::default());
        let _ = tx.send(r);
    });
    let job = match rx.recv_timeout(wait) {
        Ok(Ok(j)) => j,
        Ok(Err(e)) => {
            let _ = sender.join();
            return (
                Some(failed(&printer.uri, Some(out), coded(&e), receipt_no)),
                idle(),
            );
        }
        Err(RecvTimeoutError::Timeout) => {
            out.status = Status::Printing;
            out.message = Some(format!(
                "the printer had not taken the job after {} s",
                wait.as_secs()
            ));
            return (Some(out), InFlight(Some(sender)));
        }
        Err(RecvTimeoutError::Disconnected) => {
            // The sending thread died without an answer.
            let _ = sender.join();
            let e = (
                "cli.print_thread",
                "the printing thread stopped without an answer".into(),
            );
            return (Some(failed(&printer.uri, Some(out), e, receipt_no)), idle());
        }
    };
    let _ = sender.join();
    out.attempts = job.attempts;
    out.code = job.last_error_code;
    out.message = job.last_error;
    out.status = match job.state {
        JobState::Done => {
            out.hint = None;
            out.code = None;
            out.message = None;
            Status::Printed
        }
        JobState::Printing => Status::Printing,
        JobState::Queued => Status::Queued,
        JobState::Failed | JobState::Cancelled => Status::Failed,
    };
    (Some(out), idle())
}

fn coded(e: &QueueError) -> (&'static str, String) {
    (e.code(), e.to_string())
}

fn failed(
    printer: &str,
    base: Option<PrintOutcome>,
    (code, message): (&str, String),
    receipt_no: &str,
) -> PrintOutcome {
    let mut o = base.unwrap_or_else(|| PrintOutcome {
        status: Status::Failed,
        printer: printer.to_string(),
        job: None,
        kind: None,
        attempts: 0,
        code: None,
        message: None,
        hint: None,
    });
    o.status = Status::Failed;
    o.code = Some(code.to_string());
    o.message = Some(message);
    o.hint = Some(if o.job.is_some() {
        format!("kioskctl print retry {receipt_no}")
    } else {
        format!("kioskctl print receipt {receipt_no}")
    });
    o
}
