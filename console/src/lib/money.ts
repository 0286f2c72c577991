// The one place money is turned into text and typed rupees into paise.
// Money is integer paise on the wire; no floating point touches an amount
// except the display-only division inside formatPaise.
const inr = new Intl.NumberFormat('en-IN', {
  style: 'currency',
  currency: 'INR',
  numberingSystem: 'latn',
  minimumFractionDigits: 2,
  maximumFractionDigits: 2,
});

/** 12345678 → "₹1,23,456.78" (lakh grouping, Latin digits in both languages). */
export function formatPaise(paise: number | null | undefined): string {
  if (paise === null || paise === undefined || !Number.isFinite(paise)) return '—';
  // An integer below 2^53 divided by 100 rounds back to its exact
  // two-decimal value in Intl.
  return inr.format(paise / 100);
}

/** 12345 → "123.45": the text an amount input starts with. */
export function paiseToRupeesText(paise: number): string {
  const neg = paise < 0;
  const a = Math.abs(Math.trunc(paise));
  const r = Math.floor(a / 100);
  const p = a % 100;
  return `${neg ? '-' : ''}${r}.${String(p).padStart(2, '0')}`;
}

export type RupeesError = 'money.empty' | 'money.invalid' | 'money.too_many_decimals' | 'money.zero' | 'money.too_large';

/** Most rupees a typed amount may be (₹10 crore): far above any refill,
 *  far below where integer paise stop being exact. */
const MAX_RUPEES = 100_000_000;

/** "1,234.5" → 123450 paise, by string arithmetic. Commas are grouping
 *  only; at most two decimals; no sign. */
export function parseRupees(text: string, opts: { allowZero?: boolean } = {}): { paise: number } | { error: RupeesError } {
  const s = text.trim().replace(/,/g, '');
  if (s === '') return { error: 'money.empty' };
  const m = /^(\d*)(?:\.(\d*))?$/.exec(s);
  if (!m || (m[1] === '' && (m[2] ?? '') === '')) return { error: 'money.invalid' };
  const frac = m[2] ?? '';
  if (frac.length > 2) return { error: 'money.too_many_decimals' };
  const whole = m[1] === '' ? 0 : Number(m[1]);
  if (whole > MAX_RUPEES) return { error: 'money.too_large' };
  const paise = whole * 100 + Number(frac.padEnd(2, '0'));
  if (paise === 0 && !opts.allowZero) return { error: 'money.zero' };
  return { paise };
}
