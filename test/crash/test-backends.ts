// Test-only backends (never registered in the shipped CLI). A module of its own so that a spooler's experiment
// thread can load them by URL, exactly as it loads the real backends.
import { existsSync } from 'node:fs';
import type { BackendDefinition } from '../../spooler/backend.ts';
import { singlequdit } from '../../spooler/backends/singlequdit/index.ts';

/** The singlequdit schema, but every experiment computes synchronously for `ms` without ever yielding. */
export function busyBackend(ms: number): BackendDefinition {
  return {
    ...singlequdit,
    runExperiment(_name, experiment) {
      const until = Date.now() + ms;
      while (Date.now() < until) {
        // a long simulation step: nothing else on this thread runs meanwhile
      }
      return { memory: new Array<string>(experiment.shots).fill('0'), instructions: null };
    },
  };
}

export const BUSY_BACKEND_MODULE = new URL('./test-backends.ts', import.meta.url).href;
/** Where misbehavingBackend is (this module too). */
export const MISBEHAVING_BACKEND_MODULE = BUSY_BACKEND_MODULE;

/** What misbehavingBackend's experiments do instead of answering. */
export type Misbehaviour = 'throw-null' | 'throw-string' | 'throw-bare-object' | 'uncloneable-data';

/** The singlequdit schema, but every experiment misbehaves as a careless backend's code might. */
export function misbehavingBackend(misbehaviour: Misbehaviour): BackendDefinition {
  return {
    ...singlequdit,
    runExperiment(_name, experiment) {
      if (misbehaviour === 'throw-null') throw null;
      if (misbehaviour === 'throw-string') throw 'laser unlocked';
      if (misbehaviour === 'throw-bare-object') throw Object.assign(Object.create(null) as object, { code: 7 });
      return { memory: new Array<string>(experiment.shots).fill('0'), instructions: null, calibrate: () => 0 } as never;
    },
  };
}

/**
 * The singlequdit schema, built only while `missing` does not exist (a device library removed under a running
 * spooler); an experiment of one shot ends its thread.
 */
export function fragileBackend(missing: string): BackendDefinition {
  if (existsSync(missing)) throw new Error('the device driver library is missing');
  return {
    ...singlequdit,
    runExperiment(_name, experiment) {
      if (experiment.shots === 1) process.exit(1);
      return { memory: new Array<string>(experiment.shots).fill('0'), instructions: null };
    },
  };
}
