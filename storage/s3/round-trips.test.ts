// How many S3 requests the provider's operations cost, on the in-memory bucket with Ceph RGW's and AWS's semantics
// (the protocol is the same on both). Every figure here is asserted, so a change that adds a round trip to a hot
// operation fails; README.md ("S3") quotes them.
import { expect } from 'chai';
import { ConflictError } from '../../schemas/errors.ts';
import { rejection } from '../conformance/rejections.ts';
import { JobLifecycle } from '../lifecycle.ts';
import { ns, type JobRecord, type StatusRecord } from '../records.ts';
import { FakeObjects, type Flavour } from './fake-objects.ts';
import { S3Provider } from './index.ts';

/** A separate process's view of the bucket: its own provider, with its own cache. */
const processOn = (bucket: FakeObjects) => new S3Provider({ port: bucket, prefix: 'p', busyWaitMs: 100 });

/** The requests `work` sends, as FakeObjects logs them (`get <name>`, `put <name> <condition>`, `delete`, `list`). */
async function requestsOf(bucket: FakeObjects, work: () => Promise<unknown>): Promise<string[]> {
  const from = bucket.log.length;
  await work();
  return bucket.log.slice(from).map((line) => line.replace(/ if-match \S+/, ' if-match'));
}

/**
 * The requests on a job's own documents (its state namespaces, status, event, result, index entries), without
 * listings: which queue or schedule a claim lists to find its job is the lifecycle's business, not the provider's.
 */
