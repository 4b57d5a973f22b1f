// Runs one external-runtime command for one job: the request on stdin, stdout collected (bounded), the tail of
// stderr kept, a deadline after which the command's whole process group is killed, an abort for cancelled or
// abandoned jobs, and a watchdog in the group that kills it if this process dies first (watchdog.ts). Whatever the
// command does, the outcome is data; only an abort rejects, once the command has ended.
import { spawn } from 'node:child_process';
import type { Duplex } from 'node:stream';
import { LIFELINE_FD, watchedShellArgs } from './watchdog.ts';

export interface CommandRun {
  /** A shell command line (`python3 runtime.py --device lab1`). */
  command: string;
  stdin: string;
  env: NodeJS.ProcessEnv;
  timeoutMs: number;
  /** Between SIGTERM and SIGKILL when the command must stop, so it can leave the device in a safe state. */
  killGraceMs: number;
  maxStdoutBytes: number;
  stderrTailBytes: number;
  signal?: AbortSignal;
}

export interface CommandOutcome {
  pid: number | null;
  exitCode: number | null;
  /** The signal that ended the command, if one did (our kill after a timeout, or a crash such as SIGSEGV). */
  exitSignal: NodeJS.Signals | null;
  stdout: string;
  stderrTail: string;
  timedOut: boolean;
  /** stdout exceeded maxStdoutBytes; the command was killed. */
  overflow: boolean;
  /** The command could not be started at all. */
  spawnError: string | null;
  /**
   * The command had exited, but its stdout or stderr was still held open (by a process it started outside its
   * process group, which no signal of ours reaches) after the kill grace: the output is what came until then.
   */
  outputHeldOpen: boolean;
  startedAt: string;
  endedAt: string;
}

/** Sends `signal` to the process group led by `pid` (the command's shell and everything it started), if it is still there. */
export function signalGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // the group is gone already
  }
}

/** The tail as text, without the broken start of a character cut in two (which would decode as a longer U+FFFD). */
function utf8Tail(tail: Buffer): string {
  let start = 0;
  while (start < tail.length && start < 3 && (tail[start]! & 0xc0) === 0x80) start += 1;
  return tail.toString('utf8', start);
}

export function runCommand(run: CommandRun): Promise<CommandOutcome> {
  if (run.signal?.aborted) return Promise.reject(run.signal.reason as Error);
  return new Promise((resolve, reject) => {
    const startedAt = new Date().toISOString();
    // detached: the shell leads a new process group, so a timeout kills what the runtime started too
    const stdio = new Array<'pipe'>(LIFELINE_FD + 1).fill('pipe');
    const child = spawn('/bin/sh', watchedShellArgs(run.command, run.killGraceMs), { detached: true, env: run.env, stdio });
    const [input, output, errors] = [child.stdin!, child.stdout!, child.stderr!];
    const lifeline = child.stdio[LIFELINE_FD] as Duplex;
    // the lifeline is the watchdog's to read; nothing is written to it
    lifeline.on('error', () => undefined);
    const stdout: Buffer[] = [];
    let stdoutBytes = 0;
    let stderr = Buffer.alloc(0);
    let timedOut = false;
    let overflow = false;
    let spawnError: string | null = null;
    let killTimer: NodeJS.Timeout | undefined;
    let drainTimer: NodeJS.Timeout | undefined;
    let outputHeldOpen = false;
    let abortedBy: { reason: unknown } | undefined;
    let settled = false;

    // A process that left the group (setsid) may still hold our pipes; we stop listening to it.
    const stopListening = () => {
      for (const stream of [output, errors, lifeline]) stream.destroy();
    };
    const stop = () => {
      if (killTimer) return;
      signalGroup(child.pid, 'SIGTERM');
      killTimer = setTimeout(() => {
        signalGroup(child.pid, 'SIGKILL');
        stopListening();
      }, run.killGraceMs);
    };
    const deadline = setTimeout(() => {
      timedOut = true;
      stop();
    }, run.timeoutMs);
    // The job is settled (and the next one started, or this one handed to another spooler) only once the command
    // has ended: rejecting at once would leave it driving the device through its grace period beside the next run.
    const onAbort = () => {
      abortedBy = { reason: run.signal!.reason };
      clearTimeout(deadline);
      stop();
    };
    run.signal?.addEventListener('abort', onAbort, { once: true });

    function finish(settle: () => void): void {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      run.signal?.removeEventListener('abort', onAbort);
      settle();
    }

    output.on('data', (chunk: Buffer) => {
      stdoutBytes += chunk.length;
      if (stdoutBytes > run.maxStdoutBytes) {
        overflow = true;
        stop();
      } else stdout.push(chunk);
    });
    errors.on('data', (chunk: Buffer) => {
      stderr = Buffer.concat([stderr, chunk]);
      if (stderr.length > run.stderrTailBytes) stderr = stderr.subarray(stderr.length - run.stderrTailBytes);
    });
    // A runtime that exits without reading its input closes the pipe under us; that is its business.
    input.on('error', () => undefined);
    child.on('error', (error) => {
      spawnError = error.message;
    });
    // Whatever the runtime left running in its group would hold the pipes open (and outlive the job): it goes too.
    // What it started outside the group cannot be killed; once the output it left in the pipes has been read, the
    // run ends without waiting for that process to close them (until the timeout, which would fail a finished run).
    child.on('exit', () => {
      signalGroup(child.pid, 'SIGKILL');
      drainTimer = setTimeout(() => {
        outputHeldOpen = true;
        // after one more poll of the pipes, so output waiting in them is read even if this process was too busy
        setImmediate(stopListening);
      }, run.killGraceMs);
    });
    // 'close' waits for stdio to end as well as for the exit, so stdout is complete.
    child.on('close', (exitCode, exitSignal) => {
      clearTimeout(killTimer);
      clearTimeout(drainTimer);
      if (abortedBy) {
        const { reason } = abortedBy;
        finish(() => reject(reason as Error));
        return;
      }
      finish(() =>
        resolve({
          pid: child.pid ?? null,
          exitCode,
          exitSignal,
          stdout: Buffer.concat(stdout).toString('utf8'),
          stderrTail: utf8Tail(stderr),
          timedOut,
          overflow,
          spawnError,
          outputHeldOpen,
          startedAt,
          endedAt: new Date().toISOString(),
        }),
      );
    });
    input.end(run.stdin);
  });
}
