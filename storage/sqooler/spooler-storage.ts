// What qspool's spooler publishes, written where a sqooler spooler writes it: its config as sqooler's
// BackendConfigSchemaIn in the config document, and each heartbeat as that config's `last_queue_check` (sqooler's
// timestamp_queue), which is how the server and qlued tell that the backend is operational. A backend with a signing
// key publishes its public key first (upload_public_key), then its config signed at every stamp, as sqooler's
// update_config does. Reads go to the view. Jobs do not pass through here: SqoolerLifecycle (./spooler-lifecycle.ts)
// moves them.
import { ConflictError } from '../../schemas/errors.ts';
import type { BackendConfig } from '../../schemas/backend-config.ts';
import type { ListOptions, StoredDocument, StorageProvider } from '../contract.ts';
import { ns } from '../records.ts';
import { sqoolerNow, toSqoolerConfig } from './layout.ts';
import { type SqoolerKey, signSqooler, sqoolerPublicJwk } from './signatures.ts';
import type { SqoolerView } from './view.ts';

const VERSION = 'sqooler';
const HEARTBEATS = /^heartbeats\/([a-z0-9]+)$/;

export class SqoolerSpoolerStorage implements StorageProvider {
  readonly type: string;
  /** The configs this process publishes, and when each backend last looked at its queue. */
  private readonly published = new Map<string, { config: BackendConfig; lastQueueCheck: string | null }>();

  constructor(
    readonly view: SqoolerView,
    private readonly now: () => number = Date.now,
    /** Signing keys by backend; a backend without one publishes unsigned. */
    private readonly keys: ReadonlyMap<string, SqoolerKey> = new Map(),
  ) {
    this.type = view.type;
  }

  get<T = unknown>(namespace: string, key: string): Promise<StoredDocument<T> | undefined> {
    return this.view.get<T>(namespace, key);
  }

  list(namespace: string, options?: ListOptions): Promise<string[]> {
    return this.view.list(namespace, options);
  }

  /** A config is published as sqooler's update_backends does (no queue check yet); a heartbeat stamps it. */
  async put(namespace: string, key: string, value: unknown): Promise<string> {
    if (namespace === ns.configs) {
      this.published.set(key, { config: value as BackendConfig, lastQueueCheck: null });
      const signing = this.keys.get(key);
      if (signing) {
        const at = this.view.paths.publicKey(signing.kid);
        await this.view.documents.replace(at.path, at.name, sqoolerPublicJwk(signing));
      }
      await this.publish(key);
      return VERSION;
    }
    const display = HEARTBEATS.exec(namespace)?.[1];
    const entry = display && this.published.get(display);
    if (!entry) return refused(namespace);
    entry.lastQueueCheck = sqoolerNow(this.now());
    await this.publish(display);
    return VERSION;
  }

  private publish(display: string): Promise<void> {
    const { config, lastQueueCheck } = this.published.get(display)!;
    const at = this.view.paths.config(display);
    const signing = this.keys.get(display);
    const document = toSqoolerConfig(config, lastQueueCheck);
    const content = signing ? signSqooler({ ...document, sign: true, kid: signing.kid }, signing) : document;
    return this.view.documents.replace(at.path, at.name, content);
  }

  /**
   * A result as sqooler's _common_upload_result writes it: signed when the backend has a key, with a `status` that
   * sqooler's ResultDict accepts (a StatusStr; qlued refuses to serve "finished"). Served to qspool's clients, it
   * says "finished" again (layout.ts servedResult).
   */
  resultDocument(display: string, result: Record<string, unknown>): unknown {
    const stored = { ...result, status: 'DONE' };
    const signing = this.keys.get(display);
    return signing ? signSqooler(stored, signing) : stored;
  }

  /** A stopping spooler's heartbeat is not removed: sqooler has none, its `last_queue_check` simply ages. */
  async delete(namespace: string): Promise<boolean> {
    return HEARTBEATS.test(namespace) ? false : refused(namespace);
  }

  async replace(namespace: string): Promise<string> {
    return refused(namespace);
  }

  async move(from: string): Promise<string> {
    return refused(from);
  }

  /** The view belongs to whoever opened it (the registry), which closes it. */
  async close(): Promise<void> {}
}

/** qspool's own signature documents (`keys/`, detached JWS) among them: here keys and signatures are sqooler's. */
function refused(namespace: string): never {
  throw new ConflictError(
    `qspool's spooler on a sqooler-layout provider writes only sqooler's documents (configs, public keys, jobs, statuses, results); not ${namespace}`,
    'sqooler_read_only',
  );
}
