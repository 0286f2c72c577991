// The counter's working state: what is typed, the service chosen, the bill
// fetched, the payment being made. Money totals are never computed here:
// they come from the backend's CartView.
import type { ApiError, BillView, ConsumerCheck, DuplicateView, ServiceView } from './backend/bindings';
import { asApiError, call } from './backend/ipc';
import { app } from './app.svelte';
import { buildIndex, search, type Indexed } from './search';
import { focusTestId, focusTestIdIfStill } from './keys';

export type Browse = { cat: number | null; dep: string | null; active: number };

export class CounterModel {
  query = $state('');
  active = $state(0);
  browse = $state.raw<Browse | null>(null);
  selected = $state.raw<ServiceView | null>(null);
  consumer = $state('');
  check = $state.raw<ConsumerCheck | null>(null);
  checking = $state(false);
  bill = $state.raw<BillView | null>(null);
  fetching = $state(false);
  adding = $state(false);
  /** Where the focus goes once the Add in flight is answered: F6 pressed
   * before the first line exists finds the contact fields still disabled. */
  afterAdd: string | null = null;
  amount = $state('');
  entryError = $state<ApiError | null>(null);
  notice = $state<'added' | null>(null);
  mobile = $state('');
  email = $state('');
  contactError = $state<ApiError | null>(null);
  chequeOpen = $state(false);
  chequeNo = $state('');
  chequeDate = $state('');
  chequeBank = $state('');
  chequeError = $state<ApiError | null>(null);
  paying = $state(false);
  payError = $state<ApiError | null>(null);
  dup = $state.raw<DuplicateView[] | null>(null);
  help = $state(false);

  index: Indexed[] = $derived(buildIndex(app.catalogue?.services ?? []));
  results: ServiceView[] = $derived(search(this.index, this.query, app.catalogue?.favourites ?? []));
  online = $derived(app.status?.sync.state === 'online');
  /** The centre is known to be unreachable (not merely not heard yet). */
  offline = $derived(app.status?.sync.state === 'offline');
  /** The centre answered the last sync round and the link is up: what the
   *  service layer asks before it takes an online-only service. */
  realtime = $derived(!!app.status?.sync.realtime);
  isHolder = $derived(app.state?.session?.role === 'holder');
  /** Why the chosen service cannot be taken now, as an error code, shown
   *  before anything is typed: a real-time (online-only) service is taken
   *  only while the centre answers; the service layer refuses it otherwise
   *  with the same code. */
  blocked = $derived.by((): string | null => {
    const s = this.selected;
    if (!s) return null;
    if (!s.offline_allowed && !this.realtime) return 'service.online_only';
    return null;
  });
  /** The bill must come from the department now (online). */
  mustFetch = $derived(!!this.selected?.bill_fetch_required && this.online);
  /** The amount is typed from the paper bill: services without a bill
   *  fetch, and, offline, those whose department cannot be asked. */
  typesAmount = $derived(!!this.selected && !this.bill && !this.mustFetch);

  private checkSeq = 0;
  private checkTimer: ReturnType<typeof setTimeout> | null = null;

  reset(): void {
    this.query = '';
    this.active = 0;
    this.browse = null;
    this.clearEntry();
    this.selected = null;
    this.mobile = '';
    this.email = '';
    this.contactError = null;
    this.chequeOpen = false;
    this.chequeNo = '';
    this.chequeDate = '';
    this.chequeBank = '';
    this.chequeError = null;
    this.paying = false;
    this.payError = null;
    this.dup = null;
    this.help = false;
  }

  clearEntry(): void {
    this.consumer = '';
    this.check = null;
    this.checking = false;
    this.bill = null;
    this.amount = '';
    this.entryError = null;
    this.checkSeq++;
    if (this.checkTimer) clearTimeout(this.checkTimer);
  }

  /** Contact fields from the backend's cart (after a reload, too). */
  syncFromCart(): void {
    const c = app.cart;
    if (!c) return;
    this.mobile = c.mobile ?? '';
    this.email = c.email ?? '';
    if (c.cheque) {
      this.chequeOpen = true;
      this.chequeNo = c.cheque.number;
      this.chequeDate = c.cheque.date;
      this.chequeBank = c.cheque.bank;
    }
  }

  setQuery(q: string): void {
    this.query = q;
    this.active = 0;
  }

  moveActive(d: number): void {
    const n = this.results.length;
    if (!n) return;
    this.active = Math.max(0, Math.min(n - 1, this.active + d));
  }

