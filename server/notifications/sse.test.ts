import { expect } from 'chai';
import Koa from 'koa';
import type { Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { SseStream } from './sse.ts';
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
});
