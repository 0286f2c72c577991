//! Helpdesk tickets from the back office: raise one (category, description,
//! the receipt it concerns, and on request a support bundle), and list them
//! with the centre's replies. The ticket itself is the core's
//! ([`kiosk_core::tickets`]): one outbox entry, queued offline like a
//! payment; the replies come back on the pull.
//!
//! # The support bundle
//!
//! JSON the helpdesk reads to see what the kiosk saw: app and OS version,
//! sync status, queue figures, printer settings and the last lines of the
//! app's log files (`<data folder>/logs/kiosk.*.log`). It is built from a
//! list of chosen facts (never a dump of the settings or the database), and
//! every text in it is scrubbed ([`scrub`]): passwords, tokens, keys,
//! signatures, URL credentials and long opaque strings are replaced by
//! `[redacted]`, and the session's token and the device key themselves are
//! looked for as a last net. A bundle larger than
//! [`TICKET_ATTACHMENT_MAX_BYTES`] loses its oldest log lines until it fits
//! and says so (`capped`, `log_lines_dropped`).

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use chrono::{DateTime, Utc};
use kiosk_core::{Kiosk, TicketInput, TicketRecord};
use kiosk_store::get_setting;
use kiosk_sync::status::SyncStatus;
use protocol::wire::TICKET_ATTACHMENT_MAX_BYTES;
use regex::Regex;
use serde::{Deserialize, Serialize};
use serde_json::json;
use ts_rs::TS;

use crate::Service;
use crate::api::{PrinterView, SyncView};
use crate::error::{AppError, Result};

/// Log lines read from the newest files (fewer go when the bundle is capped).
pub const LOG_LINES_MAX: usize = 200;
/// Characters of one log line kept.
const LOG_LINE_MAX_CHARS: usize = 400;
/// Bytes read from the end of one log file.
const LOG_TAIL_BYTES: u64 = 256 * 1024;
/// Tickets on the list.
const LIST_LIMIT: u32 = 200;

// ------------------------------------------------------------------ api types

