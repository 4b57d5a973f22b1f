// The backends under differential test: each one's definition (instructions, coupling maps, job schema), its
// engine's exact outcome distribution before sampling, and how its random circuits are drawn.
import type { BackendDefinition } from '../../spooler/backend.ts';
import { createBackend } from '../../spooler/backends/index.ts';
import * as fermions from '../../spooler/simulators/fermions.ts';
import { outcomeDistribution } from '../../spooler/simulators/memory.ts';
import * as multiqudit from '../../spooler/simulators/multiqudit.ts';
import * as qubit from '../../spooler/simulators/qubit.ts';
import * as rydberg from '../../spooler/simulators/rydberg.ts';
import * as singlequdit from '../../spooler/simulators/singlequdit.ts';
import type { FinalState, SimExperiment } from '../../spooler/simulators/types.ts';
import type { Circuit, CircuitSpace } from './circuits.ts';

export interface BackendUnderTest {
  name: string;
  definition: BackendDefinition;
  /** The engine's exact probability of every `memory` entry. */
  distribution(circuit: Circuit): Map<string, number>;
  space: CircuitSpace;
  /** Register sizes drawn: 1 … num_wires, multiples of num_species for fermions (what qiskit sends). */
  sizes: number[];
  /** Random circuits on top of the systematic ones (every gate on every wire set of every size). */
  randomCircuits: number;
}

const engines: Record<string, (experiment: SimExperiment) => FinalState> = {
  singlequdit: singlequdit.finalState,
  multiqudit: multiqudit.finalState,
  fermions: fermions.finalState,
  rydberg: rydberg.finalState,
  qubit: qubit.finalState,
};

function underTest(name: string, options: { maxDimension: number; randomCircuits: number; fermionLoads?: boolean }): BackendUnderTest {
  const definition = createBackend(name)!;
  const { num_wires: deviceWires, num_species: species } = definition.config;
  const sizes = Array.from({ length: deviceWires }, (_, k) => k + 1).filter((n) => n % (species ?? 1) === 0);
  const engine = engines[name]!;
  return {
    name,
    definition,
    distribution: (circuit) => outcomeDistribution(engine({ ...circuit, shots: 1 })),
    space: { instructions: definition.instructions, deviceWires, maxDimension: options.maxDimension, ...(options.fermionLoads ? { fermionLoads: true } : {}) },
    sizes,
    randomCircuits: options.randomCircuits,
  };
}

export const backendsUnderTest: BackendUnderTest[] = [
  underTest('singlequdit', { maxDimension: 40, randomCircuits: 400 }),
  underTest('multiqudit', { maxDimension: 48, randomCircuits: 800 }),
  underTest('rydberg', { maxDimension: 32, randomCircuits: 800 }),
  underTest('fermions', { maxDimension: 256, randomCircuits: 500, fermionLoads: true }),
  underTest('qubit', { maxDimension: 2, randomCircuits: 300 }),
];
