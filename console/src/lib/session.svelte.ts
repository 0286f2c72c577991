// Who is logged in. `ended` tells the login screen to say why it is shown.
import type { Admin, Session } from './types';

export const session = $state<{
  current: Session | null;
  ended: boolean;
  /** When the session ends if nothing more is asked (this PC's clock). */
  endsAt: number | null;
}>({ current: null, ended: false, endsAt: null });

// The quiet time each request restores, and the 8-hour end no request moves.
let idleMs = 15 * 60_000;
let hardEnd = Infinity;

export function startSession(s: Session, now = Date.now()): void {
  session.current = s;
  session.ended = false;
  const left = s.left_ms ?? s.expires_ms - now;
  idleMs = s.idle_ms ?? left;
  hardEnd = s.max_left_ms === undefined ? Infinity : now + s.max_left_ms;
  session.endsAt = now + left;
}

/** A request the server answered: the session lives another quiet spell. */
export function sessionUsed(now = Date.now()): void {
  if (session.current) session.endsAt = Math.min(now + idleMs, hardEnd);
}

/** Whether asking the server again would move the end (not at the 8 hours). */
export function canExtend(now = Date.now()): boolean {
  return now + idleMs > (session.endsAt ?? 0) + 1000 && (session.endsAt ?? 0) < hardEnd;
}

/** The server stopped knowing us (401): back to the login screen, saying so. */
export function endSession(): void {
  if (session.current) session.ended = true;
  session.current = null;
  session.endsAt = null;
}

/** Logged out on purpose: no "session ended" note. */
export function clearSession(): void {
  session.current = null;
  session.ended = false;
  session.endsAt = null;
}

export function admin(): Admin | null {
  return session.current?.admin ?? null;
}

/** Auditors look only; the server refuses them anyway (console.read_only). */
export function canChange(): boolean {
  const a = admin();
  return !!a && a.role !== 'auditor';
}

/** Only the state may publish a catalogue. */
export function canPublish(): boolean {
  return admin()?.role === 'state';
}
