// The fermions backend: four tweezers with a spin-down and a spin-up mode each (wire 2k and 2k+1), fermions
// loaded one by one, hopping between tweezers, on-site interaction and local phases (Jordan–Wigner, 256 states).
import { applyExpm } from '../physics/expm.ts';
import { annihilation, creation, number } from '../physics/fermions.ts';
import { assertHilbertSpace } from '../physics/limits.ts';
import { adjoint, linearCombination, multiply } from '../physics/sparse.ts';
import type { SparseMatrix } from '../physics/sparse.ts';
import { basisVector, normSquared, zeroVector } from '../physics/vector.ts';
import { existingWires, instructionLabel, param, unknownInstruction, wireAt } from './instructions.ts';
import { sampledFrom } from './memory.ts';
import { runInstructions } from './program.ts';
import type { FinalState, SimExperiment, SimOptions } from './types.ts';

const MODES = 8;
const DIM = 2 ** MODES;

interface ModeOperators {
  create: SparseMatrix;
  annihilate: SparseMatrix;
  count: SparseMatrix;
}
let modeOperators: ModeOperators[] | undefined;
/** a†_j, a_j and n_j of every mode, built on first use and shared by all runs. */
function mode(j: number): ModeOperators {
  modeOperators ??= Array.from({ length: MODES }, (_, k) => ({ create: creation(MODES, k), annihilate: annihilation(MODES, k), count: number(MODES, k) }));
  return modeOperators[j]!;
}

export function hilbertDimension(_experiment: SimExperiment): number {
  return DIM;
}

/** Σ over the hops x ↔ y of a†_x a_y + a†_y a_x. */
function hopping(pairs: ReadonlyArray<readonly [number, number]>): SparseMatrix {
  return linearCombination(
    pairs.flatMap(([x, y]) => {
      const forward = multiply(mode(x).create, mode(y).annihilate);
      return [
        { matrix: forward, coefficient: 1 },
        { matrix: adjoint(forward), coefficient: 1 },
      ];
    }),
  );
}

/**
 * fhop on [a, b, c, d] hops a ↔ c and b ↔ d (the spin-down and spin-up modes of two neighbouring tweezers). A
 * longer list (the whole-array form [0…7]) is read as consecutive tweezers, each hopping to the next.
 */
function hopPairs(wires: readonly number[]): Array<[number, number]> {
  return wires.slice(0, -2).map((x, k) => [x, wires[k + 2]!]);
}

function sumOfNumbers(modes: readonly number[]): SparseMatrix {
  return linearCombination(modes.map((w) => ({ matrix: mode(w).count, coefficient: 1 })));
}

/** Σ_k n(2k) n(2k+1) */
function onSiteInteraction(): SparseMatrix {
  const sites = Array.from({ length: MODES / 2 }, (_, k) => multiply(mode(2 * k).count, mode(2 * k + 1).count));
  return linearCombination(sites.map((matrix) => ({ matrix, coefficient: 1 })));
}

export function finalState(experiment: SimExperiment, options: SimOptions = {}): FinalState {
  assertHilbertSpace(DIM, options.maxAmplitudes);
  const { checkpoint } = options;
  let state = basisVector(DIM, 0);
  // gates repeat with the same wires; their Hamiltonians are built once per run
  const hamiltonians = new Map<string, SparseMatrix>();
  const evolve = (key: string, build: () => SparseMatrix, theta: number): void => {
    let H = hamiltonians.get(key);
    if (H === undefined) hamiltonians.set(key, (H = build()));
    applyExpm(H, theta, state, { checkpoint });
  };
  const measured = runInstructions(experiment, MODES, checkpoint, (instruction, index) => {
    switch (instruction[0]) {
      case 'load': {
        const w = wireAt(instruction, index, MODES);
        const loaded = zeroVector(DIM);
        mode(w).create.matvec(state, loaded);
        // a† annihilates every component with mode w already filled: loading there is not a physical operation
        if (Math.abs(normSquared(loaded) - 1) > 1e-9) {
          throw new RangeError(`${instructionLabel(instruction, index)}: mode ${w} is (partly) occupied already`);
        }
        state = loaded;
        break;
      }
      case 'fhop': {
        const wires = instruction[1].map((_, k) => wireAt(instruction, index, MODES, k));
        evolve(`fhop ${wires}`, () => hopping(hopPairs(wires)), param(instruction, index));
        break;
      }
      case 'fint':
        // the coupling map only offers the whole array
        evolve('fint', onSiteInteraction, param(instruction, index));
        break;
      case 'fphase': {
        const wires = existingWires(instruction, MODES);
        evolve(`fphase ${wires}`, () => sumOfNumbers(wires), param(instruction, index));
        break;
      }
      default:
        throw unknownInstruction('fermions', instruction, index);
    }
  });
  return { dims: new Array<number>(MODES).fill(2), state, measured };
}

/** Outcome per measured wire: the occupation 0/1 of that mode. */
export const simulate = sampledFrom(finalState);
