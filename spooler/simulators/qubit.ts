// The qubit backend: one qubit from |0⟩ under rotations exp(−iθσ/2), given as instructions ["rx"|"ry"|"rz",
// [0], [θ in radians]] or as OQC-style text "X(90), Y(180), Z(45)" with angles in degrees.
import { applyExpm } from '../physics/expm.ts';
import { spinOperators } from '../physics/spin.ts';
import { basisVector } from '../physics/vector.ts';
import { param, unknownInstruction, wireAt } from './instructions.ts';
import { sampledFrom } from './memory.ts';
import { runInstructions } from './program.ts';
import type { FinalState, SimExperiment, SimInstruction, SimOptions } from './types.ts';

// exp(−iθσ/2) = exp(−iθL) for the spin-1/2 operators L = σ/2; index 0 (m = +1/2) is |0⟩.
const spin = spinOperators(1 / 2);
const AXES = { X: 'rx', Y: 'ry', Z: 'rz' } as const;
const ROTATION = /([XYZ])\((\d{1,3})\)/y;

/**
 * Compiles the strict text form `^[XYZ]\(\d{1,3}\)(, [XYZ]\(\d{1,3}\))*$` (degrees 0…360) into instructions,
 * followed by the read-out of the qubit that the device always performs. Throws naming the offending token.
 */
export function parseRotationText(text: string): SimInstruction[] {
  const instructions: SimInstruction[] = [];
  let position = 0;
  for (;;) {
    ROTATION.lastIndex = position;
    const match = ROTATION.exec(text);
    if (!match) throw new SyntaxError(`expected a rotation like X(90) at position ${position}, found ${quote(text, position)}`);
    const degrees = Number(match[2]);
    if (degrees > 360) throw new RangeError(`rotation ${match[0]} at position ${position}: angles are 0…360 degrees`);
    instructions.push([AXES[match[1] as keyof typeof AXES], [0], [(degrees * Math.PI) / 180]]);
    position = ROTATION.lastIndex;
    if (position === text.length) break;
    if (!text.startsWith(', ', position)) throw new SyntaxError(`expected ", " or the end at position ${position}, found ${quote(text, position)}`);
    position += 2;
  }
  return [...instructions, ['measure', [0], []]];
}

function quote(text: string, position: number): string {
  if (position >= text.length) return 'the end of the text';
  const token = text.slice(position).split(', ')[0]!;
  return JSON.stringify(token.length > 20 ? `${token.slice(0, 20)}…` : token);
}

export function hilbertDimension(_experiment: SimExperiment): number {
  return 2;
}

export function finalState(experiment: SimExperiment, options: SimOptions = {}): FinalState {
  const state = basisVector(2, 0);
  const measured = runInstructions(experiment, 1, options.checkpoint, (instruction, index) => {
    const name = instruction[0];
    switch (name) {
      case 'rx':
      case 'ry':
      case 'rz': {
        wireAt(instruction, index, 1);
        const operator = { rx: spin.lx, ry: spin.ly, rz: spin.lz }[name];
        applyExpm(operator, param(instruction, index), state);
        break;
      }
      default:
        throw unknownInstruction('qubit', instruction, index);
    }
  });
  return { dims: [2], state, measured };
}

/** Outcome "0" or "1" per measurement. */
export const simulate = sampledFrom(finalState);
