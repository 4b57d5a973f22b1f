// `qspool job …` and `qspool login` through the real binary against a stand-in server that answers what a test
// says: the exit code and the one stderr line for each kind of answer, and stdout kept for the documents asked for.
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const BIN = new URL('../../scripts/qspool.mjs', import.meta.url).pathname;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

describe('qspool job and login: what the server answers, as exit codes and messages', function () {
  this.timeout(30_000);
  let server: Server;
  let url: string;
  let home: string;
  let answer: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => res.writeHead(500).end();

  before(async () => {
    home = await mkdtemp(join(tmpdir(), 'qspool-cli-answers-'));
    server = createServer((req, res) => answer(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    await new Promise((resolve) => server.close(resolve));
    await rm(home, { recursive: true, force: true });
  });

  const qspool = (...args: string[]) => qspoolWith({}, ...args);
  const qspoolWith = (overrides: Record<string, string>, ...args: string[]) =>
    new Promise<Run>((resolve) => {
      // One attempt per call: each answer's own line (test/client-retries.test.ts has the retries' lines).
      const env = { ...process.env, QSPOOL_URL: url, QSPOOL_TOKEN: '0123456789abcdef0123456789abcdef', QSPOOL_CONFIG: join(home, 'config.json'), QSPOOL_RETRIES: '0', ...overrides };
      const child = execFile(process.execPath, [BIN, ...args], { env }, (error, stdout, stderr) => {
        resolve({ code: error ? Number((error as { code?: number }).code) : 0, stdout, stderr });
      });
      child.stdin!.end();
    });
  const apiError = (status: number, code: string, message: string) => (_req: IncomingMessage, res: ServerResponse) => {
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code, message } }));
  };

  it('exits 2 when the server refuses what was typed (400, 422), 1 when the call fails otherwise', async () => {
    const cases: [number, string, number][] = [
      [422, 'invalid_request', 2],
      [400, 'invalid_request', 2],
      [401, 'unauthorized', 1],
      [404, 'not_found', 1],
      [409, 'conflict', 1],
      [429, 'rate_limited', 1],
      [503, 'storage_unavailable', 1],
    ];
    for (const [status, code, exit] of cases) {
      answer = apiError(status, code, `answer ${status}`);
      expect(await qspool('job', 'list', '--json'), String(status)).to.deep.equal({ code: exit, stdout: '', stderr: `qspool: answer ${status}\n` });
    }
  });

  it('says a URL leads to no qspool server (a 200 page of HTML) instead of printing "undefined" or failing on a field', async () => {
    answer = (_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<html>welcome</html>');
    const notQspool = (path: string) => `qspool: ${url}${path} answered 200 with no JSON (text/html): is ${url} a qspool server?\n`;
    expect(await qspool('job', 'list', '--json')).to.deep.equal({ code: 1, stdout: '', stderr: notQspool('/api/v1/jobs') });
    expect(await qspool('job', 'status', '0123456789abcdef01234567')).to.deep.equal({ code: 1, stdout: '', stderr: notQspool('/api/v1/jobs/0123456789abcdef01234567') });
    expect(await qspool('login', '--url', url, '--token', '0123456789abcdef0123456789abcdef')).to.deep.equal({ code: 1, stdout: '', stderr: notQspool('/api/v1/users/me') });
    answer = (_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"hello": 1}');
    const login = await qspool('login', '--url', url, '--token', '0123456789abcdef0123456789abcdef');
    expect(login).to.deep.equal({ code: 1, stdout: '', stderr: `qspool: ${url}/api/v1/users/me answered without a username: is ${url} a qspool server?\n` });
    expect(existsSync(join(home, 'config.json'))).to.equal(false);
  });

  it('tells a URL with a path of its own (…/api/v1) from the server\'s address when the server has no such route', async () => {
    // As a qspool server answers: its routes are under /api/v1, anything else is route_not_found naming the path.
    answer = (req, res) => {
      const path = new URL(req.url!, url).pathname;
      if (path.startsWith('/api/v1/api/')) apiError(404, 'route_not_found', `No route for ${path}`)(req, res);
      else res.writeHead(200, { 'content-type': 'application/json' }).end('{"username": "ada", "jobs": [], "next_cursor": null, "unreachable_providers": []}');
    };
    const hint = `give the server's address without /api/v1 (${url}); qspool adds /api/v1 itself`;
    const token = '0123456789abcdef0123456789abcdef';
    expect(await qspoolWith({ QSPOOL_URL: `${url}/api/v1/` }, 'job', 'list')).to.deep.equal({ code: 1, stdout: '', stderr: `qspool: No route for /api/v1/api/v1/jobs: ${hint}\n` });
    expect(await qspool('login', '--url', `${url}/api/v1`, '--token', token)).to.deep.equal({ code: 1, stdout: '', stderr: `qspool: No route for /api/v1/api/v1/users/me: ${hint}\n` });
    expect(existsSync(join(home, 'config.json'))).to.equal(false);
    // At the server's own address a missing route is the server's to explain (another version): said as it is.
    answer = apiError(404, 'route_not_found', 'No route for /api/v1/jobs');
    expect(await qspool('job', 'list')).to.deep.equal({ code: 1, stdout: '', stderr: 'qspool: No route for /api/v1/jobs\n' });
  });

  it('names the status and the wait of an error answer that is not the API\'s, without a page of HTML', async () => {
    answer = (_req, res) => res.writeHead(502, { 'content-type': 'text/html' }).end('<html><body><h1>502 Bad Gateway</h1>\n<p>nginx</p></body></html>');
    expect(await qspool('job', 'list')).to.deep.equal({ code: 1, stdout: '', stderr: `qspool: ${url}/api/v1/jobs answered 502 Bad Gateway\n` });
    answer = (_req, res) => res.writeHead(429, { 'retry-after': '12' }).end('slow down');
    expect(await qspool('job', 'list')).to.deep.equal({ code: 1, stdout: '', stderr: `qspool: ${url}/api/v1/jobs answered 429 Too Many Requests: slow down; retry in 12 s\n` });
    answer = (_req, res) => res.writeHead(503, { 'retry-after': '7' }).end();
    expect(await qspool('job', 'list')).to.deep.equal({ code: 1, stdout: '', stderr: `qspool: ${url}/api/v1/jobs answered 503 Service Unavailable; retry in 7 s\n` });
  });

  it('retries as often as QSPOOL_RETRIES says, a line on stderr each, and refuses a QSPOOL_RETRIES that is no count', async () => {
    let calls = 0;
    answer = (_req, res) => ((calls += 1), res.writeHead(503, { 'retry-after': '0' }).end());
    const retried = await qspoolWith({ QSPOOL_RETRIES: '2' }, 'job', 'list');
    const failed = `qspool: ${url}/api/v1/jobs answered 503 Service Unavailable; retry in 0 s`;
    expect(retried).to.deep.equal({ code: 1, stdout: '', stderr: `${failed}; retrying in 0.0 s (1 of 2)\n${failed}; retrying in 0.0 s (2 of 2)\n${failed}\n` });
    expect(calls).to.equal(3);
    expect(await qspoolWith({ QSPOOL_RETRIES: 'many' }, 'job', 'list')).to.deep.equal({ code: 1, stdout: '', stderr: 'qspool: QSPOOL_RETRIES must be a whole number from 0 to 10, not "many"\n' });
    expect(calls, 'nothing asked with QSPOOL_RETRIES refused').to.equal(3);
  });

  it('refuses a server URL that is no http(s) URL as a usage error (exit 2), asking nobody, naming where an untyped one came from', async () => {
    const token = '0123456789abcdef0123456789abcdef';
    expect(await qspool('login', '--url', 'ftp://127.0.0.1:21', '--token', token)).to.deep.equal({
      code: 2,
      stdout: '',
      stderr: 'qspool: The server URL "ftp://127.0.0.1:21" is not http:// or https://, e.g. http://127.0.0.1:8000\n',
    });
    // A URL nobody typed on the command line is refused naming where it came from.
    expect(await qspoolWith({ QSPOOL_URL: 'not a url' }, 'job', 'list')).to.deep.equal({
      code: 2,
      stdout: '',
      stderr: 'qspool: The server URL "not a url" (from QSPOOL_URL) is not a URL, e.g. http://127.0.0.1:8000\n',
    });
    expect(await qspoolWith({ QSPOOL_URL: 'ftp://127.0.0.1:21' }, 'login', '--token', token)).to.deep.equal({
      code: 2,
      stdout: '',
      stderr: 'qspool: The server URL "ftp://127.0.0.1:21" (from QSPOOL_URL) is not http:// or https://, e.g. http://127.0.0.1:8000\n',
    });
    const saved = join(home, 'saved.json');
    await writeFile(saved, JSON.stringify({ url: 'localhost:8000', token }), { mode: 0o600 });
    expect(await qspoolWith({ QSPOOL_URL: '', QSPOOL_CONFIG: saved }, 'job', 'list')).to.deep.equal({
      code: 2,
      stdout: '',
      stderr: `qspool: The server URL "localhost:8000" (from ${saved}) is not http:// or https://, e.g. http://127.0.0.1:8000\n`,
    });
  });

  it('exits 2 for a login whose piped password is empty, asking the server nothing', async () => {
    let asked = 0;
    answer = (_req, res) => {
      asked += 1;
      res.writeHead(500).end();
    };
    expect(await qspool('login', '--url', url, '--username', 'ada', '--password-stdin')).to.deep.equal({
      code: 2,
      stdout: '',
      stderr: 'qspool: No password given: standard input was empty (pipe the password in, or pass --token)\n',
    });
    expect(asked).to.equal(0);
  });

  it('refuses malformed numbers and notify states as usage errors (exit 2) before asking the server', async () => {
    let asked = 0;
    answer = (_req, res) => {
      asked += 1;
      res.writeHead(500).end();
    };
    const job = join(home, 'job.json');
    await writeFile(job, '{"experiment_0": {}}');
    const cases: [string[], string][] = [
      [['job', 'submit', job, '--backend', 'singlequdit', '--priority', ''], '--priority must be an integer from 0 to 9, not ""'],
      [['job', 'estimate', job, '--backend', 'singlequdit', '--priority', '0x5'], '--priority must be an integer from 0 to 9, not "0x5"'],
      [['job', 'list', '--limit', '-1'], '--limit must be an integer from 1 to 200, not "-1"'],
      [['job', 'list', '--limit', ''], '--limit must be an integer from 1 to 200, not ""'],
      [['dead-letter', 'list', '--limit', 'abc'], '--limit must be an integer from 1 to 200, not "abc"'],
      [['job', 'submit', job, '--backend', 'singlequdit', '--notify', 'FOO'], '--notify: unknown state FOO; use QUEUED, RUNNING, DONE, ERROR, CANCELLED or none'],
      [['job', 'submit', '-', '--backend', 'singlequdit'], 'stdin is not JSON: Unexpected end of JSON input'],
      // A mistyped job file answered "ENOENT: no such file or directory, open '…'" with exit 1, like a failure.
      [['job', 'submit', join(home, 'nosuch.json'), '--backend', 'singlequdit'], `${join(home, 'nosuch.json')}: no such file`],
      [['job', 'estimate', join(job, 'x.json'), '--backend', 'singlequdit'], `${join(job, 'x.json')}: no such file`],
      [['job', 'submit', home, '--backend', 'singlequdit'], `${home} is a directory, not a job file`],
    ];
    for (const [args, message] of cases) expect(await qspool(...args), args.join(' ')).to.deep.equal({ code: 2, stdout: '', stderr: `qspool: ${message}\n` });
    expect(asked).to.equal(0);
  });
});
