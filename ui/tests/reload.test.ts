import { describe, expect, it } from 'vitest';
import { cleanup, render } from '@testing-library/svelte';
import App from '../src/App.svelte';
import { app } from '../src/lib/app.svelte';
import { counter } from '../src/lib/counter.svelte';
import { _resetKeys } from '../src/lib/keys';
import { start, Keyboard, allById, byId, el, settle, waitFor, screen } from './helpers';

describe('reload', () => {
  it('a reload of the window mid-cart shows the same cart and contact (state lives in the backend)', async () => {
    const { mock } = await start({ lang: 'en' });
    const kb = new Keyboard();
    el('search')!.focus();
    await kb.press('Enter');
    await kb.type('210000000001');
    await kb.press('Enter');
    await kb.type('500');
    await kb.press('Enter');
    await kb.press('F6');
    await kb.type('9876543210');
    await kb.press('F7');
    expect(mock.cartView().mobile).toBe('9876543210');
    // The web process goes away and comes back.
    cleanup();
    app.reset();
    counter.reset();
    _resetKeys();
    render(App);
    const root = await screen.findByTestId('app-root');
    await waitFor(() => {
      if (root.dataset.ready !== '1') throw new Error('not ready');
    });
    await settle();
    expect(allById('cart-line')).toHaveLength(1);
    expect((byId('mobile-input') as HTMLInputElement).value).toBe('9876543210');
    expect(byId('mode-wallet').dataset.selected).toBe('1');
    expect(mock.calls.filter((c) => c.cmd === 'cart_add')).toHaveLength(1);
  });

  it('a new catalogue from the centre is shown at once', async () => {
    const { mock } = await start({ lang: 'en', services: 20 });
    expect(counterResults()).toBeGreaterThan(0);
    mock.emit({ kind: 'catalogue' });
    await settle();
    expect(mock.calls.filter((c) => c.cmd === 'catalogue').length).toBe(2);
  });
});

function counterResults(): number {
  return allById('service-result').length;
}
