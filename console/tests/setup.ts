import { afterEach, vi } from 'vitest';
import { cleanup, configure } from '@testing-library/svelte';
import { clearSession } from '../src/lib/session.svelte';
import { syncRoute } from '../src/lib/router.svelte';
import { setLang } from '../src/lib/i18n/index.svelte';

// findBy/waitFor give up after this long (a bound, not a pause).
configure({ asyncUtilTimeout: 5_000 });

afterEach(() => {
  cleanup();
  clearSession();
  vi.unstubAllGlobals();
  location.hash = '';
  syncRoute();
  localStorage.clear();
  setLang('en');
});
