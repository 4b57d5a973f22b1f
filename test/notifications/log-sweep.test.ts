// Finished notification deliveries (`notify/log/…`) are removed by a bounded sweep once older than the retention or
// beyond the per-receiver cap, on the local store, the S3 provider (local S3 server, in memory) and the Dropbox
// provider (local Dropbox API server), with a clock under test control; recent and pending deliveries stay, and
// bounded runs resume where they stopped. Then the server's own sweep, behind GET /webhooks/{id}/deliveries.
import { expect } from 'chai';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../../config/index.ts';
import { type Delivery, DeliveryStore, type Receiver } from '../../server/notifications/deliveries.ts';
import { logNamespace, PENDING_NS, retiredNamespace } from '../../storage/namespaces.ts';
import { DeliveryLogSweeper, type LogRetention, PASS_EVERY_MS, SWEEP_MARGIN_MS } from '../../server/notifications/log-sweep.ts';
import { webhooksNs } from '../../server/notifications/webhooks.ts';
import { USERS_NS } from '../../server/services/users.ts';
import type { StorageProvider } from '../../storage/contract.ts';
import { DropboxProvider } from '../../storage/dropbox/index.ts';
import { LocalProvider } from '../../storage/local/index.ts';
import { FakeObjects } from '../../storage/s3/fake-objects.ts';
import { S3Provider } from '../../storage/s3/index.ts';
import { startLocalS3, type LocalS3 } from '../../storage/s3/local-server.ts';
import type { JobEvent } from '../../storage/records.ts';
import { startDropboxApiServer, type DropboxApiServer } from '../dropbox-api-server/index.ts';
import { startHarness } from '../native-api/harness.ts';
import { eventually } from './support.ts';

const HOUR = 3600_000;
const DAY = 24 * HOUR;
const HOOK = 'a1b2c3d4e5f60718';

interface Fixture {
  storage: StorageProvider;
  done(): Promise<void>;
}

const mailOf = (user: string): Receiver => ({ kind: 'mail', name: user, owner: user });
const hookOf = (owner: string, id: string): Receiver => ({ kind: 'hook', name: id, owner });

let made = 0;
/** A job id of the given time (newJobId never goes back in time, and these tests make old jobs after new ones). */
const jobIdAt = (ms: number) => ms.toString(16).padStart(12, '0') + (made += 1).toString(16).padStart(12, '0');

/** A delivery of a job created at `jobAt`, finished `tookMs` later (its only attempt then). */
function delivery(receiver: Receiver, jobAt: number, tookMs = 1000): Delivery {
  const jobId = jobIdAt(jobAt);
  const event: JobEvent = {
    id: `${jobId}-3`,
    jobId,
    backend: 'b',
    owner: receiver.owner,
    state: 'DONE',
    seq: 3,
    attempts: 1,
    at: new Date(jobAt).toISOString(),
    detail: 'Done.',
    errorMessage: null,
    requeued: false,
  };
  const attempt = { at: new Date(jobAt + tookMs).toISOString(), durationMs: 5, ok: true, statusCode: 200, error: null };
  return { receiver, eventKey: jobId, event, createdAt: new Date(jobAt).toISOString(), nextAttemptAt: jobAt, attempts: [attempt], status: 'delivered' };
}

