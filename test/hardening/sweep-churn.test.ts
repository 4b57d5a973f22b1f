// A lab user's parameter sweep while two spooler processes claim and finish its jobs: submissions from four threads,
// status polls (native and qlued v2), result reads, list pages under every filter, cancels and deletes, all at once,
// the caller's event stream followed over a link that drops every few events, and a webhook. What the client sees
// must agree: no job goes back, a job listed or polled DONE has its result, pages neither repeat nor skip a job that stood still,
// cancel answers come true, and the events arrive once each, in each job's order, ending in the job's final state.
import { expect } from 'chai';
import type { JobState } from '../../storage/records.ts';
import { GOOD_JOB, startHarness, type Answer, type Harness } from '../native-api/harness.ts';
import { startReceiver, type Receiver } from '../notifications/support.ts';
import { followEvents } from '../support/event-follower.ts';
import { spawnQspool, type QspoolProcess } from '../support/qspool-process.ts';
import { SweepObserver } from '../support/sweep-observer.ts';
import { eventually, request } from '../support/system.ts';

const JOBS = 160;
const THREADS = 4;
const TAGS = ['p0', 'p1', 'p2'];
const FINAL: JobState[] = ['DONE', 'ERROR', 'CANCELLED'];
/** Tens of milliseconds of simulation per job, so the queue fills and the sweep is still running while it is paged. */
const PAYLOAD = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`experiment_${i}`, { ...GOOD_JOB.experiment_0, shots: 400 }]));

const pick = <T>(list: readonly T[]): T => list[Math.floor(Math.random() * list.length)]!;
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Summary {
  id: string;
  status: JobState;
  tags: string[];
}

