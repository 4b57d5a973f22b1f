// sqooler's documents seen through qspool's storage contract, read-only: the namespaces the server reads (configs,
// heartbeats, the four job states, statuses, results) answer with qspool's records built from sqooler's documents,
// so backend lists, job lookups, job lists and metrics serve a sqooler-layout provider unchanged. Owners come from
// the server's job index (sqooler's local documents name none). Writes go through SqoolerJobs (./jobs.ts), which
// writes sqooler's documents; through this view they are refused.
import { ConflictError } from '../../schemas/errors.ts';
import { fullBackendName } from '../../schemas/backend-config.ts';
import type { ListOptions, StoredDocument, StorageProvider } from '../contract.ts';
import { isJobId } from '../keys.ts';
import type { JobIndexEntry, JobRecord, JobState, StatusRecord } from '../records.ts';
import type { KeyObject } from 'node:crypto';
import {
  type SqoolerDocuments,
  type SqoolerStatus,
  SEGMENT,
  SQOOLER_SPOOLER,
  heartbeatOf,
  initialStatus,
  isJws,
  lastQueueCheck,
  servedResult,
  stateOf,
  toBackendConfig,
  unwrapJws,
} from './layout.ts';
import { type Address, type JobKey, type Place, PLACES, type SqoolerPaths } from './paths.ts';
import { publicKeyOf, verifySigned } from './signatures.ts';
import { qluedJobId } from './ids.ts';
import { sqoolerIndexEntry } from './index-entry.ts';

/** Documents here are never replaced through the contract, so one version string serves them all. */
const VERSION = 'sqooler';
/** How long a public key read for checking signatures is used before it is read again. */
const KEY_TTL_MS = 60_000;

/** Where the server's job index lives and what this provider is called in it. */
export interface SqoolerIndex {
  storage: StorageProvider;
  provider: string;
}

const NAMESPACE = /^(configs)$|^(jobs\/queued|jobs\/running|jobs\/finished|jobs\/deleted|status|results|heartbeats)\/([a-z0-9]+)$/;

export class SqoolerView implements StorageProvider {
  readonly type: string;
  /** Public keys by kid: every config read checks a signature. */
  private readonly keys = new Map<string, { at: number; key: Promise<KeyObject | undefined> }>();

  constructor(
    readonly documents: SqoolerDocuments,
    readonly paths: SqoolerPaths,
    readonly index: SqoolerIndex,
  ) {
    this.type = `sqooler-${documents.type}`;
  }

  document(address: Address): Promise<unknown> {
    return this.documents.get(address.path, address.name);
  }

  private publicKey(kid: string): Promise<KeyObject | undefined> {
    const cached = this.keys.get(kid);
    if (cached && Date.now() - cached.at < KEY_TTL_MS) return cached.key;
    const key = this.document(this.paths.publicKey(kid)).then(publicKeyOf).catch(() => undefined);
    const entry = { at: Date.now(), key };
    this.keys.set(kid, entry);
    // Only a key found is kept: sqooler's update_backends uploads the signed config before its public key, so a read
    // in between must not hide the backend until the entry expires.
    void key.then((found) => {
      if (!found && this.keys.get(kid) === entry) this.keys.delete(kid);
    });
    return key;
  }

  /**
   * A config or result as sqooler stored it. A signed one is served only if its signature holds with the key published
   * under its kid (otherwise it reads as absent); a store that keeps no text (MongoDB) serves signed ones unchecked.
   */
  private async signedDocument(address: Address): Promise<unknown> {
    if (!this.documents.text) return this.document(address);
    const text = await this.documents.text(address.path, address.name);
    if (text === undefined) return undefined;
    const document = JSON.parse(text) as unknown;
    if (!isJws(document)) return document;
    const { kid } = document.header;
    const key = typeof kid === 'string' && SEGMENT.test(kid) ? await this.publicKey(kid) : undefined;
    return key && verifySigned(text, key) ? document : undefined;
  }

  async status(key: JobKey): Promise<SqoolerStatus | undefined> {
    const older = this.paths.olderStatus(key);
    const document = (await this.document(this.paths.status(key))) ?? (older && (await this.document(older)));
    if (document === undefined) return undefined;
    // A damaged status dict is read past: the job's folder then says where it is (record, stateOf).
    const dict = unwrapJws(document) as unknown as Partial<SqoolerStatus> | null;
    const usable = typeof dict === 'object' && dict !== null && typeof dict.status === 'string' && typeof dict.detail === 'string' && typeof dict.error_message === 'string';
    return usable ? (dict as SqoolerStatus) : undefined;
  }

  /**
   * The job's place and document. A job that has a status but was in none of the places read was moving meanwhile
   * (sqooler's MongoDB move deletes the job before inserting it in its next place, and any move can pass a place just
   * after it was read), so the places are read once more.
   */
  private async locate(key: JobKey, first?: Place): Promise<{ place: Place; payload: unknown } | undefined> {
    const found = await this.lookIn(key, first);
    return found || !(await this.status(key)) ? found : this.lookIn(key, first);
  }

  /** One pass over the places (sqooler's update_in_database moves the job first and writes the status last). */
  private async lookIn(key: JobKey, first?: Place): Promise<{ place: Place; payload: unknown } | undefined> {
    const order = first ? [first, ...PLACES.filter((place) => place !== first)] : PLACES;
    for (const place of order) {
      const payload = await this.document(this.paths.job(place, key));
      if (payload === undefined) continue;
      if (!this.paths.namesBackend(place) && !(await this.status(key))) continue;
      return { place, payload };
    }
    return undefined;
  }