function sweepSuite(name: string, open: () => Promise<Fixture>) {
  describe(`notification delivery log sweep on ${name}`, function () {
    this.timeout(60_000);
    let fixture: Fixture;
    let storage: StorageProvider;
    let clock: number;
    const retention: LogRetention = { retentionMs: 7 * DAY, maxPerReceiver: 1000 };
    beforeEach(async () => {
      fixture = await open();
      storage = fixture.storage;
      clock = Date.parse('2026-01-10T12:00:00Z');
      for (const user of ['ada', 'bob']) await storage.put(USERS_NS, user, { username: user });
      await storage.put(webhooksNs('ada'), HOOK, { id: HOOK, owner: 'ada' });
    });
    afterEach(() => fixture.done());

    const deliveries = () => new DeliveryStore(storage);
    const logged = (receiver: Receiver) => storage.list(logNamespace(receiver), { limit: 10_000 });
    const finish = (item: Delivery) => deliveries().finish('unused', item);
    const sweeper = (options: Partial<LogRetention> & { maxReadsPerRun?: number } = {}) =>
      new DeliveryLogSweeper(storage, { ...retention, ...options }, { intervalMs: 60_000, maxReadsPerRun: options.maxReadsPerRun ?? 10_000, now: () => clock });

    it('deletes mail and webhook deliveries finished before the retention and margin, and keeps recent and pending ones', async () => {
      const old = [
        delivery(mailOf('ada'), clock - 8 * DAY),
        delivery(hookOf('ada', HOOK), clock - 8 * DAY),
        delivery(mailOf('bob'), clock - 9 * DAY),
      ];
      // Its job is old, but it was retried for a day and gave up 6 days ago: still inside the retention.
      const longRetried = { ...delivery(hookOf('ada', HOOK), clock - 8 * DAY, 2 * DAY), status: 'failed' as const };
      // Past the retention, inside the margin (another server's clock may be behind this one's).
      const marginal = delivery(mailOf('bob'), clock - 7 * DAY - SWEEP_MARGIN_MS / 2);
      const recent = delivery(hookOf('ada', HOOK), clock - HOUR);
      for (const item of [...old, longRetried, marginal, recent]) await finish(item);
      const pending = delivery(hookOf('ada', HOOK), clock - 9 * DAY);
      expect(await deliveries().enqueue(pending.receiver, pending.eventKey, pending.event, clock - 9 * DAY)).to.equal(true);

      const run = await sweeper().runOnce();
      expect([run.deleted, run.raced, run.wrapped]).to.deep.equal([3, 0, true]);
      expect(await logged(hookOf('ada', HOOK))).to.have.members([longRetried.event.id, recent.event.id]);
      expect(await logged(mailOf('ada'))).to.deep.equal([]);
      expect(await logged(mailOf('bob'))).to.deep.equal([marginal.event.id]);
      expect(await storage.list(PENDING_NS)).to.have.length(1);
      // What the deliveries listing reads: the pending one first, then what is left of the log.
      const page = await deliveries().logOf(hookOf('ada', HOOK), 50);
      expect(page.deliveries.map((item) => item.event.id)).to.have.members([longRetried.event.id, recent.event.id]);
      expect((await deliveries().pendingOf(hookOf('ada', HOOK), 50)).map((item) => item.event.id)).to.deep.equal([pending.event.id]);
    });

    it('sweeps a deleted webhook\'s log through its retirement marker, which goes once the log is empty', async () => {
      const [gone, emptied] = [hookOf('ada', 'f0f0f0f0f0f0f0f0'), hookOf('ada', '0e0e0e0e0e0e0e0e')];
      const recent = delivery(gone, clock - HOUR);
      for (const item of [delivery(gone, clock - 8 * DAY), recent, delivery(emptied, clock - 9 * DAY)]) await finish(item);
      await deliveries().retire(gone, clock - 2 * HOUR);
      await deliveries().retire(emptied, clock - 2 * HOUR);
      const run = await sweeper().runOnce();
      expect([run.deleted, run.wrapped]).to.deep.equal([3, true]);
      expect(await logged(gone)).to.deep.equal([recent.event.id]);
      expect(await storage.list(retiredNamespace('ada'))).to.deep.equal([gone.name]);
      // A marker younger than the margin stays, empty log or not: an attempt under way may still log its outcome.
      await deliveries().retire(emptied, clock - SWEEP_MARGIN_MS / 2);
      expect((await sweeper().runOnce()).deleted).to.equal(0);
      expect(await storage.list(retiredNamespace('ada'))).to.deep.equal([emptied.name, gone.name]);
    });

    it('keeps only the newest records beyond the per-receiver cap, once they are older than the margin', async () => {
      const young = Array.from({ length: 3 }, (_, index) => delivery(mailOf('ada'), clock - SWEEP_MARGIN_MS / 2 + index));
      const aged = Array.from({ length: 5 }, (_, index) => delivery(mailOf('ada'), clock - 2 * DAY + index * HOUR));
      for (const item of [...young, ...aged]) await finish(item);
      const run = await sweeper({ maxPerReceiver: 4 }).runOnce();
      expect(run.deleted).to.equal(4);
      // The 4 oldest go; of the 4 newest none is removed, nor would a young one be even beyond the cap.
      expect(await logged(mailOf('ada'))).to.deep.equal([...aged.slice(4), ...young].map((item) => item.event.id));
      const again = await sweeper({ maxPerReceiver: 1 }).runOnce();
      expect(again.deleted).to.equal(1);
      expect(await logged(mailOf('ada'))).to.deep.equal(young.map((item) => item.event.id));
    });

    it('makes about its budget of reads per run and resumes where the previous run stopped', async () => {
      for (const receiver of [mailOf('ada'), hookOf('ada', HOOK), mailOf('bob')]) {
        for (let index = 0; index < 12; index += 1) await finish(delivery(receiver, clock - 10 * DAY + index * HOUR));
        await finish(delivery(receiver, clock - HOUR));
      }
      const sweep = sweeper({ maxReadsPerRun: 10 });
      const runs = [];
      for (let run = await sweep.runOnce(); ; run = await sweep.runOnce()) {
        runs.push(run);
        // A run may go over by a user's webhook listing and a receiver's count.
        expect(run.reads).to.be.at.most(12);
        if (run.wrapped) break;
        expect(runs.length).to.be.below(30);
      }
      expect(runs.reduce((sum, run) => sum + run.deleted, 0)).to.equal(36);
      expect(runs.length).to.be.at.least(4);
      for (const receiver of [mailOf('ada'), hookOf('ada', HOOK), mailOf('bob')]) expect(await logged(receiver)).to.have.length(1);
    });

    it('reads no record whose job is younger than the retention, and starts a pass at most once an hour', async () => {
      const first = { at: clock };
      for (let index = 0; index < 20; index += 1) await finish(delivery(mailOf('ada'), clock - 2 * DAY + index * HOUR));
      const sweep = sweeper();
      // The users page (twice: the second finds no more), per user its webhooks and retired webhooks listed, per
      // receiver a count and one page of keys, whose first key already ends the walk, per user the retired ones judged
      // and walked.
      expect(await sweep.runOnce()).to.deep.equal({ reads: 2 + 2 * 2 + 3 * 2 + 2 * 2, deleted: 0, raced: 0, wrapped: true });
      clock += PASS_EVERY_MS - 1;
      expect(await sweep.runOnce()).to.deep.equal({ reads: 0, deleted: 0, raced: 0, wrapped: false });
      // Just past the first record's retention and margin: it alone goes, and the walk stops at the next key.
      clock = first.at - 2 * DAY + 1000 + 7 * DAY + SWEEP_MARGIN_MS + 1;
      expect(await sweep.runOnce()).to.deep.equal({ reads: 16 + 1, deleted: 1, raced: 0, wrapped: true });
    });
  });
}

