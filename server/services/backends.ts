// Backends as the server sees them: the configs spoolers published on each storage provider, found by qlued-style
// names (`<provider>_<display>_<kind>`, or the bare display name on the server's own storage), with a live status
// computed from heartbeats and the queue on that provider.
import type { BackendConfig, BackendStatus } from '../../schemas/backend-config.ts';
import { fullBackendName, isDisplayName } from '../../schemas/backend-config.ts';
import { ConflictError } from '../../schemas/errors.ts';
import { type HeartbeatRecord, ns } from '../../storage/records.ts';
import { PROVIDER_STATE_NS } from '../../storage/registry/index.ts';
import { RevisionCache } from '../../storage/revision-cache.ts';
import { VersionedCache } from '../../storage/versioned-cache.ts';
import { configProblem } from './config-check.ts';
import type { EachOptions, ProviderSite, SiteLookup } from './providers.ts';

export interface ResolvedBackend {
  provider: string;
  /** What this server calls it: the display name on the primary storage, the full qlued name on any other. */
  name: string;
  display: string;
  fullName: string;
  config: BackendConfig;
  /** Whether its provider is active: an inactive provider's backends are not listed and take no jobs. */
  active: boolean;
  site: ProviderSite;
}

export interface BackendLiveStatus extends BackendStatus {
  last_heartbeat: string | null;
}

export interface ProviderListing<T> {
  items: T[];
  /** Registered providers whose backends could not be read just now, by name. */
  unreachable: string[];
}

const PROVIDER = /^[a-z0-9]{1,32}$/;
/** The last part of a full name (schemas/backend-config.ts, fullBackendName). */
const KINDS = ['simulator', 'hardware'];

/** Refuses jobs for a backend whose provider an administrator deactivated (409, provider_inactive). */
export function assertAcceptsJobs(backend: ResolvedBackend): void {
  if (!backend.active) {
    throw new ConflictError(
      `${backend.fullName} takes no jobs: its storage provider ${backend.provider} has been deactivated by an administrator`,
      'provider_inactive',
    );
  }
}

function isHeartbeat(value: unknown): value is HeartbeatRecord {
  const at = (value as { at?: unknown } | null | undefined)?.at;
  return typeof at === 'string' && !Number.isNaN(Date.parse(at));
}

export class BackendService {
  /** Every submission reads its backend's config (schema included): parsed once per published version. */
  private readonly configs = new VersionedCache();
  /**
   * Every request also resolves its backend's name. On the primary that reads the primary's state and the config,
   * both in areas of the primary's store; other providers' summaries come from the registry and their configs from
   * their own stores, so their names are resolved afresh each time.
   */
  private readonly onPrimary: RevisionCache<ResolvedBackend>;

  constructor(
    private readonly sites: SiteLookup,
    private readonly heartbeatTimeoutMs: number,
    /** Told of a config that cannot be served (its backend is then unknown), each time it is read. */
    private readonly onUnusable?: (provider: string, display: string, problem: string) => void,
  ) {
    this.onPrimary = new RevisionCache(sites.primary.storage, [PROVIDER_STATE_NS, ns.configs]);
  }

  /**
   * qlued's naming: `display` on the server's own provider, or `provider_display_simulator|hardware` (whether the kind
   * is the backend's own, `resolve` checks against its config).
   */
  parseName(name: string): { provider: string; display: string } | undefined {
    const parts = name.split('_');
    const full = parts.length === 3 && KINDS.includes(parts[2]!);
    const [provider, display] = parts.length === 1 ? [this.sites.primaryName, parts[0]!] : full ? [parts[0]!, parts[1]!] : [];
    if (!provider || !display || !PROVIDER.test(provider) || !isDisplayName(display)) return undefined;
    return { provider, display };
  }

  /**
   * A backend of any registered provider, active or not (reading jobs and configs goes on); undefined if unknown.
   * A three-part name must be the backend's exact full name: `alqor_singlequdit_<anything>` is not singlequdit.
   */
  async resolve(name: string): Promise<ResolvedBackend | undefined> {
    const parsed = this.parseName(name);
    if (!parsed) return undefined;
    if (parsed.provider !== this.sites.primaryName) return this.resolveParsed(name, parsed);
    return this.onPrimary.get(name, () => this.resolveParsed(name, parsed));
  }

  private async resolveParsed(name: string, parsed: { provider: string; display: string }): Promise<ResolvedBackend | undefined> {
    const summary = await this.sites.summary(parsed.provider);
    if (!summary) return undefined;
    const backend = await this.resolveOn(await this.sites.get(parsed.provider), summary.active, parsed.display);
    return backend && (name === parsed.display || name === backend.fullName) ? backend : undefined;
  }

