// The language now shown, and the one way to get a text in it.
import { en, type Key } from './en';
import { hi } from './hi';
import { errorTexts, unknownError } from './errors';

export type Lang = 'en' | 'hi';
export type { Key };
export const dictionaries: Record<Lang, Record<Key, string>> = { en, hi };

const STORE_KEY = 'console.lang';

function initialLang(): Lang {
  try {
    const saved = localStorage.getItem(STORE_KEY);
    if (saved === 'en' || saved === 'hi') return saved;
  } catch {
    // Storage may be refused (private mode): the default stands.
  }
  return typeof navigator !== 'undefined' && navigator.language?.startsWith('hi') ? 'hi' : 'en';
}

export const i18n = $state<{ lang: Lang }>({ lang: initialLang() });

/** Switch now and remember it for the next visit. */
export function setLang(lang: Lang): void {
  i18n.lang = lang;
  try {
    localStorage.setItem(STORE_KEY, lang);
  } catch {
    // Not remembered, still switched.
  }
  if (typeof document !== 'undefined') document.documentElement.lang = lang;
}

/**
 * Resolves once both Devanagari faces are loaded (at most 3 s). Chromium
 * draws Hindi laid out before its web font arrived as empty boxes and does
 * not redraw it when the face comes, so Hindi is shown only after this. An
 * English page never calls it and fetches no Devanagari font.
 */
export function devanagariReady(): Promise<void> {
  if (typeof document === 'undefined' || !document.fonts) return Promise.resolve();
  const faces = Promise.all(
    ['400', '700'].map((w) => document.fonts.load(`${w} 1em "Console Devanagari"`, 'क')),
  ).then(
    () => undefined,
    () => undefined,
  );
  return Promise.race([faces, new Promise<void>((r) => setTimeout(r, 3000))]);
}

/** The language buttons: Hindi once its font is in, English at once. */
export async function switchLang(lang: Lang): Promise<void> {
  if (lang === 'hi') await devanagariReady();
  setLang(lang);
}

export function fill(s: string, params?: Record<string, string | number>): string {
  if (!params) return s;
  return s.replace(/\{(\w+)\}/g, (m, k) => (k in params ? String(params[k]) : m));
}

export function t(key: Key, params?: Record<string, string | number>): string {
  return fill(dictionaries[i18n.lang][key] ?? key, params);
}

/** A text for a key made at run time (a status, a kind), or the raw value
 *  when there is none. */
export function tOr(key: string, fallback: string): string {
  const d = dictionaries[i18n.lang] as Record<string, string>;
  return d[key] ?? fallback;
}

/** The text for an error code; an unknown code gives a generic text that
 *  shows the code. The server's `message` is never shown: it is English. */
export function terr(e: { code: string } | string | null | undefined, lang: Lang = i18n.lang): string {
  if (!e) return '';
  const code = typeof e === 'string' ? e : e.code;
  const texts = (errorTexts as Record<string, { en: string; hi: string }>)[code];
  if (texts) return texts[lang];
  if (/^http\.\d+$/.test(code)) return `${errorTexts['http.status'][lang]} (${code.slice(5)})`;
  return fill(unknownError[lang], { code });
}

/** The text for anything a call threw: an ApiError's code, else "network". */
export function errText(e: unknown): string {
  if (e && typeof e === 'object' && 'code' in e && typeof (e as { code: unknown }).code === 'string') {
    const err = e as { code: string; retryAfterS?: number | null };
    const base = terr(err.code);
    if (err.retryAfterS) return `${base} ${t('error.retry_after', { s: err.retryAfterS })}`;
    return base;
  }
  return terr('internal');
}
