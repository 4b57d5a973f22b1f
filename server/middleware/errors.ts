// The one place where errors become HTTP answers. qlued routes answer in qlued's shapes (status dicts,
// django-ninja detail lists); everything else answers {error: {code, message, details}}. Unexpected errors are
// logged with the request id and answered 500 without internals; storage outages answer 503 with Retry-After, and
// without the provider's own words (paths, hosts), which are logged.
import type { Middleware } from 'koa';
import {
  QspoolError,
  StorageUnavailableError,
  MethodNotAllowedError,
  RateLimitedError,
  RequestValidationError,
  StatusDictError,
  UnauthorizedError,
  UnparseableBodyError,
  errorStatusDict,
} from '../../schemas/errors.ts';
import type { RequestState } from './request-context.ts';

export type ApiFace = 'qlued' | 'native';

export interface ErrorState extends RequestState {
  face?: ApiFace;
}

function qluedBody(error: QspoolError): unknown {
  if (error instanceof StatusDictError) return error.statusDict;
  if (error instanceof RequestValidationError) return { detail: error.problems };
  if (error instanceof UnparseableBodyError) return { detail: error.message };
  if (error instanceof UnauthorizedError && error.code === 'unauthorized') return { detail: 'Unauthorized' };
  if (error instanceof MethodNotAllowedError) return { detail: 'Method not allowed' };
  return errorStatusDict(error.message);
}

function nativeBody(error: QspoolError): unknown {
  return { error: { code: error.code, message: error.message, details: error.details ?? null } };
}

/**
 * What callers are told of an error: an untyped error, or a storage failure in the provider's words, says no more than
 * its kind and the request id; the log has the rest.
 */
function answerFor(caught: unknown, requestId: string): QspoolError {
  if (caught instanceof StorageUnavailableError && !caught.forCallers) {
    const message = `Storage cannot be reached right now; retry in ${caught.retryAfterSeconds} s (request ${requestId})`;
    return new StorageUnavailableError(message, caught.retryAfterSeconds, { forCallers: true });
  }
  return caught instanceof QspoolError ? caught : new QspoolError('internal_error', 500, `Internal error (request ${requestId})`);
}

export function errorMapper(): Middleware<ErrorState> {
  return async (ctx, next) => {
    try {
      await next();
    } catch (caught) {
      const known = caught instanceof QspoolError;
      const error = answerFor(caught, ctx.state.requestId);
      if (!known) ctx.state.log.error({ err: caught }, 'unhandled error');
      else if (error.status >= 500) ctx.state.log.warn({ err: caught }, (caught as QspoolError).message);
      if (error instanceof StorageUnavailableError || error instanceof RateLimitedError) ctx.set('Retry-After', String(error.retryAfterSeconds));
      if (error instanceof UnauthorizedError && ctx.state.face === 'native') ctx.set('WWW-Authenticate', `Bearer realm="qspool", error="${error.code}"`);
      if (error instanceof MethodNotAllowedError) ctx.set('Allow', error.allowed.join(', '));
      ctx.status = error.status;
      ctx.body = ctx.state.face === 'qlued' ? qluedBody(error) : nativeBody(error);
    }
  };
}
