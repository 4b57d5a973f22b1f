// The rydberg simulator: a chain of up to five two-level atoms with local drives and the van der Waals blockade
// (configuration as qlued.alqor.io serves it).
import * as simulator from '../../simulators/rydberg.ts';
import { FULL_RANGE, TWO_PI, allWires, barrier, eachWire, gate, measure, parameter, simulatorBackend } from '../shared.ts';

const WIRES = 5;

export const rydberg = simulatorBackend({
  largestOutcome: 1,
  config: {
    description: 'A chain of qubits realized through Rydberg atoms.',
    version: '0.3',
    display_name: 'rydberg',
    cold_atom_type: 'spin',
    max_experiments: 1000,
    max_shots: 1_000_000,
    simulator: true,
    supported_instructions: ['rlx', 'rlz', 'rydberg_block', 'rydberg_full', 'barrier', 'measure'],
    num_wires: WIRES,
    wire_order: 'interleaved',
    num_species: 1,
  },
  gates: [
    gate({ name: 'rlx', parameters: [parameter('omega', TWO_PI)], qasm_def: 'gate rlx(omega) {}', coupling_map: eachWire(WIRES), description: 'Evolution under Rlx', sortedKeys: true }),
    gate({ name: 'rlz', parameters: [parameter('delta', TWO_PI)], qasm_def: 'gate rlz(delta) {}', coupling_map: eachWire(WIRES), description: 'Evolution under the Rlz gate', sortedKeys: true }),
    // Whole-array gates act on the wires the experiment has: the reference jobs send [0…4] with num_wires 2, which
    // the job validation accepts for exactly the whole array (schemas/validators.ts).
    gate({
      name: 'rydberg_block',
      parameters: [parameter('phi', TWO_PI)],
      qasm_def: 'gate rydberg_block(phi) {}',
      coupling_map: [allWires(WIRES)],
      description: 'Apply the Rydberg blockade over the whole array',
      sortedKeys: true,
    }),
    gate({
      name: 'rydberg_full',
      parameters: ['omega', 'delta', 'phi'].map((name) => parameter(name, FULL_RANGE)),
      qasm_def: 'gate rydberg_full(omega, delta, phi) {}',
      coupling_map: [allWires(WIRES)],
      description: 'Apply the Rydberg and Rabi coupling over the whole array.',
      sortedKeys: true,
    }),
  ],
  instructions: [measure(WIRES), barrier],
  // As for multiqudit: the config says "interleaved", the reference jobs and reference/backends.md "sequential";
  // with one species both name the same wires, so both are accepted.
  wireOrders: ['interleaved', 'sequential'],
  simulator,
  // published so that the server refuses at submission what the simulator would (a QSPOOL_MAX_HILBERT_DIMENSION below 2^5)
  work: { hilbertSpace: { wire_dimension: 2, combine: 'product' } },
});
