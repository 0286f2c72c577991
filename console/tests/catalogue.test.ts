import { describe, expect, it } from 'vitest';
import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import Catalogue from '../src/pages/Catalogue.svelte';
import { check, draftOf } from '../src/lib/catalogue';
import type { Service } from '../src/lib/types';
import { districtAdmin, loginAs, mockFetch, stateAdmin } from './helpers';

const svc = (code: string, over: Partial<Service> = {}): Service => ({
  code,
  department: 'JVVNL',
  name_en: `Electricity bill ${code}`,
  name_hi: `बिजली बिल ${code}`,
  state_rate: 3_000,
  charge: 2_000,
  commission: 1_000,
  active: true,
  ...over,
});
const cat = { version: 7, loaded_ms: Date.now(), departments: [{ code: 'JVVNL', name_en: 'Jaipur Discom' }], services: [svc('ELEC1'), svc('ELEC2')] };

describe('catalogue rules', () => {
  it('refuses a commission above the charge and a charge above the state rate', () => {
    const s = svc('A');
    expect(check(s, { ...draftOf(s), commission: '25.00' }).errors.commission).toBe('catalogue.commission_above_charge');
    expect(check(s, { ...draftOf(s), charge: '30.01' }).errors.charge).toBe('catalogue.charge_above_rate');
    expect(check(s, { ...draftOf(s), charge: '30.00' }).change).toEqual({ code: 'A', charge: 3_000, commission: 1_000, active: true });
    expect(check(s, draftOf(s))).toEqual({ change: null, changed: false, errors: {} });
    expect(check(s, { ...draftOf(s), charge: '12.345' }).errors.charge).toBe('money.too_many_decimals');
    // As published (charge ₹0, the department pays the commission): only a row sent is checked.
    const elec = svc('JVVNL-BILL', { charge: 0, commission: 600 });
    expect(check(elec, draftOf(elec))).toEqual({ change: null, changed: false, errors: {} });
    expect(check(elec, { ...draftOf(elec), active: false }).errors.commission).toBe('catalogue.commission_above_charge');
  });
});

describe('catalogue page', () => {
  it('will not publish a commission above the charge', async () => {
    loginAs(stateAdmin);
    const calls = mockFetch({ 'GET /console/api/catalogue': { body: cat } });
    render(Catalogue);
    const rows = await screen.findAllByTestId('service-row');
    const commission = rows[0].querySelector('[data-testid="commission"]') as HTMLInputElement;
    await fireEvent.input(commission, { target: { value: '21' } });
    expect(rows[0].querySelector('[data-testid="commission-error"]')?.textContent).toBe('More than the charge.');
    expect(commission.getAttribute('aria-invalid')).toBe('true');
    const publish = screen.getByTestId('publish') as HTMLButtonElement;
    expect(publish.disabled).toBe(true);
    await fireEvent.click(publish);
    expect(calls.filter((c) => c.method === 'POST')).toHaveLength(0);
  });

  it('publishes version N+1 with only the changed services', async () => {
    loginAs(stateAdmin);
    const calls = mockFetch({
      'GET /console/api/catalogue': { body: cat },
      'POST /console/api/catalogue': { body: { version: 8 } },
    });
    render(Catalogue);
    const rows = await screen.findAllByTestId('service-row');
    expect(screen.getByTestId('publish').textContent).toBe('Publish version 8');
    await fireEvent.input(rows[1].querySelector('[data-testid="charge"]')!, { target: { value: '25.50' } });
    await fireEvent.click(rows[1].querySelector('[data-testid="active"]')!);
    await fireEvent.click(screen.getByTestId('publish'));
    await waitFor(() => expect(calls.some((c) => c.method === 'POST')).toBe(true));
    expect(calls.find((c) => c.method === 'POST')!.body).toEqual({
      base_version: 7,
      services: [{ code: 'ELEC2', charge: 2_550, commission: 1_000, active: false }],
    });
  });

  it('explains catalogue.stale and reloads keeping the edits', async () => {
    loginAs(stateAdmin);
    let version = 7;
    mockFetch({
      'GET /console/api/catalogue': () => ({ body: { ...cat, version } }),
      'POST /console/api/catalogue': () => {
        version = 8;
        return { status: 409, body: { code: 'catalogue.stale', message: 'base_version 7 is not 8' } };
      },
    });
    render(Catalogue);
    const rows = await screen.findAllByTestId('service-row');
    await fireEvent.input(rows[0].querySelector('[data-testid="charge"]')!, { target: { value: '22' } });
    await fireEvent.click(screen.getByTestId('publish'));
    expect((await screen.findByTestId('stale')).textContent).toContain('newer catalogue');
    await fireEvent.click(screen.getByTestId('reload-keep'));
    await waitFor(() => expect(screen.getByTestId('publish').textContent).toBe('Publish version 9'));
    expect((screen.getAllByTestId('charge')[0] as HTMLInputElement).value).toBe('22');
  });

  it('a district admin reads the catalogue without inputs or publish', async () => {
    loginAs(districtAdmin);
    mockFetch({ 'GET /console/api/catalogue': { body: cat } });
    render(Catalogue);
    await screen.findAllByTestId('service-row');
    expect(screen.queryByTestId('publish')).toBeNull();
    expect(screen.queryByTestId('charge')).toBeNull();
  });
});
