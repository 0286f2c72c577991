import { afterEach } from 'vitest';
import { cleanup, configure } from '@testing-library/svelte';
import { app } from '../src/lib/app.svelte';
import { counter } from '../src/lib/counter.svelte';
import { _resetKeys } from '../src/lib/keys';
import { office } from '../src/lib/office.svelte';

// findBy/waitFor give up after this long (a bound, not a pause).
configure({ asyncUtilTimeout: 10_000 });

afterEach(() => {
  cleanup();
  // Each test starts as a fresh install would: no language remembered.
  localStorage.clear();
  app.reset();
  counter.reset();
  _resetKeys();
  office.reset();
});
