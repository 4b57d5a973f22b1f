// Echo mode runs nothing but answers memory shaped like a simulation's: one outcome per `measure`, space-separated,
// so that a client parsing the measured wires of a result reads an echoed one the same way.
import { expect } from 'chai';
import { createQubitBackend } from './index.ts';

const echo = createQubitBackend('echo');
const memoryOf = (instructions: unknown) =>
  (echo.runExperiment('experiment_0', { instructions: instructions as never, shots: 3, num_wires: 1, wire_order: 'sequential' }, { jobId: 'x', maxHilbertDimension: 2, checkpoint: () => undefined }) as { memory: string[] }).memory;

describe('qubit backend: echo mode', () => {
  it('answers one 0 per measure: "0 0" for a qubit measured twice', () => {
    expect(memoryOf([['rx', [0], [Math.PI]], ['measure', [0], []], ['measure', [0], []]])).to.deep.equal(['0 0', '0 0', '0 0']);
  });

  it('answers "0" for the text form (its one implied measure) and "" when nothing is measured', () => {
    expect(memoryOf('X(180), Y(90)')).to.deep.equal(['0', '0', '0']);
    expect(memoryOf([['rx', [0], [1]]])).to.deep.equal(['', '', '']);
  });
});
