import { expect } from 'chai';
import { Agent, request as httpRequest, type ClientRequest } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../config/index.ts';
import { createLogger } from '../config/logger.ts';
import { startServer, type RunningServer } from '../server/index.ts';
import { LocalProvider } from '../storage/local/index.ts';
import { eventually } from './support/system.ts';

/**
 * A client that sends its next GET /healthz on one keep-alive connection as soon as the last is answered, until the
 * server refuses connections: `outcomes` (each request's status and Connection header, or its error) once it has
 * stopped, `answered` once its first request is answered (its connection is open and in use).
 */
function busyClient(url: string): { answered: Promise<unknown>; outcomes: Promise<string[]> } {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  let answered: () => void;
  const first = new Promise((resolve) => (answered = () => resolve(undefined)));
  const outcomes = (async () => {
    const seen: string[] = [];
    for (;;) {
      const outcome = await new Promise<string>((resolve) => {
        const req = httpRequest(`${url}/healthz`, { agent });
        req.on('response', (res) => {
          res.resume();
          res.on('end', () => resolve(`${res.statusCode} ${res.headers.connection}`));
        });
        req.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
        req.end();
      });
      if (outcome === 'ECONNREFUSED') break;
      seen.push(outcome);
      answered!();
    }
    agent.destroy();
    return seen;
  })();
  return { answered: first, outcomes };
}

/** A GET on `agent` read to its end: status, Connection header and body. */
function get(agent: Agent, url: string, headers: Record<string, string> = {}): Promise<{ status: number; connection: string | undefined; text: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { agent, headers });
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection, text }));
    });
    req.on('error', reject);
    req.end();
  });
}

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
    server = await startServer(storage, loadConfig({}, { PORT: 0, QSPOOL_DATA_DIR: root, QSPOOL_RATE_PER_SECOND: 0 }), createLogger('silent'));
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

  it('answers every request busy keep-alive clients send while it stops, the last on each connection with Connection: close', async () => {
    const clients = Array.from({ length: 8 }, () => busyClient(server.url));
    await Promise.all(clients.map((client) => client.answered));
    await server.close(5_000);
    for (const outcomes of await Promise.all(clients.map((client) => client.outcomes))) {
      expect(outcomes.filter((outcome) => !outcome.startsWith('200 ')), 'requests not answered').to.deep.equal([]);
      expect(outcomes.at(-1)).to.equal('200 close');
    }
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

describe('event streams of a stopping server', function () {
  this.timeout(20_000);
  let root: string;
  let storage: LocalProvider;
  let server: RunningServer;
  let auth: Record<string, string>;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'qspool-shutdown-'));
    storage = new LocalProvider({ root, fsync: false });
    server = await startServer(storage, loadConfig({}, { PORT: 0, QSPOOL_DATA_DIR: root, QSPOOL_RATE_PER_SECOND: 0 }), createLogger('silent'));
    auth = { Authorization: `Bearer ${(await server.users.ensureUserWithToken('alice')).token}` };
  });
  afterEach(async () => {
    await storage.close();
    await rm(root, { recursive: true, force: true });
  });

  it('ends each open stream asking its client to reconnect after 100 ms, not its default of seconds', async () => {
    const response = await fetch(`${server.url}/api/v1/events`, { headers: auth });
    const reader = response.body!.getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).to.include(': connected');
    const closed = server.close(5_000);
    let rest = '';
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) rest += new TextDecoder().decode(chunk.value);
    await closed;
    expect(rest).to.match(/\nretry: 100\n\n$/);
  });

  it('ends at once a stream asked for on a connection still open while it stops, and closes that connection', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    expect((await get(agent, `${server.url}/healthz`)).status).to.equal(200);
    const closed = server.close(5_000);
    await eventually(async () => (server.server.listening ? undefined : true));
    const started = Date.now();
    const stream = await get(agent, `${server.url}/api/v1/events`, auth);
    expect(Date.now() - started).to.be.below(500);
    expect([stream.status, stream.connection]).to.deep.equal([200, 'close']);
    expect(stream.text).to.match(/retry: 100\n\n$/);
    await closed;
    agent.destroy();
  });
});
