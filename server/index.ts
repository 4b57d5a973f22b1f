// Builds the server's services on a storage provider and listens; used by `qspool serve`, `npm start` and tests.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { trustedSigningKeys, type Config } from '../config/index.ts';
import type { Logger } from '../config/logger.ts';
import pkg from '../package.json' with { type: 'json' };
import type { StorageProvider } from '../storage/contract.ts';
import { createApp } from './app.ts';
import { ConnectionDrain, IDLE_BEFORE_CLOSE_MS } from './connection-drain.ts';
import { BearerAuth } from './auth/bearer.ts';
import { loadJwtSecret } from './auth/jwt-secret.ts';
import { resealInBackground } from './auth/sealed-secrets.ts';
import { serverSecretKeys } from './auth/server-key.ts';
import { BodyTurns } from './middleware/body.ts';
import { rateLimit } from './middleware/rate-limit.ts';
import { nativeApi, type NativeApi } from './routes/native/index.ts';
import { Notifications } from './notifications/index.ts';
import { DeliveryLogSweeper } from './notifications/log-sweep.ts';
import { siteSources } from './notifications/sources.ts';
import { healthRouter } from './routes/health.ts';
import { qluedRouter } from './routes/qlued.ts';
import { uiRouter } from './routes/ui.ts';
import { clusterScrape } from './metrics/cluster.ts';
import { serverMetrics } from './metrics/index.ts';
import { BackendService } from './services/backends.ts';
import { IdempotencyStore } from './services/idempotency.ts';
import { IdempotencySweeper } from './services/idempotency-sweep.ts';
import { JobIndex } from './services/job-index.ts';
import { JobService } from './services/jobs.ts';
import { ProviderSites, providerRegistry } from './services/providers.ts';
import { Sessions } from './services/sessions.ts';
import { standInSetAside } from './services/set-aside-sweep.ts';
import { UserService } from './services/users.ts';
import { AccountDeletion } from './services/account-deletion.ts';
import { DeletionResumer } from './services/deletion-resumer.ts';
import { KnownAddresses } from './limits/known-addresses.ts';
import { clientKey } from './limits/client-address.ts';
import { passwordAttempts } from './limits/password-attempts.ts';

export interface RunningServer {
  url: string;
  server: Server;
  users: UserService;
  /** The native API's operations, router and OpenAPI document (for the drift test). */
  api: NativeApi;
  /**
   * Ends event streams, stops accepting, answers what arrives on open connections with `Connection: close` and closes
   * each once idle for `idleMs` (connection-drain.ts); requests get up to `deadlineMs` (default 10 s), then remaining
   * connections close.
   */
  close(deadlineMs?: number, idleMs?: number): Promise<void>;
  /** Event feed, dispatcher and webhooks (server/notifications). */
  notifications: Notifications;
}

/** `secretKey`: the key of secrets at rest (server-key.ts), which also keys what is stored of logins. */
export function buildServices(storage: StorageProvider, config: Config, logger: Logger, secretKey: string) {
  const registry = providerRegistry(storage, config);
  const lifecycleOptions = { leaseMs: config.QSPOOL_LEASE_MS, maxAttempts: config.QSPOOL_MAX_ATTEMPTS };
  const sites = new ProviderSites(registry, storage, config.QSPOOL_PROVIDER_NAME, lifecycleOptions, logger.child({ component: 'providers' }));
  const jobIndex = new JobIndex(sites);
  const limits = {
    maxExperiments: config.QSPOOL_MAX_EXPERIMENTS,
    maxInstructions: config.QSPOOL_MAX_INSTRUCTIONS,
    maxShots: config.QSPOOL_MAX_SHOTS,
    maxQueuedPerUser: config.QSPOOL_MAX_QUEUED_PER_USER,
    maxSamples: config.QSPOOL_MAX_SAMPLES,
    maxResultBytes: config.QSPOOL_MAX_RESULT_BYTES,
    timeLimitS: config.QSPOOL_JOB_TIME_LIMIT_S,
    maxProblems: config.QSPOOL_MAX_PROBLEMS,
  };
  const users = new UserService(storage, { scryptLogN: config.QSPOOL_SCRYPT_LOG_N, defaultMaxPriority: config.QSPOOL_USER_MAX_PRIORITY });
  const jobs = new JobService(sites, { limits, index: jobIndex, stillStands: (user) => users.stands(user) });
  return {
    sites,
    jobIndex,
    providers: registry,
    backends: new BackendService(sites, config.QSPOOL_HEARTBEAT_TIMEOUT_S * 1000, onceEach(1000, (provider, display, problem) => {
      logger.warn({ provider, backend: display, problem }, 'a backend config cannot be served: the backend is unknown until it is published again');
    })),
    jobs,
    users,
    accountDeletion: new AccountDeletion(sites, users, jobs, new KnownAddresses(storage, secretKey, Date.now)),
    idempotency: new IdempotencyStore(storage),
  };
}

