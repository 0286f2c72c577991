//! The print worker: one thread, its own connection to the kiosk database,
//! woken when a job is queued and when the next retry falls due. All
//! printer I/O happens outside any database transaction, so the counter's
//! commits never wait on a printer.

use crate::error::Result;
use chrono::{DateTime, Utc};
use domain::{Clock, ErrorCode};
use kiosk_store::rusqlite::{Connection, OptionalExtension, params};
use kiosk_store::{parse_ts, ts};
use print::transport::{Target, send_job};
use std::path::Path;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
use std::thread::JoinHandle;
use std::time::Duration;

#[derive(Clone)]
pub struct WorkerOptions {
    /// First retry delay; doubles per attempt up to `backoff_max`.
    pub backoff_base: Duration,
    pub backoff_max: Duration,
    /// After this many attempts a job is `failed` (retry from its receipt).
    pub max_attempts: i64,
    pub clock: Arc<dyn Clock>,
}

impl Default for WorkerOptions {
    fn default() -> Self {
        WorkerOptions {
            backoff_base: Duration::from_secs(2),
            backoff_max: Duration::from_secs(300),
            max_attempts: 12,
            clock: Arc::new(domain::SystemClock),
        }
    }
}

/// What happened to a job (for the UI's status line and for tests).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobEvent {
    Started {
        job: String,
        attempt: i64,
    },
    Done {
        job: String,
        bytes: usize,
    },
    Retrying {
        job: String,
        code: String,
        attempt: i64,
    },
    Failed {
        job: String,
        code: String,
    },
}

enum Msg {
    Wake,
    Stop,
}

/// A handle to the running worker. Dropping it stops the worker after the
/// job in hand.
pub struct Worker {
    tx: Sender<Msg>,
    handle: Option<JoinHandle<()>>,
}

/// Wakes the worker (cheap, clonable; call after queueing a job).
#[derive(Clone)]
pub struct Waker(Sender<Msg>);

impl Waker {
    pub fn wake(&self) {
        let _ = self.0.send(Msg::Wake);
    }
}

impl Worker {
    /// Starts the worker on the database at `db`. Jobs left `printing` by a
    /// crash are put back in the queue first: a job is never lost, at worst
    /// printed twice.
    pub fn start(db: &Path, opts: WorkerOptions) -> Result<(Worker, Receiver<JobEvent>)> {
        let conn = open(db)?;
        recover(&conn, opts.clock.now())?;
        let (tx, rx) = channel();
        let (etx, erx) = channel();
        let handle = std::thread::Builder::new()
            .name("print-worker".into())
            .spawn(move || run(conn, rx, etx, opts))?;
        Ok((
            Worker {
                tx,
                handle: Some(handle),
            },
            erx,
        ))
    }

    pub fn waker(&self) -> Waker {
        Waker(self.tx.clone())
    }

    pub fn wake(&self) {
        let _ = self.tx.send(Msg::Wake);
    }

    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        let _ = self.tx.send(Msg::Stop);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        self.shutdown();
    }
}

pub(crate) fn open(db: &Path) -> Result<Connection> {
    let conn = Connection::open(db)?;
    conn.busy_timeout(kiosk_store::BUSY_TIMEOUT)?;
    conn.pragma_update(None, "foreign_keys", true)?;
    Ok(conn)
}

fn recover(conn: &Connection, now: DateTime<Utc>) -> Result<()> {
    conn.execute(
        "UPDATE print_jobs SET state = 'queued', next_attempt_at = ?1, updated_at = ?1,
                last_error_code = 'print.interrupted', last_error = 'the app stopped while printing'
          WHERE state = 'printing'",
        [ts(now)],
    )?;
    Ok(())
}

fn run(conn: Connection, rx: Receiver<Msg>, events: Sender<JobEvent>, opts: WorkerOptions) {
    loop {
        // Drain wake-ups that arrived while printing.
        loop {
            match rx.try_recv() {
                Ok(Msg::Wake) => {}
                Ok(Msg::Stop) => return,
                Err(_) => break,
            }
        }
        match process_next(&conn, &opts, &events, None) {
            Ok(true) => continue,
            Ok(false) => {}
            // The database is busy or broken: try again shortly.
            Err(e) => tracing::warn!(code = %e.code(), "print queue: database error; trying again"),
        }
        let wait = next_due_in(&conn, opts.clock.now()).unwrap_or(Duration::from_secs(60));
        match rx.recv_timeout(wait) {
            Ok(Msg::Wake) | Err(RecvTimeoutError::Timeout) => {}
            Ok(Msg::Stop) | Err(RecvTimeoutError::Disconnected) => return,
        }
    }
}

fn next_due_in(conn: &Connection, now: DateTime<Utc>) -> Option<Duration> {
    let next: Option<String> = conn
        .query_row(
            "SELECT MIN(next_attempt_at) FROM print_jobs WHERE state = 'queued'",
            [],
            |r| r.get(0),
        )
        .ok()
        .flatten();
    let next = parse_ts(&next?).ok()?;
    Some(
        (next - now)
            .to_std()
            .unwrap_or(Duration::ZERO)
            .min(Duration::from_secs(60)),
    )
}

struct Claimed {
    id: String,
    receipt_id: Option<String>,
    printer: String,
    profile: String,
    payload: Vec<u8>,
    attempts: i64,
}

