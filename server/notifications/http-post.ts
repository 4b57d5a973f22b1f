// One webhook POST with hard bounds: the whole exchange (DNS, connect, TLS, headers, body) ends at the timeout,
// the socket connects only to an address the policy allows (see address-guard.ts), redirects are not followed,
// and at most a few KiB of the answer are read.
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import { bareHost, guardedLookup, resolveAllowed, type AddressPolicy } from './address-guard.ts';

export interface PostOutcome {
  ok: boolean;
  statusCode: number | null;
  error: string | null;
  durationMs: number;
}

const MAX_ANSWER_BYTES = 4096;

export async function postJson(url: string, body: string, headers: Record<string, string>, timeoutMs: number, policy: AddressPolicy): Promise<PostOutcome> {
  const started = Date.now();
  const outcome = (statusCode: number | null, error: string | null): PostOutcome => ({
    ok: error === null && statusCode !== null && statusCode >= 200 && statusCode < 300,
    statusCode,
    error,
    durationMs: Date.now() - started,
  });
  const target = new URL(url);
  // Node connects to an address written in the URL without calling `lookup`, so the guard there never sees it: a
  // receiver registered while private addresses were allowed went on being called once they no longer were.
  if (isIP(bareHost(target.hostname))) {
    try {
      await resolveAllowed(target.hostname, policy);
    } catch (error) {
      return outcome(null, (error as Error).message);
    }
  }
  return new Promise((resolve) => {
    const signal = AbortSignal.timeout(timeoutMs);
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
    let settled = false;
    const finish = (result: PostOutcome) => {
      if (settled) return;
      settled = true;
      resolve(result);
    };
    const request = send(
      target,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), ...headers },
        lookup: guardedLookup(policy),
        signal,
        // A fresh connection per delivery: a kept-alive socket would skip the address check of the next one.
        agent: false,
      },
      (response) => {
        // The status decides, as soon as it comes: waiting for the body too turned a receiver's 200 with a slow body
        // into "no answer", and the delivery it had taken was sent again and again. The body is then read to its end
        // (or the timeout, or a few KiB) only to let the connection close cleanly.
        const status = response.statusCode ?? 0;
        finish(outcome(status, status >= 200 && status < 300 ? null : `receiver answered ${status}`));
        let read = 0;
        response.on('data', (chunk: Buffer) => {
          read += chunk.length;
          if (read > MAX_ANSWER_BYTES) response.destroy();
        });
        response.on('error', () => undefined);
      },
    );
    request.on('error', (error: Error) => {
      const timedOut = signal.aborted;
      finish(outcome(null, timedOut ? `no answer within ${timeoutMs} ms` : error.message));
    });
    request.end(body);
  });
}
