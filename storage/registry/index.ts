// The registry of named storage providers (qlued's StorageProviderDb): each entry has a name, a type, an owner,
// a description, an encrypted login and an `active` flag, and lives on the primary storage. The primary
// storage itself is always listed under the default provider name; like every provider it can be deactivated
// (its backends are then hidden and take no jobs) but, being where the registry lives, never removed. Its flag
// is kept in `provider-state/<name>`, since it has no entry of its own. Server and spoolers open providers by name.
import type { StorageProvider } from '../contract.ts';
import { ConflictError, InvalidKeyError, NotFoundError } from '../../schemas/errors.ts';
import { createProvider, type ProviderSpec } from '../factory.ts';
import { assertLogin, isProviderType, loginToSpec, redact, sqoolerMongoUri, type ProviderType } from './logins.ts';
import { createHash } from 'node:crypto';
import { eachKey } from './migrated-namespaces.ts';
import type { SealedKind } from './reseal.ts';
import { seal, unseal, type SealedLogin, type SecretKeys, type SecretKeysInput } from './secrets.ts';
import { SqoolerLocalFiles } from '../sqooler/local.ts';
import { SqoolerDropboxFiles } from '../sqooler/dropbox.ts';
import { SqoolerMongoFiles } from '../sqooler/mongodb.ts';
import { dropboxPaths, localPaths } from '../sqooler/paths.ts';
import { SqoolerView } from '../sqooler/view.ts';

export const PROVIDERS_NS = 'providers';
/** Where the primary's state (active or not) lives: what a summary of the primary reads, and all it reads. */
export const PROVIDER_STATE_NS = 'provider-state';
const NAME = /^[a-z0-9]{1,32}$/;

/**
 * How documents are laid out on a provider: qspool's own, or sqooler's (storage/sqooler/), which unmodified sqooler
 * spoolers and qlued read and write, for the providers sqooler has: local, Dropbox and MongoDB.
 */
const LAYOUTS = ['qspool', 'sqooler'] as const;
export type Layout = (typeof LAYOUTS)[number];

interface StoredEntry {
  name: string;
  type: ProviderType;
  owner: string;
  description: string;
  active: boolean;
  createdAt: string;
  login: SealedLogin;
  /** Absent on entries made before layouts existed: qspool's. */
  layout?: Layout;
}

/** A registry entry without its login: all the server needs to list and route, readable without the secret key. */
export interface ProviderSummary {
  name: string;
  type: ProviderType;
  owner: string;
  description: string;
  active: boolean;
  primary: boolean;
  layout: Layout;
}

/** A registry entry as shown to people: the login with its secret fields replaced. */
export interface ProviderInfo extends ProviderSummary {
  login: Record<string, unknown>;
}

interface PrimaryState {
  active: boolean;
  updatedAt: string;
}

export interface NewProvider {
  name: string;
  type: string;
  login: unknown;
  owner?: string;
  description?: string;
  active?: boolean;
  layout?: string;
}

/** Registered providers' logins among the secrets a key rotation re-seals. */
export const providerLoginKind: SealedKind<StoredEntry> = {
  name: 'provider-login',
  async *documents(storage) {
    for await (const name of eachKey(storage, PROVIDERS_NS)) yield [PROVIDERS_NS, name];
  },
  secret: (stored) => ({ sealed: stored.login }),
  withSealed: (stored, login) => ({ ...stored, login }),
};

/**
 * A provider opened for one registry entry. `sealed` is the entry as stored, `entry` a digest of what it holds (its
 * creation time and plain login): a provider added again under its name (another login) is another entry, but one
 * whose login was only sealed again under a new key (a rotation) is the same.
 */
interface Opened {
  sealed: string;
  entry: string;
  opening: Promise<StorageProvider>;
}

export class ProviderRegistry {
  private readonly opened = new Map<string, Opened>();

  constructor(
    private readonly primary: StorageProvider,
    readonly primaryName: string,
    /** How other processes open the primary, and what `show` tells of it (its secrets redacted). */
    private readonly primaryLogin: Record<string, unknown>,
    /** QSPOOL_SECRET_KEY, or how to get it (the server's key file, read or made when first needed). */
    private readonly secretKey: SecretKeysInput | (() => Promise<SecretKeys>),
    private readonly primaryType: ProviderType = 'local',
  ) {}

  private async secret(): Promise<SecretKeysInput> {
    return typeof this.secretKey === 'function' ? this.secretKey() : this.secretKey;
  }

