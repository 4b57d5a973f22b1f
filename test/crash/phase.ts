// What every phase of the harness shares: its own directory and store, a cluster of CLI processes, waiting for the
// queues to drain, and the verdict from storage and the spooler logs once every process has stopped.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { StorageProvider } from '../../storage/contract.ts';
import { createProvider } from '../../storage/factory.ts';
import { JobLifecycle } from '../../storage/lifecycle.ts';
import { ns } from '../../storage/records.ts';
import { Cluster } from './cluster.ts';
import type { HttpTally } from './client.ts';
import { readEvents, snapshot } from './evidence.ts';
import type { CrashSettings } from './settings.ts';
import type { CrashStore } from './store.ts';
import { verify, type Expectations, type Verdict } from './verify.ts';

export interface PhaseResult {
  name: string;
  verdict: Verdict;
  kills: number;
  tally?: HttpTally;
  /** Measured figures worth a line in the report (latencies, counts). */
  notes: string[];
}

export interface PhaseSetup {
  name: string;
  backends: string[];
  spoolersPerBackend: number;
  /** `qspool serve` replicas on the one store (default 1). */
  servers?: number;
  env?: Record<string, string>;
  /** Where processes find the store (a symlink in the outage phase); `<phase>/data` by default. */
  dataDir?: string;
}

export class Phase {
  readonly dir: string;
  readonly dataDir: string;
  readonly logDir: string;
  /** QSPOOL_STORE_FILE of every process when the store is their primary. */
  readonly storeFile: string;
  readonly cluster: Cluster;
  readonly notes: string[] = [];
  readonly problems: string[] = [];
  private readonly startedAt = Date.now();

  constructor(
    runDir: string,
    readonly settings: CrashSettings,
    readonly setup: PhaseSetup,
    readonly store: CrashStore,
  ) {
    this.dir = join(runDir, setup.name);
    this.dataDir = setup.dataDir ?? join(this.dir, 'data');
    this.logDir = join(this.dir, 'logs');
    this.storeFile = join(this.dir, 'store.json');
    const registered = store.registration(setup.name);
    const shared = store.primary !== undefined;
    this.cluster = new Cluster({
      dataDir: this.dataDir,
      ownDataDirs: shared,
      logDir: this.logDir,
      backends: setup.backends,
      spoolersPerBackend: setup.spoolersPerBackend,
      ...(setup.servers ? { servers: setup.servers } : {}),
      ...(registered ? { provider: registered.name } : {}),
      env: {
        // Registry logins are sealed with it; server, spoolers and CLI of a phase share it.
        QSPOOL_SECRET_KEY: randomBytes(32).toString('hex'),
        QSPOOL_LEASE_MS: String(settings.leaseMs),
        QSPOOL_POLL_MS: String(settings.pollMs),
        QSPOOL_MAX_ATTEMPTS: String(settings.maxAttempts),
        // The harness is the only client: no rate limit, no queue quota, cheap password hashing.
        QSPOOL_RATE_PER_SECOND: '0',
        QSPOOL_MAX_QUEUED_PER_USER: '1000000',
        QSPOOL_SCRYPT_LOG_N: '10',
        ...(shared ? { QSPOOL_STORE_FILE: this.storeFile } : {}),
        ...setup.env,
      },
    });
  }

  /**
   * Creates the phase's directories and, on a remote store, registers it as an admin would (`qspool storage add`)
   * or, when it is the processes' primary store, writes their QSPOOL_STORE_FILE.
   */
  async prepare(): Promise<void> {
    await mkdir(this.logDir, { recursive: true });
    const primary = this.store.primary?.(this.setup.name);
    if (primary) await writeFile(this.storeFile, JSON.stringify(primary), { mode: 0o600 });
    this.progress(`starting on the ${this.store.type} store${primary ? ' as every process\'s primary store, each on a data directory of its own' : ''}`);
    const registered = this.store.registration(this.setup.name);
    if (registered) {
      await this.cluster.cli(['storage', 'add', '--name', registered.name, '--type', registered.type, '--login', JSON.stringify(registered.login)]);
    }
  }

  /** A progress line on stderr, so a slow run shows where its time goes. */
  progress(step: string): void {
    process.stderr.write(`  [${this.setup.name} +${((Date.now() - this.startedAt) / 1000).toFixed(1)} s] ${step}\n`);
  }

  /** Opens the phase's store as the harness sees it (for direct enqueueing and for the verdict). */
  storage(): Promise<StorageProvider> {
    return createProvider(this.store.spec(this.setup.name, this.dataDir));
  }

