// A typed client for qspool's native API (/api/v1), for scripts and the `qspool job` commands: every call returns
// the documented wire type, every error answer becomes an ApiError with the server's code and message, a call that
// failed for a moment is tried again when repeating it is harmless (retry.ts), and job events arrive as an async
// iterator over Server-Sent Events that reconnects with Last-Event-ID by itself.
import type { AccessToken, ProfileUpdate, TokenCreated, UserView } from '../../schemas/accounts.ts';
import type { JobEstimateView } from '../../schemas/estimate.ts';
import type { BackendList, BackendSummary, JobDetail, JobList, JobListQuery } from '../../schemas/native.ts';
import type { DeliveryList, EventState, JobEventView, NotifyChoices, WebhookCreate, WebhookCreated, WebhookView } from '../../schemas/notifications.ts';
import type { Result } from '../../schemas/result.ts';
import { randomUUID } from 'node:crypto';
import { ApiError, ConnectionError, InvalidOptionsError, TimeoutError } from './errors.ts';
import { backoffMs, DEFAULT_RETRY, pause, retryAfterMs, worthRetrying, type Repeat, type RetryPolicy } from './retry.ts';
import { readSse } from './sse.ts';

export type { BackendList, BackendSummary, DeliveryList, JobDetail, JobEstimateView, JobEventView, JobList, NotifyChoices, Result, WebhookCreated, WebhookView };
export { loadCredentials, saveCredentials, configPath, type Credentials } from './credentials.ts';
export { ApiError, ConnectionError, InvalidOptionsError, TimeoutError } from './errors.ts';

export const FINAL: readonly EventState[] = ['DONE', 'ERROR', 'CANCELLED'];

export interface ClientOptions {
  /** The server, e.g. http://localhost:8000 (no /api/v1). */
  url: string;
  /** An API token or an access token, sent as `Authorization: Bearer`. */
  token?: string;
  /** Where `url` came from when nobody typed it (QSPOOL_URL, the saved file), named in a message refusing it. */
  urlFrom?: string;
  /**
   * Attempts after the first for a call that failed for a moment (connection refused or reset, a timeout, 429, 502,
   * 503, 504), after 0.5, 1, 2 s … (full jitter, at most 30 s) or the Retry-After asked for; 0 turns retries off.
   * Default 3.
   */
  retries?: number;
  /** How long one attempt may take to answer in full (default 30000 ms); event streams have none. */
  timeoutMs?: number;
  /** Hears each retry before its wait: what failed, the wait, and which retry of how many it is. */
  onRetry?: (retry: RetryNotice) => void;
}

export interface RetryNotice {
  error: Error;
  delayMs: number;
  retry: number;
  retries: number;
}

export interface CallOptions {
  /** Stops the call, also during a wait between attempts; it then rejects with the signal's reason. */
  signal?: AbortSignal;
}

export interface SubmitOptions extends CallOptions {
  tags?: string[];
  priority?: number;
  notify?: NotifyChoices;
  /** Sent as Idempotency-Key, so that a retry never makes a second job; a random UUID per submit() by default. */
  idempotencyKey?: string;
}

interface RequestOptions extends CallOptions {
  body?: unknown;
  query?: Query;
  headers?: Record<string, string>;
  /** Default: `idempotent` for GET, else `unsent` (see Repeat). */
  repeat?: Repeat;
}

export interface StreamOptions {
  lastEventId?: string;
  signal?: AbortSignal;
  /** Delay before reconnecting after the connection drops (default 1 s), unless the server asked for another (`retry:`). */
  retryMs?: number;
}

