// A seeded generator of random valid circuits for a backend, read off its instruction specs: every gate on
// every wire set its coupling map allows on a register of the given size (the device's whole array standing for
// the register's wires), parameters inside their ranges with the range ends drawn on purpose, loads, barriers
// and measurements interleaved, and every wire measured at the end.
import type { InstructionSpec, ParameterSpec } from '../../schemas/backend-job-schema.ts';
import type { Rng } from '../../spooler/physics/random.ts';
import type { Instruction } from './reference/model.ts';

export interface Circuit {
  instructions: readonly Instruction[];
  num_wires: number;
}

export interface CircuitSpace {
  instructions: readonly InstructionSpec[];
  /** The device's wire count: its whole array [0 … n−1] is allowed on any register. */
  deviceWires: number;
  /**
   * Bound on the register's dimension that loads may reach. The dense reference costs the cube of it, so atom
   * numbers stay far below the schema's 500 (the engine's large-spin paths have their own analytic tests).
   */
  maxDimension: number;
  /** `load` puts one fermion into an empty mode (before any gate) instead of loading atoms onto a spin. */
  fermionLoads?: boolean;
}

/**
 * Parameters beyond this many radians are drawn no larger than it: at θ‖H‖ ≈ 10⁴·‖H‖ any double-precision
 * solver's probabilities carry errors of ε·θ‖H‖, which would swamp the 1e-10 comparison (only the whole-array
 * Hamiltonian gates, with ranges up to 5e6·π, are affected).
 */
const LARGEST_ANGLE = 100;

const NOT_GATES = new Set(['measure', 'barrier', 'load']);

export const pick = <T>(rng: Rng, items: readonly T[]): T => items[Math.floor(rng.next() * items.length)]!;
export const integer = (rng: Rng, lo: number, hi: number): number => lo + Math.floor(rng.next() * (hi - lo + 1));

export function shuffled<T>(rng: Rng, items: readonly T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = integer(rng, 0, i);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** The wire sets of a coupling map a register of `size` wires may use. */
function fittingWires(spec: InstructionSpec, size: number, deviceWires: number): number[][] {
  if (spec.coupling_map === 'any') return [];
  const whole = Array.from({ length: deviceWires }, (_, w) => w).join();
  return spec.coupling_map.filter((wires) => wires.join() === whole || wires.every((w) => w < size));
}

/** A value in the parameter's range: 10 % its minimum, 5 % its maximum (when well-conditioned), else uniform. */
function parameterValue(rng: Rng, p: ParameterSpec): number {
  const top = Math.min(p.max, LARGEST_ANGLE);
  const r = rng.next();
  if (r < 0.1) return p.min;
  if (r < 0.15 && p.max <= LARGEST_ANGLE) return p.max;
  return p.min + rng.next() * (top - p.min);
}

/** The gates (everything but load, measure and barrier) and the wire sets each may take on the register. */
function gateChoices(space: CircuitSpace, size: number): Array<{ spec: InstructionSpec; wires: number[] }> {
  return space.instructions
    .filter((spec) => !NOT_GATES.has(spec.name))
    .flatMap((spec) => fittingWires(spec, size, space.deviceWires).map((wires) => ({ spec, wires })));
}

function gate(rng: Rng, spec: InstructionSpec, wires: number[]): Instruction {
  return [spec.name, [...wires], spec.parameters.map((p) => parameterValue(rng, p))];
}

/** Loads of atom numbers whose dimensions (atoms + 1 per loaded wire, 2 elsewhere) stay within the bound. */
function atomLoads(rng: Rng, spec: InstructionSpec, space: CircuitSpace, size: number): Instruction[] {
  const { min, max } = spec.parameters[0]!;
  const dims = new Array<number>(size).fill(2);
  const loads: Instruction[] = [];
  for (const w of shuffled(rng, Array.from({ length: size }, (_, k) => k))) {
    if (rng.next() < 0.4) continue;
    const others = dims.reduce((a, b) => a * b, 1) / dims[w]!;
    const atoms = integer(rng, min, Math.min(max, Math.floor(space.maxDimension / others) - 1));
    if (atoms < min) continue;
    dims[w] = atoms + 1;
    loads.push(['load', [w], [atoms]]);
  }
  return loads;
}

/**
 * One random circuit on `size` wires, containing `forced` (a gate on given wires) if asked: up to six gates, the
 * backend's loads, a barrier now and then, measurements in between and of every wire at the end.
 */
export function randomCircuit(rng: Rng, space: CircuitSpace, size: number, forced?: Instruction): Circuit {
  const choices = gateChoices(space, size);
  const body: Instruction[] = Array.from({ length: integer(rng, 0, 6) }, () => {
    const { spec, wires } = pick(rng, choices);
    return gate(rng, spec, wires);
  });
  if (forced) body.splice(integer(rng, 0, body.length), 0, forced);
  const barrier = space.instructions.some((spec) => spec.name === 'barrier');
  if (barrier && rng.next() < 0.3) {
    const wires = shuffled(rng, Array.from({ length: size }, (_, w) => w)).slice(0, integer(rng, 1, size));
    body.splice(integer(rng, 0, body.length), 0, ['barrier', wires.sort((a, b) => a - b), []]);
  }
  if (rng.next() < 0.3) body.splice(integer(rng, 0, body.length), 0, ['measure', [integer(rng, 0, size - 1)], []]);
  const load = space.instructions.find((spec) => spec.name === 'load');
  let loads: Instruction[] = [];
  if (load && space.fermionLoads) {
    loads = shuffled(rng, Array.from({ length: size }, (_, w) => w))
      .slice(0, integer(rng, 0, size))
      .map((w): Instruction => ['load', [w], []]);
  } else if (load) {
    // placed anywhere: singlequdit's load resets the spin where it stands, multiqudit's sizes its wire up front
    for (const instruction of atomLoads(rng, load, space, size)) body.splice(integer(rng, 0, body.length), 0, instruction);
  }
  const measures = shuffled(rng, Array.from({ length: size }, (_, w): Instruction => ['measure', [w], []]));
  return { instructions: [...loads, ...body, ...measures], num_wires: size };
}

/** Every gate on every wire set that fits each register size, each in its own random circuit. */
export function systematicCircuits(rng: Rng, space: CircuitSpace, sizes: readonly number[]): Circuit[] {
  return sizes.flatMap((size) => gateChoices(space, size).map(({ spec, wires }) => randomCircuit(rng, space, size, gate(rng, spec, wires))));
}
