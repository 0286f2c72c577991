// End-to-end test of the centre console against a real kiosk-server and two
// real kiosks driven by `kioskctl`, in Debian's Chromium (playwright-core).
//
//   export CARGO_TARGET_DIR=$HOME/.cache/kiosk-target
//   (cd console && npm run build) && cargo build -p server -p kioskctl --bins
//   cd console && npm run e2e
//
// Binaries come from $KIOSK_BIN_DIR, else $CARGO_TARGET_DIR/debug, else
// ~/.cache/kiosk-target/debug. Screenshots of the pages it passes through go
// to the temporary folder, or with E2E_SCREENS=1 to docs/screens/console/real/
// (so that the test command leaves the tree as it was). E2E_KEEP=1 keeps the temporary folder
// (server and kiosk databases, server log) also on success.
//
// What it does, in order (each step has a deadline; nothing waits on a fixed
// sleep):
//   setup    a demo server on a temp SQLite DB and a free port; kiosk K1002
//            and its holder created with the admin CLI (first password
//            changed through /v1/auth/password); two kiosk databases, each
//            registered as a device and synced, one payment each
//   registry state1 logs in; both kiosks show their last sync and what they
//            reported of their outbox; K1001 then takes payments offline
//            (its centre address pointed at a dead port): kioskctl shows the
//            unsent entries, the console still the last report (a kiosk
//            reports its queue on each pull; offline it reports nothing).
//   stuck    after the tamper below, K1002's queue cannot move: each sync
//            is refused, the pull after it still reports the queue, and
//            once its oldest unsent entry is older than the centre's
//            `stuck_after_secs` (5 s here, 4 hours by default) the registry
//            lists it as stuck and the Alerts page says so.
//   refill   state1 proposes a refill on the Kiosk page; under Approvals its
//            Approve is disabled ("needs a second admin"); state2, in a
//            second browser context, approves; K1001 syncs and its wallet
//            (kioskctl wallet show) has risen by the amount
//   request  K1001's holder asks for a refill (kioskctl wallet refill); after
//            its sync it waits under Money → Requests; state1 proposes the
//            credit, state2 approves, and after K1001's next sync its list
//            (kioskctl wallet refills) says credited and its wallet has risen
//   catalogue state1 changes PHED-WATER's charge and publishes; after its
//            next sync K1001's catalogue (kioskctl catalogue list) has it
//   tamper   one already-synced payment in K1002's outbox is rewritten with
//            the sqlite3 CLI (a lower total, its hash recomputed so the
//            local chain still verifies); the next payment chains on the
//            forged hash and its push is refused by the centre's check; the
//            Alerts page shows the alert, state1 acknowledges it with a
//            note, it moves to Acknowledged
//   deregister state1 de-registers K1001's PC (dialog with a reason); the
//            kiosk's next sync is refused with auth.device_deregistered
import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '..', '..', '..');
const docsShots = join(repo, 'docs', 'screens', 'console', 'real');
const binDir =
  process.env.KIOSK_BIN_DIR ?? join(process.env.CARGO_TARGET_DIR ?? join(homedir(), '.cache', 'kiosk-target'), 'debug');
const SERVER_BIN = join(binDir, 'kiosk-server');
const CTL_BIN = join(binDir, 'kioskctl');
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const STUCK_SECS = 5;

const T_UI = 15_000; // one page condition
const T_CMD = 60_000; // one CLI command
const T_POLL = 30_000; // a condition polled over several commands
const T_START = 60_000; // the server answering after its start

const started = Date.now();
const tmp = mkdtempSync(join(tmpdir(), 'console-e2e-'));
const shots = process.env.E2E_SCREENS === '1' ? docsShots : join(tmp, 'screens');
let server = null; // child process
let browser = null;
let browserPid = null;
let current = 'start';
let shotCount = 0;
const pages = [];

// ------------------------------------------------------------------ helpers

class Fail extends Error {}
function fail(msg) {
  throw new Fail(msg);
}
function assert(cond, msg) {
  if (!cond) fail(msg);
}
function log(...a) {
  console.log(`[${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s]`, ...a);
}
async function step(name, fn) {
  current = name;
  log(`▶ ${name}`);
  const t0 = Date.now();
  await fn();
  log(`✓ ${name} (${Date.now() - t0} ms)`);
}
const delay = (ms) => new Promise((r) => setTimeout(r, ms));

