// Specification of the Hilbert-space bound and the error that reports it.
import { expect } from 'chai';
import { DEFAULT_MAX_AMPLITUDES, HilbertSpaceTooLarge, assertHilbertSpace, hilbertDimension } from './limits.ts';

describe('Hilbert-space bound', () => {
  it('multiplies the wire dimensions without wrapping absurd sizes', () => {
    expect(hilbertDimension([2, 3, 4])).to.equal(24);
    expect(hilbertDimension(new Array<number>(5).fill(501))).to.equal(501 ** 5); // 3.16e13
  });

  it('names the size and the limit in the error', () => {
    const error = (() => {
      try {
        assertHilbertSpace(501 ** 5);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).to.be.instanceOf(HilbertSpaceTooLarge).and.instanceOf(Error);
    expect((error as HilbertSpaceTooLarge).message).to.equal('Hilbert space of 3.2e13 amplitudes exceeds the limit of 4194304 (2^22)');
    expect((error as HilbertSpaceTooLarge).dimension).to.equal(501 ** 5);
    expect((error as HilbertSpaceTooLarge).limit).to.equal(DEFAULT_MAX_AMPLITUDES);
  });

  it('accepts the limit itself and honours an overridden limit', () => {
    expect(() => assertHilbertSpace(2 ** 22)).not.to.throw();
    expect(() => assertHilbertSpace(1000, 999)).to.throw(HilbertSpaceTooLarge, 'Hilbert space of 1000 amplitudes exceeds the limit of 999');
  });
});
