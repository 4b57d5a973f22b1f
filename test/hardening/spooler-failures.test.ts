// The spooler under failures of the code it runs and of the storage it writes to: every acknowledged job ends in a
// final state with a message saying why, at once, and runs once.
import { expect } from 'chai';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../../config/logger.ts';
import { Spooler, type SpoolerOptions } from '../../spooler/spooler.ts';
import { JobLifecycle } from '../../storage/lifecycle.ts';
import { LocalProvider } from '../../storage/local/index.ts';
import type { StatusRecord } from '../../storage/records.ts';
import { MISBEHAVING_BACKEND_MODULE, misbehavingBackend, type Misbehaviour } from '../crash/test-backends.ts';
import { eventually } from '../support/system.ts';

const BACKEND = 'singlequdit';
const job = { experiment_0: { instructions: [['measure', [0], []]], shots: 2, num_wires: 1, wire_order: 'interleaved' } };
const logger = createLogger('silent');

describe('the spooler under failures', function () {
  this.timeout(30_000);
  let root: string;
  let storage: LocalProvider;
  let lifecycle: JobLifecycle;
  const spoolers: Spooler[] = [];

  const start = async (options: Partial<SpoolerOptions> & Pick<SpoolerOptions, 'backend'>) => {
    const spooler = new Spooler({ lifecycle, providerName: 'alqor', logger, pollMs: 10, ...options });
    spoolers.push(spooler);
    await spooler.start();
    return spooler;
  };
  const finished = (id: string, within = 10_000) =>
    eventually(async () => {
      const status = await lifecycle.getStatus(BACKEND, id);
      return status && ['DONE', 'ERROR', 'CANCELLED'].includes(status.status) ? status : undefined;
    }, within, 10) as Promise<StatusRecord>;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'qspool-spooler-failures-'));
    storage = new LocalProvider({ root, fsync: false });
    lifecycle = new JobLifecycle(storage, { leaseMs: 500 });
  });
  afterEach(async () => {
    await Promise.all(spoolers.splice(0).map((s) => s.stop()));
    await storage.close();
    await rm(root, { recursive: true, force: true });
  });

  describe('an experiment that throws something that is no Error', () => {
    const cases: [Misbehaviour, string][] = [
      ['throw-null', 'Execution failed: threw null'],
      ['throw-string', 'Execution failed: threw laser unlocked'],
      ['throw-bare-object', 'Execution failed: threw {"code":7}'],
    ];
    for (const [misbehaviour, message] of cases) {
      it(`ends its job ERROR on its first attempt, quoting it (${misbehaviour}, on the spooler's thread and in the experiment thread)`, async () => {
        for (const isolate of [undefined, { module: MISBEHAVING_BACKEND_MODULE, exportName: 'misbehavingBackend', args: [misbehaviour] }]) {
          const spooler = await start({ backend: misbehavingBackend(misbehaviour), ...(isolate ? { isolate } : {}) });
          const { id } = await lifecycle.enqueue({ backend: BACKEND, owner: 'u', payload: job });
          const status = await finished(id);
          expect(status, isolate ? 'in the thread' : 'on the spooler thread').to.include({ status: 'ERROR', error_message: message, attempts: 1 });
          await spooler.stop();
          spoolers.splice(spoolers.indexOf(spooler), 1);
        }
      });
    }

    it('names data the experiment thread cannot send back instead of crashing the thread without a message', async () => {
      await start({
        backend: misbehavingBackend('uncloneable-data'),
        isolate: { module: MISBEHAVING_BACKEND_MODULE, exportName: 'misbehavingBackend', args: ['uncloneable-data'] },
      });
      const { id } = await lifecycle.enqueue({ backend: BACKEND, owner: 'u', payload: job });
      const status = await finished(id);
      expect(status.status).to.equal('ERROR');
      expect(status.error_message).to.match(/^Execution failed: its data cannot leave the experiment thread: .*could not be cloned/);
    });
  });
});
