import { describe, expect, it } from 'vitest';
import { formatPaise, paiseToRupeesText, parseRupees } from '../src/lib/money';
import { ago, fmtTime, offset, todayIst } from '../src/lib/time';

describe('money', () => {
  it('formats paise as rupees with Indian grouping and Latin digits', () => {
    expect(formatPaise(12_345_678)).toBe('₹1,23,456.78');
    expect(formatPaise(5)).toBe('₹0.05');
    expect(formatPaise(10_00_00_000_00)).toBe('₹10,00,00,000.00');
    expect(formatPaise(-250_050)).toBe('-₹2,500.50');
    expect(formatPaise(null)).toBe('—');
  });

  it('parses typed rupees into paise without floating point', () => {
    expect(parseRupees('1,234.5')).toEqual({ paise: 123_450 });
    expect(parseRupees('0.29')).toEqual({ paise: 29 });
    expect(parseRupees('25000')).toEqual({ paise: 2_500_000 });
    expect(parseRupees('.5')).toEqual({ paise: 50 });
    expect(parseRupees('')).toEqual({ error: 'money.empty' });
    expect(parseRupees('12.345')).toEqual({ error: 'money.too_many_decimals' });
    expect(parseRupees('-5')).toEqual({ error: 'money.invalid' });
    expect(parseRupees('1e5')).toEqual({ error: 'money.invalid' });
    expect(parseRupees('0')).toEqual({ error: 'money.zero' });
    expect(parseRupees('0', { allowZero: true })).toEqual({ paise: 0 });
    expect(parseRupees('999999999')).toEqual({ error: 'money.too_large' });
  });

  it('turns paise back into the text an input starts with', () => {
    expect(paiseToRupeesText(123_405)).toBe('1234.05');
    expect(paiseToRupeesText(0)).toBe('0.00');
  });
});

describe('time', () => {
  it('signs a clock offset, and not one under a second', () => {
    expect(offset(-400, 'en')).not.toMatch(/[−+]/);
    expect(offset(7 * 60_000, 'en')).toMatch(/^\+7 min/);
    expect(offset(-45_000, 'en')).toMatch(/^−45 s/);
  });
  it('shows times in IST whatever the browser zone', () => {
    // 2026-03-01T18:45:00Z is 2 March 00:15 in India.
    const ms = Date.UTC(2026, 2, 1, 18, 45);
    expect(fmtTime(ms)).toBe('02-03-2026 00:15');
    expect(todayIst(ms)).toBe('2026-03-02');
  });

  it('says how long ago in both languages', () => {
    const now = Date.UTC(2026, 0, 1);
    expect(ago(now - 12 * 60_000, now, 'en')).toBe('12 min ago');
    expect(ago(now - 12 * 60_000, now, 'hi')).toBe('12 मिनट पहले');
    expect(ago(now - 3 * 86_400_000, now, 'en')).toBe('3 days ago');
    expect(ago(null, now, 'en')).toBe('—');
  });
});
