// What every long-running command shares: configuration, logger, the storage it opens, and a clean stop on
// SIGINT/SIGTERM (a second signal exits at once), which leaves no external runtime running.
import type { ChildProcess } from 'node:child_process';
import { subscribe } from 'node:diagnostics_channel';
import { join } from 'node:path';
import { backendBound, backendList, backendSetting, loadConfig, namedBackends, retryPolicy, signs, type Config } from '../config/index.ts';
import { createLogger, type Logger } from '../config/logger.ts';
import { builtinBackends, createBackend } from '../spooler/backends/index.ts';
import { ExternalRuntime, outputBound, withRuntime } from '../spooler/runtime/index.ts';
import { signalGroup } from '../spooler/runtime/process.ts';
import { Signer } from '../spooler/signing/keys.ts';
import { Spooler } from '../spooler/spooler.ts';
import type { StorageProvider } from '../storage/contract.ts';
import { createProvider } from '../storage/factory.ts';
import { JobLifecycle } from '../storage/lifecycle.ts';
import type { ProviderRegistry } from '../storage/registry/index.ts';
import { loadSqoolerKey } from '../storage/sqooler/signing-key.ts';
import { SqoolerLifecycle } from '../storage/sqooler/spooler-lifecycle.ts';
import { SqoolerView } from '../storage/sqooler/view.ts';
import { primarySpec } from '../server/services/primary-store.ts';
import { providerRegistry } from '../server/services/providers.ts';
import { ns } from '../storage/records.ts';

export interface Runtime {
  config: Config;
  logger: Logger;
  storage: StorageProvider;
}

export function openRuntime(overrides: Record<string, unknown> = {}, logs: { sync?: boolean } = {}): Promise<Runtime> {
  return runtimeFor(loadConfig(process.env, overrides), logs);
}

/** The logger and the primary store of a configuration already loaded; `logs.sync` as in createLogger. */
export async function runtimeFor(config: Config, logs: { sync?: boolean } = {}): Promise<Runtime> {
  const logger = createLogger(config.LOG_LEVEL, 'qspool', logs);
  const storage = await createProvider(primarySpec(config));
  return { config, logger, storage };
}

export function demoTokenFile(config: Config): string {
  return join(config.QSPOOL_DATA_DIR, 'demo-token');
}

/**
 * What is wrong with a list of backend names (`unknown backend "nosuch"; known: …`), or undefined: checked before
 * anything opens, so the message can name where the list came from.
 */
export function backendNamesProblem(names: string[]): string | undefined {
  const unknown = names.filter((name) => !builtinBackends.has(name));
  if (unknown.length === 0) return undefined;
  return `unknown backend ${unknown.map((name) => JSON.stringify(name)).join(', ')}; known: ${[...builtinBackends.keys()].join(', ')}`;
}

/**
 * The variables that name a backend that does not exist (`QSPOOL_SIGN: unknown backend "fermion"; known: …`), or
 * undefined: checked, like QSPOOL_BACKENDS, before anything opens.
 */
export function namedBackendsProblem(config: Config): string | undefined {
  const unknown = namedBackends(config).filter(({ backend }) => !builtinBackends.has(backend));
  if (unknown.length === 0) return undefined;
  const problems = unknown.map(({ variable, backend }) => `${variable}: unknown backend ${JSON.stringify(backend)}`);
  return `${problems.join('; ')}; known: ${[...builtinBackends.keys()].join(', ')}`;
}

