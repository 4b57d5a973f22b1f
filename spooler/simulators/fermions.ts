// The fermions backend: up to four tweezers with a spin-down and a spin-up mode each (wire 2k and 2k+1), fermions
// loaded one by one, hopping between tweezers, on-site interaction and local phases (Jordan–Wigner over the
// experiment's num_wires modes, at most 2^8 states). Whole-array gates act on the register's own modes: a 4-wire
// experiment is two tweezers, and its atoms must not hop into tweezers it does not have.
import { applyExpm } from '../physics/expm.ts';
import { annihilation, creation, number } from '../physics/fermions.ts';
import { assertHilbertSpace } from '../physics/limits.ts';
import { adjoint, linearCombination, multiply } from '../physics/sparse.ts';
import type { SparseMatrix } from '../physics/sparse.ts';
import { basisVector, normSquared, zeroVector } from '../physics/vector.ts';
import { existingWires, instructionLabel, param, unknownInstruction, wireAt, wireCount } from './instructions.ts';
import { sampledFrom } from './memory.ts';
import { runInstructions } from './program.ts';
import type { FinalState, SimExperiment, SimOptions } from './types.ts';

/** The device's modes: four tweezers of two spin states. */
const MAX_MODES = 8;

interface ModeOperators {
  create: SparseMatrix;
  annihilate: SparseMatrix;
  count: SparseMatrix;
}
type Modes = (j: number) => ModeOperators;
const modeOperators = new Map<number, ModeOperators[]>();
/** a†_j, a_j and n_j of every mode of an M-mode register, built on first use and shared by all runs. */
function modesOf(count: number): Modes {
  let operators = modeOperators.get(count);
  if (operators === undefined) {
    operators = Array.from({ length: count }, (_, k) => ({ create: creation(count, k), annihilate: annihilation(count, k), count: number(count, k) }));
    modeOperators.set(count, operators);
  }
  return (j) => operators[j]!;
}

/** num_wires modes, bounded by the device's eight. */
function modeCount(experiment: SimExperiment): number {
  const modes = wireCount(experiment);
  if (modes > MAX_MODES) throw new RangeError(`num_wires ${modes}: the device has ${MAX_MODES} modes`);
  return modes;
}

export function hilbertDimension(experiment: SimExperiment): number {
  return 2 ** modeCount(experiment);
}

type Terms = Array<{ matrix: SparseMatrix; coefficient: number }>;

/** Σ over the hops x ↔ y of a†_x a_y + a†_y a_x. */
function hopping(mode: Modes, pairs: ReadonlyArray<readonly [number, number]>): Terms {
  return pairs.flatMap(([x, y]) => {
    const forward = multiply(mode(x).create, mode(y).annihilate);
    return [
      { matrix: forward, coefficient: 1 },
      { matrix: adjoint(forward), coefficient: 1 },
    ];
  });
}

/**
 * fhop on [a, b, c, d] hops a ↔ c and b ↔ d (the spin-down and spin-up modes of two neighbouring tweezers). A
 * longer list (the whole-array form [0…7]) is read as consecutive tweezers, each hopping to the next.
 */
function hopPairs(wires: readonly number[]): Array<[number, number]> {
  return wires.slice(0, -2).map((x, k) => [x, wires[k + 2]!]);
}

function sumOfNumbers(mode: Modes, modes: readonly number[]): Terms {
  return modes.map((w) => ({ matrix: mode(w).count, coefficient: 1 }));
}

/** Σ_k n(2k) n(2k+1) over the register's complete tweezers. */
function onSiteInteraction(mode: Modes, modes: number): Terms {
  return Array.from({ length: Math.floor(modes / 2) }, (_, k) => ({ matrix: multiply(mode(2 * k).count, mode(2 * k + 1).count), coefficient: 1 }));
}

export function finalState(experiment: SimExperiment, options: SimOptions = {}): FinalState {
  const modes = modeCount(experiment);
  const dim = 2 ** modes;
  assertHilbertSpace(dim, options.maxAmplitudes);
  const mode = modesOf(modes);
  const { checkpoint } = options;
  let state = basisVector(dim, 0);
  // gates repeat with the same wires; their Hamiltonians are built once per run. An empty sum (no hop on a
  // one-tweezer register, no complete tweezer to interact on) evolves nothing.
  const hamiltonians = new Map<string, SparseMatrix | undefined>();
  const evolve = (key: string, terms: () => Terms, theta: number): void => {
    if (!hamiltonians.has(key)) {
      const built = terms();
      hamiltonians.set(key, built.length === 0 ? undefined : linearCombination(built));
    }
    const H = hamiltonians.get(key);
    if (H !== undefined) applyExpm(H, theta, state, { checkpoint });
  };
  const measured = runInstructions(experiment, modes, checkpoint, (instruction, index) => {
    switch (instruction[0]) {
      case 'load': {
        const w = wireAt(instruction, index, modes);
        const loaded = zeroVector(dim);
        mode(w).create.matvec(state, loaded);
        // a† annihilates every component with mode w already filled: loading there is not a physical operation
        if (Math.abs(normSquared(loaded) - 1) > 1e-9) {
          throw new RangeError(`${instructionLabel(instruction, index)}: mode ${w} is (partly) occupied already`);
        }
        state = loaded;
        break;
      }
      case 'fhop': {
        // the whole device array is cut to the register; two tweezers [2k … 2k+3] must lie inside it
        const wires =
          instruction[1].length === MAX_MODES ? existingWires(instruction, modes) : instruction[1].map((_, k) => wireAt(instruction, index, modes, k));
        evolve(`fhop ${wires}`, () => hopping(mode, hopPairs(wires)), param(instruction, index));
        break;
      }
      case 'fint':
        // the coupling map only offers the whole array
        evolve('fint', () => onSiteInteraction(mode, modes), param(instruction, index));
        break;
      case 'fphase': {
        const wires = existingWires(instruction, modes);
        evolve(`fphase ${wires}`, () => sumOfNumbers(mode, wires), param(instruction, index));
        break;
      }
      default:
        throw unknownInstruction('fermions', instruction, index);
    }
  });
  return { dims: new Array<number>(modes).fill(2), state, measured };
}

/** Outcome per measured wire: the occupation 0/1 of that mode. */
export const simulate = sampledFrom(finalState);
