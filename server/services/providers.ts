// Storage providers as the admin pages see them: list, test, activate, deactivate. This is the interface the full
// registry (storage/registry: named provider configurations with encrypted logins, DESIGN §4) is to be served
// through; until then PrimaryProviderRegistry serves the one provider this server runs on, with its `active` flag
// kept in storage so every server on that storage agrees. The flag lives in `provider-state/<name>`, not in
// `providers/`, which holds the registry's own entries (a second document there would list the primary twice).
import { randomBytes } from 'node:crypto';
import { ConflictError, NotFoundError } from '../../schemas/errors.ts';
import type { StorageProvider } from '../../storage/contract.ts';

export const PROVIDER_STATE_NS = 'provider-state';
/** Probe documents written and removed by `test`, away from the providers' own documents. */
const PROBES_NS = 'probes';

export interface ProviderInfo {
  name: string;
  /** Provider type: local, s3, mongodb, dropbox. */
  type: string;
  description: string;
  /** Inactive providers' backends are hidden from backend listings. */
  active: boolean;
  /** True for the storage this server itself runs on. */
  primary: boolean;
}

export interface ProviderTestResult {
  name: string;
  ok: boolean;
  /** Time taken by the write, read and delete of a probe document. */
  latency_ms: number;
  message: string;
}

/** What the admin pages and BackendService need from a provider registry. */
export interface ProviderRegistry {
  /** Every provider, in name order. */
  list(): Promise<ProviderInfo[]>;
  /** NotFoundError for unknown names. */
  get(name: string): Promise<ProviderInfo>;
  /** Writes, reads back and deletes a probe document; never throws for storage trouble, it reports it. */
  test(name: string): Promise<ProviderTestResult>;
  setActive(name: string, active: boolean): Promise<ProviderInfo>;
  /** Cheap: asked on every backend listing. Unknown names are inactive. */
  isActive(name: string): Promise<boolean>;
}

interface ProviderDocument {
  active: boolean;
  updatedAt: string;
}

export class PrimaryProviderRegistry implements ProviderRegistry {
  constructor(
    private readonly storage: StorageProvider,
    private readonly name: string,
  ) {}

  async list(): Promise<ProviderInfo[]> {
    return [await this.get(this.name)];
  }

  async get(name: string): Promise<ProviderInfo> {
    this.assertKnown(name);
    const stored = await this.storage.get<ProviderDocument>(PROVIDER_STATE_NS, name);
    return {
      name,
      type: this.storage.type,
      description: 'The storage this server runs on',
      // A provider nobody has switched yet is active: a fresh install works without an admin step.
      active: stored?.value.active ?? true,
      primary: true,
    };
  }

  async test(name: string): Promise<ProviderTestResult> {
    this.assertKnown(name);
    const started = performance.now();
    const key = `${name}-${randomBytes(6).toString('hex')}`;
    try {
      const written = { at: new Date().toISOString() };
      await this.storage.put(PROBES_NS, key, written, { ifAbsent: true });
      const read = await this.storage.get<typeof written>(PROBES_NS, key);
      await this.storage.delete(PROBES_NS, key);
      const ok = read?.value.at === written.at;
      return { name, ok, latency_ms: Math.round(performance.now() - started), message: ok ? 'write, read and delete succeeded' : 'the probe read back differently' };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      return { name, ok: false, latency_ms: Math.round(performance.now() - started), message };
    }
  }

  async setActive(name: string, active: boolean): Promise<ProviderInfo> {
    this.assertKnown(name);
    const document: ProviderDocument = { active, updatedAt: new Date().toISOString() };
    // Last writer wins is right for an on/off switch, but a create-only first write keeps two racing servers
    // from failing on each other's put.
    for (;;) {
      const current = await this.storage.get<ProviderDocument>(PROVIDER_STATE_NS, name);
      try {
        if (current) await this.storage.replace(PROVIDER_STATE_NS, name, document, current.version);
        else await this.storage.put(PROVIDER_STATE_NS, name, document, { ifAbsent: true });
        break;
      } catch (error) {
        if (!(error instanceof ConflictError || error instanceof NotFoundError)) throw error;
      }
    }
    return this.get(name);
  }

  async isActive(name: string): Promise<boolean> {
    if (name !== this.name) return false;
    return (await this.storage.get<ProviderDocument>(PROVIDER_STATE_NS, name))?.value.active ?? true;
  }

  private assertKnown(name: string): void {
    if (name !== this.name) throw new NotFoundError(`No storage provider ${name}`);
  }
}
