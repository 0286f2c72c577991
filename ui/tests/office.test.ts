import { describe, expect, it } from 'vitest';
import { start, Keyboard, byId, allById, el, settle, fireEvent, waitFor } from './helpers';
import { formatPaise } from '../src/lib/money';
import { todayYmd } from '../src/lib/time';

const lastCall = (mock: { calls: Array<{ cmd: string; args: any }> }, cmd: string) => [...mock.calls].reverse().find((c) => c.cmd === cmd);
const callsOf = (mock: { calls: Array<{ cmd: string; args: any }> }, cmd: string) => mock.calls.filter((c) => c.cmd === cmd);
const ymdAgo = (days: number) => todayYmd(new Date(Date.now() - days * 86_400_000));

async function openOffice(kb: Keyboard, key: 'F2' | 'F3' | 'F4'): Promise<void> {
  await kb.press('F12');
  // The first open fetches the back office's chunk.
  await waitFor(() => expect(el('office-menu')).toBeTruthy());
  await settle();
  await kb.press(key);
  // Each screen is its own chunk, loaded on first use.
  const screen = { F2: 'reports', F3: 'receipts', F4: 'reconcile' }[key];
  await waitFor(() => expect(el(screen)).toBeTruthy());
  await settle();
}

/** What the mocked backend answers, without counting as the screen's call. */
async function peek(mock: { rpc: (r: any) => Promise<unknown>; calls: unknown[] }, cmd: string, args: unknown): Promise<any> {
  const r = await mock.rpc({ cmd, args });
  mock.calls.pop();
  return r;
}

async function setValue(id: string, value: string): Promise<void> {
  const input = byId(id) as HTMLInputElement | HTMLSelectElement;
  if (input instanceof HTMLSelectElement) {
    await fireEvent.change(input, { target: { value } });
  } else {
    input.value = value;
    await fireEvent.input(input);
    await fireEvent.change(input);
  }
  await settle();
}

describe('back office by keyboard', () => {
  it('F12 opens the menu, F2–F4 the screens, Esc goes back a step, the counter keys work after', async () => {
    const { mock } = await start({ lang: 'en' });
    const kb = new Keyboard();
    expect(byId('key-F12').textContent).toContain('Back office');
    await kb.press('F12');
    // The first open fetches the back office's chunk.
    await waitFor(() => expect(el('office-menu')).toBeTruthy());
    await settle();
    expect(el('counter-screen')).toBeNull();
    expect(document.activeElement?.getAttribute('data-testid')).toBe('office-menu-reports');
    // ↓ then Enter opens the second entry.
    await kb.press('ArrowDown');
    expect(document.activeElement?.getAttribute('data-testid')).toBe('office-menu-receipts');
    // Each screen is its own chunk, loaded on first use.
    await kb.press('Enter');
    await waitFor(() => expect(el('receipts')).toBeTruthy());
    await kb.press('F2');
    await waitFor(() => expect(el('reports')).toBeTruthy());
    await kb.press('F4');
    await waitFor(() => expect(el('reconcile')).toBeTruthy());
    await kb.press('Escape');
    expect(el('office-menu')).toBeTruthy();
    await kb.press('Escape');
    await waitFor(() => expect(el('counter-screen')).toBeTruthy());
    expect(el('office')).toBeNull();
    // The counter's keys are the counter's again.
    await kb.press('F5');
    expect(el('browse-list')).toBeTruthy();
    await kb.press('F12');
    await kb.press('F3');
    await kb.press('F12');
    await waitFor(() => expect(el('counter-screen')).toBeTruthy());
    await kb.press('F2');
    expect(document.activeElement?.getAttribute('data-testid')).toBe('search');
    // Nothing was paid or changed on the way.
    expect(callsOf(mock, 'pay')).toHaveLength(0);
    expect(callsOf(mock, 'receipt_cancel')).toHaveLength(0);
  });

  it('the status bar pending count opens Reconcile; the back office closes with a lock', async () => {
    const { mock } = await start({ lang: 'en' });
    (byId('status-pending') as HTMLButtonElement).click();
    await waitFor(() => expect(el('reconcile')).toBeTruthy());
    await waitFor(() => expect(lastCall(mock, 'reconcile_day')?.args.date).toBe(todayYmd()));
    (byId('lock-button') as HTMLButtonElement).click();
    await settle();
    expect(el('office')).toBeNull();
  });
});

