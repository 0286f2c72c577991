import { describe, expect, it } from 'vitest';
import { start, Keyboard, allById, byId, el, settle, focused } from './helpers';

async function addTyped(kb: Keyboard, consumer: string, amount: string) {
  await kb.type(consumer);
  await kb.press('Enter');
  expect(focused()).toBe('amount-input');
  await kb.type(amount);
  await kb.press('Enter');
}

describe('cart', () => {
  it('adds lines with typed amounts and shows the backend totals', async () => {
    const { mock } = await start({ lang: 'en' });
    const kb = new Keyboard();
    el('search')!.focus();
    await kb.press('Enter'); // first favourite: JVVNL
    expect(byId('selected-service').dataset.code).toBe('JVVNL');
    await addTyped(kb, '210000000001', '1,234.50');
    await addTyped(kb, '210000000002', '100');
    expect(allById('cart-line')).toHaveLength(2);
    const view = mock.cartView();
    expect(view.total).toBe(123450 + 10000 + 2 * 1000);
    expect(byId('cart-total').textContent).toBe('₹1,354.50');
    expect(byId('cart-charges').textContent).toBe('₹20.00');
    // The amount went as typed text: the backend parsed it.
    const adds = mock.calls.filter((c) => c.cmd === 'cart_add').map((c) => (c.args as any).amount);
    expect(adds).toEqual(['1,234.50', '100']);
  });

  it('removes a line; totals come back from the backend', async () => {
    await start({ lang: 'en' });
    const kb = new Keyboard();
    el('search')!.focus();
    await kb.press('Enter');
    await addTyped(kb, '210000000001', '500');
    await addTyped(kb, '210000000002', '700');
    (allById('cart-remove')[0] as HTMLButtonElement).click();
    await settle();
    expect(allById('cart-line')).toHaveLength(1);
    expect(allById('cart-line')[0].dataset.consumer).toBe('210000000002');
    expect(byId('cart-total').textContent).toBe('₹710.00');
  });

  it('checks the consumer number as it is typed', async () => {
    await start({ lang: 'en' });
    const kb = new Keyboard();
    el('search')!.focus();
    await kb.press('Enter');
    await kb.type('12345');
    await new Promise((r) => setTimeout(r, 200));
    await settle();
    expect(byId('consumer-valid').dataset.valid).toBe('0');
    expect(byId('consumer-valid').textContent).toContain('not valid');
    await kb.type('6789012');
    await new Promise((r) => setTimeout(r, 200));
    await settle();
    expect(byId('consumer-valid').dataset.valid).toBe('1');
  });

  it('fetches a bill, shows it to match, then adds it without an amount', async () => {
    const { mock } = await start({ lang: 'en' });
    const kb = new Keyboard();
    el('search')!.focus();
    await kb.type('AVVNL');
    await kb.press('Enter');
    await kb.type('210000001234');
    await kb.press('Enter'); // Get Bill Details
    expect(byId('bill-details').textContent).toContain('Mohan Lal Sharma');
    expect(byId('bill-amount').textContent).toBe('₹623.40');
    expect(focused()).toBe('add-bill');
    await kb.press('Enter');
    expect(allById('cart-line')).toHaveLength(1);
    const add = mock.calls.find((c) => c.cmd === 'cart_add')!.args as any;
    expect(add.amount).toBeUndefined();
  });

  it('an online-only service is marked and cannot be added', async () => {
    const { mock } = await start({ lang: 'en' });
    const kb = new Keyboard();
    el('search')!.focus();
    await kb.type('JDVVNL');
    expect(allById('service-result')[0].querySelector('[data-testid="online-only"]')).not.toBeNull();
    await kb.press('Enter');
    expect(byId('service-blocked').dataset.code).toBe('service.online_only');
    expect((byId('add-bill') as HTMLButtonElement).disabled).toBe(true);
    await kb.press('F4');
    expect(mock.calls.some((c) => c.cmd === 'cart_add')).toBe(false);
  });

  it('offline: Get Bill Details says why not; the amount comes from the paper bill', async () => {
    const { mock } = await start({ lang: 'en', online: false });
    const kb = new Keyboard();
    el('search')!.focus();
    await kb.type('AVVNL');
    await kb.press('Enter');
    await kb.type('210000000005');
    await kb.press('F3');
    expect(byId('entry-error').dataset.code).toBe('centre.offline');
    expect(byId('entry-error').textContent).toContain('cannot be reached');
    expect(byId('offline-typed')).toBeTruthy();
    (byId('consumer-input') as HTMLInputElement).focus();
    await kb.press('Enter');
    expect(focused()).toBe('amount-input');
    await kb.type('412');
    await kb.press('Enter');
    expect(allById('cart-line')).toHaveLength(1);
    expect((mock.calls.find((c) => c.cmd === 'cart_add')!.args as any).amount).toBe('412');
  });
});

describe('wallet', () => {
  it('warns before Pay when the cart is more than the wallet can spend', async () => {
    await start({ lang: 'en' });
    const kb = new Keyboard();
    el('search')!.focus();
    await kb.press('Enter');
    await kb.type('210000000001');
    await kb.press('Enter');
    await kb.type('30000');
    await kb.press('Enter');
    expect(byId('wallet-short').textContent).toContain('₹22,456.50');
  });
});

describe('typing is kept', () => {
  it('a mobile typed before the last bill is not lost when the cart changes', async () => {
    await start({ lang: 'en' });
    const kb = new Keyboard();
    el('search')!.focus();
    await kb.press('Enter');
    await kb.type('210000000001');
    await kb.press('Enter');
    await kb.type('100');
    await kb.press('Enter');
    await kb.press('F6');
    await kb.type('98765');
    (byId('consumer-input') as HTMLInputElement).focus();
    await kb.type('210000000002');
    await kb.press('Enter');
    await kb.type('200');
    await kb.press('Enter');
    expect(allById('cart-line')).toHaveLength(2);
    expect((byId('mobile-input') as HTMLInputElement).value).toBe('98765');
  });
});
