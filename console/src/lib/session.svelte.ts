// Who is logged in. `ended` tells the login screen to say why it is shown.
import type { Admin, Session } from './types';

export const session = $state<{ current: Session | null; ended: boolean }>({ current: null, ended: false });

export function startSession(s: Session): void {
  session.current = s;
  session.ended = false;
}

/** The server stopped knowing us (401): back to the login screen, saying so. */
export function endSession(): void {
  if (session.current) session.ended = true;
  session.current = null;
}

/** Logged out on purpose: no "session ended" note. */
export function clearSession(): void {
  session.current = null;
  session.ended = false;
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
