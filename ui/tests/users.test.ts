import { describe, expect, it } from 'vitest';
import { start, Keyboard, byId, allById, el, settle, fireEvent, waitFor, focused } from './helpers';

const callsOf = (mock: { calls: Array<{ cmd: string; args: any }> }, cmd: string) => mock.calls.filter((c) => c.cmd === cmd);

async function openUsers(kb: Keyboard): Promise<void> {
  await kb.press('F12');
  // The first open fetches the back office's chunk.
  await waitFor(() => expect(el('office-menu')).toBeTruthy());
  await settle();
  await kb.press('F8');
  await waitFor(() => expect(el('users')).toBeTruthy());
  await settle();
}

async function setValue(id: string, value: string): Promise<void> {
  const input = byId(id) as HTMLInputElement | HTMLSelectElement;
  if (input instanceof HTMLSelectElement) {
    await fireEvent.change(input, { target: { value } });
  } else {
    input.value = value;
    await fireEvent.input(input);
  }
  await settle();
}

const row = (login: string) => allById('user-row').find((r) => r.dataset.login === login)!;

describe('users', () => {
  it('F8 opens Users; a user added and one deactivated offline wait, and the centre applies them with the link (English)', async () => {
    const { mock } = await start({ lang: 'en', online: false });
    const kb = new Keyboard();
    await kb.press('F12');
    await waitFor(() => expect(el('office-menu')).toBeTruthy());
    expect(byId('office-menu-users').textContent).toContain('F8');
    expect(byId('office-menu-users').textContent).toContain('Users');
    await kb.press('F8');
    await waitFor(() => expect(el('user-list')).toBeTruthy());
    await settle();
    // The form is where the keyboard lands; the centre's list beside it.
    expect(focused()).toBe('user-login');
    expect(allById('user-row').map((r) => r.dataset.login)).toEqual(['geeta.op', 'holder.rj14', 'ramesh.op']);
    expect(row('holder.rj14').textContent).toContain('Kiosk holder');
    expect(row('holder.rj14').textContent).toContain('you');
    expect(row('ramesh.op').textContent).toContain('Operator');
    expect(row('ramesh.op').textContent).toContain('active');
    expect(row('ramesh.op').textContent).toContain('mobile …7788');
    expect(row('geeta.op').dataset.active).toBe('0');
    expect(row('geeta.op').textContent).toContain('deactivated');
    const options = [...(byId('user-role') as HTMLSelectElement).options].map((o) => o.textContent);
    expect(options).toEqual(['Operator', 'Kiosk holder']);
    expect(byId('users').textContent).toContain('No password is typed here.');
    expect(el('user-password')).toBeNull();

    // F9 with nothing typed: the backend's code, in words, at the field.
    await kb.press('F9');
    expect(byId('user-error').dataset.code).toBe('operator.login_invalid');
    expect(byId('user-error').textContent).toBe('The login is not valid: 3 to 32 of a–z, 0–9, dot, underscore, hyphen.');
    expect(focused()).toBe('user-login');
    await setValue('user-login', 'ramesh.op');
    await kb.press('F9');
    expect(byId('user-error').dataset.code).toBe('operator.login_taken');
    expect(byId('user-error').textContent).toBe('This login is taken. Choose another.');
    await setValue('user-login', 'Kamla.Op');
    await kb.press('F9');
    expect(byId('user-error').dataset.code).toBe('operator.name_invalid');
    expect(focused()).toBe('user-name');
    await setValue('user-name', 'Kamla Meena');
    await setValue('user-mobile', '12345');
    await kb.press('F9');
    expect(byId('user-error').dataset.code).toBe('operator.no_mobile');
    expect(byId('user-error').textContent).toContain('10-digit Indian mobile');
    expect(focused()).toBe('user-mobile');
    expect(callsOf(mock, 'user_add')).toHaveLength(4);
    expect(el('user-changes')).toBeNull();

    // A real mobile, Enter in the field adds; the form empties.
    await setValue('user-mobile', '+91 98290 12345');
    byId('user-mobile').focus();
    await kb.press('Enter');
    await waitFor(() => expect(el('user-done')).toBeTruthy());
    expect(el('user-error')).toBeNull();
    expect(byId('user-done').textContent).toBe('Saved: add for kamla.op. It reaches the centre with the next sync (at once when online).');
    const adds = callsOf(mock, 'user_add');
    expect(adds[adds.length - 1].args).toEqual({ login: 'Kamla.Op', name: 'Kamla Meena', mobile: '+91 98290 12345', role: 'operator' });
    expect((byId('user-login') as HTMLInputElement).value).toBe('');
    expect((byId('user-mobile') as HTMLInputElement).value).toBe('');
    expect(focused()).toBe('user-login');
    expect(row('kamla.op').textContent).toContain('not at the centre yet');
    expect(row('kamla.op').textContent).toContain('Waiting for the centre: add');
    expect(row('kamla.op').textContent).toContain('mobile …2345');
    expect(byId('user-change').dataset.state).toBe('queued');
    expect(byId('user-change').textContent).toContain('waiting to be sent');

    // The list by keyboard: ramesh.op, Enter, Deactivate (focused), Enter.
    byId('user-list').focus();
    await kb.press('ArrowDown');
    await kb.press('ArrowDown');
    await kb.press('ArrowDown');
    await kb.press('Enter');
    expect(byId('user-dialog').textContent).toContain('ramesh.op — Ramesh Sharma');
    expect(focused()).toBe('user-toggle');
    expect(byId('user-toggle').dataset.action).toBe('deactivate');
    await kb.press('Enter');
    await waitFor(() => expect(el('user-dialog')).toBeNull());
    expect(focused()).toBe('user-list');
    expect(callsOf(mock, 'user_set_active')[0].args).toEqual({ login: 'ramesh.op', active: false });
    expect(row('ramesh.op').dataset.pending).toBe('deactivate');
    expect(row('ramesh.op').textContent).toContain('Waiting for the centre: deactivate');
    // Esc closes the dialog, not the screen.
    await kb.press('Enter');
    expect(el('user-dialog')).toBeTruthy();
    expect(byId('user-toggle').dataset.action).toBe('reactivate');
    await kb.press('Escape');
    expect(el('user-dialog')).toBeNull();
    expect(el('users')).toBeTruthy();

    // The link comes back: the centre applies both; the list says so.
    mock.setOnline(true);
    await waitFor(() => expect(row('ramesh.op').dataset.active).toBe('0'));
    expect(row('ramesh.op').dataset.pending).toBe('');
    expect(row('kamla.op').dataset.active).toBe('1');
    expect(row('kamla.op').textContent).toContain('first password not changed yet');
    expect(allById('user-change').map((c) => c.dataset.state)).toEqual(['applied', 'applied']);
    expect(allById('user-change')[0].textContent).toContain('done by the centre');
    await kb.press('Escape');
    expect(el('office-menu')).toBeTruthy();
  });

  it('says the refusals in Hindi; the holder cannot deactivate themself; a reset goes out (Hindi)', async () => {
    const { mock } = await start({ lang: 'hi' });
    const kb = new Keyboard();
    await openUsers(kb);
    expect(byId('office-tab-users').textContent).toContain('उपयोगकर्ता');
    expect(row('ramesh.op').textContent).toContain('ऑपरेटर');
    expect(row('ramesh.op').textContent).toContain('सक्रिय');
    expect(row('holder.rj14').textContent).toContain('कियोस्क धारक');
    await setValue('user-login', 'geeta.op');
    await kb.press('F9');
    expect(byId('user-error').textContent).toBe('यह लॉगिन पहले से लिया हुआ है। दूसरा चुनें।');
    await setValue('user-login', 'sita.devi');
    await setValue('user-name', 'सीता देवी');
    await setValue('user-mobile', '9829012345');
    await setValue('user-role', 'admin');
    await kb.press('F9');
    expect(byId('user-error').dataset.code).toBe('operator.role_invalid');
    expect(byId('user-error').textContent).toBe('भूमिका सही नहीं है।');
    await setValue('user-role', 'holder');
    await kb.press('F9');
    await waitFor(() => expect(el('user-done')).toBeTruthy());
    expect(byId('user-done').textContent).toContain('sita.devi के लिए जोड़ना');
    // Online: the centre applied it at once.
    expect(row('sita.devi').textContent).toContain('कियोस्क धारक');
    expect(row('sita.devi').dataset.active).toBe('1');

    // The holder's own row: a reset, but no deactivation.
    byId('user-list').focus();
    const i = allById('user-row').findIndex((r) => r.dataset.login === 'holder.rj14');
    for (let n = 0; n < i; n++) await kb.press('ArrowDown');
    await kb.press('Enter');
    expect(byId('user-dialog').textContent).toContain('आप अपना ही लॉगिन निष्क्रिय नहीं कर सकते।');
    expect(el('user-toggle')).toBeNull();
    expect(focused()).toBe('user-reset');
    await kb.press('Enter');
    await waitFor(() => expect(el('user-dialog')).toBeNull());
    expect(callsOf(mock, 'user_reset_password')[0].args).toEqual({ login: 'holder.rj14' });
    expect(byId('user-done').textContent).toContain('पासवर्ड रीसेट');

    // A deactivated user: reactivate; a reset of an inactive one is refused.
    await kb.press('ArrowUp');
    while (allById('user-row').findIndex((r) => r.getAttribute('aria-selected') === 'true') > 0) await kb.press('ArrowUp');
    await kb.press('Enter');
    expect(byId('user-dialog').textContent).toContain('geeta.op');
    byId('user-reset').focus();
    await kb.press('Enter');
    expect(byId('user-act-error').dataset.code).toBe('operator.inactive');
    expect(byId('user-act-error').textContent).toBe('यह ऑपरेटर निष्क्रिय है। कियोस्क धारक से पूछें।');
    byId('user-toggle').focus();
    await kb.press('Enter');
    await waitFor(() => expect(el('user-dialog')).toBeNull());
    expect(row('geeta.op').dataset.active).toBe('1');
  });

  it('an operator reaches the screen by F8 and is told, in both languages, that it is the holder\'s', async () => {
    const { mock } = await start({ lang: 'hi', role: 'operator' });
    const kb = new Keyboard();
    await openUsers(kb);
    expect(byId('user-list-error').dataset.code).toBe('session.holder_only');
    expect(byId('user-list-error').textContent).toBe('यह केवल कियोस्क धारक कर सकता है।');
    expect(el('user-login')).toBeNull();
    expect(callsOf(mock, 'user_add')).toHaveLength(0);
    await kb.press('F11');
    await waitFor(() => expect(byId('user-list-error').textContent).toBe('Only the kiosk holder can do this.'));
    await kb.press('Escape');
    expect(el('office-menu')).toBeTruthy();
  });
});
