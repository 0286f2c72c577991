// "Now" for the "12 min ago" texts: one tick a minute is enough for them.
export const clock = $state({ now: Date.now() });

let timer: ReturnType<typeof setInterval> | null = null;
export function startClock(): void {
  if (timer) return;
  timer = setInterval(() => (clock.now = Date.now()), 30_000);
}

/** Fresh data is aged from the moment it arrived, not from the last tick. */
export function tick(): void {
  clock.now = Date.now();
}
