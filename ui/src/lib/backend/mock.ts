import { todayYmd } from '../time';
// An in-memory backend for tests and the screenshot harness: it answers
// like the service layer (totals, duplicates, one receipt per cart) so the
// screens can be driven without Tauri. Not used by the real app.
import type {
  AppState,
  CartLineView,
  CartView,
  CatalogueView,
  CategoryView,
  DuplicateView,
  Event,
  Lang,
  PayResult,
  Phase,
  PreviewView,
  PrintView,
  ReceiptDetailView,
  ReceiptView,
  ServiceView,
  StatusView,
} from './bindings';
import type { Backend } from './ipc';
import { officeCommands } from './mock-office';
import { printerCommands } from './mock-printers';
import { refillCommands, type MockDues } from './mock-refills';
import { ticketCommands } from './mock-tickets';
import { userCommands } from './mock-users';
import { accountCommands } from './mock-account';

type Err = { code: string; message: string; details?: unknown };
const fail = (code: string, details?: unknown): never => {
  throw { code, message: code, ...(details ? { details } : {}) } as Err;
};

const REAL: Array<[string, string, string, string, string, string, string, string, boolean, boolean, string | null]> = [
  // code, dept, dept_en, dept_hi, cat_en, cat_hi, name_en, name_hi, fetch, offline, payee
  ['JVVNL', 'JVVNL', 'Jaipur Vidyut Vitran Nigam', 'जयपुर विद्युत वितरण निगम', 'Electricity', 'बिजली', 'JVVNL electricity bill', 'जयपुर डिस्कॉम बिजली बिल', false, true, 'AO (CCC)'],
  ['AVVNL', 'AVVNL', 'Ajmer Vidyut Vitran Nigam', 'अजमेर विद्युत वितरण निगम', 'Electricity', 'बिजली', 'AVVNL electricity bill', 'अजमेर डिस्कॉम बिजली बिल', true, true, 'AO (CCC)'],
  ['JDVVNL', 'JDVVNL', 'Jodhpur Vidyut Vitran Nigam', 'जोधपुर विद्युत वितरण निगम', 'Electricity', 'बिजली', 'JdVVNL electricity bill', 'जोधपुर डिस्कॉम बिजली बिल', true, false, 'AO (CCC)'],
  ['PHED', 'PHED', 'Public Health Engineering Dept.', 'जन स्वास्थ्य अभियांत्रिकी विभाग', 'Water', 'पानी', 'PHED water bill', 'पीएचईडी पानी का बिल', false, true, 'District e-Governance Society, Jaipur'],
  ['BSNL-LL', 'BSNL', 'BSNL', 'बीएसएनएल', 'Telephone', 'टेलीफोन', 'BSNL landline bill', 'बीएसएनएल लैंडलाइन बिल', true, false, 'District e-Governance Society, Jaipur'],
  ['BSNL-MOB', 'BSNL', 'BSNL', 'बीएसएनएल', 'Telephone', 'टेलीफोन', 'BSNL postpaid mobile bill', 'बीएसएनएल पोस्टपेड मोबाइल बिल', true, true, 'District e-Governance Society, Jaipur'],
  ['RSGL', 'RSGL', 'Rajasthan State Gas', 'राजस्थान स्टेट गैस', 'Gas', 'गैस', 'Piped gas bill', 'पाइप गैस बिल', false, true, null],
];

const CATS: Array<[string, string]> = [
  ['Municipal', 'नगर निकाय'],
  ['Revenue', 'राजस्व'],
  ['Transport', 'परिवहन'],
  ['Insurance', 'बीमा'],
  ['Education', 'शिक्षा'],
];
const KINDS: Array<[string, string]> = [
  ['house tax', 'गृहकर'],
  ['trade licence fee', 'व्यापार लाइसेंस शुल्क'],
  ['sewer charge', 'सीवर शुल्क'],
  ['land record copy', 'जमाबंदी नकल'],
  ['challan', 'चालान'],
  ['premium', 'प्रीमियम'],
  ['exam fee', 'परीक्षा शुल्क'],
];
const TOWNS: Array<[string, string]> = [
  ['Jaipur', 'जयपुर'], ['Ajmer', 'अजमेर'], ['Jodhpur', 'जोधपुर'], ['Kota', 'कोटा'], ['Bikaner', 'बीकानेर'],
  ['Udaipur', 'उदयपुर'], ['Alwar', 'अलवर'], ['Sikar', 'सीकर'],
];

