import { defineConfig } from 'vitest/config';
import { svelte } from '@sveltejs/vite-plugin-svelte';

export default defineConfig({
  base: './',
  plugins: [svelte()],
  // The Tauri host loads the files from disk: no CDN, no network fonts.
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2021',
    assetsInlineLimit: 0,
  },
  server: { port: 1420, strictPort: true },
  clearScreen: false,
  resolve: process.env.VITEST ? { conditions: ['browser'] } : undefined,
  test: {
    environment: 'happy-dom',
    include: ['tests/**/*.test.ts'],
    setupFiles: ['tests/setup.ts'],
    // Upper bounds, not pauses: a loaded 2-core machine (a build beside
    // the tests) can take seconds to compile a lazily loaded screen.
    testTimeout: 30_000,
  },
});
