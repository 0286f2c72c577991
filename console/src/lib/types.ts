// The shapes of docs/console-api.md, one type each. Money is integer paise,
// times unix milliseconds, dates `YYYY-MM-DD` (India).

export type Role = 'state' | 'district' | 'auditor';

export interface Admin {
  login: string;
  name: string;
  role: Role;
  district: string | null;
}

/** POST /login and GET /me. */
export interface Session {
  admin: Admin;
  csrf: string;
  expires_ms: number;
  /** How long a quiet session lives (15 min), and how long this one has
   *  left now and at most (its 8 hours): durations, so that the PC's clock
   *  need not agree with the centre's. */
  idle_ms?: number;
  left_ms?: number;
  max_left_ms?: number;
}

export interface KioskRow {
  code: string;
  name: string;
  district: string;
  active: boolean;
  wallet_balance: number;
  commission_balance: number;
  last_seen_ms: number | null;
  last_sync_ms: number | null;
  outbox_depth: number | null;
  outbox_amount: number | null;
  oldest_pending_ms: number | null;
  app_version: string | null;
  clock_offset_ms: number | null;
  /** Days since its last payment; null: none yet. */
  inactivity_days: number | null;
  /** Seen in the last 10 minutes. */
  online: boolean;
  /** Oldest pending entry older than 4 hours. */
  stuck: boolean;
}

export type KioskStatus = 'all' | 'online' | 'offline' | 'stuck' | 'inactive';

export interface Page<T> {
  total: number;
  page: number;
  per_page: number;
  rows: T[];
}

export interface Device {
  id: string;
  device_no: number;
  label: string;
  user_login: string | null;
  registered_ms: number;
  deregistered_ms: number | null;
  high_water: number;
}

export interface User {
  login: string;
  name: string;
  role: 'holder' | 'operator';
  active: boolean;
  /** Masked: ******1234. */
  mobile: string;
}

/** Ids the server hands out as numbers or UUID strings; the console only
 *  shows them and sends them back. */
export type Id = number | string;

export interface LedgerLine {
  id: Id;
  txn_id: Id;
  account: string;
  kind: string;
  amount: number;
  memo: string;
  at_ms: number;
  /** The wallet's balance after this line, when the server gives it. */
  balance?: number;
}

export type ReceiptStatus = 'accepted' | 'pending' | 'cancelled';

export interface Receipt {
  receipt_no: string | null;
  local_receipt_no: string;
  mode: string;
  total: number;
  operator: string;
  created_ms: number;
  status: ReceiptStatus;
}

export interface KioskDetail {
  kiosk: KioskRow;
  devices: Device[];
  users: User[];
  ledger: LedgerLine[];
  receipts: Receipt[];
  deposit_limit: number;
}

export interface RefillRequest {
  id: string;
  kiosk_code: string;
  district: string;
  amount: number;
  mode: string;
  reference: string;
  requested_by: string;
  status: 'pending' | 'credited' | 'rejected';
  reason: string | null;
  created_ms: number;
  txn_id?: Id | null;
  updated_ms?: number;
}

export interface Held {
  txn_id: Id;
  receipt_no: string | null;
  kiosk_code: string;
  district: string;
  total: number;
  created_ms: number;
}

export interface Dues {
  kiosk_code: string;
  district: string;
  deposit_limit: number;
  wallet_balance: number;
  /** What is owed now, when the server gives it. */
  dues?: number;
  due_date: string | null;
  interest: number;
}

export interface RefillDetail {
  mode: string;
  reference: string;
  request_id: string | null;
}

export interface SettleDetail {
  txn_id: Id;
  receipt_no: string | null;
  confirm: boolean;
  reason: string;
}

export type ProposalStatus = 'pending' | 'approved' | 'rejected';

interface ProposalBase {
  id: string;
  kiosk_code: string;
  district: string;
  amount: number;
  proposed_by: string;
  proposed_ms: number;
  status: ProposalStatus;
  decided_by: string | null;
  decided_ms: number | null;
  reason: string | null;
}

export type Proposal =
  | (ProposalBase & { kind: 'refill'; detail: RefillDetail })
  | (ProposalBase & { kind: 'settle'; detail: SettleDetail });

/** POST /proposals: the maker's two kinds. */
export type NewProposal =
  | { kind: 'refill'; kiosk_code: string; amount: number; mode: string; reference: string; request_id?: string }
  | { kind: 'settle'; txn_id: Id; confirm: boolean; reason: string };

export type AlertKind =
  | 'chain'
  | 'gap'
  | 'clock'
  | 'clock_back'
  | 'reregistered'
  | 'cancellations'
  | 'reprints'
  | 'other'
  | 'stuck';

export interface Alert {
  /** null: a stuck kiosk, which clears itself when its queue moves. */
  id: Id | null;
  kind: AlertKind;
  kiosk_code: string;
  district: string;
  detail: string;
  at_ms: number | null;
  acked_by: string | null;
  acked_ms: number | null;
  note: string | null;
}

export type TicketStatus = 'open' | 'in_progress' | 'resolved' | 'closed';

export interface Ticket {
  id: string;
  kiosk_code: string;
  district: string;
  raised_by: string;
  category: string;
  subject: string;
  status: TicketStatus;
  receipt_no: string | null;
  has_attachment?: boolean;
  created_ms: number;
  updated_ms: number;
}

export interface TicketReply {
  text: string;
  /** The ticket's status once this reply was sent. */
  status: TicketStatus | null;
  at_ms: number;
}

export interface TicketDetail {
  ticket: Ticket;
  body: string;
  attachment: string | null;
  replies: TicketReply[];
}

export interface Service {
  code: string;
  department: string;
  name_en: string;
  name_hi: string;
  state_rate: number;
  charge: number;
  commission: number;
  active: boolean;
}

/** A department as the catalogue lists it (the contract leaves it open). */
export interface Department {
  code: string;
  name_en?: string;
  name_hi?: string;
  [k: string]: unknown;
}

export interface Catalogue {
  version: number;
  loaded_ms: number;
  departments: Department[];
  services: Service[];
}

export interface ServiceChange {
  code: string;
  charge: number;
  commission: number;
  active: boolean;
}

export interface Publish {
  base_version: number;
  services: ServiceChange[];
}

export interface ReconcileRow {
  department: string;
  count: number;
  total: number;
  accepted: number;
  pending: number;
  cancelled: number;
  /** What the department's account was credited for these payments. */
  posted?: number;
}

export interface Reconcile {
  rows: ReconcileRow[];
  unsettled: Held[];
}

export interface Audit {
  id: Id;
  at_ms: number;
  admin: string;
  action: string;
  target: string;
  before: unknown;
  after: unknown;
}

export interface Rows<T> {
  rows: T[];
}

/**
 * One page of a paged list (refill requests, held payments, proposals,
 * alerts, tickets). `next` is the cursor of the page after: passed back as
 * `before` (`after` for held payments), null when nothing follows.
 */
export interface ListPage<T> extends Rows<T> {
  limit: number;
  more: boolean;
  next: string | null;
}

/** Which page of a list: its size and where it starts. */
export interface PageQuery {
  limit?: number;
  /** The previous page's `next`. */
  cursor?: string | null;
}

/** Every error body: `{code, message}`. */
export interface ErrorBody {
  code: string;
  message: string;
}
