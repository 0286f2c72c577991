import { describe, expect, it } from 'vitest';
import { localTime, todayYmd } from '../src/lib/time';

// The ledger files a payment under its date in India; the screens must
// count days the same way whatever zone the PC's clock is set to.
describe('days and times are India’s', () => {
  it('after 18:30 UTC it is already tomorrow in India', () => {
    expect(todayYmd(new Date('2026-12-02T18:29:00Z'))).toBe('2026-12-02');
    expect(todayYmd(new Date('2026-12-02T18:30:00Z'))).toBe('2026-12-03');
  });
  it('shows a time in IST', () => {
    expect(localTime('2026-12-02T19:19:00Z')).toBe('03-12-2026 00:49');
  });
});
