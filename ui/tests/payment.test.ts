import { describe, expect, it } from 'vitest';
import { start, Keyboard, allById, byId, el, settle, focused, waitFor } from './helpers';
import { todayYmd } from '../src/lib/time';

async function oneBill(kb: Keyboard, consumer = '210000000001', amount = '500') {
  el('search')!.focus();
  await kb.press('Enter');
  await kb.type(consumer);
  await kb.press('Enter');
  await kb.type(amount);
  await kb.press('Enter');
}

describe('cheque', () => {
  it('shows the rules next to the fields and the payee read-only from the cart', async () => {
    const { mock } = await start({ lang: 'en' });
    const kb = new Keyboard();
    await oneBill(kb);
    await kb.press('F8');
    expect(focused()).toBe('cheque-number');
    const payee = byId('cheque-payee') as HTMLInputElement;
    expect(payee.readOnly).toBe(true);
    expect(payee.value).toBe('AO (CCC)');
    expect(payee.value).toBe(mock.cartView().cheque_payee);
    expect(byId('cheque-rule-number').textContent).toContain('6 digits');
    expect(byId('cheque-rule-date').textContent).toMatch(/not post-dated, not older than 3 months/);
    expect(byId('cheque-rule-payee').textContent).toContain('AO (CCC)');
  });

  it('refuses a bad number and a post-dated cheque with translated errors, accepts a good one', async () => {
    const { mock } = await start({ lang: 'hi' });
    const kb = new Keyboard();
    await oneBill(kb);
    await kb.press('F8');
    await kb.type('12345');
    await kb.press('Enter');
    await kb.type('01-01-2099');
    await kb.press('Enter');
    await kb.type('SBI');
    await kb.press('Enter');
    expect(byId('cheque-error').dataset.code).toBe('cheque.number_invalid');
    expect(byId('cheque-error').textContent).toBe('चेक नंबर 6 अंकों का होना चाहिए।');
    (byId('cheque-number') as HTMLInputElement).focus();
    await kb.type('6');
    (byId('cheque-bank') as HTMLInputElement).focus();
    await kb.press('Enter');
    expect(byId('cheque-error').dataset.code).toBe('cheque.post_dated');
    const d = byId('cheque-date') as HTMLInputElement;
    d.value = '';
    d.focus();
    await kb.type(todayYmd());
    (byId('cheque-bank') as HTMLInputElement).focus();
    await kb.press('Enter');
    expect(el('cheque-error')).toBeNull();
    expect(mock.cartView().mode).toBe('cheque');
    expect(mock.cartView().cheque?.number).toBe('123456');
    expect(byId('mode-cheque').dataset.selected).toBe('1');
  });

  it('is not offered when the kiosk has no cheque approval', async () => {
    await start({ lang: 'en', chequeEnabled: false });
    const kb = new Keyboard();
    await oneBill(kb);
    expect((byId('mode-cheque') as HTMLButtonElement).disabled).toBe(true);
    expect(byId('cheque-disabled').textContent).toContain('not enabled');
    await kb.press('F8');
    expect(el('cheque-fields')).toBeNull();
  });

  it('is not offered for a department that takes no cheques', async () => {
    await start({ lang: 'en' });
    const kb = new Keyboard();
    el('search')!.focus();
    await kb.type('RSGL');
    await kb.press('Enter');
    await kb.type('GAS123456');
    await kb.press('Enter');
    await kb.type('250');
    await kb.press('Enter');
    expect((byId('mode-cheque') as HTMLButtonElement).disabled).toBe(true);
    expect(byId('cheque-no-payee')).toBeTruthy();
  });
});

