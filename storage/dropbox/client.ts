// The few Dropbox calls the provider makes, through the official SDK, with login, token refresh and bounded
// retries in one place. Route errors come back as data (`Outcome`), flagged `ambiguous` when an earlier try of the
// same request may have been applied; running out of retries is a StorageUnavailableError (servers answer 503).
import { Dropbox, DropboxAuth, DropboxResponseError } from 'dropbox';
import type { files } from 'dropbox';
import { LimitExceededError, StorageUnavailableError } from '../../schemas/errors.ts';
import { createDropboxFetch } from './fetch.ts';
import { backoffMs, classify, retryPolicy, sleep, spreadWait, type Failure, type RetryOptions, type RetryPolicy } from './retry.ts';

export interface DropboxLogin {
  /** App key (OAuth client id); with `refreshToken`, the provider obtains and renews access tokens itself. */
  appKey?: string;
  /** App secret; not needed for refresh tokens obtained with PKCE. */
  appSecret?: string;
  refreshToken?: string;
  /** A plain access token instead (short-lived tokens expire after 4 h and are then refused). */
  accessToken?: string;
}

export interface DropboxClientOptions extends DropboxLogin {
  /** Tests only: send every request to this base URL (the local Dropbox API server) instead of dropboxapi.com. */
  apiBaseUrl?: string;
  retry?: RetryOptions;
  /** Per-request timeout, plus the time an upload needs at 256 KiB/s (fetch.ts); default 30 s. */
  requestTimeoutMs?: number;
}

export interface FileInfo {
  rev: string;
  /** Dropbox content_hash of the file's bytes. */
  hash: string;
}

export interface FileContent extends FileInfo {
  bytes: Buffer;
}

export interface ListEntry {
  tag: 'file' | 'folder' | 'deleted';
  name: string;
}

export interface ListPage {
  entries: ListEntry[];
  cursor: string;
  hasMore: boolean;
}

export type WriteMode = { kind: 'add' } | { kind: 'overwrite' } | { kind: 'update'; rev: string };

export type Outcome<T> = { ok: true; value: T } | { ok: false; summary: string; ambiguous: boolean };

/** Dropbox summaries end in '/' plus a varying run of dots, so they are compared by prefix. */
export function isAnswer(outcome: { summary: string }, prefix: string): boolean {
  return outcome.summary.startsWith(prefix);
}

/** A rev as Dropbox accepts it; anything else cannot be a current version. */
export function isRev(value: string): boolean {
  return /^[0-9a-f]{9,}$/.test(value);
}

/**
 * An answer the provider has no meaning for; a full Dropbox is worth backing off from, a document over the 150 MiB
 * files/upload accepts is the caller's (as S3's EntityTooLarge and MongoDB's 16 MiB), anything else is a bug.
 */
