// Generated from crates/kiosk-app/src/api.rs by its `bindings` test. Do not edit:
// run `UPDATE_BINDINGS=1 cargo test -p kiosk-app --test bindings`.

export type ApiError = { code: string, message: string, 
/**
 * Structured facts for the screen (e.g. the earlier receipts of a
 * duplicate alert, the time a lock ends).
 */
details?: JsonValue, };

export type AppState = { phase: Phase, identity: KioskIdentity | null, session: SessionView | null, lang: Lang, 
/**
 * The centre this kiosk talks to (preset by the installer or the
 * first run).
 */
centre_url: string | null, 
/**
 * Shown on the first-run screen of a demo installation only.
 */
demo: DemoHint | null, 
/**
 * What became of a payment whose Pay was pressed just before the app
 * stopped (crash, power cut).
 */
recovery: Recovery | null, idle_lock_minutes: number, version: string, };

export type Phase = "setup" | "login" | "change_password" | "locked" | "counter";

export type Lang = "en" | "hi";

export type KioskIdentity = { kiosk_code: string, device_no: number, district: string, kiosk_name: string, cheque_enabled: boolean, };

export type SessionView = { login: string, name: string, 
/**
 * `holder` or `operator`.
 */
role: string, 
/**
 * Logged in against the cached verifier (the centre was not reached).
 */
offline: boolean, must_change_password: boolean, };

export type DemoHint = { centre_url: string, kiosk_code: string, holder_login: string, holder_password: string, operator_login: string, operator_password: string, };

export type Recovery = { cart_id: string, 
/**
 * True: the payment was made, once, as `receipt_no`. False: it was
 * not made, and the cart is as it was.
 */
paid: boolean, receipt_no: string | null, };

export type RegisterArgs = { centre_url: string, kiosk_code: string, login: string, password: string, 
/**
 * When the centre says the holder's first password must be changed.
 */
new_password?: string, };

export type LoginArgs = { login: string, password: string, };

export type ChangePasswordArgs = { old_password: string, new_password: string, };

export type ForgotArgs = { login: string, centre_url?: string, };

export type ForgotView = { 
/**
 * How long the code sent by SMS stays valid. The same answer whether
 * or not the login exists: the centre does not say.
 */
expires_in_secs: number, };

export type ResetArgs = { login: string, 
/**
 * The six digits from the SMS.
 */
otp: string, new_password: string, centre_url?: string, };

export type ResetDone = { 
/**
 * On a registered kiosk the user is logged in with the new password.
 */
state: AppState, logged_in: boolean, 
/**
 * Why that login did not happen (the password is changed all the same).
 */
login_error: ApiError | null, };

export type DeregisterArgs = { password: string, };

export type DeregisterDone = { 
/**
 * Back to set-up.
 */
state: AppState, 
/**
 * Where the kiosk's database was moved (kept, never deleted).
 */
moved_to: string, };

export type SetLangArgs = { lang: Lang, };

export type CatalogueView = { version: number, 
/**
 * Category → department → service codes, for browsing.
 */
categories: Array<CategoryView>, services: Array<ServiceView>, 
/**
 * Service codes the holder pinned, in their order.
 */
favourites: Array<string>, };

export type CategoryView = { name_en: string, name_hi: string, departments: Array<DepartmentView>, };

export type DepartmentView = { code: string, name_en: string, name_hi: string, services: Array<string>, };

export type ServiceView = { code: string, department: string, department_en: string, department_hi: string, category_en: string, category_hi: string, name_en: string, name_hi: string, consumer_label_en: string, consumer_label_hi: string, 
/**
 * Paise charged to the citizen per bill (never above `state_rate`).
 */
charge: number, state_rate: number, bill_fetch_required: boolean, offline_allowed: boolean, 
/**
 * Who a departmental cheque is written to, when the department takes
 * cheques.
 */
cheque_payee: string | null, };

export type SetFavouritesArgs = { codes: Array<string>, };

export type ConsumerArgs = { service: string, consumer_no: string, };

export type ConsumerCheck = { valid: boolean, 
/**
 * The number as it will be stored (spaces dropped, upper case).
 */
normalised: string | null, error: ApiError | null, };

export type BillView = { service: string, consumer_no: string, consumer_name: string | null, bill_ref: string | null, amount: number, due_date: string | null, 
/**
 * The same bill paid within 30 days, here or at any kiosk.
 */
duplicate: DuplicateView | null, };

export type DuplicateView = { service_code: string, consumer_no: string, receipt_no: string, 
/**
 * Where the earlier payment was made (this kiosk or another).
 */
kiosk_code: string, paid_at: string, amount: number | null, };

export type CartAddArgs = { service: string, consumer_no: string, 
/**
 * The amount as typed (rupees, e.g. `1,234.50`); omitted when the
 * bill was fetched, whose amount is then used.
 */
amount?: string, };

export type CartRemoveArgs = { index: number, };