describe('duplicate alert', () => {
  it('shows the earlier receipt from CartView.duplicates and pays only after an explicit confirm', async () => {
    const { mock } = await start({ lang: 'en' });
    const kb = new Keyboard();
    await oneBill(kb, '210000099999');
    expect(byId('cart-duplicates')).toBeTruthy();
    await kb.press('F6');
    await kb.type('9876543210');
    await kb.press('Enter');
    expect(byId('duplicate-dialog')).toBeTruthy();
    expect(byId('duplicate-receipt').textContent).toBe('K-JPR-0042/000031');
    expect(mock.calls.filter((c) => c.cmd === 'pay')).toHaveLength(0);
    // Enter does not confirm (focus is on Go back); Esc backs out.
    expect(focused()).toBe('duplicate-cancel');
    await kb.press('Escape');
    expect(el('duplicate-dialog')).toBeNull();
    await kb.press('F9');
    expect(byId('duplicate-dialog')).toBeTruthy();
    (byId('duplicate-confirm') as HTMLButtonElement).click();
    await settle();
    const pays = mock.calls.filter((c) => c.cmd === 'pay');
    expect(pays).toHaveLength(1);
    expect((pays[0].args as any).confirm_duplicate).toBe(true);
    expect(byId('receipt-no').textContent).toMatch(/RJ26-/);
  });

  it('also when Pay answers payment.duplicate_unconfirmed (the centre knew)', async () => {
    const { mock } = await start({ lang: 'en' });
    const kb = new Keyboard();
    await oneBill(kb, '210000000077');
    // The earlier payment became known after the cart was shown.
    mock.paidEarlier.add('210000000077');
    const real = mock.rpc.bind(mock);
    let first = true;
    mock.rpc = async (req) => {
      if (req.cmd === 'cart_mode' || req.cmd === 'cart_contact') {
        const v = (await real(req)) as any;
        return { ...v, duplicates: [] };
      }
      if (req.cmd === 'pay' && first) first = false;
      return real(req);
    };
    await kb.press('F6');
    await kb.type('9876543210');
    await kb.press('Enter');
    expect(byId('duplicate-dialog')).toBeTruthy();
    expect(byId('duplicate-receipt').textContent).toBe('K-JPR-0042/000031');
    await kb.press('F9'); // F9 in the dialog confirms
    const pays = mock.calls.filter((c) => c.cmd === 'pay');
    expect(pays.map((p) => (p.args as any).confirm_duplicate)).toEqual([false, true]);
    expect(byId('receipt-status').dataset.status).toBe('final');
  });
});

describe('pay', () => {
  it('a slow Add does not pull the focus back from the mobile field the operator moved to', async () => {
    const { mock } = await start({ lang: 'en' });
    const kb = new Keyboard();
    await oneBill(kb);
    expect(allById('cart-line')).toHaveLength(1);
    // The second bill: its Add answers late; the operator is already on F6.
    await kb.type('210000000002');
    await kb.press('Enter');
    await kb.type('250');
    mock.opts.delay = 60;
    await kb.press('Enter');
    await kb.press('F6');
    expect(focused()).toBe('mobile-input');
    await waitFor(() => expect(allById('cart-line')).toHaveLength(2));
    await settle();
    expect(focused()).toBe('mobile-input');
  });

  it('F6 pressed while the first Add is answered lands in the mobile field once the line is there', async () => {
    const { mock } = await start({ lang: 'en' });
    const kb = new Keyboard();
    el('search')!.focus();
    await kb.press('Enter');
    await kb.type('210000000001');
    await kb.press('Enter');
    await kb.type('500');
    mock.opts.delay = 60;
    await kb.press('Enter');
    await kb.press('F6');
    // The contact fields are disabled until the cart has a line.
    expect(focused()).not.toBe('mobile-input');
    await waitFor(() => expect(allById('cart-line')).toHaveLength(1));
    await waitFor(() => expect(focused()).toBe('mobile-input'));
    await kb.type('9876543210');
    expect((byId('mobile-input') as HTMLInputElement).value).toBe('9876543210');
  });

  it('sends the cart id once; a second click or Enter while it runs does nothing', async () => {
    const { mock } = await start({ lang: 'en' });
    const kb = new Keyboard();
    await oneBill(kb);
    await kb.press('F6');
    await kb.type('9876543210');
    mock.opts.delay = 30;
    const btn = byId('pay-button') as HTMLButtonElement;
    btn.click();
    btn.click();
    await kb.press('F9');
    await new Promise((r) => setTimeout(r, 300));
    await settle();
    const pays = mock.calls.filter((c) => c.cmd === 'pay');
    expect(pays).toHaveLength(1);
    expect((pays[0].args as any).cart_id).toBe('cart-1');
    expect(mock.receipts.size).toBe(1);
  });

  it('needs a mobile or e-mail', async () => {
    const { mock } = await start({ lang: 'en' });
    const kb = new Keyboard();
    await oneBill(kb);
    await kb.press('F9');
    expect(byId('contact-error').dataset.code).toBe('contact.required');
    expect(focused()).toBe('mobile-input');
    expect(mock.calls.filter((c) => c.cmd === 'pay')).toHaveLength(0);
  });

  it('after Pay: receipt, preview at natural size, print status; Reprint; final number by sync; Esc for a new payment', async () => {
    const { mock } = await start({ lang: 'en', online: false });
    const kb = new Keyboard();
    await oneBill(kb);
    await kb.press('F6');
    await kb.type('9876543210');
    await kb.press('Enter');
    expect(byId('receipt-status').dataset.status).toBe('provisional');
    const local = byId('receipt-no').textContent;
    expect(local).toMatch(/L0000/);
    // Painted into a canvas (its pixels dropped when the screen goes), at
    // the picture's natural size.
    const img = byId('preview-img');
    expect(img.tagName).toBe('CANVAS');
    expect(img.getAttribute('width')).toBe('480');
    expect(byId('print-status').dataset.status).toBe('printed');
    expect(byId('print-button').textContent).toContain('Reprint');
    await kb.press('F10');
    expect(mock.calls.filter((c) => c.cmd === 'print_receipt')).toHaveLength(1);
    expect(byId('print-status').textContent).toContain('duplicate copy');
    // Sync brings the final receipt number.
    mock.finalise([...mock.receipts.values()][0].id);
    await settle();
    expect(byId('receipt-status').dataset.status).toBe('final');
    expect(byId('receipt-no').textContent).toMatch(/^RJ26-/);
    await kb.press('Escape');
    expect(el('receipt-screen')).toBeNull();
    expect(allById('cart-line')).toHaveLength(0);
    expect(focused()).toBe('search');
  });
});