export function unexpectedAnswer(route: string, path: string, summary: string): Error {
  if (/(^|\/)insufficient_space\//.test(summary)) return new StorageUnavailableError(`Dropbox is full (${route} ${path})`, 300);
  if (summary.startsWith('payload_too_large/')) return new LimitExceededError(`${path} exceeds the 150 MiB Dropbox accepts in one upload`);
  return new Error(`Dropbox ${route} ${path}: unexpected answer ${summary}`);
}

/** Renew the access token when it has less than this left, so no request goes out with a dying token. */
const REFRESH_MARGIN_MS = 60_000;
/** 401s one request may answer with a new token before it gives up (a refresh of its own, or one another request made). */
const MAX_TOKEN_REFUSALS = 2;
const LIST_PAGE = 2000;

function fileInfo(metadata: { rev?: string; content_hash?: string }): FileInfo {
  if (typeof metadata.rev !== 'string' || typeof metadata.content_hash !== 'string') {
    throw new Error('Dropbox returned file metadata without rev or content_hash');
  }
  return { rev: metadata.rev, hash: metadata.content_hash };
}

function listPage(result: files.ListFolderResult): ListPage {
  return {
    entries: result.entries.map((entry) => ({ tag: entry['.tag'], name: entry.name })),
    cursor: result.cursor,
    hasMore: result.has_more,
  };
}

export class DropboxClient {
  private readonly dbx: Dropbox;
  /** Holds the access token every request sends. */
  private readonly bearer: DropboxAuth;
  /** Present with refresh-token login: renews `bearer`'s token, one refresh at a time. */
  private readonly refresher?: DropboxAuth;
  private readonly policy: RetryPolicy;
  private tokenExpiresAt = 0;
  private refreshing?: Promise<void>;

  constructor(options: DropboxClientOptions) {
    const fetch = createDropboxFetch(options.apiBaseUrl, globalThis.fetch, { timeoutMs: options.requestTimeoutMs ?? 30_000 });
    if (options.refreshToken) {
      if (!options.appKey) throw new Error('Dropbox refresh-token login needs the app key');
      this.refresher = new DropboxAuth({
        clientId: options.appKey,
        refreshToken: options.refreshToken,
        fetch,
        ...(options.appSecret ? { clientSecret: options.appSecret } : {}),
      });
    } else if (!options.accessToken) {
      throw new Error('Dropbox login needs appKey + refreshToken (and appSecret unless PKCE), or an accessToken');
    }
    // The request-side auth has no refresh token, so the SDK never refreshes on its own: refreshing here instead
    // lets concurrent requests share one refresh and lets a 401 force one.
    this.bearer = new DropboxAuth({ fetch, ...(options.accessToken ? { accessToken: options.accessToken } : {}) });
    this.dbx = new Dropbox({ auth: this.bearer, fetch });
    this.policy = retryPolicy(options.retry);
  }

  upload(path: string, bytes: Buffer, mode: WriteMode): Promise<Outcome<FileInfo>> {
    const writeMode: files.WriteMode =
      mode.kind === 'update' ? { '.tag': 'update', update: mode.rev } : { '.tag': mode.kind };
    // strict_conflict: `add` of identical bytes and `update` of a deleted file must conflict, never succeed.
    return this.call('files/upload', async () =>
      fileInfo((await this.dbx.filesUpload({ path, contents: bytes, mode: writeMode, autorename: false, strict_conflict: true, mute: true })).result),
    );
  }

  download(path: string): Promise<Outcome<FileContent>> {
    return this.call('files/download', async () => {
      const { result } = await this.dbx.filesDownload({ path });
      const bytes = (result as files.FileMetadata & { fileBinary?: unknown }).fileBinary;
      if (!Buffer.isBuffer(bytes)) throw new Error('Dropbox download returned no content');
      return { ...fileInfo(result), bytes };
    });
  }

  /** Metadata of the file at `path`, or undefined when nothing is there. */
  async metadata(path: string): Promise<FileInfo | undefined> {
    const outcome = await this.call('files/get_metadata', async () => (await this.dbx.filesGetMetadata({ path })).result);
    if (!outcome.ok) {
      if (isAnswer(outcome, 'path/not_found/')) return undefined;
      throw unexpectedAnswer('get_metadata', path, outcome.summary);
    }
    if (outcome.value['.tag'] !== 'file') throw new Error(`Dropbox ${path} is a ${outcome.value['.tag']}, not a file`);
    return fileInfo(outcome.value);
  }

  move(from: string, to: string): Promise<Outcome<FileInfo>> {
    return this.call('files/move_v2', async () => {
      const { metadata } = (await this.dbx.filesMoveV2({ from_path: from, to_path: to, autorename: false })).result;
      if (metadata['.tag'] !== 'file') throw new Error(`Dropbox moved a ${metadata['.tag']} instead of a file`);
      return fileInfo(metadata);
    });
  }

  remove(path: string, parentRev?: string): Promise<Outcome<void>> {
    return this.call('files/delete_v2', async () => {
      await this.dbx.filesDeleteV2({ path, ...(parentRev === undefined ? {} : { parent_rev: parentRev }) });
    });
  }

  listFolder(path: string): Promise<Outcome<ListPage>> {
    return this.call('files/list_folder', async () =>
      listPage((await this.dbx.filesListFolder({ path, recursive: false, include_deleted: false, limit: LIST_PAGE })).result),
    );
  }

  listContinue(cursor: string): Promise<Outcome<ListPage>> {
    return this.call('files/list_folder/continue', async () => listPage((await this.dbx.filesListFolderContinue({ cursor })).result));
  }

  /** Runs one request with the retry rules of retry.ts. */
  private async call<T>(route: string, request: () => Promise<T>): Promise<Outcome<T>> {
    let ambiguous = false;
    let refusals = 0;
    for (let attempt = 1; ; attempt += 1) {
      let failure: Failure;
      let sentWith: string | undefined;
      try {
        await this.ensureToken();
        sentWith = this.bearer.getAccessToken();
        return { ok: true, value: await request() };
      } catch (error) {
        failure = classify(error);
      }
      if (failure.kind === 'route') return { ok: false, summary: failure.summary, ambiguous };
      if (failure.kind === 'fatal') throw new Error(`Dropbox ${route} failed: ${failure.detail}`);
      if (failure.kind === 'auth') {
        if (!this.refresher) throw new StorageUnavailableError(`Dropbox refused the access token (${failure.detail})`, 60);
        if (refusals === MAX_TOKEN_REFUSALS) throw new StorageUnavailableError(`Dropbox refused a freshly refreshed token (${failure.detail})`, 60);
        refusals += 1;
        // Dropbox can end a token before its announced expiry: get a new one and repeat (nothing was applied). A
        // request sent before another one's refresh finished was refused the old token: it only needs the new one,
        // and refreshing again would throw that away.
        if (this.bearer.getAccessToken() === sentWith) this.tokenExpiresAt = 0;
        attempt -= 1;
        continue;
      }
      // A token refresh that failed never sent the request, so it cannot have applied it.
      if (failure.kind === 'transient' && sentWith !== undefined) ambiguous = true;
      const waitSeconds = failure.retryAfterSeconds;
      if (attempt >= this.policy.attempts || (waitSeconds !== undefined && waitSeconds > this.policy.maxRetryAfterSeconds)) {
        throw new StorageUnavailableError(
          `Dropbox ${route} failed after ${attempt} ${attempt === 1 ? 'try' : 'tries'}: ${failure.detail}`,
          Math.max(1, Math.ceil(waitSeconds ?? this.policy.maxDelayMs / 1000)),
        );
      }
      await sleep(waitSeconds !== undefined ? spreadWait(this.policy, waitSeconds) : backoffMs(this.policy, attempt - 1));
    }
  }

  private async ensureToken(): Promise<void> {
    if (!this.refresher || (this.bearer.getAccessToken() && Date.now() < this.tokenExpiresAt - REFRESH_MARGIN_MS)) return;
    this.refreshing ??= this.refresh().finally(() => {
      this.refreshing = undefined;
    });
    await this.refreshing;
  }

  private async refresh(): Promise<void> {
    const refresher = this.refresher!;
    try {
      // The SDK's typings say void; the implementation returns the refresh request's promise.
      await (refresher.refreshAccessToken() as unknown as Promise<void>);
    } catch (error) {
      // A refused grant or client will not fix itself by retrying soon; network trouble and 5xx will (see call()).
      if (error instanceof DropboxResponseError && error.status < 500 && error.status !== 429) {
        const reason = JSON.stringify(error.error).slice(0, 200);
        throw new StorageUnavailableError(`Dropbox refused the app key/secret or refresh token: ${reason}`, 60);
      }
      throw error;
    }
    this.bearer.setAccessToken(refresher.getAccessToken());
    this.tokenExpiresAt = refresher.getAccessTokenExpiresAt().getTime();
  }
}

