// Screenshots of every console page in English and Hindi at 1366×768:
//   npm run screens [filter]   → docs/screens/console/{en,hi}/<page>.png
// Builds the console, serves console/dist under /console/ from a tiny static
// server, and answers /console/api/* from scripts/fixture.mjs through
// page.route: a fixture, because the real server's end-to-end tests run
// elsewhere. Uses Debian's chromium (apt-get install -y chromium), never a
// downloaded browser. Also reports horizontal overflow, and any Devanagari
// font fetched by an English page.
import { spawnSync } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdir, readFile } from 'node:fs/promises';
import { dirname, extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { answer, fixture } from './fixture.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const out = join(root, '..', 'docs', 'screens', 'console');
const filter = process.argv[2] ?? '';

const b = spawnSync('npx', ['vite', 'build', '--logLevel', 'warn'], { cwd: root, stdio: 'inherit' });
if (b.status !== 0) process.exit(b.status ?? 1);

const types = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.woff2': 'font/woff2' };
const server = createServer(async (req, res) => {
  let path = new URL(req.url, 'http://x').pathname;
  if (!path.startsWith('/console/')) {
    res.writeHead(404).end();
    return;
  }
  path = normalize(path.slice('/console/'.length) || 'index.html').replace(/^(\.\.[/\\])+/, '');
  try {
    const body = await readFile(join(dist, path));
    res.writeHead(200, { 'content-type': types[extname(path)] ?? 'application/octet-stream' }).end(body);
  } catch {
    res.writeHead(404).end();
  }
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const base = `http://127.0.0.1:${server.address().port}/console/`;

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
});

// The language button names Hindi in its own script with system fonts
// first; a machine with no Devanagari font at all falls back to the web
// font for that word, so only elsewhere is a fetch on an English page wrong.
const systemDevanagari = spawnSync('fc-list', [':charset=0915', 'family'], { encoding: 'utf8' }).stdout?.trim() !== '';
if (!systemDevanagari) console.log('no system Devanagari font here: English pages may fetch the web font for the language button');

const tid = (id) => `[data-testid="${id}"]`;
const settle = async (p) => {
  await p.waitForLoadState('networkidle');
  await p.evaluate(async () => {
    await document.fonts.ready;
    // A Hindi page: both faces loaded, then two frames so that text laid
    // out in the fallback while a face was still coming is drawn again.
    if (document.documentElement.lang === 'hi') {
      await Promise.all(['400', '700'].map((w) => document.fonts.load(`${w} 16px "Console Devanagari"`, 'क')));
      await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
    }
  });
};

// name → how to get there. `loggedIn: false` starts without a session.
const scenes = {
  login: { loggedIn: false, hash: '', wait: tid('login-form') },
  'login-locked': {
    loggedIn: false,
    locked: true,
    hash: '',
    wait: tid('login-form'),
    run: async (p) => {
      await p.fill(tid('login-user'), 'asha.state');
      await p.fill(tid('login-password'), 'wrong-password');
      await p.click(tid('login-submit'));
      await p.waitForSelector(tid('login-error'));
    },
  },
  kiosks: { hash: '#/kiosks', wait: tid('kiosk-table') },
  'kiosks-stuck': { hash: '#/kiosks?status=stuck', wait: tid('kiosk-table') },
  kiosk: { hash: '#/kiosks/RJ-JAI-1001', wait: tid('devices') },
  'kiosk-ledger': {
    hash: '#/kiosks/RJ-JAI-1001',
    wait: tid('ledger'),
    run: async (p) => p.locator(tid('ledger')).scrollIntoViewIfNeeded(),
  },
  'kiosk-deregister': {
    hash: '#/kiosks/RJ-JAI-1001',
    wait: tid('deregister'),
    run: async (p) => {
      await p.click(tid('deregister'));
      await p.click(tid('reason-confirm'));
    },
  },
  'money-approvals': { hash: '#/money/approvals', wait: tid('proposals') },
  'money-requests': { hash: '#/money/requests', wait: tid('requests') },
  'money-held': { hash: '#/money/held', wait: tid('held') },
  'money-held-refuse': {
    hash: '#/money/held',
    wait: tid('propose-refuse'),
    run: async (p) => {
      await p.locator(tid('propose-refuse')).first().click();
      await p.fill(tid('reason-input'), 'AVVNL: no such bill was paid on 01-03-2026');
    },
  },
  'money-dues': { hash: '#/money/dues', wait: tid('dues') },
  alerts: { hash: '#/alerts', wait: tid('alerts') },
  // 13 min 20 s without a request: the last two minutes' warning.
  'session-ending': {
    hash: '#/kiosks',
    clock: true,
    wait: tid('kiosk-table'),
    run: async (p) => {
      await p.clock.fastForward('13:20');
      await p.waitForSelector(tid('session-warning'), { timeout: 10_000 });
    },
  },
  tickets: { hash: '#/tickets', wait: tid('tickets') },
  ticket: { hash: '#/tickets/tk-31', wait: tid('attachment') },
  catalogue: { hash: '#/catalogue', wait: tid('catalogue') },
  'catalogue-edit': {
    hash: '#/catalogue',
    wait: tid('catalogue'),
    run: async (p) => {
      await p.locator(tid('charge')).nth(0).fill('25.00');
      await p.locator(tid('commission')).nth(2).fill('30');
      await p.locator(tid('charge')).nth(4).fill('26');
    },
  },
  reconcile: { hash: '#/reconcile', wait: tid('reconcile') },
  audit: {
    hash: '#/audit',
    wait: tid('audit'),
    run: async (p) => p.locator('details').nth(1).evaluate((d) => (d.open = true)),
  },
};

const problems = [];
for (const lang of ['en', 'hi']) {
  await mkdir(join(out, lang), { recursive: true });
  for (const [name, s] of Object.entries(scenes)) {
    if (filter && !filter.split(',').some((f) => name.includes(f))) continue;
    const ctx = await browser.newContext({ viewport: { width: 1366, height: 768 }, locale: 'en-IN', timezoneId: 'Asia/Kolkata' });
    await ctx.addInitScript((l) => localStorage.setItem('console.lang', l), lang);
    const f = fixture();
    const state = { loggedIn: s.loggedIn !== false, locked: !!s.locked };
    await ctx.route('**/console/api/**', async (route) => {
      const u = new URL(route.request().url());
      const a = answer(f, route.request().method(), u.pathname.slice('/console/api'.length), u.searchParams, state);
      await route.fulfill({ status: a.status, contentType: 'application/json', body: a.body === undefined ? '' : JSON.stringify(a.body) });
    });
    const page = await ctx.newPage();
    const fonts = [];
    const assets = [];
    page.on('request', (r) => {
      const u = new URL(r.url());
      if (u.pathname.endsWith('.woff2')) fonts.push(u.pathname.split('/').pop());
      else if (!u.pathname.startsWith('/console/api/')) assets.push(u.pathname.replace('/console/', '') || 'index.html');
    });
    page.on('pageerror', (e) => problems.push(`${lang}/${name}: page error ${e.message}`));
    if (s.clock) await page.clock.install();
    await page.goto(base + s.hash);
    await page.waitForSelector(s.wait, { timeout: 10_000 });
    if (s.run) await s.run(page);
    await settle(page);
    const wide = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    if (wide > 0) problems.push(`${lang}/${name}: page ${wide}px wider than the window`);
    if (lang === 'en' && fonts.length && systemDevanagari) problems.push(`${lang}/${name}: fetched ${fonts.join(', ')}`);
    await page.screenshot({ path: join(out, lang, `${name}.png`) });
    console.log(`${lang}/${name}.png  ${[...new Set(assets)].join(' ')}${fonts.length ? `  fonts: ${fonts.length}` : ''}`);
    await ctx.close();
  }
}
await browser.close();
server.close();
if (problems.length) {
  console.log(`\n${problems.length} problem(s):\n  ${problems.join('\n  ')}`);
  process.exitCode = 1;
}
