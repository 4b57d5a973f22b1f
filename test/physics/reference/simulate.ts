// The reference solver: runs an experiment through a backend's reference model with dense Hamiltonians and
// Jacobi exponentials, and returns the exact probability of every `memory` entry (measured wires in `measure`
// order, space-separated; unmeasured wires summed over).
import { basis } from './dense.ts';
import { decompose, evolve } from './eigen.ts';
import type { Decomposition } from './eigen.ts';
import { fermions } from './fermions.ts';
import type { Instruction, ReferenceModel, Register } from './model.ts';
import { multiqudit, qubit, rydberg, singlequdit } from './spins.ts';

export const referenceModels: Readonly<Record<string, ReferenceModel>> = { singlequdit, multiqudit, rydberg, fermions, qubit };

export interface ReferenceExperiment {
  instructions: readonly Instruction[];
  num_wires: number;
}

/** Decompositions of recurring Hamiltonians (by model and key); the angle only enters in `evolve`. */
const decompositions = new Map<string, Decomposition>();

function decomposition(backend: string, key: string | undefined, build: () => Decomposition): Decomposition {
  if (key === undefined) return build();
  const cacheKey = `${backend}: ${key}`;
  let eigen = decompositions.get(cacheKey);
  if (eigen === undefined) decompositions.set(cacheKey, (eigen = build()));
  return eigen;
}

export function referenceDistribution(backend: string, experiment: ReferenceExperiment): Map<string, number> {
  const model = referenceModels[backend];
  if (model === undefined) throw new Error(`no reference model for ${backend}`);
  const numWires = experiment.num_wires;
  const dims = model.initialDims(numWires, experiment.instructions);
  let register: Register = { dims, state: basis(dims.reduce((a, b) => a * b, 1), 0) };
  const measured: number[] = [];
  for (const instruction of experiment.instructions) {
    if (instruction[0] === 'measure') measured.push(instruction[1][0]!);
    if (instruction[0] === 'measure' || instruction[0] === 'barrier') continue;
    const step = model.step(instruction, register, numWires);
    if (step === undefined) continue;
    if ('prepare' in step) {
      register = step.prepare;
      continue;
    }
    const { key, hamiltonian, theta } = step.evolve;
    const eigen = decomposition(backend, key, () => decompose(hamiltonian()));
    register = { dims: register.dims, state: evolve(eigen, theta, register.state) };
  }
  return distribution(register, measured);
}

function distribution({ dims, state }: Register, measured: readonly number[]): Map<string, number> {
  const result = new Map<string, number>();
  for (let index = 0; index < state.re.length; index++) {
    // the digits of the index in the mixed radix of dims, wire 0 first
    const digits = new Array<number>(dims.length);
    let rest = index;
    for (let w = dims.length - 1; w >= 0; w--) {
      digits[w] = rest % dims[w]!;
      rest = Math.floor(rest / dims[w]!);
    }
    const outcome = measured.map((w) => digits[w]).join(' ');
    result.set(outcome, (result.get(outcome) ?? 0) + state.re[index]! ** 2 + state.im[index]! ** 2);
  }
  return result;
}
