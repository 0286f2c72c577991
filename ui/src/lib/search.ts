// Instant service search, client-side over the catalogue: Hindi and
// English names, codes, departments and categories.
import type { ServiceView } from './backend/bindings';

export interface Indexed {
  svc: ServiceView;
  code: string;
  names: string;
  all: string;
}

export function norm(s: string): string {
  return s.normalize('NFC').toLowerCase().replace(/\s+/g, ' ').trim();
}

export function buildIndex(services: ServiceView[]): Indexed[] {
  return services.map((svc) => ({
    svc,
    code: svc.code.toLowerCase(),
    names: norm(`${svc.name_en} ${svc.name_hi}`),
    all: norm(
      `${svc.code} ${svc.name_en} ${svc.name_hi} ${svc.department} ${svc.department_en} ${svc.department_hi} ${svc.category_en} ${svc.category_hi}`,
    ),
  }));
}

/** Matching services, best first: code, then name start, then anywhere.
 *  An empty query gives the favourites first, then the rest. */
export function search(index: Indexed[], query: string, favourites: string[]): ServiceView[] {
  const q = norm(query);
  const fav = new Map(favourites.map((c, i) => [c, i]));
  if (!q) {
    const favs = favourites
      .map((c) => index.find((x) => x.svc.code === c)?.svc)
      .filter((s): s is ServiceView => !!s);
    return favs.concat(index.filter((x) => !fav.has(x.svc.code)).map((x) => x.svc));
  }
  const tokens = q.split(' ');
  const scored: { s: ServiceView; r: number; i: number }[] = [];
  for (let i = 0; i < index.length; i++) {
    const x = index[i];
    let ok = true;
    for (const t of tokens) {
      if (!x.all.includes(t)) {
        ok = false;
        break;
      }
    }
    if (!ok) continue;
    let r = 4;
    if (x.code === q) r = 0;
    else if (x.code.startsWith(q)) r = 1;
    else if (x.names.startsWith(q) || x.names.includes(' ' + q)) r = 2;
    else if (x.names.includes(tokens[0])) r = 3;
    if (fav.has(x.svc.code)) r -= 0.5;
    scored.push({ s: x.svc, r, i });
  }
  scored.sort((a, b) => a.r - b.r || a.i - b.i);
  return scored.map((x) => x.s);
}
