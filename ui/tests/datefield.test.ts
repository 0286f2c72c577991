import { describe, expect, it } from 'vitest';
import { render, fireEvent } from '@testing-library/svelte';
import Harness from './fixtures/DateFieldHarness.svelte';
import { addDays, dmyOf, parseDateText } from '../src/lib/dates';
import { i18n } from '../src/lib/i18n/index.svelte';
import { en } from '../src/lib/i18n/en';
import { hi } from '../src/lib/i18n/hi';
import { daysAgo, todayYmd } from '../src/lib/time';
import { byId, el, settle, start, Keyboard, waitFor } from './helpers';

/** A message as shown: the word joiners that keep its example date on one line taken out. */
const shown = (e: HTMLElement) => e.textContent!.replaceAll('\u2060', '');

describe('reading a typed date (DD-MM-YYYY)', () => {
  it('takes DD-MM-YYYY with -, / or . between, one-digit days and months, eight digits, Devanagari digits', () => {
    for (const s of ['01-12-2026', '01/12/2026', '01.12.2026', '1-12-2026', '01122026', ' 01-12-2026 ', '०१-१२-२०२६']) {
      expect(parseDateText(s), s).toEqual({ kind: 'ok', ymd: '2026-12-01' });
    }
    expect(parseDateText('5/3/2027')).toEqual({ kind: 'ok', ymd: '2027-03-05' });
    // The year first cannot be misread: a date pasted from elsewhere.
    expect(parseDateText('2026-12-01')).toEqual({ kind: 'ok', ymd: '2026-12-01' });
  });

  it('refuses impossible dates and anything but digits and separators', () => {
    for (const s of ['31-02-2026', '29-02-2026', '31-04-2026', '00-12-2026', '01-13-2026', '01-00-2026', '2026-02-30', '01-12-1899', 'ab-cd-efgh', '01-12-2O26', '01,12,2026', '011220261', '01-12-2026-1', '12/31/2026', '32-', '1-13-']) {
      expect(parseDateText(s).kind, s).toBe('invalid');
    }
    // A leap day only in a leap year.
    expect(parseDateText('29-02-2028')).toEqual({ kind: 'ok', ymd: '2028-02-29' });
    expect(parseDateText('29-02-2100').kind).toBe('invalid');
  });

  it('tells a date still being typed from one that cannot be', () => {
    for (const s of ['0', '01', '01-', '01-1', '01-12', '01-12-', '01-12-20', '0112', '0112202', '3', '2026-1']) {
      expect(parseDateText(s).kind, s).toBe('partial');
    }
    expect(parseDateText('').kind).toBe('empty');
    expect(parseDateText('   ').kind).toBe('empty');
  });

  it('shows YYYY-MM-DD as DD-MM-YYYY and counts calendar days', () => {
    expect(dmyOf('2026-12-01')).toBe('01-12-2026');
    expect(dmyOf('')).toBe('');
    expect(dmyOf(null)).toBe('');
    expect(addDays('2026-02-28', 1)).toBe('2026-03-01');
    expect(addDays('2028-02-28', 1)).toBe('2028-02-29');
    expect(addDays('2026-01-01', -1)).toBe('2025-12-31');
  });
});

function field(): HTMLInputElement {
  return byId('day') as HTMLInputElement;
}
const bound = () => byId('bound').textContent;

async function typeInto(input: HTMLInputElement, text: string): Promise<void> {
  input.focus();
  await fireEvent.input(input, { target: { value: text } });
  await settle(2);
}

