import { describe, expect, it } from 'vitest';
import { start, Keyboard, allById, byId, el, focused } from './helpers';

// A whole three-bill wallet payment without the mouse. Typed data (consumer
// numbers, amounts, mobile) is not counted; every other key is.
describe('keystrokes per payment', () => {
  it('three typed-amount bills paid from the wallet in at most 12 keys', async () => {
    const { mock } = await start({ lang: 'en', online: false });
    const kb = new Keyboard();
    el('search')!.focus(); // the counter opens with the search focused
    expect(focused()).toBe('search');
    await kb.press('Enter'); // first favourite
    for (const [no, amt] of [
      ['210000000001', '1234.50'],
      ['210000000002', '880'],
      ['210000000003', '45.25'],
    ]) {
      expect(focused()).toBe('consumer-input');
      await kb.type(no);
      await kb.press('Enter');
      await kb.type(amt);
      await kb.press('Enter');
    }
    await kb.press('F6');
    await kb.type('9876543210');
    await kb.press('Enter'); // Pay (wallet)
    expect(allById('receipt-line')).toHaveLength(3);
    expect(byId('receipt-status').dataset.status).toBe('provisional');
    expect(mock.receipts.size).toBe(1);
    const r = [...mock.receipts.values()][0];
    expect(r.mode).toBe('wallet');
    expect(r.total).toBe(123450 + 88000 + 4525 + 3 * 1000);
    console.info(`keystrokes beyond typed data: ${kb.count}`);
    expect(kb.count).toBeLessThanOrEqual(12);
  });

  it('three fetched bills (online) in at most 12 keys', async () => {
    const { mock } = await start({ lang: 'hi' });
    const kb = new Keyboard();
    el('search')!.focus();
    await kb.press('ArrowDown');
    await kb.press('ArrowDown'); // AVVNL, third favourite (bill from the department)
    await kb.press('Enter');
    for (const no of ['210000000011', '210000000012', '210000000013']) {
      await kb.type(no);
      await kb.press('Enter'); // Get Bill Details
      expect(byId('bill-details')).toBeTruthy();
      await kb.press('Enter'); // Add to receipt
    }
    await kb.press('F6');
    await kb.type('9876543210');
    await kb.press('Enter');
    expect(mock.receipts.size).toBe(1);
    expect(allById('receipt-line')).toHaveLength(3);
    console.info(`keystrokes beyond typed data (fetched bills): ${kb.count}`);
    expect(kb.count).toBeLessThanOrEqual(12);
  });
});
