// What the simulator backend definitions share: coupling maps, the gate entries of their published configs with
// the instruction specs their job schemas are built from, the instructions every device has, and the
// BackendDefinition around a simulator (Hilbert-space check at submission, resource refusals as invalid jobs).
import type { BackendDefinition, StaticConfig } from '../backend.ts';
import { hilbertSpaceIssues, instructionRecords } from '../backend.ts';
import type { GateConfig } from '../../schemas/backend-config.ts';
import type { InstructionSpec, ParameterSpec, WireOrder } from '../../schemas/backend-job-schema.ts';
import { InvalidJobError } from '../../schemas/errors.ts';
import type { Experiment } from '../../schemas/job.ts';
import { HilbertSpaceTooLarge, OperatorTooLarge } from '../physics/limits.ts';
import type { SimExperiment, SimOptions, SimResult } from '../simulators/types.ts';

export const TWO_PI = 2 * Math.PI;
/** qlued's bound on every parameter of the whole-array Hamiltonian gates (sq_full, multiqudit_full, rydberg_full). */
export const FULL_RANGE = 5e6 * Math.PI;

/** [0, 1, …, n−1]: the whole array. */
export const allWires = (n: number): number[] => Array.from({ length: n }, (_, w) => w);
/** [[0], [1], …, [n−1]]: any single wire. */
export const eachWire = (n: number): number[][] => allWires(n).map((w) => [w]);
/** [[0, 1], [1, 2], …] and then the whole array. */
export const neighboursOrArray = (n: number): number[][] => [...allWires(n - 1).map((w) => [w, w + 1]), allWires(n)];
/** [[0], [0, 1], …, the whole array]. */
export const leadingWires = (n: number): number[][] => allWires(n).map((w) => allWires(w + 1));

export const parameter = (name: string, max: number): ParameterSpec => ({ name, min: 0, max });

export interface GateSpec {
  name: string;
  parameters: ParameterSpec[];
  qasm_def: string;
  coupling_map: number[][];
  description: string;
  /**
   * The reference configs list some gates with their keys sorted (pydantic dumps) and others in qlued's order;
   * get_config must reproduce both, key for key.
   */
  sortedKeys?: boolean;
}

export interface Gate {
  config: GateConfig;
  instruction: InstructionSpec;
}

/** A gate as the config publishes it (all parameter names in one entry, "omega, delta, chi") and as jobs use it. */
export function gate(spec: GateSpec): Gate {
  const { name, qasm_def, coupling_map, description } = spec;
  const parameters = [spec.parameters.map((p) => p.name).join(', ')];
  const config = spec.sortedKeys
    ? { coupling_map, description, name, parameters, qasm_def }
    : { name, parameters, qasm_def, coupling_map, description };
  return { config, instruction: { name, parameters: spec.parameters, coupling_map } };
}

export const measure = (wires: number): InstructionSpec => ({ name: 'measure', parameters: [], coupling_map: eachWire(wires) });
export const barrier: InstructionSpec = { name: 'barrier', parameters: [], coupling_map: 'any' };
/** `load` of a collective spin: n atoms (1…500) on one wire, so the wire becomes a spin n/2. */
export const loadAtoms = (wires: number): InstructionSpec => ({
  name: 'load',
  parameters: [{ name: 'atoms', min: 1, max: 500, integer: true }],
  coupling_map: eachWire(wires),
});

export interface Simulator {
  simulate(experiment: SimExperiment, options: SimOptions): SimResult;
  hilbertDimension(experiment: SimExperiment): number;
}

export interface SimulatorBackendSpec {
  config: Omit<StaticConfig, 'gates'>;
  gates: Gate[];
  /** Instructions that are not gates of the config: load, measure, barrier (and gates only jobs may name). */
  instructions: InstructionSpec[];
  simulator: Simulator;
  wireOrders?: WireOrder[];
  /** The state-size and Hamiltonian model the config publishes (what `simulator` checks before allocating). */
  work?: BackendDefinition['work'];
  pauliExclusion?: BackendDefinition['pauliExclusion'];
  largestOutcome?: number;
}

/**
 * The size bounds a simulation checks at run time are the job's fault, not the device's: they are reported as an
 * invalid job naming the experiment and the size, never as a generic execution failure. (Submission already refuses
 * oversized Hilbert spaces; the non-zero bound of a Hamiltonian is only known once it is built.)
 */
function refusal(name: string, error: unknown): unknown {
  if (error instanceof HilbertSpaceTooLarge || error instanceof OperatorTooLarge) return new InvalidJobError(`${name}: ${error.message}`);
  return error;
}

export function simulatorBackend(spec: SimulatorBackendSpec): BackendDefinition {
  const { simulator } = spec;
  return {
    config: { ...spec.config, gates: spec.gates.map((g) => g.config) },
    instructions: [...spec.gates.map((g) => g.instruction), ...spec.instructions],
    ...(spec.wireOrders ? { wireOrders: spec.wireOrders } : {}),
    ...(spec.work ? { work: spec.work } : {}),
    ...(spec.pauliExclusion ? { pauliExclusion: spec.pauliExclusion } : {}),
    ...(spec.largestOutcome === undefined ? {} : { largestOutcome: spec.largestOutcome }),
    checkJob: (job, { maxHilbertDimension }) => hilbertSpaceIssues(job, simulator.hilbertDimension, maxHilbertDimension),
    runExperiment(name: string, experiment: Experiment, context) {
      try {
        const { memory } = simulator.simulate(experiment, { maxAmplitudes: context.maxHilbertDimension, checkpoint: context.checkpoint });
        return { memory, instructions: instructionRecords(experiment) };
      } catch (error) {
        throw refusal(name, error);
      }
    },
  };
}