describe('DateField', () => {
  it('shows the bound YYYY-MM-DD as DD-MM-YYYY, never as the locale would', async () => {
    render(Harness, { props: { initial: '2026-12-01' } });
    await settle(2);
    const d = field();
    expect(d.type).toBe('text');
    expect(d.value).toBe('01-12-2026');
    expect(d.placeholder).toBe('DD-MM-YYYY');
    expect(bound()).toBe('2026-12-01');
    // The caller's changes show, and clearing empties it.
    (byId('set-march') as HTMLButtonElement).click();
    await settle(2);
    expect(d.value).toBe('01-03-2026');
    (byId('clear') as HTMLButtonElement).click();
    await settle(2);
    expect(d.value).toBe('');
  });

  it('binds YYYY-MM-DD as the date is typed, and tidies the text when left', async () => {
    render(Harness);
    await settle(2);
    const d = field();
    await typeInto(d, '5/3/2027');
    expect(bound()).toBe('2027-03-05');
    // Still the operator's text while the field has the focus…
    expect(d.value).toBe('5/3/2027');
    // …and as the receipts print it once left.
    await fireEvent.blur(d);
    await settle(2);
    expect(d.value).toBe('05-03-2027');
    expect(d.getAttribute('aria-invalid')).toBeNull();
    await typeInto(d, '15082026');
    expect(bound()).toBe('2026-08-15');
  });

  it('marks an impossible date at once and binds nothing, in both languages', async () => {
    i18n.lang = 'en';
    render(Harness, { props: { initial: '2026-12-01' } });
    await settle(2);
    const d = field();
    await typeInto(d, '31-02-2026');
    expect(bound()).toBe('');
    expect(d.getAttribute('aria-invalid')).toBe('true');
    const msg = byId('day-invalid');
    expect(shown(msg)).toBe(en['date.invalid']);
    expect(d.getAttribute('aria-describedby')).toBe(msg.id);
    i18n.lang = 'hi';
    await settle(2);
    expect(shown(byId('day-invalid'))).toBe(hi['date.invalid']);
    expect(byId('day-invalid').textContent).toMatch(/[\u0900-\u097F]/);
    // Letters too.
    await typeInto(d, '01-dec-2026');
    expect(el('day-invalid')).toBeTruthy();
    expect(bound()).toBe('');
    // Put right: the mark goes.
    await typeInto(d, '28-02-2026');
    expect(el('day-invalid')).toBeNull();
    expect(d.getAttribute('aria-invalid')).toBeNull();
    expect(bound()).toBe('2026-02-28');
  });

  it('a date not finished is not marked while typed, but is on Enter and when left', async () => {
    i18n.lang = 'en';
    render(Harness);
    await settle(2);
    const d = field();
    await typeInto(d, '01-12-20');
    expect(el('day-invalid')).toBeNull();
    expect(bound()).toBe('');
    await fireEvent.keyDown(d, { key: 'Enter' });
    await settle(2);
    expect(el('day-invalid')).toBeTruthy();
    await typeInto(d, '01-12-202');
    expect(el('day-invalid')).toBeNull();
    await fireEvent.blur(d);
    await settle(2);
    expect(el('day-invalid')).toBeTruthy();
  });

  it('Enter reaches the screen with the value already bound (the screens show the report on Enter)', async () => {
    const seen: string[] = [];
    render(Harness, { props: { onEnter: (v: string) => seen.push(v) } });
    await settle(2);
    const d = field();
    await typeInto(d, '07.01.2027');
    await fireEvent.keyDown(d, { key: 'Enter' });
    await settle(2);
    expect(seen).toEqual(['2027-01-07']);
    expect(d.value).toBe('07-01-2027');
  });

  it('does nothing during IME composition: no Enter, no value from half-composed text', async () => {
    const seen: string[] = [];
    render(Harness, { props: { initial: '2026-12-01', onEnter: (v: string) => seen.push(v) } });
    await settle(2);
    const d = field();
    d.focus();
    await fireEvent.compositionStart(d);
    await fireEvent.input(d, { target: { value: '०२-१२' } });
    await settle(2);
    // Mid-composition: the bound value is still the one before.
    expect(bound()).toBe('2026-12-01');
    await fireEvent.keyDown(d, { key: 'Enter', isComposing: true });
    await fireEvent.keyDown(d, { key: 'Enter', keyCode: 229 } as KeyboardEventInit);
    await settle(2);
    expect(seen).toEqual([]);
    expect(el('day-invalid')).toBeNull();
    // Composition ends with a whole date in Devanagari digits.
    d.value = '०२-१२-२०२६';
    await fireEvent.compositionEnd(d);
    await settle(2);
    expect(bound()).toBe('2026-12-02');
    await fireEvent.keyDown(d, { key: 'Enter' });
    await settle(2);
    expect(seen).toEqual(['2026-12-02']);
    expect(d.value).toBe('02-12-2026');
  });

  it('↑ and ↓ move a day, as the date input did; in an empty field they give today', async () => {
    render(Harness, { props: { initial: '2026-02-28' } });
    await settle(2);
    const d = field();
    d.focus();
    await fireEvent.keyDown(d, { key: 'ArrowUp' });
    await settle(2);
    expect(bound()).toBe('2026-03-01');
    expect(d.value).toBe('01-03-2026');
    await fireEvent.keyDown(d, { key: 'ArrowDown' });
    await fireEvent.keyDown(d, { key: 'ArrowDown' });
    await settle(2);
    expect(bound()).toBe('2026-02-27');
    (byId('clear') as HTMLButtonElement).click();
    await settle(2);
    await fireEvent.keyDown(d, { key: 'ArrowDown' });
    await settle(2);
    expect(bound()).toBe(todayYmd());
  });

  it('Tab leaves the field as any other (no segments to step through)', async () => {
    render(Harness, { props: { initial: '2026-12-01' } });
    await settle(2);
    const d = field();
    d.focus();
    const ev = new KeyboardEvent('keydown', { key: 'Tab', bubbles: true, cancelable: true });
    d.dispatchEvent(ev);
    expect(ev.defaultPrevented).toBe(false);
  });
});

