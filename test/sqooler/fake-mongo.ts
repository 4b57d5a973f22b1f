// An in-memory stand-in for the part of the MongoDB driver that SqoolerMongoFiles uses (insertOne, findOne,
// replaceOne, deleteOne, find().toArray() with `_id`, field and `$or` filters), for its tests on machines without a
// MongoDB server. Like a server, it refuses a second document with the same `_id` (DuplicateKey, code 11000).
import { type MongoClient, MongoServerError, ObjectId } from 'mongodb';

type Doc = Record<string, unknown>;
type Filter = Record<string, unknown>;

/** A stored document: its `_id` kept as given (a clone would lose the ObjectId's class), the rest as a copy. */
interface Stored {
  _id: unknown;
  body: Doc;
}

const idOf = (value: unknown) => (value instanceof ObjectId ? value.toHexString() : String(value));
const field = (doc: Doc, path: string) => path.split('.').reduce<unknown>((at, part) => (at as Doc | undefined)?.[part], doc);
const shown = ({ _id, body }: Stored): Doc => ({ ...structuredClone(body), _id });

function matches(doc: Doc, filter: Filter): boolean {
  return Object.entries(filter).every(([key, want]) => {
    if (key === '$or') return (want as Filter[]).some((branch) => matches(doc, branch));
    if (key === '_id') return idOf(doc._id) === idOf(want);
    return field(doc, key) === want;
  });
}

class FakeCollection {
  private readonly docs: Stored[] = [];

  private at(filter: Filter): number {
    return this.docs.findIndex((stored) => matches(shown(stored), filter));
  }

  async insertOne(doc: Doc) {
    const { _id = new ObjectId(), ...body } = doc;
    if (this.at({ _id }) >= 0) throw new MongoServerError({ message: 'E11000 duplicate key error', code: 11000 });
    this.docs.push({ _id, body: structuredClone(body) });
    return { acknowledged: true, insertedId: _id };
  }

  async findOne(filter: Filter) {
    const at = this.at(filter);
    return at >= 0 ? shown(this.docs[at]!) : null;
  }

  async replaceOne(filter: Filter, replacement: Doc, options: { upsert?: boolean } = {}) {
    const at = this.at(filter);
    const { _id: _ignored, ...body } = replacement;
    if (at >= 0) this.docs[at] = { _id: this.docs[at]!._id, body: structuredClone(body) };
    else if (options.upsert) await this.insertOne({ ...body, ...(filter._id === undefined ? {} : { _id: filter._id }) });
    return { matchedCount: at >= 0 ? 1 : 0 };
  }

  async deleteOne(filter: Filter) {
    const at = this.at(filter);
    if (at >= 0) this.docs.splice(at, 1);
    return { deletedCount: at >= 0 ? 1 : 0 };
  }

  find(filter: Filter) {
    return { toArray: async () => this.docs.map(shown).filter((doc) => matches(doc, filter)) };
  }
}

/** A client whose databases and collections spring into being on first use, as a server's do. */
export function fakeMongoClient(): MongoClient {
  const collections = new Map<string, FakeCollection>();
  const collection = (name: string) => collections.get(name) ?? collections.set(name, new FakeCollection()).get(name)!;
  const client = {
    db: (database: string) => ({ collection: (name: string) => collection(`${database}/${name}`) }),
    close: async () => undefined,
  };
  return client as unknown as MongoClient;
}
