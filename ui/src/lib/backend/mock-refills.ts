import { todayYmd } from '../time';
// Refill requests and dues in the in-memory backend (tests, screenshot
// harness): the rules the service layer applies (holder only, an amount
// above zero up to ₹10,00,000, a known mode, a bank reference where the
// mode needs one and in its format, no reference twice), a request that
// waits while offline and is pending at the centre until the centre
// credits or rejects it on demand, and the deposit's dues in each state.
// Not used by the real app.
import type { DuesView, RefillList, RefillRequested, RefillView, WalletView } from './bindings';

type Fail = (code: string, details?: unknown) => never;

export interface RefillCtx {
  fail: Fail;
  needSession(): void;
  role(): 'holder' | 'operator';
  login(): string;
  online(): boolean;
}

/** Which dues the mocked kiosk has (`none`: no deposit either; the others
 *  on a ₹50,000 deposit limit). */
export type MockDues = 'none' | 'upcoming' | 'due_today' | 'overdue';

export const REFILL_MODES = ['neft_rtgs', 'net_banking', 'payment_gateway', 'transfer'];
const NEEDS_REFERENCE = ['neft_rtgs', 'transfer'];
const MAX = 10_00_000_00;

/** Rupees as typed → paise, or null (`25,000`, `1234.5`). */
function paise(s: string): number | null {
  const m = /^\s*(\d{1,3}(?:,\d{2,3})*|\d+)(?:\.(\d{1,2}))?\s*$/.exec(s);
  if (!m) return null;
  const rupees = Number(m[1].replace(/,/g, ''));
  const frac = Number((m[2] ?? '').padEnd(2, '0'));
  return rupees * 100 + frac;
}

function referenceOk(mode: string, r: string): boolean {
  if (mode === 'neft_rtgs') return /^[A-Z]{4}[A-Z0-9]{12}([A-Z0-9]{6})?$/.test(r);
  return /^[A-Z0-9_-]{6,30}$/.test(r);
}


function dues(kind: MockDues, now = new Date()): DuesView {
  const day = (n: number) => todayYmd(new Date(now.getTime() + n * 86_400_000));
  const base = { known: true, deposit_limit: 5_000_000, as_of: now.toISOString() };
  switch (kind) {
    case 'none':
      return { ...base, deposit_limit: 0, dues: 0, since: null, due_date: null, due_state: 'none', interest: 0 };
    case 'upcoming':
      return { ...base, dues: 1_250_000, since: now.toISOString(), due_date: day(1), due_state: 'upcoming', interest: 0 };
    case 'due_today':
      return { ...base, dues: 1_250_000, since: new Date(now.getTime() - 86_400_000).toISOString(), due_date: day(0), due_state: 'due_today', interest: 0 };
    case 'overdue':
      // ₹50,000 three days late: 3 × 2,465 paise.
      return { ...base, dues: 5_000_000, since: new Date(now.getTime() - 5 * 86_400_000).toISOString(), due_date: day(-3), due_state: 'overdue', interest: 7_395 };
  }
}

export function refillCommands(
  ctx: RefillCtx,
  kind: MockDues = 'none',
): {
  cmds: Record<string, (a: any) => unknown>;
  /** The link came back: queued requests reach the centre. */
  sync(): void;
  /** The centre's staff credit (or reject) the newest pending request. */
  settle(credit: boolean, reason?: string): void;
  /** The wallet as these dues leave it (below zero by the dues until refilled). */
  wallet(w: WalletView): WalletView;
} {
  const requests: RefillView[] = [];
  let state = dues(kind);
  const owed = state.dues;
  let credited = 0;
  const sync = () => {
    if (!ctx.online()) return;
    for (const r of requests) if (r.state === 'queued') r.state = 'pending';
  };
  const cmds: Record<string, (a: any) => unknown> = {
    refills: (): RefillList => {
      ctx.needSession();
      return {
        requests: requests.map((r) => ({ ...r })),
        modes: REFILL_MODES,
        reference_required: NEEDS_REFERENCE,
        max_amount: MAX,
        dues: { ...state },
      };
    },
    refill_request: (a: { amount?: string; mode?: string; reference?: string }): RefillRequested => {
      ctx.needSession();
      if (ctx.role() !== 'holder') ctx.fail('session.holder_only');
      const amount = paise(a.amount ?? '');
      if (amount === null || amount <= 0 || amount > MAX) ctx.fail('refill.amount_invalid');
      const mode = a.mode ?? '';
      if (!REFILL_MODES.includes(mode)) ctx.fail('refill.mode_unknown');
      const reference = (a.reference ?? '').replace(/\s+/g, '').toUpperCase() || null;
      if (!reference && NEEDS_REFERENCE.includes(mode)) ctx.fail('refill.reference_required');
      if (reference && !referenceOk(mode, reference)) ctx.fail('refill.reference_invalid');
      if (reference && requests.some((r) => r.reference === reference && !['refused', 'rejected'].includes(r.state))) ctx.fail('refill.duplicate_reference');
      const r: RefillView = {
        id: `rf-${requests.length + 1}`,
        amount: amount!,
        mode,
        reference,
        requested_by: ctx.login(),
        created_at: new Date().toISOString(),
        state: 'queued',
        refused_code: null,
        reason: null,
        txn_id: null,
        updated_at: null,
      };
      requests.unshift(r);
      sync();
      return { request: { ...r } };
    },
  };
  const settle = (credit: boolean, reason = '') => {
    const r = requests.find((x) => x.state === 'pending');
    if (!r) return;
    r.updated_at = new Date().toISOString();
    if (credit) {
      r.state = 'credited';
      r.txn_id = 90_000 + requests.indexOf(r);
      credited += r.amount;
      // A credit pays the dues first.
      const left = Math.max(0, state.dues - r.amount);
      state = left ? { ...state, dues: left } : { ...dues('none'), deposit_limit: state.deposit_limit };
    } else {
      r.state = 'rejected';
      r.reason = reason;
    }
  };
  const wallet = (w: WalletView): WalletView => {
    if (!owed) return w;
    const balance = credited - owed;
    return { ...w, balance, pending_debits: 0, available: Math.max(0, balance + state.deposit_limit), below_minimum: balance < 2_000_000 };
  };
  return { cmds, sync, settle, wallet };
}
