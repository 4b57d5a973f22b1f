// Retry cases of the conformance suite (storage/retries.ts, storage/deferral.ts): a retried job is not given out
// before its not-before time, a job out of attempts is dead-lettered apart from cancelled and failed jobs, and admins
// requeue and purge dead letters. They run on every provider: those with transactions keep deferred jobs off the
// schedule; the others pass over them while listing the queue.
import { expect } from 'chai';
import type { RetryPolicy } from '../../schemas/retry-policy.ts';
import type { StorageProvider } from '../contract.ts';
import type { JobLifecycle } from '../lifecycle.ts';
import { deferredNs } from '../deferral.ts';
import { entriesAhead } from '../entries-ahead.ts';
import { type JobEvent, type JobRecord, ns } from '../records.ts';
import { scheduleNs } from '../schedule.ts';
import type { SchedulingContext } from './scheduling.ts';

const policy = (changes: Partial<RetryPolicy> = {}): RetryPolicy => ({
  max_attempts: 3,
  base_delay_ms: 1000,
  factor: 2,
  max_delay_ms: 60_000,
  exit_codes: [75],
  timeouts: true,
  lease_expiry: true,
  ...changes,
});

const deviceError = { kind: 'exit-code', exitCode: 75, message: 'runtime exited with code 75' } as const;

/**
 * Runs `action` once, just before the store's next job move (or transaction) goes through: another actor's write that
 * lands between a transition's read and its own write. Returns the function that takes the hook out again.
 */
function beforeFirstWrite(storage: StorageProvider, action: () => Promise<unknown>): () => void {
  const { move, transaction } = storage;
  const undo = () => {
    storage.move = move;
    storage.transaction = transaction;
  };
  if (transaction) {
    storage.transaction = (async (work: Parameters<typeof transaction>[0], options?: Parameters<typeof transaction>[1]) => {
      undo();
      await action();
      return transaction.call(storage, work, options);
    }) as typeof transaction;
  } else {
    storage.move = async (...args) => {
      undo();
      await action();
      return move.apply(storage, args);
    };
  }
  return undo;
}

