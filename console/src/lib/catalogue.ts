// The catalogue editor's rules, the same as the centre's: a kiosk never
// charges a citizen more than the state's fixed rate, and its commission
// is part of the charge (commission ≤ charge ≤ state rate).
import { paiseToRupeesText, parseRupees, type RupeesError } from './money';
import type { Service, ServiceChange } from './types';

export interface Draft {
  charge: string;
  commission: string;
  active: boolean;
}

export type RowError = RupeesError | 'catalogue.charge_above_rate' | 'catalogue.commission_above_charge';

export interface Checked {
  change: ServiceChange | null;
  changed: boolean;
  errors: { charge?: RowError; commission?: RowError };
}

export function draftOf(s: Service): Draft {
  return { charge: paiseToRupeesText(s.charge), commission: paiseToRupeesText(s.commission), active: s.active };
}

export function check(s: Service, d: Draft): Checked {
  const errors: Checked['errors'] = {};
  const c = parseRupees(d.charge, { allowZero: true });
  const m = parseRupees(d.commission, { allowZero: true });
  if ('error' in c) errors.charge = c.error;
  if ('error' in m) errors.commission = m.error;
  // The centre checks only the rows it is sent: a row left as published
  // (e.g. the sample's electricity bills, charge ₹0 and a commission the
  // department pays) does not block publishing the others.
  const unchanged = 'paise' in c && 'paise' in m && c.paise === s.charge && m.paise === s.commission && d.active === s.active;
  if (!unchanged && 'paise' in c && c.paise > s.state_rate) errors.charge = 'catalogue.charge_above_rate';
  if (!unchanged && 'paise' in c && 'paise' in m && m.paise > c.paise) errors.commission = 'catalogue.commission_above_charge';
  if (!('paise' in c) || !('paise' in m)) return { change: null, changed: true, errors };
  const changed = c.paise !== s.charge || m.paise !== s.commission || d.active !== s.active;
  const ok = !errors.charge && !errors.commission;
  return {
    change: ok && changed ? { code: s.code, charge: c.paise, commission: m.paise, active: d.active } : null,
    changed,
    errors,
  };
}
