// FIXTURE ONLY: made-up answers in the shapes of docs/console-api.md, for the
// screenshots. The real server is exercised end to end elsewhere (the Rust
// tests against kiosk-server); nothing here is used by the built console.
const MIN = 60_000;
const H = 60 * MIN;
const D = 24 * H;

export function fixture(now = Date.now()) {
  const admin = { login: 'asha.state', name: 'Asha Verma', role: 'state', district: null };
  const districts = ['Jaipur', 'Jodhpur', 'Udaipur', 'Ajmer', 'Bikaner', 'Kota'];
  const places = ['Sanganer', 'Mansarovar', 'Chomu', 'Bassi', 'Phagi', 'Amer', 'Shahpura', 'Kotputli', 'Jhotwara', 'Bagru', 'Dudu', 'Chaksu'];
  const owners = ['Sharma', 'Meena', 'Gupta', 'Choudhary', 'Saini', 'Jain', 'Rathore', 'Khan', 'Yadav', 'Agarwal', 'Verma', 'Bairwa'];
  const kiosks = [];
  for (let i = 0; i < 137; i++) {
    const d = districts[i % districts.length];
    const code = `RJ-${d.slice(0, 3).toUpperCase()}-${String(1001 + i)}`;
    const kind = i % 11 === 3 ? 'stuck' : i % 7 === 2 ? 'offline' : i % 19 === 5 ? 'inactive' : 'online';
    const seen = kind === 'online' ? now - ((i * 37) % 9) * MIN - 20_000 : kind === 'offline' ? now - (40 + i * 13) * MIN : kind === 'stuck' ? now - (3 + (i % 5)) * H : now - 45 * D;
    kiosks.push({
      code,
      name: `${owners[i % owners.length]} e-Mitra Kendra, ${places[i % places.length]}`,
      district: d,
      active: kind !== 'inactive',
      wallet_balance: i % 13 === 4 ? -1_250_000 : 850_000 + ((i * 7_919_13) % 9_000_000),
      commission_balance: 12_000 + ((i * 3_331) % 400_000),
      last_seen_ms: seen,
      last_sync_ms: seen - (i % 3) * MIN,
      outbox_depth: kind === 'stuck' ? 9 + (i % 20) : kind === 'offline' ? i % 4 : 0,
      outbox_amount: kind === 'stuck' ? 1_845_050 + i * 1000 : kind === 'offline' ? (i % 4) * 65_000 : 0,
      oldest_pending_ms: kind === 'stuck' ? now - (5 * H + i * 7 * MIN) : kind === 'offline' && i % 4 ? now - 50 * MIN : null,
      app_version: i % 9 === 1 ? '0.9.2' : '0.9.3',
      clock_offset_ms: i % 8 === 3 ? 11 * MIN + 20_000 : i % 17 === 8 ? -7 * MIN : ((i * 1_733) % 40_000) - 20_000,
      inactivity_days: kind === 'inactive' ? 45 : i % 8 === 5 ? 21 + (i % 6) : i % 5,
      online: kind === 'online',
      stuck: kind === 'stuck',
    });
  }
  kiosks.sort((a, b) => (a.code < b.code ? -1 : 1));
  const k0 = kiosks.find((k) => k.code === 'RJ-JAI-1001') ?? kiosks[0];
  k0.wallet_balance = 2_345_650;

  const ledger = [];
  const kinds = [
    ['payment', -148_500, 'JVVNL bill 210000456712'],
    ['commission', 1_000, 'Commission on RCPT-20260302-0041'],
    ['payment', -76_200, 'PHED water bill 5400012'],
    ['refill', 2_500_000, 'NEFT SBIN026113400123'],
    ['payment', -231_000, 'JVVNL bill 210000456799'],
    ['cancel', 45_250, 'Cancelled RCPT-20260301-0017'],
    ['payment', -45_250, 'RSGL gas bill 88120'],
  ];
  // The server lists wallet lines, newest first, each with the balance after it.
  let balance = k0.wallet_balance;
  for (let i = 0; i < 14; i++) {
    const [kind, amount, memo] = kinds[i % kinds.length];
    if (kind === 'commission') continue;
    ledger.push({
      id: 5000 - i,
      txn_id: 7000 - i,
      account: 'wallet',
      kind,
      amount,
      memo,
      at_ms: now - i * 47 * MIN - 8 * MIN,
      balance,
    });
    balance -= amount;
  }
  const receipts = Array.from({ length: 10 }, (_, i) => ({
    receipt_no: i === 0 ? null : `RJ2603020${String(4100 - i)}`,
    local_receipt_no: `RCPT-20260302-00${String(41 - i).padStart(2, '0')}`,
    mode: i % 4 === 2 ? 'cheque' : 'cash',
    total: [148_500, 76_200, 231_000, 45_250, 99_900][i % 5],
    operator: i % 2 ? 'op.sunita' : 'holder.rk',
    created_ms: now - i * 52 * MIN - 5 * MIN,
    status: i === 0 ? 'pending' : i === 6 ? 'cancelled' : 'accepted',
  }));
  const detail = {
    kiosk: k0,
    devices: [
      { id: 'dev-1', device_no: 1, label: 'Counter PC', user_login: 'holder.rk', registered_ms: now - 90 * D, deregistered_ms: null, high_water: 4_812 },
      { id: 'dev-2', device_no: 2, label: 'Back room laptop', user_login: 'holder.rk', registered_ms: now - 200 * D, deregistered_ms: now - 95 * D, high_water: 1_204 },
    ],
    users: [
      { login: 'holder.rk', name: 'Rajesh Kumar Sharma', role: 'holder', active: true, mobile: '******4821' },
      { login: 'op.sunita', name: 'Sunita Devi', role: 'operator', active: true, mobile: '******0937' },
      { login: 'op.mahesh', name: 'Mahesh Saini', role: 'operator', active: false, mobile: '******6610' },
    ],
    ledger,
    receipts,
    deposit_limit: 5_000_000,
  };

  const proposals = [
    { id: 'p-101', kind: 'refill', kiosk_code: 'RJ-JAI-1001', district: 'Jaipur', amount: 2_500_000, detail: { mode: 'neft_rtgs', reference: 'SBIN026113400123', request_id: 'rr-7' }, proposed_by: 'ravi.jpr', proposed_ms: now - 25 * MIN, status: 'pending', decided_by: null, decided_ms: null, reason: null },
    { id: 'p-102', kind: 'refill', kiosk_code: 'RJ-JOD-1002', district: 'Jodhpur', amount: 1_000_000, detail: { mode: 'transfer', reference: 'TRF-88231-A', request_id: null }, proposed_by: 'asha.state', proposed_ms: now - 70 * MIN, status: 'pending', decided_by: null, decided_ms: null, reason: null },
    { id: 'p-103', kind: 'settle', kiosk_code: 'RJ-UDA-1003', district: 'Udaipur', amount: 148_500, detail: { txn_id: 88121, receipt_no: 'RJ26030104033', confirm: false, reason: 'AVVNL says bill 210000456712 was not credited' }, proposed_by: 'meena.udr', proposed_ms: now - 3 * H, status: 'pending', decided_by: null, decided_ms: null, reason: null },
    { id: 'p-104', kind: 'settle', kiosk_code: 'RJ-AJM-1004', district: 'Ajmer', amount: 76_200, detail: { txn_id: 88140, receipt_no: 'RJ26030104102', confirm: true, reason: 'PHED letter 114/2026' }, proposed_by: 'ravi.jpr', proposed_ms: now - 5 * H, status: 'pending', decided_by: null, decided_ms: null, reason: null },
  ];
  const refillRequests = [
    { id: 'rr-7', kiosk_code: 'RJ-JAI-1001', district: 'Jaipur', amount: 2_500_000, mode: 'neft_rtgs', reference: 'SBIN026113400123', requested_by: 'holder.rk', status: 'pending', reason: null, created_ms: now - 2 * H },
    { id: 'rr-8', kiosk_code: 'RJ-KOT-1005', district: 'Kota', amount: 1_500_000, mode: 'neft_rtgs', reference: 'HDFC000244129088', requested_by: 'holder.kota5', status: 'pending', reason: null, created_ms: now - 80 * MIN },
    { id: 'rr-9', kiosk_code: 'RJ-BIK-1010', district: 'Bikaner', amount: 500_000, mode: 'net_banking', reference: '', requested_by: 'holder.bik10', status: 'pending', reason: null, created_ms: now - 40 * MIN },
    { id: 'rr-10', kiosk_code: 'RJ-UDA-1009', district: 'Udaipur', amount: 10_000_000, mode: 'transfer', reference: 'OLDACC-55120', requested_by: 'holder.uda9', status: 'pending', reason: null, created_ms: now - 15 * MIN },
  ];
  const held = [
    { txn_id: 88121, receipt_no: 'RJ26030104033', kiosk_code: 'RJ-UDA-1003', district: 'Udaipur', total: 148_500, created_ms: now - 27 * H },
    { txn_id: 88140, receipt_no: 'RJ26030104102', kiosk_code: 'RJ-AJM-1004', district: 'Ajmer', total: 76_200, created_ms: now - 30 * H },
    { txn_id: 88233, receipt_no: 'RJ26030204211', kiosk_code: 'RJ-JAI-1007', district: 'Jaipur', total: 231_000, created_ms: now - 9 * H },
    { txn_id: 88302, receipt_no: null, kiosk_code: 'RJ-KOT-1011', district: 'Kota', total: 45_250, created_ms: now - 6 * H },
  ];
  const dues = [
    { kiosk_code: 'RJ-JAI-1013', district: 'Jaipur', deposit_limit: 5_000_000, wallet_balance: -1_250_000, dues: 1_250_000, due_date: '2026-03-02', interest: 0 },
    { kiosk_code: 'RJ-JOD-1020', district: 'Jodhpur', deposit_limit: 2_500_000, wallet_balance: -600_000, dues: 600_000, due_date: '2026-02-26', interest: 1_184 },
    { kiosk_code: 'RJ-UDA-1027', district: 'Udaipur', deposit_limit: 1_000_000, wallet_balance: 340_000, dues: 0, due_date: null, interest: 0 },
  ];
  const alerts = [
    { id: null, kind: 'stuck', kiosk_code: 'RJ-BIK-1004', district: 'Bikaner', detail: '14 entries unsent', at_ms: now - 5 * H, acked_by: null, acked_ms: null, note: null },
    { id: 44, kind: 'reprints', kiosk_code: 'RJ-KOT-1005', district: 'Kota', detail: 'many reprints: 14 duplicate copies in the last 24 hours', at_ms: now - 1 * H, acked_by: null, acked_ms: null, note: null },
    { id: 43, kind: 'clock_back', kiosk_code: 'RJ-AJM-1006', district: 'Ajmer', detail: "clock rolled back: the kiosk's clock was set back 2 days and is now 47 h behind the centre's", at_ms: now - 90 * 60 * 1000, acked_by: null, acked_ms: null, note: null },
    { id: 42, kind: 'clock', kiosk_code: 'RJ-AJM-1006', district: 'Ajmer', detail: 'PC clock 11 min 20 s ahead of the centre', at_ms: now - 2 * H, acked_by: null, acked_ms: null, note: null },
    { id: 41, kind: 'gap', kiosk_code: 'RJ-JOD-1008', district: 'Jodhpur', detail: 'device 1 sent seq 4,120 after 4,117: 2 entries missing', at_ms: now - 26 * H, acked_by: null, acked_ms: null, note: null },
    { id: 37, kind: 'chain', kiosk_code: 'RJ-JAI-1019', district: 'Jaipur', detail: 'entry 2,031 does not follow its predecessor’s hash', at_ms: now - 3 * D, acked_by: 'ravi.jpr', acked_ms: now - 2 * D, note: 'PC restored from a backup; holder told to call the helpdesk' },
  ];
  const tickets = [
    { id: 'tk-31', kiosk_code: 'RJ-JAI-1001', district: 'Jaipur', raised_by: 'holder.rk', category: 'payment', subject: 'Bill paid but department shows unpaid', status: 'in_progress', receipt_no: 'RJ26030104033', created_ms: now - 3 * H, updated_ms: now - 3 * H },
    { id: 'tk-30', kiosk_code: 'RJ-KOT-1005', district: 'Kota', raised_by: 'op.neha', category: 'printer', subject: 'Dot-matrix printer skips the last line', status: 'in_progress', receipt_no: null, created_ms: now - 2 * D, updated_ms: now - 5 * H },
    { id: 'tk-29', kiosk_code: 'RJ-BIK-1004', district: 'Bikaner', raised_by: 'holder.bik4', category: 'sync', subject: 'Sync stuck since morning on 2G link', status: 'open', receipt_no: null, created_ms: now - 6 * H, updated_ms: now - 6 * H },
    { id: 'tk-27', kiosk_code: 'RJ-UDA-1009', district: 'Udaipur', raised_by: 'holder.uda9', category: 'wallet', subject: 'Refill of ₹1,00,000 not credited yet', status: 'resolved', receipt_no: null, created_ms: now - 4 * D, updated_ms: now - 3 * D },
    { id: 'tk-22', kiosk_code: 'RJ-AJM-1006', district: 'Ajmer', raised_by: 'op.kiran', category: 'login', subject: 'Operator locked out after password change', status: 'closed', receipt_no: null, created_ms: now - 9 * D, updated_ms: now - 8 * D },
  ];
  const ticket = {
    ticket: tickets[0],
    body: 'Consumer paid JVVNL bill 210000456712 of ₹1,485.00 in cash at 11:20. Receipt RJ26030104033 was printed.\nThe department site still shows the bill unpaid and the consumer came back. Please check.',
    attachment: [
      'support-bundle v1 · kiosk RJ-JAI-1001 · app 0.9.3 · device 1',
      'outbox: 0 pending · last sync 2026-03-02T11:24:08+05:30 (ok)',
      'clock: +1.2 s against the centre',
      'printer: Epson LX-310 on LPT1 · queue empty',
      '--- last 12 log lines ---',
      '11:20:41 INFO  payment RCPT-20260302-0041 stored, total 148500',
      '11:20:43 INFO  print RCPT-20260302-0041 ok (dmp)',
      '11:21:05 INFO  sync push 1 entry → accepted, receipt RJ26030104033',
      '11:21:05 INFO  department JVVNL answer: held (confirms later)',
      '11:24:08 INFO  sync pull: catalogue v7 unchanged, 0 notices',
      '11:40:12 WARN  department JVVNL has not confirmed RJ26030104033 after 19 min',
      '12:02:55 INFO  ticket raised by holder.rk (category payment)',
    ].join('\n'),
    replies: [{ text: 'We have asked JVVNL to confirm; the payment is held at the centre and will not be lost.', status: 'in_progress', at_ms: now - 2 * H }],
  };
  const departments = [
    { code: 'JVVNL', name_en: 'Jaipur Vidyut Vitran Nigam', name_hi: 'जयपुर विद्युत वितरण निगम' },
    { code: 'AVVNL', name_en: 'Ajmer Vidyut Vitran Nigam', name_hi: 'अजमेर विद्युत वितरण निगम' },
    { code: 'PHED', name_en: 'Public Health Engineering (water)', name_hi: 'जन स्वास्थ्य अभियांत्रिकी (पानी)' },
    { code: 'RSGL', name_en: 'Rajasthan State Gas', name_hi: 'राजस्थान स्टेट गैस' },
  ];
  const services = [
    ['JVVNL-ELEC', 'JVVNL', 'Electricity bill (JVVNL)', 'बिजली बिल (जेवीवीएनएल)', 3_000, 2_000, 1_200, true],
    ['JVVNL-NEWCONN', 'JVVNL', 'New connection fee', 'नया कनेक्शन शुल्क', 5_000, 5_000, 3_000, true],
    ['AVVNL-ELEC', 'AVVNL', 'Electricity bill (AVVNL)', 'बिजली बिल (एवीवीएनएल)', 3_000, 2_500, 1_500, true],
    ['AVVNL-DUP', 'AVVNL', 'Duplicate bill', 'डुप्लीकेट बिल', 1_000, 1_000, 500, false],
    ['PHED-WATER', 'PHED', 'Water bill', 'पानी का बिल', 2_500, 2_000, 1_000, true],
    ['PHED-SEWER', 'PHED', 'Sewerage charge', 'सीवरेज शुल्क', 2_500, 1_500, 800, true],
    ['RSGL-GAS', 'RSGL', 'Piped gas bill', 'पाइप्ड गैस बिल', 2_000, 2_000, 1_000, true],
    ['RSGL-DEPOSIT', 'RSGL', 'Gas connection deposit', 'गैस कनेक्शन जमा', 5_000, 4_000, 2_000, true],
  ].map(([code, department, name_en, name_hi, state_rate, charge, commission, active]) => ({ code, department, name_en, name_hi, state_rate, charge, commission, active }));
  const catalogue = { version: 7, loaded_ms: now - 6 * D, departments, services };
  const reconcile = {
    rows: [
      { department: 'JVVNL', count: 1_284, total: 1_93_45_650_50, accepted: 1_92_10_200_00, pending: 1_35_450_50, cancelled: 2_31_000_00, posted: 1_91_79_200_00 },
      { department: 'AVVNL', count: 642, total: 88_12_300_00, accepted: 87_64_000_00, pending: 48_300_00, cancelled: 0, posted: 87_64_000_00 },
      { department: 'PHED', count: 918, total: 41_20_775_00, accepted: 41_20_775_00, pending: 0, cancelled: 76_200_00, posted: 40_44_575_00 },
      { department: 'RSGL', count: 133, total: 9_84_110_00, accepted: 9_38_860_00, pending: 45_250_00, cancelled: 0, posted: 9_38_860_00 },
    ],
    unsettled: held,
  };
  const actions = [
    ['refill.approve', 'proposal:7f3c2a10-…', { status: 'pending' }, { status: 'approved', decided_by: 'asha.state' }],
    ['refill.propose', 'proposal:91be04d2-…', null, { kind: 'refill', kiosk_code: 'RJ-JOD-1002', amount: 1_000_000 }],
    ['device.deregister', 'device:3d0e5b77-…', { deregistered_ms: null }, { deregistered_ms: now - 95 * D, reason: 'PC replaced' }],
    ['alert.ack', 'alert:37', { acked_by: null }, { acked_by: 'ravi.jpr', note: 'PC restored from a backup' }],
    ['ticket.reply', 'ticket:c41a9e03-…', { status: 'open' }, { status: 'in_progress' }],
    ['catalogue.publish', 'catalogue:7', { version: 6 }, { version: 7, services: 2 }],
    ['refill_request.reject', 'refill_request:5', { status: 'pending' }, { status: 'rejected', reason: 'UTR not in the bank statement' }],
    ['console.login', 'admin:ravi.jpr', null, null],
  ];
  const audit = Array.from({ length: 64 }, (_, i) => {
    const [action, target, before, after] = actions[i % actions.length];
    return { id: 900 - i, at_ms: now - i * 37 * MIN - 3 * MIN, admin: i % 3 ? 'ravi.jpr' : 'asha.state', action, target, before, after };
  });
  return { admin, kiosks, detail, proposals, refillRequests, held, dues, alerts, tickets, ticket, catalogue, reconcile, audit };
}

