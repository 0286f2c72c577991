// Printer set-up of the in-memory backend (tests, screenshot harness),
// answered like the service layer answers: the shipped profiles, a few
// printers found on the PC, the receipt and report printers (refused:
// an unknown model, an address that is not one, serial settings on a
// printer that is not on a serial port, an operator), a test page with a
// picture, the queue with its failed jobs and their retry. Not used by
// the real app.
import type {
  FoundPrinterView,
  PrinterChoiceView,
  PrinterJobView,
  PrintersView,
  PrinterTarget,
  PrinterView,
  ProfileView,
  SerialView,
  StatusView,
  TestPageView,
} from './bindings';

type Fail = (code: string, details?: unknown) => never;

export interface PrintersCtx {
  fail: Fail;
  needSession(): void;
  role(): 'holder' | 'operator';
  /** A picture of a slip with these lines. */
  draw(lines: string[]): { png: string; width: number; height: number };
  /** Something the status bar shows changed. */
  changed(): void;
}

const serial = (baud: number, flow: SerialView['flow']): SerialView => ({ baud, data_bits: 8, parity: 'none', stop_bits: 1, flow });

export const mockProfiles: ProfileView[] = [
  { id: 'escp24-generic', name: 'Generic 24-pin ESC/P (Epson LQ-310, TVS MSP 450)', language: 'escp24', columns: 80, max_columns: 137, transport: 'usb', serial: serial(9600, 'xonxoff'), previewable: true },
  { id: 'escp9-generic', name: 'Generic 9-pin ESC/P (Epson LX-310, TVS MSP 240/250)', language: 'escp9', columns: 80, max_columns: 137, transport: 'usb', serial: serial(9600, 'xonxoff'), previewable: true },
  { id: 'escp9-wide', name: 'Generic 9-pin ESC/P wide carriage (Epson LX-1350, FX-2175)', language: 'escp9', columns: 136, max_columns: 233, transport: 'usb', serial: serial(9600, 'xonxoff'), previewable: true },
  { id: 'escpos-impact-tmu220', name: 'ESC/POS impact receipt (Epson TM-U220 class)', language: 'escpos', columns: 40, max_columns: 42, transport: 'serial', serial: serial(9600, 'dtr'), previewable: true },
  { id: 'escpos-thermal-80', name: 'ESC/POS 80 mm thermal', language: 'escpos', columns: 48, max_columns: 64, transport: 'usb', serial: serial(115200, 'rtscts'), previewable: true },
  { id: 'ibm-proprinter', name: 'IBM Proprinter emulation', language: 'ibm', columns: 80, max_columns: 137, transport: 'lpt', serial: serial(9600, 'dtr'), previewable: true },
  { id: 'pdf-laser', name: 'Laser printer (PDF through the spooler)', language: 'pdf', columns: 80, max_columns: 80, transport: 'spooler', serial: null, previewable: false },
  { id: 'text-plain', name: 'Plain text (any printer)', language: 'text', columns: 80, max_columns: 80, transport: 'spooler', serial: null, previewable: true },
];

export const mockFound: FoundPrinterView[] = [
  { uri: 'usb:/dev/usb/lp0', kind: 'usb', name: '/dev/usb/lp0', device_id: 'MFG:EPSON;CMD:ESCPL2,BDC,D4;MDL:LX-310;', suggested_profile: 'escp9-generic' },
  { uri: 'spool:HP_LaserJet_M1005', kind: 'spooler', name: 'HP LaserJet M1005 (HP LaserJet Series PCL 4/5)', device_id: null, suggested_profile: null },
  { uri: 'lpt:/dev/lp0', kind: 'lpt', name: '/dev/lp0', device_id: null, suggested_profile: null },
  { uri: 'serial:/dev/ttyS0', kind: 'serial', name: '/dev/ttyS0', device_id: null, suggested_profile: null },
];

const ORDER = ['baud', 'data', 'parity', 'stop', 'flow'];

