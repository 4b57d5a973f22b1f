// The storage providers the server serves, by name: the primary (the server's own storage) and every provider in
// the registry (storage/registry), each opened once, with the job lifecycle that works on it. Jobs live on their
// backend's provider, where that lab's spoolers see them; their id and owner indexes stay on the primary (with the
// provider's name in each entry), so users, tokens and job lists never depend on a lab's storage.
import type { Config } from '../../config/index.ts';
import type { Logger } from '../../config/logger.ts';
import { NotFoundError, StorageUnavailableError } from '../../schemas/errors.ts';
import type { StorageProvider } from '../../storage/contract.ts';
import { JobLifecycle, type LifecycleOptions } from '../../storage/lifecycle.ts';
import { ProviderRegistry, type ProviderSummary } from '../../storage/registry/index.ts';
import { SqoolerJobs } from '../../storage/sqooler/jobs.ts';
import { SqoolerView } from '../../storage/sqooler/view.ts';
import { configuredSecretKeys } from '../auth/server-key.ts';
import type { SecretKeys } from '../../storage/registry/secrets.ts';
import { primaryStore } from './primary-store.ts';

/**
 * What the server asks of the jobs on one provider: the job lifecycle on qspool's layout, SqoolerJobs on sqooler's
 * (where sqooler spoolers, not the lifecycle, claim and finish jobs).
 */
export type SiteJobs = Pick<
  JobLifecycle,
  'storage' | 'enqueue' | 'indexEntry' | 'find' | 'getStatus' | 'getResult' | 'listQueued' | 'cancel' | 'purge' | 'requeue'
>;

export interface ProviderSite {
  name: string;
  primary: boolean;
  storage: StorageProvider;
  lifecycle: SiteJobs;
}

/** How backends, job lists and job lookups find providers: ProviderSites in the server, singleSite in a spooler. */
export interface SiteLookup {
  readonly primaryName: string;
  readonly primary: ProviderSite;
  get(name: string | undefined): Promise<ProviderSite>;
  find(name: string | undefined): Promise<ProviderSite | undefined>;
  summary(name: string): Promise<Pick<ProviderSummary, 'active'> | undefined>;
  each<T>(visit: (site: ProviderSite, summary: Pick<ProviderSummary, 'active'>) => Promise<T>, options?: EachOptions): Promise<T[]>;
}

export interface EachOptions {
  /** Deactivated providers too. */
  includeInactive?: boolean;
  /** Given, the names of registered providers left out because they cannot be read just now are added to it. */
  unreachable?: Set<string>;
}

/** One storage and nothing else: what a spooler process's metrics endpoint reports on. */
export function singleSite(storage: StorageProvider, name: string): SiteLookup {
  const primary: ProviderSite = { name, primary: true, storage, lifecycle: new JobLifecycle(storage) };
  const known = (other: string | undefined) => other === undefined || other === name;
  return {
    primaryName: name,
    primary,
    get: async (other) => {
      if (!known(other)) throw new NotFoundError(`No storage provider named ${other}`);
      return primary;
    },
    find: async (other) => (known(other) ? primary : undefined),
    summary: async (other) => (known(other) ? { active: true } : undefined),
    each: async (visit) => [await visit(primary, { active: true })],
  };
}

/**
 * The registry on the server's primary store (primary-store.ts). Logins are sealed with the server's key:
 * QSPOOL_SECRET_KEY, or the key file the server generates, so `qspool storage add` and the server agree whichever of
 * them runs first.
 */
export function providerRegistry(storage: StorageProvider, config: Config): ProviderRegistry {
  let key: Promise<SecretKeys> | undefined;
  const primary = primaryStore(config);
  return new ProviderRegistry(storage, config.QSPOOL_PROVIDER_NAME, primary.login, () => (key ??= configuredSecretKeys(config)), primary.type);
}

export class ProviderSites implements SiteLookup {
  readonly primary: ProviderSite;
  /** Keyed by the opened storage: the registry caches openings (and drops removed providers), this follows it. */
  private readonly lifecycles = new WeakMap<StorageProvider, SiteJobs>();
  /** Providers whose failure was logged; listings ask every few seconds, the log needs it once. */
  private readonly failing = new Set<string>();

