import { tick } from 'svelte';

// Keyboard first. One window listener (capture phase, so F-keys work while
// an input has focus) hands F-keys and Esc to the topmost layer that binds
// them. Ctrl/Alt/Meta combinations are never taken (Ctrl+A/C/V/X/Z stay
// the operator's), and nothing happens during IME composition.

export type KeyName = 'F1' | 'F2' | 'F3' | 'F4' | 'F5' | 'F6' | 'F7' | 'F8' | 'F9' | 'F10' | 'F11' | 'F12' | 'Escape';
export type KeyMap = Partial<Record<KeyName, (e: KeyboardEvent) => void>>;

const layers: KeyMap[] = [];

/** Binds keys above the layers bound before; returns the unbind. */
export function pushKeys(map: KeyMap): () => void {
  layers.push(map);
  return () => {
    const i = layers.lastIndexOf(map);
    if (i >= 0) layers.splice(i, 1);
  };
}

export function composing(e: KeyboardEvent): boolean {
  // WebKit sends keyCode 229 without isComposing.
  return e.isComposing || e.keyCode === 229;
}

const F_KEYS = new Set(['F1', 'F2', 'F3', 'F4', 'F5', 'F6', 'F7', 'F8', 'F9', 'F10', 'F11', 'F12']);

/** The window's keydown handler (registered with capture: true). */
export function onWindowKey(e: KeyboardEvent): void {
  if (composing(e)) return;
  if (e.ctrlKey || e.altKey || e.metaKey) return;
  const k = e.key;
  const isF = F_KEYS.has(k);
  if (!isF && k !== 'Escape') return;
  // The webview's own F-keys (find, reload, caret browsing, full screen)
  // would take the operator away from the counter.
  if (isF) e.preventDefault();
  if (e.repeat && k === 'F9') return;
  for (let i = layers.length - 1; i >= 0; i--) {
    const h = layers[i][k as KeyName];
    if (h) {
      e.preventDefault();
      e.stopPropagation();
      h(e);
      return;
    }
  }
}

/** Enter on an input: the obvious next step, unless composing. */
export function isEnter(e: KeyboardEvent): boolean {
  return e.key === 'Enter' && !composing(e) && !e.ctrlKey && !e.altKey && !e.metaKey && !e.shiftKey;
}

/** Moves the focus to the element with this data-testid (after render). */
export async function focusTestId(id: string, select = false): Promise<void> {
  await tick();
  const el = document.querySelector<HTMLElement>(`[data-testid="${id}"]`);
  if (!el) return;
  el.focus();
  if (select && el instanceof HTMLInputElement) el.select();
}

/**
 * Moves the focus after an answer from the backend, unless the operator
 * has moved on while it was awaited (a late answer must not pull the
 * focus back from the field they are typing in). `before` is the focused
 * element when the action started.
 */
export async function focusTestIdIfStill(before: Element | null, id: string, select = false): Promise<void> {
  await tick();
  const now = document.activeElement;
  if (before && now && now !== before && now !== document.body && before.isConnected) return;
  await focusTestId(id, select);
}

export function _resetKeys(): void {
  layers.length = 0;
}
