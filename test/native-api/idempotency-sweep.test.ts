// Expired idempotency records are removed by a bounded periodic sweep, on the local store and on the Dropbox provider
// (against the local Dropbox API server), with a clock under test control; a record renewed by a request between the
// sweep's read and its delete stays. Then the server's own sweeper, on the server that dispatches notifications.
import { expect } from 'chai';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { ConfigError, loadConfig } from '../../config/index.ts';
import type { StorageProvider } from '../../storage/contract.ts';
import { DropboxProvider } from '../../storage/dropbox/index.ts';
import { JobLifecycle } from '../../storage/lifecycle.ts';
import { LocalProvider } from '../../storage/local/index.ts';
import { startServer } from '../../server/index.ts';
import { IdempotencyStore, RETENTION_MS } from '../../server/services/idempotency.ts';
import { idempotencyNamespace } from '../../storage/namespaces.ts';
import { IdempotencySweeper, PASS_EVERY_MS, SWEEP_MARGIN_MS } from '../../server/services/idempotency-sweep.ts';
import { USERS_NS } from '../../server/services/users.ts';
import { startDropboxApiServer, type DropboxApiServer } from '../dropbox-api-server/index.ts';
import { eventually } from '../support/system.ts';

const HOUR = 3600_000;

interface Fixture {
  storage: StorageProvider;
  done(): Promise<void>;
}

function sweepSuite(name: string, open: () => Promise<Fixture>) {
  describe(`idempotency sweep on ${name}`, function () {
    let fixture: Fixture;
    let storage: StorageProvider;
    let clock: number;
    let lifecycle: JobLifecycle;
    beforeEach(async () => {
      fixture = await open();
      storage = fixture.storage;
      lifecycle = new JobLifecycle(storage);
      clock = Date.parse('2026-01-10T12:00:00Z');
    });
    afterEach(() => fixture.done());

    const idem = () => new IdempotencyStore(storage, () => clock);
    const submit = (user: string, key: string, request: unknown = { n: 1 }) =>
      idem().run(
        user,
        key,
        request,
        (id) => lifecycle.enqueue({ backend: 'b', owner: user, payload: {}, id }),
        async (id) => (await lifecycle.find('b', id))?.value,
      );
    const keysOf = (user: string) => storage.list(idempotencyNamespace(user));
    const sweeper = (maxReadsPerRun = 10_000) => new IdempotencySweeper(storage, { intervalMs: 60_000, maxReadsPerRun, now: () => clock });

    it('deletes every user\'s records past retention and margin, finished or left reserved, and keeps younger ones', async () => {
      for (const user of ['ada', 'bob']) await storage.put(USERS_NS, user, { username: user });
      await submit('ada', 'old-done');
      // A request that died after reserving its key: the reservation stays done=false.
      void idem().run('bob', 'old-reserved', { n: 1 }, () => new Promise(() => undefined), async () => undefined);
      await eventually(async () => ((await keysOf('bob')).length === 1 ? true : undefined));
      clock += RETENTION_MS + SWEEP_MARGIN_MS / 2;
      await submit('ada', 'young');
      // Past retention but inside the margin: still kept (another server's clock may be behind this one's).
      let run = await sweeper().runOnce();
      expect(run.deleted).to.equal(0);
      clock += SWEEP_MARGIN_MS;
      run = await sweeper().runOnce();
      expect([run.deleted, run.wrapped]).to.deep.equal([2, true]);
      expect(await keysOf('bob')).to.deep.equal([]);
      expect(await keysOf('ada')).to.have.length(1);
      expect((await submit('ada', 'young')).replayed).to.equal(true);
    });

    it('makes at most its budget of reads per run and resumes where the previous run stopped', async () => {
      for (const user of ['ada', 'bob', 'cy']) {
        await storage.put(USERS_NS, user, { username: user });
        for (let index = 0; index < 12; index += 1) await submit(user, `k${index}`);
      }
      clock += RETENTION_MS + SWEEP_MARGIN_MS + HOUR;
      const sweep = sweeper(10);
      const runs = [];
      for (let run = await sweep.runOnce(); ; run = await sweep.runOnce()) {
        runs.push(run);
        expect(run.reads).to.be.at.most(11);
        if (run.wrapped) break;
        expect(runs.length).to.be.below(20);
      }
      expect(runs.reduce((sum, run) => sum + run.deleted, 0)).to.equal(36);
      expect(runs.length).to.be.at.least(4);
      for (const user of ['ada', 'bob', 'cy']) expect(await keysOf(user)).to.deep.equal([]);
    });

    it('starts a pass over every record at most once an hour, and reads nothing in between', async () => {
      await storage.put(USERS_NS, 'ada', { username: 'ada' });
      await submit('ada', 'k1');
      const sweep = sweeper();
      expect((await sweep.runOnce()).wrapped).to.equal(true);
      clock += PASS_EVERY_MS - 1;
      expect(await sweep.runOnce()).to.deep.equal({ reads: 0, deleted: 0, raced: 0, wrapped: false });
      clock += RETENTION_MS + SWEEP_MARGIN_MS;
      expect(await sweep.runOnce()).to.include({ deleted: 1, wrapped: true });
    });

    it('keeps an expired record that a request reuses between the sweep\'s read and its delete', async () => {
      await storage.put(USERS_NS, 'ada', { username: 'ada' });
      const first = await submit('ada', 'k');
      clock += RETENTION_MS + SWEEP_MARGIN_MS + HOUR;
      let renewed: Promise<unknown> | undefined;
      // The sweep's read returns the expired version; the same key comes back before its delete.
      const racing = Object.create(storage, {
        get: {
          value: async (namespace: string, key: string) => {
            const read = await storage.get(namespace, key);
            if (namespace === idempotencyNamespace('ada') && !renewed) await (renewed = submit('ada', 'k', { n: 2 }));
            return read;
          },
        },
      }) as StorageProvider;
      const run = await new IdempotencySweeper(racing, { intervalMs: 60_000, maxReadsPerRun: 100, now: () => clock }).runOnce();
      expect([run.deleted, run.raced]).to.deep.equal([0, 1]);
      const again = await submit('ada', 'k', { n: 2 });
      expect(again.replayed).to.equal(true);
      expect(again.job.id).to.not.equal(first.job.id);
    });
  });
}

