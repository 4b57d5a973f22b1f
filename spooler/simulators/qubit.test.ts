// Specification of the qubit backend: the strict rotation-text grammar and single-qubit rotation results.
import { expect } from 'chai';
import { finalState, parseRotationText, simulate } from './qubit.ts';
import { outcomeProbability } from './test-support.ts';
import type { SimExperiment } from './types.ts';

const fromText = (text: string, shots = 100, seed?: number): SimExperiment => ({
  instructions: parseRotationText(text),
  shots,
  num_wires: 1,
  ...(seed === undefined ? {} : { seed }),
});

describe('qubit rotation text', () => {
  it('compiles axes and degrees into radian rotations followed by the read-out', () => {
    expect(parseRotationText('X(90), Y(180), Z(45)')).to.deep.equal([
      ['rx', [0], [Math.PI / 2]],
      ['ry', [0], [Math.PI]],
      ['rz', [0], [Math.PI / 4]],
      ['measure', [0], []],
    ]);
    expect(parseRotationText('Z(0)')[0]).to.deep.equal(['rz', [0], [0]]);
    expect(parseRotationText('X(360)')[0]).to.deep.equal(['rx', [0], [2 * Math.PI]]);
  });

  const malformed: Array<[string, string]> = [
    ['', 'at position 0, found the end of the text'],
    ['x(90)', 'at position 0, found "x(90)"'],
    ['X(90),Y(90)', 'expected ", " or the end at position 5, found ",Y(90)"'],
    ['X(90), ', 'at position 7, found the end of the text'],
    ['X(90) , Y(1)', 'at position 5, found " "'],
    ['X(90), W(10)', 'at position 7, found "W(10)"'],
    ['X(9a)', 'at position 0, found "X(9a)"'],
    ['X(1000)', 'at position 0, found "X(1000)"'],
    ['X(-5)', 'at position 0'],
    ['X(90), Y(361)', 'rotation Y(361) at position 7: angles are 0…360 degrees'],
  ];
  for (const [text, message] of malformed) {
    it(`rejects ${JSON.stringify(text)} naming where`, () => {
      expect(() => parseRotationText(text)).to.throw(Error, message);
    });
  }
});

describe('qubit simulator', () => {
  it('flips |0⟩ with X(180) and Y(180): every shot reads 1', () => {
    expect(simulate(fromText('X(180)', 200)).memory).to.deep.equal(new Array(200).fill('1'));
    expect(simulate(fromText('Y(180)', 200)).memory).to.deep.equal(new Array(200).fill('1'));
  });

  it('splits X(90) 50/50 (binomial z-score within 4σ over 10 000 seeded shots)', () => {
    const shots = 10_000;
    const ones = simulate(fromText('X(90)', shots, 42)).memory.filter((m) => m === '1').length;
    expect(Math.abs(ones - shots / 2) / Math.sqrt(shots / 4)).to.be.below(4);
    expect(outcomeProbability(finalState(fromText('X(90)')), '1')).to.be.closeTo(0.5, 1e-15);
  });

  it('lets Z only change phases: Z alone keeps |0⟩, between two X(90) it decides the outcome', () => {
    expect(outcomeProbability(finalState(fromText('Z(45), Z(90)')), '0')).to.be.closeTo(1, 1e-15);
    // X(90) Z(φ) X(90) gives P(1) = cos²(φ/2)
    for (const degrees of [0, 60, 90, 180, 270]) {
      const phi = (degrees * Math.PI) / 180;
      expect(outcomeProbability(finalState(fromText(`X(90), Z(${degrees}), X(90)`)), '1')).to.be.closeTo(Math.cos(phi / 2) ** 2, 1e-12);
    }
  });

  it('accepts the same job as instructions with radians', () => {
    const experiment: SimExperiment = { instructions: [['ry', [0], [Math.PI / 3]], ['measure', [0], []]], shots: 1, num_wires: 1 };
    expect(outcomeProbability(finalState(experiment), '1')).to.be.closeTo(Math.sin(Math.PI / 6) ** 2, 1e-15);
    expect(() => simulate({ ...experiment, instructions: [['rx', [1], [1]]] })).to.throw(RangeError, 'wire 1');
  });
});
