// The spooler under failures of the code it runs and of the storage it writes to: every acknowledged job ends in a
// final state with a message saying why, at once, and runs once.
import { expect } from 'chai';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../../config/logger.ts';
import { RETRY_DEFAULTS } from '../../config/index.ts';
import { StorageUnavailableError } from '../../schemas/errors.ts';
import type { BackendDefinition } from '../../spooler/backend.ts';
import { singlequdit } from '../../spooler/backends/singlequdit/index.ts';
import { createQubitBackend } from '../../spooler/backends/qubit/index.ts';
import { ExternalRuntime, withRuntime } from '../../spooler/runtime/index.ts';
import { Spooler, type SpoolerOptions } from '../../spooler/spooler.ts';
import { JobLifecycle } from '../../storage/lifecycle.ts';
import { LocalProvider } from '../../storage/local/index.ts';
import type { StorageProvider } from '../../storage/contract.ts';
import { ns, type StatusRecord } from '../../storage/records.ts';
import { withoutTransactions } from '../support/stepwise.ts';
import { MISBEHAVING_BACKEND_MODULE, misbehavingBackend, type Misbehaviour } from '../crash/test-backends.ts';
import { eventually } from '../support/system.ts';

const BACKEND = 'singlequdit';
const job = { experiment_0: { instructions: [['measure', [0], []]], shots: 2, num_wires: 1, wire_order: 'interleaved' } };
const logger = createLogger('silent');
/** Retried at once, so a test sees a job taken back from a lapsed lease run again without waiting. */
const retry = { ...RETRY_DEFAULTS, base_delay_ms: 0 };

