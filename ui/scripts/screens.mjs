// Screenshots of every screen, Hindi and English, at 1024×768 (and a few at
// 1366×768), over the mocked backend. Output: ui/screens/ (git-ignored).
//   node scripts/screens.mjs [filter[,filter…]]
// Uses Debian's chromium (never downloads a browser). Also reports any
// horizontal overflow of the page or of a panel.
import { spawnSync } from 'node:child_process';
import { createServer } from 'node:http';
import { readFile, mkdir } from 'node:fs/promises';
import { extname, join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { loadavg, cpus } from 'node:os';

const ui = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(ui, '.screens-dist');
const out = join(ui, 'screens');
const filter = process.argv[2] ?? '';

const b = spawnSync('npx', ['vite', 'build', '--outDir', dist, '--emptyOutDir', '--logLevel', 'warn'], {
  cwd: ui,
  env: { ...process.env, VITE_MOCK: '1' },
  stdio: 'inherit',
});
if (b.status !== 0) process.exit(b.status ?? 1);
await mkdir(out, { recursive: true });

const types = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.woff2': 'font/woff2', '.woff': 'font/woff' };
const server = createServer(async (req, res) => {
  const path = new URL(req.url, 'http://x').pathname;
  try {
    const body = await readFile(join(dist, path === '/' ? 'index.html' : path));
    res.writeHead(200, { 'content-type': types[extname(path)] ?? 'text/html' });
    res.end(body);
  } catch {
    res.writeHead(404);
    res.end();
  }
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const base = `http://127.0.0.1:${server.address().port}/`;

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
});

const tid = (id) => `[data-testid="${id}"]`;
async function waitPhase(page, phase, ready = phase === 'counter') {
  await page.waitForSelector(`[data-phase="${phase}"]${ready ? '[data-ready="1"]' : ''}`, { timeout: 10000 });
  await page.evaluate(() => document.fonts.ready);
}
async function typeIn(page, id, text) {
  await page.focus(tid(id));
  await page.keyboard.type(text);
}
async function bill(page, no, amount) {
  await page.keyboard.type(no);
  await page.keyboard.press('Enter');
  await page.waitForTimeout(30);
  await page.keyboard.type(amount);
  await page.keyboard.press('Enter');
  await page.waitForTimeout(30);
}
async function threeBills(page) {
  await page.focus(tid('search'));
  await page.keyboard.press('Enter');
  await bill(page, '210000000001', '1234.50');
  await bill(page, '210000000002', '880');
  await bill(page, '210000000003', '45.25');
}

const scenes = {
  setup: { q: 'phase=setup', phase: 'setup' },
  'setup-new-password': {
    q: 'phase=setup&newpw=1',
    phase: 'setup',
    run: async (p) => {
      await p.click(tid('setup-demo-fill'));
      await p.click(tid('setup-submit'));
      await p.waitForSelector(tid('setup-new-password'));
      await typeIn(p, 'setup-new-password', 'abcD1');
    },
  },
  'setup-error': {
    q: 'phase=setup&online=0',
    phase: 'setup',
    run: async (p) => {
      await p.click(tid('setup-demo-fill'));
      await p.click(tid('setup-submit'));
      await p.waitForSelector(tid('setup-error'));
    },
  },
  login: { q: 'phase=login', phase: 'login' },
  'login-locked-error': {
    q: 'phase=login',
    phase: 'login',
    run: async (p) => {
      await typeIn(p, 'login-user', 'locked.user');
      await typeIn(p, 'login-password', 'x');
      await p.keyboard.press('Enter');
      await p.waitForSelector(tid('login-error'));
    },
  },
  locked: {
    q: 'phase=counter&role=operator',
    phase: 'counter',
    run: async (p) => {
      await p.evaluate(async () => {
        await window.__mock.rpc({ cmd: 'lock', args: null });
        window.__mock.emit({ kind: 'locked' });
      });
      await p.waitForSelector('[data-phase="locked"]');
    },
  },
  'change-password': {
    q: 'phase=change_password&offline_login=1',
    phase: 'change_password',
    run: async (p) => {
      await typeIn(p, 'change-old', 'First@Pass1');
      await typeIn(p, 'change-new', 'abcdEF');
    },
  },
  'counter-empty': { q: 'phase=counter' },
  'counter-search': {
    q: 'phase=counter',
    run: async (p, lang) => {
      await typeIn(p, 'search', lang === 'hi' ? 'बिजली' : 'electricity');
      await p.keyboard.press('ArrowDown');
    },
  },
  'counter-browse': {
    q: 'phase=counter',
    run: async (p) => {
      await p.keyboard.press('F5');
      await p.keyboard.press('Enter');
      await p.waitForTimeout(30);
    },
  },
  'counter-bill': {
    q: 'phase=counter',
    run: async (p) => {
      await p.evaluate(() => window.__mock.paidEarlier.add('210000001234'));
      await typeIn(p, 'search', 'AVVNL');
      await p.keyboard.press('Enter');
      await p.keyboard.type('210000001234');
      await p.keyboard.press('Enter');
      await p.waitForSelector(tid('bill-details'));
    },
  },
  'counter-cart': {
    q: 'phase=counter',
    sizes: [[1024, 768], [1366, 768]],
    run: async (p) => {
      await threeBills(p);
      await p.keyboard.press('F6');
      await p.keyboard.type('98765');
    },
  },
  'counter-cheque': {
    q: 'phase=counter',
    run: async (p) => {
      await threeBills(p);
      await p.keyboard.press('F8');
      await p.keyboard.type('12345');
      await p.keyboard.press('Enter');
      await p.keyboard.type('01-12-2026');
    },
  },
  'counter-offline': {
    q: 'phase=counter&online=0&printer=paper_out',
    run: async (p) => {
      await typeIn(p, 'search', 'JDVVNL');
      await p.keyboard.press('Enter');
      await p.keyboard.type('210000000001');
    },
  },
  // A busy day on the status bar: it stays one line in its compact forms.
  'counter-status-busy': {
    q: 'phase=counter&online=0&printer=paper_out&wallet=low',
    sizes: [[1024, 768], [1366, 768]],
    run: async (p) => {
      await p.evaluate(async () => {
        const s = await window.__mock.rpc({ cmd: 'status', args: null });
        window.__mock.emit({
          kind: 'status',
          data: {
            ...s,
            sync: { ...s.sync, state: 'offline', pending: 3, held: 0, rejected: 1, oldest_pending_age_secs: 7500, last_error_code: 'sync.timeout' },
            printer: { ...s.printer, state: 'paper_out', queued: 1, failed: 2 },
          },
        });
      });
    },
  },
  'counter-invalid': {
    q: 'phase=counter',
    run: async (p) => {
      await p.focus(tid('search'));
      await p.keyboard.press('Enter');
      await p.keyboard.type('12345');
      await p.waitForTimeout(300);
      await p.keyboard.press('Enter');
    },
  },
  'duplicate-dialog': {
    q: 'phase=counter',
    run: async (p) => {
      await p.focus(tid('search'));
      await p.keyboard.press('Enter');
      await bill(p, '210000099999', '1234.50');
      await p.keyboard.press('F6');
      await p.keyboard.type('9876543210');
      await p.keyboard.press('Enter');
      await p.waitForSelector(tid('duplicate-dialog'));
    },
  },
  'receipt-provisional': {
    q: 'phase=counter&online=0',
    sizes: [[1024, 768], [1366, 768]],
    run: async (p) => {
      await threeBills(p);
      await p.keyboard.press('F6');
      await p.keyboard.type('9876543210');
      await p.keyboard.press('Enter');
      await p.waitForSelector(tid('preview-img'));
    },
  },
  'receipt-final-reprint': {
    q: 'phase=counter',
    run: async (p) => {
      await threeBills(p);
      await p.keyboard.press('F6');
      await p.keyboard.type('9876543210');
      await p.keyboard.press('Enter');
      await p.waitForSelector(tid('preview-img'));
      await p.keyboard.press('F10');
      await p.waitForSelector('[data-testid="preview-img"][data-kind="duplicate"]');
    },
  },
  'office-menu': { q: 'phase=counter', run: async (p) => (await p.keyboard.press('F12'), p.waitForSelector(tid('office-menu'))) },
  'reports-transactions': {
    q: 'phase=counter',
    run: async (p) => {
      await p.keyboard.press('F12');
      await p.waitForSelector(tid('office-menu'));
      await p.keyboard.press('F2');
      await p.waitForSelector(tid('report-totals'));
      await p.click(tid('sort-total'));
      await p.waitForTimeout(60);
    },
  },
  'reports-exported': {
    q: 'phase=counter',
    run: async (p) => {
      await p.keyboard.press('F12');
      await p.waitForSelector(tid('office-menu'));
      await p.keyboard.press('F2');
      await p.waitForSelector(tid('report-totals'));
      await p.keyboard.press('F7');
      await p.waitForSelector(`${tid('report-done')} .path`);
    },
  },
  'reports-date-invalid': {
    q: 'phase=counter',
    run: async (p) => {
      await p.keyboard.press('F12');
      await p.waitForSelector(tid('office-menu'));
      await p.keyboard.press('F2');
      await p.waitForSelector(tid('report-totals'));
      await p.fill(tid('report-to'), '');
      await typeIn(p, 'report-to', '31-02-2026');
      await p.keyboard.press('Enter');
      await p.waitForSelector(tid('report-error'));
    },
  },
  'reports-commissions': {
    q: 'phase=counter',
    run: async (p) => {
      await p.keyboard.press('F12');
      await p.waitForSelector(tid('office-menu'));
      await p.keyboard.press('F2');
      await p.waitForSelector(tid('report-totals'));
      await p.keyboard.press('F5');
      await p.waitForSelector('[data-kind="commissions"] [data-testid="report-totals"]');
    },
  },
  'receipts-detail': {
    q: 'phase=counter',
    run: async (p) => {
      await p.keyboard.press('F12');
      await p.waitForSelector(tid('office-menu'));
      await p.keyboard.press('F3');
      await p.waitForSelector(tid('receipt-query'));
      await p.keyboard.type('K-JPR-0042/L000002');
      await p.keyboard.press('Enter');
      await p.waitForSelector(tid('receipt-detail'));
      await p.keyboard.press('F10');
      await p.waitForSelector(tid('detail-printed'));
    },
  },
  'receipts-list': {
    q: 'phase=counter&role=operator',
    run: async (p) => {
      await p.keyboard.press('F12');
      await p.waitForSelector(tid('office-menu'));
      await p.keyboard.press('F3');
      await p.waitForSelector(tid('receipt-query'));
      // Yesterday, typed as the receipts print it (DD-MM-YYYY).
      const d = new Date(Date.now() - 86_400_000);
      const dmy = `${String(d.getDate()).padStart(2, '0')}-${String(d.getMonth() + 1).padStart(2, '0')}-${d.getFullYear()}`;
      await typeIn(p, 'receipt-date', dmy);
      await p.click(tid('receipt-search'));
      await p.waitForSelector(tid('receipt-row'));
      await p.keyboard.press('ArrowDown');
      await p.keyboard.press('Enter');
      await p.waitForSelector(tid('receipt-detail'));
    },
  },
  'receipts-cancel': {
    q: 'phase=counter',
    run: async (p) => {
      await p.keyboard.press('F12');
      await p.waitForSelector(tid('office-menu'));
      await p.keyboard.press('F3');
      await p.waitForSelector(tid('receipt-query'));
      await p.keyboard.type('K-JPR-0042/L000002');
      await p.keyboard.press('Enter');
      await p.waitForSelector(tid('receipt-detail'));
      await p.keyboard.press('F9');
      await p.waitForSelector(tid('cancel-reason'));
      await p.keyboard.press('Enter');
      await p.waitForSelector(tid('cancel-error'));
    },
  },
  reconcile: {
    q: 'phase=counter',
    run: async (p) => {
      await p.keyboard.press('F12');
      await p.waitForSelector(tid('office-menu'));
      await p.keyboard.press('F4');
      await p.waitForSelector(tid('rec-row'));
    },
  },
  'reconcile-verified': {
    q: 'phase=counter',
    run: async (p) => {
      await p.keyboard.press('F12');
      await p.waitForSelector(tid('office-menu'));
      await p.keyboard.press('F4');
      await p.waitForSelector(tid('rec-row'));
      await p.keyboard.press('F7');
      await p.waitForSelector(tid('rec-summary'));
    },
  },
  wallet: {
    q: 'phase=counter&wallet=low',
    run: async (p) => {
      await p.keyboard.press('F12');
      await p.waitForSelector(tid('office-menu'));
      await p.keyboard.press('F5');
      await p.waitForSelector(tid('wallet-line'));
    },
  },
  'wallet-refill': {
    q: 'phase=counter&dues=overdue',
    run: async (p) => {
      await p.keyboard.press('F12');
      await p.waitForSelector(tid('office-menu'));
      await p.keyboard.press('F5');
      await p.waitForSelector(tid('refill-list'));
      await p.keyboard.press('F8');
      await p.keyboard.type('25,000');
      await p.selectOption(tid('refill-mode'), 'neft_rtgs');
      await typeIn(p, 'refill-reference', 'SBIN026113400123');
      await p.keyboard.press('F9');
      await p.waitForSelector(tid('refill-row'));
      await p.keyboard.type('5000');
      await p.selectOption(tid('refill-mode'), 'transfer');
      await p.keyboard.press('F9');
      await p.waitForSelector(tid('refill-error'));
    },
  },
  printers: {
    q: 'phase=counter&printer=paper_out',
    run: async (p) => {
      await p.keyboard.press('F12');
      await p.waitForSelector(tid('office-menu'));
      await p.keyboard.press('F6');
      await p.waitForSelector(tid('printer-found-row'));
      await p.keyboard.press('F7');
      await p.waitForSelector(tid('printer-test-queued'));
    },
  },
  'printers-queue': {
    q: 'phase=counter&printer=offline',
    run: async (p) => {
      await p.keyboard.press('F12');
      await p.waitForSelector(tid('office-menu'));
      await p.keyboard.press('F6');
      await p.waitForSelector(tid('printer-job'));
      await p.fill(tid('printer-receipt-uri'), 'serial:/dev/ttyS0');
      await p.evaluate(() => document.querySelector('[data-testid="printers"]').scrollTo(0, 100000));
    },
  },
  tickets: {
    q: 'phase=counter',
    run: async (p) => {
      await p.keyboard.press('F12');
      await p.waitForSelector(tid('office-menu'));
      await p.keyboard.press('F7');
      await p.waitForSelector(tid('ticket-list'));
      await p.selectOption(tid('ticket-category'), 'printer');
      await typeIn(p, 'ticket-description', 'Receipt printer prints garbage since this morning, after a paper jam.');
      await typeIn(p, 'ticket-receipt', 'K-JPR-0042/L000003');
      await p.check(tid('ticket-bundle'));
      await p.keyboard.press('F9');
      await p.waitForSelector(tid('ticket-sent'));
      await p.evaluate(() => window.__mock.replyToTicket('Ribbon replaced remotely; print a test page.', 'resolved'));
      await p.waitForSelector(tid('ticket-reply'));
    },
  },
  users: {
    // Offline: the additions and the deactivation wait for the centre.
    q: 'phase=counter&online=0',
    run: async (p) => {
      await p.keyboard.press('F12');
      await p.waitForSelector(tid('office-menu'));
      await p.keyboard.press('F8');
      await p.waitForSelector(tid('user-list'));
      await typeIn(p, 'user-login', 'kamla.op');
      await typeIn(p, 'user-name', 'Kamla Meena');
      await typeIn(p, 'user-mobile', '9829012345');
      await p.keyboard.press('F9');
      await p.waitForSelector(tid('user-done'));
      await p.focus(tid('user-list'));
      for (let i = 0; i < 3; i++) await p.keyboard.press('ArrowDown');
      await p.keyboard.press('Enter');
      await p.waitForSelector(tid('user-dialog'));
    },
  },
  account: {
    q: 'phase=counter&inactive=24',
    run: async (p) => {
      await p.keyboard.press('F12');
      await p.waitForSelector(tid('office-menu'));
      await p.keyboard.press('F9');
      await p.waitForSelector(tid('account'));
      await p.keyboard.type('Demo@Holder1');
      await typeIn(p, 'account-new', 'abcDEF');
    },
  },
  'account-deregister': {
    q: 'phase=counter',
    run: async (p) => {
      await p.keyboard.press('F12');
      await p.waitForSelector(tid('office-menu'));
      await p.keyboard.press('F9');
      await p.waitForSelector(tid('account'));
      await p.keyboard.press('F10');
      await p.waitForSelector(tid('dereg-dialog'));
    },
  },
  'account-operator-offline': {
    q: 'phase=counter&online=0&role=operator',
    run: async (p) => {
      await p.keyboard.press('F12');
      await p.waitForSelector(tid('office-menu'));
      await p.keyboard.press('F9');
      await p.waitForSelector(tid('account'));
    },
  },
  'forgot-password': {
    q: 'phase=login',
    phase: 'login',
    run: async (p) => {
      await p.keyboard.press('F3');
      await p.waitForSelector(tid('forgot-login'));
      await p.keyboard.type('holder.rj14');
      await p.click(tid('forgot-send'));
      await p.waitForSelector(tid('forgot-code'));
      await p.keyboard.type('12');
      await typeIn(p, 'forgot-new', 'Fresh@St');
    },
  },
  'inactivity-banner': { q: 'phase=counter&inactive=27' },
  'keys-help': { q: 'phase=counter', run: async (p) => p.keyboard.press('F1') },
  'recovery-paid': { q: 'phase=counter&recovery=paid' },
  'recovery-not-paid': { q: 'phase=login&recovery=not_paid', phase: 'login' },
};

const problems = [];
for (const [name, s] of Object.entries(scenes)) {
  if (filter && !filter.split(',').some((f) => name.includes(f))) continue;
  for (const lang of ['en', 'hi']) {
    for (const [w, h] of s.sizes ?? [[1024, 768]]) {
      const page = await browser.newPage({ viewport: { width: w, height: h } });
      page.on('pageerror', (e) => problems.push(`${name}/${lang}: page error ${e.message}`));
      page.on('console', (m) => m.type() === 'error' && problems.push(`${name}/${lang}: console ${m.text()}`));
      await page.goto(`${base}?${s.q}&lang=${lang}`);
      await waitPhase(page, s.phase ?? 'counter');
      await page.waitForTimeout(50);
      if (s.run) await s.run(page, lang);
      await page.waitForTimeout(120);
      const over = await page.evaluate(() => {
        const bad = [];
        const d = document.documentElement;
        if (d.scrollWidth > d.clientWidth) bad.push(`page ${d.scrollWidth}>${d.clientWidth}`);
        for (const el of document.querySelectorAll('.col, .statusbar, .keybar, .dialog, .receipt-info, .form-col, .cheque, .totals, .modes, .contact, .office-tabs, .filters, .rep-actions, .rec-head, .detail-col, .search-col, .acol')) {
          if (el.scrollWidth > el.clientWidth + 1) bad.push(`${el.className} ${el.scrollWidth}>${el.clientWidth}`);
        }
        // The status bar keeps to one line (fit-12, its last resort, takes
        // two: see app.css), and nothing in it gives way but the sync error
        // and the tail of the operator's name.
        const bar = document.querySelector('.statusbar');
        if (bar && bar.getBoundingClientRect().height > 40) bad.push(`status bar ${Math.round(bar.getBoundingClientRect().height)} px high`);
        if (bar?.dataset.fit === '12') bad.push('status bar: even its most compact line does not fit (fit-12, two lines)');
        if (bar) {
          const right = bar.getBoundingClientRect().right - parseFloat(getComputedStyle(bar).paddingRight) + 1;
          for (const k of bar.children) if (k.getBoundingClientRect().right > right) bad.push(`status bar: ${k.dataset.testid ?? k.className} cut off at the right`);
          for (const e of bar.querySelectorAll('*')) {
            if (e.closest('.give-2, .st-name-tail') || e.closest('svg')) continue;
            if (e.scrollWidth > e.clientWidth + 1 && getComputedStyle(e).overflowX !== 'visible') bad.push(`status bar: ${e.dataset.testid ?? e.className} gives way (${e.scrollWidth}>${e.clientWidth})`);
          }
          // The operator's name always shows, at least its head (its first
          // word or so), whole, and some 40 px of it.
          const name = bar.querySelector('[data-testid="status-operator-name"]');
          const head = name?.querySelector('.st-name-head');
          const seen = (e) => {
            const r = e.getBoundingClientRect();
            return e.checkVisibility() ? Math.max(0, Math.min(r.right, right) - Math.max(r.left, bar.getBoundingClientRect().left)) : 0;
          };
          if (!name || !head) bad.push('status bar: no operator name');
          else {
            if (seen(name) < 40) bad.push(`status bar: only ${Math.round(seen(name))} px of the operator's name show`);
            if (seen(head) + 0.5 < head.getBoundingClientRect().width || head.scrollWidth > head.clientWidth + 1) bad.push(`status bar: the head of the operator's name ("${head.textContent}") is cut`);
          }
        }
        // Text smaller than 12 px is too small for the counter.
        let small = 0;
        for (const el of document.querySelectorAll('body *')) {
          if (el.childNodes.length && [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim())) {
            const fs = parseFloat(getComputedStyle(el).fontSize);
            if (fs < 12) small++;
          }
        }
        if (small) bad.push(`${small} elements with text under 12px`);
        return bad;
      });
      for (const o of over) problems.push(`${name}/${lang}/${w}: ${o}`);
      const file = join(out, `${name}-${lang}${w === 1024 ? '' : '-' + w}.png`);
      await page.screenshot({ path: file });
      console.log(file);
      await page.close();
    }
  }
}
// Keystroke → results rendered and laid out, over the 250-service catalogue.
{
  const page = await browser.newPage({ viewport: { width: 1024, height: 768 } });
  await page.goto(`${base}?phase=counter&lang=hi`);
  await waitPhase(page, 'counter');
  let times = await page.evaluate(async () => {
    const input = document.querySelector('[data-testid="search"]');
    input.focus();
    const words = ['bijli', 'बिजली', 'jaipur house', 'जयपुर', 'water', 'JVVNL', 'tax', 'कोटा चालान'];
    const out = [];
    for (let r = 0; r < 5; r++)
      for (const w of words)
        for (let i = 1; i <= w.length; i++) {
          const t0 = performance.now();
          input.value = w.slice(0, i);
          input.dispatchEvent(new Event('input', { bubbles: true }));
          await Promise.resolve();
          await Promise.resolve();
          void document.body.offsetHeight; // layout
          document.querySelectorAll('[data-testid="service-result"]').length;
          out.push([performance.now() - t0, w.slice(0, i), r]);
        }
    return out;
  });
  // Best of the 5 rounds per keystroke takes out the scheduler's noise on a
  // loaded machine; the raw figures are shown too.
  const best = new Map();
  for (const [ms, q] of times) best.set(q, Math.min(best.get(q) ?? Infinity, ms));
  const pct = (arr, q) => arr[Math.min(arr.length - 1, Math.floor(q * arr.length))];
  const raw = times.map((x) => x[0]).sort((a, b) => a - b);
  const bst = [...best.values()].sort((a, b) => a - b);
  console.log(
    `search keystroke over 250 services (Chromium, ${raw.length} keystrokes): raw median ${pct(raw, 0.5).toFixed(2)} ms, p99 ${pct(raw, 0.99).toFixed(2)} ms; ` +
      `best of 5 per keystroke: median ${pct(bst, 0.5).toFixed(2)} ms, p99 ${pct(bst, 0.99).toFixed(2)} ms, max ${pct(bst, 1).toFixed(2)} ms ` +
      `(load average ${loadavg()[0].toFixed(1)} on ${cpus().length} cores)`,
  );
  if (pct(bst, 0.99) > 16) problems.push(`search keystroke best-of-5 p99 ${pct(bst, 0.99).toFixed(2)} ms > 16 ms`);
  await page.close();
}
await browser.close();
server.close();
if (problems.length) {
  console.log('\nProblems:\n' + problems.join('\n'));
  process.exitCode = 1;
}
