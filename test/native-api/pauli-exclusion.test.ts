// A fermion loaded into a mode that is certainly filled can never run: the server refuses the job at submission from
// the Pauli rule fermions publishes (native 422, qlued v2 406), naming experiment, instruction and rule. Loads the rule
// cannot decide (after a hop) still run, and fail at run time only where the simulation finds the mode filled.
import { expect } from 'chai';
import { postJson } from '../support/system.ts';
import { endOf, startHarness, type Answer, type Harness } from './harness.ts';

type Instruction = [string, number[], number[]];
const load = (w: number): Instruction => ['load', [w], []];
const hop = (theta: number): Instruction => ['fhop', [0, 1, 2, 3], [theta]];
const measure = (...wires: number[]): Instruction[] => wires.map((w) => ['measure', [w], []]);
const experiment = (instructions: Instruction[], shots = 50) => ({ instructions, shots, num_wires: 8, wire_order: 'interleaved', seed: 3 });

const refusal = (name: string, index: number, mode: number, loader: number) =>
  `${name}, instruction ${index} (load): mode ${mode} is occupied already (instruction ${loader} filled it and no instruction since can have emptied it; a mode holds at most one fermion)`;

describe('fermions: loads into a filled mode are refused at submission', function () {
  this.timeout(60_000);
  let h: Harness;
  let alice: string;
  const submit = (payload: unknown) => h.call('POST', '/backends/fermions/jobs', { token: alice, body: { payload } });
  const errorOf = (answer: Answer) => (answer.body as { error: { code: string; message: string; details: { path: string; message: string }[] } }).error;

  before(async () => {
    h = await startHarness({ QSPOOL_BACKENDS: 'fermions' });
    alice = await h.user('alice');
    await h.startSpoolers();
  });
  after(async () => h.stop());

  it('answers 422 on the native API, naming experiment, instruction and rule, through phases, interactions, measures and blocked hops', async () => {
    const between: Instruction[] = [['fphase', [0, 1], [0.4]], ['fint', [0, 1, 2, 3, 4, 5, 6, 7], [1.1]], ...measure(0), ['barrier', [0, 3], []]];
    const payload = {
      experiment_0: experiment([load(0), load(1), hop(0.7), ...measure(0, 1, 2, 3)]),
      experiment_1: experiment([load(3), ...between, load(3), ...measure(3)]),
      // both tweezers full: the hop cannot move anything (Pauli blocking), so mode 2 stays filled
      experiment_2: experiment([load(0), load(1), load(2), load(3), hop(1.3), load(2), ...measure(2)]),
    };
    const answer = await submit(payload);
    expect(answer.status, answer.text).to.equal(422);
    const error = errorOf(answer);
    expect(error.code).to.equal('invalid_job');
    const [second, third] = [refusal('experiment_1', 5, 3, 0), refusal('experiment_2', 5, 2, 2)];
    expect(error.message).to.equal(`${second}; ${third}`);
    expect(error.details).to.deep.equal([
      { path: '/experiment_1/instructions/5', message: second },
      { path: '/experiment_2/instructions/5', message: third },
    ]);
  });

  it('answers 406 on qlued v2 with the same words', async () => {
    const payload = { experiment_0: experiment([load(5), load(2), load(5), ...measure(5)]) };
    const answer = await postJson(`${h.url}/api/v2/fermions/post_job`, { job: JSON.stringify(payload), token: alice });
    expect(answer.status, answer.text).to.equal(406);
    const body = answer.body as Record<string, string>;
    expect(body.status).to.equal('ERROR');
    expect(body.error_message).to.equal(refusal('experiment_0', 2, 5, 0));
  });

  it('runs loads into different modes, and into a mode a complete hop emptied, with the analytic outcomes', async () => {
    // fhop(π/2) moves each fermion of site 0 to site 1 with probability sin²(π/2) = 1, so mode 0 is empty again
    const { status, error, memory } = await endOf(
      h,
      alice,
      await submit({
        experiment_0: experiment([load(0), load(1), hop(Math.PI / 2), ...measure(0, 1, 2, 3)]),
        experiment_1: experiment([load(0), hop(Math.PI / 2), load(0), ...measure(0, 2)]),
        experiment_2: experiment([load(0), ['fphase', [0, 1], [0.9]], load(1), ...measure(0, 1)]),
      }),
    );
    expect([status, error]).to.deep.equal(['DONE', null]);
    expect(memory.map((shots) => [...new Set(shots)])).to.deep.equal([['0 0 1 1'], ['1 1'], ['1 1']]);
  });

  it('leaves a load after a hop to the run: fhop(π) brings the fermion back, and the job ends ERROR as before', async () => {
    const { status, error } = await endOf(h, alice, await submit({ experiment_0: experiment([load(0), hop(Math.PI), load(0), ...measure(0)]) }));
    expect([status, error]).to.deep.equal(['ERROR', 'Execution failed: experiment_0, instruction 2 ("load"): mode 0 is (partly) occupied already']);
  });
});
