// The system the web interface tests run against: server and spoolers for singlequdit and fermions on a fresh
// local store, plus a published rydberg backend without any spooler (its jobs stay queued), and an admin who logs in
// with a password.
import { loadConfig } from '../../../config/index.ts';
import { publishedConfig } from '../../../spooler/backend.ts';
import { builtinBackends } from '../../../spooler/backends/index.ts';
import { ns } from '../../../storage/records.ts';
import { request, startSystem, type JsonResponse, type TestSystem } from '../../support/system.ts';

export const PASSWORD = 'correct horse battery';
export const ADMIN = 'root';
/** A backend with a config and no spooler: what is queued there stays queued. */
export const IDLE_BACKEND = 'rydberg';

export interface UiSystem extends TestSystem {
  /** Calls /api/v1<path> with a bearer token, as a script would. */
  call(method: string, path: string, token: string, body?: unknown): Promise<JsonResponse>;
}

/** `overrides`: settings beyond the usual ones (QSPOOL_SECRET_KEY, for registering storage providers). */
export async function startUiSystem(overrides: Record<string, unknown> = {}): Promise<UiSystem> {
  const system = await startSystem({ QSPOOL_BACKENDS: 'singlequdit,fermions', QSPOOL_SCRYPT_LOG_N: 10, QSPOOL_RATE_PER_SECOND: 0, QSPOOL_POLL_MS: 200, ...overrides });
  const defaults = loadConfig({});
  const idle = publishedConfig(builtinBackends.get(IDLE_BACKEND)!, {
    maxInstructions: defaults.QSPOOL_MAX_INSTRUCTIONS,
    maxHilbertDimension: defaults.QSPOOL_MAX_HILBERT_DIMENSION,
  });
  await system.storage.put(ns.configs, idle.display_name, idle);
  await system.server.users.createUser(ADMIN, { role: 'admin', email: 'root@example.org', password: PASSWORD });
  return {
    ...system,
    call: (method, path, token, body) =>
      request(`${system.url}/api/v1${path}`, {
        method,
        headers: { Authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      }),
  };
}
