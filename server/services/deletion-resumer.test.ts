import { expect } from 'chai';
import type { AccountDeletion, DeletionOutcome } from './account-deletion.ts';
import { DELETIONS_PER_RUN, DeletionResumer } from './deletion-resumer.ts';

/**
 * Deletions under way as markers in key order (listed as a store lists them); those in `waiting` have jobs that keep
 * running, so their runs never finish. Records which names each run took up.
 */
function deletionsUnderWay(names: string[], waiting: Set<string>) {
  const markers = [...names].sort();
  const resumed: string[] = [];
  const deletion: Pick<AccountDeletion, 'pending' | 'resume'> = {
    pending: async (limit, after) => markers.filter((name) => after === undefined || name > after).slice(0, limit),
    resume: async (username): Promise<DeletionOutcome> => {
      resumed.push(username);
      if (waiting.has(username)) return { done: false, remaining: 1 };
      markers.splice(markers.indexOf(username), 1);
      return { done: true, remaining: 0 };
    },
  };
  return { deletion, markers, resumed };
}

describe('DeletionResumer', () => {
  const names = (count: number, prefix: string) => Array.from({ length: count }, (_, i) => `${prefix}${String(i).padStart(3, '0')}`);

  it('reaches the deletions after a run\'s worth of deletions that wait for long jobs', async () => {
    const stuck = names(DELETIONS_PER_RUN, 'a');
    const { deletion, markers, resumed } = deletionsUnderWay([...stuck, 'zed'], new Set(stuck));
    const resumer = new DeletionResumer(deletion, { intervalMs: 60_000 });
    expect(await resumer.runOnce()).to.equal(0);
    expect(resumed).to.deep.equal(stuck);
    expect(await resumer.runOnce(), 'the second run goes on after the first run\'s last marker').to.equal(1);
    expect(markers).to.not.include('zed');
  });

  it('starts from the first marker again once a run reached the last one', async () => {
    const { deletion, resumed } = deletionsUnderWay(['bea', 'cy'], new Set(['bea', 'cy']));
    const resumer = new DeletionResumer(deletion, { intervalMs: 60_000 });
    await resumer.runOnce();
    await resumer.runOnce();
    expect(resumed).to.deep.equal(['bea', 'cy', 'bea', 'cy']);
  });

  it('comes back to the first markers after a full page', async () => {
    const stuck = names(DELETIONS_PER_RUN, 'a');
    const { deletion, resumed } = deletionsUnderWay(stuck, new Set(stuck));
    const resumer = new DeletionResumer(deletion, { intervalMs: 60_000 });
    await resumer.runOnce();
    await resumer.runOnce();
    await resumer.runOnce();
    expect(resumed.slice(DELETIONS_PER_RUN), 'an empty page after the last marker, then the first ones again').to.deep.equal(stuck);
  });
});
