// Requests Node's HTTP server would refuse by itself with an empty answer (no Host, an Expect it does not know) reach
// the app instead (server/index.ts), and are refused here like any other: JSON naming the problem, in the route's face.
import type { IncomingMessage } from 'node:http';
import type { Middleware } from 'koa';
import { BadHostError, ExpectationFailedError } from '../../schemas/errors.ts';

/** Node's own test of an expectation of 100 Continue; before HTTP/1.1 an Expect header means nothing. */
const CONTINUE = /(?:^|\W)100-continue(?:$|\W)/i;
const http11 = (req: IncomingMessage) => req.httpVersionMajor === 1 && req.httpVersionMinor >= 1;

/** Whether the client waits for 100 Continue before it sends its body. */
export const expectsContinue = (req: IncomingMessage) => http11(req) && CONTINUE.test(req.headers.expect ?? '');

export function protocolChecks(): Middleware {
  return async (ctx, next) => {
    const { req } = ctx;
    if (http11(req) && req.headers.host === undefined) throw new BadHostError('HTTP/1.1 requests must carry a Host header');
    const expectation = req.headers.expect;
    if (http11(req) && expectation !== undefined && !expectsContinue(req)) throw new ExpectationFailedError(expectation);
    await next();
  };
}
