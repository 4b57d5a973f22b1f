// The pages' only way to the server: the public /api/v1 routes, JSON in and out, the session's access token as a
// Bearer header. Errors arrive as ApiError with the server's code and details; a refused token ends the session.
import { getSession, setSession } from './session.ts';
import { navigate } from './router.ts';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: unknown,
  ) {
    super(message);
  }
}

interface ErrorBody {
  error?: { code?: string; message?: string; details?: unknown };
}

export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const session = getSession();
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (session) headers.Authorization = `Bearer ${session.token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const response = await fetch(`/api/v1${path}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  if (response.status === 204) return undefined as T;
  const parsed = (await response.json().catch(() => ({}))) as T & ErrorBody;
  if (response.ok) return parsed;
  const error = parsed.error ?? {};
  if (response.status === 401 && session && path !== '/auth/token') {
    // Expired, revoked (password changed) or disabled: start over at the log-in page. A mistyped password on the
    // log-in page is not that: whoever is signed in stays so, and the page shows the error.
    setSession(undefined);
    navigate(`/login?next=${encodeURIComponent(location.pathname + location.search)}`, true);
  }
  throw new ApiError(response.status, error.code ?? 'error', error.message ?? `${response.status} ${response.statusText}`, error.details ?? null);
}

export const errorText = (error: unknown): string => (error instanceof Error ? error.message : String(error));

let documented: Promise<Set<string>> | undefined;

/**
 * Whether the server documents an operation (`get /api/v1/jobs/{id}/signature`): features other parts of qspool add
 * (live events, result signatures) light up when their routes exist, without a request that could answer 404.
 */
export async function hasOperation(method: string, path: string): Promise<boolean> {
  documented ??= fetch('/api/v1/openapi.json')
    .then((response) => (response.ok ? (response.json() as Promise<{ paths?: Record<string, Record<string, unknown>> }>) : { paths: {} }))
    .then((doc) => new Set(Object.entries(doc.paths ?? {}).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m} ${p}`))))
    .catch(() => new Set<string>());
  return (await documented).has(`${method} /api/v1${path}`);
}
