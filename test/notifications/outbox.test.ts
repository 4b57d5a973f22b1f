// The job-event outbox and its dispatcher: one event per state change, written by the transition's winner only, a
// change whose publisher died recorded by the next one, and exactly one dispatching server among several.
import { expect } from 'chai';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { StorageUnavailableError } from '../../schemas/errors.ts';
import { DeliveryStore } from '../../server/notifications/deliveries.ts';
import { Dispatcher } from '../../server/notifications/dispatcher.ts';
import { scanEvents, type OutboxEntry } from '../../server/notifications/outbox.ts';
import { DeliveryWorker } from '../../server/notifications/worker.ts';
import type { StorageProvider } from '../../storage/contract.ts';
import { jobIdTime, newJobId } from '../../storage/keys.ts';
import { JobLifecycle } from '../../storage/lifecycle.ts';
import { DISPATCH_NS } from '../../storage/namespaces.ts';
import { LocalProvider } from '../../storage/local/index.ts';
import { type JobEvent, ns } from '../../storage/records.ts';
import { withoutTransactions } from '../support/stepwise.ts';
import { eventually } from './support.ts';

const BACKEND = 'outbox';

/** The store as a process whose clock is `ms` behind writes the dispatcher's lease: expiring that much earlier. */
function clockBehind(storage: StorageProvider, ms: number): StorageProvider {
  const shifted = (namespace: string, value: unknown) =>
    namespace === DISPATCH_NS && value !== null && typeof value === 'object' && 'expiresAt' in value ? { ...value, expiresAt: Number(value.expiresAt) - ms } : value;
  return new Proxy(storage, {
    get(target, property, receiver) {
      if (property === 'put') return (namespace: string, key: string, value: unknown, options?: object) => target.put(namespace, key, shifted(namespace, value), options);
      if (property === 'replace') return (namespace: string, key: string, value: unknown, version: string) => target.replace(namespace, key, shifted(namespace, value), version);
      const member = Reflect.get(target, property, receiver) as unknown;
      return typeof member === 'function' ? (member as (...args: unknown[]) => unknown).bind(target) : member;
    },
  });
}
const silent = pino({ level: 'silent' });

