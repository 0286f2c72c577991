// A hash router: `#/kiosks?status=stuck`, `#/kiosks/RJ-JPR-0001`. Links are
// plain hrefs, so the back button and new tabs just work.
export type Route = { parts: string[]; query: URLSearchParams };

function parse(hash: string): Route {
  const h = hash.replace(/^#\/?/, '');
  const [path, qs] = h.split('?', 2);
  const parts = path.split('/').filter(Boolean).map((p) => decodeURIComponent(p));
  return { parts, query: new URLSearchParams(qs ?? '') };
}

export const route = $state<Route>(parse(typeof location === 'undefined' ? '' : location.hash));

export function syncRoute(): void {
  const r = parse(location.hash);
  route.parts = r.parts;
  route.query = r.query;
}

/** The href of a page: href(['kiosks', code]) → "#/kiosks/RJ%2D1". */
export function href(parts: string[], query?: Record<string, string | number | null | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) if (v !== null && v !== undefined && v !== '') q.set(k, String(v));
  const s = q.toString();
  return `#/${parts.map(encodeURIComponent).join('/')}${s ? `?${s}` : ''}`;
}

export function go(parts: string[], query?: Record<string, string | number | null | undefined>): void {
  const h = href(parts, query);
  if (location.hash === h) return;
  location.hash = h;
  // hashchange arrives later; the state follows now so a test (or a quick
  // second click) sees the new page at once.
  syncRoute();
}
