// One Server-Sent Events response on a Koa context: `text/event-stream` through a stream Koa pipes to the socket,
// keep-alive comments so proxies and clients do not time an idle stream out, and clean-up however it ends
// (final state, client gone, server stopping).
import type { Socket } from 'node:net';
import { PassThrough } from 'node:stream';
import type { Context } from 'koa';

/**
 * How much a stream may hold for a client that does not read (a stalled connection, a reader far behind). Past it
 * the stream ends after what it holds: the client reconnects with Last-Event-ID and is sent the rest from the outbox,
 * instead of the server keeping every event for it in memory.
 */
export const MAX_BUFFERED_BYTES = 1 << 20;

/**
 * The reconnection delay a stream ended by a stopping server asks for: the client comes back through the load balancer
 * to another replica at once (with Last-Event-ID, missing nothing) rather than after its default of some seconds.
 */
export const RECONNECT_AFTER_STOP_MS = 100;

export class SseStream {
  private readonly body = new PassThrough();
  private readonly keepAlive: NodeJS.Timeout;
  private readonly cleanups: (() => void)[] = [];
  private ended = false;
  /** A reader that took nothing of a paced send for a keep-alive interval: see sendPaced. */
  private stalled = false;
  private readonly socket: Socket;

  constructor(
    ctx: Context,
    private readonly keepAliveMs: number,
  ) {
    this.socket = ctx.req.socket;
    ctx.status = 200;
    ctx.type = 'text/event-stream';
    ctx.set('Cache-Control', 'no-cache, no-transform');
    // Not on the last answer of a connection (a stopping server's, connection-drain.ts): the header would keep it open.
    if (ctx.res.shouldKeepAlive) ctx.set('Connection', 'keep-alive');
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
   * Sends an event of a replay at the pace the client takes them: while the stream holds more than its high-water
   * mark this waits for the client to take it. Written all at once, a replay of more than MAX_BUFFERED_BYTES would
   * end the stream even for a client reading as fast as it can (Koa starts sending only after the handler returns).
   * A client that took nothing for a keep-alive interval (not a byte more left for its socket) is stalled: from then
   * on this sends without waiting, and the stream ends at MAX_BUFFERED_BYTES as it does for live events.
   */
  async sendPaced(id: string, data: unknown): Promise<void> {
    this.send(id, data);
    if (this.ended || this.stalled || !this.body.writableNeedDrain) return;
    this.stalled = !(await this.drained());
  }

  /**
   * Resolves true once the client took what the stream holds (or the stream ended), false once a keep-alive interval
   * went by in which it took nothing at all. The check waits for the I/O found pending at the interval's end
   * (setImmediate): a timer due after a long synchronous task runs before the socket's callbacks, and a busy server
   * would otherwise take a reader that keeps up for a stalled one.
   */
  private drained(): Promise<boolean> {
    return new Promise((resolve) => {
      let sent = this.socket.bytesWritten;
      let timer: NodeJS.Timeout;
      let settled = false;
      const done = (taken: boolean) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.body.off('drain', onDrain);
        const waiting = this.cleanups.indexOf(onEnd);
        if (waiting >= 0) this.cleanups.splice(waiting, 1);
        resolve(taken);
      };
      const onDrain = () => done(true);
      const onEnd = () => done(true);
      const check = () =>
        setImmediate(() => {
          if (settled) return;
          if (this.socket.bytesWritten === sent) return done(false);
          sent = this.socket.bytesWritten;
          timer = setTimeout(check, this.keepAliveMs);
        });
      timer = setTimeout(check, this.keepAliveMs);
      this.body.once('drain', onDrain);
      this.cleanups.push(onEnd);
    });
  }

  /**
   * Moves the client's Last-Event-ID to `id` without an event (the specification updates it on an empty message):
   * a stream that ends there has it reconnect from `id`.
   */
  checkpoint(id: string): void {
    this.write(`id: ${id}\n\n`);
  }

  /**
   * Ends the stream; a `reason` is sent first as a comment line (clients ignore it, people reading it do not), and
   * `retryMs` as the `retry:` field, the delay after which an EventSource reconnects (a few seconds unless told).
   */
  end(reason?: string, retryMs?: number): void {
    if (this.ended) return;
    if (reason) this.write(`: ${reason}\n${retryMs === undefined ? '' : `retry: ${retryMs}\n`}\n`);
    this.ended = true;
    clearInterval(this.keepAlive);
    for (const cleanup of this.cleanups.splice(0)) cleanup();
    if (!this.body.destroyed) this.body.end();
  }

  private write(text: string): void {
    if (!this.ended && !this.body.destroyed && this.body.writable) this.body.write(text);
  }
}
