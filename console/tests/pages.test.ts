import { describe, expect, it } from 'vitest';
import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import Alerts from '../src/pages/Alerts.svelte';
import Kiosk from '../src/pages/Kiosk.svelte';
import type { Alert, KioskDetail } from '../src/lib/types';
import { kiosk, listPage, loginAs, mockFetch, stateAdmin } from './helpers';

const alert = (id: number | null, kind: Alert['kind']): Alert => ({
  id,
  kind,
  kiosk_code: 'RJ-JPR-0001',
  district: 'Jaipur',
  detail: kind === 'stuck' ? '14 entries unsent' : 'PC clock 11 min ahead',
  at_ms: Date.now() - 3_600_000,
  acked_by: null,
  acked_ms: null,
  note: null,
});

describe('alerts', () => {
  it('acknowledges with a note; a stuck kiosk (no id) clears itself instead', async () => {
    loginAs(stateAdmin);
    const calls = mockFetch({
      'GET /console/api/alerts': { body: listPage([alert(null, 'stuck'), alert(42, 'clock')]) },
      'POST /console/api/alerts/42/ack': { body: { alert: { ...alert(42, 'clock'), acked_by: 'asha.state', acked_ms: Date.now() } } },
    });
    render(Alerts);
    const rows = await screen.findAllByTestId('alert-row');
    expect(rows[0].querySelector('[data-testid="ack"]')).toBeNull();
    expect(rows[0].textContent).toContain('Clears itself');
    await fireEvent.click(rows[1].querySelector('[data-testid="ack"]')!);
    await fireEvent.input(screen.getByTestId('reason-input'), { target: { value: 'Holder fixed the PC clock' } });
    await fireEvent.click(screen.getByTestId('reason-confirm'));
    await waitFor(() => expect(screen.getAllByTestId('alert-row')).toHaveLength(1));
    expect(calls.at(-1)!.body).toEqual({ note: 'Holder fixed the PC clock' });
  });
});

describe('kiosk page', () => {
  const detail = (ledger: KioskDetail['ledger']): KioskDetail => ({
    kiosk: kiosk('RJ-JPR-0001', { wallet_balance: 100_000 }),
    devices: [],
    users: [],
    ledger,
    receipts: [],
    deposit_limit: 0,
  });
  const line = (id: number, amount: number, at_ms: number, balance?: number) => ({
    id,
    txn_id: id,
    account: 'wallet',
    kind: amount > 0 ? 'refill' : 'payment',
    amount,
    memo: '',
    at_ms,
    ...(balance === undefined ? {} : { balance }),
  });
  const balances = () => [...screen.getByTestId('ledger').querySelectorAll('tbody tr')].map((r) => r.lastElementChild!.textContent);

  it('walks the running balance back from today when the server gives none', async () => {
    loginAs(stateAdmin);
    mockFetch({ 'GET /console/api/kiosks/RJ-JPR-0001': { body: detail([line(1, 50_000, 1_000), line(2, -20_000, 2_000)]) } });
    render(Kiosk, { id: 'RJ-JPR-0001' });
    await screen.findByTestId('ledger');
    expect(balances()).toEqual(['₹1,000.00', '₹1,200.00']);
  });

  it('shows the server’s balance after each line when it gives one', async () => {
    loginAs(stateAdmin);
    mockFetch({ 'GET /console/api/kiosks/RJ-JPR-0001': { body: detail([line(2, -20_000, 2_000, 99_999), line(1, 50_000, 1_000, 77_700)]) } });
    render(Kiosk, { id: 'RJ-JPR-0001' });
    await screen.findByTestId('ledger');
    expect(balances()).toEqual(['₹999.99', '₹777.00']);
  });

  it('proposes a refill in paise and refuses an NEFT refill without a reference', async () => {
    loginAs(stateAdmin);
    const calls = mockFetch({
      'GET /console/api/kiosks/RJ-JPR-0001': { body: detail([]) },
      'POST /console/api/proposals': { body: { proposal: {} } },
    });
    render(Kiosk, { id: 'RJ-JPR-0001' });
    await fireEvent.input(await screen.findByTestId('refill-amount'), { target: { value: '25,000.50' } });
    await fireEvent.submit(screen.getByTestId('refill-form'));
    expect(screen.getByTestId('refill-form').textContent).toContain('need the bank’s reference');
    expect(calls.some((c) => c.method === 'POST')).toBe(false);
    await fireEvent.input(screen.getByTestId('refill-reference'), { target: { value: 'sbin 0261 1340 0123' } });
    await fireEvent.submit(screen.getByTestId('refill-form'));
    await waitFor(() => expect(calls.some((c) => c.method === 'POST')).toBe(true));
    expect(calls.find((c) => c.method === 'POST')!.body).toEqual({
      kind: 'refill',
      kiosk_code: 'RJ-JPR-0001',
      amount: 2_500_050,
      mode: 'neft_rtgs',
      reference: 'SBIN026113400123',
    });
  });
});
