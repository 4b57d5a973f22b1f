// A client resuming its event stream must hear every change committed after the last event it got, even one whose
// process took its clock reading before that event's writer did (another process in the same millisecond, a group
// that waited for the write lock). On the local store outbox keys follow commit order, so nothing can hide behind
// the id a client resumes from.
import { expect } from 'chai';
import { ns } from '../../storage/records.ts';
import { GOOD_JOB, startHarness, type Harness } from '../native-api/harness.ts';
import { keyAhead, openSse, queuedEvent } from './support.ts';

describe('an event stream resumed after the latest event it got', function () {
  this.timeout(30_000);
  let h: Harness;

  before(async () => {
    h = await startHarness({ QSPOOL_NOTIFY_POLL_MS: 50, LOG_LEVEL: 'silent' });
  });
  after(() => h.stop());

  it('replays a change committed after that event though its writer\'s clock read earlier', async () => {
    const token = await h.user('cleo');
    const submitted = await h.call('POST', '/backends/singlequdit/jobs', { token, body: { payload: GOOD_JOB } });
    const jobId = (submitted.body as { id: string }).id;
    // Another writer's event, committed first under a key a little ahead of this process's next reading.
    const latest = keyAhead(400);
    await h.storage.put(ns.events, latest, queuedEvent('cleo', latest));
    const cancelled = await h.call('POST', `/jobs/${jobId}/cancel`, { token });
    expect(cancelled.status).to.equal(200);

    const resumed = await openSse(`${h.url}/api/v1/events`, token, latest);
    const message = await resumed.next(5000).catch(() => undefined);
    resumed.close();
    expect(message, 'the cancel, committed after the event the client resumed from').to.not.equal(undefined);
    expect((message!.id ?? '') > latest, 'its id sorts after the one resumed from').to.equal(true);
    expect(JSON.parse(message!.data)).to.include({ job_id: jobId, status: 'CANCELLED' });
  });
});
