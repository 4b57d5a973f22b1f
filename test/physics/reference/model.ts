// What a reference model is: for each instruction of a backend, the Hamiltonian and angle it evolves with, or the
// new register it prepares (a `load`). measure and barrier are the runner's (simulate.ts).
import type { Dense, Vector } from './dense.ts';

export type Instruction = readonly [name: string, wires: readonly number[], params: readonly number[]];

export interface Register {
  /** Per-wire dimensions, wire 0 the most significant factor. */
  dims: number[];
  state: Vector;
}

export interface Evolution {
  /** Names a Hamiltonian that recurs with other angles, so its decomposition is reused; absent for one-offs. */
  key?: string;
  hamiltonian: () => Dense;
  theta: number;
}

export type Step = { evolve: Evolution } | { prepare: Register };

export interface ReferenceModel {
  initialDims(numWires: number, instructions: readonly Instruction[]): number[];
  /** What the instruction does to the register (undefined: nothing, e.g. a load already sized in initialDims). */
  step(instruction: Instruction, register: Register, numWires: number): Step | undefined;
}

/**
 * The wires a gate acts on in an experiment of numWires wires: a gate given on the device's whole array acts on
 * the wires the experiment has (qlued's convention); any other wire list is already inside the register.
 */
export function registerWires(wires: readonly number[], numWires: number): number[] {
  return wires.filter((w) => w < numWires);
}

/** (w₀, w₁), (w₁, w₂), … */
export function consecutivePairs(wires: readonly number[]): Array<[number, number]> {
  return wires.slice(1).map((w, k) => [wires[k]!, w]);
}
