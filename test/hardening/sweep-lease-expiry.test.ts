// Cancels racing the lease expiry of jobs whose spooler process was SIGKILLed mid-run: a job flagged before its lease
// ran out ends CANCELLED (never run again), one not cancelled goes back to the queue (the one documented step back,
// RUNNING to QUEUED) and a surviving spooler runs it to DONE. Status (native and qlued v2), list, events and the
// cancel answers tell one story for every job.
import { expect } from 'chai';
import type { JobState } from '../../storage/records.ts';
import { GOOD_JOB, eventually, startHarness, type Answer, type Harness } from '../native-api/harness.ts';
import { followEvents } from '../support/event-follower.ts';
import { spawnQspool, type QspoolProcess } from '../support/qspool-process.ts';
import { SweepObserver } from '../support/sweep-observer.ts';
import { request } from '../support/system.ts';

/** About 3 s of work in 25 ms experiments (the spooler looks for a cancel between any two). */
const LONG = Object.fromEntries(
  Array.from({ length: 120 }, (_, i) => [`experiment_${i}`, { ...GOOD_JOB.experiment_0, instructions: [['load', [0], [200]], ...Array.from({ length: 40 }, () => ['rlx', [0], [0.1]]), ['measure', [0], []]] }]),
);
const LEASE_MS = 3000;
const FINAL: JobState[] = ['DONE', 'ERROR', 'CANCELLED'];

describe('a sweep\'s cancels racing the lease expiry of a killed spooler', function () {
  this.timeout(120_000);
  let h: Harness;
  let token: string;
  const spoolers: QspoolProcess[] = [];
  const spooler = () => {
    const started = spawnQspool(['spooler', '--backend', 'singlequdit', '--storage', h.dataDir], {
      QSPOOL_FSYNC: 'false',
      QSPOOL_POLL_MS: '20',
      QSPOOL_LEASE_MS: String(LEASE_MS),
      LOG_LEVEL: 'info',
    });
    spoolers.push(started);
    return started;
  };

  before(async () => {
    h = await startHarness({ QSPOOL_MAX_QUEUED_PER_USER: 1000, QSPOOL_NOTIFY_POLL_MS: 50 });
    token = await h.user('ada');
  });
  after(async () => {
    for (const started of spoolers) started.kill();
    await h.stop();
  });

  it('ends cancelled jobs CANCELLED and the others DONE, and every reader agrees', async () => {
    const observer = new SweepObserver({ leaseExpiry: true });
    const call = (method: string, path: string, body?: unknown) => h.call(method, path, { token, ...(body === undefined ? {} : { body }) });
    const seeJob = async (id: string) => {
      const known = observer.before();
      const answer = await call('GET', `/jobs/${id}`);
      observer.see(known, id, (answer.body as { status: JobState }).status, 'GET /jobs/{id}');
      const v2known = observer.before();
      const v2 = await request(`${h.url}/api/v2/singlequdit/get_job_status?job_id=${id}&token=${token}`);
      observer.see(v2known, id, (v2.body as { status: JobState }).status, 'v2 get_job_status');
    };
    const events = await followEvents(h.url, token, () => 2 + Math.floor(Math.random() * 4));
    const doomed = [spooler(), spooler(), spooler()];
    await Promise.all(doomed.map((started) => started.line((line) => line.event === 'spooler.started')));
    const ids: string[] = [];
    for (let i = 0; i < 6; i += 1) ids.push(((await call('POST', '/backends/singlequdit/jobs', { payload: LONG })).body as { id: string }).id);
    const running = await eventually(async () => {
      const states = await Promise.all(ids.map(async (id) => [id, ((await call('GET', `/jobs/${id}`)).body as { status: JobState }).status] as const));
      const now = states.filter(([, state]) => state === 'RUNNING').map(([id]) => id);
      return now.length === doomed.length ? now : undefined;
    }, 30_000, 50);
    // One running job cancelled before its spooler dies, one queued job cancelled; the second running one never is.
    const cancels = new Map<string, Answer>();
    const queued = ids.filter((id) => !running.includes(id));
    cancels.set(running[0]!, await call('POST', `/jobs/${running[0]}/cancel`));
    cancels.set(queued[0]!, await call('POST', `/jobs/${queued[0]}/cancel`));
    const spawned = Date.now();
    for (const started of doomed) started.child.kill('SIGKILL');
    await Promise.all(doomed.map((started) => started.exited));
    // A surviving spooler reaps the expired leases; the third running job's cancel, sent about as its lease runs
    // out, races the reaper (and the survivor's claim of the job once it is back in the queue).
    const survivor = spooler();
    const racing = new Promise((resolve) => setTimeout(resolve, Math.max(0, spawned + LEASE_MS - 200 - Date.now()))).then(async () =>
      cancels.set(running[2]!, await call('POST', `/jobs/${running[2]}/cancel`)),
    );
    await survivor.line((line) => line.event === 'spooler.started');
    const polling = (async () => {
      for (let done = false; !done; ) {
        await Promise.all(ids.map(seeJob));
        done = ids.every((id) => FINAL.includes(observer.state(id) ?? 'QUEUED'));
      }
    })();
    await Promise.all([racing, polling]);

    const final = new Map<string, JobState>();
    const page = (await call('GET', '/jobs?limit=100')).body as { jobs: { id: string; status: JobState }[] };
    for (const job of page.jobs) final.set(job.id, job.status);
    const last = new Map<string, { seq: number; state: JobState }[]>();
    await eventually(async () => {
      last.clear();
      for (const event of events.events) last.set(event.jobId, [...(last.get(event.jobId) ?? []), event]);
      return ids.every((id) => FINAL.includes(last.get(id)?.at(-1)?.state ?? 'QUEUED')) ? true : undefined;
    }, 20_000, 100);
    await events.stop();
    for (const id of ids) {
      const detail = ((await call('GET', `/jobs/${id}`)).body as { status: JobState }).status;
      const seqs = (last.get(id) ?? []).map((event) => event.seq);
      expect(seqs, `${id}: events once each, in order`).to.deep.equal(seqs.map((_, i) => i + 1));
      expect({ list: final.get(id), events: last.get(id)!.at(-1)!.state }, id).to.deep.equal({ list: detail, events: detail });
      const cancel = cancels.get(id);
      // Cancelled at once (200) or flagged (202), it never runs to the end: its spooler died, and a job the reaper
      // finds flagged is not retried.
      if (cancel) expect([[200, 'CANCELLED'], [202, 'CANCELLED']], `${id}: ${cancel.text}`).to.deep.include([cancel.status, detail]);
      else expect(detail, id).to.equal('DONE');
    }
    expect(observer.problems).to.deep.equal([]);
    // The running job nobody cancelled really went back to the queue and ran again.
    const other = running[1]!;
    expect((last.get(other) ?? []).map((event) => event.state)).to.deep.equal(['QUEUED', 'RUNNING', 'QUEUED', 'RUNNING', 'DONE']);
  });
});
