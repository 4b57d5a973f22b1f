// Large request bodies take turns: their parsed values cost many times their size, and 60 at once from one
// anonymous client ran the server out of heap. QSPOOL_MAX_LARGE_BODIES are read and handled at once; the next wait.
import { expect } from 'chai';
import { connect, type Socket } from 'node:net';
import { loadConfig } from '../../config/index.ts';
import { startHarness, type Harness } from '../native-api/harness.ts';

const LARGE = `{"username": "${'x'.repeat(100_000)}"}`;

/** A socket to the server; `answer` resolves with the first status line it receives. */
async function client(url: string): Promise<{ socket: Socket; answer: Promise<string> }> {
  const { hostname, port } = new URL(url);
  const socket = await new Promise<Socket>((resolve, reject) => {
    const opened = connect(Number(port), hostname, () => resolve(opened));
    opened.once('error', reject);
  });
  const answer = new Promise<string>((resolve) => socket.once('data', (chunk: Buffer) => resolve(chunk.toString().split('\r\n')[0]!)));
  return { socket, answer };
}

const within = <T>(promise: Promise<T>, ms: number) =>
  Promise.race([promise, new Promise<'pending'>((resolve) => setTimeout(() => resolve('pending'), ms))]);

describe('large request bodies take turns', function () {
  let h: Harness;
  const sockets: Socket[] = [];
  before(async () => {
    h = await startHarness({ QSPOOL_MAX_LARGE_BODIES: 1 });
  });
  after(async () => {
    for (const socket of sockets) socket.destroy();
    await h.stop();
  });

  it('reads the next large body only once the answer to the one before it is sent; small ones never wait', async () => {
    const first = await client(h.url);
    const second = await client(h.url);
    const chunked = await client(h.url);
    const small = await client(h.url);
    sockets.push(first.socket, second.socket, chunked.socket, small.socket);
    const head = (length: string) => `POST /api/v1/users HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n${length}\r\n\r\n`;
    // The first holds the only turn while its body is still coming.
    first.socket.write(head(`Content-Length: ${LARGE.length}`) + LARGE.slice(0, 1000));
    await new Promise((resolve) => setTimeout(resolve, 100));
    second.socket.write(head(`Content-Length: ${LARGE.length}`) + LARGE);
    const size = Buffer.byteLength(LARGE).toString(16);
    chunked.socket.write(`${head('Transfer-Encoding: chunked')}${size}\r\n${LARGE}\r\n0\r\n\r\n`);
    small.socket.write(head('Content-Length: 2') + '{}');
    expect(await within(small.answer, 2000)).to.equal('HTTP/1.1 422 Unprocessable Entity');
    expect(await within(second.answer, 500)).to.equal('pending');
    expect(await within(chunked.answer, 10)).to.equal('pending');
    first.socket.write(LARGE.slice(1000));
    expect(await within(first.answer, 2000)).to.equal('HTTP/1.1 422 Unprocessable Entity');
    expect(await within(second.answer, 2000)).to.equal('HTTP/1.1 422 Unprocessable Entity');
    expect(await within(chunked.answer, 2000)).to.equal('HTTP/1.1 422 Unprocessable Entity');
  });

  it('gives up the turn of a client that hung up while it waited', async () => {
    const holder = await client(h.url);
    const quitter = await client(h.url);
    const next = await client(h.url);
    sockets.push(holder.socket, next.socket);
    const head = `POST /api/v1/users HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${LARGE.length}\r\n\r\n`;
    holder.socket.write(head + LARGE.slice(0, 1000));
    await new Promise((resolve) => setTimeout(resolve, 100));
    quitter.socket.write(head);
    await new Promise((resolve) => setTimeout(resolve, 100));
    quitter.socket.destroy();
    next.socket.write(head + LARGE);
    holder.socket.write(LARGE.slice(1000));
    expect(await within(holder.answer, 2000)).to.equal('HTTP/1.1 422 Unprocessable Entity');
    expect(await within(next.answer, 2000)).to.equal('HTTP/1.1 422 Unprocessable Entity');
  });

  it('defaults to 4 large bodies at once', () => {
    expect(loadConfig({}).QSPOOL_MAX_LARGE_BODIES).to.equal(4);
  });
});
