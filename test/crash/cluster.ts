// A qspool deployment as real processes started through the CLI: one or more `qspool serve` replicas (each on a
// port of its own, kept across restarts) and several `qspool spooler --backend <name>` on one QSPOOL_DATA_DIR, or
// each on a data directory of its own (as on hosts of their own, sharing a primary store named by QSPOOL_STORE_FILE).
// Every process's log lines go to a file of their own (the evidence the verifier reads); kills are recorded with their time.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../../scripts/qspool.mjs', import.meta.url));

// Members still running when the harness itself ends (a check that threw, an unhandled rejection) would otherwise
// outlive it and load the suites that run after it.
const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export interface Kill {
  pid: number;
  at: number;
  role: 'server' | 'spooler';
}

export interface ClusterOptions {
  /** QSPOOL_DATA_DIR of every process, or with `ownDataDirs` the directory holding each process's own. */
  dataDir: string;
  /** Each process (and the CLI) on `<dataDir>/<its name>`, kept across its restarts, like a host of its own. */
  ownDataDirs?: boolean;
  logDir: string;
  env: Record<string, string>;
  backends: string[];
  spoolersPerBackend: number;
  /** A registered storage provider the spoolers work on (`--storage`); the server's own directory when absent. */
  provider?: string;
  /** `qspool serve` replicas (default 1). */
  servers?: number;
}

interface Member {
  name: string;
  role: 'server' | 'spooler';
  backend?: string;
  args: string[];
  /** Said it is ready (server listening, spooler started) and not killed since. */
  ready?: boolean;
  child?: ChildProcess;
  exited?: Promise<number | null>;
}

/** A TCP port free on 127.0.0.1 just now (for processes that must be started on a known port). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Runs a CLI command to completion and returns its stdout (user administration). */
export async function runCli(args: string[], env: Record<string, string>): Promise<string> {
  const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  if (code !== 0) throw new Error(`qspool ${args.join(' ')} exited ${code}: ${err}`);
  return out;
}

export class Cluster {
  readonly kills: Kill[] = [];
  /** Exit codes of processes that ended on their own (not killed by us): a crash the harness did not cause. */
  readonly unexpectedExits: string[] = [];
  /** Base URL of each server replica, in start order. */
  readonly urls: string[] = [];
  private readonly members: Member[] = [];
  /** Processes we killed ourselves: dying before they were ready is then no failure (a kill at a random moment). */
  private readonly killed = new WeakSet<ChildProcess>();
  private readonly env: Record<string, string>;

  constructor(private readonly options: ClusterOptions) {
    this.env = { ...options.env, QSPOOL_DATA_DIR: options.dataDir, LOG_LEVEL: 'info' };
  }

  /** The first replica: where single-server phases send everything. */
  get url(): string {
    return this.urls[0] ?? '';
  }

  /** Replica `index` as a client target (its URL, the cluster's backend names). */
  replica(index: number): { url: string; apiName(backend: string): string } {
    return { url: this.urls[index]!, apiName: (backend) => this.apiName(backend) };
  }

  /** Which replica a process id belongs to right now, or -1. */
  replicaOfPid(pid: number): number {
    return this.members.filter((m) => m.role === 'server').findIndex((m) => m.child?.pid === pid);
  }

  /** The name clients use for a backend: qlued's `<provider>_<backend>_simulator` on a registered provider. */
  apiName(backend: string): string {
    return this.options.provider ? `${this.options.provider}_${backend}_simulator` : backend;
  }

  /** Runs a CLI command with the cluster's environment (e.g. `storage add`). */
  cli(args: string[]): Promise<string> {
    return runCli(args, this.envOf('cli'));
  }

  private envOf(name: string): Record<string, string> {
    return this.options.ownDataDirs ? { ...this.env, QSPOOL_DATA_DIR: join(this.options.dataDir, name) } : this.env;
  }

  /** Creates a user with an API token through `qspool user add`. */
  async addUser(name: string): Promise<string> {
    const out = await this.cli(['user', 'add', name, '--json']);
    return (JSON.parse(out) as { token: string }).token;
  }

  async start(withServer = true): Promise<void> {
    const starts: Promise<void>[] = [];
    const servers = withServer ? (this.options.servers ?? 1) : 0;
    for (let index = 0; index < servers; index += 1) {
      const port = await freePort();
      this.urls.push(`http://127.0.0.1:${port}`);
      // A single server keeps the log name the crash phases always had.
      const name = servers === 1 ? 'server' : `server-${index}`;
      this.members.push({ name, role: 'server', args: ['serve', '--port', String(port)] });
    }
    for (const backend of this.options.backends) {
      for (let slot = 0; slot < this.options.spoolersPerBackend; slot += 1) {
        const args = ['spooler', '--backend', backend, ...(this.options.provider ? ['--storage', this.options.provider] : [])];
        this.members.push({ name: `spooler-${backend}-${slot}`, role: 'spooler', backend, args });
      }
    }
    for (const member of this.members) starts.push(this.launch(member));
    await Promise.all(starts);
  }