/// Claims the oldest due job, or the named one whatever its due time
/// (queued → printing), in one statement.
fn claim(conn: &Connection, now: DateTime<Utc>, only: Option<&str>) -> Result<Option<Claimed>> {
    Ok(conn
        .query_row(
            "UPDATE print_jobs SET state = 'printing', attempts = attempts + 1, updated_at = ?1
              WHERE id = (SELECT id FROM print_jobs WHERE state = 'queued'
                             AND (?2 IS NULL OR id = ?2)
                             AND (?2 IS NOT NULL OR next_attempt_at IS NULL OR next_attempt_at <= ?1)
                           ORDER BY created_at, id LIMIT 1)
             RETURNING id, receipt_id, printer, profile, COALESCE(payload, x''), attempts",
            params![ts(now), only],
            |r| {
                Ok(Claimed {
                    id: r.get(0)?,
                    receipt_id: r.get(1)?,
                    printer: r.get(2)?,
                    profile: r.get(3)?,
                    payload: r.get(4)?,
                    attempts: r.get(5)?,
                })
            },
        )
        .optional()?)
}

fn backoff(opts: &WorkerOptions, attempts: i64) -> Duration {
    let factor = 1u32 << (attempts.clamp(1, 16) - 1) as u32;
    opts.backoff_base
        .saturating_mul(factor)
        .min(opts.backoff_max)
}

/// The kind of printer a job goes to, for the log: never its address or
/// path (a spooler or network URI may carry a user and password).
fn target_kind(t: &Target) -> &'static str {
    match t {
        Target::Device(_) => "device",
        Target::Serial { .. } => "serial",
        Target::Tcp { .. } => "tcp",
        Target::Spooler { .. } => "spooler",
        Target::File(_) => "file",
    }
}

/// Prints the next due job, if any. Returns whether there was one.
pub(crate) fn process_next(
    conn: &Connection,
    opts: &WorkerOptions,
    events: &Sender<JobEvent>,
    only: Option<&str>,
) -> Result<bool> {
    let Some(job) = claim(conn, opts.clock.now(), only)? else {
        return Ok(false);
    };
    let _ = events.send(JobEvent::Started {
        job: job.id.clone(),
        attempt: job.attempts,
    });
    tracing::debug!(job = %job.id, attempt = job.attempts, "printing");
    // "unknown" when the profile or the URI is not understood.
    let mut target = "unknown";
    let outcome = print::Profile::builtin_by_id(&job.profile)
        .and_then(|p| Ok((Target::parse(&job.printer, Some(&p))?, p)))
        .and_then(|(t, p)| {
            target = target_kind(&t);
            send_job(&t, &job.payload, &p)
        });
    let now = opts.clock.now();
    let receipt = job.receipt_id.as_deref();
    match outcome {
        Ok(sent) => {
            conn.execute(
                "UPDATE print_jobs SET state = 'done', updated_at = ?2, next_attempt_at = NULL WHERE id = ?1",
                params![job.id, ts(now)],
            )?;
            tracing::info!(
                job = %job.id,
                receipt,
                target = %target,
                bytes = sent.bytes,
                attempt = job.attempts,
                "job printed"
            );
            let _ = events.send(JobEvent::Done {
                job: job.id,
                bytes: sent.bytes,
            });
        }
        Err(e) if e.is_retryable() && job.attempts < opts.max_attempts => {
            let delay = backoff(opts, job.attempts);
            let next = now + chrono::Duration::from_std(delay).unwrap_or_default();
            // Only a job still ours is rescheduled (a cancel in between wins).
            let ours = conn.execute(
                "UPDATE print_jobs SET state = 'queued', updated_at = ?2, next_attempt_at = ?3,
                        last_error_code = ?4, last_error = ?5
                  WHERE id = ?1 AND state = 'printing'",
                params![job.id, ts(now), ts(next), e.code(), e.to_string()],
            )? == 1;
            if ours {
                tracing::warn!(
                    job = %job.id,
                    receipt,
                    target = %target,
                    code = %e.code(),
                    attempt = job.attempts,
                    delay_ms = delay.as_millis() as u64,
                    "print failed: retry scheduled"
                );
            } else {
                cancelled_meanwhile(&job.id, e.code());
            }
            let _ = events.send(JobEvent::Retrying {
                job: job.id,
                code: e.code().to_string(),
                attempt: job.attempts,
            });
        }
        Err(e) => {
            let ours = conn.execute(
                "UPDATE print_jobs SET state = 'failed', updated_at = ?2, next_attempt_at = NULL,
                        last_error_code = ?3, last_error = ?4
                  WHERE id = ?1 AND state = 'printing'",
                params![job.id, ts(now), e.code(), e.to_string()],
            )? == 1;
            if ours {
                tracing::error!(
                    job = %job.id,
                    receipt,
                    target = %target,
                    code = %e.code(),
                    attempts = job.attempts,
                    retryable = e.is_retryable(),
                    "print job failed for good"
                );
            } else {
                cancelled_meanwhile(&job.id, e.code());
            }
            let _ = events.send(JobEvent::Failed {
                job: job.id,
                code: e.code().to_string(),
            });
        }
    }
    Ok(true)
}

fn cancelled_meanwhile(job: &str, code: &str) {
    tracing::info!(job = %job, code = %code, "print failed after the job was cancelled");
}

/// Prints one job now in the calling thread (the CLI's `print receipt`),
/// one attempt; a retryable failure leaves it queued for the app's worker.
pub fn print_now(db: &Path, job_id: &str, opts: &WorkerOptions) -> Result<crate::Job> {
    let conn = open(db)?;
    let (etx, _erx) = channel();
    process_next(&conn, opts, &etx, Some(job_id))?;
    crate::jobs::job(&conn, job_id)
}
