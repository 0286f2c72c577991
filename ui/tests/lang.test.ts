import { describe, expect, it } from 'vitest';
import { start, Keyboard, allById, byId, el } from './helpers';

describe('language switch', () => {
  it('mid-cart keeps the cart and what is typed', async () => {
    const { mock } = await start({ lang: 'en' });
    const kb = new Keyboard();
    el('search')!.focus();
    await kb.press('Enter');
    await kb.type('210000000001');
    await kb.press('Enter');
    await kb.type('500');
    await kb.press('Enter');
    await kb.type('210000000002');
    expect(allById('cart-line')).toHaveLength(1);
    const total = byId('cart-total').textContent;
    (byId('lang-toggle') as HTMLButtonElement).click();
    await kb.press('ArrowLeft'); // let it settle
    expect(byId('cart').textContent).toContain('रसीद');
    expect(allById('cart-line')).toHaveLength(1);
    expect(byId('cart-total').textContent).toBe(total);
    expect((byId('consumer-input') as HTMLInputElement).value).toBe('210000000002');
    expect(mock.calls.some((c) => c.cmd === 'cart_clear')).toBe(false);
    // Latin digits in Hindi too.
    expect(byId('cart-total').textContent).toMatch(/^₹[0-9,.]+$/);
    await kb.press('F11');
    expect(byId('cart').textContent).toContain('Receipt');
  });
});

describe('the language of the first lines', () => {
  it('is the one the kiosk last showed, remembered by the page', async () => {
    const { showLang } = await import('../src/lib/i18n/index.svelte');
    showLang('en');
    expect(localStorage.getItem('kiosk.lang')).toBe('en');
    await start({ lang: 'hi' });
    // The kiosk's own setting wins once it has answered, and is remembered.
    expect(localStorage.getItem('kiosk.lang')).toBe('hi');
  });
});
