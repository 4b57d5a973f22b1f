// The /2/files/* routes: argument checking, store calls, and each route's own error union shape.
import { randomBytes } from 'node:crypto';
import { ArgReader } from './args.ts';
import type { ArgSource } from './args.ts';
import { dropboxContentHash } from './content-hash.ts';
import { ApiReplyError, routeError, taggedUnion } from './errors.ts';
import { headerSafeJson, isJsonObject, jsonReply } from './http-util.ts';
import type { HttpReply, JsonObject } from './http-util.ts';
import { StoreError } from './store.ts';
import type { DropboxStore } from './store.ts';

export type RouteStyle = 'rpc' | 'upload' | 'download';

export interface RouteInput {
  route: string;
  args: JsonObject;
  source: ArgSource;
  /** Upload content (content-upload routes only). */
  content: Buffer;
  /** Range request header of a download, if any. */
  range: string | undefined;
}

export interface RouteDef {
  style: RouteStyle;
  handle(input: RouteInput): HttpReply;
}

/** Dropbox rejects single-call uploads above 150 MiB with payload_too_large. */
export const MAX_UPLOAD_BYTES = 150 * 1024 * 1024;

/** Cursor content; Dropbox cursors are opaque strings, ours are base64url JSON. */
interface CursorState {
  /** Server instance that minted it. */
  i: string;
  /** Folder path_lower ('' for root). */
  b: string;
  r: boolean;
  l: number;
  /** Journal position the listing is complete up to. */
  s: number;
  /** Snapshot of the entries still to come while a listing spans several pages. */
  p?: string;
}

/**
 * Runs a store operation, turning a StoreError into the route's error union:
 * e.g. lookup -> "path" for get_metadata, "path_lookup" for delete_v2, "from_lookup" for move_v2.
 */
function attempt<T>(operation: () => T, prefixes: { lookup: string; write: string }): T {
  try {
    return operation();
  } catch (err) {
    if (!(err instanceof StoreError)) throw err;
    if (err.side === 'relocation') throw routeError(err.tags);
    throw routeError([prefixes[err.side], ...err.tags]);
  }
}

const LOOKUP_AS_PATH = { lookup: 'path', write: 'path' };

const LIST_FIELDS = [
  'path', 'recursive', 'include_media_info', 'include_deleted', 'include_has_explicit_shared_members',
  'include_mounted_folders', 'limit', 'shared_link', 'include_property_groups', 'include_non_downloadable_files',
  'include_restorable_info',
];

