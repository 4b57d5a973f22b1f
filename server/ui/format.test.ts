import { expect } from 'chai';
import { countOutcomes, mostFrequent, stateChanges } from './format.ts';

describe('ui format: outcome counts', () => {
  it('counts outcomes in numeric order of their wires', () => {
    expect(countOutcomes(['1 0', '0 10', '0 2', '1 0']).map(({ outcome, count }) => [outcome, count])).to.deep.equal([
      ['0 2', 1],
      ['0 10', 1],
      ['1 0', 2],
    ]);
  });

  it('keeps the most frequent outcomes in their order, earlier ones first among equals', () => {
    const counts = countOutcomes(['0', '1', '1', '2', '3', '3', '4']);
    expect(mostFrequent(counts, 3).map((c) => c.outcome)).to.deep.equal(['0', '1', '3']);
    expect(mostFrequent(counts, 10)).to.deep.equal(counts);
  });

  it('counts 300 000 distinct outcomes without a stack overflow, within a second or two', () => {
    const started = Date.now();
    const counts = countOutcomes(Array.from({ length: 300_000 }, (_, i) => `${i % 3} ${i}`));
    expect(counts).to.have.length(300_000);
    expect(counts[0]!.outcome).to.equal('0 0');
    expect(mostFrequent(counts, 256)).to.have.length(256);
    expect(Date.now() - started).to.be.below(2_000);
  });
});

describe('ui format: state changes to announce', () => {
  it('names each job that is in another state than before, and no job that is new or unchanged', () => {
    const before = [
      { id: 'a', status: 'QUEUED' },
      { id: 'b', status: 'RUNNING' },
      { id: 'c', status: 'RUNNING' },
    ];
    const after = [
      { id: 'b', status: 'DONE' },
      { id: 'c', status: 'RUNNING' },
      { id: 'd', status: 'QUEUED' },
      { id: 'a', status: 'CANCELLED' },
    ];
    expect(stateChanges(before, after)).to.deep.equal(['Job b is DONE now.', 'Job a is CANCELLED now.']);
  });
});
