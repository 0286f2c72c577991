import { IST_MS, todayYmd } from '../time';
// The back office of the in-memory backend (tests, screenshot harness):
// a few weeks of receipts answered like the service layer answers
// (filters, sort, totals without cancelled and refused, holder-only
// cancel, Verify that needs the link). Not used by the real app.
import type {
  CommissionRowView,
  ExportView,
  PrintJobView,
  PrintView,
  ReceiptDetailView,
  ReceiptRow,
  ReceiptView,
  ReconcileRow,
  ReconcileView,
  ReportFilter,
  ReportTotals,
  ServiceView,
  VerifyResult,
  VerifyRow,
  WalletView,
} from './bindings';

type Fail = (code: string, details?: unknown) => never;

export interface OfficeCtx {
  fail: Fail;
  needSession(): void;
  role(): 'holder' | 'operator';
  login(): string;
  online(): boolean;
  services: ServiceView[];
  /** Receipts paid at the mocked counter in this session. */
  paid(): ReceiptView[];
  wallet(): WalletView;
}

interface Held {
  r: ReceiptView;
  /** What the centre said: accepted, pending, rejected, or none yet. */
  centre: 'accepted' | 'pending' | 'rejected' | null;
  /** What the centre would say on Verify. */
  truth: 'accepted' | 'pending' | 'rejected' | null;
  prints: PrintJobView[];
  cancel?: { at: string; by: string; reason: string; queued: boolean };
  reason?: string;
}

// Days as the ledger counts them: India's.
const ymd = (d: Date) => todayYmd(d);

/** The mocked kiosk's history: `days` days back from today, a few
 *  receipts a day, of every state. */
export function mockHistory(services: ServiceView[], days = 12, now = new Date()): Held[] {
  const out: Held[] = [];
  const svcs = services.slice(0, 7);
  let n = 0;
  for (let d = days - 1; d >= 0; d--) {
    const perDay = 3 + ((d * 7) % 4);
    for (let i = 0; i < perDay; i++) {
      n++;
      // 9:00, 11:00, ... India time on the day `d` days before India's today.
      const [y, m, day] = todayYmd(now).split('-').map(Number);
      const at = new Date(Date.UTC(y, m - 1, day - d, 9 + i * 2, (n * 13) % 60) - IST_MS);
      const s = svcs[n % svcs.length];
      const s2 = n % 5 === 0 ? svcs[(n + 3) % svcs.length] : null;
      const bill = 20_000 + ((n * 7919) % 300_000);
      const lines = [s, s2].filter((x): x is ServiceView => !!x).map((x, k) => ({
        index: k,
        service_code: x.code,
        service_en: x.name_en,
        service_hi: x.name_hi,
        consumer_no: `2100${String(100000 + n * 37 + k).padStart(8, '0')}`,
        consumer_name: 'Mohan Lal Sharma',
        bill_ref: null,
        bill_amount: bill + k * 1234,
        charge: x.charge,
        total: bill + k * 1234 + x.charge,
      }));
      const total = lines.reduce((a, l) => a + l.total, 0);
      // Today's late ones have no answer yet; a few were refused or held.
      const unknown = d === 0 && i >= perDay - 2;
      const rejected = n % 11 === 0;
      const pending = !unknown && !rejected && n % 13 === 0;
      const cancelled = !unknown && !rejected && n % 9 === 0;
      const centre = unknown ? null : rejected ? 'rejected' : pending ? 'pending' : 'accepted';
      const r: ReceiptView = {
        id: `h-${n}`,
        receipt_no: `K-JPR-0042/L${String(n).padStart(6, '0')}`,
        final_receipt_no: centre === 'accepted' ? `RJ26-${800000 + n}` : null,
        status: cancelled ? 'cancelled' : rejected ? 'rejected' : centre === 'accepted' ? 'final' : pending ? 'pending' : 'provisional',
        created_at: at.toISOString(),
        operator: n % 3 === 0 ? 'holder.rj14' : 'ramesh.op',
        mode: n % 6 === 0 ? 'cheque' : 'wallet',
        total,
        commission: lines.reduce((a, l) => a + l.charge, 0),
        mobile: `98${String(76543210 + n).slice(-8)}`,
        email: null,
        lines,
        reject_code: rejected ? 'bill.already_paid' : null,
      };
      out.push({
        r,
        centre,
        truth: unknown ? (i === perDay - 1 ? null : 'accepted') : centre,
        prints: [
          { id: `j-${n}`, kind: centre === 'accepted' ? 'final' : 'receipt', state: 'printed', printer: 'usb://epson-lx310', attempts: 1, created_at: at.toISOString(), updated_at: at.toISOString(), last_error_code: null },
        ],
        cancel: cancelled ? { at: new Date(at.getTime() + 600_000).toISOString(), by: 'holder.rj14', reason: 'Wrong consumer number', queued: false } : undefined,
        reason: rejected ? 'The department says this bill is paid already' : undefined,
      });
    }
  }
  return out;
}

