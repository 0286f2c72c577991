//! Diagnostics from the libraries (the sync engine, the print worker):
//! warnings and errors on stderr, and for the long-running `sync watch` a
//! log file per day beside the kiosk database
//! (`<db dir>/logs/kioskctl.log.YYYY-MM-DD`, the newest
//! [`LOG_FILES_KEPT`] kept), at info: what was sent, retried, refused and
//! why. `EMITRA_LOG` (as in the desktop app, e.g. `EMITRA_LOG=debug` or
//! `EMITRA_LOG=kiosk_sync=debug,info`) sets the level of both. The
//! libraries log codes, counts and ids, never a key, signature, password
//! or a consumer's number.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use tracing_appender::rolling::{Builder, RollingFileAppender, Rotation};
use tracing_subscriber::prelude::*;
use tracing_subscriber::{EnvFilter, fmt};

/// The variable the desktop app reads too.
pub const LOG_ENV: &str = "EMITRA_LOG";
/// Daily files kept (as the desktop app keeps).
pub const LOG_FILES_KEPT: usize = 14;
/// The files are `kioskctl.log.<date>`.
pub const LOG_FILE_PREFIX: &str = "kioskctl.log";

fn filter(default: &str) -> EnvFilter {
    EnvFilter::try_from_env(LOG_ENV).unwrap_or_else(|_| EnvFilter::new(default))
}

/// `<folder of the database>/logs`.
pub fn log_dir(db: &Path) -> PathBuf {
    let parent = db
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    parent.join("logs")
}

fn appender(db: &Path) -> std::io::Result<RollingFileAppender> {
    let dir = log_dir(db);
    // Made first: the appender looks for old files to prune before it
    // creates the folder, and would complain.
    std::fs::create_dir_all(&dir)?;
    Builder::new()
        .rotation(Rotation::DAILY)
        .filename_prefix(LOG_FILE_PREFIX)
        .max_log_files(LOG_FILES_KEPT)
        .build(&dir)
        .map_err(std::io::Error::other)
}

/// Installs the subscriber: stderr at `warn`, plus the daily file at
/// `info` when `file` (the `sync watch` loop). A file that cannot be
/// opened is reported and skipped; the command still runs.
pub fn init(db: &Path, file: bool) {
    let stderr = fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_filter(filter("warn"));
    let file = file
        .then(|| match appender(db) {
            Ok(a) => Some(
                // Written straight to the file (no background thread):
                // a kiosk switched off mid-line loses nothing before it.
                fmt::layer()
                    .with_writer(a)
                    .with_ansi(false)
                    .with_filter(filter("info")),
            ),
            Err(e) => {
                eprintln!(
                    "warning log.unavailable: no log file in {}: {e}",
                    log_dir(db).display()
                );
                None
            }
        })
        .flatten();
    let _ = tracing_subscriber::registry()
        .with(stderr)
        .with(file)
        .try_init();
}
