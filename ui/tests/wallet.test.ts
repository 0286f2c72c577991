import { todayYmd } from '../src/lib/time';
import { describe, expect, it } from 'vitest';
import { start, Keyboard, byId, allById, el, settle, fireEvent, waitFor, focused } from './helpers';
import { formatPaise } from '../src/lib/money';

const callsOf = (mock: { calls: Array<{ cmd: string; args: any }> }, cmd: string) => mock.calls.filter((c) => c.cmd === cmd);

async function openWallet(kb: Keyboard): Promise<void> {
  await kb.press('F12');
  await waitFor(() => expect(el('office-menu')).toBeTruthy());
  await settle();
  await kb.press('F5');
  await waitFor(() => expect(el('refill-list')).toBeTruthy());
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

const rows = () => allById('refill-row');
// India's date (the centre dates dues in IST), as the screen shows it.
const dmy = (d: Date) => todayYmd(d).split('-').reverse().join('-');

describe('wallet: refill requests', () => {
  it('by keyboard: each refusal in words at its field, a request pending until the centre credits it (English)', async () => {
    const { mock } = await start({ lang: 'en', online: false });
    const kb = new Keyboard();
    await openWallet(kb);
    expect(el('refill-none')?.textContent).toBe('No refill requests yet.');
    expect(el('refill-holder-only')).toBeNull();
    const modes = [...(byId('refill-mode') as HTMLSelectElement).options].map((o) => o.textContent);
    expect(modes).toEqual(['— choose —', 'NEFT / RTGS', 'Net banking', 'Payment gateway', 'Transfer (old account)']);

    // F8 goes to the form; F9 sends from wherever the focus is.
    await kb.press('F8');
    expect(focused()).toBe('refill-amount');
    await kb.type('0');
    await kb.press('F9');
    expect(byId('refill-error').dataset.code).toBe('refill.amount_invalid');
    expect(byId('refill-error').textContent).toBe('Enter the amount sent: above zero, at most ₹10,00,000.');
    expect(focused()).toBe('refill-amount');
    await setValue('refill-amount', '25,000');
    await kb.press('F9');
    expect(byId('refill-error').dataset.code).toBe('refill.mode_unknown');
    expect(byId('refill-error').textContent).toBe('Choose how the money was sent.');
    expect(focused()).toBe('refill-mode');
    await setValue('refill-mode', 'neft_rtgs');
    expect(byId('refill-reference-hint').textContent).toContain('Required');
    await kb.press('F9');
    expect(byId('refill-error').dataset.code).toBe('refill.reference_required');
    expect(focused()).toBe('refill-reference');
    await setValue('refill-reference', 'SBIN12');
    await kb.press('F9');
    expect(byId('refill-error').dataset.code).toBe('refill.reference_invalid');
    expect(byId('refill-error').textContent).toContain('UTR');
    expect(el('refill-none')).toBeTruthy();

    // Enter in the reference field sends.
    await setValue('refill-reference', 'sbin 0261 1340 0123');
    byId('refill-reference').focus();
    await kb.press('Enter');
    await waitFor(() => expect(el('refill-sent')).toBeTruthy());
    expect(el('refill-error')).toBeNull();
    expect(byId('refill-sent').textContent).toContain('stays pending until the centre credits it');
    const sent = callsOf(mock, 'refill_request');
    expect(sent[sent.length - 1].args).toEqual({ amount: '25,000', mode: 'neft_rtgs', reference: 'sbin 0261 1340 0123' });
    expect((byId('refill-amount') as HTMLInputElement).value).toBe('');
    expect(focused()).toBe('refill-amount');
    expect(rows()).toHaveLength(1);
    expect(rows()[0].dataset.state).toBe('queued');
    expect(rows()[0].dataset.paise).toBe('2500000');
    expect(rows()[0].textContent).toContain(formatPaise(2_500_000));
    expect(rows()[0].textContent).toContain('pending: waiting to be sent');
    expect(rows()[0].textContent).toContain('SBIN026113400123');

    // The same reference again is refused.
    await setValue('refill-amount', '100');
    await setValue('refill-mode', 'neft_rtgs');
    await setValue('refill-reference', 'SBIN026113400123');
    await kb.press('F9');
    expect(byId('refill-error').dataset.code).toBe('refill.duplicate_reference');
    expect(byId('refill-error').textContent).toBe('A request with this bank reference is already pending or credited.');
    expect(rows()).toHaveLength(1);

    // The link comes back: at the centre, pending until credited; the
    // credit comes with a later sync, without a click.
    mock.setOnline(true);
    await waitFor(() => expect(rows()[0].dataset.state).toBe('pending'));
    expect(rows()[0].textContent).toContain('pending until credited');
    mock.settleRefill(true);
    await waitFor(() => expect(rows()[0].dataset.state).toBe('credited'));
    expect(rows()[0].textContent).toContain('Credited (centre entry 90000');

    // A second one, rejected with the centre's reason.
    await setValue('refill-amount', '5000');
    await setValue('refill-mode', 'transfer');
    await setValue('refill-reference', 'TRF-0042');
    await kb.press('F9');
    await waitFor(() => expect(rows()).toHaveLength(2));
    expect(rows()[0].dataset.state).toBe('pending');
    mock.settleRefill(false, 'No transfer with this reference has arrived');
    await waitFor(() => expect(rows()[0].dataset.state).toBe('rejected'));
    expect(rows()[0].textContent).toContain('rejected by the centre');
    expect(rows()[0].textContent).toContain('Reason: No transfer with this reference has arrived');

    await kb.press('Escape');
    expect(el('office-menu')).toBeTruthy();
  });

  it("an operator is told it is the holder's, and every refusal reads in Hindi", async () => {
    await start({ lang: 'hi', role: 'operator' });
    const kb = new Keyboard();
    await openWallet(kb);
    expect(byId('refill-holder-only').textContent).toBe('रिफ़िल केवल कियोस्क धारक मंगा सकते हैं।');
    expect(byId('wallet').textContent).toContain('रिफ़िल मंगाएं');
    expect(el('refill-none')?.textContent).toBe('अभी कोई रिफ़िल अनुरोध नहीं।');
    await setValue('refill-amount', '1000');
    await setValue('refill-mode', 'net_banking');
    expect(byId('refill-reference-hint').textContent).toContain('वैकल्पिक');
    await kb.press('F9');
    expect(byId('refill-error').dataset.code).toBe('session.holder_only');
    expect(byId('refill-error').textContent).toBe('यह केवल कियोस्क धारक कर सकता है।');
    expect(rows()).toHaveLength(0);
  });

  it('says the refusals in Hindi for the holder too', async () => {
    await start({ lang: 'hi' });
    const kb = new Keyboard();
    await openWallet(kb);
    await setValue('refill-amount', '1000');
    await setValue('refill-mode', 'transfer');
    await kb.press('F9');
    expect(byId('refill-error').textContent).toBe('बैंक संदर्भ (UTR) लिखें: NEFT/RTGS और ट्रांसफ़र के लिए यह ज़रूरी है।');
    await setValue('refill-amount', 'abc');
    await kb.press('F9');
    expect(byId('refill-error').textContent).toBe('भेजी गई राशि लिखें: शून्य से अधिक, अधिकतम ₹10,00,000।');
    await setValue('refill-amount', '1000');
    await setValue('refill-reference', 'TRF-1001');
    await kb.press('F9');
    await waitFor(() => expect(rows()).toHaveLength(1));
    expect(rows()[0].textContent).toContain('जमा होने तक लंबित');
  });
});

describe('wallet: dues from the security deposit', () => {
  it('overdue: the amount, the date as dd-mm-yyyy, the interest and a warning (Hindi)', async () => {
    await start({ lang: 'hi', dues: 'overdue' });
    const kb = new Keyboard();
    await openWallet(kb);
    const d = byId('wallet-dues');
    expect(d.dataset.state).toBe('overdue');
    // The whole limit is used: the balance is as far below zero.
    expect(byId('wallet-balance').dataset.paise).toBe('-5000000');
    expect(byId('wallet-available').dataset.paise).toBe('0');
    expect(byId('dues-limit').textContent).toBe(formatPaise(5_000_000));
    expect(byId('dues-amount').textContent).toBe(formatPaise(5_000_000));
    const due = new Date();
    due.setDate(due.getDate() - 3);
    expect(byId('dues-date').textContent).toBe(dmy(due));
    expect(byId('dues-interest').textContent).toBe(formatPaise(7_395));
    const warn = byId('dues-warning');
    expect(warn.getAttribute('role')).toBe('alert');
    expect(warn.textContent).toBe(
      `${formatPaise(5_000_000)} का बकाया ${dmy(due)} को देय था और अब बाकी है: 18% वार्षिक ब्याज लग रहा है (अब तक ${formatPaise(7_395)})। अभी रिफ़िल करें।`,
    );
    expect(d.textContent).toContain('सुरक्षा जमा सीमा');
    expect(d.textContent).toContain('अब तक ब्याज (18% वार्षिक)');
  });

  it('due today warns (English)', async () => {
    await start({ lang: 'en', dues: 'due_today' });
    const kb = new Keyboard();
    await openWallet(kb);
    expect(byId('wallet-dues').dataset.state).toBe('due_today');
    expect(byId('dues-warning').textContent).toBe(`Dues of ${formatPaise(1_250_000)} are due today, ${dmy(new Date())}: refill today, or 18% a year interest runs from tomorrow.`);
    expect(el('dues-note')).toBeNull();
  });

  it('not yet due says by when, with no warning; a credit pays the dues first (English)', async () => {
    const { mock } = await start({ lang: 'en', dues: 'upcoming' });
    const kb = new Keyboard();
    await openWallet(kb);
    const tomorrow = new Date();
    tomorrow.setDate(tomorrow.getDate() + 1);
    expect(el('dues-warning')).toBeNull();
    expect(byId('dues-note').textContent).toContain(`refill by ${dmy(tomorrow)} to pay no interest`);
    expect(byId('dues-note').textContent).toContain('other bank holidays are not known here');
    expect(byId('dues-interest').textContent).toBe(formatPaise(0));
    // ₹12,500 owed, ₹20,000 credited: no dues left, the limit stays.
    await setValue('refill-amount', '20000');
    await setValue('refill-mode', 'net_banking');
    await kb.press('F9');
    await waitFor(() => expect(rows()).toHaveLength(1));
    mock.settleRefill(true);
    await waitFor(() => expect(byId('wallet-dues').dataset.state).toBe('none'));
    expect(byId('wallet-balance').dataset.paise).toBe('750000');
    expect(byId('dues-amount').textContent).toBe('none');
    expect(byId('dues-limit').textContent).toBe(formatPaise(5_000_000));
    expect(el('dues-date')).toBeNull();
    expect(el('dues-warning')).toBeNull();
  });
});