export type CartContactArgs = { mobile?: string, email?: string, };

export type CartModeArgs = { "mode": "wallet" } | { "mode": "cheque", number: string, 
/**
 * `YYYY-MM-DD`.
 */
date: string, bank: string, };

export type CartView = { 
/**
 * Pay sends this back: one cart makes one receipt, however often Pay
 * is pressed.
 */
cart_id: string, lines: Array<CartLineView>, bills: number, charges: number, total: number, mobile: string | null, email: string | null, 
/**
 * `wallet`, `cheque` or none yet.
 */
mode: string | null, cheque: ChequeView | null, 
/**
 * The payee a cheque for this cart must name (from the department),
 * or none when the department takes no cheques.
 */
cheque_payee: string | null, cheque_enabled: boolean, 
/**
 * Earlier payments of these bills within 30 days (local check).
 */
duplicates: Array<DuplicateView>, };

export type CartLineView = { index: number, service_code: string, service_en: string, service_hi: string, consumer_no: string, consumer_name: string | null, bill_ref: string | null, bill_amount: number, charge: number, total: number, };

export type ChequeView = { number: string, date: string, bank: string, payee: string, };

export type PayArgs = { cart_id: string, 
/**
 * The operator saw the duplicate alert and confirmed.
 */
confirm_duplicate: boolean, };

export type PayResult = { receipt: ReceiptView, print: PrintView | null, 
/**
 * True when this cart had been paid already (Pay pressed twice): the
 * receipt shown is that one, no second was made.
 */
already_paid: boolean, };

export type ReceiptArgs = { 
/**
 * Local or final receipt number, or the receipt's id.
 */
key: string, };

export type ReceiptView = { id: string, receipt_no: string, final_receipt_no: string | null, 
/**
 * `provisional`, `final`, `rejected`, `cancelled` or `pending`.
 */
status: string, created_at: string, operator: string, mode: string, total: number, commission: number, mobile: string | null, email: string | null, lines: Array<CartLineView>, 
/**
 * Why the centre refused it (code), when it did.
 */
reject_code: string | null, };

export type PrintView = { 
/**
 * `queued`, `printing`, `printed`, `failed`, `skipped`.
 */
status: string, printer: string, job: string | null, 
/**
 * `receipt` (provisional), `final` or `duplicate`.
 */
kind: string | null, code: string | null, message: string | null, };

export type PreviewView = { 
/**
 * `data:image/png;base64,…` of the paper as the virtual printer draws
 * the exact bytes sent (or to be sent) to the printer.
 */
png: string, width: number, height: number, profile: string, 
/**
 * Which print the picture is of (`receipt`, `final`, `duplicate`).
 */
kind: string, };

export type StatusView = { sync: SyncView, wallet: WalletView, printer: PrinterView, operator: string | null, 
/**
 * Days without a transaction (none before the kiosk is set up).
 */
inactivity: InactivityView | null, 
/**
 * The centre's clock minus this PC's, in whole minutes (as ms; 0
 * before the first sync): the screens count "today" and "now" by
 * the centre's clock, as the kiosk dates its records.
 */
clock_offset_ms: number, };

export type InactivityView = { 
/**
 * Whole days (India's calendar) since the last transaction, or since
 * the kiosk was set up when it has had none.
 */
days: number, 
/**
 * That last transaction (RFC 3339); none before the first.
 */
last_at: string | null, warn_from_days: number, fine_at_days: number, 
/**
 * Paise.
 */
fine: number, };

export type SyncView = { 
/**
 * `online`, `offline`, `connecting` (nothing answered yet),
 * `refused` (the centre answered with a refusal), `not_registered`.
 */
state: string, 
/**
 * Entries the centre has not answered yet.
 */
pending: number, 
/**
 * Entries the centre holds until the department confirms.
 */
held: number, rejected: number, oldest_pending_age_secs: number | null, last_sync_at: string | null, last_error_code: string | null, 
/**
 * What the operator must see and act on (the centre restored from a
 * backup, changed answers, a wrong PC clock, the device unknown at
 * the centre, a broken local record), oldest first, until the
 * condition clears or the operator acknowledges it.
 */
alerts: Array<AlertView>, 
/**
 * The centre answered the last sync round and the link is up: online-only
 * (real-time) services may be taken now; otherwise `cart_add` and `pay`
 * refuse them with `service.online_only`.
 */
realtime: boolean, };

export type AlertView = { 
/**
 * Stable code; the UI shows its translation.
 */
code: string, 
/**
 * When it was first raised (RFC 3339).
 */
since: string, 
/**
 * The operator may mark it seen (`ack_alert`); the others clear
 * when their cause does.
 */
can_ack: boolean, };

export type AckAlertArgs = { code: string, };

export type ReadmitView = { text: string, path: string, };

