// The real backend: the command `rpc`, and events fetched with `events`
// each time the host rings `kiosk-event` (it carries no payload: WebKitGTK
// keeps what it compiles for each distinct script an event is delivered
// by, so payloads come back as a command's answer instead).
import { invoke } from '@tauri-apps/api/core';
import { listen } from '@tauri-apps/api/event';
import type { Event } from './bindings';
import type { Backend } from './ipc';

export const tauriBackend: Backend = {
  rpc: (req) => invoke('rpc', { req }),
  listen: (handler) => {
    // One fetch at a time, so events are handled in the order they came.
    let chain: Promise<void> = Promise.resolve();
    const fetchAll = () => {
      chain = chain.then(async () => {
        const evs = await invoke<Event[]>('events').catch(() => [] as Event[]);
        for (const e of evs) handler(e);
      });
    };
    const un = listen('kiosk-event', fetchAll);
    // Whatever waited before the page listened.
    void un.then(fetchAll);
    return un;
  },
};
