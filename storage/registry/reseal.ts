// Sealing stored secrets again under the current key, after a key rotation (README, Rotating the secret key). Each
// kind of document that holds a sealed secret says where its documents are and where in them the secret sits; this
// re-seals them one at a time with compare-and-swap writes, so a writer changing a document meanwhile is never
// overwritten (its version is read again and re-sealed in turn). Running it again does nothing more: what is sealed
// under the current key is left as it is. Secrets an older qspool stored in plain text are sealed on the way.
import type { StorageProvider } from '../contract.ts';
import { ConflictError, NotFoundError } from '../../schemas/errors.ts';
import { keyId, seal, sealedWithCurrent, SecretUnreadableError, unseal, type SealedLogin, type SecretKeys } from './secrets.ts';

/** What a document holds: a sealed secret, or (written by an older qspool) the secret in plain text. */
export type HeldSecret = { sealed: SealedLogin } | { plain: Record<string, unknown> };

/** A kind of document holding a sealed secret. */
export interface SealedKind<D = unknown> {
  name: string;
  /** [namespace, key] of every document of this kind in the store. */
  documents(storage: StorageProvider): AsyncIterable<readonly [string, string]>;
  secret(document: D): HeldSecret;
  /** The document with `sealed` in place of the secret it held, everything else as it was. */
  withSealed(document: D, sealed: SealedLogin): D;
}

export type ResealOutcome = 'resealed' | 'current' | 'gone' | 'unreadable';
export type ResealCounts = Record<ResealOutcome, number>;

export interface UnreadableSecret {
  kind: string;
  namespace: string;
  key: string;
  /** The key id it names: a key this process was not given. Undefined for a value sealed before key ids. */
  kid: string | undefined;
}

/**
 * Re-seals one document under the current key (compare-and-swap: a concurrent change is read again, never overwritten).
 * `kid`: the key id of a secret no key opens.
 */
export async function resealDocument<D>(storage: StorageProvider, kind: SealedKind<D>, namespace: string, key: string, keys: SecretKeys): Promise<{ outcome: ResealOutcome; kid?: string }> {
  for (;;) {
    const found = await storage.get<D>(namespace, key);
    if (!found) return { outcome: 'gone' };
    const held = kind.secret(found.value);
    if ('sealed' in held && sealedWithCurrent(held.sealed, keys)) return { outcome: 'current' };
    let secret: Record<string, unknown>;
    try {
      secret = 'sealed' in held ? unseal(held.sealed, keys) : held.plain;
    } catch (error) {
      if (error instanceof SecretUnreadableError) return { outcome: 'unreadable', ...(error.kid === undefined ? {} : { kid: error.kid }) };
      throw error;
    }
    try {
      await storage.replace(namespace, key, kind.withSealed(found.value, seal(secret, keys)), found.version);
      return { outcome: 'resealed' };
    } catch (error) {
      if (error instanceof NotFoundError) return { outcome: 'gone' };
      if (!(error instanceof ConflictError)) throw error;
    }
  }
}

export interface ResealOptions {
  /** Checked before each document: true stops the run (the server is closing). */
  stopped?: () => boolean;
  onUnreadable?: (secret: UnreadableSecret) => void;
}

/** Re-seals every document of every kind; counts per kind. */
export async function resealAll(storage: StorageProvider, kinds: readonly SealedKind[], keys: SecretKeys, options: ResealOptions = {}): Promise<Record<string, ResealCounts>> {
  const report: Record<string, ResealCounts> = {};
  for (const kind of kinds) {
    const counts: ResealCounts = { resealed: 0, current: 0, gone: 0, unreadable: 0 };
    report[kind.name] = counts;
    for await (const [namespace, key] of kind.documents(storage)) {
      if (options.stopped?.()) return report;
      const { outcome, kid } = await resealDocument(storage, kind, namespace, key, keys);
      counts[outcome] += 1;
      if (outcome === 'unreadable') options.onUnreadable?.({ kind: kind.name, namespace, key, kid });
    }
  }
  return report;
}

/** How a key id stands to this process's keys. */
export type KeyRole = 'current' | 'previous' | 'unknown' | 'no key id' | 'plain text';

export interface KeyCensus {
  kid: string | null;
  role: KeyRole;
  documents: number;
  kinds: Record<string, number>;
}

/**
 * How many documents each key id (or none: plain text, or sealed before key ids) still holds, the current key first.
 * Without keys (none configured yet) every key id is unknown: the census then names the keys the store needs.
 */
export async function keyCensus(storage: StorageProvider, kinds: readonly SealedKind[], keys: SecretKeys | undefined): Promise<KeyCensus[]> {
  const current = keys && keyId(keys.current);
  const previous = new Set(keys?.previous.map(keyId));
  const rows = new Map<string, KeyCensus>(current === undefined ? [] : [[`kid:${current}`, { kid: current, role: 'current', documents: 0, kinds: {} }]]);
  for (const kid of previous) rows.set(`kid:${kid}`, { kid, role: 'previous', documents: 0, kinds: {} });
  for (const kind of kinds) {
    for await (const [namespace, key] of kind.documents(storage)) {
      const found = await storage.get(namespace, key);
      if (!found) continue;
      const held = kind.secret(found.value);
      const kid = 'sealed' in held ? held.sealed.kid : undefined;
      const label = 'plain' in held ? 'plain text' : kid === undefined ? 'no key id' : `kid:${kid}`;
      const role: KeyRole = 'plain' in held ? 'plain text' : kid === undefined ? 'no key id' : previous.has(kid) ? 'previous' : kid === current ? 'current' : 'unknown';
      const row = rows.get(label) ?? { kid: kid ?? null, role, documents: 0, kinds: {} };
      row.documents += 1;
      row.kinds[kind.name] = (row.kinds[kind.name] ?? 0) + 1;
      rows.set(label, row);
    }
  }
  return [...rows.values()];
}
