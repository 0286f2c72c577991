// The one door to the backend. Screens call `call(cmd, args)` and `onEvent`;
// nothing else in the UI knows about Tauri. Tests and the screenshot
// harness swap the backend with `setBackend(mock)`.
import type { ApiError, Commands, Event } from './bindings';

export type Cmd = keyof Commands;
export type Args<K extends Cmd> = Commands[K]['args'];
export type Result<K extends Cmd> = Commands[K]['result'];

/** What a backend must do: answer `rpc` requests and push events. */
export interface Backend {
  rpc(req: { cmd: string; args: unknown }): Promise<unknown>;
  listen(handler: (e: Event) => void): Promise<() => void>;
}

/** A refusal from the backend: show `t_err(code)`, never `message`. */
export class BackendError extends Error implements ApiError {
  code: string;
  details?: any;
  constructor(e: ApiError) {
    super(e.message);
    this.name = 'BackendError';
    this.code = e.code;
    this.details = e.details ?? undefined;
  }
}

/** Anything thrown by a call, as an ApiError (the code is what counts). */
export function asApiError(e: unknown): ApiError {
  if (e instanceof BackendError) return { code: e.code, message: e.message, details: e.details };
  if (e && typeof e === 'object' && typeof (e as any).code === 'string') {
    const o = e as any;
    return { code: o.code, message: String(o.message ?? ''), details: o.details };
  }
  return { code: 'app.internal', message: String(e) };
}

let backend: Backend | null = null;
let onSessionGone: (() => void) | null = null;

/** Called when a command is refused because the session is locked or
 *  gone (idle lock, logout elsewhere): the window then asks what to show. */
export function setSessionGoneHandler(h: (() => void) | null): void {
  onSessionGone = h;
}

export function setBackend(b: Backend): void {
  backend = b;
}

async function current(): Promise<Backend> {
  if (!backend) {
    const m = await import('./tauri');
    backend = m.tauriBackend;
  }
  return backend;
}

export async function call<K extends Cmd>(cmd: K, args: Args<K>): Promise<Result<K>> {
  const b = await current();
  try {
    return (await b.rpc({ cmd: cmd as string, args: args === undefined ? null : args })) as Result<K>;
  } catch (e) {
    const err = new BackendError(asApiError(e));
    if ((err.code === 'session.locked' || err.code === 'session.none') && cmd !== 'app_state') onSessionGone?.();
    throw err;
  }
}

export async function onEvent(handler: (e: Event) => void): Promise<() => void> {
  const b = await current();
  return b.listen(handler);
}
