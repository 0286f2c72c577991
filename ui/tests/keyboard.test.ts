import { describe, expect, it } from 'vitest';
import { start, Keyboard, allById, byId, el, settle, focused } from './helpers';
import { counter } from '../src/lib/counter.svelte';

function keydown(target: Element, init: KeyboardEventInit): KeyboardEvent {
  const e = new KeyboardEvent('keydown', { bubbles: true, cancelable: true, ...init });
  target.dispatchEvent(e);
  return e;
}

describe('keyboard map', () => {
  it('F-keys work while an input has focus, and the webview does not get them', async () => {
    await start({ lang: 'en' });
    const kb = new Keyboard();
    el('search')!.focus();
    await kb.press('Enter');
    expect(focused()).toBe('consumer-input');
    const e = keydown(byId('consumer-input'), { key: 'F2' });
    await settle();
    expect(e.defaultPrevented).toBe(true);
    expect(focused()).toBe('search');
    await kb.press('F1');
    expect(byId('keys-help')).toBeTruthy();
    await kb.press('Escape');
    expect(el('keys-help')).toBeNull();
    await kb.press('F5');
    expect(byId('browse-list')).toBeTruthy();
  });

  it('every counter action shows its key on screen', async () => {
    await start({ lang: 'en' });
    const bar = byId('keybar').textContent!;
    for (const k of ['F1', 'F2', 'F3', 'F4', 'F5', 'F6', 'F7', 'F8', 'F9', 'F10', 'Esc']) expect(bar).toContain(k);
    expect(byId('lang-toggle').textContent).toContain('F11');
  });

  it('Enter takes the next step: search → service → number → amount → add', async () => {
    await start({ lang: 'en' });
    const kb = new Keyboard();
    el('search')!.focus();
    await kb.type('water');
    await kb.press('Enter');
    expect(byId('selected-service').dataset.code).toBe('PHED');
    expect(focused()).toBe('consumer-input');
    await kb.type('PH1234567');
    await kb.press('Enter');
    expect(focused()).toBe('amount-input');
    await kb.type('300');
    await kb.press('Enter');
    expect(allById('cart-line')).toHaveLength(1);
    expect(focused()).toBe('consumer-input');
  });

  it('arrows move in the results; Enter takes the one shown active', async () => {
    await start({ lang: 'en' });
    const kb = new Keyboard();
    el('search')!.focus();
    await kb.press('ArrowDown');
    await kb.press('Enter');
    expect(byId('selected-service').dataset.code).toBe('PHED');
  });

  it('Esc backs out: amount → number → search → clear', async () => {
    await start({ lang: 'en' });
    const kb = new Keyboard();
    el('search')!.focus();
    await kb.type('jvvnl');
    await kb.press('Enter');
    await kb.type('210000000001');
    await kb.press('Enter');
    expect(focused()).toBe('amount-input');
    await kb.press('Escape');
    expect(focused()).toBe('consumer-input');
    await kb.press('Escape');
    expect(el('selected-service')).toBeNull();
    expect(focused()).toBe('search');
    expect((el('search') as HTMLInputElement).value).toBe('jvvnl');
    await kb.press('Escape');
    expect((el('search') as HTMLInputElement).value).toBe('');
  });

  it('ignores keys during IME composition (isComposing and keyCode 229)', async () => {
    await start({ lang: 'hi' });
    el('search')!.focus();
    keydown(el('search')!, { key: 'Enter', isComposing: true });
    await settle();
    expect(el('selected-service')).toBeNull();
    keydown(el('search')!, { key: 'Enter', keyCode: 229 } as KeyboardEventInit);
    await settle();
    expect(el('selected-service')).toBeNull();
    const f = keydown(el('search')!, { key: 'F9', isComposing: true });
    expect(f.defaultPrevented).toBe(false);
    keydown(el('search')!, { key: 'Escape', keyCode: 229 } as KeyboardEventInit);
    await settle();
    // Nothing moved.
    expect(focused()).toBe('search');
    keydown(el('search')!, { key: 'Enter' });
    await settle();
    expect(el('selected-service')).not.toBeNull();
  });

  it('never takes Ctrl/Alt combinations (Ctrl+A/C/V/X/Z stay the operator\'s)', async () => {
    await start({ lang: 'en' });
    const kb = new Keyboard();
    el('search')!.focus();
    await kb.press('Enter');
    const input = byId('consumer-input');
    for (const key of ['a', 'c', 'v', 'x', 'z', 'y', 'F9', 'F2', 'Enter']) {
      const e = keydown(input, { key, ctrlKey: true });
      expect(e.defaultPrevented, `Ctrl+${key}`).toBe(false);
    }
    const alt = keydown(input, { key: 'F4', altKey: true });
    expect(alt.defaultPrevented).toBe(false);
    await settle();
    expect(focused()).toBe('consumer-input');
  });

  it('F11 switches the language from anywhere', async () => {
    const { mock } = await start({ lang: 'hi' });
    const kb = new Keyboard();
    el('search')!.focus();
    expect(byId('pay-button').textContent).toContain('भुगतान करें');
    await kb.press('F11');
    expect(byId('pay-button').textContent).toContain('Pay');
    expect(mock.calls.filter((c) => c.cmd === 'set_lang').map((c) => (c.args as any).lang)).toEqual(['en']);
  });

  it('keeps the idle lock away while the operator types (touch, at most every 30 s)', async () => {
    const { mock } = await start({ lang: 'en' });
    const kb = new Keyboard();
    el('search')!.focus();
    await kb.type('a');
    await kb.press('ArrowDown');
    await kb.press('ArrowDown');
    expect(mock.calls.filter((c) => c.cmd === 'touch')).toHaveLength(1);
  });

  it('Event.locked shows the locked screen with the operator filled in', async () => {
    const { mock, root } = await start({ lang: 'en', role: 'operator' });
    await mock.rpc({ cmd: 'lock', args: null });
    mock.emit({ kind: 'locked' });
    await settle();
    expect(root.dataset.phase).toBe('locked');
    expect((byId('login-user') as HTMLInputElement).value).toBe('ramesh.op');
    expect(counter.selected).toBeNull();
  });
});

describe('session lost', () => {
  it('a command refused as session.locked brings the locked screen', async () => {
    const { mock, root } = await start({ lang: 'en', role: 'operator' });
    await mock.rpc({ cmd: 'lock', args: null }); // locked behind the window's back, no event
    const kb = new Keyboard();
    el('search')!.focus();
    await kb.press('Enter');
    await kb.type('210000000001');
    await kb.press('Enter');
    await kb.type('100');
    await kb.press('Enter');
    await settle();
    expect(root.dataset.phase).toBe('locked');
    expect((byId('login-user') as HTMLInputElement).value).toBe('ramesh.op');
  });
});
