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
  ) {}

  /** qlued's naming: `display` on the default provider, or `provider_display_anything`. */
  parseName(name: string): { provider: string; display: string } | undefined {
    const parts = name.split('_');
    const [provider, display] = parts.length === 1 ? [this.providerName, parts[0]!] : parts.length === 3 ? [parts[0]!, parts[1]!] : [];
    if (!provider || !display || !PROVIDER.test(provider) || !DISPLAY.test(display)) return undefined;
    return { provider, display };
  }

  async resolve(name: string): Promise<ResolvedBackend | undefined> {
    const parsed = this.parseName(name);
    if (!parsed || parsed.provider !== this.providerName) return undefined;
    const stored = await this.storage.get<BackendConfig>(ns.configs, parsed.display);
    if (!stored) return undefined;
    return { ...parsed, fullName: fullBackendName(parsed.provider, stored.value), config: stored.value };
  }

  /** Every published backend, in name order; test fixtures named *dummy* are hidden as in qlued. */
  async list(): Promise<ResolvedBackend[]> {
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

  async lastHeartbeat(display: string): Promise<string | null> {
    const spoolers = await this.storage.list(ns.heartbeats(display), { limit: 100 });
    const beats = await Promise.all(spoolers.map((id) => this.storage.get<HeartbeatRecord>(ns.heartbeats(display), id)));
    const times = beats.flatMap((beat) => (beat ? [beat.value.at] : [])).sort();
    return times.at(-1) ?? null;
  }

  async status(backend: ResolvedBackend): Promise<BackendLiveStatus> {
    const [pending, last] = await Promise.all([this.queueDepth(backend.display), this.lastHeartbeat(backend.display)]);
    const operational = last !== null && Date.now() - Date.parse(last) < this.heartbeatTimeoutMs;
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