export function startSpoolers(runtime: Runtime, names = backendList(runtime.config)): Spooler[] {
  const { config, logger, storage } = runtime;
  // Spoolers go on once a transition is committed: nobody waits for their acknowledgement (see awaitDurability).
  // On a sqooler-layout provider the spooler claims and settles jobs in sqooler's documents and signs as sqooler
  // does (sqooler's JWS in the config and result documents, its JWK among the public keys), not with qspool's.
  const sqooler = storage instanceof SqoolerView;
  // Leases are taken back by this process's own clock too, never by the expiry another host's clock wrote alone.
  const reaperClock = () => performance.now();
  const sqoolerKeys = (signed: string[]) =>
    new Map(signed.map((name) => [name, loadSqoolerKey(name, backendSetting(config, 'QSPOOL_SIGNING_KEY', name), config.QSPOOL_DATA_DIR)] as const));
  const lifecycle =
    sqooler
      ? new SqoolerLifecycle(storage, {
          leaseMs: config.QSPOOL_LEASE_MS,
          maxAttempts: config.QSPOOL_MAX_ATTEMPTS,
          keys: sqoolerKeys(names.filter((name) => signs(config, name))),
          reaperClock,
        })
      : new JobLifecycle(storage, {
          leaseMs: config.QSPOOL_LEASE_MS,
          maxAttempts: config.QSPOOL_MAX_ATTEMPTS,
          agingMs: config.QSPOOL_PRIORITY_AGING_MS,
          awaitDurability: false,
          reaperClock,
          onSetAside: (backend, key, from) => {
            logger.error({ backend, key, from, to: ns.damaged(backend) }, 'set aside a document that is no job a spooler can take');
          },
        });
  return names.map((name) => {
    const options = { qubitMode: config.QSPOOL_QUBIT_MODE };
    const backend = createBackend(name, options);
    if (!backend) throw new Error(`Unknown backend ${name}; known: ${[...builtinBackends.keys()].join(', ')}`);
    // A runtime configured for a backend serves all its jobs; qubit's verbatim mode says one must be configured.
    const command = backendSetting(config, 'QSPOOL_RUNTIME', name);
    if (name === 'qubit' && config.QSPOOL_QUBIT_MODE === 'verbatim' && !command) {
      throw new Error('QSPOOL_QUBIT_MODE=verbatim hands qubit jobs to an external runtime: set QSPOOL_RUNTIME_QUBIT to its command');
    }
    const timeLimitS = backendBound(config, 'QSPOOL_JOB_TIME_LIMIT_S', name);
    // The spooler stops a job at its time limit (1 min by default) whatever the runtime timeout (10 min): the runtime
    // is told the shorter of the two, the time it really has (timeout_ms, QSPOOL_TIMEOUT_MS).
    const timeoutMs = Math.min(config.QSPOOL_RUNTIME_TIMEOUT_MS, timeLimitS * 1000);
    const maxResultBytes = backendBound(config, 'QSPOOL_MAX_RESULT_BYTES', name);
    const external = command
      ? new ExternalRuntime(name, { command, timeoutMs, killGraceMs: RUNTIME_KILL_GRACE_MS, maxStdoutBytes: outputBound(maxResultBytes) })
      : undefined;
    const signer = signs(config, name) && !sqooler ? Signer.load(name, backendSetting(config, 'QSPOOL_SIGNING_KEY', name), config.QSPOOL_DATA_DIR) : undefined;
    return new Spooler({
      lifecycle,
      backend: external ? withRuntime(backend, external) : backend,
      ...(signer ? { signer } : {}),
      providerName: config.QSPOOL_PROVIDER_NAME,
      logger,
      pollMs: config.QSPOOL_POLL_MS,
      shutdownGraceMs: config.QSPOOL_SHUTDOWN_GRACE_S * 1000,
      maxInstructions: config.QSPOOL_MAX_INSTRUCTIONS,
      maxHilbertDimension: config.QSPOOL_MAX_HILBERT_DIMENSION,
      maxSamples: backendBound(config, 'QSPOOL_MAX_SAMPLES', name),
      maxResultBytes,
      timeLimitS,
      retry: retryPolicy(config, name),
      // Experiments run in a worker thread that builds the same backend, so long simulations never starve renewals;
      // an external runtime is a process of its own already.
      ...(external ? {} : { isolate: { module: new URL('../spooler/backends/index.ts', import.meta.url).href, exportName: 'createBackend', args: [name, options] } }),
    });
  });
}

