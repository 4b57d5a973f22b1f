// Operations that take no body refuse one instead of ignoring it. A declared length is refused before anything is
// read (nor is 100 Continue sent); a chunked body is read only up to its first bytes, so nothing is ever buffered.
import type { Context } from 'koa';
import { QspoolError, RequestAbortedError, UnexpectedBodyError } from '../../schemas/errors.ts';
import { expectsContinue } from './protocol.ts';

/** Throws UnexpectedBodyError for a non-empty body; an empty one (Content-Length: 0, or chunked with no bytes) passes. */
export async function refuseBody(ctx: Context, operation: string): Promise<void> {
  if (Number(ctx.get('content-length') || 0) > 0) throw new UnexpectedBodyError(operation);
  if (ctx.get('transfer-encoding') === '') return;
  if (expectsContinue(ctx.req) && !ctx.res.headersSent) ctx.res.writeContinue();
  try {
    for await (const chunk of ctx.req as AsyncIterable<Buffer>) if (chunk.length > 0) throw new UnexpectedBodyError(operation);
  } catch (error) {
    throw error instanceof QspoolError ? error : new RequestAbortedError();
  }
}