export type WalletView = { 
/**
 * False until the first sync brought a balance.
 */
known: boolean, 
/**
 * The centre's balance when last heard.
 */
balance: number, balance_as_of: string | null, 
/**
 * Local wallet payments the centre has not confirmed yet.
 */
pending_debits: number, 
/**
 * What one more wallet payment may take now.
 */
available: number, 
/**
 * Payments left before the offline limit on their count.
 */
offline_count_left: number, 
/**
 * Below the ₹20,000 the kiosk is expected to keep.
 */
below_minimum: boolean, };

export type PrinterView = { 
/**
 * `none` (not set up), `ready`, `printing`, `offline`, `paper_out`,
 * `error`.
 */
state: string, uri: string | null, profile: string | null, queued: number, failed: number, last_error_code: string | null, };

export type PrinterRole = "receipt" | "report";

export type SerialParity = "none" | "odd" | "even";

export type SerialFlow = "none" | "xonxoff" | "rtscts" | "dtr";

export type SerialView = { baud: number, 
/**
 * 5 to 8.
 */
data_bits: number, parity: SerialParity, 
/**
 * 1 or 2.
 */
stop_bits: number, flow: SerialFlow, };

export type FoundPrinterView = { uri: string, 
/**
 * `spooler`, `usb`, `lpt` or `serial`.
 */
kind: string, name: string, 
/**
 * The IEEE-1284 id the device gave, if any.
 */
device_id: string | null, 
/**
 * The profile that fits what the printer says it is.
 */
suggested_profile: string | null, };

export type ProfileView = { id: string, name: string, 
/**
 * `escp9`, `escp24`, `ibm`, `escpos`, `text` or `pdf`.
 */
language: string, columns: number, max_columns: number, 
/**
 * How such a printer is usually attached (`usb`, `serial`, `spool`).
 */
transport: string, 
/**
 * The serial settings a `serial:` printer starts from.
 */
serial: SerialView | null, 
/**
 * The virtual printer draws its bytes (every profile but PDF).
 */
previewable: boolean, };

export type PrinterChoiceView = { uri: string, profile: string, 
/**
 * `usb`, `lpt`, `device`, `serial`, `tcp`, `spooler`, `file`, or
 * `unknown` (a setting this build cannot read).
 */
kind: string, 
/**
 * The settings the serial port is opened with (the URI's over the
 * profile's).
 */
serial: SerialView | null, };

export type PrinterJobView = { id: string, 
/**
 * `receipt`, `final`, `duplicate`, `report`, `test_page`.
 */
kind: string, 
/**
 * `queued`, `printing` or `failed`.
 */
state: string, printer: string, profile: string, attempts: number, 
/**
 * The receipt it prints (its final number once there is one).
 */
receipt_no: string | null, created_at: string, updated_at: string, 
/**
 * When a queued job is tried again.
 */
next_attempt_at: string | null, last_error_code: string | null, };

export type PrintersView = { profiles: Array<ProfileView>, receipt: PrinterChoiceView | null, 
/**
 * The report printer the holder chose; none: reports print on the
 * receipt printer.
 */
report: PrinterChoiceView | null, 
/**
 * The print worker's state, as the status bar shows it.
 */
status: PrinterView, 
/**
 * Queued, being sent, failed; newest first.
 */
jobs: Array<PrinterJobView>, 
/**
 * The session may change the printers (the holder).
 */
can_change: boolean, };

export type PrinterTarget = { 
/**
 * `usb:/dev/usb/lp0`, `lpt:/dev/lp0`, `serial:/dev/ttyS0`,
 * `tcp://host:9100`, `spool:QUEUE`, `file:/path`.
 */
uri: string, profile: string, 
/**
 * For a `serial:` URI only: replaces any settings written in it.
 */
serial?: SerialView, };

export type PrinterSetArgs = { role: PrinterRole, printer: PrinterTarget, };

export type PrinterTestArgs = { role: PrinterRole, 
/**
 * A printer not saved yet (the holder only); the role's printer when
 * omitted.
 */
printer?: PrinterTarget, };

export type TestPageView = { job: string, printer: string, profile: string, 
/**
 * The paper as the virtual printer draws the very bytes queued; none
 * for a PDF (laser) profile.
 */
preview: PreviewView | null, };

export type PrinterRetryArgs = { 
/**
 * One job; every failed job when omitted.
 */
job?: string, };

export type Event = { "kind": "status", "data": StatusView } | { "kind": "receipt", "data": ReceiptView } | { "kind": "locked" } | { "kind": "catalogue" };

export type ReportFilter = { from: string, to: string, service?: string, 
/**
 * The operator's login.
 */
operator?: string, 
/**
 * `provisional`, `final` or `cancelled`.
 */
status?: string, 
/**
 * `wallet` or `cheque`.
 */
mode?: string, 
/**
 * Transactions: `created_at` (default), `receipt_no`, `operator`,
 * `mode`, `status`, `lines`, `total`, `commission`, `services`,
 * `consumers`.
 */
sort?: string, desc: boolean, 
/**
 * Commissions: per `day` (default) or `month`.
 */
period?: Period, };