#[derive(Debug, Clone, Deserialize, TS)]
pub struct TicketRaiseArgs {
    /// One of `TicketList.categories`.
    pub category: String,
    pub description: String,
    /// The receipt it concerns: local or final number.
    #[ts(optional)]
    #[serde(default)]
    pub receipt_no: Option<String>,
    /// Attach the support bundle (no secrets in it).
    #[serde(default)]
    pub attach_bundle: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct TicketReplyView {
    pub id: i64,
    /// The ticket's status the reply left.
    pub status: String,
    pub text: String,
    pub at: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct TicketView {
    pub id: String,
    pub category: String,
    /// The description's first line.
    pub subject: String,
    pub description: String,
    pub receipt_no: Option<String>,
    pub raised_by: String,
    pub created_at: String,
    /// `queued` (waiting to reach the centre), `rejected` (the centre
    /// refused it: `reject_code`), or the centre's word: `open`,
    /// `in_progress`, `resolved`, `closed`.
    pub state: String,
    pub reject_code: Option<String>,
    /// Bytes of the support bundle sent with it (0: none).
    pub bundle_bytes: i64,
    /// The centre's replies, oldest first.
    pub replies: Vec<TicketReplyView>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct TicketList {
    /// Newest first.
    pub tickets: Vec<TicketView>,
    /// The categories a ticket may have, in the order to offer them.
    pub categories: Vec<String>,
}

/// What went with a ticket as its support bundle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct BundleView {
    pub bytes: i64,
    pub log_lines: i64,
    /// The bundle was too big for one entry: the oldest log lines were left
    /// out (this many).
    pub capped: bool,
    pub log_lines_dropped: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct TicketRaised {
    pub ticket: TicketView,
    pub bundle: Option<BundleView>,
}

pub(crate) fn view(t: &TicketRecord) -> TicketView {
    TicketView {
        id: t.id.to_string(),
        category: t.category.clone(),
        subject: t.subject.clone(),
        description: t.description.clone(),
        receipt_no: t.receipt_no.clone(),
        raised_by: t.raised_by.clone(),
        created_at: t.created_at.to_rfc3339(),
        state: t.state.clone(),
        reject_code: t.reject_code.clone(),
        bundle_bytes: t.attachment_bytes,
        replies: t
            .replies
            .iter()
            .map(|r| TicketReplyView {
                id: r.id,
                status: r.status.clone(),
                text: r.text.clone(),
                at: r.at.to_rfc3339(),
            })
            .collect(),
    }
}

// ------------------------------------------------------------------ commands

impl Service {
    /// Any logged-in operator may raise one; it waits in the outbox when
    /// the centre cannot be reached.
    pub async fn ticket_raise(&self, a: TicketRaiseArgs) -> Result<TicketRaised> {
        let (login, _) = self.operator()?;
        let status = if a.attach_bundle {
            Some(self.status(()).await?)
        } else {
            None
        };
        let sync = self.sync_status_snapshot();
        let token = self.session_token();
        let data_dir = self.data_dir();
        let out = self
            .with_kiosk(move |k, _| {
                let bundle = match &status {
                    None => None,
                    Some(st) => {
                        let mut secrets = device_key_encodings(k);
                        secrets.extend(token);
                        Some(support_bundle(
                            k,
                            &BundleInputs {
                                data_dir: &data_dir,
                                sync: sync.as_ref(),
                                sync_view: &st.sync,
                                printer: &st.printer,
                                known_secrets: &secrets,
                                now: k.clock().now(),
                            },
                        )?)
                    }
                };
                let input = TicketInput {
                    category: a.category,
                    description: a.description,
                    receipt: a.receipt_no,
                    attachment: bundle.as_ref().map(|b| b.text.clone()),
                };
                let raised = k.raise_ticket(&login, &input)?;
                let t = k
                    .tickets(LIST_LIMIT)?
                    .into_iter()
                    .find(|t| t.id == raised.id)
                    .ok_or_else(|| AppError::Internal("the new ticket is not listed".into()))?;
                Ok(TicketRaised {
                    ticket: view(&t),
                    bundle: bundle.map(|b| BundleView {
                        bytes: b.text.len() as i64,
                        log_lines: b.log_lines as i64,
                        capped: b.capped,
                        log_lines_dropped: b.log_lines_dropped as i64,
                    }),
                })
            })
            .await?;
        self.nudge_sync();
        self.poke();
        Ok(out)
    }

    pub async fn tickets(&self, _: ()) -> Result<TicketList> {
        self.operator()?;
        self.with_kiosk(|k, _| {
            Ok(TicketList {
                tickets: k.tickets(LIST_LIMIT)?.iter().map(view).collect(),
                categories: protocol::TICKET_CATEGORIES
                    .iter()
                    .map(|c| c.to_string())
                    .collect(),
            })
        })
        .await
    }
}

// ------------------------------------------------------------------ the bundle

/// What the bundle is made from besides the kiosk's database.
pub struct BundleInputs<'a> {
    /// The app's data folder (its `logs` folder is read).
    pub data_dir: &'a Path,
    pub sync: Option<&'a SyncStatus>,
    pub sync_view: &'a SyncView,
    pub printer: &'a PrinterView,
    /// Exact values that must never appear (the session's token, the
    /// device key's encodings), replaced wherever they are found.
    pub known_secrets: &'a [String],
    pub now: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bundle {
    /// JSON, at most [`TICKET_ATTACHMENT_MAX_BYTES`].
    pub text: String,
    pub log_lines: usize,
    pub capped: bool,
    pub log_lines_dropped: usize,
}

/// The device key as text in the ways it could have been written
/// (hex, base64), so the scrubber can look for it.
fn device_key_encodings(k: &Kiosk) -> Vec<String> {
    use base64::Engine;
    let Ok(ring) = kiosk_sync::keys::Keyring::for_device(k.identity().device_id) else {
        return Vec::new();
    };
    let Ok(Some(key)) = ring.load() else {
        return Vec::new();
    };
    let b = key.signing_key().to_bytes();
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    let e = base64::engine::general_purpose::STANDARD;
    let u = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let sn = base64::engine::general_purpose::STANDARD_NO_PAD;
    vec![
        hex.to_uppercase(),
        hex,
        e.encode(b),
        u.encode(b),
        sn.encode(b),
    ]
}

/// `/etc/os-release` where there is one, else what the build knows.
fn os_facts() -> serde_json::Value {
    let mut name = None;
    let mut version = None;
    let mut id = None;
    if let Ok(text) = std::fs::read_to_string("/etc/os-release") {
        for line in text.lines() {
            let Some((k, v)) = line.split_once('=') else {
                continue;
            };
            let v = v.trim().trim_matches('"').to_string();
            match k.trim() {
                "PRETTY_NAME" => name = Some(v),
                "VERSION_ID" => version = Some(v),
                "ID" => id = Some(v),
                _ => {}
            }
        }
    }
    json!({
        "family": std::env::consts::OS,
        "arch": std::env::consts::ARCH,
        "name": name.map(|s| scrub(&s, &[])),
        "id": id.map(|s| scrub(&s, &[])),
        "version": version.map(|s| scrub(&s, &[])),
    })
}

/// The app's log files, oldest first (`kiosk.YYYY-MM-DD.log` sorts by day).
fn log_files(dir: &Path) -> Vec<PathBuf> {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = rd
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| {
            p.is_file()
                && p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with("kiosk") && n.contains(".log"))
        })
        .collect();
    files.sort();
    files
}

/// The last `n` lines over the log files, oldest first, each scrubbed.
fn last_log_lines(dir: &Path, n: usize, secrets: &[String]) -> (Vec<String>, Vec<String>) {
    use std::io::{Read, Seek, SeekFrom};
    let files = log_files(dir);
    let mut names = Vec::new();
    let mut lines: Vec<String> = Vec::new();
    for f in files.iter().rev() {
        if lines.len() >= n {
            break;
        }
        let Ok(mut file) = std::fs::File::open(f) else {
            continue;
        };
        let len = file.metadata().map(|m| m.len()).unwrap_or(0);
        let start = len.saturating_sub(LOG_TAIL_BYTES);
        if file.seek(SeekFrom::Start(start)).is_err() {
            continue;
        }
        let mut buf = Vec::new();
        if file.read_to_end(&mut buf).is_err() {
            continue;
        }
        let text = String::from_utf8_lossy(&buf);
        let mut these: Vec<&str> = text.lines().collect();
        // A tail read from the middle of a line starts with half of it.
        if start > 0 && !these.is_empty() {
            these.remove(0);
        }
        let want = n - lines.len();
        let take = these.len().min(want);
        let mut chunk: Vec<String> = these[these.len() - take..]
            .iter()
            .filter(|l| !l.trim().is_empty())
            .map(|l| {
                let s = scrub(l, secrets);
                if s.chars().count() > LOG_LINE_MAX_CHARS {
                    let mut cut: String = s.chars().take(LOG_LINE_MAX_CHARS).collect();
                    cut.push('…');
                    cut
                } else {
                    s
                }
            })
            .collect();
        chunk.extend(lines);
        lines = chunk;
        if let Some(name) = f.file_name().and_then(|n| n.to_str()) {
            names.insert(0, name.to_string());
        }
    }
    (names, lines)
}

fn opt_scrub(s: Option<String>, secrets: &[String]) -> Option<String> {
    s.map(|s| scrub(&s, secrets))
}

/// Makes the support bundle; see the module docs.
pub fn support_bundle(k: &Kiosk, inp: &BundleInputs) -> Result<Bundle> {
    let secrets = inp.known_secrets;
    let conn = k.store().conn();
    let q = k.queue_stats()?;
    let mut by_kind = serde_json::Map::new();
    {
        let mut stmt = conn.prepare(
            "SELECT kind, COUNT(*), COALESCE(SUM(outcome IS NULL), 0), COALESCE(SUM(outcome = 'rejected'), 0)
               FROM outbox GROUP BY kind ORDER BY kind",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, i64>(2)?,
                r.get::<_, i64>(3)?,
            ))
        })?;
        for row in rows {
            let (kind, all, unsent, rejected) = row?;
            by_kind.insert(
                kind,
                json!({"entries": all, "unsent": unsent, "rejected": rejected}),
            );
        }
    }
    let (t_queued, t_sent, t_refused) = k.ticket_counts()?;
    let id = k.identity();
    let setting = |key: &str| -> Result<Option<String>> { Ok(get_setting(conn, key)?) };
    let s = inp.sync;
    let sync = json!({
        "state": inp.sync_view.state,
        "status_code": s.map(|s| s.state.clone()),
        "pending": inp.sync_view.pending,
        "held": inp.sync_view.held,
        "rejected": inp.sync_view.rejected,
        "oldest_pending_age_secs": inp.sync_view.oldest_pending_age_secs,
        "last_sync_at": inp.sync_view.last_sync_at,
        "last_push_at": s.and_then(|s| s.last_push_at).map(|t| t.to_rfc3339()),
        "last_pull_at": s.and_then(|s| s.last_pull_at).map(|t| t.to_rfc3339()),
        "server_high_water": s.and_then(|s| s.server_high_water),
        "batch_size": s.map(|s| s.batch_size),
        "clock_offset_ms": s.and_then(|s| s.clock_offset_ms),
        "bytes_sent": s.map(|s| s.bytes_sent),
        "bytes_received": s.map(|s| s.bytes_received),
        "last_error": s.and_then(|s| s.last_error.as_ref()).map(|e| json!({
            "code": e.code,
            "message": scrub(&e.message, secrets),
            "at": e.at.to_rfc3339(),
        })),
        "warnings": s.map(|s| s.warnings.iter().map(|w| w.code.clone()).collect::<Vec<_>>()),
        "alerts": s.map(|s| s.alerts.iter().map(|a| a.code.clone()).collect::<Vec<_>>()),
        "centre_url": opt_scrub(setting(kiosk_sync::cli::SERVER_URL_KEY)?, secrets),
        "proxy_url": opt_scrub(setting(kiosk_sync::transport::PROXY_URL_KEY)?, secrets),
    });
    let mut jobs = Vec::new();
    {
        let mut stmt = conn.prepare(
            "SELECT kind, state, attempts, last_error_code FROM print_jobs ORDER BY created_at DESC LIMIT 5",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(json!({
                "kind": r.get::<_, String>(0)?,
                "state": r.get::<_, String>(1)?,
                "attempts": r.get::<_, i64>(2)?,
                "last_error_code": r.get::<_, Option<String>>(3)?,
            }))
        })?;
        for r in rows {
            jobs.push(r?);
        }
    }
    let printer = json!({
        "state": inp.printer.state,
        "uri": opt_scrub(inp.printer.uri.clone(), secrets),
        "profile": inp.printer.profile,
        "columns": setting("print.columns")?.filter(|c| !c.is_empty()),
        "queued": inp.printer.queued,
        "failed": inp.printer.failed,
        "last_error_code": inp.printer.last_error_code,
        "recent_jobs": jobs,
    });
    let (files, mut lines) = last_log_lines(&inp.data_dir.join("logs"), LOG_LINES_MAX, secrets);
    let mut dropped = 0usize;
    let make = |lines: &[String], dropped: usize| {
        json!({
            "bundle": "kiosk-support/1",
            "made_at": inp.now.to_rfc3339(),
            "app": {
                "version": env!("CARGO_PKG_VERSION"),
                "schema": k.store().schema_version().ok(),
            },
            "os": os_facts(),
            "kiosk": {
                "kiosk_code": id.kiosk_code.to_string(),
                "device_no": id.device_no.get(),
                "device_id": id.device_id.to_string(),
                "district": id.district,
                "catalogue_version": k.catalogue().map(|c| c.version),
                "lang": get_setting(conn, "app.lang").ok().flatten(),
            },
            "sync": sync,
            "queue": {
                "last_seq": q.last_seq,
                "unsent": q.unsent,
                "pending": q.pending,
                "first_unsent_seq": q.first_unsent_seq,
                "oldest_unsent_age_secs": q.oldest_unsent_age_secs,
                "by_kind": by_kind,
                "entries_stopped_at": k.entries_stopped_at().ok().flatten(),
                "tickets": {"queued": t_queued, "at_centre": t_sent, "refused": t_refused},
            },
            "printer": printer,
            "logs": {
                "files": files,
                "lines": lines,
            },
            "capped": dropped > 0,
            "log_lines_dropped": dropped,
        })
        .to_string()
    };
    let mut text = make(&lines, dropped);
    while text.len() > TICKET_ATTACHMENT_MAX_BYTES && !lines.is_empty() {
        // Drop about as many of the oldest lines as the excess takes.
        let over = text.len() - TICKET_ATTACHMENT_MAX_BYTES;
        let avg = (lines.iter().map(|l| l.len() + 3).sum::<usize>() / lines.len()).max(1);
        let n = over.div_ceil(avg).clamp(1, lines.len());
        lines.drain(..n);
        dropped += n;
        text = make(&lines, dropped);
    }
    if text.len() > TICKET_ATTACHMENT_MAX_BYTES {
        // Not even without a log line (cannot happen with today's fields).
        text = json!({
            "bundle": "kiosk-support/1",
            "made_at": inp.now.to_rfc3339(),
            "app": {"version": env!("CARGO_PKG_VERSION")},
            "capped": true,
            "note": "the bundle was too large for one ticket",
        })
        .to_string();
    }
    // The last net: none of the known values, however they got in.
    let text = scrub_known(&text, secrets);
    Ok(Bundle {
        text,
        log_lines: lines.len(),
        capped: dropped > 0,
        log_lines_dropped: dropped,
    })
}

