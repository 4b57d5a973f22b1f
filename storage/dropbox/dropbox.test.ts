import { expect } from 'chai';
import { LeaseLostError, LimitExceededError, StorageUnavailableError } from '../../schemas/errors.ts';
import { startDropboxApiServer, type DropboxApiServer } from '../../test/dropbox-api-server/index.ts';
import { HOSTILE_KEYS, providerConformance } from '../conformance/index.ts';
import { rejection } from '../conformance/rejections.ts';
import { newJobId } from '../keys.ts';
import { JobLifecycle } from '../lifecycle.ts';
import { type JobRecord, ns } from '../records.ts';
import { DropboxClient, unexpectedAnswer } from './client.ts';
import { encodeDocument } from './envelope.ts';
import { createDropboxFetch } from './fetch.ts';
import { DropboxProvider, type DropboxProviderSpec } from './index.ts';
import { DropboxLayout } from './layout.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Gives up after ~100 ms of failures, so outage tests do not wait out production backoffs. */
const FAST_RETRY = { attempts: 4, baseDelayMs: 10, maxDelayMs: 40 };
const BACKEND = 'dbx';

describe('dropbox provider', function () {
  let server: DropboxApiServer;
  let stores = 0;
  before(async () => {
    server = await startDropboxApiServer();
  });
  after(async () => server.close());
  afterEach(async () => {
    server.clearFailures();
    if (!server.running) await server.start();
  });

  const specFor = (extra: Partial<DropboxProviderSpec> = {}): DropboxProviderSpec => ({
    type: 'dropbox',
    basePath: `/qspool-test-${(stores += 1)}`,
    appKey: server.tokens.clientId,
    appSecret: server.tokens.clientSecret,
    refreshToken: server.tokens.refreshToken,
    apiBaseUrl: server.url,
    ...extra,
  });
  const provider = (extra: Partial<DropboxProviderSpec> = {}) => new DropboxProvider(specFor(extra));
  /** A provider on a fresh base folder, and the file path of one of its documents (for seeding the server). */
  const withPaths = () => {
    const spec = specFor();
    const layout = new DropboxLayout(spec.basePath);
    return { storage: new DropboxProvider(spec), base: layout.base, pathOf: (namespace: string, key: string) => layout.document(namespace, key).path };
  };

  describe('conformance against the local Dropbox API server', () => {
    providerConformance({ makeSpec: async () => specFor() });
  });

  describe('layout', () => {
    it('keeps keys that differ only in case apart, although Dropbox paths are case-insensitive', async () => {
      const storage = provider();
      await storage.put('users', 'Alice', 1);
      await storage.put('users', 'alice', 2);
      expect((await storage.get('users', 'Alice'))!.value).to.equal(1);
      expect((await storage.get('users', 'alice'))!.value).to.equal(2);
      expect(await storage.list('users')).to.deep.equal(['Alice', 'alice']);
    });

    it('refuses hostile keys before sending any request (I8)', async () => {
      const { storage, base } = withPaths();
      await storage.put('docs', 'fine', 1);
      const before = server.requests.total;
      for (const key of HOSTILE_KEYS) await storage.put('docs', key, 1).catch(() => undefined);
      expect(server.requests.total).to.equal(before);
      expect(server.store.paths().filter((path) => path.startsWith(`${base}/`))).to.deep.equal([`${base}/docs`, `${base}/docs/fine.json`]);
    });

    it('claims with the same few requests whether 10 or 1,000 jobs are queued (I4)', async () => {
      const perClaim: number[] = [];
      for (const queued of [10, 1000]) {
        const spec = specFor();
        const layout = new DropboxLayout(spec.basePath);
        for (let i = 0; i < queued; i += 1) {
          const id = newJobId();
          const record: JobRecord = { id, backend: BACKEND, owner: 'u', state: 'QUEUED', payload: { i }, createdAt: '', timestamps: {}, attempts: 0, seq: 1, detail: [] };
          server.store.putFile(layout.document(ns.queued(BACKEND), id).path, encodeDocument(record).bytes);
        }
        const jobs = new JobLifecycle(new DropboxProvider(spec));
        await jobs.claim(BACKEND, 's'); // the first list of a namespace reads the whole folder once
        server.requests.reset();
        expect(await jobs.claim(BACKEND, 's')).to.not.equal(undefined);
        perClaim.push(server.requests.total);
      }
      expect(perClaim[1]).to.equal(perClaim[0]);
      // 7 for the claim itself, +1 for its RUNNING event in the notification outbox, +1 for the QUEUED event of these
      // hand-made jobs, which never had a status published (the lifecycle records the change it finds missing), +1 for
      // its schedule entry's removal.
      expect(perClaim[0]).to.be.at.most(10);
    });
  });

  describe('move intents (what a crash mid-move leaves behind)', () => {
    it('reads an intent left in the source as the old value at the old version, and writes over it', async () => {
      const { storage, pathOf } = withPaths();
      const version = await storage.put('from', 'k', { n: 1 });
      server.store.putFile(pathOf('from', 'k'), encodeDocument({ n: 1 }, { to: 'to', value: { n: 2 }, over: version }).bytes);
      expect(await storage.get('from', 'k')).to.deep.equal({ value: { n: 1 }, version });
      await storage.replace('from', 'k', { n: 3 }, version);
      expect((await storage.get('from', 'k'))!.value).to.deep.equal({ n: 3 });
    });

    it('reads an intent that reached its destination as the new value at the file rev', async () => {
      const { storage, pathOf } = withPaths();
      const meta = server.store.putFile(pathOf('to', 'k'), encodeDocument({ n: 1 }, { to: 'to', value: { n: 2 }, over: 'abcdef0123' }).bytes);
      expect(await storage.get('to', 'k')).to.deep.equal({ value: { n: 2 }, version: meta.rev });
      await storage.move('to', 'back', 'k', { expectedVersion: String(meta.rev) });
      expect((await storage.get('back', 'k'))!.value).to.deep.equal({ n: 2 });
    });
  });

  describe('failures', () => {
    it('reports a move as done when only its tidy-up meets an outage, at a version that stays usable', async () => {
      const storage = provider({ retry: FAST_RETRY });
      const version = await storage.put('from', 'k', { n: 1 });
      const move = DropboxClient.prototype.move;
      // Dropbox goes down right after files/move_v2 answered.
      DropboxClient.prototype.move = async function (this: DropboxClient, from: string, to: string) {
        const outcome = await move.call(this, from, to);
        server.setFailure({ route: 'files/upload', status: 503, times: 20 });
        return outcome;
      };
      let moved: string;
      try {
        moved = await storage.move('from', 'to', 'k', { value: { n: 2 }, expectedVersion: version });
      } finally {
        DropboxClient.prototype.move = move;
        server.clearFailures();
      }
      expect(await storage.get('from', 'k')).to.equal(undefined);
      expect(await storage.get('to', 'k')).to.deep.equal({ value: { n: 2 }, version: moved });
      await storage.replace('to', 'k', { n: 3 }, moved);
    });

    it('reports an upload Dropbox refuses as payload_too_large as LimitExceededError, not as a bug', () => {
      // What the local server (and Dropbox) answer a put of a document over 150 MiB; sending one here would cost
      // a gigabyte of memory, so the answer is given directly.
      const error = unexpectedAnswer('upload', '/qspool/results/b/k.json', 'payload_too_large/..');
      expect(error).to.be.instanceOf(LimitExceededError);
      expect((error as LimitExceededError).status).to.equal(413);
      expect(unexpectedAnswer('upload', '/p', 'path/insufficient_space/.')).to.be.instanceOf(StorageUnavailableError);
      expect(unexpectedAnswer('upload', '/p', 'path/disallowed_name/')).to.not.be.instanceOf(LimitExceededError);
    });

    for (const plainText of [false, true]) {
      it(`waits out a 429 for its ${plainText ? 'Retry-After header (plain-text body)' : 'retry_after'}, then succeeds`, async () => {
        const storage = provider();
        await storage.put('docs', 'a', 1);
        server.setFailure({ route: 'files/download', status: 429, retryAfter: 2, plainText });
        const started = Date.now();
        expect((await storage.get('docs', 'a'))!.value).to.equal(1);
        expect(Date.now() - started).to.be.at.least(1950);
      });
    }

    it('backs off between tries of a 500 that names no Retry-After, instead of retrying at once', async () => {
      const storage = provider({ retry: { baseDelayMs: 200 } });
      await storage.put('docs', 'a', 1);
      server.setFailure({ route: 'files/download', status: 500, times: 3 });
      const started = Date.now();
      expect((await storage.get('docs', 'a'))!.value).to.equal(1);
      // Waits of 100-200, 200-400 and 400-800 ms: three retries at once took a few milliseconds.
      expect(Date.now() - started).to.be.at.least(700);
    });

    it('gets a dozen concurrent writes through a namespace write lock that refuses all but one at a time', async function () {
      this.timeout(60_000);
      // Each write holds the lock for 100 ms; writers that all waited the same 1 s before trying again met each
      // other's lock on every try, one getting through per round, and half of them gave up.
      const locked = await startDropboxApiServer({ writeLockMs: 100 });
      try {
        const tokens = locked.tokens;
        const storage = new DropboxProvider({ ...specFor(), apiBaseUrl: locked.url, appKey: tokens.clientId, appSecret: tokens.clientSecret, refreshToken: tokens.refreshToken });
        const keys = Array.from({ length: 12 }, (_, i) => `k${i}`);
        await Promise.all(keys.map((key) => storage.put('docs', key, key)));
        expect(locked.requests.log.filter((entry) => entry.status === 429).length, 'writes refused').to.be.above(0);
        for (const key of keys) expect((await storage.get('docs', key))!.value).to.equal(key);
      } finally {
        await locked.close();
      }
    });

    it('retries a move Dropbox answered internal_error, whether or not that move was applied', async () => {
      const storage = provider({ retry: FAST_RETRY });
      const version = await storage.put('from', 'k', { n: 1 });
      server.setFailure({ route: 'files/move_v2', status: 409, tags: ['internal_error'], afterApply: true });
      await storage.move('from', 'to', 'k', { value: { n: 2 }, expectedVersion: version });
      server.setFailure({ route: 'files/move_v2', status: 409, tags: ['internal_error'] });
      await storage.move('to', 'back', 'k');
      expect(await storage.get('from', 'k')).to.equal(undefined);
      expect(await storage.get('to', 'k')).to.equal(undefined);
      expect((await storage.get('back', 'k'))!.value).to.deep.equal({ n: 2 });
    });

    it('retries transient 503s and reset connections', async () => {
      const storage = provider({ retry: FAST_RETRY });
      server.requests.reset();
      server.setFailure({ route: 'files/upload', status: 503, times: 2 });
      server.setFailure({ route: 'files/download', status: 'reset' });
      const version = await storage.put('docs', 'a', { ok: true });
      expect(await storage.get('docs', 'a')).to.deep.equal({ value: { ok: true }, version });
      expect(server.requests.log.filter((entry) => entry.status === 503 || entry.status === 0)).to.have.length(3);
    });

    it('abandons a hung request after the request timeout and tries again', async () => {
      const storage = provider({ retry: FAST_RETRY, requestTimeoutMs: 300 });
      await storage.put('docs', 'a', 1);
      server.setFailure({ route: 'files/download', status: 'hang' });
      expect((await storage.get('docs', 'a'))!.value).to.equal(1);
    });

    it('gives a large upload the time its bytes need before abandoning it, but not a small hung request', async () => {
      /** A link moving 1 MiB/s that answers 100 ms after the last byte, and drops the request when aborted. */
      const link = (hang: boolean): typeof fetch => (_input, init) =>
        new Promise((resolve, reject) => {
          const bytes = init?.body instanceof Uint8Array ? init.body.byteLength : 0;
          const timer = hang ? undefined : setTimeout(() => resolve(new Response('{}')), 100 + (bytes / 2 ** 20) * 1000);
          init?.signal?.addEventListener('abort', () => {
            clearTimeout(timer);
            reject(init.signal!.reason);
          });
        });
      const upload = { method: 'POST', body: Buffer.alloc(2 ** 20) };
      // 1.1 s for 1 MiB against a 300 ms timeout: a fixed timeout aborted it on every try.
      const answer = await createDropboxFetch(undefined, link(false), { timeoutMs: 300 })('https://content.dropboxapi.com/2/files/upload', upload);
      expect(answer.status).to.equal(200);
      const started = Date.now();
      const hung = await rejection(createDropboxFetch(undefined, link(true), { timeoutMs: 300 })('https://api.dropboxapi.com/2/files/get_metadata', { method: 'POST', body: '{}' }));
      expect((hung as Error).name).to.equal('TimeoutError');
      expect(Date.now() - started).to.be.below(1000);
    });

    it('gives a download the timeout between chunks of its body, not in all, and ends one that goes silent', async () => {
      /** An answer whose body comes in 1 KiB chunks every `everyMs`, silent after `silentAfter`, failing when aborted. */
      const trickle = (chunks: number, everyMs: number, silentAfter = chunks): typeof fetch => (_input, init) => {
        const signal = init!.signal!;
        let timer: NodeJS.Timeout | undefined;
        const body = new ReadableStream<Uint8Array>({
          start(controller) {
            let sent = 0;
            const push = () => {
              if (sent === chunks) return controller.close();
              if (sent === silentAfter) return;
              controller.enqueue(new Uint8Array(1024));
              sent += 1;
              timer = setTimeout(push, everyMs);
            };
            timer = setTimeout(push, everyMs);
            signal.addEventListener('abort', () => {
              clearTimeout(timer);
              controller.error(signal.reason);
            });
          },
        });
        return Promise.resolve(new Response(body));
      };
      const download = { method: 'POST', body: '' };
      const url = 'https://content.dropboxapi.com/2/files/download';
      // 8 chunks over 1.2 s against a 300 ms timeout: a deadline for the whole exchange abandoned it on every try.
      const slow = await createDropboxFetch(undefined, trickle(8, 150), { timeoutMs: 300 })(url, download);
      expect((await slow.buffer()).length).to.equal(8 * 1024);
      const started = Date.now();
      const silent = await createDropboxFetch(undefined, trickle(8, 100, 2), { timeoutMs: 300 })(url, download);
      expect(((await rejection(silent.buffer())) as Error).name).to.equal('TimeoutError');
      expect(Date.now() - started).to.be.below(1000);
    });

    it('recognises its own writes, moves and deletes whose answers were lost', async () => {
      const storage = provider({ retry: FAST_RETRY });
      server.setFailure({ route: 'files/upload', status: 500, afterApply: true });
      const v1 = await storage.put('docs', 'a', 1, { ifAbsent: true });
      server.setFailure({ route: 'files/upload', status: 'reset', afterApply: true });
      const v2 = await storage.replace('docs', 'a', 2, v1);
      server.setFailure({ route: 'files/move_v2', status: 503, afterApply: true });
      await storage.move('docs', 'moved', 'a', { value: 3, expectedVersion: v2 });
      expect(await storage.get('docs', 'a')).to.equal(undefined);
      expect((await storage.get('moved', 'a'))!.value).to.equal(3);
      server.setFailure({ route: 'files/delete_v2', status: 500, afterApply: true });
      expect(await storage.delete('moved', 'a')).to.equal(true);
    });

    it('does not take a delete of a missing document for its own when only the token refresh before it failed', async () => {
      const storage = provider({ retry: FAST_RETRY });
      // The refresh is the provider's first request; delete_v2 is sent once, after the refresh is retried.
      server.setFailure({ route: 'oauth2/token', status: 503 });
      expect(await storage.delete('docs', 'never-written')).to.equal(false);
    });

    it('reports an outage as StorageUnavailableError and recovers once Dropbox is back', async () => {
      const storage = provider({ retry: FAST_RETRY });
      await storage.put('docs', 'a', 1);
      await server.stop();
      expect(await rejection(storage.get('docs', 'a'))).to.be.instanceOf(StorageUnavailableError);
      expect(await rejection(new JobLifecycle(storage).enqueue({ backend: BACKEND, owner: 'u', payload: {} }))).to.be.instanceOf(StorageUnavailableError);
      await server.start();
      expect((await storage.get('docs', 'a'))!.value).to.equal(1);
    });

    /**
     * A provider whose requests pass through `wrap` (its client takes the global fetch when it is made), and a count
     * of its own token refreshes: requests that earlier tests left retrying refresh too, on the same server.
     */
    const providerThrough = (wrap: (real: typeof fetch) => typeof fetch = (real) => real, extra: Partial<DropboxProviderSpec> = {}) => {
      const real = globalThis.fetch;
      const counted = { refreshes: 0 };
      const wrapped = wrap(real);
      globalThis.fetch = async (input, init) => {
        if (String(input).includes('/oauth2/token')) counted.refreshes += 1;
        return wrapped(input, init);
      };
      try {
        return { storage: provider(extra), counted };
      } finally {
        globalThis.fetch = real;
      }
    };

    it('refreshes an access token that Dropbox expired early, and accepts a plain access token', async () => {
      const { storage, counted } = providerThrough();
      await storage.put('docs', 'a', 1);
      expect(counted.refreshes, 'the first token').to.equal(1);
      server.tokens.expireAccessTokens();
      expect((await storage.get('docs', 'a'))!.value).to.equal(1);
      expect(counted.refreshes).to.equal(2);
      const plain = provider({ refreshToken: undefined, accessToken: server.tokens.issueAccessToken() });
      expect(await plain.put('docs', 'b', 2)).to.be.a('string');
      server.tokens.revokeAccessTokens();
      expect(await rejection(plain.get('docs', 'b'))).to.be.instanceOf(StorageUnavailableError);
    });

    it('refreshes once when requests sent with the old token are refused only after the new token came', async () => {
      let refreshDone!: () => void;
      const refreshed = new Promise<void>((resolve) => (refreshDone = resolve));
      let refusals = 0;
      // Every refusal after the first reaches the provider once the refresh it caused has finished.
      const { storage, counted } = providerThrough((real) => async (input, init) => {
        const response = await real(input, init);
        if (String(input).includes('/oauth2/token')) {
          if (refusals > 0) refreshDone();
        } else if (response.status === 401 && (refusals += 1) > 1) await refreshed.then(() => sleep(100));
        return response;
      });
      await Promise.all([storage.put('docs', 'a', 1), storage.put('docs', 'b', 2)]);
      server.tokens.expireAccessTokens();
      const read = await Promise.all(['a', 'b', 'a', 'b'].map(async (key) => (await storage.get('docs', key))!.value));
      expect(read).to.deep.equal([1, 2, 1, 2]);
      expect(refusals, 'requests refused the expired token').to.be.above(1);
      expect(counted.refreshes, 'the first token and one after the refusals').to.equal(2);
    });

    it('leaves out a document deleted while its folder was being read over several pages', async () => {
      const { base, pathOf } = withPaths();
      const keys = Array.from({ length: 2001 }, (_, i) => `k${String(i).padStart(4, '0')}`); // one more than a page
      for (const key of keys) server.store.putFile(pathOf('docs', key), encodeDocument(key).bytes);
      let deleted: string | undefined;
      // Once the first page is in, the first document on it is deleted, so a later page reports its deletion.
      const { storage } = providerThrough((real) => async (input, init) => {
        const response = await real(input, init);
        if (deleted === undefined && String(input).endsWith('/2/files/list_folder')) {
          const [first] = ((await response.clone().json()) as { entries: { path_lower: string; name: string }[] }).entries;
          deleted = first!.name.slice(0, -'.json'.length);
          server.store.delete(first!.path_lower, undefined);
        }
        return response;
      }, { basePath: base });
      const listed = await storage.list('docs', { limit: 10_000 });
      expect(deleted).to.be.a('string');
      expect(listed).to.deep.equal(keys.filter((key) => key !== deleted));
    });

    it('loses no acknowledged job while the server goes down and comes back mid-run (I1)', async function () {
      this.timeout(60_000);
      const storage = provider({ retry: FAST_RETRY, requestTimeoutMs: 2000 });
      const jobs = new JobLifecycle(storage);
      const acknowledged: string[] = [];
      const unexpected: unknown[] = [];
      let refused = 0;
      const tolerate = (error: unknown) => {
        if (error instanceof StorageUnavailableError || error instanceof LeaseLostError) refused += 1;
        else unexpected.push(error);
      };
      let done = false;
      const outages = (async () => {
        for (let round = 0; !done; round += 1) {
          await sleep(60 + Math.random() * 120);
          await server.stop();
          await sleep(20 + Math.random() * 100);
          await server.start();
        }
      })();
      const producer = (async () => {
        for (let i = 0; i < 40; i += 1) {
          await jobs.enqueue({ backend: BACKEND, owner: 'u', payload: { i } }).then((job) => acknowledged.push(job.id), tolerate);
        }
      })();
      const spoolers = Array.from({ length: 3 }, async (_, s) => {
        for (let i = 0; i < 25; i += 1) {
          const claim = await jobs.claim(BACKEND, `s${s}`).catch(tolerate);
          if (claim) await jobs.complete(claim, { by: s }).catch(tolerate);
        }
      });
      await Promise.all([producer, ...spoolers]);
      done = true;
      await outages;
      if (!server.running) await server.start();
      expect(unexpected).to.deep.equal([]);
      expect(refused, 'operations that hit an outage').to.be.greaterThan(0);
      expect(acknowledged.length).to.be.greaterThan(5);
      for (const id of acknowledged) {
        const states = [];
        for (const namespace of [ns.queued, ns.running, ns.finished, ns.deleted]) {
          if (await storage.get(namespace(BACKEND), id)) states.push(namespace(BACKEND));
        }
        expect(states, id).to.have.length(1);
      }
      // Nothing is stuck either: once leases of interrupted claims expire, every job can be run to the end.
      const later = new JobLifecycle(storage, { now: () => Date.now() + 120_000, maxAttempts: 100 });
      await later.requeueExpired(BACKEND);
      for (let claim = await later.claim(BACKEND, 'late'); claim; claim = await later.claim(BACKEND, 'late')) {
        await later.complete(claim, {});
      }
      // (The record, not the status projection: a status write cut off by an outage lags, as with any provider.)
      for (const id of acknowledged) expect((await later.find(BACKEND, id))!.value.state, id).to.equal('DONE');
    });
  });
});
