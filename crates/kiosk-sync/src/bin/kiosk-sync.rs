//! `kiosk-sync --db PATH now|status|watch|key`: the sync commands on their
//! own (the kiosk CLI mounts the same subcommands as `kioskctl sync ...`).

use domain::ErrorCode as _;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use kiosk_sync::cli::{SyncCommand, run};

#[derive(Parser)]
#[command(name = "kiosk-sync", about = "Sync the kiosk's outbox with the centre")]
struct Args {
    /// The kiosk database.
    #[arg(long, env = "KIOSK_DB")]
    db: PathBuf,
    /// Machine-readable output.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    cmd: SyncCommand,
}

fn main() -> ExitCode {
    let args = Args::parse();
    match run(args.cmd, &args.db, args.json) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error {}: {e}", e.code());
            ExitCode::from(2)
        }
    }
}
