// The singlequdit simulator: one collective spin of up to 500 atoms (configuration as qlued.alqor.io serves it).
import type { BackendDefinition } from '../../backend.ts';
import { hilbertSpaceIssues, instructionRecords } from '../../backend.ts';
import { hilbertDimension, simulate } from '../../simulators/singlequdit.ts';

const TWO_PI = 2 * Math.PI;
const wire0 = [[0]];

export const singlequdit: BackendDefinition = {
  config: {
    description: 'Setup of a cold atomic gas experiment with a single qudit.',
    version: '0.3',
    display_name: 'singlequdit',
    cold_atom_type: 'spin',
    gates: [
      { name: 'rlx', parameters: ['omega'], qasm_def: 'gate lrx(omega) {}', coupling_map: wire0, description: 'Evolution under Lx' },
      { name: 'rlz', parameters: ['delta'], qasm_def: 'gate rlz(delta) {}', coupling_map: wire0, description: 'Evolution under the Z gate' },
      { name: 'rlz2', parameters: ['chi'], qasm_def: 'gate rlz2(chi) {}', coupling_map: wire0, description: 'Evolution under lz2' },
      {
        coupling_map: wire0,
        description: 'Apply the full time evolution on the array.',
        name: 'sq_full',
        parameters: ['omega, delta, chi'],
        qasm_def: 'gate sq_full(omega, delta, chi) {}',
      },
    ],
    max_experiments: 1000,
    max_shots: 1_000_000,
    simulator: true,
    supported_instructions: ['rlx', 'rlz', 'rlz2', 'barrier', 'measure', 'load', 'sq_full'],
    num_wires: 1,
    wire_order: 'interleaved',
    num_species: 1,
  },
  instructions: [
    { name: 'rlx', parameters: [{ name: 'omega', min: 0, max: TWO_PI }], coupling_map: wire0 },
    { name: 'rlz', parameters: [{ name: 'delta', min: 0, max: TWO_PI }], coupling_map: wire0 },
    { name: 'rlz2', parameters: [{ name: 'chi', min: 0, max: 10 * TWO_PI }], coupling_map: wire0 },
    {
      name: 'sq_full',
      parameters: ['omega', 'delta', 'chi'].map((name) => ({ name, min: 0, max: 5e6 * Math.PI })),
      coupling_map: wire0,
    },
    { name: 'load', parameters: [{ name: 'atoms', min: 1, max: 500, integer: true }], coupling_map: wire0 },
    { name: 'measure', parameters: [], coupling_map: wire0 },
    { name: 'barrier', parameters: [], coupling_map: 'any' },
  ],
  checkJob: (job, { maxHilbertDimension }) => hilbertSpaceIssues(job, hilbertDimension, maxHilbertDimension),
  runExperiment(_name, experiment, context) {
    const { memory } = simulate(experiment, { maxAmplitudes: context.maxHilbertDimension, checkpoint: context.checkpoint });
    return { memory, instructions: instructionRecords(experiment) };
  },
};