/** Answers one /console/api request like the server would. */
export function answer(f, method, path, query, state) {
  const json = (body, status = 200) => ({ status, body });
  const session = { admin: f.admin, csrf: 'fixture-csrf', expires_ms: Date.now() + 15 * MIN };
  if (path === '/login' && method === 'POST') {
    if (state.locked) return json({ code: 'auth.locked', message: 'locked' }, 423);
    state.loggedIn = true;
    return json(session);
  }
  if (!state.loggedIn) return json({ code: 'auth.missing', message: 'no session' }, 401);
  if (path === '/me') return json(session);
  if (path === '/logout') return { status: 204 };
  if (path === '/kiosks') {
    const st = query.get('status') ?? 'all';
    const q = (query.get('q') ?? '').toLowerCase();
    const dist = (query.get('district') ?? '').toLowerCase();
    const page = Number(query.get('page') ?? 1);
    const per = Number(query.get('per_page') ?? 50);
    const rows = f.kiosks.filter(
      (k) =>
        (!q || k.code.toLowerCase().includes(q) || k.name.toLowerCase().includes(q)) &&
        (!dist || k.district.toLowerCase() === dist) &&
        (st === 'all' ||
          (st === 'online' && k.online && k.active) ||
          (st === 'offline' && !k.online && k.active) ||
          (st === 'stuck' && k.stuck) ||
          (st === 'inactive' && !k.active)),
    );
    return json({ total: rows.length, page, per_page: per, rows: rows.slice((page - 1) * per, page * per) });
  }
  if (path.startsWith('/kiosks/')) return json({ ...f.detail, kiosk: f.kiosks.find((k) => k.code === decodeURIComponent(path.slice(8))) ?? f.detail.kiosk });
  // The paged lists: the fixture's rows fit on one page.
  const list = (rows) => json({ rows, limit: 100, more: false, next: null });
  if (path === '/proposals') return list(f.proposals);
  if (path === '/refill-requests') return list(f.refillRequests);
  if (path === '/held') return list(f.held);
  if (path === '/dues') return json({ rows: f.dues });
  if (path === '/alerts') {
    const st = query.get('status') ?? 'open';
    return list(f.alerts.filter((a) => st === 'all' || (st === 'open') === (a.acked_ms === null)));
  }
  if (path === '/tickets') return list(f.tickets.filter((t) => !query.get('status') || t.status === query.get('status')));
  if (path.startsWith('/tickets/')) return json(f.ticket);
  if (path === '/catalogue') return json(f.catalogue);
  if (path === '/reconcile') return json(f.reconcile);
  if (path === '/audit') {
    const page = Number(query.get('page') ?? 1);
    const per = Number(query.get('per_page') ?? 50);
    return json({ total: f.audit.length, rows: f.audit.slice((page - 1) * per, page * per) });
  }
  return json({ code: 'not_found', message: 'not in the fixture' }, 404);
}
