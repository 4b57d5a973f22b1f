// Scheduling cases of the conformance suite (storage/schedule.ts): priority first, FIFO inside a priority, aging,
// fair share between users (weighted), a job that returns to the queue keeping its place, and jobs that leave it without
// running giving their place back. They run on every provider:
// with transactions the schedule is written in each transition's transaction, elsewhere step by step.
import { expect } from 'chai';
import type { StorageProvider } from '../contract.ts';
import type { JobLifecycle } from '../lifecycle.ts';
import { ns } from '../records.ts';
import { scheduleNs } from '../schedule.ts';

export interface SchedulingContext {
  storage(): StorageProvider;
  lifecycle(options?: { leaseMs?: number; agingMs?: number }): JobLifecycle;
  /** Moves the lifecycle's clock on. */
  advance(ms: number): void;
  backend: string;
}

/**
 * Past the few seconds a claim leaves a young job's missing entry to its submitter (stepwise-schedule.ts), however far
 * earlier tests' clocks pushed the id generator, which never goes back, ahead of this test's clock.
 */
const AFTER_GRACE_MS = 600_000;

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

  describe('scheduling', () => {
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

    it('gives two replicas placing one user\'s jobs at once a distinct place for each', async () => {
      const replicas = [context.lifecycle(), context.lifecycle()];
      const placed = await Promise.all(
        Array.from({ length: 12 }, (_, i) => replicas[i % 2]!.enqueue({ backend, owner: 'alice', payload: { i } })),
      );
      const starts = placed.map((record) => record.schedule!.slice(1, 13));
      expect(new Set(starts).size).to.equal(placed.length);
      expect(await drain(replicas[0]!)).to.have.length(placed.length);
    });

    it('never gives out a cancelled job, and forgets its place', async () => {
      const jobs = context.lifecycle();
      const cancelled = await submit(jobs, 'u', 9);
      const kept = await submit(jobs, 'u', 0);
      expect(await jobs.cancel(backend, cancelled)).to.equal('CANCELLED');
      expect(await drain(jobs)).to.deep.equal([kept]);
    });
  });

  describe('scheduling: jobs that leave the queue without running give their time back', () => {
    /** Alice's new job's place among Bob's five after she queued `gone` jobs that `leave` took out of the queue. */
    const placeAfterLeaving = async (gone: number, leave: (jobs: JobLifecycle, id: string) => Promise<unknown>) => {
      const jobs = context.lifecycle();
      const alice: string[] = [];
      const bob: string[] = [];
      for (let i = 0; i < Math.max(gone, 5); i += 1) {
        if (i < gone) alice.push(await submit(jobs, 'alice'));
        if (i < 5) bob.push(await submit(jobs, 'bob'));
      }
      for (const id of alice) await leave(jobs, id);
      const fresh = await submit(jobs, 'alice');
      return (await drain(jobs)).indexOf(fresh);
    };

    // Without the time back, Alice's new job would start after all of her cancelled ones: behind Bob's whole queue.
    it('cancelled jobs do not push back their owner\'s next job', async () => {
      expect(await placeAfterLeaving(8, (jobs, id) => jobs.cancel(backend, id))).to.be.at.most(1);
    });

    it('purged queued jobs do not push back their owner\'s next job', async () => {
      expect(await placeAfterLeaving(8, (jobs, id) => jobs.purge(backend, id))).to.be.at.most(1);
    });

    it('gives back each of the jobs two replicas cancel at once', async () => {
      const replicas = [context.lifecycle(), context.lifecycle()];
      const first = await submit(replicas[0]!, 'alice');
      const sweep = [];
      for (let i = 0; i < 6; i += 1) sweep.push(await submit(replicas[0]!, 'alice'));
      const bob = [await submit(replicas[0]!, 'bob'), await submit(replicas[0]!, 'bob'), await submit(replicas[0]!, 'bob')];
      expect((await replicas[1]!.claim(backend, 's'))!.record.id).to.equal(first);
      await Promise.all(sweep.map((id, i) => replicas[i % 2]!.cancel(backend, id)));
      // Alice's next job starts one step after the one she ran, as if she had never queued the sweep: between Bob's.
      const fresh = await submit(replicas[1]!, 'alice');
      expect(await drain(replicas[0]!)).to.deep.equal([bob[0], bob[1], fresh, bob[2]]);
    });
  });

  describe('scheduling step by step: what a crash between two steps leaves (providers without transactions)', () => {
    beforeEach(function () {
      if (context.storage().transaction) this.skip();
    });

    it('puts back the entry of a queued job that has none, and serves it in its place', async () => {
      const jobs = context.lifecycle();
      const first = await jobs.enqueue({ backend, owner: 'u', payload: {}, meta: { priority: 3 } });
      context.advance(1);
      const second = await jobs.enqueue({ backend, owner: 'u', payload: {}, meta: { priority: 3 } });
      // A submitter that died after writing the record, before its entry.
      await context.storage().delete(scheduleNs.entries(backend), first.schedule!);
      context.advance(AFTER_GRACE_MS);
      expect(await drain(context.lifecycle())).to.deep.equal([first.id, second.id]);
      expect(await context.storage().list(scheduleNs.entries(backend))).to.deep.equal([]);
    });

    it('drops an entry whose job left the queue, and keeps serving the others', async () => {
      const jobs = context.lifecycle();
      const gone = await jobs.enqueue({ backend, owner: 'u', payload: {}, meta: { priority: 9 } });
      context.advance(1);
      const kept = await jobs.enqueue({ backend, owner: 'u', payload: {} });
      // A claimer that died after moving the job, before removing its entry.
      const claimed = await jobs.claim(backend, 'dies');
      expect(claimed!.record.id).to.equal(gone.id);
      await context.storage().put(scheduleNs.entries(backend), gone.schedule!, { id: gone.id });
      expect(await drain(jobs)).to.deep.equal([kept.id]);
      expect(await context.storage().list(scheduleNs.entries(backend))).to.deep.equal([]);
    });

    it('serves jobs queued before scheduling existed first in their band, oldest first', async () => {
      const jobs = context.lifecycle();
      const scheduled = await submit(jobs, 'u', 0);
      const legacy: string[] = [];
      for (let i = 0; i < 3; i += 1) {
        context.advance(1);
        const { schedule: _none, ...record } = await jobs.enqueue({ backend, owner: 'old', payload: {} });
        await context.storage().delete(scheduleNs.entries(backend), _none!);
        const stored = await context.storage().get(ns.queued(backend), record.id);
        await context.storage().replace(ns.queued(backend), record.id, record, stored!.version);
        legacy.push(record.id);
      }
      context.advance(AFTER_GRACE_MS);
      expect(await drain(context.lifecycle())).to.deep.equal([...legacy, scheduled]);
    });
  });
}
