// Account deletion on every kind of store the server's data can live on: local (with and without transactions, the
// two ways the lifecycle writes), S3, Dropbox, and MongoDB where a test server is found. Each run is broken off by a
// storage failure half-way first, then resumed, and must end with nothing of the account left.
import { expect } from 'chai';
import { rm, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { loadConfig } from '../config/index.ts';
import { StorageUnavailableError } from '../schemas/errors.ts';
import { buildServices } from '../server/index.ts';
import { KnownAddresses } from '../server/limits/known-addresses.ts';
import { hashToken, TOKENS_NS } from '../server/services/tokens.ts';
import type { StorageProvider } from '../storage/contract.ts';
import { DropboxProvider } from '../storage/dropbox/index.ts';
import { createProvider } from '../storage/factory.ts';
import { JobLifecycle } from '../storage/lifecycle.ts';
import { LocalProvider } from '../storage/local/index.ts';
import { findTestServer } from '../storage/mongodb/test-server.ts';
import { idempotencyNamespace, logNamespace, PENDING_NS, QUOTA_NAMESPACE, retiredNamespace } from '../storage/namespaces.ts';
import { ns } from '../storage/records.ts';
import { S3Provider } from '../storage/s3/index.ts';
import { startLocalS3 } from '../storage/s3/local-server.ts';
import { startDropboxApiServer } from './dropbox-api-server/index.ts';
import { accountTraces } from './support/account-traces.ts';
import { withoutTransactions } from './support/stepwise.ts';

const BACKEND = 'singlequdit';
const SECRET_KEY = 'erase-test-key';
const ADDRESS = '203.0.113.9';
/** Notifications waiting: the account's (its mailbox, a webhook, a deleted webhook's), and others' that must stay. */
const PENDING = ['mail.ann.0001', 'hook.h1.0001', 'hook.h0.0001', 'mail.annie.0001', 'mail.an.0001', 'hook.h2.0001'];

interface Store {
  storage: StorageProvider;
  close(): Promise<void>;
}

const stores: Record<string, () => Promise<Store | undefined>> = {
  async local() {
    const root = await mkdtemp(join(tmpdir(), 'qspool-erase-'));
    const storage = new LocalProvider({ root, fsync: false });
    return { storage, close: async () => (await storage.close(), await rm(root, { recursive: true, force: true })) };
  },
  async 'local without transactions'() {
    const local = (await stores.local!())!;
    return { storage: withoutTransactions(local.storage), close: local.close };
  },
  async s3() {
    const server = await startLocalS3();
    const storage = await S3Provider.fromSpec(server.spec('erase'));
    return { storage, close: async () => (await storage.close(), await server.close()) };
  },
  async dropbox() {
    const server = await startDropboxApiServer();
    const { clientId, clientSecret, refreshToken } = server.tokens;
    const storage = new DropboxProvider({ basePath: '/erase', appKey: clientId, appSecret: clientSecret, refreshToken, apiBaseUrl: server.url });
    return { storage, close: async () => (await storage.close(), await server.close()) };
  },
  async mongodb() {
    const server = await findTestServer();
    if ('skip' in server) {
      // The reason (no MONGODB_URI, no mongod binary) goes to the output, as the MongoDB provider suite prints it.
      console.log(server.skip);
      return undefined;
    }
    const storage = await createProvider({ type: 'mongodb', uri: server.uri, database: `qspool_erase_${process.pid}` });
    return { storage, close: async () => (await storage.close(), await server.stop?.()) };
  },
};

/** The store with its deletes failing while `failing` is set: an outage that breaks a deletion off. */
function breakable(storage: StorageProvider): { storage: StorageProvider; outage: { failing: boolean } } {
  const outage = { failing: false };
  const remove = storage.delete.bind(storage);
  const wrapped = Object.create(storage, {
    delete: {
      value: async (namespace: string, key: string, version?: string) => {
        if (outage.failing) throw new StorageUnavailableError('storage outage (injected)');
        return remove(namespace, key, version);
      },
    },
  }) as StorageProvider;
  return { storage: wrapped, outage };
}

describe('account deletion on every kind of store', function () {
  this.timeout(60_000);

  for (const [kind, open] of Object.entries(stores)) {
    it(`on ${kind}: resumes after an outage, cancels the running job, and leaves nothing of the account`, async function () {
      const store = await open();
      if (!store) this.skip();
      try {
        const { storage, outage } = breakable(store!.storage);
        const config = loadConfig({}, { QSPOOL_DATA_DIR: tmpdir(), LOG_LEVEL: 'silent' });
        const services = buildServices(storage, config, pino({ level: 'silent' }), SECRET_KEY);
        const known = new KnownAddresses(storage, SECRET_KEY, Date.now);
        const { users, accountDeletion } = services;
        const jobs = new JobLifecycle(storage);
        await storage.put(ns.configs, BACKEND, { display_name: BACKEND });
        await users.createUser('ann');
        const token = await users.issueToken('ann');
        await known.remember('ann', ADDRESS);
        expect(await known.has('ann', ADDRESS)).to.equal(true);
        for (const [namespace, key] of [['webhooks/ann', 'h1'], [idempotencyNamespace('ann'), 'k'], [logNamespace({ kind: 'mail', name: 'ann' }), 'e'], [logNamespace({ kind: 'hook', name: 'h1' }), 'e'], [retiredNamespace('ann'), 'h0'], [QUOTA_NAMESPACE, 'ann'], ...PENDING.map((key) => [PENDING_NS, key])]) {
          await storage.put(namespace!, key!, { n: 1 });
        }
        const ids = [];
        for (let i = 0; i < 3; i += 1) ids.push((await jobs.enqueue({ backend: BACKEND, owner: 'ann', payload: { i } })).id);
        await jobs.complete((await jobs.claim(BACKEND, 'spooler'))!, { counts: 1 });
        const running = (await jobs.claim(BACKEND, 'spooler'))!;

        // Broken off after the mark: the account is shut at once, and the rest waits for the next run.
        outage.failing = true;
        const broken = await accountDeletion.delete('ann').then(() => undefined, (error: unknown) => error);
        expect(broken).to.be.instanceOf(StorageUnavailableError);
        outage.failing = false;
        expect(await users.authenticate(token)).to.equal(undefined);
        expect(await accountDeletion.delete('ann')).to.deep.equal({ done: false, remaining: 1 });
        expect((await jobs.find(BACKEND, running.record.id))?.value.cancelRequested).to.equal(true);
        await jobs.acknowledgeCancel(running);
        expect(await accountDeletion.delete('ann')).to.deep.equal({ done: true, remaining: 0 });

        for (const id of ids) expect(await jobs.find(BACKEND, id)).to.equal(undefined);
        expect(await accountTraces(storage, 'ann', [BACKEND])).to.deep.equal([]);
        expect(await storage.get(TOKENS_NS, hashToken(token))).to.equal(undefined);
        expect(await known.has('ann', ADDRESS)).to.equal(false);
        expect(await storage.list(PENDING_NS)).to.deep.equal(['hook.h2.0001', 'mail.an.0001', 'mail.annie.0001']);
        await users.createUser('ann');
        expect(await users.authenticate(token)).to.equal(undefined);
        await services.providers.close();
      } finally {
        await store?.close();
      }
    });
  }
});
