// The behavioural contract every storage provider must pass (DESIGN.md §4, invariants I1–I8).
// Call `providerConformance(makeSpec)` inside a provider's describe(); each test gets a fresh, empty store.
import { expect } from 'chai';
import type { StorageProvider } from '../contract.ts';
import { ConflictError, InvalidKeyError, LeaseLostError, NotFoundError } from '../../schemas/errors.ts';
import { createProvider, type ProviderSpec } from '../factory.ts';
import { JobLifecycle } from '../lifecycle.ts';
import { ns, stateNamespace } from '../records.ts';
import { jobIdTime, newJobId } from '../keys.ts';
import { runWorker, startWorker, waitForOutput } from './processes.ts';
import { damagedCases } from './damaged.ts';
import { retryCases } from './retries.ts';
import { schedulingCases } from './scheduling.ts';

export interface ConformanceTarget {
  /** A description of a fresh, empty store that other processes can open too. */
  makeSpec(): Promise<ProviderSpec>;
}

const BACKEND = 'conformance';
export const HOSTILE_KEYS = ['../x', 'a/b', '..', '.', '', 'nul\u0000byte', 'x'.repeat(10_000), 'tab\tkey', 'é', '/abs'];

async function rejects(promise: Promise<unknown>, type: new (...args: never[]) => Error): Promise<void> {
  try {
    await promise;
  } catch (error) {
    expect(error).to.be.instanceOf(type);
    return;
  }
  expect.fail(`expected ${type.name}`);
}

async function statesOf(storage: StorageProvider, id: string): Promise<string[]> {
  const found: string[] = [];
  for (const namespace of [ns.queued, ns.running, ns.finished, ns.deleted, ns.dead]) {
    if (await storage.get(namespace(BACKEND), id)) found.push(namespace(BACKEND));
  }
  return found;
}

