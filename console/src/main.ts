import './app.css';
import { mount } from 'svelte';
import App from './App.svelte';
import { devanagariReady, i18n } from './lib/i18n/index.svelte';

async function boot() {
  if (i18n.lang === 'hi') await devanagariReady();
  mount(App, { target: document.getElementById('app')! });
}

void boot();
