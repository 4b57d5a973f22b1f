// The qubit has one wire, which "interleaved" and "sequential" number alike: a job naming either order runs, as on
// the other one-species backends, and the same rotation gives the same outcome.
import { expect } from 'chai';
import { publishedConfig } from '../../backend.ts';
import { executeJob } from '../../execute.ts';
import { createQubitBackend } from './index.ts';

const backend = createQubitBackend();
const config = publishedConfig(backend, { maxInstructions: 100, maxHilbertDimension: 2 ** 22 });
const JOB_ID = '0123456789abcdef01234567';

async function memoryOf(instructions: unknown, wireOrder: string): Promise<string[]> {
  const payload = { experiment_0: { instructions, shots: 20, num_wires: 1, wire_order: wireOrder, seed: 3 } };
  const result = await executeJob({ backend, config, providerName: 'alqor', jobId: JOB_ID, payload, context: { jobId: JOB_ID, maxHilbertDimension: 2 ** 22, checkpoint: () => undefined } });
  return result.results[0]!.data.memory;
}

describe('qubit backend: wire_order', () => {
  for (const order of ['sequential', 'interleaved']) {
    it(`runs a job whose wire_order is "${order}", as instructions and as text`, async () => {
      // rx(π) and X(180) flip |0⟩ to |1⟩: every shot reads 1
      expect(await memoryOf([['rx', [0], [Math.PI]], ['measure', [0], []]], order)).to.deep.equal(new Array(20).fill('1'));
      expect(await memoryOf('X(180)', order)).to.deep.equal(new Array(20).fill('1'));
    });
  }

  it('still refuses an order that is neither', async () => {
    let refusal: unknown;
    await memoryOf('X(180)', 'reversed').catch((error: unknown) => (refusal = error));
    expect(String(refusal)).to.match(/wire_order/);
  });
});