/** Polls `fn` until it returns a truthy value or the deadline passes. */
async function poll(what, fn, { timeout = T_POLL, every = 250 } = {}) {
  const end = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
      last = v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) fail(`timed out after ${timeout} ms waiting for ${what}; last: ${last instanceof Error ? last.message : JSON.stringify(last)}`);
    await delay(every);
  }
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** Runs a program; resolves {status, stdout, stderr}, never rejects on a non-zero exit. */
function run(bin, args, { env = {}, timeout = T_CMD } = {}) {
  return new Promise((resolve, reject) => {
    execFile(bin, args, { env: { ...process.env, ...env }, timeout, maxBuffer: 16 << 20, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err && err.killed) return reject(new Fail(`${bin} ${args.join(' ')}: killed after ${timeout} ms`));
      if (err && typeof err.code !== 'number') return reject(err);
      resolve({ status: err ? err.code : 0, stdout, stderr });
    });
  });
}

function parseJson(s) {
  try {
    return JSON.parse(s);
  } catch {
    return null;
  }
}

/** A kiosk: its database and the kioskctl commands on it (always --json). */
class Kiosk {
  constructor(code, holder, password) {
    this.code = code;
    this.holder = holder;
    this.password = password;
    this.db = join(tmp, `${code}.db`);
  }
  async try(args, env) {
    const r = await run(CTL_BIN, ['--db', this.db, '--json', ...args], { env });
    return { ...r, json: parseJson(r.stdout) };
  }
  async ok(args, env) {
    const r = await this.try(args, env);
    if (r.status !== 0) fail(`kioskctl ${args.join(' ')} on ${this.code} failed (${r.status}): ${r.stdout.trim()} ${r.stderr.trim()}`);
    return r.json;
  }
  sync(url) {
    return this.ok(['sync', 'now', ...(url ? ['--server', url] : [])]);
  }
  pay(service, consumer, amount) {
    return this.ok(['pay', '--operator', this.holder, '--service', service, '--consumer', consumer, '--amount', amount, '--mobile', '9876543210', '--no-print']);
  }
  async balance() {
    return (await this.ok(['wallet', 'show'])).balance;
  }
}

async function admin(args) {
  const r = await run(SERVER_BIN, ['--database', `sqlite:${join(tmp, 'server.db')}`, 'admin', ...args]);
  if (r.status !== 0) fail(`kiosk-server admin ${args.join(' ')} failed (${r.status}): ${r.stdout} ${r.stderr}`);
  return r.stdout;
}

