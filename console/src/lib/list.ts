// Paged lists: the next page is appended below the rows already shown.

/** `rows`, then the rows of `page` not among them already (by `key`). */
export function appendPage<T>(rows: readonly T[] | null, page: readonly T[], key: (r: T) => unknown): T[] {
  const have = rows ?? [];
  const seen = new Set(have.map(key));
  return [...have, ...page.filter((r) => !seen.has(key(r)))];
}
