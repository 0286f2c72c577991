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

describe('online-only services', () => {
  /** Chooses JDVVNL (online only, its bill fetched online) from the search. */
  async function chooseJdvvnl(kb: Keyboard) {
    el('search')!.focus();
    await kb.type('JDVVNL');
    const first = allById('service-result')[0];
    expect(first.dataset.code).toBe('JDVVNL');
    await kb.press('Enter');
    expect(byId('selected-service').dataset.code).toBe('JDVVNL');
    return first;
  }

  it('online: marked in the search and the browse list, and taken', async () => {
    const { mock } = await start({ lang: 'en' });
    const kb = new Keyboard();
    el('search')!.focus();
    await kb.type('JDVVNL');
    const mark = allById('service-result')[0].querySelector('[data-testid="online-only"]');
    expect(mark?.textContent).toBe('online only');
    // A service that may go offline has no mark.
    (el('search') as HTMLInputElement).value = '';
    await kb.type('JVVNL');
    const jvvnl = allById('service-result').find((r) => r.dataset.code === 'JVVNL')!;
    expect(jvvnl.querySelector('[data-testid="online-only"]')).toBeNull();
    // Browse: Electricity → a department → its services, marked alike.
    const open = async (dep: string) => {
      (byId('browse-open') as HTMLButtonElement).click();
      await settle();
      (allById('browse-item').find((b) => b.textContent?.includes('Electricity')) as HTMLButtonElement).click();
      await settle();
      (allById('browse-item').find((b) => b.dataset.key === dep) as HTMLButtonElement).click();
      await settle();
      return allById('browse-item');
    };
    const plain = (await open('JVVNL')).find((b) => b.dataset.key === 'JVVNL')!;
    expect(plain.querySelector('[data-testid="online-only"]')).toBeNull();
    await kb.press('Escape');
    await kb.press('Escape');
    await kb.press('Escape');
    const listed = (await open('JDVVNL')).find((b) => b.dataset.key === 'JDVVNL')!;
    expect(listed.querySelector('[data-testid="online-only"]')?.textContent).toBe('online only');
    listed.click();
    await settle();
    // Chosen while the centre answers: nothing blocks it.
    expect(byId('selected-service').dataset.code).toBe('JDVVNL');
    expect(el('service-blocked')).toBeNull();
    (byId('consumer-input') as HTMLInputElement).focus();
    await kb.type('210000001234');
    await kb.press('Enter'); // Get Bill Details
    expect(byId('bill-amount').textContent).toBe('₹623.40');
    await kb.press('Enter'); // Add
    expect(allById('cart-line')).toHaveLength(1);
    expect(mock.calls.filter((c) => c.cmd === 'cart_add')).toHaveLength(1);
  });

  it('offline: the entry panel says why before anything is typed (English)', async () => {
    const { mock } = await start({ lang: 'en', online: false });
    const kb = new Keyboard();
    const first = await chooseJdvvnl(kb);
    expect(first.querySelector('[data-testid="online-only"]')?.textContent).toBe('online only');
    expect((byId('consumer-input') as HTMLInputElement).value).toBe('');
    const why = byId('service-blocked');
    expect(why.dataset.code).toBe('service.online_only');
    expect(why.textContent).toBe('This service works online only: it cannot be taken while the link is down.');
    expect((byId('add-bill') as HTMLButtonElement).disabled).toBe(true);
    await kb.type('210000001234');
    await kb.press('F4');
    expect(byId('entry-error').dataset.code).toBe('service.online_only');
    expect(mock.calls.some((c) => c.cmd === 'cart_add')).toBe(false);
    // A service that may go offline is not blocked.
    (el('search') as HTMLInputElement).focus();
    await kb.press('Escape');
    await kb.press('Escape');
    el('search')!.focus();
    (el('search') as HTMLInputElement).value = '';
    await kb.type('PHED');
    await kb.press('Enter');
    expect(byId('selected-service').dataset.code).toBe('PHED');
    expect(el('service-blocked')).toBeNull();
  });

  it('offline: the entry panel says why before anything is typed (Hindi)', async () => {
    await start({ lang: 'hi', online: false });
    const kb = new Keyboard();
    const first = await chooseJdvvnl(kb);
    expect(first.querySelector('[data-testid="online-only"]')?.textContent).toBe('केवल ऑनलाइन');
    const why = byId('service-blocked');
    expect(why.dataset.code).toBe('service.online_only');
    expect(why.textContent).toBe('यह सेवा केवल ऑनलाइन है: इंटरनेट बंद होने पर नहीं ली जा सकती।');
    expect((byId('add-bill') as HTMLButtonElement).disabled).toBe(true);
  });

  it('the link going and coming back blocks and frees the chosen service', async () => {
    const { mock } = await start({ lang: 'hi' });
    const kb = new Keyboard();
    await chooseJdvvnl(kb);
    expect(el('service-blocked')).toBeNull();
    mock.setOnline(false);
    await settle();
    expect(byId('service-blocked').textContent).toContain('केवल ऑनलाइन');
    mock.setOnline(true);
    await settle();
    expect(el('service-blocked')).toBeNull();
  });

  it('Pay after the link went is refused with the reason; the cart stays', async () => {
    const { mock } = await start({ lang: 'en' });
    const kb = new Keyboard();
    await chooseJdvvnl(kb);
    await kb.type('210000001234');
    await kb.press('Enter');
    await kb.press('Enter');
    expect(allById('cart-line')).toHaveLength(1);
    mock.setOnline(false);
    await settle();
    await kb.press('F6');
    await kb.type('9876543210');
    await kb.press('F9');
    expect(byId('pay-error').dataset.code).toBe('service.online_only');
    expect(byId('pay-error').textContent).toContain('online only');
    expect(mock.receipts.size).toBe(0);
    expect(allById('cart-line')).toHaveLength(1);
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
