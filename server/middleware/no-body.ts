// Operations that take no body refuse one instead of ignoring it: a client that sends `{"force": true}` to a cancel
// believes it matters. Only a body that says nothing passes: none, whitespace, or an empty JSON object, which many
// HTTP client wrappers send with every POST. Anything longer than such a body is refused before it is read (nor is
// 100 Continue sent for it); a shorter one is read only as far as it still could say nothing, so nothing is buffered.
import type { Context } from 'koa';
import { QspoolError, RequestAbortedError, UnexpectedBodyError } from '../../schemas/errors.ts';
import { expectsContinue } from './protocol.ts';

/** The longest body that may still say nothing (an empty object with some whitespace). */
const MAX_EMPTY_BYTES = 64;
/** Every beginning of a body that says nothing. */
const SAYS_NOTHING_SO_FAR = /^\s*(\{\s*(\}\s*)?)?$/;
const SAYS_NOTHING = /^\s*(\{\s*\}\s*)?$/;

/** Throws UnexpectedBodyError unless the body says nothing (see above). */
export async function refuseBody(ctx: Context, operation: string): Promise<void> {
  const declared = Number(ctx.get('content-length') || 0);
  if (declared > MAX_EMPTY_BYTES) throw new UnexpectedBodyError(operation);
  if (declared === 0 && ctx.get('transfer-encoding') === '') return;
  if (expectsContinue(ctx.req) && !ctx.res.headersSent) ctx.res.writeContinue();
  let text = '';
  try {
    for await (const chunk of ctx.req as AsyncIterable<Buffer>) {
      text += chunk.toString('latin1');
      if (text.length > MAX_EMPTY_BYTES || !SAYS_NOTHING_SO_FAR.test(text)) throw new UnexpectedBodyError(operation);
    }
  } catch (error) {
    throw error instanceof QspoolError ? error : new RequestAbortedError();
  }
  if (!SAYS_NOTHING.test(text)) throw new UnexpectedBodyError(operation);
}
