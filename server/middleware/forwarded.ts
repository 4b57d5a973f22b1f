// Behind N trusted proxies Koa reads X-Forwarded-Host and X-Forwarded-Proto from their FIRST entry, which is whatever
// the client sent, so a request could choose the host and scheme of the `url` qlued publishes. Here both are cut to
// the entry the outermost proxy added, the same position the client address comes from (app.ts: the Nth from the
// right, the first when there are fewer), before anything reads ctx.host or ctx.protocol.
import type { IncomingHttpHeaders } from 'node:http';
import type { Middleware } from 'koa';

const SCHEMES = new Set(['http', 'https']);

/** The entry of a comma-separated forwarding header that the outermost of `hops` proxies added. */
function trustedEntry(value: string, hops: number): string {
  return value.split(',').map((entry) => entry.trim()).slice(-hops)[0] ?? '';
}

function keepOnly(headers: IncomingHttpHeaders, name: string, value: string): void {
  if (value) headers[name] = value;
  else delete headers[name];
}

export function trustedForwarding(hops: number): Middleware {
  return async (ctx, next) => {
    const { headers } = ctx.req;
    keepOnly(headers, 'x-forwarded-host', trustedEntry(ctx.get('x-forwarded-host'), hops));
    // Any other scheme (javascript:, say) would publish a url no client should follow.
    const proto = trustedEntry(ctx.get('x-forwarded-proto'), hops).toLowerCase();
    keepOnly(headers, 'x-forwarded-proto', SCHEMES.has(proto) ? proto : '');
    await next();
  };
}
