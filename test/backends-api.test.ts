// The four qlued simulator backends through the API with their spoolers: every `spooler-*` payload of the corpus
// runs to its reference result, every `invalid-*` payload is refused at submission naming its rule, and jobs beyond
// the Hilbert-space bound are refused naming the size.
import { expect } from 'chai';
import { checkExpectations, corpusEntries, type CorpusEntry } from './support/corpus.ts';
import { eventually, postJson, request, startSystem, type TestSystem } from './support/system.ts';

/** The rule each invalid payload breaks, as the refusal must name it. */
const RULES: Record<string, RegExp> = {
  'invalid-experiment-name.json': /^exp_0: Experiment name must start with experiment_: experiment names must be experiment_0 … experiment_999 \(max_experiments 1000\)/,
  'invalid-fermions-sequential-wire-order.json': /^experiment_0, wire_order: "sequential" must be "interleaved"$/,
  'invalid-fermions-too-many-experiments.json': /^experiment_1001: Experiment number too high. Must be less than 1000: experiment names must be experiment_0 … experiment_999/,
  'invalid-fermions-too-many-shots.json': /^experiment_0, shots: 1000001 must be less than or equal to 1000000$/,
  'invalid-fermions-unknown-gate.json': /^experiment_0, instruction 1 \(fhops\): Instruction fhops not allowed\.$/,
  'invalid-singlequdit-missing-wire-order.json': /^experiment_1: missing field "wire_order"$/,
  'invalid-singlequdit-shots-float-1e7.json': /^experiment_0, shots: 10000000 must be less than or equal to 1000000$/,
};

