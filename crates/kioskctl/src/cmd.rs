//! The subcommands: each parses its flags, calls the core, prints.

use crate::out::{cli_err, print};
use anyhow::{Context, Result};
use chrono::NaiveDate;
use clap::{Args, Subcommand};
use domain::{Clock, Paise, SystemClock};
use kiosk_core::{
    BillInput, ChequeInput, InitParams, Kiosk, Reach, ReceiptQuery, ReceiptStatus, WalletSnapshot,
};
use serde_json::json;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

pub struct Ctx {
    pub db: PathBuf,
    pub json: bool,
}

impl Ctx {
    fn clock(&self) -> Arc<dyn Clock> {
        Arc::new(SystemClock)
    }
    fn open(&self) -> Result<Kiosk> {
        if !self.db.exists() {
            return Err(kiosk_store::StoreError::NotFound(self.db.clone()).into());
        }
        Ok(Kiosk::open(&self.db, self.clock())?)
    }
    fn backup_dir(&self, dir: Option<PathBuf>) -> PathBuf {
        dir.unwrap_or_else(|| {
            let mut s = self.db.as_os_str().to_os_string();
            s.push(".backups");
            PathBuf::from(s)
        })
    }
}

fn date(s: &str) -> Result<NaiveDate> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map_err(|_| {
        cli_err(
            "cli.date_invalid",
            format!("{s:?} is not a date (YYYY-MM-DD)"),
        )
    })
}

fn amount(s: &str) -> Result<Paise> {
    Ok(Paise::parse(s)?)
}

// ------------------------------------------------------------------ init

#[derive(Args, Debug)]
pub struct InitArgs {
    #[arg(long)]
    pub kiosk_code: String,
    #[arg(long, default_value_t = 1)]
    pub device_no: u16,
    #[arg(long)]
    pub district: String,
    /// The kiosk's name as printed on receipts.
    #[arg(long)]
    pub name: String,
    /// The kiosk holder's login (first operator, role holder).
    #[arg(long, default_value = "holder")]
    pub holder: String,
    #[arg(long, default_value = "Kiosk holder")]
    pub holder_name: String,
    /// Cheque acceptance approved for this kiosk.
    #[arg(long)]
    pub cheque_enabled: bool,
}

pub fn init(ctx: &Ctx, a: InitArgs) -> Result<()> {
    let k = Kiosk::init(
        &ctx.db,
        &InitParams {
            kiosk_code: a.kiosk_code,
            device_no: a.device_no,
            district: a.district,
            kiosk_name: a.name,
            holder_login: a.holder,
            holder_name: a.holder_name,
            cheque_enabled: a.cheque_enabled,
        },
        ctx.clock(),
    )?;
    let id = k.identity();
    print(ctx.json, id, || {
        format!(
            "kiosk {} device {:03} ({}, {}) initialised in {}",
            id.kiosk_code,
            id.device_no.get(),
            id.kiosk_name,
            id.district,
            ctx.db.display()
        )
    });
    Ok(())
}

// ------------------------------------------------------------------ catalogue

#[derive(Subcommand, Debug)]
pub enum CatalogueCmd {
    /// Import a catalogue file (TOML); older versions are refused.
    Import { file: PathBuf },
    /// List services (optionally matching a term, Hindi or English).
    List {
        #[arg(long)]
        search: Option<String>,
    },
}

