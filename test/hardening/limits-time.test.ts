// Issue 17, item 3: a job's wall-clock limit. The 233-byte multiqudit job below computes for minutes (phases of
// 1.57·10⁷ on two 60-atom wires); at its backend's time limit it ends ERROR, its simulation thread is really
// stopped, and the spooler takes the next job at once, whose clock starts once the new thread has loaded the backend.
import { expect } from 'chai';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { backendBound, ConfigError, loadConfig } from '../../config/index.ts';
import { createLogger } from '../../config/logger.ts';
import { multiqudit } from '../../spooler/backends/multiqudit/index.ts';
import { Spooler } from '../../spooler/spooler.ts';
import { JobLifecycle } from '../../storage/lifecycle.ts';
import { LocalProvider } from '../../storage/local/index.ts';
import { eventually } from '../support/system.ts';

const BACKEND = 'multiqudit';
const slowJob = {
  experiment_0: {
    instructions: [['load', [0], [60]], ['load', [1], [60]], ['multiqudit_full', [0, 1], [1.57e7, 1.57e7, 1.57e7, 1.57e7, 1.57e7]], ['measure', [0], []]],
    shots: 1,
    num_wires: 2,
    wire_order: 'interleaved',
  },
};
const quickJob = { experiment_0: { instructions: [['measure', [0], []]], shots: 3, num_wires: 1, wire_order: 'interleaved' } };

describe('the time limit of a job (issue 17, item 3)', function () {
  this.timeout(60_000);
  let root: string;
  let storage: LocalProvider;
  let spooler: Spooler | undefined;

  /** A spooler with a 1 s limit whose experiment thread builds the backend from `module`, as in production. */
  function timeLimited(lifecycle: JobLifecycle, module: string): Spooler {
    return new Spooler({
      lifecycle,
      backend: multiqudit,
      providerName: 'alqor',
      logger: createLogger('silent'),
      pollMs: 20,
      timeLimitS: 1,
      isolate: { module: new URL(module, import.meta.url).href, exportName: 'createBackend', args: [BACKEND, {}] },
    });
  }

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'qspool-time-limit-'));
    storage = new LocalProvider({ root, fsync: false });
  });
  afterEach(async () => {
    await spooler?.stop();
    spooler = undefined;
  });
  after(async () => {
    await storage.close();
    await rm(root, { recursive: true, force: true });
  });

  it('ends a job over its limit ERROR, stops its simulation and takes the next job within a second', async () => {
    const lifecycle = new JobLifecycle(storage, { leaseMs: 2000 });
    spooler = timeLimited(lifecycle, '../../spooler/backends/index.ts');
    expect(spooler.config.limits?.time_limit_s).to.equal(1);
    await spooler.start();
    const slow = await lifecycle.enqueue({ backend: BACKEND, owner: 'u', payload: slowJob });
    const quick = await lifecycle.enqueue({ backend: BACKEND, owner: 'u', payload: quickJob });
    const status = (id: string) => lifecycle.getStatus(BACKEND, id);

    await eventually(async () => ((await status(slow.id))?.status === 'RUNNING' ? true : undefined), 20_000, 10);
    const running = Date.now();
    const failed = await eventually(async () => {
      const current = await status(slow.id);
      return current?.status === 'ERROR' ? current : undefined;
    }, 10_000, 10);
    const failedAt = Date.now();
    expect(failed.error_message).to.equal('time limit of 1 s exceeded');
    expect(failedAt - running).to.be.within(900, 3000);

    await eventually(async () => ((await status(quick.id))?.status !== 'QUEUED' ? true : undefined), 5000, 10);
    expect(Date.now() - failedAt, 'the next job is claimed within a second').to.be.below(1000);
    await eventually(async () => ((await status(quick.id))?.status === 'DONE' ? true : undefined), 20_000);

    // A simulation still computing in a forgotten thread would burn about a core; the process is idle instead.
    const before = process.cpuUsage();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const used = process.cpuUsage(before);
    expect((used.user + used.system) / 1000, 'CPU milliseconds in the idle second').to.be.below(500);
  });

  it('starts a job\'s clock once the new thread has loaded the backend, so a quick job after a stopped one runs to DONE', async () => {
    // The backend takes 1.5 s to load, longer than the limit: the quick job used to end ERROR before it had run.
    const lifecycle = new JobLifecycle(storage, { leaseMs: 2000 });
    spooler = timeLimited(lifecycle, '../fixtures/slow-loading-backends.ts');
    await spooler.start();
    const slow = await lifecycle.enqueue({ backend: BACKEND, owner: 'u', payload: slowJob });
    const quick = await lifecycle.enqueue({ backend: BACKEND, owner: 'u', payload: quickJob });
    const ended = (id: string) =>
      eventually(async () => {
        const status = await lifecycle.getStatus(BACKEND, id);
        return status && ['DONE', 'ERROR', 'CANCELLED'].includes(status.status) ? status : undefined;
      }, 30_000, 20);
    expect((await ended(slow.id)).error_message).to.equal('time limit of 1 s exceeded');
    const next = await ended(quick.id);
    expect(next.status, next.error_message).to.equal('DONE');
  });

  it('takes the limit from the environment, per backend over the global one, validated', () => {
    const config = loadConfig({ QSPOOL_JOB_TIME_LIMIT_S: '30', QSPOOL_JOB_TIME_LIMIT_S_MULTIQUDIT: '600' });
    expect(backendBound(config, 'QSPOOL_JOB_TIME_LIMIT_S', 'multiqudit')).to.equal(600);
    expect(backendBound(config, 'QSPOOL_JOB_TIME_LIMIT_S', 'singlequdit')).to.equal(30);
    expect(backendBound(loadConfig({}), 'QSPOOL_JOB_TIME_LIMIT_S', 'singlequdit')).to.equal(60);
    expect(() => loadConfig({ QSPOOL_JOB_TIME_LIMIT_S: '0' })).to.throw(ConfigError);
    expect(() => loadConfig({ QSPOOL_MAX_SAMPLES_FERMIONS: 'many' })).to.throw(ConfigError);
  });
});
