//! `kioskctl`: the headless kiosk over the same core as the desktop app.
//!
//! Every failure exits non-zero and prints `error[code]: message` (or, with
//! `--json`, `{"error":{"code":..,"message":..}}`), the code being the
//! stable one from the library that refused.
//!
//! Warnings of the sync engine and the print worker go to stderr
//! (`EMITRA_LOG` sets the level, default `warn`); `sync watch` also keeps
//! a daily log file at info in `logs/` beside the database (see [`log`]).

mod cmd;
mod log;
mod out;

use clap::{Parser, Subcommand};
use domain::ErrorCode as _;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser, Debug)]
#[command(
    name = "kioskctl",
    version,
    about = "Headless e-Mitra kiosk: payments, receipts, reports, backups"
)]
pub struct Cli {
    /// The kiosk database file.
    #[arg(long, global = true, env = "KIOSK_DB", default_value = "kiosk.db")]
    pub db: PathBuf,
    /// Machine-readable output (JSON on stdout, errors as JSON too).
    #[arg(long, global = true)]
    pub json: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Create the kiosk in a new database.
    Init(cmd::InitArgs),
    /// Catalogue: import a file, show services.
    #[command(subcommand)]
    Catalogue(cmd::CatalogueCmd),
    /// Take a payment (one or several bills on one receipt).
    Pay(cmd::PayArgs),
    /// List and search receipts (newest first, paged).
    List(cmd::ListArgs),
    /// Show one receipt with its lines.
    Show(cmd::ShowArgs),
    /// Totals for an IST day (default today) or a date range.
    Totals(cmd::TotalsArgs),
    /// Cancel a receipt (the centre is told through the outbox).
    Cancel(cmd::CancelArgs),
    /// Verify the outbox hash chain and the database integrity.
    Verify,
    /// Write a backup (VACUUM INTO) and keep the newest N.
    Backup(cmd::BackupArgs),
    /// Replace a damaged database with the newest good backup.
    Restore(cmd::RestoreArgs),
    /// Wallet figures and offline exposure.
    #[command(subcommand)]
    Wallet(cmd::WalletCmd),
    /// Operators of this kiosk.
    #[command(subcommand)]
    Operator(cmd::OperatorCmd),
    /// Turn cheque acceptance on or off.
    Cheque(cmd::ChequeArgs),
    /// Outbox queue figures (what waits for sync).
    Queue,
    /// Pays in a loop, printing each receipt number after its commit (crash tests).
    #[command(hide = true)]
    PayLoop(cmd::PayLoopArgs),
    /// Print receipts, reports and test pages; the print queue.
    #[command(subcommand)]
    Print(print_queue::cli::PrintCommand),
    /// Printers this machine can see, and the known printer profiles.
    #[command(subcommand)]
    Printers(print_queue::cli::PrintersCommand),
    /// Sync with the centre: now, status, watch, register.
    #[command(subcommand)]
    Sync(kiosk_sync::cli::SyncCommand),
    // Other areas add their subcommands here, each implemented in its own
    // crate and wired with one line in `run` below, e.g.
    //   Print(print_cli::PrintArgs), Printers(...), Sync(kiosk_sync::cli::Args)
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if !e.use_stderr() => {
            // --help and --version
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            let json = std::env::args().any(|a| a == "--json");
            let err = out::cli_err("cli.usage", e.to_string().trim_end().to_string());
            out::error(json, &err);
            return ExitCode::from(2);
        }
    };
    let json = cli.json;
    let watch = matches!(
        cli.command,
        Command::Sync(kiosk_sync::cli::SyncCommand::Watch { .. })
    );
    log::init(&cli.db, watch);
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            out::error(json, &e);
            ExitCode::from(1)
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let ctx = cmd::Ctx {
        db: cli.db,
        json: cli.json,
    };
    match cli.command {
        Command::Init(a) => cmd::init(&ctx, a),
        Command::Catalogue(c) => cmd::catalogue(&ctx, c),
        Command::Pay(a) => cmd::pay(&ctx, a),
        Command::List(a) => cmd::list(&ctx, a),
        Command::Show(a) => cmd::show(&ctx, a),
        Command::Totals(a) => cmd::totals(&ctx, a),
        Command::Cancel(a) => cmd::cancel(&ctx, a),
        Command::Verify => cmd::verify(&ctx),
        Command::Backup(a) => cmd::backup(&ctx, a),
        Command::Restore(a) => cmd::restore(&ctx, a),
        Command::Wallet(c) => cmd::wallet(&ctx, c),
        Command::Operator(c) => cmd::operator(&ctx, c),
        Command::Cheque(a) => cmd::cheque(&ctx, a),
        Command::Queue => cmd::queue(&ctx),
        Command::PayLoop(a) => cmd::pay_loop(&ctx, a),
        Command::Print(c) => print_queue::cli::run_print(&ctx.db, ctx.json, c)
            .map_err(|e| out::cli_err(e.code().to_string(), e.to_string())),
        Command::Printers(c) => print_queue::cli::run_printers(ctx.json, c)
            .map_err(|e| out::cli_err(e.code().to_string(), e.to_string())),
        Command::Sync(c) => kiosk_sync::cli::run(c, &ctx.db, ctx.json)
            .map_err(|e| out::cli_err(e.code().to_string(), e.to_string())),
    }
}
