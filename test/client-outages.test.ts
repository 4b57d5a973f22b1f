// The client against real qspool servers having a bad moment: storage refusing a submission (503 with Retry-After),
// a rate limit (429), and a server process SIGKILLed after it stored a job, before its answer reached the client.
// Each retried submission ends as exactly one job.
import { expect } from 'chai';
import { createServer, type Server } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StorageUnavailableError } from '../schemas/errors.ts';
import { QspoolClient, type RetryNotice } from '../scripts/client/index.ts';
import { UserService } from '../server/services/users.ts';
import { publishedConfig } from '../spooler/backend.ts';
import { createBackend } from '../spooler/backends/index.ts';
import { LocalProvider } from '../storage/local/index.ts';
import { ns } from '../storage/records.ts';
import { GOOD_JOB, startHarness, type Harness } from './native-api/harness.ts';
import { spawnQspool, type QspoolProcess } from './support/qspool-process.ts';

describe('the client through outages', function () {
  this.timeout(60_000);

  describe('a server whose storage fails for a moment', () => {
    let h: Harness;
    before(async () => (h = await startHarness()));
    after(() => h.stop());

    it('retries a submission answered 503 storage_unavailable after the Retry-After it gives, and it makes exactly one job', async () => {
      const token = (await h.server.users.ensureUserWithToken('ida')).token;
      const put = h.storage.put.bind(h.storage);
      // The store refuses the first write of the submission (its Idempotency-Key's record), and nothing after it.
      const refused: string[] = [];
      h.storage.put = (namespace, key, value, options) => {
        if (refused.length === 0 && namespace.startsWith('idempotency/')) {
          refused.push(key);
          return Promise.reject(new StorageUnavailableError('storage outage (injected)', 1));
        }
        return put(namespace, key, value, options);
      };
      const retries: RetryNotice[] = [];
      const client = new QspoolClient({ url: h.url, token, onRetry: (notice) => retries.push(notice) });
      try {
        const started = Date.now();
        const job = await client.submit('singlequdit', GOOD_JOB);
        expect(Date.now() - started).to.be.at.least(1_000);
        expect(retries.map((r) => [r.delayMs, (r.error as { code?: string }).code])).to.deep.equal([[1_000, 'storage_unavailable']]);
        expect((await client.list()).jobs.map((j) => j.id)).to.deep.equal([job.id]);
        // The retry carried the refused attempt's key: its record is the one that was refused.
        expect(await h.storage.list(`idempotency/ida`)).to.deep.equal(refused);
      } finally {
        h.storage.put = put;
      }
    });
  });

  describe('a rate-limited server', () => {
    let h: Harness;
    before(async () => (h = await startHarness({ QSPOOL_RATE_PER_SECOND: 0.5, QSPOOL_RATE_BURST: 1 })));
    after(() => h.stop());

    it('waits out a 429 rate_limited for as long as its Retry-After says, then gets the answer', async () => {
      const token = (await h.server.users.ensureUserWithToken('jo')).token;
      const retries: RetryNotice[] = [];
      const client = new QspoolClient({ url: h.url, token, onRetry: (notice) => retries.push(notice) });
      await client.me();
      const started = Date.now();
      expect((await client.me()).username).to.equal('jo');
      const waited = Date.now() - started;
      expect(retries.map((r) => [r.delayMs, (r.error as { code?: string }).code])).to.deep.equal([[2_000, 'rate_limited']]);
      expect(waited).to.be.within(2_000, 4_000);
    });
  });

  describe('a server process killed before its answer', () => {
    let dataDir: string;
    let token: string;
    let server: QspoolProcess | undefined;
    let proxy: Server;

    before(async () => {
      dataDir = await mkdtemp(join(tmpdir(), 'qspool-client-kill-'));
      const storage = new LocalProvider({ root: dataDir, fsync: false });
      token = (await new UserService(storage, { scryptLogN: 10, defaultMaxPriority: 5 }).ensureUserWithToken('kim')).token;
      await storage.put(ns.configs, 'singlequdit', publishedConfig(createBackend('singlequdit')!, { maxInstructions: 100, maxHilbertDimension: 1024 }));
      await storage.close();
    });
    after(async () => {
      server?.kill();
      proxy?.closeAllConnections();
      proxy?.close();
      await rm(dataDir, { recursive: true, force: true });
    });

    /** `qspool serve` on the data directory, on a port of its own; resolves with its URL once it listens. */
    const start = async () => {
      server = spawnQspool(['serve', '--port', '0'], { QSPOOL_DATA_DIR: dataDir, QSPOOL_FSYNC: 'false', QSPOOL_RATE_PER_SECOND: '0', LOG_LEVEL: 'info' });
      return (await server.line((line) => line.msg === 'server listening')).url as string;
    };

    it('gets the same job from the restarted server on its retry, and the job list holds it once', async () => {
      // A reverse proxy in front of the server, as in a rolling upgrade. It lets the first submission through, and
      // once the server has answered it (the job is stored), SIGKILLs the server and drops the client's connection.
      // Requests that come while no server runs wait for the restarted one.
      let upstream: Promise<string> = start();
      let dropped: { id: string } | undefined;
      proxy = createServer((request, response) => {
        const chunks: Buffer[] = [];
        request.on('data', (chunk: Buffer) => chunks.push(chunk));
        request.on('end', () => {
          void (async () => {
            const headers = Object.fromEntries(['authorization', 'content-type', 'accept', 'idempotency-key'].flatMap((name) => (request.headers[name] ? [[name, request.headers[name] as string]] : [])));
            const body = chunks.length ? Buffer.concat(chunks) : undefined;
            const answer = await fetch(`${await upstream}${request.url}`, { method: request.method!, headers, ...(body ? { body } : {}) });
            const text = await answer.text();
            if (request.method === 'POST' && !dropped) {
              dropped = JSON.parse(text) as { id: string };
              const killed = server!;
              killed.kill();
              await killed.exited;
              upstream = start();
              request.socket.destroy();
              return;
            }
            response.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' });
            response.end(text);
          })();
        });
      });
      await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
      const retries: RetryNotice[] = [];
      const client = new QspoolClient({ url: `http://127.0.0.1:${(proxy.address() as { port: number }).port}`, token, onRetry: (notice) => retries.push(notice) });

      const job = await client.submit('singlequdit', GOOD_JOB, { tags: ['sweep'] });
      expect(dropped, 'the first answer was dropped').to.not.equal(undefined);
      expect(retries).to.have.length(1);
      expect(job.id).to.equal(dropped!.id);
      expect((await client.list({ tag: 'sweep' })).jobs.map((j) => j.id)).to.deep.equal([job.id]);
    });
  });
});
