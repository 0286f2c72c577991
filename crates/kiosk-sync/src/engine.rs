//! The sync loop: push the outbox in contiguous batches, pull by cursor,
//! retry with backoff, probe so a healed link is used at once.
//!
//! Money safety rests on three facts:
//! - progress lives only in the outbox rows (an entry with no outcome is
//!   unsent), written in one transaction per answered batch, so a drop or
//!   a kill never restarts from zero and never skips an entry;
//! - a request whose answer never came is re-sent as it was: the centre
//!   answers replays with the outcome it recorded the first time;
//! - a rejected entry gets its outcome like any other and the next push
//!   starts after it, so it never blocks the queue.

use domain::ErrorCode as _;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use domain::Clock;
use kiosk_core::{Answer, CoreError, Kiosk, Outcome as LocalOutcome, WalletSnapshot};
use kiosk_store::{get_setting, set_setting};
use protocol::wire::{EntryOutcome, Outcome as WireOutcome};
use protocol::{
    Cursor, PROTOCOL_VERSION, PullRequest, PullResponse, PushRequest, WireEntry, codes,
};
use tokio::sync::{Notify, watch};
use tokio::task::JoinSet;
use tokio::time::Instant;

use crate::alerts;
use crate::backoff::{Backoff, BatchSizer, JitterRng, SplitMix};
use crate::crash::{CrashPlan, CrashPoint};
use crate::error::{Result, SyncError};
use crate::status::{LastError, SyncStatus};
use crate::transport::Transport;

const CURSOR_KEY: &str = "sync.pull_cursor";
const NOTICES_KEY: &str = "sync.notices";
const HIGH_WATER_KEY: &str = "sync.server_high_water";
/// Notices kept locally for the app (newest last).
const NOTICES_KEPT: usize = 50;

#[derive(Debug, Clone)]
pub struct SyncConfig {
    /// Fixed part of every request's time-out; the rest scales with the
    /// body and the measured link.
    pub request_timeout_floor: Duration,
    pub probe_every: Duration,
    pub probe_timeout: Duration,
    /// How often the loop looks for entries written by another process.
    pub local_poll: Duration,
    /// Pull this often even when nothing is pushed (wallet, catalogue, notices).
    pub idle_pull: Duration,
    pub pull_limit: u32,
}

