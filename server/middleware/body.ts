// Reads request bodies as JSON whatever the Content-Type (qlued's clients send form types too), with explicit
// limits on size and nesting depth, strict UTF-8, and a clear 4xx for everything else.
import type { Context } from 'koa';
import { BodyTooLargeError, QspoolError, RequestAbortedError, UnparseableBodyError, UnsupportedCharsetError, UnsupportedEncodingError } from '../../schemas/errors.ts';
import { parseJsonInSteps } from './json-steps.ts';
import { expectsContinue } from './protocol.ts';

export interface BodyLimits {
  maxBytes: number;
  maxDepth: number;
  /** Field problems a refused request's answer lists (QSPOOL_MAX_PROBLEMS); the rest are only counted. */
  maxProblems: number;
  /** Turns for large bodies (QSPOOL_MAX_LARGE_BODIES at once in this process). */
  largeBodies: BodyTurns;
}

/**
 * Bodies above this many bytes take a turn before they are read on. Their parsed values cost up to ~50 times their
 * size (a 2.6 MB body of 650,000 `[0]` arrays held ~120 MB until its answer was sent), so 60 at once from one
 * anonymous client ran the server out of heap and killed it; small bodies, which are most of them, never wait.
 */
const LARGE_BODY_BYTES = 64 * 1024;

/**
 * At most `slots` large bodies read, parsed and handled at once; further ones wait in arrival order without being
 * read (a client that waits longer than QSPOOL_REQUEST_TIMEOUT_MS is answered 408 and gives its turn up unused).
 */
export class BodyTurns {
  private free: number;
  private readonly waiting: (() => void)[] = [];

  constructor(slots: number) {
    this.free = slots;
  }

  /** Waits for a turn, held until the request's response closes. */
  async take(ctx: Context): Promise<void> {
    if (this.free > 0) this.free -= 1;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    const release = () => {
      const next = this.waiting.shift();
      if (next) next();
      else this.free += 1;
    };
    // A response that closed while its request waited emits no 'close' again.
    if (ctx.res.destroyed) release();
    else ctx.res.once('close', release);
  }
}

/** The body as text, decoded chunk by chunk as it arrives (a 2 MB body is never decoded in one go), strict UTF-8. */
async function readText(ctx: Context, maxBytes: number, turns: BodyTurns): Promise<string> {
  const encoding = ctx.get('content-encoding').trim();
  if (encoding !== '' && encoding.toLowerCase() !== 'identity') throw new UnsupportedEncodingError(encoding);
  const declared = Number(ctx.get('content-length') || 0);
  if (declared > maxBytes) throw new BodyTooLargeError(maxBytes);
  // A body without a length (chunked) takes its turn once it turns out large.
  let large = declared > LARGE_BODY_BYTES;
  if (large) await turns.take(ctx);
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let text: string | undefined = '';
  let size = 0;
  // Invalid UTF-8 is answered once the body is read, as before, not while the client is still sending it.
  const decode = (chunk?: Buffer) => {
    try {
      if (text !== undefined) text += decoder.decode(chunk, { stream: chunk !== undefined });
    } catch {
      text = undefined;
    }
  };
  // Only now is the body invited (server/index.ts holds 100 Continue back): a request refused before its body is read
  // (credentials, size, encoding, query) is answered without the client sending the body first.
  if (expectsContinue(ctx.req) && !ctx.res.headersSent) ctx.res.writeContinue();
  try {
    for await (const chunk of ctx.req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > maxBytes) throw new BodyTooLargeError(maxBytes);
      if (!large && size > LARGE_BODY_BYTES) {
        large = true;
        await turns.take(ctx);
      }
      decode(chunk);
    }
  } catch (error) {
    // The request stream fails only when its connection does ('aborted', ECONNRESET): the client hung up mid-body.
    throw error instanceof QspoolError ? error : new RequestAbortedError();
  }
  decode();
  if (text === undefined) throw notUtf8(ctx.request.charset);
  return text;
}

/** The refusal of a body that is not UTF-8: for the charset it declared, if that is another one. */
function notUtf8(charset: string): QspoolError {
  if (charset !== '' && !/^utf-?8$/i.test(charset)) return new UnsupportedCharsetError(charset);
  return new UnparseableBodyError('The request body is not valid UTF-8');
}

/** Parses JSON text under the depth limit; throws UnparseableBodyError with the given message otherwise. */
export function parseJsonText(text: string, maxDepth: number, message?: string): unknown {
  // JSON.parse itself recurses; refuse absurd nesting before handing it over.
  let open = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92) i += 1;
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 || c === 91) max = Math.max(max, ++open);
    else if (c === 125 || c === 93) open -= 1;
  }
  if (max > maxDepth) throw new UnparseableBodyError(message ?? `JSON nested deeper than ${maxDepth} levels`);
  try {
    return JSON.parse(text);
  } catch {
    throw new UnparseableBodyError(message);
  }
}

/**
 * Texts longer than this are parsed in steps (json-steps.ts), so that a large body never holds up other requests for
 * more than a few milliseconds; shorter ones take JSON.parse's single step (well under a millisecond).
 */
const ONE_STEP_CHARS = 64 * 1024;

/** Whether a parsed value holds ±Infinity anywhere (a number beyond a double's range), without recursion. */
function holdsInfinity(value: unknown): boolean {
  const stack = [value];
  while (stack.length > 0) {
    const item = stack.pop();
    if (typeof item === 'number' && !Number.isFinite(item)) return true;
    if (item !== null && typeof item === 'object') for (const child of Object.values(item)) stack.push(child);
  }
  return false;
}

/**
 * A number reaches ±Infinity only with an exponent (a digit, then e or E) or with 309 digits or more: a text with
 * neither, nearly every body, cannot hold one, and its parsed value need not be walked.
 */
const MAY_OVERFLOW = /\d[eE]|\d{309}/;

/**
 * parseJsonText, in steps for long texts. Both refuse a number beyond a double's range: the parse in steps names it
 * and its place, so a short text that holds one is parsed again that way (only then: JSON.parse is the fast path).
 */
export async function parseJson(text: string, maxDepth: number, message?: string): Promise<unknown> {
  if (text.length > ONE_STEP_CHARS) return parseJsonInSteps(text, maxDepth, message);
  await Promise.resolve();
  const value = parseJsonText(text, maxDepth, message);
  return MAY_OVERFLOW.test(text) && holdsInfinity(value) ? parseJsonInSteps(text, maxDepth, message) : value;
}

/** The parsed body, or undefined for an empty body. */
export async function readJsonBody(ctx: Context, limits: BodyLimits): Promise<unknown> {
  const text = await readText(ctx, limits.maxBytes, limits.largeBodies);
  if (text.trim() === '') return undefined;
  return parseJson(text, limits.maxDepth);
}