describe('a sweep\'s view of its jobs while spoolers run them', function () {
  this.timeout(120_000);
  let h: Harness;
  let token: string;
  const spoolers: QspoolProcess[] = [];
  let receiver: Receiver;

  before(async () => {
    h = await startHarness({ QSPOOL_MAX_QUEUED_PER_USER: 1000, QSPOOL_NOTIFY_POLL_MS: 50, QSPOOL_WEBHOOK_ALLOW_PRIVATE: true });
    token = await h.user('ada');
    receiver = await startReceiver();
    const hook = await h.call('POST', '/webhooks', { token, body: { url: receiver.url } });
    expect(hook.status, hook.text).to.equal(201);
    for (let n = 0; n < 2; n += 1) {
      spoolers.push(spawnQspool(['spooler', '--backend', 'singlequdit', '--storage', h.dataDir], { QSPOOL_FSYNC: 'false', QSPOOL_POLL_MS: '20', LOG_LEVEL: 'info' }));
    }
    await Promise.all(spoolers.map((spooler) => spooler.line((line) => line.event === 'spooler.started')));
  });

  after(async () => {
    for (const spooler of spoolers) spooler.kill();
    await h.stop();
    await receiver.close();
  });

  it('shows every reader the same, forward-only story of every job', async () => {
    const observer = new SweepObserver();
    const call = (method: string, path: string, body?: unknown) => h.call(method, path, { token, ...(body === undefined ? {} : { body }) });
    const events = await followEvents(h.url, token, () => 3 + Math.floor(Math.random() * 25));
    const submitted: Summary[] = [];
    const deleted = new Set<string>();
    /** Jobs a delete was sent for: a page sent later may leave the job out. */
    const deleting = new Set<string>();
    const cancels = new Map<string, { first: Answer; second: Answer }>();
    const cancelling = new Set<string>();
    const problems = observer.problems;
    let submitting = true;
    let pages = 0;

    const seeAnswer = async (id: string, answer: Answer, known: ReturnType<SweepObserver['before']>, by: string) => {
      if (answer.status === 404 && deleting.has(id)) return;
      expect(answer.status, `${by} ${id}: ${answer.text}`).to.equal(200);
      const state = (answer.body as { status: JobState }).status;
      observer.see(known, id, state, by);
      if (state !== 'DONE') return;
      const result = await call('GET', `/jobs/${id}/result`);
      if (!(result.status === 404 && deleting.has(id)) && result.status !== 200) problems.push(`${id}: ${by} said DONE, its result answered ${result.status} ${result.text}`);
    };

    const submitter = async (thread: number) => {
      for (let i = thread; i < JOBS; i += THREADS) {
        const tags = [TAGS[i % TAGS.length]!];
        const answer = await call('POST', '/backends/singlequdit/jobs', { payload: PAYLOAD, tags });
        expect(answer.status, answer.text).to.equal(201);
        submitted.push({ id: (answer.body as { id: string }).id, status: 'QUEUED', tags });
      }
    };

    const poller = async () => {
      while (submitting || !allFinal()) {
        const job = submitted.length > 0 ? pick(submitted) : undefined;
        if (!job) {
          await pause(5);
          continue;
        }
        let known = observer.before();
        await seeAnswer(job.id, await call('GET', `/jobs/${job.id}`), known, 'GET /jobs/{id}');
        known = observer.before();
        const v2 = await request(`${h.url}/api/v2/singlequdit/get_job_status?job_id=${job.id}&token=${token}`);
        // qlued answers 406 with a status dict for a failed job, and for a missing one (status ERROR, as qlued did).
        const missing = (v2.body as { detail?: string }).detail === 'Could not find the status file.';
        if (!(missing && deleting.has(job.id))) {
          const state = (v2.body as { status: JobState }).status;
          observer.see(known, job.id, state, 'v2 get_job_status');
          if (state === 'DONE') {
            const result = await request(`${h.url}/api/v2/singlequdit/get_job_result?job_id=${job.id}&token=${token}`);
            if (!deleting.has(job.id) && (result.body as { status?: string }).status !== 'finished') problems.push(`${job.id}: v2 status DONE, v2 result ${result.text}`);
          }
        }
      }
    };

    const allFinal = () => submitted.every((job) => deleted.has(job.id) || FINAL.includes(observer.state(job.id) ?? 'QUEUED'));

    /** One pass through the list with `query`; `expected` are the jobs it must list exactly once. */
    const pass = async (query: string, expected: Set<string>) => {
      const listed: string[] = [];
      let cursor: string | null | undefined;
      do {
        const known = observer.before();
        const page = await call('GET', `/jobs?limit=7${query}${cursor ? `&cursor=${cursor}` : ''}`);
        expect(page.status, page.text).to.equal(200);
        pages += 1;
        const body = page.body as { jobs: Summary[]; next_cursor: string | null };
        for (const job of body.jobs) {
          listed.push(job.id);
          observer.see(known, job.id, job.status, `list page (${query || 'no filter'})`);
        }
        cursor = body.next_cursor;
      } while (cursor);
      const twice = listed.filter((id, i) => listed.indexOf(id) !== i);
      if (twice.length > 0) problems.push(`${query}: listed twice: ${twice.join(', ')}`);
      if (listed.some((id, i) => i > 0 && id < listed[i - 1]!)) problems.push(`${query}: out of creation order`);
      // `expected` holds no job whose delete was sent before the pass: one missing now was deleted during it.
      const skipped = [...expected].filter((id) => !listed.includes(id) && !deleting.has(id));
      if (skipped.length > 0) problems.push(`${query}: skipped ${skipped.join(', ')}`);
    };

    const pager = async () => {
      while (submitting || !allFinal()) {
        const standing = submitted.filter((job) => !deleting.has(job.id));
        const finished = (state: JobState) => new Set(standing.filter((job) => observer.state(job.id) === state).map((job) => job.id));
        await pass('', new Set(standing.map((job) => job.id)));
        await pass('&tag=p1', new Set(standing.filter((job) => job.tags.includes('p1')).map((job) => job.id)));
        await pass('&status=DONE', finished('DONE'));
        await pass('&status=CANCELLED,ERROR', new Set([...finished('CANCELLED'), ...finished('ERROR')]));
        await pass('&status=QUEUED,RUNNING', new Set());
        // From the creation of a job a third of the way in: that job and every later one (inclusive, to the millisecond).
        const from = standing[Math.floor(standing.length / 3)];
        const created = from && ((await call('GET', `/jobs/${from.id}`)).body as { created_at?: string }).created_at;
        if (from && created) await pass(`&created_after=${encodeURIComponent(created)}`, new Set(standing.filter((job) => job.id >= from.id).map((job) => job.id)));
      }
    };

    const canceller = async () => {
      while (submitting || cancels.size < JOBS / 5) {
        // Mostly among the newest jobs, which are still queued or running; now and then any.
        const job = submitted.length > 0 ? pick(Math.random() < 0.7 ? submitted.slice(-8) : submitted) : undefined;
        if (!job || cancelling.has(job.id) || deleting.has(job.id)) {
          await pause(3);
          continue;
        }
        cancelling.add(job.id);
        const first = await call('POST', `/jobs/${job.id}/cancel`);
        const second = await call('POST', `/jobs/${job.id}/cancel`);
        cancels.set(job.id, { first, second });
        if (first.status === 200 || first.status === 202) observer.see(new Map(), job.id, (first.body as { status: JobState }).status, 'cancel answer');
      }
    };

    const deleter = async () => {
      while (submitting || deleted.size < JOBS / 10) {
        const job = submitted.find((candidate) => !deleting.has(candidate.id) && !cancelling.has(candidate.id) && observer.state(candidate.id) === 'DONE');
        if (!job) {
          await pause(10);
          continue;
        }
        deleting.add(job.id);
        const answer = await call('DELETE', `/jobs/${job.id}`);
        expect(answer.status, answer.text).to.equal(204);
        deleted.add(job.id);
      }
    };

    const workers = [poller(), poller(), pager(), canceller(), deleter()];
    await Promise.all(Array.from({ length: THREADS }, (_, thread) => submitter(thread)));
    submitting = false;
    await Promise.all(workers);
    await eventually(async () => {
      const ended = await Promise.all(submitted.filter((job) => !deleted.has(job.id)).map(async (job) => (await call('GET', `/jobs/${job.id}`)).body as Summary));
      return ended.every((job) => FINAL.includes(job.status)) ? true : undefined;
    }, 60_000, 200);

    // The end state, read every way.
    const listed = new Map<string, JobState>();
    for (let cursor: string | null = ''; cursor !== null; ) {
      const body = (await call('GET', `/jobs?limit=100${cursor ? `&cursor=${cursor}` : ''}`)).body as { jobs: Summary[]; next_cursor: string | null };
      for (const job of body.jobs) listed.set(job.id, job.status);
      cursor = body.next_cursor;
    }
    const last = new Map<string, JobState>();
    const hooked = new Map<string, { seq: number; status: JobState }>();
    await eventually(async () => {
      for (const event of events.events) last.set(event.jobId, event.state);
      // Webhooks come at least once and may come out of order (a retry): the one with the highest seq is the job's latest.
      for (const { body } of receiver.requests) {
        const { data } = JSON.parse(body) as { data: { job_id: string; seq: number; status: JobState } };
        if ((hooked.get(data.job_id)?.seq ?? 0) < data.seq) hooked.set(data.job_id, data);
      }
      const heard = (job: Summary) => FINAL.includes(last.get(job.id) ?? 'QUEUED') && FINAL.includes(hooked.get(job.id)?.status ?? 'QUEUED');
      return submitted.every((job) => deleted.has(job.id) || heard(job)) ? true : undefined;
    }, 20_000, 100);
    await events.stop();
    for (const job of submitted.filter((candidate) => !deleted.has(candidate.id))) {
      const detail = (await call('GET', `/jobs/${job.id}`)).body as Summary;
      const v2 = (await request(`${h.url}/api/v2/singlequdit/get_job_status?job_id=${job.id}&token=${token}`)).body as { status: JobState };
      const states = { detail: detail.status, list: listed.get(job.id), v2: v2.status, events: last.get(job.id), webhooks: hooked.get(job.id)?.status };
      if (new Set(Object.values(states)).size !== 1) problems.push(`${job.id}: ends ${JSON.stringify(states)}`);
      const cancel = cancels.get(job.id);
      if (cancel) problems.push(...cancelProblems(job.id, detail.status, cancel.first, cancel.second));
    }
    for (const id of deleted) expect(listed.has(id), `${id} was deleted`).to.equal(false);
    problems.push(...eventProblems(events.events, submitted.filter((job) => !deleted.has(job.id)).map((job) => job.id)));

    expect(problems).to.deep.equal([]);
    // The sweep really overlapped: cancels met queued and running jobs, and the stream was dropped many times.
    const firsts = [...cancels.values()].map((cancel) => cancel.first.status);
    expect(firsts, 'some cancels found the job queued').to.include(200);
    expect(events.connections()).to.be.greaterThan(10);
    expect(pages).to.be.greaterThan(50);
  });
});

