// A second storage provider for end-to-end tests: a local directory registered in the server's registry (as
// `qspool storage add` does) with a real spooler on it (as `qspool spooler --storage <name>` starts one).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../../config/logger.ts';
import type { Config } from '../../config/index.ts';
import type { RetryPolicy } from '../../schemas/retry-policy.ts';
import { providerRuntime, registryFor, startSpoolers } from '../../scripts/runtime.ts';
import type { Spooler } from '../../spooler/spooler.ts';
import type { StorageProvider } from '../../storage/contract.ts';
import { JobLifecycle } from '../../storage/lifecycle.ts';
import type { ProviderRegistry } from '../../storage/registry/index.ts';

/** For QSPOOL_SECRET_KEY: logins are stored encrypted. */
export const SECRET_KEY = 'a test key long enough for the registry';

export interface LabProvider {
  name: string;
  /** The registry on the server's storage, as the CLI opens it (a separate instance from the server's). */
  registry: ProviderRegistry;
  /** The lab's storage, opened here: what its spoolers see. */
  storage: StorageProvider;
  /** Stops the lab's spoolers (jobs then stay queued); `resume` starts fresh ones. */
  pause(): Promise<void>;
  resume(): Promise<void>;
  stop(): Promise<void>;
}

export async function startLabProvider(primary: StorageProvider, config: Config, name: string, backends: string[]): Promise<LabProvider> {
  const dir = await mkdtemp(join(tmpdir(), `qspool-${name}-`));
  const runtime = { config, logger: createLogger('silent'), storage: primary };
  const registry = registryFor(runtime);
  await registry.add({ name, type: 'local', login: { base_path: dir, fsync: false }, description: `Test lab ${name}` });
  const lab = await providerRuntime(runtime, registry, name);
  let spoolers: Spooler[] = [];
  const pause = async () => {
    await Promise.all(spoolers.map((spooler) => spooler.stop()));
    spoolers = [];
  };
  const resume = async () => {
    spoolers = startSpoolers(lab, backends);
    await Promise.all(spoolers.map((spooler) => spooler.start()));
  };
  await resume();
  return {
    name,
    registry,
    storage: lab.storage,
    pause,
    resume,
    async stop() {
      await pause();
      await registry.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

const ONE_ATTEMPT: RetryPolicy = { max_attempts: 1, base_delay_ms: 0, factor: 1, max_delay_ms: 0, exit_codes: [75], timeouts: false, lease_expiry: true };

/**
 * Fails every job queued for `display` on the lab's storage in its only attempt, as a paused lab's spooler would report
 * a device error: each becomes a dead letter. Answers their ids.
 */
export async function deadLetterQueued(storage: StorageProvider, display: string): Promise<string[]> {
  const lifecycle = new JobLifecycle(storage);
  const ids: string[] = [];
  for (let claim = await lifecycle.claim(display, 'spooler'); claim; claim = await lifecycle.claim(display, 'spooler')) {
    await lifecycle.failAttempt(claim, { kind: 'exit-code', exitCode: 75, message: 'device error' }, ONE_ATTEMPT);
    ids.push(claim.record.id);
  }
  return ids;
}
