// External runtimes: the shipped Python example serves the qubit backend end to end (mode verbatim), and a runtime
// that hangs, crashes, prints garbage or exits non-zero gives its job ERROR with a message saying which, its run is
// recorded on the job, and the spooler carries on with the next job. A `qspool spooler` that stops, however it
// stops, leaves no runtime running; and the Lifetime its commands start and stop their parts with.
import { expect } from 'chai';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLogger } from '../config/logger.ts';
import { Lifetime, startSpoolers } from '../scripts/runtime.ts';
import { createQubitBackend } from '../spooler/backends/qubit/index.ts';
import { ExternalRuntime, withRuntime, type RuntimeRecord } from '../spooler/runtime/index.ts';
import { Spooler } from '../spooler/spooler.ts';
import { JobLifecycle } from '../storage/lifecycle.ts';
import { LocalProvider } from '../storage/local/index.ts';
import { ns, type JobRecord } from '../storage/records.ts';
import { chiSquareTest, histogram } from '../spooler/physics/test-statistics.ts';
import { spawnQspool, type QspoolProcess } from './support/qspool-process.ts';
import { eventually, isAlive, postJson, request, startSystem } from './support/system.ts';

const EXAMPLE = fileURLToPath(new URL('../examples/runtime/qubit_runtime.py', import.meta.url));
const MISBEHAVING = fileURLToPath(new URL('./fixtures/runtime/misbehaving-runtime.mjs', import.meta.url));
const logger = createLogger('silent');
const job = (seed?: number, shots = 10) => ({
  experiment_0: { instructions: 'X(90)', shots, num_wires: 1, wire_order: 'sequential', ...(seed === undefined ? {} : { seed }) },
});

