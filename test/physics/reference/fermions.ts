// Reference model of the fermions backend (reference/backends.md): num_wires modes, wire 2k the spin-down and
// 2k+1 the spin-up mode of tweezer k, Jordan–Wigner operators as dense Kronecker products.
import { adjoint, apply, multiply, sum } from './dense.ts';
import type { Dense } from './dense.ts';
import { registerWires } from './model.ts';
import type { Instruction, ReferenceModel } from './model.ts';
import { annihilator } from './operators.ts';

/** a_j, a†_j and n_j of an M-mode register, built once per (M, j). */
const cache = new Map<string, { a: Dense; create: Dense; count: Dense }>();
function mode(modes: number, j: number) {
  const key = `${modes} ${j}`;
  let operators = cache.get(key);
  if (operators === undefined) {
    const a = annihilator(modes, j);
    const create = adjoint(a);
    operators = { a, create, count: multiply(create, a) };
    cache.set(key, operators);
  }
  return operators;
}

/** fhop on [a, b, c, d] hops a ↔ c and b ↔ d; on the whole array every mode hops to the same spin one tweezer on. */
function hopping(modes: number, wires: readonly number[]): Dense {
  const pairs = wires.slice(0, -2).map((x, k) => [x, wires[k + 2]!] as const);
  return sum(
    2 ** modes,
    pairs.flatMap(([x, y]): Array<[number, Dense]> => {
      const forward = multiply(mode(modes, x).create, mode(modes, y).a);
      return [[1, forward], [1, adjoint(forward)]];
    }),
  );
}

function unknown(instruction: Instruction): Error {
  return new Error(`the reference has no ${instruction[0]}`);
}

export const fermions: ReferenceModel = {
  initialDims: (numWires) => new Array<number>(numWires).fill(2),
  step(instruction, { dims, state }, numWires) {
    const [name, wires, params] = instruction;
    const modes = numWires;
    const n = 2 ** modes;
    const onRegister = registerWires(wires, numWires);
    switch (name) {
      case 'load':
        return { prepare: { dims, state: apply(mode(modes, wires[0]!).create, state) } };
      case 'fhop':
        return { evolve: { key: `fhop ${onRegister} of ${modes}`, hamiltonian: () => hopping(modes, onRegister), theta: params[0]! } };
      case 'fint': {
        // n↓ n↑ on every tweezer the register holds both modes of
        const sites = (): Array<[number, Dense]> =>
          Array.from({ length: Math.floor(modes / 2) }, (_, k) => [1, multiply(mode(modes, 2 * k).count, mode(modes, 2 * k + 1).count)]);
        return { evolve: { key: `fint of ${modes}`, hamiltonian: () => sum(n, sites()), theta: params[0]! } };
      }
      case 'fphase':
        return { evolve: { key: `fphase ${onRegister} of ${modes}`, hamiltonian: () => sum(n, onRegister.map((w): [number, Dense] => [1, mode(modes, w).count])), theta: params[0]! } };
      default:
        throw unknown(instruction);
    }
  },
};
