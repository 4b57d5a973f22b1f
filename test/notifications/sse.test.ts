// Server-Sent Events on /api/v1: a job's changes in order, its current state first, resumption with Last-Event-ID
// that repeats and misses nothing, and per-user isolation.
import { expect } from 'chai';
import { QspoolClient } from '../../scripts/client/index.ts';
import { newJobId } from '../../storage/keys.ts';
import { type JobEvent, ns } from '../../storage/records.ts';
import { GOOD_JOB, startHarness, type Harness } from '../native-api/harness.ts';
import type { Spooler } from '../../spooler/spooler.ts';
import { openSse, startSpooler, states, type SseConnection } from './support.ts';

describe('job events as Server-Sent Events', function () {
  this.timeout(30_000);
  let h: Harness;
  let alice: string;
  let bob: string;
  const open: SseConnection[] = [];
  const sse = async (path: string, token: string | undefined, lastEventId?: string) => {
    const connection = await openSse(`${h.url}/api/v1${path}`, token, lastEventId);
    open.push(connection);
    return connection;
  };
  const submit = async (token: string) => {
    const answer = await h.call('POST', '/backends/singlequdit/jobs', { token, body: { payload: GOOD_JOB } });
    expect(answer.status, answer.text).to.equal(201);
    return (answer.body as { id: string }).id;
  };

  before(async () => {
    h = await startHarness({ QSPOOL_NOTIFY_POLL_MS: 50, QSPOOL_SSE_KEEPALIVE_MS: 200 });
    alice = await h.user('alice');
    bob = await h.user('bob');
  });
  afterEach(() => open.splice(0).forEach((connection) => connection.close()));
  after(() => h.stop());

  describe('with spoolers running', () => {
    let spooler: Spooler;
    before(async () => {
      spooler = await startSpooler(h.storage);
    });
    after(() => spooler.stop());

    it('shows a client connected before submission QUEUED, RUNNING and DONE in order', async () => {
      const stream = await sse('/events', alice);
      expect(stream.status).to.equal(200);
      const id = await submit(alice);
      const seen = [];
      while (seen.length < 3) {
        const message = (await stream.next())!;
        const data = JSON.parse(message.data) as { job_id: string; seq: number; event_id: string; url: string };
        // Earlier tests' jobs may still be finishing.
        if (data.job_id !== id) continue;
        expect(message.id).to.match(/^[0-9a-f]{24}$/);
        expect(data.url).to.equal(`${h.url}/api/v1/jobs/${id}`);
        seen.push(message);
      }
      expect(states(seen)).to.deep.equal(['QUEUED', 'RUNNING', 'DONE']);
      expect(seen.map((m) => (JSON.parse(m.data) as { seq: number }).seq)).to.deep.equal([1, 2, 3]);
    });

    it('shows a client that connects after DONE the DONE state at once, then ends the stream', async () => {
      const id = await submit(alice);
      const first = await sse(`/jobs/${id}/events`, alice);
      await first.rest();
      const started = Date.now();
      const late = await sse(`/jobs/${id}/events`, alice);
      const messages = await late.rest(2000);
      expect(states(messages)).to.deep.equal(['DONE']);
      expect(messages[0]!.id).to.equal(`${id}-3`);
      expect(Date.now() - started).to.be.below(1000);
    });

    it('does not show one user\'s jobs on another user\'s stream', async () => {
      const bobs = await sse('/events', bob);
      const id = await submit(alice);
      const mine = await sse(`/jobs/${id}/events`, alice);
      expect(states(await mine.rest()).at(-1)).to.equal('DONE');
      const silence = await bobs.next(300).catch((error: Error) => error);
      expect(silence).to.be.instanceOf(Error);
    });
  });

  describe('resumed with Last-Event-ID (changes made by hand while the client is away)', () => {
    const claimAndComplete = async () => {
      const claim = (await h.lifecycle.claim('singlequdit', 'test-spooler'))!;
      await h.lifecycle.complete(claim, { success: true });
    };
    let spoolerFree: Harness;
    before(async () => {
      // A server without spoolers, so the test decides when each change happens.
      spoolerFree = h;
      h = await startHarness({ QSPOOL_NOTIFY_POLL_MS: 50 });
      alice = await h.user('alice');
      bob = await h.user('bob');
    });
    after(async () => {
      await h.stop();
      h = spoolerFree;
    });

    it('sends a job\'s stream exactly the changes after the last one seen, and 204 once it saw the final one', async () => {
      const id = await submit(alice);
      const first = await sse(`/jobs/${id}/events`, alice);
      const queued = (await first.next())!;
      expect([queued.id, states([queued])]).to.deep.equal([`${id}-1`, ['QUEUED']]);
      first.close();
      await claimAndComplete();
      const resumed = await sse(`/jobs/${id}/events`, alice, queued.id);
      const messages = await resumed.rest();
      expect(messages.map((m) => m.id)).to.deep.equal([`${id}-2`, `${id}-3`]);
      expect(states(messages)).to.deep.equal(['RUNNING', 'DONE']);
      expect(states(await (await sse(`/jobs/${id}/events`, alice, `${id}-2`)).rest())).to.deep.equal(['DONE']);
      expect((await sse(`/jobs/${id}/events`, alice, `${id}-3`)).status).to.equal(204);
    });

    it('starts a job\'s stream over from its current state when Last-Event-ID names a change it never had', async () => {
      const id = await submit(alice);
      const stream = await sse(`/jobs/${id}/events`, alice, `${id}-50`);
      expect(states([(await stream.next())!])).to.deep.equal(['QUEUED']);
      await claimAndComplete();
      expect(states(await stream.rest(5000))).to.deep.equal(['RUNNING', 'DONE']);
      expect(states(await (await sse(`/jobs/${id}/events`, alice, `${id}-50`)).rest(5000))).to.deep.equal(['DONE']);
    });

    it('replays the caller\'s stream after the last event seen, without repeating it', async () => {
      const stream = await sse('/events', alice);
      const id = await submit(alice);
      const queued = (await stream.next())!;
      expect(states([queued])).to.deep.equal(['QUEUED']);
      stream.close();
      await claimAndComplete();
      const other = await submit(bob);
      const resumed = await sse('/events', alice, queued.id);
      const running = (await resumed.next())!;
      const done = (await resumed.next())!;
      expect(states([running, done])).to.deep.equal(['RUNNING', 'DONE']);
      expect([running, done].map((m) => (JSON.parse(m.data) as { job_id: string }).job_id)).to.deep.equal([id, id]);
      expect(running.id! > queued.id! && done.id! > running.id!).to.equal(true);
      // Nothing else is pending for alice (bob's job is not hers).
      expect(await resumed.next(300).catch(() => 'silent')).to.equal('silent');
      expect(other).to.not.equal(id);
    });
  });

  it('starts the caller\'s stream live when Last-Event-ID lies ahead of every event (another store\'s, a made-up one)', async () => {
    for (const ahead of ['ffffffffffffffffffffffff', (Date.now() + 3_600_000).toString(16).padStart(12, '0') + '0'.repeat(12)]) {
      const stream = await sse('/events', alice, ahead);
      const id = await submit(alice);
      const queued = (await stream.next(5000))!;
      expect(JSON.parse(queued.data)).to.include({ job_id: id, status: 'QUEUED' });
      stream.close();
    }
  });

  it('resumes the caller\'s stream across more changes than one replay reads, missing none of theirs', async () => {
    // This process's keys only grow: everything written below sorts after it, everything earlier before.
    const from = newJobId();
    const queued = (owner: string): JobEvent => {
      const jobId = newJobId();
      return { id: `${jobId}-1`, jobId, backend: 'singlequdit', owner, state: 'QUEUED', seq: 1, attempts: 0, at: new Date().toISOString(), detail: 'Queued.', errorMessage: null, requeued: false };
    };
    // Someone else's 20,500 changes (more than a replay scans, 20,000), then one of alice's.
    for (let written = 0; written < 20_500; written += 500) {
      await Promise.all(Array.from({ length: 500 }, () => queued('zoe')).map((event) => h.storage.put(ns.events, event.jobId, event)));
    }
    const hers = queued('alice');
    await h.storage.put(ns.events, hers.jobId, hers);

    const first = await (await fetch(`${h.url}/api/v1/events`, { headers: { authorization: `Bearer ${alice}`, 'last-event-id': from } })).text();
    expect(first, 'the first connection ends where its replay stopped').to.match(/\nid: [0-9a-f]{24}\n\n: more changes to replay; reconnect with Last-Event-ID\n\n$/);
    expect(first).to.not.include('data:');

    const abort = new AbortController();
    const client = new QspoolClient({ url: h.url, token: alice });
    try {
      const { value } = await client.events({ lastEventId: from, signal: abort.signal, retryMs: 10 }).next();
      expect(value!.event).to.include({ job_id: hers.jobId, status: 'QUEUED' });
      expect(value!.id).to.equal(hers.jobId);
    } finally {
      abort.abort();
    }
  });

  it('answers 404 for another user\'s job, and 401 without a token, before streaming anything', async () => {
    const id = await submit(alice);
    const answer = await fetch(`${h.url}/api/v1/jobs/${id}/events`, { headers: { authorization: `Bearer ${bob}` } });
    expect(answer.status).to.equal(404);
    expect(((await answer.json()) as { error: { code: string } }).error.code).to.equal('not_found');
    expect((await fetch(`${h.url}/api/v1/jobs/${id}/events`)).status).to.equal(401);
    expect((await fetch(`${h.url}/api/v1/events`)).status).to.equal(401);
    expect((await fetch(`${h.url}/api/v1/jobs/000000000000000000000000/events`, { headers: { authorization: `Bearer ${alice}` } })).status).to.equal(404);
  });

  it('keeps an idle stream open with keep-alive comments', async () => {
    const response = await fetch(`${h.url}/api/v1/events`, { headers: { authorization: `Bearer ${alice}` } });
    expect(response.headers.get('content-type')).to.match(/^text\/event-stream/);
    const reader = response.body!.getReader();
    let text = '';
    const deadline = Date.now() + 2000;
    while (!text.includes(': keep-alive') && Date.now() < deadline) text += new TextDecoder().decode((await reader.read()).value);
    await reader.cancel();
    expect(text).to.include(': connected').and.include(': keep-alive');
  });
});
