// Spawning conformance workers as real OS processes.
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ProviderSpec } from '../factory.ts';

const WORKER = fileURLToPath(new URL('./worker.ts', import.meta.url));

export function startWorker(mode: string, spec: ProviderSpec, ...args: string[]): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', WORKER, mode, JSON.stringify(spec), ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Runs a worker to completion and returns its JSON lines. */
export function runWorker(mode: string, spec: ProviderSpec, ...args: string[]): Promise<Record<string, unknown>[]> {
  const child = startWorker(mode, spec, ...args);
  let out = '';
  let err = '';
  child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.on('exit', (code) => {
      if (code !== 0) reject(new Error(`worker ${mode} exited with ${code}: ${err}`));
      else resolve(out.trim().split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>));
    });
  });
}

/** Resolves once the worker has printed a line containing `marker`. */
export function waitForOutput(child: ChildProcess, marker: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      if (seen.includes(marker)) resolve();
    });
    child.on('exit', () => reject(new Error(`worker exited before printing ${marker}`)));
  });
}