pub fn catalogue(ctx: &Ctx, c: CatalogueCmd) -> Result<()> {
    let mut k = ctx.open()?;
    match c {
        CatalogueCmd::Import { file } => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("reading {}", file.display()))?;
            let cat = k.import_catalogue_toml(&text)?;
            let v = json!({
                "version": cat.version,
                "sample": cat.sample,
                "departments": cat.departments.len(),
                "services": cat.services.len(),
            });
            print(ctx.json, &v, || {
                format!(
                    "catalogue version {}{}: {} departments, {} services",
                    cat.version,
                    if cat.sample { " (SAMPLE DATA)" } else { "" },
                    cat.departments.len(),
                    cat.services.len()
                )
            });
        }
        CatalogueCmd::List { search } => {
            let cat = k.catalogue().ok_or(kiosk_core::CoreError::NoCatalogue)?;
            let term = search.unwrap_or_default();
            let list: Vec<_> = cat.search(&term).collect();
            print(ctx.json, &list, || {
                list.iter()
                    .map(|s| {
                        format!(
                            "{:<16} {:<34} {}  charge {}  {}",
                            s.code,
                            s.name_en,
                            s.name_hi,
                            s.charge,
                            if s.offline_allowed {
                                ""
                            } else {
                                "(online only)"
                            }
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            });
        }
    }
    Ok(())
}

// ------------------------------------------------------------------ pay

#[derive(Args, Debug)]
pub struct PayArgs {
    /// Service code of a single bill (see `catalogue list`).
    #[arg(long)]
    pub service: Option<String>,
    /// Consumer number of the single bill (e.g. the 12-digit K No.).
    #[arg(long)]
    pub consumer: Option<String>,
    /// Bill amount in rupees (e.g. 1234.50).
    #[arg(long)]
    pub amount: Option<String>,
    /// Consumer name on the bill.
    #[arg(long)]
    pub name: Option<String>,
    /// The department's bill reference.
    #[arg(long)]
    pub bill_ref: Option<String>,
    /// More bills on the same receipt: SERVICE:CONSUMER:AMOUNT[:NAME] (repeatable).
    #[arg(long = "bill", value_name = "SERVICE:CONSUMER:AMOUNT[:NAME]")]
    pub bills: Vec<String>,
    /// Consumer's mobile (10 digits from 6-9, +91/0 prefix allowed); this or --email.
    #[arg(long)]
    pub mobile: Option<String>,
    /// Consumer's e-mail; this or --mobile.
    #[arg(long)]
    pub email: Option<String>,
    /// Pay by departmental cheque: its 6-digit number (with the other --cheque-* flags).
    #[arg(long)]
    pub cheque_no: Option<String>,
    /// Cheque date, YYYY-MM-DD.
    #[arg(long)]
    pub cheque_date: Option<String>,
    /// Bank the cheque is drawn on.
    #[arg(long)]
    pub cheque_bank: Option<String>,
    /// The payee written on the cheque.
    #[arg(long)]
    pub cheque_payee: Option<String>,
    /// Operator login taking the payment.
    #[arg(long)]
    pub operator: String,
    /// Go ahead although the bill repeats a payment of the last 30 days.
    #[arg(long)]
    pub confirm_duplicate: bool,
    /// The centre answers: take online-only (real-time) services too. Only
    /// when the last sync round on this database (the app's loop, `sync
    /// watch` or `sync now`) worked and ended at most two minutes ago;
    /// otherwise they are refused (`service.online_only`) as without it.
    /// Send the payment at once (`sync now`; a running loop does by
    /// itself): the centre takes it only within ten minutes.
    #[arg(long)]
    pub online: bool,
    /// Do not print the receipt (it can be printed later with `print receipt`).
    #[arg(long)]
    pub no_print: bool,
    /// Seconds to wait for the receipt printer; 0 only queues the print.
    #[arg(long, value_name = "SECS", default_value_t = 10)]
    pub print_wait: u64,
}

/// The payment as committed, and what became of its receipt's print
/// (`null` when no receipt printer is set).
#[derive(serde::Serialize)]
struct PayOut<'a> {
    #[serde(flatten)]
    committed: &'a kiosk_core::Committed,
    print: Option<kiosk_app::printing::PrintOutcome>,
}

fn parse_bill(s: &str) -> Result<BillInput> {
    let parts: Vec<&str> = s.splitn(4, ':').collect();
    if parts.len() < 3 {
        return Err(cli_err(
            "cli.bill_invalid",
            format!("--bill {s:?}: expected SERVICE:CONSUMER:AMOUNT[:NAME]"),
        ));
    }
    Ok(BillInput {
        service: parts[0].trim().to_string(),
        consumer_no: parts[1].to_string(),
        amount: amount(parts[2])?,
        consumer_name: parts.get(3).map(|n| n.to_string()),
        bill_ref: None,
    })
}

/// How old the last sync round may be for `pay --online`: a running loop
/// (the app, `sync watch`) has a round at least every minute.
const ONLINE_STATUS_MAX_AGE_SECS: i64 = 120;

