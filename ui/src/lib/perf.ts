// Keystroke → results rendered, measured in the window itself, for the
// `ui-search` benchmark in the real app (read `window.__kioskPerf.search`
// over WebDriver). The last 1000 keystrokes, in milliseconds.
import { tick } from 'svelte';

const search: number[] = [];
(globalThis as any).__kioskPerf = { search };

export function measureSearch(t0: number): void {
  void tick().then(() => {
    // Layout is part of what the operator waits for.
    void document.body.offsetHeight;
    search.push(performance.now() - t0);
    if (search.length > 1000) search.shift();
  });
}
