import { describe, expect, it } from 'vitest';
import { start, Keyboard, byId, allById, el, settle } from './helpers';

describe('setup', () => {
  it('shows the demo box, prefills the centre, asks for a new password when the centre wants one', async () => {
    const { mock, root } = await start({ phase: 'setup', lang: 'en', registerNeedsNewPassword: true });
    // Before registration the status bar says so and nothing about sending.
    expect(byId('status-sync').textContent).toContain('not registered');
    expect(el('status-pending')).toBeNull();
    expect((byId('setup-centre') as HTMLInputElement).value).toBe('https://centre.demo.emitra.local');
    expect(byId('setup-demo').textContent).toContain('Demo@Holder1');
    (byId('setup-demo-fill') as HTMLButtonElement).click();
    await settle();
    (byId('setup-submit') as HTMLButtonElement).click();
    await settle();
    expect(byId('setup-error').dataset.code).toBe('register.new_password_required');
    const np = byId('setup-new-password') as HTMLInputElement;
    const kb = new Keyboard();
    np.focus();
    await kb.type('New@Pass12');
    (byId('setup-repeat-password') as HTMLInputElement).focus();
    await kb.type('New@Pass12');
    (byId('setup-submit') as HTMLButtonElement).click();
    await settle();
    const regs = mock.calls.filter((c) => c.cmd === 'register');
    expect((regs[1].args as any).new_password).toBe('New@Pass12');
    expect(root.dataset.phase).toBe('login');
  });

  it('translates a wrong password, an SSO ID bound elsewhere and no link', async () => {
    const { mock } = await start({ phase: 'setup', lang: 'hi' });
    const kb = new Keyboard();
    for (const [login, pw, code] of [
      ['holder.rj14', 'wrong', 'login.bad_credentials'],
      ['bound.elsewhere', 'x', 'device.bound_elsewhere'],
    ]) {
      byId('setup-login').focus();
      (byId('setup-login') as HTMLInputElement).value = '';
      await kb.type(login);
      (byId('setup-password') as HTMLInputElement).value = '';
      byId('setup-password').focus();
      await kb.type(pw);
      (byId('setup-submit') as HTMLButtonElement).click();
      await settle();
      expect(byId('setup-error').dataset.code).toBe(code);
      expect(byId('setup-error').textContent).toMatch(/[\u0900-\u097F]/);
    }
    mock.opts.online = false;
    (byId('setup-submit') as HTMLButtonElement).click();
    await settle();
    expect(byId('setup-error').dataset.code).toBe('centre.offline');
  });
});

describe('login', () => {
  it('a locked login shows until when', async () => {
    await start({ phase: 'login', lang: 'en' });
    const kb = new Keyboard();
    byId('login-user').focus();
    await kb.type('locked.user');
    byId('login-password').focus();
    await kb.type('whatever');
    (byId('login-submit') as HTMLButtonElement).click();
    await settle();
    expect(byId('login-error').dataset.code).toBe('login.locked');
    expect(byId('login-error').textContent).toMatch(/until \d\d-12-2026 \d\d:\d\d/);
  });

  it('an offline login says so; a first password leads to the change screen and nothing else', async () => {
    const { root } = await start({ phase: 'login', lang: 'en', offlineLogin: true });
    const kb = new Keyboard();
    byId('login-user').focus();
    await kb.type('ramesh.op');
    byId('login-password').focus();
    await kb.type('First@Pass1');
    (byId('login-submit') as HTMLButtonElement).click();
    await settle();
    expect(root.dataset.phase).toBe('change_password');
    expect(el('search')).toBeNull();
    expect(byId('login-offline')).toBeTruthy();
    expect((byId('change-submit') as HTMLButtonElement).disabled).toBe(true);
    byId('change-old').focus();
    await kb.type('First@Pass1');
    byId('change-new').focus();
    await kb.type('abc');
    expect(byId('rule-length').dataset.ok).toBe('0');
    expect(byId('rule-lower').dataset.ok).toBe('1');
    expect(byId('rule-upper').dataset.ok).toBe('0');
    await kb.type('DEF12');
    expect(byId('rule-length').dataset.ok).toBe('1');
    expect(byId('rule-upper').dataset.ok).toBe('1');
    expect(byId('rule-digit').dataset.ok).toBe('1');
    byId('change-repeat').focus();
    await kb.type('abcDEF12');
    expect((byId('change-submit') as HTMLButtonElement).disabled).toBe(false);
    (byId('change-submit') as HTMLButtonElement).click();
    await settle();
    await settle();
    expect(root.dataset.phase).toBe('counter');
  });
});