export function mockServices(n = 250): ServiceView[] {
  const out: ServiceView[] = REAL.map(([code, dep, de, dh, ce, ch, ne, nh, fetch, off, payee]) => ({
    code,
    department: dep,
    department_en: de,
    department_hi: dh,
    category_en: ce,
    category_hi: ch,
    name_en: ne,
    name_hi: nh,
    consumer_label_en: ce === 'Electricity' ? 'K No.' : ce === 'Telephone' ? 'Telephone no.' : 'Consumer no.',
    consumer_label_hi: ce === 'Electricity' ? 'के. नंबर' : ce === 'Telephone' ? 'टेलीफोन नंबर' : 'उपभोक्ता नंबर',
    charge: 1000,
    state_rate: 1000,
    bill_fetch_required: fetch,
    offline_allowed: off,
    cheque_payee: payee,
  }));
  let i = 0;
  while (out.length < n) {
    const [ce, ch] = CATS[i % CATS.length];
    const [ke, kh] = KINDS[Math.floor(i / CATS.length) % KINDS.length];
    const [te, th] = TOWNS[Math.floor(i / (CATS.length * KINDS.length)) % TOWNS.length];
    const dep = `${ce.slice(0, 3).toUpperCase()}-${te.slice(0, 3).toUpperCase()}`;
    out.push({
      code: `${dep}-${String(i + 1).padStart(3, '0')}`,
      department: dep,
      department_en: `${ce} office ${te}`,
      department_hi: `${ch} कार्यालय ${th}`,
      category_en: ce,
      category_hi: ch,
      name_en: `${te} ${ke} (${ce})`,
      name_hi: `${th} ${kh} (${ch})`,
      consumer_label_en: 'Account no.',
      consumer_label_hi: 'खाता नंबर',
      charge: 500 + (i % 5) * 100,
      state_rate: 1000,
      bill_fetch_required: i % 3 === 0,
      offline_allowed: i % 4 !== 0,
      cheque_payee: null,
    });
    i++;
  }
  return out;
}

export function mockCatalogue(n = 250): CatalogueView {
  const services = mockServices(n);
  const categories: CategoryView[] = [];
  for (const s of services) {
    let c = categories.find((x) => x.name_en === s.category_en);
    if (!c) categories.push((c = { name_en: s.category_en, name_hi: s.category_hi, departments: [] }));
    let d = c.departments.find((x) => x.code === s.department);
    if (!d) c.departments.push((d = { code: s.department, name_en: s.department_en, name_hi: s.department_hi, services: [] }));
    d.services.push(s.code);
  }
  return { version: 7, categories, services, favourites: ['JVVNL', 'PHED', 'AVVNL'] };
}

/** A receipt picture for the screenshot harness (a blank slip in tests). */
function drawSlip(lines: string[], canvas = true): { png: string; width: number; height: number } {
  const width = 480;
  const height = 40 + lines.length * 22;
  try {
    if (!canvas) throw new Error('no canvas');
    const c = document.createElement('canvas');
    c.width = width;
    c.height = height;
    const g = c.getContext('2d');
    if (!g) throw new Error('no canvas');
    g.fillStyle = '#fff';
    g.fillRect(0, 0, width, height);
    g.fillStyle = '#111';
    g.font = '16px monospace';
    lines.forEach((l, i) => g.fillText(l, 16, 30 + i * 22));
    return { png: c.toDataURL('image/png'), width, height };
  } catch {
    // 1×1 white PNG.
    return {
      png: 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8/5+hHgAHggJ/PchI7wAAAABJRU5ErkJggg==',
      width,
      height,
    };
  }
}

