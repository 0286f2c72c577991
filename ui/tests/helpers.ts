import { render, fireEvent, screen, waitFor } from '@testing-library/svelte';
import { tick } from 'svelte';
import App from '../src/App.svelte';
import { setBackend } from '../src/lib/backend/ipc';
import { createMock, type Mock, type MockOptions } from '../src/lib/backend/mock';
import { app } from '../src/lib/app.svelte';

export async function settle(n = 6): Promise<void> {
  for (let i = 0; i < n; i++) {
    await tick();
    await new Promise((r) => setTimeout(r, 0));
  }
}

/** The whole app over a mocked backend, waited until it shows its phase. */
export async function start(opts: MockOptions = {}): Promise<{ mock: Mock; root: HTMLElement }> {
  const mock = createMock(opts);
  setBackend(mock);
  render(App);
  const root = await screen.findByTestId('app-root');
  const phase = opts.phase ?? 'counter';
  await waitFor(() => {
    if (root.dataset.phase !== phase) throw new Error(`phase ${root.dataset.phase}`);
    if (phase === 'counter' && root.dataset.ready !== '1') throw new Error('not ready');
  });
  await settle();
  return { mock, root };
}

export const byId = (id: string) => screen.getByTestId(id);
export const allById = (id: string) => screen.queryAllByTestId(id);
export const el = (id: string) => document.querySelector<HTMLElement>(`[data-testid="${id}"]`);

/** Keys as the operator presses them, counted. */
export class Keyboard {
  count = 0;
  async press(key: string, init: KeyboardEventInit = {}): Promise<void> {
    this.count++;
    const target = (document.activeElement as HTMLElement) ?? document.body;
    const ev = new KeyboardEvent('keydown', { key, bubbles: true, cancelable: true, ...init });
    target.dispatchEvent(ev);
    // Enter on a focused button clicks it, as browsers do.
    if (key === 'Enter' && !ev.defaultPrevented && target instanceof HTMLButtonElement && !target.disabled) {
      target.click();
    }
    target.dispatchEvent(new KeyboardEvent('keyup', { key, bubbles: true }));
    await settle();
  }
  /** Typed data (not counted): sets the focused input's value. */
  async type(text: string): Promise<void> {
    const target = document.activeElement as HTMLInputElement;
    if (!(target instanceof HTMLInputElement)) throw new Error(`typing into ${(target as any)?.outerHTML?.slice(0, 80)}`);
    await fireEvent.input(target, { target: { value: target.value + text } });
    await settle();
  }
}

export function focused(): string | undefined {
  return (document.activeElement as HTMLElement | null)?.dataset?.testid;
}

export { app, screen, fireEvent, waitFor };
