// The real backend: one Tauri command, `rpc`, and one event, `kiosk-event`.
import { invoke } from '@tauri-apps/api/core';
import { listen } from '@tauri-apps/api/event';
import type { Event } from './bindings';
import type { Backend } from './ipc';

export const tauriBackend: Backend = {
  rpc: (req) => invoke('rpc', { req }),
  listen: (handler) => listen<Event>('kiosk-event', (e) => handler(e.payload)),
};