/// `pay --online`: whether the centre answered just now, by the sync
/// status file beside the database (written by every sync round).
fn reach(ctx: &Ctx, online: bool) -> Reach {
    if !online {
        return Reach::Offline;
    }
    let now = ctx.clock().now();
    let max = chrono::Duration::seconds(ONLINE_STATUS_MAX_AGE_SECS);
    Reach::from_online(
        kiosk_sync::status::SyncStatus::load(&ctx.db).is_some_and(|s| s.answered_within(now, max)),
    )
}

/// An online-only refusal says why when `--online` was given.
fn explain_online_only(online: bool, e: kiosk_core::CoreError) -> anyhow::Error {
    if online && matches!(e, kiosk_core::CoreError::ServiceOnlineOnly(_)) {
        return cli_err(
            "service.online_only",
            format!(
                "{e}: the last sync round on this database did not work or ended more than {ONLINE_STATUS_MAX_AGE_SECS} s ago (run `kioskctl sync now` first)"
            ),
        );
    }
    e.into()
}

pub fn pay(ctx: &Ctx, a: PayArgs) -> Result<()> {
    let mut bills = Vec::new();
    match (&a.service, &a.consumer, &a.amount) {
        (Some(s), Some(c), Some(m)) => bills.push(BillInput {
            service: s.clone(),
            consumer_no: c.clone(),
            amount: amount(m)?,
            consumer_name: a.name.clone(),
            bill_ref: a.bill_ref.clone(),
        }),
        (None, None, None) => {}
        _ => {
            return Err(cli_err(
                "cli.bill_invalid",
                "--service, --consumer and --amount go together",
            ));
        }
    }
    for b in &a.bills {
        bills.push(parse_bill(b)?);
    }
    let mut k = ctx.open()?;
    let reach = reach(ctx, a.online);
    let mut d = k.start_cart();
    for b in &bills {
        k.add_bill_with_reach(&mut d, b, reach)
            .map_err(|e| explain_online_only(a.online, e))?;
    }
    k.set_contact(&mut d, a.mobile.as_deref(), a.email.as_deref())?;
    let cheque_flags = [
        &a.cheque_no,
        &a.cheque_date,
        &a.cheque_bank,
        &a.cheque_payee,
    ];
    if cheque_flags.iter().all(|f| f.is_none()) {
        k.choose_wallet(&mut d);
    } else {
        let (Some(no), Some(dt), Some(bank), Some(payee)) = (
            &a.cheque_no,
            &a.cheque_date,
            &a.cheque_bank,
            &a.cheque_payee,
        ) else {
            return Err(cli_err(
                "cli.cheque_incomplete",
                "a cheque needs --cheque-no, --cheque-date, --cheque-bank and --cheque-payee",
            ));
        };
        k.choose_cheque(
            &mut d,
            &ChequeInput {
                number: no.clone(),
                date: date(dt)?,
                bank: bank.clone(),
                payee: payee.clone(),
            },
        )?;
    }
    let c = k
        .commit_payment_with_reach(&d, &a.operator, a.confirm_duplicate, reach)
        .map_err(|e| explain_online_only(a.online, e))?;
    // From here on the payment stands: printing reports, never fails it.
    let (printed, in_flight) = kiosk_app::printing::after_payment(
        &mut k,
        &ctx.db,
        &c.receipt_no,
        std::time::Duration::from_secs(a.print_wait),
        a.no_print,
    );
    drop(k);
    let out = PayOut {
        committed: &c,
        print: printed,
    };
    print(ctx.json, &out, || {
        format!(
            "receipt {}  {} bill(s)  total {}  ({}{})  PROVISIONAL until synced\n{}{}",
            c.receipt_no,
            c.lines,
            c.total,
            c.mode,
            if c.duplicate_confirmed {
                ", duplicate confirmed"
            } else {
                ""
            },
            if c.real_time {
                format!(
                    "real-time: send it now (`kioskctl sync now`); the centre takes it only within {} minutes\n",
                    protocol::wire::ONLINE_ONLY_MAX_AGE_MS / 60_000
                )
            } else {
                String::new()
            },
            match &out.print {
                Some(p) => p.human(),
                None => "no receipt printer set (`kioskctl print use --to URI --profile P`)".into(),
            }
        )
    });
    in_flight.finish();
    Ok(())
}

// ------------------------------------------------------------------ list / show

