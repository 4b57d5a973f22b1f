// What qspool's spooler publishes, written where a sqooler spooler writes it: its config as sqooler's
// BackendConfigSchemaIn in the config document, and each heartbeat as that config's `last_queue_check` (sqooler's
// timestamp_queue), which is how the server and qlued tell that the backend is operational. Reads go to the view.
// Jobs do not pass through here: SqoolerLifecycle (./spooler-lifecycle.ts) moves them.
import { ConflictError } from '../../schemas/errors.ts';
import type { BackendConfig } from '../../schemas/backend-config.ts';
import type { ListOptions, StoredDocument, StorageProvider } from '../contract.ts';
import { ns } from '../records.ts';
import { sqoolerNow, toSqoolerConfig } from './layout.ts';
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
    return this.view.documents.replace(at.path, at.name, toSqoolerConfig(config, lastQueueCheck));
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

/** Public keys (`keys/`) among them: sqooler signs with JWS of its own, which qspool's spooler does not write. */
function refused(namespace: string): never {
  throw new ConflictError(
    `qspool's spooler on a sqooler-layout provider writes only sqooler's documents (configs, jobs, statuses, results); not ${namespace} (signing is not supported there)`,
    'sqooler_read_only',
  );
}
