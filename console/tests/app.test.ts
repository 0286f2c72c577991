import { describe, expect, it } from 'vitest';
import { fireEvent, render, screen } from '@testing-library/svelte';
import App from '../src/App.svelte';
import { session } from '../src/lib/session.svelte';
import { auditor, kiosk, mockFetch, stateAdmin } from './helpers';

const me = (admin = stateAdmin) => ({ body: { admin, csrf: 'c1', expires_ms: Date.now() + 900_000 } });
const page = (rows = [kiosk('RJ-JPR-0001')]) => ({ body: { total: rows.length, page: 1, per_page: 50, rows } });

describe('the app', () => {
  it('shows the login screen when there is no session, without "session ended"', async () => {
    mockFetch({ 'GET /console/api/me': { status: 401, body: { code: 'auth.missing', message: '' } } });
    render(App);
    expect(await screen.findByTestId('login-form')).toBeTruthy();
    expect(screen.queryByTestId('session-ended')).toBeNull();
  });

  it('a 401 while working sends the admin back to the login screen saying the session ended', async () => {
    mockFetch({
      'GET /console/api/me': me(),
      'GET /console/api/kiosks': { status: 401, body: { code: 'auth.token_expired', message: '' } },
    });
    render(App);
    expect(await screen.findByTestId('session-ended')).toBeTruthy();
    expect(screen.getByTestId('login-form')).toBeTruthy();
    expect(session.current).toBeNull();
  });

  it('logs in, shows who is logged in and the kiosks', async () => {
    const calls = mockFetch({
      'GET /console/api/me': { status: 401, body: { code: 'auth.missing', message: '' } },
      'POST /console/api/login': me(),
      'GET /console/api/kiosks': page(),
    });
    render(App);
    await fireEvent.input(await screen.findByTestId('login-user'), { target: { value: 'asha.state' } });
    await fireEvent.input(screen.getByTestId('login-password'), { target: { value: 'Secret123' } });
    await fireEvent.submit(screen.getByTestId('login-form'));
    expect(await screen.findByText('RJ-JPR-0001')).toBeTruthy();
    expect(screen.getByTestId('who').textContent).toContain('Asha Verma');
    expect(calls.find((c) => c.path === '/console/api/login')?.body).toEqual({ login: 'asha.state', password: 'Secret123' });
  });

  it('says a locked login is locked', async () => {
    mockFetch({
      'GET /console/api/me': { status: 401, body: { code: 'auth.missing', message: '' } },
      'POST /console/api/login': { status: 423, body: { code: 'auth.locked', message: 'locked' } },
    });
    render(App);
    await fireEvent.input(await screen.findByTestId('login-user'), { target: { value: 'asha' } });
    await fireEvent.input(screen.getByTestId('login-password'), { target: { value: 'x' } });
    await fireEvent.submit(screen.getByTestId('login-form'));
    expect((await screen.findByTestId('login-error')).textContent).toMatch(/locked for a while/);
  });

  it('switches language from the header and remembers it', async () => {
    mockFetch({ 'GET /console/api/me': me(), 'GET /console/api/kiosks': page() });
    render(App);
    await fireEvent.click(await screen.findByTestId('lang-switch'));
    expect(screen.getByRole('link', { name: 'कियोस्क' })).toBeTruthy();
    expect(localStorage.getItem('console.lang')).toBe('hi');
    expect(document.documentElement.lang).toBe('hi');
  });

  it('an auditor gets no change buttons on a kiosk page', async () => {
    location.hash = '#/kiosks/RJ-JPR-0001';
    mockFetch({
      'GET /console/api/me': me(auditor),
      'GET /console/api/kiosks/RJ-JPR-0001': {
        body: {
          kiosk: kiosk('RJ-JPR-0001'),
          devices: [{ id: 'd1', device_no: 1, label: 'Counter PC', user_login: 'holder1', registered_ms: 1, deregistered_ms: null, high_water: 4 }],
          users: [],
          ledger: [],
          receipts: [],
          deposit_limit: 0,
        },
      },
    });
    render(App);
    expect(await screen.findByTestId('devices')).toBeTruthy();
    expect(screen.queryByTestId('deregister')).toBeNull();
    expect(screen.queryByTestId('refill-form')).toBeNull();
  });
});