#[derive(Args, Debug)]
pub struct ListArgs {
    /// First IST day (YYYY-MM-DD), inclusive.
    #[arg(long)]
    pub from: Option<String>,
    /// Last IST day (YYYY-MM-DD), inclusive.
    #[arg(long)]
    pub to: Option<String>,
    /// Local or final receipt number.
    #[arg(long)]
    pub receipt: Option<String>,
    #[arg(long)]
    pub consumer: Option<String>,
    #[arg(long)]
    pub service: Option<String>,
    /// provisional, final or cancelled.
    #[arg(long)]
    pub status: Option<String>,
    /// Only receipts to reconcile.
    #[arg(long)]
    pub reconcile: bool,
    #[arg(long, default_value_t = 0)]
    pub page: u32,
    #[arg(long, default_value_t = 50)]
    pub page_size: u32,
}

pub fn list(ctx: &Ctx, a: ListArgs) -> Result<()> {
    let k = ctx.open()?;
    let status = a
        .status
        .as_deref()
        .map(|s| {
            ReceiptStatus::parse(s).ok_or_else(|| {
                cli_err(
                    "cli.status_invalid",
                    format!("status {s:?}: provisional, final or cancelled"),
                )
            })
        })
        .transpose()?;
    let q = ReceiptQuery {
        from: a
            .from
            .as_deref()
            .map(date)
            .transpose()?
            .map(|d| domain::clock::ist_day_bounds(d).0),
        to: a
            .to
            .as_deref()
            .map(date)
            .transpose()?
            .map(|d| domain::clock::ist_day_bounds(d).1),
        receipt_no: a.receipt,
        consumer_no: a.consumer,
        service: a.service,
        status,
        reconcile_only: a.reconcile,
        page: a.page,
        page_size: a.page_size,
        ..Default::default()
    };
    let p = k.search_receipts(&q)?;
    print(ctx.json, &p, || {
        let mut s = String::new();
        for r in &p.receipts {
            s.push_str(&format!(
                "{}  {}  {:<11} {:>14}  {:<6}  {}  {}{}\n",
                r.receipt_no,
                r.created_at
                    .with_timezone(&domain::clock::ist())
                    .format("%Y-%m-%d %H:%M"),
                r.status,
                r.total.to_string(),
                r.mode,
                r.services,
                r.consumers,
                if r.reconcile { "  RECONCILE" } else { "" }
            ));
        }
        s.push_str(&format!(
            "page {} ({} receipts{})",
            p.page,
            p.receipts.len(),
            if p.has_more {
                ", more on the next page"
            } else {
                ""
            }
        ));
        s
    });
    Ok(())
}

#[derive(Args, Debug)]
pub struct ShowArgs {
    /// Local or final receipt number (or id).
    pub receipt: String,
}

pub fn show(ctx: &Ctx, a: ShowArgs) -> Result<()> {
    let k = ctx.open()?;
    let r = k.receipt(&a.receipt)?;
    let notes = k.receipt_sync_notes(&r.summary.id)?;
    #[derive(serde::Serialize)]
    struct Shown<'a> {
        #[serde(flatten)]
        receipt: &'a kiosk_core::ReceiptDetail,
        sync: &'a kiosk_core::ReceiptSyncNotes,
    }
    let shown = Shown {
        receipt: &r,
        sync: &notes,
    };
    // A receipt the centre rejected says so, and why.
    let status = if r.summary.rejected {
        "rejected by the centre"
    } else {
        r.summary.status.as_str()
    };
    print(ctx.json, &shown, || {
        let mut s = format!(
            "receipt {} ({}){}\n  at {}  by {}  paid by {}\n",
            r.summary.receipt_no,
            status,
            r.summary
                .final_receipt_no
                .as_ref()
                .map(|f| format!("  final no. {f}"))
                .unwrap_or_default(),
            r.summary
                .created_at
                .with_timezone(&domain::clock::ist())
                .format("%Y-%m-%d %H:%M:%S IST"),
            r.summary.operator,
            r.summary.mode,
        );
        for l in &r.lines {
            s.push_str(&format!(
                "  {}. {:<16} {:<14} bill {:>12}  charge {}\n",
                l.line_no,
                l.service_code,
                l.consumer_no,
                l.bill_amount.to_string(),
                l.charge
            ));
        }
        s.push_str(&format!(
            "  total {}  ({})",
            r.summary.total,
            r.summary.total.in_words_en()
        ));
        if notes.outcome.as_deref() == Some("rejected") {
            s.push_str(&format!(
                "\n  rejected {}: {}",
                notes.code.as_deref().unwrap_or("-"),
                notes.reason.as_deref().unwrap_or("")
            ));
        }
        for w in &notes.warnings {
            s.push_str(&format!("\n  centre warning {w}"));
        }
        if notes.reprint {
            s.push_str(
                "\n  reprint: the centre's answer changed after printing (sync.outcome_changed)",
            );
        }
        s
    });
    Ok(())
}