/** Between the SIGTERM and the SIGKILL an external runtime gets when it must stop (to leave its device safe). */
const RUNTIME_KILL_GRACE_MS = 2000;

/** Child processes still running: external runtimes, each the leader of a process group of its own. */
const children = new Set<ChildProcess>();
let followingChildren = false;

/**
 * External runtimes run in process groups of their own (spooler/runtime/process.ts), which neither a Ctrl-C nor this
 * process's death reaches, and the timer that would SIGKILL one after its SIGTERM dies with this process. So every
 * child started from now on is followed, and the groups of those still running are killed as the process exits,
 * however it exits. Their jobs are not lost: a job whose spooler could not hand it back returns to the queue when
 * its lease expires.
 */
function killChildGroupsOnExit(): void {
  if (followingChildren) return;
  followingChildren = true;
  subscribe('child_process', (message) => {
    const child = (message as { process: ChildProcess }).process;
    children.add(child);
    child.once('exit', () => children.delete(child));
  });
  process.once('exit', () => {
    for (const child of children) signalGroup(child.pid, 'SIGKILL');
  });
}

/** Resolves once every followed child has exited (a stopped spooler has sent its runtime SIGTERM), or after `ms`. */
async function childrenExited(ms: number): Promise<void> {
  if (children.size === 0) return;
  let timer: NodeJS.Timeout | undefined;
  const exits = [...children].map((child) => new Promise<void>((resolve) => child.once('exit', () => resolve())));
  await Promise.race([Promise.all(exits), new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}

/**
 * Runs `stop`, then exits: 0 once it is done, 1 if it failed. Runtimes told to stop get their grace period first;
 * whatever is left of them is killed on exit.
 */
export function stopAndExit(logger: Logger, stop: () => Promise<void>): void {
  stop()
    .then(
      () => 0,
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        return 1;
      },
    )
    .then(async (code) => {
      await childrenExited(RUNTIME_KILL_GRACE_MS);
      process.exit(code);
    });
}

/** How long a second signal leaves running jobs to be handed back before the process exits all the same. */
const HURRIED_EXIT_MS = 3000;

/**
 * Runs `stop` once on the first SIGINT or SIGTERM, then exits. A second signal calls `hurry` (the spoolers stop their
 * jobs and hand them back now instead of after their grace period, so no job waits out its lease for another spooler)
 * and exits within HURRIED_EXIT_MS; a third, or a second without `hurry`, exits at once. The process groups of the
 * external runtimes still running are killed either way.
 */
export function onShutdown(logger: Logger, stop: () => Promise<void>, hurry?: () => void): void {
  killChildGroupsOnExit();
  let signals = 0;
  const handler = (signal: NodeJS.Signals) => {
    signals += 1;
    if (signals === 1) {
      logger.info({ signal }, 'shutting down');
      stopAndExit(logger, stop);
    } else if (signals === 2 && hurry) {
      logger.warn({ signal, exitWithinMs: HURRIED_EXIT_MS }, 'handing running jobs back now; another signal exits at once');
      hurry();
      setTimeout(() => exitAtOnce(logger, signal), HURRIED_EXIT_MS).unref();
    } else {
      exitAtOnce(logger, signal);
    }
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
}

function exitAtOnce(logger: Logger, signal: NodeJS.Signals): void {
  logger.warn({ signal, runtimes: children.size }, 'stopping at once; killing the runtimes still running');
  process.exit(130);
}

/** A promise that never settles: what start-up awaits once the command is stopping (the shutdown exits the process). */
function halted(): Promise<never> {
  return new Promise<never>(() => undefined);
}

/**
 * What a long-running command has started (storage, server, metrics endpoint, spoolers), stopped latest first. It is
 * made, and its stop bound to SIGINT and SIGTERM, before anything starts: a signal during start-up stops what runs
 * already, and a part that fails to start stops the others before the command fails, so a failed start never leaves
 * a spooler holding a job or a runtime process behind.
 */
export class Lifetime {
  private readonly stops: (() => Promise<void>)[] = [];
  /** Parts still starting: a stop waits for them, then stops them too. */
  private readonly starting = new Set<Promise<unknown>>();
  private stopping: Promise<void> | undefined;

  constructor(private readonly logger: Logger) {}

  /** Something running already (the storage a command opened to read its configuration); stopped last. */
  add(stop: () => Promise<void>): void {
    this.stops.push(stop);
  }

  /**
   * Starts a part and keeps its stop; a step without one (writing a file to the storage) is still waited for before
   * anything stops. If it fails, what started is stopped before the error goes on. Once the command is stopping,
   * start-up goes no further: the promise never settles, and the shutdown exits.
   */
  async start<T>(start: () => Promise<T>, stop?: (part: T) => Promise<void>): Promise<T> {
    if (this.stopping) return halted();
    const starting = start().then((part) => {
      if (stop) this.stops.push(() => stop(part));
      return part;
    });
    this.starting.add(starting);
    try {
      const part = await starting;
      if (!this.stopping) return part;
    } catch (error) {
      if (!this.stopping) {
        await this.stop().catch((failure: unknown) => this.logger.error({ err: failure }, 'could not stop what had started'));
        throw error;
      }
      this.logger.warn({ err: error }, 'a part failed to start while the command was stopping');
    } finally {
      this.starting.delete(starting);
    }
    return halted();
  }

  /** Stops every part that started, latest first; every part is stopped even if one fails, whose error then goes on. */
  stop(): Promise<void> {
    this.stopping ??= this.stopParts();
    return this.stopping;
  }

  private async stopParts(): Promise<void> {
    await Promise.allSettled(this.starting);
    const failures: unknown[] = [];
    for (const stop of this.stops.reverse()) await stop().catch((error: unknown) => failures.push(error));
    if (failures.length > 0) throw failures[0];
  }
}

/** Starts the spoolers together; if one fails, those that started are stopped (their jobs handed back) first. */
export async function startAll(spoolers: Spooler[]): Promise<void> {
  const started = await Promise.allSettled(spoolers.map((spooler) => spooler.start()));
  const failed = started.find((outcome) => outcome.status === 'rejected');
  if (!failed) return;
  await stopAll(spoolers.filter((_, at) => started[at]!.status === 'fulfilled'));
  throw failed.reason;
}

export async function stopAll(spoolers: Spooler[]): Promise<void> {
  await Promise.all(spoolers.map((spooler) => spooler.stop()));
}

/** What a second signal asks of stopping spoolers: their jobs handed back now (see onShutdown). */
export function hurryAll(spoolers: Spooler[]): void {
  for (const spooler of spoolers) spooler.hurry();
}

/** The registry of storage providers, kept on the primary storage. */
export function registryFor(runtime: Runtime): ProviderRegistry {
  return providerRegistry(runtime.storage, runtime.config);
}

/**
 * The runtime of spoolers on a registered provider: its storage, and its name as the provider part of their full
 * backend names (`lab1_fermions_simulator`), which is how the server addresses them.
 */
export async function providerRuntime(runtime: Runtime, registry: ProviderRegistry, name: string): Promise<Runtime> {
  return { ...runtime, storage: await registry.open(name), config: { ...runtime.config, QSPOOL_PROVIDER_NAME: name } };
}

export async function openRegistry(): Promise<{ registry: ProviderRegistry; close(): Promise<void> }> {
  const runtime = await openRuntime({ LOG_LEVEL: 'warn' });
  const registry = registryFor(runtime);
  return {
    registry,
    close: async () => {
      await registry.close();
      await runtime.storage.close();
    },
  };
}
