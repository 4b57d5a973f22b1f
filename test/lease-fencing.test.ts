import { expect } from 'chai';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../config/index.ts';
import { createLogger } from '../config/logger.ts';
import { LeaseLostError } from '../schemas/errors.ts';
import { startSpoolers } from '../scripts/runtime.ts';
import { Spooler } from '../spooler/spooler.ts';
import { JobLifecycle } from '../storage/lifecycle.ts';
import { LocalProvider } from '../storage/local/index.ts';
import { ns } from '../storage/records.ts';
import { withoutTransactions } from './support/stepwise.ts';
import { eventually } from './support/system.ts';
import { BUSY_BACKEND_MODULE, busyBackend } from './crash/test-backends.ts';

const BACKEND = 'singlequdit';
const job = { experiment_0: { instructions: [['measure', [0], []]], shots: 5, num_wires: 1, wire_order: 'interleaved' } };
const logger = createLogger('silent');

describe('leases and fencing, end to end', function () {
  this.timeout(30_000);
  let root: string;
  let storage: LocalProvider;
  const spoolers: Spooler[] = [];

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'qspool-lease-'));
    storage = new LocalProvider({ root, fsync: false });
  });
  afterEach(async () => {
    await Promise.all(spoolers.splice(0).map((s) => s.stop()));
    await storage.close();
    await rm(root, { recursive: true, force: true });
  });

  it('leases for 30 s by default and takes QSPOOL_LEASE_MS and QSPOOL_MAX_ATTEMPTS from the environment', () => {
    expect(loadConfig({}).QSPOOL_LEASE_MS).to.equal(30_000);
    const config = loadConfig({ QSPOOL_LEASE_MS: '1500', QSPOOL_MAX_ATTEMPTS: '4' });
    expect([config.QSPOOL_LEASE_MS, config.QSPOOL_MAX_ATTEMPTS]).to.deep.equal([1500, 4]);
  });

  it('lets a fenced-out spooler publish neither a result nor a status, before or after the new holder finishes', async () => {
    let clock = Date.now();
    const jobs = new JobLifecycle(storage, { leaseMs: 1000, now: () => clock });
    const { id } = await jobs.enqueue({ backend: BACKEND, owner: 'u', payload: job });
    const stale = (await jobs.claim(BACKEND, 'frozen'))!;
    clock += 1001;
    expect(await jobs.requeueExpired(BACKEND)).to.deep.equal([id]);
    const fresh = (await jobs.claim(BACKEND, 'alive'))!;

    for (const attempt of [() => jobs.complete(stale, { late: true }), () => jobs.fail(stale, 'late'), () => jobs.renew(stale), () => jobs.note(stale, 'late'), () => jobs.acknowledgeCancel(stale), () => jobs.release(stale)]) {
      await attempt().then(() => expect.fail('a fenced-out spooler wrote'), (error: unknown) => expect(error).to.be.instanceOf(LeaseLostError));
    }
    await jobs.publishStatus(stale.record);
    expect((await jobs.getStatus(BACKEND, id))!).to.include({ status: 'RUNNING', attempts: 2 });
    expect(await storage.list(ns.results(BACKEND))).to.deep.equal([]);

    await jobs.complete(fresh, { winner: true });
    await jobs.publishStatus(stale.record);
    await jobs.complete(stale, { late: true }).catch(() => undefined);
    const status = (await jobs.getStatus(BACKEND, id))!;
    expect(status).to.include({ status: 'DONE', attempts: 2 });
    expect(await storage.list(ns.results(BACKEND))).to.deep.equal([`${id}-a2`]);
    expect(await jobs.getResult((await jobs.find(BACKEND, id))!.value)).to.deep.equal({ winner: true });
  });

  it('repairs, when read, a status left a step behind by a spooler killed between finishing a job and publishing it (providers without transactions)', async () => {
    const jobs = new JobLifecycle(withoutTransactions(storage));
    const { id } = await jobs.enqueue({ backend: BACKEND, owner: 'u', payload: job });
    const claim = (await jobs.claim(BACKEND, 'doomed'))!;
    const runningStatus = (await storage.get(ns.status(BACKEND), id))!.value;
    await jobs.complete(claim, { ok: true });
    // What a SIGKILL between the move to `finished` and the status write leaves behind:
    await storage.put(ns.status(BACKEND), id, runningStatus);
    expect((await jobs.getStatus(BACKEND, id))!).to.include({ status: 'DONE', seq: claim.record.seq + 1 });
    expect((await storage.get<{ status: string }>(ns.status(BACKEND), id))!.value.status).to.equal('DONE');
  });

  it('dead-letters a job with ERROR after QSPOOL_MAX_ATTEMPTS holders died, when a configured spooler reaps it', async () => {
    const config = loadConfig({}, { QSPOOL_DATA_DIR: root, QSPOOL_LEASE_MS: 300, QSPOOL_MAX_ATTEMPTS: 2, QSPOOL_POLL_MS: 20 });
    const dying = new JobLifecycle(storage, { leaseMs: 300 });
    const { id } = await dying.enqueue({ backend: BACKEND, owner: 'u', payload: job });
    await dying.claim(BACKEND, 'dead-1');
    await eventually(async () => ((await dying.requeueExpired(BACKEND)).length > 0 ? true : undefined), 5_000);
    await dying.claim(BACKEND, 'dead-2');
    spoolers.push(...startSpoolers({ config, logger, storage }, [BACKEND]));
    await spoolers[0]!.start();
    const status = await eventually(async () => {
      const s = await dying.getStatus(BACKEND, id);
      return s?.status === 'ERROR' ? s : undefined;
    }, 5_000);
    expect(status.error_message).to.equal('Dead-lettered after 2 attempts; the last failed (lease-expired): the lease of attempt 2 expired: its spooler stopped renewing it');
    expect(await storage.get(ns.dead(BACKEND), id)).to.not.equal(undefined);
    expect(await storage.list(ns.results(BACKEND))).to.deep.equal([]);
  });

  it('keeps its lease through one synchronous experiment three times longer than the lease when run in a thread', async () => {
    // Renewals every 400 ms against a 1.2 s lease leave room for a loaded machine's late timers.
    const lifecycle = new JobLifecycle(storage, { leaseMs: 1200 });
    const isolate = { module: BUSY_BACKEND_MODULE, exportName: 'busyBackend', args: [3600] };
    for (let i = 0; i < 2; i += 1) {
      const spooler = new Spooler({ lifecycle, backend: busyBackend(3600), providerName: 'alqor', logger, pollMs: 20, isolate });
      spoolers.push(spooler);
      await spooler.start();
    }
    const { id } = await lifecycle.enqueue({ backend: BACKEND, owner: 'u', payload: job });
    const status = await eventually(async () => {
      const s = await lifecycle.getStatus(BACKEND, id);
      return s?.status === 'DONE' ? s : undefined;
    }, 20_000);
    expect(status.attempts).to.equal(1);
    expect(status.detail).to.not.include('Requeued');
  });
});
