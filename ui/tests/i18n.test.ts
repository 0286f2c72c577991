import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../src/lib/backend/bindings';
import { en } from '../src/lib/i18n/en';
import { hi } from '../src/lib/i18n/hi';
import { errorTexts } from '../src/lib/i18n/errors';
import { i18n, t, terr } from '../src/lib/i18n/index.svelte';

describe('dictionaries', () => {
  it('have the same keys in Hindi and English, none empty', () => {
    const enKeys = Object.keys(en).sort();
    const hiKeys = Object.keys(hi).sort();
    expect(hiKeys.filter((k) => !(k in en)), 'in Hindi only').toEqual([]);
    expect(enKeys.filter((k) => !(k in hi)), 'missing in Hindi').toEqual([]);
    for (const k of enKeys) {
      expect((en as Record<string, string>)[k].trim(), `en ${k}`).not.toBe('');
      expect((hi as Record<string, string>)[k].trim(), `hi ${k}`).not.toBe('');
    }
  });

  it('Hindi texts are in Devanagari (not English left untranslated)', () => {
    // Texts that are the same in both languages on purpose.
    const same = new Set(['keys.f11']);
    const untranslated = Object.keys(en).filter(
      (k) => !same.has(k) && (hi as Record<string, string>)[k] === (en as Record<string, string>)[k],
    );
    expect(untranslated).toEqual([]);
    const noDevanagari = Object.entries(hi).filter(([k, v]) => k !== 'lang.switch' && !/[\u0900-\u097F]/.test(v));
    expect(noDevanagari).toEqual([]);
  });

  it('placeholders match between the languages', () => {
    const ph = (s: string) => (s.match(/\{\w+\}/g) ?? []).sort().join(',');
    for (const k of Object.keys(en) as (keyof typeof en)[]) {
      expect(ph(hi[k]), k).toBe(ph(en[k]));
    }
  });
});

describe('error codes', () => {
  it('every code the backend can answer has a text in both languages', () => {
    const missing: string[] = [];
    for (const code of ERROR_CODES) {
      const x = (errorTexts as Record<string, { en?: string; hi?: string }>)[code];
      if (!x?.en?.trim()) missing.push(`${code} (en)`);
      if (!x?.hi?.trim()) missing.push(`${code} (hi)`);
      if (x?.hi && !/[\u0900-\u097F]/.test(x.hi)) missing.push(`${code} (hi not in Devanagari)`);
    }
    expect(missing).toEqual([]);
  });

  it('has no texts for codes the backend does not have', () => {
    const known = new Set<string>(ERROR_CODES);
    expect(Object.keys(errorTexts).filter((c) => !known.has(c))).toEqual([]);
  });

  it('shows the translation of the code, never the message', () => {
    i18n.lang = 'en';
    expect(terr({ code: 'login.bad_credentials', message: 'SECRET ENGLISH' })).toBe('Wrong login or password.');
    i18n.lang = 'hi';
    expect(terr({ code: 'login.bad_credentials', message: 'SECRET ENGLISH' })).toBe('लॉगिन या पासवर्ड गलत है।');
  });

  it('an unknown code falls back to a generic text that shows the code', () => {
    i18n.lang = 'en';
    const s = terr({ code: 'brand.new_code', message: 'do not show' });
    expect(s).toContain('brand.new_code');
    expect(s).not.toContain('do not show');
    i18n.lang = 'hi';
    expect(terr('brand.new_code')).toContain('brand.new_code');
    expect(terr('http.503')).toContain('http.503');
  });

  it('fills details: the time a login lock ends', () => {
    i18n.lang = 'en';
    const s = terr({ code: 'login.locked', message: '', details: { until: '2026-12-01T15:30:00Z' } });
    expect(s).toMatch(/until \d\d-12-2026 \d\d:\d\d/);
  });

  it('t() fills parameters', () => {
    i18n.lang = 'en';
    expect(t('status.pending', { n: 3 })).toBe('3 to send');
    i18n.lang = 'hi';
    expect(t('status.pending', { n: 3 })).toBe('3 भेजने बाकी');
  });
});
