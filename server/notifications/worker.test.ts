// Two delivery workers draining the same queue at once (a dispatcher whose lease lapsed during a long round on a
// slow store, and its successor, as the cluster test caught on Ceph RGW) send each delivery once: every attempt is
// claimed by compare-and-swap first. A claim left by a process that died is retried once it expires. A receiver
// gets a job's events in their order.
import { expect } from 'chai';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { LocalProvider } from '../../storage/local/index.ts';
import type { JobEvent } from '../../storage/records.ts';
import { PENDING_NS } from '../../storage/namespaces.ts';
import { type Delivery, DeliveryStore, type Receiver } from './deliveries.ts';
import { DeliveryWorker } from './worker.ts';

const silent = pino({ level: 'silent' });
const policy = { baseMs: 10, maxMs: 10, retryMs: 60_000 };
const receiver: Receiver = { kind: 'hook', name: 'h1', owner: 'u' };

function event(n: number): JobEvent {
  const jobId = `01a2000000000000000000${n.toString(16).padStart(2, '0')}`;
  return { id: `${jobId}-1`, jobId, backend: 'b', owner: 'u', state: 'QUEUED', seq: 1, attempts: 0, at: new Date().toISOString(), detail: '', errorMessage: null, requeued: false };
}

async function until(check: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; !(await check()); ) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('the delivery worker', function () {
  let root: string;
  let storage: LocalProvider;
  let store: DeliveryStore;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'qspool-worker-'));
    storage = new LocalProvider({ root, fsync: false });
    store = new DeliveryStore(storage);
  });
  afterEach(async () => {
    await storage.close();
    await rm(root, { recursive: true, force: true });
  });

  it('sends each delivery once when two workers drain one queue at the same time', async () => {
    for (let n = 0; n < 20; n += 1) await store.enqueue(receiver, `${event(n).jobId}`, event(n));
    const sent: string[] = [];
    // A slow receiver, so both workers are inside attempts of the same queue together.
    const deliver = async (delivery: Delivery) => {
      sent.push(delivery.event.id);
      await new Promise((resolve) => setTimeout(resolve, 5));
      return { ok: true, statusCode: 200, error: null, durationMs: 5 };
    };
    const workers = [new DeliveryWorker(store, deliver, policy, silent, { claimMs: 5000 }), new DeliveryWorker(store, deliver, policy, silent, { claimMs: 5000 })];
    await until(async () => {
      await Promise.all(workers.map((worker) => worker.run()));
      return (await store.pendingKeys()).length === 0;
    });
    await Promise.all(workers.map((worker) => worker.stop()));
    expect(sent).to.have.length(20);
    expect(new Set(sent).size).to.equal(20);
  });

  it('delivers a job\'s events in their order when a later one has the smaller outbox key of one millisecond', async () => {
    const queued = event(1);
    const running = { ...queued, id: `${queued.jobId}-2`, seq: 2, state: 'RUNNING' as const };
    // Keys of two processes in one millisecond: the spooler's counter (the claim) is below the server's.
    await store.enqueue(receiver, `01a2000000010001${'0'.repeat(8)}`, queued);
    await store.enqueue(receiver, `01a2000000010000${'0'.repeat(8)}`, running);
    const sent: string[] = [];
    const worker = new DeliveryWorker(store, async (delivery) => (sent.push(delivery.event.id), { ok: true, statusCode: 200, error: null, durationMs: 1 }), policy, silent, { claimMs: 5000 });
    await until(async () => {
      await worker.run();
      return sent.length === 2;
    });
    await worker.stop();
    expect(sent).to.deep.equal([queued.id, running.id]);
  });

  it('retries a delivery whose claimer died once the claim expires', async () => {
    await store.enqueue(receiver, event(1).jobId, event(1));
    const [entry] = await store.pendingKeys();
    const stored = (await storage.get<Delivery>(PENDING_NS, entry!.key))!;
    // A process claimed the attempt and died before recording anything.
    await store.claim(entry!.key, stored.value, stored.version, Date.now() + 300);
    const sent: number[] = [];
    const worker = new DeliveryWorker(store, async () => (sent.push(Date.now()), { ok: true, statusCode: 200, error: null, durationMs: 1 }), policy, silent, { claimMs: 5000 });
    const claimedAt = Date.now();
    await until(async () => {
      await worker.run();
      return sent.length > 0;
    });
    await worker.stop();
    expect(sent[0]! - claimedAt).to.be.at.least(250);
  });
});
