//! Printer set-up for the back office: the printers this PC shows (the
//! print queue's discovery, as `kioskctl printers list`), the profiles
//! this build knows, the receipt printer (stored as `kioskctl print use`
//! stores it) and the report printer (the settings `report_print` reads),
//! a test page queued like any job with its preview drawn from the very
//! bytes queued, and the jobs not printed yet with their retry.
//!
//! Anyone logged in may look, print a test page on a printer that is set
//! and retry failed jobs; changing a printer, or a test page on one not
//! saved yet, is the holder's.

use kiosk_core::Kiosk;
use print::Profile;
use print::transport::Target;
use print_queue::QueueError;
use print_queue::jobs::{self, Job, PrinterChoice};

use crate::Service;
use crate::api::*;
use crate::error::{AppError, Result};
use crate::service::Inner;

/// Jobs listed on the screen (newest first).
const JOBS_SHOWN: u32 = 100;
/// A printer URI longer than this is not one.
const URI_MAX: usize = 300;

impl Service {
    pub async fn printers(&self, _: ()) -> Result<PrintersView> {
        let (_, role) = self.operator()?;
        self.with_kiosk(move |k, inner| view(k, inner, role == "holder"))
            .await
    }

    pub async fn printers_discover(&self, _: ()) -> Result<Vec<FoundPrinterView>> {
        self.operator()?;
        tokio::task::spawn_blocking(|| {
            print_queue::setup::discover()
                .into_iter()
                .map(|f| FoundPrinterView {
                    uri: f.uri,
                    kind: f.kind.to_string(),
                    name: f.name,
                    device_id: f.device_id,
                    suggested_profile: f.suggested_profile,
                })
                .collect()
        })
        .await
        .map_err(|e| AppError::Internal(format!("discovery: {e}")))
    }

    /// Holder only. Both parts are checked before anything is stored; the
    /// receipt printer keeps its column setting while its profile stays.
    pub async fn printer_set(&self, a: PrinterSetArgs) -> Result<PrintersView> {
        self.holder()?;
        let out = self
            .with_kiosk(move |k, inner| {
                let c = choice(&a.printer)?;
                match a.role {
                    PrinterRole::Receipt => {
                        let conn = k.store().conn();
                        let same_profile = jobs::configured_printer(conn)?
                            .is_some_and(|old| old.profile == c.profile);
                        let columns = kiosk_store::get_setting(conn, "print.columns")?
                            .filter(|_| same_profile)
                            .and_then(|s| s.parse::<u16>().ok());
                        jobs::set_printer_columns(k, &c, columns)?;
                    }
                    PrinterRole::Report => jobs::set_report_printer(k, Some(&c))?,
                }
                view(k, inner, true)
            })
            .await?;
        self.poke();
        Ok(out)
    }

    pub async fn printer_clear_report(&self, _: ()) -> Result<PrintersView> {
        self.holder()?;
        self.with_kiosk(|k, inner| {
            jobs::set_report_printer(k, None)?;
            view(k, inner, true)
        })
        .await
    }

    /// Rendered, drawn, then queued: a page the virtual printer cannot
    /// draw queues nothing.
    pub async fn printer_test_page(&self, a: PrinterTestArgs) -> Result<TestPageView> {
        if a.printer.is_some() {
            self.holder()?;
        } else {
            self.operator()?;
        }
        let out = self
            .with_kiosk(move |k, inner| {
                let c = match &a.printer {
                    Some(t) => choice(t)?,
                    None => {
                        let conn = k.store().conn();
                        match a.role {
                            PrinterRole::Receipt => jobs::configured_printer(conn)?,
                            PrinterRole::Report => jobs::report_printer_or_receipt(conn)?,
                        }
                        .ok_or(QueueError::NoPrinter)?
                    }
                };
                let page = jobs::render_test_page(&c)?;
                let preview = if page.profile.language == print::Language::Pdf {
                    None
                } else {
                    Some(crate::printing::draw(
                        &page.bytes,
                        &page.profile,
                        jobs::JobKind::TestPage.as_str(),
                    )?)
                };
                let job = jobs::enqueue_test_page(k, &c, &page)?;
                inner.wake_printer();
                Ok(TestPageView {
                    job,
                    printer: c.uri,
                    profile: c.profile,
                    preview,
                })
            })
            .await?;
        self.poke();
        Ok(out)
    }

    /// One job (a receipt's newest print, so a receipt never prints
    /// twice), or every failed job; due now.
    pub async fn printer_retry(&self, a: PrinterRetryArgs) -> Result<PrintersView> {
        let (_, role) = self.operator()?;
        let out = self
            .with_kiosk(move |k, inner| {
                match a.job.as_deref().map(str::trim) {
                    Some(id) => {
                        jobs::retry_job(k, id)?;
                    }
                    None => {
                        jobs::retry_failed(k)?;
                    }
                }
                inner.wake_printer();
                view(k, inner, role == "holder")
            })
            .await?;
        self.poke();
        Ok(out)
    }
}

