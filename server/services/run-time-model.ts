// How long a job runs on a backend, learnt from that backend's own recent jobs. A job's size is read from the job and
// the backend's published state-size model (schemas/work-limits.ts); its run time (RUNNING → DONE in the job's record)
// is fitted as   seconds = c0 + c1·gate_work + c2·sampling_work   with every coefficient ≥ 0, by least squares on the
// relative error (small jobs count as much as large ones). The features follow what a simulator spends its time on:
// each instruction acts on the whole state (cost growing with its dimension²: the spin operators' norm and non-zeros
// both grow with it), and every shot is drawn from the state's distribution (a search over log2(dimension) bits) and
// written into the result (one outcome per wire).
import type { BackendConfig } from '../../schemas/backend-config.ts';
import { stateDimension, type ExperimentShape } from '../../schemas/work-limits.ts';

export interface JobSize {
  experiments: number;
  instructions: number;
  shots: number;
  /** The largest state over the job's experiments; 1 for a backend that publishes no state-size model. */
  hilbertDimension: number;
  /** Σ over experiments of instructions × dimension². */
  gateWork: number;
  /** Σ over experiments of shots × (wires + log2(dimension)): drawing each shot and writing its outcomes. */
  samplingWork: number;
}

export interface RunSample {
  size: JobSize;
  seconds: number;
}

/** fit: least squares over the history; mean: too little history to fit, its mean run time; none: no history. */
export type RunTimeBasis = 'fit' | 'mean' | 'none';

export interface RunTimeModel {
  basis: RunTimeBasis;
  /** Finished jobs the model was made from. */
  samples: number;
  /** The mean run time of those jobs (what a queued job is expected to take when its size is not read). */
  meanSeconds: number | null;
  /** Expected seconds for a job of this size; null without history. */
  predict(size: JobSize): number | null;
}

/** Fewer jobs than this are too few to tell the features' effects apart: their mean is the estimate. */
export const MIN_SAMPLES_TO_FIT = 4;

/** Text-form experiments (qubit: `"X(90), Y(180)"`) count one instruction per comma-separated gate. */
function instructionCount(instructions: unknown): number {
  if (Array.isArray(instructions)) return instructions.length;
  return typeof instructions === 'string' ? instructions.split(',').filter((part) => part.trim()).length : 0;
}

/**
 * The size of a job that passed the backend's checks (so every experiment has shots and num_wires, and the state-size
 * model can read its instructions).
 */
export function jobSize(config: BackendConfig, payload: Record<string, unknown>): JobSize {
  const model = config.limits?.hilbert_space;
  const size: JobSize = { experiments: 0, instructions: 0, shots: 0, hilbertDimension: 1, gateWork: 0, samplingWork: 0 };
  for (const value of Object.values(payload)) {
    const experiment = value as ExperimentShape;
    const instructions = instructionCount(experiment.instructions);
    const dimension = model && Array.isArray(experiment.instructions) ? stateDimension(experiment, model) : 1;
    size.experiments += 1;
    size.instructions += instructions;
    size.shots += experiment.shots;
    size.hilbertDimension = Math.max(size.hilbertDimension, dimension);
    size.gateWork += instructions * dimension * dimension;
    size.samplingWork += experiment.shots * (experiment.num_wires + Math.log2(dimension));
  }
  return size;
}

const features = (size: JobSize): number[] => [1, size.gateWork, size.samplingWork];

/** Solves the square system by Gaussian elimination with partial pivoting; undefined when it is singular. */
function solve(matrix: number[][], vector: number[]): number[] | undefined {
  const n = vector.length;
  const rows = matrix.map((row, i) => [...row, vector[i]!]);
  for (let col = 0; col < n; col += 1) {
    const pivot = rows.slice(col).reduce((best, row, i) => (Math.abs(row[col]!) > Math.abs(rows[best]![col]!) ? col + i : best), col);
    if (Math.abs(rows[pivot]![col]!) < 1e-12) return undefined;
    [rows[col], rows[pivot]] = [rows[pivot]!, rows[col]!];
    for (let r = 0; r < n; r += 1) {
      if (r === col) continue;
      const [target, source] = [rows[r]!, rows[col]!];
      const factor = target[col]! / source[col]!;
      for (let c = col; c <= n; c += 1) target[c] = target[c]! - factor * source[c]!;
    }
  }
  return rows.map((row, i) => row[n]! / row[i]!);
}

interface Fit {
  coefficients: number[];
  residual: number;
}

/**
 * Minimises Σ ((prediction − t) / t)² over the given feature columns: ordinary least squares on the rows f/t against
 * 1. Columns are scaled to a maximum of 1 first, so dimension² and shot counts do not swamp each other numerically.
 */
function fitColumns(samples: RunSample[], columns: number[]): Fit | undefined {
  const rows = samples.map((sample) => columns.map((c) => features(sample.size)[c]! / sample.seconds));
  const scale = columns.map((_, j) => Math.max(...rows.map((row) => row[j]!)));
  if (scale.some((s) => !(s > 0))) return undefined;
  const scaled = rows.map((row) => row.map((value, j) => value / scale[j]!));
  const normal = columns.map((_, i) => columns.map((_, j) => scaled.reduce((sum, row) => sum + row[i]! * row[j]!, 0)));
  const right = columns.map((_, i) => scaled.reduce((sum, row) => sum + row[i]!, 0));
  const solution = solve(normal, right);
  if (!solution || solution.some((x) => x < 0)) return undefined;
  const coefficients = [0, 0, 0];
  columns.forEach((c, j) => (coefficients[c] = solution[j]! / scale[j]!));
  const residual = rows.reduce((sum, row) => sum + (row.reduce((p, value, j) => p + value * coefficients[columns[j]!]!, 0) - 1) ** 2, 0);
  return { coefficients, residual };
}

/** Every non-empty subset of the three features, so that a negative coefficient can be left out rather than used. */
const SUBSETS = [[0, 1, 2], [0, 1], [0, 2], [1, 2], [0], [1], [2]];

/** The best non-negative fit over the samples (mean or nothing with too little history). */
export function fitRunTime(samples: RunSample[]): RunTimeModel {
  const usable = samples.filter((sample) => sample.seconds > 0);
  if (usable.length === 0) return { basis: 'none', samples: 0, meanSeconds: null, predict: () => null };
  const mean = usable.reduce((sum, sample) => sum + sample.seconds, 0) / usable.length;
  const fits = usable.length < MIN_SAMPLES_TO_FIT ? [] : SUBSETS.flatMap((columns) => fitColumns(usable, columns) ?? []);
  const best = fits.sort((a, b) => a.residual - b.residual)[0];
  if (!best) return { basis: 'mean', samples: usable.length, meanSeconds: mean, predict: () => mean };
  const predict = (size: JobSize) => features(size).reduce((sum, value, i) => sum + value * best.coefficients[i]!, 0);
  return { basis: 'fit', samples: usable.length, meanSeconds: mean, predict };
}
