// What the centre takes for a refill (crates/protocol/src/refills.rs): the
// same modes and the same upper bound, checked here so a typing slip is
// named at the field, not as a server refusal.
export const REFILL_MODES = ['neft_rtgs', 'net_banking', 'payment_gateway', 'transfer'] as const;
export type RefillMode = (typeof REFILL_MODES)[number];

/** ₹10,00,000. */
export const REFILL_MAX_PAISE = 10_00_000_00;

/** NEFT/RTGS and transfers are matched by the bank's reference. */
export function referenceRequired(mode: string): boolean {
  return mode === 'neft_rtgs' || mode === 'transfer';
}

/** As the centre stores it: no spaces, capitals. */
export function normaliseReference(s: string): string {
  return s.replace(/\s+/g, '').toUpperCase();
}