  async add(entry: NewProvider): Promise<ProviderInfo> {
    if (!NAME.test(entry.name)) throw new InvalidKeyError('Provider names are 1–32 lower-case letters and digits (qlued rule)');
    if (entry.name === this.primaryName) throw new ConflictError(`${entry.name} is the primary storage`, 'provider_exists');
    if (!isProviderType(entry.type)) throw new InvalidKeyError(`Unknown provider type ${JSON.stringify(entry.type)}; use local, mongodb, s3 or dropbox`);
    assertLogin(entry.type, entry.login);
    const layout = entry.layout ?? 'qspool';
    if (!(LAYOUTS as readonly string[]).includes(layout)) throw new InvalidKeyError(`Unknown layout ${JSON.stringify(layout)}; use qspool or sqooler`);
    if (layout === 'sqooler' && entry.type === 's3') throw new InvalidKeyError('sqooler has no S3 provider: the sqooler layout is for local, Dropbox and MongoDB providers');
    // sqooler's providers have no place of their own within a store: they use the app folder's root and the databases
    // `jobs`, `status`, `results` and `backends`.
    const fixed = { dropbox: 'base_path', mongodb: 'database' }[entry.type as string];
    if (layout === 'sqooler' && fixed && fixed in entry.login) throw new InvalidKeyError(`No ${fixed} with the sqooler layout: sqooler's ${entry.type} provider has none`);
    const stored: StoredEntry = {
      name: entry.name,
      type: entry.type,
      owner: entry.owner ?? 'admin',
      description: entry.description ?? '',
      active: entry.active ?? true,
      createdAt: new Date().toISOString(),
      login: seal(entry.login, await this.secret()),
      layout: layout as Layout,
    };
    try {
      await this.primary.put(PROVIDERS_NS, entry.name, stored, { ifAbsent: true });
    } catch (error) {
      if (error instanceof ConflictError) throw new ConflictError(`Provider ${entry.name} already exists`, 'provider_exists');
      throw error;
    }
    return { ...this.summarize(stored), login: redact(entry.login) };
  }

  async list(): Promise<ProviderInfo[]> {
    const names = await this.primary.list(PROVIDERS_NS);
    const entries = await Promise.all(names.map((name) => this.show(name)));
    return [await this.show(this.primaryName), ...entries];
  }

  /** Every provider without logins, the primary first: what routing and the admin pages need. */
  async summaries(): Promise<ProviderSummary[]> {
    const names = await this.primary.list(PROVIDERS_NS);
    // An entry removed between the listing and its read is skipped, not an error.
    const entries = await Promise.all(names.map((name) => this.summary(name).catch((error: unknown) => {
      if (error instanceof NotFoundError) return undefined;
      throw error;
    })));
    return [await this.primarySummary(), ...entries.filter((entry): entry is ProviderSummary => entry !== undefined)];
  }

  /** NotFoundError for unknown names. */
  async summary(name: string): Promise<ProviderSummary> {
    if (name === this.primaryName) return this.primarySummary();
    return this.summarize((await this.entry(name)).value);
  }

  async show(name: string): Promise<ProviderInfo> {
    if (name === this.primaryName) return { ...(await this.primarySummary()), login: redact(this.primaryLogin) };
    const stored = (await this.entry(name)).value;
    return { ...this.summarize(stored), login: redact(unseal(stored.login, await this.secret())) };
  }

  async setActive(name: string, active: boolean): Promise<ProviderSummary> {
    if (name === this.primaryName) return this.setPrimaryActive(active);
    for (;;) {
      const stored = await this.entry(name);
      try {
        await this.primary.replace(PROVIDERS_NS, name, { ...stored.value, active }, stored.version);
        return this.summarize({ ...stored.value, active });
      } catch (error) {
        if (!(error instanceof ConflictError)) throw error;
      }
    }
  }

  async remove(name: string): Promise<void> {
    if (name === this.primaryName) throw new ConflictError('The primary storage cannot be removed', 'provider_primary');
    if (!(await this.primary.delete(PROVIDERS_NS, name))) throw new NotFoundError(`No storage provider named ${name}`);
    const opened = this.opened.get(name);
    this.opened.delete(name);
    if (opened) await (await opened.opening).close();
  }

  /** The spec of a provider, with its decrypted login: for opening it here or in another process. */
  async spec(name: string): Promise<ProviderSpec> {
    if (name === this.primaryName) return loginToSpec(this.primaryType, this.primaryLogin);
    const stored = (await this.entry(name)).value;
    return loginToSpec(stored.type, unseal(stored.login, await this.secret()));
  }

