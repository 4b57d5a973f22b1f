// Where the S3 provider keeps each document — `<prefix>/<namespace>/<key>.json` in one bucket — and how names
// listed by ListObjectsV2 become a page of keys in the contract's byte order.
//
// S3 lists names in UTF-8 byte order, and job ids (fixed-length hex, clock first) sort by creation, so the first
// page of `jobs/queued/<backend>/` is the oldest jobs (I4). The `.json` suffix bends that order in one case only:
// a key followed by one of its own extensions that continue with '-' or '.' (`a` vs `a-b`: `a-b.json` < `a.json`
// because '-' < '.'). orderKeys() restores exact key order, reading one name past the page to be sure.
import { InvalidKeyError } from '../../schemas/errors.ts';
import { assertKey, isKey, assertNamespace } from '../keys.ts';

export const SUFFIX = '.json';
/** Names S3 may return in one ListObjectsV2 response. */
export const S3_MAX_KEYS = 1000;

const PREFIX_SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
/** S3 (and RGW: InvalidObjectName) refuse object names longer than 1,024 bytes. */
const MAX_NAME_BYTES = 1024;
/** The longest `<namespace>/<key>.json` storage/keys.ts lets through: 256 + '/' + 200 + '.json' (ASCII). */
const LONGEST_DOCUMENT_NAME = 256 + 1 + 200 + SUFFIX.length;

/** A document's address: what callers name it by, and the object that holds it. */
export interface Address {
  namespace: string;
  key: string;
  name: string;
}

export const label = (at: Address) => `${at.namespace}/${at.key}`;

/** `qspool`, `/qspool/`, `a/b` → `qspool/`, `qspool/`, `a/b/`; '' or undefined → '' (the bucket's root). */
export function normalisePrefix(prefix = ''): string {
  const segments = prefix.split('/').filter(Boolean);
  for (const segment of segments) {
    if (!PREFIX_SEGMENT.test(segment)) throw new InvalidKeyError(`Invalid S3 prefix ${JSON.stringify(prefix)}`);
  }
  const root = segments.map((segment) => `${segment}/`).join('');
  // Refused here, once, rather than as an untyped 400 on every write of a long namespace and key.
  if (root.length + LONGEST_DOCUMENT_NAME > MAX_NAME_BYTES) {
    throw new InvalidKeyError(`S3 prefix too long: at most ${MAX_NAME_BYTES - LONGEST_DOCUMENT_NAME - 1} characters, so every object name fits S3's ${MAX_NAME_BYTES} bytes`);
  }
  return root;
}

export class S3Layout {
  /** '' or a prefix ending in '/'. */
  readonly root: string;

  constructor(prefix?: string) {
    this.root = normalisePrefix(prefix);
  }

  /** The object of a document; namespace and key are validated first (I8). */
  address(namespace: string, key: string): Address {
    assertNamespace(namespace);
    assertKey(key);
    return { namespace, key, name: `${this.root}${namespace}/${key}${SUFFIX}` };
  }

  /** The object-name prefix under which a namespace's documents (and nothing else) are listed directly. */
  namespacePrefix(namespace: string): string {
    assertNamespace(namespace);
    return `${this.root}${namespace}/`;
  }
}

/** The key an object directly under `prefix` stands for, or undefined for names qspool did not write. */
export function keyOfName(prefix: string, name: string): string | undefined {
  if (!name.startsWith(prefix) || !name.endsWith(SUFFIX)) return undefined;
  const key = name.slice(prefix.length, -SUFFIX.length);
  return isKey(key) ? key : undefined;
}

/** What has been listed so far, from the start of the namespace (or from `after`) up to `horizon`. */
export interface ListedSoFar {
  /** Keys of the names listed so far, in any order. */
  keys: readonly string[];
  /** The greatest object name (or common prefix) covered; every name not listed yet sorts after it. */
  horizon: string;
  /** The listing reached the end of the namespace. */
  complete: boolean;
}

export interface OrderedPage {
  keys: string[];
  /** False when more names must be listed before `keys` can be trusted as the first page. */
  decided: boolean;
}

/**
 * The first `limit` keys greater than `after`, in key (byte) order, from what has been listed so far.
 * Only a proper prefix P of a listed key K, where K continues after P with '-' or '.', can sort before K as a key
 * yet after it as a name; so K is emitted only once every such P is either listed or provably absent (its name
 * lies at or before the horizon). Keys without '-' or '.', such as job ids, never wait for anything.
 */
export function orderKeys(prefix: string, listed: ListedSoFar, after: string | undefined, limit: number): OrderedPage {
  const seen = new Set(listed.keys);
  const sorted = [...seen].filter((key) => after === undefined || key > after).sort();
  const keys: string[] = [];
  for (const key of sorted) {
    if (keys.length >= limit) return { keys, decided: true };
    if (!listed.complete && mayHideShorterKey(prefix, key, seen, listed.horizon, after)) return { keys, decided: false };
    keys.push(key);
  }
  return { keys, decided: keys.length >= limit || listed.complete };
}

function mayHideShorterKey(prefix: string, key: string, seen: Set<string>, horizon: string, after?: string): boolean {
  for (let i = 1; i < key.length; i += 1) {
    if (key[i] !== '-' && key[i] !== '.') continue;
    const shorter = key.slice(0, i);
    if (seen.has(shorter) || (after !== undefined && shorter <= after)) continue;
    if (`${prefix}${shorter}${SUFFIX}` > horizon) return true;
  }
  return false;
}

export const DEFAULT_LIST_LIMIT = 1000;
export const MAX_LIST_LIMIT = 10_000;

export function listLimit(limit: number | undefined): number {
  if (limit === undefined || !Number.isFinite(limit)) return DEFAULT_LIST_LIMIT;
  return Math.max(1, Math.min(Math.floor(limit), MAX_LIST_LIMIT));
}
