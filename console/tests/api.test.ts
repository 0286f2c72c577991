import { describe, expect, it } from 'vitest';
import { api, ApiError, apiUrl } from '../src/lib/api';
import { session } from '../src/lib/session.svelte';
import { loginAs, mockFetch, stateAdmin } from './helpers';

describe('api client', () => {
  it('sends the session CSRF token and the cookie on a change', async () => {
    loginAs(stateAdmin, 'tok-123');
    const calls = mockFetch({ 'POST /console/api/proposals/p1/approve': { body: { proposal: {} } } });
    await api.approve('p1');
    expect(calls).toHaveLength(1);
    expect(calls[0].headers['x-csrf']).toBe('tok-123');
    expect(calls[0].credentials).toBe('same-origin');
  });

  it('sends a JSON body with the token on every kind of change', async () => {
    loginAs(stateAdmin, 'tok-9');
    const calls = mockFetch({
      'POST /console/api/devices/d%201/deregister': { body: { device: {} } },
      'POST /console/api/logout': { status: 204 },
    });
    await api.deregister('d 1', 'PC stolen');
    await api.logout();
    expect(calls.map((c) => c.headers['x-csrf'])).toEqual(['tok-9', 'tok-9']);
    expect(calls[0].body).toEqual({ reason: 'PC stolen' });
    expect(calls[0].headers['content-type']).toBe('application/json');
  });

  it('sends no CSRF header on a GET, and drops empty query values', async () => {
    loginAs(stateAdmin);
    const calls = mockFetch({ 'GET /console/api/kiosks': { body: { total: 0, page: 1, per_page: 50, rows: [] } } });
    await api.kiosks({ district: '', status: 'stuck', q: 'JPR', page: 2, per_page: 50 });
    expect(calls[0].headers['x-csrf']).toBeUndefined();
    expect(calls[0].credentials).toBe('same-origin');
    expect([...calls[0].query.entries()]).toEqual([
      ['status', 'stuck'],
      ['q', 'JPR'],
      ['page', '2'],
      ['per_page', '50'],
    ]);
  });

  it('turns {code, message} into an ApiError with the code and status', async () => {
    loginAs(stateAdmin);
    mockFetch({
      'POST /console/api/proposals/p1/approve': {
        status: 409,
        body: { code: 'console.self_approval', message: 'the proposer may not approve' },
      },
    });
    const e = await api.approve('p1').catch((x) => x);
    expect(e).toBeInstanceOf(ApiError);
    expect(e.code).toBe('console.self_approval');
    expect(e.status).toBe(409);
    expect(e.message).toBe('the proposer may not approve');
    expect(session.current).not.toBeNull();
  });

  it('gives an error without a JSON body the code http.<status>', async () => {
    loginAs(stateAdmin);
    mockFetch({ 'GET /console/api/held': { status: 502, text: '<html>Bad gateway</html>' } });
    const e = await api.held().catch((x) => x);
    expect(e.code).toBe('http.502');
  });

  it('reads Retry-After into the error', async () => {
    mockFetch({
      'POST /console/api/login': { status: 429, body: { code: 'request.rate_limited', message: '' }, headers: { 'retry-after': '40' } },
    });
    const e = await api.login('a', 'b').catch((x) => x);
    expect(e.code).toBe('request.rate_limited');
    expect(e.retryAfterS).toBe(40);
  });

  it('a network failure is the code "network"', async () => {
    loginAs(stateAdmin);
    const { vi } = await import('vitest');
    vi.stubGlobal('fetch', vi.fn(async () => Promise.reject(new TypeError('Failed to fetch'))));
    const e = await api.alerts().catch((x) => x);
    expect(e.code).toBe('network');
    expect(session.current).not.toBeNull();
  });

  it('a 401 on any call ends the session, saying so', async () => {
    loginAs(stateAdmin);
    mockFetch({ 'GET /console/api/kiosks': { status: 401, body: { code: 'auth.token_expired', message: '' } } });
    const e = await api.kiosks({}).catch((x) => x);
    expect(e.code).toBe('auth.token_expired');
    expect(session.current).toBeNull();
    expect(session.ended).toBe(true);
  });

  it('a 401 on login itself is wrong credentials, not an ended session', async () => {
    mockFetch({ 'POST /console/api/login': { status: 401, body: { code: 'auth.bad_credentials', message: '' } } });
    const e = await api.login('x', 'y').catch((x) => x);
    expect(e.code).toBe('auth.bad_credentials');
    expect(session.ended).toBe(false);
  });

  it('builds the CSV links under /console/api', () => {
    expect(apiUrl('/reconcile.csv', { date: '2026-03-01', department: '' })).toBe('/console/api/reconcile.csv?date=2026-03-01');
  });
});
