// Connections that never become requests: a client opening sockets and trickling headers is invisible to the rate
// limits (they count requests), so the server caps connections per client address and times slow requests out.
import { expect } from 'chai';
import { connect, type Socket } from 'node:net';
import { ConfigError, loadConfig } from '../../config/index.ts';
import { startHarness, type Harness } from '../native-api/harness.ts';

/** A socket to the server that has connected (or failed to). */
function open(url: string): Promise<Socket> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Everything the server sends before it closes the socket, and how long that took. */
function untilClosed(socket: Socket): Promise<{ text: string; ms: number }> {
  const started = performance.now();
  let text = '';
  socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
  socket.on('error', () => undefined);
  return new Promise((resolve) => socket.once('close', () => resolve({ text, ms: performance.now() - started })));
}

/** The status line of one plain request on a fresh connection, or '' when the connection closes without an answer. */
async function healthz(url: string): Promise<string> {
  const socket = await open(url);
  const closed = untilClosed(socket);
  socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  return (await closed).text.split('\r\n')[0]!;
}

describe('connections that hold the server without requests', function () {
  let capped: Harness;
  let quick: Harness;
  const held: Socket[] = [];
  before(async () => {
    capped = await startHarness({ QSPOOL_MAX_CONNECTIONS_PER_ADDRESS: 5 });
    quick = await startHarness({ QSPOOL_HEADERS_TIMEOUT_MS: 1000, QSPOOL_REQUEST_TIMEOUT_MS: 2000 });
  });
  afterEach(() => {
    for (const socket of held.splice(0)) socket.destroy();
  });
  after(() => Promise.all([capped.stop(), quick.stop()]));

  it('closes a connection beyond QSPOOL_MAX_CONNECTIONS_PER_ADDRESS at once, and takes new ones when one closes', async () => {
    for (let i = 0; i < 5; i += 1) held.push(await open(capped.url));
    const { text, ms } = await untilClosed(await open(capped.url));
    expect(text).to.equal('');
    expect(ms).to.be.below(500);
    expect(await healthz(capped.url)).to.equal('');
    const one = held.pop()!;
    const gone = untilClosed(one);
    one.destroy();
    await gone;
    expect(await healthz(capped.url)).to.equal('HTTP/1.1 200 OK');
  });

  it('answers 408 to headers trickled past QSPOOL_HEADERS_TIMEOUT_MS, and to a body past QSPOOL_REQUEST_TIMEOUT_MS', async () => {
    const slowHeaders = await open(quick.url);
    held.push(slowHeaders);
    slowHeaders.write('GET /healthz HTTP/1.1\r\nHost: x\r\n');
    const trickle = setInterval(() => slowHeaders.write('X'), 200);
    const slowBody = await open(quick.url);
    held.push(slowBody);
    slowBody.write('POST /api/v1/users HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{');
    const drip = setInterval(() => slowBody.write(' '), 200);
    try {
      const [headers, body] = await Promise.all([untilClosed(slowHeaders), untilClosed(slowBody)]);
      expect(headers.text).to.match(/^HTTP\/1\.1 408 /).and.include('"request_timeout"');
      expect(headers.ms).to.be.below(3000);
      expect(body.text).to.match(/^HTTP\/1\.1 408 /);
      expect(body.ms).to.be.within(1500, 4000);
    } finally {
      clearInterval(trickle);
      clearInterval(drip);
    }
  });

  it('validates the settings, the headers timeout within the request timeout', () => {
    const defaults = loadConfig({});
    expect(defaults.QSPOOL_MAX_CONNECTIONS_PER_ADDRESS).to.equal(256);
    expect([defaults.QSPOOL_HEADERS_TIMEOUT_MS, defaults.QSPOOL_REQUEST_TIMEOUT_MS]).to.deep.equal([20_000, 120_000]);
    expect(loadConfig({ QSPOOL_MAX_CONNECTIONS_PER_ADDRESS: '0' }).QSPOOL_MAX_CONNECTIONS_PER_ADDRESS).to.equal(0);
    expect(() => loadConfig({ QSPOOL_MAX_CONNECTIONS_PER_ADDRESS: '-1' })).to.throw(ConfigError, /QSPOOL_MAX_CONNECTIONS_PER_ADDRESS/);
    expect(() => loadConfig({ QSPOOL_HEADERS_TIMEOUT_MS: '500' })).to.throw(ConfigError, /QSPOOL_HEADERS_TIMEOUT_MS/);
    expect(() => loadConfig({ QSPOOL_HEADERS_TIMEOUT_MS: '30000', QSPOOL_REQUEST_TIMEOUT_MS: '10000' })).to.throw(ConfigError, /QSPOOL_HEADERS_TIMEOUT_MS/);
  });

  it('warns at start behind a trusted proxy while the cap is on, since every connection comes from the proxy', async () => {
    const logsOf = async (settings: Record<string, unknown>) => {
      const harness = await startHarness({ QSPOOL_TRUST_PROXY: true, ...settings });
      await harness.stop();
      return harness.logs.filter((line) => line.includes('connection cap applies to the proxy itself'));
    };
    expect(await logsOf({})).to.have.length(1);
    expect(await logsOf({ QSPOOL_MAX_CONNECTIONS_PER_ADDRESS: 0 })).to.deep.equal([]);
  });
});

describe('requests pipelined on one connection', function () {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(() => h.stop());

  it('works on at most 16 at once; the next is answered 429 without reaching the app and the connection closes', async () => {
    const socket = await open(h.url);
    const closed = untilClosed(socket);
    // One write: Node parses the requests of a chunk in one go, before any answer (all asynchronous) is finished.
    socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n'.repeat(5000));
    const { text } = await closed;
    const statuses = [...text.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((match) => Number(match[1]));
    expect(statuses.slice(0, 16)).to.deep.equal(Array(16).fill(200));
    expect(statuses[16]).to.equal(429);
    expect(statuses).to.have.length(17);
    expect(text).to.include('"too_many_in_progress"');
    const served = h.logs.filter((line) => line.includes('"path":"/healthz"')).length;
    expect(served).to.equal(16);
  });
});
