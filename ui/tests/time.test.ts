import { afterEach, describe, expect, it, vi } from 'vitest';
import { centreNow, daysAgo, localTime, setCentreOffset, todayYmd } from '../src/lib/time';

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

// The kiosk dates its records by the centre's clock; a PC clock set wrong
// must not move the screens' "today" (the report's default range, the
// reconcile day, the cheque's dates).
describe('today is the centre’s', () => {
  afterEach(() => {
    setCentreOffset(0);
    vi.useRealTimers();
  });
  it('follows the offset the kiosk reports', async () => {
    vi.useFakeTimers();
    // This PC's clock is 90 days ahead of the truth (2026-12-02 10:00 IST).
    vi.setSystemTime(new Date('2027-03-02T04:30:00Z'));
    expect(todayYmd()).toBe('2027-03-02');
    const { app } = await import('../src/lib/app.svelte');
    const { createMock } = await import('../src/lib/backend/mock');
    const mock = createMock({ clockOffsetMs: -90 * 86_400_000 });
    app.status = (await mock.rpc({ cmd: 'status', args: null })) as typeof app.status;
    expect(todayYmd()).toBe('2026-12-02');
    expect(centreNow().toISOString()).toBe('2026-12-02T04:30:00.000Z');
    expect(todayYmd(daysAgo(6))).toBe('2026-11-26');
  });
});
