// The singlequdit simulator: one collective spin of up to 500 atoms (configuration as qlued.alqor.io serves it).
import * as simulator from '../../simulators/singlequdit.ts';
import { FULL_RANGE, TWO_PI, barrier, gate, loadAtoms, measure, parameter, simulatorBackend } from '../shared.ts';

const wire0 = [[0]];

export const singlequdit = simulatorBackend({
  config: {
    description: 'Setup of a cold atomic gas experiment with a single qudit.',
    version: '0.3',
    display_name: 'singlequdit',
    cold_atom_type: 'spin',
    max_experiments: 1000,
    max_shots: 1_000_000,
    simulator: true,
    supported_instructions: ['rlx', 'rlz', 'rlz2', 'barrier', 'measure', 'load', 'sq_full'],
    num_wires: 1,
    wire_order: 'interleaved',
    num_species: 1,
  },
  gates: [
    gate({ name: 'rlx', parameters: [parameter('omega', TWO_PI)], qasm_def: 'gate lrx(omega) {}', coupling_map: wire0, description: 'Evolution under Lx' }),
    gate({ name: 'rlz', parameters: [parameter('delta', TWO_PI)], qasm_def: 'gate rlz(delta) {}', coupling_map: wire0, description: 'Evolution under the Z gate' }),
    gate({ name: 'rlz2', parameters: [parameter('chi', 10 * TWO_PI)], qasm_def: 'gate rlz2(chi) {}', coupling_map: wire0, description: 'Evolution under lz2' }),
    gate({
      name: 'sq_full',
      parameters: ['omega', 'delta', 'chi'].map((name) => parameter(name, FULL_RANGE)),
      qasm_def: 'gate sq_full(omega, delta, chi) {}',
      coupling_map: wire0,
      description: 'Apply the full time evolution on the array.',
      sortedKeys: true,
    }),
  ],
  instructions: [loadAtoms(1), measure(1), barrier],
  // The config says "interleaved"; the reference spooler also takes "sequential" (SingleQuditExperiment.wire_order).
  // One wire is numbered the same either way.
  wireOrders: ['interleaved', 'sequential'],
  simulator,
  // A load resets the one spin, so the largest load sizes the job (simulators/singlequdit.ts hilbertDimension).
  work: { hilbertSpace: { wire_dimension: 2, load_instruction: 'load', combine: 'largest' } },
});
