// Local fake of the Dropbox HTTP API v2 (files + OAuth subset used by the `dropbox` JS SDK) for offline tests.
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { parseArgJson } from './args.ts';
import type { ArgSource } from './args.ts';
import { checkBearer, handleTokenRequest, TokenManager } from './auth.ts';
import type { TokenOptions } from './auth.ts';
import { ApiReplyError, badInput } from './errors.ts';
import { FailurePlan, failureReply, isConnectionFailure, WriteLock } from './failures.ts';
import type { FailureSpec } from './failures.ts';
import { BodyTooLargeError, firstHeader, readBody, textReply } from './http-util.ts';
import type { HttpReply, JsonObject } from './http-util.ts';
import { fileRoutes, MAX_UPLOAD_BYTES } from './routes.ts';
import type { RouteDef } from './routes.ts';
import { DropboxStore } from './store.ts';

export { createDropboxFetch, rewriteDropboxUrl } from './sdk-fetch.ts';
export { dropboxContentHash } from './content-hash.ts';
export type { FailureSpec } from './failures.ts';
export type { TokenManager } from './auth.ts';
export type { DropboxStore } from './store.ts';

export interface DropboxApiServerOptions extends TokenOptions {
  /** Port to listen on; default 0 (an ephemeral port, kept across stop()/start()). */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Page size of list_folder when the request gives no `limit` (Dropbox's own default is unspecified). */
  listFolderDefaultLimit?: number;
  /** Delay before answering each request, so concurrent requests really overlap. */
  latencyMs?: number;
  /**
   * How long each write holds the namespace's write lock; a write arriving meanwhile is refused with 429
   * too_many_write_operations. Default 0: writes never contend.
   */
  writeLockMs?: number;
}

export interface RequestLogEntry {
  route: string;
  /** HTTP status sent; 0 when the connection was reset or left hanging. */
  status: number;
}

/** Live request counters; tests read them to assert how many calls (or token refreshes) happened. */
export class RequestCounters {
  total = 0;
  readonly byRoute: Record<string, number> = {};
  readonly log: RequestLogEntry[] = [];

  count(route: string): number {
    return this.byRoute[route] ?? 0;
  }

  record(route: string, status: number): void {
    this.total += 1;
    this.byRoute[route] = this.count(route) + 1;
    this.log.push({ route, status });
  }

