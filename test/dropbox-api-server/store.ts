// In-memory Dropbox namespace: entries keyed by path_lower, with ids, revs, tombstones and a change journal.
import { randomBytes } from 'node:crypto';
import { dropboxContentHash } from './content-hash.ts';
import { dropboxTimestamp } from './http-util.ts';
import type { JsonObject } from './http-util.ts';
import {
  MalformedPathError, autorenameCandidate, isWithin, lowerOf, parentLower, parsePath,
} from './paths.ts';
import { StoreError, deletedMetadata, inScope, newId, renderMetadata, scrambled, uploadOutcome } from './store-rules.ts';
import type { FileNode, FolderNode, StoreNode, UploadRequest } from './store-rules.ts';

export { StoreError } from './store-rules.ts';
export type { FileNode, FolderNode, StoreNode, UploadRequest, WriteMode } from './store-rules.ts';

export interface ListedEntries {
  base: string;
  entries: JsonObject[];
}

export class DropboxStore {
  private readonly nodes = new Map<string, StoreNode>();
  private readonly idIndex = new Map<string, string>();
  /** path_lower -> path_display of entries that were deleted (or moved away) and not re-created. */
  private readonly tombstones = new Map<string, string>();
  /** One path_lower per change; a list_folder cursor remembers how far into this it has seen. */
  private readonly journal: string[] = [];
  private revCounter = 0;
  private readonly revPrefix = randomBytes(3).toString('hex');
  /** Lets list_folder/continue answer `reset` to cursors minted by another server instance. */
  readonly instanceId = randomBytes(6).toString('hex');

  get seq(): number {
    return this.journal.length;
  }

  // ---- reads ----

  getMetadata(raw: string, includeDeleted: boolean): JsonObject {
    const { lower } = this.resolve(raw, 'lookup');
    const node = this.nodes.get(lower);
    if (node) return this.metadata(node, true);
    const deleted = this.tombstones.get(lower);
    if (includeDeleted && deleted !== undefined) return deletedMetadata(deleted);
    throw new StoreError('lookup', ['not_found']);
  }

  readFile(raw: string): FileNode {
    const { node } = this.lookupExisting(raw);
    if (node.kind !== 'file') throw new StoreError('lookup', ['not_file']);
    return node;
  }

  /** The full listing of a folder, in no particular order. */
  list(raw: string, recursive: boolean, includeDeleted: boolean): ListedEntries {
    const base = this.folderLower(raw);
    const entries: JsonObject[] = [];
    for (const [lower, node] of this.nodes) {
      if (inScope(lower, base, recursive)) entries.push(this.metadata(node, true));
    }
    if (includeDeleted) {
      for (const [lower, display] of this.tombstones) {
        if (inScope(lower, base, recursive)) entries.push(deletedMetadata(display));
      }
    }
    return { base, entries: scrambled(entries, this.instanceId) };
  }

  /**
   * What changed under `base` after journal position `seq`, one entry per path (its current metadata, or a deleted
   * entry) in the order of each path's latest change, so a client applying them in order ends up right.
   */
  changesSince(base: string, recursive: boolean, seq: number): JsonObject[] {
    if (base !== '' && this.nodes.get(base)?.kind !== 'folder') throw new StoreError('lookup', ['not_found']);
    const latest = new Set<string>();
    for (const lower of this.journal.slice(seq)) {
      if (!inScope(lower, base, recursive)) continue;
      // Re-inserted, so the set's order is that of each path's latest change.
      latest.delete(lower);
      latest.add(lower);
    }
    const entries: JsonObject[] = [];
    for (const lower of latest.keys()) {
      const node = this.nodes.get(lower);
      const deleted = this.tombstones.get(lower);
      if (node) entries.push(this.metadata(node, true));
      else if (deleted !== undefined) entries.push(deletedMetadata(deleted));
    }
    return entries;
  }

  /** path_lower of an existing folder (or '' for root) to list; used by list_folder and get_latest_cursor. */
  folderLower(raw: string): string {
    const { lower } = this.resolve(raw, 'lookup');
    if (lower === '') return '';
    const node = this.nodes.get(lower);
    if (!node) throw new StoreError('lookup', ['not_found']);
    if (node.kind !== 'folder') throw new StoreError('lookup', ['not_folder']);
    return lower;
  }

  // ---- writes ----

