// Input and output shapes shared by the simulator backends; job types derived from the schemas map onto these.
import type { ComplexVector } from '../physics/vector.ts';

/** [name, wires, params], as in a qlued job. */
export type SimInstruction = readonly [name: string, wires: readonly number[], params: readonly number[]];

export interface SimExperiment {
  instructions: readonly SimInstruction[];
  shots: number;
  num_wires: number;
  seed?: number | null;
}

export interface SimOptions {
  /** Refuse (HilbertSpaceTooLarge) before allocating a state of more amplitudes; default 2^22. */
  maxAmplitudes?: number;
  /** Refuse (OperatorTooLarge) before allocating a Hamiltonian with more non-zeros; default 2^25. */
  maxNonZeros?: number;
  /** Called between instructions and during long evolutions; throw from it to cancel the run. */
  checkpoint?: () => void;
}

export interface SimResult {
  /** One string per shot: the measured outcomes in `measure` order, space-separated. */
  memory: string[];
}

/** The state after the last instruction, with what is needed to sample from it. */
export interface FinalState {
  /** Per-wire dimensions, wire 0 the most significant factor of the state index. */
  dims: number[];
  state: ComplexVector;
  /** Wires in the order of the experiment's `measure` instructions (repeats kept). */
  measured: number[];
}
