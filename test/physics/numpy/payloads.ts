// Random valid experiments for the numpy comparison, aimed at the edges the dense differential suite leaves out:
// spins up to the schema's 500 atoms, parameters at 0, at their maximum, at multiples of π/2 and 2π and (on small
// spaces) across the whole-array gates' 5e6·π range, every register size up to the device's, loads placed
// anywhere (and a fermion loaded late, into a mode that may be occupied), barriers, measures in the middle, on
// a subset of the wires, repeated or absent, and now and then a long sequence of a few hundred gates.
import type { BackendDefinition } from '../../../spooler/backend.ts';
import type { InstructionSpec, ParameterSpec } from '../../../schemas/backend-job-schema.ts';
import type { Rng } from '../../../spooler/physics/random.ts';
import { integer, pick, shuffled } from '../circuits.ts';

export type Instruction = [name: string, wires: number[], params: number[]];

export interface RandomExperiment {
  instructions: Instruction[];
  num_wires: number;
}

export interface Budget {
  /** Bound on the register's dimension (product of the wires' levels) that loads may reach. */
  maxDimension: number;
  /** Registers up to this dimension may get whole-array gate parameters up to the schema's 5e6·π. */
  hugeUpTo: number;
  /** Registers up to this dimension may get a long sequence (a few hundred gates). */
  longUpTo: number;
  /** The gates drawn (default: all the backend has). */
  only?: readonly string[];
}

/** Beyond the huge draws, parameters stay below this (where any double-precision solver is exact to ~1e-12). */
const MODERATE = 100;
const NOT_GATES = new Set(['measure', 'barrier', 'load']);

const range = (n: number): number[] => Array.from({ length: n }, (_, k) => k);

/** 0, the maximum, k·2π, k·π/2, or uniform; the upper end capped at MODERATE unless `huge`. */
export function edgeValue(rng: Rng, { min, max }: ParameterSpec, huge: boolean): number {
  const top = huge ? max : Math.min(max, MODERATE);
  const r = rng.next();
  const multiple = (step: number): number => step * integer(rng, 1, Math.max(1, Math.floor(top / step)));
  if (r < 0.12) return min;
  if (r < 0.22 && max <= top) return max;
  if (r < 0.37 && top >= 2 * Math.PI) return multiple(2 * Math.PI);
  if (r < 0.52) return Math.min(top, multiple(Math.PI / 2));
  return min + rng.next() * (top - min);
}

/** The coupling-map entries a register of `size` wires may use: those inside it, and the device's whole array. */
function fitting(spec: InstructionSpec, size: number, deviceWires: number): number[][] {
  if (spec.coupling_map === 'any') return [];
  const whole = range(deviceWires).join();
  return spec.coupling_map.filter((wires) => wires.join() === whole || wires.every((w) => w < size));
}

function gates(backend: BackendDefinition, size: number, only?: readonly string[]): Array<{ spec: InstructionSpec; wires: number[] }> {
  return backend.instructions
    .filter((spec) => !NOT_GATES.has(spec.name) && (only === undefined || only.includes(spec.name)))
    .flatMap((spec) => fitting(spec, size, backend.config.num_wires).map((wires) => ({ spec, wires })));
}

/** An atom number for a wire that may have at most `room` levels: 1, 2, the most that fits, or anything between. */
function atoms(rng: Rng, room: number): number {
  const most = Math.min(500, room - 1);
  return pick(rng, [1, 2, most, most, integer(rng, 1, most)]);
}

/**
 * Loads of atoms onto wires (multiqudit) or resets of the one spin (singlequdit) within the dimension budget, and
 * the largest dimension the register reaches.
 */
function atomLoads(rng: Rng, size: number, budget: Budget): { loads: Instruction[]; dimension: number } {
  if (size === 1) {
    const loads = range(integer(rng, 0, 2)).map((): Instruction => ['load', [0], [atoms(rng, budget.maxDimension)]]);
    return { loads, dimension: Math.max(2, ...loads.map(([, , [n]]) => n! + 1)) };
  }
  const dims = new Array<number>(size).fill(2);
  const loads: Instruction[] = [];
  for (const w of shuffled(rng, range(size))) {
    if (rng.next() < 0.35) continue;
    const room = Math.floor(budget.maxDimension / (dims.reduce((a, b) => a * b, 1) / dims[w]!));
    if (room < 2) continue;
    const n = atoms(rng, room);
    dims[w] = n + 1;
    loads.push(['load', [w], [n]]);
  }
  return { loads, dimension: dims.reduce((a, b) => a * b, 1) };
}

/** One random experiment on `size` wires of the backend. */
export function randomExperiment(rng: Rng, backend: BackendDefinition, size: number, budget: Budget): RandomExperiment {
  const name = backend.config.display_name;
  const fermions = name === 'fermions';
  const hasLoad = backend.instructions.some((spec) => spec.name === 'load');
  const { loads, dimension } = hasLoad && !fermions ? atomLoads(rng, size, budget) : { loads: [], dimension: 2 ** size };
  const huge = dimension <= budget.hugeUpTo;
  const choices = gates(backend, size, budget.only);
  const long = dimension <= budget.longUpTo && rng.next() < 0.05;
  const body: Instruction[] = range(long ? integer(rng, 200, 400) : integer(rng, 0, 10)).map(() => {
    const { spec, wires } = pick(rng, choices);
    return [spec.name, [...wires], spec.parameters.map((p) => edgeValue(rng, p, huge && p.max > MODERATE && rng.next() < 0.5))];
  });
  const insert = (instruction: Instruction): void => void body.splice(integer(rng, 0, body.length), 0, instruction);
  for (const load of loads) insert(load);
  if (rng.next() < 0.3) insert(['barrier', shuffled(rng, range(size)).slice(0, integer(rng, 1, size)).sort((a, b) => a - b), []]);
  if (rng.next() < 0.3) insert(['measure', [integer(rng, 0, size - 1)], []]);
  const prefix: Instruction[] = [];
  if (fermions) {
    const modes = shuffled(rng, range(size));
    const early = integer(rng, 0, size);
    prefix.push(...modes.slice(0, early).map((w): Instruction => ['load', [w], []]));
    // a late load: into an empty mode it is valid; into one a hop may have filled, both solvers refuse it
    if (early < size && rng.next() < 0.3) insert(['load', [modes[early]!], []]);
  }
  const measured = rng.next() < 0.1 ? [] : shuffled(rng, range(size)).slice(0, integer(rng, 1, size));
  if (measured.length > 0 && rng.next() < 0.2) measured.push(pick(rng, measured));
  return { instructions: [...prefix, ...body, ...measured.map((w): Instruction => ['measure', [w], []])], num_wires: size };
}
