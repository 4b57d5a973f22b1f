// A qspool command in a child process, as an operator runs it: its JSON log lines collected as they come, waited for
// by condition (never by a fixed sleep), and its exit.
import { type ChildProcess, spawn } from 'node:child_process';
import { eventually } from './system.ts';

const BIN = new URL('../../scripts/qspool.mjs', import.meta.url).pathname;

export interface LogLine {
  msg?: string;
  [field: string]: unknown;
}

export interface QspoolProcess {
  child: ChildProcess;
  /** The JSON log lines written so far (stdout). */
  lines: LogLine[];
  /** Everything written so far, stdout and stderr. */
  output(): string;
  /** The first log line `match` accepts, once it is written; fails if the process exits first. */
  line(match: (line: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGKILLs the process if it still runs (for cleanup). */
  kill(): void;
}

/** `stdout`: a file descriptor the process writes its log to instead (then no line is collected). */
export function spawnQspool(args: string[], env: Record<string, string>, stdout?: number): QspoolProcess {
  const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', stdout ?? 'pipe', 'pipe'] });
  const lines: LogLine[] = [];
  let output = '';
  let pending = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
    const text = pending + chunk.toString();
    const complete = text.split('\n');
    pending = complete.pop()!;
    for (const line of complete) if (line.startsWith('{')) lines.push(JSON.parse(line) as LogLine);
  });
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  let closed = false;
  // 'close' comes once its output is read to the end as well.
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('close', (code, signal) => {
      closed = true;
      resolve({ code, signal });
    }),
  );
  return {
    child,
    lines,
    output: () => output,
    line: (match, timeoutMs = 30_000) =>
      eventually(async () => {
        const found = lines.find(match);
        if (!found && closed) throw new Error(`qspool ${args.join(' ')} exited (${child.exitCode ?? child.signalCode}):\n${output}`);
        return found;
      }, timeoutMs),
    exited,
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}
