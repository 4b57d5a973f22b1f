// What the numpy comparison draws per backend, sized so that the default run takes seconds; QSPOOL_PHYSICS_SWEEP=k
// draws k times as many experiments (from other seeds, QSPOOL_PHYSICS_SWEEP_SEED, default 1).
import type { BackendDefinition } from '../../../spooler/backend.ts';
import { createBackend } from '../../../spooler/backends/index.ts';
import * as fermions from '../../../spooler/simulators/fermions.ts';
import * as multiqudit from '../../../spooler/simulators/multiqudit.ts';
import * as qubit from '../../../spooler/simulators/qubit.ts';
import * as rydberg from '../../../spooler/simulators/rydberg.ts';
import * as singlequdit from '../../../spooler/simulators/singlequdit.ts';
import type { FinalState, SimExperiment } from '../../../spooler/simulators/types.ts';
import { createRng } from '../../../spooler/physics/random.ts';
import { randomExperiment } from './payloads.ts';
import type { Budget, RandomExperiment } from './payloads.ts';

export const SWEEP = Math.max(1, Number(process.env.QSPOOL_PHYSICS_SWEEP ?? 1));
const SWEEP_SEED = Number(process.env.QSPOOL_PHYSICS_SWEEP_SEED ?? 1);

export interface Plan {
  label: string;
  backend: BackendDefinition;
  finalState(experiment: SimExperiment): FinalState;
  count: number;
  sizes: number[];
  budget: Budget;
}

const sizesUpTo = (n: number): number[] => Array.from({ length: n }, (_, k) => k + 1);

function plan(name: string, engine: { finalState(experiment: SimExperiment): FinalState }, count: number, budget: Budget, sizes?: number[], label = name): Plan {
  const backend = createBackend(name)!;
  return { label, backend, finalState: engine.finalState, count: count * SWEEP, sizes: sizes ?? sizesUpTo(backend.config.num_wires), budget };
}

/**
 * Dimensions stay where the engine's exponentials take milliseconds: a spin of 500 atoms on its own or beside a
 * spin 1/2 with the gates that stay cheap on it (one-wire rotations, the diagonal Lz·Lz), small registers with
 * every gate, huge whole-array parameters on the smallest spaces.
 */
export const plans: Plan[] = [
  plan('singlequdit', singlequdit, 30, { maxDimension: 501, hugeUpTo: 501, longUpTo: 21 }),
  plan('multiqudit', multiqudit, 40, { maxDimension: 64, hugeUpTo: 16, longUpTo: 16 }),
  plan('multiqudit', multiqudit, 2, { maxDimension: 1002, hugeUpTo: 0, longUpTo: 0, only: ['rlx', 'rly', 'rlz', 'rlz2', 'rlzlz'] }, [1, 2], 'multiqudit (500 atoms)'),
  plan('rydberg', rydberg, 40, { maxDimension: 32, hugeUpTo: 32, longUpTo: 32 }),
  plan('fermions', fermions, 40, { maxDimension: 256, hugeUpTo: 0, longUpTo: 256 }),
  plan('qubit', qubit, 20, { maxDimension: 2, hugeUpTo: 0, longUpTo: 2 }),
];

/** The plan's experiments, the same on every run with the same sweep settings. */
export function experimentsOf(p: Plan, salt = 0): RandomExperiment[] {
  const rng = createRng(SWEEP_SEED * 1_000_003 + p.label.length * 101 + p.count + salt);
  return Array.from({ length: p.count }, () => randomExperiment(rng, p.backend, p.sizes[Math.floor(rng.next() * p.sizes.length)]!, p.budget));
}
