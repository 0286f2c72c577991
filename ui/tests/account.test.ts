import { describe, expect, it } from 'vitest';
import { start, Keyboard, byId, el, settle, waitFor, focused } from './helpers';
import { errorTexts } from '../src/lib/i18n/errors';
import { i18n, terr } from '../src/lib/i18n/index.svelte';
import type { Mock } from '../src/lib/backend/mock';

const callsOf = (mock: Mock, cmd: string) => mock.calls.filter((c) => c.cmd === cmd);
const last = <T>(a: T[]): T => a[a.length - 1];

async function openAccount(kb: Keyboard): Promise<void> {
  await kb.press('F12');
  // The first open fetches the back office's chunk.
  await waitFor(() => expect(el('office-menu')).toBeTruthy());
  await settle();
  await kb.press('F9');
  await waitFor(() => expect(el('account')).toBeTruthy());
  await settle();
}

/** Types into the field with this test id. */
async function typeIn(kb: Keyboard, id: string, text: string): Promise<void> {
  byId(id).focus();
  await kb.type(text);
}

/** Enter on a button (as the operator presses it). */
async function enterOn(kb: Keyboard, id: string): Promise<void> {
  byId(id).focus();
  await kb.press('Enter');
}

const rule = (id: string) => byId(`rule-${id}`).dataset.ok;

