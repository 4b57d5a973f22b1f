import { expect } from 'chai';
import { ConflictError, InvalidKeyError, NotFoundError, StorageUnavailableError } from '../../schemas/errors.ts';
import { expectHostileKeysRefused, rejection } from '../conformance/rejections.ts';
import { JobLifecycle } from '../lifecycle.ts';
import { CountingPort, CrashingPort, FakeObjects, GatedPort, SimulatedCrash, type Flavour } from './fake-objects.ts';
import { S3Provider } from './index.ts';
import { s3Integration } from './integration.ts';
import type { ObjectPort } from './objects.ts';
import { findTestS3, type TestS3 } from './test-server.ts';

/** A provider over `port` whose clock runs `skewMs` ahead (60 s: every marker it meets is stale). */
const provider = (port: ObjectPort, skewMs = 0) =>
  new S3Provider({ port, prefix: 'p', now: () => Date.now() + skewMs, busyWaitMs: 100 });
const STALE = 60_000;

describe('s3 provider', () => {
  describe('without a server (in-memory bucket)', () => {
    for (const flavour of ['rgw', 'aws'] as Flavour[]) {
      describe(`with ${flavour === 'rgw' ? 'Ceph RGW 16' : 'AWS'} semantics`, () => {
        let bucket: FakeObjects;
        beforeEach(() => (bucket = new FakeObjects(flavour)));

        for (const step of [1, 2, 3]) {
          it(`recovers a move whose process died after step ${step}: no loss, no duplicate`, async () => {
            const before = await provider(bucket).put('from', 'k', { n: 1 });
            // After step 3 (the last) the move has resolved; the process dies before anyone reads the destination.
            const outcome = await provider(new CrashingPort(bucket, step)).move('from', 'to', 'k', { value: { n: 2 } }).catch((e: unknown) => e);
            if (step < 3) expect(outcome).to.be.instanceOf(SimulatedCrash);
            else expect(bucket.states()).to.deep.equal({ 'p/to/k.json': 'arriving' });
            // A live process right after the crash: the document is where the move left it, and frozen.
            const now = provider(bucket);
            if (step < 3) {
              expect(await now.get('from', 'k')).to.deep.equal({ value: { n: 1 }, version: before });
              expect(await now.get('to', 'k')).to.equal(undefined);
              expect(await rejection(now.replace('from', 'k', { n: 9 }, before))).to.be.instanceOf(ConflictError);
              expect(await rejection(now.move('from', 'to', 'k', { expectedVersion: before }))).to.be.instanceOf(ConflictError);
            } else {
              expect(await now.get('from', 'k')).to.equal(undefined);
              expect((await now.get('to', 'k'))!.value).to.deep.equal({ n: 2 });
            }
            // Once the marker is stale, the next reader finishes the move: one document (the arrival, which nobody
            // rewrites), no leftovers, writable at the version readers get.
            const later = provider(bucket, STALE);
            expect(await later.get('from', 'k')).to.equal(undefined);
            const arrived = (await later.get('to', 'k'))!;
            expect(arrived.value).to.deep.equal({ n: 2 });
            expect(bucket.states()).to.deep.equal({ 'p/to/k.json': 'arriving' });
            expect(await provider(bucket).get('to', 'k')).to.deep.equal(arrived);
            await provider(bucket).replace('to', 'k', { n: 3 }, arrived.version);
            expect(bucket.states()).to.deep.equal({ 'p/to/k.json': 'live' });
          });
        }

        it('rolls a stale move back, to the very same version, when its destination was taken meanwhile', async () => {
          const version = await provider(bucket).put('from', 'k', { n: 1 });
          await rejection(provider(new CrashingPort(bucket, 1)).move('from', 'to', 'k'));
          await provider(bucket).put('to', 'k', { other: true }, { ifAbsent: true });
          const later = provider(bucket, STALE);
          expect(await later.get('from', 'k')).to.deep.equal({ value: { n: 1 }, version });
          expect((await later.get('to', 'k'))!.value).to.deep.equal({ other: true });
        });

        it('lets a stalled mover and the helper that finished its move agree on one copy', async () => {
          await provider(bucket).put('from', 'k', { n: 1 });
          const gated = new GatedPort(bucket, 1);
          const moving = provider(gated).move('from', 'to', 'k', { value: { n: 2 } });
          await gated.reached;
          const helper = provider(bucket, STALE);
          expect(await helper.get('from', 'k')).to.equal(undefined);
          expect((await helper.get('to', 'k'))!.value).to.deep.equal({ n: 2 });
          gated.release();
          const version = await moving;
          expect(await provider(bucket).get('to', 'k')).to.deep.equal({ value: { n: 2 }, version });
          expect(bucket.names()).to.deep.equal(['p/to/k.json']);
        });

        it('hides a crashed deleter\'s document, keeps writers out while its marker is fresh, frees it once stale', async () => {
          const version = await provider(bucket).put('docs', 'd', 1);
          await rejection(provider(new CrashingPort(bucket, 1)).delete('docs', 'd', version));
          expect(await provider(bucket).get('docs', 'd')).to.equal(undefined);
          expect(await rejection(provider(bucket).put('docs', 'd', 2, { ifAbsent: true }))).to.be.instanceOf(StorageUnavailableError);
          expect(await provider(bucket).list('docs')).to.deep.equal(['d']);
          expect(await provider(bucket, STALE).get('docs', 'd')).to.equal(undefined);
          expect(await provider(bucket).list('docs')).to.deep.equal([]);
          await provider(bucket).put('docs', 'd', 3, { ifAbsent: true });
          expect((await provider(bucket).get('docs', 'd'))!.value).to.equal(3);
        });

        it(
          flavour === 'aws'
            ? 'never lets a deleter stalled past staleAfterMs remove the document written after it (DELETE honours If-Match)'
            : 'shows the one RGW weakness: a deleter stalled past staleAfterMs removes the document written after it',
          async () => {
            const version = await provider(bucket).put('docs', 'd', 1);
            const gated = new GatedPort(bucket, 1);
            const deleting = provider(gated).delete('docs', 'd', version);
            await gated.reached;
            await provider(bucket, STALE).put('docs', 'd', 'newer');
            gated.release();
            expect(await deleting).to.equal(true);
            const survivor = await provider(bucket).get('docs', 'd');
            if (flavour === 'aws') expect(survivor!.value).to.equal('newer');
            else expect(survivor).to.equal(undefined);
          },
        );

        it('keeps the newer document when the stalled deleter notices its own stall before deleting', async () => {
          const version = await provider(bucket).put('docs', 'd', 1);
          let clock = Date.now();
          const gated = new GatedPort(bucket, 1);
          const deleter = new S3Provider({ port: gated, prefix: 'p', now: () => clock });
          const deleting = deleter.delete('docs', 'd', version);
          await gated.reached;
          await provider(bucket, STALE).put('docs', 'd', 'newer');
          clock += STALE;
          gated.release();
          await deleting;
          expect((await provider(bucket).get('docs', 'd'))!.value).to.equal('newer');
        });
      });
    }

    describe('requests and answers', () => {
      let bucket: FakeObjects;
      let storage: S3Provider;
      beforeEach(() => {
        bucket = new FakeObjects();
        storage = provider(bucket);
      });

      it('refuses hostile keys and namespaces before sending any request', async () => {
        await expectHostileKeysRefused(storage);
        expect(await rejection(storage.list('../up'))).to.be.instanceOf(InvalidKeyError);
        expect(bucket.log).to.deep.equal([]);
      });

      it('writes only conditionally: If-None-Match to create, If-Match on the version read to change', async () => {
        const v1 = await storage.put('docs', 'a', { x: 1 }, { ifAbsent: true });
        const v2 = await storage.replace('docs', 'a', { x: 2 }, v1);
        await provider(bucket).put('docs', 'a', { x: 3 });
        expect(bucket.log).to.deep.equal([
          'put p/docs/a.json if-none-match *',
          `put p/docs/a.json if-match ${v1}`,
          'put p/docs/a.json if-none-match *',
          'get p/docs/a.json',
          `put p/docs/a.json if-match ${v2}`,
        ]);
      });

      it('gives every write a new version, even when the content is the same', async () => {
        const v1 = await storage.put('docs', 'same', { x: 1 });
        const v2 = await storage.put('docs', 'same', { x: 1 });
        expect(v1).to.not.equal(v2);
      });

      it('sends a DELETE only for a marker the same operation has just written (RGW ignores If-Match on DELETE)', async () => {
        const jobs = new JobLifecycle(storage);
        for (let i = 0; i < 3; i += 1) await jobs.enqueue({ backend: 'b', owner: 'u', payload: { i } });
        const first = (await jobs.claim('b', 's'))!;
        await jobs.complete(first, { ok: true });
        await jobs.cancel('b', (await jobs.listQueued('b'))[0]!);
        await jobs.purge('b', first.record.id);
        const deletes = bucket.log.map((line, i) => [line, i] as const).filter(([line]) => line.startsWith('delete '));
        expect(deletes.length).to.be.greaterThan(4);
        for (const [line, i] of deletes) {
          const name = line.split(' ')[1]!;
          const previous = bucket.log.slice(0, i).reverse().find((earlier) => earlier.split(' ')[1] === name);
          expect(previous, line).to.match(/^put .* if-match /);
        }
      });

      it('settles a 500 on a conditional write by re-reading: landed, lost to a racer, sent again, or an outage', async () => {
        const v1 = await storage.put('docs', 'r', 1);
        bucket.inject('docs/r', 'lose-answer');
        const v2 = await storage.replace('docs', 'r', 2, v1);
        expect(await storage.get('docs', 'r')).to.deep.equal({ value: 2, version: v2 });
        for (let i = 0; i < 3; i += 1) bucket.inject('docs/r', 'refuse');
        expect(await rejection(storage.replace('docs', 'r', 3, v2))).to.be.instanceOf(StorageUnavailableError);
        bucket.inject('docs/r', 'refuse');
        const v3 = await storage.replace('docs', 'r', 3, v2);
        expect(await storage.get('docs', 'r')).to.deep.equal({ value: 3, version: v3 });
        await provider(bucket).replace('docs', 'r', 4, v3);
        bucket.inject('docs/r', 'refuse');
        expect(await rejection(storage.replace('docs', 'r', 5, v3))).to.be.instanceOf(ConflictError);
        bucket.inject('docs/new', 'lose-answer');
        await storage.put('docs', 'new', 1, { ifAbsent: true });
        expect(await rejection(storage.replace('docs', 'gone', 1, v1))).to.be.instanceOf(NotFoundError);
      });

      it('completes a move whose take step answered 500 after landing', async () => {
        const version = await storage.put('from', 'm', 1);
        bucket.inject('from/m', 'lose-answer');
        await storage.move('from', 'to', 'm', { expectedVersion: version });
        expect(bucket.names()).to.deep.equal(['p/to/m.json']);
      });

      it('lists keys in exact byte order although `.json` makes S3 sort "a-b" before "a"', async () => {
        const keys = ['a', 'a-b', 'a.b', 'a.json', 'a0', 'ab', 'ab-c', 'b', 'b-', 'b--', 'z'];
        for (const key of [...keys].reverse()) await storage.put('docs', key, key);
        await storage.put('docs/nested', 'a', 1);
        for (const limit of [1, 2, 3, 5, 100]) {
          const all: string[] = [];
          for (let after: string | undefined; ; ) {
            const page = await storage.list('docs', { limit, ...(after === undefined ? {} : { after }) });
            all.push(...page);
            if (page.length < limit) break;
            after = page.at(-1);
          }
          expect(all, `limit ${limit}`).to.deep.equal([...keys].sort());
        }
      });

      it('claims with the same requests whether 10 or 1 000 jobs are queued (I4)', async () => {
        const costs: number[] = [];
        for (const queued of [10, 1000]) {
          const counting = new CountingPort(new FakeObjects());
          const jobs = new JobLifecycle(provider(counting));
          for (let i = 0; i < queued; i += 1) await jobs.enqueue({ backend: 'b', owner: 'u', payload: {} });
          counting.reset();
          await jobs.claim('b', 's');
          costs.push(counting.total());
          // The schedule's first entry, and the page of the oldest queued jobs whose entries a claim checks every
          // few seconds (storage/stepwise-schedule.ts).
          expect(counting.counts.list).to.equal(2);
        }
        expect(costs[0]).to.equal(costs[1]);
      });

      it('takes a submission in seven writes and no read: index entries, schedule place and entry, job, event, status', async () => {
        const counting = new CountingPort(new FakeObjects());
        const jobs = new JobLifecycle(provider(counting));
        await jobs.enqueue({ backend: 'b', owner: 'u', payload: {} });
        counting.reset();
        // The user's place in the schedule is known from the first submission, and the status is created without a read.
        const { id } = await jobs.enqueue({ backend: 'b', owner: 'u', payload: {} });
        expect(counting.counts).to.include({ put: 7, get: 0 });
        expect(counting.total()).to.equal(7);
        expect((await jobs.getStatus('b', id))?.status).to.equal('QUEUED');
      });
    });
  });

  describe('against S3_ENDPOINT', function () {
    let server: TestS3 | undefined;
    before(async function () {
      if (!process.env.S3_ENDPOINT) {
        console.log(
          'S3 integration suite skipped here: set S3_ENDPOINT, or run the Ceph RGW suite with ' +
            "npx mocha --no-config --node-option import=tsx --timeout 60000 'storage/**/*.slow.ts'",
        );
        return this.skip();
      }
      const found = await findTestS3();
      if ('skip' in found) return this.skip();
      server = found;
    });
    s3Integration(() => server!);
  });
});
