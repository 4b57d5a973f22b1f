// The web interface: its pages at /, /backends, /submit, /jobs, /jobs/<id>, /tokens, /admin, /login and /signup
// (all the same index.html; the browser code picks the page from the path), and its built assets at /ui/<file>
// from server/ui/dist (scripts/build-ui.mjs). Every answer carries a Content-Security-Policy that allows scripts,
// styles and requests from this origin only: no inline script can run even if some text slipped through escaping.
import Router from '@koa/router';
import type { Context } from 'koa';
import { readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NotFoundError } from '../../schemas/errors.ts';

export const PAGE_PATHS = ['/', '/login', '/signup', '/backends', '/submit', '/jobs', '/jobs/:id', '/tokens', '/verify-email', '/admin'] as const;

const DIST = fileURLToPath(new URL('../ui/dist/', import.meta.url));
/** Built file names: a name and an extension, nothing that could climb out of dist/. */
const ASSET = /^[A-Za-z0-9][A-Za-z0-9_-]*(\.[A-Za-z0-9]+)*\.(js|css|json|svg|map|txt)$/;
const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.txt': 'text/plain; charset=utf-8',
};
/** esbuild names bundles `<name>-<8 hash characters>.<ext>`: those never change, everything else may. */
const HASHED = /-[A-Z0-9]{8}\.(js|css|map)$/;

export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** X-Content-Type-Options, X-Frame-Options and Referrer-Policy come with every answer (server/app.ts). */
function secure(ctx: Context): void {
  ctx.set('Content-Security-Policy', CONTENT_SECURITY_POLICY);
  ctx.set('Cross-Origin-Opener-Policy', 'same-origin');
}

/** Read per request (the OS caches them), so a rebuild needs no restart. */
async function built(file: string): Promise<Buffer | undefined> {
  try {
    return await readFile(join(DIST, file));
  } catch {
    return undefined;
  }
}

export function uiRouter(): Router {
  const router = new Router({ strict: true });

  async function page(ctx: Context): Promise<void> {
    secure(ctx);
    ctx.set('Cache-Control', 'no-cache');
    const html = await built('index.html');
    if (!html) {
      ctx.status = 503;
      ctx.type = 'text/plain; charset=utf-8';
      ctx.body = 'The web interface is not built: run `npm run build:ui` (npm install does it), then reload.\n';
      return;
    }
    ctx.type = 'text/html; charset=utf-8';
    ctx.body = html;
  }
  for (const path of PAGE_PATHS) router.get(path, page);

  router.get('/ui/:file', async (ctx) => {
    const file = ctx.params.file!;
    const body = ASSET.test(file) ? await built(file) : undefined;
    // Like every other refusal: JSON naming the problem, under the API's Content-Security-Policy.
    if (!body) throw new NotFoundError('No such file in the web interface');
    secure(ctx);
    ctx.type = TYPES[extname(file)] ?? 'application/octet-stream';
    ctx.set('Cache-Control', HASHED.test(file) ? 'public, max-age=31536000, immutable' : 'no-cache');
    ctx.body = body;
  });
  return router;
}
