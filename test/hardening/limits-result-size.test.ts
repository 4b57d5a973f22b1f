// The result-size bound (max_result_bytes) must bound what a spooler really returns: `memory` holds one outcome per
// `measure`, and a wire may be measured any number of times, so counting wires let a job of 10⁶ shots × 9,999
// measures of one wire (20 GB of memory strings) through the server, to take the spooler down as it sent them back.
import { expect } from 'chai';
import { publishedConfig } from '../../spooler/backend.ts';
import { builtinBackends } from '../../spooler/backends/index.ts';
import { checkJob } from '../../spooler/execute.ts';
import { estimatedResultBytes, workIssues } from '../../schemas/work-limits.ts';
import { WorkLimitError } from '../../schemas/errors.ts';

const measures = (count: number) => Array.from({ length: count }, () => ['measure', [0], []] as [string, number[], number[]]);
/** What the entries of `memory` take in JSON: each string with its quotes and a comma. */
const entryBytes = (memory: string[]) => memory.reduce((sum, entry) => sum + JSON.stringify(entry).length + 1, 0);
const configOf = (name: string) => publishedConfig(builtinBackends.get(name)!, { maxInstructions: 10_000, maxHilbertDimension: 2 ** 22 });

describe('result size bound and repeated measures', () => {
  for (const [name, backend] of builtinBackends) {
    it(`${name}: the estimate bounds the JSON of the memory the backend returns for one wire measured 500 times`, async () => {
      const config = configOf(name);
      const experiment = { instructions: measures(500), shots: 200, num_wires: 1, wire_order: config.wire_order };
      const { memory } = await backend.runExperiment('experiment_0', experiment as never, { jobId: 'j', maxHilbertDimension: 2 ** 22, checkpoint: () => undefined });
      expect(memory[0]!.split(' ')).to.have.length(500);
      expect(estimatedResultBytes([experiment])).to.be.at.least(entryBytes(memory));
    });

    it(`${name}: refuses max_shots × 9,999 measures of one wire by max_result_bytes, naming the rule`, () => {
      const config = configOf(name);
      const job = { experiment_0: { instructions: measures(9_999), shots: config.max_shots, num_wires: 1, wire_order: config.wire_order } };
      expect(() => checkJob(backend, config, job)).to.throw(WorkLimitError, /max_result_bytes/);
      const [issue] = workIssues(config.limits!, config.max_hilbert_dimension, job);
      expect(issue).to.deep.include({ rule: 'max_result_bytes', value: config.max_shots * (9_999 * 4 + 2) });
    });
  }

  it('still counts every wire when fewer are measured, and instructions of other shapes as none', () => {
    expect(estimatedResultBytes([{ instructions: measures(1), shots: 10, num_wires: 5 }])).to.equal(10 * (5 * 4 + 2));
    // a backend another lab publishes may take instructions as objects or numbers: they are sized, never a 500
    const foreign = [{ name: 'measure', wires: [0] }, 7, null, 'measure'] as unknown as [string, number[], number[]][];
    expect(estimatedResultBytes([{ instructions: foreign, shots: 10, num_wires: 2 }])).to.equal(10 * (2 * 4 + 2));
  });

  for (const name of ['singlequdit', 'multiqudit']) {
    it(`${name}: the estimate bounds the JSON of three-digit outcomes (500 atoms, all flipped), measured once or twice`, async () => {
      const config = configOf(name);
      for (const count of [1, 2]) {
        const instructions = [['load', [0], [500]], ['rlx', [0], [Math.PI]], ...measures(count)] as [string, number[], number[]][];
        const experiment = { instructions, shots: 100, num_wires: 1, wire_order: config.wire_order };
        const { memory } = await builtinBackends.get(name)!.runExperiment('experiment_0', experiment as never, { jobId: 'j', maxHilbertDimension: 2 ** 22, checkpoint: () => undefined });
        expect(memory[0]).to.equal(new Array(count).fill('500').join(' '));
        expect(estimatedResultBytes([experiment])).to.be.at.least(entryBytes(memory));
      }
    });
  }
});