  /** files/upload semantics, including WriteMode, strict_conflict and autorename. */
  upload(req: UploadRequest): FileNode {
    const parts = this.writeParts(req.path);
    const lower = lowerOf(parts);
    this.assertNoFileAncestor(lower);
    const hash = dropboxContentHash(req.content);
    const existing = this.nodes.get(lower);
    const outcome = uploadOutcome(existing, hash, req);
    if (outcome === 'unchanged' && existing?.kind === 'file') return existing;
    let target = parts;
    if (outcome === 'file' || outcome === 'folder') {
      if (!req.autorename) throw new StoreError('write', ['conflict', outcome]);
      target = this.freeName(parts, req.mode.kind === 'update' ? 'conflicted' : 'number');
    }
    return this.writeFile(target, req.content, hash, req.clientModified);
  }

  createFolder(raw: string, autorename: boolean): FolderNode {
    let parts = this.writeParts(raw);
    const lower = lowerOf(parts);
    this.assertNoFileAncestor(lower);
    const existing = this.nodes.get(lower);
    if (existing) {
      if (!autorename) throw new StoreError('write', ['conflict', existing.kind]);
      parts = this.freeName(parts, 'number');
    }
    const display = this.ensureParents(parts);
    const node: FolderNode = { kind: 'folder', id: newId(), display };
    this.insert(node);
    return node;
  }

  /** files/delete_v2: removes the entry and everything below it; returns its metadata before deletion. */
  delete(raw: string, parentRev: string | undefined): JsonObject {
    const { lower, node } = this.lookupExisting(raw);
    if (parentRev !== undefined) {
      // parent_rev "does not support deleting a folder"; a stale rev means someone else wrote first.
      if (node.kind !== 'file') throw new StoreError('lookup', ['not_file']);
      if (node.rev !== parentRev) throw new StoreError('write', ['conflict', 'file']);
    }
    const before = this.metadata(node, true);
    for (const removed of this.takeSubtree(lower)) this.tombstones.set(removed.display.toLowerCase(), removed.display);
    this.journal.push(lower);
    return before;
  }

  /**
   * files/move_v2. Runs synchronously once the request body is in, so two concurrent moves of one
   * source are serialised: the first wins, the second sees from_lookup/not_found.
   */
  move(fromRaw: string, toRaw: string, autorename: boolean): JsonObject {
    const from = this.lookupExisting(fromRaw);
    let toParts = this.writeParts(toRaw);
    const toLower = lowerOf(toParts);
    if (toLower === from.lower) {
      const newDisplay = `/${toParts.join('/')}`;
      if (newDisplay === from.node.display) throw new StoreError('relocation', ['duplicated_or_nested_paths']);
      // A case-only rename keeps path_lower, so it is not journaled: Dropbox says casing-only
      // changes are not returned by list_folder/continue.
      this.rewriteSubtree(from.lower, from.node.display, newDisplay, false);
      return this.metadata(this.mustGet(from.lower), true);
    }
    if (isWithin(toLower, from.lower)) throw new StoreError('relocation', ['cant_move_folder_into_itself']);
    this.assertNoFileAncestor(toLower);
    const blocking = this.nodes.get(toLower);
    if (blocking) {
      if (!autorename) throw new StoreError('write', ['conflict', blocking.kind]);
      toParts = this.freeName(toParts, 'number');
    }
    const newDisplay = this.ensureParents(toParts);
    this.rewriteSubtree(from.lower, from.node.display, newDisplay, true);
    return this.metadata(this.mustGet(newDisplay.toLowerCase()), true);
  }

  // ---- helpers for tests that seed or inspect state directly ----

  /** Writes a file as an overwrite would (parents created); returns its metadata. */
  putFile(path: string, content: Buffer | string): JsonObject {
    const data = typeof content === 'string' ? Buffer.from(content) : content;
    const node = this.upload({ path, content: data, mode: { kind: 'overwrite' }, autorename: false, strictConflict: false });
    return this.metadata(node, false);
  }

  /** Content of the file at `path`, or undefined when there is no file there. */
  fileContent(path: string): Buffer | undefined {
    const node = this.nodes.get(path.toLowerCase());
    return node?.kind === 'file' ? node.content : undefined;
  }

  /** path_display of every entry, sorted. */
  paths(): string[] {
    return [...this.nodes.values()].map((n) => n.display).sort();
  }

  /** Metadata JSON; `tagged` adds ".tag" (Metadata unions have it, bare FileMetadata structs do not). */
  metadata(node: StoreNode, tagged: boolean): JsonObject {
    return renderMetadata(node, tagged);
  }

  // ---- internals ----

  private resolve(raw: string, side: 'lookup' | 'write'): { lower: string } {
    let parsed;
    try {
      parsed = parsePath(raw);
    } catch (err) {
      if (err instanceof MalformedPathError) throw new StoreError(side, ['malformed_path']);
      throw err;
    }
    if (parsed.kind === 'path') return { lower: parsed.lower };
    const lower = this.idIndex.get(parsed.id);
    if (lower === undefined) throw new StoreError('lookup', ['not_found']);
    return { lower };
  }