export function fileRoutes(store: DropboxStore, defaultListLimit: number): Map<string, RouteDef> {
  // Listings larger than one page are frozen here; cursors point into them and stay replayable.
  const snapshots = new Map<string, JsonObject[]>();

  const encodeCursor = (state: CursorState): string => Buffer.from(JSON.stringify(state)).toString('base64url');

  function decodeCursor(reader: ArgReader, raw: string): CursorState {
    let value: unknown;
    try {
      value = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
    } catch {
      throw reader.fail('cursor: invalid cursor');
    }
    if (!isJsonObject(value) || typeof value.i !== 'string' || typeof value.b !== 'string' || typeof value.r !== 'boolean'
      || typeof value.l !== 'number' || typeof value.s !== 'number') {
      throw reader.fail('cursor: invalid cursor');
    }
    const state: CursorState = { i: value.i, b: value.b, r: value.r, l: value.l, s: value.s };
    if (typeof value.p === 'string') state.p = value.p;
    // A cursor from another server instance is like one Dropbox invalidated: "reset".
    if (state.i !== store.instanceId) throw routeError(['reset']);
    return state;
  }

  /** The first `state.l` of `entries`; the rest stays in a snapshot behind the cursor. */
  function page(entries: JsonObject[], state: CursorState): HttpReply {
    const hasMore = entries.length > state.l;
    let next: CursorState = { i: state.i, b: state.b, r: state.r, l: state.l, s: state.s };
    if (hasMore) {
      const id = randomBytes(9).toString('base64url');
      snapshots.set(id, entries.slice(state.l));
      next = { ...next, p: id };
    }
    return jsonReply(200, { entries: entries.slice(0, state.l), cursor: encodeCursor(next), has_more: hasMore });
  }

  function listArgs(input: RouteInput): { path: string; recursive: boolean; includeDeleted: boolean; limit: number } {
    const a = new ArgReader(input.route, input.source, input.args, LIST_FIELDS);
    const path = a.path('path', 'list') ?? '';
    for (const flag of ['include_media_info', 'include_has_explicit_shared_members', 'include_mounted_folders',
      'include_non_downloadable_files', 'include_restorable_info']) a.bool(flag, false);
    return {
      path,
      recursive: a.bool('recursive', false),
      includeDeleted: a.bool('include_deleted', false),
      limit: a.optionalInt('limit', 1, 2000) ?? defaultListLimit,
    };
  }

  const routes = new Map<string, RouteDef>();

  routes.set('files/upload', {
    style: 'upload',
    handle(input) {
      const a = new ArgReader(input.route, input.source, input.args,
        ['path', 'mode', 'autorename', 'client_modified', 'mute', 'property_groups', 'strict_conflict', 'content_hash']);
      const path = a.path('path', 'write') ?? '';
      const mode = a.writeMode('mode');
      const autorename = a.bool('autorename', false);
      const strictConflict = a.bool('strict_conflict', false);
      a.bool('mute', false);
      const clientModified = a.optionalString('client_modified');
      if (clientModified !== undefined && !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/.test(clientModified)) {
        throw a.fail(`client_modified: '${clientModified}' is not a timestamp in format %Y-%m-%dT%H:%M:%SZ`);
      }
      const contentHash = a.optionalString('content_hash');
      if (contentHash !== undefined && contentHash.length !== 64) throw a.fail("content_hash: length must be 64");
      if (input.content.length > MAX_UPLOAD_BYTES) throw routeError(['payload_too_large']);
      if (contentHash !== undefined && contentHash !== dropboxContentHash(input.content)) {
        throw routeError(['content_hash_mismatch']);
      }
      try {
        const node = store.upload({ path, content: input.content, mode, autorename, strictConflict, clientModified });
        // files/upload returns a FileMetadata struct, which Stone serialises without ".tag".
        return jsonReply(200, store.metadata(node, false));
      } catch (err) {
        if (!(err instanceof StoreError)) throw err;
        // UploadError.path is an UploadWriteFailed struct: {reason: WriteError, upload_session_id}.
        const tags = ['path', ...err.tags];
        throw routeError(tags, {
          '.tag': 'path',
          reason: taggedUnion(err.tags),
          upload_session_id: `pid_upload_session:${randomBytes(24).toString('base64url')}`,
        });
      }
    },
  });

  routes.set('files/download', {
    style: 'download',
    handle(input) {
      const a = new ArgReader(input.route, input.source, input.args, ['path', 'rev']);
      const path = a.path('path', 'read') ?? '';
      const rev = a.optionalString('rev');
      const node = attempt(() => store.readFile(path), LOOKUP_AS_PATH);
      // Old revisions are not kept, so only the current rev can be asked for.
      if (rev !== undefined && rev !== node.rev) throw routeError(['path', 'not_found']);
      const headers: Record<string, string> = {
        'Content-Type': 'application/octet-stream',
        'Dropbox-API-Result': headerSafeJson(store.metadata(node, false)),
        'Accept-Ranges': 'bytes',
        ETag: `W/"${node.rev}"`,
      };
      const range = parseRange(input.range, node.content.length);
      if (range === 'unsatisfiable') {
        throw new ApiReplyError({ status: 416, headers: { 'Content-Range': `bytes */${node.content.length}` }, body: '' });
      }
      if (range === undefined) return { status: 200, headers, body: node.content };
      headers['Content-Range'] = `bytes ${range.start}-${range.end}/${node.content.length}`;
      return { status: 206, headers, body: node.content.subarray(range.start, range.end + 1) };
    },
  });

  routes.set('files/get_metadata', {
    style: 'rpc',
    handle(input) {
      const a = new ArgReader(input.route, input.source, input.args,
        ['path', 'include_media_info', 'include_deleted', 'include_has_explicit_shared_members', 'include_property_groups']);
      const path = a.path('path', 'read') ?? '';
      const includeDeleted = a.bool('include_deleted', false);
      return jsonReply(200, attempt(() => store.getMetadata(path, includeDeleted), LOOKUP_AS_PATH));
    },
  });

  routes.set('files/delete_v2', {
    style: 'rpc',
    handle(input) {
      const a = new ArgReader(input.route, input.source, input.args, ['path', 'parent_rev']);
      const path = a.path('path', 'write') ?? '';
      const parentRev = a.optionalString('parent_rev');
      if (parentRev !== undefined && !/^[0-9a-f]{9,}$/.test(parentRev)) throw a.fail(`parent_rev: '${parentRev}' did not match pattern '[0-9a-f]+'`);
      const metadata = attempt(() => store.delete(path, parentRev), { lookup: 'path_lookup', write: 'path_write' });
      return jsonReply(200, { metadata });
    },
  });

  routes.set('files/move_v2', {
    style: 'rpc',
    handle(input) {
      const a = new ArgReader(input.route, input.source, input.args,
        ['from_path', 'to_path', 'allow_shared_folder', 'autorename', 'allow_ownership_transfer']);
      const from = a.path('from_path', 'write') ?? '';
      const to = a.path('to_path', 'write') ?? '';
      a.bool('allow_shared_folder', false);
      a.bool('allow_ownership_transfer', false);
      const autorename = a.bool('autorename', false);
      const metadata = attempt(() => store.move(from, to, autorename), { lookup: 'from_lookup', write: 'to' });
      return jsonReply(200, { metadata });
    },
  });

  routes.set('files/create_folder_v2', {
    style: 'rpc',
    handle(input) {
      const a = new ArgReader(input.route, input.source, input.args, ['path', 'autorename']);
      const path = a.path('path', 'write') ?? '';
      const autorename = a.bool('autorename', false);
      const folder = attempt(() => store.createFolder(path, autorename), LOOKUP_AS_PATH);
      // CreateFolderResult.metadata is a FolderMetadata struct: no ".tag".
      return jsonReply(200, { metadata: store.metadata(folder, false) });
    },
  });

  routes.set('files/list_folder', {
    style: 'rpc',
    handle(input) {
      const { path, recursive, includeDeleted, limit } = listArgs(input);
      const { base, entries } = attempt(() => store.list(path, recursive, includeDeleted), LOOKUP_AS_PATH);
      return page(entries, { i: store.instanceId, b: base, r: recursive, l: limit, s: store.seq });
    },
  });

  routes.set('files/list_folder/get_latest_cursor', {
    style: 'rpc',
    handle(input) {
      const { path, recursive, limit } = listArgs(input);
      const base = attempt(() => store.folderLower(path), LOOKUP_AS_PATH);
      return jsonReply(200, { cursor: encodeCursor({ i: store.instanceId, b: base, r: recursive, l: limit, s: store.seq }) });
    },
  });

  routes.set('files/list_folder/continue', {
    style: 'rpc',
    handle(input) {
      const a = new ArgReader(input.route, input.source, input.args, ['cursor']);
      const state = decodeCursor(a, a.requiredString('cursor'));
      const rest = state.p === undefined ? [] : snapshots.get(state.p);
      if (!rest) throw routeError(['reset']);
      // What is left of a listing read over several pages, then what changed since it was taken: a file listed on
      // an earlier page and deleted meanwhile comes back as a deleted entry before the listing ends.
      const seq = store.seq;
      const changes = attempt(() => store.changesSince(state.b, state.r, state.s), LOOKUP_AS_PATH);
      return page([...rest, ...changes], { i: state.i, b: state.b, r: state.r, l: state.l, s: seq });
    },
  });

  return routes;
}

/** Single byte range "bytes=a-b", "bytes=a-" or "bytes=-n"; anything else is served whole. */
function parseRange(header: string | undefined, size: number): { start: number; end: number } | 'unsatisfiable' | undefined {
  if (header === undefined) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  let start: number;
  let end: number;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  if (start >= size || start > end) return 'unsatisfiable';
  return { start, end };
}