const onJobDocuments = (requests: string[]) =>
  requests.filter((line) => !line.startsWith('list ') && /^\S+ p\/(jobs|status|events|results|index)\//.test(line));

for (const flavour of ['rgw', 'aws'] as Flavour[]) {
  describe(`s3 provider round trips (${flavour === 'rgw' ? 'Ceph RGW 16' : 'AWS'} semantics)`, () => {
    let bucket: FakeObjects;
    let storage: S3Provider;
    beforeEach(() => {
      bucket = new FakeObjects(flavour);
      storage = processOn(bucket);
    });

    it('costs one request per create, read, replace and list, two per delete, three per move', async () => {
      let version = '';
      expect(await requestsOf(bucket, async () => (version = await storage.put('a', 'k', 1, { ifAbsent: true })))).to.deep.equal([
        'put p/a/k.json if-none-match *',
      ]);
      expect(await requestsOf(bucket, () => storage.get('a', 'k'))).to.deep.equal(['get p/a/k.json']);
      expect(await requestsOf(bucket, async () => (version = await storage.replace('a', 'k', 2, version)))).to.deep.equal([
        'put p/a/k.json if-match',
      ]);
      // An overwrite of a document this process knows goes straight to If-Match on the version it knows.
      expect(await requestsOf(bucket, async () => (version = await storage.put('a', 'k', 3)))).to.deep.equal(['put p/a/k.json if-match']);
      expect(await requestsOf(bucket, () => storage.list('a', { limit: 1 }))).to.deep.equal(['list p/a/']);
      // The move right after the read that gave its version: take the source, arrive, release. No read of its own.
      let moved = '';
      expect(await requestsOf(bucket, async () => (moved = await storage.move('a', 'b', 'k', { value: 4, expectedVersion: version })))).to.deep.equal([
        'put p/a/k.json if-match',
        'put p/b/k.json if-none-match *',
        'delete p/a/k.json',
      ]);
      // The mover knows its arrival is released: reading or writing it costs what any document costs.
      expect(await requestsOf(bucket, () => storage.get('b', 'k'))).to.deep.equal(['get p/b/k.json']);
      expect(await requestsOf(bucket, () => storage.delete('b', 'k', moved))).to.deep.equal([
        'put p/b/k.json if-match',
        'delete p/b/k.json',
      ]);
    });

    it('lets other processes read a moved document without rewriting it: one look at the source, once each', async () => {
      const before = await storage.put('from', 'k', { n: 1 });
      const moved = await storage.move('from', 'to', 'k', { value: { n: 2 }, expectedVersion: before });
      const reader = processOn(bucket);
      expect(await requestsOf(bucket, () => reader.get('to', 'k'))).to.deep.equal(['get p/to/k.json', 'get p/from/k.json']);
      expect(await requestsOf(bucket, () => reader.get('to', 'k'))).to.deep.equal(['get p/to/k.json']);
      expect(await reader.get('to', 'k')).to.deep.equal({ value: { n: 2 }, version: moved });
      expect(bucket.states()).to.deep.equal({ 'p/to/k.json': 'arriving' });
      // So the version the mover handed its caller still holds: its next write is one request, and the reader's
      // copy of the version is as good as the mover's (exactly one of them wins).
      const next = await processOn(bucket).replace('to', 'k', { n: 3 }, moved);
      expect(await rejection(reader.replace('to', 'k', { n: 4 }, moved))).to.be.instanceOf(ConflictError);
      expect(await requestsOf(bucket, () => storage.replace('to', 'k', { n: 5 }, next))).to.deep.equal(['put p/to/k.json if-match']);
    });

    it('claims in 8 requests, completes in 7 and takes a submission in 5, counted through the provider', async () => {
      // The storage calls of the lifecycle's transitions on a provider without transactions
      // (storage/stepwise-transitions.ts, stepwise-publisher.ts), one by one, so the counts are the provider's own.
      const jobs = new JobLifecycle(storage);
      const { id } = await jobs.enqueue({ backend: 'b', owner: 'u', payload: {} });
      const queued = ns.queued('b');
      const running = ns.running('b');
      let record: JobRecord | undefined;
      let held = '';
      let events = 0;
      const publish = async () => {
        const status = (await storage.get<StatusRecord>(ns.status('b'), id))!;
        await storage.put(ns.events, `${id}-e${(events += 1)}`, { job: id }, { ifAbsent: true });
        await storage.replace(ns.status('b'), id, { ...status.value, seq: status.value.seq + 1 }, status.version);
      };
      const claim = await requestsOf(bucket, async () => {
        const [key] = await storage.list(queued, { limit: 1 });
        const current = (await storage.get<JobRecord>(queued, key!))!;
        record = { ...current.value, state: 'RUNNING' };
        held = await storage.move(queued, running, id, { value: record, expectedVersion: current.version });
        await publish();
      });
      expect(claim).to.have.length(8);
      const completion = await requestsOf(bucket, async () => {
        await storage.put(ns.results('b'), `${id}-a1`, { ok: true });
        await storage.move(running, ns.finished('b'), id, { value: { ...record!, state: 'DONE' }, expectedVersion: held });
        await publish();
      });
      expect(completion).to.deep.equal([
        `put p/results/b/${id}-a1.json if-none-match *`,
        `put p/jobs/running/b/${id}.json if-match`,
        `put p/jobs/finished/b/${id}.json if-none-match *`,
        `delete p/jobs/running/b/${id}.json`,
        `get p/status/b/${id}.json`,
        `put p/events/${id}-e2.json if-none-match *`,
        `put p/status/b/${id}.json if-match`,
      ]);
      const submission = await requestsOf(bucket, async () => {
        const other = '01a0000000000000000000aa';
        await Promise.all([storage.put(ns.jobIndex, other, {}), storage.put(ns.ownerIndex('u'), other, {})]);
        await storage.put(queued, other, {}, { ifAbsent: true });
        await storage.put(ns.events, `${other}-1`, {}, { ifAbsent: true });
        await storage.put(ns.status('b'), other, {}, { ifAbsent: true });
      });
      expect(submission).to.have.length(5);
    });

    it('sends the lifecycle\'s claim, completion and submission to the job\'s documents in 7, 7 and 5 requests', async () => {
      const jobs = new JobLifecycle(storage);
      await jobs.enqueue({ backend: 'b', owner: 'u', payload: {} });
      let claim: Awaited<ReturnType<JobLifecycle['claim']>>;
      const claiming = onJobDocuments(await requestsOf(bucket, async () => (claim = await jobs.claim('b', 's'))));
      // Read the job, move it (three writes), then its status: read, event, write.
      expect(claiming.map((line) => line.split(' ')[0])).to.deep.equal(['get', 'put', 'put', 'delete', 'get', 'put', 'put']);
      const completing = onJobDocuments(await requestsOf(bucket, () => jobs.complete(claim!, { ok: true })));
      expect(completing.map((line) => line.split(' ')[0])).to.deep.equal(['put', 'put', 'put', 'delete', 'get', 'put', 'put']);
      expect(onJobDocuments(await requestsOf(bucket, () => jobs.enqueue({ backend: 'b', owner: 'u', payload: {} })))).to.have.length(5);
    });

    it('keeps a spooler\'s version of its job valid while others read the job: renewal and completion in one try', async () => {
      const server = new JobLifecycle(processOn(bucket));
      const spooler = new JobLifecycle(storage);
      const { id } = await server.enqueue({ backend: 'b', owner: 'u', payload: {} });
      let claim = (await spooler.claim('b', 's'))!;
      // The server answers a status poll, and another spooler's reaper reads the running job.
      expect((await server.getStatus('b', id))?.status).to.equal('RUNNING');
      expect((await new JobLifecycle(processOn(bucket)).requeueExpired('b'))).to.deep.equal([]);
      expect(await requestsOf(bucket, async () => (claim = await spooler.renew(claim)))).to.deep.equal([
        `put p/jobs/running/b/${id}.json if-match`,
      ]);
      const completion = await requestsOf(bucket, () => spooler.complete(claim, { ok: true }));
      expect(onJobDocuments(completion)).to.have.length(7);
    });
  });
}
