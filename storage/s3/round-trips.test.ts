// How many S3 requests the provider's operations cost, on the in-memory bucket with Ceph RGW's and AWS's semantics
// (the protocol is the same on both). Every figure here is asserted, so a change that adds a round trip to a hot
// operation fails; README.md ("S3") quotes them.
import { expect } from 'chai';
import { ConflictError } from '../../schemas/errors.ts';
import { rejection } from '../conformance/rejections.ts';
import { JobLifecycle, type ClaimedJob } from '../lifecycle.ts';
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

/** Each request as `<kind> <namespace>` (backend, user and band segments left out), sorted: parallel ones have no order. */
const kinds = (requests: string[]) =>
  requests
    .map((line) => {
      const [kind, name] = line.split(' ') as [string, string];
      const [first, second] = name.replace(/^p\//, '').split('/') as [string, string];
      return `${kind} ${first === 'jobs' || first === 'index' ? `${first}/${second}` : first}`;
    })
    .sort();


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

    it('claims in 12 requests, completes in 6 and takes a submission in 7 (the job, its status, its schedule entry)', async () => {
      // A clock that stands still: how often the schedule is checked for lost entries depends on it.
      const now = Date.now();
      const jobs = new JobLifecycle(storage, { now: () => now });
      // Jobs come from a server: another process.
      const server = new JobLifecycle(processOn(bucket), { now: () => now });
      for (let i = 0; i < 3; i += 1) await server.enqueue({ backend: 'b', owner: 'u', payload: { i } });
      // A process's first claim also looks for queued jobs without a schedule entry (at most every 2 s per process,
      // storage/stepwise-schedule.ts): one listing of the queue more.
      let claim: ClaimedJob | undefined;
      const first = await requestsOf(bucket, async () => (claim = await jobs.claim('b', 's')));
      expect(first.filter((line) => line.startsWith('list '))).to.deep.equal(['list p/jobs/queued/b/', 'list p/schedule/b/']);
      expect(first).to.have.length(13);
      const { id } = claim!.record;
      const completion = await requestsOf(bucket, () => jobs.complete(claim!, { ok: true }));
      expect(completion.map((line) => line.replace(/events\/\w+/, 'events/…'))).to.deep.equal([
        `put p/results/b/${id}-a1.json if-none-match *`,
        // The move: take the source, arrive, release.
        `put p/jobs/running/b/${id}.json if-match`,
        `put p/jobs/finished/b/${id}.json if-none-match *`,
        `delete p/jobs/running/b/${id}.json`,
        // The transition's event, then the status over the one this process wrote at the claim, unread
        // (storage/stepwise-publisher.ts).
        'put p/events/….json if-none-match *',
        `put p/status/b/${id}.json if-match`,
      ]);
      const claiming = await requestsOf(bucket, () => jobs.claim('b', 's'));
      expect(kinds(claiming)).to.deep.equal([
        'delete jobs/queued', // the move's release
        'delete schedule', // the job's schedule entry goes: read, mark, delete (an unversioned delete)
        'get jobs/queued', // the job
        'get schedule',
        'get status',
        'list schedule', // the schedule's first entry
        'put events',
        'put jobs/queued', // the move's take
        'put jobs/running', // the move's arrival
        'put schedule',
        'put schedule-clock', // the band's clock moves on
        'put status',
      ]);
      const submission = await requestsOf(bucket, () => server.enqueue({ backend: 'b', owner: 'u', payload: {} }));
      // The user's place in the schedule is known from their earlier submissions; the status is created unread.
      expect(kinds(submission)).to.deep.equal([
        'put events', 'put index/jobs', 'put index/owner', 'put jobs/queued', 'put schedule', 'put schedule-users', 'put status',
      ]);
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
      expect(await requestsOf(bucket, () => spooler.complete(claim, { ok: true }))).to.have.length(6);
    });
  });
}