/** What makes these options unusable, said without quoting a secret, as fetch's own messages would (URL or header). */
function unusable(options: ClientOptions): string | undefined {
  const named = `The server URL ${JSON.stringify(options.url)}${options.urlFrom ? ` (from ${options.urlFrom})` : ''}`;
  if (!URL.canParse(options.url)) return `${named} is not a URL, e.g. http://127.0.0.1:8000`;
  const { username, password, protocol } = new URL(options.url);
  // fetch said only "Cannot reach ftp://…/ (unknown scheme)", as if the server were down.
  if (protocol !== 'http:' && protocol !== 'https:') return `${named} is not http:// or https://, e.g. http://127.0.0.1:8000`;
  if (username || password) return 'The server URL holds a user name or password, which fetch refuses to send; the token is what logs in';
  if (options.token && /[\0\r\n]/.test(options.token.trim())) return 'The token holds a line break or NUL character, which no HTTP header can carry';
  if (options.retries !== undefined && !(Number.isInteger(options.retries) && options.retries >= 0)) return `retries must be a whole number from 0 up, not ${options.retries}`;
  if (options.timeoutMs !== undefined && !(Number.isInteger(options.timeoutMs) && options.timeoutMs > 0)) return `timeoutMs must be a whole number of milliseconds above 0, not ${options.timeoutMs}`;
  return undefined;
}

type Query = Record<string, string | number | undefined>;

/** A stream's wait before reconnecting; an abort ends it early, and the loop then ends. */
const untilReconnect = (ms: number, signal?: AbortSignal) => pause(ms, signal).catch(() => undefined);

export class QspoolClient {
  readonly url: string;
  private readonly token: string | undefined;
  private readonly retry: RetryPolicy;
  private readonly timeoutMs: number;
  private readonly onRetry: ((retry: RetryNotice) => void) | undefined;

  constructor(options: ClientOptions) {
    const problem = unusable(options);
    if (problem) throw new InvalidOptionsError(problem);
    this.url = options.url.replace(/\/+$/, '');
    this.token = options.token;
    this.retry = { ...DEFAULT_RETRY, retries: options.retries ?? DEFAULT_RETRY.retries };
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.onRetry = options.onRetry;
  }

  /**
   * A rejected fetch as the error to throw: failing to connect (fetch's TypeError with a cause) becomes a
   * ConnectionError naming the server; an abort stays as it is.
   */
  private failure(error: unknown): unknown {
    return error instanceof TypeError && error.cause !== undefined ? new ConnectionError(`${this.url}/`, error) : error;
  }

