// The qubit's text form counts one instruction per rotation and one for the measure it implies: a text of more than
// max_instructions − 1 short rotations fits the schema's length bound, and the server now refuses it at submission
// from the published text_instructions rule (native 422, qlued v2 406) instead of the spooler failing it when it runs.
import { expect } from 'chai';
import { loadConfig } from '../../config/index.ts';
import { postJson } from '../support/system.ts';
import { endOf, startHarness, type Answer, type Harness } from './harness.ts';

const MAX = loadConfig({}).QSPOOL_MAX_INSTRUCTIONS;
const text = (rotations: string[]) => ({ experiment_0: { instructions: rotations.join(', '), shots: 20, num_wires: 1, wire_order: 'sequential' } });
/** A flip, then rotations by 0 degrees: `count` rotations that read 1 on every shot. */
const flipThenIdle = (count: number) => ['X(180)', ...Array.from({ length: count - 1 }, (_, i) => `${'XYZ'[i % 3]}(0)`)];
const RULE = `experiment_0: ${MAX} rotations as text, at most ${MAX - 1} (max_instructions ${MAX} with the measure it implies)`;

describe('qubit: text of more rotations than max_instructions allows is refused at submission', function () {
  this.timeout(60_000);
  let h: Harness;
  let alice: string;
  const submit = (payload: unknown) => h.call('POST', '/backends/qubit/jobs', { token: alice, body: { payload } });
  const errorOf = (answer: Answer) => (answer.body as { error: { code: string; message: string; details: unknown } }).error;

  before(async () => {
    h = await startHarness({ QSPOOL_BACKENDS: 'qubit' });
    alice = await h.user('alice');
    await h.startSpoolers();
  });
  after(async () => h.stop());

  it('answers 422 on the native API naming the experiment and the bound', async () => {
    const answer = await submit(text(flipThenIdle(MAX)));
    expect(answer.status, answer.text).to.equal(422);
    expect(errorOf(answer)).to.deep.include({ code: 'invalid_job', message: RULE, details: [{ path: '/experiment_0/instructions', message: RULE }] });
  });

  it('answers 406 on qlued v2 with the same words', async () => {
    const answer = await postJson(`${h.url}/api/v2/qubit/post_job`, { job: JSON.stringify(text(flipThenIdle(MAX))), token: alice });
    expect(answer.status, answer.text).to.equal(406);
    expect((answer.body as { error_message: string }).error_message).to.equal(RULE);
  });

  it('runs one rotation fewer: the flip reads 1 on every shot', async () => {
    const { status, error, memory } = await endOf(h, alice, await submit(text(flipThenIdle(MAX - 1))));
    expect([status, error]).to.deep.equal(['DONE', null]);
    expect(memory).to.deep.equal([new Array<string>(20).fill('1')]);
  });
});
