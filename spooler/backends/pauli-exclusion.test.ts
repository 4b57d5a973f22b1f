// The Pauli rule fermions publishes (config.pauli_exclusion) must refuse only jobs its simulator fails: the server
// decides from the rule alone, so a rule that refused more would turn away jobs that run.
import { expect } from 'chai';
import { pauliReport } from '../../schemas/pauli-exclusion.ts';
import { publishedConfig } from '../backend.ts';
import { createRng, type Rng } from '../physics/random.ts';
import { finalState } from '../simulators/fermions.ts';
import { fermions } from './fermions/index.ts';

type Instruction = [string, number[], number[]];
const rule = publishedConfig(fermions, { maxInstructions: 100, maxHilbertDimension: 1 << 22 }).pauli_exclusion!;
const pick = <T>(rng: Rng, items: readonly T[]): T => items[Math.floor(rng.next() * items.length)]!;

/** Any instruction fermions takes on an 8-mode register, loads into the first two tweezers so that they repeat and fill them. */
function randomInstruction(rng: Rng): Instruction {
  const spec = pick(rng, fermions.instructions);
  const wires = spec.coupling_map === 'any' ? [Math.floor(rng.next() * 8)] : pick(rng, spec.coupling_map);
  if (spec.name === 'load') return ['load', [Math.floor(rng.next() * 4)], []];
  // hops of π/2 and π move fermions completely or bring them back: the loads after them are decided by the amplitudes
  const angle = pick(rng, [Math.PI / 2, Math.PI, 0.7]);
  return [spec.name, wires, spec.parameters.map(() => angle)];
}

/** The index of the load the simulation fails at, or undefined when it runs. */
function failingLoad(instructions: Instruction[]): number | undefined {
  try {
    finalState({ instructions, shots: 1, num_wires: 8 });
    return undefined;
  } catch (error) {
    const found = /^instruction (\d+) \("load"\): mode \d+ is \(partly\) occupied already$/.exec((error as Error).message);
    if (!found) throw error;
    return Number(found[1]);
  }
}

describe('the published Pauli rule', () => {
  it('refuses only experiments whose simulation fails at that load or before, and finds the certain ones', () => {
    const rng = createRng(17);
    let refused = 0;
    let blocked = 0;
    for (let i = 0; i < 400; i += 1) {
      // a third start with both tweezers of fhop [0, 1, 2, 3] full, where hops are blocked
      const full = rng.next() < 1 / 3 ? [0, 1, 2, 3].map((w): Instruction => ['load', [w], []]) : [];
      const instructions = [...full, ...Array.from({ length: 2 + Math.floor(rng.next() * 8) }, () => randomInstruction(rng))];
      const experiment = { instructions, shots: 1, num_wires: 8, wire_order: 'interleaved' };
      const [issue] = pauliReport(rule, { experiment_0: experiment }, 1).issues;
      if (!issue) continue;
      refused += 1;
      const index = Number(/^\/experiment_0\/instructions\/(\d+)$/.exec(issue.path)![1]);
      expect(failingLoad(instructions), JSON.stringify(instructions)).to.be.at.most(index);
      const [, mode, loader] = /mode (\d+) is occupied already \(instruction (\d+) filled it/.exec(issue.message)!.map(Number);
      if (instructions.slice(loader, index).some(([gate, wires]) => gate === 'fhop' && wires.includes(mode!))) blocked += 1;
    }
    expect(refused).to.be.above(20);
    // refusals behind a hop on the refused mode, which every mode it acts on being filled blocks
    expect(blocked).to.be.above(0);
  });

  it('lists the first refusals and counts them all', () => {
    const loads = Array.from({ length: 30 }, (): Instruction => ['load', [0], []]);
    const job = { experiment_0: { instructions: loads, shots: 1, num_wires: 8, wire_order: 'interleaved' } };
    const report = pauliReport(rule, job, 20);
    expect([report.issues.length, report.total]).to.deep.equal([20, 29]);
    expect(report.issues[19]!.message).to.match(/^experiment_0, instruction 20 \(load\): mode 0 is occupied already \(instruction 0 filled it/);
  });
});
