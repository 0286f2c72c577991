import { describe, expect, it } from 'vitest';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { COMMAND_NAMES } from '../src/lib/backend/bindings';
import { createMock } from '../src/lib/backend/mock';
import { call, setBackend, BackendError } from '../src/lib/backend/ipc';

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : [p];
  });
}
// Vitest runs in ui/.
const src = join(process.cwd(), 'src');

describe('backend contract', () => {
  it('only src/lib/backend imports @tauri-apps', () => {
    const bad = files(src).filter(
      (f) => /\.(ts|svelte)$/.test(f) && !f.includes(join('lib', 'backend')) && readFileSync(f, 'utf8').includes('@tauri-apps'),
    );
    expect(bad).toEqual([]);
  });

  it('every command the screens send exists in the backend', () => {
    const used = new Set<string>();
    for (const f of files(src)) {
      if (!/\.(ts|svelte)$/.test(f)) continue;
      for (const m of readFileSync(f, 'utf8').matchAll(/\bcall\('(\w+)'/g)) used.add(m[1]);
    }
    const known = new Set<string>(COMMAND_NAMES);
    expect([...used].filter((c) => !known.has(c))).toEqual([]);
    expect(used.size).toBeGreaterThan(15);
  });

  it('the mocked backend answers every command', async () => {
    const m = createMock();
    for (const c of COMMAND_NAMES) {
      const r = await m.rpc({ cmd: c, args: {} }).then(
        () => 'ok',
        (e) => e.code,
      );
      expect(r, c).not.toBe('request.invalid');
    }
  });

  it('sends {cmd, args} with null args and throws refusals as typed errors', async () => {
    const seen: unknown[] = [];
    setBackend({
      rpc: async (req) => {
        seen.push(req);
        if (req.cmd === 'pay') throw { code: 'payment.duplicate_unconfirmed', message: 'm', details: { duplicates: [] } };
        return null;
      },
      listen: async () => () => {},
    });
    await call('touch', null);
    expect(seen[0]).toEqual({ cmd: 'touch', args: null });
    const e = await call('pay', { cart_id: 'c1', confirm_duplicate: false }).catch((x) => x);
    expect(e).toBeInstanceOf(BackendError);
    expect(e.code).toBe('payment.duplicate_unconfirmed');
    expect(e.details).toEqual({ duplicates: [] });
  });
});
