// Reference models of the spin backends (reference/backends.md): singlequdit, multiqudit, rydberg and qubit, as
// dense sums of Kronecker products of single-wire spin matrices.
import { basis, multiply, realMatrix, sum } from './dense.ts';
import type { Dense } from './dense.ts';
import { consecutivePairs, registerWires } from './model.ts';
import type { Instruction, ReferenceModel, Register, Step } from './model.ts';
import { onWires, pauli, spin } from './operators.ts';

/** A product of one-wire operators on the register, e.g. [[a, L+], [b, L−]]. */
const product = (dims: readonly number[], factors: ReadonlyArray<readonly [number, Dense]>): Dense => onWires(dims, new Map(factors));
const spinOn = (dims: readonly number[], w: number) => spin((dims[w]! - 1) / 2);
const dimension = (dims: readonly number[]): number => dims.reduce((a, b) => a * b, 1);

/** The one-wire gates rlx, rly, rlz, rlz2: H = Lx, Ly, Lz, Lz² of the wire. */
function oneWireOperator(name: string, dims: readonly number[], w: number): Dense | undefined {
  const s = spinOn(dims, w);
  return { rlx: s.lx, rly: s.ly, rlz: s.lz, rlz2: multiply(s.lz, s.lz) }[name];
}

function rotation(instruction: Instruction, dims: readonly number[]): Step | undefined {
  const [name, [w], [theta]] = instruction;
  const operator = oneWireOperator(name, dims, w!);
  if (operator === undefined) return undefined;
  return { evolve: { key: `${name} ${w} of ${dims}`, hamiltonian: () => product(dims, [[w!, operator]]), theta: theta! } };
}

function unknown(instruction: Instruction): Error {
  return new Error(`the reference has no ${instruction[0]}`);
}

export const singlequdit: ReferenceModel = {
  initialDims: () => [2],
  step(instruction, register) {
    const [name, , params] = instruction;
    if (name === 'load') return { prepare: { dims: [params[0]! + 1], state: basis(params[0]! + 1, 0) } };
    if (name === 'sq_full') {
      const [omega, delta, chi] = params;
      const s = spinOn(register.dims, 0);
      return { evolve: { hamiltonian: () => sum(register.dims[0]!, [[omega!, s.lx], [delta!, s.lz], [chi!, multiply(s.lz, s.lz)]]), theta: 1 } };
    }
    const step = rotation(instruction, register.dims);
    if (step === undefined) throw unknown(instruction);
    return step;
  },
};

/** L+_a L−_b + L−_a L+_b and Lz_a Lz_b on the pairs, each with its coefficient. */
function couplings(dims: readonly number[], pairs: ReadonlyArray<readonly [number, number]>, flipFlop: number, zz: number): Array<[number, Dense]> {
  return pairs.flatMap(([a, b]): Array<[number, Dense]> => {
    const [sa, sb] = [spinOn(dims, a), spinOn(dims, b)];
    return [
      [flipFlop, product(dims, [[a, sa.lplus], [b, sb.lminus]])],
      [flipFlop, product(dims, [[a, sa.lminus], [b, sb.lplus]])],
      [zz, product(dims, [[a, sa.lz], [b, sb.lz]])],
    ];
  });
}

/** Two listed wires are the pair; the whole array means each neighbouring pair of the register. */
const pairsOf = (wires: readonly number[], numWires: number): Array<[number, number]> =>
  wires.length === 2 ? [[wires[0]!, wires[1]!]] : consecutivePairs(registerWires(wires, numWires));

export const multiqudit: ReferenceModel = {
  // every load sizes its wire before any gate; the last load of a wire counts
  initialDims(numWires, instructions) {
    const dims = new Array<number>(numWires).fill(2);
    for (const [name, [w], [atoms]] of instructions) if (name === 'load') dims[w!] = atoms! + 1;
    return dims;
  },
  step(instruction, { dims }: Register, numWires) {
    const [name, wires, params] = instruction;
    const n = dimension(dims);
    switch (name) {
      case 'load':
        return undefined;
      case 'rlxly':
      case 'rlzlz': {
        const pairs = pairsOf(wires, numWires);
        const [flipFlop, zz] = name === 'rlxly' ? [1, 0] : [0, 1];
        return { evolve: { key: `${name} ${JSON.stringify(pairs)} of ${dims}`, hamiltonian: () => sum(n, couplings(dims, pairs, flipFlop, zz)), theta: params[0]! } };
      }
      case 'multiqudit_full': {
        const [omega, delta, chi, jxy, jzz] = params;
        const onRegister = registerWires(wires, numWires);
        const hamiltonian = (): Dense =>
          sum(n, [
            ...onRegister.flatMap((w): Array<[number, Dense]> => {
              const s = spinOn(dims, w);
              return [[omega!, product(dims, [[w, s.lx]])], [delta!, product(dims, [[w, s.lz]])], [chi!, product(dims, [[w, multiply(s.lz, s.lz)]])]];
            }),
            ...couplings(dims, consecutivePairs(onRegister), jxy!, jzz!),
          ]);
        return { evolve: { hamiltonian, theta: 1 } };
      }
      default: {
        const step = rotation(instruction, dims);
        if (step === undefined) throw unknown(instruction);
        return step;
      }
    }
  },
};

/** Σ_{i<j} n_i n_j / |i − j|⁶ over the wires, n = 1/2 − Lz the Rydberg occupation (|1⟩ of each atom). */
function blockade(dims: readonly number[], wires: readonly number[]): Array<[number, Dense]> {
  const occupation = realMatrix(2, (row, col) => (row === 1 && col === 1 ? 1 : 0));
  return wires.flatMap((i, k) => wires.slice(k + 1).map((j): [number, Dense] => [1 / Math.abs(i - j) ** 6, product(dims, [[i, occupation], [j, occupation]])]));
}

export const rydberg: ReferenceModel = {
  initialDims: (numWires) => new Array<number>(numWires).fill(2),
  step(instruction, { dims }, numWires) {
    const [name, wires, params] = instruction;
    const n = dimension(dims);
    const onRegister = registerWires(wires, numWires);
    if (name === 'rydberg_block') {
      return { evolve: { key: `block of ${dims}`, hamiltonian: () => sum(n, blockade(dims, onRegister)), theta: params[0]! } };
    }
    if (name === 'rydberg_full') {
      const [omega, delta, phi] = params;
      const s = spin(1 / 2);
      const hamiltonian = (): Dense =>
        sum(n, [
          ...onRegister.flatMap((w): Array<[number, Dense]> => [[omega!, product(dims, [[w, s.lx]])], [delta!, product(dims, [[w, s.lz]])]]),
          ...blockade(dims, onRegister).map(([c, m]): [number, Dense] => [phi! * c, m]),
        ]);
      return { evolve: { hamiltonian, theta: 1 } };
    }
    if (name !== 'rlx' && name !== 'rlz') throw unknown(instruction);
    return rotation(instruction, dims)!;
  },
};

/** rx, ry, rz: exp(−iθσ/2) on the one qubit. */
export const qubit: ReferenceModel = {
  initialDims: () => [2],
  step(instruction) {
    const [name, , [theta]] = instruction;
    const sigma = { rx: pauli.x, ry: pauli.y, rz: pauli.z }[name];
    if (sigma === undefined) throw unknown(instruction);
    return { evolve: { key: name, hamiltonian: () => sum(2, [[0.5, sigma]]), theta: theta! } };
  },
};
