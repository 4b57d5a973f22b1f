// Issue 17, item 3: work bounds are refused at submission, by rules each spooler publishes in its backend's config,
// so the server bounds backends it has no code for exactly like its own.
import { expect } from 'chai';
import { publishedConfig } from '../../spooler/backend.ts';
import { singlequdit } from '../../spooler/backends/singlequdit/index.ts';
import { ns } from '../../storage/records.ts';
import { postJson, request, startSystem, type TestSystem } from '../support/system.ts';

type ErrorAnswer = { error: { code: string; message: string; details: { rule: string; limit: number; value: number }[] } };

const experiment = (instructions: unknown[], shots: number, numWires = 1) => ({ instructions, shots, num_wires: numWires, wire_order: 'interleaved' });
const experiments = (count: number, make: () => unknown) => Object.fromEntries(Array.from({ length: count }, (_, i) => [`experiment_${i}`, make()]));
const measureAll = (wires: number) => Array.from({ length: wires }, (_, w) => ['measure', [w], []]);

describe('work bounds at submission (issue 17, item 3)', function () {
  this.timeout(60_000);
  let system: TestSystem;
  const submit = (backend: string, payload: unknown) =>
    postJson(`${system.url}/api/v1/backends/${backend}/jobs`, { payload }, { Authorization: `Bearer ${system.token}` });
  const refusal = async (backend: string, payload: unknown) => {
    const answer = await submit(backend, payload);
    expect(answer.status, answer.text.slice(0, 300)).to.equal(422);
    return (answer.body as ErrorAnswer).error;
  };

  before(async () => {
    system = await startSystem({ QSPOOL_BACKENDS: 'singlequdit,multiqudit', QSPOOL_RATE_PER_SECOND: 0 });
  });
  after(() => system.stop());

  it('refuses 1,000 experiments × 1,000,000 shots by max_samples, on every API', async () => {
    const job = experiments(1000, () => experiment([['measure', [0], []]], 1_000_000));
    const error = await refusal('singlequdit', job);
    expect(error.code).to.equal('work_limit_exceeded');
    expect(error.details[0]).to.deep.include({ rule: 'max_samples', limit: 10_000_000, value: 1e9 });
    expect(error.message).to.match(/max_samples 10000000/);
    const v3 = await postJson(`${system.url}/api/v3/singlequdit/post_job`, { payload: job }, { Authorization: `Bearer ${system.token}` });
    expect(v3.status).to.equal(406);
    expect((v3.body as { error_message: string }).error_message).to.match(/exceed max_samples/);
  });

  it('refuses a result estimated over max_result_bytes (shots × wires × experiments)', async () => {
    // 4·10⁶ samples pass max_samples; five wires each make a result of ~88 MB (4 bytes an outcome, 2 a shot).
    const error = await refusal('multiqudit', experiments(4, () => experiment(measureAll(5), 1_000_000, 5)));
    expect(error.details[0]).to.deep.include({ rule: 'max_result_bytes', limit: 67_108_864, value: 88_000_000 });
  });

  it('refuses one wire measured 9,999 times at 10⁶ shots by max_result_bytes (its memory would be 20 GB)', async () => {
    const error = await refusal('singlequdit', { experiment_0: experiment(Array.from({ length: 9_999 }, () => ['measure', [0], []]), 1_000_000) });
    expect(error.code).to.equal('work_limit_exceeded');
    expect(error.details[0]).to.deep.include({ rule: 'max_result_bytes', limit: 67_108_864, value: 1_000_000 * (9_999 * 4 + 2) });
  });

  it('refuses at submission a Hamiltonian over the non-zero bound the simulator would refuse later', async () => {
    // 21⁵ amplitudes fit max_hilbert_dimension; multiqudit_full over all five wires stores ~7·10⁷ entries.
    const loads = [0, 1, 2, 3, 4].map((w) => ['load', [w], [20]]);
    const full = ['multiqudit_full', [0, 1, 2, 3, 4], [1, 1, 1, 1, 1]];
    const error = await refusal('multiqudit', { experiment_0: experiment([...loads, full, ...measureAll(5)], 10, 5) });
    expect(error.code).to.equal('work_limit_exceeded');
    expect(error.details[0]).to.deep.include({ rule: 'max_hamiltonian_nonzeros', limit: 2 ** 25 });
    expect(error.message).to.match(/experiment_0, instruction 5 \(multiqudit_full\)/);
    // The same gate with the ladder and exchange terms off builds only a diagonal: accepted.
    const diagonal = ['multiqudit_full', [0, 1, 2, 3, 4], [0, 1, 1, 0, 1]];
    const accepted = await submit('multiqudit', { experiment_0: experiment([...loads, diagonal, ...measureAll(5)], 10, 5) });
    expect(accepted.status).to.equal(201);
    // Not needed beyond its acceptance: spare the machine its 4·10⁶-amplitude run.
    await postJson(`${system.url}/api/v1/jobs/${(accepted.body as { id: string }).id}/cancel`, {}, { Authorization: `Bearer ${system.token}` });
  });

  it('bounds a backend the server has no code for by the limits its config publishes', async () => {
    const base = publishedConfig(singlequdit, { maxInstructions: 100, maxHilbertDimension: 64 });
    await system.storage.put(ns.configs, 'labqudit', { ...base, display_name: 'labqudit', limits: { ...base.limits!, max_samples: 10 } });
    const error = await refusal('labqudit', { experiment_0: experiment([['measure', [0], []]], 11) });
    expect(error.details[0]).to.deep.include({ rule: 'max_samples', limit: 10, value: 11 });
    const big = await refusal('labqudit', { experiment_0: experiment([['load', [0], [100]], ['measure', [0], []]], 1) });
    expect(big.details[0]).to.deep.include({ rule: 'max_hilbert_dimension', limit: 64, value: 101 });
  });

  it('publishes the bounds in each backend\'s config and in the OpenAPI document', async () => {
    const backend = await request(`${system.url}/api/v1/backends/multiqudit`);
    const limits = (backend.body as { config: { limits: Record<string, unknown> } }).config.limits;
    expect(limits).to.deep.include({ max_samples: 10_000_000, max_result_bytes: 67_108_864, time_limit_s: 60, max_hamiltonian_nonzeros: 2 ** 25 });
    const openapi = (await request(`${system.url}/api/v1/openapi.json`)).body as { components: { schemas: Record<string, { properties: Record<string, { properties?: Record<string, unknown> }> }> } };
    const configSchema = openapi.components.schemas.Backend!.properties.config!;
    expect(Object.keys(configSchema.properties!.limits as { properties: object }).length).to.be.greaterThan(0);
    expect((configSchema.properties!.limits as { properties: Record<string, unknown> }).properties).to.include.keys('max_samples', 'max_result_bytes', 'time_limit_s');
  });
});
