// Brings a data directory written by the earlier local provider (one `{version, value}` JSON file per document,
// job ids sharded into `<8 hex>/<2 hex>/<2 hex>/` directories, `.locks/`, `.tmp/`) into the store file, once.
// The import and its "done" mark commit in one transaction, so a crash leaves either nothing imported or everything;
// only then are the old directories moved aside into `.legacy-tree/` (kept for the operator to remove), and a crash
// between the two is finished by the next open without importing again (documents may have changed since).
// A move the old provider was killed in the middle of could leave a job in two state namespaces: the copy with the
// higher `seq` (the later transition) is kept, as that provider's own repair would have done.
import type Database from 'better-sqlite3';
import { readFileSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { assertKey, assertNamespace } from '../keys.ts';
import { makeDirectorySync } from '../directories.ts';

export const LEGACY_DIR = '.legacy-tree';
const DONE_MARK = 'legacy-import';
const SHARD = [/^[0-9a-f]{8}$/, /^[0-9a-f]{2}$/, /^[0-9a-f]{2}$/];
const JOB_STATE_NAMESPACE = /^jobs\/(queued|running|finished|deleted)\/[^/]+$/;

interface LegacyDocument {
  namespace: string;
  key: string;
  version: string;
  value: unknown;
}

/** Top-level directories of the old layout: every non-hidden directory, plus the old provider's own. */
function legacyEntries(root: string): { namespaces: string[]; internal: string[] } {
  const namespaces: string[] = [];
  const internal: string[] = [];
  for (const entry of readdirSync(root, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    if (entry.name === '.locks' || entry.name === '.tmp') internal.push(entry.name);
    else if (!entry.name.startsWith('.')) namespaces.push(entry.name);
  }
  return { namespaces, internal };
}

/** The namespace and key a file of the old layout stood for, or undefined for anything else. */
function addressOf(segments: string[], file: string): { namespace: string; key: string } | undefined {
  if (!file.endsWith('.json')) return undefined;
  const key = file.slice(0, -'.json'.length);
  let dirs = segments;
  const shards = segments.slice(-3);
  if (shards.length === 3 && shards.every((part, i) => SHARD[i]!.test(part)) && key.startsWith(shards.join(''))) {
    dirs = segments.slice(0, -3);
  }
  const namespace = dirs.join('/');
  try {
    assertNamespace(namespace);
    assertKey(key);
  } catch {
    return undefined;
  }
  return { namespace, key };
}

function* walk(dir: string, segments: string[]): Generator<LegacyDocument> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      yield* walk(path, [...segments, entry.name]);
      continue;
    }
    const address = addressOf(segments, entry.name);
    if (!address) continue;
    let envelope: { version?: unknown; value?: unknown };
    try {
      envelope = JSON.parse(readFileSync(path, 'utf8')) as typeof envelope;
    } catch {
      continue; // a torn temp copy cannot be here (renames are atomic); an unreadable stray file is not a document
    }
    if (typeof envelope.version !== 'string') continue;
    yield { ...address, version: envelope.version, value: envelope.value };
  }
}

/** Keeps, for each job found in several state namespaces, only the copy with the highest seq. */
function latestJobCopies(documents: LegacyDocument[]): LegacyDocument[] {
  const best = new Map<string, LegacyDocument>();
  const seqOf = (doc: LegacyDocument) => Number((doc.value as { seq?: unknown } | null)?.seq ?? 0);
  const out: LegacyDocument[] = [];
  for (const doc of documents) {
    if (!JOB_STATE_NAMESPACE.test(doc.namespace)) {
      out.push(doc);
      continue;
    }
    const id = `${doc.namespace.split('/')[2]}/${doc.key}`;
    const seen = best.get(id);
    if (!seen || seqOf(doc) > seqOf(seen)) best.set(id, doc);
  }
  return [...out, ...best.values()];
}

/** Imports the old layout if there is one and moves it aside; returns the number of documents imported. */
export function importLegacyTree(root: string, db: Database.Database): number {
  const { namespaces, internal } = legacyEntries(root);
  if (namespaces.length === 0 && internal.length === 0) return 0;
  const done = db.prepare('SELECT value FROM meta WHERE name = ?').get(DONE_MARK);
  let imported = 0;
  if (!done) {
    db.exec('BEGIN IMMEDIATE');
    try {
      if (!db.prepare('SELECT value FROM meta WHERE name = ?').get(DONE_MARK)) {
        const found = namespaces.flatMap((name) => [...walk(join(root, name), [name])]);
        const insert = db.prepare('INSERT OR IGNORE INTO documents (namespace, key, version, value) VALUES (?, ?, ?, ?)');
        for (const doc of latestJobCopies(found)) {
          imported += insert.run(doc.namespace, doc.key, doc.version, JSON.stringify(doc.value) ?? 'null').changes;
        }
        db.prepare('INSERT INTO meta (name, value) VALUES (?, ?)').run(DONE_MARK, new Date().toISOString());
      }
      db.exec('COMMIT');
    } catch (error) {
      db.exec('ROLLBACK');
      throw error;
    }
  }
  moveAside(root, namespaces, internal);
  return imported;
}

function moveAside(root: string, namespaces: string[], internal: string[]): void {
  const aside = join(root, LEGACY_DIR);
  makeDirectorySync(aside, 0o700);
  for (const name of namespaces) {
    try {
      renameSync(join(root, name), join(aside, `${name}-${Date.now()}-${process.pid}`));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error; // another process moved it first
    }
  }
  for (const name of internal) rmSync(join(root, name), { recursive: true, force: true });
}
