// The language now shown, and the one way to get a text in it.
import type { ApiError, Lang } from '../backend/bindings';
import { localTime } from '../time';
import { en, type Key } from './en';
import { hi } from './hi';
import { errorTexts, unknownError, type ErrorCode } from './errors';

export type { Key };
export const dictionaries: Record<Lang, Record<Key, string>> = { en, hi };

// The kiosk's language is its setting (the backend's). The page keeps the
// last one shown only so that the next start's first lines, drawn before
// the kiosk has opened, are already in it.
const SHOWN_KEY = 'kiosk.lang';

function lastShown(): Lang {
  try {
    const l = localStorage.getItem(SHOWN_KEY);
    if (l === 'en' || l === 'hi') return l;
  } catch {
    // No storage: Hindi, the default.
  }
  return 'hi';
}

export const i18n = $state<{ lang: Lang }>({ lang: lastShown() });

/** Shows `lang` now and remembers it for the next start's first lines. */
export function showLang(lang: Lang): void {
  i18n.lang = lang;
  try {
    localStorage.setItem(SHOWN_KEY, lang);
  } catch {
    // Not remembered: the next start shows Hindi until the kiosk opens.
  }
}

function fill(s: string, params?: Record<string, string | number>): string {
  if (!params) return s;
  return s.replace(/\{(\w+)\}/g, (m, k) => (k in params ? String(params[k]) : m));
}

export function t(key: Key, params?: Record<string, string | number>): string {
  return fill(dictionaries[i18n.lang][key] ?? key, params);
}

/** The text for an error code, with its details filled in; an unknown code
 *  gives a generic text that shows the code. */
export function terr(e: ApiError | string | null | undefined, lang: Lang = i18n.lang): string {
  if (!e) return '';
  const code = typeof e === 'string' ? e : e.code;
  const details = typeof e === 'string' ? undefined : (e.details as Record<string, unknown> | undefined);
  const texts = (errorTexts as Record<string, { en: string; hi: string }>)[code];
  if (!texts) {
    // http.<status> stands for any HTTP failure without a code.
    const http = code.startsWith('http.') ? errorTexts['http.status'][lang] + ` (${code})` : null;
    return http ?? fill(unknownError[lang], { code });
  }
  const params: Record<string, string> = {};
  if (details && typeof details === 'object') {
    for (const [k, v] of Object.entries(details)) {
      if (typeof v === 'string' || typeof v === 'number') params[k] = k === 'until' ? localTime(String(v)) : String(v);
    }
  }
  return fill(texts[lang], params);
}

export function isKnownCode(code: string): code is ErrorCode {
  return code in errorTexts;
}
