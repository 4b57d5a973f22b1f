// The S3 provider: one JSON object per document at `<prefix>/<namespace>/<key>.json` in one bucket; the version
// is the object's ETag. Every write is conditional — If-None-Match: * to create, If-Match: <ETag> to replace —
// so S3 itself picks the single winner of any race. Moves and conditional deletes, which S3 (and on Ceph RGW 16
// even a conditional DELETE) cannot do in one request, go through markers: move.ts has the protocol and its crash
// analysis, situation.ts the rules that make RGW's unconditional DELETE safe.
//
// AWS S3 and Ceph RGW 16 differ in ways this provider absorbs (all measured on RGW 16.2.15):
//   * If-Match: RGW matches only the unquoted ETag; AWS takes the quoted form. Detected on first use (requests.ts).
//   * If-Match on a missing key: RGW 412, AWS 404. Both lead to a re-read, then NotFoundError.
//   * Losers of concurrent If-Match writes: RGW sometimes answers 500, AWS 409; both are re-read and decided.
//   * DELETE with If-Match: AWS honours it, RGW deletes unconditionally. On AWS every delete is therefore exact;
//     on RGW a delete can remove a newer document only if its process stalls for longer than staleAfterMs between
//     writing its own marker and deleting it (situation.ts). That is the one guarantee that is weaker on RGW.
//   * ETags are MD5s of the body on RGW and on AWS without SSE-KMS/SSE-C, so a rolled-back move restores the
//     exact old version; with KMS or customer keys it gets a new version and holders of the old one see a conflict.
import type { ListOptions, MoveOptions, StorageProvider, StoredDocument } from '../contract.ts';
import { ConflictError, NotFoundError } from '../../schemas/errors.ts';
import { assertKey } from '../keys.ts';
import { sdkApi, type S3ProviderSpec } from './client.ts';
import { Documents } from './documents.ts';
import { newId, type LiveEnvelope } from './envelope.ts';
import { keyOfName, label, listLimit, orderKeys, S3_MAX_KEYS, S3Layout, type Address } from './layout.ts';
import { moveDocument } from './move.ts';
import { SdkObjects, type ObjectPort } from './objects.ts';
import type { WriteCondition } from './requests.ts';
import { busy, situation, valueField, writeFresh, type FirstLook } from './situation.ts';

export type { S3ProviderSpec } from './client.ts';

export interface S3ProviderOptions {
  port: ObjectPort;
  prefix?: string;
  /** See S3ProviderSpec.staleAfterMs. */
  staleAfterMs?: number;
  /** How long a write waits for another process's move or delete of the same key (default 2 000 ms). */
  busyWaitMs?: number;
  /** The clock that stamps and ages markers (tests move it forward to play a crashed writer's helper). */
  now?: () => number;
  /** Objects remembered so a move right after a read needs no second GET. */
  cacheSize?: number;
  /** See S3ProviderSpec.maxAttempts; applies to writes, which the SDK does not retry (client.ts). */
  writeAttempts?: number;
}

/** Attempts of an overwrite or unconditional delete that keeps meeting other writers. */
const WRITE_ROUNDS = 50;
/** Versions are ETags; anything else cannot match an object, and must not reach an HTTP header. */
const PLAUSIBLE_VERSION = /^[A-Za-z0-9._:-]{1,200}$/;

const live = (value: unknown): LiveEnvelope => ({ state: 'live', id: newId(), ...valueField(value) });

export class S3Provider implements StorageProvider {
  readonly type = 's3';
  readonly layout: S3Layout;
  readonly docs: Documents;
  private readonly port: ObjectPort;

  constructor(options: S3ProviderOptions) {
    this.port = options.port;
    this.layout = new S3Layout(options.prefix);
    this.docs = new Documents(options.port, {
      staleAfterMs: options.staleAfterMs ?? 30_000,
      busyWaitMs: options.busyWaitMs ?? 2_000,
      now: options.now ?? Date.now,
      cacheSize: options.cacheSize ?? 1024,
      writeAttempts: options.writeAttempts ?? 3,
    });
  }

  static fromSpec(spec: S3ProviderSpec, overrides: Partial<S3ProviderOptions> = {}): S3Provider {
    const port = new SdkObjects(sdkApi(spec), spec.bucket, spec.ifMatchEtag ?? 'auto');
    return new S3Provider({
      port,
      ...(spec.prefix === undefined ? {} : { prefix: spec.prefix }),
      ...(spec.staleAfterMs === undefined ? {} : { staleAfterMs: spec.staleAfterMs }),
      ...(spec.maxAttempts === undefined ? {} : { writeAttempts: spec.maxAttempts }),
      ...overrides,
    });
  }

  async put(namespace: string, key: string, value: unknown, options: { ifAbsent?: boolean } = {}): Promise<string> {
    const at = this.layout.address(namespace, key);
    if (options.ifAbsent) {
      const created = await writeFresh(this.docs, this.layout, at, live(value));
      if (created.won) return created.etag;
      throw new ConflictError(`${label(at)} already exists`, 'already_exists');
    }
    return this.overwrite(at, value);
  }

