// The one client of /console/api (docs/console-api.md). Every call goes
// through request(): same-origin cookie, the session's CSRF token on every
// change, errors as ApiError with the server's code, and a 401 anywhere
// (but on login itself) ends the session.
import { endSession, session, sessionUsed } from './session.svelte';
import type {
  Alert,
  Audit,
  Catalogue,
  Device,
  Held,
  Id,
  Dues,
  KioskDetail,
  KioskRow,
  KioskStatus,
  ListPage,
  NewProposal,
  Page,
  PageQuery,
  Proposal,
  ProposalStatus,
  Publish,
  Reconcile,
  RefillRequest,
  Rows,
  Session,
  Ticket,
  TicketDetail,
  TicketStatus,
} from './types';

export const API_BASE = '/console/api';

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  /** Seconds to wait, when the server says (Retry-After). */
  readonly retryAfterS: number | null;
  constructor(status: number, code: string, message: string, retryAfterS: number | null = null) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.retryAfterS = retryAfterS;
  }
}

type Query = Record<string, string | number | null | undefined>;

/** `/console/api/<path>?<non-empty params>`. */
export function apiUrl(path: string, query?: Query): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) {
    if (v !== null && v !== undefined && v !== '') q.set(k, String(v));
  }
  const s = q.toString();
  return `${API_BASE}${path}${s ? `?${s}` : ''}`;
}

async function errorFrom(res: Response): Promise<ApiError> {
  const ra = Number(res.headers.get('retry-after'));
  const retry = Number.isFinite(ra) && ra > 0 ? ra : null;
  let body: unknown = null;
  try {
    body = await res.json();
  } catch {
    // Not JSON (a proxy's page): the status is all there is.
  }
  const b = body as { code?: unknown; message?: unknown } | null;
  if (b && typeof b.code === 'string' && b.code) {
    return new ApiError(res.status, b.code, typeof b.message === 'string' ? b.message : '', retry);
  }
  return new ApiError(res.status, `http.${res.status}`, res.statusText, retry);
}

interface Opts {
  query?: Query;
  body?: unknown;
  /** A 401 here means "not logged in yet", not "session ended". */
  quiet401?: boolean;
}

async function request<T>(method: 'GET' | 'POST', path: string, opts: Opts = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET') {
    const csrf = session.current?.csrf;
    if (csrf) headers['x-csrf'] = csrf;
  }
  let res: Response;
  try {
    res = await fetch(apiUrl(path, opts.query), {
      method,
      credentials: 'same-origin',
      headers,
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
    });
  } catch (e) {
    throw new ApiError(0, 'network', String(e));
  }
  if (!res.ok) {
    const err = await errorFrom(res);
    if (res.status === 401 && !opts.quiet401) endSession();
    throw err;
  }
  if (!opts.quiet401) sessionUsed();
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

const get = <T>(path: string, query?: Query) => request<T>('GET', path, { query });
const post = <T>(path: string, body?: unknown) => request<T>('POST', path, { body: body ?? {} });
const seg = (id: Id) => encodeURIComponent(String(id));
/** A page's query: the cursor goes in `before`, or `after` for the one oldest-first list. */
const paging = (p: PageQuery, cursor: 'before' | 'after' = 'before'): Query => ({ limit: p.limit, [cursor]: p.cursor });

/** Rows per page the server gives at most. */
export const PAGE_MAX = 500;

export const api = {
  login: (login: string, password: string) =>
    request<Session>('POST', '/login', { body: { login, password }, quiet401: true }),
  me: () => request<Session>('GET', '/me', { quiet401: true }),
  logout: () => post<void>('/logout'),

  kiosks: (q: { district?: string; status?: KioskStatus; q?: string; page?: number; per_page?: number }) =>
    get<Page<KioskRow>>('/kiosks', q),
  kiosk: (code: string) => get<KioskDetail>(`/kiosks/${seg(code)}`),
  deregister: (id: Id, reason: string) => post<{ device: Device }>(`/devices/${seg(id)}/deregister`, { reason }),

  refillRequests: (status = 'pending', page: PageQuery = {}) =>
    get<ListPage<RefillRequest>>('/refill-requests', { status, ...paging(page) }),
  rejectRefillRequest: (id: Id, reason: string) =>
    post<{ request: RefillRequest }>(`/refill-requests/${seg(id)}/reject`, { reason }),
  held: (page: PageQuery = {}) => get<ListPage<Held>>('/held', paging(page, 'after')),
  dues: () => get<Rows<Dues>>('/dues'),

  proposals: (status: ProposalStatus | 'all' = 'pending', page: PageQuery = {}) =>
    get<ListPage<Proposal>>('/proposals', { status, ...paging(page) }),
  /**
   * Every pending proposal, page after page: the Requests and Held tabs
   * mark what already waits for a checker (the queue is short by nature).
   */
  async pendingProposals(): Promise<Proposal[]> {
    const out: Proposal[] = [];
    let cursor: string | null = null;
    for (;;) {
      const p: ListPage<Proposal> = await api.proposals('pending', { limit: PAGE_MAX, cursor });
      out.push(...p.rows);
      if (!p.more || !p.next || p.next === cursor) return out;
      cursor = p.next;
    }
  },
  propose: (p: NewProposal) => post<{ proposal: Proposal }>('/proposals', p),
  approve: (id: Id) => post<{ proposal: Proposal }>(`/proposals/${seg(id)}/approve`),
  rejectProposal: (id: Id, reason: string) => post<{ proposal: Proposal }>(`/proposals/${seg(id)}/reject`, { reason }),

  alerts: (status: 'open' | 'acked' | 'all' = 'open', page: PageQuery = {}) =>
    get<ListPage<Alert>>('/alerts', { status, ...paging(page) }),
  ack: (id: Id, note: string) => post<{ alert: Alert }>(`/alerts/${seg(id)}/ack`, { note }),

  tickets: (status?: TicketStatus | '', page: PageQuery = {}) => get<ListPage<Ticket>>('/tickets', { status, ...paging(page) }),
  ticket: (id: Id) => get<TicketDetail>(`/tickets/${seg(id)}`),
  reply: (id: Id, text: string, status?: TicketStatus) =>
    post<{ ticket: Ticket }>(`/tickets/${seg(id)}/reply`, status ? { text, status } : { text }),

  catalogue: () => get<Catalogue>('/catalogue'),
  publish: (p: Publish) => post<{ version: number }>('/catalogue', p),

  reconcile: (date: string, department: string) => get<Reconcile>('/reconcile', { date, department }),
  audit: (page: number, per_page: number) => get<Page<Audit>>('/audit', { page, per_page }),
};

/** Links the browser downloads itself (the session cookie goes along). */
export const csv = {
  reconcile: (date: string, department: string) => apiUrl('/reconcile.csv', { date, department }),
  audit: () => apiUrl('/audit.csv'),
};
