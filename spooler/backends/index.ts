// The backends qspool ships, by display name.
import type { BackendDefinition } from '../backend.ts';
import { fermions } from './fermions/index.ts';
import { multiqudit } from './multiqudit/index.ts';
import { createQubitBackend, type QubitMode } from './qubit/index.ts';
import { rydberg } from './rydberg/index.ts';
import { singlequdit } from './singlequdit/index.ts';

export const builtinBackends: ReadonlyMap<string, BackendDefinition> = new Map([
  ['singlequdit', singlequdit],
  ['multiqudit', multiqudit],
  ['fermions', fermions],
  ['rydberg', rydberg],
  ['qubit', createQubitBackend()],
]);

export interface BackendOptions {
  qubitMode?: QubitMode;
}

export function createBackend(name: string, options: BackendOptions = {}): BackendDefinition | undefined {
  if (name === 'qubit') return createQubitBackend(options.qubitMode);
  return builtinBackends.get(name);
}