describe('account', () => {
  it('F9 opens Account; the password is changed with its rules shown as it is typed (English)', async () => {
    const { mock, root } = await start({ lang: 'en' });
    const kb = new Keyboard();
    await kb.press('F12');
    await waitFor(() => expect(el('office-menu')).toBeTruthy());
    expect(byId('office-menu-account').textContent).toContain('F9');
    expect(byId('office-menu-account').textContent).toContain('Account');
    await kb.press('F9');
    await waitFor(() => expect(el('account')).toBeTruthy());
    await settle();
    expect(root.dataset.phase).toBe('counter');
    expect(focused()).toBe('account-old');
    expect(byId('account-who').textContent!.trim()).toBe('Logged in as holder.rj14 (kiosk holder) · kiosk K-JPR-0042, PC no. 1');
    expect(el('account-offline')).toBeNull();

    await kb.type('Demo@Holder1');
    await typeIn(kb, 'account-new', 'abc');
    expect([rule('length'), rule('lower'), rule('upper'), rule('digit')]).toEqual(['0', '1', '0', '0']);
    expect((byId('account-submit') as HTMLButtonElement).disabled).toBe(true);
    await kb.type('DEF12');
    expect([rule('length'), rule('lower'), rule('upper'), rule('digit'), rule('differs')]).toEqual(['1', '1', '1', '1', '1']);
    expect(rule('same')).toBe('0');
    expect(byId('rule-length').textContent).toContain('at least 8 characters');
    await typeIn(kb, 'account-repeat', 'abcDEF12');
    expect(rule('same')).toBe('1');
    await enterOn(kb, 'account-submit');
    await waitFor(() => expect(el('account-changed')).toBeTruthy());
    expect(last(callsOf(mock, 'change_password')).args).toEqual({ old_password: 'Demo@Holder1', new_password: 'abcDEF12' });
    expect(byId('account-changed').textContent).toContain('Password changed.');
    expect((byId('account-old') as HTMLInputElement).value).toBe('');

    // A wrong current password: the centre's code, in words.
    await typeIn(kb, 'account-old', 'Wrong@Pass1');
    await typeIn(kb, 'account-new', 'Other@Pass22');
    await typeIn(kb, 'account-repeat', 'Other@Pass22');
    await enterOn(kb, 'account-submit');
    await waitFor(() => expect(el('account-error')).toBeTruthy());
    expect(byId('account-error').dataset.code).toBe('auth.bad_credentials');
    expect(byId('account-error').textContent).toBe('Wrong login or password.');
    expect(focused()).toBe('account-old');

    // Esc: the menu, then the counter.
    await kb.press('Escape');
    expect(byId('office').dataset.view).toBe('menu');
    await kb.press('Escape');
    expect(el('office')).toBeNull();
  });

  it('without the centre the account says it needs it (Hindi)', async () => {
    const { mock } = await start({ lang: 'hi', online: false });
    const kb = new Keyboard();
    await openAccount(kb);
    expect(byId('account-offline').textContent!.trim()).toBe('इनके लिए केंद्र से संपर्क चाहिए, जो अभी नहीं है।');
    await kb.type('Demo@Holder1');
    await typeIn(kb, 'account-new', 'Fresh@Start9');
    await typeIn(kb, 'account-repeat', 'Fresh@Start9');
    await enterOn(kb, 'account-submit');
    await waitFor(() => expect(el('account-error')).toBeTruthy());
    expect(byId('account-error').dataset.code).toBe('account.online_only');
    expect(byId('account-error').textContent).toBe(errorTexts['account.online_only'].hi);
    expect(callsOf(mock, 'change_password')).toHaveLength(1);
  });

  it('an operator may not de-register the PC', async () => {
    await start({ lang: 'en', role: 'operator' });
    const kb = new Keyboard();
    await openAccount(kb);
    expect(byId('dereg-holder-only').textContent).toBe('Only the kiosk holder can de-register this PC.');
    expect(el('dereg-open')).toBeNull();
    await kb.press('F10');
    expect(el('dereg-dialog')).toBeNull();
  });

  it('the holder de-registers once nothing is left to send; the PC is at set-up again', async () => {
    const { mock, root } = await start({ lang: 'en' });
    const kb = new Keyboard();
    // A payment that has not reached the centre yet.
    mock.receipts.set('c-pending', {
      id: 'r-77',
      receipt_no: 'K-JPR-0042/L000077',
      final_receipt_no: null,
      status: 'provisional',
      created_at: '2026-12-01T09:10:00Z',
      operator: 'holder.rj14',
      mode: 'wallet',
      total: 35_000,
      commission: 1000,
      mobile: '9876543210',
      email: null,
      lines: [],
      reject_code: null,
    });
    mock.setInactiveDays(3);
    await openAccount(kb);
    expect(byId('dereg-pending').dataset.pending).toBe('1');
    await kb.press('F10');
    await waitFor(() => expect(el('dereg-dialog')).toBeTruthy());
    expect(focused()).toBe('dereg-password');
    expect(byId('dereg-dialog').textContent).toContain('De-register this PC from kiosk K-JPR-0042?');
    await kb.type('Demo@Holder1');
    await kb.press('Enter');
    await waitFor(() => expect(el('dereg-error')).toBeTruthy());
    expect(byId('dereg-error').dataset.code).toBe('account.outbox_not_empty');
    expect(byId('dereg-error').textContent).toBe(
      '1 entries have not reached the centre yet. Sync first: this PC can be de-registered once every payment is there.',
    );
    expect(root.dataset.phase).toBe('counter');
    // Esc keeps it registered.
    await kb.press('Escape');
    expect(el('dereg-dialog')).toBeNull();
    expect(focused()).toBe('dereg-open');

    // The payment reached the centre.
    mock.finalise('r-77');
    mock.setInactiveDays(3);
    await settle();
    expect(el('dereg-pending')).toBeNull();
    await kb.press('F10');
    await kb.type('Wrong@Pass1');
    await kb.press('Enter');
    await waitFor(() => expect(byId('dereg-error').dataset.code).toBe('login.bad_credentials'));
    expect((byId('dereg-password') as HTMLInputElement).value).toBe('');
    await kb.type('Demo@Holder1');
    await kb.press('Enter');
    await waitFor(() => expect(root.dataset.phase).toBe('setup'));
    expect(last(callsOf(mock, 'device_deregister')).args).toEqual({ password: 'Demo@Holder1' });
    expect(el('office')).toBeNull();
    expect(byId('setup-deregistered').textContent).toBe(
      'This PC was de-registered. Its earlier data is kept in /home/kiosk/.local/share/emitra/deregistered-20261201T093000Z.',
    );
  });

  it('a forgotten password from the login screen, by keyboard: the code by SMS, then the new password', async () => {
    const { mock, root } = await start({ phase: 'login', lang: 'en' });
    const kb = new Keyboard();
    expect(byId('forgot-open').textContent).toContain('F3');
    await kb.press('F3');
    await waitFor(() => expect(el('forgot')).toBeTruthy());
    expect(focused()).toBe('forgot-login');

    // A login nobody has gets the same answer, and no code.
    await kb.type('nobody.here');
    await enterOn(kb, 'forgot-send');
    await waitFor(() => expect(byId('forgot').dataset.step).toBe('reset'));
    const sentText = byId('forgot-sent').textContent;
    expect(sentText).toBe('If this login has a registered mobile, a code was sent to it. It is valid for 10 minutes.');
    expect(mock.sentCodes).toHaveLength(0);
    await kb.press('Escape');
    expect(el('forgot')).toBeNull();
    expect(el('login-user')).toBeTruthy();

    await kb.press('F3');
    await waitFor(() => expect(el('forgot-login')).toBeTruthy());
    (byId('forgot-login') as HTMLInputElement).value = '';
    await kb.type('holder.rj14');
    await enterOn(kb, 'forgot-send');
    await waitFor(() => expect(el('forgot-code')).toBeTruthy());
    expect(byId('forgot-sent').textContent).toBe(sentText);
    expect(focused()).toBe('forgot-code');
    const code = last(mock.sentCodes).code;
    expect(last(mock.sentCodes).login).toBe('holder.rj14');

    // The rules show as the new password is typed.
    await kb.type('12');
    await typeIn(kb, 'forgot-new', 'fresh');
    expect([rule('length'), rule('lower'), rule('upper'), rule('digit')]).toEqual(['0', '1', '0', '0']);
    expect((byId('forgot-submit') as HTMLButtonElement).disabled).toBe(true);
    await kb.type('@Start9');
    await typeIn(kb, 'forgot-repeat', 'fresh@Start9');
    expect([rule('length'), rule('lower'), rule('upper'), rule('digit'), rule('same')]).toEqual(['1', '1', '1', '1', '1']);
    await enterOn(kb, 'forgot-submit');
    await waitFor(() => expect(el('forgot-error')).toBeTruthy());
    expect(byId('forgot-error').dataset.code).toBe('otp.format');
    expect(byId('forgot-error').textContent).toBe('The code from the SMS is 6 digits.');
    expect(focused()).toBe('forgot-code');

    const wrong = String((Number(code) + 1) % 1_000_000).padStart(6, '0');
    (byId('forgot-code') as HTMLInputElement).value = '';
    await kb.type(wrong);
    await enterOn(kb, 'forgot-submit');
    await waitFor(() => expect(byId('forgot-error').dataset.code).toBe('otp.invalid'));
    expect(byId('forgot-error').textContent).toBe('The code is wrong or no longer valid (10 minutes, 5 tries). Ask for a new code.');

    (byId('forgot-code') as HTMLInputElement).value = '';
    await typeIn(kb, 'forgot-code', code);
    await enterOn(kb, 'forgot-submit');
    await waitFor(() => expect(root.dataset.phase).toBe('counter'));
    expect(last(callsOf(mock, 'forgot_password_reset')).args).toEqual({
      login: 'holder.rj14',
      otp: code,
      new_password: 'fresh@Start9',
    });
  });

  it('the forgotten-password screen in Hindi, and what it says offline', async () => {
    await start({ phase: 'login', lang: 'hi', online: false });
    const kb = new Keyboard();
    await kb.press('F3');
    await waitFor(() => expect(el('forgot')).toBeTruthy());
    expect(byId('forgot').textContent).toContain('पासवर्ड भूल गए');
    await kb.type('holder.rj14');
    await enterOn(kb, 'forgot-send');
    await waitFor(() => expect(el('forgot-error')).toBeTruthy());
    expect(byId('forgot-error').dataset.code).toBe('account.online_only');
    expect(byId('forgot-error').textContent).toBe(errorTexts['account.online_only'].hi);
  });

  it('the inactivity banner shows from day 20 and counts down to the fine at day 30, in both languages', async () => {
    const { mock } = await start({ lang: 'en', inactiveDays: 19 });
    const kb = new Keyboard();
    expect(el('inactivity-banner')).toBeNull();
    mock.setInactiveDays(20);
    await settle();
    expect(byId('inactivity-banner').dataset.left).toBe('10');
    expect(byId('inactivity-banner').textContent!.trim()).toBe(
      'No transaction for 20 days: in 10 days (on day 30) a fine of ₹1,000.00 applies. Make a transaction to avoid it.',
    );
    mock.setInactiveDays(29);
    await settle();
    expect(byId('inactivity-banner').textContent!.trim()).toBe(
      'No transaction for 29 days: tomorrow (day 30) a fine of ₹1,000.00 applies. Make a transaction today to avoid it.',
    );
    mock.setInactiveDays(31);
    await settle();
    expect(byId('inactivity-banner').dataset.left).toBe('0');
    expect(byId('inactivity-banner').textContent!.trim()).toBe(
      'No transaction for 31 days: the fine of ₹1,000.00 for 30 days without a transaction applies.',
    );
    await kb.press('F11');
    await waitFor(() => expect(i18n.lang).toBe('hi'));
    expect(byId('inactivity-banner').textContent!.trim()).toBe(
      '31 दिन से कोई लेन-देन नहीं: 30 दिन बिना लेन-देन पर ₹1,000.00 का जुर्माना लागू है।',
    );
    mock.setInactiveDays(22);
    await settle();
    expect(byId('inactivity-banner').textContent!.trim()).toBe(
      '22 दिन से कोई लेन-देन नहीं: 8 दिन बाद (30वें दिन) ₹1,000.00 का जुर्माना लगेगा। इससे बचने के लिए लेन-देन करें।',
    );
    // A payment: the count starts again, the banner goes.
    mock.setInactiveDays(0);
    await settle();
    expect(el('inactivity-banner')).toBeNull();
  });

  it('no inactivity banner before anyone is logged in', async () => {
    await start({ phase: 'login', lang: 'en', inactiveDays: 25 });
    expect(el('inactivity-banner')).toBeNull();
  });

  it('every code of the account is translated in both languages', () => {
    for (const code of ['account.online_only', 'account.outbox_not_empty', 'otp.format', 'otp.invalid', 'otp.rate_limited'] as const) {
      for (const lang of ['en', 'hi'] as const) {
        const s = terr({ code, message: 'do not show' }, lang);
        expect(s, `${code} ${lang}`).toBe(errorTexts[code][lang]);
        expect(s).not.toContain(code);
      }
      expect(errorTexts[code].hi).toMatch(/[\u0900-\u097F]/);
    }
  });
});
