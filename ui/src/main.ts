import '@fontsource/noto-sans-devanagari/400.css';
import '@fontsource/noto-sans-devanagari/700.css';
import './app.css';
import { mount } from 'svelte';
import App from './App.svelte';

async function boot() {
  // The screenshot harness builds with VITE_MOCK=1: a mocked backend chosen
  // by the page's query string. The real build never contains it.
  if (import.meta.env.VITE_MOCK === '1') {
    const { installMockFromQuery } = await import('./lib/backend/mock-harness');
    await installMockFromQuery();
  }
  mount(App, { target: document.getElementById('app')! });
}

void boot();