export type Period = "day" | "month";

export type ReportKind = "transactions" | "commissions";

export type ExportFormat = "csv" | "xlsx" | "pdf";

export type TxnReportArgs = { filter: ReportFilter, 
/**
 * 0-based page of 200 rows.
 */
page: number, };

export type ReceiptRow = { id: string, receipt_no: string, final_receipt_no: string | null, created_at: string, operator: string, mode: string, 
/**
 * `provisional`, `final`, `pending`, `rejected` or `cancelled`.
 */
status: string, lines: number, total: number, commission: number, 
/**
 * Service codes, comma-separated.
 */
services: string, 
/**
 * Consumer numbers, comma-separated.
 */
consumers: string, };

export type ReportTotals = { matched: number, receipts: number, lines: number, bills: number, charges: number, total: number, commission: number, cancelled: number, rejected: number, };

export type TxnReport = { rows: Array<ReceiptRow>, page: number, has_more: boolean, totals: ReportTotals, };

export type CommissionRowView = { 
/**
 * `YYYY-MM-DD` or `YYYY-MM`.
 */
period: string, service_code: string, service_en: string, service_hi: string, receipts: number, lines: number, bills: number, charges: number, total: number, commission: number, };

export type CommissionReport = { period: Period, rows: Array<CommissionRowView>, totals: ReportTotals, };

export type ExportArgs = { report: ReportKind, format: ExportFormat, filter: ReportFilter, };

export type ExportView = { 
/**
 * Where the file was written (the kiosk's reports folder).
 */
path: string, file_name: string, bytes: number, rows: number, 
/**
 * The money total written in the file's totals row.
 */
total: number, };

export type ReportPrintArgs = { report: ReportKind, filter: ReportFilter, };

export type ReceiptSearchArgs = { 
/**
 * Local or final receipt number.
 */
receipt_no?: string, consumer_no?: string, mobile?: string, 
/**
 * One IST day, `YYYY-MM-DD`.
 */
date?: string, page: number, };

export type ReceiptList = { rows: Array<ReceiptRow>, page: number, has_more: boolean, };

export type PrintJobView = { id: string, 
/**
 * `receipt`, `final`, `duplicate`, `report`, `test`.
 */
kind: string, 
/**
 * `queued`, `printing`, `printed`, `failed`, `cancelled`.
 */
state: string, printer: string, attempts: number, created_at: string, updated_at: string, last_error_code: string | null, };

export type ReceiptDetailView = { receipt: ReceiptView, 
/**
 * What the centre said: `final`, `pending`, `rejected`, `cancelled`,
 * or `unknown` (no answer yet; never "failed").
 */
centre_state: string, cancelled_at: string | null, cancelled_by: string | null, cancel_reason: string | null, 
/**
 * Why the centre refused it, in its words.
 */
reject_reason: string | null, 
/**
 * The cancellation is queued for the centre, not answered yet.
 */
cancel_pending: boolean, prints: Array<PrintJobView>, 
/**
 * The session may cancel this receipt now (holder; not cancelled or
 * rejected already).
 */
can_cancel: boolean, };

export type CancelArgs = { 
/**
 * Local or final receipt number, or the receipt's id.
 */
key: string, reason: string, };

export type DayArgs = { 
/**
 * `YYYY-MM-DD` (IST).
 */
date: string, };

export type ReconcileRow = { id: string, receipt_no: string, final_receipt_no: string | null, created_at: string, operator: string, total: number, 
/**
 * `final`, `pending`, `rejected`, `cancelled` or `unknown`.
 */
state: string, code: string | null, reason: string | null, };

export type ReconcileCounts = { finals: number, pending: number, unknown: number, rejected: number, cancelled: number, };

export type ReconcileView = { date: string, rows: Array<ReconcileRow>, counts: ReconcileCounts, };

export type VerifyArgs = { date: string, 
/**
 * One receipt (number or id); every payment of the day when omitted.
 */
key?: string, };

export type VerifyRow = { receipt_no: string, before: string, after: string, 
/**
 * What the centre said: `accepted`, `rejected`, `pending`,
 * `cancelled`, or none (it has no such transaction yet).
 */
centre_status: string | null, final_receipt_no: string | null, code: string | null, reason: string | null, 
/**
 * `matched`, `settled`, `still_unknown`, `pending`, `rejected`,
 * `mismatch`.
 */
outcome: string, };

export type VerifySummary = { matched: number, settled: number, still_unknown: number, pending: number, rejected: number, mismatch: number, };

export type VerifyResult = { rows: Array<VerifyRow>, summary: VerifySummary, day: ReconcileView, };

export type WalletArgs = { 
/**
 * IST days, `YYYY-MM-DD`, both included; the latest lines when
 * omitted.
 */
from?: string, to?: string, };

