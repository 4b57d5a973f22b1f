// Pure Dropbox rules behind the store: entry types, WriteMode conflict decisions, listing scope, metadata shapes.
import { createHash, randomBytes } from 'node:crypto';
import type { JsonObject } from './http-util.ts';
import { isWithin, lastComponent, parentLower } from './paths.ts';

export interface FileNode {
  kind: 'file';
  id: string;
  /** Full cased path (path_display); its lowercase is the map key. */
  display: string;
  content: Buffer;
  rev: string;
  serverModified: string;
  clientModified: string;
  contentHash: string;
}

export interface FolderNode {
  kind: 'folder';
  id: string;
  display: string;
}

export type StoreNode = FileNode | FolderNode;

/**
 * A failure in Dropbox's own vocabulary. `side` says which error union it belongs to (LookupError,
 * WriteError, or a top-level RelocationError tag); each route wraps it in its own error shape.
 */
export class StoreError extends Error {
  constructor(readonly side: 'lookup' | 'write' | 'relocation', readonly tags: readonly string[]) {
    super(`${side}: ${tags.join('/')}`);
  }
}

export type WriteMode = { kind: 'add' } | { kind: 'overwrite' } | { kind: 'update'; rev: string };

export interface UploadRequest {
  path: string;
  content: Buffer;
  mode: WriteMode;
  autorename: boolean;
  strictConflict: boolean;
  clientModified?: string;
}

export type UploadOutcome = 'write' | 'unchanged' | 'file' | 'folder';

/**
 * The WriteMode rules from the API spec: nothing at the path -> write; a folder -> conflict;
 * identical content -> nothing written, no conflict (unless strict_conflict); otherwise the mode
 * decides. strict_conflict also makes update with a stale rev conflict when the file is gone.
 */
export function uploadOutcome(existing: StoreNode | undefined, hash: string, req: UploadRequest): UploadOutcome {
  if (!existing) return req.mode.kind === 'update' && req.strictConflict ? 'file' : 'write';
  if (existing.kind === 'folder') return 'folder';
  const identical = existing.contentHash === hash;
  switch (req.mode.kind) {
    case 'add':
      return identical && !req.strictConflict ? 'unchanged' : 'file';
    case 'overwrite':
      return identical ? 'unchanged' : 'write';
    case 'update':
      if (existing.rev === req.mode.rev) return identical ? 'unchanged' : 'write';
      return identical && !req.strictConflict ? 'unchanged' : 'file';
  }
}

export function inScope(lower: string, base: string, recursive: boolean): boolean {
  // A recursive listing of a folder includes the folder itself; a flat one only its children.
  return recursive ? isWithin(lower, base) : lower !== base && parentLower(lower) === base;
}

/** Dropbox metadata JSON for a file or folder entry. */
export function renderMetadata(node: StoreNode, tagged: boolean): JsonObject {
  const common: JsonObject = {
    ...(tagged ? { '.tag': node.kind } : {}),
    name: lastComponent(node.display),
    path_lower: node.display.toLowerCase(),
    path_display: node.display,
    id: node.id,
  };
  if (node.kind === 'folder') return common;
  return {
    ...common,
    client_modified: node.clientModified,
    server_modified: node.serverModified,
    rev: node.rev,
    size: node.content.length,
    is_downloadable: true,
    content_hash: node.contentHash,
  };
}

export function deletedMetadata(display: string): JsonObject {
  return { '.tag': 'deleted', name: lastComponent(display), path_lower: display.toLowerCase(), path_display: display };
}

/**
 * Dropbox documents no order for list_folder entries (not even parents before children); a fixed scramble salted
 * per server instance keeps clients from depending on one, as they would on the real service.
 */
export function scrambled(entries: JsonObject[], salt: string): JsonObject[] {
  const rank = (e: JsonObject): string => createHash('sha256').update(salt).update(String(e.path_lower)).digest('hex');
  return entries.map((entry) => ({ entry, rank: rank(entry) })).sort((a, b) => (a.rank < b.rank ? -1 : 1)).map(({ entry }) => entry);
}

export function newId(): string {
  return `id:${randomBytes(16).toString('base64url').slice(0, 22)}`;
}
