// A person's name in the status bar: its head always shows, its tail may
// give way (ellipsis) when the bar is short of room.

/** The letters of a name as they are read: a Devanagari vowel sign or
 *  nukta stays with its consonant, a conjunct (virama, ZWJ) stays whole. */
export function letters(s: string): string[] {
  const out: string[] = [];
  for (const c of s) {
    const prev = out.length ? out[out.length - 1] : '';
    const joined = /\p{M}/u.test(c) || c === '\u200d' || (!/\s/u.test(c) && (prev.endsWith('\u094d') || prev.endsWith('\u200d')));
    if (joined && out.length) out[out.length - 1] += c;
    else out.push(c);
  }
  return out;
}

/** The part of a name that never gives way: its first `min` letters and the
 *  rest of the word they end in ("Suresh Kumar" → "Suresh", "Mahendra
 *  Singh" → "Mahendra"), at most `max` letters; the tail is the rest. A
 *  tail of fewer than `tail` letters (its space counted) stays with the
 *  head: cut, it would save nothing ("K. Ramesh Rao" is never cut). */
export function nameHead(name: string, min = 6, max = 10, tail = 5): [head: string, tail: string] {
  const l = letters(name);
  let n = Math.min(min, l.length);
  while (n < l.length && n < max && !/\s/u.test(l[n]) && !/\s/u.test(l[n - 1])) n++;
  while (n > 1 && /\s/u.test(l[n - 1])) n--; // a space goes with the tail
  if (l.length - n < tail) n = l.length;
  return [l.slice(0, n).join(''), l.slice(n).join('')];
}
