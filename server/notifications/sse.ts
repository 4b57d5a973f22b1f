// One Server-Sent Events response on a Koa context: `text/event-stream` through a stream Koa pipes to the socket,
// keep-alive comments so proxies and clients do not time an idle stream out, and clean-up however it ends
// (final state, client gone, server stopping).
import { PassThrough } from 'node:stream';
import type { Context } from 'koa';

/**
 * How much a stream may hold for a client that does not read (a stalled connection, a reader far behind). Past it
 * the stream ends after what it holds: the client reconnects with Last-Event-ID and is sent the rest from the outbox,
 * instead of the server keeping every event for it in memory.
 */
export const MAX_BUFFERED_BYTES = 1 << 20;

export class SseStream {
  private readonly body = new PassThrough();
  private readonly keepAlive: NodeJS.Timeout;
  private readonly cleanups: (() => void)[] = [];
  private ended = false;

  constructor(ctx: Context, keepAliveMs: number) {
    ctx.status = 200;
    ctx.type = 'text/event-stream';
    ctx.set('Cache-Control', 'no-cache, no-transform');
    ctx.set('Connection', 'keep-alive');
    // nginx and similar buffer responses unless told not to; events must arrive when they happen.
    ctx.set('X-Accel-Buffering', 'no');
    ctx.req.socket.setTimeout(0);
    ctx.req.socket.setNoDelay(true);
    ctx.body = this.body;
    this.keepAlive = setInterval(() => this.write(': keep-alive\n\n'), keepAliveMs);
    // A client that hung up while the request was authenticated or its job read has a response that already
    // closed, and 'close' is not emitted twice: without this check the stream would hold its slot, its feed
    // subscription and its credential check for as long as the process runs (ten such requests locked the user out).
    if (ctx.res.destroyed) this.end();
    else ctx.res.once('close', () => this.end());
    this.write(': connected\n\n');
  }

  get closed(): boolean {
    return this.ended;
  }

  /** Runs when the stream ends, whichever way. */
  onEnd(cleanup: () => void): void {
    if (this.ended) cleanup();
    else this.cleanups.push(cleanup);
  }

  send(id: string, data: unknown): void {
    this.write(`id: ${id}\ndata: ${JSON.stringify(data)}\n\n`);
    if (this.body.writableLength > MAX_BUFFERED_BYTES) this.end('the client reads too slowly; reconnect with Last-Event-ID');
  }

  /**
   * Moves the client's Last-Event-ID to `id` without an event (the specification updates it on an empty message):
   * a stream that ends there has it reconnect from `id`.
   */
  checkpoint(id: string): void {
    this.write(`id: ${id}\n\n`);
  }

  /** Ends the stream; a `reason` is sent first as a comment line (clients ignore it, people reading it do not). */
  end(reason?: string): void {
    if (this.ended) return;
    if (reason) this.write(`: ${reason}\n\n`);
    this.ended = true;
    clearInterval(this.keepAlive);
    for (const cleanup of this.cleanups.splice(0)) cleanup();
    if (!this.body.destroyed) this.body.end();
  }

  private write(text: string): void {
    if (!this.ended && !this.body.destroyed && this.body.writable) this.body.write(text);
  }
}