/** Calls `report` once per distinct arguments (for the first `max` of them), so a bad document read on every request is logged once. */
function onceEach(max: number, report: (...args: string[]) => void): (...args: string[]) => void {
  const seen = new Set<string>();
  return (...args) => {
    const key = args.join('\u0000');
    if (seen.has(key) || seen.size >= max) return;
    seen.add(key);
    report(...args);
  };
}

/** Which setting a failed listen points at, for the one line an operator reads. */
function listenHint(code: string | undefined): string {
  if (code === 'EADDRINUSE') return '(another process listens on PORT: stop it or set PORT to a free port, 0 for any)';
  if (code === 'EACCES') return '(ports below 1024 need privileges: set PORT to 1024 or above)';
  return '(check HOST: an address of this machine, such as 127.0.0.1 or 0.0.0.0)';
}

/** A JSON error answer written on the socket itself, for requests that never reach the app; the connection closes. */
function rawAnswer(status: 400 | 405 | 408 | 431, code: string, message: string): string {
  const body = JSON.stringify({ error: { code, message, details: null } });
  const reason = { 400: 'Bad Request', 405: 'Method Not Allowed', 408: 'Request Timeout', 431: 'Request Header Fields Too Large' }[status];
  return `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;
}

/**
 * Requests Node's HTTP parser refuses (broken request lines, oversized headers) or times out, and CONNECT (which Node
 * hands over as a bare socket, and closed without a word), still get a JSON answer.
 */
function answerUnparseableRequests(server: Server): void {
  server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
    if (!socket.writable) return socket.destroy();
    // Headers or body not in within QSPOOL_HEADERS_TIMEOUT_MS / QSPOOL_REQUEST_TIMEOUT_MS: Node reports it here too.
    if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') return socket.end(rawAnswer(408, 'request_timeout', 'The request was not received in time'));
    socket.end(rawAnswer(error.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400, 'bad_request', 'The request could not be parsed'));
  });
  server.on('connect', (_req: IncomingMessage, socket: Socket) => {
    socket.on('error', () => socket.destroy());
    socket.end(rawAnswer(405, 'method_not_allowed', 'CONNECT is for proxies, and this server is none'));
  });
}

/**
 * Closes a new connection at once while its client (an address, or an IPv6 /64: limits/client-address.ts) already
 * holds `max` open ones (0: no cap). Rate limits count requests, and a request exists only once its headers are in: a
 * client that opens sockets and trickles headers (or sends none) is seen by nothing else, and 20,000 of them left the
 * process without file descriptors, refusing every other client. Dropping, as Node's own `maxConnections` does, is
 * all that can be done before a request has been read.
 */
function capConnectionsPerAddress(server: Server, max: number, logger: Logger): void {
  if (max === 0) return;
  const open = new Map<string, number>();
  server.on('connection', (socket: Socket) => {
    const address = clientKey(socket.remoteAddress ?? '');
    const held = open.get(address) ?? 0;
    if (held >= max) {
      logger.debug({ address, limit: max }, 'connection refused: too many open from this address');
      socket.destroy();
      return;
    }
    open.set(address, held + 1);
    socket.once('close', () => {
      const left = (open.get(address) ?? 1) - 1;
      if (left > 0) open.set(address, left);
      else open.delete(address);
    });
  });
}

/**
 * Requests one connection may have in progress at once. Node reads pipelined requests (sent before the answers to
 * earlier ones are read) for as long as the answers it holds are small, and answers still being worked on hold
 * nothing: 200,000 GET /healthz pipelined on one socket by a client that read nothing became 200,000 requests in
 * progress, 2.4 GB of memory and /healthz taking 2-4 s for everyone. No client needs more than a few; HTTP clients
 * do not pipeline by default.
 */
const IN_PROGRESS_PER_CONNECTION = 16;

/**
 * Hands requests to the app until their connection has IN_PROGRESS_PER_CONNECTION in progress; one more is answered
 * 429 at once without reaching the app, and the connection closes after it (the requests behind it are dropped).
 */
function limitInProgress(handle: (req: IncomingMessage, res: ServerResponse) => void): (req: IncomingMessage, res: ServerResponse) => void {
  const inProgress = new WeakMap<Socket, number>();
  const body = JSON.stringify({
    error: {
      code: 'too_many_in_progress',
      message: `At most ${IN_PROGRESS_PER_CONNECTION} requests in progress per connection; read the answers before sending more`,
      details: { limit: IN_PROGRESS_PER_CONNECTION },
    },
  });
  return (req, res) => {
    const socket = req.socket;
    const held = inProgress.get(socket) ?? 0;
    if (held >= IN_PROGRESS_PER_CONNECTION) {
      res.writeHead(429, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(body), Connection: 'close' });
      res.end(body);
      return;
    }
    inProgress.set(socket, held + 1);
    res.once('close', () => inProgress.set(socket, (inProgress.get(socket) ?? 1) - 1));
    handle(req, res);
  };
}

/** How often Node looks for connections past their headers or request timeout (its default, 30 s, adds up to that). */
const TIMEOUT_CHECK_MS = 1000;

export interface ServerOptions {
  /** This process's slot among the workers of `qspool serve --workers N` (scripts/cluster.ts). */
  workerSlot?: number;
}

export async function startServer(storage: StorageProvider, config: Config, logger: Logger, options: ServerOptions = {}): Promise<RunningServer> {
  // First: a key file others can read stops the start before anything else is built.
  const keys = await serverSecretKeys(config, logger);
  // Limit state is keyed by HMACs under the current key: a rotation starts it afresh (README, Rotating the secret key).
  const secretKey = keys.current;
  const services = buildServices(storage, config, logger, secretKey);
  const limits = {
    maxBytes: config.QSPOOL_MAX_BODY_BYTES,
    maxDepth: config.QSPOOL_MAX_JSON_DEPTH,
    maxProblems: config.QSPOOL_MAX_PROBLEMS,
    largeBodies: new BodyTurns(config.QSPOOL_MAX_LARGE_BODIES),
  };
  const sessions = new Sessions(storage, services.users);
  const auth = new BearerAuth(services.users, sessions, await loadJwtSecret(storage, config.QSPOOL_JWT_SECRET, keys), config.QSPOOL_JWT_TTL_S);
  const deps = { ...services, limits, baseUrl: config.QSPOOL_BASE_URL };
  const sources = siteSources(services.sites);
  const notifications = new Notifications({ storage, config, logger, users: services.users, version: pkg.version, sources, secretKeys: keys });
  const attempts = passwordAttempts(storage, { perMinute: config.QSPOOL_PASSWORD_ATTEMPTS_PER_MINUTE, secretKey, log: logger.child({ component: 'password-attempts' }) });
  const native = nativeApi({ ...deps, auth, notifications, passwordAttempts: attempts, openRegistration: config.QSPOOL_OPEN_REGISTRATION, trustedKeys: trustedSigningKeys(config), version: pkg.version });
  const limiter = rateLimit({ perSecond: config.QSPOOL_RATE_PER_SECOND, burst: config.QSPOOL_RATE_BURST, storage, secretKey });
  const cluster = options.workerSlot === undefined ? {} : { storageMetrics: options.workerSlot === 0, scrapeCluster: clusterScrape };
  const metrics = serverMetrics(services.backends, cluster);
  await metrics.backends?.start();
  const app = createApp({
    logger,
    observe: [metrics.middleware],
    middleware: [limiter.middleware],
    proxyHops: config.QSPOOL_TRUST_PROXY,
    routers: [healthRouter(storage), metrics.router, uiRouter(), qluedRouter(deps, 'v2'), qluedRouter(deps, 'v3'), native.router],
  });
  const server = createServer({
    headersTimeout: config.QSPOOL_HEADERS_TIMEOUT_MS,
    requestTimeout: config.QSPOOL_REQUEST_TIMEOUT_MS,
    connectionsCheckingInterval: TIMEOUT_CHECK_MS,
    // Node would answer these itself with an empty 400 or 417; the app answers them (middleware/protocol.ts).
    requireHostHeader: false,
  });
  const drain = new ConnectionDrain(server);
  const handle = drain.track(limitInProgress(app.callback()));
  server.on('request', handle);
  // A client that closes its sending side once its request is out still waits for the answer: without this Node
  // takes the end of input for the client leaving and closes the connection unanswered, while the request (a
  // submission) carries on. Node has had this switch since 0.x; its default is off.
  (server as Server & { httpAllowHalfOpen: boolean }).httpAllowHalfOpen = true;
  server.on('checkExpectation', handle);
  // 100 Continue is sent once the body is read (middleware/body.ts), not before every request that asks for it.
  server.on('checkContinue', handle);
  capConnectionsPerAddress(server, config.QSPOOL_MAX_CONNECTIONS_PER_ADDRESS, logger);
  if (app.proxy && config.QSPOOL_MAX_CONNECTIONS_PER_ADDRESS > 0) {
    // Behind a reverse proxy every connection comes from the proxy: the cap would refuse its connections beyond the
    // limit (event streams hold theirs), which is every client's.
    logger.warn(
      { limit: config.QSPOOL_MAX_CONNECTIONS_PER_ADDRESS },
      `QSPOOL_TRUST_PROXY=${config.QSPOOL_TRUST_PROXY}: the per-address connection cap applies to the proxy itself; set QSPOOL_MAX_CONNECTIONS_PER_ADDRESS=0 and limit connections per client at the proxy`,
    );
  }
  server.listen(config.PORT, config.HOST);
  answerUnparseableRequests(server);
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', (error: NodeJS.ErrnoException) => reject(Object.assign(error, { message: `${error.message} ${listenHint(error.code)}` })));
  });
  const { port } = server.address() as AddressInfo;
  const host = config.HOST.includes(':') ? `[${config.HOST}]` : config.HOST;
  notifications.start(`http://${host}:${port}`);
  const reseal = resealInBackground(storage, keys, logger);
  // On the server that dispatches notifications: one sweeper among the servers sharing storage, without a lease of its own.
  const sweeper = new IdempotencySweeper(storage, {
    intervalMs: config.QSPOOL_IDEMPOTENCY_SWEEP_MS,
    maxReadsPerRun: config.QSPOOL_IDEMPOTENCY_SWEEP_READS,
    shouldRun: () => notifications.dispatcher.leading,
    log: logger.child({ component: 'idempotency' }),
  });
  sweeper.start();
  const logSweeper = new DeliveryLogSweeper(
    storage,
    { retentionMs: config.QSPOOL_NOTIFY_LOG_RETENTION_S * 1000, maxPerReceiver: config.QSPOOL_NOTIFY_LOG_MAX_PER_RECEIVER },
    {
      intervalMs: config.QSPOOL_IDEMPOTENCY_SWEEP_MS,
      maxReadsPerRun: config.QSPOOL_IDEMPOTENCY_SWEEP_READS,
      shouldRun: () => notifications.dispatcher.leading,
      log: logger.child({ component: 'notifications' }),
    },
  );
  logSweeper.start();
  const deletions = new DeletionResumer(services.accountDeletion, {
    intervalMs: config.QSPOOL_IDEMPOTENCY_SWEEP_MS,
    shouldRun: () => notifications.dispatcher.leading,
    log: logger.child({ component: 'users' }),
  });
  deletions.start();
  const standIns = standInSetAside(services.sites, logger.child({ component: 'jobs' }));
  return {
    url: `http://${host}:${port}`,
    server,
    users: services.users,
    api: native,
    notifications,
    // Event streams end first: they would otherwise hold the server open until the deadline.
    close: (deadlineMs = 10_000, idleMs = IDLE_BEFORE_CLOSE_MS) =>
      Promise.all([reseal.close(), sweeper.close(), logSweeper.close(), deletions.close(), notifications.close(), standIns]).then(() => drain.stop(deadlineMs, idleMs)).then(() => {
        limiter.close();
        attempts.close();
        return services.sites.close();
      }),
  };
}