// ------------------------------------------------------------------ totals

#[derive(Args, Debug)]
pub struct TotalsArgs {
    /// An IST day (YYYY-MM-DD); default today.
    #[arg(long, conflicts_with_all = ["from", "to"])]
    pub day: Option<String>,
    /// First IST day, inclusive (with --to).
    #[arg(long, requires = "to")]
    pub from: Option<String>,
    /// Last IST day, inclusive.
    #[arg(long, requires = "from")]
    pub to: Option<String>,
}

pub fn totals(ctx: &Ctx, a: TotalsArgs) -> Result<()> {
    let k = ctx.open()?;
    let t = match (a.day, a.from, a.to) {
        (_, Some(f), Some(t)) => {
            let (from, _) = domain::clock::ist_day_bounds(date(&f)?);
            let (_, to) = domain::clock::ist_day_bounds(date(&t)?);
            k.totals(from, to)?
        }
        (Some(d), _, _) => k.totals_for_day(date(&d)?)?,
        _ => k.totals_for_day(domain::clock::ist_date(k.clock().now()))?,
    };
    print(ctx.json, &t, || {
        let mut s = format!(
            "{} to {} (IST)\n  receipts {}  bills {}  total {}  (bills {} + charges {})\n  cash (wallet) {}  cheques {}  commission {}\n  cancelled {}  rejected {}\n",
            t.from
                .with_timezone(&domain::clock::ist())
                .format("%Y-%m-%d %H:%M"),
            t.to.with_timezone(&domain::clock::ist())
                .format("%Y-%m-%d %H:%M"),
            t.receipts,
            t.lines,
            t.total,
            t.bills,
            t.charges,
            t.wallet_total,
            t.cheque_total,
            t.commission,
            t.cancelled,
            t.rejected
        );
        for b in &t.by_service {
            s.push_str(&format!(
                "  {:<16} {:>4} bills {:>16}  commission {}\n",
                b.service_code,
                b.lines,
                b.total.to_string(),
                b.commission
            ));
        }
        s.trim_end().to_string()
    });
    Ok(())
}

// ------------------------------------------------------------------ cancel

#[derive(Args, Debug)]
pub struct CancelArgs {
    /// The local receipt number.
    pub receipt: String,
    #[arg(long)]
    pub operator: String,
    #[arg(long)]
    pub reason: String,
}

pub fn cancel(ctx: &Ctx, a: CancelArgs) -> Result<()> {
    let mut k = ctx.open()?;
    let c = k.cancel_receipt(&a.receipt, &a.operator, &a.reason)?;
    print(ctx.json, &c, || {
        format!(
            "receipt {} cancelled (outbox entry {}){}",
            c.receipt_no,
            c.outbox_seq,
            if c.hold_released {
                "; wallet hold released"
            } else {
                "; the centre reverses the debit"
            }
        )
    });
    Ok(())
}

// ------------------------------------------------------------------ verify

pub fn verify(ctx: &Ctx) -> Result<()> {
    let k = ctx.open()?;
    k.store().integrity_check_full()?;
    let r = k.verify_chain()?;
    print(ctx.json, &json!({"integrity": "ok", "chain": r}), || {
        format!(
            "integrity ok; outbox chain ok: {} entries, last hash {}",
            r.entries, r.last_hash
        )
    });
    Ok(())
}

// ------------------------------------------------------------------ backup / restore

#[derive(Args, Debug)]
pub struct BackupArgs {
    /// Backup folder (default: <db>.backups).
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// How many backups to keep.
    #[arg(long, default_value_t = 7)]
    pub keep: usize,
}

