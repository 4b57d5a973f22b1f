// Builders for Dropbox's error answers: 409 route errors, 400 bad-input text, 401 auth, 429 rate limit.
import { jsonReply, textReply } from './http-util.ts';
import type { HttpReply, JsonObject } from './http-util.ts';

/** Thrown anywhere inside request handling; the server writes `reply` as is. */
export class ApiReplyError extends Error {
  constructor(readonly reply: HttpReply) {
    super(`Dropbox API error ${reply.status}`);
  }
}

let summaryCounter = 0;

/**
 * Dropbox's error_summary is the tag path plus a trailing slash and a varying run of dots
 * ("path/not_found/", "path/not_found/..", "too_many_requests/..."), meant for humans only.
 * We vary the dots too, so a client that compares summaries exactly (instead of by prefix)
 * fails here as it would against the real service.
 */
export function errorSummary(tags: readonly string[]): string {
  const dots = '.'.repeat(summaryCounter % 4);
  summaryCounter += 1;
  return `${tags.join('/')}/${dots}`;
}

/** ['path', 'conflict', 'file'] -> {".tag": "path", "path": {".tag": "conflict", "conflict": {".tag": "file"}}} */
export function taggedUnion(tags: readonly string[]): JsonObject {
  const [head, ...rest] = tags;
  if (head === undefined) throw new Error('taggedUnion needs at least one tag');
  return rest.length === 0 ? { '.tag': head } : { '.tag': head, [head]: taggedUnion(rest) };
}

/** Route-specific (endpoint) error: HTTP 409 with {error_summary, error}. */
export function routeError(summaryTags: readonly string[], error: JsonObject = taggedUnion(summaryTags)): ApiReplyError {
  const summary = errorSummary(summaryTags);
  const reply = jsonReply(409, { error_summary: summary, error });
  reply.statusMessage = summary;
  return new ApiReplyError(reply);
}

/** Dropbox answers malformed requests (bad JSON, wrong field types, bad headers) with 400 and plain text. */
export function badInput(route: string, message: string): ApiReplyError {
  return new ApiReplyError(textReply(400, `Error in call to API function "${route}": ${message}`));
}

export function authError(tag: 'invalid_access_token' | 'expired_access_token' | 'missing_scope'): ApiReplyError {
  const summary = errorSummary([tag]);
  const reply = jsonReply(401, { error_summary: summary, error: { '.tag': tag } });
  reply.statusMessage = summary;
  return new ApiReplyError(reply);
}

export type RateLimitReason = 'too_many_requests' | 'too_many_write_operations';

/**
 * 429 as Dropbox sends it: a RateLimitError body plus a Retry-After header. Namespace lock contention
 * (too_many_write_operations) has been seen answered with neither `retry_after` nor the header, so `retryAfterSeconds`
 * may be left out.
 */
export function rateLimitReply(reason: RateLimitReason, retryAfterSeconds?: number): HttpReply {
  const summary = errorSummary([reason]);
  const timed = retryAfterSeconds !== undefined;
  const reply = jsonReply(
    429,
    { error_summary: summary, error: { reason: { '.tag': reason }, ...(timed ? { retry_after: retryAfterSeconds } : {}) } },
    timed ? { 'Retry-After': String(retryAfterSeconds) } : {},
  );
  reply.statusMessage = summary;
  return reply;
}
