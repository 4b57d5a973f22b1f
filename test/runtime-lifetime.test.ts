// How long an external runtime's run lasts, whatever the runtime leaves behind: a process it started outside its
// process group (which no signal of the spooler's reaches) cannot hold a finished run open until the timeout; and a
// spooler that dies without a chance to stop its runtime (SIGKILL, the OOM killer) leaves none running.
import { expect } from 'chai';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ExternalRuntime } from '../spooler/runtime/index.ts';
import { JobLifecycle } from '../storage/lifecycle.ts';
import { LocalProvider } from '../storage/local/index.ts';
import { spawnQspool, type QspoolProcess } from './support/qspool-process.ts';
import { eventually, isAlive } from './support/system.ts';

const MISBEHAVING = fileURLToPath(new URL('./fixtures/runtime/misbehaving-runtime.mjs', import.meta.url));
const JOB_ID = '0123456789abcdef01234567';
const job = (seed: number) => ({ experiment_0: { instructions: [['measure', [0], []] as [string, number[], number[]]], shots: 4, num_wires: 1, wire_order: 'sequential' as const, seed } });

describe('external runtime: the end of a run', function () {
  this.timeout(60_000);

  it('ends a run that answered and exited within the kill grace, though a process it left outside its group holds the output', async () => {
    const runtime = new ExternalRuntime('qubit', { command: `node '${MISBEHAVING}'`, timeoutMs: 20_000, killGraceMs: 500 });
    const started = Date.now();
    const outcome = await runtime.run(JOB_ID, job(10));
    const escaped = Number(/escaped (\d+)/.exec(outcome.record.stderrTail)?.[1]);
    try {
      expect(outcome.failure).to.equal(undefined);
      expect(outcome.data!.experiment_0!.memory).to.deep.equal(['0', '0', '0', '0']);
      expect(outcome.record).to.include({ exitCode: 0, timedOut: false });
      expect(outcome.line).to.match(/exited with code 0 after \d+\.\d\d s; a process it started outside its process group still held its output open\.$/);
      // node starts in well under the timeout even on a loaded machine; the timeout is 20 s
      expect(Date.now() - started).to.be.below(10_000);
      expect(isAlive(escaped), 'the escaped process is out of reach, not killed').to.equal(true);
    } finally {
      if (escaped && isAlive(escaped)) process.kill(escaped, 'SIGKILL');
    }
  });
});

describe('qspool spooler killed with SIGKILL while a runtime runs', function () {
  this.timeout(60_000);
  let dataDir: string;
  let qspool: QspoolProcess | undefined;
  let group = 0;

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'qspool-killed-'));
  });
  after(async () => {
    qspool?.kill();
    if (group && isAlive(group)) process.kill(-group, 'SIGKILL');
    await rm(dataDir, { recursive: true, force: true });
  });

  it('leaves no runtime running: its process group is killed once the spooler is gone', async () => {
    const storage = new LocalProvider({ root: dataDir, fsync: false });
    await new JobLifecycle(storage).enqueue({ backend: 'qubit', owner: 'u', payload: { experiment_0: { instructions: 'X(90)', shots: 1, num_wires: 1, wire_order: 'sequential' } } });
    await storage.close();
    const pidFile = join(dataDir, 'runtime-pid');
    qspool = spawnQspool(['spooler', '--backend', 'qubit', '--storage', dataDir], {
      QSPOOL_FSYNC: 'false',
      QSPOOL_QUBIT_MODE: 'verbatim',
      QSPOOL_RUNTIME_QUBIT: `echo $$ > '${pidFile}'; exec sleep 60`,
    });
    group = await eventually(async () => Number((await readFile(pidFile, 'utf8').catch(() => '')).trim()) || undefined, 30_000);
    qspool.child.kill('SIGKILL');
    await qspool.exited;
    // the runtime's SIGTERM grace is 2 s
    await eventually(async () => (isAlive(group) ? undefined : true), 10_000);
  });
});
