// The Account commands in the in-memory backend (tests, screenshot
// harness), with the service layer's rules: everything needs the centre
// (`account.online_only`), a code by SMS that the test reads from
// `sentCodes` (6 digits, 5 tries), the password policy, and de-registering
// for the holder only once nothing is left to send. Not used by the real app.
import type { AppState, DeregisterDone, ForgotView, ResetDone } from './bindings';
import { passwordRules } from '../password';

type Fail = (code: string, details?: unknown) => never;

export interface AccountCtx {
  fail: Fail;
  online(): boolean;
  phase(): AppState['phase'];
  role(): string;
  needSession(): void;
  /** Entries not yet at the centre. */
  pending(): number;
  appState(): AppState;
  /** Logs `login` in (the mock's phase and role follow). */
  loginAs(login: string): void;
  /** Back to set-up (the PC de-registered). */
  toSetup(): void;
}

/** Logins that exist (and have a registered mobile) in the mock. */
const KNOWN = ['holder.rj14', 'ramesh.op'];

export function accountCommands(ctx: AccountCtx): {
  cmds: Record<string, (a: any) => unknown>;
  /** The codes "sent by SMS", newest last, by login. */
  sentCodes: Array<{ login: string; code: string }>;
} {
  const sentCodes: Array<{ login: string; code: string }> = [];
  const live = new Map<string, { code: string; tries: number }>();
  const passwords: Record<string, string> = { 'holder.rj14': 'Demo@Holder1', 'ramesh.op': 'Demo@Oper1' };
  let n = 0;
  const policy = (pw: string) => {
    const r = passwordRules(pw ?? '');
    if (!r.length) ctx.fail('password.too_short');
    if (!r.lower) ctx.fail('password.no_lowercase');
    if (!r.upper) ctx.fail('password.no_uppercase');
    if (!r.digit) ctx.fail('password.no_digit');
  };
  const cmds: Record<string, (a: any) => unknown> = {
    change_password: (a: { old_password?: string; new_password?: string }) => {
      if (!ctx.online()) ctx.fail('account.online_only');
      if (a.old_password === a.new_password) ctx.fail('password.unchanged');
      policy(a.new_password ?? '');
      if (!['Demo@Holder1', 'Demo@Oper1', 'First@Pass1'].includes(a.old_password ?? '')) ctx.fail('auth.bad_credentials');
      return null;
    },
    forgot_password_request: (a: { login?: string }): ForgotView => {
      const login = (a.login ?? '').trim().toLowerCase();
      if (!login) ctx.fail('login.bad_credentials');
      if (!ctx.online()) ctx.fail('account.online_only');
      // The same answer for every login; only known ones get a code.
      if (KNOWN.includes(login)) {
        const code = String(482913 + 1111 * n++).slice(-6);
        live.set(login, { code, tries: 5 });
        sentCodes.push({ login, code });
      }
      return { expires_in_secs: 600 };
    },
    forgot_password_reset: (a: { login?: string; otp?: string; new_password?: string }): ResetDone => {
      const login = (a.login ?? '').trim().toLowerCase();
      if (!/^\d{6}$/.test((a.otp ?? '').trim())) ctx.fail('otp.format');
      policy(a.new_password ?? '');
      if (!ctx.online()) ctx.fail('account.online_only');
      const l = live.get(login);
      if (!l || l.tries <= 0) ctx.fail('otp.invalid');
      l!.tries--;
      if (l!.code !== a.otp!.trim()) ctx.fail('otp.invalid');
      live.delete(login);
      passwords[login] = a.new_password!;
      if (ctx.phase() === 'setup') return { state: ctx.appState(), logged_in: false, login_error: null };
      ctx.loginAs(login);
      return { state: ctx.appState(), logged_in: true, login_error: null };
    },
    device_deregister: (a: { password?: string }): DeregisterDone => {
      ctx.needSession();
      if (ctx.role() !== 'holder') ctx.fail('session.holder_only');
      const pending = ctx.pending();
      if (pending > 0) ctx.fail('account.outbox_not_empty', { pending });
      if (!ctx.online()) ctx.fail('account.online_only');
      if (a.password !== passwords['holder.rj14']) ctx.fail('login.bad_credentials');
      ctx.toSetup();
      return { state: ctx.appState(), moved_to: '/home/kiosk/.local/share/emitra/deregistered-20261201T093000Z' };
    },
  };
  return { cmds, sentCodes };
}
