import { describe, expect, it } from 'vitest';
import { start, Keyboard, byId, allById, el, settle, fireEvent, waitFor, focused } from './helpers';

type Calls = { calls: Array<{ cmd: string; args: any }> };
const lastCall = (mock: Calls, cmd: string) => [...mock.calls].reverse().find((c) => c.cmd === cmd);
const callsOf = (mock: Calls, cmd: string) => mock.calls.filter((c) => c.cmd === cmd);

async function openPrinters(kb: Keyboard): Promise<void> {
  await kb.press('F12');
  // The first open fetches the back office's chunk.
  await waitFor(() => expect(el('office-menu')).toBeTruthy());
  await settle();
  await kb.press('F6');
  await waitFor(() => expect(el('printers')).toBeTruthy());
  await waitFor(() => expect(allById('printer-found-row').length).toBeGreaterThan(0));
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

const click = async (id: string, i = 0) => {
  (allById(id)[i] as HTMLButtonElement).click();
  await settle();
};
const value = (id: string) => (byId(id) as HTMLInputElement | HTMLSelectElement).value;
const foundRow = (kind: string) => allById('printer-found-row').findIndex((r) => r.dataset.kind === kind);

describe('printer set-up by keyboard', () => {
  it('F12 then F6 opens it, as does ↓ to its menu entry and Enter; Esc goes back, F12 to the counter', async () => {
    await start({ lang: 'en' });
    const kb = new Keyboard();
    await kb.press('F12');
    await waitFor(() => expect(el('office-menu')).toBeTruthy());
    await settle();
    expect(byId('office-menu-printers').textContent).toContain('F6');
    expect(byId('office-menu-printers').textContent).toContain('Printers');
    for (let i = 0; i < 4; i++) await kb.press('ArrowDown');
    expect(focused()).toBe('office-menu-printers');
    await kb.press('Enter');
    await waitFor(() => expect(el('printers')).toBeTruthy());
    await settle();
    // The holder lands in the receipt printer's address.
    expect(focused()).toBe('printer-receipt-uri');
    await kb.press('Escape');
    expect(el('office-menu')).toBeTruthy();
    await kb.press('F6');
    expect(el('printers')).toBeTruthy();
    expect(byId('office-tab-printers').classList.contains('on')).toBe(true);
    await kb.press('F12');
    await waitFor(() => expect(el('counter-screen')).toBeTruthy());
    expect(el('printers')).toBeNull();
  });

  it('the status bar printer item opens it', async () => {
    const { mock } = await start({ lang: 'en' });
    expect(byId('status-printer-link').getAttribute('title')).toContain('printer set-up');
    await click('status-printer-link');
    await waitFor(() => expect(el('printers')).toBeTruthy());
    await waitFor(() => expect(lastCall(mock, 'printers')).toBeTruthy());
    expect(lastCall(mock, 'printers_discover')).toBeTruthy();
    expect(byId('printer-state').dataset.state).toBe('ready');
  });
});

describe('choosing printers', () => {
  it('lists the printers found with the model that fits and the models known; the receipt printer is chosen and saved', async () => {
    const { mock } = await start({ lang: 'en' });
    const kb = new Keyboard();
    await openPrinters(kb);
    const rows = allById('printer-found-row');
    expect(rows.map((r) => r.dataset.kind)).toEqual(['usb', 'spooler', 'lpt', 'serial']);
    expect(rows[0].textContent).toContain('fits: escp9-generic');
    expect(allById('printer-profile').map((p) => p.dataset.id)).toContain('escpos-thermal-80');
    // The printer set now is shown in the form.
    expect(value('printer-receipt-uri')).toBe('usb:/dev/usb/lp0');

    await click('printer-found-receipt', foundRow('lpt'));
    expect(value('printer-receipt-uri')).toBe('lpt:/dev/lp0');
    // No model the LPT port could tell: the one chosen before stays, the
    // focus is on it to confirm.
    expect(value('printer-receipt-profile')).toBe('escp9-generic');
    expect(focused()).toBe('printer-receipt-profile');
    await setValue('printer-receipt-profile', 'ibm-proprinter');
    await click('printer-receipt-save');
    expect(lastCall(mock, 'printer_set')!.args).toEqual({ role: 'receipt', printer: { uri: 'lpt:/dev/lp0', profile: 'ibm-proprinter' } });
    expect(byId('printer-receipt').dataset.uri).toBe('lpt:/dev/lp0');
    expect(byId('printer-receipt').dataset.profile).toBe('ibm-proprinter');
    expect(byId('printer-receipt-saved').textContent).toContain('lpt:/dev/lp0');
    // The status bar says the same printer.
    await waitFor(() => expect(byId('status-printer').dataset.state).toBe('ready'));

    // Reports on the laser printer of the spooler, then back on the
    // receipt printer.
    expect(byId('printer-report-current').textContent).toContain('Reports print on the receipt printer');
    await click('printer-found-report', foundRow('spooler'));
    expect(value('printer-report-uri')).toBe('spool:HP_LaserJet_M1005');
    await setValue('printer-report-profile', 'pdf-laser');
    // Enter in the form saves it.
    (byId('printer-report-profile') as HTMLElement).focus();
    await kb.press('Enter');
    expect(lastCall(mock, 'printer_set')!.args).toEqual({ role: 'report', printer: { uri: 'spool:HP_LaserJet_M1005', profile: 'pdf-laser' } });
    expect(byId('printer-report').dataset.profile).toBe('pdf-laser');
    expect(byId('printer-receipt').dataset.uri).toBe('lpt:/dev/lp0');
    await click('printer-report-clear');
    expect(callsOf(mock, 'printer_clear_report')).toHaveLength(1);
    expect(byId('printer-report').dataset.uri).toBe('');
    expect(byId('printer-report-current').textContent).toContain('Reports print on the receipt printer');
  });

  it('a serial printer gets its port settings from the model, changed and saved with it', async () => {
    const { mock } = await start({ lang: 'en' });
    const kb = new Keyboard();
    await openPrinters(kb);
    expect(el('printer-receipt-serial')).toBeNull();
    await click('printer-found-receipt', foundRow('serial'));
    expect(el('printer-receipt-serial')).toBeTruthy();
    await setValue('printer-receipt-profile', 'escpos-impact-tmu220');
    // The TM-U220's switches: 9600 baud, DTR/DSR.
    expect(value('printer-receipt-baud')).toBe('9600');
    expect(value('printer-receipt-flow')).toBe('dtr');
    await setValue('printer-receipt-baud', '19200');
    await setValue('printer-receipt-parity', 'even');
    await click('printer-receipt-save');
    expect(lastCall(mock, 'printer_set')!.args).toEqual({
      role: 'receipt',
      printer: { uri: 'serial:/dev/ttyS0', profile: 'escpos-impact-tmu220', serial: { baud: 19200, data_bits: 8, parity: 'even', stop_bits: 1, flow: 'dtr' } },
    });
    expect(byId('printer-receipt').dataset.uri).toBe('serial:/dev/ttyS0?baud=19200&data=8&parity=even&stop=1&flow=dtr');
    // The form keeps the port in the address and the settings in their fields.
    expect(value('printer-receipt-uri')).toBe('serial:/dev/ttyS0');
    expect(value('printer-receipt-baud')).toBe('19200');
    // Not a serial port: no serial fields.
    await setValue('printer-receipt-uri', 'tcp://192.168.1.50:9100');
    expect(el('printer-receipt-serial')).toBeNull();
  });

  it('a bad address or model is refused with the code\'s text; the printer stays as it was', async () => {
    const { mock } = await start({ lang: 'en' });
    const kb = new Keyboard();
    await openPrinters(kb);
    await setValue('printer-receipt-uri', 'bogus:thing');
    await click('printer-receipt-save');
    expect(byId('printer-receipt-error').dataset.code).toBe('print.uri_invalid');
    expect(byId('printer-receipt-error').textContent).toBe('The printer address is not valid.');
    expect(byId('printer-receipt').dataset.uri).toBe('usb:/dev/usb/lp0');
    await setValue('printer-receipt-uri', 'tcp://192.168.1.50:9100');
    await setValue('printer-receipt-profile', '');
    await click('printer-receipt-save');
    expect(byId('printer-receipt-error').dataset.code).toBe('print.profile_unknown');
    expect(byId('printer-receipt').dataset.uri).toBe('usb:/dev/usb/lp0');
    expect(callsOf(mock, 'printer_set')).toHaveLength(2);
  });
});

describe('test page', () => {
  it('F7 prints one on the receipt printer and shows its preview; a laser printer has none', async () => {
    const { mock } = await start({ lang: 'en', noCanvas: true });
    const kb = new Keyboard();
    await openPrinters(kb);
    await kb.press('F7');
    expect(lastCall(mock, 'printer_test_page')!.args).toEqual({ role: 'receipt', printer: { uri: 'usb:/dev/usb/lp0', profile: 'escp9-generic' } });
    const img = byId('printer-preview') as HTMLImageElement;
    expect(img.getAttribute('src')).toMatch(/^data:image\/png;base64,/);
    expect(img.dataset.kind).toBe('test_page');
    expect(img.dataset.profile).toBe('escp9-generic');
    expect(byId('printer-test-queued').textContent).toContain('usb:/dev/usb/lp0');

    // Reports on a laser printer typed in, tried before it is saved.
    await setValue('printer-report-uri', 'spool:LASER');
    await setValue('printer-report-profile', 'pdf-laser');
    await click('printer-report-test');
    expect(lastCall(mock, 'printer_test_page')!.args).toEqual({ role: 'report', printer: { uri: 'spool:LASER', profile: 'pdf-laser' } });
    expect(el('printer-preview')).toBeNull();
    expect(byId('printer-no-preview').textContent).toContain('laser');
    // Nothing was saved by trying it.
    expect(callsOf(mock, 'printer_set')).toHaveLength(0);
    expect(byId('printer-report').dataset.uri).toBe('');

    // F8: the report printer as set (none: the receipt printer's).
    await setValue('printer-report-uri', '');
    await kb.press('F8');
    expect(lastCall(mock, 'printer_test_page')!.args).toEqual({ role: 'report' });
    expect(byId('printer-preview')).toBeTruthy();
  });
});

describe('printer state and failed jobs', () => {
  it('shows out of paper with the jobs not printed; prints one again, then every one with F9', async () => {
    const { mock } = await start({ lang: 'en', printer: 'paper_out' });
    expect(byId('status-printer-failed').textContent).toContain('2 not printed');
    const kb = new Keyboard();
    await openPrinters(kb);
    expect(byId('printer-state').dataset.state).toBe('paper_out');
    expect(byId('printer-state').textContent).toContain('out of paper');
    expect(byId('printer-last-error').textContent).toContain('out of paper');
    const jobs = allById('printer-job');
    expect(jobs.map((j) => j.dataset.state)).toEqual(['failed', 'failed']);
    expect(jobs[0].textContent).toContain('K-JPR-0042/L000039');
    expect(jobs[0].textContent).toContain('The printer is out of paper');
    expect(allById('printer-job-retry')).toHaveLength(2);

    await click('printer-job-retry', 0);
    expect(lastCall(mock, 'printer_retry')!.args).toEqual({ job: jobs[0].dataset.id });
    expect(byId('printer-retried')).toBeTruthy();
    expect(allById('printer-job').map((j) => j.dataset.id)).toEqual([jobs[1].dataset.id]);
    await waitFor(() => expect(byId('printer-state').dataset.state).toBe('ready'));

    // The other one by F9.
    await kb.press('F9');
    expect(lastCall(mock, 'printer_retry')!.args).toEqual({});
    expect(allById('printer-job')).toHaveLength(0);
    expect(byId('printer-jobs-none')).toBeTruthy();
    expect((byId('printer-retry-all') as HTMLButtonElement).disabled).toBe(true);
    await waitFor(() => expect(el('status-printer-failed')).toBeNull());
  });
});

describe('an operator', () => {
  it('sees the printers and may test and retry, but not change them', async () => {
    const { mock } = await start({ lang: 'en', role: 'operator' });
    const kb = new Keyboard();
    await openPrinters(kb);
    expect(byId('printer-holder-only').textContent).toContain('Only the kiosk holder');
    expect(el('printer-receipt-save')).toBeNull();
    expect(el('printer-found-receipt')).toBeNull();
    expect((byId('printer-receipt-uri') as HTMLInputElement).readOnly).toBe(true);
    expect((byId('printer-receipt-profile') as HTMLSelectElement).disabled).toBe(true);
    expect(focused()).toBe('printer-receipt-test');
    // The printer that is set: its test page.
    await kb.press('F7');
    expect(lastCall(mock, 'printer_test_page')!.args).toEqual({ role: 'receipt' });
    expect(byId('printer-preview')).toBeTruthy();
    // The backend refuses a change whatever the screen shows.
    const e = await mock.rpc({ cmd: 'printer_set', args: { role: 'receipt', printer: { uri: 'usb:/dev/usb/lp1', profile: 'escp9-generic' } } }).then(
      () => null,
      (x: { code: string }) => x,
    );
    expect(e?.code).toBe('session.holder_only');
  });
});

describe('both languages', () => {
  it('speaks Hindi, and English after F11', async () => {
    await start({ lang: 'hi' });
    const kb = new Keyboard();
    await openPrinters(kb);
    expect(byId('office-tab-printers').textContent).toContain('प्रिंटर');
    expect(byId('printer-receipt').querySelector('legend')!.textContent).toBe('रसीद प्रिंटर');
    expect(byId('printer-report-current').textContent).toContain('रिपोर्ट रसीद प्रिंटर पर छपती हैं।');
    expect(byId('printer-state').textContent).toContain('तैयार');
    await setValue('printer-receipt-uri', 'bogus:thing');
    await click('printer-receipt-save');
    expect(byId('printer-receipt-error').textContent).toBe('प्रिंटर का पता सही नहीं है।');
    await kb.press('F11');
    await waitFor(() => expect(byId('printer-receipt').querySelector('legend')!.textContent).toBe('Receipt printer'));
    expect(byId('printer-receipt-error').textContent).toBe('The printer address is not valid.');
    expect(byId('printer-found').textContent).toContain('For receipts');
  });
});
