import { expect } from 'chai';
import { request as httpRequest, type ClientRequest } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../config/index.ts';
import { createLogger } from '../config/logger.ts';
import { startServer, type RunningServer } from '../server/index.ts';
import { LocalProvider } from '../storage/local/index.ts';

/** A POST whose body is sent in two halves, `gapMs` apart (or never finished): a request still in flight. */
function slowPost(url: string, gapMs: number | 'never'): { req: ClientRequest; answer: Promise<number | string> } {
  const body = JSON.stringify({ job: '{}', username: 'nobody', token: 'x'.repeat(32) });
  const req = httpRequest(`${url}/api/v2/singlequdit/post_job`, { method: 'POST', headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) } });
  const answer = new Promise<number | string>((resolve) => {
    req.on('response', (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
  req.write(body.slice(0, 10));
  if (gapMs !== 'never') setTimeout(() => req.end(body.slice(10)), gapMs);
  return { req, answer };
}

describe('graceful shutdown of the server', function () {
  this.timeout(20_000);
  let root: string;
  let storage: LocalProvider;
  let server: RunningServer;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'qspool-shutdown-'));
    storage = new LocalProvider({ root, fsync: false });
    server = await startServer(storage, loadConfig({}, { PORT: 0, QSPOOL_DATA_DIR: root }), createLogger('silent'));
  });
  afterEach(async () => {
    await storage.close();
    await rm(root, { recursive: true, force: true });
  });

  it('answers a request in flight when it is told to stop, then closes', async () => {
    const inFlight = slowPost(server.url, 500);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const started = Date.now();
    await server.close(5_000);
    expect(await inFlight.answer).to.be.a('number').within(200, 499);
    expect(Date.now() - started).to.be.below(4_000);
    expect(server.server.listening).to.equal(false);
  });

  it('cuts connections still busy at the deadline instead of waiting for them forever', async () => {
    const stuck = slowPost(server.url, 'never');
    await new Promise((resolve) => setTimeout(resolve, 100));
    const started = Date.now();
    await server.close(600);
    expect(Date.now() - started).to.be.within(500, 3_000);
    expect(await stuck.answer).to.be.a('string');
  });
});
