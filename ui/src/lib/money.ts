// The one place money is turned into text. Money is integer paise from the
// backend; the UI never adds, multiplies or parses it (totals come from
// the backend's CartView, typed amounts are sent as text).
const inr = new Intl.NumberFormat('en-IN', {
  style: 'currency',
  currency: 'INR',
  minimumFractionDigits: 2,
  maximumFractionDigits: 2,
});

/** 12345650 → "₹1,23,456.50" (lakh grouping, Latin digits in both languages). */
export function formatPaise(paise: number | null | undefined): string {
  if (paise === null || paise === undefined || !Number.isFinite(paise)) return '—';
  // Display only: an integer below 2^53 divided by 100 rounds back to its
  // exact two-decimal value in Intl.
  return inr.format(paise / 100);
}