export interface MockOptions {
  phase?: Phase;
  lang?: Lang;
  online?: boolean;
  role?: 'holder' | 'operator';
  offlineLogin?: boolean;
  demo?: boolean;
  recovery?: { paid: boolean; receipt_no: string | null } | null;
  chequeEnabled?: boolean;
  services?: number;
  /** Register answers new_password_required until a new password is sent. */
  registerNeedsNewPassword?: boolean;
  printer?: StatusView['printer']['state'];
  /** Delay of every answer in ms (0: next microtask). */
  delay?: number;
  /** Preview as a fixed picture instead of one drawn on a canvas. */
  noCanvas?: boolean;
  /** The wallet below the ₹20,000 a kiosk should keep. */
  lowWallet?: boolean;
  /** Alerts the kiosk holds (codes). */
  alerts?: string[];
  /** Days since the kiosk's last transaction. */
  inactiveDays?: number;
  /** The security deposit's dues (`none`: no deposit). */
  dues?: MockDues;
  /** The centre's clock minus this PC's, ms (a PC clock set wrong). */
  clockOffsetMs?: number;
}

export interface Mock extends Backend {
  calls: Array<{ cmd: string; args: unknown }>;
  emit(e: Event): void;
  /** Receipts made, by cart id: one per cart. */
  receipts: Map<string, ReceiptView>;
  opts: MockOptions;
  setOnline(on: boolean): void;
  /** The helpdesk answers the newest ticket; the next sync brings it. */
  replyToTicket(text: string, status?: string): void;
  /** The codes a forgotten password sent "by SMS", newest last. */
  sentCodes: Array<{ login: string; code: string }>;
  /** Another day without a transaction: the status says so. */
  setInactiveDays(days: number): void;
  /** The centre credits (or rejects, with a reason) the newest pending
   *  refill request; the next sync brings it. */
  settleRefill(credit: boolean, reason?: string): void;
  /** Marks a consumer number as paid within the month. */
  paidEarlier: Set<string>;
  finalise(id: string): void;
  cartView(): CartView;
}