describe('status bar and recovery', () => {
  it('shows sync, pending, wallet, printer and operator in plain words', async () => {
    const { mock } = await start({ lang: 'en', online: false });
    expect(byId('status-sync').textContent).toContain('offline');
    expect(byId('status-wallet').textContent).toContain('₹22,456.50');
    expect(byId('status-printer').textContent).toContain('ready');
    expect(byId('status-operator').textContent).toContain('Suresh Kumar');
    mock.emit({
      kind: 'status',
      data: {
        ...(await mock.rpc({ cmd: 'status', args: null }) as any),
        sync: { state: 'online', pending: 2, held: 0, rejected: 0, oldest_pending_age_secs: 200, last_sync_at: null, last_error_code: null, alerts: [] },
        printer: { state: 'paper_out', uri: null, profile: null, queued: 1, failed: 0, last_error_code: null },
      },
    });
    await settle();
    expect(byId('status-sync').textContent).toContain('online');
    expect(byId('status-pending').textContent).toContain('2 to send, oldest 3 min');
    expect(byId('status-printer').textContent).toContain('out of paper');
    expect(byId('status-printer').textContent).toContain('1 waiting');
  });

  it('alerts show translated until seen; the device-unknown one makes the re-admission request', async () => {
    const { mock } = await start({ lang: 'hi', alerts: ['sync.centre_restored', 'sync.device_unknown', 'clock.skew'] });
    const shown = () => allById('alert').map((a) => a.dataset.code);
    expect(shown()).toEqual(['sync.centre_restored', 'sync.device_unknown', 'clock.skew']);
    expect(allById('alert')[1].textContent).toContain('केंद्र अब इस पीसी को नहीं पहचानता');
    // Only the restored-centre one is marked seen by hand; the others clear with their cause.
    const acks = allById('alert').map((a) => !!a.querySelector('[data-testid="alert-ack"]'));
    expect(acks).toEqual([true, false, false]);
    (allById('alert')[0].querySelector('[data-testid="alert-ack"]') as HTMLButtonElement).click();
    await settle();
    expect(mock.calls.filter((c) => c.cmd === 'ack_alert')).toHaveLength(1);
    expect(shown()).toEqual(['sync.device_unknown', 'clock.skew']);
    (byId('readmit-make') as HTMLButtonElement).click();
    await settle();
    expect((byId('readmit-text') as HTMLTextAreaElement).value).toMatch(/^EMITRA-READMIT-1:/);
    expect(byId('readmit').textContent).toContain('/home/kiosk/reports/readmit-request.txt');
  });

  it('the recovery banner says what became of the payment and is dismissed', async () => {
    const { mock } = await start({ lang: 'en', recovery: { paid: true, receipt_no: 'RJ26-900041' } });
    expect(byId('recovery-banner').textContent).toContain('made once, as receipt RJ26-900041');
    (byId('recovery-dismiss') as HTMLButtonElement).click();
    await settle();
    expect(el('recovery-banner')).toBeNull();
    expect(mock.calls.some((c) => c.cmd === 'dismiss_recovery')).toBe(true);
  });

  it('the holder pins favourites', async () => {
    const { mock } = await start({ lang: 'en', role: 'holder' });
    (byId('pin-PHED') as HTMLButtonElement).click();
    await settle();
    const sf = mock.calls.find((c) => c.cmd === 'set_favourites')!;
    expect((sf.args as any).codes).toEqual(['JVVNL', 'AVVNL']);
  });

  it('an operator cannot pin', async () => {
    await start({ lang: 'en', role: 'operator' });
    expect(el('pin-PHED')).toBeNull();
  });
});

describe('recovery receipt', () => {
  it('the receipt a recovery note names can be shown and printed again, without paying', async () => {
    const { mock } = await start({ lang: 'en', recovery: { paid: true, receipt_no: 'RJ26-900041' } });
    (byId('recovery-show') as HTMLButtonElement).click();
    await settle();
    expect(byId('receipt-no').textContent).toBe('RJ26-900041');
    expect(byId('already-paid')).toBeTruthy();
    expect(mock.calls.some((c) => c.cmd === 'pay')).toBe(false);
    (byId('print-button') as HTMLButtonElement).click();
    await settle();
    expect(mock.calls.filter((c) => c.cmd === 'print_receipt')).toHaveLength(1);
  });
});