describe('reports', () => {
  it('shows the transactions with the backend totals; sorts by every column both ways', async () => {
    const { mock } = await start({ lang: 'en' });
    const kb = new Keyboard();
    await openOffice(kb, 'F2');
    await waitFor(() => expect(allById('report-row').length).toBeGreaterThan(3));
    const first = lastCall(mock, 'report_transactions')!;
    expect(first.args.filter).toMatchObject({ from: ymdAgo(6), to: todayYmd(), sort: 'created_at', desc: true });
    const totals = byId('report-totals');
    const answer = await peek(mock, 'report_transactions', first.args);
    expect(byId('report-total').textContent).toBe(formatPaise(answer.totals.total));
    expect(Number(totals.dataset.total)).toBe(answer.totals.total);
    expect(totals.textContent).toContain(`cancelled ${answer.totals.cancelled}`);

    const cols = ['receipt_no', 'created_at', 'operator', 'services', 'consumers', 'mode', 'status', 'lines', 'total', 'commission'];
    for (const col of cols) {
      for (const round of [0, 1]) {
        (byId(`sort-${col}`) as HTMLButtonElement).click();
        await settle();
        const c = lastCall(mock, 'report_transactions')!;
        expect(c.args.filter.sort).toBe(col);
        expect(byId(`sort-${col}-head`).getAttribute('aria-sort')).toBe(c.args.filter.desc ? 'descending' : 'ascending');
        const want = (await peek(mock, 'report_transactions', c.args)).rows.map((r: any) => r.id);
        const shown = allById('report-row').map((r) => r.dataset.id);
        expect(shown).toEqual(want.slice(0, shown.length));
        if (round === 1) {
          // The second press turned it round.
          const before = callsOf(mock, 'report_transactions').slice(-2)[0];
          expect(before.args.filter.desc).toBe(!c.args.filter.desc);
        }
      }
    }
    // Amounts really are in order when sorted by amount.
    (byId('sort-total') as HTMLButtonElement).click();
    await settle();
    const c = lastCall(mock, 'report_transactions')!;
    const amounts = allById('report-row').map((r) => Number(r.dataset.total));
    const ordered = [...amounts].sort((a, b) => (c.args.filter.desc ? b - a : a - b));
    expect(amounts).toEqual(ordered);
  });

  it('filters by status, operator, mode and service, and refuses a bad date', async () => {
    const { mock } = await start({ lang: 'en' });
    const kb = new Keyboard();
    await openOffice(kb, 'F2');
    await setValue('report-from', ymdAgo(11));
    await setValue('report-status', 'cancelled');
    (byId('report-show') as HTMLButtonElement).click();
    await settle();
    expect(lastCall(mock, 'report_transactions')!.args.filter.status).toBe('cancelled');
    const rows = allById('report-row');
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((r) => r.textContent!.includes('Cancelled'))).toBe(true);
    // Cancelled receipts are no money taken.
    expect(byId('report-total').textContent).toBe(formatPaise(0));

    await setValue('report-status', '');
    await setValue('report-operator', 'holder.rj14');
    await setValue('report-mode', 'wallet');
    await setValue('report-service', 'PHED');
    // Enter in a filter shows the report.
    byId('report-operator').focus();
    await kb.press('Enter');
    const f = lastCall(mock, 'report_transactions')!.args.filter;
    expect(f).toMatchObject({ operator: 'holder.rj14', mode: 'wallet', service: 'PHED' });
    for (const r of allById('report-row')) {
      expect(r.textContent).toContain('holder.rj14');
      expect(r.textContent).toContain('PHED');
      expect(r.textContent).toContain('Wallet');
    }

    await setValue('report-from', '');
    (byId('report-show') as HTMLButtonElement).click();
    await settle();
    expect(byId('report-error').dataset.code).toBe('report.date_invalid');
  });

  it('exports CSV, XLSX and PDF and prints by button and by F-key', async () => {
    const { mock } = await start({ lang: 'en' });
    const kb = new Keyboard();
    await openOffice(kb, 'F2');
    for (const f of ['csv', 'xlsx', 'pdf']) {
      (byId(`export-${f}`) as HTMLButtonElement).click();
      await settle();
      const c = lastCall(mock, 'report_export')!;
      expect(c.args).toMatchObject({ report: 'transactions', format: f });
      expect(byId('report-done').textContent).toContain(`.${f}`);
    }
    const before = callsOf(mock, 'report_export').length;
    await kb.press('F6');
    await kb.press('F7');
    await kb.press('F8');
    expect(callsOf(mock, 'report_export').slice(before).map((c) => c.args.format)).toEqual(['csv', 'xlsx', 'pdf']);
    await kb.press('F10');
    expect(lastCall(mock, 'report_print')!.args.report).toBe('transactions');
    expect(byId('report-done').textContent).toContain('printer queue');
    (byId('report-print') as HTMLButtonElement).click();
    await settle();
    expect(callsOf(mock, 'report_print')).toHaveLength(2);
  });

  it('commissions per day and month: totals from the backend, sorted by every column', async () => {
    const { mock } = await start({ lang: 'en' });
    const kb = new Keyboard();
    await openOffice(kb, 'F2');
    await kb.press('F5');
    expect(byId('reports').dataset.kind).toBe('commissions');
    await setValue('report-from', ymdAgo(11));
    (byId('report-show') as HTMLButtonElement).click();
    await settle();
    const c = lastCall(mock, 'report_commissions')!;
    const answer = await peek(mock, 'report_commissions', c.args);
    expect(byId('report-commission').textContent).toBe(formatPaise(answer.totals.commission));
    expect(byId('report-total').textContent).toBe(formatPaise(answer.totals.total));
    for (const col of ['period', 'service_code', 'receipts', 'lines', 'bills', 'charges', 'total', 'commission']) {
      for (let round = 0; round < 2; round++) {
        (byId(`csort-${col}`) as HTMLButtonElement).click();
        await settle();
        const dir = byId(`csort-${col}-head`).getAttribute('aria-sort');
        const shown = allById('report-row').map((r) => `${r.dataset.period}|${r.dataset.service}`);
        const rows = [...answer.rows];
        rows.sort((a: any, b: any) => {
          const x = a[col];
          const y = b[col];
          const d = typeof x === 'number' ? x - y : String(x).localeCompare(String(y));
          return dir === 'descending' ? -d : d;
        });
        expect(shown).toEqual(rows.map((r: any) => `${r.period}|${r.service_code}`).slice(0, shown.length));
      }
    }
    await setValue('report-period', 'month');
    (byId('report-show') as HTMLButtonElement).click();
    await settle();
    expect(lastCall(mock, 'report_commissions')!.args.period).toBe('month');
    expect(allById('report-row').every((r) => /^\d{4}-\d{2}$/.test(r.dataset.period!))).toBe(true);
    (byId('export-xlsx') as HTMLButtonElement).click();
    await settle();
    expect(lastCall(mock, 'report_export')!.args).toMatchObject({ report: 'commissions', format: 'xlsx' });
  });
});

