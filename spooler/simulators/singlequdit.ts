// The singlequdit backend: one collective spin of l = n/2 for n loaded atoms, driven by Lx, Lz and Lz².
import { applyExpm } from '../physics/expm.ts';
import { assertHilbertSpace } from '../physics/limits.ts';
import { linearCombination } from '../physics/sparse.ts';
import { spinOperators } from '../physics/spin.ts';
import { basisVector } from '../physics/vector.ts';
import { atomCount, params, param, unknownInstruction } from './instructions.ts';
import { sampledFrom } from './memory.ts';
import { runInstructions } from './program.ts';
import type { FinalState, SimExperiment, SimOptions } from './types.ts';

/** The largest state the job will hold: a `load` of n atoms resets the spin to dimension n + 1 (default 2). */
export function hilbertDimension(experiment: SimExperiment): number {
  return experiment.instructions.reduce(
    (largest, instruction, index) => (instruction[0] === 'load' ? Math.max(largest, atomCount(instruction, index) + 1) : largest),
    2,
  );
}

export function finalState(experiment: SimExperiment, options: SimOptions = {}): FinalState {
  assertHilbertSpace(hilbertDimension(experiment), options.maxAmplitudes);
  const { checkpoint } = options;
  let spin = spinOperators(1 / 2);
  let state = basisVector(spin.dim, 0);
  const measured = runInstructions(experiment, 1, checkpoint, (instruction, index) => {
    switch (instruction[0]) {
      case 'load':
        // resets the spin: l = n/2, all atoms in m = +l
        spin = spinOperators(atomCount(instruction, index) / 2);
        state = basisVector(spin.dim, 0);
        break;
      case 'rlx':
        applyExpm(spin.lx, param(instruction, index), state, { checkpoint });
        break;
      case 'rlz':
        applyExpm(spin.lz, param(instruction, index), state, { checkpoint });
        break;
      case 'rlz2':
        applyExpm(spin.lz2, param(instruction, index), state, { checkpoint });
        break;
      case 'sq_full': {
        const [omega, delta, chi] = params(instruction, index, 3);
        const H = linearCombination([
          { matrix: spin.lx, coefficient: omega! },
          { matrix: spin.lz, coefficient: delta! },
          { matrix: spin.lz2, coefficient: chi! },
        ]);
        applyExpm(H, 1, state, { checkpoint });
        break;
      }
      default:
        throw unknownInstruction('singlequdit', instruction, index);
    }
  });
  return { dims: [spin.dim], state, measured };
}

/** Outcome per measured wire: the state index 0…2l, i.e. the number of atoms in the lower state. */
export const simulate = sampledFrom(finalState);
