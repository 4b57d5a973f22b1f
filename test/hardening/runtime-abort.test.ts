// An external runtime stopped because its job was abandoned (time limit, cancel, lost lease, shutdown) is given its
// grace period to leave the device safe, and its job is settled only once it is gone: the next job's runtime never
// drives the device while the previous one still does, nor does another spooler that takes the handed-back job. And
// the time a runtime is told it has is the time it gets.
import { expect } from 'chai';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../config/index.ts';
import { createLogger } from '../../config/logger.ts';
import { runCommand } from '../../spooler/runtime/process.ts';
import { startSpoolers } from '../../scripts/runtime.ts';
import { JobLifecycle } from '../../storage/lifecycle.ts';
import { LocalProvider } from '../../storage/local/index.ts';
import { eventually, isAlive } from '../support/system.ts';

describe('an external runtime stopped by an abort', function () {
  this.timeout(20_000);
  let root: string;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'qspool-runtime-abort-'));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('rejects with the abort reason only once the runtime, which takes its grace period, has exited', async () => {
    const pidFile = join(root, 'pid');
    const aborted = new AbortController();
    const run = runCommand({
      // Ignores SIGTERM: it is there until the SIGKILL at the end of its grace period.
      command: `echo $$ > '${pidFile}'; trap '' TERM; while :; do sleep 0.05; done`,
      stdin: '',
      env: process.env,
      timeoutMs: 30_000,
      killGraceMs: 500,
      maxStdoutBytes: 1024,
      stderrTailBytes: 1024,
      signal: aborted.signal,
    });
    const pid = await eventually(async () => Number((await readFile(pidFile, 'utf8').catch(() => '')).trim()) || undefined, 10_000);
    const reason = new Error('time limit');
    const asked = Date.now();
    aborted.abort(reason);
    const error = await run.then(() => expect.fail('the run resolved'), (failure: unknown) => failure);
    expect(error).to.equal(reason);
    expect(isAlive(pid), 'the runtime still runs when its job is settled').to.equal(false);
    expect(Date.now() - asked).to.be.within(400, 5000);
  });

  it('rejects as soon as a runtime that stops on SIGTERM has exited', async () => {
    const aborted = new AbortController();
    const run = runCommand({
      command: 'exec sleep 30',
      stdin: '',
      env: process.env,
      timeoutMs: 30_000,
      killGraceMs: 10_000,
      maxStdoutBytes: 1024,
      stderrTailBytes: 1024,
      signal: aborted.signal,
    });
    await new Promise((resolve) => setTimeout(resolve, 200));
    const asked = Date.now();
    aborted.abort(new Error('cancelled'));
    await run.catch(() => undefined);
    expect(Date.now() - asked).to.be.below(2000);
  });
});

describe('the time an external runtime is told it has', function () {
  this.timeout(30_000);

  it('is its backend\'s job time limit when that is shorter than QSPOOL_RUNTIME_TIMEOUT_MS, as the job is stopped then', async () => {
    const root = await mkdtemp(join(tmpdir(), 'qspool-runtime-budget-'));
    const storage = new LocalProvider({ root, fsync: false });
    const config = loadConfig({
      QSPOOL_DATA_DIR: root,
      QSPOOL_SIGN: 'none',
      QSPOOL_POLL_MS: '20',
      QSPOOL_JOB_TIME_LIMIT_S_QUBIT: '7',
      // The runtime answers with the time it was given, in the request and in its environment.
      QSPOOL_RUNTIME_QUBIT: `node -e "let input = ''; process.stdin.on('data', (c) => (input += c)).on('end', () => process.stdout.write(JSON.stringify({ error: JSON.parse(input).timeout_ms + ' ' + process.env.QSPOOL_TIMEOUT_MS })))"`,
    });
    const [spooler] = startSpoolers({ config, logger: createLogger('silent'), storage }, ['qubit']);
    try {
      await spooler!.start();
      const lifecycle = new JobLifecycle(storage);
      const { id } = await lifecycle.enqueue({ backend: 'qubit', owner: 'u', payload: { experiment_0: { instructions: 'X(90)', shots: 1, num_wires: 1, wire_order: 'sequential' } } });
      const status = await eventually(async () => {
        const current = await lifecycle.getStatus('qubit', id);
        return current?.status === 'ERROR' ? current : undefined;
      }, 20_000);
      expect(status.error_message, status.error_message).to.match(/reported: 7000 7000$/);
    } finally {
      await spooler!.stop();
      await storage.close();
      await rm(root, { recursive: true, force: true });
    }
  });
});

