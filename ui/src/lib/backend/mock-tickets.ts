// Tickets in the in-memory backend (tests, screenshot harness): the rules
// the service layer applies (category from the list, a description that is
// required, at most 2,000 characters and free of direction-changing
// characters, a receipt this kiosk holds), a ticket that waits while
// offline, and a reply from the helpdesk on demand. Not used by the real app.
import type { TicketRaised, TicketView } from './bindings';

type Fail = (code: string, details?: unknown) => never;

export interface TicketCtx {
  fail: Fail;
  needSession(): void;
  login(): string;
  online(): boolean;
  /** The receipt's number as the centre would get it, or null if unknown. */
  receiptNo(key: string): string | null;
}

export const TICKET_CATEGORIES = ['payment', 'receipt', 'sync', 'printer', 'wallet', 'login', 'other'];
const BIDI = /[\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/;

export function ticketCommands(ctx: TicketCtx): {
  cmds: Record<string, (a: any) => unknown>;
  /** The helpdesk answers the newest ticket (what a pull would bring). */
  reply(text: string, status?: string): void;
  /** The link came back: queued tickets reach the centre. */
  sync(): void;
} {
  const tickets: TicketView[] = [];
  let replyNo = 0;
  const sync = () => {
    if (!ctx.online()) return;
    for (const t of tickets) if (t.state === 'queued') t.state = 'open';
  };
  const cmds: Record<string, (a: any) => unknown> = {
    tickets: () => {
      ctx.needSession();
      return { tickets: tickets.map((t) => ({ ...t, replies: [...t.replies] })), categories: TICKET_CATEGORIES };
    },
    ticket_raise: (a: { category?: string; description?: string; receipt_no?: string; attach_bundle?: boolean }): TicketRaised => {
      ctx.needSession();
      if (!TICKET_CATEGORIES.includes(a.category ?? '')) ctx.fail('ticket.category_unknown');
      const text = (a.description ?? '').replace(/\r\n/g, '\n');
      if (BIDI.test(text)) ctx.fail('text.bidi_control');
      const clean = text
        .split('\n')
        .map((l) => l.trim())
        .join('\n')
        .replace(/^\n+|\n+$/g, '');
      if (!clean) ctx.fail('ticket.description_required');
      if ([...clean].length > 2000) ctx.fail('ticket.description_too_long');
      let receipt: string | null = null;
      if (a.receipt_no?.trim()) {
        receipt = ctx.receiptNo(a.receipt_no.trim());
        if (!receipt) ctx.fail('receipt.not_found');
      }
      const bundle = a.attach_bundle ? { bytes: 6_211, log_lines: 87, capped: false, log_lines_dropped: 0 } : null;
      const t: TicketView = {
        id: `t-${tickets.length + 1}`,
        category: a.category!,
        subject: clean.split('\n')[0].slice(0, 120),
        description: clean,
        receipt_no: receipt,
        raised_by: ctx.login(),
        created_at: new Date().toISOString(),
        state: 'queued',
        reject_code: null,
        bundle_bytes: bundle?.bytes ?? 0,
        replies: [],
      };
      tickets.unshift(t);
      sync();
      return { ticket: { ...t }, bundle };
    },
  };
  const reply = (text: string, status = 'resolved') => {
    const t = tickets[0];
    if (!t) return;
    t.replies.push({ id: ++replyNo, status, text, at: new Date().toISOString() });
    t.state = status;
  };
  return { cmds, reply, sync };
}
