// A whole qspool (server + spoolers) in this process on a fresh temporary local store, for end-to-end tests.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type Config } from '../../config/index.ts';
import { createLogger } from '../../config/logger.ts';
import { startServer, type RunningServer } from '../../server/index.ts';
import type { Spooler } from '../../spooler/spooler.ts';
import type { StorageProvider } from '../../storage/contract.ts';
import { LocalProvider } from '../../storage/local/index.ts';
import { startSpoolers } from '../../scripts/runtime.ts';

export interface TestSystem {
  url: string;
  config: Config;
  storage: StorageProvider;
  server: RunningServer;
  spoolers: Spooler[];
  /** A token for a fresh user; `user(name)` makes more. */
  token: string;
  user(name: string, role?: 'user' | 'admin'): Promise<string>;
  stop(): Promise<void>;
}

export async function startSystem(overrides: Record<string, unknown> = {}, withSpoolers = true): Promise<TestSystem> {
  const dataDir = await mkdtemp(join(tmpdir(), 'qspool-system-'));
  const config = loadConfig({}, { PORT: 0, QSPOOL_DATA_DIR: dataDir, QSPOOL_FSYNC: false, QSPOOL_POLL_MS: 20, ...overrides });
  const logger = createLogger('silent');
  const storage = new LocalProvider({ root: dataDir, fsync: false });
  const spoolers = withSpoolers ? startSpoolers({ config, logger, storage }) : [];
  await Promise.all(spoolers.map((spooler) => spooler.start()));
  const server = await startServer(storage, config, logger);
  const user = async (name: string, role: 'user' | 'admin' = 'user') => (await server.users.ensureUserWithToken(name, role)).token;
  return {
    url: server.url,
    config,
    storage,
    server,
    spoolers,
    token: await user('alice'),
    user,
    async stop() {
      // No client of a finished test sends more: its idle connections need no time to move elsewhere.
      await server.close(undefined, 0);
      await Promise.all(spoolers.map((spooler) => spooler.stop()));
      await storage.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export interface JsonResponse {
  status: number;
  headers: Headers;
  body: unknown;
  text: string;
}

export async function request(url: string, init: RequestInit = {}): Promise<JsonResponse> {
  const response = await fetch(url, init);
  const text = await response.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: response.status, headers: response.headers, body, text };
}

export function postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<JsonResponse> {
  return request(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

/** Polls until `check` returns a value, or fails after `timeoutMs`. */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs = 10_000, everyMs = 20): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/** Whether a process with this pid is still running (signal 0 checks without sending anything). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
