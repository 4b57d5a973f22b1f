// The runtime record on GET /api/v1/jobs/{id}: a job run by an external runtime shows its owner the runtime's id,
// exit code and the end of its stderr (never more than RUNTIME_STDERR_TAIL_BYTES), and nobody else sees the job.
import { expect } from 'chai';
import { fileURLToPath } from 'node:url';
import { RUNTIME_STDERR_TAIL_BYTES, type JobDetail } from '../../schemas/native.ts';
import { eventually, GOOD_JOB, startHarness, type Harness } from './harness.ts';

const MISBEHAVING = fileURLToPath(new URL('../fixtures/runtime/misbehaving-runtime.mjs', import.meta.url));
// The fixture runtime's behaviour is chosen by experiment_0's seed; 9 writes 10,000 stderr lines and exits 4.
const job = (seed?: number) => ({
  experiment_0: { instructions: 'X(90)', shots: 10, num_wires: 1, wire_order: 'sequential', ...(seed === undefined ? {} : { seed }) },
});

describe('native API: the runtime record of a job', function () {
  this.timeout(60_000);
  let harness: Harness;
  let owner: string;

  before(async () => {
    harness = await startHarness({ QSPOOL_BACKENDS: 'qubit', QSPOOL_QUBIT_MODE: 'verbatim', QSPOOL_RUNTIME_QUBIT: `node '${MISBEHAVING}'` });
    await harness.startSpoolers();
    owner = await harness.user('ada');
  });
  after(() => harness.stop());

  async function runToEnd(payload: unknown): Promise<JobDetail> {
    const submitted = await harness.call('POST', '/backends/qubit/jobs', { token: owner, body: { payload } });
    expect(submitted.status, submitted.text).to.equal(201);
    const { id } = submitted.body as JobDetail;
    return eventually(async () => {
      const body = (await harness.call('GET', `/jobs/${id}`, { token: owner })).body as JobDetail;
      return ['DONE', 'ERROR'].includes(body.status) ? body : undefined;
    }, 30_000);
  }

  it('shows the owner the exit code and the bounded end of stderr of a runtime that failed, and hides the job from others', async () => {
    const failed = await runToEnd(job(9));
    expect(failed.status).to.equal('ERROR');
    const runtime = failed.runtime!;
    expect(runtime.id).to.match(/^qubit-[0-9a-f]{12}$/);
    expect(runtime).to.include({ exit_code: 4, signal: null, timed_out: false });
    expect(Buffer.byteLength(runtime.stderr_tail)).to.be.at.most(RUNTIME_STDERR_TAIL_BYTES).and.above(RUNTIME_STDERR_TAIL_BYTES - 30);
    // the end survives, the start does not
    expect(runtime.stderr_tail.endsWith('driver log line 10000\n')).to.equal(true);
    expect(runtime.stderr_tail).to.not.include('driver log line 1\n');
    expect(Date.parse(runtime.ended_at)).to.be.at.least(Date.parse(runtime.started_at));
    expect(JSON.stringify(failed)).to.not.include(MISBEHAVING);

    const stranger = await harness.user('eve');
    const seen = await harness.call('GET', `/jobs/${failed.id}`, { token: stranger });
    expect(seen.status).to.equal(404);
    expect(JSON.stringify(seen.body)).to.not.include('driver log');
  });

  it('records a clean run with exit code 0, and no runtime for a job that no runtime has run', async () => {
    const done = await runToEnd(job());
    expect(done.status).to.equal('DONE');
    expect(done.runtime).to.include({ exit_code: 0, stderr_tail: '' });

    // singlequdit's config is published but no spooler serves it here: the job stays queued
    const queued = await harness.call('POST', '/backends/singlequdit/jobs', { token: owner, body: { payload: GOOD_JOB } });
    expect(queued.status, queued.text).to.equal(201);
    expect((queued.body as JobDetail).runtime).to.equal(null);
  });
});
