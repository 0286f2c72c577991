// Times on the wire are unix milliseconds; staff read them in India time
// whatever the browser's own zone is.
import type { Lang } from './i18n/index.svelte';

const IST = 'Asia/Kolkata';
const parts = new Intl.DateTimeFormat('en-GB', {
  timeZone: IST,
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  hourCycle: 'h23',
  numberingSystem: 'latn',
});

function pick(ms: number): Record<string, string> {
  const o: Record<string, string> = {};
  for (const p of parts.formatToParts(new Date(ms))) o[p.type] = p.value;
  return o;
}

/** 1764681300000 → "02-12-2025 18:45" (IST). */
export function fmtTime(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  const p = pick(ms);
  return `${p.day}-${p.month}-${p.year} ${p.hour}:${p.minute}`;
}

/** `YYYY-MM-DD` → "DD-MM-YYYY". */
export function fmtDate(ymd: string | null | undefined): string {
  if (!ymd) return '—';
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(ymd);
  return m ? `${m[3]}-${m[2]}-${m[1]}` : ymd;
}

/** Today in India as `YYYY-MM-DD`. */
export function todayIst(now = Date.now()): string {
  const p = pick(now);
  return `${p.year}-${p.month}-${p.day}`;
}

const units = {
  en: { s: 's', min: 'min', h: 'h', d: (n: number) => (n === 1 ? 'day' : 'days') },
  hi: { s: 'सेकंड', min: 'मिनट', h: 'घंटे', d: (_n: number) => 'दिन' },
};

/** 720000 → "12 min", 7500000 → "2 h 5 min", 190000000 → "2 days". */
export function duration(ms: number, lang: Lang): string {
  const u = units[lang];
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s} ${u.s}`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} ${u.min}`;
  const h = Math.floor(m / 60);
  if (h < 24) {
    const rm = m % 60;
    return rm ? `${h} ${u.h} ${rm} ${u.min}` : `${h} ${u.h}`;
  }
  const d = Math.floor(h / 24);
  return `${d} ${u.d(d)}`;
}

/** A signed offset: "+7 min", "−45 s". */
export function offset(ms: number, lang: Lang): string {
  // Under a second is no offset worth a sign ("−0 s" reads as an error).
  if (Math.abs(ms) < 1000) return duration(0, lang);
  return `${ms < 0 ? '−' : '+'}${duration(Math.abs(ms), lang)}`;
}

/** How long ago, from `now`: "12 min ago" / "12 मिनट पहले"; "—" when never. */
export function ago(ms: number | null | undefined, now: number, lang: Lang): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  const d = duration(now - ms, lang);
  return lang === 'hi' ? `${d} पहले` : `${d} ago`;
}