/** What a cancel's two answers promised, against the job's final state. */
function cancelProblems(id: string, final: JobState, first: Answer, second: Answer): string[] {
  const problems: string[] = [];
  const code = (answer: Answer) => (answer.body as { error?: { code: string } }).error?.code;
  const details = (answer: Answer) => (answer.body as { error?: { details: { status?: string } | null } }).error?.details;
  // 200: cancelled at once. 202: running and flagged: it ends CANCELLED once its spooler sees the flag, or DONE (or
  // ERROR) if it finished first. 409 job_finished: it had already ended as it is now, which details.status says.
  const allowed: Record<number, JobState[]> = { 200: ['CANCELLED'], 202: ['CANCELLED', 'DONE', 'ERROR'], 409: [final] };
  for (const [n, answer] of [first, second].entries()) {
    if (!(allowed[answer.status] ?? []).includes(final)) problems.push(`${id}: cancel ${n + 1} answered ${answer.status} ${answer.text}, the job ended ${final}`);
    if (answer.status === 409 && !(code(answer) === 'job_finished' && details(answer)?.status === final)) problems.push(`${id}: cancel ${n + 1} answered ${answer.text}`);
  }
  if (first.status === 200 && second.status !== 409) problems.push(`${id}: a second cancel of a cancelled job answered ${second.status}`);
  return problems;
}

/** Each job's events once each, in seq order, from its submission to its final state with no step left out. */
function eventProblems(events: { jobId: string; seq: number; state: JobState }[], ids: string[]): string[] {
  const problems: string[] = [];
  const byJob = new Map<string, number[]>();
  for (const event of events) byJob.set(event.jobId, [...(byJob.get(event.jobId) ?? []), event.seq]);
  for (const id of ids) {
    const seqs = byJob.get(id) ?? [];
    const expected = Array.from({ length: seqs.length }, (_, i) => i + 1);
    if (JSON.stringify(seqs) !== JSON.stringify(expected)) problems.push(`${id}: events with seqs ${seqs.join(',')}`);
  }
  return problems;
}