/** A backend whose experiments take `ms`, honouring checkpoints, and that counts the runs and the most at once. */
function countingBackend(ms: number) {
  const runs = { started: 0, running: 0, most: 0 };
  const backend: BackendDefinition = {
    ...singlequdit,
    async runExperiment(_name, experiment, context) {
      runs.started += 1;
      runs.running += 1;
      runs.most = Math.max(runs.most, runs.running);
      try {
        for (const until = Date.now() + ms; Date.now() < until; ) {
          context.checkpoint();
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
      } finally {
        runs.running -= 1;
      }
      return { memory: new Array<string>(experiment.shots).fill('0'), instructions: null };
    },
  };
  return { backend, runs };
}

/** `storage` whose `operations` fail as unavailable while `when` says so of their first argument (a namespace). */
function failing(storage: StorageProvider, operations: ('replace' | 'put' | 'move' | 'transaction')[], when: (first: unknown) => boolean): StorageProvider {
  const wrapped = operations.map((operation) => {
    const original = (storage[operation] as (...args: unknown[]) => Promise<unknown>).bind(storage);
    const value = (first: unknown, ...rest: unknown[]) =>
      when(first) ? Promise.reject(new StorageUnavailableError('the store is unreachable')) : original(first, ...rest);
    return [operation, { value }] as const;
  });
  return Object.create(storage, Object.fromEntries(wrapped)) as StorageProvider;
}

/** One rotation as text, for the qubit backend's external runtime. */
const QUBIT_JOB = { backend: 'qubit', owner: 'u', payload: { experiment_0: { instructions: 'X(90)', shots: 1, num_wires: 1, wire_order: 'sequential' } } };

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
  const finished = (id: string, within = 10_000, backend = BACKEND) =>
    eventually(async () => {
      const status = await lifecycle.getStatus(backend, id);
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

  describe('storage trouble while a job runs', () => {
    it('stops a job whose lease lapsed by its own clock while renewals failed, so it never runs twice at once', async () => {
      const { backend, runs } = countingBackend(3000);
      let partitioned = false;
      const cut = failing(storage, ['replace', 'transaction'], () => partitioned);
      const isolated = await start({ backend, lifecycle: new JobLifecycle(cut, { leaseMs: 500 }), retry });
      const { id } = await lifecycle.enqueue({ backend: BACKEND, owner: 'u', payload: job });
      await eventually(async () => (runs.started === 1 ? true : undefined), 10_000, 5);
      // Cut off from storage (its renewals fail), the spooler computes on while another one reaps its lease and
      // runs the job again.
      partitioned = true;
      await start({ backend, retry });
      const status = await finished(id);
      expect(status).to.include({ status: 'DONE', attempts: 2 });
      expect(runs.started).to.equal(2);
      expect(runs.most, 'the job ran on two spoolers at once').to.equal(1);
      await isolated.stop();
      spoolers.splice(spoolers.indexOf(isolated), 1);
    });

    it('keeps a job whose renewals are slow to be acknowledged but land within the lease', async () => {
      const { backend, runs } = countingBackend(3000);
      // Every renewal is written at once but acknowledged 600 ms later: one is always in flight at 90 % of the lease.
      // (A 500 ms lease left a loaded CI machine's event loop 200 ms of slack, and the lease lapsed once.)
      const slow = Object.create(storage, {
        replace: {
          value: async (...args: Parameters<StorageProvider['replace']>) => {
            const version = await storage.replace(...args);
            await new Promise((resolve) => setTimeout(resolve, 600));
            return version;
          },
        },
      }) as StorageProvider;
      await start({ backend, lifecycle: new JobLifecycle(slow, { leaseMs: 1000 }), retry });
      const { id } = await lifecycle.enqueue({ backend: BACKEND, owner: 'u', payload: job });
      expect(await finished(id)).to.include({ status: 'DONE', attempts: 1 });
      expect(runs.started).to.equal(1);
    });

    it('gives a result the store keeps refusing up after a lease\'s time, so the job ends under its retry policy instead of holding the spooler', async () => {
      const { backend, runs } = countingBackend(10);
      const refusing = failing(withoutTransactions(storage), ['put'], (namespace) => namespace === ns.results(BACKEND));
      lifecycle = new JobLifecycle(refusing, { leaseMs: 300 });
      await start({ backend, retry, pollMs: 10 });
      const { id } = await lifecycle.enqueue({ backend: BACKEND, owner: 'u', payload: job });
      const status = await finished(id, 20_000);
      expect(status).to.include({ status: 'ERROR', attempts: 3 });
      expect(runs.started).to.equal(3);
    });

    it('retries publishing a result the store refused while the lease holds, instead of running the job again', async () => {
      const { backend, runs } = countingBackend(50);
      let refusals = 2;
      const flaky = failing(withoutTransactions(storage), ['put'], (namespace) => namespace === ns.results(BACKEND) && refusals-- > 0);
      lifecycle = new JobLifecycle(flaky, { leaseMs: 500 });
      await start({ backend, retry });
      const { id } = await lifecycle.enqueue({ backend: BACKEND, owner: 'u', payload: job });
      const status = await finished(id);
      expect(status).to.include({ status: 'DONE', attempts: 1 });
      expect(runs.started).to.equal(1);
    });
  });

  it('stops promptly when told to while a claim fails, without first waiting out the backoff', async () => {
    let failing = false;
    let claiming: () => void = () => undefined;
    const down = Object.create(storage, {
      transaction: {
        value: (...args: Parameters<NonNullable<StorageProvider['transaction']>>) => {
          if (!failing) return storage.transaction!(...args);
          claiming();
          return new Promise((_, reject) => setTimeout(() => reject(new StorageUnavailableError('the store is unreachable')), 300));
        },
      },
    }) as StorageProvider;
    const spooler = new Spooler({ lifecycle: new JobLifecycle(down), backend: singlequdit, providerName: 'alqor', logger, pollMs: 1000 });
    await spooler.start();
    failing = true;
    await new Promise<void>((resolve) => (claiming = resolve));
    const asked = Date.now();
    await spooler.stop();
    expect(Date.now() - asked, 'ms the stop took').to.be.below(900);
  });

  describe('storage trouble while an external runtime\'s run is recorded', () => {
    it('records the run again rather than giving the job up to run it a second time on the device', async () => {
      const runs = join(root, 'runs');
      const runtime = new ExternalRuntime('qubit', {
        command: `echo run >> '${runs}'; printf '{"results": {"experiment_0": {"memory": ["0"]}}}'`,
        timeoutMs: 10_000,
      });
      // The first write to the running job after its claim is the note recording the run (renewals come later).
      let refusals = 1;
      const flaky = failing(storage, ['replace'], (namespace) => namespace === ns.running('qubit') && refusals-- > 0);
      lifecycle = new JobLifecycle(flaky, { leaseMs: 2000 });
      await start({ backend: withRuntime(createQubitBackend('verbatim'), runtime), retry });
      const { id } = await lifecycle.enqueue(QUBIT_JOB);
      const status = await finished(id, 20_000, 'qubit');
      expect(status).to.include({ status: 'DONE', attempts: 1 });
      expect((await readFile(runs, 'utf8')).trim().split('\n')).to.have.length(1);
      expect((await lifecycle.find('qubit', id))!.value.meta!.runtime).to.include({ exitCode: 0 });
    });
  });

  describe('storage trouble while a failed run is recorded', () => {
    it('records the failure again rather than leaving the job to its lease\'s expiry and running it a second time', async () => {
      const runs = join(root, 'runs');
      const runtime = new ExternalRuntime('qubit', { command: `echo run >> '${runs}'; echo 'laser unlocked' >&2; exit 3`, timeoutMs: 10_000 });
      let refusals = 1;
      const flaky = failing(withoutTransactions(storage), ['move'], (namespace) => namespace === ns.running('qubit') && refusals-- > 0);
      lifecycle = new JobLifecycle(flaky, { leaseMs: 1000 });
      await start({ backend: withRuntime(createQubitBackend('verbatim'), runtime), retry });
      const status = await finished((await lifecycle.enqueue(QUBIT_JOB)).id, 20_000, 'qubit');
      expect(status).to.include({ status: 'ERROR', attempts: 1 });
      expect(status.error_message).to.match(/exited with code 3: laser unlocked$/);
      expect((await readFile(runs, 'utf8')).trim().split('\n')).to.have.length(1);
    });
  });

  describe('an experiment thread that cannot load its backend', () => {
    it('fails the start, naming why, before the spooler publishes its config or takes a job', async () => {
      const spooler = new Spooler({
        lifecycle,
        backend: misbehavingBackend('throw-null'),
        providerName: 'alqor',
        logger,
        pollMs: 10,
        isolate: { module: MISBEHAVING_BACKEND_MODULE, exportName: 'noSuchBackend' },
      });
      const { id } = await lifecycle.enqueue({ backend: BACKEND, owner: 'u', payload: job });
      const error = await spooler.start().then(() => expect.fail('the spooler started'), (failure: unknown) => failure as Error);
      expect(error.message).to.match(/^the experiment thread could not load the backend: .*has no backend noSuchBackend$/);
      await spooler.stop();
      expect(await storage.get(ns.configs, BACKEND)).to.equal(undefined);
      expect((await lifecycle.getStatus(BACKEND, id))!.status).to.equal('QUEUED');
    });

    it('leaves jobs queued, not ERROR, while a new thread cannot load it, and runs them once it can', async () => {
      const missing = join(root, 'driver-missing');
      await start({
        backend: misbehavingBackend('throw-null'),
        isolate: { module: MISBEHAVING_BACKEND_MODULE, exportName: 'fragileBackend', args: [missing] },
      });
      const first = await lifecycle.enqueue({ backend: BACKEND, owner: 'u', payload: job });
      expect((await finished(first.id)).status).to.equal('DONE');
      await writeFile(missing, '');
      // Ends its thread: the next experiment needs a new one, which cannot load the backend now.
      const crash = await lifecycle.enqueue({ backend: BACKEND, owner: 'u', payload: { experiment_0: { ...job.experiment_0, shots: 1 } } });
      expect((await finished(crash.id)).error_message).to.equal('Execution failed: the experiment thread exited with code 1');
      const { id } = await lifecycle.enqueue({ backend: BACKEND, owner: 'u', payload: job });
      // Claimed once and handed back (attempt not counted, its history saying why), then left in the queue, untouched,
      // while the spooler backs off.
      const handedBack = 'Handed back: the spooler could not load its backend to run it.';
      await eventually(async () => ((await lifecycle.getStatus(BACKEND, id))?.detail.includes(handedBack) ? true : undefined), 10_000, 10);
      for (const until = Date.now() + 1500; Date.now() < until; await new Promise((resolve) => setTimeout(resolve, 50))) {
        expect((await lifecycle.getStatus(BACKEND, id))!).to.include({ status: 'QUEUED', attempts: 0 });
      }
      await rm(missing);
      expect(await finished(id, 40_000)).to.include({ status: 'DONE', attempts: 1 });
    });
  });
});