// ------------------------------------------------------------------ scrubbing

const REDACTED: &str = "[redacted]";

fn rules() -> &'static [(Regex, &'static str)] {
    static RULES: OnceLock<Vec<(Regex, &'static str)>> = OnceLock::new();
    RULES.get_or_init(|| {
        [
            // A PEM block (or its first line) and everything after it.
            (r"-----BEGIN [A-Z0-9 ]+-----.*", "[redacted key]"),
            // Password hashes in PHC form.
            (r"\$argon2(?:id|i|d)\$\S*", REDACTED),
            // Credentials in a URL: scheme://user:password@host.
            (r"(?i)\b([a-z][a-z0-9+.\-]*://)[^/\s@]*@", "${1}[redacted]@"),
            (
                r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=\-]{8,}",
                "${1} [redacted]",
            ),
        ]
        .into_iter()
        .map(|(p, r)| (Regex::new(p).expect("scrub rule compiles"), r))
        .collect()
    })
}

/// name=value, name: value, "name":"value" for any name that speaks of a
/// secret.
fn named() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| {
        Regex::new(
            r#"(?i)([A-Za-z0-9_.\-]*(?:pass(?:word|wd|phrase)?|pwd|secret|token|key|sig|signature|authori[sz]ation|cookie|verifier|credential|otp|pin)[A-Za-z0-9_.\-]*)(\s*["']?\s*[:=]\s*)("[^"]*"|'[^']*'|[^\s,;&)}\]]+)"#,
        )
        .expect("compiles")
    })
}

