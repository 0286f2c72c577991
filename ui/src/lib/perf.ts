// Measurements taken in the window itself, for the benchmarks in the real
// app (read `window.__kioskPerf` over WebDriver): `search`, keystroke →
// results rendered (the last 1000, ms), for `ui-search`; `report`, a
// report asked for → its rows rendered (the last 100), for `report-screen`.
import { tick } from 'svelte';

export type ReportSample = { what: string; sort: string; rows: number; ms: number };

const search: number[] = [];
const report: ReportSample[] = [];
(globalThis as any).__kioskPerf = { search, report };

function rendered(then: (ms: number) => void, t0: number): void {
  void tick().then(() => {
    // Layout is part of what the operator waits for.
    void document.body.offsetHeight;
    then(performance.now() - t0);
  });
}

export function measureSearch(t0: number): void {
  rendered((ms) => {
    search.push(ms);
    if (search.length > 1000) search.shift();
  }, t0);
}

export function measureReport(what: string, sort: string, rows: number, t0: number): void {
  rendered((ms) => {
    report.push({ what, sort, rows, ms });
    if (report.length > 100) report.shift();
  }, t0);
}