describe('receipts', () => {
  it('finds by receipt number, consumer number, mobile and day; opens with ↓ Enter', async () => {
    const { mock } = await start({ lang: 'en' });
    const kb = new Keyboard();
    await openOffice(kb, 'F3');
    expect(document.activeElement?.getAttribute('data-testid')).toBe('receipt-query');
    await kb.type('K-JPR-0042/L000002');
    await kb.press('Enter');
    expect(lastCall(mock, 'receipts_search')!.args.receipt_no).toBe('K-JPR-0042/L000002');
    expect(byId('receipt-detail')).toBeTruthy();
    expect(byId('detail-no').textContent).toMatch(/RJ26-800002|K-JPR-0042\/L000002/);
    expect(allById('print-row').length).toBe(1);

    (byId('search-by-consumer_no') as HTMLInputElement).click();
    await settle();
    (byId('receipt-query') as HTMLInputElement).value = '';
    byId('receipt-query').focus();
    await kb.type('210000100074');
    await kb.press('Enter');
    expect(lastCall(mock, 'receipts_search')!.args).toMatchObject({ consumer_no: '210000100074', receipt_no: undefined });

    (byId('search-by-mobile') as HTMLInputElement).click();
    await settle();
    (byId('receipt-query') as HTMLInputElement).value = '';
    byId('receipt-query').focus();
    await kb.type('98765');
    await kb.press('Enter');
    expect(byId('receipt-error').dataset.code).toBe('contact.mobile_invalid');

    (byId('receipt-query') as HTMLInputElement).value = '';
    await fireEvent.input(byId('receipt-query'));
    await setValue('receipt-date', ymdAgo(1));
    (byId('receipt-search') as HTMLButtonElement).click();
    await settle();
    expect(lastCall(mock, 'receipts_search')!.args.date).toBe(ymdAgo(1));
    const rows = allById('receipt-row');
    expect(rows.length).toBeGreaterThan(1);
    expect(document.activeElement?.getAttribute('data-testid')).toBe('receipt-list');
    await kb.press('ArrowDown');
    await kb.press('Enter');
    expect(lastCall(mock, 'receipt_detail')!.args.key).toBe(rows[1].dataset.id);
  });

  it('reprints a DUPLICATE COPY with F10 and shows it in the print history', async () => {
    const { mock } = await start({ lang: 'en' });
    const kb = new Keyboard();
    await openOffice(kb, 'F3');
    await kb.type('K-JPR-0042/L000002');
    await kb.press('Enter');
    await kb.press('F10');
    expect(lastCall(mock, 'print_receipt')!.args.key).toBe('h-2');
    expect(byId('detail-printed').dataset.kind).toBe('duplicate');
    const prints = allById('print-row');
    expect(prints.map((p) => p.dataset.kind)).toEqual(['final', 'duplicate']);
  });

  it('cancel asks for a reason; an empty one changes nothing; Enter cancels; Esc keeps it', async () => {
    const { mock } = await start({ lang: 'en' });
    const kb = new Keyboard();
    await openOffice(kb, 'F3');
    await kb.type('K-JPR-0042/L000002');
    await kb.press('Enter');
    expect(byId('receipt-detail').dataset.status).toBe('final');
    await kb.press('F9');
    expect(byId('cancel-dialog')).toBeTruthy();
    expect(document.activeElement?.getAttribute('data-testid')).toBe('cancel-reason');
    await kb.press('Escape');
    expect(el('cancel-dialog')).toBeNull();
    expect(callsOf(mock, 'receipt_cancel')).toHaveLength(0);
    await kb.press('F9');
    await kb.press('Enter');
    expect(byId('cancel-error').dataset.code).toBe('cancel.reason_required');
    expect(byId('receipt-detail').dataset.status).toBe('final');
    await kb.type('Wrong consumer number');
    await kb.press('Enter');
    expect(el('cancel-dialog')).toBeNull();
    expect(lastCall(mock, 'receipt_cancel')!.args).toEqual({ key: 'h-2', reason: 'Wrong consumer number' });
    expect(byId('receipt-detail').dataset.status).toBe('cancelled');
    expect(byId('detail-cancel-pending')).toBeTruthy();
    expect(byId('detail-cancel-reason').textContent).toContain('Wrong consumer number');
    expect((byId('detail-cancel') as HTMLButtonElement).disabled).toBe(true);
    // Esc closes the receipt, then goes back to the menu.
    await kb.press('Escape');
    expect(el('receipt-detail')).toBeNull();
    await kb.press('Escape');
    expect(el('office-menu')).toBeTruthy();
  });

  it('an operator cannot cancel: the button is off, F9 says why, nothing is sent', async () => {
    const { mock } = await start({ lang: 'hi', role: 'operator' });
    const kb = new Keyboard();
    await openOffice(kb, 'F3');
    await kb.type('K-JPR-0042/L000002');
    await kb.press('Enter');
    expect((byId('detail-cancel') as HTMLButtonElement).disabled).toBe(true);
    expect(byId('detail-holder-only').textContent).toMatch(/[\u0900-\u097F]/);
    await kb.press('F9');
    expect(el('cancel-dialog')).toBeNull();
    expect(byId('receipt-error').dataset.code).toBe('session.holder_only');
    expect(callsOf(mock, 'receipt_cancel')).toHaveLength(0);
    // The backend refuses it too, whatever the screen shows.
    await expect(mock.rpc({ cmd: 'receipt_cancel', args: { key: 'h-2', reason: 'x' } })).rejects.toMatchObject({ code: 'session.holder_only' });
  });
});