async function http(base, path, { method = 'GET', body, token } = {}) {
  const res = await fetch(base + path, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  return { status: res.status, json: parseJson(text), text };
}

function serverLogTail(n = 40) {
  try {
    return readFileSync(join(tmp, 'server.log'), 'utf8').split('\n').slice(-n).join('\n');
  } catch {
    return '(no server log)';
  }
}

async function shot(page, name) {
  await page.evaluate(() => document.fonts.ready);
  const file = join(shots, `${String(++shotCount).padStart(2, '0')}-${name}.png`);
  await page.screenshot({ path: file, timeout: T_UI });
  log(`  screenshot ${file.slice(repo.length + 1)}`);
}

const tid = (id) => `[data-testid="${id}"]`;

// ------------------------------------------------- outbox forging (tamper)

// The outbox hash chain, as crates/protocol/src/entry.rs computes it:
// SHA-256(prev_hash ‖ postcard(Entry {format, device_id, seq, id, kind,
// device_time_ms, payload})). Postcard: unsigned varints, zig-zag signed,
// a Uuid as 16 length-prefixed bytes, an enum as its variant index.
const KINDS = ['payment', 'cancellation', 'ticket', 'user_change', 'refill_request'];
function varint(n) {
  n = BigInt(n);
  const out = [];
  do {
    let b = Number(n & 0x7fn);
    n >>= 7n;
    if (n) b |= 0x80;
    out.push(b);
  } while (n);
  return out;
}
const zigzag = (n) => ((n = BigInt(n)) >= 0n ? n << 1n : (-n << 1n) - 1n);
const unzigzag = (z) => (z & 1n ? -((z + 1n) >> 1n) : z >> 1n);
const uuidBytes = (s) => [16, ...Buffer.from(s.replace(/-/g, ''), 'hex')];
function chainHash(prevHex, r, payload) {
  const canon = Buffer.from([
    ...varint(r.format),
    ...uuidBytes(r.device_id),
    ...varint(r.seq),
    ...uuidBytes(r.id),
    ...varint(KINDS.indexOf(r.kind)),
    ...varint(zigzag(r.device_time_ms)),
    ...varint(payload.length),
    ...payload,
  ]);
  return createHash('sha256').update(Buffer.from(prevHex, 'hex')).update(canon).digest('hex').toUpperCase();
}
/** A PaymentPayload ends with total, commission (zig-zag varints) and one
 *  bool byte: where the total's varint starts and ends. */
function totalSpan(p) {
  const end = p.length - 1; // the bool
  let i = end - 1; // last byte of the commission
  while (i > 0 && p[i - 1] & 0x80) i--; // first byte of the commission
  const totalEnd = i;
  let j = totalEnd - 1;
  while (j > 0 && p[j - 1] & 0x80) j--;
  return [j, totalEnd];
}
function readVarint(bytes) {
  let n = 0n;
  bytes.forEach((b, k) => (n |= BigInt(b & 0x7f) << BigInt(7 * k)));
  return n;
}

async function sql(db, statement) {
  const r = await run('sqlite3', ['-bail', '-json', db, statement]);
  if (r.status !== 0) fail(`sqlite3 ${db}: ${r.stderr.trim()} (in: ${statement.slice(0, 200)})`);
  return r.stdout.trim() ? JSON.parse(r.stdout) : [];
}

/** Lowers the total of `seq` by `byPaise` and rewrites its hash, as a
 *  tamperer who knows the chain would. Returns [old total, new total]. */
async function forgeTotal(db, seq, byPaise) {
  const [r] = await sql(
    db,
    `SELECT seq, device_id, id, kind, format, device_time_ms, hex(payload) AS p, hex(prev_hash) AS ph, hex(hash) AS h, outcome FROM outbox WHERE seq = ${seq}`,
  );
  assert(r, `no outbox entry ${seq} in ${db}`);
  assert(r.kind === 'payment' && r.outcome === 'accepted', `outbox entry ${seq} is a ${r.kind} (${r.outcome}), not an accepted payment`);
  const p = Buffer.from(r.p, 'hex');
  // Our encoding must reproduce the stored hash before we forge one.
  assert(chainHash(r.ph, r, p) === r.h, `the test's chain hash does not reproduce entry ${seq}'s stored hash: the Entry encoding changed`);
  const [a, b] = totalSpan(p);
  const old = unzigzag(readVarint([...p.subarray(a, b)]));
  const forged = old - BigInt(byPaise);
  const q = Buffer.concat([p.subarray(0, a), Buffer.from(varint(zigzag(forged))), p.subarray(b)]);
  const h = chainHash(r.ph, r, q);
  const [trig] = await sql(db, "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'outbox_immutable'");
  assert(trig, 'no outbox_immutable trigger in the kiosk database');
  await sql(
    db,
    `BEGIN; DROP TRIGGER outbox_immutable; UPDATE outbox SET payload = X'${q.toString('hex')}', hash = X'${h}' WHERE seq = ${seq}; ${trig.sql}; COMMIT;`,
  );
  return [Number(old), Number(forged)];
}

// ---------------------------------------------------------------- the test

async function main() {
  for (const [b, what] of [
    [SERVER_BIN, 'kiosk-server'],
    [CTL_BIN, 'kioskctl'],
  ])
    assert(existsSync(b), `${what} not found at ${b}: build it (cargo build -p server -p kioskctl --bins) or set KIOSK_BIN_DIR`);
  assert(existsSync(CHROMIUM), `no Chromium at ${CHROMIUM} (apt-get install -y chromium, or set CHROMIUM)`);
  mkdirSync(shots, { recursive: true });
  // The folder shows the last run only.
  for (const f of readdirSync(shots)) if (f.endsWith('.png')) rmSync(join(shots, f));

  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const base = `${url}/console/`;
  const K1 = new Kiosk('K1001', 'holder1', 'Holder@2026');
  const K2 = new Kiosk('K1002', 'holder2', null);

  await step('start kiosk-server (demo seed) on a temp SQLite DB', async () => {
    const out = openSync(join(tmp, 'server.log'), 'a');
    // The demo, with the console's "stuck" threshold at 5 s (a setting the
    // centre's staff choose; 4 hours by default) so a stuck queue shows
    // within the run.
    const cfg = join(tmp, 'kiosk-server.toml');
    writeFileSync(
      cfg,
      `listen = "127.0.0.1:${port}"\ndatabase = "sqlite:${join(tmp, 'server.db')}"\ndata_dir = "${join(tmp, 'centre')}"\ndemo_seed = true\nstuck_after_secs = ${STUCK_SECS}\n`,
    );
    server = spawn(SERVER_BIN, ['--config', cfg, 'serve'], {
      stdio: ['ignore', out, out],
      env: { ...process.env, RUST_LOG: process.env.RUST_LOG ?? 'info' },
    });
    let exited = null;
    server.on('exit', (code, sig) => (exited = `exit ${code ?? sig}`));
    await poll(
      `${base} to answer`,
      async () => {
        if (exited) fail(`kiosk-server stopped (${exited}):\n${serverLogTail()}`);
        const r = await http(url, '/console/api/me');
        return r.status === 401;
      },
      { timeout: T_START },
    );
    const page = await fetch(base, { signal: AbortSignal.timeout(5000) });
    assert(page.ok && (await page.text()).includes('<div id="app"'), `GET /console/ did not serve the console page (${page.status}); is console/dist built?`);
  });

  await step('second kiosk K1002 and its holder (admin CLI, first password changed)', async () => {
    await admin(['create-kiosk', '--code', 'K1002', '--district', 'Jaipur', '--name', 'e-Mitra Bani Park']);
    const out = await admin(['create-user', '--kiosk', 'K1002', '--login', 'holder2', '--name', 'Second Holder', '--role', 'holder', '--mobile', '9414000012']);
    const first = /first password (\S+)/.exec(out)?.[1];
    assert(first, `no first password in: ${out}`);
    const li = await http(url, '/v1/auth/login', { method: 'POST', body: { login: 'holder2', password: first } });
    assert(li.status === 200 && li.json?.must_change_password === true, `holder2's first login: ${li.status} ${li.text}`);
    K2.password = 'Holder2@2026';
    const ch = await http(url, '/v1/auth/password', { method: 'POST', token: li.json.token, body: { old_password: first, new_password: K2.password } });
    assert(ch.status === 200, `password change: ${ch.status} ${ch.text}`);
    await admin(['refill', '--kiosk', 'K1002', '--amount', '10000', '--memo', 'opening balance']);
  });

  await step('both kiosks: init, register a device, sync, one payment, sync', async () => {
    for (const [k, name, holderName] of [
      [K1, 'Demo e-Mitra, MI Road', 'Demo Holder'],
      [K2, 'e-Mitra Bani Park', 'Second Holder'],
    ]) {
      await k.ok(['init', '--kiosk-code', k.code, '--district', 'Jaipur', '--name', name, '--holder', k.holder, '--holder-name', holderName]);
      const reg = await k.try(['sync', 'register', '--server', url, '--login', k.holder], { KIOSK_PASSWORD: k.password });
      assert(reg.status === 0 && /registered device/.test(reg.stdout), `register ${k.code}: ${reg.stdout} ${reg.stderr}`);
      await k.sync();
      assert((await k.balance()) > 0, `${k.code} has no wallet balance after its first sync`);
    }
    await K1.pay('PHED-WATER', '12345678', '250');
    await K2.pay('JVVNL-BILL', '123456789012', '1234.50');
    for (const k of [K1, K2]) {
      const s = await k.sync();
      assert(s.queue_len === 0, `${k.code}: queue ${s.queue_len} after sync`);
    }
  });

  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    timeout: 30_000,
  });
  browserPid = browser.process?.()?.pid ?? null;
  const newPage = async () => {
    const ctx = await browser.newContext({ viewport: { width: 1366, height: 768 }, locale: 'en-IN', timezoneId: 'Asia/Kolkata' });
    await ctx.addInitScript(() => localStorage.setItem('console.lang', 'en'));
    const p = await ctx.newPage();
    p.setDefaultTimeout(T_UI);
    p.setDefaultNavigationTimeout(T_UI);
    const errors = [];
    p.on('pageerror', (e) => errors.push(e.message));
    p.errors = errors;
    pages.push(p);
    return p;
  };
  const login = async (p, who, pw, shotName) => {
    await p.goto(base);
    await p.locator(tid('login-form')).waitFor();
    if (shotName) await shot(p, shotName);
    await p.locator(tid('login-user')).fill(who);
    await p.locator(tid('login-password')).fill(pw);
    await p.locator(tid('login-submit')).click();
    await p.locator(tid('who')).waitFor();
  };
  const kioskRow = (p, code) => p.locator(tid('kiosk-row')).filter({ has: p.locator('a', { hasText: new RegExp(`^${code}$`) }) });

  const s1 = await newPage();
  let s2 = null;

  await step('state1 logs in; the registry shows both kiosks with their last sync and outbox', async () => {
    await login(s1, 'state1', 'State@2026', 'login');
    await s1.locator(tid('kiosk-table')).waitFor();
    for (const code of ['K1001', 'K1002']) {
      const row = kioskRow(s1, code);
      await row.waitFor();
      const cells = await row.locator('td').allInnerTexts();
      // Status, code, name, district, last seen, last sync, to send, app, clock, wallet, idle.
      assert(/online/i.test(cells[0]), `${code}: status "${cells[0]}", expected Online`);
      assert(cells[5] && cells[5].trim() !== '—', `${code}: no last sync shown ("${cells[5]}")`);
      assert(cells[6].trim() === '0', `${code}: "To send" shows "${cells[6]}", expected 0 (it reported an empty outbox)`);
      assert(cells[7].trim() !== '—', `${code}: no app version reported`);
    }
    await shot(s1, 'kiosks');
  });

  await step('K1001 takes payments offline; kioskctl shows them unsent, the console the last report', async () => {
    const dead = `http://127.0.0.1:${await freePort()}`;
    await K1.pay('BSNL-LANDLINE', '01412345678', '499');
    await K1.pay('JVVNL-BILL', '210987654321', '2000');
    const r = await K1.try(['sync', 'now', '--server', dead]);
    assert(r.status !== 0, `sync to a dead port succeeded: ${r.stdout}`);
    const q = await K1.ok(['queue']);
    assert(q.unsent === 2 && q.oldest_unsent_age_secs !== null, `K1001's queue: ${JSON.stringify(q)}`);
    // The console knows a queue only from what a kiosk reports on its
    // pulls; offline it reports nothing: still 0 to send, no stuck kiosk.
    await s1.locator(tid('filter-status')).selectOption('stuck');
    await s1.getByText('No kiosk matches these filters.').waitFor();
    await shot(s1, 'kiosks-stuck-none');
    await s1.locator(tid('filter-status')).selectOption('all');
    await kioskRow(s1, 'K1001').waitFor();
    const cells = await kioskRow(s1, 'K1001').locator('td').allInnerTexts();
    assert(cells[6].trim() === '0', `K1001 "To send" shows "${cells[6]}"`);
    // Back online: the queue drains.
    const s = await K1.sync(url);
    assert(s.queue_len === 0, `K1001's queue after reconnecting: ${s.queue_len}`);
  });

  const amount = 2500;
  const amountText = '₹2,500.00';
  let before = 0;
  await step('state1 proposes a refill on the Kiosk page', async () => {
    before = await K1.balance();
    await kioskRow(s1, 'K1001').locator('a').click();
    await s1.locator(tid('kiosk-facts')).waitFor();
    await s1.locator('h1', { hasText: 'K1001' }).waitFor();
    const facts = await s1.locator(tid('kiosk-facts')).innerText();
    assert(/Waiting to be sent\s+0 entries/.test(facts), `K1001's facts do not show its outbox report: ${facts}`);
    await shot(s1, 'kiosk');
    await s1.locator(tid('refill-amount')).fill(String(amount));
    await s1.locator(tid('refill-mode')).selectOption('neft_rtgs');
    await s1.locator(tid('refill-reference')).fill(`utib0 e2e ${Date.now() % 1_000_000}`);
    await s1.locator(tid('refill-submit')).click();
    await s1.locator(tid('flash')).filter({ hasText: `Refill of ${amountText} proposed` }).waitFor();
    await shot(s1, 'kiosk-refill-proposed');
  });

  await step('state1 cannot approve its own proposal ("needs a second admin")', async () => {
    await s1.goto(`${base}#/money/approvals`);
    const row = s1.locator(tid('proposal-row')).filter({ hasText: 'K1001' }).filter({ hasText: amountText });
    await row.waitFor();
    assert(await row.locator(tid('approve')).isDisabled(), 'Approve is enabled for the proposer');
    const note = await row.locator(tid('own-note')).innerText();
    assert(/needs a second admin/i.test(note), `own-proposal note: "${note}"`);
    await shot(s1, 'approvals-own');
  });

  await step('state2 (second browser context) approves it', async () => {
    s2 = await newPage();
    await login(s2, 'state2', 'State2@2026');
    await s2.goto(`${base}#/money/approvals`);
    const row = s2.locator(tid('proposal-row')).filter({ hasText: 'K1001' }).filter({ hasText: amountText });
    await row.waitFor();
    const approve = row.locator(tid('approve'));
    assert(await approve.isEnabled(), 'Approve is disabled for state2');
    await shot(s2, 'approvals-second-admin');
    await approve.click();
    await s2.locator(tid('flash')).filter({ hasText: `Approved: ${amountText} for K1001.` }).waitFor();
    await row.waitFor({ state: 'detached' });
    await s2.locator(tid('proposal-status')).selectOption('approved');
    await s2.locator(tid('proposal-row')).filter({ hasText: 'K1001' }).filter({ hasText: 'state2' }).waitFor();
    await shot(s2, 'approvals-approved');
  });

  await step('K1001 syncs: its wallet (kioskctl wallet show) has risen by the refill', async () => {
    const want = before + amount * 100;
    await poll(`K1001's wallet to reach ${want} paise (was ${before})`, async () => {
      await K1.sync();
      return (await K1.balance()) === want;
    });
    await s1.goto(`${base}#/kiosks/K1001`);
    await s1.locator(tid('ledger')).locator('tr', { hasText: `+${amountText}` }).waitFor();
  });

  const asked = 1500;
  const askedText = '₹1,500.00';
  await step("K1001's holder requests a refill (kioskctl wallet refill); it syncs and waits under Requests", async () => {
    const utr = `UTIB${String(Date.now()).slice(-12).padStart(12, '0')}`;
    await K1.ok(['wallet', 'refill', '--operator', K1.holder, '--amount', String(asked), '--mode', 'neft_rtgs', '--reference', utr]);
    const [queued] = await K1.ok(['wallet', 'refills']);
    assert(queued.state === 'queued', `K1001's request before its sync: ${JSON.stringify(queued)}`);
    await K1.sync();
    await poll("K1001's request to show as pending at the kiosk", async () => {
      await K1.sync();
      const [r] = await K1.ok(['wallet', 'refills']);
      return r.state === 'pending';
    });
    before = await K1.balance();
    await s1.goto(`${base}#/money/requests`);
    const row = s1.locator(tid('request-row')).filter({ hasText: 'K1001' }).filter({ hasText: askedText });
    await row.waitFor();
    await shot(s1, 'requests');
    await row.locator(tid('propose-credit')).click();
    await s1.locator(tid('flash')).filter({ hasText: `Credit of ${askedText} to K1001 proposed` }).waitFor();
  });

  await step('state2 approves the credit; after its sync the kiosk lists the request credited and its wallet has risen', async () => {
    await s2.goto(`${base}#/money/approvals`);
    // The page still shows the approved ones from the step before.
    await s2.locator(tid('proposal-status')).selectOption('pending');
    const row = s2.locator(tid('proposal-row')).filter({ hasText: 'K1001' }).filter({ hasText: askedText });
    await row.waitFor();
    await row.locator(tid('approve')).click();
    await s2.locator(tid('flash')).filter({ hasText: `Approved: ${askedText} for K1001.` }).waitFor();
    await poll("K1001's request to be credited", async () => {
      await K1.sync();
      const [r] = await K1.ok(['wallet', 'refills']);
      return r.state === 'credited';
    });
    const want = before + asked * 100;
    await poll(`K1001's wallet to reach ${want} paise (was ${before})`, async () => {
      await K1.sync();
      return (await K1.balance()) === want;
    });
  });

  await step('state1 changes a charge on the Catalogue page and publishes', async () => {
    const [svc] = (await K1.ok(['catalogue', 'list', '--search', 'PHED-WATER'])).filter((s) => s.code === 'PHED-WATER');
    assert(svc && svc.charge === 500, `K1001's PHED-WATER before: ${JSON.stringify(svc)}`);
    await s1.goto(`${base}#/catalogue`);
    const row = s1.locator(`${tid('service-row')}[data-code="PHED-WATER"]`);
    await row.waitFor();
    const version = Number(/Version (\d+)/.exec(await s1.locator('.head').innerText())?.[1]);
    assert(version >= 1, 'no catalogue version shown');
    await row.locator(tid('charge')).fill('8.00');
    await s1.locator(tid('cat-summary')).filter({ hasText: '1 changed' }).waitFor();
    await shot(s1, 'catalogue-edit');
    await s1.locator(tid('publish')).click();
    await s1.locator(tid('flash')).filter({ hasText: `Version ${version + 1} published with 1 changed services` }).waitFor();
    await s1.locator('.head', { hasText: `Version ${version + 1}` }).waitFor();
    await shot(s1, 'catalogue-published');
  });

  await step('K1001 syncs: kioskctl catalogue list shows the new charge', async () => {
    await poll('PHED-WATER to cost ₹8.00 at K1001', async () => {
      await K1.sync();
      const [svc] = (await K1.ok(['catalogue', 'list', '--search', 'PHED-WATER'])).filter((s) => s.code === 'PHED-WATER');
      return svc?.charge === 800;
    });
  });

  await step('K1002: a synced payment is forged in the outbox; the next push raises a tamper alert', async () => {
    const [old, forged] = await forgeTotal(K2.db, 1, 100_000);
    log(`  K1002 outbox seq 1: total ${old} → ${forged} paise, hash rewritten`);
    const v = await K2.try(['verify']);
    log(`  kioskctl verify after the forgery: exit ${v.status} ${v.stdout.replace(/\s+/g, ' ').slice(0, 160)}`);
    await K2.pay('JVVNL-BILL', '123456789013', '100');
    const r = await K2.try(['sync', 'now']);
    const said = `${r.stdout} ${r.stderr}`;
    assert(r.status !== 0, `K1002's push after the forgery was taken: ${said}`);
    assert(/sync\.chain_mismatch/.test(said), `K1002's push was refused, but not as a chain mismatch: ${said}`);
    // Its queue now never drains.
    const q = await K2.ok(['queue']);
    assert(q.unsent === 1, `K1002's queue after the refusal: ${JSON.stringify(q)}`);
  });

  await step(`K1002 keeps syncing and is refused; after ${STUCK_SECS} s the registry lists it as stuck`, async () => {
    await s1.goto(`${base}#/kiosks?status=stuck`);
    const row = kioskRow(s1, 'K1002');
    await poll('K1002 listed as stuck', async () => {
      // Each round is refused, and the pull after it reports the queue.
      const r = await K2.try(['sync', 'now']);
      assert(r.status !== 0, `K1002's sync went through: ${r.stdout}`);
      await s1.reload();
      await s1.locator(tid('kiosk-filters')).waitFor();
      await s1.waitForLoadState('networkidle', { timeout: T_UI });
      return (await row.count()) > 0;
    }, { timeout: 60_000 });
    const cells = await row.locator('td').allInnerTexts();
    assert(/Stuck/.test(cells[0]) && /^1\b/.test(cells[6].trim()), `K1002's row: ${JSON.stringify(cells)}`);
    await shot(s1, 'kiosks-stuck');
    await s1.goto(`${base}#/alerts`);
    await s1.locator(tid('alert-row')).filter({ hasText: 'K1002' }).filter({ hasText: /Stuck/i }).first().waitFor();
  });

  await step('the Alerts page shows the alert; state1 acknowledges it with a note', async () => {
    await s1.goto(`${base}#/alerts`);
    const row = s1.locator(tid('alert-row')).filter({ hasText: 'K1002' }).filter({ hasText: 'Broken chain' });
    await poll('the chain alert of K1002 on the Alerts page', async () => {
      if (await row.count()) return true;
      await s1.reload();
      await s1.locator('h1', { hasText: 'Alerts' }).waitFor();
      await s1.waitForLoadState('networkidle', { timeout: T_UI });
      return (await row.count()) > 0;
    });
    const detail = await row.innerText();
    assert(/chain mismatch at entry 2/.test(detail), `alert detail: ${detail}`);
    await shot(s1, 'alerts-open');
    await row.locator(tid('ack')).click();
    await s1.locator(tid('reason-dialog')).waitFor();
    const note = 'E2E: outbox row 1 was edited on the PC; holder called';
    await s1.locator(tid('reason-input')).fill(note);
    await shot(s1, 'alerts-ack-dialog');
    await s1.locator(tid('reason-confirm')).click();
    await s1.getByRole('status').filter({ hasText: 'Alert of K1002 acknowledged.' }).waitFor();
    await row.waitFor({ state: 'detached' });
    await s1.locator(tid('alert-status')).selectOption('acked');
    const acked = s1.locator(tid('alert-row')).filter({ hasText: 'K1002' }).filter({ hasText: note });
    await acked.waitFor();
    assert(/state1/.test(await acked.innerText()), 'the acknowledged alert does not name state1');
    await shot(s1, 'alerts-acked');
  });

  await step('state1 de-registers K1001\'s PC; the kiosk\'s next sync is refused', async () => {
    await s1.goto(`${base}#/kiosks/K1001`);
    const row = s1.locator(tid('device-row')).filter({ hasText: 'counter 1' });
    await row.waitFor();
    const cells = await row.locator('td').allInnerTexts();
    assert(cells[2].trim() === 'holder1', `K1001's PC: registered by "${cells[2]}", expected holder1`);
    await row.locator(tid('deregister')).click();
    const dlg = s1.locator(tid('reason-dialog'));
    await dlg.waitFor();
    await dlg.getByText('De-register PC “counter 1”?').waitFor();
    await s1.locator(tid('reason-input')).fill('E2E: PC replaced by the holder');
    await shot(s1, 'kiosk-deregister-dialog');
    await s1.locator(tid('reason-confirm')).click();
    await s1.locator(tid('flash')).filter({ hasText: 'PC “counter 1” is de-registered.' }).waitFor();
    await row.locator('.badge', { hasText: 'De-registered' }).waitFor();
    await dlg.waitFor({ state: 'detached' });
    await shot(s1, 'kiosk-deregistered');
    // What the server keeps: the same after a reload.
    await s1.reload();
    await row.locator('.badge', { hasText: 'De-registered' }).waitFor();
    const after = await row.locator('td').allInnerTexts();
    assert(after[2].trim() === 'holder1', `after a reload, K1001's PC: registered by "${after[2]}"`);
    // A payment waits, so the push itself is refused (an empty queue only
    // warns about the failed pull and exits 0).
    await K1.pay('PHED-WATER', '12345679', '120');
    const r = await K1.try(['sync', 'now']);
    const said = `${r.stdout} ${r.stderr}`;
    assert(r.status !== 0, `K1001 synced after being de-registered: ${said}`);
    assert(/auth\.device_deregistered/.test(said), `K1001's sync was refused, but not as de-registered: ${said}`);
  });

  await step('registry at the end', async () => {
    await s1.goto(`${base}#/kiosks`);
    await kioskRow(s1, 'K1002').waitFor();
    await shot(s1, 'kiosks-end');
    const errs = [...s1.errors, ...(s2?.errors ?? [])];
    assert(errs.length === 0, `uncaught errors in the page: ${errs.join(' | ')}`);
  });
}

