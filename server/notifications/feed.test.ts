// The live event feed keeps each job's events in order although keys from different writers become visible out of
// order: a job's submission whose key sorts before one already read (it committed late) and its claim right after
// must reach listeners as QUEUED then RUNNING, or event streams, which drop a change older than one they sent,
// lose the QUEUED; likewise when two processes' keys of one millisecond sort against the order of the changes
// (both found in a 3-replica cluster: test/cluster).
import { expect } from 'chai';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { LocalProvider } from '../../storage/local/index.ts';
import { type JobEvent, ns } from '../../storage/records.ts';
import { EventFeed } from './feed.ts';
import { instantKey } from './outbox.ts';
import { primarySource } from './sources.ts';

/** Waits until `list` holds `count` items (or 3 s pass), so a missing or late item shows in the comparison after. */
async function collected(list: string[], count: number): Promise<string[]> {
  for (const deadline = Date.now() + 3000; list.length < count && Date.now() < deadline; ) await new Promise((resolve) => setTimeout(resolve, 20));
  return list;
}

const key = (ms: number, tail: number) => `${instantKey(ms)}${tail.toString(16).padStart(12, '0')}`;

function event(jobId: string, seq: number, state: JobEvent['state']): JobEvent {
  return { id: `${jobId}-${seq}`, jobId, backend: 'b', owner: 'u', state, seq, attempts: 0, at: new Date().toISOString(), detail: state, errorMessage: null, requeued: false };
}

describe('the live event feed', function () {
  let root: string;
  let storage: LocalProvider;
  let feed: EventFeed | undefined;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'qspool-feed-'));
    storage = new LocalProvider({ root, fsync: false });
  });
  afterEach(async () => {
    feed?.close();
    await storage.close();
    await rm(root, { recursive: true, force: true });
  });

  it('emits a job\'s late-committed event before the next one, without waiting for the periodic look-back', async () => {
    // The periodic look-back is a minute away: only the gap can make the feed look back in time.
    feed = new EventFeed(primarySource(storage), { pollMs: 60_000, settleMs: 5000, log: pino({ level: 'silent' }) });
    const seen: string[] = [];
    feed.subscribe(({ event }) => seen.push(event.id));
    feed.start();
    const now = Date.now();
    const other = key(now, 1);
    await storage.put(ns.events, key(now, 2), event(other, 1, 'QUEUED'));
    feed.kick();
    expect(await collected(seen, 1)).to.deep.equal([`${other}-1`]);

    // Job A's submission got its key before the event just read, but commits only now; a spooler claims it at once.
    const job = key(now - 20, 3);
    await storage.put(ns.events, key(now - 10, 4), event(job, 1, 'QUEUED'));
    await storage.put(ns.events, key(now + 10, 5), event(job, 2, 'RUNNING'));
    feed.kick();
    expect(await collected(seen, 3)).to.deep.equal([`${other}-1`, `${job}-1`, `${job}-2`]);
  });

  it('emits a job\'s events in seq order when a later one has the smaller key of one millisecond', async () => {
    feed = new EventFeed(primarySource(storage), { pollMs: 60_000, settleMs: 5000, log: pino({ level: 'silent' }) });
    const seen: string[] = [];
    feed.subscribe(({ event }) => seen.push(event.id));
    feed.start();
    const now = Date.now();
    const job = key(now, 1);
    // The server's submission and a spooler's claim in one millisecond, first read together; the spooler's counter
    // is the lower.
    await storage.transaction((tx) => {
      tx.put(ns.events, key(now, 0x10000), event(job, 1, 'QUEUED'));
      tx.put(ns.events, key(now, 0x0ffff), event(job, 2, 'RUNNING'));
    });
    feed.kick();
    expect(await collected(seen, 2)).to.deep.equal([`${job}-1`, `${job}-2`]);
  });

  it('does not hold back the event of a job created before its memory', async () => {
    feed = new EventFeed(primarySource(storage), { pollMs: 60_000, settleMs: 100, log: pino({ level: 'silent' }) });
    const seen: string[] = [];
    feed.subscribe(({ event }) => seen.push(event.id));
    feed.start();
    const old = key(Date.now() - 3_600_000, 1);
    await storage.put(ns.events, key(Date.now(), 2), event(old, 7, 'DONE'));
    feed.kick();
    expect(await collected(seen, 1)).to.deep.equal([`${old}-7`]);
  });

  it('reads nothing while nobody listens, and gives a listener that comes the events from then on', async () => {
    let listening = false;
    feed = new EventFeed(primarySource(storage), { pollMs: 20, settleMs: 50, log: pino({ level: 'silent' }), wanted: () => listening });
    let reads = 0;
    const get = storage.get.bind(storage);
    storage.get = ((namespace: string, id: string) => {
      if (namespace === ns.events) reads += 1;
      return get(namespace, id);
    }) as typeof storage.get;
    const seen: string[] = [];
    feed.subscribe(({ event }) => seen.push(event.id));
    feed.start();
    const before = key(Date.now(), 1);
    await storage.put(ns.events, before, event(before, 1, 'QUEUED'));
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(reads, 'event documents read while nobody listened').to.equal(0);
    listening = true;
    const after = key(Date.now(), 2);
    await storage.put(ns.events, after, event(after, 1, 'QUEUED'));
    expect(await collected(seen, 1)).to.deep.equal([`${after}-1`]);
  });

  it('gives a listener that comes to an idle feed only what was recorded after it came, however long the window', async () => {
    let listening = false;
    feed = new EventFeed(primarySource(storage), { pollMs: 20, settleMs: 5000, log: pino({ level: 'silent' }), wanted: () => listening });
    const seen: string[] = [];
    feed.subscribe(({ event }) => seen.push(event.id));
    feed.start();
    const before = key(Date.now() - 1, 1);
    await storage.put(ns.events, before, event(before, 1, 'QUEUED'));
    await new Promise((resolve) => setTimeout(resolve, 100));
    listening = true;
    feed.resume(Date.now());
    const after = key(Date.now(), 2);
    await storage.put(ns.events, after, event(after, 1, 'QUEUED'));
    expect(await collected(seen, 1)).to.deep.equal([`${after}-1`]);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(seen, 'events after the first').to.deep.equal([`${after}-1`]);
  });
});
