// /api/v1/admin/dead-letters: admins list, inspect, requeue and purge jobs that used up their attempts; everyone
// else is refused, and a job that is not dead-lettered answers 409 not_dead_lettered.
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { DeadLetterList, DeadLetterView } from '../../schemas/dead-letter.ts';
import type { JobDetail } from '../../schemas/native.ts';
import type { RetryPolicy } from '../../schemas/retry-policy.ts';
import { ns } from '../../storage/records.ts';
import { GOOD_JOB, harnessWithAdmin } from './harness.ts';

const BIN = new URL('../../scripts/qspool.mjs', import.meta.url).pathname;
const once: RetryPolicy = { max_attempts: 1, base_delay_ms: 0, factor: 1, max_delay_ms: 0, exit_codes: [75], timeouts: false, lease_expiry: true };
const errorCode = (body: unknown) => (body as { error: { code: string } }).error.code;

describe('native API: dead letters', function () {
  this.timeout(30_000);
  const s = harnessWithAdmin('ada');

  const submit = async () => {
    const answer = await s.h.call('POST', '/backends/singlequdit/jobs', { token: s.token, body: { payload: GOOD_JOB } });
    expect(answer.status, answer.text).to.equal(201);
    return (answer.body as JobDetail).id;
  };
  /** Submits a job and fails its only attempt with a retryable exit code, as a spooler would. */
  const deadLetter = async () => {
    const id = await submit();
    const claim = (await s.h.lifecycle.claim('singlequdit', 'spooler'))!;
    expect(claim.record.id).to.equal(id);
    await s.h.lifecycle.failAttempt(claim, { kind: 'exit-code', exitCode: 75, message: 'device error' }, once);
    return id;
  };

  it('refuses everyone but admins', async () => {
    const answer = await s.h.call('GET', '/admin/dead-letters', { token: s.token });
    expect([answer.status, errorCode(answer.body)]).to.deep.equal([403, 'admin_required']);
  });

  it('lists and shows a dead letter with its failed attempts, and tells other jobs apart', async () => {
    const id = await deadLetter();
    const list = (await s.h.call('GET', '/admin/dead-letters?backend=singlequdit', { token: s.admin })).body as DeadLetterList;
    expect(list.dead_letters.map((letter) => letter.job.id)).to.include(id);
    const shown = await s.h.call('GET', `/admin/dead-letters/${id}`, { token: s.admin });
    const letter = shown.body as DeadLetterView;
    expect(letter.job.status).to.equal('ERROR');
    expect(letter.reason).to.equal('exit-code');
    expect(letter.failures).to.deep.equal([{ attempt: 1, at: letter.failures[0]!.at, kind: 'exit-code', message: 'device error', exit_code: 75 }]);
    const queued = await submit();
    const refused = await s.h.call('POST', `/admin/dead-letters/${queued}/requeue`, { token: s.admin });
    expect([refused.status, errorCode(refused.body)]).to.deep.equal([409, 'not_dead_lettered']);
    expect((await s.h.call('GET', '/admin/dead-letters/0123456789abcdef01234567', { token: s.admin })).status).to.equal(404);
    await s.h.lifecycle.cancel('singlequdit', queued);
  });

  it('pages through dead letters oldest first', async () => {
    const ids = [await deadLetter(), await deadLetter(), await deadLetter()];
    const seen: string[] = [];
    for (let after: string | null = ''; after !== null; ) {
      const page = (await s.h.call('GET', `/admin/dead-letters?limit=2${after ? `&after=${after}` : ''}`, { token: s.admin })).body as DeadLetterList;
      seen.push(...page.dead_letters.map((letter) => letter.job.id));
      after = page.next_after;
    }
    expect(seen).to.deep.equal([...seen].sort());
    expect(seen).to.include.members(ids);
  });

  it('requeues a dead letter, which runs again, and purges another', async () => {
    const [requeued, purged] = [await deadLetter(), await deadLetter()];
    const answer = await s.h.call('POST', `/admin/dead-letters/${requeued}/requeue`, { token: s.admin });
    expect(answer.status, answer.text).to.equal(200);
    expect((answer.body as JobDetail).status).to.equal('QUEUED');
    const claim = (await s.h.lifecycle.claim('singlequdit', 'spooler'))!;
    expect([claim.record.id, claim.record.attempts]).to.deep.equal([requeued, 2]);
    expect((await s.h.call('DELETE', `/admin/dead-letters/${purged}`, { token: s.admin })).status).to.equal(204);
    expect((await s.h.call('GET', `/admin/dead-letters/${purged}`, { token: s.admin })).status).to.equal(404);
    const list = (await s.h.call('GET', '/admin/dead-letters', { token: s.admin })).body as DeadLetterList;
    expect(list.dead_letters.map((letter) => letter.job.id)).to.not.include.members([requeued, purged]);
  });

  /**
   * Runs `meanwhile` (another admin, a spooler) after the server has looked the dead letter up and before it acts on
   * it: the second read of the job's status is the lifecycle's own lookup.
   */
  const afterLookup = (id: string, meanwhile: () => Promise<unknown>) => {
    const { get } = s.h.storage;
    let reads = 0;
    s.h.storage.get = (async (namespace: string, key: string) => {
      if (namespace === ns.status('singlequdit') && key === id && (reads += 1) === 2) {
        s.h.storage.get = get;
        await meanwhile();
      }
      return get.call(s.h.storage, namespace, key);
    }) as typeof get;
    return () => (s.h.storage.get = get);
  };

  it('requeues or purges only a job that is still a dead letter when it acts, never one requeued meanwhile', async () => {
    const done = await deadLetter();
    // Another admin requeued it first and it ran to completion: requeued again, it would run a second time.
    let undo = afterLookup(done, async () => {
      await s.h.lifecycle.requeue('singlequdit', done);
      await s.h.lifecycle.complete((await s.h.lifecycle.claim('singlequdit', 'spooler'))!, { ok: true });
    });
    const requeue = await s.h.call('POST', `/admin/dead-letters/${done}/requeue`, { token: s.admin }).finally(undo);
    expect(requeue.status, requeue.text).to.equal(409);
    expect(errorCode(requeue.body)).to.equal('not_dead_lettered');
    expect((await s.h.lifecycle.find('singlequdit', done))!.value.state).to.equal('DONE');
    // Another admin requeued it first: the purge of a dead letter must not delete the queued job.
    const queued = await deadLetter();
    undo = afterLookup(queued, () => s.h.lifecycle.requeue('singlequdit', queued));
    const purge = await s.h.call('DELETE', `/admin/dead-letters/${queued}`, { token: s.admin }).finally(undo);
    expect(purge.status, purge.text).to.equal(409);
    expect(errorCode(purge.body)).to.equal('not_dead_lettered');
    expect((await s.h.lifecycle.find('singlequdit', queued))!.value.state).to.equal('QUEUED');
    await s.h.lifecycle.cancel('singlequdit', queued);
  });

  it('`qspool dead-letter list|show|requeue|purge` does the same from the command line (real binary)', async () => {
    const [requeued, purged] = [await deadLetter(), await deadLetter()];
    const env = { ...process.env, QSPOOL_URL: s.h.url, QSPOOL_TOKEN: s.admin, QSPOOL_CONFIG: '/nonexistent/qspool.json' };
    const qspool = async (...args: string[]) => (await promisify(execFile)(process.execPath, [BIN, 'dead-letter', ...args], { env })).stdout;
    const listed = JSON.parse(await qspool('list', '--json')) as DeadLetterList;
    expect(listed.dead_letters.map((letter) => letter.job.id)).to.include.members([requeued, purged]);
    expect(await qspool('show', requeued)).to.match(/attempt 1\s*│?\s*\S+ exit-code 75: device error/);
    expect(await qspool('requeue', requeued)).to.match(new RegExp(`^Requeued job ${requeued} with a fresh set of attempts`));
    expect(await qspool('purge', purged)).to.equal(`Purged job ${purged}\n`);
    const refused = await qspool('show', purged).then(() => undefined, (error: { code: number; stderr: string }) => error);
    expect(refused?.code).to.be.above(0);
    await s.h.lifecycle.cancel('singlequdit', requeued);
  });

  it('`qspool dead-letter list` prints a next-page command that repeats --backend and --limit (real binary)', async () => {
    await deadLetter();
    await deadLetter();
    const env = { ...process.env, QSPOOL_URL: s.h.url, QSPOOL_TOKEN: s.admin, QSPOOL_CONFIG: '/nonexistent/qspool.json' };
    const qspool = async (...args: string[]) => (await promisify(execFile)(process.execPath, [BIN, ...args], { env })).stdout;
    const first = await qspool('dead-letter', 'list', '--backend', 'singlequdit', '--limit', '1');
    const more = /^More: qspool (.*)$/m.exec(first)?.[1] ?? '';
    expect(more).to.match(/^dead-letter list --backend singlequdit --limit 1 --after [0-9a-f]{24}$/);
    const next = JSON.parse(await qspool(...more.split(' '), '--json')) as DeadLetterList;
    expect(next.dead_letters.map((letter) => letter.job.backend)).to.deep.equal(['singlequdit']);
  });
});