  /**
   * An open provider by name; the primary storage for the default name. Openings are kept while the registry entry is
   * the same one: a provider another process removed and added again under its name (another login) is opened anew,
   * the old one closed. NotFoundError once it is removed.
   */
  async open(name: string): Promise<StorageProvider> {
    if (name === this.primaryName) return this.primary;
    const stored = (await this.entry(name)).value;
    // The login is sealed with a fresh nonce at every add (and re-seal), so it names this entry and no other.
    const sealed = `${stored.createdAt}\u0000${JSON.stringify(stored.login)}`;
    if (this.opened.get(name)?.sealed === sealed) return this.opened.get(name)!.opening;
    const login = unseal(stored.login, await this.secret());
    const entry = createHash('sha256').update(`${stored.createdAt}\u0000${JSON.stringify(login)}`).digest('hex');
    // Read after the wait for the key: a concurrent opening of this entry may have been kept meanwhile.
    const known = this.opened.get(name);
    if (known?.entry === entry) {
      known.sealed = sealed;
      return known.opening;
    }
    if (known) this.forget(name, known);
    const opening = this.openEntry(name, stored.type, stored.layout, login);
    const opened = { sealed, entry, opening };
    this.opened.set(name, opened);
    opening.catch(() => {
      if (this.opened.get(name) === opened) this.opened.delete(name);
    });
    return opening;
  }

  /** Drops an opening and closes its provider once it has opened (requests still on it may fail: it was replaced). */
  private forget(name: string, opened: Opened): void {
    if (this.opened.get(name) === opened) this.opened.delete(name);
    void opened.opening.then((storage) => storage.close()).catch(() => undefined);
  }

  /** A sqooler-layout provider opens as a read-only view of sqooler's documents, its owners from the primary's index. */
  private async openEntry(name: string, type: ProviderType, layout: Layout | undefined, login: Record<string, unknown>): Promise<StorageProvider> {
    const spec = loginToSpec(type, login);
    const index = { storage: this.primary, provider: name };
    if (layout !== 'sqooler') return createProvider(spec);
    if (spec.type === 'local') return new SqoolerView(new SqoolerLocalFiles(spec.root), localPaths, index);
    if (spec.type === 'dropbox') return new SqoolerView(new SqoolerDropboxFiles(spec), dropboxPaths, index);
    if (spec.type === 'mongodb') return new SqoolerView(SqoolerMongoFiles.open(sqoolerMongoUri(login)), localPaths, index);
    throw new InvalidKeyError(`Provider ${name} has the sqooler layout, which a ${spec.type} provider cannot have`);
  }

  async close(): Promise<void> {
    const all = [...this.opened.values()];
    this.opened.clear();
    await Promise.all(all.map(async ({ opening }) => (await opening.catch(() => undefined))?.close()));
  }

  private async entry(name: string) {
    if (!NAME.test(name)) throw new NotFoundError(`No storage provider named ${name}`);
    const stored = await this.primary.get<StoredEntry>(PROVIDERS_NS, name);
    if (!stored) throw new NotFoundError(`No storage provider named ${name}`);
    return stored;
  }

  private async primarySummary(): Promise<ProviderSummary> {
    // A primary nobody has switched is active: a fresh install works without an admin step.
    const active = (await this.primary.get<PrimaryState>(PROVIDER_STATE_NS, this.primaryName))?.value.active ?? true;
    return { name: this.primaryName, type: this.primaryType, owner: 'admin', description: 'The storage this server runs on', active, primary: true, layout: 'qspool' };
  }

  private async setPrimaryActive(active: boolean): Promise<ProviderSummary> {
    const state: PrimaryState = { active, updatedAt: new Date().toISOString() };
    // Last writer wins is right for an on/off switch; the create-only first write and the version check only keep
    // two processes switching at once from failing on each other's write.
    for (;;) {
      const current = await this.primary.get<PrimaryState>(PROVIDER_STATE_NS, this.primaryName);
      try {
        if (current) await this.primary.replace(PROVIDER_STATE_NS, this.primaryName, state, current.version);
        else await this.primary.put(PROVIDER_STATE_NS, this.primaryName, state, { ifAbsent: true });
        return this.primarySummary();
      } catch (error) {
        if (!(error instanceof ConflictError || error instanceof NotFoundError)) throw error;
      }
    }
  }

  private summarize(stored: StoredEntry): ProviderSummary {
    const { name, type, owner, description, active } = stored;
    return { name, type, owner, description, active, primary: false, layout: stored.layout ?? 'qspool' };
  }
}
