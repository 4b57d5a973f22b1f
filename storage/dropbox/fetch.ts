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
    const timeoutMs = options.timeoutMs;
    if (timeoutMs === undefined || request.signal) {
      const res = await fetchImpl(target, request);
      return Object.assign(res, { buffer: async () => Buffer.from(await res.arrayBuffer()) });
    }
    // A hung connection must not hang the provider: the abort surfaces as a retryable network failure.
    const length = ArrayBuffer.isView(request.body) ? request.body.byteLength : typeof request.body === 'string' ? Buffer.byteLength(request.body) : 0;
    const limit = new IdleLimit(timeoutMs + Math.ceil((length / MIN_BYTES_PER_SECOND) * 1000));
    const res = await fetchImpl(target, { ...request, signal: limit.signal }).catch((error: unknown) => {
      limit.clear();
      throw error;
    });
    // Once the answer's headers are in, its body has the timeout between chunks, not in all: a 64 MiB download on a
    // slow lab uplink was abandoned on every try under a 30 s deadline for the whole exchange.
    limit.restart(timeoutMs);
    // SDK 10.34 (the last release for Node < 22) reads download bodies with node-fetch's res.buffer(); native
    // Responses lack it, so add it (reading chunk by chunk). Newer SDKs use arrayBuffer().
    return Object.assign(res, {
      buffer: async () => {
        const chunks: Buffer[] = [];
        try {
          for await (const chunk of (res.body ?? []) as AsyncIterable<Uint8Array>) {
            limit.restart(timeoutMs);
            chunks.push(Buffer.from(chunk));
          }
        } finally {
          limit.clear();
        }
        return Buffer.concat(chunks);
      },
    });
  };
}

/** An abort signal that fires after `ms` without a restart (a timer unref'd: it must not keep the process alive). */
class IdleLimit {
  private readonly controller = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  readonly signal = this.controller.signal;

  constructor(ms: number) {
    this.restart(ms);
  }

  restart(ms: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.controller.abort(new DOMException(`no progress within ${ms} ms`, 'TimeoutError')), ms).unref();
  }

  clear(): void {
    clearTimeout(this.timer);
  }
}
