import { describe, expect, it } from 'vitest';
import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import Kiosks from '../src/pages/Kiosks.svelte';
import { route } from '../src/lib/router.svelte';
import { districtAdmin, kiosk, loginAs, mockFetch, stateAdmin, type Call } from './helpers';

function pageOf(c: Call) {
  const page = Number(c.query.get('page') ?? 1);
  const per = Number(c.query.get('per_page') ?? 50);
  const rows = Array.from({ length: Math.min(per, 120 - (page - 1) * per) }, (_, i) =>
    kiosk(`RJ-JPR-${String((page - 1) * per + i + 1).padStart(4, '0')}`),
  );
  return { body: { total: 120, page, per_page: per, rows } };
}

describe('kiosks page', () => {
  it('renders one row per kiosk with health at a glance', async () => {
    loginAs(stateAdmin);
    const now = Date.now();
    mockFetch({
      'GET /console/api/kiosks': {
        body: {
          total: 2,
          page: 1,
          per_page: 50,
          rows: [
            kiosk('RJ-JPR-0001', { last_seen_ms: now - 12 * 60_000, online: false, clock_offset_ms: 7 * 60_000 }),
            kiosk('RJ-JPR-0002', {
              stuck: true,
              outbox_depth: 14,
              oldest_pending_ms: now - 5 * 3600_000,
              inactivity_days: 22,
              wallet_balance: 12_345_678,
            }),
          ],
        },
      },
    });
    render(Kiosks);
    const rows = await screen.findAllByTestId('kiosk-row');
    expect(rows).toHaveLength(2);
    const [a, b] = rows;
    expect(a.querySelector('[data-status]')?.getAttribute('data-status')).toBe('offline');
    expect(a.textContent).toContain('12 min ago');
    expect(a.textContent).toContain('+7 min');
    expect(a.querySelectorAll('td.warn')).toHaveLength(1); // the clock only
    expect(b.querySelector('[data-status]')?.getAttribute('data-status')).toBe('stuck');
    expect(b.textContent).toContain('oldest 5 h');
    expect(b.textContent).toContain('₹1,23,456.78');
    expect(b.querySelectorAll('td.warn')).toHaveLength(2); // outbox and 22 idle days
  });

  it('pages on the server: next asks for page 2 and shows its range', async () => {
    loginAs(stateAdmin);
    const calls = mockFetch({ 'GET /console/api/kiosks': pageOf });
    render(Kiosks);
    expect(await screen.findAllByTestId('kiosk-row')).toHaveLength(50);
    expect(screen.getByTestId('pager-range').textContent).toBe('1–50 of 120');
    expect(screen.getByTestId('pager-prev').hasAttribute('disabled')).toBe(true);
    await fireEvent.click(screen.getByTestId('pager-next'));
    await waitFor(() => expect(screen.getByTestId('pager-range').textContent).toBe('51–100 of 120'));
    expect(calls.at(-1)!.query.get('page')).toBe('2');
    expect(route.query.get('page')).toBe('2');
    await fireEvent.click(screen.getByTestId('pager-next'));
    await waitFor(() => expect(screen.getByTestId('pager-range').textContent).toBe('101–120 of 120'));
    expect(screen.getAllByTestId('kiosk-row')).toHaveLength(20);
    expect(screen.getByTestId('pager-next').hasAttribute('disabled')).toBe(true);
  });

  it('filters go to the server and start again at page 1', async () => {
    loginAs(stateAdmin);
    location.hash = '#/kiosks?page=3';
    const calls = mockFetch({ 'GET /console/api/kiosks': pageOf });
    render(Kiosks);
    await screen.findAllByTestId('kiosk-row');
    await fireEvent.input(screen.getByTestId('filter-q'), { target: { value: 'Sanganer' } });
    await fireEvent.submit(screen.getByTestId('kiosk-filters'));
    await waitFor(() => expect(calls.at(-1)!.query.get('q')).toBe('Sanganer'));
    expect(calls.at(-1)!.query.get('page')).toBe('1');
  });

  it('says so when nothing matches, and when loading failed', async () => {
    loginAs(stateAdmin);
    mockFetch({ 'GET /console/api/kiosks': { body: { total: 0, page: 1, per_page: 50, rows: [] } } });
    render(Kiosks);
    expect((await screen.findByTestId('state-empty')).textContent).toContain('No kiosk matches');
  });

  it('a district admin is held to its district', async () => {
    loginAs(districtAdmin);
    const calls = mockFetch({ 'GET /console/api/kiosks': pageOf });
    render(Kiosks);
    await screen.findAllByTestId('kiosk-row');
    const input = screen.getByTestId('filter-district') as HTMLInputElement;
    expect(input.value).toBe('Jaipur');
    expect(input.disabled).toBe(true);
    expect(calls[0].query.get('district')).toBeNull();
  });
});