  /**
   * SIGKILLs a random running spooler and starts a replacement after `restartAfterMs` (not awaited). The last ready
   * spooler of a backend is spared: recovery within lease + poll needs a survivor to take the dead one's job back.
   */
  killRandomSpooler(restartAfterMs: number): Kill | undefined {
    const candidates = this.expendable();
    const victim = candidates[Math.floor(Math.random() * candidates.length)];
    return victim && this.kill(victim, restartAfterMs);
  }

  /** SIGKILLs the spooler with this pid if it may be killed now (see killRandomSpooler), restarting it later. */
  killSpooler(pid: number, restartAfterMs: number): Kill | undefined {
    const victim = this.expendable().find((m) => m.child?.pid === pid);
    return victim && this.kill(victim, restartAfterMs);
  }

  private expendable(): Member[] {
    const ready = this.members.filter((m) => m.role === 'spooler' && m.ready);
    return ready.filter((m) => ready.some((other) => other !== m && other.backend === m.backend));
  }

  /** SIGKILLs server replica `index` (the first running one by default) and restarts it on its port later. */
  killServer(restartAfterMs: number, index?: number): Kill | undefined {
    const servers = this.members.filter((m) => m.role === 'server');
    const server = index === undefined ? servers.find((m) => m.child) : servers[index]?.child ? servers[index] : undefined;
    return server && this.kill(server, restartAfterMs);
  }

  /** Resolves once every member is running and ready again (after restarts), or rejects after `timeoutMs`. */
  async allReady(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.members.every((m) => m.ready)) {
      if (Date.now() > deadline) throw new Error(`not ready after ${timeoutMs} ms: ${this.members.filter((m) => !m.ready).map((m) => m.name).join(', ')}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** Pids of spoolers that may be killed or frozen now (the last ready spooler of a backend is spared). */
  expendableSpoolers(): number[] {
    return this.expendable().map((m) => m.child!.pid!);
  }

  /** SIGSTOPs the spooler and SIGCONTs it after `ms`: a freeze (GC pause, VM stall); false if it may not be frozen. */
  freezeSpooler(pid: number, ms: number): boolean {
    const victim = this.expendable().find((m) => m.child?.pid === pid);
    const child = victim?.child;
    if (!victim || !child) return false;
    victim.ready = false;
    child.kill('SIGSTOP');
    setTimeout(() => {
      child.kill('SIGCONT');
      victim.ready = victim.child === child;
    }, ms);
    return true;
  }

  /** SIGTERM to everyone; resolves with the processes that did not exit 0 within `deadlineMs`. */
  async stop(deadlineMs = 20_000): Promise<string[]> {
    const failures: string[] = [];
    await Promise.all(
      this.members.map(async (member) => {
        const { child, exited } = member;
        if (!child || !exited) return;
        member.child = undefined;
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), deadlineMs);
        const code = await exited;
        clearTimeout(timer);
        if (code !== 0) failures.push(`${member.name} (pid ${child.pid}) exited ${code} after SIGTERM`);
      }),
    );
    return failures;
  }

  private kill(member: Member, restartAfterMs: number): Kill {
    const child = member.child!;
    member.child = undefined;
    member.ready = false;
    const kill: Kill = { pid: child.pid!, at: Date.now(), role: member.role };
    this.killed.add(child);
    child.kill('SIGKILL');
    this.kills.push(kill);
    setTimeout(() => void this.launch(member).catch((error: Error) => this.unexpectedExits.push(`${member.name} restart: ${error.message}`)), restartAfterMs);
    return kill;
  }

  /** Starts the member's process and resolves once it says it is ready (server listening, spooler started). */
  private launch(member: Member): Promise<void> {
    const child = spawn(process.execPath, [CLI, ...member.args], { env: { ...process.env, ...this.envOf(member.name) }, stdio: ['ignore', 'pipe', 'pipe'] });
    member.child = child;
    running.add(child);
    const log = createWriteStream(join(this.options.logDir, `${member.name}-${child.pid}.log`));
    child.stderr!.pipe(createWriteStream(join(this.options.logDir, `${member.name}-${child.pid}.err`)));
    member.exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
    void member.exited.then((code) => {
      running.delete(child);
      log.end();
      // Still registered as ours: it ended without being told to.
      if (member.child === child) {
        member.child = undefined;
        this.unexpectedExits.push(`${member.name} (pid ${child.pid}) exited ${code} on its own`);
      }
    });
    const ready = member.role === 'server' ? '"server listening"' : '"spooler.started"';
    return new Promise((resolve, reject) => {
      let done = false;
      createInterface({ input: child.stdout! }).on('line', (line) => {
        log.write(`${line}\n`);
        if (!done && line.includes(ready)) {
          done = true;
          member.ready = member.child === child;
          resolve();
        }
      });
      void member.exited!.then((code) => {
        if (done) return;
        if (this.killed.has(child)) resolve();
        else reject(new Error(`${member.name} exited ${code} before it was ready`));
      });
    });
  }
}
