// What an external runtime prints is published, and signed, as the device's result: a memory that is not what the
// job's `measure`s give (an outcome missing or extra, a level the backend's wires do not have, anything but decimal
// counts) fails the run with a message naming the shot, whichever backend the runtime serves.
import { expect } from 'chai';
import { fileURLToPath } from 'node:url';
import type { BackendDefinition, ExperimentData } from '../spooler/backend.ts';
import { createQubitBackend } from '../spooler/backends/qubit/index.ts';
import { rydberg } from '../spooler/backends/rydberg/index.ts';
import { singlequdit } from '../spooler/backends/singlequdit/index.ts';
import { ExternalRuntime, outputBound, RuntimeFailure, withRuntime } from '../spooler/runtime/index.ts';

const FIXED = fileURLToPath(new URL('./fixtures/runtime/fixed-memory-runtime.mjs', import.meta.url));
const JOB_ID = '0123456789abcdef01234567';

/** Runs `job` on `backend` through a real runtime process that answers every shot with `entry`; the memory, or the failure. */
async function answered(backend: BackendDefinition, job: Record<string, unknown>, entry: unknown): Promise<string[] | string> {
  const runtime = new ExternalRuntime(backend.config.display_name, { command: `ENTRY='${JSON.stringify(entry)}' node '${FIXED}'`, timeoutMs: 20_000 });
  const context = { jobId: JOB_ID, checkpoint: () => undefined, maxHilbertDimension: 1 << 22 };
  try {
    const data: Record<string, ExperimentData> = await withRuntime(backend, runtime).runJob!(job as never, context);
    return data.experiment_0!.memory;
  } catch (error) {
    if (!(error instanceof RuntimeFailure)) throw error;
    return error.message;
  }
}

const experiment = (instructions: unknown[], wires = 1) => ({ experiment_0: { instructions, shots: 3, num_wires: wires, wire_order: 'interleaved' } });
const measure = (wire: number) => ['measure', [wire], []];

describe('external runtime: the shape of the memory it prints', function () {
  this.timeout(60_000);
  const qubit = createQubitBackend('verbatim');
  const oneMeasure = experiment([['rx', [0], [1]], measure(0)]);

  it('refuses an outcome a two-level wire does not have, an extra or a missing outcome, and anything but a count', async () => {
    const failures: [unknown, string][] = [
      ['2', '"2" is not 1 outcome(s) (one per "measure"), each 0 … 1, separated by single spaces'],
      ['0 1', '"0 1" is not 1 outcome(s)'],
      ['', '"" is not 1 outcome(s)'],
      ['01', '"01" is not 1 outcome(s)'],
      [' 1', '" 1" is not 1 outcome(s)'],
      ['-1', '"-1" is not 1 outcome(s)'],
      [1, 'is 1, not a string of 1 outcome(s)'],
    ];
    for (const [entry, message] of failures) {
      const outcome = await answered(qubit, oneMeasure, entry);
      expect(outcome, JSON.stringify(entry)).to.be.a('string').that.matches(/^runtime qubit-[0-9a-f]{12} result for experiment_0: memory\[0\] /);
      expect(outcome, JSON.stringify(entry)).to.include(message);
    }
    expect(await answered(qubit, oneMeasure, '1')).to.deep.equal(['1', '1', '1']);
  });

  it('takes one outcome per measure, a repeated measure included, and the empty string for none', async () => {
    expect(await answered(qubit, experiment([measure(0), measure(0)]), '1 1')).to.deep.equal(['1 1', '1 1', '1 1']);
    expect(await answered(qubit, experiment([['rx', [0], [1]]]), '')).to.deep.equal(['', '', '']);
    expect(await answered(qubit, experiment([['rx', [0], [1]]]), '0')).to.include('"0" is not 0 outcome(s)');
    const chain = experiment([['rlx', [0], [1]], measure(0), measure(3)], 5);
    expect(await answered(rydberg, chain, '1 0')).to.deep.equal(['1 0', '1 0', '1 0']);
    expect(await answered(rydberg, chain, '1 2')).to.include('"1 2" is not 2 outcome(s) (one per "measure"), each 0 … 1');
  });

  it('leaves atom counts unbounded where a load sets the levels (a device may count other than it loaded)', async () => {
    const loaded = experiment([['load', [0], [50]], ['rlx', [0], [1]], measure(0)]);
    expect(await answered(singlequdit, loaded, '52')).to.deep.equal(['52', '52', '52']);
    expect(await answered(singlequdit, loaded, '5 2')).to.include('"5 2" is not 1 outcome(s) (one per "measure"), each a count');
  });
});

describe('external runtime: what a failed run\'s message quotes', function () {
  this.timeout(60_000);
  const job = { experiment_0: { instructions: [['measure', [0], []]], shots: 2, num_wires: 1, wire_order: 'sequential' } };
  const failure = async (command: string, maxStdoutBytes?: number) =>
    (await new ExternalRuntime('qubit', { command, timeoutMs: 20_000, ...(maxStdoutBytes ? { maxStdoutBytes } : {}) }).run(JOB_ID, job as never)).failure;

  it('quotes the end of stderr when a runtime that exits 0 prints no result, a malformed one or too much', async () => {
    const traceback = `echo 'Traceback (most recent call last):' >&2; echo "KeyError: 'shots'" >&2`;
    expect(await failure(`${traceback}; echo 'not JSON'`)).to.match(/printed no result JSON \(.+; stdout began "not JSON"\): Traceback \(most recent call last\): \| KeyError: 'shots'$/s);
    expect(await failure(`${traceback}; echo '{"results": {}}'`)).to.match(/result for experiment_0: "memory" must be a list of 2 strings.*: Traceback \(most recent call last\): \| KeyError: 'shots'$/);
    expect(await failure(`${traceback}; yes`, 1 << 16)).to.match(/printed more than 65536 bytes and was killed: Traceback \(most recent call last\): \| KeyError: 'shots'$/);
    // what the runtime reports itself is its message, as it is
    expect(await failure(`${traceback}; echo '{"error": "laser unlocked"}'`)).to.match(/reported: laser unlocked$/);
  });
});

describe('external runtime: output bound', () => {
  it('grows with QSPOOL_MAX_RESULT_BYTES, so a result within that bound is never killed as too much output', () => {
    const MiB = 1024 * 1024;
    expect(outputBound(1024)).to.equal(64 * MiB);
    // The widest output per wire and shot: a three-digit atom count and a space; per shot, quotes and a comma.
    for (const [shots, wires] of [[4_000_000, 8], [20_000_000, 1], [100_000, 500]] as const) {
      const maxResultBytes = shots * wires * 4;
      const shot = `"${Array.from({ length: wires }, () => '999').join(' ')}",`;
      const printed = shots * shot.length + 1024;
      expect(printed, `${shots} shots × ${wires} wires`).to.be.below(outputBound(maxResultBytes));
    }
  });
});
