// The feed set follows the outboxes as they are now: a provider removed and added again under its name by another
// process has another storage, and event streams must hear that storage's events, not the old one's.
import { expect } from 'chai';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { LocalProvider } from '../../storage/local/index.ts';
import { type JobEvent, ns } from '../../storage/records.ts';
import { eventually } from '../../test/support/system.ts';
import { FeedSet } from './feeds.ts';
import { instantKey } from './outbox.ts';
import { type EventSource, primarySource } from './sources.ts';

let written = 0;

/** Records an event with id `id` in the store's outbox, under a key of now. */
async function record(store: LocalProvider, id: string): Promise<void> {
  written += 1;
  const key = `${instantKey(Date.now())}${written.toString(16).padStart(12, '0')}`;
  await store.put(ns.events, key, event(id, key));
}

function event(id: string, jobId: string): JobEvent {
  return { id, jobId, backend: 'b', owner: 'u', state: 'QUEUED', seq: 1, attempts: 0, at: new Date().toISOString(), detail: '', errorMessage: null, requeued: false };
}

describe('the set of event feeds', function () {
  this.timeout(20_000);
  let roots: string[];
  let stores: LocalProvider[];
  let feeds: FeedSet;

  beforeEach(async () => {
    roots = await Promise.all([1, 2].map(() => mkdtemp(join(tmpdir(), 'qspool-feeds-'))));
    stores = roots.map((root) => new LocalProvider({ root, fsync: false }));
  });
  afterEach(async () => {
    feeds.close();
    await Promise.all(stores.map((store) => store.close()));
    await Promise.all(roots.map((root) => rm(root, { recursive: true, force: true })));
  });

  it('reads the new storage of a provider added again under its name', async () => {
    let lab: EventSource = primarySource(stores[0]!, 'lab1');
    feeds = new FeedSet(async () => [lab], { pollMs: 20, settleMs: 5000, log: pino({ level: 'silent' }) });
    const seen: string[] = [];
    feeds.subscribe(({ event: { id } }) => seen.push(id));
    feeds.start();
    await eventually(async () => {
      await record(stores[0]!, `old${seen.length}`);
      return seen.length > 0 || undefined;
    });

    lab = primarySource(stores[1]!, 'lab1');
    await record(stores[1]!, 'new');
    await eventually(async () => seen.includes('new') || undefined, 8000).catch(() => undefined);
    expect(seen, 'events heard').to.include('new');
  });
});
