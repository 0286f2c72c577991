import { describe, expect, it } from 'vitest';
import { start, Keyboard, byId, allById, el, settle, fireEvent, waitFor, focused } from './helpers';

const callsOf = (mock: { calls: Array<{ cmd: string; args: any }> }, cmd: string) => mock.calls.filter((c) => c.cmd === cmd);

async function openTickets(kb: Keyboard): Promise<void> {
  await kb.press('F12');
  // The first open fetches the back office's chunk.
  await waitFor(() => expect(el('office-menu')).toBeTruthy());
  await settle();
  await kb.press('F7');
  await waitFor(() => expect(el('ticket-list')).toBeTruthy());
  await settle();
}

async function setValue(id: string, value: string): Promise<void> {
  const input = byId(id) as HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement;
  if (input instanceof HTMLSelectElement) {
    await fireEvent.change(input, { target: { value } });
  } else {
    input.value = value;
    await fireEvent.input(input);
  }
  await settle();
}

const rows = () => allById('ticket-row');

describe('tickets', () => {
  it('F7 opens Tickets; a ticket raised offline waits, reaches the centre with the link, and shows the reply (English)', async () => {
    const { mock } = await start({ lang: 'en', online: false });
    const kb = new Keyboard();
    await kb.press('F12');
    await waitFor(() => expect(el('office-menu')).toBeTruthy());
    expect(byId('office-menu-tickets').textContent).toContain('F7');
    expect(byId('office-menu-tickets').textContent).toContain('Tickets');
    await kb.press('F7');
    await waitFor(() => expect(el('ticket-list')).toBeTruthy());
    await settle();
    // The form is where the keyboard lands; the list is empty.
    expect(focused()).toBe('ticket-category');
    expect(el('ticket-none')?.textContent).toBe('No tickets yet.');
    const options = [...(byId('ticket-category') as HTMLSelectElement).options].map((o) => o.textContent);
    expect(options).toEqual(['— choose —', 'A payment', 'A receipt', 'Link with the centre (sync)', 'The printer', 'The wallet', 'Login or password', 'Something else']);

    // F9 with nothing chosen: the backend's code, in words; nothing stored.
    await kb.press('F9');
    expect(byId('ticket-error').dataset.code).toBe('ticket.category_unknown');
    expect(byId('ticket-error').textContent).toBe('Choose what the ticket is about.');
    expect(focused()).toBe('ticket-category');
    await setValue('ticket-category', 'printer');
    await kb.press('F9');
    expect(byId('ticket-error').dataset.code).toBe('ticket.description_required');
    expect(byId('ticket-error').textContent).toBe('Describe the problem.');
    expect(focused()).toBe('ticket-description');
    await setValue('ticket-description', 'Receipt printer prints garbage\nsince this morning, after a paper jam');
    expect(byId('ticket-chars').textContent).toBe('68 of 2000 characters');
    await setValue('ticket-receipt', 'NO-SUCH-1');
    await kb.press('F9');
    expect(byId('ticket-error').dataset.code).toBe('receipt.not_found');
    expect(focused()).toBe('ticket-receipt');
    expect(el('ticket-none')).toBeTruthy();

    // A real receipt, the bundle, and Enter in the receipt field sends.
    await setValue('ticket-receipt', 'K-JPR-0042/L000003');
    (byId('ticket-bundle') as HTMLInputElement).click();
    await settle();
    byId('ticket-receipt').focus();
    await kb.press('Enter');
    await waitFor(() => expect(el('ticket-sent')).toBeTruthy());
    expect(el('ticket-error')).toBeNull();
    expect(byId('ticket-sent').textContent).toContain('It reaches the helpdesk with the next sync');
    expect(byId('ticket-bundle-sent').textContent).toBe('Support bundle attached (6.1 KB, 87 log lines).');
    const raises = callsOf(mock, 'ticket_raise');
    const sent = raises[raises.length - 1].args;
    expect(sent).toEqual({
      category: 'printer',
      description: 'Receipt printer prints garbage\nsince this morning, after a paper jam',
      receipt_no: 'K-JPR-0042/L000003',
      attach_bundle: true,
    });
    // The form is empty again; the ticket is listed, waiting for the link.
    expect((byId('ticket-description') as HTMLTextAreaElement).value).toBe('');
    expect((byId('ticket-bundle') as HTMLInputElement).checked).toBe(false);
    expect(rows()).toHaveLength(1);
    expect(rows()[0].dataset.state).toBe('queued');
    expect(rows()[0].textContent).toContain('waiting to be sent');
    expect(rows()[0].textContent).toContain('Receipt printer prints garbage');
    expect(rows()[0].textContent).toContain('The printer');
    expect(rows()[0].textContent).toContain('support bundle sent');
    // Its description shows, and no reply yet.
    expect(byId('ticket-description-shown').textContent).toContain('since this morning');
    expect(rows()[0].textContent).toContain('No reply yet.');

    // The link comes back: the ticket is with the helpdesk; its reply
    // arrives with a later sync and the list shows it without a click.
    mock.setOnline(true);
    await waitFor(() => expect(rows()[0].dataset.state).toBe('open'));
    expect(rows()[0].textContent).toContain('with the helpdesk');
    mock.replyToTicket('Ribbon replaced remotely; print a test page.', 'resolved');
    await waitFor(() => expect(allById('ticket-reply')).toHaveLength(1));
    expect(rows()[0].dataset.state).toBe('resolved');
    expect(byId('ticket-reply').textContent).toContain('Ribbon replaced remotely; print a test page.');
    expect(byId('ticket-reply').textContent).toContain('now: resolved');

    // The list by keyboard: Enter folds the description; Esc goes back.
    byId('ticket-list').focus();
    await kb.press('Enter');
    expect(el('ticket-description-shown')).toBeNull();
    await kb.press('Enter');
    expect(el('ticket-description-shown')).toBeTruthy();
    await kb.press('Escape');
    expect(el('office-menu')).toBeTruthy();
    expect(callsOf(mock, 'ticket_raise')).toHaveLength(4);
  });

  it('says every refusal in Hindi and keeps nothing refused; a Hindi ticket and its reply show (Hindi)', async () => {
    const { mock } = await start({ lang: 'hi' });
    const kb = new Keyboard();
    await openTickets(kb);
    expect(byId('tickets').textContent).toContain('हेल्पडेस्क के लिए नया टिकट');
    expect(byId('tickets').textContent).toContain('सहायता बंडल संलग्न करें');
    expect(byId('office-tab-tickets').textContent).toContain('टिकट');
    await setValue('ticket-category', 'sync');
    // A direction-changing character hidden in the text.
    await setValue('ticket-description', 'रसीद \u202Eलाल राम');
    await kb.press('F9');
    expect(byId('ticket-error').dataset.code).toBe('text.bidi_control');
    expect(byId('ticket-error').textContent).toBe('पाठ में छिपे अक्षर हैं जो उसकी दिशा बदलते हैं। फिर से लिखें।');
    // Too long: the counter says so before the backend refuses it.
    await setValue('ticket-description', 'क'.repeat(2001));
    expect(byId('ticket-chars').textContent).toBe('2000 में से 2001 अक्षर');
    expect(byId('ticket-chars').classList.contains('error-text')).toBe(true);
    await kb.press('F9');
    expect(byId('ticket-error').dataset.code).toBe('ticket.description_too_long');
    expect(byId('ticket-error').textContent).toBe('विवरण बहुत लंबा है: अधिकतम 2,000 अक्षर।');
    await setValue('ticket-description', '   ');
    await kb.press('F9');
    expect(byId('ticket-error').textContent).toBe('समस्या का विवरण लिखें।');
    expect(el('ticket-none')?.textContent).toBe('अभी कोई टिकट नहीं।');

    await setValue('ticket-description', 'सिंक सुबह से नहीं हो रहा');
    await kb.press('F9');
    await waitFor(() => expect(el('ticket-sent')).toBeTruthy());
    expect(byId('ticket-sent').textContent).toContain('टिकट सहेजा गया।');
    expect(el('ticket-bundle-sent')).toBeNull();
    // Online: at the centre at once.
    expect(rows()).toHaveLength(1);
    expect(rows()[0].dataset.state).toBe('open');
    expect(rows()[0].textContent).toContain('हेल्पडेस्क के पास');
    expect(rows()[0].textContent).toContain('केंद्र से संपर्क (सिंक)');
    mock.replyToTicket('राउटर फिर से चालू करें।', 'in_progress');
    await waitFor(() => expect(allById('ticket-reply')).toHaveLength(1));
    expect(rows()[0].textContent).toContain('इस पर काम चल रहा है');
    expect(byId('ticket-reply').textContent).toContain('राउटर फिर से चालू करें।');
    expect(byId('ticket-reply').textContent).toContain('अब: इस पर काम चल रहा है');
  });
});
