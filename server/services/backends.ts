// Backends as the server sees them: the configs spoolers published, found by qlued-style names, with a live
// status computed from heartbeats and the queue.
import type { BackendConfig, BackendStatus } from '../../schemas/backend-config.ts';
import { fullBackendName } from '../../schemas/backend-config.ts';
import type { StorageProvider } from '../../storage/contract.ts';
import { type HeartbeatRecord, ns } from '../../storage/records.ts';

export interface ResolvedBackend {
  provider: string;
  display: string;
  fullName: string;
  config: BackendConfig;
}

export interface BackendLiveStatus extends BackendStatus {
  last_heartbeat: string | null;
}

const PROVIDER = /^[a-z0-9]+$/;
const DISPLAY = /^[a-z0-9]+$/;

export class BackendService {
  constructor(
    private readonly storage: StorageProvider,
    private readonly providerName: string,
    private readonly heartbeatTimeoutMs: number,
    /** Whether a storage provider is active (services/providers.ts); an inactive one's backends are not listed. */
    private readonly providerActive: (provider: string) => Promise<boolean> = async () => true,
  ) {}

  /** qlued's naming: `display` on the default provider, or `provider_display_anything`. */
  parseName(name: string): { provider: string; display: string } | undefined {
    const parts = name.split('_');
    const [provider, display] = parts.length === 1 ? [this.providerName, parts[0]!] : parts.length === 3 ? [parts[0]!, parts[1]!] : [];
    if (!provider || !display || !PROVIDER.test(provider) || !DISPLAY.test(display)) return undefined;
    return { provider, display };
  }

  /** The display name a qlued-style name addresses on this server's provider, if it does. */
  displayName(name: string): string | undefined {
    const parsed = this.parseName(name);
    return parsed && parsed.provider === this.providerName ? parsed.display : undefined;
  }

  async resolve(name: string): Promise<ResolvedBackend | undefined> {
    const display = this.displayName(name);
    if (!display) return undefined;
    const stored = await this.storage.get<BackendConfig>(ns.configs, display);
    if (!stored) return undefined;
    const provider = this.providerName;
    return { provider, display, fullName: fullBackendName(provider, stored.value), config: stored.value };
  }

  /**
   * Every published backend, in name order; test fixtures named *dummy* are hidden as in qlued, and so is every
   * backend of a deactivated storage provider unless `includeInactive`.
   */
  async list(options: { includeInactive?: boolean } = {}): Promise<ResolvedBackend[]> {
    if (!options.includeInactive && !(await this.providerActive(this.providerName))) return [];
    const names = (await this.storage.list(ns.configs)).filter((name) => !name.includes('dummy'));
    const found = await Promise.all(names.map((name) => this.resolve(name)));
    return found.filter((backend): backend is ResolvedBackend => backend !== undefined);
  }

  async queueDepth(display: string): Promise<number> {
    let count = 0;
    for (let after: string | undefined; ; ) {
      const page = await this.storage.list(ns.queued(display), { limit: 1000, ...(after ? { after } : {}) });
      count += page.length;
      if (page.length < 1000) return count;
      after = page[page.length - 1];
    }
  }

  /** The heartbeats of a backend's spoolers (at most 100), for the admin pages. */
  async heartbeats(display: string): Promise<HeartbeatRecord[]> {
    const spoolers = await this.storage.list(ns.heartbeats(display), { limit: 100 });
    const beats = await Promise.all(spoolers.map((id) => this.storage.get<HeartbeatRecord>(ns.heartbeats(display), id)));
    return beats.flatMap((beat) => (beat ? [beat.value] : []));
  }

  async lastHeartbeat(display: string): Promise<string | null> {
    const spoolers = await this.storage.list(ns.heartbeats(display), { limit: 100 });
    const beats = await Promise.all(spoolers.map((id) => this.storage.get<HeartbeatRecord>(ns.heartbeats(display), id)));
    const times = beats.flatMap((beat) => (beat ? [beat.value.at] : [])).sort();
    return times.at(-1) ?? null;
  }

  /** Whether a spooler looked at the queue recently; cheap (no queue count), for backend lists. */
  async liveness(backend: ResolvedBackend): Promise<Pick<BackendLiveStatus, 'operational' | 'last_heartbeat'>> {
    const last = await this.lastHeartbeat(backend.display);
    return { operational: last !== null && Date.now() - Date.parse(last) < this.heartbeatTimeoutMs, last_heartbeat: last };
  }

  async status(backend: ResolvedBackend): Promise<BackendLiveStatus> {
    const [pending, { operational, last_heartbeat: last }] = await Promise.all([this.queueDepth(backend.display), this.liveness(backend)]);
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
