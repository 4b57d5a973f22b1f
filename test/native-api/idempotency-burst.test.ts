// One submission sent from several threads at once with one Idempotency-Key, as a sweep's client retrying over a slow
// link does: exactly one job, and every answer names it (the requests that found the key held wait for its job rather
// than answer 409 while it is being queued); the key with another body, or after its job was deleted, is refused.
import { expect } from 'chai';
import { GOOD_JOB, harnessWithUser, type Answer } from './harness.ts';

const THREADS = 8;

describe('native API: one Idempotency-Key from many threads at once', function () {
  this.timeout(30_000);
  const s = harnessWithUser('ada', { QSPOOL_MAX_QUEUED_PER_USER: 1000 });

  const submit = (key: string, body: unknown): Promise<Answer> =>
    s.h.call('POST', '/backends/singlequdit/jobs', { token: s.token, body, headers: { 'Idempotency-Key': key } });
  const listed = async () => ((await s.h.call('GET', '/jobs?limit=200', { token: s.token })).body as { jobs: { id: string }[] }).jobs.map((job) => job.id);

  it('makes exactly one job of a burst of identical requests, and every answer names it', async () => {
    for (let round = 0; round < 5; round += 1) {
      const before = await listed();
      const answers = await Promise.all(Array.from({ length: THREADS }, () => submit(`sweep-${round}`, { payload: GOOD_JOB, tags: [`p${round}`] })));
      const statuses = answers.map((answer) => answer.status).sort();
      expect(statuses, answers.map((answer) => answer.text).join('\n')).to.deep.equal([200, 200, 200, 200, 200, 200, 200, 201]);
      const ids = new Set(answers.map((answer) => (answer.body as { id: string }).id));
      expect(ids.size).to.equal(1);
      const made = (await listed()).filter((id) => !before.includes(id));
      expect(made).to.deep.equal([...ids]);
    }
  });

  it('answers 409 idempotency_key_reused to the same key with another body, sent at the same time', async () => {
    const answers = await Promise.all(Array.from({ length: THREADS }, (_, i) => submit('mixed', { payload: GOOD_JOB, tags: [i === 0 ? 'a' : 'b'] })));
    const made = answers.filter((answer) => answer.status === 201 || answer.status === 200);
    const refused = answers.filter((answer) => answer.status === 409);
    expect(made.length + refused.length, answers.map((answer) => answer.text).join('\n')).to.equal(THREADS);
    expect(new Set(made.map((answer) => (answer.body as { id: string }).id)).size).to.equal(1);
    for (const answer of refused) expect((answer.body as { error: { code: string } }).error.code).to.equal('idempotency_key_reused');
    // The winner's body decides: either the one 'a' made the job and all seven 'b's are refused, or a 'b' did and 'a' is.
    expect([1, 7]).to.include(refused.length);
  });

  it('answers 404 idempotency_job_deleted, naming the job, to the key of a job deleted since, and makes no second job', async () => {
    const first = await submit('deleted', { payload: GOOD_JOB });
    const id = (first.body as { id: string }).id;
    expect((await s.h.call('DELETE', `/jobs/${id}`, { token: s.token })).status).to.equal(204);
    const before = await listed();
    const again = await submit('deleted', { payload: GOOD_JOB });
    expect([again.status, (again.body as { error: unknown }).error]).to.deep.equal([
      404,
      { code: 'idempotency_job_deleted', message: `The job created with this Idempotency-Key (${id}) was deleted`, details: { job_id: id } },
    ]);
    expect(await listed()).to.deep.equal(before);
  });
});