describe('the job-event outbox', function () {
  this.timeout(20_000);
  let root: string;
  let storage: LocalProvider;
  let clock: number;
  const lifecycle = (store: StorageProvider = storage) => new JobLifecycle(store, { leaseMs: 1000, maxAttempts: 2, now: () => clock });
  const events = async () => {
    const keys = await storage.list(ns.events);
    return Promise.all(keys.map(async (key) => (await storage.get<JobEvent>(ns.events, key))!.value));
  };
  const summary = (list: JobEvent[]) => list.map((e) => `${e.seq} ${e.state}${e.requeued ? ' requeued' : ''}`);

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'qspool-outbox-'));
    storage = new LocalProvider({ root, fsync: false });
    clock = Date.now();
  });
  afterEach(async () => {
    await storage.close();
    await rm(root, { recursive: true, force: true });
  });

  it('records every state change once, in order: QUEUED, RUNNING, DONE, ERROR, CANCELLED and requeues', async () => {
    const jobs = lifecycle();
    const a = await jobs.enqueue({ backend: BACKEND, owner: 'u', payload: {}, meta: { notify: { email: ['DONE'] } } });
    await jobs.complete((await jobs.claim(BACKEND, 's1'))!, { ok: true });
    const b = await jobs.enqueue({ backend: BACKEND, owner: 'u', payload: {} });
    await jobs.fail((await jobs.claim(BACKEND, 's1'))!, 'broken');
    const c = await jobs.enqueue({ backend: BACKEND, owner: 'u', payload: {} });
    await jobs.cancel(BACKEND, c.id);
    const d = await jobs.enqueue({ backend: BACKEND, owner: 'u', payload: {} });
    await jobs.release((await jobs.claim(BACKEND, 's1'))!);
    await jobs.claim(BACKEND, 's2');
    clock += 1001;
    await jobs.requeueExpired(BACKEND);
    const all = await events();
    const of = (id: string) => summary(all.filter((e) => e.jobId === id));
    expect(of(a.id)).to.deep.equal(['1 QUEUED', '2 RUNNING', '3 DONE']);
    expect(of(b.id)).to.deep.equal(['1 QUEUED', '2 RUNNING', '3 ERROR']);
    expect(of(c.id)).to.deep.equal(['1 QUEUED', '2 CANCELLED']);
    expect(of(d.id)).to.deep.equal(['1 QUEUED', '2 RUNNING', '3 QUEUED requeued', '4 RUNNING', '5 QUEUED requeued']);
    const done = all.find((e) => e.jobId === a.id && e.state === 'DONE')!;
    expect(done).to.include({ id: `${a.id}-3`, backend: BACKEND, owner: 'u', detail: 'Done.', errorMessage: null });
    expect(done.notify).to.deep.equal({ email: ['DONE'] });
    expect(all.find((e) => e.jobId === b.id && e.state === 'ERROR')!.errorMessage).to.equal('broken');
  });

  it('gives the event loop a turn between the pages of a scan from far back (a resume from an old Last-Event-ID)', async () => {
    const stored = Array.from({ length: 2_600 }, () => newJobId());
    for (const key of stored) await storage.put(ns.events, key, { jobId: key, seq: 1, state: 'QUEUED' });
    let turns = 0;
    const ticker = setInterval(() => (turns += 1), 0);
    const scan = await scanEvents(storage, '', () => true).finally(() => clearInterval(ticker));
    expect([scan.entries.length, scan.complete]).to.deep.equal([2_600, true]);
    // Six pages of 500: other work ran between them, not only once the whole scan was done.
    expect(turns).to.be.greaterThanOrEqual(4);
  });

  it('lets only the winner of a race record it: 8 racing claims give one RUNNING event; a stale publish none', async () => {
    const jobs = lifecycle();
    const { id } = await jobs.enqueue({ backend: BACKEND, owner: 'u', payload: {} });
    const claims = await Promise.all(Array.from({ length: 8 }, (_, i) => jobs.claim(BACKEND, `s${i}`)));
    const winner = claims.find(Boolean)!;
    await jobs.complete(winner, {});
    await jobs.publishStatus(winner.record);
    expect(summary(await events())).to.deep.equal(['1 QUEUED', '2 RUNNING', '3 DONE']);
    expect((await events()).every((e) => e.jobId === id)).to.equal(true);
  });

  it('records a change whose publisher died right after the move, when the next change is published (providers without transactions)', async () => {
    let failEvents = false;
    // On a provider with transactions the move and its event commit together; this is the stepwise path's repair.
    const stepwise = withoutTransactions(storage);
    const dying: StorageProvider = Object.create(stepwise, {
      put: {
        value: (namespace: string, key: string, value: unknown, options?: { ifAbsent?: boolean }) => {
          if (failEvents && namespace === ns.events) return Promise.reject(new StorageUnavailableError('the process died here'));
          return storage.put(namespace, key, value, options);
        },
      },
    }) as StorageProvider;
    const { id } = await lifecycle(stepwise).enqueue({ backend: BACKEND, owner: 'u', payload: {} });
    failEvents = true;
    // The claim's move succeeds; its event write dies (the claim may report it, or publish in the background).
    const doomed = lifecycle(dying);
    await doomed.claim(BACKEND, 'doomed').catch(() => undefined);
    await doomed.getStatus(BACKEND, id).catch(() => undefined);
    expect(summary(await events())).to.deep.equal(['1 QUEUED']);
    clock += 1001;
    expect(await lifecycle(stepwise).requeueExpired(BACKEND)).to.deep.equal([id]);
    expect(summary(await events())).to.deep.equal(['1 QUEUED', '2 RUNNING', '3 QUEUED requeued']);
  });

  describe('dispatcher', () => {
    const dispatcher = (holder: string, seen: { holder: string; key: string }[], settleMs = 100, store: StorageProvider = storage) => {
      const deliveries = new DeliveryStore(storage);
      const worker = new DeliveryWorker(deliveries, async () => ({ drop: 'unused', log: false }), { baseMs: 10, maxMs: 10, retryMs: 10 }, silent, { claimMs: 1000 });
      return new Dispatcher(store, {
        holder,
        leaseMs: 600,
        pollMs: 20,
        settleMs,
        retentionMs: 60_000,
        fanOut: async (entry: OutboxEntry) => void seen.push({ holder, key: entry.key }),
        worker,
        log: silent,
      });
    };

    it('has exactly one of several servers dispatch, each event once, and hands over when it stops', async () => {
      const seen: { holder: string; key: string }[] = [];
      const jobs = lifecycle();
      const servers = [dispatcher('a', seen), dispatcher('b', seen), dispatcher('c', seen)];
      servers.forEach((server) => server.start());
      for (let i = 0; i < 10; i += 1) await jobs.enqueue({ backend: BACKEND, owner: 'u', payload: { i } });
      await eventually(async () => (seen.length >= 10 ? true : undefined));
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(seen).to.have.length(10);
      expect(new Set(seen.map((s) => s.key)).size).to.equal(10);
      const leaders = servers.filter((server) => server.leading);
      expect(leaders).to.have.length(1);
      expect(new Set(seen.map((s) => s.holder)).size).to.equal(1);

      await leaders[0]!.close();
      for (let i = 0; i < 5; i += 1) await jobs.enqueue({ backend: BACKEND, owner: 'u', payload: { i } });
      await eventually(async () => (seen.length >= 15 ? true : undefined));
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(new Set(seen.map((s) => s.key)).size).to.equal(15);
      expect(seen.slice(10).every((s) => s.holder !== seen[0]!.holder)).to.equal(true);
      await Promise.all(servers.map((server) => server.close()));
    });

    it('keeps one dispatcher when the holder\'s clock runs an hour behind another server\'s, and hands over when it dies', async () => {
      const holder = dispatcher('a', [], 100, clockBehind(storage, 3600_000));
      holder.start();
      await eventually(async () => holder.leading || undefined);
      const ahead = dispatcher('b', []);
      ahead.start();
      let aheadLed = false;
      // Three leases: the holder renews throughout, so its lease never looks abandoned.
      for (const end = Date.now() + 1800; Date.now() < end; ) {
        aheadLed ||= ahead.leading;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      expect(aheadLed, 'the other server dispatched too').to.equal(false);
      expect(holder.leading, 'the holder still dispatches').to.equal(true);

      // Stopped without handing the lease on, as a killed process does.
      await holder.close().catch(() => undefined);
      await storage.put(DISPATCH_NS, 'lease', { holder: 'a', expiresAt: Date.now() + 600 });
      await eventually(async () => ahead.leading || undefined, 5000);
      await ahead.close();
    });

    it('dispatches an event that becomes visible behind keys it already read, within the settle window', async () => {
      const seen: { holder: string; key: string }[] = [];
      const server = dispatcher('a', seen);
      server.start();
      const jobs = lifecycle();
      const first = await jobs.enqueue({ backend: BACKEND, owner: 'u', payload: {} });
      await eventually(async () => (seen.length >= 1 ? true : undefined));
      // Another process's event, keyed by its clock a few milliseconds before the one already dispatched.
      const late = `${newJobId(jobIdTime(first.id) - 5).slice(0, 12)}${'0'.repeat(12)}`;
      await storage.put(ns.events, late, { ...(await events())[0]!, id: `${late}-1`, jobId: late });
      await eventually(async () => (seen.some((s) => s.key === late) ? true : undefined));
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(seen.map((s) => s.key).sort()).to.deep.equal([late, (await storage.list(ns.events)).find((key) => key !== late)].sort());
      await server.close();
    });

    it('prunes expired events its cursor passed a bounded step at a time, keeping the lease throughout, and keeps the rest', async function () {
      this.timeout(60_000);
      const { id } = await lifecycle().enqueue({ backend: BACKEND, owner: 'u', payload: {} });
      const [recent] = await storage.list(ns.events);
      const template = (await events())[0]!;
      // Older than the retention (60 s below); a hand-made key, as newJobId never goes back in time.
      const old = (Date.now() - 120_000).toString(16).padStart(12, '0');
      const expired = Array.from({ length: 3000 }, (_, n) => `${old}${n.toString(16).padStart(12, '0')}`);
      await storage.transaction((tx) => {
        for (const key of expired) tx.put(ns.events, key, { ...template, id: `${key}-1`, jobId: key });
      });
      // A remote store's deletes: 2 ms each (S3 takes 10 or more), 6 s in all, three leases.
      const slow: StorageProvider = Object.create(storage, {
        delete: {
          value: async (namespace: string, key: string, version?: string) => {
            if (namespace === ns.events) await new Promise((resolve) => setTimeout(resolve, 2));
            return storage.delete(namespace, key, version);
          },
        },
      }) as StorageProvider;
      const seen: string[] = [];
      const make = (holder: string) =>
        new Dispatcher(slow, {
          holder,
          leaseMs: 2000,
          pollMs: 20,
          settleMs: 100,
          retentionMs: 60_000,
          fanOut: async (entry: OutboxEntry) => void seen.push(`${holder} ${entry.key}`),
          worker: new DeliveryWorker(new DeliveryStore(slow), async () => ({ drop: 'unused', log: false }), { baseMs: 10, maxMs: 10, retryMs: 10 }, silent, { claimMs: 1000 }),
          log: silent,
        });
      const [a, b] = [make('a'), make('b')];
      a.start();
      await eventually(async () => (a.leading ? true : undefined));
      b.start();
      let bLed = false;
      const watch = setInterval(() => (bLed ||= b.leading), 10);
      try {
        await eventually(async () => ((await storage.list(ns.events, { limit: 5000 })).length === 1 ? true : undefined), 30_000, 50);
      } finally {
        clearInterval(watch);
        await Promise.all([a.close(), b.close()]);
      }
      expect(bLed, 'another server took the lease during the prune').to.equal(false);
      expect(await storage.list(ns.events)).to.deep.equal([recent]);
      expect(seen.filter((line) => line.startsWith('b '))).to.deep.equal([]);
      expect((await events())[0]!.jobId).to.equal(id);
    });

    it('spaces its rounds by the keys they re-list, and fans out more in each: a busy window is listed a few times a second', async () => {
      await lifecycle().enqueue({ backend: BACKEND, owner: 'u', payload: {} });
      const template = (await events())[0]!;
      const append = (count: number) =>
        storage.transaction((tx) => {
          for (let i = 0; i < count; i += 1) {
            const key = newJobId();
            tx.put(ns.events, key, { ...template, id: `${key}-1`, jobId: key });
          }
        });
      await append(6000);
      const seen: { holder: string; key: string }[] = [];
      let listed = 0;
      const list = storage.list.bind(storage);
      storage.list = (async (namespace: string, options) => {
        const keys = await list(namespace, options);
        if (namespace === ns.events) listed += keys.length;
        return keys;
      }) as typeof storage.list;
      const server = dispatcher('a', seen, 60_000);
      server.start();
      await eventually(async () => (seen.length >= 6001 ? true : undefined), 15_000);
      listed = 0;
      // The poll wakes it every 20 ms; only the spacing holds it back.
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const rounds = listed / 6001;
      expect(rounds, 'full re-listings in one second').to.be.at.most(5);
      expect(rounds, 'full re-listings in one second').to.be.at.least(1);
      // Rounds further apart fan out more each: 9,000 new events take two rounds, not nine.
      const started = Date.now();
      await append(9000);
      await eventually(async () => (seen.length >= 15_001 ? true : undefined), 15_000);
      expect(Date.now() - started, 'ms to fan out 9,000 new events').to.be.below(3000);
      await server.close();
    });
  });
});
