// A fetch for the `dropbox` SDK's `fetch` option that sends its https://*.dropboxapi.com calls to the local fake.
//
// Why a fetch and not the SDK's `domain`/`domainDelimiter` options: those only change the host
// name and the SDK still hard-codes "https://" (and with a custom domain rewrites "api" to
// "api-<domain>" and "content" to "api-content-<domain>"), so they cannot reach a plain-HTTP
// server on 127.0.0.1:<port>. Every request the SDK makes, token refresh included, goes
// through options.fetch, so rewriting URLs there covers all of it.

/** Minimal view of a fetch Response with the extra `buffer()` that SDK <= 10.34 calls on downloads. */
export type DropboxFetchResponse = Response & { buffer(): Promise<Buffer> };

export type DropboxFetch = (input: string | URL, init?: RequestInit) => Promise<DropboxFetchResponse>;

const DROPBOX_HOSTS = /^https:\/\/(?:api|content|notify)\.dropboxapi\.com(?=\/)/;

/** https://api.dropboxapi.com/2/files/upload -> <baseUrl>/2/files/upload; other URLs unchanged. */
export function rewriteDropboxUrl(url: string, baseUrl: string): string {
  return url.replace(DROPBOX_HOSTS, baseUrl.replace(/\/+$/, ''));
}

/**
 * Returns a fetch to pass as `new Dropbox({ fetch })` / `new DropboxAuth({ fetch })`.
 * `baseUrl` may be a function so a test can point the same client at a restarted server.
 */
export function createDropboxFetch(baseUrl: string | (() => string), fetchImpl: typeof fetch = fetch): DropboxFetch {
  return async (input, init) => {
    const target = rewriteDropboxUrl(String(input), typeof baseUrl === 'function' ? baseUrl() : baseUrl);
    const body: unknown = init?.body;
    // A Node stream body (SDK upload of a ReadStream) needs duplex: 'half' with native fetch.
    const streaming = typeof body === 'object' && body !== null && 'pipe' in body;
    const res = await fetchImpl(target, streaming ? { ...init, duplex: 'half' } as RequestInit : init);
    // SDK 10.34 (the last release for Node < 22) reads download bodies with node-fetch's
    // res.buffer(); native Responses lack it, so add it. Newer SDKs use arrayBuffer().
    return Object.assign(res, { buffer: async () => Buffer.from(await res.arrayBuffer()) });
  };
}
