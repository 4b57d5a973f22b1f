// The server in this process on a fresh temporary local store, for native API tests: backend configs published as
// a spooler would (spoolers only on request), users made through the API, and a request helper that checks every
// answer against the OpenAPI document the server serves, so the documentation cannot drift from the answers.
import { expect } from 'chai';
import { Ajv, type ValidateFunction } from 'ajv';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { loadConfig, type Config } from '../../config/index.ts';
import { startSpoolers } from '../../scripts/runtime.ts';
import { startServer, type RunningServer } from '../../server/index.ts';
import type { OpenApiDocument } from '../../server/routes/native/openapi.ts';
import { publishedConfig } from '../../spooler/backend.ts';
import { builtinBackends } from '../../spooler/backends/index.ts';
import type { Spooler } from '../../spooler/spooler.ts';
import { JobLifecycle } from '../../storage/lifecycle.ts';
import { LocalProvider } from '../../storage/local/index.ts';
import { ns } from '../../storage/records.ts';
import { eventually, request, type JsonResponse } from '../support/system.ts';

export { eventually } from '../support/system.ts';

export type Answer = JsonResponse;

export interface CallOptions {
  token?: string;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface Harness {
  url: string;
  config: Config;
  dataDir: string;
  storage: LocalProvider;
  lifecycle: JobLifecycle;
  server: RunningServer;
  /** Every line the server logged. */
  logs: string[];
  /** Calls `/api/v1<path>`; answers with a documented status are checked against their documented schema. */
  call(method: string, path: string, options?: CallOptions): Promise<Answer>;
  /** Registers a user through the API and returns an API token for it. */
  user(username: string, role?: 'user' | 'admin'): Promise<string>;
  /** Starts a spooler for every configured backend, once per harness. */
  startSpoolers(): Promise<void>;
  stop(): Promise<void>;
}

export const GOOD_JOB = {
  experiment_0: {
    instructions: [['load', [0], [50]], ['rlx', [0], [1.5707963267948966]], ['measure', [0], []]],
    shots: 10,
    num_wires: 1,
    wire_order: 'interleaved',
  },
};

export const PASSWORD = 'correct horse battery';

const validators = new Map<string, ValidateFunction>();

/** The documented schema of an answer, compiled once per component (a fresh AJV: the components carry $ids). */
function validatorFor(doc: OpenApiDocument, ref: string): ValidateFunction {
  const name = ref.split('/').pop()!;
  let validate = validators.get(name);
  if (!validate) {
    validate = new Ajv({ allErrors: true, strict: false }).compile(doc.components.schemas[name]!);
    validators.set(name, validate);
  }
  return validate;
}

/** Finds the documented path template a concrete path matches, e.g. /jobs/abc → /api/v1/jobs/{id}. */
function templateOf(doc: OpenApiDocument, path: string): string | undefined {
  const bare = `/api/v1${path.split('?')[0]}`;
  return Object.keys(doc.paths).find((template) => new RegExp(`^${template.replace(/\{\w+\}/g, '[^/]+')}$`).test(bare));
}

export function expectDocumented(doc: OpenApiDocument, method: string, path: string, answer: Answer): void {
  const template = templateOf(doc, path);
  const operation = template && doc.paths[template]![method.toLowerCase()];
  if (!operation) return;
  const response = operation.responses[String(answer.status)];
  expect(response, `${method} ${path} answered ${answer.status}, which is not documented: ${answer.text}`).to.not.equal(undefined);
  const content = response!.content as Record<string, { schema: { $ref?: string } }> | undefined;
  const ref = content?.['application/json']?.schema.$ref;
  if (!ref) return;
  const validate = validatorFor(doc, ref);
  expect(validate(answer.body), `${method} ${path} ${answer.status}: ${JSON.stringify(validate.errors)} in ${answer.text}`).to.equal(true);
}

export async function startHarness(overrides: Record<string, unknown> = {}): Promise<Harness> {
  const dataDir = await mkdtemp(join(tmpdir(), 'qspool-native-'));
  const config = loadConfig({}, {
    PORT: 0,
    QSPOOL_DATA_DIR: dataDir,
    QSPOOL_FSYNC: false,
    QSPOOL_POLL_MS: 20,
    QSPOOL_SCRYPT_LOG_N: 10,
    QSPOOL_RATE_PER_SECOND: 0,
    QSPOOL_PASSWORD_ATTEMPTS_PER_MINUTE: 0,
    LOG_LEVEL: 'info',
    ...overrides,
  });
  const logs: string[] = [];
  const sink = new Writable({ write: (chunk: Buffer, _encoding, done) => (logs.push(chunk.toString()), done()) });
  const logger = pino({ level: 'info' }, sink);
  const storage = new LocalProvider({ root: dataDir, fsync: false });
  // As spoolers with default settings publish them: the server's own limits (config) apply on top.
  const spoolerDefaults = loadConfig({});
  for (const definition of builtinBackends.values()) {
    const published = publishedConfig(definition, {
      maxInstructions: spoolerDefaults.QSPOOL_MAX_INSTRUCTIONS,
      maxHilbertDimension: spoolerDefaults.QSPOOL_MAX_HILBERT_DIMENSION,
    });
    await storage.put(ns.configs, published.display_name, published);
  }
  const server = await startServer(storage, config, logger);
  const spoolers: Spooler[] = [];
  const base = `${server.url}/api/v1`;
  // As served (the OpenAPI suite checks that the served document is this one).
  const doc = JSON.parse(JSON.stringify(server.api.document)) as OpenApiDocument;

  async function call(method: string, path: string, options: CallOptions = {}): Promise<Answer> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token) headers.Authorization = `Bearer ${options.token}`;
    const body = options.body === undefined ? undefined : typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
    const answer = await request(`${base}${path}`, { method, headers, ...(body === undefined ? {} : { body }) });
    expectDocumented(doc, method, path, answer);
    return answer;
  }

  return {
    url: server.url,
    config,
    dataDir,
    storage,
    lifecycle: new JobLifecycle(storage),
    server,
    logs,
    call,
    async user(username, role = 'user') {
      if (role === 'admin') return (await server.users.ensureUserWithToken(username, 'admin')).token;
      // As an admin creates users: the address is taken as confirmed, so job mails go to it and no check mail does.
      await server.users.createUser(username, { email: `${username}@example.org`, password: PASSWORD });
      const login = await call('POST', '/auth/token', { body: { username, password: PASSWORD } });
      const created = await call('POST', '/tokens', { token: (login.body as { access_token: string }).access_token, body: { name: 'tests' } });
      return (created.body as { token: string }).token;
    },
    async startSpoolers() {
      // Once per harness: a test retried after it started them must not start a second set beside the first.
      if (spoolers.length > 0) return;
      spoolers.push(...startSpoolers({ config, logger, storage }));
      await Promise.all(spoolers.map((spooler) => spooler.start()));
    },
    async stop() {
      // No client of a finished test sends more: its idle connections need no time to move elsewhere.
      await server.close(undefined, 0);
      await Promise.all(spoolers.map((spooler) => spooler.stop()));
      await storage.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** A harness for a describe block, started before its tests and stopped after them, with the tokens `tokens` makes. */
function harnessFor<T extends object>(overrides: Record<string, unknown>, tokens: (h: Harness) => Promise<T>): { readonly h: Harness } & Readonly<T> {
  const state = {} as { h: Harness } & T;
  before(async () => {
    state.h = await startHarness(overrides);
    Object.assign(state, await tokens(state.h));
  });
  after(() => state.h.stop());
  return state;
}

/** A harness and one user's API token for a describe block. */
export function harnessWithUser(username: string, overrides: Record<string, unknown> = {}) {
  return harnessFor(overrides, async (h) => ({ token: await h.user(username) }));
}

/** A harness, one user's API token and an admin's (`root`) for a describe block. */
export function harnessWithAdmin(username: string, overrides: Record<string, unknown> = {}) {
  return harnessFor(overrides, async (h) => ({ token: await h.user(username), admin: await h.user('root', 'admin') }));
}

export interface EndedJob {
  status: string;
  error: string | null;
  /** Each experiment's memory when the job is DONE; none otherwise. */
  memory: string[][];
}

/** Waits for a submitted job (a 201 answer) to end DONE or ERROR, as its owner sees it. */
export async function endOf(h: Harness, token: string, submitted: Answer): Promise<EndedJob> {
  expect(submitted.status, submitted.text).to.equal(201);
  const { id } = submitted.body as { id: string };
  const job = await eventually(async () => {
    const body = (await h.call('GET', `/jobs/${id}`, { token })).body as { status: string; error_message: string | null };
    return ['DONE', 'ERROR'].includes(body.status) ? body : undefined;
  }, 20_000);
  if (job.status !== 'DONE') return { status: job.status, error: job.error_message, memory: [] };
  const result = (await h.call('GET', `/jobs/${id}/result`, { token })).body as { results: { data: { memory: string[] } }[] };
  return { status: 'DONE', error: null, memory: result.results.map((r) => r.data.memory) };
}