fn opaque() -> &'static (Regex, Regex) {
    static R: OnceLock<(Regex, Regex)> = OnceLock::new();
    R.get_or_init(|| {
        (
            Regex::new(r"[A-Za-z0-9+/_=\-]{32,}").expect("compiles"),
            Regex::new(
                r"^(?:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}-?)+$",
            )
            .expect("compiles"),
        )
    })
}

fn scrub_known(s: &str, secrets: &[String]) -> String {
    let mut out = s.to_string();
    for k in secrets {
        if k.len() >= 6 {
            out = out.replace(k.as_str(), REDACTED);
        }
    }
    out
}

/// Removes what could be a secret from one text: passwords, tokens, keys
/// and signatures after a name that says so, bearer tokens, credentials in
/// URLs, PEM blocks, password hashes, long opaque strings (32 or more
/// base64 or hex characters that are not UUIDs or plain words), and the
/// exact `secrets` given.
pub fn scrub(s: &str, secrets: &[String]) -> String {
    let mut out = scrub_known(s, secrets);
    for (re, rep) in rules() {
        out = re.replace_all(&out, *rep).into_owned();
    }
    let text = out.clone();
    out = named()
        .replace_all(&text, |c: &regex::Captures| {
            let m = c.get(0).expect("the match");
            // `kiosk_sync::keys: message` is a log line's target, not a name.
            if text[..m.start()].ends_with("::") {
                m.as_str().to_string()
            } else {
                format!("{}{}{REDACTED}", &c[1], &c[2])
            }
        })
        .into_owned();
    let (long, uuid) = opaque();
    out = long
        .replace_all(&out, |c: &regex::Captures| {
            let m = &c[0];
            let word = m
                .chars()
                .all(|ch| ch.is_ascii_lowercase() || ch == '_' || ch == '-');
            if uuid.is_match(m) || word {
                m.to_string()
            } else {
                REDACTED.to_string()
            }
        })
        .into_owned();
    out
}