  /**
   * A job's key (where its documents are) and owner (the qspool user the index gives it to). The key's user is the
   * owner for qspool's jobs; an old qlued id names its qlued user itself (./ids.ts), whom the import mapped to a
   * qspool user. Jobs qlued took that were not imported have no index entry; where the paths need no user (local,
   * MongoDB) or the id names it, they are still read (as nobody's: admins only).
   */
  async key(display: string, id: string): Promise<{ key: JobKey; owner: string; entry?: JobIndexEntry } | undefined> {
    const old = qluedJobId(id);
    if (!isJobId(id) && old?.display !== display) return undefined;
    const entry = await sqoolerIndexEntry(this.index.storage, id);
    if (!entry && !old && this.paths.needsOwner) return undefined;
    const owner = entry?.owner ?? '';
    return { key: { display, id, owner: old?.username ?? owner }, owner, ...(entry ? { entry } : {}) };
  }

  /** The job as a qspool record, or undefined. */
  async record(display: string, id: string, first?: Place): Promise<JobRecord | undefined> {
    const known = await this.key(display, id);
    const found = known && (await this.locate(known.key, first));
    if (!known || !found) return undefined;
    const { key, owner, entry } = known;
    const dict = (await this.status(key)) ?? initialStatus(id);
    const state = stateOf(dict.status, found.place);
    const createdAt = entry?.createdAt ?? qluedJobId(id)?.createdAt ?? new Date(0).toISOString();
    return {
      id,
      backend: display,
      owner,
      state,
      payload: found.payload,
      createdAt,
      timestamps: { QUEUED: createdAt },
      attempts: state === 'QUEUED' ? 0 : 1,
      seq: 1,
      detail: dict.detail.split('; '),
      ...(dict.error_message !== 'None' ? { errorMessage: dict.error_message } : {}),
      ...(state === 'DONE' ? { resultKey: id } : {}),
      ...(entry?.meta ? { meta: entry.meta } : {}),
    };
  }

  async statusRecord(display: string, id: string): Promise<StatusRecord | undefined> {
    const record = await this.record(display, id);
    if (!record) return undefined;
    const { state, owner, seq, attempts, timestamps } = record;
    // The record's detail and error are the status dict's.
    return { job_id: id, status: state, detail: record.detail.join('; '), error_message: record.errorMessage ?? 'None', backend: display, owner, seq, attempts, timestamps };
  }

  async get<T = unknown>(namespace: string, key: string): Promise<StoredDocument<T> | undefined> {
    const value = await this.read(namespace, key);
    return value === undefined ? undefined : { value: value as T, version: VERSION };
  }

  private async read(namespace: string, key: string): Promise<unknown> {
    const match = NAMESPACE.exec(namespace);
    if (!match) return undefined;
    if (match[1]) return this.config(key);
    const [kind, display] = [match[2]!, match[3]!];
    switch (kind) {
      case 'heartbeats': {
        const config = key === SQOOLER_SPOOLER ? await this.config(display) : undefined;
        const at = config && lastQueueCheck(config);
        return config && at !== undefined ? heartbeatOf(config, at) : undefined;
      }
      case 'status':
        return this.statusRecord(display, key);
      case 'results': {
        const known = await this.key(display, key);
        const [document, config] = await Promise.all([known ? this.signedDocument(this.paths.result(known.key)) : undefined, this.config(display)]);
        return document === undefined || !config ? undefined : servedResult(document, fullBackendName(this.index.provider, config), key);
      }
      default: {
        const place = kind.slice('jobs/'.length) as Place;
        const record = await this.record(display, key, place);
        return record && stateNamespaceOf(record.state) === place ? record : undefined;
      }
    }
  }

  private async config(display: string) {
    const document = await this.signedDocument(this.paths.config(display));
    return document === undefined ? undefined : toBackendConfig(document);
  }

  async list(namespace: string, options: ListOptions = {}): Promise<string[]> {
    const match = NAMESPACE.exec(namespace);
    let names: string[] = [];
    if (match?.[1]) names = await this.paths.backends(this.documents);
    else if (match) names = await this.names(match[2]!, match[3]!);
    const after = options.after;
    return names
      .filter((name) => after === undefined || name > after)
      .sort()
      .slice(0, options.limit ?? 1000);
  }

  private async names(kind: string, display: string): Promise<string[]> {
    if (kind !== 'heartbeats') return this.paths.ids(this.documents, kind.replace('jobs/', '') as Place | 'status' | 'results', display);
    const config = await this.config(display);
    return config && lastQueueCheck(config) !== undefined ? [SQOOLER_SPOOLER] : [];
  }

  async put(): Promise<string> {
    return readOnly();
  }

  async replace(): Promise<string> {
    return readOnly();
  }

  async move(): Promise<string> {
    return readOnly();
  }

  async delete(): Promise<boolean> {
    return readOnly();
  }

  close(): Promise<void> {
    return this.documents.close();
  }
}

/** Which place a state's job is in, as qspool names the state namespaces. */
function stateNamespaceOf(state: JobState): Place {
  return state === 'QUEUED' ? 'queued' : state === 'RUNNING' ? 'running' : state === 'DONE' ? 'finished' : 'deleted';
}

function readOnly(): never {
  throw new ConflictError('A sqooler-layout provider holds sqooler documents; only its job service writes them', 'sqooler_read_only');
}