  /**
   * One API call; resolves with the parsed JSON answer (undefined for 204), rejects with ApiError, ConnectionError or
   * TimeoutError once the retries its kind of call allows (see Repeat) are spent, or at once on the signal's abort.
   */
  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const url = new URL(`${this.url}/api/v1${path}`);
    for (const [name, value] of Object.entries(options.query ?? {})) if (value !== undefined) url.searchParams.set(name, String(value));
    const repeat = options.repeat ?? (method === 'GET' ? 'idempotent' : 'unsent');
    for (let retry = 1; ; retry += 1) {
      try {
        return await this.attempt<T>(method, url, options);
      } catch (error) {
        if (options.signal?.aborted || retry > this.retry.retries || !worthRetrying(error, repeat)) throw error;
        const delayMs = backoffMs(retry, this.retry, error instanceof ApiError ? error.retryAfterMs : undefined);
        if (delayMs === undefined) throw error;
        this.onRetry?.({ error: error as Error, delayMs, retry, retries: this.retry.retries });
        await pause(delayMs, options.signal);
      }
    }
  }

  private async attempt<T>(method: string, url: URL, options: RequestOptions): Promise<T> {
    const timeout = AbortSignal.timeout(this.timeoutMs);
    const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
    // The body is read under the same signal: a server that answers its headers and then hangs is a timeout too.
    const answer = async () => {
      const response = await fetch(url, {
        method,
        headers: {
          accept: 'application/json',
          ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
          ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
          ...options.headers,
        },
        ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
        signal,
      });
      return { response, text: await response.text() };
    };
    const { response, text } = await answer().catch((error: unknown) => {
      throw timeout.aborted && !options.signal?.aborted ? new TimeoutError(where(url), this.timeoutMs) : this.failure(error);
    });
    const parsed: unknown = text ? safeJson(text) : undefined;
    if (!response.ok) throw answerError(response, parsed, text, url, this.url);
    // A 200 page of HTML (a URL that leads to some other web server) was returned as `undefined`, which printed
    // "undefined" and exited 0, or failed later reading a field of it.
    if (text && parsed === undefined) throw new Error(`${where(url)} answered ${response.status} with no JSON (${response.headers.get('content-type') ?? 'no content type'}): is ${this.url} a qspool server?`);
    return parsed as T;
  }

  login(username: string, password: string): Promise<AccessToken> {
    return this.request('POST', '/auth/token', { body: { username, password } });
  }

  /** Ends the access token this client was made with (logging out); API tokens are revoked with DELETE /tokens/{id}. */
  logout(): Promise<void> {
    return this.request('DELETE', '/auth/token');
  }

  createToken(name: string): Promise<TokenCreated> {
    return this.request('POST', '/tokens', { body: { name } });
  }

  me(): Promise<UserView> {
    return this.request('GET', '/users/me');
  }

  updateMe(update: ProfileUpdate): Promise<UserView> {
    return this.request('PATCH', '/users/me', { body: update });
  }

  /** The backends that could be read, and the registered providers whose backends could not (`unreachable_providers`). */
  backends(): Promise<BackendList> {
    return this.request('GET', '/backends');
  }

  /** Queues a job. Every attempt carries the same Idempotency-Key, so however often it is retried it makes one job. */
  submit(backend: string, payload: Record<string, unknown>, options: SubmitOptions = {}): Promise<JobDetail> {
    const { idempotencyKey = randomUUID(), signal, ...rest } = options;
    return this.request('POST', `/backends/${encodeURIComponent(backend)}/jobs`, {
      body: { payload, ...rest },
      headers: { 'idempotency-key': idempotencyKey },
      repeat: 'idempotent',
      ...(signal ? { signal } : {}),
    });
  }

  /** A dry run: the job checked as a submission is, and its expected wait, run time and result size; nothing is queued. */
  estimate(backend: string, payload: Record<string, unknown>, options: Pick<SubmitOptions, 'priority'> = {}): Promise<JobEstimateView> {
    // A dry run changes nothing: as safe to repeat as a read.
    return this.request('POST', `/backends/${encodeURIComponent(backend)}/estimate`, { body: { payload, ...options }, repeat: 'idempotent' });
  }

  job(id: string, options: CallOptions = {}): Promise<JobDetail> {
    return this.request('GET', `/jobs/${encodeURIComponent(id)}`, options);
  }

  result(id: string, options: CallOptions = {}): Promise<Result> {
    return this.request('GET', `/jobs/${encodeURIComponent(id)}/result`, options);
  }

  /** Repeatable: a job already cancelled, by an attempt whose answer was lost, answers 409 job_finished (details.status CANCELLED). */
  cancel(id: string, options: CallOptions = {}): Promise<JobDetail> {
    return this.request('POST', `/jobs/${encodeURIComponent(id)}/cancel`, { ...options, repeat: 'idempotent' });
  }

  list(query: Partial<JobListQuery> = {}, options: CallOptions = {}): Promise<JobList> {
    return this.request('GET', '/jobs', { ...options, query: { ...query } });
  }

  createWebhook(body: WebhookCreate): Promise<WebhookCreated> {
    return this.request('POST', '/webhooks', { body });
  }

  async webhooks(): Promise<WebhookView[]> {
    return (await this.request<{ webhooks: WebhookView[] }>('GET', '/webhooks')).webhooks;
  }

  deleteWebhook(id: string): Promise<void> {
    return this.request('DELETE', `/webhooks/${encodeURIComponent(id)}`);
  }

  deliveries(id: string, query: { limit?: number; cursor?: string } = {}): Promise<DeliveryList> {
    return this.request('GET', `/webhooks/${encodeURIComponent(id)}/deliveries`, { query });
  }

  /**
   * One job's events: its current state first, then each change, ending after a final state. A dropped connection
   * is resumed with Last-Event-ID, so nothing is repeated or missed.
   */
  async *jobEvents(id: string, options: StreamOptions = {}): AsyncGenerator<JobEventView> {
    for await (const { event } of this.stream(`/jobs/${encodeURIComponent(id)}/events`, options, (event) => FINAL.includes(event.status))) yield event;
  }

  /** Every change of the caller's jobs until `signal` aborts; `id` is what to pass as lastEventId later. */
  events(options: StreamOptions = {}): AsyncGenerator<{ id: string | undefined; event: JobEventView }> {
    return this.stream('/events', options, () => false);
  }

  /** Follows a job until it is DONE, ERROR or CANCELLED; resolves with the job as it ended. */
  async waitFor(id: string, onEvent?: (event: JobEventView) => void, signal?: AbortSignal): Promise<JobDetail> {
    for await (const event of this.jobEvents(id, signal ? { signal } : {})) onEvent?.(event);
    return this.job(id, signal ? { signal } : {});
  }

  private async *stream(path: string, options: StreamOptions, last: (event: JobEventView) => boolean) {
    let lastEventId = options.lastEventId;
    // A stopping server asks for a quick reconnection (to another replica), as EventSource would honour it.
    let serverRetryMs: number | undefined;
    const reconnectAfter = () => untilReconnect(serverRetryMs ?? options.retryMs ?? 1000, options.signal);
    for (let failures = 0; !options.signal?.aborted; ) {
      let response: Response;
      try {
        response = await fetch(`${this.url}/api/v1${path}`, {
          headers: {
            accept: 'text/event-stream',
            ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
            ...(lastEventId ? { 'last-event-id': lastEventId } : {}),
          },
          ...(options.signal ? { signal: options.signal } : {}),
        });
      } catch (error) {
        if (options.signal?.aborted || ++failures > 30) throw this.failure(error);
        await reconnectAfter();
        continue;
      }
      if (response.status === 204) return;
      if (!response.ok || !response.body) {
        const text = await response.text();
        throw answerError(response, safeJson(text), text, new URL(response.url || `${this.url}/api/v1${path}`), this.url);
      }
      try {
        // The id moves with every message, also one without data (where a long replay stopped).
        for await (const message of readSse(response.body, lastEventId, (id) => (lastEventId = id), (ms) => (serverRetryMs = ms))) {
          failures = 0;
          const event = JSON.parse(message.data) as JobEventView;
          yield { id: message.id, event };
          if (last(event)) return;
        }
      } catch (error) {
        if (options.signal?.aborted) return;
        if (++failures > 30) throw error;
      }
      await reconnectAfter();
    }
  }
}