describe('external runtime', function () {
  this.timeout(60_000);

  describe('the example runtime (examples/runtime/qubit_runtime.py) behind the qubit backend in verbatim mode', () => {
    it('runs compiled text jobs end to end through the API and records the run on the job', async () => {
      const system = await startSystem({ QSPOOL_BACKENDS: 'qubit', QSPOOL_QUBIT_MODE: 'verbatim', QSPOOL_RUNTIME_QUBIT: `python3 '${EXAMPLE}'` });
      try {
        const url = `${system.url}/api/v2/qubit`;
        const run = async (payload: unknown) => {
          const posted = await postJson(`${url}/post_job`, { job: JSON.stringify(payload), token: system.token });
          expect(posted.status, posted.text).to.equal(200);
          const id = (posted.body as { job_id: string }).job_id;
          const result = await eventually(async () => {
            const body = (await request(`${url}/get_job_result?job_id=${id}&token=${system.token}`)).body as Record<string, unknown>;
            if (body.status === 'ERROR') throw new Error(String(body.error_message));
            return body.status === 'finished' ? body : undefined;
          }, 20_000);
          return { id, memory: (result.results as { data: { memory: string[] } }[])[0]!.data.memory };
        };
        // X(180) flips the qubit; Y(90) Y(270) is a full turn: every shot reads 1
        const flip = await run({ experiment_0: { instructions: 'X(180), Y(90), Y(270)', shots: 50, num_wires: 1, wire_order: 'sequential' } });
        expect(flip.memory).to.deep.equal(new Array(50).fill('1'));
        const half = await run({ experiment_0: { instructions: [['rx', [0], [Math.PI / 2]], ['measure', [0], []]], shots: 4000, num_wires: 1, wire_order: 'sequential', seed: 5 } });
        const fit = chiSquareTest(histogram(half.memory), new Map([['0', 0.5], ['1', 0.5]]), 4000);
        expect(fit.statistic).to.be.below(fit.critical);
        const record = (await new JobLifecycle(system.storage).find('qubit', flip.id))!.value;
        const runtime = record.meta!.runtime as RuntimeRecord;
        expect(runtime).to.include({ exitCode: 0, signal: null, timedOut: false, command: `python3 '${EXAMPLE}'` });
        expect(runtime.id).to.match(/^qubit-[0-9a-f]{12}$/);
        expect(runtime.stderrTail).to.equal(`qubit_runtime: job ${flip.id}, 1 experiment(s)\n`);
        expect(Date.parse(runtime.endedAt)).to.be.at.least(Date.parse(runtime.startedAt));
        expect(record.detail.join('; ')).to.match(/Runtime qubit-[0-9a-f]{12} exited with code 0 after \d+\.\d\d s\.; Runtime done\./);
      } finally {
        await system.stop();
      }
    });

    it('refuses to start the qubit spooler in verbatim mode without a runtime', async () => {
      const system = await startSystem({ QSPOOL_BACKENDS: 'singlequdit' }, false);
      try {
        const config = { ...system.config, QSPOOL_BACKENDS: 'qubit', QSPOOL_QUBIT_MODE: 'verbatim' as const };
        expect(() => startSpoolers({ config, logger, storage: system.storage })).to.throw(/set QSPOOL_RUNTIME_QUBIT/);
      } finally {
        await system.stop();
      }
    });
  });

  describe('failures', () => {
    let root: string;
    let storage: LocalProvider;
    let lifecycle: JobLifecycle;
    let spooler: Spooler;
    const start = async (command: string, timeoutMs: number) => {
      const runtime = new ExternalRuntime('qubit', { command, timeoutMs, killGraceMs: 300 });
      spooler = new Spooler({ lifecycle, backend: withRuntime(createQubitBackend('verbatim'), runtime), providerName: 'alqor', logger, pollMs: 10 });
      await spooler.start();
    };
    const settled = (id: string) =>
      eventually(async () => {
        const found = await lifecycle.find('qubit', id);
        return found && ['DONE', 'ERROR', 'CANCELLED'].includes(found.value.state) ? found.value : undefined;
      }, 20_000);
    const submit = async (seed?: number): Promise<JobRecord> => settled((await lifecycle.enqueue({ backend: 'qubit', owner: 'u', payload: job(seed) })).id);

    beforeEach(async () => {
      root = await mkdtemp(join(tmpdir(), 'qspool-runtime-'));
      storage = new LocalProvider({ root, fsync: false });
      lifecycle = new JobLifecycle(storage, { leaseMs: 600 });
    });
    afterEach(async () => {
      await spooler.stop();
      await rm(root, { recursive: true, force: true });
    });

    it('ends each kind of failure with ERROR and a message saying which, records it, and carries on', async () => {
      // generous: the timeout is not what these cases test, and a loaded machine starts node slowly
      await start(`node '${MISBEHAVING}'`, 20_000);
      const cases: [number, RegExp, Partial<RuntimeRecord>][] = [
        // killed by a signal: reported directly, or by the shell as exit code 128 + 11
        [3, /^Execution failed: runtime qubit-\w+ (was stopped by SIGSEGV|exited with code 139 \(SIGSEGV\)): segfault in the laser driver/, { timedOut: false }],
        [4, /^Execution failed: runtime qubit-\w+ printed \["h","e",.*, not a result object$/, { exitCode: 0 }],
        [5, /^Execution failed: runtime qubit-\w+ exited with code 3: device busy$/, { exitCode: 3, stderrTail: 'device busy\n' }],
        [6, /^Execution failed: runtime qubit-\w+ result for experiment_0: "memory" must be a list of 10 strings/, { exitCode: 0 }],
        [7, /^Execution failed: runtime qubit-\w+ reported: laser unlocked$/, { exitCode: 0 }],
        [8, /^Execution failed: runtime qubit-\w+ printed no result JSON \(.+; stdout began "hello, this is not JSON"\)$/, { exitCode: 0 }],
      ];
      for (const [seed, message, recorded] of cases) {
        const record = await submit(seed);
        expect(record.state, `seed ${seed}`).to.equal('ERROR');
        expect(record.errorMessage, `seed ${seed}`).to.match(message);
        expect(record.meta!.runtime, `seed ${seed}`).to.include(recorded);
        expect((await lifecycle.getStatus('qubit', record.id))!.status).to.equal('ERROR');
      }
      const good = await submit();
      expect(good.state).to.equal('DONE');
      expect(((await lifecycle.getResult(good)) as { results: { data: { memory: string[] } }[] }).results[0]!.data.memory).to.deep.equal(new Array(10).fill('0'));
    });

    it('kills the whole process group of a runtime that outlives its timeout, and carries on', async () => {
      await start(`node '${MISBEHAVING}'`, 4000);
      const hung = await submit(1);
      expect(hung.errorMessage).to.match(/^Execution failed: runtime qubit-[0-9a-f]{12} did not finish within 4 s and was killed with its process group$/);
      expect(hung.meta!.runtime).to.include({ timedOut: true, signal: 'SIGTERM', exitCode: null });
      const record = await submit(2);
      const child = Number(/child (\d+)/.exec((record.meta!.runtime as RuntimeRecord).stderrTail)![1]);
      expect(record.errorMessage).to.match(new RegExp(`did not finish within 4 s and was killed with its process group: child ${child}$`));
      await eventually(async () => (isAlive(child) ? undefined : true), 5_000);
      expect((await submit()).state).to.equal('DONE');
    });

    it('kills the runtime at once when its job is cancelled, and the job ends CANCELLED', async () => {
      const pidFile = join(root, 'pids');
      await start(`PID_FILE='${pidFile}' node '${MISBEHAVING}'`, 30_000);
      const queued = await lifecycle.enqueue({ backend: 'qubit', owner: 'u', payload: job(2) });
      const child = await eventually(async () => Number((await readFile(pidFile, 'utf8').catch(() => '')).trim()) || undefined, 10_000);
      const asked = Date.now();
      await lifecycle.cancel('qubit', queued.id);
      expect((await settled(queued.id)).state).to.equal('CANCELLED');
      expect(Date.now() - asked).to.be.below(5_000);
      await eventually(async () => (isAlive(child) ? undefined : true), 5_000);
    });

    it('passes the job on stdin and its identity in the environment, but none of qspool\'s own settings', async () => {
      process.env.QSPOOL_TEST_PRIVATE = 'secret';
      try {
        const command = `node -e "process.stdout.write(JSON.stringify({ error: Object.keys(process.env).filter((k) => k.startsWith('QSPOOL_')).sort().join(',') }))"`;
        const runtime = new ExternalRuntime('qubit', { command, timeoutMs: 5000 });
        const outcome = await runtime.run('0123456789abcdef01234567', {});
        expect(outcome.failure).to.equal(`runtime ${runtime.id} reported: QSPOOL_BACKEND,QSPOOL_JOB_ID,QSPOOL_RUNTIME_ID,QSPOOL_TIMEOUT_MS`);
      } finally {
        delete process.env.QSPOOL_TEST_PRIVATE;
      }
    });
  });
});

describe('qspool spooler stopped while a runtime runs', function () {
  this.timeout(60_000);
  let dataDir: string;
  let pidFile: string;
  let qspool: QspoolProcess | undefined;

  /** `qspool spooler` for qubit jobs run by `runtime`, with one job queued; resolves with the runtime's group once it runs. */
  const startWithRunningJob = async (runtime: string, env: Record<string, string> = {}) => {
    const storage = new LocalProvider({ root: dataDir, fsync: false });
    await new JobLifecycle(storage).enqueue({ backend: 'qubit', owner: 'u', payload: job() });
    await storage.close();
    qspool = spawnQspool(['spooler', '--backend', 'qubit', '--storage', dataDir], {
      QSPOOL_FSYNC: 'false',
      QSPOOL_QUBIT_MODE: 'verbatim',
      QSPOOL_RUNTIME_QUBIT: `echo $$ > '${pidFile}'; ${runtime}`,
      LOG_LEVEL: 'info',
      ...env,
    });
    return eventually(async () => Number((await readFile(pidFile, 'utf8').catch(() => '')).trim()) || undefined, 30_000);
  };

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'qspool-spooler-'));
    pidFile = join(dataDir, 'runtime-pid');
  });
  afterEach(async () => {
    qspool?.kill();
    const left = Number((await readFile(pidFile, 'utf8').catch(() => '')).trim());
    if (left && isAlive(left)) process.kill(-left, 'SIGKILL');
    await rm(dataDir, { recursive: true, force: true });
  });

  /** The job's state namespace and record once the spooler has exited. */
  const queuedJobs = async () => {
    const storage = new LocalProvider({ root: dataDir, fsync: false });
    try {
      return await Promise.all((await storage.list(ns.queued('qubit'))).map(async (id) => (await storage.get<JobRecord>(ns.queued('qubit'), id))!.value));
    } finally {
      await storage.close();
    }
  };

  it('hands the running job back at once on a second Ctrl-C, stops its runtime and exits, well within the grace period', async () => {
    const group = await startWithRunningJob('exec sleep 60');
    qspool!.child.kill('SIGINT');
    await qspool!.line((line) => line.msg === 'shutting down');
    const hurried = Date.now();
    qspool!.child.kill('SIGINT');
    expect((await qspool!.exited).code, qspool!.output()).to.equal(0);
    // The grace period is 10 s; another spooler would have waited out the lease (30 s) for a job left running.
    expect(Date.now() - hurried).to.be.below(5_000);
    expect(qspool!.lines.some((line) => line.event === 'job.released')).to.equal(true);
    const queued = await queuedJobs();
    expect(queued.map((record) => record.state)).to.deep.equal(['QUEUED']);
    await eventually(async () => (isAlive(group) ? undefined : true), 5_000);
  });

  it('exits at once on a third Ctrl-C and kills the runtime\'s process group', async () => {
    const group = await startWithRunningJob(`trap '' TERM; exec sleep 60`);
    qspool!.child.kill('SIGINT');
    await qspool!.line((line) => line.msg === 'shutting down');
    qspool!.child.kill('SIGINT');
    await qspool!.line((line) => line.msg === 'handing running jobs back now; another signal exits at once');
    qspool!.child.kill('SIGINT');
    expect((await qspool!.exited).code, qspool!.output()).to.equal(130);
    await eventually(async () => (isAlive(group) ? undefined : true), 5_000);
  });

  it('kills a runtime that ignores SIGTERM once its job is handed back on shutdown, within the grace period and 2 s', async () => {
    // The spooler waits out its grace period for the job, then stops the runtime (SIGKILL 2 s after its ignored
    // SIGTERM) and hands the job back.
    const group = await startWithRunningJob(`trap '' TERM; exec sleep 60`, { QSPOOL_SHUTDOWN_GRACE_S: '1' });
    const stopped = Date.now();
    qspool!.child.kill('SIGTERM');
    expect((await qspool!.exited).code, qspool!.output()).to.equal(0);
    expect(Date.now() - stopped).to.be.within(3_000, 5_000);
    expect(qspool!.lines.some((line) => line.event === 'job.released')).to.equal(true);
    await eventually(async () => (isAlive(group) ? undefined : true), 5_000);
  });
});

