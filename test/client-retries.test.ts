// The client's retries as a protocol: which answers and failures it tries again and which never, Retry-After in
// seconds or as a date, the limit, the per-attempt timeout, an AbortSignal cutting a wait short, and the `qspool job`
// commands' one line on stderr per retry. A small local HTTP server plays the qspool server, answer by answer.
import { expect } from 'chai';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { ApiError, ConnectionError, InvalidOptionsError, QspoolClient, TimeoutError } from '../scripts/client/index.ts';
import { retryAfterMs } from '../scripts/client/retry.ts';
import { runJobList } from '../scripts/commands/job.ts';

type Answer = (request: IncomingMessage, response: ServerResponse) => void;

const fail = (status: number, code: string, headers: Record<string, string> = {}): Answer => (_request, response) => {
  response.writeHead(status, { 'content-type': 'application/json', ...headers });
  response.end(JSON.stringify({ error: { code, message: `${code} (stub)`, details: null } }));
};
const ok = (body: unknown): Answer => (_request, response) => {
  response.writeHead(200, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
};
/** The connection dropped once the request is read in full: the server may have acted on it, its answer is lost. */
const reset: Answer = (request) => request.socket.destroy();
const hang: Answer = () => undefined;

const JOB = { id: 'a'.repeat(24), status: 'QUEUED' };
const EMPTY_PAGE = { jobs: [], next_cursor: null, unreachable_providers: [] };

describe('the client retries what is safe to retry, and only that', function () {
  this.timeout(20_000);
  let server: Server;
  let url: string;
  /** Answers still to give, in order; the last one is given to every further request. */
  let answers: Answer[];
  let seen: { method: string; path: string; key: string | undefined }[];

  before(async () => {
    server = createServer((request, response) => {
      request.resume();
      request.on('end', () => {
        seen.push({ method: request.method!, path: request.url!, key: request.headers['idempotency-key'] as string | undefined });
        (answers.length > 1 ? answers.shift()! : answers[0]!)(request, response);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  beforeEach(() => {
    answers = [];
    seen = [];
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });

  const caught = (promise: Promise<unknown>) => promise.then(() => undefined, (error: unknown) => error);

  it('tries a 503 again, but never a 400, 401, 403, 404, 409 or 422, nor a 429 for a spent quota', async () => {
    const client = new QspoolClient({ url, retries: 3 });
    answers = [fail(503, 'storage_unavailable', { 'retry-after': '0' }), ok(JOB)];
    expect(await client.job(JOB.id)).to.deep.equal(JOB);
    expect(seen).to.have.length(2);
    for (const [status, code] of [[400, 'invalid_request'], [401, 'unauthorized'], [403, 'forbidden'], [404, 'job_not_found'], [409, 'idempotency_key_reused'], [422, 'invalid_job'], [429, 'quota_exceeded']] as const) {
      answers = [fail(status, code, { 'retry-after': '0' }), ok(JOB)];
      seen = [];
      const error = await caught(client.submit('singlequdit', {}));
      expect(error, code).to.be.instanceOf(ApiError).and.include({ status, code });
      expect(seen, code).to.have.length(1);
    }
  });

  it('stops at the limit and throws the last error; retries: 0 makes one attempt', async () => {
    answers = [fail(503, 'storage_unavailable', { 'retry-after': '0' }), fail(502, 'bad_gateway', { 'retry-after': '0' })];
    const error = await caught(new QspoolClient({ url, retries: 2 }).job(JOB.id));
    expect(error).to.be.instanceOf(ApiError).and.include({ status: 502, code: 'bad_gateway' });
    expect(seen).to.have.length(3);
    seen = [];
    expect(await caught(new QspoolClient({ url, retries: 0 }).job(JOB.id))).to.be.instanceOf(ApiError).and.include({ status: 502 });
    expect(seen).to.have.length(1);
  });

  it('sends one Idempotency-Key on every attempt of a submission, a new one per submit(), or the caller\'s', async () => {
    const client = new QspoolClient({ url });
    answers = [reset, fail(503, 'storage_unavailable', { 'retry-after': '0' }), ok(JOB)];
    expect(await client.submit('singlequdit', {})).to.deep.equal(JOB);
    expect(seen.map((s) => s.key)).to.have.length(3);
    expect(new Set(seen.map((s) => s.key)).size).to.equal(1);
    expect(seen[0]!.key).to.match(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    await client.submit('singlequdit', {});
    expect(seen[3]!.key).to.not.equal(seen[0]!.key);
    await client.submit('singlequdit', {}, { idempotencyKey: 'sweep-17' });
    expect(seen[4]!.key).to.equal('sweep-17');
  });

  it('repeats a request whose answer was lost only when repeating it is harmless', async () => {
    const client = new QspoolClient({ url });
    answers = [reset, ok(JOB)];
    expect(await client.job(JOB.id), 'a read').to.deep.equal(JOB);
    expect(seen).to.have.length(2);
    answers = [reset, ok({ token: 'x' })];
    seen = [];
    const error = await caught(client.createToken('laptop'));
    expect(error, 'a new token: a second one would be another token').to.be.instanceOf(ConnectionError);
    expect(seen).to.have.length(1);
    for (const answer of [fail(503, 'storage_unavailable', { 'retry-after': '0' }), fail(502, 'bad_gateway'), hang]) {
      answers = [answer, ok({ token: 'x' })];
      seen = [];
      await caught(new QspoolClient({ url, timeoutMs: 200 }).createToken('laptop'));
      expect(seen, 'it may have been made before the failure').to.have.length(1);
    }
  });

  it('repeats a call whose server did nothing: a 429 rate_limited, a refused connection, a submission whose key is still held', async () => {
    answers = [fail(429, 'rate_limited', { 'retry-after': '0' }), ok({ token: 'x' })];
    expect(await new QspoolClient({ url }).createToken('laptop')).to.deep.equal({ token: 'x' });
    expect(seen).to.have.length(2);
    answers = [fail(409, 'idempotency_in_progress', { 'retry-after': '0' }), ok(JOB)];
    seen = [];
    expect(await new QspoolClient({ url }).submit('singlequdit', {})).to.deep.equal(JOB);
    expect(seen).to.have.length(2);

    // A port nobody listens on, until a server comes up on it while the client waits to retry.
    const later = createServer((request, response) => ok({ token: 'y' })(request, response));
    await new Promise<void>((resolve) => later.listen(0, '127.0.0.1', resolve));
    const port = (later.address() as { port: number }).port;
    await new Promise((resolve) => later.close(resolve));
    const refused: string[] = [];
    const made = new QspoolClient({ url: `http://127.0.0.1:${port}`, retries: 10, onRetry: (notice) => refused.push((notice.error as ConnectionError).reason) }).createToken('laptop');
    await new Promise((resolve) => setTimeout(resolve, 300));
    later.listen(port, '127.0.0.1');
    try {
      expect(await made).to.deep.equal({ token: 'y' });
      expect(refused.length).to.be.at.least(1);
      expect(new Set(refused)).to.deep.equal(new Set(['ECONNREFUSED']));
    } finally {
      later.close();
    }
  });

  it('refuses retries and timeouts that are no counts', () => {
    expect(() => new QspoolClient({ url, retries: -1 })).to.throw(InvalidOptionsError, 'retries must be a whole number from 0 up, not -1');
    expect(() => new QspoolClient({ url, retries: 1.5 })).to.throw(InvalidOptionsError, 'retries must be a whole number from 0 up, not 1.5');
    expect(() => new QspoolClient({ url, timeoutMs: 0 })).to.throw(InvalidOptionsError, 'timeoutMs must be a whole number of milliseconds above 0, not 0');
  });

  it('waits as long as Retry-After says, in seconds or as an HTTP date, and ends at once when it asks for more than the cap', async () => {
    const waits: number[] = [];
    const client = new QspoolClient({ url, onRetry: (notice) => waits.push(notice.delayMs) });
    const date = new Date(Date.now() + 2_000).toUTCString();
    answers = [fail(503, 'storage_unavailable', { 'retry-after': '1' }), fail(503, 'storage_unavailable', { 'retry-after': date }), ok(JOB)];
    const started = Date.now();
    await client.job(JOB.id);
    const elapsed = Date.now() - started;
    expect(waits[0]).to.equal(1_000);
    // An HTTP date has whole seconds: it lies between 1 and 2 s ahead when the answer comes.
    expect(waits[1]).to.be.within(0, 2_000);
    expect(elapsed).to.be.at.least(waits[0]! + waits[1]!);
    expect(retryAfterMs('Wed, 21 Oct 2015 07:28:00 GMT', Date.parse('Wed, 21 Oct 2015 07:27:30 GMT'))).to.equal(30_000);
    expect(retryAfterMs('soon')).to.equal(undefined);

    answers = [fail(429, 'rate_limited', { 'retry-after': '3600' }), ok(JOB)];
    seen = [];
    expect(await caught(client.job(JOB.id))).to.be.instanceOf(ApiError).and.include({ status: 429 });
    expect(seen).to.have.length(1);
  });

  it('stops waiting between attempts the moment its AbortSignal aborts', async () => {
    answers = [fail(503, 'storage_unavailable', { 'retry-after': '20' }), ok(JOB)];
    const controller = new AbortController();
    const started = Date.now();
    setTimeout(() => controller.abort(new Error('the user pressed Ctrl-C')), 200);
    const error = await caught(new QspoolClient({ url }).submit('singlequdit', {}, { signal: controller.signal }));
    expect(error).to.be.instanceOf(Error).and.include({ message: 'the user pressed Ctrl-C' });
    expect(Date.now() - started).to.be.below(1_000);
    expect(seen).to.have.length(1);
  });

  it('gives up on an attempt that gets no answer within timeoutMs, and tries again', async () => {
    answers = [hang];
    const started = Date.now();
    const error = await caught(new QspoolClient({ url, retries: 1, timeoutMs: 300 }).job(JOB.id));
    expect(error).to.be.instanceOf(TimeoutError).and.include({ timeoutMs: 300 });
    expect((error as Error).message).to.equal(`${url}/api/v1/jobs/${JOB.id} did not answer within 0.3 s`);
    expect(seen).to.have.length(2);
    expect(Date.now() - started).to.be.within(600, 5_000);
  });

  it('`qspool job` commands say each retry in one line on stderr and keep stdout to their output', async () => {
    const saved = { url: process.env.QSPOOL_URL, token: process.env.QSPOOL_TOKEN };
    process.env.QSPOOL_URL = url;
    process.env.QSPOOL_TOKEN = 'qs_test';
    answers = [fail(503, 'storage_unavailable', { 'retry-after': '0' }), ok(EMPTY_PAGE)];
    let out = '';
    let err = '';
    const write = { out: process.stdout.write, err: process.stderr.write };
    process.stdout.write = ((chunk: string) => ((out += chunk), true)) as typeof process.stdout.write;
    process.stderr.write = ((chunk: string) => ((err += chunk), true)) as typeof process.stderr.write;
    try {
      await runJobList({ json: true });
    } finally {
      process.stdout.write = write.out;
      process.stderr.write = write.err;
      for (const [name, value] of [['QSPOOL_URL', saved.url], ['QSPOOL_TOKEN', saved.token]] as const) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
    expect(JSON.parse(out)).to.deep.equal(EMPTY_PAGE);
    expect(err).to.equal('qspool: storage_unavailable (stub); retrying in 0.0 s (1 of 3)\n');
  });
});