export function createMock(o: MockOptions = {}): Mock {
  const opts: Required<Omit<MockOptions, 'recovery'>> & { recovery: MockOptions['recovery'] } = {
    phase: 'counter',
    lang: 'hi',
    online: true,
    role: 'holder',
    offlineLogin: false,
    demo: true,
    recovery: null,
    chequeEnabled: true,
    services: 250,
    registerNeedsNewPassword: false,
    printer: 'ready',
    delay: 0,
    noCanvas: false,
    lowWallet: false,
    alerts: [],
    inactiveDays: 3,
    dues: 'none',
    clockOffsetMs: 0,
    ...o,
  };
  // As the service layer: these two are marked seen, the others clear with their cause.
  const canAck = (code: string) => code === 'sync.centre_restored' || code === 'sync.outcome_changed';
  const catalogue = mockCatalogue(opts.services);
  const byCode = new Map(catalogue.services.map((s) => [s.code, s]));
  const handlers: Array<(e: Event) => void> = [];
  const receipts = new Map<string, ReceiptView>();
  const paidEarlier = new Set<string>(['210000099999']);
  let cartNo = 1;
  let receiptNo = 41;
  let lines: CartLineView[] = [];
  let mobile: string | null = null;
  let email: string | null = null;
  let mode: CartView['mode'] = null;
  let cheque: CartView['cheque'] = null;
  let phase: Phase = opts.phase;
  let lang: Lang = opts.lang;
  let recovery = opts.recovery
    ? { cart_id: 'c-old', paid: opts.recovery.paid, receipt_no: opts.recovery.receipt_no }
    : null;
  let printed = new Map<string, number>();
  let syncedAt = '2026-12-01T09:00:00Z';
  const session = () =>
    phase === 'counter' || phase === 'change_password' || phase === 'locked'
      ? {
          login: opts.role === 'holder' ? 'holder.rj14' : 'ramesh.op',
          name: opts.role === 'holder' ? 'Suresh Kumar' : 'Ramesh Sharma',
          role: opts.role,
          offline: opts.offlineLogin,
          must_change_password: phase === 'change_password',
        }
      : null;
  const appState = (): AppState => ({
    phase,
    identity:
      phase === 'setup'
        ? null
        : { kiosk_code: 'K-JPR-0042', device_no: 1, district: 'Jaipur', kiosk_name: 'Shree Ganesh e-Mitra', cheque_enabled: opts.chequeEnabled },
    session: session(),
    lang,
    centre_url: 'https://centre.demo.emitra.local',
    demo: opts.demo
      ? {
          centre_url: 'http://127.0.0.1:8470',
          kiosk_code: 'K-JPR-0042',
          holder_login: 'holder.rj14',
          holder_password: 'Demo@Holder1',
          operator_login: 'ramesh.op',
          operator_password: 'Demo@Oper1',
        }
      : null,
    recovery,
    idle_lock_minutes: 10,
    version: '0.1.0',
  });
  const status = (): StatusView => {
    const pending = [...receipts.values()].filter((r) => r.status !== 'final').length;
    return {
      sync: {
        state: phase === 'setup' ? 'not_registered' : opts.online ? 'online' : 'offline',
        pending,
        held: 0,
        rejected: 0,
        oldest_pending_age_secs: pending ? 200 : null,
        last_sync_at: syncedAt,
        last_error_code: opts.online || phase === 'setup' ? null : 'sync.timeout',
        alerts: opts.alerts.map((code) => ({ code, since: '2026-12-01T08:30:00Z', can_ack: canAck(code) })),
        realtime: opts.online && phase !== 'setup',
      },
      wallet: refills.wallet({
        known: true,
        balance: opts.lowWallet ? 1_845_650 : 2_345_650,
        balance_as_of: '2026-12-01T09:00:00Z',
        pending_debits: opts.lowWallet ? 148_626 : 0,
        available: opts.lowWallet ? 1_597_024 : 2_245_650,
        offline_count_left: 20,
        below_minimum: opts.lowWallet,
      }),
      printer: printers.status(),
      operator: session()?.name ?? null,
      inactivity:
        phase === 'setup'
          ? null
          : { days: opts.inactiveDays, last_at: '2026-11-28T10:00:00Z', warn_from_days: 20, fine_at_days: 30, fine: 100_000 },
      clock_offset_ms: opts.clockOffsetMs,
    };
  };
  const dupOf = (l: { service_code: string; consumer_no: string; total?: number }): DuplicateView | null =>
    paidEarlier.has(l.consumer_no)
      ? {
          service_code: l.service_code,
          consumer_no: l.consumer_no,
          receipt_no: 'K-JPR-0042/000031',
          kiosk_code: '',
          paid_at: '2026-11-20T10:15:00Z',
          amount: 123_450,
        }
      : null;
  const cartView = (): CartView => {
    const bills = lines.reduce((a, l) => a + l.bill_amount, 0);
    const charges = lines.reduce((a, l) => a + l.charge, 0);
    const first = lines[0] && byCode.get(lines[0].service_code);
    return {
      cart_id: `cart-${cartNo}`,
      lines: lines.map((l, i) => ({ ...l, index: i })),
      bills,
      charges,
      total: bills + charges,
      mobile,
      email,
      mode,
      cheque,
      cheque_payee: first?.cheque_payee ?? null,
      cheque_enabled: opts.chequeEnabled,
      duplicates: lines.map(dupOf).filter((d): d is DuplicateView => !!d),
    };
  };
  const billAmount = (no: string) => 50_000 + (Number(no.replace(/\D/g, '').slice(-4)) || 0) * 10;
  const needSession = () => {
    if (phase === 'locked') fail('session.locked');
    if (phase === 'change_password') fail('session.password_change_required');
    if (phase !== 'counter') fail('session.none');
  };
  const svc = (code: string) => byCode.get(code) ?? fail('service.unknown');
  const checkNo = (s: ServiceView, no: string) => {
    const n = no.replace(/\s+/g, '').toUpperCase();
    const ok = s.category_en === 'Electricity' ? /^\d{12}$/.test(n) : /^[A-Z0-9]{6,15}$/.test(n);
    return { ok, n };
  };
  const slip = (r: ReceiptView, kind: string): PreviewView => {
    const d = drawSlip([
      'e-Mitra  K-JPR-0042  Shree Ganesh e-Mitra',
      kind === 'duplicate' ? '*** DUPLICATE COPY ***' : r.status === 'final' ? 'RECEIPT' : '*** PROVISIONAL ***',
      `No. ${r.final_receipt_no ?? r.receipt_no}`,
      `Date 01-12-2026 14:05   Op ${r.operator}`,
      '----------------------------------------',
      ...r.lines.map((l) => `${l.service_code.padEnd(10)} ${l.consumer_no.padEnd(14)} ${(l.total / 100).toFixed(2).padStart(10)}`),
      '----------------------------------------',
      `TOTAL ${(r.total / 100).toFixed(2).padStart(34)}`,
      `Mode ${r.mode}   Mobile ${r.mobile ?? '-'}`,
    ], !opts.noCanvas);
    return { ...d, profile: 'epson-lx310', kind };
  };

  const office = officeCommands({
    fail,
    needSession: () => needSession(),
    role: () => opts.role,
    login: () => session()?.login ?? '',
    online: () => opts.online,
    services: catalogue.services,
    paid: () => [...receipts.values()],
    wallet: () => status().wallet,
  });
  const printers = printerCommands(
    {
      fail,
      needSession: () => needSession(),
      role: () => opts.role,
      draw: (l) => drawSlip(l, !opts.noCanvas),
      changed: () => mock.emit({ kind: 'status', data: status() }),
    },
    opts.printer,
  );
  const tickets = ticketCommands({
    fail,
    needSession: () => needSession(),
    login: () => session()?.login ?? '',
    online: () => opts.online,
    receiptNo: (key) => {
      try {
        const d = office.cmds.receipt_detail({ key }) as ReceiptDetailView;
        return d.receipt.final_receipt_no ?? d.receipt.receipt_no;
      } catch {
        return null;
      }
    },
  });
  const users = userCommands({
    fail,
    needSession: () => needSession(),
    role: () => opts.role,
    login: () => session()?.login ?? '',
    online: () => opts.online,
  });
  const account = accountCommands({
    fail,
    online: () => opts.online,
    phase: () => phase,
    role: () => opts.role,
    needSession: () => needSession(),
    pending: () => status().sync.pending,
    appState: () => appState(),
    loginAs: (login) => {
      opts.role = login.startsWith('holder') ? 'holder' : 'operator';
      phase = 'counter';
    },
    toSetup: () => {
      phase = 'setup';
    },
  });
  const refills = refillCommands(
    {
      fail,
      needSession: () => needSession(),
      role: () => opts.role,
      login: () => session()?.login ?? '',
      online: () => opts.online,
    },
    opts.dues,
  );
  const cmds: Record<string, (a: any) => unknown> = {
    ...office.cmds,
    ...refills.cmds,
    ...printers.cmds,
    ...tickets.cmds,
    ...users.cmds,
    ...account.cmds,
    app_state: () => appState(),
    ack_alert: (a) => {
      needSession();
      if (!canAck(a.code)) fail('alert.not_acknowledgeable');
      if (!opts.alerts.includes(a.code)) fail('alert.none');
      opts.alerts = opts.alerts.filter((c) => c !== a.code);
      return status();
    },
    readmit_request: () => {
      needSession();
      return { text: 'EMITRA-READMIT-1:eyJkZXZpY2VfaWQiOiIwMTkzIn0', path: '/home/kiosk/reports/readmit-request.txt' };
    },
    register: (a) => {
      if (!opts.online) fail('centre.offline');
      if (!/^https?:\/\//.test(a.centre_url)) fail('centre.url_invalid');
      if (a.login === 'bound.elsewhere') fail('device.bound_elsewhere');
      if (a.password !== 'Demo@Holder1') fail('login.bad_credentials');
      if (opts.registerNeedsNewPassword && !a.new_password) fail('register.new_password_required');
      phase = 'login';
      return appState();
    },
    login: (a) => {
      if (a.login === 'locked.user') fail('login.locked', { until: '2026-12-01T15:30:00Z' });
      if (!['Demo@Holder1', 'Demo@Oper1', 'First@Pass1'].includes(a.password)) fail('login.bad_credentials');
      opts.role = a.login.startsWith('holder') ? 'holder' : 'operator';
      phase = a.password === 'First@Pass1' ? 'change_password' : 'counter';
      return appState();
    },
    change_password: (a) => {
      account.cmds.change_password(a);
      phase = 'counter';
      return appState();
    },
    logout: () => ((phase = 'login'), appState()),
    lock: () => ((phase = 'locked'), appState()),
    set_lang: (a) => {
      if (a.lang !== 'en' && a.lang !== 'hi') fail('app.lang_invalid');
      lang = a.lang;
      return appState();
    },
    touch: () => null,
    catalogue: () => (needSession(), catalogue),
    set_favourites: (a) => {
      needSession();
      if (opts.role !== 'holder') fail('session.holder_only');
      catalogue.favourites = a.codes.filter((c: string) => byCode.has(c));
      return catalogue;
    },
    check_consumer: (a) => {
      const s = svc(a.service);
      const { ok, n } = checkNo(s, a.consumer_no);
      return ok
        ? { valid: true, normalised: n, error: null }
        : { valid: false, normalised: null, error: { code: 'consumer_no.invalid', message: 'invalid' } };
    },
    fetch_bill: (a) => {
      needSession();
      const s = svc(a.service);
      if (!opts.online) fail('centre.offline');
      const { ok, n } = checkNo(s, a.consumer_no);
      if (!ok) fail('consumer_no.invalid');
      if (n.endsWith('000')) fail('bill.unknown');
      return {
        service: s.code,
        consumer_no: n,
        consumer_name: 'Mohan Lal Sharma',
        bill_ref: `B-${n.slice(-6)}-1126`,
        amount: billAmount(n),
        due_date: '2026-12-15',
        duplicate: dupOf({ service_code: s.code, consumer_no: n }),
      };
    },
    cart: () => (needSession(), cartView()),
    cart_add: (a) => {
      needSession();
      const s = svc(a.service);
      // Real-time services only while the centre answers.
      if (!s.offline_allowed && !opts.online) fail('service.online_only');
      const { ok, n } = checkNo(s, a.consumer_no);
      if (!ok) fail('consumer_no.invalid');
      if (lines.some((l) => l.service_code === s.code && l.consumer_no === n)) fail('cart.duplicate_line');
      let amount: number;
      if (a.amount === undefined || a.amount === null) {
        if (!opts.online) fail('amount.required');
        amount = billAmount(n);
      } else {
        if (s.bill_fetch_required && opts.online) fail('bill.fetch_required');
        const t = String(a.amount).replace(/,/g, '').trim();
        if (!t) fail('money.empty');
        const m = /^(\d+)(?:\.(\d{1,2}))?$/.exec(t);
        if (!m) fail(/\.\d{3,}$/.test(t) ? 'money.too_many_decimals' : 'money.invalid');
        amount = Number(m![1]) * 100 + Number((m![2] ?? '').padEnd(2, '0'));
        if (amount === 0) fail('money.zero');
      }
      if (lines.length >= 10) fail('cart.full');
      lines.push({
        index: lines.length,
        service_code: s.code,
        service_en: s.name_en,
        service_hi: s.name_hi,
        consumer_no: n,
        consumer_name: a.amount ? null : 'Mohan Lal Sharma',
        bill_ref: a.amount ? null : `B-${n.slice(-6)}-1126`,
        bill_amount: amount,
        charge: s.charge,
        total: amount + s.charge,
      });
      return cartView();
    },
    cart_remove: (a) => {
      needSession();
      if (a.index >= lines.length) fail('cart.no_such_line');
      lines.splice(a.index, 1);
      return cartView();
    },
    cart_clear: () => ((lines = []), (mobile = email = null), (mode = null), (cheque = null), cartView()),
    cart_contact: (a) => {
      needSession();
      if (!a.mobile && !a.email) fail('contact.required');
      if (a.mobile && !/^[6-9]\d{9}$/.test(a.mobile)) fail('contact.mobile_invalid');
      if (a.email && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(a.email)) fail('contact.email_invalid');
      mobile = a.mobile ?? null;
      email = a.email ?? null;
      return cartView();
    },
    cart_mode: (a) => {
      needSession();
      if (a.mode === 'wallet') {
        mode = 'wallet';
        cheque = null;
        return cartView();
      }
      if (!opts.chequeEnabled) fail('cheque.not_enabled');
      const payee = cartView().cheque_payee;
      if (!payee) fail('cheque.payee_mismatch');
      if (!/^\d{6}$/.test(a.number)) fail('cheque.number_invalid');
      if (!/^\d{4}-\d{2}-\d{2}$/.test(a.date)) fail('cheque.date_invalid');
      if (!a.bank?.trim()) fail('cheque.bank_required');
      const today = todayYmd();
      if (a.date > today) fail('cheque.post_dated');
      const old = new Date();
      old.setMonth(old.getMonth() - 3);
      if (a.date < old.toISOString().slice(0, 10)) fail('cheque.stale');
      mode = 'cheque';
      cheque = { number: a.number, date: a.date, bank: a.bank, payee: payee! };
      return cartView();
    },
    pay: (a): PayResult => {
      needSession();
      const done = receipts.get(a.cart_id);
      if (done) return { receipt: done, print: null, already_paid: true };
      const c = cartView();
      if (a.cart_id !== c.cart_id) fail('cart.changed');
      if (!c.lines.length) fail('cart.empty');
      if (!c.mobile && !c.email) fail('contact.required');
      if (!c.mode) fail('payment.mode_required');
      if (!opts.online && c.lines.some((l) => !byCode.get(l.service_code)?.offline_allowed)) fail('service.online_only');
      if (c.duplicates.length && !a.confirm_duplicate) fail('payment.duplicate_unconfirmed', { duplicates: c.duplicates });
      const no = `K-JPR-0042/L${String(++receiptNo).padStart(6, '0')}`;
      const r: ReceiptView = {
        id: `r-${receiptNo}`,
        receipt_no: no,
        final_receipt_no: opts.online ? `RJ26-${String(900000 + receiptNo)}` : null,
        status: opts.online ? 'final' : 'provisional',
        created_at: new Date().toISOString(),
        operator: session()!.login,
        mode: c.mode!,
        total: c.total,
        commission: c.charges,
        mobile: c.mobile,
        email: c.email,
        lines: c.lines,
        reject_code: null,
      };
      receipts.set(a.cart_id, r);
      printed.set(r.id, 1);
      for (const l of c.lines) paidEarlier.add(l.consumer_no);
      lines = [];
      mobile = email = null;
      mode = null;
      cheque = null;
      cartNo++;
      const print: PrintView = {
        status: opts.printer === 'ready' ? 'printed' : 'failed',
        printer: 'Epson LX-310',
        job: 'job-1',
        kind: r.status === 'final' ? 'final' : 'receipt',
        code: opts.printer === 'ready' ? null : 'print.paper_out',
        message: null,
      };
      return { receipt: r, print, already_paid: false };
    },
    receipt: (a) =>
      [...receipts.values()].find((r) => r.id === a.key || r.receipt_no === a.key || r.final_receipt_no === a.key) ??
      fail('receipt.not_found'),
    print_receipt: (a): PrintView => {
      const inCounter = [...receipts.values()].find((x) => x.id === a.key);
      if (!inCounter) return office.reprint(a.key) ?? fail('receipt.not_found');
      const r = inCounter;
      const n = (printed.get(r.id) ?? 0) + 1;
      printed.set(r.id, n);
      return { status: 'printed', printer: 'Epson LX-310', job: `job-${n}`, kind: n > 1 ? 'duplicate' : 'receipt', code: null, message: null };
    },
    preview: (a) => {
      const r = [...receipts.values()].find((x) => x.id === a.key) ?? fail('receipt.not_found');
      const n = printed.get(r.id) ?? 0;
      return slip(r, n > 1 ? 'duplicate' : r.status === 'final' ? 'final' : 'receipt');
    },
    status: () => status(),
    dismiss_recovery: () => ((recovery = null), appState()),
    sync_now: () => null,
  };

  if (recovery?.paid && recovery.receipt_no) {
    // The payment the app was making when it stopped.
    receipts.set('c-old', {
      id: 'r-40',
      receipt_no: 'K-JPR-0042/L000040',
      final_receipt_no: recovery.receipt_no,
      status: 'final',
      created_at: '2026-12-01T08:55:00Z',
      operator: 'holder.rj14',
      mode: 'wallet',
      total: 151000,
      commission: 1000,
      mobile: '9876543210',
      email: null,
      lines: [
        { index: 0, service_code: 'JVVNL', service_en: 'JVVNL electricity bill', service_hi: 'जयपुर डिस्कॉम बिजली बिल', consumer_no: '210000000777', consumer_name: null, bill_ref: null, bill_amount: 150000, charge: 1000, total: 151000 },
      ],
      reject_code: null,
    });
    printed.set('r-40', 1);
  }

  const mock: Mock = {
    calls: [],
    receipts,
    paidEarlier,
    opts,
    async rpc(req) {
      mock.calls.push({ cmd: req.cmd, args: req.args });
      if (opts.delay) await new Promise((r) => setTimeout(r, opts.delay));
      const h = cmds[req.cmd];
      if (!h) fail('request.invalid');
      return structuredClone(h(req.args));
    },
    async listen(handler) {
      handlers.push(handler);
      return () => {
        const i = handlers.indexOf(handler);
        if (i >= 0) handlers.splice(i, 1);
      };
    },
    emit(e) {
      for (const h of [...handlers]) h(e);
    },
    setOnline(on) {
      opts.online = on;
      if (on) {
        tickets.sync();
        users.sync();
        refills.sync();
        syncedAt = new Date().toISOString();
      }
      mock.emit({ kind: 'status', data: status() });
    },
    sentCodes: account.sentCodes,
    setInactiveDays(days) {
      opts.inactiveDays = days;
      mock.emit({ kind: 'status', data: status() });
    },
    replyToTicket(text, st) {
      tickets.reply(text, st);
      if (!opts.online) return;
      syncedAt = new Date(Date.parse(syncedAt) + 1000).toISOString();
      mock.emit({ kind: 'status', data: status() });
    },
    settleRefill(credit, reason) {
      refills.settle(credit, reason);
      if (!opts.online) return;
      syncedAt = new Date(Date.parse(syncedAt) + 1000).toISOString();
      mock.emit({ kind: 'status', data: status() });
    },
    finalise(id) {
      for (const r of receipts.values()) {
        if (r.id === id) {
          r.status = 'final';
          r.final_receipt_no = `RJ26-${900000 + Number(id.slice(2))}`;
          mock.emit({ kind: 'receipt', data: structuredClone(r) });
        }
      }
    },
    cartView,
  };
  return mock;
}