  async get<T = unknown>(namespace: string, key: string): Promise<StoredDocument<T> | undefined> {
    const found = await situation(this.docs, this.layout, this.layout.address(namespace, key));
    if (found.kind === 'live') return { value: found.value as T, version: found.observed.etag };
    if (found.kind === 'transit') return { value: found.value as T, version: found.version };
    return undefined;
  }

  async replace(namespace: string, key: string, value: unknown, expectedVersion: string): Promise<string> {
    const at = this.layout.address(namespace, key);
    if (PLAUSIBLE_VERSION.test(String(expectedVersion))) {
      const written = await this.docs.write(at, live(value), { ifMatch: expectedVersion });
      if (written.won) return written.etag;
      throw await this.whyLost(at, { observed: written.current });
    }
    throw await this.whyLost(at);
  }

  async move(from: string, to: string, key: string, options: MoveOptions = {}): Promise<string> {
    const source = this.layout.address(from, key);
    const target = this.layout.address(to, key);
    if (options.expectedVersion !== undefined && !PLAUSIBLE_VERSION.test(String(options.expectedVersion))) {
      throw await this.whyLost(source);
    }
    return moveDocument(this.docs, this.layout, source, target, options);
  }

  async delete(namespace: string, key: string, expectedVersion?: string): Promise<boolean> {
    const at = this.layout.address(namespace, key);
    const started = Date.now();
    for (let round = 0; round < WRITE_ROUNDS; round += 1) {
      let target = expectedVersion;
      if (target === undefined) {
        const found = await situation(this.docs, this.layout, at);
        if (found.kind === 'transit') {
          if (!(await this.docs.pause(started, round))) break;
          continue;
        }
        if (found.kind !== 'live') return false;
        target = found.observed.etag;
      } else if (!PLAUSIBLE_VERSION.test(String(target))) {
        return this.absentOrConflict(at);
      }
      // Mark, then delete: the If-Match on the mark is the compare-and-swap RGW's DELETE cannot do.
      const markedAt = this.docs.now();
      const marked = await this.docs.write(at, { state: 'deleting', id: newId(), at: markedAt }, { ifMatch: target });
      if (marked.won) {
        await this.docs.remove(at, marked.etag, markedAt);
        return true;
      }
      if (expectedVersion !== undefined) return this.absentOrConflict(at, { observed: marked.current });
    }
    throw busy(at);
  }

  async list(namespace: string, options: ListOptions = {}): Promise<string[]> {
    const prefix = this.layout.namespacePrefix(namespace);
    const { after } = options;
    if (after !== undefined) assertKey(after);
    const limit = listLimit(options.limit);
    // One name beyond the page lets orderKeys() settle the `.json` ordering quirk without another request.
    const pageSize = Math.min(S3_MAX_KEYS, limit + 1);
    const keys: string[] = [];
    let horizon = '';
    let from: { startAfter?: string; continuationToken?: string } = after === undefined ? {} : { startAfter: prefix + after };
    for (;;) {
      const page = await this.port.list(prefix, pageSize, from);
      for (const name of page.names) {
        const key = keyOfName(prefix, name);
        if (key !== undefined) keys.push(key);
      }
      for (const covered of [page.names.at(-1), page.prefixes.at(-1)]) if (covered && covered > horizon) horizon = covered;
      const complete = page.continuationToken === undefined;
      const ordered = orderKeys(prefix, { keys, horizon, complete }, after, limit);
      if (ordered.decided || complete) return ordered.keys;
      from = { continuationToken: page.continuationToken! };
    }
  }

  async close(): Promise<void> {
    this.port.close();
  }

  /** Overwrite: create if absent, else If-Match the version found; wait out other processes' moves and deletes. */
  private async overwrite(at: Address, value: unknown): Promise<string> {
    const envelope = live(value);
    const guess = this.docs.lastEtag(at);
    let condition: WriteCondition = guess === undefined ? { ifAbsent: true } : { ifMatch: guess };
    const started = Date.now();
    for (let round = 0; round < WRITE_ROUNDS; round += 1) {
      const written = await this.docs.write(at, envelope, condition);
      if (written.won) return written.etag;
      const found = await situation(this.docs, this.layout, at, { observed: written.current });
      if (found.kind === 'absent') condition = { ifAbsent: true };
      else if (found.kind === 'live') condition = { ifMatch: found.observed.etag };
      else if (!(await this.docs.pause(started, round))) break;
    }
    throw busy(at);
  }

  private async whyLost(at: Address, first?: FirstLook): Promise<Error> {
    const found = await situation(this.docs, this.layout, at, first);
    return found.kind === 'live' || found.kind === 'transit'
      ? new ConflictError(`${label(at)} was changed concurrently`)
      : new NotFoundError(`${label(at)} does not exist`);
  }

  private async absentOrConflict(at: Address, first?: FirstLook): Promise<false> {
    const found = await situation(this.docs, this.layout, at, first);
    if (found.kind === 'live' || found.kind === 'transit') throw new ConflictError(`${label(at)} was changed concurrently`);
    return false;
  }
}
