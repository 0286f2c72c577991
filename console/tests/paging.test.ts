import { describe, expect, it } from 'vitest';
import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import type { Component } from 'svelte';
import Alerts from '../src/pages/Alerts.svelte';
import Tickets from '../src/pages/Tickets.svelte';
import Approvals from '../src/pages/money/Approvals.svelte';
import Held from '../src/pages/money/Held.svelte';
import Requests from '../src/pages/money/Requests.svelte';
import { api } from '../src/lib/api';
import { setLang } from '../src/lib/i18n/index.svelte';
import type { Alert, Held as HeldRow, Proposal, RefillRequest, Ticket } from '../src/lib/types';
import { listPage, loginAs, mockFetch, pagedRoute, refillProposal, stateAdmin } from './helpers';

const request = (id: string): RefillRequest => ({
  id,
  kiosk_code: 'RJ-JPR-0001',
  district: 'Jaipur',
  amount: 1_000_000,
  mode: 'neft_rtgs',
  reference: `SBIN0261134${id}`,
  requested_by: 'holder1',
  status: 'pending',
  reason: null,
  created_ms: Date.now() - 60_000,
});
const held = (txn_id: number): HeldRow => ({
  txn_id,
  receipt_no: `RJ-JPR-0001-001-${txn_id}`,
  kiosk_code: 'RJ-JPR-0001',
  district: 'Jaipur',
  total: 58_900,
  created_ms: Date.now() - 60_000,
});
const ticket = (id: string): Ticket => ({
  id,
  kiosk_code: 'RJ-JPR-0001',
  district: 'Jaipur',
  raised_by: 'holder1',
  category: 'printer',
  subject: `Printer ${id}`,
  status: 'open',
  receipt_no: null,
  created_ms: Date.now() - 60_000,
  updated_ms: Date.now() - 60_000,
});
const alert = (id: number | null): Alert => ({
  id,
  kind: id === null ? 'stuck' : 'clock',
  kiosk_code: id === null ? 'RJ-JPR-0009' : `RJ-JPR-${id}`,
  district: 'Jaipur',
  detail: 'PC clock 11 min ahead',
  at_ms: Date.now() - 3_600_000,
  acked_by: null,
  acked_ms: null,
  note: null,
});
const settle = (id: string, txn_id: number): Proposal => ({
  ...refillProposal(id, 'ravi.jpr'),
  kind: 'settle',
  detail: { txn_id, receipt_no: null, confirm: true, reason: '' },
});
const noProposals = { body: listPage([]) };

// Each paged list: its page, its rows' test id, the route and cursor name,
// two pages of rows, and any other route the page asks.
const lists: {
  name: string;
  page: Component;
  row: string;
  route: string;
  cursor: string;
  first: unknown[];
  second: unknown[];
  also?: Record<string, { body: unknown }>;
}[] = [
  {
    name: 'refill requests',
    page: Requests,
    row: 'request-row',
    route: 'GET /console/api/refill-requests',
    cursor: 'before',
    first: [request('a1'), request('a2')],
    second: [request('a3')],
    also: { 'GET /console/api/proposals': noProposals },
  },
  {
    name: 'held payments',
    page: Held,
    row: 'held-row',
    route: 'GET /console/api/held',
    cursor: 'after',
    first: [held(11), held(12)],
    second: [held(13)],
    also: { 'GET /console/api/proposals': noProposals },
  },
  {
    name: 'proposals',
    page: Approvals,
    row: 'proposal-row',
    route: 'GET /console/api/proposals',
    cursor: 'before',
    first: [refillProposal('p1', 'ravi.jpr'), refillProposal('p2', 'ravi.jpr')],
    second: [refillProposal('p3', 'ravi.jpr')],
  },
  {
    name: 'alerts',
    page: Alerts,
    row: 'alert-row',
    route: 'GET /console/api/alerts',
    cursor: 'before',
    first: [alert(null), alert(9), alert(8)],
    second: [alert(7)],
  },
  {
    name: 'tickets',
    page: Tickets,
    row: 'ticket-row',
    route: 'GET /console/api/tickets',
    cursor: 'before',
    first: [ticket('t1'), ticket('t2')],
    second: [ticket('t3')],
  },
];

