// The MongoDB provider: one document per (namespace, key) in a collection per kind of document
// (collections.ts), a unique {ns, key} index, and a fresh version on every write. Every conditional write is one
// single-document operation whose filter carries the condition, so MongoDB itself decides the single winner;
// nothing is read first and then written, and no operation spans two documents, so there is no crash window.
import { MongoError } from 'mongodb';
import type { ListOptions, MoveOptions, StorageProvider, StoredDocument } from '../contract.ts';
import { ConflictError, InvalidKeyError, NotFoundError } from '../../schemas/errors.ts';
import { assertKey, assertNamespace } from '../keys.ts';
import { collectionFor, sameCollection } from './collections.ts';
import { type ClientPort, type CollectionPort, type DbPort, openMongo } from './driver.ts';
import { isDuplicateKey, mapMongoError } from './error-mapping.ts';
import { ADDRESS_INDEX, ID_PROJECTION, READ_PROJECTION, addressFilter, documentOf, listQuery, moveUpdate,
  newVersion } from './queries.ts';

export interface MongoProviderOptions {
  db: DbPort;
  /** Closed by close(); omit when the caller owns the connection. */
  client?: ClientPort;
}

/**
 * Two upserts of one new key can both try to insert it; one loses on the unique index. Retried, it matches the
 * winner's document and overwrites it, as any later overwrite would (MongoDB ≥ 4.2 mostly retries this itself).
 */
const UPSERT_ATTEMPTS = 3;

function assertAddress(namespace: string, key: string): void {
  assertNamespace(namespace);
  assertKey(key);
}

/** Versions go into a query filter: anything but a string could be an operator object, so refuse it. */
function assertVersion(version: unknown): void {
  if (typeof version !== 'string') throw new InvalidKeyError('Invalid version: expected a string');
}

async function call<T>(address: string, operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    throw mapMongoError(error, address);
  }
}

/** NamespaceExists and IndexBuildAlreadyInProgress: another process is creating the same collection or index. */
const INDEX_RACE_CODES: ReadonlySet<unknown> = new Set([48, 276]);
const INDEX_ATTEMPTS = 3;

/** Idempotent; processes starting together on an empty database may race to create it, so that race is retried. */
async function ensureAddressIndex(collection: CollectionPort, name: string): Promise<void> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      await collection.createIndex(ADDRESS_INDEX.spec, ADDRESS_INDEX.options);
      return;
    } catch (error) {
      if (!(error instanceof MongoError && INDEX_RACE_CODES.has(error.code)) || attempt >= INDEX_ATTEMPTS) {
        throw mapMongoError(error, name);
      }
      await new Promise((resolve) => setTimeout(resolve, 50 * attempt));
    }
  }
}

export class MongoProvider implements StorageProvider {
  readonly type = 'mongodb';
  private readonly db: DbPort;
  private readonly client: ClientPort | undefined;
  private readonly collections = new Map<string, Promise<CollectionPort>>();

  constructor(options: MongoProviderOptions) {
    this.db = options.db;
    this.client = options.client;
  }

  /** A provider on its own client for `uri`; connects lazily on the first operation. */
  static open(uri: string, database: string): MongoProvider {
    return new MongoProvider(openMongo(uri, database));
  }

  async put(namespace: string, key: string, value: unknown, options: { ifAbsent?: boolean } = {}): Promise<string> {
    assertAddress(namespace, key);
    const address = `${namespace}/${key}`;
    const document = documentOf(namespace, key, value, newVersion());
    const collection = await this.collection(namespace);
    if (options.ifAbsent) {
      // The unique index lets exactly one insert of an address succeed; the others fail with 11000 → ConflictError.
      // A copy, because the driver adds `_id` to the object it inserts.
      await call(address, () => collection.insertOne({ ...document }));
      return document.version;
    }
    for (let attempt = 1; ; attempt += 1) {
      try {
        await collection.replaceOne(addressFilter(namespace, key), document, { upsert: true });
        return document.version;
      } catch (error) {
        if (!isDuplicateKey(error) || attempt >= UPSERT_ATTEMPTS) throw mapMongoError(error, address);
      }
    }
  }

  async get<T = unknown>(namespace: string, key: string): Promise<StoredDocument<T> | undefined> {
    assertAddress(namespace, key);
    const collection = await this.collection(namespace);
    const found = await call(`${namespace}/${key}`, () =>
      collection.findOne(addressFilter(namespace, key), { projection: READ_PROJECTION }),
    );
    return found ? { value: found.value as T, version: String(found.version) } : undefined;
  }

