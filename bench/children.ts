// Child processes of the bench: each server, spooler and peer runs in its own Node process (its own event loop,
// so the load generator never shares one with what it measures), as TypeScript through tsx. Every child is
// tracked, so the runner can stop them all however it ends.
import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { ControlMessage, ReadyMessage, StatsMessage } from './peers/protocol.ts';

export interface Child {
  readonly name: string;
  readonly process: ChildProcess;
  readonly ready: ReadyMessage;
  send(message: ControlMessage): void;
  /** Resident set size in bytes, from /proc. */
  rss(): number;
  /** The child's storage counters (StatsMessage), or undefined when it keeps none. */
  stats(): Promise<Record<string, number> | undefined>;
  stop(): Promise<void>;
}

const running = new Set<Child>();

/** Resident set size of any process on this host, in bytes (VmRSS of /proc/<pid>/status). */
export function rssOf(pid: number): number {
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!match) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(match[1]) * 1024;
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** Starts `entry` (a file in bench/peers) and resolves once it reports ready. */
export async function startChild(name: string, entry: string, env: Record<string, string> = {}, timeoutMs = 60_000): Promise<Child> {
  const path = new URL(`./peers/${entry}`, import.meta.url);
  const child = fork(path, [], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const ready = await new Promise<ReadyMessage>((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`${name} did not start within ${timeoutMs} ms`)), timeoutMs);
    const fail = (error: Error) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`${error.message}\n${stderr}`));
    };
    child.on('message', (message: ReadyMessage) => {
      if (message.type !== 'ready') return;
      clearTimeout(timer);
      resolve(message);
    });
    child.once('exit', (code, signal) => fail(new Error(`${name} exited during start (${code ?? signal})`)));
  });
  const handle: Child = {
    name,
    process: child,
    ready,
    send: (message) => child.send(message),
    rss: () => rssOf(child.pid!),
    stats: () =>
      new Promise((resolve) => {
        const timer = setTimeout(() => done(undefined), 2_000);
        const listener = (message: StatsMessage) => message.type === 'stats' && done(message.stats);
        const done = (stats: Record<string, number> | undefined) => {
          clearTimeout(timer);
          child.off('message', listener);
          resolve(stats);
        };
        child.on('message', listener);
        child.send({ type: 'stats' } satisfies ControlMessage);
      }),
    async stop() {
      running.delete(handle);
      if (child.connected) child.send({ type: 'stop' } satisfies ControlMessage);
      const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited(child);
      clearTimeout(killer);
    },
  };
  child.removeAllListeners('exit');
  running.add(handle);
  return handle;
}

/** Stops every child still running (the runner's cleanup, also after a failure). */
export async function stopAllChildren(): Promise<void> {
  await Promise.all([...running].map((child) => child.stop()));
}

/** Kills every child at once, for an interrupted run. */
export function killAllChildren(): void {
  for (const child of running) child.process.kill('SIGKILL');
}
