// A migration as an operator runs it: a server used for a while, stopped, its store copied, a server and spoolers
// started on the copy. The users, their tokens, webhooks and idempotency keys and the queued jobs must all be there.
import { expect } from 'chai';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pino } from 'pino';
import { startSpoolers } from '../../scripts/runtime.ts';
import { startServer } from '../../server/index.ts';
import { eventually, GOOD_JOB, startHarness, type Harness } from '../../test/native-api/harness.ts';
import { request } from '../../test/support/system.ts';
import { LocalProvider } from '../local/index.ts';
import { migrate } from './migrate.ts';

describe('storage migrate, then a server on the copy', function () {
  this.timeout(60_000);
  let h: Harness;
  const target = () => join(h.dataDir, '..', `${h.dataDir.split('/').pop()}-copy`);
  afterEach(async () => {
    await h.stop();
    await rm(target(), { recursive: true, force: true });
  });

  it('keeps tokens, webhooks, idempotency keys and queued jobs, which then run', async () => {
    h = await startHarness({ QSPOOL_WEBHOOK_ALLOW_PRIVATE: true });
    const token = await h.user('mia');
    const hook = await h.call('POST', '/webhooks', { token, body: { url: 'http://127.0.0.1:9/hook' } });
    expect(hook.status, hook.text).to.equal(201);
    const submit = (base: string) =>
      request(`${base}/api/v1/backends/singlequdit/jobs`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', 'Idempotency-Key': 'k1' },
        body: JSON.stringify({ payload: GOOD_JOB }),
      });
    const first = await submit(h.url);
    expect(first.status, first.text).to.equal(201);
    const id = (first.body as { id: string }).id;
    await h.server.close();

    const copy = new LocalProvider({ root: target(), fsync: false });
    await migrate(h.storage, copy, 'm');

    const server = await startServer(copy, h.config, pino({ level: 'silent' }));
    const spoolers = startSpoolers({ config: h.config, logger: pino({ level: 'silent' }), storage: copy }, ['singlequdit']);
    try {
      const get = (path: string) => request(`${server.url}/api/v1${path}`, { headers: { Authorization: `Bearer ${token}` } });
      expect(((await get('/tokens')).body as { tokens: unknown[] }).tokens).to.have.length(1);
      expect(((await get('/webhooks')).body as { webhooks: { id: string }[] }).webhooks.map((w) => w.id)).to.deep.equal([(hook.body as { id: string }).id]);
      const again = await submit(server.url);
      expect((again.body as { id: string }).id, again.text).to.equal(id);
      await Promise.all(spoolers.map((spooler) => spooler.start()));
      await eventually(async () => (((await get(`/jobs/${id}`)).body as { status: string }).status === 'DONE' ? true : undefined));
    } finally {
      await Promise.all(spoolers.map((spooler) => spooler.stop()));
      await server.close();
      await copy.close();
    }
  });
});
