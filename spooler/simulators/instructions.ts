// Reading wires and parameters out of instructions. Jobs arrive validated against the backend schema; these
// checks only turn what would otherwise be an index error deep in the numerics into a message naming the
// instruction.
import type { SimExperiment, SimInstruction } from './types.ts';

export function instructionLabel(instruction: SimInstruction, index: number): string {
  return `instruction ${index} ("${instruction[0]}")`;
}

export function unknownInstruction(backend: string, instruction: SimInstruction, index: number): Error {
  return new Error(`${instructionLabel(instruction, index)} is not a ${backend} instruction`);
}

/** The wire at `position` of the instruction's wire list, which must exist among `numWires` wires. */
export function wireAt(instruction: SimInstruction, index: number, numWires: number, position = 0): number {
  const wire = instruction[1][position];
  if (wire === undefined || !Number.isInteger(wire) || wire < 0 || wire >= numWires) {
    throw new RangeError(`${instructionLabel(instruction, index)}: wire ${wire ?? '(missing)'} is not one of the wires 0…${numWires - 1}`);
  }
  return wire;
}

/**
 * The listed wires that exist, sorted: whole-array gates (rydberg_block, rydberg_full, multiqudit_full, and
 * rlxly/rlzlz on more than two wires) act on these. The reference jobs list wires 0…4 on 2-wire experiments
 * and expect the gate on the wires that exist.
 */
export function existingWires(instruction: SimInstruction, numWires: number): number[] {
  return [...new Set(instruction[1])].filter((w) => Number.isInteger(w) && w >= 0 && w < numWires).sort((a, b) => a - b);
}

/** Pairs a two-wire gate acts on: the two listed wires, or each neighbouring pair of existing listed wires. */
export function wirePairs(instruction: SimInstruction, index: number, numWires: number): Array<[number, number]> {
  if (instruction[1].length === 2) return [[wireAt(instruction, index, numWires, 0), wireAt(instruction, index, numWires, 1)]];
  return neighbourPairs(existingWires(instruction, numWires));
}

/** (w₀, w₁), (w₁, w₂), … of a sorted wire list. */
export function neighbourPairs(wires: readonly number[]): Array<[number, number]> {
  return wires.slice(1).map((w, k) => [wires[k]!, w]);
}

export function params(instruction: SimInstruction, index: number, count: number): number[] {
  const values = instruction[2].slice(0, count);
  if (values.length < count || values.some((v) => !Number.isFinite(v))) {
    throw new RangeError(`${instructionLabel(instruction, index)} needs ${count} finite parameter(s), got [${instruction[2].join(', ')}]`);
  }
  return values;
}

export function param(instruction: SimInstruction, index: number): number {
  return params(instruction, index, 1)[0]!;
}

/** The atom number of a `load` (a non-negative integer, possibly written 50.0). */
export function atomCount(instruction: SimInstruction, index: number): number {
  const n = param(instruction, index);
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`${instructionLabel(instruction, index)}: ${n} is not an atom number`);
  return n;
}

/**
 * The experiment's wire count, checked before anything is sized by it (a state of even 2-level wires outgrows
 * any amplitude bound long before 64 wires).
 */
export function wireCount(experiment: SimExperiment): number {
  const n = experiment.num_wires;
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new RangeError(`num_wires ${n} is not a wire count (1…64)`);
  return n;
}