export function officeCommands(ctx: OfficeCtx): { cmds: Record<string, (a: any) => unknown>; reprint(key: string): PrintView | null } {
  const { fail } = ctx;
  const held = mockHistory(ctx.services);
  const all = (): Held[] => {
    // Counter payments of this session join the history once.
    for (const r of ctx.paid()) {
      if (!held.some((h) => h.r.id === r.id)) {
        held.push({ r, centre: r.status === 'final' ? 'accepted' : null, truth: 'accepted', prints: [] });
      }
    }
    return held;
  };
  const day = (iso: string) => ymd(new Date(iso));
  const checkDate = (s: string | undefined | null) => {
    if (!s || !/^\d{4}-\d{2}-\d{2}$/.test(s)) fail('report.date_invalid', { date: s ?? '' });
  };
  const toRow = (h: Held): ReceiptRow => ({
    id: h.r.id,
    receipt_no: h.r.receipt_no,
    final_receipt_no: h.r.final_receipt_no,
    created_at: h.r.created_at,
    operator: h.r.operator,
    mode: h.r.mode,
    status: h.r.status,
    lines: h.r.lines.length,
    total: h.r.total,
    commission: h.r.commission,
    services: h.r.lines.map((l) => l.service_code).join(','),
    consumers: h.r.lines.map((l) => l.consumer_no).join(','),
  });
  const counts = (hs: Held[]): ReportTotals => {
    const ok = hs.filter((h) => h.r.status !== 'cancelled' && h.r.status !== 'rejected');
    const sum = (f: (h: Held) => number) => ok.reduce((a, h) => a + f(h), 0);
    return {
      matched: hs.length,
      receipts: ok.length,
      lines: sum((h) => h.r.lines.length),
      bills: sum((h) => h.r.lines.reduce((a, l) => a + l.bill_amount, 0)),
      charges: sum((h) => h.r.commission),
      total: sum((h) => h.r.total),
      commission: sum((h) => h.r.commission),
      cancelled: hs.filter((h) => h.r.status === 'cancelled').length,
      rejected: hs.filter((h) => h.r.status === 'rejected').length,
    };
  };
  const matching = (f: ReportFilter): Held[] => {
    checkDate(f.from);
    checkDate(f.to);
    if (f.to < f.from) fail('report.filter_invalid');
    return all().filter((h) => {
      const d = day(h.r.created_at);
      if (d < f.from || d > f.to) return false;
      if (f.service && !h.r.lines.some((l) => l.service_code === f.service)) return false;
      if (f.operator && h.r.operator !== f.operator.trim().toLowerCase()) return false;
      if (f.mode && h.r.mode !== f.mode) return false;
      if (f.status) {
        const st = h.r.status === 'pending' ? 'provisional' : h.r.status === 'rejected' ? 'provisional' : h.r.status;
        if (st !== f.status) return false;
      }
      return true;
    });
  };
  const SORT: Record<string, (r: ReceiptRow) => string | number> = {
    created_at: (r) => r.created_at,
    receipt_no: (r) => r.final_receipt_no ?? r.receipt_no,
    operator: (r) => r.operator,
    mode: (r) => r.mode,
    status: (r) => r.status,
    lines: (r) => r.lines,
    total: (r) => r.total,
    commission: (r) => r.commission,
    services: (r) => r.services,
    consumers: (r) => r.consumers,
  };
  const sorted = (f: ReportFilter): ReceiptRow[] => {
    const key = SORT[f.sort ?? 'created_at'] ?? fail('report.filter_invalid');
    const rows = matching(f).map(toRow);
    rows.sort((a, b) => {
      const x = key(a);
      const y = key(b);
      const c = typeof x === 'number' && typeof y === 'number' ? x - y : String(x) < String(y) ? -1 : String(x) > String(y) ? 1 : 0;
      return (f.desc ? -c : c) || (a.created_at < b.created_at ? -1 : 1) * (f.desc ? -1 : 1);
    });
    return rows;
  };
  const commissions = (f: ReportFilter) => {
    const by = new Map<string, CommissionRowView>();
    for (const h of matching({ ...f, status: undefined, mode: undefined, operator: undefined })) {
      if (h.r.status === 'cancelled' || h.r.status === 'rejected') continue;
      const p = f.period === 'month' ? day(h.r.created_at).slice(0, 7) : day(h.r.created_at);
      const ids = new Set<string>();
      for (const l of h.r.lines) {
        if (f.service && l.service_code !== f.service) continue;
        const k = `${p}|${l.service_code}`;
        const row = by.get(k) ?? { period: p, service_code: l.service_code, service_en: l.service_en, service_hi: l.service_hi, receipts: 0, lines: 0, bills: 0, charges: 0, total: 0, commission: 0 };
        if (!ids.has(k)) row.receipts++;
        ids.add(k);
        row.lines++;
        row.bills += l.bill_amount;
        row.charges += l.charge;
        row.total += l.total;
        row.commission += l.charge;
        by.set(k, row);
      }
    }
    const rows = [...by.values()].sort((a, b) => (a.period + a.service_code < b.period + b.service_code ? -1 : 1));
    const sum = (k: keyof CommissionRowView) => rows.reduce((a, r) => a + (r[k] as number), 0);
    return {
      period: f.period ?? 'day',
      rows,
      totals: { matched: rows.length, receipts: sum('receipts'), lines: sum('lines'), bills: sum('bills'), charges: sum('charges'), total: sum('total'), commission: sum('commission'), cancelled: 0, rejected: 0 },
    };
  };
  const find = (key: string): Held =>
    all().find((h) => h.r.id === key || h.r.receipt_no === key || h.r.final_receipt_no === key) ?? fail('receipt.not_found');
  const centreState = (h: Held): string =>
    h.r.status === 'cancelled' ? 'cancelled' : h.centre === 'accepted' ? 'final' : h.centre === 'rejected' ? 'rejected' : h.centre ?? 'unknown';
  const detail = (h: Held): ReceiptDetailView => ({
    receipt: structuredClone(h.r),
    centre_state: centreState(h),
    cancelled_at: h.cancel?.at ?? null,
    cancelled_by: h.cancel?.by ?? null,
    cancel_reason: h.cancel?.reason ?? null,
    reject_reason: h.reason ?? null,
    cancel_pending: !!h.cancel?.queued,
    prints: structuredClone(h.prints),
    can_cancel: ctx.role() === 'holder' && h.r.status !== 'cancelled' && h.r.status !== 'rejected',
  });
  const recRow = (h: Held): ReconcileRow => ({
    id: h.r.id,
    receipt_no: h.r.receipt_no,
    final_receipt_no: h.r.final_receipt_no,
    created_at: h.r.created_at,
    operator: h.r.operator,
    total: h.r.total,
    state: centreState(h),
    code: h.centre === 'rejected' ? h.r.reject_code : null,
    reason: h.centre === 'rejected' ? (h.reason ?? null) : null,
  });
  const recDay = (date: string): ReconcileView => {
    checkDate(date);
    const rows = all()
      .filter((h) => day(h.r.created_at) === date)
      .sort((a, b) => (a.r.created_at < b.r.created_at ? -1 : 1))
      .map(recRow);
    const c = (s: string) => rows.filter((r) => r.state === s).length;
    return { date, rows, counts: { finals: c('final'), pending: c('pending'), unknown: c('unknown'), rejected: c('rejected'), cancelled: c('cancelled') } };
  };
  const exportView = (f: ReportFilter, report: string, format: string, rows: number, total: number): ExportView => ({
    path: `/home/kiosk/.local/share/emitra-kiosk/reports/${report}-${f.from}-${f.to}.${format}`,
    file_name: `${report}-${f.from}-${f.to}.${format}`,
    bytes: 2048 + rows * 64,
    rows,
    total,
  });

  const reprint = (key: string): PrintView | null => {
    const h = all().find((x) => x.r.id === key || x.r.receipt_no === key);
    if (!h) return null;
    const at = new Date().toISOString();
    const kind = h.prints.some((p) => p.state === 'printed') ? 'duplicate' : h.r.status === 'final' ? 'final' : 'receipt';
    h.prints.push({ id: `j-${h.r.id}-${h.prints.length + 1}`, kind, state: 'queued', printer: 'usb://epson-lx310', attempts: 0, created_at: at, updated_at: at, last_error_code: null });
    return { status: 'queued', printer: 'usb://epson-lx310', job: h.prints[h.prints.length - 1].id, kind, code: null, message: null };
  };

  const wallet = (a: { from?: string; to?: string }) => {
    ctx.needSession();
    if (a.from) checkDate(a.from);
    if (a.to) checkDate(a.to);
    if (a.from && a.to && a.to < a.from) fail('report.filter_invalid');
    const w = ctx.wallet();
    // The centre's lines: a refill, then each accepted payment as a debit.
    const lines = [
      { line_id: 1, at: new Date(Date.now() - 13 * 86_400_000).toISOString(), kind: 'refill', amount: 5_000_000, txn_id: 9001, memo: 'NEFT UTR SBIN026113400123', balance_after: null as number | null },
      ...all()
        .filter((h) => h.centre === 'accepted')
        .sort((x, y) => (x.r.created_at < y.r.created_at ? -1 : 1))
        .map((h, i) => ({ line_id: i + 2, at: h.r.created_at, kind: 'payment', amount: -h.r.total, txn_id: 10_000 + i, memo: h.r.final_receipt_no ?? h.r.receipt_no, balance_after: null as number | null })),
    ].filter((l) => (!a.from || day(l.at) >= a.from) && (!a.to || day(l.at) <= a.to));
    if (!a.to) {
      let bal = w.balance;
      for (const l of [...lines].reverse()) {
        l.balance_after = bal;
        bal -= l.amount;
      }
    }
    return {
      wallet: w,
      minimum: 2_000_000,
      lines,
      truncated: false,
      credits: lines.filter((l) => l.amount > 0).reduce((s, l) => s + l.amount, 0),
      debits: lines.filter((l) => l.amount < 0).reduce((s, l) => s + l.amount, 0),
    };
  };

  const cmds: Record<string, (a: any) => unknown> = {
    wallet,
    report_transactions: (a: { filter: ReportFilter; page: number }) => {
      ctx.needSession();
      const rows = sorted(a.filter);
      const page = a.page ?? 0;
      return { rows: rows.slice(page * 200, page * 200 + 200), page, has_more: rows.length > (page + 1) * 200, totals: counts(matching(a.filter)) };
    },
    report_commissions: (f: ReportFilter) => (ctx.needSession(), commissions(f)),
    report_export: (a: { report: string; format: string; filter: ReportFilter }) => {
      ctx.needSession();
      if (!['csv', 'xlsx', 'pdf'].includes(a.format)) fail('request.invalid');
      if (a.report === 'commissions') {
        const c = commissions(a.filter);
        return exportView(a.filter, a.report, a.format, c.rows.length, c.totals.total);
      }
      return exportView(a.filter, 'transactions', a.format, matching(a.filter).length, counts(matching(a.filter)).total);
    },
    report_print: (a: { report: string; filter: ReportFilter }): PrintView => {
      ctx.needSession();
      matching(a.filter);
      return { status: 'queued', printer: 'usb://epson-lx310', job: 'job-report-1', kind: 'report', code: null, message: null };
    },
    receipts_search: (a: { receipt_no?: string; consumer_no?: string; mobile?: string; date?: string; page?: number }) => {
      ctx.needSession();
      if (a.date) checkDate(a.date);
      if (a.mobile && !/^\d{10}$/.test(a.mobile.trim())) fail('contact.mobile_invalid');
      const rows = all()
        .filter((h) => {
          if (a.receipt_no && h.r.receipt_no !== a.receipt_no.trim().toUpperCase() && h.r.final_receipt_no !== a.receipt_no.trim()) return false;
          if (a.consumer_no && !h.r.lines.some((l) => l.consumer_no === a.consumer_no!.replace(/\s+/g, '').toUpperCase())) return false;
          if (a.mobile && h.r.mobile !== a.mobile.trim()) return false;
          if (a.date && day(h.r.created_at) !== a.date) return false;
          return true;
        })
        .sort((x, y) => (x.r.created_at > y.r.created_at ? -1 : 1))
        .map(toRow);
      return { rows: rows.slice(0, 50), page: 0, has_more: rows.length > 50 };
    },
    receipt_detail: (a: { key: string }) => (ctx.needSession(), detail(find(a.key))),
    receipt_cancel: (a: { key: string; reason: string }) => {
      ctx.needSession();
      if (ctx.role() !== 'holder') fail('session.holder_only');
      const h = find(a.key);
      if (!a.reason?.trim()) fail('cancel.reason_required');
      if (h.r.status === 'cancelled') fail('receipt.already_cancelled');
      if (h.r.status === 'rejected') fail('receipt.rejected');
      h.r.status = 'cancelled';
      h.cancel = { at: new Date().toISOString(), by: ctx.login(), reason: a.reason.trim(), queued: true };
      return detail(h);
    },
    reconcile_day: (a: { date: string }) => (ctx.needSession(), recDay(a.date)),
    reconcile_verify: (a: { date: string; key?: string }): VerifyResult => {
      ctx.needSession();
      checkDate(a.date);
      if (!ctx.online()) fail('centre.offline');
      const hs = all().filter((h) => day(h.r.created_at) === a.date && (!a.key || h.r.id === a.key || h.r.receipt_no === a.key));
      const rows: VerifyRow[] = [];
      const summary = { matched: 0, settled: 0, still_unknown: 0, pending: 0, rejected: 0, mismatch: 0 };
      for (const h of hs) {
        const before = centreState(h);
        let outcome: string;
        if (!h.truth) outcome = 'still_unknown';
        else {
          h.centre = h.truth;
          if (h.truth === 'accepted' && !h.r.final_receipt_no) {
            h.r.final_receipt_no = `RJ26-${800000 + Number(h.r.id.replace(/\D/g, ''))}`;
            if (h.r.status === 'provisional') h.r.status = 'final';
          }
          const after = centreState(h);
          outcome = after === 'rejected' ? 'rejected' : after === 'pending' ? 'pending' : after === before ? 'matched' : 'settled';
        }
        summary[outcome as keyof typeof summary]++;
        rows.push({ receipt_no: h.r.receipt_no, before, after: centreState(h), centre_status: h.truth, final_receipt_no: h.r.final_receipt_no, code: h.r.reject_code, reason: h.reason ?? null, outcome });
      }
      return { rows, summary, day: recDay(a.date) };
    },
  };
  return { cmds, reprint };
}
