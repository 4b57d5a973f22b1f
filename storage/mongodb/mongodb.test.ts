import { expect } from 'chai';
import { MongoClient, MongoError, MongoNetworkError, MongoNetworkTimeoutError, MongoServerError,
  MongoServerSelectionError, MongoInvalidArgumentError, type TopologyDescription } from 'mongodb';
import { ConflictError, LimitExceededError, NotFoundError, StorageUnavailableError } from '../../schemas/errors.ts';
import { providerConformance } from '../conformance/index.ts';
import { rejection } from '../conformance/rejections.ts';
import { createProvider } from '../factory.ts';
import { JobLifecycle } from '../lifecycle.ts';
import { ns } from '../records.ts';
import { FALLBACK_COLLECTION, collectionFor, sameCollection } from './collections.ts';
import { isDuplicateKey, mapMongoError } from './error-mapping.ts';
import { duplicateKeyError } from './fake-db.ts';
import { MongoProvider } from './index.ts';
import { ADDRESS_INDEX, addressFilter, documentOf, listQuery, moveUpdate, newVersion } from './queries.ts';
import { findTestServer } from './test-server.ts';

describe('mongodb provider', function () {
  describe('against a MongoDB server', function () {
    let uri = '';
    let stop: (() => Promise<void>) | undefined;
    const databases: string[] = [];

    before(async function () {
      this.timeout(60_000);
      const server = await findTestServer();
      if ('skip' in server) {
        console.log(server.skip);
        this.skip();
      } else {
        ({ uri, stop } = server);
      }
    });

    after(async function () {
      this.timeout(60_000);
      if (!uri) return;
      const client = new MongoClient(uri);
      try {
        for (const database of databases) await client.db(database).dropDatabase();
      } finally {
        await client.close();
        await stop?.();
      }
    });

    const freshDatabase = () => {
      const database = `qspool_test_${process.pid}_${databases.length}`;
      databases.push(database);
      return database;
    };

    providerConformance({ makeSpec: async () => ({ type: 'mongodb', uri, database: freshDatabase() }) });

    describe('MongoDB specifics', () => {
      let database: string;
      let storage: MongoProvider;
      let client: MongoClient;
      beforeEach(() => {
        database = freshDatabase();
        storage = MongoProvider.open(uri, database);
        client = new MongoClient(uri);
      });
      afterEach(async () => Promise.all([storage.close(), client.close()]));

      it('serves a page of a long queue from the {ns, key} index, with no collection scan or in-memory sort', async () => {
        const jobs = new JobLifecycle(storage);
        for (let i = 0; i < 40; i += 1) await jobs.enqueue({ backend: 'b', owner: 'u', payload: { i } });
        const query = listQuery(ns.queued('b'), { limit: 16 });
        const plan = JSON.stringify(await client.db(database).collection('jobs').find(query.filter, query.options).explain());
        const stages = [...plan.matchAll(/"stage":"(\w+)"/g)].map((m) => m[1]);
        expect(stages).to.include('IXSCAN');
        expect(stages).to.not.include('COLLSCAN');
        expect(stages).to.not.include('SORT');
      });

      it('keeps jobs, statuses and unknown kinds in their documented collections', async () => {
        const job = await new JobLifecycle(storage).enqueue({ backend: 'b', owner: 'u', payload: {} });
        await storage.put('docs', 'x', 1);
        const db = client.db(database);
        expect(await db.collection('jobs').countDocuments({ ns: 'jobs/queued/b', key: job.id })).to.equal(1);
        expect(await db.collection('status').countDocuments({ ns: 'status/b', key: job.id })).to.equal(1);
        expect(await db.collection(FALLBACK_COLLECTION).countDocuments({ ns: 'docs', key: 'x' })).to.equal(1);
      });

      it('round-trips $-prefixed and dotted field names through put, replace and move', async () => {
        const value = { $set: { 'a.b': 1 }, nested: { $inc: [1, { '$x.y': 'z' }] } };
        const v1 = await storage.put('docs', 'odd', value);
        expect((await storage.get('docs', 'odd'))!.value).to.deep.equal(value);
        const v2 = await storage.replace('docs', 'odd', { ...value, n: 2 }, v1);
        await storage.move('docs', 'other', 'odd', { value: { ...value, n: 3 }, expectedVersion: v2 });
        expect((await storage.get('other', 'odd'))!.value).to.deep.equal({ ...value, n: 3 });
      });

      it('stores values as JSON reads them: undefined properties vanish instead of becoming null', async () => {
        await storage.put('docs', 'u', { a: 1, b: undefined, at: new Date(0) });
        expect((await storage.get('docs', 'u'))!.value).to.deep.equal({ a: 1, at: '1970-01-01T00:00:00.000Z' });
      });
    });
  });

  describe('without a server', () => {
    describe('namespace → collection mapping', () => {
      it('puts every namespace of a known kind in the collection named after its first segment', () => {
        expect(collectionFor('jobs/queued/fermions')).to.equal('jobs');
        expect(collectionFor('jobs/deleted/fermions')).to.equal('jobs');
        expect(collectionFor('status/fermions')).to.equal('status');
        expect(collectionFor('results/fermions')).to.equal('results');
        expect(collectionFor('heartbeats/fermions')).to.equal('heartbeats');
        for (const kind of ['configs', 'keys', 'users', 'tokens']) expect(collectionFor(kind)).to.equal(kind);
      });

      it('sends unknown kinds to the shared fallback collection, so a prefix cannot create collections', () => {
        expect(collectionFor('docs')).to.equal(FALLBACK_COLLECTION);
        expect(collectionFor('jobsx/queued')).to.equal(FALLBACK_COLLECTION);
        expect(sameCollection('from', 'to-0')).to.equal(true);
        expect(sameCollection('jobs/queued/b', 'jobs/running/b')).to.equal(true);
        expect(sameCollection('jobs/queued/b', 'status/b')).to.equal(false);
      });
    });

    describe('documents, filters and indexes', () => {
      it('declares one unique {ns: 1, key: 1} index', () => {
        expect(ADDRESS_INDEX.spec).to.deep.equal({ ns: 1, key: 1 });
        expect(ADDRESS_INDEX.options.unique).to.equal(true);
      });

      it('builds address filters with and without the compare-and-swap version', () => {
        expect(addressFilter('status/b', 'k')).to.deep.equal({ ns: 'status/b', key: 'k' });
        expect(addressFilter('status/b', 'k', 'v1')).to.deep.equal({ ns: 'status/b', key: 'k', version: 'v1' });
      });

      it('moves by rewriting only the namespace and version when the content is kept', () => {
        expect(moveUpdate('jobs/running/b', 'v2')).to.deep.equal({ $set: { ns: 'jobs/running/b', version: 'v2' } });
      });

      it('stores the JSON reading of a value and omits an undefined value', () => {
        expect(documentOf('d', 'k', { a: 1, b: undefined, at: new Date(0), n: NaN }, 'v')).to.deep.equal({
          ns: 'd', key: 'k', version: 'v', value: { a: 1, at: '1970-01-01T00:00:00.000Z', n: null },
        });
        expect(documentOf('d', 'k', undefined, 'v')).to.deep.equal({ ns: 'd', key: 'k', version: 'v' });
        expect(documentOf('d', 'k', null, 'v')).to.have.property('value', null);
      });

      it('pages keys with a range on key, sorted ascending, projected to the key, limit clamped to 1…10000', () => {
        expect(listQuery('q', { after: 'abc', limit: 7 })).to.deep.equal({
          filter: { ns: 'q', key: { $gt: 'abc' } },
          options: { sort: { key: 1 }, limit: 7, projection: { _id: 0, key: 1 } },
        });
        expect(listQuery('q', {}).filter).to.deep.equal({ ns: 'q' });
        expect(listQuery('q', {}).options.limit).to.equal(1000);
        expect(listQuery('q', { limit: 0 }).options.limit).to.equal(1);
        expect(listQuery('q', { limit: 1e9 }).options.limit).to.equal(10_000);
        expect(listQuery('q', { limit: NaN }).options.limit).to.equal(1000);
      });

      it('makes a distinct 24-hex version for every write', () => {
        const versions = new Set(Array.from({ length: 1000 }, newVersion));
        expect(versions.size).to.equal(1000);
        for (const version of versions) expect(version).to.match(/^[0-9a-f]{24}$/);
      });
    });

    describe('driver error mapping', () => {
      it('maps a duplicate key (11000) to ConflictError naming the taken address', () => {
        const mapped = mapMongoError(duplicateKeyError(), 'jobs/running/b/k');
        expect(mapped).to.be.instanceOf(ConflictError);
        expect((mapped as ConflictError).message).to.equal('jobs/running/b/k already exists');
        expect((mapped as ConflictError).cause).to.be.instanceOf(MongoServerError);
        expect(isDuplicateKey(new MongoServerError({ message: 'other', code: 2 }))).to.equal(false);
      });

      it('maps network, timeout and server-selection failures to StorageUnavailableError', () => {
        // The driver exports TopologyDescription as a type only; the error merely stores it.
        const selection = new MongoServerSelectionError('no server', {} as TopologyDescription);
        for (const error of [new MongoNetworkError('reset'), new MongoNetworkTimeoutError('slow'), selection]) {
          expect(mapMongoError(error, 'a/b'), error.name).to.be.instanceOf(StorageUnavailableError);
        }
      });

      it('maps stepping-down primaries and transient labels to StorageUnavailableError', () => {
        const steppedDown = new MongoServerError({ message: 'not primary', code: 10107 });
        const labelled = new MongoServerError({ message: 'x', code: 1, errorLabels: ['RetryableWriteError'] });
        expect(mapMongoError(steppedDown, 'a/b')).to.be.instanceOf(StorageUnavailableError);
        expect(mapMongoError(labelled, 'a/b')).to.be.instanceOf(StorageUnavailableError);
      });

      it('maps documents over 16 MiB to LimitExceededError', () => {
        const server = new MongoServerError({ message: 'object to insert too large', code: 10334 });
        const driver = new MongoInvalidArgumentError('Document is larger than the maximum size 16777216');
        expect(mapMongoError(server, 'a/b')).to.be.instanceOf(LimitExceededError);
        expect(mapMongoError(driver, 'a/b')).to.be.instanceOf(LimitExceededError);
      });

      it('passes other errors through unchanged so programming errors stay visible', () => {
        const bad = new MongoServerError({ message: 'unknown operator', code: 2 });
        const plain = new TypeError('boom');
        const typed = new NotFoundError('gone');
        expect(mapMongoError(bad, 'a/b')).to.equal(bad);
        expect(mapMongoError(plain, 'a/b')).to.equal(plain);
        expect(mapMongoError(typed, 'a/b')).to.equal(typed);
        expect(mapMongoError(new MongoError('generic'), 'a/b')).to.be.instanceOf(MongoError);
      });

      // Through the factory on purpose: a provider loaded as a second module copy would throw error classes that
      // fail the lifecycle's instanceof checks (seen with a dynamic import under mocha).
      it('answers StorageUnavailableError from the real driver when nothing listens at the URI', async function () {
        this.timeout(10_000);
        const uri = 'mongodb://127.0.0.1:1/?serverSelectionTimeoutMS=300';
        const storage = await createProvider({ type: 'mongodb', uri, database: 'unreachable' });
        expect(storage.type).to.equal('mongodb');
        try {
          expect(await rejection(storage.put('docs', 'k', 1))).to.be.instanceOf(StorageUnavailableError);
        } finally {
          await storage.close();
        }
      });
    });
  });
});
