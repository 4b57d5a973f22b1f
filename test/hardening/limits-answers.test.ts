// Issue 17, item 4: an invalid job of 110,000 out-of-range instructions (under the body limit) gets a short answer
// (the first QSPOOL_MAX_PROBLEMS problems and the total), and checking it leaves the server free for everyone else.
import { expect } from 'chai';
import { request, startSystem, type TestSystem } from '../support/system.ts';

type ErrorAnswer = { error: { code: string; message: string; details: { path: string; message: string }[] } };

/**
 * 11 experiments of 10,000 rlx each with omega 99 (the bound is 2π): 110,000 problems in about 2 MB. Encoded once:
 * the client shares this process with the server, and its own work must not be what delays /healthz.
 */
const hugeInvalidJob = Buffer.from(JSON.stringify({
  payload: Object.fromEntries(
    Array.from({ length: 11 }, (_, e) => [
      `experiment_${e}`,
      { instructions: Array.from({ length: 10_000 }, () => ['rlx', [0], [99.0001]]), shots: 5, num_wires: 1, wire_order: 'interleaved' },
    ]),
  ),
}));

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

describe('bounded answers and a free event loop (issue 17, item 4)', function () {
  this.timeout(120_000);
  let system: TestSystem;
  const submit = () =>
    request(`${system.url}/api/v1/backends/singlequdit/jobs`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${system.token}` },
      body: hugeInvalidJob,
    });

  before(async () => {
    system = await startSystem({ QSPOOL_BACKENDS: 'singlequdit', QSPOOL_RATE_PER_SECOND: 0 });
  });
  after(() => system.stop());

  it('lists the first 20 of 110,000 problems and says how many there are', async () => {
    expect(hugeInvalidJob.length).to.be.within(1_500_000, system.config.QSPOOL_MAX_BODY_BYTES);
    const answer = await submit();
    expect(answer.status).to.equal(422);
    const { error } = answer.body as ErrorAnswer;
    expect(error.code).to.equal('invalid_job');
    expect(error.details).to.have.length(20);
    expect(error.details[0]).to.deep.equal({ path: '/experiment_0/instructions/0/2/0', message: 'experiment_0, instruction 0 (rlx): parameter omega: 99.0001 must be less than or equal to 6.283185307179586' });
    expect(error.details[19]!.path).to.equal('/experiment_0/instructions/19/2/0');
    expect(error.message).to.match(/\(and 109995 more\)$/);
    expect(answer.text.length).to.be.below(16_384);
  });

  it('keeps /healthz p99 under 100 ms while four such jobs are checked', async () => {
    const latencies: number[] = [];
    let busy = true;
    const submissions = Promise.all([submit(), submit(), submit(), submit()]).finally(() => (busy = false));
    while (busy) {
      const started = performance.now();
      const health = await request(`${system.url}/healthz`);
      latencies.push(performance.now() - started);
      expect(health.status).to.equal(200);
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    const answers = await submissions;
    expect(answers.map((a) => a.status)).to.deep.equal([422, 422, 422, 422]);
    expect(latencies.length).to.be.greaterThan(20);
    expect(percentile(latencies, 99), `p99 of ${latencies.length} /healthz requests`).to.be.below(100);
  });
});
