// The rydberg backend: a chain of two-level atoms (spin 1/2 per wire) with local drives and the van der Waals
// blockade Σ_{i<j} n_i n_j / |i − j|^6, n = 1/2 − Lz being the Rydberg occupation.
import { applyExpm } from '../physics/expm.ts';
import { assertHilbertSpace } from '../physics/limits.ts';
import { SparseMatrix } from '../physics/sparse.ts';
import { applyLocalExpm, liftedSum } from '../physics/tensor.ts';
import type { LocalTerm } from '../physics/tensor.ts';
import { spinOperators } from '../physics/spin.ts';
import { basisVector } from '../physics/vector.ts';
import { existingWires, param, params, unknownInstruction, wireAt, wireCount } from './instructions.ts';
import { sampledFrom } from './memory.ts';
import { runInstructions } from './program.ts';
import type { FinalState, SimExperiment, SimOptions } from './types.ts';

const spin = spinOperators(1 / 2);
/** n_i ⊗ n_j: only |r r⟩ (index 3 of the pair) is occupied twice. */
const bothExcited = SparseMatrix.diagonal([0, 0, 0, 1]);

export function hilbertDimension(experiment: SimExperiment): number {
  return 2 ** wireCount(experiment);
}

/** Σ_{i<j} n_i n_j / |i − j|^6 over the given wires. */
function blockade(wires: readonly number[], strength: number): LocalTerm[] {
  return wires.flatMap((i, k) =>
    wires.slice(k + 1).map((j) => ({ wires: [i, j], operator: bothExcited, coefficient: strength / Math.abs(i - j) ** 6 })),
  );
}

export function finalState(experiment: SimExperiment, options: SimOptions = {}): FinalState {
  assertHilbertSpace(hilbertDimension(experiment), options.maxAmplitudes);
  const numWires = experiment.num_wires;
  const { checkpoint } = options;
  const dims = new Array<number>(numWires).fill(2);
  const state = basisVector(2 ** numWires, 0);
  const evolve = (terms: LocalTerm[], theta: number): void =>
    applyExpm(liftedSum(dims, terms, options.maxNonZeros), theta, state, { checkpoint });
  const measured = runInstructions(experiment, numWires, checkpoint, (instruction, index) => {
    switch (instruction[0]) {
      case 'rlx':
        applyLocalExpm(dims, wireAt(instruction, index, numWires), spin.lx, param(instruction, index), state, { checkpoint });
        break;
      case 'rlz':
        applyLocalExpm(dims, wireAt(instruction, index, numWires), spin.lz, param(instruction, index), state, { checkpoint });
        break;
      case 'rydberg_block':
        evolve(blockade(existingWires(instruction, numWires), 1), param(instruction, index));
        break;
      case 'rydberg_full': {
        const [omega, delta, phi] = params(instruction, index, 3);
        const wires = existingWires(instruction, numWires);
        const drive = wires.flatMap((w) => [
          { wires: [w], operator: spin.lx, coefficient: omega! },
          { wires: [w], operator: spin.lz, coefficient: delta! },
        ]);
        evolve([...drive, ...blockade(wires, phi!)], 1);
        break;
      }
      default:
        throw unknownInstruction('rydberg', instruction, index);
    }
  });
  return { dims, state, measured };
}

/** Outcome per measured wire: 0 (ground, m = +1/2) or 1 (Rydberg, m = −1/2). */
export const simulate = sampledFrom(finalState);