/**
 * The client asks only for routes a qspool server has, so a qspool server without one was most likely given a URL
 * with a path of its own: `--url http://host:8000/api/v1` asked for /api/v1/api/v1/jobs, and said only that.
 */
function pathHint(base: string): string | undefined {
  const { origin, pathname } = new URL(base);
  return pathname === '/' ? undefined : `give the server's address without ${pathname} (${origin}); qspool adds /api/v1 itself`;
}

/** The URL without its query, for messages. */
function where(url: URL): string {
  return `${url.origin}${url.pathname}`;
}

/**
 * An error answer as an ApiError: the API's own `{error: {code, message}}`, or else (a proxy's or another server's
 * page) the status, the URL and at most a short line of plain text, never a page of HTML, with the wait Retry-After asks.
 */
function answerError(response: Response, parsed: unknown, text: string, url: URL, base: string): ApiError {
  const error = (parsed as { error?: { code?: string; message?: string; details?: unknown } } | undefined)?.error;
  const retry = response.headers.get('retry-after');
  if (typeof error?.message === 'string') {
    const hint = error.code === 'route_not_found' ? pathHint(base) : undefined;
    return new ApiError(response.status, error.code ?? `http_${response.status}`, hint ? `${error.message}: ${hint}` : error.message, error.details ?? null, retryAfterMs(retry));
  }
  const line = text.trim();
  const said = line && line.length <= 200 && !/[<\n]/.test(line) ? `: ${line}` : '';
  const wait = retry && /^[0-9]+$/.test(retry) ? `; retry in ${retry} s` : '';
  const status = [response.status, response.statusText].filter(Boolean).join(' ');
  return new ApiError(response.status, `http_${response.status}`, `${where(url)} answered ${status}${said}${wait}`, null, retryAfterMs(retry));
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