describe('reconcile', () => {
  it('shows the day with unknown never as failed; Verify all settles and sums up', async () => {
    const { mock } = await start({ lang: 'en' });
    const kb = new Keyboard();
    await openOffice(kb, 'F4');
    await waitFor(() => expect(allById('rec-row').length).toBeGreaterThan(1));
    const unknown = allById('rec-row').filter((r) => r.dataset.state === 'unknown');
    expect(unknown.length).toBe(2);
    expect(byId('rec-count-unknown').dataset.n).toBe('2');
    for (const r of allById('rec-row')) expect(r.textContent!.toLowerCase()).not.toMatch(/fail/);
    expect(unknown[0].textContent).toContain('Unknown');
    await kb.press('F7');
    expect(lastCall(mock, 'reconcile_verify')!.args).toEqual({ date: todayYmd(), key: undefined });
    expect(byId('rec-sum-settled').dataset.n).toBe('1');
    expect(byId('rec-sum-still_unknown').dataset.n).toBe('1');
    expect(byId('rec-sum-pending').dataset.n).toBe('1');
    expect(byId('rec-sum-matched').dataset.n).toBe('0');
    expect(byId('rec-count-unknown').dataset.n).toBe('1');
    expect(allById('rec-outcome').map((o) => o.dataset.outcome)).toContain('settled');
  });

  it('F6 verifies the chosen payment only; offline it says the centre cannot be reached', async () => {
    const { mock } = await start({ lang: 'en' });
    const kb = new Keyboard();
    await openOffice(kb, 'F4');
    await waitFor(() => expect(allById('rec-row').length).toBeGreaterThan(1));
    expect(document.activeElement?.getAttribute('data-testid')).toBe('rec-list');
    await kb.press('ArrowDown');
    await kb.press('F6');
    const id = allById('rec-row')[1].dataset.id;
    expect(lastCall(mock, 'reconcile_verify')!.args).toEqual({ date: todayYmd(), key: id });
    mock.setOnline(false);
    await kb.press('F7');
    expect(byId('rec-error').dataset.code).toBe('centre.offline');
    // Enter opens the chosen receipt in Receipts.
    byId('rec-list').focus();
    await kb.press('Enter');
    await waitFor(() => expect(el('receipt-detail')).toBeTruthy());
    expect(lastCall(mock, 'receipt_detail')!.args.key).toBe(id);
  });

  it('a bad date is refused with its code', async () => {
    await start({ lang: 'hi' });
    const kb = new Keyboard();
    await openOffice(kb, 'F4');
    await setValue('rec-date', '');
    (byId('rec-show') as HTMLButtonElement).click();
    await settle();
    expect(byId('rec-error').dataset.code).toBe('report.date_invalid');
    expect(byId('rec-error').textContent).toMatch(/[\u0900-\u097F]/);
  });
});

