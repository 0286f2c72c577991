//! Every command the app can send and every event it hears, declared once.
//!
//! A command is `{cmd, args}` in, its result (or an [`ApiError`]) out. The
//! [`commands!`] table below makes the Rust [`Request`] enum, the dispatch
//! in [`crate::Service::dispatch`], and the TypeScript `Commands` map the
//! UI's one backend module is typed against (see [`crate::bindings`]).
//! Money is integer paise (`number` in TypeScript: far below 2^53). Times
//! are RFC 3339 strings in UTC.

use domain::ErrorCode as _;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// An error as the UI receives it: it shows the translation of `code`
/// and never parses `message` (which is English, for logs and support).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct ApiError {
    pub code: String,
    pub message: String,
    /// Structured facts for the screen (e.g. the earlier receipts of a
    /// duplicate alert, the time a lock ends).
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<serde_json::Value>,
}

// ------------------------------------------------------------------ app state

/// What the window should show now; asked for at start and after a reload.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct AppState {
    pub phase: Phase,
    pub identity: Option<KioskIdentity>,
    pub session: Option<SessionView>,
    pub lang: Lang,
    /// The centre this kiosk talks to (preset by the installer or the
    /// first run).
    pub centre_url: Option<String>,
    /// Shown on the first-run screen of a demo installation only.
    pub demo: Option<DemoHint>,
    /// What became of a payment whose Pay was pressed just before the app
    /// stopped (crash, power cut).
    pub recovery: Option<Recovery>,
    pub idle_lock_minutes: u32,
    pub version: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Not registered with the centre yet.
    Setup,
    /// Registered; nobody logged in.
    Login,
    /// Logged in with a first password: nothing else until it is changed.
    ChangePassword,
    /// Idle lock: the same operator (or another) logs in again.
    Locked,
    Counter,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Lang {
    En,
    Hi,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct KioskIdentity {
    pub kiosk_code: String,
    pub device_no: u16,
    pub district: String,
    pub kiosk_name: String,
    pub cheque_enabled: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct SessionView {
    pub login: String,
    pub name: String,
    /// `holder` or `operator`.
    pub role: String,
    /// Logged in against the cached verifier (the centre was not reached).
    pub offline: bool,
    pub must_change_password: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct DemoHint {
    pub centre_url: String,
    pub kiosk_code: String,
    pub holder_login: String,
    pub holder_password: String,
    pub operator_login: String,
    pub operator_password: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Recovery {
    pub cart_id: String,
    /// True: the payment was made, once, as `receipt_no`. False: it was
    /// not made, and the cart is as it was.
    pub paid: bool,
    pub receipt_no: Option<String>,
}

// ------------------------------------------------------------------ set-up and login

#[derive(Debug, Clone, Deserialize, TS)]
pub struct RegisterArgs {
    pub centre_url: String,
    pub kiosk_code: String,
    pub login: String,
    pub password: String,
    /// When the centre says the holder's first password must be changed.
    #[ts(optional)]
    #[serde(default)]
    pub new_password: Option<String>,
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct LoginArgs {
    pub login: String,
    pub password: String,
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct ChangePasswordArgs {
    pub old_password: String,
    pub new_password: String,
}

/// A forgotten password, from the login screen (nobody logged in). The
/// centre is the kiosk's own once it is registered; before that, the one
/// typed on the set-up screen.
#[derive(Debug, Clone, Deserialize, TS)]
pub struct ForgotArgs {
    pub login: String,
    #[ts(optional)]
    #[serde(default)]
    pub centre_url: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ForgotView {
    /// How long the code sent by SMS stays valid. The same answer whether
    /// or not the login exists: the centre does not say.
    pub expires_in_secs: i64,
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct ResetArgs {
    pub login: String,
    /// The six digits from the SMS.
    pub otp: String,
    pub new_password: String,
    #[ts(optional)]
    #[serde(default)]
    pub centre_url: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct ResetDone {
    /// On a registered kiosk the user is logged in with the new password.
    pub state: AppState,
    pub logged_in: bool,
    /// Why that login did not happen (the password is changed all the same).
    pub login_error: Option<ApiError>,
}

/// De-registering this PC: the holder's password again, as confirmation.
#[derive(Debug, Clone, Deserialize, TS)]
pub struct DeregisterArgs {
    pub password: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct DeregisterDone {
    /// Back to set-up.
    pub state: AppState,
    /// Where the kiosk's database was moved (kept, never deleted).
    pub moved_to: String,
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct SetLangArgs {
    pub lang: Lang,
}

// ------------------------------------------------------------------ catalogue

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct CatalogueView {
    pub version: u32,
    /// Category → department → service codes, for browsing.
    pub categories: Vec<CategoryView>,
    pub services: Vec<ServiceView>,
    /// Service codes the holder pinned, in their order.
    pub favourites: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct CategoryView {
    pub name_en: String,
    pub name_hi: String,
    pub departments: Vec<DepartmentView>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct DepartmentView {
    pub code: String,
    pub name_en: String,
    pub name_hi: String,
    pub services: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ServiceView {
    pub code: String,
    pub department: String,
    pub department_en: String,
    pub department_hi: String,
    pub category_en: String,
    pub category_hi: String,
    pub name_en: String,
    pub name_hi: String,
    pub consumer_label_en: String,
    pub consumer_label_hi: String,
    /// Paise charged to the citizen per bill (never above `state_rate`).
    pub charge: i64,
    pub state_rate: i64,
    pub bill_fetch_required: bool,
    pub offline_allowed: bool,
    /// Who a departmental cheque is written to, when the department takes
    /// cheques.
    pub cheque_payee: Option<String>,
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct SetFavouritesArgs {
    pub codes: Vec<String>,
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct ConsumerArgs {
    pub service: String,
    pub consumer_no: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct ConsumerCheck {
    pub valid: bool,
    /// The number as it will be stored (spaces dropped, upper case).
    pub normalised: Option<String>,
    pub error: Option<ApiError>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct BillView {
    pub service: String,
    pub consumer_no: String,
    pub consumer_name: Option<String>,
    pub bill_ref: Option<String>,
    pub amount: i64,
    pub due_date: Option<String>,
    /// The same bill paid within 30 days, here or at any kiosk.
    pub duplicate: Option<DuplicateView>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct DuplicateView {
    pub service_code: String,
    pub consumer_no: String,
    pub receipt_no: String,
    /// Where the earlier payment was made (this kiosk or another).
    pub kiosk_code: String,
    pub paid_at: String,
    pub amount: Option<i64>,
}

// ------------------------------------------------------------------ cart

#[derive(Debug, Clone, Deserialize, TS)]
pub struct CartAddArgs {
    pub service: String,
    pub consumer_no: String,
    /// The amount as typed (rupees, e.g. `1,234.50`); omitted when the
    /// bill was fetched, whose amount is then used.
    #[ts(optional)]
    #[serde(default)]
    pub amount: Option<String>,
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct CartRemoveArgs {
    pub index: u32,
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct CartContactArgs {
    #[ts(optional)]
    #[serde(default)]
    pub mobile: Option<String>,
    #[ts(optional)]
    #[serde(default)]
    pub email: Option<String>,
}

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(tag = "mode", rename_all = "snake_case")]
pub enum CartModeArgs {
    Wallet,
    /// The payee is the department's; the kiosk fills it.
    Cheque {
        number: String,
        /// `YYYY-MM-DD`.
        date: String,
        bank: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct CartView {
    /// Pay sends this back: one cart makes one receipt, however often Pay
    /// is pressed.
    pub cart_id: String,
    pub lines: Vec<CartLineView>,
    pub bills: i64,
    pub charges: i64,
    pub total: i64,
    pub mobile: Option<String>,
    pub email: Option<String>,
    /// `wallet`, `cheque` or none yet.
    pub mode: Option<String>,
    pub cheque: Option<ChequeView>,
    /// The payee a cheque for this cart must name (from the department),
    /// or none when the department takes no cheques.
    pub cheque_payee: Option<String>,
    pub cheque_enabled: bool,
    /// Earlier payments of these bills within 30 days (local check).
    pub duplicates: Vec<DuplicateView>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct CartLineView {
    pub index: u32,
    pub service_code: String,
    pub service_en: String,
    pub service_hi: String,
    pub consumer_no: String,
    pub consumer_name: Option<String>,
    pub bill_ref: Option<String>,
    pub bill_amount: i64,
    pub charge: i64,
    pub total: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ChequeView {
    pub number: String,
    pub date: String,
    pub bank: String,
    pub payee: String,
}

// ------------------------------------------------------------------ pay and receipts

#[derive(Debug, Clone, Deserialize, TS)]
pub struct PayArgs {
    pub cart_id: String,
    /// The operator saw the duplicate alert and confirmed.
    #[serde(default)]
    pub confirm_duplicate: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct PayResult {
    pub receipt: ReceiptView,
    pub print: Option<PrintView>,
    /// True when this cart had been paid already (Pay pressed twice): the
    /// receipt shown is that one, no second was made.
    pub already_paid: bool,
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct ReceiptArgs {
    /// Local or final receipt number, or the receipt's id.
    pub key: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ReceiptView {
    pub id: String,
    pub receipt_no: String,
    pub final_receipt_no: Option<String>,
    /// `provisional`, `final`, `rejected`, `cancelled` or `pending`.
    pub status: String,
    pub created_at: String,
    pub operator: String,
    pub mode: String,
    pub total: i64,
    pub commission: i64,
    pub mobile: Option<String>,
    pub email: Option<String>,
    pub lines: Vec<CartLineView>,
    /// Why the centre refused it (code), when it did.
    pub reject_code: Option<String>,
}

/// What became of a receipt's print.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct PrintView {
    /// `queued`, `printing`, `printed`, `failed`, `skipped`.
    pub status: String,
    pub printer: String,
    pub job: Option<String>,
    /// `receipt` (provisional), `final` or `duplicate`.
    pub kind: Option<String>,
    pub code: Option<String>,
    pub message: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct PreviewView {
    /// `data:image/png;base64,…` of the paper as the virtual printer draws
    /// the exact bytes sent (or to be sent) to the printer.
    pub png: String,
    pub width: u32,
    pub height: u32,
    pub profile: String,
    /// Which print the picture is of (`receipt`, `final`, `duplicate`).
    pub kind: String,
}

// ------------------------------------------------------------------ status

/// Always on screen: wallet, sync, printer, operator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct StatusView {
    pub sync: SyncView,
    pub wallet: WalletView,
    pub printer: PrinterView,
    pub operator: Option<String>,
    /// Days without a transaction (none before the kiosk is set up).
    pub inactivity: Option<InactivityView>,
    /// The centre's clock minus this PC's, in whole minutes (as ms; 0
    /// before the first sync): the screens count "today" and "now" by
    /// the centre's clock, as the kiosk dates its records.
    pub clock_offset_ms: i64,
}

/// A kiosk with no transaction for `fine_at_days` days is fined `fine`;
/// the counter warns from `warn_from_days` (DOMAIN.md "Money").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct InactivityView {
    /// Whole days (India's calendar) since the last transaction, or since
    /// the kiosk was set up when it has had none.
    pub days: i64,
    /// That last transaction (RFC 3339); none before the first.
    pub last_at: Option<String>,
    pub warn_from_days: i64,
    pub fine_at_days: i64,
    /// Paise.
    pub fine: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct SyncView {
    /// `online`, `offline`, `connecting` (nothing answered yet),
    /// `refused` (the centre answered with a refusal), `not_registered`.
    pub state: String,
    /// Entries the centre has not answered yet.
    pub pending: i64,
    /// Entries the centre holds until the department confirms.
    pub held: i64,
    pub rejected: i64,
    pub oldest_pending_age_secs: Option<i64>,
    pub last_sync_at: Option<String>,
    pub last_error_code: Option<String>,
    /// What the operator must see and act on (the centre restored from a
    /// backup, changed answers, a wrong PC clock, the device unknown at
    /// the centre, a broken local record), oldest first, until the
    /// condition clears or the operator acknowledges it.
    pub alerts: Vec<AlertView>,
    /// The centre answered the last sync round and the link is up: online-only
    /// (real-time) services may be taken now; otherwise `cart_add` and `pay`
    /// refuse them with `service.online_only`.
    pub realtime: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct AlertView {
    /// Stable code; the UI shows its translation.
    pub code: String,
    /// When it was first raised (RFC 3339).
    pub since: String,
    /// The operator may mark it seen (`ack_alert`); the others clear
    /// when their cause does.
    pub can_ack: bool,
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct AckAlertArgs {
    pub code: String,
}

/// The signed line the centre's administrator needs to admit this PC
/// again (`sync.device_unknown`), and the file it was saved to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ReadmitView {
    pub text: String,
    pub path: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct WalletView {
    /// False until the first sync brought a balance.
    pub known: bool,
    /// The centre's balance when last heard.
    pub balance: i64,
    pub balance_as_of: Option<String>,
    /// Local wallet payments the centre has not confirmed yet.
    pub pending_debits: i64,
    /// What one more wallet payment may take now.
    pub available: i64,
    /// Payments left before the offline limit on their count.
    pub offline_count_left: i64,
    /// Below the ₹20,000 the kiosk is expected to keep.
    pub below_minimum: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct PrinterView {
    /// `none` (not set up), `ready`, `printing`, `offline`, `paper_out`,
    /// `error`.
    pub state: String,
    pub uri: Option<String>,
    pub profile: Option<String>,
    pub queued: i64,
    pub failed: i64,
    pub last_error_code: Option<String>,
}

// ------------------------------------------------------------------ printer set-up

/// Which printer: the receipt printer (the counter's) or the report
/// printer (the back office's; the receipt printer when none is set).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum PrinterRole {
    Receipt,
    Report,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum SerialParity {
    None,
    Odd,
    Even,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum SerialFlow {
    None,
    Xonxoff,
    Rtscts,
    /// DTR/DSR, the usual handshake of serial dot-matrix printers.
    Dtr,
}

/// A serial port's settings (the printer's switches must say the same).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct SerialView {
    pub baud: u32,
    /// 5 to 8.
    pub data_bits: u8,
    pub parity: SerialParity,
    /// 1 or 2.
    pub stop_bits: u8,
    pub flow: SerialFlow,
}

/// A printer this PC shows: a spooler queue, a USB or parallel printer
/// device, a serial port.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct FoundPrinterView {
    pub uri: String,
    /// `spooler`, `usb`, `lpt` or `serial`.
    pub kind: String,
    pub name: String,
    /// The IEEE-1284 id the device gave, if any.
    pub device_id: Option<String>,
    /// The profile that fits what the printer says it is.
    pub suggested_profile: Option<String>,
}

/// A printer profile this build knows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ProfileView {
    pub id: String,
    pub name: String,
    /// `escp9`, `escp24`, `ibm`, `escpos`, `text` or `pdf`.
    pub language: String,
    pub columns: u16,
    pub max_columns: u16,
    /// How such a printer is usually attached (`usb`, `serial`, `spool`).
    pub transport: String,
    /// The serial settings a `serial:` printer starts from.
    pub serial: Option<SerialView>,
    /// The virtual printer draws its bytes (every profile but PDF).
    pub previewable: bool,
}

/// A printer as chosen: its URI and profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct PrinterChoiceView {
    pub uri: String,
    pub profile: String,
    /// `usb`, `lpt`, `device`, `serial`, `tcp`, `spooler`, `file`, or
    /// `unknown` (a setting this build cannot read).
    pub kind: String,
    /// The settings the serial port is opened with (the URI's over the
    /// profile's).
    pub serial: Option<SerialView>,
}

/// A print job not printed yet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct PrinterJobView {
    pub id: String,
    /// `receipt`, `final`, `duplicate`, `report`, `test_page`.
    pub kind: String,
    /// `queued`, `printing` or `failed`.
    pub state: String,
    pub printer: String,
    pub profile: String,
    pub attempts: i64,
    /// The receipt it prints (its final number once there is one).
    pub receipt_no: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    /// When a queued job is tried again.
    pub next_attempt_at: Option<String>,
    pub last_error_code: Option<String>,
}

/// The printer set-up screen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct PrintersView {
    pub profiles: Vec<ProfileView>,
    pub receipt: Option<PrinterChoiceView>,
    /// The report printer the holder chose; none: reports print on the
    /// receipt printer.
    pub report: Option<PrinterChoiceView>,
    /// The print worker's state, as the status bar shows it.
    pub status: PrinterView,
    /// Queued, being sent, failed; newest first.
    pub jobs: Vec<PrinterJobView>,
    /// The session may change the printers (the holder).
    pub can_change: bool,
}

/// Where a printer is and what it speaks.
#[derive(Debug, Clone, Deserialize, TS)]
pub struct PrinterTarget {
    /// `usb:/dev/usb/lp0`, `lpt:/dev/lp0`, `serial:/dev/ttyS0`,
    /// `tcp://host:9100`, `spool:QUEUE`, `file:/path`.
    pub uri: String,
    pub profile: String,
    /// For a `serial:` URI only: replaces any settings written in it.
    #[ts(optional)]
    #[serde(default)]
    pub serial: Option<SerialView>,
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct PrinterSetArgs {
    pub role: PrinterRole,
    pub printer: PrinterTarget,
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct PrinterTestArgs {
    pub role: PrinterRole,
    /// A printer not saved yet (the holder only); the role's printer when
    /// omitted.
    #[ts(optional)]
    #[serde(default)]
    pub printer: Option<PrinterTarget>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct TestPageView {
    pub job: String,
    pub printer: String,
    pub profile: String,
    /// The paper as the virtual printer draws the very bytes queued; none
    /// for a PDF (laser) profile.
    pub preview: Option<PreviewView>,
}

#[derive(Debug, Clone, Default, Deserialize, TS)]
pub struct PrinterRetryArgs {
    /// One job; every failed job when omitted.
    #[ts(optional)]
    #[serde(default)]
    pub job: Option<String>,
}

// ------------------------------------------------------------------ back office

/// Which receipts a report covers. Dates are IST calendar days,
/// `YYYY-MM-DD`, both included.
#[derive(Debug, Clone, Default, Deserialize, TS)]
pub struct ReportFilter {
    pub from: String,
    pub to: String,
    #[ts(optional)]
    #[serde(default)]
    pub service: Option<String>,
    /// The operator's login.
    #[ts(optional)]
    #[serde(default)]
    pub operator: Option<String>,
    /// `provisional`, `final` or `cancelled`.
    #[ts(optional)]
    #[serde(default)]
    pub status: Option<String>,
    /// `wallet` or `cheque`.
    #[ts(optional)]
    #[serde(default)]
    pub mode: Option<String>,
    /// Transactions: `created_at` (default), `receipt_no`, `operator`,
    /// `mode`, `status`, `lines`, `total`, `commission`, `services`,
    /// `consumers`.
    #[ts(optional)]
    #[serde(default)]
    pub sort: Option<String>,
    #[serde(default)]
    pub desc: bool,
    /// Commissions: per `day` (default) or `month`.
    #[ts(optional)]
    #[serde(default)]
    pub period: Option<Period>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Period {
    Day,
    Month,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ReportKind {
    Transactions,
    Commissions,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ExportFormat {
    Csv,
    Xlsx,
    Pdf,
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct TxnReportArgs {
    pub filter: ReportFilter,
    /// 0-based page of 200 rows.
    #[serde(default)]
    pub page: u32,
}

/// One receipt as a row of a list (reports, receipt search, reconcile).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ReceiptRow {
    pub id: String,
    pub receipt_no: String,
    pub final_receipt_no: Option<String>,
    pub created_at: String,
    pub operator: String,
    pub mode: String,
    /// `provisional`, `final`, `pending`, `rejected` or `cancelled`.
    pub status: String,
    pub lines: i64,
    pub total: i64,
    pub commission: i64,
    /// Service codes, comma-separated.
    pub services: String,
    /// Consumer numbers, comma-separated.
    pub consumers: String,
}

/// Sums over everything the filter matches (not one page). Money taken
/// leaves cancelled and rejected receipts out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ReportTotals {
    pub matched: i64,
    pub receipts: i64,
    pub lines: i64,
    pub bills: i64,
    pub charges: i64,
    pub total: i64,
    pub commission: i64,
    pub cancelled: i64,
    pub rejected: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct TxnReport {
    pub rows: Vec<ReceiptRow>,
    pub page: u32,
    pub has_more: bool,
    pub totals: ReportTotals,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct CommissionRowView {
    /// `YYYY-MM-DD` or `YYYY-MM`.
    pub period: String,
    pub service_code: String,
    pub service_en: String,
    pub service_hi: String,
    pub receipts: i64,
    pub lines: i64,
    pub bills: i64,
    pub charges: i64,
    pub total: i64,
    pub commission: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct CommissionReport {
    pub period: Period,
    pub rows: Vec<CommissionRowView>,
    pub totals: ReportTotals,
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct ExportArgs {
    pub report: ReportKind,
    pub format: ExportFormat,
    pub filter: ReportFilter,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ExportView {
    /// Where the file was written (the kiosk's reports folder).
    pub path: String,
    pub file_name: String,
    pub bytes: u64,
    pub rows: u32,
    /// The money total written in the file's totals row.
    pub total: i64,
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct ReportPrintArgs {
    pub report: ReportKind,
    pub filter: ReportFilter,
}

#[derive(Debug, Clone, Default, Deserialize, TS)]
pub struct ReceiptSearchArgs {
    /// Local or final receipt number.
    #[ts(optional)]
    #[serde(default)]
    pub receipt_no: Option<String>,
    #[ts(optional)]
    #[serde(default)]
    pub consumer_no: Option<String>,
    #[ts(optional)]
    #[serde(default)]
    pub mobile: Option<String>,
    /// One IST day, `YYYY-MM-DD`.
    #[ts(optional)]
    #[serde(default)]
    pub date: Option<String>,
    #[serde(default)]
    pub page: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ReceiptList {
    pub rows: Vec<ReceiptRow>,
    pub page: u32,
    pub has_more: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct PrintJobView {
    pub id: String,
    /// `receipt`, `final`, `duplicate`, `report`, `test`.
    pub kind: String,
    /// `queued`, `printing`, `printed`, `failed`, `cancelled`.
    pub state: String,
    pub printer: String,
    pub attempts: i64,
    pub created_at: String,
    pub updated_at: String,
    pub last_error_code: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ReceiptDetailView {
    pub receipt: ReceiptView,
    /// What the centre said: `final`, `pending`, `rejected`, `cancelled`,
    /// or `unknown` (no answer yet; never "failed").
    pub centre_state: String,
    pub cancelled_at: Option<String>,
    pub cancelled_by: Option<String>,
    pub cancel_reason: Option<String>,
    /// Why the centre refused it, in its words.
    pub reject_reason: Option<String>,
    /// The cancellation is queued for the centre, not answered yet.
    pub cancel_pending: bool,
    pub prints: Vec<PrintJobView>,
    /// The session may cancel this receipt now (holder; not cancelled or
    /// rejected already).
    pub can_cancel: bool,
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct CancelArgs {
    /// Local or final receipt number, or the receipt's id.
    pub key: String,
    pub reason: String,
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct DayArgs {
    /// `YYYY-MM-DD` (IST).
    pub date: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ReconcileRow {
    pub id: String,
    pub receipt_no: String,
    pub final_receipt_no: Option<String>,
    pub created_at: String,
    pub operator: String,
    pub total: i64,
    /// `final`, `pending`, `rejected`, `cancelled` or `unknown`.
    pub state: String,
    pub code: Option<String>,
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ReconcileCounts {
    pub finals: i64,
    pub pending: i64,
    pub unknown: i64,
    pub rejected: i64,
    pub cancelled: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ReconcileView {
    pub date: String,
    pub rows: Vec<ReconcileRow>,
    pub counts: ReconcileCounts,
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct VerifyArgs {
    pub date: String,
    /// One receipt (number or id); every payment of the day when omitted.
    #[ts(optional)]
    #[serde(default)]
    pub key: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct VerifyRow {
    pub receipt_no: String,
    pub before: String,
    pub after: String,
    /// What the centre said: `accepted`, `rejected`, `pending`,
    /// `cancelled`, or none (it has no such transaction yet).
    pub centre_status: Option<String>,
    pub final_receipt_no: Option<String>,
    pub code: Option<String>,
    pub reason: Option<String>,
    /// `matched`, `settled`, `still_unknown`, `pending`, `rejected`,
    /// `mismatch`.
    pub outcome: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct VerifySummary {
    pub matched: i64,
    pub settled: i64,
    pub still_unknown: i64,
    pub pending: i64,
    pub rejected: i64,
    pub mismatch: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct VerifyResult {
    pub rows: Vec<VerifyRow>,
    pub summary: VerifySummary,
    pub day: ReconcileView,
}

#[derive(Debug, Clone, Default, Deserialize, TS)]
pub struct WalletArgs {
    /// IST days, `YYYY-MM-DD`, both included; the latest lines when
    /// omitted.
    #[ts(optional)]
    #[serde(default)]
    pub from: Option<String>,
    #[ts(optional)]
    #[serde(default)]
    pub to: Option<String>,
}

/// One line of the centre's ledger for this kiosk's wallet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct StatementLineView {
    pub line_id: i64,
    pub at: String,
    /// `payment`, `refill`, `reversal`, `commission`, ... as the centre
    /// names it.
    pub kind: String,
    /// Credit positive, debit negative (paise).
    pub amount: i64,
    pub txn_id: i64,
    pub memo: String,
    /// The balance after this line, when the statement runs up to the
    /// centre's last known balance.
    pub balance_after: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct WalletScreen {
    pub wallet: WalletView,
    /// The balance a kiosk is expected to keep (paise).
    pub minimum: i64,
    pub lines: Vec<StatementLineView>,
    /// Older lines in the range were left out.
    pub truncated: bool,
    pub credits: i64,
    pub debits: i64,
}

// ------------------------------------------------------------------ events

/// Pushed from Rust; the UI never polls.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(tag = "kind", content = "data", rename_all = "snake_case")]
pub enum Event {
    Status(StatusView),
    /// A receipt changed state (final number from the centre, rejected).
    Receipt(ReceiptView),
    /// The session ended (idle lock); the UI shows the login.
    Locked,
    /// The catalogue was replaced by a newer one from the centre.
    Catalogue,
}

/// The table of commands: name (as the UI sends it), argument type,
/// result type. Declared once; see the module docs.
macro_rules! commands {
    ($( $(#[doc = $doc:literal])* $name:ident ( $args:ty ) -> $res:ty ; )*) => {
        /// A command from the UI: `{"cmd": "<name>", "args": …}`.
        #[allow(non_camel_case_types)]
        #[derive(Debug, Clone, Deserialize)]
        #[serde(tag = "cmd", content = "args")]
        pub enum Request {
            $( $(#[doc = $doc])* $name($args), )*
        }

        impl Request {
            pub fn name(&self) -> &'static str {
                match self { $( Request::$name(_) => stringify!($name), )* }
            }
        }

        /// Every command's name.
        pub const COMMANDS: &[&str] = &[$( stringify!($name) ),*];

        impl crate::Service {
            /// Reads a command as the window sent it; one that does not
            /// parse is `request.invalid`, never a crash or a string.
            pub async fn dispatch_json(&self, req: serde_json::Value) -> Result<serde_json::Value, ApiError> {
                match serde_json::from_value::<Request>(req) {
                    Ok(r) => self.dispatch(r).await,
                    Err(e) => Err(ApiError {
                        code: protocol::codes::INVALID.into(),
                        message: format!("the command could not be read: {e}"),
                        details: None,
                    }),
                }
            }

            /// Runs one command and returns its result as JSON.
            pub async fn dispatch(&self, req: Request) -> Result<serde_json::Value, ApiError> {
                let name = req.name();
                let out = match req {
                    $( Request::$name(a) => self.$name(a).await.map(|r| {
                        serde_json::to_value(r).expect("results serialise")
                    }), )*
                };
                out.map_err(|e| {
                    tracing::info!(command = name, code = %e.code(), "refused");
                    e.to_api()
                })
            }
        }

        /// The `Commands` map for TypeScript: name → `{ args; result }`.
        pub fn ts_command_map(cfg: &ts_rs::Config) -> (String, Vec<String>) {
            let mut out = String::from("export type Commands = {\n");
            let mut deps: Vec<String> = Vec::new();
            $(
                let a = <$args as TS>::name(cfg);
                let r = <$res as TS>::name(cfg);
                $( out.push_str(&format!("  /**{} */\n", $doc)); )*
                out.push_str(&format!("  {}: {{ args: {}; result: {} }};\n", stringify!($name), a, r));
                for t in [&a, &r] { deps.push(t.clone()); }
            )*
            out.push_str("};\n");
            (out, deps)
        }
    };
}

commands! {
    /// What to show now (phase, identity, session, language, recovery).
    app_state(()) -> AppState;
    /// First run: registers this PC as the kiosk's device (online, once).
    register(RegisterArgs) -> AppState;
    /// Operator login: online, or offline against the cached verifier.
    login(LoginArgs) -> AppState;
    /// The logged-in user's own password (online, through the centre).
    change_password(ChangePasswordArgs) -> AppState;
    /// A forgotten password: a code by SMS to the login's registered
    /// mobile (online; nobody need be logged in).
    forgot_password_request(ForgotArgs) -> ForgotView;
    /// The code from the SMS and a new password; then logs in with it.
    forgot_password_reset(ResetArgs) -> ResetDone;
    /// Frees the holder's SSO ID from this PC (holder, online, nothing
    /// left to send): the database is moved aside, the app starts set-up.
    device_deregister(DeregisterArgs) -> DeregisterDone;
    logout(()) -> AppState;
    /// Idle lock (also applied by the service itself after the idle time).
    lock(()) -> AppState;
    set_lang(SetLangArgs) -> AppState;
    /// The window was used: keeps the session from the idle lock.
    touch(()) -> ();
    catalogue(()) -> CatalogueView;
    set_favourites(SetFavouritesArgs) -> CatalogueView;
    check_consumer(ConsumerArgs) -> ConsumerCheck;
    /// Get Bill Details from the department (online).
    fetch_bill(ConsumerArgs) -> BillView;
    cart(()) -> CartView;
    cart_add(CartAddArgs) -> CartView;
    cart_remove(CartRemoveArgs) -> CartView;
    cart_clear(()) -> CartView;
    cart_contact(CartContactArgs) -> CartView;
    cart_mode(CartModeArgs) -> CartView;
    /// Commits the cart once; a second Pay of the same cart returns the
    /// same receipt.
    pay(PayArgs) -> PayResult;
    receipt(ReceiptArgs) -> ReceiptView;
    /// Prints the receipt again (DUPLICATE COPY once it has printed).
    print_receipt(ReceiptArgs) -> PrintView;
    preview(ReceiptArgs) -> PreviewView;
    /// Printer set-up: the profiles, the receipt and report printers, the
    /// print worker's state and the jobs not printed yet.
    printers(()) -> PrintersView;
    /// The printers this PC shows now (spooler, USB, LPT, serial).
    printers_discover(()) -> Vec<FoundPrinterView>;
    /// Sets the receipt or the report printer (holder only).
    printer_set(PrinterSetArgs) -> PrintersView;
    /// Reports print on the receipt printer again (holder only).
    printer_clear_report(()) -> PrintersView;
    /// Queues a test page; its preview is drawn from the bytes queued.
    printer_test_page(PrinterTestArgs) -> TestPageView;
    /// Puts one failed job, or every failed job, back in the queue.
    printer_retry(PrinterRetryArgs) -> PrintersView;
    status(()) -> StatusView;
    /// Forget the crash-recovery note once the operator has read it.
    dismiss_recovery(()) -> AppState;
    /// Push and pull now (the status shows the outcome).
    sync_now(()) -> ();
    /// The operator has seen an alert and acted on it.
    ack_alert(AckAlertArgs) -> StatusView;
    /// The re-admission request for a centre that lost this PC, saved in
    /// the reports folder.
    readmit_request(()) -> ReadmitView;
    /// Transactions over the local database: filtered, sorted, paged,
    /// with the totals of everything matched.
    report_transactions(TxnReportArgs) -> TxnReport;
    /// Commission per service per day or month.
    report_commissions(ReportFilter) -> CommissionReport;
    /// Writes a report as CSV, XLSX or PDF into the kiosk's reports folder.
    report_export(ExportArgs) -> ExportView;
    /// Queues a report on the report printer.
    report_print(ReportPrintArgs) -> PrintView;
    /// Receipts by number (local or final), consumer number, mobile, day.
    receipts_search(ReceiptSearchArgs) -> ReceiptList;
    /// One receipt with its state and its print history.
    receipt_detail(ReceiptArgs) -> ReceiptDetailView;
    /// Cancels a receipt (holder only), queued for the centre.
    receipt_cancel(CancelArgs) -> ReceiptDetailView;
    /// Every payment of a day with what the centre said of it.
    reconcile_day(DayArgs) -> ReconcileView;
    /// Asks the centre about one payment or all of a day (online).
    reconcile_verify(VerifyArgs) -> VerifyResult;
    /// The wallet: centre balance, pending debits, offline room, and the
    /// centre's statement with a running balance.
    wallet(WalletArgs) -> WalletScreen;
    /// Asks the centre for a wallet refill (holder only): amount, mode,
    /// bank reference; queued for the centre like any entry.
    refill_request(crate::refills::RefillRequestArgs) -> crate::refills::RefillRequested;
    /// The refill requests with their state, and the security deposit's
    /// limit and dues.
    refills(()) -> crate::refills::RefillList;
    /// Raises a ticket with the helpdesk (category, description, the
    /// receipt it concerns, the support bundle on request), queued for the
    /// centre like any entry.
    ticket_raise(crate::tickets::TicketRaiseArgs) -> crate::tickets::TicketRaised;
    /// The kiosk's tickets, newest first, with the centre's replies.
    tickets(()) -> crate::tickets::TicketList;
    /// The kiosk's users as the centre lists them, with the changes on
    /// their way (holder only).
    users(()) -> crate::users::UserList;
    /// Adds a user (holder only), queued for the centre, which sends the
    /// first password to the mobile by SMS.
    user_add(crate::users::UserAddArgs) -> crate::users::UserList;
    /// Deactivates or reactivates a user (holder only), queued for the
    /// centre; a deactivated user cannot log in offline from now on.
    user_set_active(crate::users::UserActiveArgs) -> crate::users::UserList;
    /// Has the centre send a user a new password by SMS (holder only).
    user_reset_password(crate::users::UserLoginArgs) -> crate::users::UserList;
}
