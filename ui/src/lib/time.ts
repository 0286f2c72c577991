import type { Lang } from './backend/bindings';

const units = {
  en: { s: 's', min: 'min', h: 'h', d: (n: number) => (n === 1 ? 'day' : 'days') },
  hi: { s: 'सेकंड', min: 'मिनट', h: 'घंटे', d: (_n: number) => 'दिन' },
};

/** 200 → "3 min", 7500 → "2 h 5 min", 190000 → "2 days". */
export function humanAge(secs: number, lang: Lang): string {
  const u = units[lang];
  const s = Math.max(0, Math.floor(secs));
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

// The trade's days and times are India's (IST, UTC+5:30, no daylight
// saving), whatever zone the PC's clock is set to: the ledger files a
// payment under its IST date, so the screens must count days the same way.
export const IST_MS = (5 * 60 + 30) * 60_000;
function ist(d: Date): Date {
  return new Date(d.getTime() + IST_MS);
}

/** An RFC 3339 time in India's time: "01-12-2026 14:05". */
export function localTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const p = (n: number) => String(n).padStart(2, '0');
  const i = ist(d);
  return `${p(i.getUTCDate())}-${p(i.getUTCMonth() + 1)}-${i.getUTCFullYear()} ${p(i.getUTCHours())}:${p(i.getUTCMinutes())}`;
}

/** `YYYY-MM-DD` → "DD-MM-YYYY" (as bills print it). */
export function localDate(ymd: string | null | undefined): string {
  if (!ymd) return '—';
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(ymd);
  return m ? `${m[3]}-${m[2]}-${m[1]}` : ymd;
}

// The kiosk dates its records by the centre's clock (this PC's may be set
// wrong); the screens count "today" the same way. Set from each status.
let centreOffsetMs = 0;

/** The centre's clock minus this PC's, in ms (from the kiosk's status). */
export function setCentreOffset(ms: number): void {
  centreOffsetMs = Number.isFinite(ms) ? ms : 0;
}

/** Now by the centre's clock, as the kiosk dates its records. */
export function centreNow(): Date {
  return new Date(Date.now() + centreOffsetMs);
}

/** `days` days before now by the centre's clock. */
export function daysAgo(days: number): Date {
  return new Date(centreNow().getTime() - days * 86_400_000);
}

/** Today in India as `YYYY-MM-DD` (the date the ledger files payments under). */
export function todayYmd(now = centreNow()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  const i = ist(now);
  return `${i.getUTCFullYear()}-${p(i.getUTCMonth() + 1)}-${p(i.getUTCDate())}`;
}