describe('paged lists', () => {
  for (const l of lists) {
    it(`${l.name}: "Load more" appends the next page and goes once nothing follows`, async () => {
      loginAs(stateAdmin);
      const calls = mockFetch({
        ...l.also,
        [l.route]: pagedRoute(
          [
            { cursor: null, rows: l.first, next: 'c-1' },
            { cursor: 'c-1', rows: l.second, next: null },
          ],
          l.cursor,
        ),
      });
      render(l.page);
      expect(await screen.findAllByTestId(l.row)).toHaveLength(l.first.length);
      expect(screen.getByTestId('list-shown').textContent).toContain(String(l.first.length));
      await fireEvent.click(screen.getByTestId('load-more'));
      await waitFor(() => expect(screen.getAllByTestId(l.row)).toHaveLength(l.first.length + l.second.length));
      expect(screen.queryByTestId('load-more')).toBeNull();
      const asked = calls.filter((c) => `${c.method} ${c.path}` === l.route);
      expect(asked.map((c) => c.query.get(l.cursor))).toEqual([null, 'c-1']);
      // The other cursor is never sent; the server's page size is kept.
      for (const c of asked) {
        expect(c.query.has(l.cursor === 'before' ? 'after' : 'before')).toBe(false);
        expect(c.query.has('limit')).toBe(false);
      }
    });
  }

  it('no "Load more" when the first page is all there is', async () => {
    loginAs(stateAdmin);
    mockFetch({ 'GET /console/api/tickets': { body: listPage([ticket('t1')]) } });
    render(Tickets);
    await screen.findAllByTestId('ticket-row');
    expect(screen.queryByTestId('load-more')).toBeNull();
  });

  it('a page that fails to load says why, keeps the rows, and can be asked again', async () => {
    loginAs(stateAdmin);
    let fail = true;
    mockFetch({
      'GET /console/api/tickets': (c) => {
        if (!c.query.get('before')) return { body: listPage([ticket('t1'), ticket('t2')], 'c-1') };
        if (fail) return { status: 502, text: 'bad gateway' };
        return { body: listPage([ticket('t3')]) };
      },
    });
    render(Tickets);
    await screen.findAllByTestId('ticket-row');
    await fireEvent.click(screen.getByTestId('load-more'));
    expect(await screen.findByTestId('load-more-error')).toBeTruthy();
    expect(screen.getAllByTestId('ticket-row')).toHaveLength(2);
    fail = false;
    await fireEvent.click(screen.getByTestId('load-more'));
    await waitFor(() => expect(screen.getAllByTestId('ticket-row')).toHaveLength(3));
    expect(screen.queryByTestId('load-more-error')).toBeNull();
  });

  it('another status starts the list over from its first page', async () => {
    loginAs(stateAdmin);
    const calls = mockFetch({
      'GET /console/api/proposals': (c) =>
        c.query.get('status') === 'all'
          ? { body: listPage([refillProposal('x1', 'ravi.jpr')]) }
          : { body: listPage([refillProposal('p1', 'ravi.jpr'), refillProposal('p2', 'ravi.jpr')], 'c-1') },
    });
    render(Approvals);
    await screen.findAllByTestId('proposal-row');
    const select = screen.getByTestId('proposal-status') as HTMLSelectElement;
    // Svelte reads a select's choice with :checked, which happy-dom does not match on options.
    const find = select.querySelector.bind(select);
    select.querySelector = ((q: string) => (q === ':checked' ? select.selectedOptions[0] : find(q))) as typeof select.querySelector;
    select.value = 'all';
    await fireEvent.change(select);
    await waitFor(() => expect(screen.getAllByTestId('proposal-row')).toHaveLength(1));
    expect(screen.queryByTestId('load-more')).toBeNull();
    expect(calls.at(-1)!.query.get('status')).toBe('all');
    expect(calls.at(-1)!.query.has('before')).toBe(false);
  });

  it('the button speaks Hindi too', async () => {
    loginAs(stateAdmin);
    setLang('hi');
    mockFetch({ 'GET /console/api/alerts': { body: listPage([alert(5)], 'c-1') } });
    render(Alerts);
    expect((await screen.findByTestId('load-more')).textContent).toContain('और दिखाएँ');
  });

  it('a request or held payment proposed on a later page of proposals is still shown as awaiting', async () => {
    loginAs(stateAdmin);
    const proposals = pagedRoute([
      { cursor: null, rows: [refillProposal('p1', 'ravi.jpr')], next: 'c-1' },
      {
        cursor: 'c-1',
        rows: [{ ...refillProposal('p2', 'ravi.jpr'), detail: { mode: 'neft_rtgs', reference: 'R', request_id: 'a1' } }, settle('p3', 11)],
        next: null,
      },
    ]);
    const calls = mockFetch({
      'GET /console/api/proposals': proposals,
      'GET /console/api/refill-requests': { body: listPage([request('a1')]) },
      'GET /console/api/held': { body: listPage([held(11)]) },
    });
    render(Requests);
    const [r] = await screen.findAllByTestId('request-row');
    await waitFor(() => expect(r.textContent).toContain('ravi.jpr'));
    expect(r.querySelector('[data-testid="propose-credit"]')).toBeNull();
    const asked = calls.filter((c) => c.path === '/console/api/proposals');
    expect(asked.map((c) => [c.query.get('status'), c.query.get('limit'), c.query.get('before')])).toEqual([
      ['pending', '500', null],
      ['pending', '500', 'c-1'],
    ]);
    render(Held);
    const [h] = await screen.findAllByTestId('held-row');
    expect(h.querySelector('[data-testid="propose-confirm"]')).toBeNull();
  });
});

describe('api paging', () => {
  it('sends limit and the cursor by the name each list takes', async () => {
    loginAs(stateAdmin);
    const calls = mockFetch({
      'GET /console/api/held': { body: listPage([]) },
      'GET /console/api/tickets': { body: listPage([]) },
    });
    await api.held({ limit: 25, cursor: '1700000000000:17' });
    await api.tickets('', { limit: 10, cursor: '1700000000000:t-1' });
    expect([...calls[0].query.entries()]).toEqual([
      ['limit', '25'],
      ['after', '1700000000000:17'],
    ]);
    expect([...calls[1].query.entries()]).toEqual([
      ['limit', '10'],
      ['before', '1700000000000:t-1'],
    ]);
  });
});
