import { expect } from 'chai';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../config/logger.ts';
import { Spooler } from '../spooler/spooler.ts';
import { JobLifecycle } from '../storage/lifecycle.ts';
import { LocalProvider } from '../storage/local/index.ts';
import { ns, type JobRecord } from '../storage/records.ts';
import { eventually } from './support/system.ts';
import { BUSY_BACKEND_MODULE, busyBackend } from './crash/test-backends.ts';

const BACKEND = 'singlequdit';
const logger = createLogger('silent');
const job = (experiments = 1) =>
  Object.fromEntries(Array.from({ length: experiments }, (_, i) => [`experiment_${i}`, { instructions: [['measure', [0], []]], shots: 3, num_wires: 1, wire_order: 'interleaved' }]));

describe('cancellation', function () {
  this.timeout(30_000);
  let root: string;
  let storage: LocalProvider;
  let lifecycle: JobLifecycle;
  const spoolers: Spooler[] = [];
  const start = async (busyMs: number, options: { isolate?: boolean; leaseMs?: number } = {}) => {
    const spooler = new Spooler({
      lifecycle: new JobLifecycle(storage, { leaseMs: options.leaseMs ?? 600 }),
      backend: busyBackend(busyMs),
      providerName: 'alqor',
      logger,
      pollMs: 20,
      ...(options.isolate ? { isolate: { module: BUSY_BACKEND_MODULE, exportName: 'busyBackend', args: [busyMs] } } : {}),
    });
    spoolers.push(spooler);
    await spooler.start();
    return spooler;
  };
  const final = (id: string, timeoutMs = 10_000) =>
    eventually(async () => {
      const status = await lifecycle.getStatus(BACKEND, id);
      return status && ['DONE', 'ERROR', 'CANCELLED'].includes(status.status) ? status : undefined;
    }, timeoutMs);
  const running = (id: string) => eventually(async () => ((await lifecycle.getStatus(BACKEND, id))?.status === 'RUNNING' ? true : undefined));

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'qspool-cancel-'));
    storage = new LocalProvider({ root, fsync: false });
    lifecycle = new JobLifecycle(storage, { leaseMs: 600 });
  });
  afterEach(async () => {
    await Promise.all(spoolers.splice(0).map((s) => s.stop()));
    await storage.close();
    await rm(root, { recursive: true, force: true });
  });

  it('never runs queued jobs cancelled while spoolers are busy, and runs the rest', async () => {
    await start(5, { isolate: false });
    const ids: string[] = [];
    for (let i = 0; i < 40; i += 1) ids.push((await lifecycle.enqueue({ backend: BACKEND, owner: 'u', payload: job(20) })).id);
    const cancelled = ids.filter((_, i) => i % 2 === 1);
    const outcomes = await Promise.all(cancelled.map((id) => lifecycle.cancel(BACKEND, id).catch((error: Error) => error.message)));
    const whileQueued = cancelled.filter((_, i) => outcomes[i] === 'CANCELLED');
    expect(whileQueued.length).to.be.greaterThan(15);
    for (const id of ids) await final(id, 20_000);
    for (const id of whileQueued) {
      const record = (await storage.get<JobRecord>(ns.deleted(BACKEND), id))!.value;
      expect(record.state).to.equal('CANCELLED');
      expect(record.detail.some((line) => line.startsWith('Claimed by'))).to.equal(false);
    }
    const withResults = (await storage.list(ns.results(BACKEND))).map((key) => key.slice(0, 24));
    expect(withResults.filter((id) => whileQueued.includes(id))).to.deep.equal([]);
    expect(ids.filter((id) => !cancelled.includes(id)).every((id) => withResults.includes(id))).to.equal(true);
  });

  it('stops a job in the middle of a 60 s synchronous experiment when experiments run in a thread', async () => {
    await start(60_000, { isolate: true });
    const { id } = await lifecycle.enqueue({ backend: BACKEND, owner: 'u', payload: job() });
    await running(id);
    const requested = Date.now();
    expect(await lifecycle.cancel(BACKEND, id)).to.equal('RUNNING');
    const status = await final(id);
    // Told at its next renewal (every lease/3 = 200 ms), it terminates the thread at once: far below 60 s.
    expect(Date.now() - requested).to.be.below(5_000);
    expect(status).to.include({ status: 'CANCELLED', attempts: 1 });
    expect(status.detail).to.match(/Cancel requested\.; Cancelled while running\.$/);
    expect(await storage.list(ns.results(BACKEND))).to.deep.equal([]);
  });

  it('ends CANCELLED, not back in the queue, when a cancel arrives just before its spooler hands the job back', async () => {
    const { id } = await lifecycle.enqueue({ backend: BACKEND, owner: 'u', payload: job() });
    const claim = (await lifecycle.claim(BACKEND, 'stopping-spooler'))!;
    expect(await lifecycle.cancel(BACKEND, id)).to.equal('RUNNING');
    // The spooler still holds the claim from before the cancel request: its shutdown releases the job.
    await lifecycle.release(claim);
    expect((await final(id)).status).to.equal('CANCELLED');
    expect(await lifecycle.listQueued(BACKEND)).to.deep.equal([]);
  });
});