sweepSuite('the local store', async () => {
  const root = await mkdtemp(join(tmpdir(), 'qspool-log-sweep-'));
  const storage = new LocalProvider({ root, fsync: false });
  return { storage, done: async () => (await storage.close(), await rm(root, { recursive: true, force: true })) };
});

describe('against the local S3 server (in memory)', () => {
  let server: LocalS3;
  let prefixes = 0;
  before(async () => (server = await startLocalS3(new FakeObjects('aws'))));
  after(() => server.close());
  sweepSuite('the S3 provider', async () => {
    const storage = S3Provider.fromSpec(server.spec(`log-sweep-${(prefixes += 1)}`));
    return { storage, done: () => storage.close() };
  });
});

describe('against the local Dropbox API server', () => {
  let dropbox: DropboxApiServer;
  let folders = 0;
  before(async () => (dropbox = await startDropboxApiServer()));
  after(() => dropbox.close());
  sweepSuite('the Dropbox provider', async () => {
    const storage = new DropboxProvider({
      basePath: `/qspool-log-sweep-${(folders += 1)}`,
      appKey: dropbox.tokens.clientId,
      appSecret: dropbox.tokens.clientSecret,
      refreshToken: dropbox.tokens.refreshToken,
      apiBaseUrl: dropbox.url,
    });
    return { storage, done: () => storage.close() };
  });
});

