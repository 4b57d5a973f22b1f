// Test support: a tiny hand-written stand-in for the driver's Db and Collection. It records every call and
// answers from a script, so tests can check exactly what the provider asks MongoDB and how it treats each answer.
import { MongoServerError } from 'mongodb';
import type { CollectionPort, DbPort } from './driver.ts';

type Method = keyof CollectionPort;

/** What the server answers a write that collides with the unique (ns, key) index, for scripting answers. */
export const duplicateKeyError = () => new MongoServerError({ message: 'E11000 duplicate key error', code: 11000 });

export interface RecordedCall {
  collection: string;
  method: Method | 'collection';
  args: unknown[];
}

/** What each method answers when nothing was scripted: the shapes of a successful, matching operation. */
const DEFAULTS: Record<Method, unknown> = {
  createIndex: 'ns_1_key_1',
  insertOne: { acknowledged: true },
  replaceOne: { matchedCount: 1, upsertedCount: 0 },
  findOne: null,
  findOneAndReplace: { _id: 'fake' },
  findOneAndUpdate: { _id: 'fake' },
  deleteOne: { deletedCount: 1 },
  find: [],
};

export class FakeDb implements DbPort {
  readonly calls: RecordedCall[] = [];
  private readonly script = new Map<Method, unknown[]>();

  /** Queues the answers of the next calls of `method`; an Error is thrown (as a rejection) instead of returned. */
  answer(method: Method, ...answers: unknown[]): this {
    this.script.set(method, [...(this.script.get(method) ?? []), ...answers]);
    return this;
  }

  /** The driver calls made so far, as `method` or `method:collection` names. */
  methods(): string[] {
    return this.calls.map((c) => c.method);
  }

  /** Arguments of the calls of one method, in order. */
  argsOf(method: Method): unknown[][] {
    return this.calls.filter((c) => c.method === method).map((c) => c.args);
  }

  collection(name: string): CollectionPort {
    this.calls.push({ collection: name, method: 'collection', args: [] });
    const respond = <T>(method: Method, args: unknown[]): Promise<T> => {
      this.calls.push({ collection: name, method, args });
      return this.next<T>(method);
    };
    return {
      createIndex: (spec, options) => respond('createIndex', [spec, options]),
      insertOne: (document) => respond('insertOne', [document]),
      replaceOne: (filter, replacement, options) =>
        respond('replaceOne', options === undefined ? [filter, replacement] : [filter, replacement, options]),
      findOne: (filter, options) => respond('findOne', [filter, options]),
      findOneAndReplace: (filter, replacement, options) => respond('findOneAndReplace', [filter, replacement, options]),
      findOneAndUpdate: (filter, update, options) => respond('findOneAndUpdate', [filter, update, options]),
      deleteOne: (filter) => respond('deleteOne', [filter]),
      find: (filter, options) => {
        this.calls.push({ collection: name, method: 'find', args: [filter, options] });
        return { toArray: () => this.next('find') };
      },
    };
  }

  private async next<T>(method: Method): Promise<T> {
    const queued = this.script.get(method);
    const answer = queued && queued.length > 0 ? queued.shift() : DEFAULTS[method];
    if (answer instanceof Error) throw answer;
    return answer as T;
  }
}

/** Counts close() calls, standing in for a MongoClient. */
export class FakeClient {
  closed = 0;
  async close(): Promise<void> {
    this.closed += 1;
  }
}