sweepSuite('the local store', async () => {
  const root = await mkdtemp(join(tmpdir(), 'qspool-sweep-'));
  const storage = new LocalProvider({ root, fsync: false });
  return { storage, done: async () => (await storage.close(), await rm(root, { recursive: true, force: true })) };
});

describe('against the local Dropbox API server', () => {
  let dropbox: DropboxApiServer;
  let folders = 0;
  before(async () => {
    dropbox = await startDropboxApiServer();
  });
  after(() => dropbox.close());
  sweepSuite('the Dropbox provider', async () => {
    const storage = new DropboxProvider({
      basePath: `/qspool-sweep-${(folders += 1)}`,
      appKey: dropbox.tokens.clientId,
      appSecret: dropbox.tokens.clientSecret,
      refreshToken: dropbox.tokens.refreshToken,
      apiBaseUrl: dropbox.url,
    });
    return { storage, done: () => storage.close() };
  });
});

describe('idempotency sweep in the server', function () {
  it('is configured by QSPOOL_IDEMPOTENCY_SWEEP_MS and QSPOOL_IDEMPOTENCY_SWEEP_READS, validated', () => {
    expect(loadConfig({})).to.include({ QSPOOL_IDEMPOTENCY_SWEEP_MS: 60_000, QSPOOL_IDEMPOTENCY_SWEEP_READS: 10_000 });
    expect(() => loadConfig({ QSPOOL_IDEMPOTENCY_SWEEP_MS: '500' })).to.throw(ConfigError, 'QSPOOL_IDEMPOTENCY_SWEEP_MS must be an integer from 1000 to 86400000, not 500');
    expect(() => loadConfig({ QSPOOL_IDEMPOTENCY_SWEEP_READS: 'lots' })).to.throw(ConfigError, 'QSPOOL_IDEMPOTENCY_SWEEP_READS must be an integer');
  });

  it('removes a record older than retention and margin and keeps a fresh one, on the server that dispatches', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'qspool-sweep-server-'));
    const storage = new LocalProvider({ root: dataDir, fsync: false });
    const lines: string[] = [];
    const logger = pino({ level: 'info' }, new Writable({ write: (chunk: Buffer, _encoding, done) => (lines.push(chunk.toString()), done()) }));
    try {
      // Seeded before the server starts: its first pass (a second after the start) finds both.
      await storage.put(USERS_NS, 'ada', { username: 'ada' });
      const record = (age: number) => ({ request: 'x', jobId: '0'.repeat(24), createdAt: new Date(Date.now() - age).toISOString(), done: true });
      await storage.put(idempotencyNamespace('ada'), 'stale', record(RETENTION_MS + SWEEP_MARGIN_MS + HOUR));
      await storage.put(idempotencyNamespace('ada'), 'fresh', record(HOUR));
      const config = loadConfig({}, { PORT: 0, QSPOOL_DATA_DIR: dataDir, QSPOOL_FSYNC: false, QSPOOL_IDEMPOTENCY_SWEEP_MS: 1000 });
      const server = await startServer(storage, config, logger);
      try {
        await eventually(async () => ((await storage.get(idempotencyNamespace('ada'), 'stale')) ? undefined : true), 10_000, 100);
        expect(await storage.list(idempotencyNamespace('ada'))).to.deep.equal(['fresh']);
        expect(lines.some((line) => line.includes('expired idempotency keys removed'))).to.equal(true);
      } finally {
        await server.close();
      }
    } finally {
      await storage.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
