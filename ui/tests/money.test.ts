import { describe, expect, it } from 'vitest';
import { formatPaise } from '../src/lib/money';
import { humanAge } from '../src/lib/time';

describe('money', () => {
  it('formats integer paise with Indian grouping', () => {
    expect(formatPaise(12345650)).toBe('₹1,23,456.50');
    expect(formatPaise(1234567850)).toBe('₹1,23,45,678.50');
    expect(formatPaise(0)).toBe('₹0.00');
    expect(formatPaise(5)).toBe('₹0.05');
    expect(formatPaise(100)).toBe('₹1.00');
    expect(formatPaise(null)).toBe('—');
  });
  it('never shows more than two decimals for large sums', () => {
    expect(formatPaise(9_007_199_254_740_99)).toMatch(/\.99$/);
  });
});

describe('age', () => {
  it('reads in plain words', () => {
    expect(humanAge(200, 'en')).toBe('3 min');
    expect(humanAge(45, 'en')).toBe('45 s');
    expect(humanAge(7500, 'en')).toBe('2 h 5 min');
    expect(humanAge(200000, 'en')).toBe('2 days');
    expect(humanAge(200, 'hi')).toBe('3 मिनट');
  });
});
