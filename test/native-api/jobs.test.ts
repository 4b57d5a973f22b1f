// Backends and jobs on the native API: submission (validation, limits, idempotency, tags and priority), a job's
// status, result, cancel and delete, and per-user isolation on every job route.
import { expect } from 'chai';
import { builtinBackends } from '../../spooler/backends/index.ts';
import { ns } from '../../storage/records.ts';
import { GOOD_JOB, startHarness, type Answer, type Harness } from './harness.ts';

const errorOf = (answer: Answer) => (answer.body as { error: { code: string; message: string; details: unknown } }).error;
const idOf = (answer: Answer) => (answer.body as { id: string }).id;
const experiment = (overrides: Record<string, unknown> = {}) => ({ ...GOOD_JOB.experiment_0, ...overrides });

describe('native API: backends and jobs', function () {
  this.timeout(20_000);
  let h: Harness;
  let alice: string;
  let bob: string;
  let admin: string;
  before(async () => {
    h = await startHarness({ QSPOOL_MAX_EXPERIMENTS: 3, QSPOOL_MAX_SHOTS: 1000, QSPOOL_MAX_INSTRUCTIONS: 20, QSPOOL_MAX_QUEUED_PER_USER: 5 });
    [alice, bob, admin] = await Promise.all([h.user('alice'), h.user('bob'), h.user('root', 'admin')]);
  });
  after(async () => h.stop());

  const submit = (token: string, body: unknown, headers: Record<string, string> = {}) =>
    h.call('POST', '/backends/singlequdit/jobs', { token, body, headers });
  const drainQueue = async () => {
    while (await h.lifecycle.claim('singlequdit', 'drain')) {
      // each claimed job just stays running; the quota only counts queued ones
    }
  };

  it('lists the published backends and shows one with its config, job schema and live status', async () => {
    const list = await h.call('GET', '/backends');
    expect((list.body as { backends: { name: string }[] }).backends.map((b) => b.name)).to.deep.equal([...builtinBackends.keys()].sort());
    for (const name of ['singlequdit', 'alqor_singlequdit_simulator']) {
      const detail = await h.call('GET', `/backends/${name}`);
      expect(detail.status).to.equal(200);
      const body = detail.body as { full_name: string; config: { job_schema: object }; status: { operational: boolean; pending_jobs: number } };
      expect(body.full_name).to.equal('alqor_singlequdit_simulator');
      expect(body.config.job_schema).to.be.an('object');
      expect(body.status).to.include({ operational: false, pending_jobs: 0 });
    }
    for (const name of ['nosuch', 'alqor_nosuch_simulator', 'other_singlequdit_simulator', '..%2F..%2Fconfigs', 'a%00b']) {
      const missing = await h.call('GET', `/backends/${name}`);
      expect([missing.status, errorOf(missing).code], name).to.deep.equal([404, 'not_found']);
    }
  });

  it('queues a valid job at once with tags and priority, and answers where to find it', async () => {
    const answer = await submit(alice, { payload: GOOD_JOB, tags: ['calibration', 'run:7'], priority: 3 });
    expect(answer.status).to.equal(201);
    expect(answer.headers.get('location')).to.equal(`/api/v1/jobs/${idOf(answer)}`);
    expect(answer.body).to.include({ status: 'QUEUED', owner: 'alice', backend: 'singlequdit', priority: 3, queue_position: 1 });
    expect((answer.body as { tags: string[] }).tags).to.deep.equal(['calibration', 'run:7']);
    const stored = await h.lifecycle.find('singlequdit', idOf(answer));
    expect(stored!.value.meta).to.deep.equal({ tags: ['calibration', 'run:7'], priority: 3 });
    const second = await submit(alice, { payload: GOOD_JOB });
    expect((second.body as { queue_position: number }).queue_position).to.equal(2);
    await drainQueue();
  });

  it('refuses invalid jobs at once with 422 and every issue, and refuses what breaks the server limits', async () => {
    const cases: [unknown, RegExp][] = [
      [{ experiment_0: experiment({ instructions: [['fhops', [0], [1]]] }) }, /Instruction fhops not allowed/],
      [{ experiment_0: experiment({ shots: 2000 }) }, /2000 shots exceed the server limit of 1000/],
      [{ experiment_0: experiment({ instructions: Array.from({ length: 21 }, () => ['rlx', [0], [1]]) }) }, /21 instructions exceed the server limit of 20/],
      [Object.fromEntries(Array.from({ length: 4 }, (_, i) => [`experiment_${i}`, experiment()])), /4 experiments exceed the server limit of 3/],
      [{ experiment_0: experiment({ wire_order: 'diagonal' }) }, /experiment_0, wire_order/],
    ];
    for (const [payload, message] of cases) {
      const answer = await submit(alice, { payload });
      expect(answer.status, answer.text).to.equal(422);
      expect(errorOf(answer).code).to.equal('invalid_job');
      expect(errorOf(answer).message).to.match(message);
      expect(errorOf(answer).details).to.be.an('array').with.length.greaterThan(0);
    }
    for (const body of [{ payload: 'text' }, { payload: GOOD_JOB, tags: ['x'.repeat(40)] }, { payload: GOOD_JOB, priority: 1.5 }, { payload: GOOD_JOB, tags: Array(17).fill('t') }]) {
      expect((await submit(alice, body)).status).to.equal(422);
    }
    expect((await h.call('POST', '/backends/nosuch/jobs', { token: alice, body: { payload: GOOD_JOB } })).status).to.equal(404);
  });

  it('answers queue positions in the order spoolers take jobs: priority first, then a fair share between users', async () => {
    const position = async (id: string) => ((await h.call('GET', `/jobs/${id}`, { token: admin })).body as { queue_position: number }).queue_position;
    const sweep = [];
    for (let i = 0; i < 3; i += 1) sweep.push(idOf(await submit(alice, { payload: GOOD_JOB })));
    const urgent = idOf(await submit(alice, { payload: GOOD_JOB, priority: 5 }));
    const newcomer = idOf(await submit(await h.user('zoe'), { payload: GOOD_JOB }));
    expect(await position(urgent)).to.equal(1);
    // Zoe waits for at most one of Alice's jobs at her priority, not for Alice's whole sweep.
    expect(await position(newcomer)).to.be.within(2, 3);
    expect(await position(sweep[2]!)).to.equal(5);
    await drainQueue();
  });

  it('allows priorities up to the user\'s allowance only', async () => {
    const refused = await submit(alice, { payload: GOOD_JOB, priority: 9 });
    expect([refused.status, errorOf(refused).code]).to.deep.equal([403, 'priority_not_allowed']);
    expect(errorOf(refused).details).to.deep.equal({ max_priority: 5 });
    expect((await submit(admin, { payload: GOOD_JOB, priority: 9 })).status).to.equal(201);
    await drainQueue();
  });

  it('returns the same job for a replayed Idempotency-Key and 409 when the key comes with another body', async () => {
    const body = { payload: GOOD_JOB, tags: ['once'] };
    const first = await submit(alice, body, { 'Idempotency-Key': 'submit-42' });
    const replays = await Promise.all([1, 2, 3].map(() => submit(alice, body, { 'Idempotency-Key': 'submit-42' })));
    expect(first.status).to.equal(201);
    for (const replay of replays) {
      expect([replay.status, idOf(replay)]).to.deep.equal([200, idOf(first)]);
      expect(replay.headers.get('idempotent-replayed')).to.equal('true');
    }
    const reordered = await submit(alice, { tags: ['once'], payload: GOOD_JOB }, { 'Idempotency-Key': 'submit-42' });
    expect([reordered.status, idOf(reordered)]).to.deep.equal([200, idOf(first)]);
    const conflict = await submit(alice, { ...body, tags: ['twice'] }, { 'Idempotency-Key': 'submit-42' });
    expect([conflict.status, errorOf(conflict).code]).to.deep.equal([409, 'idempotency_key_reused']);
    const otherUser = await submit(bob, body, { 'Idempotency-Key': 'submit-42' });
    expect(otherUser.status).to.equal(201);
    expect(idOf(otherUser)).to.not.equal(idOf(first));
    expect((await submit(alice, body, { 'Idempotency-Key': 'tab\there' })).status).to.equal(422);
    const racing = await Promise.all(Array.from({ length: 6 }, () => submit(alice, body, { 'Idempotency-Key': 'race' })));
    const created = racing.filter((answer) => answer.status === 201);
    expect(created).to.have.length(1);
    for (const answer of racing) expect([200, 201, 409]).to.include(answer.status);
    await drainQueue();
  });

  it('refuses submissions beyond the queued-jobs quota until jobs leave the queue', async () => {
    const carol = await h.user('carol');
    for (let i = 0; i < 5; i += 1) expect((await submit(carol, { payload: GOOD_JOB })).status).to.equal(201);
    const refused = await submit(carol, { payload: GOOD_JOB });
    expect([refused.status, errorOf(refused).code]).to.deep.equal([429, 'quota_exceeded']);
    const replay = await submit(carol, { payload: GOOD_JOB }, { 'Idempotency-Key': 'k' });
    expect(replay.status).to.equal(429);
    await drainQueue();
    expect((await submit(carol, { payload: GOOD_JOB }, { 'Idempotency-Key': 'k' })).status).to.equal(201);
    await drainQueue();
  });

  it('counts a job an administrator requeues against its owner\'s quota at once: no submission takes them past it', async () => {
    const fay = await h.user('fay');
    const ids = [];
    for (let i = 0; i < 5; i += 1) ids.push(idOf(await submit(fay, { payload: GOOD_JOB })));
    // Two leave the queue; the next submission counts the queue afresh (3) and is admitted.
    const claims = [(await h.lifecycle.claim('singlequdit', 's'))!, (await h.lifecycle.claim('singlequdit', 's'))!];
    expect(claims.map((claim) => claim.record.id)).to.deep.equal(ids.slice(0, 2));
    await h.lifecycle.complete(claims[0]!, { ok: true });
    expect((await submit(fay, { payload: GOOD_JOB })).status).to.equal(201);
    const requeued = await h.call('POST', `/admin/jobs/${ids[0]}/requeue`, { token: admin });
    expect(requeued.status, requeued.text).to.equal(200);
    // Five queued again: the quota is full.
    const refused = await submit(fay, { payload: GOOD_JOB });
    expect(refused.status, refused.text).to.equal(429);
    expect(errorOf(refused).code).to.equal('quota_exceeded');
    await drainQueue();
  });

  it('counts the quota past stray keys in any queue, which are no job ids', async () => {
    const dave = await h.user('dave');
    for (const key of ['0', 'zz']) await h.storage.put(ns.queued('fermions'), key, { stray: true });
    try {
      for (let i = 0; i < 5; i += 1) expect((await submit(dave, { payload: GOOD_JOB })).status).to.equal(201);
      expect(errorOf(await submit(dave, { payload: GOOD_JOB })).code).to.equal('quota_exceeded');
    } finally {
      for (const key of ['0', 'zz']) await h.storage.delete(ns.queued('fermions'), key);
    }
    await drainQueue();
  });

  it('shows a job with per-state timestamps and attempts, and its result once DONE', async () => {
    const id = idOf(await submit(alice, { payload: GOOD_JOB }));
    const pending = await h.call('GET', `/jobs/${id}/result`, { token: alice });
    expect([pending.status, errorOf(pending).code, errorOf(pending).details]).to.deep.equal([409, 'result_not_ready', { status: 'QUEUED', error_message: null }]);
    const claim = (await h.lifecycle.claim('singlequdit', 'test-spooler'))!;
    expect(claim.record.id).to.equal(id);
    const result = { backend_name: 'alqor_singlequdit_simulator', display_name: 'singlequdit', backend_version: '0.3', job_id: id, qobj_id: null, success: true, status: 'finished', header: {}, results: [] };
    await h.lifecycle.complete(claim, result);
    const job = await h.call('GET', `/jobs/${id}`, { token: alice });
    expect(job.body).to.include({ status: 'DONE', attempts: 1, queue_position: null });
    expect(Object.keys((job.body as { timestamps: object }).timestamps)).to.deep.equal(['queued', 'running', 'done']);
    expect((await h.call('GET', `/jobs/${id}/result`, { token: alice })).body).to.deep.equal(result);
  });

  it('cancels queued jobs at once, flags running ones for their spooler, and refuses finished ones', async () => {
    const queued = idOf(await submit(alice, { payload: GOOD_JOB }));
    const cancelled = await h.call('POST', `/jobs/${queued}/cancel`, { token: alice });
    expect([cancelled.status, (cancelled.body as { status: string }).status]).to.deep.equal([200, 'CANCELLED']);
    const running = idOf(await submit(alice, { payload: GOOD_JOB }));
    const claim = (await h.lifecycle.claim('singlequdit', 'test-spooler'))!;
    const flagged = await h.call('POST', `/jobs/${running}/cancel`, { token: alice });
    expect(flagged.status).to.equal(202);
    expect(flagged.body).to.include({ status: 'RUNNING', cancel_requested: true });
    const renewed = await h.lifecycle.renew(claim);
    expect(renewed.record.cancelRequested).to.equal(true);
    await h.lifecycle.acknowledgeCancel(renewed);
    for (const id of [queued, running]) {
      const again = await h.call('POST', `/jobs/${id}/cancel`, { token: alice });
      expect([again.status, errorOf(again).code, errorOf(again).details]).to.deep.equal([409, 'job_finished', { status: 'CANCELLED' }]);
    }
    const failed = await h.call('GET', `/jobs/${running}/result`, { token: alice });
    expect(errorOf(failed).details).to.deep.equal({ status: 'CANCELLED', error_message: null });
  });

  it('deletes jobs that are not running, and nothing else', async () => {
    const id = idOf(await submit(alice, { payload: GOOD_JOB }));
    await h.lifecycle.claim('singlequdit', 'test-spooler');
    const busy = await h.call('DELETE', `/jobs/${id}`, { token: alice });
    expect([busy.status, errorOf(busy).code]).to.deep.equal([409, 'job_running']);
    const done = idOf(await submit(alice, { payload: GOOD_JOB }));
    await h.call('POST', `/jobs/${done}/cancel`, { token: alice });
    expect((await h.call('DELETE', `/jobs/${done}`, { token: alice })).status).to.equal(204);
    expect((await h.call('GET', `/jobs/${done}`, { token: alice })).status).to.equal(404);
    expect((await h.call('DELETE', `/jobs/${done}`, { token: alice })).status).to.equal(404);
    expect(await h.lifecycle.indexEntry(done)).to.equal(undefined);
  });

  it('moves the jobs behind a deleted queued job up the queue', async () => {
    const erin = await h.user('erin');
    const position = async (id: string) => ((await h.call('GET', `/jobs/${id}`, { token: erin })).body as { queue_position: number }).queue_position;
    const ahead = idOf(await submit(erin, { payload: GOOD_JOB }));
    const behind = idOf(await submit(erin, { payload: GOOD_JOB }));
    const before = await position(behind);
    expect((await h.call('DELETE', `/jobs/${ahead}`, { token: erin })).status).to.equal(204);
    expect(await position(behind)).to.equal(before - 1);
    await drainQueue();
  });

  it('answers another user\'s job on every job route exactly like an unknown id; admins see everything', async () => {
    const id = idOf(await submit(alice, { payload: GOOD_JOB }));
    const unknown = `${id.slice(0, 12)}ffffffffffff`;
    const routes: [string, string][] = [['GET', ''], ['GET', '/result'], ['POST', '/cancel'], ['DELETE', '']];
    for (const [method, suffix] of routes) {
      const theirs = await h.call(method, `/jobs/${id}${suffix}`, { token: bob });
      const nobody = await h.call(method, `/jobs/${unknown}${suffix}`, { token: bob });
      const malformed = await h.call(method, `/jobs/..%2F${id}${suffix}`, { token: bob });
      expect(theirs.status, `${method} ${suffix}`).to.equal(404);
      expect(theirs.text).to.equal(nobody.text);
      expect(theirs.text).to.equal(malformed.text);
    }
    const bobsList = (await h.call('GET', '/jobs', { token: bob })).body as { jobs: { owner: string }[] };
    expect(bobsList.jobs.every((job) => job.owner === 'bob')).to.equal(true);
    expect((await h.call('GET', '/jobs?owner=alice', { token: bob })).status).to.equal(403);
    expect((await h.call('GET', `/jobs/${id}`, { token: admin })).body).to.include({ owner: 'alice' });
    const all = (await h.call('GET', '/jobs?limit=200', { token: admin })).body as { jobs: { owner: string }[] };
    expect(new Set(all.jobs.map((job) => job.owner))).to.include.keys('alice', 'bob');
    const alices = (await h.call('GET', '/jobs?owner=alice&limit=200', { token: admin })).body as { jobs: { owner: string }[] };
    expect(alices.jobs.every((job) => job.owner === 'alice')).to.equal(true);
    expect((await h.call('POST', `/jobs/${id}/cancel`, { token: admin })).status).to.equal(200);
  });
});
