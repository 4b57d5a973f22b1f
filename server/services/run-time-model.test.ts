import { expect } from 'chai';
import { publishedConfig } from '../../spooler/backend.ts';
import { builtinBackends } from '../../spooler/backends/index.ts';
import { MIN_SAMPLES_TO_FIT, fitRunTime, jobSize, type JobSize, type RunSample } from './run-time-model.ts';

const config = (name: string) => publishedConfig(builtinBackends.get(name)!, { maxInstructions: 10_000, maxHilbertDimension: 4_194_304 });
const size = (gateWork: number, samplingWork: number): JobSize => ({ experiments: 1, instructions: 1, shots: samplingWork, hilbertDimension: 2, gateWork, samplingWork });

describe('run-time model', () => {
  it('sizes a job by its largest state from the published model, its instructions and its shots', () => {
    const job = {
      experiment_0: { instructions: [['load', [0], [50]], ['rlx', [0], [1]], ['measure', [0], []]], shots: 100, num_wires: 1, wire_order: 'interleaved' },
      experiment_1: { instructions: [['rlx', [0], [1]]], shots: 10, num_wires: 1, wire_order: 'interleaved' },
    };
    expect(jobSize(config('singlequdit'), job)).to.deep.equal({
      experiments: 2,
      instructions: 4,
      shots: 110,
      hilbertDimension: 51,
      gateWork: 3 * 51 ** 2 + 1 * 2 ** 2,
      samplingWork: 100 * (1 + Math.log2(51)) + 10 * (1 + 1),
    });
    // multiqudit multiplies its wires' dimensions; qubit's text form has no model and counts its gates
    const pair = { experiment_0: { instructions: [['load', [0], [3]], ['load', [1], [4]]], shots: 5, num_wires: 2, wire_order: 'interleaved' } };
    expect(jobSize(config('multiqudit'), pair)).to.include({ hilbertDimension: 20, samplingWork: 5 * (2 + Math.log2(20)) });
    const text = { experiment_0: { instructions: 'X(90), Y(180), Z(45)', shots: 7, num_wires: 1, wire_order: 'sequential' } };
    expect(jobSize(config('qubit'), text)).to.include({ instructions: 3, hilbertDimension: 1, gateWork: 3, samplingWork: 7 });
  });

  it('recovers a linear cost exactly, and leaves out a feature that would need a negative coefficient', () => {
    const truth = (s: JobSize) => 0.01 + 2e-8 * s.gateWork + 1e-6 * s.samplingWork;
    const samples: RunSample[] = [
      [1e5, 100], [1e6, 5000], [4e6, 100], [1e4, 1e5], [2e6, 2e4], [5e5, 5e4],
    ].map(([g, o]) => ({ size: size(g!, o!), seconds: truth(size(g!, o!)) }));
    const model = fitRunTime(samples);
    expect(model.basis).to.equal('fit');
    for (const probe of [size(3e6, 1000), size(0, 0), size(1e5, 2e5)]) expect(model.predict(probe)).to.be.closeTo(truth(probe), truth(probe) * 1e-6);

    // run time falling with sampling work: that feature is dropped, not fitted with a negative weight
    const falling = [1, 2, 3, 4, 5].map((k) => ({ size: size(k * 1e6, 1e5 / k), seconds: k * 0.02 }));
    const fitted = fitRunTime(falling);
    expect(fitted.predict(size(1e6, 0))).to.be.closeTo(0.02, 1e-9);
    expect(fitted.predict(size(1e6, 1e9))).to.be.closeTo(0.02, 1e-9);
  });

  it('falls back to the mean with too few finished jobs, and has no estimate without any', () => {
    const few = [0.1, 0.3].map((seconds, i) => ({ size: size(i * 1e6, 100), seconds }));
    expect(few.length).to.be.below(MIN_SAMPLES_TO_FIT);
    const mean = fitRunTime(few);
    expect(mean).to.include({ basis: 'mean', samples: 2 });
    expect(mean.predict(size(1e9, 1e9))).to.be.closeTo(0.2, 1e-12);
    const none = fitRunTime([]);
    expect(none).to.include({ basis: 'none', samples: 0, meanSeconds: null });
    expect(none.predict(size(1, 1))).to.equal(null);
  });
});
