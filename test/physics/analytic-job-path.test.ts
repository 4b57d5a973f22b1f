// What a job's result says, through the spooler's job path (schema, backend checks, execution, result assembly), for
// circuits whose every shot is known: results in the experiments' order with their names and shots (also past
// experiment_9, where sorting by name would differ), measured wires in `measure` order with repeats, and the state at
// the end being what is sampled (the multi-wire reference spoolers collect the measured wires and sample once).
import { expect } from 'chai';
import type { BackendDefinition } from '../../spooler/backend.ts';
import { publishedConfig } from '../../spooler/backend.ts';
import { fermions } from '../../spooler/backends/fermions/index.ts';
import { multiqudit } from '../../spooler/backends/multiqudit/index.ts';
import { rydberg } from '../../spooler/backends/rydberg/index.ts';
import { singlequdit } from '../../spooler/backends/singlequdit/index.ts';
import { executeJob } from '../../spooler/execute.ts';
import type { Result } from '../../schemas/result.ts';

type Instruction = [string, number[], number[]];
const JOB_ID = '0123456789abcdef01234567';
const PI = Math.PI;

async function run(backend: BackendDefinition, payload: Record<string, unknown>): Promise<Result> {
  const config = publishedConfig(backend, { maxInstructions: 1000, maxHilbertDimension: 2 ** 22 });
  return executeJob({ backend, config, providerName: 'alqor', jobId: JOB_ID, payload, context: { jobId: JOB_ID, maxHilbertDimension: 2 ** 22, checkpoint: () => undefined } });
}

const experiment = (instructions: Instruction[], numWires: number, shots = 5) => ({ instructions, shots, num_wires: numWires, wire_order: 'interleaved', seed: 1 });

/** Every shot of the job's only experiment. */
async function shotsOf(backend: BackendDefinition, instructions: Instruction[], numWires: number): Promise<Set<string>> {
  const result = await run(backend, { experiment_0: experiment(instructions, numWires) });
  return new Set(result.results[0]!.data.memory);
}

describe('analytic: results through the job path', () => {
  it('keeps twelve experiments in order with their names and shot counts (experiment_k flips k + 1 atoms)', async () => {
    const payload = Object.fromEntries(
      Array.from({ length: 12 }, (_, k) => [`experiment_${k}`, experiment([['load', [0], [k + 1]], ['rlx', [0], [PI]], ['measure', [0], []]], 1, k + 1)]),
    );
    const { results } = await run(singlequdit, payload);
    expect(results.map((r) => r.header.name)).to.deep.equal(Object.keys(payload));
    results.forEach((r, k) => {
      expect(r.shots, r.header.name).to.equal(k + 1);
      expect(r.data.memory, r.header.name).to.deep.equal(new Array(k + 1).fill(String(k + 1)));
    });
  });

  it('fermions: writes the measured modes in measure order, a repeated measure repeated, unmeasured modes left out', async () => {
    const loaded: Instruction[] = [['load', [7], []], ['load', [2], []]];
    const measured: Instruction[] = [7, 2, 7, 6].map((w) => ['measure', [w], []]);
    expect(await shotsOf(fermions, [...loaded, ...measured], 8)).to.deep.equal(new Set(['1 1 1 0']));
  });

  it('rydberg: reads wire 2 before wire 0 when measured so', async () => {
    expect(await shotsOf(rydberg, [['rlx', [2], [PI]], ['measure', [2], []], ['measure', [0], []]], 3)).to.deep.equal(new Set(['1 0']));
  });

  it('multiqudit: samples the state after the last instruction, gates after a measure included', async () => {
    const flipBack: Instruction[] = [['load', [1], [4]], ['rlx', [1], [PI]], ['measure', [1], []], ['measure', [0], []], ['rlx', [1], [PI]]];
    expect(await shotsOf(multiqudit, flipBack, 2)).to.deep.equal(new Set(['0 0']));
    expect(await shotsOf(multiqudit, flipBack.slice(0, -1), 2)).to.deep.equal(new Set(['4 0']));
  });

  it('multiqudit: a wire never loaded or touched is a spin 1/2 that reads 0, wherever it sits', async () => {
    expect(await shotsOf(multiqudit, [['load', [0], [3]], ['load', [4], [2]], ['rlx', [4], [PI]], ['measure', [2], []], ['measure', [4], []]], 5)).to.deep.equal(new Set(['0 2']));
  });
});
