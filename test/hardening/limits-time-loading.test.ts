// A job's time limit counts its run, not the loading of the backend into the thread that replaced the one a time
// limit stopped: with a backend that takes longer to load than the limit, the job after a stopped one used to end
// ERROR "time limit of 1 s exceeded" before it had run at all.
import { expect } from 'chai';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../../config/logger.ts';
import { multiqudit } from '../../spooler/backends/multiqudit/index.ts';
import { Spooler } from '../../spooler/spooler.ts';
import { JobLifecycle } from '../../storage/lifecycle.ts';
import { LocalProvider } from '../../storage/local/index.ts';
import { eventually } from '../support/system.ts';

const BACKEND = 'multiqudit';
// Phases of 1.57·10⁷ on two 60-atom wires: minutes of computing.
const slowJob = {
  experiment_0: {
    instructions: [['load', [0], [60]], ['load', [1], [60]], ['multiqudit_full', [0, 1], [1.57e7, 1.57e7, 1.57e7, 1.57e7, 1.57e7]], ['measure', [0], []]],
    shots: 1,
    num_wires: 2,
    wire_order: 'interleaved',
  },
};
const quickJob = { experiment_0: { instructions: [['measure', [0], []]], shots: 3, num_wires: 1, wire_order: 'interleaved' } };

describe('the time limit of the job after one stopped at its limit', function () {
  this.timeout(60_000);
  let root: string;
  let storage: LocalProvider;
  let spooler: Spooler | undefined;

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'qspool-time-limit-loading-'));
    storage = new LocalProvider({ root, fsync: false });
  });
  after(async () => {
    await spooler?.stop();
    await storage.close();
    await rm(root, { recursive: true, force: true });
  });

  it('starts once the new thread has loaded the backend, so a quick job runs to DONE', async () => {
    const lifecycle = new JobLifecycle(storage, { leaseMs: 2000 });
    spooler = new Spooler({
      lifecycle,
      backend: multiqudit,
      providerName: 'alqor',
      logger: createLogger('silent'),
      pollMs: 20,
      timeLimitS: 1,
      isolate: { module: new URL('../fixtures/slow-loading-backends.ts', import.meta.url).href, exportName: 'createBackend', args: [BACKEND, {}] },
    });
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
});
