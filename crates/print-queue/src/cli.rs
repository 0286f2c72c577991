//! `kioskctl print …` and `kioskctl printers …`: implemented here, wired
//! into the CLI with a line each.

use crate::error::{QueueError, Result};
use crate::jobs::{self, JobState, PrinterChoice};
use crate::worker::{WorkerOptions, print_now};
use clap::{Args, Subcommand};
use domain::SystemClock;
use kiosk_core::Kiosk;
use print::receipt::Lang;
use print::transport::{Target, send_job};
use std::path::{Path, PathBuf};
use std::sync::Arc;

#[derive(Subcommand, Debug)]
pub enum PrintCommand {
    /// Print a test page straight to a printer (no queue, no database).
    TestPage(TestPageArgs),
    /// Print a receipt (a reprint says DUPLICATE COPY).
    Receipt(ReceiptArgs),
    /// Print the day's transactions report (PDF on a laser profile).
    Report(ReportArgs),
    /// Print a receipt whose print failed or is waiting in the queue.
    Retry { receipt: String },
    /// Cancel a print job that has not printed.
    Cancel { job: String },
    /// List print jobs, newest first.
    Jobs {
        #[arg(long, default_value_t = 20)]
        limit: u32,
    },
    /// Set the receipt printer for this kiosk.
    Use(PrinterArgs),
}

#[derive(Args, Debug)]
pub struct PrinterArgs {
    /// Printer URI: usb:/dev/usb/lp0, lpt:/dev/lp0, serial:/dev/ttyS0, tcp://host:9100, spool:QUEUE, file:/path
    #[arg(long)]
    pub to: String,
    /// Profile id (see `printers list`).
    #[arg(long)]
    pub profile: String,
    /// Line width to lay receipts and reports out at (default: the
    /// profile's; 136 on an 8" carriage prints condensed).
    #[arg(long)]
    pub columns: Option<u16>,
}

#[derive(Args, Debug)]
pub struct TestPageArgs {
    #[arg(long)]
    pub profile: String,
    #[arg(long)]
    pub to: String,
}