describe('a command\'s Lifetime (what it started, stopped latest first)', () => {
  const part = (name: string, log: string[], starting: Promise<void> = Promise.resolve()) => ({
    start: async () => {
      await starting;
      log.push(`started ${name}`);
      return name;
    },
    stop: async (started: string) => {
      log.push(`stopped ${started}`);
    },
  });

  it('stops the parts that started, latest first, when one fails to start, and passes the failure on', async () => {
    const log: string[] = [];
    const lifetime = new Lifetime(logger);
    lifetime.add(async () => void log.push('closed storage'));
    const server = part('server', log);
    await lifetime.start(server.start, server.stop);
    const spoolers = part('spoolers', log);
    await lifetime.start(spoolers.start, spoolers.stop);
    const broken = lifetime.start(async () => Promise.reject(new Error('port in use')), async () => void log.push('stopped broken'));
    expect(await broken.then(() => 'started', (error: Error) => error.message)).to.equal('port in use');
    expect(log).to.deep.equal(['started server', 'started spoolers', 'stopped spoolers', 'stopped server', 'closed storage']);
  });

  it('on a stop during start-up, waits for the part starting, stops it too, and starts nothing more', async () => {
    const log: string[] = [];
    const lifetime = new Lifetime(logger);
    let proceed!: () => void;
    const slow = part('server', log, new Promise<void>((resolve) => (proceed = resolve)));
    const starting = lifetime.start(slow.start, slow.stop);
    const stopped = lifetime.stop();
    proceed();
    await stopped;
    expect(log).to.deep.equal(['started server', 'stopped server']);
    const later = part('spoolers', log);
    let wentOn = false;
    const goOn = () => (wentOn = true);
    for (const step of [starting, lifetime.start(later.start, later.stop)]) void step.then(goOn, goOn);
    // Every promise that could settle has settled by the next turn of the event loop.
    await new Promise((resolve) => setImmediate(resolve));
    expect(wentOn, 'start-up went on').to.equal(false);
    expect(log).to.deep.equal(['started server', 'stopped server']);
  });
});
