//! The receipt printing that follows a payment (the counter flow, step 7):
//! queued on the configured printer, sent, and reported as printed or as
//! waiting in the queue. Nothing here can fail the payment, which is
//! committed before any of it runs. The CLI waits for one attempt
//! ([`after_payment`]); the app queues and lets its print worker send
//! ([`queue_receipt`]), and shows the paper from the exact bytes
//! ([`preview`]).

use domain::ErrorCode as _;
use kiosk_core::Kiosk;
use kiosk_store::rusqlite::OptionalExtension;
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

fn coded(e: &QueueError) -> (&str, String) {
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

/// Queues the receipt (a DUPLICATE COPY once it has printed) on the
/// configured printer for the print worker. `None` when no printer is set.
pub fn queue_receipt(kiosk: &mut Kiosk, key: &str) -> Option<crate::api::PrintView> {
    let printer = match jobs::configured_printer(kiosk.store().conn()) {
        Ok(Some(p)) => p,
        Ok(None) => return None,
        Err(e) => return Some(failed_view("(unknown)", &e)),
    };
    Some(
        match jobs::enqueue_receipt(kiosk, key, &printer, print::Lang::Bilingual) {
            Ok((job, kind)) => crate::api::PrintView {
                status: "queued".into(),
                printer: printer.uri.clone(),
                job: Some(job),
                kind: Some(kind.as_str().into()),
                code: None,
                message: None,
            },
            Err(e) => failed_view(&printer.uri, &e),
        },
    )
}

fn failed_view(printer: &str, e: &QueueError) -> crate::api::PrintView {
    crate::api::PrintView {
        status: "failed".into(),
        printer: printer.into(),
        job: None,
        kind: None,
        code: Some(e.code().into()),
        message: Some(e.to_string()),
    }
}

/// The profile a preview is drawn with when no printer is set up: the
/// common 24-pin dot-matrix.
const PREVIEW_PROFILE: &str = "escp24-generic";

/// The paper as the virtual printer draws the receipt's newest print job
/// (the very bytes sent, or to be sent); with no job yet, the bytes the
/// configured (or the common) printer would get.
pub fn preview(kiosk: &Kiosk, key: &str) -> crate::error::Result<crate::api::PreviewView> {
    let detail = kiosk.receipt(key)?;
    let newest: Option<(Vec<u8>, String, String)> = kiosk
        .store()
        .conn()
        .query_row(
            "SELECT payload, profile, kind FROM print_jobs
              WHERE receipt_id = ?1 AND payload IS NOT NULL
              ORDER BY created_at DESC, id DESC LIMIT 1",
            [&detail.summary.id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()
        .map_err(kiosk_store::StoreError::from)?;
    let (bytes, profile_id, kind) = match newest {
        Some((b, p, k)) if profile_is_drawable(&p) => (b, p, k),
        _ => {
            // Nothing queued yet: what the printer (or the common one)
            // would get, at its own width.
            let choice = jobs::configured_printer(kiosk.store().conn())?
                .filter(|p| profile_is_drawable(&p.profile))
                .unwrap_or_else(|| print_queue::PrinterChoice {
                    uri: "file:/dev/null".into(),
                    profile: PREVIEW_PROFILE.into(),
                });
            let r = jobs::render_receipt(kiosk, key, &choice, print::Lang::Bilingual)?;
            (r.bytes, choice.profile, r.kind.as_str().to_string())
        }
    };
    let profile = print::Profile::builtin_by_id(&profile_id)?;
    draw(&bytes, &profile, &kind)
}

/// The paper as the virtual printer draws these bytes, as a PNG data URL
/// the window shows (`kind` says which print it is).
pub(crate) fn draw(
    bytes: &[u8],
    profile: &print::Profile,
    kind: &str,
) -> crate::error::Result<crate::api::PreviewView> {
    use base64::Engine as _;
    let page = print::virtual_printer::render(bytes, profile)?;
    let png = page.png();
    let (width, height) = png_size(&png);
    Ok(crate::api::PreviewView {
        png: format!(
            "data:image/png;base64,{}",
            base64::engine::general_purpose::STANDARD.encode(&png)
        ),
        width,
        height,
        profile: profile.id.clone(),
        kind: kind.to_string(),
    })
}

fn profile_is_drawable(id: &str) -> bool {
    print::Profile::builtin_by_id(id).is_ok_and(|p| p.language != print::Language::Pdf)
}

/// Width and height from a PNG's IHDR.
fn png_size(png: &[u8]) -> (u32, u32) {
    let be = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
    if png.len() >= 24 {
        (be(&png[16..20]), be(&png[20..24]))
    } else {
        (0, 0)
    }
}
