//! What the app and `sync status` show: link state, queue, last error,
//! bytes. Published in-process through a watch channel and written beside
//! the database so another process can read it. It holds no secret.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LastError {
    /// Stable dotted code, e.g. `sync.offline`.
    pub code: String,
    pub message: String,
    pub at: DateTime<Utc>,
}

/// Something the operator must know that is not an error, e.g.
/// `keys.not_persistent`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Warning {
    /// Stable dotted code.
    pub code: String,
    pub message: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncStatus {
    /// What is true now, as a stable code the app translates: one of the
    /// `sync.state.*` codes of [`protocol::codes`].
    #[serde(default)]
    pub state: String,
    /// The centre answered the last request or probe (a refusal is an answer).
    pub online: bool,
    /// Entries the centre has not answered yet.
    pub queue_len: i64,
    /// Entries the centre holds as pending (department confirms later).
    pub pending: i64,
    /// Entries the centre rejected (to reconcile; they never block the queue).
    pub rejected: i64,
    /// Age of the oldest unanswered entry, seconds.
    pub oldest_pending_age_secs: Option<i64>,
    pub last_error: Option<LastError>,
    /// Request and answer bytes (bodies and headers as sent), since start.
    pub bytes_sent: u64,
    pub bytes_received: u64,
    pub last_push_at: Option<DateTime<Utc>>,
    pub last_pull_at: Option<DateTime<Utc>>,
    /// The centre's high-water mark for this device, as last told.
    pub server_high_water: Option<u64>,
    /// Push batch size in use (from the measured link).
    pub batch_size: usize,
    pub updated_at: Option<DateTime<Utc>>,
    /// Filled by `sync status` when it runs (e.g. `keys.not_persistent`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<Warning>,
    /// What the operator must see and act on (e.g. `sync.centre_restored`,
    /// `sync.outcome_changed`), held in the kiosk database until cleared.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub alerts: Vec<crate::alerts::Alert>,
    /// The centre's clock minus this PC's, ms, as last measured.
    #[serde(default)]
    pub clock_offset_ms: Option<i64>,
    /// Receipts whose centre answer changed and that the operator has not
    /// acknowledged (reprint them).
    #[serde(default)]
    pub outcome_changes: i64,
}

impl SyncStatus {
    /// Sets [`SyncStatus::state`] from the other fields; `stopped` when the
    /// local chain is broken, `refused` when the last error is the centre's
    /// answer.
    pub fn derive_state(&mut self, stopped: bool, refused: bool) {
        use protocol::codes;
        let refused = refused && self.last_error.is_some();
        self.state = if stopped {
            codes::STATE_STOPPED
        } else if self.last_error.is_some() && !self.online {
            codes::STATE_OFFLINE
        } else if refused {
            codes::STATE_REFUSED
        } else if self.updated_at.is_none() && self.last_push_at.is_none() {
            codes::STATE_STARTING
        } else if !self.online {
            codes::STATE_OFFLINE
        } else if self.queue_len > 0 {
            codes::STATE_SENDING
        } else {
            codes::STATE_UP_TO_DATE
        }
        .to_string();
    }

    /// The centre answered just now: the last round worked (no error since)
    /// and the link is up. What a caller passes as `kiosk_core::Reach` for
    /// online-only services (the app from its loop's status, `kioskctl pay
    /// --online` from the status file with [`SyncStatus::answered_within`]).
    pub fn centre_answers(&self) -> bool {
        use protocol::codes;
        self.online
            && self.last_error.is_none()
            && matches!(
                self.state.as_str(),
                codes::STATE_UP_TO_DATE | codes::STATE_SENDING
            )
    }

    /// [`SyncStatus::centre_answers`], and the round that said so ended at
    /// most `max` before `now` (for a status read from the file beside the
    /// database, which may be old).
    pub fn answered_within(&self, now: DateTime<Utc>, max: chrono::Duration) -> bool {
        let last = self.updated_at.max(self.last_push_at);
        self.centre_answers() && last.is_some_and(|t| (now - t).abs() <= max)
    }

    /// One line in English for the CLI (the app translates `state`).
    pub fn state_words(&self) -> &'static str {
        match self.state.as_str() {
            "sync.state.up_to_date" => "up to date",
            "sync.state.sending" => "online, sending",
            "sync.state.offline" => "offline",
            "sync.state.refused" => "refused by the centre",
            "sync.state.stopped" => "stopped: local record damaged",
            _ => "starting",
        }
    }

    /// The status file beside the database.
    pub fn path_for(db: &Path) -> PathBuf {
        let mut p = db.as_os_str().to_owned();
        p.push(".sync-status.json");
        PathBuf::from(p)
    }

    /// Writes atomically (temp file + rename) so a reader never sees half.
    pub fn save(&self, db: &Path) -> std::io::Result<()> {
        let path = Self::path_for(db);
        let tmp = path.with_extension("json.tmp");
        // Private like the database it describes (0600).
        kiosk_store::private::write_file(
            &tmp,
            &serde_json::to_vec_pretty(self).expect("status serialises"),
        )?;
        std::fs::rename(tmp, path)
    }

    pub fn load(db: &Path) -> Option<SyncStatus> {
        let b = std::fs::read(Self::path_for(db)).ok()?;
        serde_json::from_slice(&b).ok()
    }
}

#[cfg(test)]
mod reach_tests {
    use super::*;
    use chrono::TimeZone;

    fn answered(at: DateTime<Utc>) -> SyncStatus {
        let mut s = SyncStatus {
            online: true,
            updated_at: Some(at),
            ..Default::default()
        };
        s.derive_state(false, false);
        s
    }

    /// Online-only services need a round that worked and a link that is
    /// up; a refusal, a failure since, or an old status file say no.
    #[test]
    fn the_centre_answers_only_after_a_round_that_worked() {
        let t = Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap();
        let min = chrono::Duration::minutes;
        assert!(!SyncStatus::default().centre_answers());
        let ok = answered(t);
        assert!(ok.centre_answers());
        assert!(ok.answered_within(t + min(1), min(2)));
        assert!(!ok.answered_within(t + min(3), min(2)));
        assert!(!ok.answered_within(t - min(3), min(2)));
        let mut down = ok.clone();
        down.online = false;
        down.derive_state(false, false);
        assert!(!down.centre_answers());
        let failed = |code: &str, refused: bool| {
            let mut s = ok.clone();
            s.last_error = Some(LastError {
                code: code.into(),
                message: String::new(),
                at: t,
            });
            s.derive_state(false, refused);
            s
        };
        assert!(!failed("auth.unknown_device", true).centre_answers());
        // A probe answered after a failed round: not yet.
        assert!(!failed("sync.timeout", false).centre_answers());
        let mut stopped = ok.clone();
        stopped.derive_state(true, false);
        assert!(!stopped.centre_answers());
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    /// The status file names the kiosk's queue and errors beside its
    /// database: the kiosk's user only, also when an older one was wider.
    #[test]
    fn the_status_file_is_private() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("kiosk.db");
        let mode = || {
            std::fs::metadata(SyncStatus::path_for(&db))
                .unwrap()
                .permissions()
                .mode()
                & 0o7777
        };
        let s = SyncStatus {
            queue_len: 3,
            ..Default::default()
        };
        s.save(&db).unwrap();
        assert_eq!(mode(), 0o600);
        std::fs::set_permissions(
            SyncStatus::path_for(&db),
            std::fs::Permissions::from_mode(0o644),
        )
        .unwrap();
        s.save(&db).unwrap();
        assert_eq!(mode(), 0o600);
        assert_eq!(SyncStatus::load(&db), Some(s));
    }
}