export type StatementLineView = { line_id: number, at: string, 
/**
 * `payment`, `refill`, `reversal`, `commission`, ... as the centre
 * names it.
 */
kind: string, 
/**
 * Credit positive, debit negative (paise).
 */
amount: number, txn_id: number, memo: string, 
/**
 * The balance after this line, when the statement runs up to the
 * centre's last known balance.
 */
balance_after: number | null, };

export type WalletScreen = { wallet: WalletView, 
/**
 * The balance a kiosk is expected to keep (paise).
 */
minimum: number, lines: Array<StatementLineView>, 
/**
 * Older lines in the range were left out.
 */
truncated: boolean, credits: number, debits: number, };

export type RefillRequestArgs = { 
/**
 * Rupees as typed (`25000`, `25,000.50`).
 */
amount: string, 
/**
 * One of `RefillList.modes`.
 */
mode: string, 
/**
 * The bank's reference (UTR); required for `neft_rtgs` and `transfer`.
 */
reference?: string, };

export type RefillView = { id: string, 
/**
 * Paise.
 */
amount: number, mode: string, reference: string | null, requested_by: string, created_at: string, 
/**
 * `queued` (waiting to reach the centre), `refused` (the centre
 * refused the entry: `refused_code`), `pending` (at the centre until
 * credited), `credited` or `rejected` (`reason`).
 */
state: string, refused_code: string | null, reason: string | null, 
/**
 * The centre's ledger transaction of the credit.
 */
txn_id: number | null, updated_at: string | null, };

export type DuesView = { 
/**
 * The centre's figures have arrived (after the first pull).
 */
known: boolean, 
/**
 * Paise: how far below zero payments may take the wallet.
 */
deposit_limit: number, 
/**
 * Paise below zero.
 */
dues: number, 
/**
 * When the wallet went below zero.
 */
since: string | null, 
/**
 * `YYYY-MM-DD`: the bank working day the dues must be paid by.
 */
due_date: string | null, 
/**
 * `none` (no dues), `upcoming`, `due_today` or `overdue`, by today's
 * date in India on the centre's clock.
 */
due_state: string, 
/**
 * Paise of interest so far (18% a year on overdue dues).
 */
interest: number, 
/**
 * When the centre worked these figures out.
 */
as_of: string | null, };

export type RefillList = { 
/**
 * Newest first.
 */
requests: Array<RefillView>, 
/**
 * The modes a request may have, in the order to offer them.
 */
modes: Array<string>, 
/**
 * The modes that need a bank reference.
 */
reference_required: Array<string>, 
/**
 * Paise: the most one request may ask for.
 */
max_amount: number, dues: DuesView, };

export type RefillRequested = { request: RefillView, };

export type TicketRaiseArgs = { 
/**
 * One of `TicketList.categories`.
 */
category: string, description: string, 
/**
 * The receipt it concerns: local or final number.
 */
receipt_no?: string, 
/**
 * Attach the support bundle (no secrets in it).
 */
attach_bundle: boolean, };

export type TicketReplyView = { id: number, 
/**
 * The ticket's status the reply left.
 */
status: string, text: string, at: string, };

export type TicketView = { id: string, category: string, 
/**
 * The description's first line.
 */
subject: string, description: string, receipt_no: string | null, raised_by: string, created_at: string, 
/**
 * `queued` (waiting to reach the centre), `rejected` (the centre
 * refused it: `reject_code`), or the centre's word: `open`,
 * `in_progress`, `resolved`, `closed`.
 */
state: string, reject_code: string | null, 
/**
 * Bytes of the support bundle sent with it (0: none).
 */
bundle_bytes: number, 
/**
 * The centre's replies, oldest first.
 */
replies: Array<TicketReplyView>, };

export type TicketList = { 
/**
 * Newest first.
 */
tickets: Array<TicketView>, 
/**
 * The categories a ticket may have, in the order to offer them.
 */
categories: Array<string>, };

export type BundleView = { bytes: number, log_lines: number, 
/**
 * The bundle was too big for one entry: the oldest log lines were left
 * out (this many).
 */
capped: boolean, log_lines_dropped: number, };

export type TicketRaised = { ticket: TicketView, bundle: BundleView | null, };

export type UserAddArgs = { login: string, name: string, 
/**
 * The Indian mobile the centre sends the first password to.
 */
mobile: string, 
/**
 * `operator` or `holder`.
 */
role: string, };

export type UserActiveArgs = { login: string, active: boolean, };

export type UserLoginArgs = { login: string, };

export type UserView = { login: string, name: string, 
/**
 * `holder` or `operator`.
 */
role: string, 
/**
 * As the centre last said (false for an addition not made yet).
 */
active: boolean, 
/**
 * The first (or a reset) password is still to be changed.
 */
must_change_password: boolean, 
/**
 * The last digits of the mobile the passwords go to.
 */
mobile_hint: string | null, 
/**
 * In the centre's list (false: an addition on its way).
 */
at_centre: boolean, 
/**
 * Changes on their way to the centre, oldest first: `add`,
 * `deactivate`, `reactivate`, `reset_password`.
 */
pending: Array<string>, 
/**
 * The logged-in holder (who cannot deactivate themself).
 */
is_me: boolean, };

