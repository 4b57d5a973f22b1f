// The backends qspool ships, by display name.
import type { BackendDefinition } from '../backend.ts';
import { createQubitBackend } from './qubit/index.ts';
import { singlequdit } from './singlequdit/index.ts';

export const builtinBackends: ReadonlyMap<string, BackendDefinition> = new Map([
  ['singlequdit', singlequdit],
  ['qubit', createQubitBackend()],
]);

export interface BackendOptions {
  qubitMode?: 'simulation' | 'echo';
}

export function createBackend(name: string, options: BackendOptions = {}): BackendDefinition | undefined {
  if (name === 'qubit') return createQubitBackend(options.qubitMode);
  return builtinBackends.get(name);
}
