import { expect } from 'chai';
import { mkdir, mkdtemp, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { loadConfig } from '../config/index.ts';
import { createLogger } from '../config/logger.ts';
import { StorageUnavailableError } from '../schemas/errors.ts';
import { startSpoolers } from '../scripts/runtime.ts';
import { startServer, type RunningServer } from '../server/index.ts';
import type { Spooler } from '../spooler/spooler.ts';
import { JobLifecycle } from '../storage/lifecycle.ts';
import { LocalProvider } from '../storage/local/index.ts';
import { ns } from '../storage/records.ts';
import { eventually, postJson, request } from './support/system.ts';

/**
 * A store reached through a symlink that can be swapped, in one rename, to point at a regular file: every file
 * operation under it then fails with ENOTDIR, in every process, exactly as when a storage path goes bad.
 */
async function faultableStore() {
  const dir = await mkdtemp(join(tmpdir(), 'qspool-outage-'));
  const store = join(dir, 'store');
  const link = join(dir, 'data');
  const file = join(dir, 'not-a-directory');
  await mkdir(store);
  await writeFile(file, '');
  await symlink(store, link);
  const repoint = async (target: string) => {
    await symlink(target, `${link}.next`);
    await rename(`${link}.next`, link);
  };
  return { dir, link, fail: () => repoint(file), restore: () => repoint(store) };
}

async function rejectsUnavailable(promise: Promise<unknown>): Promise<void> {
  const error = await promise.then(() => undefined, (caught: unknown) => caught);
  expect(error).to.be.instanceOf(StorageUnavailableError);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('storage outages', function () {
  this.timeout(40_000);
  let fault: Awaited<ReturnType<typeof faultableStore>>;
  beforeEach(async () => (fault = await faultableStore()));
  afterEach(async () => {
    await fault.restore().catch(() => undefined);
    await rm(fault.dir, { recursive: true, force: true });
  });

  it('reports an unusable store as StorageUnavailableError on every operation, and a missing document as absent', async () => {
    const storage = new LocalProvider({ root: fault.link });
    const v1 = await storage.put('docs', 'a', 1);
    expect(await storage.get('docs', 'missing')).to.equal(undefined);
    await fault.fail();
    await rejectsUnavailable(storage.get('docs', 'a'));
    await rejectsUnavailable(storage.list('docs'));
    await rejectsUnavailable(storage.put('docs', 'b', 2));
    await rejectsUnavailable(storage.replace('docs', 'a', 2, v1));
    await rejectsUnavailable(storage.move('docs', 'moved', 'a'));
    await rejectsUnavailable(storage.delete('docs', 'a'));
    await fault.restore();
    expect((await storage.get('docs', 'a'))!.value).to.equal(1);
    await storage.move('docs', 'moved', 'a');
    expect(await storage.list('moved')).to.deep.equal(['a']);
  });

  it('leaves no key locked and no document in two places when the store fails under operations in flight', async () => {
    const storage = new LocalProvider({ root: fault.link, fsync: true });
    const keys = Array.from({ length: 16 }, (_, i) => `k${i}`);
    await Promise.all(keys.map((key) => storage.put('left', key, key)));
    // Each key moves back and forth between two namespaces until told to stop; the fault lands mid-operation.
    let running = true;
    let failed = 0;
    const shuttle = async (key: string) => {
      for (let here = 'left'; running; ) {
        const there = here === 'left' ? 'right' : 'left';
        try {
          await storage.move(here, there, key);
          here = there;
        } catch {
          failed += 1;
          await sleep(20);
          if (await storage.get(there, key).catch(() => undefined)) here = there;
        }
      }
    };
    const shuttles = keys.map(shuttle);
    await sleep(100);
    await fault.fail();
    await sleep(300);
    await fault.restore();
    await sleep(300);
    running = false;
    await Promise.all(shuttles);
    expect(failed, 'operations refused during the fault').to.be.greaterThan(0);
    // A lock whose release the store refused is retried in the background: every key is writable again at once.
    const started = Date.now();
    await Promise.all(keys.map((key) => storage.put('probe', key, 1)));
    expect(Date.now() - started).to.be.below(5_000);
    const left = await storage.list('left');
    const right = await storage.list('right');
    expect(left.filter((key) => right.includes(key))).to.deep.equal([]);
    expect([...left, ...right].sort()).to.deep.equal([...keys].sort());
  });

  describe('a running system', () => {
    let server: RunningServer;
    let spoolers: Spooler[];
    let storage: LocalProvider;
    let token: string;
    afterEach(async () => {
      await server.close();
      await Promise.all(spoolers.map((s) => s.stop()));
      await storage.close();
    });

    it('answers 503 with Retry-After, never 500, while the store is unusable, and loses no acknowledged job', async () => {
      const config = loadConfig({}, { PORT: 0, QSPOOL_DATA_DIR: fault.link, QSPOOL_FSYNC: false, QSPOOL_POLL_MS: 20, QSPOOL_LEASE_MS: 1000, QSPOOL_RATE_PER_SECOND: 0 });
      const logger = createLogger('silent');
      storage = new LocalProvider({ root: fault.link, fsync: false });
      spoolers = startSpoolers({ config, logger, storage }, ['singlequdit']);
      await Promise.all(spoolers.map((s) => s.start()));
      server = await startServer(storage, config, logger);
      token = (await server.users.ensureUserWithToken('alice')).token;
      const job = JSON.stringify({ experiment_0: { instructions: [['load', [0], [100]], ['rlx', [0], [1]], ['measure', [0], []]], shots: 5, num_wires: 1, wire_order: 'interleaved' } });
      const submit = () => postJson(`${server.url}/api/v2/singlequdit/post_job`, { job, username: 'alice', token });
      const acknowledged: string[] = [];
      for (let i = 0; i < 5; i += 1) acknowledged.push(((await submit()).body as { job_id: string }).job_id);

      await fault.fail();
      const answers = [];
      for (let i = 0; i < 5; i += 1) {
        answers.push(await submit());
        answers.push(await request(`${server.url}/api/v2/singlequdit/get_job_status?job_id=${acknowledged[0]}&token=${token}`));
        await sleep(100);
      }
      expect(answers.map((a) => a.status)).to.deep.equal(new Array(10).fill(503));
      expect(answers.every((a) => Number(a.headers.get('retry-after')) > 0)).to.equal(true);
      await sleep(1500);
      await fault.restore();

      // Spoolers back off and resume by themselves; every acknowledged job finishes.
      const lifecycle = new JobLifecycle(storage);
      for (const id of acknowledged) {
        await eventually(async () => ((await lifecycle.getStatus('singlequdit', id))?.status === 'DONE' ? true : undefined), 20_000);
      }
      const after = (await submit()).body as { job_id: string };
      await eventually(async () => ((await lifecycle.getStatus('singlequdit', after.job_id))?.status === 'DONE' ? true : undefined), 20_000);
      expect(await storage.list(ns.running('singlequdit'))).to.deep.equal([]);
    });

    it('tells callers that storage is down without the provider\'s words, which name the data directory, and logs those', async () => {
      const config = loadConfig({}, { PORT: 0, QSPOOL_DATA_DIR: fault.link, QSPOOL_FSYNC: false, QSPOOL_RATE_PER_SECOND: 0 });
      const logs: string[] = [];
      const logger = pino({ level: 'warn' }, new Writable({ write: (chunk: Buffer, _encoding, done) => (logs.push(chunk.toString()), done()) }));
      storage = new LocalProvider({ root: fault.link, fsync: false });
      spoolers = [];
      server = await startServer(storage, config, logger);
      await fault.fail();
      const answers = [
        await request(`${server.url}/api/v1/backends`),
        await postJson(`${server.url}/api/v1/auth/token`, { username: 'ada', password: 'correct horse battery' }),
        await request(`${server.url}/api/v2/singlequdit/get_job_status?job_id=${'a'.repeat(24)}&token=${'b'.repeat(32)}`),
      ];
      for (const answer of answers) {
        expect(answer.status, answer.text).to.equal(503);
        expect(answer.text).to.not.include(fault.dir).and.not.include('ENOTDIR');
        expect(answer.text).to.match(/Storage cannot be reached right now; retry in \d+ s \(request [\w-]+\)/);
      }
      expect((answers[0]!.body as { error: { code: string } }).error.code).to.equal('storage_unavailable');
      expect(logs.join('')).to.include(fault.dir).and.include('ENOTDIR');
    });
  });
});
