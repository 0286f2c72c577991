// Users in the in-memory backend (tests, screenshot harness): the rules the
// service layer applies (the holder only; a login of 3–32 of a–z 0–9 . _ -
// not taken; a plain name; an Indian mobile; a known role; no deactivating
// oneself), changes that wait while offline and are applied by the "centre"
// when the link is back. Not used by the real app.
import type { UserChangeView, UserList, UserView } from './bindings';

type Fail = (code: string, details?: unknown) => never;

export interface UserCtx {
  fail: Fail;
  needSession(): void;
  role(): string;
  login(): string;
  online(): boolean;
}

const BIDI = /[\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/;
const ROLES = ['operator', 'holder'];

function mobileOf(s: string): string | null {
  const t = s.trim();
  const plus = t.startsWith('+');
  const rest = plus ? t.slice(1) : t;
  if (!/^[0-9 -]*$/.test(rest)) return null;
  const d = rest.replace(/[ -]/g, '');
  const ten = d.length === 12 && d.startsWith('91') ? d.slice(2) : !plus && d.length === 11 && d.startsWith('0') ? d.slice(1) : !plus && d.length === 10 ? d : null;
  return ten && /^[6-9]/.test(ten) ? ten : null;
}

export function userCommands(ctx: UserCtx): {
  cmds: Record<string, (a: any) => unknown>;
  /** The link came back: the centre applies the changes on their way. */
  sync(): void;
} {
  const users: UserView[] = [
    { login: 'holder.rj14', name: 'Suresh Kumar', role: 'holder', active: true, must_change_password: false, mobile_hint: '3210', at_centre: true, pending: [], is_me: false },
    { login: 'ramesh.op', name: 'Ramesh Sharma', role: 'operator', active: true, must_change_password: false, mobile_hint: '7788', at_centre: true, pending: [], is_me: false },
    { login: 'geeta.op', name: 'गीता मीणा', role: 'operator', active: false, must_change_password: false, mobile_hint: '4521', at_centre: true, pending: [], is_me: false },
  ];
  const changes: UserChangeView[] = [];
  const find = (login: string) => users.find((u) => u.login === login);
  const willBeActive = (u: UserView) => {
    const last = [...u.pending].reverse().find((p) => p !== 'reset_password');
    return last ? last !== 'deactivate' : u.active;
  };
  const view = (): UserList => ({
    users: users
      .map((u) => ({ ...u, pending: [...u.pending], is_me: u.login === ctx.login() }))
      .sort((a, b) => (a.login < b.login ? -1 : 1)),
    changes: changes.map((c) => ({ ...c })),
    roles: ROLES,
  });
  const holder = () => {
    ctx.needSession();
    if (ctx.role() !== 'holder') ctx.fail('session.holder_only');
  };
  const sync = () => {
    if (!ctx.online()) return;
    for (const c of [...changes].reverse()) {
      if (c.state !== 'queued') continue;
      const u = find(c.login);
      c.state = 'applied';
      if (!u) continue;
      u.pending.shift();
      if (c.action === 'add') u.at_centre = u.active = u.must_change_password = true;
      if (c.action === 'deactivate') u.active = false;
      if (c.action === 'reactivate') u.active = true;
      if (c.action === 'reset_password') u.must_change_password = true;
    }
  };
  const queue = (login: string, action: string) => {
    changes.unshift({ id: `uc-${changes.length + 1}`, login, action, made_by: ctx.login(), created_at: new Date().toISOString(), state: 'queued', code: null });
    find(login)!.pending.push(action);
    sync();
    return view();
  };
  const cmds: Record<string, (a: any) => unknown> = {
    users: () => (holder(), view()),
    user_add: (a: { login?: string; name?: string; mobile?: string; role?: string }) => {
      holder();
      const login = (a.login ?? '').trim().toLowerCase();
      if (!/^[a-z0-9._-]{3,32}$/.test(login)) ctx.fail('operator.login_invalid');
      if (find(login)) ctx.fail('operator.login_taken');
      const name = (a.name ?? '').trim();
      if (!name || [...name].length > 100 || BIDI.test(name)) ctx.fail('operator.name_invalid');
      const m = mobileOf(a.mobile ?? '');
      if (!m) ctx.fail('operator.no_mobile');
      if (!ROLES.includes(a.role ?? '')) ctx.fail('operator.role_invalid');
      users.push({ login, name, role: a.role!, active: false, must_change_password: true, mobile_hint: m!.slice(-4), at_centre: false, pending: [], is_me: false });
      return queue(login, 'add');
    },
    user_set_active: (a: { login?: string; active?: boolean }) => {
      holder();
      const u = find((a.login ?? '').trim().toLowerCase());
      if (!u) ctx.fail('operator.unknown');
      if (!a.active && u!.login === ctx.login()) ctx.fail('operator.self_deactivate');
      const now = willBeActive(u!);
      if (!a.active && !now) ctx.fail('operator.inactive');
      if (a.active && now) ctx.fail('operator.already_active');
      return queue(u!.login, a.active ? 'reactivate' : 'deactivate');
    },
    user_reset_password: (a: { login?: string }) => {
      holder();
      const u = find((a.login ?? '').trim().toLowerCase());
      if (!u) ctx.fail('operator.unknown');
      if (u!.pending.some((p) => p === 'add' || p === 'reset_password')) ctx.fail('operator.change_pending');
      if (!willBeActive(u!)) ctx.fail('operator.inactive');
      if (!u!.mobile_hint) ctx.fail('operator.no_mobile');
      return queue(u!.login, 'reset_password');
    },
  };
  return { cmds, sync };
}
