// The cursor of a job listing (job-index.ts): opaque to clients, bound to the filters it was made for. It holds the
// last index key the listing passed and, for each storage provider whose jobs a page could not read, the key from
// which that provider's jobs are still owed: they are listed once the provider answers again, so a cursor never
// skips them for good.
import { createHash } from 'node:crypto';
import { RequestValidationError } from '../../schemas/errors.ts';
import { isQluedIndexKey } from '../../storage/sqooler/index-entry.ts';
import type { JobFilters } from './job-index.ts';

export interface ListPosition {
  /** An index key, a 12-hex time prefix (created_after) or empty (the very beginning). */
  after: string;
  /** Provider name → the index key after which its jobs, up to `after`, have not been listed. */
  owed: Map<string, string>;
}

const PROVIDER = /^[a-z0-9]{1,32}$/;

function fingerprint(filters: JobFilters): string {
  const { owner, backend, states, tag, createdAfter, createdBefore } = filters;
  const text = JSON.stringify([owner, backend, states, tag, createdAfter, createdBefore]);
  return createHash('sha256').update(text).digest('base64url').slice(0, 12);
}

const isPosition = (key: string) => /^[0-9a-f]{0,24}$/.test(key) || isQluedIndexKey(key);

/** Index keys hold no control characters (storage/keys.ts): a line break cannot occur in one. */
export function encodeCursor(position: ListPosition, filters: JobFilters): string {
  const lines = [position.after, ...[...position.owed].map(([provider, from]) => `${provider} ${from}`)];
  return Buffer.from(`${lines.join('\n')}.${fingerprint(filters)}`).toString('base64url');
}

export function decodeCursor(cursor: string, filters: JobFilters): ListPosition {
  // The fingerprint follows the last dot: the key of an old qlued id (storage/sqooler/index-entry.ts), which a page
  // can end at too, may hold dots of its own.
  const text = Buffer.from(cursor, 'base64url').toString('latin1');
  const dot = text.lastIndexOf('.');
  const [after = '', ...rest] = text.slice(0, Math.max(0, dot)).split('\n');
  const owed = rest.map((line) => line.split(' '));
  const valid = owed.every((pair) => pair.length === 2 && PROVIDER.test(pair[0]!) && isPosition(pair[1]!));
  if (dot < 0 || !isPosition(after) || !valid || text.slice(dot + 1) !== fingerprint(filters)) {
    throw new RequestValidationError([{ type: 'cursor', loc: ['query', 'cursor'], msg: 'not a cursor of this listing (filters changed?)' }]);
  }
  return { after, owed: new Map(owed.map(([provider, from]) => [provider!, from!])) };
}