  /** Opens the server's own store: the phase's store when it is the primary, else the local store in the data directory. */
  primaryStorage(): Promise<StorageProvider> {
    return this.store.primary ? this.storage() : createProvider({ type: 'local', root: this.dataDir, fsync: false });
  }

  /** Waits until no job of the phase's backends is queued or running; false if some still are after `timeoutMs`. */
  async drained(timeoutMs: number): Promise<boolean> {
    const storage = await this.storage();
    const deadline = Date.now() + timeoutMs;
    try {
      for (let quiet = 0; quiet < 2; ) {
        let busy = 0;
        for (const backend of this.setup.backends) {
          busy += (await storage.list(ns.queued(backend), { limit: 1 })).length;
          busy += (await storage.list(ns.running(backend), { limit: 1 })).length;
        }
        quiet = busy === 0 ? quiet + 1 : 0;
        if (Date.now() > deadline) return false;
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      return true;
    } finally {
      await storage.close();
    }
  }

  /** Stops every process with SIGTERM (a graceful stop is part of the proof), then judges storage and logs. */
  async finish(acknowledged: string[], expect: Expectations = {}, extra: { paused?: number[]; tally?: HttpTally } = {}): Promise<PhaseResult> {
    this.progress('stopping every process with SIGTERM, then verifying');
    const shutdownStarted = Date.now();
    const unclean = await this.cluster.stop();
    this.notes.push(`graceful stop of every process: ${Date.now() - shutdownStarted} ms`);
    const storage = await this.storage();
    const jobs = await snapshot(storage, this.setup.backends);
    // A projection left a step behind (a kill or an outage after a move) is repaired by the first read, as the server reads it.
    const lifecycle = new JobLifecycle(storage);
    let repaired = 0;
    for (const job of jobs.values()) {
      if (!job.record || (job.status?.status === job.record.state && job.status.seq === job.record.seq)) continue;
      job.status = await lifecycle.getStatus(job.backend, job.id);
      repaired += 1;
    }
    if (repaired > 0) this.notes.push(`${repaired} status projections a step behind (a kill or outage between a move and its status write), repaired on read`);
    await storage.close();
    const events = await readEvents(this.logDir);
    const fenced = events.filter((e) => e.event === 'job.lease_lost').length;
    if (fenced > 0) this.notes.push(`${fenced} attempts fenced out after losing their lease (published nothing)`);
    const verdict = verify({
      acknowledged,
      jobs,
      events,
      kills: this.cluster.kills,
      ...(extra.paused ? { paused: extra.paused } : {}),
      leaseMs: this.settings.leaseMs,
      pollMs: this.settings.pollMs,
      slackMs: this.settings.slackMs,
      maxAttempts: this.settings.maxAttempts,
      expect,
    });
    verdict.violations.push(...this.problems, ...unclean, ...this.cluster.unexpectedExits);
    for (const error of extra.tally?.serverErrors ?? []) verdict.violations.push(`server error: ${error}`);
    // For a post-mortem next to the data and logs (kept when the run fails or CRASH_KEEP=1).
    await writeFile(join(this.dir, 'verdict.json'), JSON.stringify({ kills: this.cluster.kills, paused: extra.paused ?? [], verdict }, null, 2));
    return { name: this.setup.name, verdict, kills: this.cluster.kills.length, notes: this.notes, ...(extra.tally ? { tally: extra.tally } : {}) };
  }
}

/** Random job documents: quick singlequdit (a few to a few hundred ms) and qubit jobs. */
export function quickJob(backend: string): Record<string, unknown> {
  if (backend === 'qubit') {
    return { experiment_0: { instructions: 'X(90), Y(45)', shots: 100, num_wires: 1, wire_order: 'sequential' } };
  }
  const atoms = 20 + Math.floor(Math.random() * 380);
  const experiment = { instructions: [['load', [0], [atoms]], ['rlx', [0], [Math.random() * 3]], ['measure', [0], []]], shots: 50, num_wires: 1, wire_order: 'interleaved' };
  return { experiment_0: experiment };
}

/** A singlequdit job of 1000 500-atom experiments (minutes), so it is surely still running when cancelled. */
export function slowJob(experiments = 1000): Record<string, unknown> {
  const experiment = { instructions: [['load', [0], [500]], ['sq_full', [0], [1e5, 3, 2]], ['measure', [0], []]], shots: 10, num_wires: 1, wire_order: 'interleaved' };
  return Object.fromEntries(Array.from({ length: experiments }, (_, i) => [`experiment_${i}`, experiment]));
}