impl Default for SyncConfig {
    fn default() -> Self {
        SyncConfig {
            request_timeout_floor: Duration::from_secs(8),
            probe_every: Duration::from_millis(1000),
            probe_timeout: Duration::from_secs(6),
            local_poll: Duration::from_millis(250),
            idle_pull: Duration::from_secs(60),
            pull_limit: 500,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PushReport {
    pub batches: u32,
    pub accepted: u32,
    pub rejected: u32,
    pub pending: u32,
    /// Highest seq answered in this run.
    pub last_seq: Option<u64>,
    /// Answers that replaced a different earlier one (centre restored).
    pub changed: u32,
    /// The helpdesk's replies to this kiosk's tickets stored.
    pub ticket_replies: u32,
    /// The centre was found behind what the kiosk had answered.
    pub centre_behind: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PullReport {
    pub pulls: u32,
    pub outcomes: u32,
    pub notices: u32,
    /// Centre ledger lines received (new or already held).
    pub ledger_lines: u32,
    pub catalogue_version: Option<u32>,
    pub wallet_balance: Option<domain::Paise>,
    /// Answers that replaced a different earlier one (centre restored).
    pub changed: u32,
    /// The helpdesk's replies to this kiosk's tickets stored.
    pub ticket_replies: u32,
    /// The centre's list of users came (this many users in it).
    pub users: Option<u32>,
    /// Changes of this kiosk's refill requests stored.
    pub refill_updates: u32,
    /// The centre was found behind what the kiosk had answered, or its
    /// ledger behind the kiosk's ledger cursor (restored from a backup).
    pub centre_behind: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncReport {
    pub push: PushReport,
    pub pull: PullReport,
}

/// Lets the counter nudge the loop after writing an entry, and stop it.
#[derive(Clone, Default)]
pub struct SyncHandle {
    wake: Arc<Notify>,
    stop: Arc<watch::Sender<bool>>,
    /// The next round also pulls (asked for by a person, not a write).
    pull: Arc<std::sync::atomic::AtomicBool>,
}

impl SyncHandle {
    /// A new entry was written: push now if the link is up.
    pub fn nudge(&self) {
        self.wake.notify_one();
    }
    /// "Sync now": push and pull at once (replies, ledger lines and the
    /// catalogue come with the pull), not at the next periodic pull.
    pub fn sync_now(&self) {
        self.pull.store(true, std::sync::atomic::Ordering::SeqCst);
        self.wake.notify_one();
    }
    pub fn stop(&self) {
        self.stop.send_replace(true);
    }
}

pub struct Engine<T: Transport> {
    kiosk: Kiosk,
    transport: T,
    clock: Arc<dyn Clock>,
    cfg: SyncConfig,
    backoff: Backoff,
    sizer: BatchSizer,
    rng: Box<dyn JitterRng>,
    crash: CrashPlan,
    status: watch::Sender<SyncStatus>,
    status_file: Option<PathBuf>,
    handle: SyncHandle,
    last_push: PushReport,
    /// The centre's time was learnt in this process (the kiosk's business
    /// clock carries it).
    centre_learnt: bool,
    /// The request in hand, for the log line of a failure.
    request: Option<RequestInfo>,
}

/// What a failed request carried, for the log (never its content).
#[derive(Debug, Clone, Copy)]
struct RequestInfo {
    what: &'static str,
    first_seq: Option<u64>,
    entries: usize,
}

impl<T: Transport> Engine<T> {
    /// The engine owns its own connection to the kiosk database (WAL), so
    /// the counter's connection is never held up by the network.
    pub fn new(kiosk: Kiosk, transport: T, clock: Arc<dyn Clock>) -> Self {
        let status_file = Some(kiosk.store().path().to_path_buf());
        Engine {
            kiosk,
            transport,
            clock,
            cfg: SyncConfig::default(),
            backoff: Backoff::default(),
            sizer: BatchSizer::default(),
            rng: Box::new(SplitMix::from_os()),
            crash: CrashPlan::none(),
            status: watch::Sender::new(SyncStatus::default()),
            status_file,
            handle: SyncHandle::default(),
            last_push: PushReport::default(),
            centre_learnt: false,
            request: None,
        }
    }

    pub fn with_config(mut self, cfg: SyncConfig) -> Self {
        self.cfg = cfg;
        self
    }
    pub fn with_rng(mut self, rng: Box<dyn JitterRng>) -> Self {
        self.rng = rng;
        self
    }
    pub fn with_backoff(mut self, b: Backoff) -> Self {
        self.backoff = b;
        self
    }
    pub fn with_sizer(mut self, s: BatchSizer) -> Self {
        self.sizer = s;
        self
    }
    pub fn with_crash_plan(mut self, c: CrashPlan) -> Self {
        self.crash = c;
        self
    }
    /// Do not write the status file (simulations).
    pub fn without_status_file(mut self) -> Self {
        self.status_file = None;
        self
    }

    pub fn handle(&self) -> SyncHandle {
        self.handle.clone()
    }
    pub fn status(&self) -> watch::Receiver<SyncStatus> {
        self.status.subscribe()
    }
    pub fn kiosk(&self) -> &Kiosk {
        &self.kiosk
    }
    pub fn kiosk_mut(&mut self) -> &mut Kiosk {
        &mut self.kiosk
    }
    pub fn transport(&self) -> &T {
        &self.transport
    }
    pub fn into_kiosk(self) -> Kiosk {
        self.kiosk
    }

    fn request_timeout(&self, body_estimate: usize) -> Duration {
        // Twice the time the body needs at the measured rate (or 10 kbps
        // before any measurement), on top of the floor.
        let rate = self.sizer.rate().unwrap_or(1250.0).max(300.0);
        self.cfg.request_timeout_floor + Duration::from_secs_f64(2.0 * body_estimate as f64 / rate)
    }

    /// Pushes until every entry has an answer and the centre holds every
    /// entry the kiosk had answered (after a centre restore, those are
    /// sent again from the centre's high-water mark).
    pub async fn push_all(&mut self) -> Result<PushReport> {
        let mut report = PushReport::default();
        let r = self.push_all_into(&mut report).await;
        self.last_push = report.clone();
        r.map(|()| report)
    }

    /// What the last [`Engine::push_all`] got through, also when it
    /// failed part-way (a drop after some batches).
    pub fn last_push(&self) -> &PushReport {
        &self.last_push
    }

    async fn push_all_into(&mut self, report: &mut PushReport) -> Result<()> {
        let mut gap_retries = 0;
        loop {
            let want = self.sizer.next_size();
            match self.push_batch(report).await {
                Ok(true) => continue,
                Ok(false) => return Ok(()),
                // A body the centre will not take (HTTP 413): smaller batches,
                // down to one entry, which always fits. Never a wedge.
                Err(SyncError::Server { status, code, .. })
                    if (status == 413
                        || code == codes::TOO_LARGE
                        || code == codes::BATCH_TOO_LARGE)
                        && want > 1 =>
                {
                    self.sizer.too_large(want);
                    tracing::warn!(
                        code = %code,
                        status,
                        entries = want,
                        retry = true,
                        delay_ms = 0u64,
                        next_entries = self.sizer.next_size(),
                        "push refused as too large: retrying in smaller batches"
                    );
                }
                // The centre is behind us (restored from a backup): it says
                // where it stands; resend from there (the outbox keeps
                // every entry).
                Err(SyncError::Server {
                    code,
                    expected_seq: Some(exp),
                    ..
                }) if code == codes::GAP && exp >= 1 => {
                    let answered = self.kiosk.last_answered_seq()?;
                    let first_unsent = self.kiosk.queue_stats()?.first_unsent_seq;
                    let behind = exp <= answered || first_unsent.is_some_and(|f| exp < f);
                    let retry = behind && gap_retries < 3;
                    tracing::warn!(
                        code = %code,
                        expected_seq = exp,
                        first_unsent,
                        retry,
                        delay_ms = 0u64,
                        "the centre expects another seq"
                    );
                    if retry {
                        gap_retries += 1;
                        report.centre_behind |= self.note_high_water(exp - 1)?;
                        continue;
                    }
                    return Err(SyncError::Gap {
                        expected: exp,
                        have: first_unsent.unwrap_or(0),
                    });
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Learns the centre's clock from an answer: the offset from this PC's
    /// clock (stored, sent with each push, used by the counter's cheque
    /// rules), an anchor on the monotonic clock for [`Engine::centre_now`],
    /// and the `clock.skew` alert when the PC's clock is off too far.
    fn learn_centre_time(
        &mut self,
        server_ms: i64,
        sent_at: DateTime<Utc>,
        elapsed: Duration,
    ) -> Result<()> {
        let mid = sent_at.timestamp_millis() + (elapsed.as_millis() as i64) / 2;
        let offset = server_ms - mid;
        // The centre's time now (its answer took about half the round
        // trip), anchored on the monotonic clock: the kiosk's business
        // clock carries it from here.
        let centre_now = server_ms + (elapsed.as_millis() as i64) / 2;
        self.kiosk
            .centre_clock()
            .learn(centre_now, offset, self.clock.monotonic());
        self.centre_learnt = true;
        let stored = self.kiosk.centre_offset()?;
        // A write only when it moved (each one is a commit on a slow disk).
        if stored.is_none_or(|s| (s - offset).abs() > 1000) {
            self.kiosk.set_centre_offset(offset)?;
        }
        let skewed = offset.abs() > protocol::wire::CLOCK_SKEW_MAX_MS;
        let was_skewed = stored.is_some_and(|s| s.abs() > protocol::wire::CLOCK_SKEW_MAX_MS);
        if skewed && !was_skewed {
            tracing::warn!(
                code = %codes::CLOCK_SKEW,
                offset_ms = offset,
                "this PC's clock is off from the centre's"
            );
        } else if !skewed && was_skewed {
            tracing::info!(
                offset_ms = offset,
                "this PC's clock agrees with the centre's again"
            );
        }
        if skewed {
            let mins = offset.abs() / 60_000;
            let way = if offset < 0 { "ahead of" } else { "behind" };
            let now = self.clock.now();
            alerts::raise(
                &mut self.kiosk,
                codes::CLOCK_SKEW,
                format!(
                    "this PC's clock is {mins} minutes {way} the centre's: set the date and time"
                ),
                now,
            )?;
        } else if was_skewed {
            alerts::clear(&mut self.kiosk, codes::CLOCK_SKEW)?;
        }
        self.status
            .send_modify(|s| s.clock_offset_ms = Some(offset));
        Ok(())
    }

    /// Now by the centre's clock, carried between syncs by the monotonic
    /// clock (immune to this PC's clock being changed); `None` before the
    /// first answer in this process.
    pub fn centre_now(&self) -> Option<DateTime<Utc>> {
        self.centre_learnt.then(|| self.kiosk.clock().now())
    }

    /// The centre went back in time: it is the truth. Forget its ledger
    /// lines (a restored centre hands out the same line ids again for other
    /// lines) and what the pull cursor says it has sent (settlement and
    /// notice counters went back too); the next pull fetches it all again.
    /// Returns the ledger lines dropped.
    fn rewind_after_restore(&mut self, hw: u64) -> Result<usize> {
        let dropped = self.kiosk.rewind_ledger(0)?;
        self.kiosk.rewind_refill_updates()?;
        let mut c = self.cursor()?;
        c.ledger_after = 0;
        c.outcomes_after = c.outcomes_after.min(hw);
        c.settled_after = 0;
        c.notices_after = 0;
        c.tickets_after = 0;
        c.refills_after = 0;
        let json = serde_json::to_string(&c).expect("cursor serialises");
        self.kiosk
            .store_mut()
            .write(|tx| set_setting(tx, CURSOR_KEY, &json))?;
        Ok(dropped)
    }

    /// Whether the centre's answer `c` differs from the one stored here.
    fn answer_differs(&self, c: &EntryOutcome) -> Result<bool> {
        let Some(r) = self.kiosk.outbox_from(c.seq, 1)?.into_iter().next() else {
            return Ok(false);
        };
        if r.entry.seq != c.seq {
            return Ok(false);
        }
        let have_txn: Option<String> = self
            .kiosk
            .store()
            .conn()
            .query_row(
                "SELECT server_txn_id FROM outbox WHERE seq = ?1 AND device_id = ?2",
                kiosk_store::rusqlite::params![c.seq, r.entry.device_id.to_string()],
                |x| x.get(0),
            )
            .map_err(kiosk_store::StoreError::from)?;
        // A held (pending) entry settled since is the normal course: the
        // settled cursor brings it. A final answer that changed is not.
        let have = r.outcome.as_deref();
        Ok(match &c.outcome {
            WireOutcome::Accepted { txn_id, .. } => match have {
                Some("accepted") => have_txn.as_deref() != Some(txn_id.to_string().as_str()),
                Some("rejected") => true,
                _ => false,
            },
            WireOutcome::Rejected { .. } => have == Some("accepted"),
            WireOutcome::Pending { .. } => matches!(have, Some("accepted" | "rejected")),
        })
    }

    /// Where the next push starts: the first unanswered entry, or lower
    /// when the centre holds fewer entries than the kiosk had answered.
    fn next_push_from(&self) -> Result<Option<u64>> {
        let first_unsent = self.kiosk.queue_stats()?.first_unsent_seq;
        let resend = self.resend_from()?;
        Ok(match (resend, first_unsent) {
            (Some(r), Some(f)) => Some(r.min(f)),
            (r, f) => r.or(f),
        })
    }

    /// `Some(seq)` while the centre is behind what the kiosk had answered.
    fn resend_from(&self) -> Result<Option<u64>> {
        let Some(hw) = stored_high_water(&self.kiosk) else {
            return Ok(None);
        };
        let answered = self.kiosk.last_answered_seq()?;
        Ok((hw < answered).then_some(hw + 1))
    }

    /// Records the centre's high-water mark for this device. One below what
    /// the kiosk had answered means the centre went back in time: raise the
    /// alert (the next push re-sends from there). Returns that case.
    fn note_high_water(&mut self, hw: u64) -> Result<bool> {
        let answered = self.kiosk.last_answered_seq()?;
        let before = stored_high_water(&self.kiosk);
        let was_behind = before.is_some_and(|b| b < answered);
        if hw < answered && !was_behind {
            // Before the mark is stored: a crash in between rewinds again.
            self.rewind_after_restore(hw)?;
        }
        self.kiosk
            .store_mut()
            .write(|tx| set_setting(tx, HIGH_WATER_KEY, &hw.to_string()))?;
        self.status.send_modify(|s| s.server_high_water = Some(hw));
        let behind = hw < answered;
        if behind {
            let now = self.clock.now();
            alerts::raise(
                &mut self.kiosk,
                codes::CENTRE_RESTORED,
                format!(
                    "the centre holds this device's entries up to seq {hw} but had answered up to {answered} (restored from a backup?); sending them again"
                ),
                now,
            )?;
            tracing::warn!(
                code = %codes::CENTRE_RESTORED,
                hw,
                answered,
                ?before,
                "the centre went back in time"
            );
        }
        Ok(behind)
    }

    /// One batch. `Ok(false)` when nothing is left to send.
    async fn push_batch(&mut self, report: &mut PushReport) -> Result<bool> {
        let Some(from) = self.next_push_from()? else {
            return Ok(false);
        };
        let want = self.sizer.next_size();
        let records = self.kiosk.outbox_from(from, want as u32)?;
        // Contiguous from `from`; a resend after a gap may include answered ones.
        let records: Vec<_> = records
            .into_iter()
            .enumerate()
            .take_while(|(i, r)| r.entry.seq == from + *i as u64)
            .map(|(_, r)| r)
            .collect();
        // A broken local chain: the entries before the break still go;
        // from the break on nothing can ever be accepted, and the counter
        // stops writing new entries (`outbox.entries_stopped`).
        let mut records = records;
        if let Some(bad) = self.kiosk.first_broken(&records)? {
            let at = self.kiosk.stop_entries_at(bad)?;
            let now = self.clock.now();
            alerts::raise(
                &mut self.kiosk,
                "outbox.chain_broken",
                format!(
                    "the local record of entries is damaged at seq {at}: new payments are refused; call the helpdesk to recover with the centre"
                ),
                now,
            )?;
            tracing::error!(code = %"outbox.chain_broken", seq = at, "local outbox chain broken");
            records.retain(|r| r.entry.seq < bad);
            if records.is_empty() {
                return Err(SyncError::Local(CoreError::ChainBroken(bad)));
            }
        }
        let Some(last) = records.last() else {
            return Ok(false);
        };
        let req = PushRequest {
            version: PROTOCOL_VERSION,
            first_seq: from,
            last_hash: last.hash,
            entries: records
                .iter()
                .map(|r| WireEntry::from_entry(&r.entry))
                .collect(),
            clock_offset_ms: self.kiosk.centre_offset()?,
        };
        let estimate = req
            .entries
            .iter()
            .map(|e| e.payload.len() / 2 + 24)
            .sum::<usize>()
            + 300;
        let timeout = self.request_timeout(estimate);
        self.crash.at(CrashPoint::BeforeSend);
        let (sent0, recv0) = self.transport.bytes();
        let t0 = Instant::now();
        let sent_at = self.clock.now();
        self.request = Some(RequestInfo {
            what: "push",
            first_seq: Some(from),
            entries: req.entries.len(),
        });
        let fut = self.transport.push(&req, timeout);
        self.crash.at(CrashPoint::MidRequest);
        let resp = match fut.await {
            Ok(r) => r,
            Err(e) => {
                if e.is_transport() {
                    self.sizer.observe_failure();
                }
                return Err(e);
            }
        };
        let elapsed = t0.elapsed();
        self.crash.at(CrashPoint::AfterServerCommit);
        self.learn_centre_time(resp.server_time_ms, sent_at, elapsed)?;
        let n = req.entries.len();
        if resp.outcomes.len() != n
            || resp
                .outcomes
                .iter()
                .enumerate()
                .any(|(i, o)| o.seq != from + i as u64)
        {
            return Err(SyncError::Protocol(format!(
                "push of {n} entries from seq {from} answered with {} outcomes",
                resp.outcomes.len()
            )));
        }
        let answers: Vec<Answer> = resp.outcomes.iter().map(to_answer).collect();
        let (mut accepted, mut rejected, mut pending) = (0u32, 0u32, 0u32);
        for a in &answers {
            match a.outcome {
                LocalOutcome::Accepted { .. } => accepted += 1,
                LocalOutcome::Rejected { .. } => rejected += 1,
                LocalOutcome::Pending => pending += 1,
            }
        }
        report.accepted += accepted;
        report.rejected += rejected;
        report.pending += pending;
        self.crash.at(CrashPoint::DuringAckWrite);
        let applied = self.kiosk.apply_answers(&answers)?;
        report.changed += applied.changed as u32;
        // Stored: say which were refused and why (the code; the centre's
        // reason may quote the consumer's number, so it stays out).
        for (a, r) in answers.iter().zip(&records) {
            if let LocalOutcome::Rejected { code, .. } = &a.outcome {
                tracing::warn!(
                    seq = a.seq,
                    kind = %r.entry.kind.as_str(),
                    code = %code,
                    "entry rejected by the centre"
                );
            }
        }
        let hw = resp.high_water;
        // The balance right after this batch covers every entry up to the
        // centre's high-water mark: accepted payments stop counting
        // against the offline room at once.
        self.kiosk.apply_wallet_snapshot(&WalletSnapshot {
            balance: resp.wallet_balance,
            as_of: DateTime::<Utc>::from_timestamp_millis(resp.server_time_ms)
                .unwrap_or_else(|| self.clock.now()),
            covers_seq: hw,
            max_pending_amount: resp.exposure.max_pending_amount,
            max_pending_count: resp.exposure.max_pending_count as i64,
            max_age_secs: resp.exposure.max_age_secs as i64,
        })?;
        let local: Vec<(u64, LocalOutcome)> =
            answers.iter().map(|a| (a.seq, a.outcome.clone())).collect();
        // The pull need not carry these outcomes again: move its outcome
        // cursor over this batch when it sits right before it and nothing
        // in it is pending (a pending one must still be pulled later).
        let last_seq = from + n as u64 - 1;
        let mut cursor = self.cursor()?;
        let skip_outcomes = cursor.outcomes_after + 1 >= from
            && cursor.outcomes_after < last_seq
            && report_has_no_pending(&local);
        if skip_outcomes {
            cursor.outcomes_after = last_seq;
        }
        let cursor_json = serde_json::to_string(&cursor).expect("cursor serialises");
        if skip_outcomes {
            self.kiosk
                .store_mut()
                .write(|tx| set_setting(tx, CURSOR_KEY, &cursor_json))?;
        }
        if self.note_high_water(hw)? {
            report.centre_behind = true;
        }
        let (sent1, recv1) = self.transport.bytes();
        self.sizer
            .observe(((sent1 - sent0) + (recv1 - recv0)) as usize, n, elapsed);
        self.sizer.succeeded();
        report.batches += 1;
        report.last_seq = Some(last_seq);
        self.request = None;
        tracing::info!(
            first_seq = from,
            last_seq,
            entries = n,
            accepted,
            rejected,
            pending,
            changed = applied.changed,
            high_water = hw,
            bytes_sent = sent1 - sent0,
            bytes_received = recv1 - recv0,
            ms = elapsed.as_millis() as u64,
            "batch pushed"
        );
        let now = self.clock.now();
        let q = self.kiosk.queue_stats()?;
        self.status.send_modify(|s| {
            s.online = true;
            s.last_error = None;
            s.last_push_at = Some(now);
            s.server_high_water = Some(hw);
            s.queue_len = q.unsent;
            s.pending = q.pending;
            s.oldest_pending_age_secs = q.oldest_unsent_age_secs;
            s.derive_state(false, false);
        });
        Ok(true)
    }

    /// Pulls until the centre has nothing more, applying each answer.
    pub async fn pull_all(&mut self) -> Result<PullReport> {
        let mut report = PullReport::default();
        loop {
            let cursor = self.cursor()?;
            let req = PullRequest {
                version: PROTOCOL_VERSION,
                cursor,
                limit: self.cfg.pull_limit,
                health: Some(self.health()?),
            };
            let timeout = self.request_timeout(2_000);
            let (t0, sent_at) = (Instant::now(), self.clock.now());
            self.request = Some(RequestInfo {
                what: "pull",
                first_seq: None,
                entries: 0,
            });
            let resp = self.transport.pull(&req, timeout).await?;
            let elapsed = t0.elapsed();
            self.learn_centre_time(resp.server_time_ms, sent_at, elapsed)?;
            let before = report.clone();
            let rewound = self.apply_pull(&resp, &mut report)?;
            report.pulls += 1;
            self.request = None;
            let catalogue = resp
                .catalogue
                .as_ref()
                .map(|c| c.version)
                .filter(|v| report.catalogue_version == Some(*v));
            let outcomes = report.outcomes - before.outcomes;
            let ledger_lines = report.ledger_lines - before.ledger_lines;
            let notices = report.notices - before.notices;
            if outcomes > 0 || ledger_lines > 0 || notices > 0 || catalogue.is_some() {
                tracing::info!(
                    outcomes,
                    changed = report.changed - before.changed,
                    ledger_lines,
                    notices,
                    catalogue_version = catalogue,
                    high_water = resp.high_water,
                    more = resp.more,
                    ms = elapsed.as_millis() as u64,
                    "pull applied"
                );
            }
            // The centre is behind: the caller re-sends first, then pulls
            // again from the rewound cursor.
            if rewound {
                break;
            }
            if !resp.more || resp.cursor == cursor {
                break;
            }
        }
        let now = self.clock.now();
        self.status.send_modify(|s| s.last_pull_at = Some(now));
        Ok(report)
    }

    /// What the centre console shows of this kiosk's queue.
    fn health(&self) -> Result<protocol::KioskHealth> {
        let q = self.kiosk.queue_stats()?;
        // No wallet snapshot yet (first pull): nothing is held against it.
        let held = self
            .kiosk
            .exposure()
            .map(|e| e.pending_amount)
            .unwrap_or_default();
        Ok(protocol::KioskHealth {
            outbox_depth: q.unsent.clamp(0, u32::MAX as i64) as u32,
            outbox_amount: held,
            oldest_pending_secs: q
                .oldest_unsent_age_secs
                .map(|s| s.clamp(0, u32::MAX as i64) as u32),
            app_version: env!("CARGO_PKG_VERSION").to_string(),
            clock_offset_ms: self.kiosk.centre_offset()?,
            reprints_24h: self
                .kiosk
                .reprints_since(self.kiosk.clock().now() - chrono::Duration::hours(24))?,
        })
    }

    fn cursor(&self) -> Result<Cursor> {
        let raw = get_setting(self.kiosk.store().conn(), CURSOR_KEY)?;
        let mut c: Cursor = raw
            .and_then(|s| serde_json::from_str(&s).ok())
            .unwrap_or_default();
        // The ledger cursor moves with the stored lines, in their
        // transaction; the copy in the pull cursor may run ahead of them.
        c.ledger_after = self.kiosk.ledger_cursor()?;
        // Likewise the users: the digest names the list the kiosk holds.
        c.users_digest = self.kiosk.users_digest()?;
        Ok(c)
    }

    /// Applies one pull answer. `Ok(true)` when the centre was found to be
    /// behind the kiosk (restored from a backup) and the cursors were moved
    /// back to what it holds.
    fn apply_pull(&mut self, resp: &PullResponse, report: &mut PullReport) -> Result<bool> {
        // The centre went back in time? Its high-water mark for this
        // device below what the kiosk had answered, or its ledger below
        // the kiosk's ledger cursor.
        let centre_behind = self.note_high_water(resp.high_water)?;
        let ledger_behind = resp.ledger_high < self.kiosk.ledger_cursor()?;
        // The centre's answer for the last entry we saw answered differs
        // from ours: it applied entries anew (restored, then caught up by a
        // copy of an earlier push). Fetch every answer again; the changed
        // ones are taken and kept for the operator.
        if !centre_behind
            && let Some(c) = &resp.check
            && self.answer_differs(c)?
        {
            let now = self.clock.now();
            alerts::raise(
                &mut self.kiosk,
                codes::CENTRE_RESTORED,
                format!(
                    "the centre's answer for seq {} changed (restored from a backup?); its answers are fetched again",
                    c.seq
                ),
                now,
            )?;
            self.rewind_after_restore(0)?;
            tracing::warn!(
                code = %codes::CENTRE_RESTORED,
                seq = c.seq,
                "the centre's answer changed: its answers are fetched again"
            );
            report.centre_behind = true;
            return Ok(true);
        }
        if centre_behind || ledger_behind {
            report.centre_behind = true;
            let dropped = if ledger_behind {
                self.rewind_after_restore(resp.high_water)?
            } else {
                0
            };
            if ledger_behind && !centre_behind {
                let now = self.clock.now();
                alerts::raise(
                    &mut self.kiosk,
                    codes::CENTRE_RESTORED,
                    format!(
                        "the centre's ledger for this kiosk ends at line {} but the kiosk had line {} (restored from a backup?); {dropped} lines fetched again",
                        resp.ledger_high,
                        resp.ledger_high.max(0) + dropped as i64
                    ),
                    now,
                )?;
            }
            tracing::warn!(
                code = %codes::CENTRE_RESTORED,
                high_water = resp.high_water,
                ledger_high = resp.ledger_high,
                dropped,
                "the centre is behind the kiosk: cursors rewound"
            );
            return Ok(true);
        }
        if let Some(c) = &resp.catalogue {
            match self.kiosk.replace_catalogue(c.clone()) {
                Ok(_) => report.catalogue_version = Some(c.version),
                // A stale copy: keep ours.
                Err(CoreError::CatalogueOlder { .. }) => {}
                Err(e) => return Err(e.into()),
            }
        }
        // The balance covers every entry the centre has answered; entries
        // it applied but whose answer we lack are counted again as pending
        // debits, which errs on the safe side.
        let stats = self.kiosk.queue_stats()?;
        let covers = stats
            .first_unsent_seq
            .map_or(stats.last_seq, |f| f - 1)
            .min(resp.high_water);
        let as_of = DateTime::<Utc>::from_timestamp_millis(resp.server_time_ms)
            .unwrap_or_else(|| self.clock.now());
        self.kiosk.apply_wallet_snapshot(&WalletSnapshot {
            balance: resp.wallet_balance,
            as_of,
            covers_seq: covers,
            max_pending_amount: resp.exposure.max_pending_amount,
            max_pending_count: resp.exposure.max_pending_count as i64,
            max_age_secs: resp.exposure.max_age_secs as i64,
        })?;
        self.kiosk.apply_wallet_terms(&resp.wallet_terms, as_of)?;
        report.wallet_balance = Some(resp.wallet_balance);
        if !resp.ledger.is_empty() {
            self.kiosk.record_ledger_lines(&resp.ledger)?;
            report.ledger_lines += resp.ledger.len() as u32;
        }
        if !resp.outcomes.is_empty() {
            let answers: Vec<Answer> = resp.outcomes.iter().map(to_answer).collect();
            // An entry this database does not hold (a restored kiosk) is
            // skipped rather than failing the rest.
            let applied = self.kiosk.apply_answers(&answers)?;
            report.outcomes += applied.applied as u32;
            report.changed += applied.changed as u32;
        }
        if !resp.ticket_replies.is_empty() {
            // Stored before the cursor moves past them: a crash in between
            // fetches them again, and a reply id is kept once.
            let applied = self.kiosk.record_ticket_replies(&resp.ticket_replies)?;
            report.ticket_replies += applied.stored as u32;
        }
        if let Some(users) = &resp.users {
            let applied = self.kiosk.replace_users(users)?;
            report.users = Some(applied.listed as u32);
            tracing::info!(
                users = applied.listed,
                verifiers_removed = applied.verifiers_removed,
                "the centre's list of users taken"
            );
        }
        if !resp.refills.is_empty() {
            // As the replies: stored before the cursor moves past them.
            let applied = self.kiosk.record_refill_updates(&resp.refills)?;
            report.refill_updates += applied.stored as u32;
        }
        let cursor = serde_json::to_string(&resp.cursor).expect("cursor serialises");
        let new_notices = resp.notices.len();
        let notices = resp.notices.clone();
        self.kiosk
            .store_mut()
            .write(|tx| -> Result<(), kiosk_store::StoreError> {
                if !notices.is_empty() {
                    let mut all: Vec<serde_json::Value> = get_setting(tx, NOTICES_KEY)?
                        .and_then(|s| serde_json::from_str(&s).ok())
                        .unwrap_or_default();
                    for n in &notices {
                        // Pulled again after a rewind: kept once.
                        if all.iter().any(|o| {
                            o["id"] == serde_json::json!(n.id)
                                && o["text_en"] == serde_json::json!(n.text_en)
                        }) {
                            continue;
                        }
                        all.push(serde_json::json!({
                            "id": n.id, "text_en": n.text_en, "text_hi": n.text_hi, "at_ms": n.at_ms
                        }));
                    }
                    let skip = all.len().saturating_sub(NOTICES_KEPT);
                    let kept: Vec<_> = all.into_iter().skip(skip).collect();
                    set_setting(
                        tx,
                        NOTICES_KEY,
                        &serde_json::to_string(&kept).expect("json"),
                    )?;
                }
                set_setting(tx, CURSOR_KEY, &cursor)
            })?;
        report.notices += new_notices as u32;
        Ok(false)
    }

    /// Push everything, then pull everything. Updates the status.
    pub async fn sync_once(&mut self) -> Result<SyncReport> {
        let r = async {
            let mut push = match self.push_all().await {
                Ok(p) => p,
                // The centre answered and refused the push (a broken chain,
                // an inactive kiosk): pull all the same, so the centre's
                // staff see how this queue stands and the kiosk gets its
                // notices; the refusal is what this round reports. A busy
                // or rate-limiting centre is not asked again.
                Err(
                    e @ SyncError::Server {
                        status: 403 | 409 | 422,
                        ..
                    },
                ) => {
                    let _ = self.pull_all().await;
                    return Err(e);
                }
                Err(e) => return Err(e),
            };
            let mut pull = self.pull_all().await?;
            // The pull found the centre behind (restored from a backup):
            // re-send what it lost at once, then pull what it now says.
            let mut rounds = 0;
            let mut behind = pull.centre_behind;
            while behind && rounds < 3 {
                rounds += 1;
                let p = self.push_all().await?;
                push.batches += p.batches;
                push.accepted += p.accepted;
                push.rejected += p.rejected;
                push.pending += p.pending;
                push.changed += p.changed;
                push.last_seq = p.last_seq.or(push.last_seq);
                push.centre_behind |= p.centre_behind;
                let again = self.pull_all().await?;
                pull.pulls += again.pulls;
                pull.outcomes += again.outcomes;
                pull.notices += again.notices;
                pull.ledger_lines += again.ledger_lines;
                pull.changed += again.changed;
                pull.ticket_replies += again.ticket_replies;
                pull.users = again.users.or(pull.users);
                pull.refill_updates += again.refill_updates;
                pull.catalogue_version = again.catalogue_version.or(pull.catalogue_version);
                pull.wallet_balance = again.wallet_balance;
                behind = again.centre_behind;
            }
            Ok(SyncReport { push, pull })
        }
        .await;
        self.publish(r.as_ref().err());
        r
    }

    /// Refreshes the status from the queue and publishes it.
    pub fn publish(&mut self, err: Option<&SyncError>) {
        let now = self.clock.now();
        let stats = self.kiosk.queue_stats().ok();
        let rejected: Option<i64> = self
            .kiosk
            .store()
            .conn()
            .query_row(
                "SELECT COUNT(*) FROM outbox WHERE outcome = 'rejected'",
                [],
                |r| r.get(0),
            )
            .ok();
        let (sent, recv) = self.transport.bytes();
        let batch = self.sizer.next_size();
        let changes = self
            .kiosk
            .outcome_changes(true)
            .map(|c| c.len() as i64)
            .unwrap_or(0);
        if changes > 0 {
            let _ = alerts::raise(
                &mut self.kiosk,
                codes::OUTCOME_CHANGED,
                format!(
                    "the centre's answer changed for {changes} receipts: reprint them and tell the consumers"
                ),
                now,
            );
        } else {
            let _ = alerts::clear(&mut self.kiosk, codes::OUTCOME_CHANGED);
        }
        // The centre lost this device: nothing syncs until it re-admits it
        // (`crate::readmit`); the alert goes once a round is answered.
        match err {
            Some(e) if crate::readmit::is_unknown_device(e) => {
                let _ = alerts::raise(
                    &mut self.kiosk,
                    codes::DEVICE_UNKNOWN_AT_CENTRE,
                    "the centre does not know this device (restored from an older backup?): give the centre this kiosk's re-admission request".into(),
                    now,
                );
            }
            None => {
                let _ = alerts::clear(&mut self.kiosk, codes::DEVICE_UNKNOWN_AT_CENTRE);
            }
            Some(_) => {}
        }
        // `sync.centre_restored` stays until the operator acknowledges it
        // (`sync ack`): the centre lost data, someone must look.
        let held = alerts::load(&self.kiosk);
        let stopped = self.kiosk.entries_stopped_at().ok().flatten().is_some();
        let refused = matches!(err, Some(SyncError::Server { .. }));
        self.status.send_modify(|s| {
            s.alerts = held;
            s.outcome_changes = changes;
            match err {
                // What is true now: an old error is gone once a round works.
                None => {
                    s.online = true;
                    s.last_error = None;
                }
                Some(e) => {
                    if e.is_transport() {
                        s.online = false;
                    } else if refused {
                        // A refusal is an answer: the centre is reachable.
                        s.online = true;
                    }
                    s.last_error = Some(LastError {
                        code: e.code().to_string(),
                        message: e.to_string(),
                        at: now,
                    });
                }
            }
            if let Some(q) = &stats {
                s.queue_len = q.unsent;
                s.pending = q.pending;
                s.oldest_pending_age_secs = q.oldest_unsent_age_secs;
            }
            if let Some(r) = rejected {
                s.rejected = r;
            }
            s.bytes_sent = sent;
            s.bytes_received = recv;
            s.batch_size = batch;
            s.updated_at = Some(now);
            s.derive_state(stopped, refused);
        });
        if let Some(db) = &self.status_file {
            let _ = self.status.borrow().save(db);
        }
    }

    /// Publishes the queue figures only, leaving the link state as it is.
    pub fn refresh_queue(&mut self) {
        if let Ok(q) = self.kiosk.queue_stats() {
            self.status.send_modify(|s| {
                s.queue_len = q.unsent;
                s.pending = q.pending;
                s.oldest_pending_age_secs = q.oldest_unsent_age_secs;
            });
        }
    }

    fn local_version(&self) -> (u64, i64) {
        let c = self.kiosk.store().conn();
        let dv: i64 = c
            .query_row("PRAGMA data_version", [], |r| r.get(0))
            .unwrap_or(0);
        let last = self.kiosk.queue_stats().map(|q| q.last_seq).unwrap_or(0);
        (last, dv)
    }

    /// Runs until [`SyncHandle::stop`]. Never returns an error: every
    /// failure is retried (with backoff) and shown in the status.
    pub async fn run(&mut self) {
        let mut stop = self.handle.stop.subscribe();
        let wake = self.handle.wake.clone();
        let mut last_pull = Instant::now();
        let mut need_pull = true;
        // Rounds failed in a row, and since when.
        let mut failures = 0u32;
        let mut failing_since: Option<Instant> = None;
        // Fresh queue figures before the first request, which may take long
        // (the link state stays unknown until something answers).
        self.refresh_queue();
        loop {
            if *stop.borrow() {
                return;
            }
            // Taken before the round: an entry written while it runs is
            // then seen as new below, not lost between the push and the wait.
            let seen = self.local_version();
            self.request = None;
            let asked = self
                .handle
                .pull
                .swap(false, std::sync::atomic::Ordering::SeqCst);
            let result = if need_pull || asked || last_pull.elapsed() >= self.cfg.idle_pull {
                self.sync_once().await.map(|_| {
                    last_pull = Instant::now();
                })
            } else {
                let r = self.push_all().await.map(|_| ());
                self.publish(r.as_ref().err());
                r
            };
            match result {
                Ok(()) => {
                    need_pull = false;
                    self.backoff.reset();
                    if let Some(since) = failing_since.take() {
                        tracing::info!(
                            failures,
                            down_ms = since.elapsed().as_millis() as u64,
                            "sync recovered: the centre answers again"
                        );
                        failures = 0;
                    }
                    // Idle: wait for a nudge, a write by another process, or
                    // the periodic pull.
                    let deadline = last_pull + self.cfg.idle_pull;
                    loop {
                        tokio::select! {
                            _ = wake.notified() => break,
                            _ = stop.changed() => return,
                            _ = tokio::time::sleep_until(deadline) => { need_pull = true; break }
                            _ = tokio::time::sleep(self.cfg.local_poll) => {
                                let now = self.local_version();
                                if now.0 != seen.0 { break; }
                            }
                        }
                    }
                }
                Err(e) => {
                    need_pull = true;
                    failures += 1;
                    failing_since.get_or_insert_with(Instant::now);
                    let request = self.request.take();
                    // Batches went through before it failed: the link works
                    // (a reset, not an outage), so retry soon, not after a
                    // delay grown over a whole drain.
                    if self.last_push.batches > 0 {
                        self.backoff.reset();
                        // The retry is the probe: it reconnects at once, as
                        // a fresh process would (a probe first costs a
                        // round trip more on every reset). If it makes no
                        // progress, the backoff and the probes take over.
                        if e.is_transport() {
                            log_failure(&e, request, Duration::ZERO, failures);
                            continue;
                        }
                    }
                    let delay = self.backoff.next_delay(self.rng.as_mut());
                    log_failure(&e, request, delay, failures);
                    let until = Instant::now() + delay;
                    if e.is_transport() {
                        if self.wait_for_link(until, &mut stop).await {
                            return;
                        }
                    } else {
                        tokio::select! {
                            _ = tokio::time::sleep_until(until) => {}
                            _ = stop.changed() => return,
                        }
                    }
                }
            }
        }
    }

    /// After a link failure: waits out the backoff delay, probing all the
    /// while. A probe that succeeds after one that failed means the link
    /// healed: retry at once. Returns true when asked to stop.
    async fn wait_for_link(&mut self, until: Instant, stop: &mut watch::Receiver<bool>) -> bool {
        let mut probes: JoinSet<bool> = JoinSet::new();
        let mut saw_down = false;
        let started = Instant::now();
        let mut next_probe = Instant::now();
        loop {
            let far = Instant::now() + Duration::from_secs(3600);
            tokio::select! {
                _ = stop.changed() => return true,
                _ = tokio::time::sleep_until(until), if !saw_down => return false,
                _ = tokio::time::sleep_until(next_probe) => {
                    // Overlapping probes: on a link that swallows packets, the
                    // one in flight when it heals answers first.
                    let fut = self.transport.probe(self.cfg.probe_timeout);
                    probes.spawn(async move { fut.await.is_ok() });
                    next_probe = Instant::now() + self.cfg.probe_every;
                }
                Some(done) = probes.join_next(), if !probes.is_empty() => {
                    let up = matches!(done, Ok(true));
                    self.status.send_modify(|s| {
                        s.online = up;
                        let refused = s.state == codes::STATE_REFUSED;
                        s.derive_state(false, refused);
                    });
                    if up && saw_down {
                        tracing::info!(
                            waited_ms = started.elapsed().as_millis() as u64,
                            "link back: the centre answers a probe"
                        );
                        self.backoff.reset();
                        return false;
                    }
                    // The first failure after progress, and the centre
                    // answers: a reset, retry at once (repeated failures
                    // wait their backoff even when probes answer).
                    if up && self.backoff.attempts() <= 1 {
                        return false;
                    }
                    if up && Instant::now() >= until {
                        return false;
                    }
                    if !up {
                        saw_down = true;
                    }
                }
                _ = tokio::time::sleep_until(far) => {}
            }
        }
    }
}

/// One line per failed round of [`Engine::run`]: what failed and why (the
/// stable code), what the request carried, and when it is tried again.
/// Never the request's content, the centre's message or the error's text
/// (an address may carry a proxy's credentials).
fn log_failure(e: &SyncError, request: Option<RequestInfo>, delay: Duration, failures: u32) {
    let status = match e {
        SyncError::Server { status, .. } => Some(*status),
        _ => None,
    };
    tracing::warn!(
        code = %e.code(),
        status,
        request = request.map(|r| r.what),
        first_seq = request.and_then(|r| r.first_seq),
        entries = request.map(|r| r.entries),
        link = e.is_transport(),
        retry = true,
        delay_ms = delay.as_millis() as u64,
        failures,
        "sync failed: retrying"
    );
}

fn to_answer(o: &EntryOutcome) -> Answer {
    let (outcome, warnings) = match &o.outcome {
        WireOutcome::Accepted {
            txn_id,
            receipt_no,
            warnings,
        } => (
            LocalOutcome::Accepted {
                server_txn_id: txn_id.to_string(),
                final_receipt_no: (!receipt_no.is_empty()).then(|| receipt_no.clone()),
            },
            warnings.clone(),
        ),
        WireOutcome::Rejected { code, reason } => (
            LocalOutcome::Rejected {
                code: code.clone(),
                reason: reason.clone(),
            },
            vec![],
        ),
        WireOutcome::Pending { .. } => (LocalOutcome::Pending, vec![]),
    };
    Answer {
        seq: o.seq,
        outcome,
        warnings,
    }
}

/// The high-water mark the centre last told us (for status and tests).
pub fn stored_high_water(kiosk: &Kiosk) -> Option<u64> {
    get_setting(kiosk.store().conn(), HIGH_WATER_KEY)
        .ok()
        .flatten()
        .and_then(|s| s.parse().ok())
}

fn report_has_no_pending(outcomes: &[(u64, LocalOutcome)]) -> bool {
    !outcomes
        .iter()
        .any(|(_, o)| matches!(o, LocalOutcome::Pending))
}