// ---------------------------------------------------------------- run it

let failed = false;
const overall = setTimeout(() => {
  console.error(`FAIL: the whole test took longer than 5 minutes (in step "${current}")`);
  void cleanup().finally(() => process.exit(2));
}, 300_000);

for (const sig of ['SIGINT', 'SIGTERM']) {
  process.once(sig, () => {
    console.error(`\n${sig}: stopping the server and the browser`);
    void cleanup().finally(() => process.exit(130));
  });
}

async function cleanup() {
  if (browser) {
    await Promise.race([browser.close().catch(() => {}), delay(5000)]);
    if (browserPid) {
      try {
        process.kill(browserPid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    browser = null;
  }
  if (server && server.exitCode === null && server.signalCode === null) {
    const gone = new Promise((r) => server.once('exit', r));
    try {
      process.kill(server.pid, 'SIGTERM');
    } catch {
      // Already gone.
    }
    await Promise.race([gone, delay(5000)]);
    if (server.exitCode === null && server.signalCode === null) {
      try {
        process.kill(server.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
  }
}

try {
  await main();
} catch (e) {
  failed = true;
  console.error(`\nFAIL in step "${current}": ${e instanceof Fail ? e.message : (e?.stack ?? e)}`);
  console.error(`\n--- server log (last lines) ---\n${serverLogTail()}`);
  for (const [i, p] of pages.entries()) {
    const f = join(tmp, `failure-${i + 1}.png`);
    await p.screenshot({ path: f, timeout: 5000 }).then(() => console.error(`page ${i + 1} at failure: ${f} (${p.url()})`), () => {});
  }
} finally {
  clearTimeout(overall);
  await cleanup();
  if (failed || process.env.E2E_KEEP) console.error(`temp folder kept: ${tmp}`);
  else rmSync(tmp, { recursive: true, force: true });
}
log(failed ? 'FAILED' : `PASSED: ${shotCount} screenshots${process.env.E2E_SCREENS === '1' ? ` in ${shots.slice(repo.length + 1)}` : ''}`);
process.exit(failed ? 1 : 0);