export function providerConformance(target: ConformanceTarget): void {
  let spec: ProviderSpec;
  let storage: StorageProvider;
  let clock: number;
  const lifecycle = (options: { leaseMs?: number; maxAttempts?: number } = {}) =>
    new JobLifecycle(storage, { ...options, now: () => clock });
  const enqueueMany = async (count: number) => {
    const jobs = lifecycle();
    const ids: string[] = [];
    for (let i = 0; i < count; i += 1) {
      clock += 1;
      ids.push((await jobs.enqueue({ backend: BACKEND, owner: 'alice', payload: { n: i } })).id);
    }
    return ids;
  };

  beforeEach(async () => {
    spec = await target.makeSpec();
    storage = await createProvider(spec);
    // Never behind the id generator, which never goes back: an earlier test's clock may have pushed it ahead, and
    // ages are read from ids.
    clock = Math.max(Date.now(), jobIdTime(newJobId()) + 1);
  });
  afterEach(async () => storage.close());

  describe('documents', () => {
    it('reads back what was written, with a new version on every write', async () => {
      const v1 = await storage.put('docs', 'a', { x: 1 });
      const v2 = await storage.put('docs', 'a', { x: 2 });
      expect(v1).to.not.equal(v2);
      expect(await storage.get('docs', 'a')).to.deep.equal({ value: { x: 2 }, version: v2 });
      expect(await storage.get('docs', 'missing')).to.equal(undefined);
    });

    it('answers a read at a known version with "unchanged" only while the document is at it', async function () {
      if (!storage.getIfChanged) this.skip();
      const v1 = await storage.put('docs', 'c', { n: 1 });
      expect(await storage.getIfChanged!('docs', 'c', v1)).to.equal('unchanged');
      const v2 = await storage.put('docs', 'c', { n: 2 });
      expect(await storage.getIfChanged!('docs', 'c', v1)).to.deep.equal({ value: { n: 2 }, version: v2 });
      await storage.delete('docs', 'c');
      expect(await storage.getIfChanged!('docs', 'c', v2)).to.equal(undefined);
    });

    it("advances an area's revision with each write, move or delete in it, and with nothing else", async function () {
      if (!storage.revision) this.skip();
      const revision = (...areas: string[]) => storage.revision!(areas);
      const seen = new Map([['rev', [await revision('rev')]], ['other', [await revision('other')]]]);
      const changed = async (area: string, step: () => Promise<unknown>) => {
        const [elsewhere, both] = [await revision('elsewhere'), await revision(area, 'elsewhere')];
        await step();
        const after = await revision(area);
        expect(seen.get(area), 'an earlier revision of the area').to.not.include(after);
        seen.get(area)!.push(after);
        expect(await revision(area, 'elsewhere')).to.not.equal(both);
        expect(await revision('elsewhere')).to.equal(elsewhere);
      };
      const v1 = await storage.put('rev', 'a', 1);
      await changed('rev', () => storage.put('rev/deeper', 'a', 1));
      await changed('rev', () => storage.replace('rev', 'a', 2, v1));
      await changed('other', () => storage.move('rev', 'other', 'a'));
      await changed('rev', () => storage.put('rev', 'b', 1));
      await changed('rev', () => storage.move('rev', 'other', 'b'));
      await changed('other', () => storage.delete('other', 'a'));
      if (storage.transaction) await changed('rev', () => storage.transaction!((tx) => tx.put('rev', 'c', 1)));
      const quiet = await revision('rev', 'other');
      await storage.get('rev', 'c');
      await storage.list('other');
      await storage.put('elsewhere', 'x', 1);
      expect(await revision('rev', 'other')).to.equal(quiet);
      await rejects(storage.revision!(['rev/deeper']), InvalidKeyError);
    });

    it('lets exactly one of 10 concurrent create-only writers win', async () => {
      const results = await Promise.allSettled(
        Array.from({ length: 10 }, (_, i) => storage.put('docs', 'once', { i }, { ifAbsent: true })),
      );
      expect(results.filter((r) => r.status === 'fulfilled')).to.have.length(1);
      for (const r of results) if (r.status === 'rejected') expect(r.reason).to.be.instanceOf(ConflictError);
    });

    it('replaces only at the expected version', async () => {
      const v1 = await storage.put('docs', 'cas', { n: 1 });
      const v2 = await storage.replace('docs', 'cas', { n: 2 }, v1);
      await rejects(storage.replace('docs', 'cas', { n: 3 }, v1), ConflictError);
      await rejects(storage.replace('docs', 'nothing', { n: 3 }, v1), NotFoundError);
      expect((await storage.get('docs', 'cas'))!.value).to.deep.equal({ n: 2 });
      expect((await storage.get('docs', 'cas'))!.version).to.equal(v2);
    });

    it('moves a document to exactly one of 10 concurrent movers, never duplicating or losing it', async () => {
      await storage.put('from', 'm', { n: 1 });
      const results = await Promise.allSettled(
        Array.from({ length: 10 }, (_, i) => storage.move('from', `to-${i % 2}`, 'm', { value: { n: 1, mover: i } })),
      );
      expect(results.filter((r) => r.status === 'fulfilled')).to.have.length(1);
      const copies = [await storage.get('from', 'm'), await storage.get('to-0', 'm'), await storage.get('to-1', 'm')];
      expect(copies.filter(Boolean)).to.have.length(1);
    });

    it('refuses to move onto an existing document or from a stale version', async () => {
      const v = await storage.put('from', 'k', 1);
      await storage.put('to', 'k', 2);
      await rejects(storage.move('from', 'to', 'k'), ConflictError);
      await storage.delete('to', 'k');
      await rejects(storage.move('from', 'to', 'k', { expectedVersion: 'stale' }), ConflictError);
      await storage.move('from', 'to', 'k', { expectedVersion: v });
      expect((await storage.get('to', 'k'))!.value).to.equal(1);
    });

    it('deletes conditionally and reports whether it removed anything', async () => {
      const v = await storage.put('docs', 'd', 1);
      await rejects(storage.delete('docs', 'd', 'stale'), ConflictError);
      expect(await storage.delete('docs', 'd', v)).to.equal(true);
      expect(await storage.delete('docs', 'd')).to.equal(false);
    });

    it('lists keys in ascending order with after/limit paging, mixing plain and job-id keys', async () => {
      const ids = await enqueueMany(25);
      await storage.put(ns.queued(BACKEND), 'zzz-plain', 1);
      await storage.put(ns.queued(BACKEND), '0-plain', 1);
      const all: string[] = [];
      for (let after: string | undefined; ; ) {
        const page = await storage.list(ns.queued(BACKEND), { limit: 7, ...(after ? { after } : {}) });
        all.push(...page);
        if (page.length < 7) break;
        after = page[page.length - 1];
      }
      expect(all).to.deep.equal(['0-plain', ...ids, 'zzz-plain']);
      expect(await storage.list('empty/namespace')).to.deep.equal([]);
    });
  });

  describe('I8 hostile keys', () => {
    for (const key of HOSTILE_KEYS) {
      it(`refuses key ${JSON.stringify(key.length > 20 ? `${key.slice(0, 8)}… (${key.length} chars)` : key)} on every operation`, async () => {
        await rejects(storage.put('docs', key, 1), InvalidKeyError);
        await rejects(storage.get('docs', key), InvalidKeyError);
        await rejects(storage.replace('docs', key, 1, 'v'), InvalidKeyError);
        await rejects(storage.move('docs', 'other', key), InvalidKeyError);
        await rejects(storage.delete('docs', key), InvalidKeyError);
        await rejects(storage.list('docs', { after: key || 'x/y' }), InvalidKeyError);
      });
    }
    it('refuses namespaces that could escape the store', async () => {
      for (const namespace of ['../up', 'a//b', '/abs', 'A/B', 'a/../b', '']) {
        await rejects(storage.put(namespace, 'k', 1), InvalidKeyError);
        await rejects(storage.list(namespace), InvalidKeyError);
      }
    });
  });

  describe('job lifecycle', () => {
    it('I3 gives out queued jobs oldest first', async () => {
      const ids = await enqueueMany(30);
      const jobs = lifecycle();
      const claimed: string[] = [];
      for (let c = await jobs.claim(BACKEND, 's'); c; c = await jobs.claim(BACKEND, 's')) claimed.push(c.record.id);
      expect(claimed).to.deep.equal(ids);
    });

    it('I1 keeps every job in exactly one state namespace through claim, complete, fail and cancel', async () => {
      const [a, b, c, d] = await enqueueMany(4);
      const jobs = lifecycle();
      const first = (await jobs.claim(BACKEND, 's'))!;
      await jobs.complete(first, { ok: true });
      const second = (await jobs.claim(BACKEND, 's'))!;
      await jobs.fail(second, 'bad gate');
      await jobs.cancel(BACKEND, d!);
      expect(await statesOf(storage, a!)).to.deep.equal([ns.finished(BACKEND)]);
      expect(await statesOf(storage, b!)).to.deep.equal([ns.deleted(BACKEND)]);
      expect(await statesOf(storage, c!)).to.deep.equal([ns.queued(BACKEND)]);
      expect(await statesOf(storage, d!)).to.deep.equal([ns.deleted(BACKEND)]);
      expect((await jobs.getStatus(BACKEND, a!))!.status).to.equal('DONE');
      expect((await jobs.getStatus(BACKEND, b!))!.error_message).to.equal('bad gate');
      expect((await jobs.getStatus(BACKEND, d!))!.status).to.equal('CANCELLED');
      const done = (await jobs.find(BACKEND, a!))!.value;
      expect(await jobs.getResult(done)).to.deep.equal({ ok: true });
    });

    it('I2 gives one queued job to exactly one of 8 racing spooler processes', async function () {
      this.timeout(60_000);
      const [id] = await enqueueMany(1);
      const startAt = String(Date.now() + 2500);
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, i) => runWorker('claim-one', spec, BACKEND, `spooler-${i}`, startAt)),
      );
      const winners = results.map((lines) => lines[0]!.claimed).filter(Boolean);
      expect(winners).to.deep.equal([id]);
    });

    it('I2 shares 200 jobs among 4 racing processes with each job completed exactly once', async function () {
      this.timeout(60_000);
      const ids = await enqueueMany(200);
      const startAt = String(Date.now() + 2500);
      const results = await Promise.all(
        Array.from({ length: 4 }, (_, i) => runWorker('claim-all', spec, BACKEND, `spooler-${i}`, startAt)),
      );
      const claimed = results.flatMap((lines) => lines[0]!.claimed as string[]);
      expect([...claimed].sort()).to.deep.equal(ids);
      for (const id of ids.slice(0, 20)) expect(await statesOf(storage, id)).to.deep.equal([ns.finished(BACKEND)]);
    });

    it('I1 loses no job when claiming processes are SIGKILLed at random moments', async function () {
      this.timeout(60_000);
      const ids = await enqueueMany(60);
      for (let round = 0; round < 4; round += 1) {
        const child = startWorker('claim-and-hold', spec, BACKEND, `victim-${round}`);
        // Listened for from the start: a victim that finds the queue already empty exits before it can be killed.
        const exited = new Promise((resolve) => child.once('exit', resolve));
        await waitForOutput(child, 'holding').catch(() => undefined);
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 30));
        child.kill('SIGKILL');
        await exited;
      }
      clock = Date.now() + 120_000;
      await lifecycle({ maxAttempts: 100 }).requeueExpired(BACKEND);
      for (const id of ids) expect(await statesOf(storage, id), id).to.deep.equal([ns.queued(BACKEND)]);
    });

    it('I5 never shows a torn document while a writer process is killed mid-write', async function () {
      this.timeout(60_000);
      for (let round = 0; round < 3; round += 1) {
        const child = startWorker('write-forever', spec);
        await waitForOutput(child, 'writing');
        await new Promise((resolve) => setTimeout(resolve, 50 + Math.random() * 200));
        child.kill('SIGKILL');
        await new Promise((resolve) => child.once('exit', resolve));
        const doc = (await storage.get<{ generation: number; items: number[] }>('torture', 'doc'))!.value;
        expect(doc.items).to.have.length(50_000);
        expect(doc.items.every((item) => item === doc.generation)).to.equal(true);
        // The store stays writable after the crash (no lock left behind for good).
        await storage.put('torture', 'doc', { generation: -1, items: [] });
      }
    });

    it('I6 requeues a job whose lease expired, counting the attempt, and fences the old holder', async () => {
      const [id] = await enqueueMany(1);
      const jobs = lifecycle({ leaseMs: 1000, maxAttempts: 3 });
      const stale = (await jobs.claim(BACKEND, 'dead'))!;
      const heard: string[] = [];
      expect(await jobs.requeueExpired(BACKEND, undefined, (expired) => heard.push(expired))).to.deep.equal([]);
      clock += 1001;
      expect(await jobs.requeueExpired(BACKEND, undefined, (expired) => heard.push(expired))).to.deep.equal([id]);
      expect(heard).to.deep.equal([id]);
      const fresh = (await jobs.claim(BACKEND, 'alive'))!;
      expect(fresh.record.attempts).to.equal(2);
      await rejects(jobs.complete(stale, { from: 'stale' }), LeaseLostError);
      await rejects(jobs.renew(stale), LeaseLostError);
      await jobs.complete(fresh, { from: 'fresh' });
      const done = (await jobs.find(BACKEND, id!))!.value;
      expect(await jobs.getResult(done)).to.deep.equal({ from: 'fresh' });
      expect(await storage.list(ns.results(BACKEND))).to.deep.equal([`${id}-a2`]);
    });

    it('I6 with a clock of its own, a reaper never takes back a renewing holder whose clock runs behind, and takes back a dead one after a lease', async () => {
      const [id] = await enqueueMany(1);
      let own = 0;
      // The holder's clock runs 5 leases behind the reaper's: every expiry it writes has passed by the reaper's clock.
      const holder = new JobLifecycle(storage, { leaseMs: 1000, now: () => clock - 5000 });
      const reaper = new JobLifecycle(storage, { leaseMs: 1000, now: () => clock, reaperClock: () => own });
      let claim = (await holder.claim(BACKEND, 'behind'))!;
      for (let round = 0; round < 4; round += 1) {
        expect(await reaper.requeueExpired(BACKEND)).to.deep.equal([]);
        own += 600;
        clock += 600;
        claim = await holder.renew(claim);
      }
      expect(await reaper.requeueExpired(BACKEND)).to.deep.equal([]);
      own += 999;
      expect(await reaper.requeueExpired(BACKEND)).to.deep.equal([]);
      own += 1;
      expect(await reaper.requeueExpired(BACKEND)).to.deep.equal([id]);
      await rejects(holder.renew(claim), LeaseLostError);
    });

    it('I6 ends CANCELLED, never running again, a job whose cancel its expired holder could not carry out', async () => {
      const [id] = await enqueueMany(1);
      const jobs = lifecycle({ leaseMs: 1000, maxAttempts: 3 });
      const dead = (await jobs.claim(BACKEND, 'dead'))!;
      expect(await jobs.cancel(BACKEND, id!)).to.equal('RUNNING');
      clock += 1001;
      expect(await jobs.requeueExpired(BACKEND)).to.deep.equal([id]);
      expect(await statesOf(storage, id!)).to.deep.equal([ns.deleted(BACKEND)]);
      const status = (await jobs.getStatus(BACKEND, id!))!;
      expect(status.status).to.equal('CANCELLED');
      expect(status.detail).to.match(/Cancel requested\.; Cancelled: the lease of attempt 1 expired: its spooler stopped renewing it\.$/);
      expect(await jobs.claim(BACKEND, 'alive')).to.equal(undefined);
      await rejects(jobs.complete(dead, { late: true }), LeaseLostError);
    });

    it('I6 dead-letters a job with ERROR after maxAttempts expired leases', async () => {
      const [id] = await enqueueMany(1);
      const jobs = lifecycle({ leaseMs: 10, maxAttempts: 2 });
      for (let i = 0; i < 2; i += 1) {
        expect(await jobs.claim(BACKEND, `s${i}`)).to.not.equal(undefined);
        clock += 11;
        await jobs.requeueExpired(BACKEND);
      }
      expect(await jobs.claim(BACKEND, 'late')).to.equal(undefined);
      const status = (await jobs.getStatus(BACKEND, id!))!;
      expect(status.status).to.equal('ERROR');
      expect(status.attempts).to.equal(2);
      expect(await statesOf(storage, id!)).to.deep.equal([ns.dead(BACKEND)]);
    });

    it('I6 keeps a renewed lease and lets a cancel request through without breaking the fence', async () => {
      await enqueueMany(1);
      const jobs = lifecycle({ leaseMs: 1000 });
      let claim = (await jobs.claim(BACKEND, 's'))!;
      clock += 900;
      claim = await jobs.renew(claim);
      clock += 900;
      expect(await jobs.requeueExpired(BACKEND)).to.deep.equal([]);
      expect(await jobs.cancel(BACKEND, claim.record.id)).to.equal('RUNNING');
      claim = await jobs.renew(claim);
      expect(claim.record.cancelRequested).to.equal(true);
      await jobs.acknowledgeCancel(claim);
      expect((await jobs.getStatus(BACKEND, claim.record.id))!.status).to.equal('CANCELLED');
    });

    it('I7 never claims a job cancelled while queued, even when cancel races claims', async () => {
      const ids = await enqueueMany(20);
      const jobs = lifecycle();
      const outcomes = await Promise.all(
        ids.map(async (id, i) =>
          i % 2 === 0 ? { id, cancel: await jobs.cancel(BACKEND, id).catch((e: Error) => e.name) } : { id },
        ),
      );
      const claims = await Promise.all(Array.from({ length: 20 }, () => jobs.claim(BACKEND, 'racer')));
      const claimedIds = new Set(claims.filter(Boolean).map((c) => c!.record.id));
      for (const outcome of outcomes) {
        if ('cancel' in outcome) {
          expect(outcome.cancel).to.equal('CANCELLED');
          expect(claimedIds.has(outcome.id)).to.equal(false);
        } else {
          expect(claimedIds.has(outcome.id)).to.equal(true);
        }
      }
      await rejects(jobs.cancel(BACKEND, ids[0]!), ConflictError);
    });

    it('I1 lets a purge racing a cancel or a requeue remove the job everywhere, or fail and leave it whole', async function () {
      this.timeout(60_000);
      const jobs = lifecycle();
      const finished = await enqueueMany(12);
      for (const id of finished) {
        const claim = (await jobs.claim(BACKEND, 's'))!;
        expect(claim.record.id).to.equal(id);
        await jobs.complete(claim, { ok: true });
      }
      const queued = await enqueueMany(12);
      const race = (id: string, i: number, rival: () => Promise<unknown>) => {
        const purge = () => jobs.purge(BACKEND, id).then(() => true, (error: Error) => error.name);
        const rivalry = () => rival().catch(() => undefined);
        // Either side first, so each wins some races.
        return i % 2 === 0 ? Promise.all([purge(), rivalry()]).then(([purged]) => purged) : Promise.all([rivalry(), purge()]).then(([, purged]) => purged);
      };
      const outcomes = await Promise.all([
        ...queued.map((id, i) => race(id, i, () => jobs.cancel(BACKEND, id))),
        ...finished.map((id, i) => race(id, i, () => jobs.requeue(BACKEND, id))),
      ]);
      const ids = [...queued, ...finished];
      for (const [i, purged] of outcomes.entries()) {
        const id = ids[i]!;
        if (purged === true) {
          expect(await statesOf(storage, id), id).to.deep.equal([]);
          expect(await storage.get(ns.jobIndex, id), id).to.equal(undefined);
          // Without transactions the rival's status write may land after the purge; with them, nothing is left.
          if (storage.transaction) expect(await storage.get(ns.status(BACKEND), id), id).to.equal(undefined);
        } else {
          expect(purged, id).to.be.oneOf(['ConflictError', 'NotFoundError']);
          expect(await statesOf(storage, id), id).to.have.length(1);
          expect(await storage.get(ns.jobIndex, id), id).to.not.equal(undefined);
        }
      }
      expect(outcomes.filter((purged) => purged === true)).to.have.length.greaterThan(0);
    });

    it('I1 shows no job where a purge stopped after removing it, whatever its status said (providers without transactions)', async function () {
      if (storage.transaction) this.skip(); // A purge is one transaction there.
      const jobs = lifecycle();
      const [running, queued] = await enqueueMany(2);
      expect((await jobs.claim(BACKEND, 's'))!.record.id).to.equal(running);
      // A purge's first step, then its process died: the status and index entries of each job are left behind.
      for (const [id, state] of [[queued!, 'QUEUED'], [running!, 'RUNNING']] as const) {
        expect((await jobs.getStatus(BACKEND, id))!.status).to.equal(state);
        await storage.delete(stateNamespace(state, BACKEND), id);
        expect(await jobs.getStatus(BACKEND, id), state).to.equal(undefined);
      }
    });

    it('I1 sets aside documents no transition can take, queued or running, and goes on with the next job', async () => {
      const [id] = await enqueueMany(1);
      const real = (await storage.get<Record<string, unknown>>(ns.queued(BACKEND), id!))!.value;
      // Sorting before every job: a record whose history is no list, and a copy of the real job under another key.
      const [broken, impostor, stray] = ['000000000001000000000000', '000000000002000000000000', '000000000003000000000000'];
      await storage.put(ns.queued(BACKEND), broken!, { ...real, id: broken, detail: 5 });
      await storage.put(ns.queued(BACKEND), impostor!, real);
      await storage.put(ns.running(BACKEND), stray!, 'not a job');
      const heard: string[] = [];
      const jobs = new JobLifecycle(storage, { now: () => clock, leaseMs: 1000, onSetAside: (_backend, key, from) => heard.push(`${from} ${key}`) });
      const claim = (await jobs.claim(BACKEND, 's'))!;
      expect(claim.record.id).to.equal(id);
      await jobs.complete(claim, { ok: true });
      expect(await jobs.requeueExpired(BACKEND)).to.deep.equal([]);
      expect(await jobs.claim(BACKEND, 's')).to.equal(undefined);
      expect((await jobs.getStatus(BACKEND, id!))!.status).to.equal('DONE');
      expect(await storage.list(ns.damaged(BACKEND))).to.deep.equal([broken, impostor, stray]);
      expect((await storage.get(ns.damaged(BACKEND), impostor!))!.value, 'kept as it was').to.deep.equal(real);
      expect(heard.sort()).to.deep.equal([`${ns.queued(BACKEND)} ${broken}`, `${ns.queued(BACKEND)} ${impostor}`, `${ns.running(BACKEND)} ${stray}`]);
    });

    it('I1 never runs a job twice when a copy of it lies in the queue while it runs (providers with transactions)', async function () {
      if (!storage.transaction) this.skip();
      const [id, next] = await enqueueMany(2);
      const heard: string[] = [];
      const jobs = new JobLifecycle(storage, { now: () => clock, onSetAside: (_backend, key) => heard.push(key) });
      const running = (await jobs.claim(BACKEND, 's'))!;
      expect(running.record.id).to.equal(id);
      await storage.put(ns.queued(BACKEND), id!, { ...running.record, state: 'QUEUED', lease: undefined });
      expect((await jobs.claim(BACKEND, 't'))!.record.id).to.equal(next);
      expect(await jobs.claim(BACKEND, 'u')).to.equal(undefined);
      expect(heard).to.deep.equal([id]);
      expect(await storage.list(ns.queued(BACKEND))).to.deep.equal([]);
      // The job lives on: setting its copy aside does not end it.
      expect((await jobs.getStatus(BACKEND, id!))!.status).to.equal('RUNNING');
      await jobs.complete(running, { ok: true });
      expect(await statesOf(storage, id!)).to.deep.equal([ns.finished(BACKEND)]);
    });

    it('I4 claims by reading one small page of the queue, not the whole queue', async () => {
      await enqueueMany(300);
      const pages: (number | undefined)[] = [];
      const list = storage.list.bind(storage);
      storage.list = (namespace, options) => {
        pages.push(options?.limit);
        return list(namespace, options);
      };
      // A provider with transactions claims inside one: count the listings made there too.
      const transaction = storage.transaction?.bind(storage);
      if (transaction) {
        storage.transaction = (work) =>
          transaction((tx) => {
            const counted = Object.create(tx, {
              list: { value: (namespace: string, options?: { limit?: number }) => (pages.push(options?.limit), tx.list(namespace, options)) },
            }) as typeof tx;
            return work(counted);
          });
      }
      expect(await lifecycle().claim(BACKEND, 's')).to.not.equal(undefined);
      // One seek per non-empty priority band (storage/schedule.ts); with transactions also the queue's head, without
      // them the page of the queue's oldest jobs whose entries are checked every few seconds (stepwise-schedule.ts).
      expect(pages).to.have.length.within(1, storage.transaction ? 12 : 2);
      for (const limit of pages) expect(limit).to.be.at.most(16);
    });
  });

  const context = {
    storage: () => storage,
    lifecycle: (options = {}) => new JobLifecycle(storage, { ...options, now: () => clock }),
    advance: (ms: number) => (clock += ms),
    backend: BACKEND,
  };
  schedulingCases(context);
  retryCases(context);
  damagedCases(context);
}
