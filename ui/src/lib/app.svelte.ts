// The window's state: a projection of the backend's (money state lives in
// Rust). Loaded from `app_state`, then kept fresh by events.
import type {
  ApiError,
  AppState,
  CartView,
  CatalogueView,
  Event,
  Lang,
  PayResult,
  PreviewView,
  PrintView,
  ReceiptView,
  StatusView,
} from './backend/bindings';
import { asApiError, call, onEvent, setSessionGoneHandler } from './backend/ipc';
import { i18n, showLang } from './i18n/index.svelte';
import { office } from './office.svelte';
import { setCentreOffset } from './time';

// Backend snapshots are replaced whole, never changed in place: raw state
// (no deep proxies) keeps reading them cheap, e.g. 250 services a keystroke.
class AppModel {
  state = $state.raw<AppState | null>(null);
  #status = $state.raw<StatusView | null>(null);
  get status(): StatusView | null {
    return this.#status;
  }
  set status(s: StatusView | null) {
    this.#status = s;
    // "Today" on every screen follows the centre's clock, as the kiosk's records do.
    if (s) setCentreOffset(s.clock_offset_ms);
  }
  catalogue = $state.raw<CatalogueView | null>(null);
  cart = $state.raw<CartView | null>(null);
  /** After Pay: the receipt on screen. */
  paid = $state.raw<PayResult | null>(null);
  receipt = $state.raw<ReceiptView | null>(null);
  print = $state.raw<PrintView | null>(null);
  preview = $state.raw<PreviewView | null>(null);
  /** The last refusal not shown next to a field. */
  error = $state<ApiError | null>(null);
  startError = $state<ApiError | null>(null);
  /** Where a de-registered PC's database was moved (shown on set-up). */
  deregisteredTo = $state<string | null>(null);
  /** The operator of the session that was locked, to prefill the login. */
  lastLogin = $state('');
  counterLoaded = $state(false);

  phase = $derived(this.state?.phase ?? 'loading');
  ready = $derived(
    this.phase === 'counter' && this.counterLoaded && !!this.catalogue && !!this.cart && !!this.status,
  );

  private unlisten: (() => void) | null = null;
  private lastTouch = 0;

  async start(): Promise<void> {
    setSessionGoneHandler(() => void this.refresh());
    try {
      // Both at once: the first screen waits for the state, not for the
      // event subscription's round trip as well.
      const [unlisten, state] = await Promise.all([
        onEvent((e) => this.onEvent(e)),
        call('app_state', null),
      ]);
      this.unlisten = unlisten;
      this.apply(state);
      this.status = await call('status', null).catch(() => null);
    } catch (e) {
      this.startError = asApiError(e);
    }
  }

  /** Asks the backend what to show now (after a lock or a lost session). */
  async refresh(): Promise<void> {
    try {
      this.apply(await call('app_state', null));
    } catch (e) {
      this.error = asApiError(e);
    }
  }

  stop(): void {
    setSessionGoneHandler(null);
    this.unlisten?.();
    this.unlisten = null;
  }

  /** Back to nothing loaded (tests start each case here). */
  reset(): void {
    this.stop();
    this.state = null;
    this.status = null;
    this.catalogue = null;
    this.cart = null;
    this.paid = null;
    this.receipt = null;
    this.print = null;
    this.preview = null;
    this.error = null;
    this.startError = null;
    this.lastLogin = '';
    this.deregisteredTo = null;
    this.counterLoaded = false;
    this.lastTouch = 0;
  }

  /** A new AppState from any command: phase, language, session. */
  apply(s: AppState): void {
    const before = this.state?.phase;
    this.state = s;
    showLang(s.lang);
    if (s.session) this.lastLogin = s.session.login;
    if (s.phase === 'counter' && before !== 'counter') void this.loadCounter();
    if (s.phase !== 'counter') {
      this.counterLoaded = false;
      // A lock or a logout closes the back office with the session.
      office.close();
    }
  }

  async loadCounter(): Promise<void> {
    try {
      const [catalogue, cart, status] = await Promise.all([
        call('catalogue', null).catch((e) => {
          this.error = asApiError(e);
          return null;
        }),
        call('cart', null),
        call('status', null),
      ]);
      this.catalogue = catalogue;
      this.cart = cart;
      this.status = status;
      this.counterLoaded = true;
    } catch (e) {
      this.error = asApiError(e);
    }
  }

