// Retries end to end: a spooler whose runtime fails with a retryable exit code runs the job again after each backoff,
// then dead-letters it with every attempt in its history; invalid input is never retried; a dead letter requeued by
// an administrator runs again, and a purged one is gone.
import { expect } from 'chai';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLogger } from '../config/logger.ts';
import type { RetryPolicy } from '../schemas/retry-policy.ts';
import { createQubitBackend } from '../spooler/backends/qubit/index.ts';
import { ExternalRuntime, withRuntime } from '../spooler/runtime/index.ts';
import { Spooler } from '../spooler/spooler.ts';
import { JobLifecycle } from '../storage/lifecycle.ts';
import { LocalProvider } from '../storage/local/index.ts';
import { type JobRecord, ns } from '../storage/records.ts';
import { eventually } from './support/system.ts';

const FLAKY = fileURLToPath(new URL('./fixtures/runtime/flaky-runtime.mjs', import.meta.url));
const logger = createLogger('silent');
const job = { experiment_0: { instructions: 'X(90)', shots: 10, num_wires: 1, wire_order: 'sequential' } };
const retry: RetryPolicy = { max_attempts: 3, base_delay_ms: 300, factor: 2, max_delay_ms: 10_000, exit_codes: [75], timeouts: false, lease_expiry: true };

describe('retries with backoff and dead letters', function () {
  this.timeout(60_000);
  let root: string;
  let storage: LocalProvider;
  let lifecycle: JobLifecycle;
  let spooler: Spooler;
  let runsFile: string;
  let okFile: string;

  const settled = (id: string) =>
    eventually(async () => {
      const found = await lifecycle.find('qubit', id);
      return found && ['DONE', 'ERROR', 'CANCELLED'].includes(found.value.state) ? found.value : undefined;
    }, 30_000);
  const runs = async () => (await readFile(runsFile, 'utf8').catch(() => '')).trim().split('\n').filter(Boolean).map(Number);
  const submit = async (payload: unknown = job): Promise<JobRecord> => settled((await lifecycle.enqueue({ backend: 'qubit', owner: 'u', payload })).id);

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'qspool-retries-'));
    runsFile = join(root, 'runs');
    okFile = join(root, 'ok');
    storage = new LocalProvider({ root: join(root, 'data'), fsync: false });
    lifecycle = new JobLifecycle(storage, { leaseMs: 2000 });
    const runtime = new ExternalRuntime('qubit', { command: `RUNS_FILE='${runsFile}' OK_FILE='${okFile}' node '${FLAKY}'`, timeoutMs: 20_000 });
    spooler = new Spooler({ lifecycle, backend: withRuntime(createQubitBackend('verbatim'), runtime), providerName: 'alqor', logger, pollMs: 20, retry });
    await spooler.start();
  });
  afterEach(async () => {
    await spooler.stop();
    await rm(root, { recursive: true, force: true });
  });

  it('publishes the retry policy in the backend config', async () => {
    const config = (await storage.get<{ retry: RetryPolicy }>(ns.configs, 'qubit'))!.value;
    expect(config.retry).to.deep.equal(retry);
  });

  it('retries a retryable failure after 300 ms, then 600 ms, then dead-letters the job with every attempt recorded', async () => {
    const record = await submit();
    const started = await runs();
    expect(started).to.have.length(3);
    expect(started[1]! - started[0]!).to.be.at.least(300);
    expect(started[2]! - started[1]!).to.be.at.least(600);
    expect(record.state).to.equal('ERROR');
    expect(record.attempts).to.equal(3);
    expect(record.deadLetter).to.deep.include({ reason: 'exit-code' });
    expect(record.errorMessage).to.match(/^Dead-lettered after 3 attempts; the last failed \(exit-code\): Execution failed: runtime qubit-\w+ exited with code 75: device not ready$/);
    expect(record.failures!.map((f) => [f.attempt, f.kind, f.exitCode])).to.deep.equal([[1, 'exit-code', 75], [2, 'exit-code', 75], [3, 'exit-code', 75]]);
    expect(record.detail.filter((line) => /^Attempt \d failed \(exit-code\): .*; retrying in (0\.3|0\.6) s/.test(line))).to.have.length(2);
    expect(await lifecycle.listDeadLetters('qubit')).to.deep.equal([record.id]);
    expect(await storage.get(ns.deleted('qubit'), record.id)).to.equal(undefined);
  });

  it('never retries invalid input', async () => {
    const record = await submit({ experiment_0: { instructions: 'X(90)', shots: 0, num_wires: 1, wire_order: 'sequential' } });
    expect(record.state).to.equal('ERROR');
    expect(record.attempts).to.equal(1);
    expect(record.deadLetter).to.equal(undefined);
    expect(record.failures).to.equal(undefined);
    expect(await runs()).to.deep.equal([]);
  });

  it('runs a requeued dead letter again, and forgets a purged one', async () => {
    const dead = await submit();
    const purged = await submit();
    expect([dead.deadLetter, purged.deadLetter]).to.not.include(undefined);
    await writeFile(okFile, '');
    await lifecycle.requeue('qubit', dead.id);
    const done = await settled(dead.id);
    expect(done.state).to.equal('DONE');
    expect(done.attempts).to.equal(4);
    expect(done.failures).to.have.length(3);
    expect(done.detail).to.include('Requeued by an administrator (was dead-lettered).');
    await lifecycle.purge('qubit', purged.id);
    expect(await lifecycle.find('qubit', purged.id)).to.equal(undefined);
    expect(await lifecycle.listDeadLetters('qubit')).to.deep.equal([]);
  });
});