describe('notification delivery log sweep in the server', function () {
  this.timeout(60_000);

  it('is configured by QSPOOL_NOTIFY_LOG_RETENTION_S and QSPOOL_NOTIFY_LOG_MAX_PER_RECEIVER, validated', () => {
    expect(loadConfig({})).to.include({ QSPOOL_NOTIFY_LOG_RETENTION_S: 604_800, QSPOOL_NOTIFY_LOG_MAX_PER_RECEIVER: 10_000 });
    expect(() => loadConfig({ QSPOOL_NOTIFY_LOG_RETENTION_S: '60' })).to.throw(ConfigError, 'QSPOOL_NOTIFY_LOG_RETENTION_S must be an integer from 3600 to 31536000, not 60');
    expect(() => loadConfig({ QSPOOL_NOTIFY_LOG_MAX_PER_RECEIVER: '0' })).to.throw(ConfigError, 'QSPOOL_NOTIFY_LOG_MAX_PER_RECEIVER must be an integer from 1 to 10000000, not 0');
  });

  it('removes old deliveries of a webhook and of a deleted one on the server that dispatches; GET /webhooks/{id}/deliveries lists the rest', async () => {
    // The first run comes 5 s after the start, when everything below is in place: the next pass would be an hour later.
    const h = await startHarness({ QSPOOL_IDEMPOTENCY_SWEEP_MS: 5000, QSPOOL_WEBHOOK_ALLOW_PRIVATE: true });
    try {
      const token = await h.user('ada');
      const register = async () => {
        const created = await h.call('POST', '/webhooks', { token, body: { url: 'http://127.0.0.1:9/hook', events: ['DONE'] } });
        expect(created.status, created.text).to.equal(201);
        return hookOf('ada', (created.body as { id: string }).id);
      };
      const [kept, deleted] = [await register(), await register()];
      const store = new DeliveryStore(h.storage);
      const [stale, fresh, older] = [delivery(kept, Date.now() - 8 * DAY), delivery(kept, Date.now() - HOUR), delivery(deleted, Date.now() - 9 * DAY)];
      for (const item of [stale, fresh, older]) await store.finish('unused', item);
      // Deleted, the webhook is listed nowhere; what its log still holds goes all the same.
      expect((await h.call('DELETE', `/webhooks/${deleted.name}`, { token })).status).to.equal(204);
      const gone = async () => (await h.storage.get(logNamespace(kept), stale.event.id)) ?? (await h.storage.get(logNamespace(deleted), older.event.id));
      await eventually(async () => ((await gone()) ? undefined : true), 20_000, 100);
      const listed = await h.call('GET', `/webhooks/${kept.name}/deliveries`, { token });
      expect(listed.status, listed.text).to.equal(200);
      expect((listed.body as { deliveries: { event_id: string }[] }).deliveries.map((item) => item.event_id)).to.deep.equal([fresh.event.id]);
      expect(h.logs.some((line) => line.includes('old notification deliveries removed'))).to.equal(true);
    } finally {
      await h.stop();
    }
  });
});
