// The qubit's text form ("X(90), Y(180)") is held to the same instruction bound as its list form: the published
// schema bounds the text's length (the server refuses at submission what that rules out), the spooler the count.
import { expect } from 'chai';
import { publishedConfig } from '../../backend.ts';
import { checkJob } from '../../execute.ts';
import { createQubitBackend } from './index.ts';

const backend = createQubitBackend();
const MAX = 50;
const config = publishedConfig(backend, { maxInstructions: MAX, maxHilbertDimension: 2 ** 22 });
const job = (instructions: unknown) => ({ experiment_0: { instructions, shots: 3, num_wires: 1, wire_order: 'sequential' } });
const rotations = (count: number, degrees = 360) => Array.from({ length: count }, (_, i) => `${'XYZ'[i % 3]}(${degrees})`).join(', ');
const check = (payload: unknown) => () => checkJob(backend, config, payload);

describe('qubit backend: the text form', () => {
  it('takes max_instructions − 1 rotations (the text implies a final measure), the same count as the list form', () => {
    expect(check(job(rotations(MAX - 1)))).not.to.throw();
    const list = [...Array.from({ length: MAX - 1 }, () => ['rx', [0], [1]]), ['measure', [0], []]];
    expect(check(job(list))).not.to.throw();
  });

  it('refuses one rotation more, naming the bound, as it refuses the longer list', () => {
    expect(check(job(rotations(MAX)))).to.throw(/at most 49 \(max_instructions 50 with the measure it implies\)/);
    // Short rotations fit the text's length bound (what the published schema can state); the count still holds.
    expect(check(job(rotations(MAX, 1)))).to.throw(/50 rotations as text, at most 49 \(max_instructions 50 with the measure it implies\)/);
    const list = [...Array.from({ length: MAX }, () => ['rx', [0], [1]]), ['measure', [0], []]];
    expect(check(job(list))).to.throw(/instructions/);
  });

  it('still names a malformed rotation', () => {
    expect(check(job('X(90), Q(2)'))).to.throw(/"X\(90\), Q\(2\)" must be rotations as text/);
    expect(check(job('X(361)'))).to.throw(/must be rotations as text/);
  });
});