/// A printer as typed: serial settings written into a `serial:` URI (in
/// the query its parser reads), both parts checked.
fn choice(t: &PrinterTarget) -> Result<PrinterChoice> {
    let uri = t.uri.trim();
    if uri.len() > URI_MAX {
        return Err(print::PrintError::UriInvalid {
            uri: uri.chars().take(40).collect(),
            reason: format!("longer than {URI_MAX} characters"),
        }
        .into());
    }
    let uri = match &t.serial {
        None => uri.to_string(),
        Some(s) => {
            let Some(rest) = uri.strip_prefix("serial:") else {
                return Err(AppError::NotSerial(uri.chars().take(40).collect()));
            };
            let port = rest.split_once('?').map_or(rest, |(p, _)| p);
            format!(
                "serial:{port}?baud={}&data={}&parity={}&stop={}&flow={}",
                s.baud,
                s.data_bits,
                match s.parity {
                    SerialParity::None => "none",
                    SerialParity::Odd => "odd",
                    SerialParity::Even => "even",
                },
                s.stop_bits,
                match s.flow {
                    SerialFlow::None => "none",
                    SerialFlow::Xonxoff => "xonxoff",
                    SerialFlow::Rtscts => "rtscts",
                    SerialFlow::Dtr => "dtr",
                },
            )
        }
    };
    let c = PrinterChoice {
        uri,
        profile: t.profile.trim().to_string(),
    };
    c.validate()?;
    Ok(c)
}

fn serial_view(s: &print::profile::SerialSettings) -> SerialView {
    use print::profile::{FlowControl, Parity};
    SerialView {
        baud: s.baud,
        data_bits: s.data_bits,
        parity: match s.parity {
            Parity::None => SerialParity::None,
            Parity::Odd => SerialParity::Odd,
            Parity::Even => SerialParity::Even,
        },
        stop_bits: s.stop_bits,
        flow: match s.flow_control {
            FlowControl::None => SerialFlow::None,
            FlowControl::Xonxoff => SerialFlow::Xonxoff,
            FlowControl::Rtscts => SerialFlow::Rtscts,
            FlowControl::Dtr => SerialFlow::Dtr,
        },
    }
}

fn choice_view(c: &PrinterChoice) -> PrinterChoiceView {
    let profile = Profile::builtin_by_id(&c.profile).ok();
    let (kind, serial) = match Target::parse(&c.uri, profile.as_ref()) {
        Ok(Target::Device(_)) => (
            match c.uri.split_once(':').map(|(k, _)| k) {
                Some("usb") => "usb",
                Some("lpt") => "lpt",
                _ => "device",
            },
            None,
        ),
        Ok(Target::Serial { settings, .. }) => ("serial", Some(serial_view(&settings))),
        Ok(Target::Tcp { .. }) => ("tcp", None),
        Ok(Target::Spooler { .. }) => ("spooler", None),
        Ok(Target::File(_)) => ("file", None),
        Err(_) => ("unknown", None),
    };
    PrinterChoiceView {
        uri: c.uri.clone(),
        profile: c.profile.clone(),
        kind: kind.into(),
        serial,
    }
}

fn job_view(k: &Kiosk, j: Job) -> Result<PrinterJobView> {
    use kiosk_store::rusqlite::OptionalExtension;
    let receipt_no = match &j.receipt_id {
        Some(id) => k
            .store()
            .conn()
            .query_row(
                "SELECT COALESCE(final_receipt_no, receipt_no) FROM receipts WHERE id = ?1",
                [id],
                |r| r.get(0),
            )
            .optional()?,
        None => None,
    };
    Ok(PrinterJobView {
        id: j.id,
        kind: j.kind,
        state: j.state.as_str().into(),
        printer: j.printer,
        profile: j.profile,
        attempts: j.attempts,
        receipt_no,
        created_at: j.created_at.to_rfc3339(),
        updated_at: j.updated_at.to_rfc3339(),
        next_attempt_at: j.next_attempt_at.map(|t| t.to_rfc3339()),
        last_error_code: j.last_error_code,
    })
}

fn view(k: &Kiosk, inner: &Inner, can_change: bool) -> Result<PrintersView> {
    let conn = k.store().conn();
    let profiles = print_queue::setup::profiles()
        .into_iter()
        .map(|p| ProfileView {
            id: p.id,
            name: p.name,
            language: p.language.into(),
            columns: p.columns,
            max_columns: p.max_columns,
            transport: p.transport,
            serial: p.serial.as_ref().map(serial_view),
            previewable: p.previewable,
        })
        .collect();
    let receipt = jobs::configured_printer(conn)?.map(|c| choice_view(&c));
    let report = jobs::report_printer(conn)?.map(|c| choice_view(&c));
    let jobs = jobs::open_jobs(conn, JOBS_SHOWN)?
        .into_iter()
        .map(|j| job_view(k, j))
        .collect::<Result<Vec<_>>>()?;
    Ok(PrintersView {
        profiles,
        receipt,
        report,
        status: inner.printer_view(k),
        jobs,
        can_change,
    })
}