export type UserChangeView = { id: string, login: string, 
/**
 * `add`, `deactivate`, `reactivate`, `reset_password`.
 */
action: string, made_by: string, created_at: string, 
/**
 * `queued` (not at the centre yet), `applied`, `refused` (`code`).
 */
state: string, code: string | null, };

export type UserList = { 
/**
 * By login.
 */
users: Array<UserView>, 
/**
 * The latest changes, newest first.
 */
changes: Array<UserChangeView>, 
/**
 * The roles a user may be given, in the order to offer them.
 */
roles: Array<string>, };

export type JsonValue = number | string | boolean | Array<JsonValue> | { [key in string]: JsonValue } | null;

export type Commands = {
  /** What to show now (phase, identity, session, language, recovery). */
  app_state: { args: null; result: AppState };
  /** First run: registers this PC as the kiosk's device (online, once). */
  register: { args: RegisterArgs; result: AppState };
  /** Operator login: online, or offline against the cached verifier. */
  login: { args: LoginArgs; result: AppState };
  /** The logged-in user's own password (online, through the centre). */
  change_password: { args: ChangePasswordArgs; result: AppState };
  /** A forgotten password: a code by SMS to the login's registered */
  /** mobile (online; nobody need be logged in). */
  forgot_password_request: { args: ForgotArgs; result: ForgotView };
  /** The code from the SMS and a new password; then logs in with it. */
  forgot_password_reset: { args: ResetArgs; result: ResetDone };
  /** Frees the holder's SSO ID from this PC (holder, online, nothing */
  /** left to send): the database is moved aside, the app starts set-up. */
  device_deregister: { args: DeregisterArgs; result: DeregisterDone };
  logout: { args: null; result: AppState };
  /** Idle lock (also applied by the service itself after the idle time). */
  lock: { args: null; result: AppState };
  set_lang: { args: SetLangArgs; result: AppState };
  /** The window was used: keeps the session from the idle lock. */
  touch: { args: null; result: null };
  catalogue: { args: null; result: CatalogueView };
  set_favourites: { args: SetFavouritesArgs; result: CatalogueView };
  check_consumer: { args: ConsumerArgs; result: ConsumerCheck };
  /** Get Bill Details from the department (online). */
  fetch_bill: { args: ConsumerArgs; result: BillView };
  cart: { args: null; result: CartView };
  cart_add: { args: CartAddArgs; result: CartView };
  cart_remove: { args: CartRemoveArgs; result: CartView };
  cart_clear: { args: null; result: CartView };
  cart_contact: { args: CartContactArgs; result: CartView };
  cart_mode: { args: CartModeArgs; result: CartView };
  /** Commits the cart once; a second Pay of the same cart returns the */
  /** same receipt. */
  pay: { args: PayArgs; result: PayResult };
  receipt: { args: ReceiptArgs; result: ReceiptView };
  /** Prints the receipt again (DUPLICATE COPY once it has printed). */
  print_receipt: { args: ReceiptArgs; result: PrintView };
  preview: { args: ReceiptArgs; result: PreviewView };
  /** Printer set-up: the profiles, the receipt and report printers, the */
  /** print worker's state and the jobs not printed yet. */
  printers: { args: null; result: PrintersView };
  /** The printers this PC shows now (spooler, USB, LPT, serial). */
  printers_discover: { args: null; result: Array<FoundPrinterView> };
  /** Sets the receipt or the report printer (holder only). */
  printer_set: { args: PrinterSetArgs; result: PrintersView };
  /** Reports print on the receipt printer again (holder only). */
  printer_clear_report: { args: null; result: PrintersView };
  /** Queues a test page; its preview is drawn from the bytes queued. */
  printer_test_page: { args: PrinterTestArgs; result: TestPageView };
  /** Puts one failed job, or every failed job, back in the queue. */
  printer_retry: { args: PrinterRetryArgs; result: PrintersView };
  status: { args: null; result: StatusView };
  /** Forget the crash-recovery note once the operator has read it. */
  dismiss_recovery: { args: null; result: AppState };
  /** Push and pull now (the status shows the outcome). */
  sync_now: { args: null; result: null };
  /** The operator has seen an alert and acted on it. */
  ack_alert: { args: AckAlertArgs; result: StatusView };
  /** The re-admission request for a centre that lost this PC, saved in */
  /** the reports folder. */
  readmit_request: { args: null; result: ReadmitView };
  /** Transactions over the local database: filtered, sorted, paged, */
  /** with the totals of everything matched. */
  report_transactions: { args: TxnReportArgs; result: TxnReport };
  /** Commission per service per day or month. */
  report_commissions: { args: ReportFilter; result: CommissionReport };
  /** Writes a report as CSV, XLSX or PDF into the kiosk's reports folder. */
  report_export: { args: ExportArgs; result: ExportView };
  /** Queues a report on the report printer. */
  report_print: { args: ReportPrintArgs; result: PrintView };
  /** Receipts by number (local or final), consumer number, mobile, day. */
  receipts_search: { args: ReceiptSearchArgs; result: ReceiptList };
  /** One receipt with its state and its print history. */
  receipt_detail: { args: ReceiptArgs; result: ReceiptDetailView };
  /** Cancels a receipt (holder only), queued for the centre. */
  receipt_cancel: { args: CancelArgs; result: ReceiptDetailView };
  /** Every payment of a day with what the centre said of it. */
  reconcile_day: { args: DayArgs; result: ReconcileView };
  /** Asks the centre about one payment or all of a day (online). */
  reconcile_verify: { args: VerifyArgs; result: VerifyResult };
  /** The wallet: centre balance, pending debits, offline room, and the */
  /** centre's statement with a running balance. */
  wallet: { args: WalletArgs; result: WalletScreen };
  /** Asks the centre for a wallet refill (holder only): amount, mode, */
  /** bank reference; queued for the centre like any entry. */
  refill_request: { args: RefillRequestArgs; result: RefillRequested };
  /** The refill requests with their state, and the security deposit's */
  /** limit and dues. */
  refills: { args: null; result: RefillList };
  /** Raises a ticket with the helpdesk (category, description, the */
  /** receipt it concerns, the support bundle on request), queued for the */
  /** centre like any entry. */
  ticket_raise: { args: TicketRaiseArgs; result: TicketRaised };
  /** The kiosk's tickets, newest first, with the centre's replies. */
  tickets: { args: null; result: TicketList };
  /** The kiosk's users as the centre lists them, with the changes on */
  /** their way (holder only). */
  users: { args: null; result: UserList };
  /** Adds a user (holder only), queued for the centre, which sends the */
  /** first password to the mobile by SMS. */
  user_add: { args: UserAddArgs; result: UserList };
  /** Deactivates or reactivates a user (holder only), queued for the */
  /** centre; a deactivated user cannot log in offline from now on. */
  user_set_active: { args: UserActiveArgs; result: UserList };
  /** Has the centre send a user a new password by SMS (holder only). */
  user_reset_password: { args: UserLoginArgs; result: UserList };
};