  async replace(namespace: string, key: string, value: unknown, expectedVersion: string): Promise<string> {
    assertAddress(namespace, key);
    assertVersion(expectedVersion);
    const address = `${namespace}/${key}`;
    const document = documentOf(namespace, key, value, newVersion());
    const collection = await this.collection(namespace);
    const result = await call(address, () =>
      collection.replaceOne(addressFilter(namespace, key, expectedVersion), document),
    );
    if (result.matchedCount === 1) return document.version;
    throw await this.whyNoMatch(collection, namespace, key);
  }

  async move(from: string, to: string, key: string, options: MoveOptions = {}): Promise<string> {
    assertAddress(from, key);
    assertNamespace(to);
    if (options.expectedVersion !== undefined) assertVersion(options.expectedVersion);
    if (!sameCollection(from, to)) {
      // Two collections would need two writes (or a replica-set transaction), i.e. a crash window: refuse
      // rather than weaken the guarantee. qspool's own moves are all jobs/<state>/… → jobs/<state>/….
      throw new InvalidKeyError(
        `The MongoDB provider moves documents only within one collection; ${from} and ${to} are in ` +
          `${collectionFor(from)} and ${collectionFor(to)}`,
      );
    }
    const collection = await this.collection(from);
    if (from === to) throw await this.whyNoMatch(collection, from, key, `${to}/${key} already exists`);
    const version = newVersion();
    const filter = addressFilter(from, key, options.expectedVersion);
    // One findAndModify: it matches the source at its version and rewrites its namespace in the same atomic step.
    // Exactly one concurrent mover matches; a taken destination violates the unique index (11000 → ConflictError).
    const moved = await call(`${to}/${key}`, () =>
      'value' in options
        ? collection.findOneAndReplace(filter, documentOf(to, key, options.value, version), { projection: ID_PROJECTION })
        : collection.findOneAndUpdate(filter, moveUpdate(to, version), { projection: ID_PROJECTION }),
    );
    if (moved) return version;
    throw await this.whyNoMatch(collection, from, key);
  }

  async delete(namespace: string, key: string, expectedVersion?: string): Promise<boolean> {
    assertAddress(namespace, key);
    if (expectedVersion !== undefined) assertVersion(expectedVersion);
    const address = `${namespace}/${key}`;
    const collection = await this.collection(namespace);
    const result = await call(address, () => collection.deleteOne(addressFilter(namespace, key, expectedVersion)));
    if (result.deletedCount === 1) return true;
    if (expectedVersion === undefined) return false;
    const exists = await call(address, () =>
      collection.findOne(addressFilter(namespace, key), { projection: ID_PROJECTION }),
    );
    if (exists) throw new ConflictError(`${address} was changed concurrently`);
    return false;
  }

  async list(namespace: string, options: ListOptions = {}): Promise<string[]> {
    assertNamespace(namespace);
    if (options.after !== undefined) assertKey(options.after);
    const collection = await this.collection(namespace);
    const query = listQuery(namespace, options);
    const found = await call(namespace, () => collection.find(query.filter, query.options).toArray());
    return found.map((document) => String(document.key));
  }

  async close(): Promise<void> {
    await this.client?.close();
  }

  /**
   * The collection for a namespace, once its unique address index exists. Nothing is written before that: without
   * the index two create-only writers could both succeed. A failed index build is retried by the next call.
   */
  private collection(namespace: string): Promise<CollectionPort> {
    const name = collectionFor(namespace);
    let ready = this.collections.get(name);
    if (!ready) {
      const collection = this.db.collection(name);
      ready = ensureAddressIndex(collection, name).then(
        () => collection,
        (error: unknown) => {
          this.collections.delete(name);
          throw error;
        },
      );
      this.collections.set(name, ready);
    }
    return ready;
  }

  /**
   * Why a conditional write matched nothing: the document is gone (NotFoundError) or is at another version
   * (ConflictError). This second look can race with other writers, but either answer is a truthful race loss.
   */
  private async whyNoMatch(collection: CollectionPort, namespace: string, key: string, conflict?: string): Promise<Error> {
    const address = `${namespace}/${key}`;
    const exists = await call(address, () =>
      collection.findOne(addressFilter(namespace, key), { projection: ID_PROJECTION }),
    );
    if (!exists) return new NotFoundError(`${address} does not exist`);
    return new ConflictError(conflict ?? `${address} was changed concurrently`);
  }
}
