// The instruction loop all simulators share: a checkpoint before every instruction (a cancelled run stops between
// gates), `barrier` ignored and `measure` recorded the same way on every backend, everything else left to the
// backend's own gates.
import { wireAt } from './instructions.ts';
import type { SimExperiment, SimInstruction } from './types.ts';

/**
 * Runs the experiment's instructions in order and returns the measured wires in `measure` order (repeats kept).
 * `applyGate` gets every other instruction and throws for one its backend does not have.
 */
export function runInstructions(
  experiment: SimExperiment,
  numWires: number,
  checkpoint: (() => void) | undefined,
  applyGate: (instruction: SimInstruction, index: number) => void,
): number[] {
  const measured: number[] = [];
  experiment.instructions.forEach((instruction, index) => {
    checkpoint?.();
    if (instruction[0] === 'measure') measured.push(wireAt(instruction, index, numWires));
    else if (instruction[0] !== 'barrier') applyGate(instruction, index);
  });
  return measured;
}
