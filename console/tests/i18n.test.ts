import { describe, expect, it } from 'vitest';
import { en } from '../src/lib/i18n/en';
import { hi } from '../src/lib/i18n/hi';
import { CONTRACT_CODES, errorTexts } from '../src/lib/i18n/errors';
import { i18n, setLang, t, terr } from '../src/lib/i18n/index.svelte';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

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

  it('Hindi texts are in Devanagari, not English left as it was', () => {
    // Only placeholders and punctuation ("{who}, {at}") need no script.
    const words = (v: string) => /[A-Za-z\u0900-\u097F]/.test(v.replace(/\{\w+\}/g, ''));
    const noDevanagari = Object.entries(hi).filter(
      ([k, v]) => k !== 'lang.switch' && words(v) && !/[\u0900-\u097F]/.test(v),
    );
    expect(noDevanagari).toEqual([]);
  });

  it('placeholders match between the languages', () => {
    const ph = (s: string) => (s.match(/\{\w+\}/g) ?? []).sort().join(',');
    for (const k of Object.keys(en) as (keyof typeof en)[]) expect(ph(hi[k]), k).toBe(ph(en[k]));
  });

  it('every key the pages ask for by name exists', () => {
    // Keys written out in the source (t('x.y')); run-time ones go through tOr.
    const files: string[] = [];
    const walk = (d: string) => {
      for (const f of readdirSync(d)) {
        const p = join(d, f);
        if (statSync(p).isDirectory()) walk(p);
        else if (/\.(svelte|ts)$/.test(f)) files.push(p);
      }
    };
    walk(join(__dirname, '../src'));
    const missing = new Set<string>();
    for (const f of files) {
      for (const m of readFileSync(f, 'utf8').matchAll(/\bt\(\s*'([a-z_.]+)'/g)) if (!(m[1] in en)) missing.add(`${m[1]} (${f})`);
    }
    expect([...missing]).toEqual([]);
  });
});

describe('error codes', () => {
  it('every code the contract names has a text in both languages', () => {
    const texts = errorTexts as Record<string, { en?: string; hi?: string }>;
    const missing = CONTRACT_CODES.filter((c) => !texts[c]?.en?.trim() || !/[\u0900-\u097F]/.test(texts[c]?.hi ?? ''));
    expect(missing).toEqual([]);
  });

  it('the contract list is the contract: every code in docs/console-api.md is in it', () => {
    const doc = readFileSync(join(__dirname, '../../docs/console-api.md'), 'utf8');
    const named = new Set([...doc.matchAll(/`((?:auth|console|request|catalogue)\.[a-z_]+|not_found)`/g)].map((m) => m[1]));
    expect([...named].filter((c) => !(CONTRACT_CODES as readonly string[]).includes(c))).toEqual([]);
  });

  it('shows the translation of the code, never the server message', () => {
    setLang('hi');
    expect(terr({ code: 'console.self_approval' })).toContain('दूसरे एडमिन');
    setLang('en');
    expect(terr({ code: 'auth.bad_credentials' })).toBe('Wrong login or password.');
  });

  it('an unknown code falls back to a generic text that shows the code', () => {
    setLang('en');
    expect(terr('brand.new_code')).toBe('The request was refused (brand.new_code).');
    setLang('hi');
    expect(terr('brand.new_code')).toContain('brand.new_code');
    expect(terr('http.503')).toContain('503');
  });

  it('switching language is remembered', () => {
    setLang('hi');
    expect(i18n.lang).toBe('hi');
    expect(localStorage.getItem('console.lang')).toBe('hi');
    expect(t('nav.money')).toBe('धन');
  });
});
