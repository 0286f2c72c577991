// Which back-office screen is open over the counter (none: the counter).
// The screens themselves are loaded on demand (see App.svelte).
export type OfficeView = 'menu' | 'reports' | 'receipts' | 'reconcile' | 'wallet' | 'printers' | 'tickets' | 'users' | 'account';

class OfficeModel {
  view = $state<OfficeView | null>(null);
  /** A receipt to open in Receipts (from a link elsewhere). */
  receiptKey = $state<string | null>(null);

  open(v: OfficeView, receiptKey: string | null = null): void {
    this.receiptKey = receiptKey;
    this.view = v;
  }

  /** Esc: from a screen to the menu, from the menu to the counter. */
  back(): void {
    this.view = this.view === 'menu' ? null : 'menu';
  }

  close(): void {
    this.view = null;
    this.receiptKey = null;
  }

  reset(): void {
    this.close();
  }
}

export const office = new OfficeModel();
