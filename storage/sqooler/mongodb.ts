// sqooler's MongoDB provider (MongodbCore): a path `a/b/c` is database `a`, collection `b.c`, and a document's `_id`
// is ObjectId(name), so jobs, statuses and results live in the databases `jobs`, `status` and `results` under the
// same paths as on local storage. Configs and public keys are the exceptions: `backends.configs` holds configs under
// random ids, found by their `display_name` (or the signed payload's), and `backends.public_keys` holds keys under
// random ids, found by their `kid` (upload_public_key, get_public_key_from_kid). Each other write is one insert, which
// a unique `_id` makes create-only.
import { MongoClient, ObjectId } from 'mongodb';
import { ConflictError } from '../../schemas/errors.ts';
import { isDuplicateKey } from '../mongodb/error-mapping.ts';
import { type DocumentAddress, type SqoolerDocuments, safeSegments } from './layout.ts';
import { localPaths } from './paths.ts';

const CONFIGS = localPaths.config('').path;
const PUBLIC_KEYS = localPaths.publicKey('').path;

/** A stored document as JSON, as the other providers give it: no `_id`, BSON dates (last_queue_check) as ISO text. */
function plain(document: Record<string, unknown>): Record<string, unknown> {
  const { _id: _ignored, ...rest } = document;
  return JSON.parse(JSON.stringify(rest)) as Record<string, unknown>;
}

export class SqoolerMongoFiles implements SqoolerDocuments {
  readonly type = 'mongodb';

  /** `prefix` keeps a test's databases apart on a shared server; sqooler's own deployments have none. */
  constructor(
    private readonly client: MongoClient,
    private readonly prefix = '',
  ) {}

  static open(uri: string): SqoolerMongoFiles {
    return new SqoolerMongoFiles(new MongoClient(uri, { retryWrites: true, writeConcern: { w: 'majority', journal: true } }));
  }

  /** MongodbCore._get_database_and_collection. */
  private collection(path: string) {
    const [database, ...rest] = safeSegments(path);
    return this.client.db(`${this.prefix}${database}`).collection(rest.join('.'));
  }

  /** How sqooler finds the documents of the collections it keeps under random ids; undefined for the others. */
  private static fieldQuery(path: string, name: string) {
    if (path === CONFIGS) return { $or: [{ display_name: name }, { 'payload.display_name': name }] };
    if (path === PUBLIC_KEYS) return { kid: name };
    return undefined;
  }

  async get(path: string, name: string): Promise<unknown> {
    safeSegments(path, name);
    const query = SqoolerMongoFiles.fieldQuery(path, name);
    if (query) {
      const found = await this.collection(path).findOne(query);
      return found ? plain(found) : undefined;
    }
    if (!ObjectId.isValid(name)) return undefined;
    const found = await this.collection(path).findOne({ _id: new ObjectId(name) });
    return found ? plain(found) : undefined;
  }

  async upload(path: string, name: string, content: unknown): Promise<void> {
    safeSegments(path, name);
    try {
      await this.collection(path).insertOne({ ...(content as Record<string, unknown>), _id: new ObjectId(name) });
    } catch (error) {
      if (isDuplicateKey(error)) throw new ConflictError(`${path}/${name} already exists`);
      throw error;
    }
  }

  /** One replaceOne (upserting): configs by their display name and keys by their kid, as sqooler finds them. */
  async replace(path: string, name: string, content: unknown): Promise<void> {
    safeSegments(path, name);
    const filter = SqoolerMongoFiles.fieldQuery(path, name) ?? { _id: new ObjectId(name) };
    await this.collection(path).replaceOne(filter, content as Record<string, unknown>, { upsert: true });
  }

  /**
   * A move with the insert into the target as the exclusive step: a document's `_id` is unique in the target, so of
   * concurrent movers exactly one inserts and the others get a duplicate key. A sqooler spooler's move (find, delete
   * the source, then insert) meets the same key: if qspool's insert came first, sqooler's insert fails and its spooler
   * stops, as on the other stores; between its delete and its insert the job is in neither collection.
   */
  async move(from: DocumentAddress, to: DocumentAddress): Promise<boolean> {
    safeSegments(from.path, from.name);
    safeSegments(to.path, to.name);
    if (!ObjectId.isValid(from.name)) return false;
    const _id = new ObjectId(from.name);
    const found = await this.collection(from.path).findOne({ _id });
    if (!found) return false;
    try {
      await this.collection(to.path).insertOne({ ...found, _id: new ObjectId(to.name) });
    } catch (error) {
      if (isDuplicateKey(error)) return false;
      throw error;
    }
    await this.collection(from.path).deleteOne({ _id });
    return true;
  }

  async delete(path: string, name: string): Promise<boolean> {
    safeSegments(path, name);
    if (!ObjectId.isValid(name)) return false;
    return (await this.collection(path).deleteOne({ _id: new ObjectId(name) })).deletedCount === 1;
  }

  /** Document ids; in `backends/configs`, the display names of the configs (MongodbProviderExtended.get_backends). */
  async list(path: string): Promise<string[]> {
    if (path === CONFIGS) {
      const configs = await this.collection(path).find({}).toArray();
      return configs.map((config) => String((config.payload as { display_name?: unknown } | undefined)?.display_name ?? config.display_name));
    }
    const ids = await this.collection(path).find({}, { projection: { _id: 1 } }).toArray();
    return ids.map((doc) => String(doc._id));
  }

  /** MongoDB has no folders; localPaths, which sqooler's MongoDB provider shares, never asks for them. */
  async folders(): Promise<string[]> {
    return [];
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}
