// A resume of the caller's event stream replaying more than the stream may hold for a client (1 MiB): a client that
// reads as fast as it can gets the whole replay in one stream, then live events; one that reads nothing is cut off
// after about that much, its stream (and its slot) given up.
import { expect } from 'chai';
import { connect } from 'node:net';
import { MAX_BUFFERED_BYTES } from '../../server/notifications/sse.ts';
import { newJobId } from '../../storage/keys.ts';
import { type JobEvent, ns } from '../../storage/records.ts';
import { startHarness, type Harness } from '../native-api/harness.ts';
import { eventually, openSse } from './support.ts';

/** Events of this size make the replay 12 MiB: more than loopback socket buffers take in besides. */
const DETAIL = 'x'.repeat(1000);
const EVENTS = Math.ceil((12 * MAX_BUFFERED_BYTES) / DETAIL.length);

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
    for (let written = 0; written < EVENTS; written += 500) {
      const events = Array.from({ length: Math.min(500, EVENTS - written) }, (): JobEvent => {
        const jobId = newJobId();
        return { id: `${jobId}-1`, jobId, backend: 'singlequdit', owner: 'alice', state: 'QUEUED', seq: 1, attempts: 0, at: new Date().toISOString(), detail: DETAIL, errorMessage: null, requeued: false };
      });
      await Promise.all(events.map((event) => h.storage.put(ns.events, event.jobId, event)));
    }
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
    const client = await eventually(async () => {
      const socket = connect(Number(new URL(h.url).port), new URL(h.url).hostname);
      socket.write(`GET /api/v1/events HTTP/1.0\r\nAuthorization: Bearer ${token}\r\nLast-Event-ID: ${from}\r\n\r\n`);
      const head = await new Promise<string>((resolve) => socket.once('data', (chunk: Buffer) => resolve(chunk.toString())));
      socket.pause();
      if (head.startsWith('HTTP/1.1 200')) return socket;
      socket.destroy();
      return undefined;
    }, 10_000, 100);
    // Its one slot is taken until the stream ends: a second stream answers 429 until then.
    await eventually(async () => {
      const second = await openSse(`${h.url}/api/v1/events`, token);
      second.close();
      return second.status === 200 ? true : undefined;
    }, 20_000, 100);
    const chunks: Buffer[] = [];
    client.on('data', (chunk: Buffer) => chunks.push(chunk));
    client.resume();
    await new Promise((resolve) => client.once('end', resolve));
    const received = Buffer.concat(chunks).toString();
    const events = received.split('\ndata: ').length - 1;
    expect(received).to.include(': the client reads too slowly; reconnect with Last-Event-ID');
    expect(events).to.be.above(0);
    expect(events).to.be.below(EVENTS);
  });
});
