import { describe, expect, it } from 'vitest';
import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import Approvals from '../src/pages/money/Approvals.svelte';
import { auditor, listPage, loginAs, mockFetch, refillProposal, stateAdmin } from './helpers';

describe('approvals', () => {
  it('the proposer cannot approve their own proposal; another admin can', async () => {
    loginAs(stateAdmin);
    const calls = mockFetch({
      'GET /console/api/proposals': { body: listPage([refillProposal('own', 'asha.state'), refillProposal('other', 'ravi.jpr')]) },
      'POST /console/api/proposals/other/approve': { body: { proposal: { ...refillProposal('other', 'ravi.jpr'), status: 'approved' } } },
    });
    render(Approvals);
    const rows = await screen.findAllByTestId('proposal-row');
    const own = rows.find((r) => r.dataset.id === 'own')!;
    const other = rows.find((r) => r.dataset.id === 'other')!;
    const ownApprove = own.querySelector('[data-testid="approve"]') as HTMLButtonElement;
    expect(ownApprove.disabled).toBe(true);
    expect(own.querySelector('[data-testid="own-note"]')?.textContent).toContain('second admin');
    expect(own.querySelector('[data-testid="reject"]')?.textContent).toContain('Withdraw');
    const otherApprove = other.querySelector('[data-testid="approve"]') as HTMLButtonElement;
    expect(otherApprove.disabled).toBe(false);
    expect(other.querySelector('[data-testid="own-note"]')).toBeNull();

    await fireEvent.click(otherApprove);
    await waitFor(() => expect(screen.getAllByTestId('proposal-row')).toHaveLength(1));
    expect(calls.filter((c) => c.method === 'POST').map((c) => c.path)).toEqual(['/console/api/proposals/other/approve']);
    expect(screen.getByTestId('flash').textContent).toContain('₹25,000.00');
  });

  it('rejecting asks for a reason and sends it', async () => {
    loginAs(stateAdmin);
    const calls = mockFetch({
      'GET /console/api/proposals': { body: listPage([refillProposal('p2', 'ravi.jpr')]) },
      'POST /console/api/proposals/p2/reject': { body: { proposal: { ...refillProposal('p2', 'ravi.jpr'), status: 'rejected' } } },
    });
    render(Approvals);
    await fireEvent.click(await screen.findByTestId('reject'));
    await fireEvent.click(screen.getByTestId('reason-confirm'));
    expect(screen.getByTestId('reason-dialog').textContent).toContain('Give a reason');
    expect(calls.some((c) => c.method === 'POST')).toBe(false);
    await fireEvent.input(screen.getByTestId('reason-input'), { target: { value: 'UTR not in the bank statement' } });
    await fireEvent.click(screen.getByTestId('reason-confirm'));
    await waitFor(() => expect(screen.queryByTestId('reason-dialog')).toBeNull());
    expect(calls.at(-1)!.body).toEqual({ reason: 'UTR not in the bank statement' });
  });

  it('an auditor sees the queue without buttons', async () => {
    loginAs(auditor);
    mockFetch({ 'GET /console/api/proposals': { body: listPage([refillProposal('p3', 'ravi.jpr')]) } });
    render(Approvals);
    await screen.findAllByTestId('proposal-row');
    expect(screen.queryByTestId('approve')).toBeNull();
    expect(screen.queryByTestId('reject')).toBeNull();
  });
});