#[cfg(test)]
mod tests {
    use super::scrub;

    #[test]
    fn secrets_in_the_usual_shapes_are_removed() {
        let cases = [
            ("login ok token=\"eyJhbGciOi.Jz.dWIi\"", "eyJhbGciOi"),
            (
                "Authorization: Bearer abcDEF1234567890tokenvalue",
                "abcDEF1234567890",
            ),
            ("password=Holder@2026 next", "Holder@2026"),
            (r#"{"password":"Holder@2026"}"#, "Holder@2026"),
            (
                "proxy http://user:ProxyPass99@10.0.0.1:3128/",
                "ProxyPass99",
            ),
            (
                "x-sig: MTIzNDU2Nzg5MDEyMzQ1Njc4OTAxMjM0NTY3ODkw",
                "MTIzNDU2Nzg5",
            ),
            (
                "key AbCdEfGhIjKlMnOpQrStUvWxYz0123456789abcdEFGH=",
                "AbCdEfGhIjKl",
            ),
            (
                "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2g",
                "aGFzaGhhc2g",
            ),
            (
                "-----BEGIN PRIVATE KEY----- MC4CAQAwBQYDK2VwBCIEI",
                "MC4CAQAw",
            ),
            ("device_key: 9f86d081884c7d659a2feaa0c55ad015", "9f86d0818"),
        ];
        for (line, secret) in cases {
            let s = scrub(line, &[]);
            assert!(!s.contains(secret), "{line:?} -> {s:?}");
            assert!(s.contains("[redacted"), "{line:?} -> {s:?}");
        }
        assert_eq!(
            scrub("seq 12 sent, 0190a5b2-7c3e-7d4f-8a9b-0123456789ab ok", &[]),
            "seq 12 sent, 0190a5b2-7c3e-7d4f-8a9b-0123456789ab ok"
        );
        assert_eq!(
            scrub("kiosk opened db=/data/kiosk.db", &[]),
            "kiosk opened db=/data/kiosk.db"
        );
        assert_eq!(
            scrub("the word is Secret2026", &["Secret2026".into()]),
            "the word is [redacted]"
        );
        // A log line's target is not a name of a secret.
        assert_eq!(
            scrub(
                "ERROR kiosk_sync::keys: device key 9f86d081884c7d659a2feaa0c55ad015e3b0c442",
                &[]
            ),
            "ERROR kiosk_sync::keys: device key [redacted]"
        );
    }
}
