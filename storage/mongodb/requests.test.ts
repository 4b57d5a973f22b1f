import { expect } from 'chai';
import { MongoNetworkError, MongoServerError } from 'mongodb';
import { ConflictError, InvalidKeyError, LimitExceededError, NotFoundError, StorageUnavailableError } from '../../schemas/errors.ts';
import { expectHostileKeysRefused, rejection } from '../conformance/rejections.ts';
import { FakeClient, FakeDb, duplicateKeyError } from './fake-db.ts';
import { MongoProvider } from './index.ts';
import { ADDRESS_INDEX, MAX_DOCUMENT_BYTES } from './queries.ts';

describe('mongodb provider without a server', () => {
  describe('requests sent to a recording fake', () => {
    let db: FakeDb;
    let client: FakeClient;
    let storage: MongoProvider;
    beforeEach(() => {
      db = new FakeDb();
      client = new FakeClient();
      storage = new MongoProvider({ db, client });
    });

    it('refuses hostile keys and namespaces before any driver call', async () => {
      await expectHostileKeysRefused(storage);
      for (const namespace of ['../up', 'a//b', '/abs', 'A/B', '', '$where']) {
        expect(await rejection(storage.list(namespace))).to.be.instanceOf(InvalidKeyError);
        expect(await rejection(storage.move('docs', namespace, 'k'))).to.be.instanceOf(InvalidKeyError);
      }
      expect(db.calls).to.deep.equal([]);
    });

    it('refuses a version that is not a string, so it can never become a query operator', async () => {
      const operator = { $ne: null } as unknown as string;
      expect(await rejection(storage.replace('docs', 'k', 1, operator))).to.be.instanceOf(InvalidKeyError);
      expect(await rejection(storage.delete('docs', 'k', operator))).to.be.instanceOf(InvalidKeyError);
      expect(await rejection(storage.move('a', 'b', 'k', { expectedVersion: operator }))).to.be.instanceOf(InvalidKeyError);
      expect(db.calls).to.deep.equal([]);
    });

    it('builds the unique index once per collection, before the first operation, and retries a failed build', async () => {
      db.answer('createIndex', new MongoNetworkError('down'));
      expect(await rejection(storage.get('docs', 'a'))).to.be.instanceOf(StorageUnavailableError);
      await Promise.all([storage.get('docs', 'a'), storage.get('docs', 'b'), storage.list('status/b')]);
      await storage.get('docs', 'c');
      expect(db.argsOf('createIndex')).to.deep.equal([
        [ADDRESS_INDEX.spec, ADDRESS_INDEX.options],
        [ADDRESS_INDEX.spec, ADDRESS_INDEX.options],
        [ADDRESS_INDEX.spec, ADDRESS_INDEX.options],
      ]);
      expect(db.calls.filter((c) => c.method === 'createIndex').map((c) => c.collection)).to.deep.equal([
        'documents', 'documents', 'status',
      ]);
      expect(db.methods().indexOf('createIndex')).to.be.lessThan(db.methods().indexOf('findOne'));
    });

    it('retries an index build that raced another process creating the same collection', async () => {
      db.answer('createIndex', new MongoServerError({ message: 'Collection already exists', code: 48 }));
      await storage.get('configs', 'x');
      expect(db.argsOf('createIndex')).to.have.length(2);
      expect(db.methods().slice(-1)).to.deep.equal(['findOne']);
    });

    it('creates with insertOne and turns a duplicate key into ConflictError', async () => {
      const version = await storage.put('configs', 'fermions', { a: 1 }, { ifAbsent: true });
      expect(db.argsOf('insertOne')).to.deep.equal([[{ ns: 'configs', key: 'fermions', version, value: { a: 1 } }]]);
      db.answer('insertOne', duplicateKeyError());
      const error = await rejection(storage.put('configs', 'fermions', { a: 2 }, { ifAbsent: true }));
      expect(error).to.be.instanceOf(ConflictError);
      expect((error as ConflictError).code).to.equal('already_exists');
    });

    it('overwrites with a whole-document upsert and retries an upsert that lost a race on the unique index', async () => {
      db.answer('replaceOne', duplicateKeyError());
      const version = await storage.put('docs', 'k', [1, 2]);
      const expected = [{ ns: 'docs', key: 'k' }, { ns: 'docs', key: 'k', version, value: [1, 2] }, { upsert: true }];
      expect(db.argsOf('replaceOne')).to.deep.equal([expected, expected]);
    });

    it('reads one document by address, projecting only version and value', async () => {
      db.answer('findOne', { version: 'v7', value: { x: 1 } }, null);
      expect(await storage.get('docs', 'k')).to.deep.equal({ value: { x: 1 }, version: 'v7' });
      expect(await storage.get('docs', 'gone')).to.equal(undefined);
      expect(db.argsOf('findOne')[0]).to.deep.equal([{ ns: 'docs', key: 'k' }, { projection: { _id: 0, version: 1, value: 1 } }]);
    });

    it('replaces only at the expected version and tells NotFound from Conflict when nothing matched', async () => {
      const version = await storage.replace('docs', 'k', 2, 'v1');
      expect(db.argsOf('replaceOne')[0]).to.deep.equal([
        { ns: 'docs', key: 'k', version: 'v1' }, { ns: 'docs', key: 'k', version, value: 2 },
      ]);
      db.answer('replaceOne', { matchedCount: 0, upsertedCount: 0 }, { matchedCount: 0, upsertedCount: 0 });
      db.answer('findOne', null, { _id: 'x' });
      expect(await rejection(storage.replace('docs', 'k', 3, 'v1'))).to.be.instanceOf(NotFoundError);
      expect(await rejection(storage.replace('docs', 'k', 3, 'v1'))).to.be.instanceOf(ConflictError);
    });

    it('moves with new content as one findOneAndReplace filtered on the source address and version', async () => {
      const version = await storage.move('jobs/queued/b', 'jobs/running/b', 'j1', { value: { s: 'R' }, expectedVersion: 'v1' });
      expect(db.argsOf('findOneAndReplace')).to.deep.equal([[
        { ns: 'jobs/queued/b', key: 'j1', version: 'v1' },
        { ns: 'jobs/running/b', key: 'j1', version, value: { s: 'R' } },
        { projection: { _id: 1 } },
      ]]);
      expect(db.argsOf('findOneAndUpdate')).to.deep.equal([]);
    });

    it('moves without new content as one findOneAndUpdate that rewrites ns and version', async () => {
      const version = await storage.move('jobs/queued/b', 'jobs/deleted/b', 'j1');
      expect(db.argsOf('findOneAndUpdate')).to.deep.equal([[
        { ns: 'jobs/queued/b', key: 'j1' }, { $set: { ns: 'jobs/deleted/b', version } }, { projection: { _id: 1 } },
      ]]);
    });

    it('reports a lost move as NotFound (source gone), Conflict (version or taken destination)', async () => {
      db.answer('findOneAndUpdate', null, null, duplicateKeyError());
      db.answer('findOne', null, { _id: 'x' });
      expect(await rejection(storage.move('a', 'b', 'k'))).to.be.instanceOf(NotFoundError);
      expect(await rejection(storage.move('a', 'b', 'k', { expectedVersion: 'old' }))).to.be.instanceOf(ConflictError);
      const taken = await rejection(storage.move('a', 'b', 'k'));
      expect(taken).to.be.instanceOf(ConflictError);
      expect((taken as ConflictError).message).to.equal('b/k already exists');
    });

    it('refuses a move between two collections instead of splitting it into two writes', async () => {
      expect(await rejection(storage.move('jobs/queued/b', 'status/b', 'k'))).to.be.instanceOf(InvalidKeyError);
      expect(db.calls).to.deep.equal([]);
    });

    it('treats a move onto its own namespace as a taken destination', async () => {
      db.answer('findOne', { _id: 'x' });
      expect(await rejection(storage.move('a', 'a', 'k'))).to.be.instanceOf(ConflictError);
      expect(db.argsOf('findOneAndUpdate')).to.deep.equal([]);
    });

    it('deletes at a version when given, and reports whether it removed anything', async () => {
      expect(await storage.delete('docs', 'k', 'v1')).to.equal(true);
      expect(db.argsOf('deleteOne')[0]).to.deep.equal([{ ns: 'docs', key: 'k', version: 'v1' }]);
      db.answer('deleteOne', { deletedCount: 0 }, { deletedCount: 0 }, { deletedCount: 0 });
      db.answer('findOne', { _id: 'x' }, null);
      expect(await rejection(storage.delete('docs', 'k', 'stale'))).to.be.instanceOf(ConflictError);
      expect(await storage.delete('docs', 'k', 'stale')).to.equal(false);
      expect(await storage.delete('docs', 'k')).to.equal(false);
      expect(db.argsOf('findOne')).to.have.length(2);
    });

    it('lists one page through the index query and returns the keys in the order MongoDB gave', async () => {
      db.answer('find', [{ key: 'a' }, { key: 'b' }]);
      expect(await storage.list('jobs/queued/b', { after: '0', limit: 16 })).to.deep.equal(['a', 'b']);
      expect(db.argsOf('find')).to.deep.equal([[
        { ns: 'jobs/queued/b', key: { $gt: '0' } }, { sort: { key: 1 }, limit: 16, projection: { _id: 0, key: 1 } },
      ]]);
    });

    it('refuses a document over 16 MiB of BSON with LimitExceededError before sending it', async () => {
      // 9.6 MB of JSON (a result of 1.2 million shots) is over 17 MiB as BSON: the driver would throw a bare
      // RangeError from its fixed serialisation buffer, and a server refuses a smaller excess with BadValue.
      const result = { memory: Array.from({ length: 1_200_000 }, () => '1 0 1') };
      const writes = [
        storage.put('results/b', 'j1', result),
        storage.put('results/b', 'j1', result, { ifAbsent: true }),
        storage.replace('results/b', 'j1', result, 'v1'),
        storage.move('jobs/running/b', 'jobs/finished/b', 'j1', { value: result }),
      ];
      for (const write of writes) {
        const error = await rejection(write);
        expect(error).to.be.instanceOf(LimitExceededError);
        expect((error as LimitExceededError).status).to.equal(413);
      }
      expect(db.methods().filter((method) => method !== 'collection' && method !== 'createIndex')).to.deep.equal([]);
      // Just under the limit, with the 17 bytes of the `_id` the stored document gets, is accepted.
      const under = 'x'.repeat(MAX_DOCUMENT_BYTES - 17 - 96);
      await storage.put('docs', 'k', under);
      expect(db.argsOf('replaceOne')).to.have.length(1);
    });

    it('turns a network failure in the middle of an operation into StorageUnavailableError', async () => {
      db.answer('findOneAndReplace', new MongoNetworkError('connection reset'));
      const error = await rejection(storage.move('a', 'b', 'k', { value: 1 }));
      expect(error).to.be.instanceOf(StorageUnavailableError);
      expect((error as StorageUnavailableError).status).to.equal(503);
    });

    it('closes the client it was given, once per close()', async () => {
      await storage.close();
      expect(client.closed).to.equal(1);
    });
  });
});
