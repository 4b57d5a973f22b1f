// A client resuming its event stream on a replica whose clock is behind the process that wrote the last event it got
// (a spooler or another replica an hour ahead): the id is ahead of this server's clock but in the outbox, so the
// stream replays the changes since it, instead of starting live and losing them.
import { expect } from 'chai';
import { ns } from '../../storage/records.ts';
import { startHarness, type Harness } from '../native-api/harness.ts';
import { keyAhead, openSse, queuedEvent, type SseConnection } from './support.ts';

describe('an event stream resumed from an id ahead of the server\'s clock', function () {
  this.timeout(30_000);
  let h: Harness;
  let streams: SseConnection[] = [];

  before(async () => {
    h = await startHarness({ QSPOOL_NOTIFY_POLL_MS: 50, LOG_LEVEL: 'silent' });
  });
  afterEach(() => {
    for (const stream of streams) stream.close();
    streams = [];
  });
  after(() => h.stop());

  it('replays the changes after it when the outbox holds it', async () => {
    const token = await h.user('ann');
    // The stream the client had, on the replica it was on: it got the first event.
    const first = await openSse(`${h.url}/api/v1/events`, token);
    streams.push(first);
    const [k1, k2] = [keyAhead(3600_000), keyAhead(3600_001)];
    await h.storage.put(ns.events, k1, queuedEvent('ann', k1));
    expect((await first.next())?.id).to.equal(k1);
    // The client is gone (its replica died); the next change happens meanwhile and is read by this server's feed.
    first.close();
    const other = await openSse(`${h.url}/api/v1/events`, await h.user('bob'));
    streams.push(other);
    await h.storage.put(ns.events, k2, queuedEvent('ann', k2));
    const k3 = keyAhead(3600_002);
    await h.storage.put(ns.events, k3, queuedEvent('bob', k3));
    expect(await other.next(), 'this server\'s feed has read past the change').to.not.equal(undefined);

    const resumed = await openSse(`${h.url}/api/v1/events`, token, k1);
    streams.push(resumed);
    expect(resumed.status).to.equal(200);
    expect((await resumed.next(3000).catch(() => undefined))?.id, 'the change after the last event the client got').to.equal(k2);
  });
});
