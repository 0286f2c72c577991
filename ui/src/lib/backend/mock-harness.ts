// Screenshot harness only (built with VITE_MOCK=1): `?phase=counter&lang=en
// &online=0&…` picks the mocked backend's situation; `window.__mock` lets
// the harness script drive it.
import { createMock, type MockOptions } from './mock';
import { setBackend } from './ipc';

export async function installMockFromQuery(): Promise<void> {
  const q = new URLSearchParams(location.search);
  const o: MockOptions = {};
  const phase = q.get('phase');
  if (phase) o.phase = phase as MockOptions['phase'];
  const lang = q.get('lang');
  if (lang === 'en' || lang === 'hi') o.lang = lang;
  if (q.get('online') === '0') o.online = false;
  if (q.get('role') === 'operator') o.role = 'operator';
  if (q.get('offline_login') === '1') o.offlineLogin = true;
  if (q.get('demo') === '0') o.demo = false;
  if (q.get('cheque') === '0') o.chequeEnabled = false;
  if (q.get('newpw') === '1') o.registerNeedsNewPassword = true;
  if (q.get('nocanvas') === '1') o.noCanvas = true;
  if (q.get('wallet') === 'low') o.lowWallet = true;
  const inactive = q.get('inactive');
  if (inactive) o.inactiveDays = Number(inactive);
  const dues = q.get('dues');
  if (dues === 'upcoming' || dues === 'due_today' || dues === 'overdue') o.dues = dues;
  const printer = q.get('printer');
  if (printer) o.printer = printer;
  const rec = q.get('recovery');
  if (rec === 'paid') o.recovery = { paid: true, receipt_no: 'RJ26-900041' };
  if (rec === 'not_paid') o.recovery = { paid: false, receipt_no: null };
  const m = createMock(o);
  setBackend(m);
  (window as any).__mock = m;
}
