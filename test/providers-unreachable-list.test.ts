// GET /api/v1/jobs while a registered storage provider cannot be read (here: its login is sealed with a key this
// server does not hold, as after a key mix-up; putting back the right entry brings it back): the caller's other jobs
// are listed and the provider is named; the cursor owes its jobs and lists them once it answers, none twice; a page
// that meets only its jobs answers 503.
import { expect } from 'chai';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../config/logger.ts';
import { JobIndex } from '../server/services/job-index.ts';
import { ProviderSites } from '../server/services/providers.ts';
import { ProviderRegistry } from '../storage/registry/index.ts';
import { GOOD_JOB, startHarness, type Harness } from './native-api/harness.ts';
import { SECRET_KEY } from './support/lab-provider.ts';
import { unreachableLab, type UnreachableLab } from './support/unreachable-lab.ts';

interface Page {
  jobs: { id: string; provider?: string }[];
  next_cursor: string | null;
  unreachable_providers: string[];
}

describe('job list with a registered provider that cannot be read', function () {
  this.timeout(30_000);
  let h: Harness;
  let lab1: UnreachableLab;
  let ada: string;
  let bob: string;
  /** ada's jobs in creation order: P1 L1 P2 L2 L3 P3 (P on the server's own storage, L on lab1). */
  const order: string[] = [];

  before(async () => {
    h = await startHarness({ QSPOOL_SECRET_KEY: SECRET_KEY, LOG_LEVEL: 'silent' });
    [ada, bob] = [await h.user('ada'), await h.user('bob')];
    lab1 = await unreachableLab(h, 'lab1');
    const on = { P: h.lifecycle, L: lab1.lifecycle };
    for (const site of ['P', 'L', 'P', 'L', 'L', 'P'] as const) order.push((await on[site].enqueue({ backend: 'singlequdit', owner: 'ada', payload: GOOD_JOB })).id);
    await lab1.lifecycle.enqueue({ backend: 'singlequdit', owner: 'bob', payload: GOOD_JOB });
  });
  after(async () => {
    await h.stop();
    await lab1.close();
  });

  const list = (token: string, cursor: string | null) => h.call('GET', `/jobs?limit=2${cursor ? `&cursor=${cursor}` : ''}`, { token });
  const page = async (cursor: string | null) => {
    const answer = await list(ada, cursor);
    expect(answer.status, answer.text).to.equal(200);
    return answer.body as Page;
  };
  const ids = (listed: Page) => listed.jobs.map((job) => job.id);

  it('answers 503 naming the provider when every job a page meets is on it', async () => {
    const answer = await list(bob, null);
    expect(answer.status, answer.text).to.equal(503);
    const { error } = answer.body as { error: { code: string; message: string } };
    expect(error.code).to.equal('storage_unavailable');
    expect(error.message).to.include('lab1');
    expect(answer.headers.get('retry-after')).to.match(/^\d+$/);
  });

  it('lists what it can read, names the provider, owes its jobs and lists them once it answers, each once', async () => {
    const [p1, l1, p2, l2, l3, p3] = order;
    const first = await page(null);
    expect([ids(first), first.unreachable_providers]).to.deep.equal([[p1, p2], ['lab1']]);
    const second = await page(first.next_cursor);
    expect(ids(second)).to.deep.equal([p3]);
    expect(second.unreachable_providers).to.deep.equal(['lab1']);
    // The end of the index, but lab1's jobs are still owed: the cursor goes on.
    const third = await page(second.next_cursor);
    expect([ids(third), third.unreachable_providers]).to.deep.equal([[], ['lab1']]);
    expect(third.next_cursor).to.be.a('string');
    // What it owes is part of the cursor, checked like the rest of it.
    const mangled = Buffer.from(Buffer.from(third.next_cursor!, 'base64url').toString('latin1').replace('lab1 ', 'lab1'), 'latin1').toString('base64url');
    expect((await list(ada, mangled)).status).to.equal(422);

    await lab1.reachable();
    const fourth = await page(third.next_cursor);
    expect(fourth.unreachable_providers).to.deep.equal([]);
    expect(fourth.jobs.map(({ id, provider }) => [id, provider])).to.deep.equal([[l1, 'lab1'], [l2, 'lab1']]);
    const fifth = await page(fourth.next_cursor);
    expect(fifth).to.deep.equal({ jobs: [{ ...fifth.jobs[0], id: l3 }], next_cursor: null, unreachable_providers: [] });
    // From the start, in creation order again.
    const again = [...ids(await page(null))];
    for (let cursor = (await page(null)).next_cursor; cursor !== null; ) {
      const next = await page(cursor);
      again.push(...ids(next));
      cursor = next.next_cursor;
    }
    expect(again).to.deep.equal(order);
  });

  it('owes the jobs of a provider that drops out between pages, and lists each once it is back', async () => {
    // The service on its own, with a registry of its own: its lab's store is closed under it (every read then fails
    // as unavailable), and registering the lab again opens it afresh.
    const labDir = await mkdtemp(join(tmpdir(), 'qspool-lab2-'));
    const registry = new ProviderRegistry(h.storage, h.config.QSPOOL_PROVIDER_NAME, {}, SECRET_KEY);
    const entry = { name: 'lab2', type: 'local', login: { base_path: labDir, fsync: false } };
    await registry.add(entry);
    try {
      const sites = new ProviderSites(registry, h.storage, h.config.QSPOOL_PROVIDER_NAME, {}, createLogger('silent'));
      const on = { P: h.lifecycle, L: (await sites.get('lab2')).lifecycle };
      const jobs: string[] = [];
      for (const site of ['P', 'L', 'P', 'L', 'L', 'P'] as const) jobs.push((await on[site].enqueue({ backend: 'singlequdit', owner: 'carol', payload: GOOD_JOB })).id);
      const [p1, l1, p2, l2, l3, p3] = jobs;
      const index = new JobIndex(sites);
      const list = async (cursor: string | null) => {
        const page = await index.list({ owner: 'carol' }, 2, cursor ?? undefined);
        return { ids: page.jobs.map((job) => job.id), unreachable: page.unreachable, cursor: page.nextCursor };
      };
      const first = await list(null);
      expect(first).to.deep.include({ ids: [p1, l1], unreachable: [] });
      await (await registry.open('lab2')).close();
      const second = await list(first.cursor);
      expect(second).to.deep.include({ ids: [p2, p3], unreachable: ['lab2'] });
      await registry.remove('lab2');
      await registry.add(entry);
      const third = await list(second.cursor);
      expect(third).to.deep.include({ ids: [l2, l3], unreachable: [] });
      expect(await list(third.cursor)).to.deep.equal({ ids: [], unreachable: [], cursor: null });
    } finally {
      await registry.close();
      await rm(labDir, { recursive: true, force: true });
    }
  });
});