#[derive(Args, Debug)]
pub struct ReceiptArgs {
    /// Receipt number (local or final) or id.
    pub receipt: String,
    /// Printer URI (default: the one set with `print use`).
    #[arg(long, requires = "profile")]
    pub to: Option<String>,
    #[arg(long, requires = "to")]
    pub profile: Option<String>,
    /// English only (default: English and Hindi).
    #[arg(long)]
    pub english: bool,
    /// Also write the virtual printer's picture of the job to this PNG.
    #[arg(long)]
    pub preview: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct ReportArgs {
    /// IST day, YYYY-MM-DD (default today).
    #[arg(long)]
    pub day: Option<chrono::NaiveDate>,
    #[arg(long, requires = "profile")]
    pub to: Option<String>,
    #[arg(long, requires = "to")]
    pub profile: Option<String>,
}

#[derive(Subcommand, Debug)]
pub enum PrintersCommand {
    /// Spooler queues, USB/parallel printer devices and serial ports, with
    /// the profile that fits where the printer says what it is.
    List,
    /// The printer profiles this build knows.
    Profiles,
}

fn out<T: serde::Serialize>(json: bool, v: &T, human: impl FnOnce() -> String) {
    if json {
        println!("{}", serde_json::to_string(v).expect("serialisable"));
    } else {
        println!("{}", human());
    }
}

fn choice(kiosk: &Kiosk, to: Option<String>, profile: Option<String>) -> Result<PrinterChoice> {
    match (to, profile) {
        (Some(uri), Some(profile)) => Ok(PrinterChoice { uri, profile }),
        _ => jobs::configured_printer(kiosk.store().conn())?.ok_or(QueueError::NoPrinter),
    }
}

pub fn run_print(db: &Path, json: bool, cmd: PrintCommand) -> Result<()> {
    let clock = Arc::new(SystemClock);
    match cmd {
        PrintCommand::TestPage(a) => {
            let page = jobs::render_test_page(&PrinterChoice {
                uri: a.to.clone(),
                profile: a.profile.clone(),
            })?;
            let p = page.profile;
            let target = Target::parse(&a.to, Some(&p))?;
            let sent = send_job(&target, &page.bytes, &p)?;
            out(
                json,
                &serde_json::json!({"bytes": sent.bytes, "printer": a.to, "profile": p.id}),
                || {
                    format!(
                        "test page sent: {} bytes to {}",
                        sent.bytes,
                        target.describe()
                    )
                },
            );
        }
        PrintCommand::Receipt(a) => {
            let mut kiosk = Kiosk::open(db, clock.clone())?;
            let c = choice(&kiosk, a.to, a.profile)?;
            let lang = if a.english {
                Lang::English
            } else {
                Lang::Bilingual
            };
            // Everything that can refuse the request (the preview included)
            // runs before the job is queued: a refused request queues
            // nothing that a later retry would print.
            let r = jobs::render_receipt(&kiosk, &a.receipt, &c, lang)?;
            if let Some(png) = &a.preview {
                let page = print::virtual_printer::render(&r.bytes, &r.profile)?;
                // A receipt's image: private like the database (0600).
                kiosk_store::private::write_file(png, &page.png())?;
            }
            let id = jobs::enqueue_rendered(&mut kiosk, &c, &r).inspect_err(|_| {
                if let Some(png) = &a.preview {
                    std::fs::remove_file(png).ok();
                }
            })?;
            let kind = r.kind;
            drop(kiosk);
            let j = print_now(
                db,
                &id,
                &WorkerOptions {
                    clock,
                    ..WorkerOptions::default()
                },
            )?;
            out(json, &j, || {
                format!(
                    "job {} ({}): {} after {} attempt(s)",
                    j.id,
                    kind.as_str(),
                    j.state.as_str(),
                    j.attempts
                )
            });
            if j.state != JobState::Done {
                return Err(QueueError::JobFailed {
                    id: j.id,
                    code: j.last_error_code.unwrap_or_default(),
                    message: format!(
                        "{} ({})",
                        j.last_error.unwrap_or_default(),
                        if j.state == JobState::Queued {
                            "kept in the queue for retry"
                        } else {
                            "failed"
                        }
                    ),
                });
            }
        }
        PrintCommand::Report(a) => {
            let mut kiosk = Kiosk::open(db, clock.clone())?;
            let c = choice(&kiosk, a.to, a.profile)?;
            let day = a
                .day
                .unwrap_or_else(|| domain::clock::ist_date(domain::Clock::now(clock.as_ref())));
            let report = jobs::day_report(&kiosk, day)?;
            let id = jobs::enqueue_report(&mut kiosk, &report, &c)?;
            drop(kiosk);
            let j = print_now(
                db,
                &id,
                &WorkerOptions {
                    clock,
                    ..WorkerOptions::default()
                },
            )?;
            out(json, &j, || {
                format!("report job {}: {}", j.id, j.state.as_str())
            });
            if j.state != JobState::Done {
                return Err(QueueError::JobFailed {
                    id: j.id,
                    code: j.last_error_code.unwrap_or_default(),
                    message: j.last_error.unwrap_or_default(),
                });
            }
        }
        PrintCommand::Retry { receipt } => {
            let mut kiosk = Kiosk::open(db, clock.clone())?;
            let id = jobs::retry_receipt(&mut kiosk, &receipt)?;
            drop(kiosk);
            let j = print_now(
                db,
                &id,
                &WorkerOptions {
                    clock,
                    ..WorkerOptions::default()
                },
            )?;
            out(json, &j, || format!("job {}: {}", j.id, j.state.as_str()));
        }
        PrintCommand::Cancel { job } => {
            let kiosk = Kiosk::open(db, clock.clone())?;
            jobs::cancel(
                kiosk.store().conn(),
                domain::Clock::now(clock.as_ref()),
                &job,
            )?;
            out(json, &serde_json::json!({"cancelled": job}), || {
                format!("job {job} cancelled")
            });
        }
        PrintCommand::Jobs { limit } => {
            let kiosk = Kiosk::open(db, clock)?;
            let list = jobs::list(kiosk.store().conn(), None, limit)?;
            out(json, &list, || {
                list.iter()
                    .map(|j| {
                        format!(
                            "{}  {:<9} {:<9} attempts {}  {}  {}",
                            j.id,
                            j.kind,
                            j.state.as_str(),
                            j.attempts,
                            j.printer,
                            j.last_error_code.as_deref().unwrap_or("")
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            });
        }
        PrintCommand::Use(a) => {
            let mut kiosk = Kiosk::open(db, clock)?;
            let c = PrinterChoice {
                uri: a.to,
                profile: a.profile,
            };
            jobs::set_printer_columns(&mut kiosk, &c, a.columns)?;
            out(json, &c, || {
                format!(
                    "receipts print on {} ({}{})",
                    c.uri,
                    c.profile,
                    a.columns
                        .map(|n| format!(", {n} columns"))
                        .unwrap_or_default()
                )
            });
        }
    }
    Ok(())
}

pub fn run_printers(json: bool, cmd: PrintersCommand) -> Result<()> {
    match cmd {
        PrintersCommand::List => {
            let found = crate::setup::discover();
            out(json, &found, || {
                if found.is_empty() {
                    return "no printers found".into();
                }
                found
                    .iter()
                    .map(|f| {
                        format!(
                            "{:<28} {:<8} {}{}",
                            f.uri,
                            f.kind,
                            f.name,
                            f.suggested_profile
                                .as_deref()
                                .map(|p| format!("  (profile {p})"))
                                .unwrap_or_default()
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            });
        }
        PrintersCommand::Profiles => {
            let ps = crate::setup::profiles();
            out(json, &ps, || {
                ps.iter()
                    .map(|p| format!("{:<22} {}", p.id, p.name))
                    .collect::<Vec<_>>()
                    .join("\n")
            });
        }
    }
    Ok(())
}