export function retryCases(context: SchedulingContext): void {
  const { backend } = context;
  const submit = async (jobs: JobLifecycle, owner = 'u') => {
    context.advance(1);
    return (await jobs.enqueue({ backend, owner, payload: {} })).id;
  };
  const claimId = async (jobs: JobLifecycle) => (await jobs.claim(backend, 's'))?.record.id;
  /** Claims the job and fails its attempt as a device error. */
  const failOnce = async (jobs: JobLifecycle, rules = policy()) => {
    const claim = (await jobs.claim(backend, 's'))!;
    return jobs.failAttempt(claim, deviceError, rules);
  };

  describe('retries and dead letters', () => {
    it('holds a retried job back until its not-before time, serving later jobs meanwhile', async () => {
      const jobs = context.lifecycle();
      const retried = await submit(jobs);
      const record = await failOnce(jobs);
      expect(record.state).to.equal('QUEUED');
      expect(record.notBefore).to.be.a('number');
      const later = await submit(jobs);
      expect(await claimId(jobs)).to.equal(later);
      expect(await jobs.claim(backend, 's')).to.equal(undefined);
      context.advance(1000);
      const again = (await jobs.claim(backend, 's'))!;
      expect(again.record.id).to.equal(retried);
      expect(again.record.attempts).to.equal(2);
    });

    it('counts a retried job ahead of no one while it waits out its backoff, and in its place again once due', async () => {
      const jobs = context.lifecycle();
      const retried = await submit(jobs);
      const same = await submit(jobs);
      const other = await submit(jobs, 'v');
      const { notBefore } = await failOnce(jobs);
      const positions = async (now: number) => {
        const found = await Promise.all([retried, same, other].map(async (id) => (await jobs.find(backend, id))!.value));
        return Promise.all(found.map(async (record) => (await entriesAhead(context.storage(), backend, record.schedule!, now, 10_000, record.id)) + 1));
      };
      // Claims serve `other` (the next user's first job), then `same`; `retried` would come first once due.
      expect(await positions(notBefore! - 1)).to.deep.equal([1, 2, 1]);
      context.advance(1000);
      expect(await positions(notBefore!)).to.deep.equal([1, 3, 2]);
      expect([await claimId(jobs), await claimId(jobs), await claimId(jobs)]).to.deep.equal([retried, other, same]);
    });

    it('counts a job waiting out a backoff ahead of no one when a crash left its mark without its entry (providers without transactions)', async function () {
      const storage = context.storage();
      if (storage.transaction) this.skip(); // Entry and mark are written in one transaction there.
      const jobs = context.lifecycle();
      const retried = await submit(jobs);
      const { schedule, notBefore } = await failOnce(jobs, policy({ base_delay_ms: 60_000 }));
      // The retry's entry and mark are written side by side after its move: a crash can leave the mark alone.
      await storage.delete(scheduleNs.entries(backend), schedule!);
      const later = (await jobs.find(backend, await submit(jobs)))!.value;
      expect(await entriesAhead(storage, backend, later.schedule!, notBefore! - 1, 10_000, later.id)).to.equal(0);
      expect((await jobs.find(backend, retried))!.value.state).to.equal('QUEUED');
    });

    it('backs off by base × factor^(n − 1) between attempts, then dead-letters the job with every attempt recorded', async () => {
      const jobs = context.lifecycle();
      const id = await submit(jobs);
      await failOnce(jobs);
      context.advance(1000);
      await failOnce(jobs);
      // The second retry waits 2 s: not yet after 1.999 s.
      context.advance(1999);
      expect(await jobs.claim(backend, 's')).to.equal(undefined);
      context.advance(1);
      const dead = await failOnce(jobs);
      expect(dead.state).to.equal('ERROR');
      expect(dead.deadLetter?.reason).to.equal('exit-code');
      expect(dead.failures!.map((f) => f.attempt)).to.deep.equal([1, 2, 3]);
      expect(dead.detail.filter((line) => line.startsWith('Attempt '))).to.have.length(2);
      expect(await context.storage().get(ns.dead(backend), id)).to.not.equal(undefined);
      expect(await context.storage().get(ns.deleted(backend), id)).to.equal(undefined);
      expect(await jobs.listDeadLetters(backend)).to.deep.equal([id]);
      expect((await jobs.getStatus(backend, id))!.status).to.equal('ERROR');
      expect((await jobs.find(backend, id))!.value.deadLetter).to.not.equal(undefined);
    });

    it('never retries a failure the policy does not name: it ends ERROR in deleted, not in the dead letters', async () => {
      const jobs = context.lifecycle();
      const id = await submit(jobs);
      const record = await failOnce(jobs, policy({ exit_codes: [] }));
      expect(record.state).to.equal('ERROR');
      expect(record.deadLetter).to.equal(undefined);
      expect(await context.storage().get(ns.deleted(backend), id)).to.not.equal(undefined);
      expect(await jobs.listDeadLetters(backend)).to.deep.equal([]);
    });

    it('retries a job whose lease expired after the backoff, under the backend\'s policy', async () => {
      const jobs = context.lifecycle({ leaseMs: 1000 });
      const id = await submit(jobs);
      await jobs.claim(backend, 'dies');
      context.advance(1001);
      expect(await jobs.requeueExpired(backend, policy({ base_delay_ms: 500 }))).to.deep.equal([id]);
      expect(await jobs.claim(backend, 's')).to.equal(undefined);
      context.advance(500);
      expect(await claimId(jobs)).to.equal(id);
    });

    it('requeues a dead letter with a fresh set of attempts, and purges one', async () => {
      const jobs = context.lifecycle();
      const kept = await submit(jobs);
      await failOnce(jobs, policy({ max_attempts: 1 }));
      const purged = await submit(jobs);
      await failOnce(jobs, policy({ max_attempts: 1 }));
      expect(await jobs.listDeadLetters(backend)).to.deep.equal([kept, purged]);
      await jobs.purge(backend, purged);
      expect(await jobs.find(backend, purged)).to.equal(undefined);
      const requeued = await jobs.requeue(backend, kept);
      expect(requeued.deadLetter).to.equal(undefined);
      expect(await jobs.listDeadLetters(backend)).to.deep.equal([]);
      // Attempt 2 fails again; counted from the requeue it is the first of two, so it is retried.
      expect((await failOnce(jobs, policy({ max_attempts: 2 }))).state).to.equal('QUEUED');
    });

    it('ends a job CANCELLED, not retried nor dead-lettered, when its cancel lands while its failed attempt is recorded', async () => {
      for (const maxAttempts of [3, 1]) {
        const jobs = context.lifecycle();
        const id = await submit(jobs);
        const claim = (await jobs.claim(backend, 's'))!;
        // The user's cancel arrives after the spooler read its job back and before its write: the write loses to it.
        const undo = beforeFirstWrite(context.storage(), () => jobs.cancel(backend, id));
        let record;
        try {
          record = await jobs.failAttempt(claim, deviceError, policy({ max_attempts: maxAttempts }));
        } finally {
          undo();
        }
        expect(record.state, `max_attempts ${maxAttempts}`).to.equal('CANCELLED');
        expect((await jobs.find(backend, id))!.value.state).to.equal('CANCELLED');
        expect((await jobs.getStatus(backend, id))!.status).to.equal('CANCELLED');
        expect(await jobs.listDeadLetters(backend)).to.deep.equal([]);
        context.advance(60_000);
        expect(await jobs.claim(backend, 's')).to.equal(undefined);
      }
    });

    it('leaves nothing of a job waiting out a backoff in the schedule once it is cancelled or deleted', async () => {
      const jobs = context.lifecycle();
      const cancelled = await submit(jobs);
      await failOnce(jobs, policy({ base_delay_ms: 60_000 }));
      const deleted = await submit(jobs);
      await failOnce(jobs, policy({ base_delay_ms: 60_000 }));
      const later = await submit(jobs);
      expect(await context.storage().list(deferredNs(backend))).to.have.length(2);
      expect(await jobs.cancel(backend, cancelled)).to.equal('CANCELLED');
      // Its history says it ran once and was cancelled waiting for the next attempt, not before it ran.
      expect((await jobs.find(backend, cancelled))!.value.detail.slice(-3)).to.deep.equal([
        'Claimed by s (attempt 1).',
        'Attempt 1 failed (exit-code): runtime exited with code 75; retrying in 60 s (attempt 2 of 3).',
        'Cancelled while waiting to retry (before attempt 2).',
      ]);
      await jobs.purge(backend, deleted);
      // Neither an entry nor a mark: nothing for claims or queue counts to read past, nothing left behind for good.
      expect(await context.storage().list(deferredNs(backend))).to.deep.equal([]);
      const { schedule } = (await jobs.find(backend, later))!.value;
      expect(await context.storage().list(scheduleNs.entries(backend))).to.deep.equal([schedule]);
      context.advance(60_000);
      expect(await claimId(jobs)).to.equal(later);
      expect(await jobs.claim(backend, 's')).to.equal(undefined);
    });

    it('never holds up the queue for a job queued before scheduling existed while it waits out a backoff', async () => {
      const jobs = context.lifecycle();
      const legacy = await submit(jobs);
      // As an older version queued it: a record without its place in the schedule, and no entry.
      const storage = context.storage();
      const { schedule, ...record } = (await storage.get<JobRecord>(ns.queued(backend), legacy))!.value;
      await storage.put(ns.queued(backend), legacy, record);
      await storage.delete(scheduleNs.entries(backend), schedule!);
      expect((await failOnce(jobs, policy({ base_delay_ms: 60_000 }))).id).to.equal(legacy);
      const later = await submit(jobs, 'v');
      expect(await claimId(jobs)).to.equal(later);
      expect(await jobs.claim(backend, 's')).to.equal(undefined);
      context.advance(60_000);
      expect(await claimId(jobs)).to.equal(legacy);
    });

    it('records the dead-lettering of a job an admin requeues before its reaper published it (providers without transactions)', async function () {
      const storage = context.storage();
      if (storage.transaction) this.skip(); // The move, its event and status are one transaction there.
      const id = await submit(context.lifecycle());
      await context.lifecycle({ leaseMs: 1000 }).claim(backend, 'dies');
      context.advance(1001);
      // The reaper's move to the dead letters lands; the admin's requeue, in another process, comes before its event.
      const admin = context.lifecycle();
      const { move } = storage;
      storage.move = async (...args) => {
        const version = await move.apply(storage, args);
        storage.move = move;
        await admin.requeue(backend, id);
        return version;
      };
      try {
        expect(await context.lifecycle({ leaseMs: 1000 }).requeueExpired(backend, policy({ max_attempts: 1 }))).to.deep.equal([id]);
      } finally {
        storage.move = move;
      }
      const events = await Promise.all((await storage.list(ns.events)).map(async (key) => (await storage.get<JobEvent>(ns.events, key))!.value));
      const states = events.filter((event) => event.jobId === id).sort((a, b) => a.seq - b.seq).map((event) => [event.seq, event.state]);
      expect(states).to.deep.equal([[1, 'QUEUED'], [2, 'RUNNING'], [3, 'ERROR'], [4, 'QUEUED']]);
    });

    it('keeps a claim\'s cost independent of how many jobs wait out a backoff (providers with transactions)', async function () {
      const storage = context.storage();
      if (!storage.transaction) {
        this.skip(); // Stepwise providers pass over deferred jobs while listing the queue (README, Retries).
      }
      const jobs = context.lifecycle();
      for (let i = 0; i < 40; i += 1) {
        await submit(jobs);
        await failOnce(jobs, policy({ base_delay_ms: 60_000 }));
      }
      const fresh = await submit(jobs);
      const transaction = storage.transaction!.bind(storage);
      let listed = 0;
      storage.transaction = (work) =>
        transaction((tx) => work(Object.create(tx, { list: { value: (n: string, o?: { limit?: number }) => ((listed += 1), tx.list(n, o)) } }) as typeof tx));
      expect(await claimId(jobs)).to.equal(fresh);
      expect(listed).to.be.at.most(12);
    });

    it('passes over jobs waiting out a backoff with at most two listings each (providers without transactions)', async function () {
      const storage = context.storage();
      if (storage.transaction) this.skip(); // Covered above: deferred jobs are kept off the schedule there.
      const jobs = context.lifecycle();
      const WAITING = 60;
      for (let i = 0; i < WAITING; i += 1) {
        await submit(jobs);
        await failOnce(jobs, policy({ base_delay_ms: 60_000 }));
      }
      const fresh = await submit(jobs);
      const list = storage.list.bind(storage);
      let listed = 0;
      storage.list = (namespace, options) => ((listed += 1), list(namespace, options));
      try {
        expect(await claimId(jobs)).to.equal(fresh);
      } finally {
        storage.list = list;
      }
      // Each waiting job ahead: listed once as its band's head, and once more to list past it; plus the fresh job's
      // own listing and at most one look for queued jobs without an entry.
      expect(listed).to.be.at.most(2 * WAITING + 3);
    });
  });
}
