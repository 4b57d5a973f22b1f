// The multiqudit backend: up to five collective spins (l_w = n_w/2) with local rotations, Lz² squeezing and
// flip-flop (L+L− + h.c.) or Lz·Lz couplings between wires.
import { applyExpm } from '../physics/expm.ts';
import { assertHilbertSpace, hilbertDimension as dimensionOf } from '../physics/limits.ts';
import type { SparseMatrix } from '../physics/sparse.ts';
import { applyLocalExpm, kron, liftedSum } from '../physics/tensor.ts';
import type { LocalTerm } from '../physics/tensor.ts';
import { spinOperators } from '../physics/spin.ts';
import type { SpinOperators } from '../physics/spin.ts';
import { basisVector } from '../physics/vector.ts';
import { atomCount, existingWires, neighbourPairs, param, params, unknownInstruction, wireAt, wireCount, wirePairs } from './instructions.ts';
import { sampledFrom } from './memory.ts';
import { runInstructions } from './program.ts';
import type { FinalState, SimExperiment, SimOptions } from './types.ts';

/** Per-wire dimensions: every `load` is applied before any gate (the last one per wire wins); default l = 1/2. */
function wireDimensions(experiment: SimExperiment): number[] {
  const numWires = wireCount(experiment);
  const dims = new Array<number>(numWires).fill(2);
  experiment.instructions.forEach((instruction, index) => {
    if (instruction[0] === 'load') dims[wireAt(instruction, index, numWires)] = atomCount(instruction, index) + 1;
  });
  return dims;
}

export function hilbertDimension(experiment: SimExperiment): number {
  return dimensionOf(wireDimensions(experiment));
}

type PairOperators = (a: SpinOperators, b: SpinOperators) => SparseMatrix[];
/** L+_a L−_b + L−_a L+_b */
const flipFlop: PairOperators = (a, b) => [kron(a.lplus, b.lminus), kron(a.lminus, b.lplus)];
/** Lz_a Lz_b */
const zz: PairOperators = (a, b) => [kron(a.lz, b.lz)];

export function finalState(experiment: SimExperiment, options: SimOptions = {}): FinalState {
  const dims = wireDimensions(experiment);
  assertHilbertSpace(dimensionOf(dims), options.maxAmplitudes);
  const { checkpoint } = options;
  const numWires = dims.length;
  const spins = dims.map((d) => spinOperators((d - 1) / 2));
  const spin = (w: number): SpinOperators => spins[w]!;
  const state = basisVector(dimensionOf(dims), 0);
  const evolve = (terms: LocalTerm[], theta: number): void =>
    applyExpm(liftedSum(dims, terms, options.maxNonZeros), theta, state, { checkpoint });
  const onPairs = (pairs: Array<[number, number]>, coefficient: number, local: PairOperators): LocalTerm[] =>
    pairs.flatMap(([a, b]) => local(spin(a), spin(b)).map((operator) => ({ wires: [a, b], operator, coefficient })));
  const measured = runInstructions(experiment, numWires, checkpoint, (instruction, index) => {
    const name = instruction[0];
    switch (name) {
      case 'load':
        break;
      case 'rlx':
      case 'rlz':
      case 'rlz2': {
        const w = wireAt(instruction, index, numWires);
        const operator = { rlx: spin(w).lx, rlz: spin(w).lz, rlz2: spin(w).lz2 }[name];
        applyLocalExpm(dims, w, operator, param(instruction, index), state, { checkpoint });
        break;
      }
      case 'rly': {
        // exp(−iθLy) = e^{−iπ/2·Lz} e^{−iθLx} e^{iπ/2·Lz}: real local operators only, so large spins can use the
        // eigen-decomposition (and the Lz factors are diagonal)
        const w = wireAt(instruction, index, numWires);
        applyLocalExpm(dims, w, spin(w).lz, -Math.PI / 2, state, { checkpoint });
        applyLocalExpm(dims, w, spin(w).lx, param(instruction, index), state, { checkpoint });
        applyLocalExpm(dims, w, spin(w).lz, Math.PI / 2, state, { checkpoint });
        break;
      }
      case 'rlxly':
        evolve(onPairs(wirePairs(instruction, index, numWires), 1, flipFlop), param(instruction, index));
        break;
      case 'rlzlz':
        evolve(onPairs(wirePairs(instruction, index, numWires), 1, zz), param(instruction, index));
        break;
      case 'multiqudit_full': {
        const [omega, delta, chi, jxy, jzz] = params(instruction, index, 5);
        const wires = existingWires(instruction, numWires);
        const pairs = neighbourPairs(wires);
        evolve(
          [
            ...wires.flatMap((w) => [
              { wires: [w], operator: spin(w).lx, coefficient: omega! },
              { wires: [w], operator: spin(w).lz, coefficient: delta! },
              { wires: [w], operator: spin(w).lz2, coefficient: chi! },
            ]),
            ...onPairs(pairs, jxy!, flipFlop),
            ...onPairs(pairs, jzz!, zz),
          ],
          1,
        );
        break;
      }
      default:
        throw unknownInstruction('multiqudit', instruction, index);
    }
  });
  return { dims, state, measured };
}

/** Outcome per measured wire: its state index 0…2l_w. */
export const simulate = sampledFrom(finalState);
