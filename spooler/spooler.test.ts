import { expect } from 'chai';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../config/logger.ts';
import type { Result } from '../schemas/result.ts';
import { LocalProvider } from '../storage/local/index.ts';
import { JobLifecycle } from '../storage/lifecycle.ts';
import { ns, type HeartbeatRecord } from '../storage/records.ts';
import { eventually } from '../test/support/system.ts';
import type { BackendDefinition } from './backend.ts';
import { createQubitBackend } from './backends/qubit/index.ts';
import { singlequdit } from './backends/singlequdit/index.ts';
import { Spooler } from './spooler.ts';

const logger = createLogger('silent');
const experiment = (instructions: unknown[], shots = 10) => ({ instructions, shots, num_wires: 1, wire_order: 'interleaved' });

/** A backend whose experiments take `ms` and honour checkpoints every 10 ms, like a long simulation. */
function slowBackend(ms: number): BackendDefinition {
  return {
    ...singlequdit,
    async runExperiment(_name, exp, context) {
      for (let waited = 0; waited < ms; waited += 10) {
        context.checkpoint();
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      return { memory: new Array<string>(exp.shots).fill('0'), instructions: null };
    },
  };
}

describe('spooler', function () {
  this.timeout(20_000);
  let root: string;
  let storage: LocalProvider;
  let lifecycle: JobLifecycle;
  const spoolers: Spooler[] = [];
  const start = async (backend: BackendDefinition, options: { leaseMs?: number; shutdownGraceMs?: number } = {}) => {
    if (options.leaseMs) lifecycle = new JobLifecycle(storage, { leaseMs: options.leaseMs });
    const spooler = new Spooler({ lifecycle, backend, providerName: 'alqor', logger, pollMs: 10, heartbeatMs: 50, ...options });
    spoolers.push(spooler);
    await spooler.start();
    return spooler;
  };
  const status = (backend: string, id: string) => eventually(async () => {
    const s = await lifecycle.getStatus(backend, id);
    return s && ['DONE', 'ERROR', 'CANCELLED'].includes(s.status) ? s : undefined;
  });

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'qspool-spooler-'));
    storage = new LocalProvider({ root, fsync: false });
    lifecycle = new JobLifecycle(storage);
  });
  afterEach(async () => {
    await Promise.all(spoolers.splice(0).map((s) => s.stop()));
    await rm(root, { recursive: true, force: true });
  });

  it('publishes its config with the job schema and a heartbeat', async () => {
    const spooler = await start(singlequdit);
    const config = (await storage.get<Record<string, unknown>>(ns.configs, 'singlequdit'))!.value;
    expect(config.display_name).to.equal('singlequdit');
    expect(config.job_schema).to.have.property('maxProperties', 1000);
    const beat = (await storage.get<HeartbeatRecord>(ns.heartbeats('singlequdit'), spooler.id))!.value;
    expect(Date.now() - Date.parse(beat.at)).to.be.below(5_000);
  });

  it('runs a queued job and publishes a qiskit-readable result', async () => {
    await start(singlequdit);
    const job = await lifecycle.enqueue({ backend: 'singlequdit', owner: 'u', payload: { experiment_0: experiment([['rlx', [0], [Math.PI]], ['measure', [0], []]]) } });
    expect((await status('singlequdit', job.id)).status).to.equal('DONE');
    const record = (await lifecycle.find('singlequdit', job.id))!.value;
    const result = (await lifecycle.getResult(record)) as Result;
    expect(result).to.include({ status: 'finished', job_id: job.id, backend_name: 'alqor_singlequdit_simulator', success: true });
    expect(result.results[0]!.data.memory).to.deep.equal(new Array(10).fill('1'));
  });

  it('refuses a job that bypassed the server, naming the experiment, instruction and rule', async () => {
    await start(singlequdit);
    const job = await lifecycle.enqueue({ backend: 'singlequdit', owner: 'u', payload: { experiment_0: experiment([['rlx', [0], [9]], ['measure', [0], []]]) } });
    const final = await status('singlequdit', job.id);
    expect(final.status).to.equal('ERROR');
    expect(final.error_message).to.equal('experiment_0, instruction 0 (rlx): parameter omega: 9 must be less than or equal to 6.283185307179586');
    expect(await storage.get(ns.deleted('singlequdit'), job.id)).to.not.equal(undefined);
  });

  it('refuses a job whose Hilbert space exceeds the configured bound, before running it', async () => {
    const spooler = new Spooler({ lifecycle, backend: singlequdit, providerName: 'alqor', logger, pollMs: 10, maxHilbertDimension: 100 });
    spoolers.push(spooler);
    await spooler.start();
    const job = await lifecycle.enqueue({ backend: 'singlequdit', owner: 'u', payload: { experiment_0: experiment([['load', [0], [500]], ['measure', [0], []]]) } });
    expect((await status('singlequdit', job.id)).error_message).to.match(/Hilbert space of 5\.01e\+2 amplitudes exceeds the limit of 100/);
  });

  it('renews its lease through a job longer than the lease, so nobody takes it over', async () => {
    await start(slowBackend(600), { leaseMs: 200 });
    const job = await lifecycle.enqueue({ backend: 'singlequdit', owner: 'u', payload: { experiment_0: experiment([]) } });
    const final = await status('singlequdit', job.id);
    expect(final.status).to.equal('DONE');
    expect(final.attempts).to.equal(1);
  });

  it('stops a running job at its next checkpoint when cancelled and records CANCELLED', async () => {
    await start(slowBackend(5_000), { leaseMs: 150 });
    const job = await lifecycle.enqueue({ backend: 'singlequdit', owner: 'u', payload: { experiment_0: experiment([]) } });
    await eventually(async () => ((await lifecycle.getStatus('singlequdit', job.id))?.status === 'RUNNING' ? true : undefined));
    const started = Date.now();
    expect(await lifecycle.cancel('singlequdit', job.id)).to.equal('RUNNING');
    expect((await status('singlequdit', job.id)).status).to.equal('CANCELLED');
    expect(Date.now() - started).to.be.below(1_000);
  });

  it('hands the current job back to the queue when stopped past its grace period', async () => {
    const spooler = await start(slowBackend(5_000), { shutdownGraceMs: 100 });
    const job = await lifecycle.enqueue({ backend: 'singlequdit', owner: 'u', payload: { experiment_0: experiment([]) } });
    await eventually(async () => ((await lifecycle.getStatus('singlequdit', job.id))?.status === 'RUNNING' ? true : undefined));
    await spooler.stop();
    spoolers.splice(spoolers.indexOf(spooler), 1);
    const queued = (await storage.get<{ attempts: number }>(ns.queued('singlequdit'), job.id))!.value;
    expect(queued.attempts).to.equal(0);
    expect(await storage.list(ns.heartbeats('singlequdit'))).to.deep.equal([]);
  });

  it('takes back a job whose spooler died, after the lease', async () => {
    const dead = await lifecycle.enqueue({ backend: 'singlequdit', owner: 'u', payload: { experiment_0: experiment([['measure', [0], []]]) } });
    const short = new JobLifecycle(storage, { leaseMs: 100 });
    await short.claim('singlequdit', 'crashed-spooler');
    await start(singlequdit, { leaseMs: 100 });
    const final = await status('singlequdit', dead.id);
    expect(final.status).to.equal('DONE');
    expect(final.attempts).to.equal(2);
  });

  it('never takes over a healthy job from a spooler whose host clock runs several leases behind', async () => {
    const behind = new JobLifecycle(storage, { leaseMs: 200, now: () => Date.now() - 2_000 });
    const holder = new Spooler({ lifecycle: behind, backend: slowBackend(1_000), providerName: 'alqor', logger, pollMs: 10, heartbeatMs: 50 });
    spoolers.push(holder);
    await holder.start();
    const job = await lifecycle.enqueue({ backend: 'singlequdit', owner: 'u', payload: { experiment_0: experiment([]) } });
    await eventually(async () => ((await lifecycle.getStatus('singlequdit', job.id))?.status === 'RUNNING' ? true : undefined));
    const reaping = new JobLifecycle(storage, { leaseMs: 200, reaperClock: () => performance.now() });
    const other = new Spooler({ lifecycle: reaping, backend: slowBackend(1_000), providerName: 'alqor', logger, pollMs: 10, heartbeatMs: 50 });
    spoolers.push(other);
    await other.start();
    const final = await status('singlequdit', job.id);
    expect(final.status).to.equal('DONE');
    expect(final.attempts).to.equal(1);
  });

  it('answers qubit jobs in echo mode with a well-formed result without simulating', () => {
    const echo = createQubitBackend('echo');
    const data = echo.runExperiment('experiment_0', { instructions: 'X(180)' as never, shots: 3, num_wires: 1, wire_order: 'sequential' }, {
      jobId: 'x',
      maxHilbertDimension: 2,
      checkpoint: () => undefined,
    }) as { memory: string[] };
    expect(data.memory).to.deep.equal(['0', '0', '0']);
  });

  it('runs qubit text jobs in simulation mode and refuses malformed text', async () => {
    await start(createQubitBackend('simulation'));
    const flip = await lifecycle.enqueue({ backend: 'qubit', owner: 'u', payload: { experiment_0: { instructions: 'X(180)', shots: 20, num_wires: 1, wire_order: 'sequential' } } });
    await status('qubit', flip.id);
    const result = (await lifecycle.getResult((await lifecycle.find('qubit', flip.id))!.value)) as Result;
    expect(result.results[0]!.data.memory).to.deep.equal(new Array(20).fill('1'));
    expect(result.results[0]!.data.instructions![0]).to.deep.include({ name: 'rx', wires: [0] });

    const bad = await lifecycle.enqueue({ backend: 'qubit', owner: 'u', payload: { experiment_0: { instructions: 'X(400)', shots: 1, num_wires: 1, wire_order: 'sequential' } } });
    expect((await status('qubit', bad.id)).error_message).to.match(/experiment_0.*400/);
  });
});