/** What the URI parser of the print crate accepts, in short. */
function checkUri(fail: Fail, uri: string): PrinterChoiceView['kind'] {
  const bad = () => fail('print.uri_invalid');
  if (uri.length > 300) return bad();
  if (uri.startsWith('tcp://')) {
    const m = /^tcp:\/\/([^/:?@# ]+)(?::(\d+))?\/?$/.exec(uri);
    if (!m || (m[2] !== undefined && (Number(m[2]) < 1 || Number(m[2]) > 65535))) return bad();
    return 'tcp';
  }
  if (/^(spool|cups):/.test(uri)) return uri.replace(/^\w+:\/*/, '') ? 'spooler' : bad();
  if (uri.startsWith('file:')) return uri.replace(/^file:(\/\/)?/, '') ? 'file' : bad();
  if (uri.startsWith('serial:')) {
    const [port, q = ''] = uri.slice(7).split('?');
    if (!port) return bad();
    for (const kv of q.split('&').filter(Boolean)) {
      const [k, v] = kv.split('=');
      if (!ORDER.includes(k) || v === undefined || v === '') return bad();
    }
    return 'serial';
  }
  const dev = /^(usb|lpt|dev):(.+)$/.exec(uri);
  if (dev) return dev[1] === 'dev' ? 'device' : (dev[1] as 'usb' | 'lpt');
  if (uri.startsWith('/dev/')) return 'device';
  return bad();
}

export function printerCommands(ctx: PrintersCtx, initial: PrinterView['state']) {
  const { fail } = ctx;
  let receipt: PrinterChoiceView | null = initial === 'none' ? null : { uri: 'usb:/dev/usb/lp0', profile: 'escp9-generic', kind: 'usb', serial: null };
  let report: PrinterChoiceView | null = null;
  let live: PrinterView['state'] = initial === 'none' ? 'ready' : initial;
  const jobs: PrinterJobView[] = [];
  let n = 0;
  const at = () => new Date().toISOString();
  const code = (s: string) => (s === 'paper_out' ? 'print.paper_out' : s === 'offline' ? 'print.printer_offline' : s === 'error' ? 'print.encoder' : null);
  const job = (kind: string, state: string, printer: string, receipt_no: string | null, lastCode: string | null): PrinterJobView => ({
    id: `pj-${++n}`,
    kind,
    state,
    printer,
    profile: 'escp9-generic',
    attempts: state === 'failed' ? 12 : 0,
    receipt_no,
    created_at: at(),
    updated_at: at(),
    next_attempt_at: null,
    last_error_code: lastCode,
  });
  if (receipt && code(initial)) {
    // The printer stopped: what it did not print waits here.
    jobs.push(job('receipt', 'failed', receipt.uri, 'K-JPR-0042/L000039', code(initial)));
    jobs.push(job('report', 'failed', receipt.uri, null, code(initial)));
  }

  const status = (): StatusView['printer'] => ({
    state: receipt ? live : 'none',
    uri: receipt?.uri ?? null,
    profile: receipt?.profile ?? null,
    queued: jobs.filter((j) => j.state === 'queued' || j.state === 'printing').length,
    failed: jobs.filter((j) => j.state === 'failed').length,
    last_error_code: receipt && live !== 'ready' ? code(live) : null,
  });
  const view = (): PrintersView => ({
    profiles: mockProfiles,
    receipt,
    report,
    status: status(),
    jobs: jobs.filter((j) => j.state !== 'done'),
    can_change: ctx.role() === 'holder',
  });
  const holder = () => {
    ctx.needSession();
    if (ctx.role() !== 'holder') fail('session.holder_only');
  };
  const choice = (t: PrinterTarget | undefined): PrinterChoiceView => {
    if (!t) return fail('request.invalid');
    const profile = mockProfiles.find((p) => p.id === t.profile?.trim()) ?? fail('print.profile_unknown');
    let uri = (t.uri ?? '').trim();
    if (t.serial) {
      if (!uri.startsWith('serial:')) fail('printer.not_serial');
      const s = t.serial;
      if (!['none', 'odd', 'even'].includes(s.parity) || !['none', 'xonxoff', 'rtscts', 'dtr'].includes(s.flow)) fail('request.invalid');
      if (!(s.baud > 0) || s.data_bits < 5 || s.data_bits > 8 || s.stop_bits < 1 || s.stop_bits > 2) fail('print.uri_invalid');
      uri = `${uri.split('?')[0]}?baud=${s.baud}&data=${s.data_bits}&parity=${s.parity}&stop=${s.stop_bits}&flow=${s.flow}`;
    }
    const kind = checkUri(fail, uri);
    let sv: SerialView | null = null;
    if (kind === 'serial') {
      sv = { ...(profile.serial ?? serial(9600, 'xonxoff')) };
      for (const kv of (uri.split('?')[1] ?? '').split('&').filter(Boolean)) {
        const [k, v] = kv.split('=');
        if (k === 'baud') sv.baud = Number(v);
        if (k === 'data') sv.data_bits = Number(v);
        if (k === 'stop') sv.stop_bits = Number(v);
        if (k === 'parity') sv.parity = v as SerialView['parity'];
        if (k === 'flow') sv.flow = v as SerialView['flow'];
      }
    }
    return { uri, profile: profile.id, kind, serial: sv };
  };
  /** The worker sends what is due: a ready printer prints it. */
  const work = () => {
    if (live !== 'ready') return;
    for (const j of jobs) if (j.state === 'queued') j.state = 'done';
  };

  const cmds: Record<string, (a: any) => unknown> = {
    printers: () => (ctx.needSession(), view()),
    printers_discover: () => (ctx.needSession(), mockFound),
    printer_set: (a: { role: string; printer: PrinterTarget }) => {
      holder();
      if (a?.role !== 'receipt' && a?.role !== 'report') fail('request.invalid');
      const c = choice(a.printer);
      if (a.role === 'receipt') receipt = c;
      else report = c;
      ctx.changed();
      return view();
    },
    printer_clear_report: () => {
      holder();
      report = null;
      return view();
    },
    printer_test_page: (a: { role: string; printer?: PrinterTarget }): TestPageView => {
      if (a?.printer) holder();
      else ctx.needSession();
      const c = a?.printer ? choice(a.printer) : a?.role === 'report' ? (report ?? receipt) : receipt;
      if (!c) fail('print_queue.no_printer');
      const profile = mockProfiles.find((p) => p.id === c!.profile)!;
      const j = job('test_page', live === 'ready' ? 'done' : 'failed', c!.uri, null, live === 'ready' ? null : code(live));
      j.profile = profile.id;
      jobs.push(j);
      ctx.changed();
      const pic = ctx.draw(['PRINTER TEST PAGE', `Profile: ${profile.id}`, profile.name, '-'.repeat(40), '0123456789'.repeat(4), 'Bold text', 'Amount Rs. 1,234.56', 'हिन्दी परीक्षण']);
      return {
        job: j.id,
        printer: c!.uri,
        profile: profile.id,
        preview: profile.previewable ? { ...pic, profile: profile.id, kind: 'test_page' } : null,
      };
    },
    printer_retry: (a: { job?: string }) => {
      ctx.needSession();
      if (a?.job) {
        const j = jobs.find((x) => x.id === a.job) ?? fail('print_queue.job_unknown');
        if (j.state === 'done' || j.state === 'printing') fail('print_queue.nothing_to_retry');
        j.state = 'queued';
      } else {
        for (const j of jobs) if (j.state === 'failed') j.state = 'queued';
      }
      // Paper loaded, cable plugged in: the holder retries once it is.
      live = 'ready';
      work();
      ctx.changed();
      return view();
    },
  };
  return { cmds, status };
}