  private lookupExisting(raw: string): { lower: string; node: StoreNode } {
    const { lower } = this.resolve(raw, 'lookup');
    if (lower === '') throw new StoreError('lookup', ['malformed_path']);
    const node = this.nodes.get(lower);
    if (!node) throw new StoreError('lookup', ['not_found']);
    return { lower, node };
  }

  /** Components of a write target; writes take slash paths only (never the root). */
  private writeParts(raw: string): string[] {
    try {
      const parsed = parsePath(raw);
      if (parsed.kind === 'path' && parsed.parts.length > 0) return parsed.parts;
    } catch (err) {
      if (!(err instanceof MalformedPathError)) throw err;
    }
    throw new StoreError('write', ['malformed_path']);
  }

  private mustGet(lower: string): StoreNode {
    const node = this.nodes.get(lower);
    if (!node) throw new Error(`internal: ${lower} vanished`);
    return node;
  }

  private assertNoFileAncestor(lower: string): void {
    for (let p = parentLower(lower); p !== ''; p = parentLower(p)) {
      if (this.nodes.get(p)?.kind === 'file') throw new StoreError('write', ['conflict', 'file_ancestor']);
    }
  }

  private freeName(parts: string[], style: 'number' | 'conflicted'): string[] {
    const parent = parts.slice(0, -1);
    const name = parts[parts.length - 1] ?? '';
    for (let attempt = 1; ; attempt += 1) {
      const candidate = [...parent, autorenameCandidate(name, attempt, style)];
      if (!this.nodes.has(lowerOf(candidate))) return candidate;
    }
  }

  /**
   * Creates missing parent folders (Dropbox does this implicitly on upload) and returns the
   * target's path_display, which keeps the casing of parents that already exist.
   */
  private ensureParents(parts: string[]): string {
    let display = '';
    for (let i = 0; i < parts.length - 1; i += 1) {
      const prefixLower = lowerOf(parts.slice(0, i + 1));
      const existing = this.nodes.get(prefixLower);
      if (existing) {
        display = existing.display;
      } else {
        display = `${display}/${parts[i] ?? ''}`;
        this.insert({ kind: 'folder', id: newId(), display });
      }
    }
    return `${display}/${parts[parts.length - 1] ?? ''}`;
  }

  private writeFile(parts: string[], content: Buffer, hash: string, clientModified: string | undefined): FileNode {
    const display = this.ensureParents(parts);
    const previous = this.nodes.get(display.toLowerCase());
    const now = dropboxTimestamp(Date.now());
    const node: FileNode = {
      kind: 'file',
      // A file keeps its id (and its casing) across revisions at the same path.
      id: previous?.id ?? newId(),
      display: previous?.display ?? display,
      content: Buffer.from(content),
      rev: this.nextRev(),
      serverModified: now,
      clientModified: clientModified ?? now,
      contentHash: hash,
    };
    this.insert(node);
    return node;
  }

  private insert(node: StoreNode): void {
    const lower = node.display.toLowerCase();
    this.nodes.set(lower, node);
    this.idIndex.set(node.id, lower);
    this.tombstones.delete(lower);
    this.journal.push(lower);
  }

  /** Removes `lower` and its descendants from the namespace and returns them, shallowest first. */
  private takeSubtree(lower: string): StoreNode[] {
    const keys = [...this.nodes.keys()].filter((k) => isWithin(k, lower)).sort();
    return keys.map((k) => {
      const node = this.mustGet(k);
      this.nodes.delete(k);
      this.idIndex.delete(node.id);
      return node;
    });
  }

  /** Moves a subtree from `oldDisplay` to `newDisplay`; ids stay, moved files get a new rev. */
  private rewriteSubtree(lower: string, oldDisplay: string, newDisplay: string, journaled: boolean): void {
    const moved = this.takeSubtree(lower);
    if (journaled) {
      for (const node of moved) this.tombstones.set(node.display.toLowerCase(), node.display);
      this.journal.push(lower);
    }
    for (const node of moved) {
      const display = newDisplay + node.display.slice(oldDisplay.length);
      const next: StoreNode = node.kind === 'file' && journaled ? { ...node, display, rev: this.nextRev() } : { ...node, display };
      if (journaled) this.insert(next);
      else {
        this.nodes.set(display.toLowerCase(), next);
        this.idIndex.set(next.id, display.toLowerCase());
      }
    }
  }

  private nextRev(): string {
    this.revCounter += 1;
    // Dropbox revs are opaque lowercase hex strings of at least 9 characters.
    return `${this.revPrefix}${this.revCounter.toString(16).padStart(9, '0')}`;
  }
}