  choose(s: ServiceView | undefined): void {
    if (!s) return;
    if (this.selected?.code !== s.code) this.clearEntry();
    this.selected = s;
    this.browse = null;
    this.notice = null;
    void focusTestId('consumer-input');
  }

  chooseActive(): void {
    this.choose(this.results[this.active]);
  }

  browseBack(): void {
    const b = this.browse;
    if (!b) return;
    if (b.dep !== null) this.browse = { ...b, dep: null, active: 0 };
    else if (b.cat !== null) this.browse = { cat: null, dep: null, active: b.cat };
    else {
      this.browse = null;
      void focusTestId('search');
    }
  }

  deselect(): void {
    this.clearEntry();
    this.selected = null;
    void focusTestId('search', true);
  }

  // ---------------------------------------------------------------- consumer

  setConsumer(v: string): void {
    this.consumer = v;
    this.bill = null;
    this.entryError = null;
    this.notice = null;
    if (this.checkTimer) clearTimeout(this.checkTimer);
    if (!v.trim()) {
      this.check = null;
      this.checking = false;
      this.checkSeq++;
      return;
    }
    this.checking = true;
    this.checkTimer = setTimeout(() => void this.runCheck(), 150);
  }

  async runCheck(): Promise<ConsumerCheck | null> {
    const s = this.selected;
    if (!s || !this.consumer.trim()) return null;
    if (this.checkTimer) clearTimeout(this.checkTimer);
    const seq = ++this.checkSeq;
    this.checking = true;
    try {
      const r = await call('check_consumer', { service: s.code, consumer_no: this.consumer });
      if (seq === this.checkSeq) {
        this.check = r;
        this.checking = false;
      }
      return r;
    } catch (e) {
      if (seq === this.checkSeq) {
        this.check = { valid: false, normalised: null, error: asApiError(e) };
        this.checking = false;
      }
      return null;
    }
  }

  /** Enter in the consumer number: Get Bill Details, or on to the amount. */
  async consumerEnter(): Promise<void> {
    const s = this.selected;
    if (!s || !this.consumer.trim()) return;
    if (this.bill) {
      await this.add();
      return;
    }
    if (this.mustFetch) {
      await this.fetchBill();
      return;
    }
    const before = document.activeElement;
    const r = await this.runCheck();
    if (r?.valid) void focusTestIdIfStill(before, 'amount-input', true);
  }

  async fetchBill(): Promise<void> {
    const s = this.selected;
    if (!s || this.fetching) return;
    if (!this.consumer.trim()) {
      void focusTestId('consumer-input');
      return;
    }
    if (this.offline) {
      // Get Bill Details asks the department through the centre.
      this.entryError = { code: 'centre.offline', message: '' };
      return;
    }
    this.fetching = true;
    this.entryError = null;
    const before = document.activeElement;
    try {
      this.bill = await call('fetch_bill', { service: s.code, consumer_no: this.consumer });
      void focusTestIdIfStill(before, 'add-bill');
    } catch (e) {
      this.entryError = asApiError(e);
    } finally {
      this.fetching = false;
    }
  }

  async add(): Promise<void> {
    const s = this.selected;
    if (!s || this.adding) return;
    if (this.blocked) {
      this.entryError = { code: this.blocked, message: '' };
      return;
    }
    if (!this.consumer.trim()) {
      void focusTestId('consumer-input');
      return;
    }
    if (!this.bill && this.mustFetch) {
      await this.fetchBill();
      return;
    }
    if (!this.bill && !this.amount.trim()) {
      this.entryError = { code: 'amount.required', message: '' };
      void focusTestId('amount-input');
      return;
    }
    this.adding = true;
    this.entryError = null;
    const before = document.activeElement;
    try {
      const args = this.bill
        ? { service: s.code, consumer_no: this.bill.consumer_no }
        : { service: s.code, consumer_no: this.consumer, amount: this.amount };
      app.cart = await call('cart_add', args);
      this.clearEntry();
      this.notice = 'added';
      const next = this.afterAdd;
      if (next) void focusTestId(next, true);
      else void focusTestIdIfStill(before, 'consumer-input');
    } catch (e) {
      this.entryError = asApiError(e);
    } finally {
      this.adding = false;
      this.afterAdd = null;
    }
  }

  async remove(index: number): Promise<void> {
    try {
      app.cart = await call('cart_remove', { index });
    } catch (e) {
      app.error = asApiError(e);
    }
  }

  // ---------------------------------------------------------------- contact and mode