  constructor(
    readonly registry: ProviderRegistry,
    storage: StorageProvider,
    readonly primaryName: string,
    private readonly lifecycleOptions: LifecycleOptions,
    private readonly logger: Logger,
  ) {
    this.primary = { name: primaryName, primary: true, storage, lifecycle: new JobLifecycle(storage, lifecycleOptions) };
  }

  /** The site of a provider; `undefined` (an index entry without a provider) is the primary. NotFoundError if unknown. */
  async get(name: string | undefined): Promise<ProviderSite> {
    if (name === undefined || name === this.primaryName) return this.primary;
    const storage = await this.opened(name);
    let lifecycle = this.lifecycles.get(storage);
    if (!lifecycle) {
      lifecycle =
        storage instanceof SqoolerView
          ? new SqoolerJobs(storage)
          : new JobLifecycle(storage, { ...this.lifecycleOptions, index: { storage: this.primary.storage, provider: name } });
      this.lifecycles.set(storage, lifecycle);
    }
    return { name, primary: false, storage, lifecycle };
  }

  /**
   * The provider's storage, as its registry entry is now (the registry reads it at each opening, so a provider another
   * process removed, or added again with another login, is seen as such at once). One that cannot be opened (a login
   * this server cannot decrypt, a database it cannot connect to) answers 503; one removed, NotFoundError.
   */
  private async opened(name: string): Promise<StorageProvider> {
    try {
      return await this.registry.open(name);
    } catch (error) {
      if (error instanceof NotFoundError) throw error;
      this.unavailable(name, error);
      throw new StorageUnavailableError(`Storage provider ${name} cannot be opened right now`, undefined, { forCallers: true });
    }
  }

  /** Logs a provider's failure once, until it works again. */
  private unavailable(name: string, error: unknown): void {
    if (this.failing.has(name)) return;
    this.failing.add(name);
    this.logger.warn({ err: error, provider: name }, 'storage provider unavailable; left out of listings until it answers');
  }

  /** Like get, but undefined for a provider that is no longer registered (its jobs' index entries outlive it). */
  async find(name: string | undefined): Promise<ProviderSite | undefined> {
    try {
      return await this.get(name);
    } catch (error) {
      if (error instanceof NotFoundError) return undefined;
      throw error;
    }
  }

  /** The registry's view of a provider, or undefined for names it does not know. */
  async summary(name: string): Promise<ProviderSummary | undefined> {
    try {
      return await this.registry.summary(name);
    } catch (error) {
      if (error instanceof NotFoundError) return undefined;
      throw error;
    }
  }

  /**
   * What `visit` gives for every provider (only the active ones unless `includeInactive`), primary first. A registered
   * provider that cannot be opened or reached, or was removed meanwhile, is left out, so one broken lab does not take
   * every listing down (requests for its own backends answer 503); the primary's failures are the answer's.
   */
  async each<T>(visit: (site: ProviderSite, summary: ProviderSummary) => Promise<T>, options: EachOptions = {}): Promise<T[]> {
    const summaries = (await this.registry.summaries()).filter((summary) => options.includeInactive || summary.active);
    const visited = await Promise.all(
      summaries.map(async (summary) => {
        try {
          const value = await visit(await this.get(summary.name), summary);
          if (this.failing.delete(summary.name)) this.logger.info({ provider: summary.name }, 'storage provider answers again');
          return { value };
        } catch (error) {
          if (summary.primary || !(error instanceof StorageUnavailableError || error instanceof NotFoundError)) throw error;
          if (error instanceof StorageUnavailableError) {
            this.unavailable(summary.name, error);
            options.unreachable?.add(summary.name);
          }
          return undefined;
        }
      }),
    );
    return visited.flatMap((entry) => (entry ? [entry.value] : []));
  }

  /** Closes the registered providers this server opened (not the primary, which its owner closes). */
  close(): Promise<void> {
    return this.registry.close();
  }
}