describe('simulator backends end to end: the corpus through the qlued API', function () {
  this.timeout(60_000);
  let system: TestSystem;
  const v2 = (backend: string, route: string) => `${system.url}/api/v2/${backend}/${route}`;
  const post = (backend: string, payload: unknown) => postJson(v2(backend, 'post_job'), { job: JSON.stringify(payload), token: system.token });

  before(async () => {
    system = await startSystem({ QSPOOL_BACKENDS: 'singlequdit,multiqudit,fermions,rydberg' });
  });
  after(async () => system.stop());

  async function finished(backend: string, jobId: string): Promise<Record<string, unknown>> {
    return eventually(async () => {
      const answer = await request(`${v2(backend, 'get_job_result')}?job_id=${jobId}&token=${system.token}`);
      const body = answer.body as Record<string, unknown>;
      if (body.status === 'ERROR') throw new Error(`job ${jobId} failed: ${String(body.error_message)}`);
      return body.status === 'finished' ? body : undefined;
    }, 20_000);
  }

  const spoolerEntries = corpusEntries('spooler-');
  it('finds a spooler payload of every backend in the corpus', () => {
    expect(new Set(spoolerEntries.map((entry) => entry.backend))).to.deep.equal(new Set(['singlequdit', 'multiqudit', 'fermions', 'rydberg']));
  });

  for (const entry of spoolerEntries) {
    it(`runs ${entry.file} to DONE with the reference values`, async () => {
      const posted = await post(entry.backend, entry.payload);
      expect(posted.status, posted.text).to.equal(200);
      const jobId = (posted.body as { job_id: string }).job_id;
      const result = await finished(entry.backend, jobId);
      expect(result.job_id).to.equal(jobId);
      const status = await request(`${v2(entry.backend, 'get_job_status')}?job_id=${jobId}&token=${system.token}`);
      expect((status.body as { status: string }).status).to.equal(entry.expect.final_status);
      const checked = checkExpectations(entry, result, (actual, expected, key) => expect(actual, key).to.deep.equal(expected));
      expect(checked.length).to.be.greaterThan(0);
    });
  }

  it('has a rule for every invalid payload of the corpus', () => {
    expect(corpusEntries('invalid-').map((entry) => entry.file).sort()).to.deep.equal(Object.keys(RULES).sort());
  });

  for (const entry of corpusEntries('invalid-')) {
    it(`refuses ${entry.file} at submission with 406 naming the rule`, async () => {
      const answer = await post(entry.backend, entry.payload);
      expect(answer.status, answer.text).to.equal(406);
      const body = answer.body as Record<string, string>;
      expect(Object.keys(body)).to.deep.equal(['job_id', 'status', 'detail', 'error_message']);
      expect(body.status).to.equal('ERROR');
      expect(body.error_message).to.match(RULES[entry.file]!);
      // The reference spooler's words for the same rule, as the corpus records them (a Python KeyError excepted).
      const reference = (entry.expect.after_spooler as { error_message_contains: string }).error_message_contains;
      if (reference !== 'KeyError') expect(body.error_message).to.contain(reference);
    });
  }

  it('refuses the django-qlued test job (sequential wires on fermions) like the corpus payload it equals', async () => {
    const [entry] = corpusEntries('qlued-tests-fermions-load-measure') as [CorpusEntry];
    const answer = await post('fermions', entry.payload);
    expect(answer.status).to.equal(406);
    expect((answer.body as { error_message: string }).error_message).to.match(/wire_order: "sequential" must be "interleaved"/);
  });

  it('accepts both wire orders on the one-species multi-wire backends, and runs rly (not advertised) on multiqudit', async () => {
    for (const wireOrder of ['interleaved', 'sequential']) {
      const job = { experiment_0: { instructions: [['rly', [1], [Math.PI]], ['measure', [1], []]], shots: 5, num_wires: 2, wire_order: wireOrder } };
      const posted = await post('multiqudit', job);
      expect(posted.status, posted.text).to.equal(200);
      const result = await finished('multiqudit', (posted.body as { job_id: string }).job_id);
      expect((result.results as { data: { memory: string[] } }[])[0]!.data.memory).to.deep.equal(new Array(5).fill('1'));
    }
  });

  it('takes either wire order on singlequdit (one wire reads the same both ways) and a null seed as no seed', async () => {
    const flip = { instructions: [['rlx', [0], [Math.PI]], ['measure', [0], []]], shots: 4, num_wires: 1 };
    const job = { experiment_0: { ...flip, wire_order: 'sequential' }, experiment_1: { ...flip, wire_order: 'interleaved', seed: null } };
    const posted = await post('singlequdit', job);
    expect(posted.status, posted.text).to.equal(200);
    const result = await finished('singlequdit', (posted.body as { job_id: string }).job_id);
    for (const experiment of result.results as { data: { memory: string[] } }[]) expect(experiment.data.memory).to.deep.equal(['1', '1', '1', '1']);
    const negative = await post('singlequdit', { experiment_0: { ...flip, wire_order: 'sequential', seed: -1 } });
    expect(negative.status).to.equal(406);
    expect((negative.body as { error_message: string }).error_message).to.match(/^experiment_0, seed: -1 must be greater than or equal to 0$/);
  });

  it('refuses wires outside num_wires unless the gate names the whole array', async () => {
    const outside = { experiment_0: { instructions: [['rlx', [3], [1]], ['measure', [0], []]], shots: 1, num_wires: 2, wire_order: 'sequential' } };
    const answer = await post('rydberg', outside);
    expect(answer.status).to.equal(406);
    expect((answer.body as { error_message: string }).error_message).to.equal('experiment_0, instruction 0 (rlx): wires [3] outside num_wires 2');
  });

  it('refuses a job whose Hilbert space exceeds the bound at submission, naming its size', async () => {
    const wires = [0, 1, 2];
    const job = {
      experiment_0: { instructions: [...wires.map((w) => ['load', [w], [500]]), ['measure', [0], []]], shots: 1, num_wires: 3, wire_order: 'interleaved' },
    };
    const answer = await post('multiqudit', job);
    expect(answer.status).to.equal(406);
    expect((answer.body as { error_message: string }).error_message).to.equal(
      `experiment_0: Hilbert space of 1.26e+8 amplitudes exceeds the limit of ${system.config.QSPOOL_MAX_HILBERT_DIMENSION}`,
    );
  });
});
