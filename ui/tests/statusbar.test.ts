import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { start, byId, settle } from './helpers';
import { letters, nameHead } from '../src/lib/names';

describe('the operator name in the status bar', () => {
  it('keeps its first word or so whole, the rest may give way', () => {
    expect(nameHead('Suresh Kumar')).toEqual(['Suresh', ' Kumar']);
    expect(nameHead('K. Ramesh Prasad')).toEqual(['K. Ramesh', ' Prasad']);
    expect(nameHead('Mahendra Singh')).toEqual(['Mahendra', ' Singh']);
    expect(nameHead('Venkataramanaiah')).toEqual(['Venkataram', 'anaiah']);
    expect(nameHead('Abcde Fghijk')).toEqual(['Abcde', ' Fghijk']);
    // Short names, or short tails, are never cut.
    expect(nameHead('Ram')).toEqual(['Ram', '']);
    expect(nameHead('Ramesh Jain')).toEqual(['Ramesh', ' Jain']);
    expect(nameHead('Ramesh Pal')).toEqual(['Ramesh Pal', '']);
    expect(nameHead('K. Ramesh Rao')).toEqual(['K. Ramesh Rao', '']);
    // Devanagari: a vowel sign or a conjunct is never split from its letter.
    expect(letters('लक्ष्मी')).toEqual(['ल', 'क्ष्मी']);
    expect(letters('जगत् सिंह')).toEqual(['ज', 'ग', 'त्', ' ', 'सिं', 'ह']);
    expect(nameHead('सुरेश कुमार')).toEqual(['सुरेश कुमार', '']);
    expect(nameHead('लक्ष्मी नारायण चतुर्वेदी')).toEqual(['लक्ष्मी नारायण', ' चतुर्वेदी']);
  });

  it.each(['hi', 'en'] as const)('is never hidden, at any compact step of a busy bar (%s)', async (lang) => {
    const style = document.createElement('style');
    const css = readFileSync(join(__dirname, '..', 'src', 'app.css'), 'utf8');
    style.textContent = css;
    // happy-dom keeps an element's computed style until the element itself
    // changes, whatever its parents' classes: touched, it is computed afresh.
    const styleOf = (e: HTMLElement) => {
      e.toggleAttribute('data-restyle');
      e.toggleAttribute('data-restyle');
      return getComputedStyle(e);
    };
    document.head.append(style);
    try {
      const { mock } = await start({ lang, online: false, lowWallet: true, printer: 'paper_out' });
      const s = (await mock.rpc({ cmd: 'status', args: null })) as any;
      mock.emit({
        kind: 'status',
        data: {
          ...s,
          sync: { ...s.sync, state: 'offline', pending: 3, held: 2, rejected: 1, oldest_pending_age_secs: 7500, last_error_code: 'sync.timeout' },
          printer: { ...s.printer, state: 'paper_out', queued: 1, failed: 2 },
        },
      });
      await settle();
      const bar = document.querySelector<HTMLElement>('.statusbar')!;
      const name = byId('status-operator-name');
      const head = name.querySelector<HTMLElement>('.st-name-head')!;
      expect(name.textContent).toBe('Suresh Kumar');
      expect(head.textContent).toBe('Suresh');
      const hidden = (e: HTMLElement): string | null => {
        for (let x: HTMLElement | null = e; x && x !== bar; x = x.parentElement) {
          const cs = styleOf(x);
          if (cs.display === 'none' || cs.visibility === 'hidden' || cs.maxWidth === '0' || cs.maxWidth === '0px' || cs.width === '0px') return `${x.className}: ${cs.display}/${cs.visibility}`;
        }
        return null;
      };
      const levels = 12;
      for (let level = 0; level <= levels; level++) {
        for (let l = 1; l <= levels; l++) bar.classList.toggle(`fit-${l}`, l <= level);
        // The name and its head show; the head never gives way.
        expect(hidden(head), `fit-${level}`).toBeNull();
        expect(styleOf(head).overflow, `fit-${level}`).not.toBe('hidden');
        // So do every figure and every warning.
        for (const id of ['status-available', 'status-below-min', 'status-printer-failed', 'status-pending', 'status-sync-error']) expect(hidden(byId(id)), `${id} at fit-${level}`).toBeNull();
      }
      // Not a step the bar does not know.
      expect(css).not.toMatch(new RegExp(`fit-${levels + 1}\\b`));
    } finally {
      style.remove();
    }
  });
});
