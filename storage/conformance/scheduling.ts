// Scheduling cases of the conformance suite (storage/schedule.ts): priority first, FIFO inside a priority, aging,
// fair share between users (weighted), and a job that returns to the queue keeping its place. They run on providers with
// transactions, the ones that schedule; the others serve their queues first come, first served.
import { expect } from 'chai';
import type { StorageProvider } from '../contract.ts';
import type { JobLifecycle } from '../lifecycle.ts';

export interface SchedulingContext {
  storage(): StorageProvider;
  lifecycle(options?: { leaseMs?: number; agingMs?: number }): JobLifecycle;
  /** Moves the lifecycle's clock on. */
  advance(ms: number): void;
  backend: string;
}

export function schedulingCases(context: SchedulingContext): void {
  const { backend } = context;
  const submit = async (jobs: JobLifecycle, owner: string, priority = 0) => {
    context.advance(1);
    return (await jobs.enqueue({ backend, owner, payload: {}, meta: { priority } })).id;
  };
  const drain = async (jobs: JobLifecycle) => {
    const order: string[] = [];
    for (let claim = await jobs.claim(backend, 's'); claim; claim = await jobs.claim(backend, 's')) order.push(claim.record.id);
    return order;
  };

  describe('scheduling (providers with transactions)', () => {
    beforeEach(function () {
      if (!context.storage().transaction) this.skip();
    });

    it('serves the highest priority first and each priority first come, first served', async () => {
      const jobs = context.lifecycle();
      const low = [await submit(jobs, 'u', 0), await submit(jobs, 'u', 0), await submit(jobs, 'u', 0)];
      const high = [await submit(jobs, 'u', 9), await submit(jobs, 'u', 9)];
      const middle = await submit(jobs, 'u', 4);
      expect(await drain(jobs)).to.deep.equal([...high, middle, ...low]);
    });

    it('ages a waiting job one level per agingMs, so a low-priority job is not starved by later high-priority ones', async () => {
      const jobs = context.lifecycle({ agingMs: 1000 });
      const starving = await submit(jobs, 'u', 2);
      context.advance(6_500);
      const urgent = await submit(jobs, 'u', 9);
      // After 6.5 s the priority-2 job counts as 8: the fresh priority-9 job still goes first.
      expect((await jobs.claim(backend, 's'))!.record.id).to.equal(urgent);
      context.advance(1_000);
      const later = await submit(jobs, 'u', 9);
      // After 7.5 s it counts as 9, and has waited longer than the new priority-9 job.
      expect(await drain(jobs)).to.deep.equal([starving, later]);
    });

    it('shares a priority between users: one job waits for at most one job of each other user', async () => {
      const jobs = context.lifecycle();
      const sweep = [];
      for (let i = 0; i < 20; i += 1) sweep.push(await submit(jobs, 'alice', 0));
      const first = (await jobs.claim(backend, 's'))!.record.id;
      const bob = await submit(jobs, 'bob', 0);
      const carol = await submit(jobs, 'carol', 0);
      const order = await drain(jobs);
      expect(first).to.equal(sweep[0]);
      // Bob and Carol each wait for at most one more of Alice's jobs, and Alice's sweep keeps its own order.
      expect(order.indexOf(bob)).to.be.at.most(1);
      expect(order.indexOf(carol)).to.be.at.most(2);
      expect(order.filter((id) => id !== bob && id !== carol)).to.deep.equal(sweep.slice(1));
    });

    it('shares a priority in proportion to the users\' fair-share weights', async () => {
      const jobs = context.lifecycle();
      const owners = new Map<string, string>();
      for (let i = 0; i < 30; i += 1) {
        for (const [owner, weight] of [['alice', 2], ['bob', 1]] as const) {
          context.advance(1);
          owners.set((await jobs.enqueue({ backend, owner, payload: {}, weight })).id, owner);
        }
      }
      const order = (await drain(jobs)).map((id) => owners.get(id));
      // While both have jobs waiting, Alice (weight 2) gets two of every three.
      expect(order.slice(0, 30).filter((owner) => owner === 'alice')).to.have.length.within(19, 21);
      expect(order.slice(0, 3).filter((owner) => owner === 'alice')).to.have.length(2);
    });

    it('keeps a job\'s place when it returns to the queue after its lease expired', async () => {
      const jobs = context.lifecycle({ leaseMs: 1000 });
      const first = await submit(jobs, 'u', 5);
      const second = await submit(jobs, 'u', 5);
      expect((await jobs.claim(backend, 'dies'))!.record.id).to.equal(first);
      context.advance(1001);
      expect(await jobs.requeueExpired(backend)).to.deep.equal([first]);
      expect(await drain(jobs)).to.deep.equal([first, second]);
    });

    it('never gives out a cancelled job, and forgets its place', async () => {
      const jobs = context.lifecycle();
      const cancelled = await submit(jobs, 'u', 9);
      const kept = await submit(jobs, 'u', 0);
      expect(await jobs.cancel(backend, cancelled)).to.equal('CANCELLED');
      expect(await drain(jobs)).to.deep.equal([kept]);
    });
  });
}
