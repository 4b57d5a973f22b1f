// Row 5: simulator time per job for the backend benchmark jobs, calling each simulator's simulate() directly in
// this process (no storage, no spooler): singlequdit with 500 atoms, fermions with 4 atoms and 20 gates, rydberg
// with 5 atoms and rydberg_full. 1000 shots each.
import { simulate as fermions } from '../../spooler/simulators/fermions.ts';
import { simulate as rydberg } from '../../spooler/simulators/rydberg.ts';
import { simulate as singlequdit } from '../../spooler/simulators/singlequdit.ts';
import type { SimExperiment, SimInstruction, SimResult } from '../../spooler/simulators/types.ts';
import type { BenchContext } from '../context.ts';
import { summarise } from '../stats.ts';
import type { TableRow } from '../table.ts';

const SHOTS = 1000;
const measureAll = (wires: number): SimInstruction[] => Array.from({ length: wires }, (_, w) => ['measure', [w], []]);

const JOBS: { row: string; simulate: (experiment: SimExperiment) => SimResult; experiment: SimExperiment }[] = [
  {
    row: '5a singlequdit, 500 atoms',
    simulate: singlequdit,
    experiment: {
      instructions: [['load', [0], [500]], ['rlx', [0], [0.7]], ['rlz2', [0], [0.3]], ['measure', [0], []]],
      shots: SHOTS,
      num_wires: 1,
    },
  },
  {
    row: '5b fermions, 4 atoms, 20 gates',
    simulate: fermions,
    experiment: {
      instructions: [
        ...[0, 1, 2, 5].map((w): SimInstruction => ['load', [w], []]),
        ...Array.from({ length: 5 }, (_, k): SimInstruction[] => [
          ['fhop', [0, 1, 2, 3], [0.3 + k / 10]],
          ['fhop', [2, 3, 4, 5], [0.5 + k / 10]],
          ['fint', [0, 1, 2, 3, 4, 5, 6, 7], [0.7]],
          ['fphase', [0, 2], [0.2 * k]],
        ]).flat(),
        ...measureAll(8),
      ],
      shots: SHOTS,
      num_wires: 8,
    },
  },
  {
    row: '5c rydberg, 5 atoms, rydberg_full',
    simulate: rydberg,
    experiment: {
      instructions: [['rlx', [0], [0.5]], ['rydberg_full', [0, 1, 2, 3, 4], [1.2, 0.4, 2.5]], ...measureAll(5)],
      shots: SHOTS,
      num_wires: 5,
    },
  },
];

export async function simulatorRows(context: BenchContext): Promise<TableRow[]> {
  const runs = Math.max(context.runs, 5);
  return JOBS.map(({ row, simulate, experiment }, index) => {
    context.log(`row 5: ${row}`);
    simulate(experiment);
    const times: number[] = [];
    for (let run = 0; run < runs; run += 1) {
      const started = performance.now();
      const { memory } = simulate(experiment);
      times.push(performance.now() - started);
      if (memory.length !== SHOTS) throw new Error(`${row}: ${memory.length} shots instead of ${SHOTS}`);
    }
    const note = `simulate() called directly in the bench process, ${runs} runs after one warm-up, ${SHOTS} shots; no peer (qlued's Python simulators are not installed here).`;
    return { row, qspool: summarise(times, 'ms'), peer: '—', goal: '—', ...(index === 0 ? { note } : {}) };
  });
}
