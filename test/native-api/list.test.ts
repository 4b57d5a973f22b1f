// GET /api/v1/jobs: cursor pagination that never skips or repeats while jobs keep arriving, the filters, and a
// cost that depends on the caller's own jobs, not on everyone's.
import { expect } from 'chai';
import type { StorageProvider } from '../../storage/contract.ts';
import { GOOD_JOB, startHarness, type Harness } from './harness.ts';

interface Page {
  jobs: { id: string; owner: string; backend: string; status: string; tags: string[]; created_at: string }[];
  next_cursor: string | null;
}

/** Records the namespace of every read the server makes from now on. */
function spyOnReads(storage: StorageProvider): string[] {
  const namespaces: string[] = [];
  const { get, list } = storage;
  storage.get = function (namespace: string, key: string) {
    namespaces.push(namespace);
    return get.call(storage, namespace, key);
  } as StorageProvider['get'];
  storage.list = function (namespace: string, options) {
    namespaces.push(namespace);
    return list.call(storage, namespace, options);
  } as StorageProvider['list'];
  return namespaces;
}

describe('native API: job listing', function () {
  this.timeout(40_000);
  let h: Harness;
  let alice: string;
  let bob: string;
  const seeded: string[] = [];

  const enqueue = (owner: string, backend = 'singlequdit', meta?: Record<string, unknown>) =>
    h.lifecycle.enqueue({ backend, owner, payload: GOOD_JOB, ...(meta ? { meta } : {}) });

  before(async () => {
    h = await startHarness({ QSPOOL_MAX_QUEUED_PER_USER: 100_000 });
    [alice, bob] = await Promise.all([h.user('alice'), h.user('bob')]);
    // Bulk seeding straight through the lifecycle (the ids, hence the order, are fixed at call time).
    for (let batch = 0; batch < 20; batch += 1) {
      const jobs = await Promise.all(Array.from({ length: 50 }, () => enqueue('alice')));
      seeded.push(...jobs.map((job) => job.id));
    }
    await Promise.all(Array.from({ length: 300 }, () => enqueue('bob')));
  });
  after(async () => h.stop());

  const page = async (token: string, query: string) => {
    const answer = await h.call('GET', `/jobs?${query}`, { token });
    expect(answer.status, answer.text).to.equal(200);
    return answer.body as Page;
  };

  it('pages through 1,000 jobs with no gaps or repeats while new jobs keep arriving', async () => {
    let paging = true;
    const arrived: string[] = [];
    const arrivals = (async () => {
      while (paging) {
        arrived.push((await enqueue('alice')).id);
        await new Promise((resolve) => setTimeout(resolve, 3));
      }
    })();
    const listed: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const next: Page = await page(alice, `limit=37${cursor ? `&cursor=${cursor}` : ''}`);
      listed.push(...next.jobs.map((job) => job.id));
      cursor = next.next_cursor;
      pages += 1;
    } while (cursor !== null && pages < 200);
    paging = false;
    await arrivals;
    expect(new Set(listed).size, 'no repeats').to.equal(listed.length);
    expect([...listed].sort(), 'creation order').to.deep.equal(listed);
    expect(listed.slice(0, seeded.length), 'every seeded job, in order').to.deep.equal(seeded);
    expect(arrived.length).to.be.greaterThan(0);
    // Whatever arrived before the last page was read is listed, in order, with nothing missing in between.
    const arrivedListed = listed.slice(seeded.length);
    expect(arrivedListed).to.deep.equal(arrived.slice(0, arrivedListed.length));
    const rest = (await page(alice, `limit=200&created_after=${encodeURIComponent(new Date(0).toISOString())}`)).jobs;
    expect(rest.every((job) => job.owner === 'alice')).to.equal(true);
  });

  it('filters by backend, status, tag and creation time, and binds cursors to their filters', async () => {
    const carol = await h.user('carol');
    const early = [await enqueue('carol', 'qubit', { tags: ['scan'] }), await enqueue('carol', 'singlequdit', { tags: ['scan', 'x'] })];
    await new Promise((resolve) => setTimeout(resolve, 15));
    const boundary = new Date().toISOString();
    await new Promise((resolve) => setTimeout(resolve, 15));
    const late = [await enqueue('carol', 'singlequdit'), await enqueue('carol', 'singlequdit', { tags: ['x'] })];
    await h.lifecycle.cancel('singlequdit', late[0]!.id);
    const ids = (query: string) => page(carol, query).then((p) => p.jobs.map((job) => job.id));
    expect(await ids('backend=qubit')).to.deep.equal([early[0]!.id]);
    expect(await ids('backend=alqor_qubit_simulator')).to.deep.equal([early[0]!.id]);
    expect(await ids('backend=other_qubit_simulator')).to.deep.equal([]);
    expect(await ids('tag=scan')).to.deep.equal(early.map((job) => job.id));
    expect(await ids('tag=x&backend=singlequdit')).to.deep.equal([early[1]!.id, late[1]!.id]);
    expect(await ids('status=CANCELLED')).to.deep.equal([late[0]!.id]);
    expect(await ids('status=QUEUED,CANCELLED&limit=10')).to.have.length(4);
    expect(await ids(`created_after=${encodeURIComponent(boundary)}`)).to.deep.equal(late.map((job) => job.id));
    expect(await ids(`created_before=${encodeURIComponent(boundary)}`)).to.deep.equal(early.map((job) => job.id));
    const first = await page(carol, 'tag=scan&limit=1');
    expect((await page(carol, `tag=scan&limit=1&cursor=${first.next_cursor}`)).jobs.map((job) => job.id)).to.deep.equal([early[1]!.id]);
    for (const query of [`tag=x&cursor=${first.next_cursor}`, 'cursor=bm9wZQ', 'limit=0', 'limit=201', 'status=queued', 'created_after=yesterday', 'created_before=2016-12-31T23:59:60Z', 'colour=red']) {
      const answer = await h.call('GET', `/jobs?${query}`, { token: carol });
      expect([answer.status, (answer.body as { error: { code: string } }).error.code], query).to.deep.equal([422, 'invalid_request']);
    }
  });

  it('reads only the caller\'s own index entries, not the jobs of other users', async () => {
    const dave = await h.user('dave');
    await Promise.all([enqueue('dave'), enqueue('dave')]);
    const reads = spyOnReads(h.storage);
    const listed = await page(dave, 'limit=50');
    expect(listed.jobs).to.have.length(2);
    expect(reads.filter((namespace) => namespace.startsWith('index/')).every((namespace) => namespace === 'index/owner/dave')).to.equal(true);
    // The notification dispatcher polls the event outbox in the background; only the listing's own reads count.
    const own = reads.filter((namespace) => namespace !== 'events' && !namespace.startsWith('notify/') && !namespace.startsWith('webhook'));
    expect(own.length, `reads: ${own.length}`).to.be.lessThan(20);
    expect((await page(bob, 'limit=5')).jobs.every((job) => job.owner === 'bob')).to.equal(true);
  });
});