  onEvent(e: Event): void {
    switch (e.kind) {
      case 'status':
        this.status = e.data;
        this.followPrint(e.data);
        break;
      case 'receipt':
        if (this.receipt && e.data.id === this.receipt.id) {
          const changed = e.data.status !== this.receipt.status || e.data.final_receipt_no !== this.receipt.final_receipt_no;
          this.receipt = e.data;
          if (changed) void this.loadPreview();
        }
        break;
      case 'locked':
        if (this.state?.session) this.lastLogin = this.state.session.login;
        void call('app_state', null)
          .then((s) => this.apply(s))
          .catch(() => {
            if (this.state) this.state = { ...this.state, phase: 'locked', session: null };
          });
        break;
      case 'catalogue':
        void call('catalogue', null).then((c) => (this.catalogue = c)).catch(() => {});
        break;
    }
  }

  /** Switch at once on screen, then persist. */
  async setLang(lang: Lang): Promise<void> {
    showLang(lang);
    try {
      const s = await call('set_lang', { lang });
      this.state = s;
    } catch (e) {
      this.error = asApiError(e);
    }
  }

  toggleLang(): void {
    void this.setLang(i18n.lang === 'hi' ? 'en' : 'hi');
  }

  /** The operator is working: keep the idle lock away (at most every 30 s). */
  touch(now = Date.now()): void {
    if (this.phase !== 'counter') return;
    if (now - this.lastTouch < 30_000) return;
    this.lastTouch = now;
    void call('touch', null).catch(() => {});
  }

  /** Printer failures counted when the job on screen was queued. */
  private failedAtQueue = 0;

  /** No event names the job on screen: when the printer's queue empties,
   *  the job on screen has printed, unless the failed count grew. */
  private followPrint(s: StatusView): void {
    const p = this.print;
    if (!p || (p.status !== 'queued' && p.status !== 'printing')) return;
    if (s.printer.state === 'printing') {
      this.print = { ...p, status: 'printing' };
    } else if (s.printer.queued === 0) {
      this.print =
        s.printer.failed > this.failedAtQueue
          ? { ...p, status: 'failed', code: s.printer.last_error_code ?? p.code }
          : { ...p, status: 'printed' };
    }
  }

  private queued(p: PrintView | null): void {
    this.print = p;
    this.failedAtQueue = this.status?.printer.failed ?? 0;
  }

  async afterPay(r: PayResult): Promise<void> {
    this.paid = r;
    this.receipt = r.receipt;
    this.queued(r.print);
    this.preview = null;
    await this.loadPreview();
  }

  async loadPreview(): Promise<void> {
    if (!this.receipt) return;
    try {
      this.preview = await call('preview', { key: this.receipt.id });
    } catch (e) {
      this.preview = null;
    }
  }

  async printAgain(): Promise<void> {
    if (!this.receipt) return;
    try {
      this.queued(await call('print_receipt', { key: this.receipt.id }));
      await this.loadPreview();
    } catch (e) {
      this.error = asApiError(e);
    }
  }

  /** Shows a receipt made before (the one a recovery note names), to
   *  look at or print again; no payment is made. */
  async showReceipt(key: string): Promise<void> {
    try {
      const receipt = await call('receipt', { key });
      this.paid = { receipt, print: null, already_paid: true };
      this.receipt = receipt;
      this.queued(null);
      this.preview = null;
      await this.loadPreview();
    } catch (e) {
      this.error = asApiError(e);
    }
  }

  async newPayment(): Promise<void> {
    this.paid = null;
    this.receipt = null;
    this.print = null;
    this.preview = null;
    this.error = null;
    try {
      this.cart = await call('cart', null);
    } catch (e) {
      this.error = asApiError(e);
    }
  }

  async dismissRecovery(): Promise<void> {
    try {
      this.apply(await call('dismiss_recovery', null));
      this.cart = await call('cart', null);
    } catch (e) {
      this.error = asApiError(e);
    }
  }
}

export const app = new AppModel();
export type { AppModel };