  contactChanged(): boolean {
    const c = app.cart;
    return (c?.mobile ?? '') !== this.mobile.trim() || (c?.email ?? '') !== this.email.trim();
  }

  async saveContact(moveFocus = true): Promise<boolean> {
    if (!this.contactChanged() && (app.cart?.mobile || app.cart?.email)) return true;
    const mobile = this.mobile.trim();
    const email = this.email.trim();
    if (!mobile && !email) {
      this.contactError = { code: 'contact.required', message: '' };
      if (moveFocus) void focusTestId('mobile-input');
      return false;
    }
    try {
      app.cart = await call('cart_contact', {
        ...(mobile ? { mobile } : {}),
        ...(email ? { email } : {}),
      });
      this.contactError = null;
      return true;
    } catch (e) {
      this.contactError = asApiError(e);
      if (moveFocus) void focusTestId(e && (e as ApiError).code === 'contact.email_invalid' ? 'email-input' : 'mobile-input');
      return false;
    }
  }

  /** Keeps a typed contact in the backend's cart (on leaving the field,
   *  choosing the mode), so a reload keeps it; quiet when nothing is typed. */
  async keepContact(): Promise<void> {
    if (!app.cart?.lines.length || !this.contactChanged()) return;
    if (!this.mobile.trim() && !this.email.trim()) return;
    await this.saveContact(false);
  }

  async wallet(): Promise<void> {
    this.chequeOpen = false;
    this.chequeError = null;
    await this.keepContact();
    try {
      app.cart = await call('cart_mode', { mode: 'wallet' });
    } catch (e) {
      this.payError = asApiError(e);
    }
  }

  chequeAllowed(): boolean {
    return !!app.cart?.cheque_enabled && !!app.cart?.cheque_payee;
  }

  openCheque(): void {
    if (!app.cart?.cheque_enabled) {
      this.chequeError = { code: 'cheque.not_enabled', message: '' };
      return;
    }
    this.chequeOpen = true;
    this.chequeError = null;
    void focusTestId('cheque-number');
  }

  /** DD-MM-YYYY (as written on cheques) or YYYY-MM-DD → YYYY-MM-DD. */
  static isoDate(s: string): string {
    const t = s.trim();
    const m = /^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})$/.exec(t);
    if (m) return `${m[3]}-${m[2].padStart(2, '0')}-${m[1].padStart(2, '0')}`;
    return t;
  }

  async useCheque(): Promise<boolean> {
    await this.keepContact();
    try {
      app.cart = await call('cart_mode', {
        mode: 'cheque',
        number: this.chequeNo.trim(),
        date: CounterModel.isoDate(this.chequeDate),
        bank: this.chequeBank.trim(),
      });
      this.chequeError = null;
      return true;
    } catch (e) {
      this.chequeError = asApiError(e);
      return false;
    }
  }

  // ---------------------------------------------------------------- pay

  async pay(confirmDuplicate = false): Promise<void> {
    if (this.paying || app.paid || !app.cart) return;
    this.paying = true;
    this.payError = null;
    try {
      if (!app.cart.lines.length) {
        this.payError = { code: 'cart.empty', message: '' };
        return;
      }
      if (!(await this.saveContact())) return;
      if (this.chequeOpen && app.cart.mode !== 'cheque') {
        if (!(await this.useCheque())) return;
      }
      if (!app.cart.mode) app.cart = await call('cart_mode', { mode: 'wallet' });
      if (app.cart.duplicates.length && !confirmDuplicate) {
        this.dup = app.cart.duplicates;
        return;
      }
      const r = await call('pay', { cart_id: app.cart.cart_id, confirm_duplicate: confirmDuplicate });
      this.dup = null;
      await app.afterPay(r);
      this.reset();
      void focusTestId('receipt-screen');
    } catch (e) {
      const err = asApiError(e);
      if (err.code === 'payment.duplicate_unconfirmed') {
        this.dup = ((err.details as { duplicates?: DuplicateView[] } | undefined)?.duplicates) ?? app.cart?.duplicates ?? [];
      } else {
        this.payError = err;
        if (err.code === 'cart.changed') app.cart = await call('cart', null).catch(() => app.cart);
      }
    } finally {
      this.paying = false;
    }
  }

  async confirmDuplicate(): Promise<void> {
    if (!this.dup) return;
    await this.pay(true);
  }

  cancelDuplicate(): void {
    this.dup = null;
    void focusTestId('pay-button');
  }
}

export const counter = new CounterModel();
