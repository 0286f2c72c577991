import { afterEach, describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen } from '@testing-library/svelte';
import SessionWarning from '../src/components/SessionWarning.svelte';
import { canExtend, clearSession, session, sessionUsed, startSession } from '../src/lib/session.svelte';
import { mockFetch, stateAdmin } from './helpers';

const MIN = 60_000;
const start = (left: number, maxLeft: number, now = 1_000_000) =>
  startSession({ admin: stateAdmin, csrf: 'c', expires_ms: 0, idle_ms: 15 * MIN, left_ms: left, max_left_ms: maxLeft }, now);

afterEach(() => {
  clearSession();
  vi.useRealTimers();
});

describe('the session end', () => {
  it('moves with each answered request, but never past the 8 hours', () => {
    start(15 * MIN, 20 * MIN);
    expect(session.endsAt).toBe(1_000_000 + 15 * MIN);
    sessionUsed(1_000_000 + 3 * MIN);
    expect(session.endsAt).toBe(1_000_000 + 18 * MIN);
    expect(canExtend(1_000_000 + 4 * MIN)).toBe(true);
    sessionUsed(1_000_000 + 10 * MIN);
    expect(session.endsAt).toBe(1_000_000 + 20 * MIN);
    expect(canExtend(1_000_000 + 11 * MIN)).toBe(false);
  });

  it('reads a server without the durations from expires_ms', () => {
    startSession({ admin: stateAdmin, csrf: 'c', expires_ms: 5_000 + 15 * MIN }, 5_000);
    expect(session.endsAt).toBe(5_000 + 15 * MIN);
  });

  it('warns in the last two minutes, and "stay" asks the centre and moves the end', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'Date'] });
    const calls = mockFetch({
      'GET /console/api/me': { body: { admin: stateAdmin, csrf: 'c', expires_ms: 0, idle_ms: 15 * MIN, left_ms: 15 * MIN, max_left_ms: 7 * 60 * MIN } },
    });
    start(3 * MIN, 7 * 60 * MIN, Date.now());
    render(SessionWarning);
    expect(screen.queryByTestId('session-warning')).toBeNull();
    await vi.advanceTimersByTimeAsync(90_000);
    expect(screen.getByTestId('session-warning').textContent).toContain('1:30');
    await fireEvent.click(screen.getByTestId('session-stay'));
    await vi.waitFor(() => expect(screen.queryByTestId('session-warning')).toBeNull());
    expect(calls.map((c) => c.path)).toEqual(['/console/api/me']);
    expect(session.endsAt! - Date.now()).toBeGreaterThan(14 * MIN);
  });

  it('at the 8 hours offers no "stay", and at the end goes back to the login saying why', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'Date'] });
    start(MIN, MIN, Date.now());
    render(SessionWarning);
    await vi.advanceTimersByTimeAsync(1000);
    expect(screen.getByTestId('session-warning').textContent).toContain('8');
    expect(screen.queryByTestId('session-stay')).toBeNull();
    await vi.advanceTimersByTimeAsync(MIN);
    expect(session.current).toBeNull();
    expect(session.ended).toBe(true);
  });
});