describe('print status', () => {
  it('follows the printer queue: queued, then printed or failed', async () => {
    const { mock } = await start({ lang: 'en' });
    const kb = new Keyboard();
    await oneBill(kb);
    const real = mock.rpc.bind(mock);
    mock.rpc = async (req) => {
      const r: any = await real(req);
      if (req.cmd === 'pay' || req.cmd === 'print_receipt') return { ...(r.receipt ? r : r), ...(r.print ? { print: { ...r.print, status: 'queued' } } : { status: 'queued' }) };
      return r;
    };
    await kb.press('F6');
    await kb.type('9876543210');
    await kb.press('Enter');
    expect(byId('print-status').dataset.status).toBe('queued');
    const st: any = await real({ cmd: 'status', args: null });
    mock.emit({ kind: 'status', data: { ...st, printer: { ...st.printer, state: 'printing', queued: 1 } } });
    await settle();
    expect(byId('print-status').dataset.status).toBe('printing');
    mock.emit({ kind: 'status', data: { ...st, printer: { ...st.printer, state: 'ready', queued: 0 } } });
    await settle();
    expect(byId('print-status').dataset.status).toBe('printed');
    await kb.press('F10');
    expect(byId('print-status').dataset.status).toBe('queued');
    mock.emit({
      kind: 'status',
      data: { ...st, printer: { ...st.printer, state: 'paper_out', queued: 0, failed: 1, last_error_code: 'print.paper_out' } },
    });
    await settle();
    expect(byId('print-status').dataset.status).toBe('failed');
    expect(byId('print-status').textContent).toContain('out of paper');
  });
});

describe('cheque by keyboard', () => {
  it('F8, number, date, bank, then mobile and Pay: paid by cheque', async () => {
    const { mock } = await start({ lang: 'en' });
    const kb = new Keyboard();
    await oneBill(kb);
    await kb.press('F8');
    await kb.type('123456');
    await kb.press('Enter');
    await kb.type(todayYmd().split('-').reverse().join('-'));
    await kb.press('Enter');
    await kb.type('State Bank of India');
    await kb.press('Enter');
    expect(byId('cheque-saved')).toBeTruthy();
    expect(focused()).toBe('mobile-input');
    await kb.type('9876543210');
    await kb.press('Enter');
    const r = [...mock.receipts.values()][0];
    expect(r.mode).toBe('cheque');
    expect(byId('receipt-no')).toBeTruthy();
  });
});

describe('duplicate dialog focus', () => {
  it('Tab stays on the dialog buttons', async () => {
    await start({ lang: 'en' });
    const kb = new Keyboard();
    await oneBill(kb, '210000099999');
    await kb.press('F6');
    await kb.type('9876543210');
    await kb.press('Enter');
    expect(focused()).toBe('duplicate-cancel');
    await kb.press('Tab');
    expect(focused()).toBe('duplicate-confirm');
    await kb.press('Tab');
    expect(focused()).toBe('duplicate-cancel');
  });
});
