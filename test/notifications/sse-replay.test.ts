// A resume of the caller's event stream replaying more than the stream may hold for a client (1 MiB): a client that
// reads as fast as it can gets the whole replay in one stream, then live events; one that reads nothing is cut off
// after about that much, its stream (and its slot) given up.
import { expect } from 'chai';
import { connect, type Socket } from 'node:net';
import { MAX_HELD_DURING_REPLAY } from '../../server/routes/native/events.ts';
import { MAX_BUFFERED_BYTES } from '../../server/notifications/sse.ts';
import { newJobId } from '../../storage/keys.ts';
import { type JobEvent, ns } from '../../storage/records.ts';
import { startHarness, type Harness } from '../native-api/harness.ts';
import { eventually, openSse } from './support.ts';

/** Events of this size make the replay 12 MiB: more than loopback socket buffers take in besides. */
const DETAIL = 'x'.repeat(1000);
const EVENTS = Math.ceil((12 * MAX_BUFFERED_BYTES) / DETAIL.length);

/** Appends `count` events of `owner`'s jobs to the outbox, each with a detail of DETAIL's size. */
async function appendEvents(h: Harness, owner: string, count: number): Promise<void> {
  for (let written = 0; written < count; written += 500) {
    const events = Array.from({ length: Math.min(500, count - written) }, (): JobEvent => {
      const jobId = newJobId();
      return { id: `${jobId}-1`, jobId, backend: 'singlequdit', owner, state: 'QUEUED', seq: 1, attempts: 0, at: new Date().toISOString(), detail: DETAIL, errorMessage: null, requeued: false };
    });
    await Promise.all(events.map((event) => h.storage.put(ns.events, event.jobId, event)));
  }
}

/**
 * A resume from `from` over HTTP/1.0 (the body comes unchunked and ends when the server closes the connection) that
 * reads the status line and then nothing; undefined while the server answers anything but 200.
 */
async function pausedReader(h: Harness, token: string, from: string): Promise<Socket | undefined> {
  const socket = connect(Number(new URL(h.url).port), new URL(h.url).hostname);
  socket.write(`GET /api/v1/events HTTP/1.0\r\nAuthorization: Bearer ${token}\r\nLast-Event-ID: ${from}\r\n\r\n`);
  const head = await new Promise<string>((resolve) => socket.once('data', (chunk: Buffer) => resolve(chunk.toString())));
  socket.pause();
  if (head.startsWith('HTTP/1.1 200')) return socket;
  socket.destroy();
  return undefined;
}

/** Everything the server sends a paused reader from now until it closes the connection. */
async function readToEnd(client: Socket): Promise<string> {
  const chunks: Buffer[] = [];
  client.on('data', (chunk: Buffer) => chunks.push(chunk));
  client.resume();
  await new Promise((resolve) => client.once('end', resolve));
  return Buffer.concat(chunks).toString();
}

describe('a replay of the caller\'s event stream larger than the stream may hold', function () {
  this.timeout(60_000);
  let h: Harness;
  let token: string;
  let from: string;

  before(async () => {
    h = await startHarness({ QSPOOL_NOTIFY_POLL_MS: 50, QSPOOL_SSE_KEEPALIVE_MS: 2000, QSPOOL_SSE_MAX_PER_USER: 1 });
    token = await h.user('alice');
    // This process's keys only grow: every event below sorts after it.
    from = newJobId();
    await appendEvents(h, 'alice', EVENTS);
  });
  after(() => h.stop());

  it('reaches a client that reads as fast as it can whole, in one stream that then stays open', async () => {
    const stream = await openSse(`${h.url}/api/v1/events`, token, from);
    try {
      let received = 0;
      for (let message = await stream.next(); message; message = received < EVENTS ? await stream.next() : undefined) received += 1;
      expect(received).to.equal(EVENTS);
      expect(await stream.next(500).catch(() => 'open')).to.equal('open');
    } finally {
      stream.close();
    }
  });

  it('is cut off after about MAX_BUFFERED_BYTES for a client that reads nothing, which frees its slot', async () => {
    // HTTP/1.0: the body comes unchunked, and ends when the server closes the connection. The client reads the
    // status line and then nothing, once the previous test's stream has given its slot back.
    const client = await eventually(() => pausedReader(h, token, from), 10_000, 100);
    // Its one slot is taken until the stream ends: a second stream answers 429 until then.
    await eventually(async () => {
      const second = await openSse(`${h.url}/api/v1/events`, token);
      second.close();
      return second.status === 200 ? true : undefined;
    }, 20_000, 100);
    const received = await readToEnd(client);
    const events = received.split('\ndata: ').length - 1;
    expect(received).to.include(': the client reads too slowly; reconnect with Last-Event-ID');
    expect(events).to.be.above(0);
    expect(events).to.be.below(EVENTS);
  });
});

describe('changes that arrive while a replay waits for a reader', function () {
  this.timeout(60_000);
  let h: Harness;
  let token: string;
  let from: string;

  before(async () => {
    // A reader counts as stalled only after a minute without taking anything: until then the replay waits for it.
    h = await startHarness({ QSPOOL_NOTIFY_POLL_MS: 50, QSPOOL_SSE_KEEPALIVE_MS: 60_000 });
    token = await h.user('bob');
    from = newJobId();
    await appendEvents(h, 'bob', EVENTS);
  });
  after(() => h.stop());

  it(`are held up to ${MAX_HELD_DURING_REPLAY}, then the stream ends for the client to resume, long before it counts as stalled`, async () => {
    const client = await eventually(() => pausedReader(h, token, from), 10_000, 100);
    const started = Date.now();
    await appendEvents(h, 'bob', MAX_HELD_DURING_REPLAY + 100);
    const received = await readToEnd(client);
    expect(received).to.include(': more changes to replay; reconnect with Last-Event-ID');
    expect(Date.now() - started).to.be.below(30_000);
  });
});