  /**
   * Every published backend of every provider, in name order within a provider, primary first; test fixtures named
   * *dummy* are hidden as in qlued, and so are the backends of deactivated providers unless `includeInactive`.
   */
  async list(options: EachOptions = {}): Promise<ResolvedBackend[]> {
    return (await this.sites.each((site, summary) => this.listOn(site, summary.active), options)).flat();
  }

  /**
   * What `read` gives for each backend `list` would list, read provider by provider: a registered provider that cannot
   * be read (its configs, or what `read` reads from it) is left out as a whole and named in `unreachable`.
   */
  async listEach<T>(read: (backend: ResolvedBackend) => Promise<T>, options: Pick<EachOptions, 'includeInactive'> = {}): Promise<ProviderListing<T>> {
    const unreachable = new Set<string>();
    const perProvider = await this.sites.each(async (site, summary) => Promise.all((await this.listOn(site, summary.active)).map(read)), {
      ...options,
      unreachable,
    });
    return { items: perProvider.flat(), unreachable: [...unreachable].sort() };
  }

  private async listOn(site: ProviderSite, active: boolean): Promise<ResolvedBackend[]> {
    // A key no backend could be named by (a stray file in another lab's store) is no backend.
    const names = (await site.storage.list(ns.configs)).filter((name) => isDisplayName(name) && !name.includes('dummy'));
    const backends = await Promise.all(names.map((display) => this.resolveOn(site, active, display)));
    return backends.filter((backend): backend is ResolvedBackend => backend !== undefined);
  }

  private async resolveOn(site: ProviderSite, active: boolean, display: string): Promise<ResolvedBackend | undefined> {
    const config = await this.configs.get<BackendConfig>(site.storage, ns.configs, display);
    if (!config) return undefined;
    const problem = configProblem(config);
    if (problem !== null) {
      this.onUnusable?.(site.name, display, problem);
      return undefined;
    }
    const fullName = fullBackendName(site.name, config);
    return { provider: site.name, name: site.primary ? display : fullName, display, fullName, config, active, site };
  }

  async queueDepth(backend: ResolvedBackend): Promise<number> {
    let count = 0;
    for (let after: string | undefined; ; ) {
      const page = await backend.site.storage.list(ns.queued(backend.display), { limit: 1000, ...(after ? { after } : {}) });
      count += page.length;
      if (page.length < 1000) return count;
      after = page[page.length - 1];
    }
  }

  /** The heartbeats of a backend's spoolers (at most 100), for the admin pages. */
  async heartbeats(backend: ResolvedBackend): Promise<HeartbeatRecord[]> {
    const { storage } = backend.site;
    const spoolers = await storage.list(ns.heartbeats(backend.display), { limit: 100 });
    const beats = await Promise.all(spoolers.map((id) => storage.get<HeartbeatRecord>(ns.heartbeats(backend.display), id)));
    // A damaged heartbeat is no spooler's.
    return beats.flatMap((beat) => (isHeartbeat(beat?.value) ? [beat.value] : []));
  }

  async lastHeartbeat(backend: ResolvedBackend): Promise<string | null> {
    const times = (await this.heartbeats(backend)).map((beat) => beat.at).sort();
    return times.at(-1) ?? null;
  }

  /** The spoolers serving the backend now: those whose heartbeat is recent. */
  async liveSpoolers(backend: ResolvedBackend): Promise<number> {
    return (await this.heartbeats(backend)).filter((beat) => Date.now() - Date.parse(beat.at) < this.heartbeatTimeoutMs).length;
  }

  /** Whether a spooler looked at the queue recently; cheap (no queue count), for backend lists. */
  async liveness(backend: ResolvedBackend): Promise<Pick<BackendLiveStatus, 'operational' | 'last_heartbeat'>> {
    const last = await this.lastHeartbeat(backend);
    return { operational: last !== null && Date.now() - Date.parse(last) < this.heartbeatTimeoutMs, last_heartbeat: last };
  }

  async status(backend: ResolvedBackend): Promise<BackendLiveStatus> {
    const [pending, { operational, last_heartbeat: last }] = await Promise.all([this.queueDepth(backend), this.liveness(backend)]);
    return {
      backend_name: backend.fullName,
      backend_version: backend.config.version,
      operational,
      pending_jobs: pending,
      status_msg: operational ? '' : 'No spooler has checked the queue recently.',
      last_heartbeat: last,
    };
  }
}