// The screens: what shows is DD-MM-YYYY, what reaches the backend is
// YYYY-MM-DD exactly as before.
describe('the date fields of the screens', () => {
  const lastCall = (mock: { calls: Array<{ cmd: string; args: any }> }, cmd: string) => [...mock.calls].reverse().find((c) => c.cmd === cmd);
  const ymdAgo = (days: number) => todayYmd(new Date(Date.now() - days * 86_400_000));

  async function open(kb: Keyboard, key: 'F2' | 'F4' | 'F5', screen: string): Promise<void> {
    await kb.press('F12');
    await waitFor(() => expect(el('office-menu')).toBeTruthy());
    await settle();
    await kb.press(key);
    await waitFor(() => expect(el(screen)).toBeTruthy());
    await settle();
  }
  async function retype(id: string, text: string, kb: Keyboard): Promise<void> {
    const input = byId(id) as HTMLInputElement;
    input.focus();
    await fireEvent.input(input, { target: { value: '' } });
    await kb.type(text);
  }

  it('reports: the range reads DD-MM-YYYY, a typed one goes to the backend as YYYY-MM-DD, a bad one is marked', async () => {
    const { mock } = await start({ lang: 'en' });
    const kb = new Keyboard();
    await open(kb, 'F2', 'reports');
    expect((byId('report-from') as HTMLInputElement).value).toBe(dmyOf(todayYmd(daysAgo(6))));
    expect((byId('report-to') as HTMLInputElement).value).toBe(dmyOf(todayYmd()));
    expect(lastCall(mock, 'report_transactions')!.args.filter).toMatchObject({ from: todayYmd(daysAgo(6)), to: todayYmd() });
    await retype('report-from', dmyOf(ymdAgo(11)).replaceAll('-', '/'), kb);
    await kb.press('Enter');
    expect(lastCall(mock, 'report_transactions')!.args.filter.from).toBe(ymdAgo(11));
    expect((byId('report-from') as HTMLInputElement).value).toBe(dmyOf(ymdAgo(11)));
    await retype('report-to', '31-02-2026', kb);
    expect(shown(byId('report-to-invalid'))).toBe(en['date.invalid']);
    await kb.press('Enter');
    expect(byId('report-error').dataset.code).toBe('report.date_invalid');
  });

  it('reconcile: the day reads DD-MM-YYYY and Enter asks for the typed day', async () => {
    const { mock } = await start({ lang: 'hi' });
    const kb = new Keyboard();
    await open(kb, 'F4', 'reconcile');
    expect((byId('rec-date') as HTMLInputElement).value).toBe(dmyOf(todayYmd()));
    await retype('rec-date', dmyOf(ymdAgo(1)), kb);
    await kb.press('Enter');
    expect(lastCall(mock, 'reconcile_day')!.args.date).toBe(ymdAgo(1));
    await retype('rec-date', '३२-०१-२०२६', kb);
    expect(shown(byId('rec-date-invalid'))).toBe(hi['date.invalid']);
  });

  it('wallet: the statement range is typed as DD-MM-YYYY', async () => {
    const { mock } = await start({ lang: 'en' });
    const kb = new Keyboard();
    await open(kb, 'F5', 'wallet');
    await waitFor(() => expect(lastCall(mock, 'wallet')).toBeTruthy());
    expect((byId('wallet-from') as HTMLInputElement).value).toBe(dmyOf(todayYmd(daysAgo(29))));
    await retype('wallet-to', dmyOf(ymdAgo(2)).replaceAll('-', ''), kb);
    await kb.press('Enter');
    expect(lastCall(mock, 'wallet')!.args).toMatchObject({ from: todayYmd(daysAgo(29)), to: ymdAgo(2) });
  });
});