pub fn backup(ctx: &Ctx, a: BackupArgs) -> Result<()> {
    let k = ctx.open()?;
    let dir = ctx.backup_dir(a.dir);
    let path = k.store().backup(&dir, a.keep, k.clock().now())?;
    let kept = kiosk_store::list_backups(&dir)?.len();
    print(ctx.json, &json!({"backup": path, "kept": kept}), || {
        format!("backup written: {} ({kept} kept)", path.display())
    });
    Ok(())
}

#[derive(Args, Debug)]
pub struct RestoreArgs {
    /// Backup folder to take the newest good backup from (default: <db>.backups).
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// Restore this backup file instead.
    #[arg(long, conflicts_with = "dir")]
    pub from: Option<PathBuf>,
}

pub fn restore(ctx: &Ctx, a: RestoreArgs) -> Result<()> {
    // No open of the current database: it may be the damaged one.
    let now = ctx.clock().now();
    let used = match a.from {
        Some(f) => {
            kiosk_store::restore_from(&ctx.db, &f, now)?;
            f
        }
        None => kiosk_store::restore_newest(&ctx.db, &ctx.backup_dir(a.dir), now)?,
    };
    print(ctx.json, &json!({"restored_from": used}), || {
        format!(
            "restored {} from {}; payments after that backup are not in it: sync before taking new ones",
            ctx.db.display(),
            used.display()
        )
    });
    Ok(())
}

// ------------------------------------------------------------------ wallet

#[derive(Subcommand, Debug)]
pub enum WalletCmd {
    /// Balance, pending local debits and offline room.
    Show,
    /// Set the wallet figures by hand, as the centre would send them (for
    /// demos and support; the sync client applies the real ones).
    Set {
        /// Balance in rupees.
        #[arg(long)]
        balance: String,
        /// Most that may be pending (unsynced), in rupees.
        #[arg(long)]
        max_pending_amount: String,
        #[arg(long, default_value_t = 200)]
        max_pending_count: i64,
        #[arg(long, default_value_t = 86400)]
        max_age_secs: i64,
        /// Highest outbox seq the balance already includes.
        #[arg(long, default_value_t = 0)]
        covers_seq: u64,
    },
    /// The centre's wallet lines as last synced: oldest first, with sums.
    Statement(StatementArgs),
    /// Ask the centre to credit the wallet (the holder only): queued in
    /// the outbox, sent with the next sync, pending until credited.
    Refill(RefillArgs),
    /// Refill requests and where each stands, newest first.
    Refills {
        #[arg(long, default_value_t = 20)]
        limit: u32,
    },
}

#[derive(Args, Debug)]
pub struct RefillArgs {
    /// Amount in rupees, e.g. 50000 or 50000.00.
    #[arg(long)]
    pub amount: String,
    /// How the money was sent: neft_rtgs, net_banking, payment_gateway or
    /// transfer (a UTR or reference is needed for neft_rtgs and transfer).
    #[arg(long)]
    pub mode: String,
    /// The bank's reference (UTR, cheque number...).
    #[arg(long)]
    pub reference: Option<String>,
    /// The login asking (a holder; the centre refuses an operator).
    #[arg(long)]
    pub operator: String,
}

pub fn wallet_refill(ctx: &Ctx, a: RefillArgs) -> Result<()> {
    let mut k = ctx.open()?;
    let input = kiosk_core::RefillInput {
        amount: amount(&a.amount)?,
        mode: a.mode,
        reference: a.reference,
    };
    let r = k.request_refill(&a.operator, &input)?;
    print(ctx.json, &r, || {
        format!(
            "refill request of {} queued (outbox entry {}): pending at the centre once sent",
            input.amount, r.outbox_seq
        )
    });
    Ok(())
}

pub fn wallet_refills(ctx: &Ctx, limit: u32) -> Result<()> {
    let k = ctx.open()?;
    let rows = k.refill_requests(limit)?;
    print(ctx.json, &rows, || {
        if rows.is_empty() {
            return "no refill requests".to_string();
        }
        let ist = domain::clock::ist();
        let mut s = format!(
            "{:<17} {:>14} {:<12} {:<20} {:<9} {}\n",
            "time (IST)", "amount", "mode", "reference", "state", "why"
        );
        for r in &rows {
            let why = r
                .reason
                .clone()
                .or_else(|| r.refused_code.clone())
                .unwrap_or_default();
            s.push_str(&format!(
                "{:<17} {:>14} {:<12} {:<20} {:<9} {}\n",
                r.created_at.with_timezone(&ist).format("%Y-%m-%d %H:%M"),
                r.amount.to_string(),
                r.mode,
                r.reference.as_deref().unwrap_or("-"),
                r.state,
                why
            ));
        }
        s.pop();
        s
    });
    Ok(())
}