describe('wallet', () => {
  it('F5 from the menu or the status bar: balance, pending, room, the running balance, the minimum warning', async () => {
    const { mock } = await start({ lang: 'en', lowWallet: true });
    const kb = new Keyboard();
    (byId('status-wallet-link') as HTMLButtonElement).click();
    await waitFor(() => expect(el('wallet')).toBeTruthy());
    await settle();
    expect(byId('wallet-balance').dataset.paise).toBe('1845650');
    expect(byId('wallet-available').textContent).toContain(formatPaise(1_597_024));
    expect(byId('wallet-below-min').textContent).toContain(formatPaise(2_000_000));
    const lines = allById('wallet-line');
    expect(lines.length).toBeGreaterThan(2);
    // The last line's balance is the centre's; each earlier one is the next
    // one's less its amount, as the backend said.
    const last = lines[lines.length - 1];
    expect(Number(last.dataset.balance)).toBe(1_845_650);
    for (let i = 1; i < lines.length; i++) {
      expect(Number(lines[i - 1].dataset.balance)).toBe(Number(lines[i].dataset.balance) - Number(lines[i].dataset.amount));
    }
    // A range that ends before today has no running balance.
    await setValue('wallet-to', ymdAgo(2));
    byId('wallet-to').focus();
    await kb.press('Enter');
    expect(lastCall(mock, 'wallet')!.args.to).toBe(ymdAgo(2));
    expect(allById('wallet-line').every((l) => l.dataset.balance === undefined)).toBe(true);
    await setValue('wallet-from', ymdAgo(1));
    (byId('wallet-show') as HTMLButtonElement).click();
    await settle();
    expect(byId('wallet-error').dataset.code).toBe('report.filter_invalid');
    await kb.press('Escape');
    expect(el('office-menu')).toBeTruthy();
    await kb.press('F5');
    expect(el('wallet')).toBeTruthy();
  });
});