export const COMMAND_NAMES = [
  "app_state",
  "register",
  "login",
  "change_password",
  "forgot_password_request",
  "forgot_password_reset",
  "device_deregister",
  "logout",
  "lock",
  "set_lang",
  "touch",
  "catalogue",
  "set_favourites",
  "check_consumer",
  "fetch_bill",
  "cart",
  "cart_add",
  "cart_remove",
  "cart_clear",
  "cart_contact",
  "cart_mode",
  "pay",
  "receipt",
  "print_receipt",
  "preview",
  "printers",
  "printers_discover",
  "printer_set",
  "printer_clear_report",
  "printer_test_page",
  "printer_retry",
  "status",
  "dismiss_recovery",
  "sync_now",
  "ack_alert",
  "readmit_request",
  "report_transactions",
  "report_commissions",
  "report_export",
  "report_print",
  "receipts_search",
  "receipt_detail",
  "receipt_cancel",
  "reconcile_day",
  "reconcile_verify",
  "wallet",
  "refill_request",
  "refills",
  "ticket_raise",
  "tickets",
  "users",
  "user_add",
  "user_set_active",
  "user_reset_password",
] as const;

/** Every error code the backend can answer with. */
export const ERROR_CODES = [
  "account.online_only",
  "account.outbox_not_empty",
  "alert.none",
  "alert.not_acknowledgeable",
  "amount.invalid",
  "amount.required",
  "app.already_set_up",
  "app.internal",
  "app.lang_invalid",
  "app.not_set_up",
  "auth.bad_credentials",
  "auth.bad_signature",
  "auth.bad_token",
  "auth.device_deregistered",
  "auth.forbidden",
  "auth.holder_only",
  "auth.inactive",
  "auth.locked",
  "auth.missing",
  "auth.password_change_required",
  "auth.token_expired",
  "auth.unknown_device",
  "auth.wrong_kiosk",
  "bill.already_paid",
  "bill.amount_mismatch",
  "bill.fetch_required",
  "bill.unknown",
  "biller.unavailable",
  "cancel.reason_required",
  "cart.changed",
  "cart.duplicate_line",
  "cart.empty",
  "cart.full",
  "cart.no_such_line",
  "catalogue.invalid",
  "catalogue.missing",
  "catalogue.older",
  "centre.bad_answer",
  "centre.offline",
  "centre.url_invalid",
  "charge.above_state_rate",
  "cheque.bank_required",
  "cheque.date_invalid",
  "cheque.invalid",
  "cheque.mixed_departments",
  "cheque.not_enabled",
  "cheque.number_invalid",
  "cheque.payee_mismatch",
  "cheque.post_dated",
  "cheque.refused_by_department",
  "cheque.stale",
  "clock.skew",
  "consumer_no.invalid",
  "contact.email_invalid",
  "contact.mobile_invalid",
  "contact.required",
  "device.bad_key",
  "device.bound_elsewhere",
  "device_no.invalid",
  "entry.duplicate_id",
  "entry.malformed",
  "entry.unsupported_format",
  "entry.unsupported_kind",
  "entry.wrong_kiosk",
  "exposure.age_exceeded",
  "exposure.amount_exceeded",
  "exposure.balance_insufficient",
  "exposure.count_exceeded",
  "exposure.no_snapshot",
  "http.status",
  "internal",
  "kiosk.already_initialised",
  "kiosk.device_id_fixed",
  "kiosk.district_required",
  "kiosk.name_required",
  "kiosk.not_initialised",
  "kiosk_code.invalid",
  "ledger.exposure_exceeded",
  "ledger.line_invalid",
  "login.bad_credentials",
  "login.locked",
  "login.no_offline_verifier",
  "money.empty",
  "money.grouping_invalid",
  "money.invalid",
  "money.negative",
  "money.overflow",
  "money.too_many_decimals",
  "money.zero",
  "not_found",
  "operator.already_active",
  "operator.change_pending",
  "operator.exists",
  "operator.inactive",
  "operator.login_invalid",
  "operator.login_taken",
  "operator.name_invalid",
  "operator.no_mobile",
  "operator.role_invalid",
  "operator.self_deactivate",
  "operator.unknown",
  "otp.format",
  "otp.invalid",
  "otp.rate_limited",
  "outbox.chain_broken",
  "outbox.entries_stopped",
  "outbox.entry_undecodable",
  "outbox.not_found",
  "outbox.outcome_conflict",
  "password.no_digit",
  "password.no_lowercase",
  "password.no_uppercase",
  "password.too_long",
  "password.too_short",
  "password.unchanged",
  "payment.already_paid",
  "payment.duplicate_unconfirmed",
  "payment.duplicate_warning",
  "payment.mode_required",
  "payment.totals_mismatch",
  "print.encoder",
  "print.font",
  "print.interrupted",
  "print.paper_out",
  "print.printer_offline",
  "print.profile_invalid",
  "print.profile_unknown",
  "print.profile_unreadable",
  "print.spooler",
  "print.stream_invalid",
  "print.unsupported",
  "print.uri_invalid",
  "print_queue.columns_invalid",
  "print_queue.database",
  "print_queue.io",
  "print_queue.job_failed",
  "print_queue.job_unknown",
  "print_queue.no_printer",
  "print_queue.not_cancellable",
  "print_queue.nothing_to_retry",
  "print_queue.receipt_cancelled",
  "printer.not_serial",
  "protocol.malformed",
  "protocol.too_large",
  "protocol.unsupported_version",
  "query.invalid",
  "readmit.already_known",
  "readmit.invalid",
  "receipt.already_cancelled",
  "receipt.id_reused",
  "receipt.not_found",
  "receipt.rejected",
  "receipt.unknown",
  "receipt_no.invalid",
  "refill.amount_invalid",
  "refill.duplicate_reference",
  "refill.mode_unknown",
  "refill.not_pending",
  "refill.reason_required",
  "refill.reference_invalid",
  "refill.reference_required",
  "register.new_password_required",
  "register.not_holder",
  "register.wrong_kiosk",
  "report.date_invalid",
  "report.export_failed",
  "report.filter_invalid",
  "request.invalid",
  "request.rate_limited",
  "service.inactive",
  "service.online_only",
  "service.online_only_late",
  "service.unknown",
  "session.holder_only",
  "session.locked",
  "session.none",
  "session.password_change_required",
  "store.backup_invalid",
  "store.busy",
  "store.corrupt",
  "store.invalid",
  "store.io",
  "store.migration_edited",
  "store.migration_failed",
  "store.no_backup",
  "store.not_found",
  "store.schema_too_new",
  "store.sqlite",
  "sync.batch_empty",
  "sync.batch_too_large",
  "sync.centre_restored",
  "sync.chain_mismatch",
  "sync.config",
  "sync.device_unknown",
  "sync.gap",
  "sync.insecure_url",
  "sync.io",
  "sync.key_missing",
  "sync.keyring",
  "sync.locked",
  "sync.offline",
  "sync.outcome_changed",
  "sync.protocol",
  "sync.state.offline",
  "sync.state.refused",
  "sync.state.sending",
  "sync.state.starting",
  "sync.state.stopped",
  "sync.state.up_to_date",
  "sync.store",
  "sync.timeout",
  "text.bidi_control",
  "text.invalid",
  "text.invisible_only",
  "ticket.attachment_too_large",
  "ticket.category_unknown",
  "ticket.description_required",
  "ticket.description_too_long",
  "wallet.invalid",
] as const;