#[derive(Args, Debug)]
pub struct StatementArgs {
    /// First IST day, inclusive (YYYY-MM-DD).
    #[arg(long)]
    pub from: Option<String>,
    /// Last IST day, inclusive (YYYY-MM-DD).
    #[arg(long)]
    pub to: Option<String>,
    /// Most lines shown, the latest ones (1-1000).
    #[arg(long, default_value_t = kiosk_core::ledger::STATEMENT_DEFAULT_LIMIT)]
    pub limit: u32,
}

pub fn wallet_statement(ctx: &Ctx, a: StatementArgs) -> Result<()> {
    let k = ctx.open()?;
    if a.limit == 0 {
        return Err(cli_err("cli.limit_invalid", "--limit must be 1 to 1000"));
    }
    let from = a
        .from
        .as_deref()
        .map(|d| date(d).map(|d| domain::clock::ist_day_bounds(d).0))
        .transpose()?;
    let to =
        a.to.as_deref()
            .map(|d| date(d).map(|d| domain::clock::ist_day_bounds(d).1))
            .transpose()?;
    let st = k.wallet_statement(from, to, a.limit)?;
    print(ctx.json, &st, || {
        let ist = domain::clock::ist();
        let mut s = String::new();
        if st.truncated {
            s.push_str(&format!(
                "(older lines left out: showing the latest {})\n",
                st.lines.len()
            ));
        }
        if !st.lines.is_empty() {
            s.push_str(&format!(
                "{:<17} {:<13} {:>14} {:>10}  {}\n",
                "time (IST)", "kind", "amount", "txn", "memo"
            ));
        }
        for l in &st.lines {
            s.push_str(&format!(
                "{:<17} {:<13} {:>14} {:>10}  {}\n",
                l.at.with_timezone(&ist).format("%Y-%m-%d %H:%M"),
                l.kind,
                l.amount.to_string(),
                l.txn_id,
                l.memo
            ));
        }
        if st.lines.is_empty() {
            s.push_str("no wallet lines (sync to fetch them)\n");
        }
        s.push_str(&format!(
            "credits {}  debits {}  net {}",
            st.credits, st.debits, st.net
        ));
        match (st.balance, st.balance_as_of) {
            (Some(b), Some(at)) => s.push_str(&format!(
                "\nbalance {} (as of {})",
                b,
                at.with_timezone(&ist).format("%Y-%m-%d %H:%M IST")
            )),
            _ => s.push_str("\nbalance unknown (never synced)"),
        }
        s
    });
    Ok(())
}

pub fn wallet(ctx: &Ctx, c: WalletCmd) -> Result<()> {
    match c {
        WalletCmd::Statement(a) => return wallet_statement(ctx, a),
        WalletCmd::Refill(a) => return wallet_refill(ctx, a),
        WalletCmd::Refills { limit } => return wallet_refills(ctx, limit),
        _ => {}
    }
    let mut k = ctx.open()?;
    if let WalletCmd::Set {
        balance,
        max_pending_amount,
        max_pending_count,
        max_age_secs,
        covers_seq,
    } = c
    {
        let now = k.clock().now();
        k.apply_wallet_snapshot(&WalletSnapshot {
            balance: amount(&balance)?,
            as_of: now,
            covers_seq,
            max_pending_amount: amount(&max_pending_amount)?,
            max_pending_count,
            max_age_secs,
        })?;
    }
    let e = k.exposure()?;
    print(ctx.json, &e, || {
        format!(
            "balance {} (as of {})\npending {} in {} payment(s)\noffline room: {} (limit {} / {} payments / {} s)",
            e.balance,
            e.balance_as_of
                .with_timezone(&domain::clock::ist())
                .format("%Y-%m-%d %H:%M IST"),
            e.pending_amount,
            e.pending_count,
            e.available,
            e.max_pending_amount,
            e.max_pending_count,
            e.max_age_secs
        )
    });
    Ok(())
}

