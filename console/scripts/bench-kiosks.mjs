// The browser half of `scripts/bench console-kiosks`: Debian's Chromium
// loads the real console from a running kiosk-server, logs in, and pages
// through the kiosk registry. Prints one JSON object on stdout:
//   first_load_bytes  everything the login and first registry page moved
//                     over the wire (HTML, JS, CSS, fonts, API answers)
//   assets_bytes      of which the console's own files
//   render_ms         per registry page: from asking for it to its rows
//                     on screen (the API call and the render)
// Usage: node scripts/bench-kiosks.mjs BASE LOGIN PASSWORD RUNS PAGES
import { chromium } from 'playwright-core';

const [base, login, password, runsArg, pagesArg] = process.argv.slice(2);
const runs = Number(runsArg ?? 100);
const pages = Math.max(1, Number(pagesArg ?? 200));
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  timeout: 60_000,
});
try {
  const ctx = await browser.newContext({ viewport: { width: 1366, height: 768 } });
  const page = await ctx.newPage();
  page.setDefaultTimeout(30_000);
  await page.goto(`${base}/console/`);
  await page.getByTestId('login-user').fill(login);
  await page.getByTestId('login-password').fill(password);
  await page.getByTestId('login-submit').click();
  await page.getByTestId('kiosk-row').first().waitFor();
  const sizes = await page.evaluate(() => {
    const all = [...performance.getEntriesByType('navigation'), ...performance.getEntriesByType('resource')];
    const sum = (es) => es.reduce((a, e) => a + (e.transferSize || 0), 0);
    return {
      first_load_bytes: sum(all),
      assets_bytes: sum(all.filter((e) => !new URL(e.name).pathname.startsWith('/console/api/'))),
    };
  });
  const render_ms = [];
  let prev = await page.getByTestId('kiosk-row').first().locator('strong').textContent();
  for (let i = 0; i < runs; i++) {
    // A spread of pages 2..pages (page 1 is on screen first; two in a row
    // always differ), as a user paging about.
    const n = ((i * 37) % Math.max(1, pages - 1)) + 2;
    const t0 = Date.now();
    await page.evaluate((h) => { location.hash = h; }, `#/kiosks?page=${n}`);
    await page.waitForFunction(
      (before) => {
        const r = document.querySelector('[data-testid=kiosk-row] strong');
        return r && !document.querySelector('.table-wrap.stale') && r.textContent !== before;
      },
      prev,
      { timeout: 30_000, polling: 'raf' },
    );
    render_ms.push(Date.now() - t0);
    prev = await page.getByTestId('kiosk-row').first().locator('strong').textContent();
  }
  process.stdout.write(JSON.stringify({ ...sizes, render_ms }) + '\n');
} finally {
  await browser.close();
}
