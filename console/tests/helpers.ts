// A fetch stand-in: answers by "METHOD /path" and records every call.
import { vi } from 'vitest';
import { startSession } from '../src/lib/session.svelte';
import type { Admin, KioskRow, ListPage, Proposal } from '../src/lib/types';

export interface Call {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: Record<string, string>;
  body: unknown;
  credentials: RequestCredentials | undefined;
}

type Answer = { status?: number; body?: unknown; text?: string; headers?: Record<string, string> };
type Handler = (c: Call) => Answer | Promise<Answer>;

export function mockFetch(routes: Record<string, Answer | Handler>): Call[] {
  const calls: Call[] = [];
  vi.stubGlobal(
    'fetch',
    vi.fn(async (input: string, init: RequestInit = {}) => {
      const u = new URL(input, 'http://console.test');
      const c: Call = {
        method: init.method ?? 'GET',
        path: u.pathname,
        query: u.searchParams,
        headers: { ...(init.headers as Record<string, string>) },
        body: typeof init.body === 'string' ? JSON.parse(init.body) : undefined,
        credentials: init.credentials,
      };
      calls.push(c);
      const r = routes[`${c.method} ${c.path}`];
      if (!r) return new Response(JSON.stringify({ code: 'not_found', message: 'no route in test' }), { status: 404 });
      const a = typeof r === 'function' ? await r(c) : r;
      const status = a.status ?? 200;
      const body = a.text ?? (a.body === undefined ? null : JSON.stringify(a.body));
      return new Response(status === 204 ? null : body, { status, headers: { 'content-type': 'application/json', ...a.headers } });
    }),
  );
  return calls;
}

export const stateAdmin: Admin = { login: 'asha.state', name: 'Asha Verma', role: 'state', district: null };
export const districtAdmin: Admin = { login: 'ravi.jpr', name: 'Ravi Meena', role: 'district', district: 'Jaipur' };
export const auditor: Admin = { login: 'audit1', name: 'Kamla Joshi', role: 'auditor', district: null };

export function loginAs(admin: Admin, csrf = 'csrf-token-1'): void {
  startSession({ admin, csrf, expires_ms: Date.now() + 900_000 });
}

export function kiosk(code: string, over: Partial<KioskRow> = {}): KioskRow {
  return {
    code,
    name: `e-Mitra ${code}`,
    district: 'Jaipur',
    active: true,
    wallet_balance: 2_500_000,
    commission_balance: 12_000,
    last_seen_ms: Date.now() - 120_000,
    last_sync_ms: Date.now() - 120_000,
    outbox_depth: 0,
    outbox_amount: 0,
    oldest_pending_ms: null,
    app_version: '0.9.3',
    clock_offset_ms: 1_000,
    inactivity_days: 1,
    online: true,
    stuck: false,
    ...over,
  };
}

export function refillProposal(id: string, proposed_by: string): Proposal {
  return {
    id,
    kind: 'refill',
    kiosk_code: 'RJ-JPR-0001',
    district: 'Jaipur',
    amount: 2_500_000,
    detail: { mode: 'neft_rtgs', reference: 'SBIN026113400123', request_id: null },
    proposed_by,
    proposed_ms: Date.now() - 600_000,
    status: 'pending',
    decided_by: null,
    decided_ms: null,
    reason: null,
  };
}

/** A list page as the server answers it: `next` given, more follow. */
export function listPage<T>(rows: T[], next: string | null = null, limit = 100): ListPage<T> {
  return { rows, limit, more: next !== null, next };
}

/**
 * Answers a paged list by its cursor (`before`, or `after` for held
 * payments): no cursor gives `pages[0]`, a cursor the page it names.
 */
export function pagedRoute<T>(pages: { cursor: string | null; rows: T[]; next: string | null }[], param = 'before') {
  return (c: Call) => {
    const at = c.query.get(param);
    const p = pages.find((x) => x.cursor === at);
    if (!p) return { status: 400, body: { code: 'request.invalid', message: `no page at ${at}` } };
    return { body: listPage(p.rows, p.next) };
  };
}