// ------------------------------------------------------------------ operators, cheque, queue

#[derive(Subcommand, Debug)]
pub enum OperatorCmd {
    Add {
        login: String,
        #[arg(long)]
        name: String,
        /// holder or operator.
        #[arg(long, default_value = "operator")]
        role: String,
    },
    List,
    Activate {
        login: String,
    },
    Deactivate {
        login: String,
    },
}

pub fn operator(ctx: &Ctx, c: OperatorCmd) -> Result<()> {
    let mut k = ctx.open()?;
    match c {
        OperatorCmd::Add { login, name, role } => {
            k.add_operator(&login, &name, &role)?;
        }
        OperatorCmd::Activate { login } => k.set_operator_active(&login, true)?,
        OperatorCmd::Deactivate { login } => k.set_operator_active(&login, false)?,
        OperatorCmd::List => {}
    }
    let ops = k.operators()?;
    print(ctx.json, &ops, || {
        ops.iter()
            .map(|o| {
                format!(
                    "{:<16} {:<8} {}{}",
                    o.login,
                    o.role,
                    o.name,
                    if o.active { "" } else { " (inactive)" }
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    });
    Ok(())
}

#[derive(Args, Debug)]
pub struct ChequeArgs {
    /// on or off.
    #[arg(value_parser = ["on", "off"])]
    pub state: String,
}

pub fn cheque(ctx: &Ctx, a: ChequeArgs) -> Result<()> {
    let mut k = ctx.open()?;
    k.set_cheque_enabled(a.state == "on")?;
    print(
        ctx.json,
        &json!({"cheque_enabled": a.state == "on"}),
        || format!("cheque acceptance {}", a.state),
    );
    Ok(())
}

pub fn queue(ctx: &Ctx) -> Result<()> {
    let k = ctx.open()?;
    let q = k.queue_stats()?;
    print(ctx.json, &q, || {
        format!(
            "outbox: last seq {}, {} waiting to be sent{}, {} pending at the centre",
            q.last_seq,
            q.unsent,
            q.oldest_unsent_age_secs
                .map(|a| format!(" (oldest {a} s)"))
                .unwrap_or_default(),
            q.pending
        )
    });
    Ok(())
}

// ------------------------------------------------------------------ pay-loop

#[derive(Args, Debug)]
pub struct PayLoopArgs {
    #[arg(long)]
    pub operator: String,
    /// Payments to make; 0 = until killed.
    #[arg(long, default_value_t = 0)]
    pub count: u64,
    #[arg(long, default_value = "JVVNL-BILL")]
    pub service: String,
}

/// Pays again and again; each receipt number is printed and flushed only
/// after its transaction committed, so whoever reads stdout knows which
/// payments must survive a kill.
pub fn pay_loop(ctx: &Ctx, a: PayLoopArgs) -> Result<()> {
    let mut k = ctx.open()?;
    let mut out = std::io::stdout().lock();
    let base = (std::process::id() as u64 % 1000) * 1_000_000;
    let mut i = 0u64;
    while a.count == 0 || i < a.count {
        i += 1;
        let mut d = k.start_cart();
        let n = 100_000_000_000 + base + i;
        k.add_bill(
            &mut d,
            &BillInput {
                service: a.service.clone(),
                consumer_no: format!("{n:012}"),
                amount: Paise::new(10_000 + (i % 977) as i64),
                consumer_name: None,
                bill_ref: None,
            },
        )?;
        // Every other receipt carries two bills.
        if i.is_multiple_of(2) {
            k.add_bill(
                &mut d,
                &BillInput {
                    service: a.service.clone(),
                    consumer_no: format!("{:012}", n + 500_000),
                    amount: Paise::new(2_500),
                    consumer_name: Some("दूसरा बिल".into()),
                    bill_ref: None,
                },
            )?;
        }
        k.set_contact(&mut d, Some("9876543210"), None)?;
        k.choose_wallet(&mut d);
        let c = k.commit_payment(&d, &a.operator, true)?;
        writeln!(out, "{}", c.receipt_no)?;
        out.flush()?;
    }
    Ok(())
}
