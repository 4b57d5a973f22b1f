// The slice of the official `mongodb` driver the provider uses, as two narrow interfaces that the driver's own
// Db and Collection satisfy (checked by the compiler below), so unit tests can hand in a small recording fake.
import {
  MongoClient,
  type CreateIndexesOptions,
  type Document,
  type FindOneAndReplaceOptions,
  type FindOneAndUpdateOptions,
  type FindOptions,
  type IndexSpecification,
  type ReplaceOptions,
} from 'mongodb';

export interface CollectionPort {
  createIndex(spec: IndexSpecification, options: CreateIndexesOptions): Promise<string>;
  insertOne(document: Document): Promise<unknown>;
  replaceOne(
    filter: Document,
    replacement: Document,
    options?: ReplaceOptions,
  ): Promise<{ matchedCount: number; upsertedCount: number }>;
  findOne(filter: Document, options: FindOptions): Promise<Document | null>;
  findOneAndReplace(filter: Document, replacement: Document, options: FindOneAndReplaceOptions): Promise<Document | null>;
  findOneAndUpdate(filter: Document, update: Document, options: FindOneAndUpdateOptions): Promise<Document | null>;
  deleteOne(filter: Document): Promise<{ deletedCount: number }>;
  find(filter: Document, options: FindOptions): { toArray(): Promise<Document[]> };
}

export interface DbPort {
  collection(name: string): CollectionPort;
}

export interface ClientPort {
  close(): Promise<void>;
}

/**
 * A client for `uri` and its database. No connection is made here: the driver connects on the first operation,
 * so a server or spooler started before MongoDB comes up answers StorageUnavailableError until it is reachable
 * instead of failing at start-up.
 */
export function openMongo(uri: string, database: string): { client: ClientPort; db: DbPort } {
  const client = new MongoClient(uri, {
    appName: 'qspool',
    // The contract says a write resolves once durable: acknowledged by a majority and journaled. These override
    // the URI on purpose; a weaker write concern could lose an acknowledged job on failover (I1).
    writeConcern: { w: 'majority', journal: true },
    // A secondary could answer a read with a document older than the caller's own last write.
    readPreference: 'primary',
  });
  return { client, db: client.db(database) };
}
