// The `fetch` the dropbox SDK is given: native fetch plus what SDK 10.34 expects of node-fetch, a per-request
// timeout, and (tests only) rewriting of the *.dropboxapi.com hosts to a local Dropbox API server.
//
// Why a fetch and not the SDK's `domain`/`domainDelimiter` options: those only change the host name and the SDK
// still hard-codes "https://" (and with a custom domain rewrites "api" to "api-<domain>" and "content" to
// "api-content-<domain>"), so they cannot reach a plain-HTTP server on 127.0.0.1:<port>. Every request the SDK
// makes, token refresh included, goes through options.fetch, so rewriting URLs here covers all of it.

/** A fetch Response with the extra `buffer()` that SDK <= 10.34 calls on downloads. */
export type DropboxFetchResponse = Response & { buffer(): Promise<Buffer> };

export type DropboxFetch = (input: string | URL, init?: RequestInit) => Promise<DropboxFetchResponse>;

export interface DropboxFetchOptions {
  /**
   * Abort a request (including sending and reading its body) after this many milliseconds, plus the time its bytes
   * take at MIN_BYTES_PER_SECOND; default: no timeout.
   */
  timeoutMs?: number;
}

/**
 * The slowest transfer that still counts as progress. A document can be tens of MiB (QSPOOL_MAX_RESULT_BYTES is 64
 * MiB), which a lab's uplink may need minutes to send: a fixed timeout would abort such an upload on every try, and
 * the result could never be published.
 */
const MIN_BYTES_PER_SECOND = 256 * 1024;

const DROPBOX_HOSTS = /^https:\/\/(?:api|content|notify)\.dropboxapi\.com(?=\/)/;

/** https://api.dropboxapi.com/2/files/upload -> <baseUrl>/2/files/upload; other URLs unchanged. */
export function rewriteDropboxUrl(url: string, baseUrl: string): string {
  return url.replace(DROPBOX_HOSTS, baseUrl.replace(/\/+$/, ''));
}

/**
 * Returns a fetch to pass as `new Dropbox({ fetch })` / `new DropboxAuth({ fetch })`.
 * `baseUrl` (tests only) may be a function so the same client follows a restarted server; leave it undefined to
 * talk to the real Dropbox.
 */
export function createDropboxFetch(
  baseUrl?: string | (() => string),
  fetchImpl: typeof fetch = fetch,
  options: DropboxFetchOptions = {},
): DropboxFetch {
  return async (input, init) => {
    const base = typeof baseUrl === 'function' ? baseUrl() : baseUrl;
    const target = base === undefined ? String(input) : rewriteDropboxUrl(String(input), base);
    let request: RequestInit = init ?? {};
    // A Node stream body (SDK upload of a ReadStream) needs duplex: 'half' with native fetch.
    const body: unknown = request.body;
    if (typeof body === 'object' && body !== null && 'pipe' in body) request = { ...request, duplex: 'half' } as RequestInit;
    // A hung connection must not hang the provider: the abort surfaces as a retryable network failure.
    if (options.timeoutMs !== undefined && !request.signal) {
      const length = ArrayBuffer.isView(request.body) ? request.body.byteLength : typeof request.body === 'string' ? Buffer.byteLength(request.body) : 0;
      request = { ...request, signal: AbortSignal.timeout(options.timeoutMs + Math.ceil((length / MIN_BYTES_PER_SECOND) * 1000)) };
    }
    const res = await fetchImpl(target, request);
    // SDK 10.34 (the last release for Node < 22) reads download bodies with node-fetch's res.buffer(); native
    // Responses lack it, so add it. Newer SDKs use arrayBuffer().
    return Object.assign(res, { buffer: async () => Buffer.from(await res.arrayBuffer()) });
  };
}
