// A migration as an operator runs it: a server used for a while, stopped, its store copied onto a local directory,
// an S3 bucket or a Dropbox folder, a server and spoolers started on the copy. The users, their tokens, webhooks,
// idempotency keys and logged-out access tokens must all be there; queued jobs run, a job whose spooler was stopped mid-run is taken back and
// run, and finished ones stay readable.
import { expect } from 'chai';
import { rm } from 'node:fs/promises';
import { pino } from 'pino';
import { startSpoolers } from '../../scripts/runtime.ts';
import { startServer } from '../../server/index.ts';
import { retiredNamespace } from '../namespaces.ts';
import { startDropboxApiServer } from '../../test/dropbox-api-server/index.ts';
import { eventually, GOOD_JOB, PASSWORD, startHarness, type Harness } from '../../test/native-api/harness.ts';
import { request } from '../../test/support/system.ts';
import type { StorageProvider } from '../contract.ts';
import { DropboxProvider } from '../dropbox/index.ts';
import { JobLifecycle } from '../lifecycle.ts';
import { LocalProvider } from '../local/index.ts';
import { startLocalS3 } from '../s3/local-server.ts';
import { S3Provider } from '../s3/index.ts';
import { migrate } from './migrate.ts';

interface Target {
  storage: StorageProvider;
  close(): Promise<void>;
}

const targets: Record<string, (h: Harness) => Promise<Target>> = {
  async local(h) {
    const root = `${h.dataDir}-copy`;
    const storage = new LocalProvider({ root, fsync: false });
    return { storage, close: async () => (await storage.close(), await rm(root, { recursive: true, force: true })) };
  },
  async s3() {
    const server = await startLocalS3();
    const storage = await S3Provider.fromSpec(server.spec('migrated'));
    return { storage, close: async () => (await storage.close(), await server.close()) };
  },
  async dropbox() {
    const server = await startDropboxApiServer();
    const { clientId, clientSecret, refreshToken } = server.tokens;
    const storage = new DropboxProvider({ basePath: '/migrated', appKey: clientId, appSecret: clientSecret, refreshToken, apiBaseUrl: server.url });
    return { storage, close: async () => (await storage.close(), await server.close()) };
  },
};

describe('storage migrate, then a server on the copy', function () {
  this.timeout(60_000);
  let h: Harness;
  afterEach(() => h.stop());

  for (const [kind, open] of Object.entries(targets)) {
    it(`onto ${kind}: keeps tokens, logged-out access tokens, webhooks and idempotency keys; queued and interrupted jobs run, finished ones stay`, async () => {
      h = await startHarness({ QSPOOL_WEBHOOK_ALLOW_PRIVATE: true, QSPOOL_LEASE_MS: 3000 });
      const token = await h.user('mia');
      const hook = await h.call('POST', '/webhooks', { token, body: { url: 'http://127.0.0.1:9/hook' } });
      expect(hook.status, hook.text).to.equal(201);
      // A deleted webhook's log is still being cleared by the sweep: its retirement marker goes along.
      const deleted = (await h.call('POST', '/webhooks', { token, body: { url: 'http://127.0.0.1:9/gone' } })).body as { id: string };
      expect((await h.call('DELETE', `/webhooks/${deleted.id}`, { token })).status).to.equal(204);
      const submit = (base: string, key: string) =>
        request(`${base}/api/v1/backends/singlequdit/jobs`, {
          method: 'POST',
          headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', 'Idempotency-Key': key },
          body: JSON.stringify({ payload: GOOD_JOB }),
        });
      const login = async () => ((await h.call('POST', '/auth/token', { body: { username: 'mia', password: PASSWORD } })).body as { access_token: string }).access_token;
      const [loggedOut, loggedIn] = [await login(), await login()];
      expect((await h.call('DELETE', '/auth/token', { token: loggedOut })).status).to.equal(204);
      const ids: string[] = [];
      for (const key of ['done', 'running', 'queued']) ids.push(((await submit(h.url, key)).body as { id: string }).id);
      const [done, running, queued] = ids as [string, string, string];
      await h.lifecycle.complete((await h.lifecycle.claim('singlequdit', 'old-spooler'))!, { ok: 1 });
      // Its spooler was stopped mid-run: the lease stays held in the copy until it runs out.
      const stopped = new JobLifecycle(h.storage, { leaseMs: 300 });
      expect((await stopped.claim('singlequdit', 'old-spooler'))?.record.id).to.equal(running);
      await h.server.close();

      const target = await open(h);
      const logger = pino({ level: 'silent' });
      await migrate(h.storage, target.storage, 'm');
      const server = await startServer(target.storage, h.config, logger);
      const spoolers = startSpoolers({ config: h.config, logger, storage: target.storage }, ['singlequdit']);
      try {
        const get = (path: string) => request(`${server.url}/api/v1${path}`, { headers: { Authorization: `Bearer ${token}` } });
        expect(((await get('/tokens')).body as { tokens: unknown[] }).tokens).to.have.length(1);
        // The access token logged out stays ended on the copy; the other still works there.
        const me = (bearer: string) => request(`${server.url}/api/v1/users/me`, { headers: { Authorization: `Bearer ${bearer}` } });
        expect([(await me(loggedOut)).status, (await me(loggedIn)).status]).to.deep.equal([401, 200]);
        expect(((await get('/webhooks')).body as { webhooks: { id: string }[] }).webhooks.map((w) => w.id)).to.deep.equal([(hook.body as { id: string }).id]);
        expect(await target.storage.list(retiredNamespace('mia'))).to.deep.equal([deleted.id]);
        expect(((await submit(server.url, 'queued')).body as { id: string }).id).to.equal(queued);
        expect(((await get(`/jobs/${done}`)).body as { status: string }).status).to.equal('DONE');
        expect((await get(`/jobs/${done}/result`)).status).to.equal(200);
        const listed = (await get('/jobs?limit=2')).body as { jobs: { id: string }[]; next_cursor: string | null };
        expect(listed.jobs).to.have.length(2);
        await Promise.all(spoolers.map((spooler) => spooler.start()));
        for (const id of [running, queued]) {
          await eventually(async () => (((await get(`/jobs/${id}`)).body as { status: string }).status === 'DONE' ? true : undefined), 20_000);
        }
      } finally {
        await Promise.all(spoolers.map((spooler) => spooler.stop()));
        await server.close();
        await target.close();
      }
    });
  }
});