  reset(): void {
    this.total = 0;
    for (const key of Object.keys(this.byRoute)) delete this.byRoute[key];
    this.log.length = 0;
  }
}

export interface DropboxApiServer {
  /** Base URL, e.g. http://127.0.0.1:39123 (no trailing slash). Stays the same across stop()/start(). */
  readonly url: string;
  readonly port: number;
  readonly requests: RequestCounters;
  readonly tokens: TokenManager;
  /** The in-memory namespace, for seeding and inspecting files directly. */
  readonly store: DropboxStore;
  /** Queue a scripted failure (see FailureSpec). */
  setFailure(spec: FailureSpec): void;
  clearFailures(): void;
  /** Simulated outage: stop listening and drop every connection, keeping stored files and tokens. */
  stop(): Promise<void>;
  /** Listen again on the same port after stop(). */
  start(): Promise<void>;
  readonly running: boolean;
  /** Stop for good. */
  close(): Promise<void>;
}

const CONTENT_TYPES = {
  rpc: ['application/json', 'text/plain; charset=dropbox-cors-hack'],
  upload: ['application/octet-stream', 'text/plain; charset=dropbox-cors-hack'],
  download: ['', 'text/plain', 'application/octet-stream', 'text/plain; charset=dropbox-cors-hack'],
} as const;

export async function startDropboxApiServer(options: DropboxApiServerOptions = {}): Promise<DropboxApiServer> {
  const host = options.host ?? '127.0.0.1';
  const store = new DropboxStore();
  const tokens = new TokenManager(options);
  const failures = new FailurePlan();
  const requests = new RequestCounters();
  const writeLock = options.writeLockMs ? new WriteLock(options.writeLockMs) : undefined;
  const routes = fileRoutes(store, options.listFolderDefaultLimit ?? 500);
  const sockets = new Set<Socket>();
  let port = options.port ?? 0;
  let running = false;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const route = url.pathname === '/oauth2/token' ? 'oauth2/token' : url.pathname.replace(/^\/2\//, '');
    const def = routes.get(route);
    if (route !== 'oauth2/token' && (!url.pathname.startsWith('/2/') || !def)) {
      return send(res, route, textReply(404, `Unknown API function: "${route}"`));
    }

    const before = failures.take(route, false);
    if (before && isConnectionFailure(before)) {
      requests.record(route, 0);
      if (before.status === 'reset') req.socket.destroy();
      return; // a hung request is dropped when the server stops
    }

    let body: Buffer;
    try {
      body = await readBody(req, MAX_UPLOAD_BYTES + 1024 * 1024);
    } catch (err) {
      if (err instanceof BodyTooLargeError) return;
      throw err;
    }
    if (options.latencyMs) await new Promise((resolve) => setTimeout(resolve, options.latencyMs));
    if (before) return send(res, route, failureReply(before));
    const contended = writeLock?.take(route);
    if (contended) return send(res, route, contended);

    let reply: HttpReply;
    try {
      reply = route === 'oauth2/token' || !def
        ? handleTokenRequest(req.method ?? 'GET', url.searchParams, body, {
          authorization: firstHeader(req.headers.authorization),
          contentType: firstHeader(req.headers['content-type']),
        }, tokens)
        : dispatch(route, def, req, url, body);
    } catch (err) {
      if (!(err instanceof ApiReplyError)) throw err;
      reply = err.reply;
    }

    const after = reply.status < 300 ? failures.take(route, true) : undefined;
    if (after && isConnectionFailure(after)) {
      requests.record(route, 0);
      if (after.status === 'reset') req.socket.destroy();
      return;
    }
    send(res, route, after ? failureReply(after) : reply);
  }

  /** Auth, Content-Type and argument decoding common to every /2/ route, then the route itself. */
  function dispatch(route: string, def: RouteDef, req: IncomingMessage, url: URL, body: Buffer): HttpReply {
    if (req.method !== 'POST' && !(def.style === 'download' && req.method === 'GET')) {
      throw badInput(route, `Expected POST, got ${req.method ?? '?'}`);
    }
    checkBearer(route, firstHeader(req.headers.authorization) ?? url.searchParams.get('authorization') ?? undefined, tokens);

    const contentType = (firstHeader(req.headers['content-type']) ?? '').trim();
    const accepted: readonly string[] = CONTENT_TYPES[def.style];
    const baseType = contentType.split(';')[0]?.trim() ?? '';
    if (!accepted.includes(contentType) && !accepted.includes(baseType)) {
      throw badInput(route, `Bad HTTP "Content-Type" header: "${contentType}".  Expecting one of ${accepted.filter(Boolean).map((t) => `"${t}"`).join(', ')}.`);
    }

    let args: JsonObject;
    let source: ArgSource;
    if (def.style === 'rpc') {
      source = 'request body';
      args = parseArgJson(route, source, body.length === 0 ? 'null' : body.toString('utf8'));
    } else {
      source = 'HTTP header "Dropbox-API-Arg"';
      const fromHeader = firstHeader(req.headers['dropbox-api-arg']);
      // Header values arrive as latin1, and Dropbox refuses any byte outside printable ASCII there (raw UTF-8 included)
      // rather than guess an encoding; the SDK escapes U+007F and up as \uXXXX, which JSON.parse restores.
      if (fromHeader !== undefined && /[^ -~\t]/.test(fromHeader)) throw badInput(route, `${source}: could not decode input as JSON`);
      const header = fromHeader ?? url.searchParams.get('arg') ?? undefined;
      if (header === undefined) throw badInput(route, 'Must provide HTTP header "Dropbox-API-Arg" or URL parameter "arg".');
      args = parseArgJson(route, source, header);
      if (def.style === 'download' && body.length > 0) throw badInput(route, 'This function does not accept a request body.');
    }
    return def.handle({ route, args, source, content: body, range: firstHeader(req.headers.range) });
  }

  function send(res: ServerResponse, route: string, reply: HttpReply): void {
    requests.record(route, reply.status);
    writeReply(res, reply);
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      // A bug in the fake should be loud in the test output, and still answer like a 500.
      console.error('dropbox-api-server: unhandled error', err);
      if (!res.headersSent) writeReply(res, textReply(500, 'Internal Server Error'));
    });
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  async function start(): Promise<void> {
    if (running) return;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    port = (server.address() as AddressInfo).port;
    running = true;
  }

  async function stop(): Promise<void> {
    if (!running) return;
    running = false;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    // Drop keep-alive and in-flight (including hung) connections so clients see the outage at once.
    for (const socket of sockets) socket.destroy();
    await closed;
  }

  await start();
  const urlHost = host.includes(':') ? `[${host}]` : host;

  return {
    get url() {
      return `http://${urlHost}:${port}`;
    },
    get port() {
      return port;
    },
    requests,
    tokens,
    store,
    setFailure: (spec) => failures.add(spec),
    clearFailures: () => failures.clear(),
    stop,
    start,
    get running() {
      return running;
    },
    close: stop,
  };
}

function writeReply(res: ServerResponse, reply: HttpReply): void {
  const body = typeof reply.body === 'string' ? Buffer.from(reply.body) : reply.body;
  res.statusCode = reply.status;
  if (reply.statusMessage !== undefined) res.statusMessage = reply.statusMessage;
  for (const [name, value] of Object.entries(reply.headers)) res.setHeader(name, value);
  res.setHeader('Content-Length', body.length);
  res.setHeader('X-Dropbox-Request-Id', Math.random().toString(16).slice(2).padEnd(12, '0'));
  res.end(body);
}
