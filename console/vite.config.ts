import { defineConfig } from 'vitest/config';
import { svelte } from '@sveltejs/vite-plugin-svelte';

export default defineConfig({
  // kiosk-server serves the built files at /console/ from inside its binary.
  base: '/console/',
  plugins: [svelte()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2021',
    // Fonts stay files of their own, fetched only when Devanagari is shown.
    assetsInlineLimit: 0,
  },
  server: {
    port: 1430,
    strictPort: true,
    // `npm run dev` beside a local `kiosk-server serve` on its default port.
    proxy: { '/console/api': 'http://127.0.0.1:8080' },
  },
  clearScreen: false,
  resolve: process.env.VITEST ? { conditions: ['browser'] } : undefined,
  test: {
    environment: 'happy-dom',
    include: ['tests/**/*.test.ts'],
    setupFiles: ['tests/setup.ts'],
    testTimeout: 30_000,
  },
});
