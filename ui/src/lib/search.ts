// Instant service search, client-side over the catalogue: Hindi and
// English names, codes, departments and categories.
import type { ServiceView } from './backend/bindings';

export interface Indexed {
  svc: ServiceView;
  code: string;
  names: string;
  all: string;
  /** Consonant skeleton of the Hindi names, for Hindi typed in Latin
   *  letters ("bijli", "pani", "jaipur"). */
  skel: string;
}

// Devanagari consonants as the Latin consonant an operator types for them
// (aspirates as the plain consonant; semivowels y/v are dropped in the
// skeleton like vowels, since "jaipur" has no y for जयपुर).
const CONS: Record<string, string> = {
  क: 'k', ख: 'k', ग: 'g', घ: 'g', ङ: 'n', च: 'c', छ: 'c', ज: 'j', झ: 'j', ञ: 'n',
  ट: 't', ठ: 't', ड: 'd', ढ: 'd', ण: 'n', त: 't', थ: 't', द: 'd', ध: 'd', न: 'n',
  प: 'p', फ: 'p', ब: 'b', भ: 'b', म: 'm', र: 'r', ल: 'l', श: 's', ष: 's', स: 's',
  ह: '', ळ: 'l', क़: 'k', ख़: 'k', ग़: 'g', ज़: 'j', ड़: 'r', ढ़: 'r', फ़: 'p', य: '', व: '',
  'ं': 'n', 'ँ': 'n', 'ृ': 'r', ऋ: 'r',
};

/** "बिजली बिल" → "bjl bl". */
export function hindiSkeleton(s: string): string {
  let out = '';
  for (const ch of s.normalize('NFC')) {
    if (ch === ' ') out += ' ';
    else if (ch in CONS) out += CONS[ch];
  }
  return out.replace(/(.)\1+/g, '$1');
}

/** "bijli" → "bjl": Latin letters as an operator spells Hindi. */
export function latinSkeleton(s: string): string {
  return s
    .toLowerCase()
    .replace(/ch/g, 'c')
    .replace(/sh/g, 's')
    .replace(/[kgcjtdpb]h/g, (m) => m[0])
    .replace(/ph|f/g, 'p')
    .replace(/q/g, 'k')
    .replace(/z/g, 'j')
    .replace(/x/g, 'ks')
    .replace(/[aeiouyvwh]/g, '')
    .replace(/(.)\1+/g, '$1');
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
    skel: ' ' + hindiSkeleton(`${svc.name_hi} ${svc.department_hi} ${svc.category_hi}`).replace(/\s+/g, ' ') + ' ',
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
  // Hindi typed in Latin letters: each word's skeleton must start a word
  // of the Hindi names ("bijli" → "bjl" matches बिजली, not every b-j-l).
  const latin = /^[a-z ]+$/.test(q) && q.replace(/ /g, '').length >= 3;
  const skels = latin ? tokens.map(latinSkeleton).filter((k) => k.length >= 2) : [];
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
    if (!ok) {
      if (!skels.length || !skels.every((k) => x.skel.includes(' ' + k))) continue;
      scored.push({ s: x.svc, r: 5, i });
      continue;
    }
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
