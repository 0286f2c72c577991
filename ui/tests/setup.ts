import { afterEach } from 'vitest';
import { cleanup } from '@testing-library/svelte';
import { app } from '../src/lib/app.svelte';
import { counter } from '../src/lib/counter.svelte';
import { _resetKeys } from '../src/lib/keys';
import { office } from '../src/lib/office.svelte';

afterEach(() => {
  cleanup();
  app.reset();
  counter.reset();
  _resetKeys();
  office.reset();
});
