// Notifications for jobs on a registered storage provider: their events are written into the lab's outbox (by the
// server on submission, by the lab's spooler as the job runs), and the server still streams them (SSE) and calls the
// owner's webhooks. Events a lab writes about jobs it does not hold reach nobody.
import { expect } from 'chai';
import { newJobId } from '../storage/keys.ts';
import { type JobEvent, ns } from '../storage/records.ts';
import { GOOD_JOB, eventually, startHarness, type Harness } from './native-api/harness.ts';
import { openSse, startReceiver, states, type Receiver } from './notifications/support.ts';
import { SECRET_KEY, startLabProvider, type LabProvider } from './support/lab-provider.ts';

const LAB_BACKEND = 'lab1_singlequdit_simulator';

describe('notifications for jobs on a registered storage provider', function () {
  this.timeout(60_000);
  let h: Harness;
  let lab: LabProvider;
  let receiver: Receiver;
  let ada: string;

  before(async () => {
    h = await startHarness({ QSPOOL_SECRET_KEY: SECRET_KEY, QSPOOL_WEBHOOK_ALLOW_PRIVATE: true, QSPOOL_NOTIFY_POLL_MS: 50, LOG_LEVEL: 'silent' });
    lab = await startLabProvider(h.storage, h.config, 'lab1', ['singlequdit']);
    receiver = await startReceiver();
    ada = await h.user('ada');
    const hook = await h.call('POST', '/webhooks', { token: ada, body: { url: receiver.url, events: ['DONE'] } });
    expect(hook.status, hook.text).to.equal(201);
  });
  after(async () => {
    await lab.stop();
    await h.stop();
    await receiver.close();
  });

  const submit = async () => {
    const answer = await h.call('POST', `/backends/${LAB_BACKEND}/jobs`, { token: ada, body: { payload: GOOD_JOB } });
    expect(answer.status, answer.text).to.equal(201);
    return (answer.body as { id: string }).id;
  };
  const hookCalls = () => receiver.requests.map((request) => JSON.parse(request.body) as { type: string; data: { job_id: string } });

  it('streams a lab job\'s changes to its end and calls the owner\'s webhook, from the lab\'s outbox', async () => {
    const mine = await openSse(`${h.url}/api/v1/events`, ada);
    const id = await submit();
    const job = await openSse(`${h.url}/api/v1/jobs/${id}/events`, ada);
    const seen = states(await job.rest(30_000));
    expect(seen.at(-1)).to.equal('DONE');
    // The events are on the lab's storage: the spooler there wrote RUNNING and DONE.
    const outbox = await lab.storage.list(ns.events);
    const events = await Promise.all(outbox.map(async (key) => (await lab.storage.get<JobEvent>(ns.events, key))!.value));
    expect(events.filter((event) => event.jobId === id).map((event) => event.state)).to.deep.equal(['QUEUED', 'RUNNING', 'DONE']);
    const streamed: string[] = [];
    while (!streamed.includes('DONE')) {
      const message = await mine.next(30_000);
      const data = JSON.parse(message!.data) as { job_id: string; status: string };
      if (data.job_id === id) streamed.push(data.status);
    }
    expect(streamed).to.deep.equal(['QUEUED', 'RUNNING', 'DONE']);
    mine.close();
    const call = await eventually(async () => hookCalls().find((body) => body.data.job_id === id), 30_000);
    expect(call.type).to.equal('job.done');
  });

  it('ignores events the lab writes about jobs it does not hold', async () => {
    const forgedId = newJobId();
    const forged: JobEvent = {
      id: `${forgedId}-3`,
      jobId: forgedId,
      backend: 'singlequdit',
      owner: 'ada',
      state: 'DONE',
      seq: 3,
      attempts: 1,
      at: new Date().toISOString(),
      detail: 'Done.',
      errorMessage: null,
      requeued: false,
    };
    const mine = await openSse(`${h.url}/api/v1/events`, ada);
    await lab.storage.put(ns.events, newJobId(), forged, { ifAbsent: true });
    // A real job after it: once its DONE has come through, the forged event (earlier in the outbox) was read too.
    const id = await submit();
    const streamed: string[] = [];
    for (;;) {
      const data = JSON.parse((await mine.next(30_000))!.data) as { job_id: string; status: string };
      streamed.push(data.job_id);
      if (data.job_id === id && data.status === 'DONE') break;
    }
    mine.close();
    await eventually(async () => hookCalls().find((body) => body.data.job_id === id), 30_000);
    expect(streamed).to.include(id).and.not.include(forgedId);
    expect(hookCalls().map((body) => body.data.job_id)).to.not.include(forgedId);
  });

  it('holds the notifications of a deactivated provider\'s jobs until it is active again', async () => {
    await lab.pause();
    const id = await submit();
    await lab.registry.setActive('lab1', false);
    await lab.resume();
    // The job still runs (deactivation only closes the door to new jobs); its DONE waits in the lab's outbox.
    await eventually(async () => ((await lab.storage.get(ns.finished('singlequdit'), id)) ? true : undefined), 30_000);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(hookCalls().map((body) => body.data.job_id)).to.not.include(id);
    await lab.registry.setActive('lab1', true);
    const call = await eventually(async () => hookCalls().find((body) => body.data.job_id === id), 30_000);
    expect(call.type).to.equal('job.done');
  });

  it('keeps notifying while another registered provider cannot be reached', async () => {
    const login = { endpoint_url: 'http://127.0.0.1:1', region: 'x', bucket: 'gone', access_key_id: 'a', secret_access_key: 'b' };
    // Named to sort before lab1, so its outbox is read first in every round.
    await lab.registry.add({ name: 'dead', type: 's3', login });
    try {
      const id = await submit();
      const call = await eventually(async () => hookCalls().find((body) => body.data.job_id === id), 30_000);
      expect(call.type).to.equal('job.done');
    } finally {
      await lab.registry.remove('dead');
    }
  });
});
