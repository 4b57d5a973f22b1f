// Specification of seeded sampling: reproducible streams, uniformity, and shot frequencies that a χ² test accepts
// (and rejects for a slightly different distribution).
import { expect } from 'chai';
import { createRng, randomSeed, sampleIndices } from './random.ts';
import { chiSquareTest, histogram } from './test-statistics.ts';

const draws = (seed: number | undefined, n: number): number[] => {
  const rng = createRng(seed);
  return Array.from({ length: n }, () => rng.next());
};

describe('seeded random numbers', () => {
  it('repeat a stream for the same seed and differ between seeds', () => {
    expect(draws(12345, 50)).to.deep.equal(draws(12345, 50));
    expect(draws(12345, 50)).not.to.deep.equal(draws(12346, 50));
    expect(draws(-1, 5)).not.to.deep.equal(draws(0, 5));
    expect(draws(2 ** 60, 5)).to.deep.equal(draws(2 ** 60, 5));
  });

  it('draw unseeded streams from the OS generator', () => {
    expect(randomSeed()).to.be.a('number').and.satisfy(Number.isSafeInteger);
    expect(draws(undefined, 4)).not.to.deep.equal(draws(undefined, 4));
  });

  it('refuse a non-integer seed', () => {
    expect(() => createRng(1.5)).to.throw(RangeError, 'not an integer');
  });

  it('are uniform on [0, 1) (χ² over 20 bins, 100 000 draws)', () => {
    const values = draws(7, 100_000);
    expect(values.every((v) => v >= 0 && v < 1)).to.equal(true);
    const expected = new Map(Array.from({ length: 20 }, (_, k) => [String(k), 1 / 20]));
    const { statistic, critical } = chiSquareTest(histogram(values.map((v) => String(Math.floor(v * 20)))), expected, values.length);
    expect(statistic).to.be.below(critical);
  });
});

describe('sampleIndices', () => {
  const p = [0.1, 0, 0.2, 0.7];
  const shots = 50_000;
  const sampled = histogram(Array.from(sampleIndices(p, shots, createRng(99)), String));

  it('follows the probabilities and never draws an impossible index', () => {
    expect(sampled.has('1')).to.equal(false);
    const { statistic, critical } = chiSquareTest(sampled, new Map(p.map((v, i) => [String(i), v])), shots);
    expect(statistic).to.be.below(critical);
  });

  it('is caught by the χ² check when compared with a slightly different distribution', () => {
    const q = [0.11, 0, 0.19, 0.7];
    const { statistic, critical } = chiSquareTest(sampled, new Map(q.map((v, i) => [String(i), v])), shots);
    expect(statistic).to.be.above(critical);
  });

  it('accepts unnormalised weights and refuses ones that cannot be normalised', () => {
    expect(Array.from(sampleIndices([0, 0, 3], 5, createRng(1)))).to.deep.equal([2, 2, 2, 2, 2]);
    expect(() => sampleIndices([0, 0], 1, createRng(1))).to.throw(RangeError, 'sum to 0');
    expect(() => sampleIndices([0.5, -0.1], 1, createRng(1))).to.throw(RangeError);
  });
});
