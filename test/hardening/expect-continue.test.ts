// Expect: 100-continue lets a client hold its body back until the server asks for it. Node asks at once, for every
// request; the server asks only once a route reads the body, so a request refused before that (no credential, a
// Content-Length over the limit) is answered before any of its body is sent, and an accepted one is read as before.
import { expect } from 'chai';
import { connect, type Socket } from 'node:net';
import { GOOD_JOB, harnessWithUser } from '../native-api/harness.ts';

/** A socket that has sent `head`, and the next chunk it receives each time `next` is called. */
async function opened(url: string, head: string): Promise<{ socket: Socket; next: () => Promise<string> }> {
  const { hostname, port } = new URL(url);
  const socket = await new Promise<Socket>((resolve, reject) => {
    const s = connect(Number(port), hostname, () => resolve(s));
    s.once('error', reject);
  });
  const chunks: string[] = [];
  let wake: (() => void) | undefined;
  socket.on('data', (chunk: Buffer) => {
    chunks.push(chunk.toString());
    wake?.();
  });
  socket.write(head);
  const next = async () => {
    if (chunks.length === 0) await new Promise<void>((resolve) => (wake = resolve));
    return chunks.shift()!;
  };
  return { socket, next };
}

const statusLine = (text: string) => text.split('\r\n')[0];

describe('Expect: 100-continue', function () {
  this.timeout(30_000);
  const system = harnessWithUser('ada', { QSPOOL_MAX_BODY_BYTES: 64 * 1024 });
  const sockets: Socket[] = [];
  after(() => sockets.forEach((socket) => socket.destroy()));

  const head = (length: number, auth?: string) =>
    ['POST /api/v1/backends/singlequdit/jobs HTTP/1.1', 'Host: x', 'Content-Type: application/json', 'Expect: 100-continue', `Content-Length: ${length}`, ...(auth ? [`Authorization: Bearer ${auth}`] : []), '', ''].join('\r\n');

  it('asks for the body of an accepted request, then reads it', async () => {
    const body = JSON.stringify({ payload: GOOD_JOB });
    const { socket, next } = await opened(system.h.url, head(body.length, system.token));
    sockets.push(socket);
    expect(statusLine(await next())).to.equal('HTTP/1.1 100 Continue');
    socket.write(body);
    expect(statusLine(await next())).to.equal('HTTP/1.1 201 Created');
  });

  it('answers a request refused before its body is read without asking for the body', async () => {
    for (const [text, status] of [[head(2, undefined), '401 Unauthorized'], [head(10_000_000, system.token), '413 Payload Too Large']] as const) {
      const { socket, next } = await opened(system.h.url, text);
      sockets.push(socket);
      expect(statusLine(await next())).to.equal(`HTTP/1.1 ${status}`);
    }
  });
});
