// Dates as typed at the counter: DD-MM-YYYY, as receipts and bills print
// them, whatever the webview's locale. The rest of the code, and the
// backend, keep `YYYY-MM-DD`.

/** What a date field's text is, so far. */
export type DateText =
  | { kind: 'empty' }
  | { kind: 'ok'; ymd: string }
  /** On the way to a date (digits and separators, not all of it yet). */
  | { kind: 'partial' }
  /** Cannot become a date: letters, 31-02-2026, month 13, too many digits. */
  | { kind: 'invalid' };

const DEVANAGARI_ZERO = 0x0966;

/** Devanagari digits (०–९, from a Hindi keyboard) as 0–9; spaces dropped. */
function normalise(text: string): string {
  return text
    .replace(/[\u0966-\u096F]/g, (d) => String(d.charCodeAt(0) - DEVANAGARI_ZERO))
    .replace(/\s+/g, '');
}

const pad = (n: number) => String(n).padStart(2, '0');

function daysIn(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

function ymdOf(year: number, month: number, day: number): DateText {
  if (year < 1900 || month < 1 || month > 12 || day < 1 || day > daysIn(year, month)) return { kind: 'invalid' };
  return { kind: 'ok', ymd: `${year}-${pad(month)}-${pad(day)}` };
}

/**
 * Reads a date field's text: `DD-MM-YYYY` (`-`, `/` or `.` between, the day
 * and the month with one digit or two), `DDMMYYYY` (eight digits), or
 * `YYYY-MM-DD` (pasted from elsewhere; the year first cannot be misread).
 */
export function parseDateText(raw: string): DateText {
  const s = normalise(raw);
  if (!s) return { kind: 'empty' };
  if (!/^[\d./-]+$/.test(s)) return { kind: 'invalid' };
  let m = /^(\d{1,2})[./-](\d{1,2})[./-](\d{4})$/.exec(s);
  if (m) return ymdOf(+m[3], +m[2], +m[1]);
  m = /^(\d{2})(\d{2})(\d{4})$/.exec(s);
  if (m) return ymdOf(+m[3], +m[2], +m[1]);
  m = /^(\d{4})[./-](\d{1,2})[./-](\d{1,2})$/.exec(s);
  if (m) return ymdOf(+m[1], +m[2], +m[3]);
  return isPrefix(s) ? { kind: 'partial' } : { kind: 'invalid' };
}

/** Could more typing make `s` (digits and separators) a date? */
function isPrefix(s: string): boolean {
  const parts = s.split(/[./-]/);
  // Digits only: DDMMYYYY under way.
  if (parts.length === 1) return s.length <= 8 && wholeOk(s.slice(0, 2), 31, s.length > 2) && wholeOk(s.slice(2, 4), 12, s.length > 4);
  if (parts.length > 3 || parts.slice(0, -1).some((p) => p === '')) return false;
  const done = (i: number) => parts.length > i + 1;
  if (parts[0].length === 4) {
    // YYYY-MM-DD under way.
    const [, mm, dd = ''] = parts;
    return mm.length <= 2 && dd.length <= 2 && wholeOk(mm, 12, done(1)) && wholeOk(dd, 31, false);
  }
  const [dd, mm = '', yyyy = ''] = parts;
  return dd.length <= 2 && mm.length <= 2 && yyyy.length <= 4 && wholeOk(dd, 31, done(0)) && wholeOk(mm, 12, done(1));
}

/** A day or a month typed whole (two digits, or a separator after it) is 1…max. */
function wholeOk(part: string, max: number, done: boolean): boolean {
  if (!(done || part.length === 2)) return true;
  return +part >= 1 && +part <= max;
}

/** `YYYY-MM-DD` → `DD-MM-YYYY`; '' stays ''; anything else is shown as it is. */
export function dmyOf(value: string | null | undefined): string {
  if (!value) return '';
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (m) return `${m[3]}-${m[2]}-${m[1]}`;
  const p = parseDateText(value);
  return p.kind === 'ok' ? dmyOf(p.ymd) : value;
}

/** `YYYY-MM-DD` moved by `days` days (calendar days, no time zone involved). */
export function addDays(ymd: string, days: number): string {
  const [y, m, d] = ymd.split('-').map(Number);
  const t = new Date(Date.UTC(y, m - 1, d + days));
  return `${t.getUTCFullYear()}-${pad(t.getUTCMonth() + 1)}-${pad(t.getUTCDate())}`;
}
