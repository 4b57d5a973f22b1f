import { expect } from 'chai';
import Koa from 'koa';
import type { Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { MAX_BUFFERED_BYTES, SseStream } from './sse.ts';
import { StreamSlots } from './stream-guard.ts';

describe('SseStream', () => {
  let server: Server | undefined;
  afterEach(() => server?.close());

  /** Serves one request whose client hangs up before the stream is opened, as one can while a remote store is read. */
  async function openAfterHangUp(slots: StreamSlots): Promise<SseStream> {
    const app = new Koa();
    const opened = new Promise<SseStream>((resolve) => {
      app.use(async (ctx) => {
        await new Promise((done) => ctx.res.once('close', done));
        const stream = new SseStream(ctx, 60_000);
        stream.onEnd(slots.take('ada'));
        resolve(stream);
      });
    });
    server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server!.once('listening', resolve));
    const client = connect((server.address() as AddressInfo).port, '127.0.0.1', () => {
      client.write('GET /events HTTP/1.1\r\nHost: x\r\n\r\n');
      setTimeout(() => client.destroy(), 50);
    });
    return opened;
  }

  it('ends at once when its client has already hung up, giving back the slot it took', async () => {
    const slots = new StreamSlots(1);
    const stream = await openAfterHangUp(slots);
    expect(stream.closed).to.equal(true);
    expect(() => slots.take('ada')).to.not.throw();
  });

  it('ends after what it holds once a client that does not read falls a bounded amount behind', async () => {
    const app = new Koa();
    app.silent = true;
    const opened = new Promise<SseStream>((resolve) => {
      app.use((ctx) => resolve(new SseStream(ctx, 60_000)));
    });
    server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server!.once('listening', resolve));
    // Connects and asks, then never reads: the kernel's socket buffers fill, then the stream's own.
    const client = connect((server.address() as AddressInfo).port, '127.0.0.1', () => client.write('GET /events HTTP/1.1\r\nHost: x\r\n\r\n'));
    client.pause();
    const stream = await opened;
    const data = { detail: 'x'.repeat(1000) };
    let sent = 0;
    // 64 MiB is far more than loopback socket buffers take in; the stream must give up long before.
    for (let n = 0; n < 64 * 1024 && !stream.closed; n += 1) {
      stream.send(String(n), data);
      sent += 1;
      if (n % 64 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    client.destroy();
    expect(stream.closed, `still open after ${sent} events`).to.equal(true);
    expect(sent * 1000).to.be.below(32 * MAX_BUFFERED_BYTES);
  });
});
