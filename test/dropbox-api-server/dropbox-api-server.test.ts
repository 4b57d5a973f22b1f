// Drives the fake Dropbox API server through the real `dropbox` SDK to pin down request and error formats.
import { expect } from 'chai';
import { Dropbox, DropboxAuth, DropboxResponseError } from 'dropbox';
import type { DropboxOptions } from 'dropbox';
import { createDropboxFetch, dropboxContentHash, startDropboxApiServer } from './index.ts';
import type { DropboxApiServer } from './index.ts';

type Json = { [key: string]: unknown };

function isJson(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Reads a nested field of parsed JSON without `any`: field(x, 'error', 'reason', '.tag'). */
function field(value: unknown, ...keys: string[]): unknown {
  let current = value;
  for (const key of keys) current = isJson(current) ? current[key] : undefined;
  return current;
}

/** Awaits a call that must fail with a DropboxResponseError (an HTTP error status). */
async function dropboxError(call: Promise<unknown>): Promise<DropboxResponseError<unknown>> {
  try {
    await call;
  } catch (err) {
    if (err instanceof DropboxResponseError) return err;
    throw err;
  }
  throw new Error('expected the Dropbox call to fail');
}

/** Awaits a call that must fail below HTTP (connection refused or reset). */
async function networkError(call: Promise<unknown>): Promise<Error> {
  try {
    await call;
  } catch (err) {
    if (err instanceof DropboxResponseError) throw new Error(`expected a network error, got HTTP ${err.status}`, { cause: err });
    if (err instanceof Error) return err;
    throw err;
  }
  throw new Error('expected the Dropbox call to fail');
}

function summaryOf(err: DropboxResponseError<unknown>): string {
  const summary = field(err.error, 'error_summary');
  return typeof summary === 'string' ? summary : '';
}

function fileBinaryOf(result: unknown): Buffer {
  const binary = field(result, 'fileBinary');
  if (!Buffer.isBuffer(binary)) throw new Error('download result has no fileBinary');
  return binary;
}

describe('dropbox-api-server through the dropbox SDK', function () {
  let server: DropboxApiServer;

  /** An SDK client that logs in with the server's refresh token, like a provider would. */
  function sdk(extra: DropboxOptions = {}): Dropbox {
    return new Dropbox({
      clientId: server.tokens.clientId,
      clientSecret: server.tokens.clientSecret,
      refreshToken: server.tokens.refreshToken,
      fetch: createDropboxFetch(() => server.url),
      ...extra,
    });
  }

  before(async () => {
    server = await startDropboxApiServer({ listFolderDefaultLimit: 100 });
  });

  after(async () => {
    await server.close();
  });

  afterEach(() => {
    server.clearFailures();
  });

  describe('files', () => {
    it('round-trips an upload and a download, with Dropbox metadata and case-insensitive paths', async () => {
      const dbx = sdk();
      const content = Buffer.concat([Buffer.from([0, 1, 2, 250, 255]), Buffer.from('héllo')]);
      const up = await dbx.filesUpload({ path: '/RoundTrip/Ünïcode Job.bin', contents: content });
      expect(up.status).to.equal(200);
      expect(up.result).to.include({
        name: 'Ünïcode Job.bin',
        path_lower: '/roundtrip/ünïcode job.bin',
        path_display: '/RoundTrip/Ünïcode Job.bin',
        size: content.length,
        content_hash: dropboxContentHash(content),
      });
      expect(up.result.rev).to.match(/^[0-9a-f]{9,}$/);
      expect(up.result.id).to.match(/^id:/);
      expect(up.result.server_modified).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);

      // The SDK sends the path in the Dropbox-API-Arg header with non-ASCII escaped as \uXXXX.
      const down = await dbx.filesDownload({ path: '/roundtrip/ÜNÏCODE JOB.BIN' });
      expect(fileBinaryOf(down.result).equals(content)).to.equal(true);
      expect(down.result).to.include({ rev: up.result.rev, id: up.result.id, path_display: '/RoundTrip/Ünïcode Job.bin' });

      const folder = await dbx.filesGetMetadata({ path: '/roundtrip' });
      expect(folder.result).to.include({ '.tag': 'folder', path_display: '/RoundTrip', name: 'RoundTrip' });
      const byId = await dbx.filesGetMetadata({ path: up.result.id });
      expect(byId.result).to.include({ '.tag': 'file', path_lower: '/roundtrip/ünïcode job.bin' });
    });

    it('download of a missing file is 409 path/not_found', async () => {
      const err = await dropboxError(sdk().filesDownload({ path: '/nope/missing.txt' }));
      expect(err.status).to.equal(409);
      expect(summaryOf(err)).to.match(/^path\/not_found\//);
      expect(field(err.error, 'error')).to.deep.equal({ '.tag': 'path', path: { '.tag': 'not_found' } });
    });

    it('add refuses different content (path/conflict/file), overwrite replaces, identical add is a no-op', async () => {
      const dbx = sdk();
      const first = await dbx.filesUpload({ path: '/Conflict/a.txt', contents: 'one' });

      const err = await dropboxError(dbx.filesUpload({ path: '/Conflict/a.txt', contents: 'two', mode: { '.tag': 'add' } }));
      expect(err.status).to.equal(409);
      expect(summaryOf(err)).to.match(/^path\/conflict\/file\//);
      expect(field(err.error, 'error', '.tag')).to.equal('path');
      expect(field(err.error, 'error', 'reason')).to.deep.equal({ '.tag': 'conflict', conflict: { '.tag': 'file' } });
      expect(field(err.error, 'error', 'upload_session_id')).to.be.a('string');

      // WriteMode rule (c): identical contents -> nothing written, no conflict, same rev.
      const same = await dbx.filesUpload({ path: '/conflict/A.TXT', contents: 'one' });
      expect(same.result.rev).to.equal(first.result.rev);
      const strict = await dropboxError(dbx.filesUpload({ path: '/conflict/a.txt', contents: 'one', strict_conflict: true }));
      expect(summaryOf(strict)).to.match(/^path\/conflict\/file\//);

      const over = await dbx.filesUpload({ path: '/conflict/a.txt', contents: 'two', mode: { '.tag': 'overwrite' } });
      expect(over.result.rev).to.not.equal(first.result.rev);
      expect(over.result.id).to.equal(first.result.id);
      expect(over.result.path_display).to.equal('/Conflict/a.txt');
      expect(fileBinaryOf((await dbx.filesDownload({ path: '/conflict/a.txt' })).result).toString()).to.equal('two');

      const renamed = await dbx.filesUpload({ path: '/conflict/a.txt', contents: 'three', autorename: true });
      expect(renamed.result.name).to.equal('a (1).txt');
    });

    it('update with a stale rev fails with path/conflict/file; with the current rev it succeeds', async () => {
      const dbx = sdk();
      const v1 = await dbx.filesUpload({ path: '/Update/state.json', contents: '{"v":1}' });
      const v2 = await dbx.filesUpload({ path: '/Update/state.json', contents: '{"v":2}', mode: { '.tag': 'update', update: v1.result.rev } });
      expect(v2.result.rev).to.not.equal(v1.result.rev);

      const err = await dropboxError(dbx.filesUpload({
        path: '/Update/state.json', contents: '{"v":3}', mode: { '.tag': 'update', update: v1.result.rev },
      }));
      expect(err.status).to.equal(409);
      expect(summaryOf(err)).to.match(/^path\/conflict\/file\//);
      expect(fileBinaryOf((await dbx.filesDownload({ path: '/update/state.json' })).result).toString()).to.equal('{"v":2}');
    });

    it('rejects an upload whose content_hash does not match the body', async () => {
      const err = await dropboxError(sdk().filesUpload({ path: '/hash/x.bin', contents: 'abc', content_hash: '0'.repeat(64) }));
      expect(err.status).to.equal(409);
      expect(summaryOf(err)).to.match(/^content_hash_mismatch\//);
      const ok = await sdk().filesUpload({ path: '/hash/x.bin', contents: 'abc', content_hash: dropboxContentHash(Buffer.from('abc')) });
      expect(ok.status).to.equal(200);
    });

    it('move_v2: exactly one of 10 concurrent moves of the same file wins', async () => {
      const dbx = sdk();
      await dbx.filesUpload({ path: '/Queue/job-1.json', contents: '{"job":1}' });
      const moves = Array.from({ length: 10 }, (_, i) => dbx.filesMoveV2({ from_path: '/Queue/job-1.json', to_path: `/Claimed/worker-${i}/job-1.json` }));
      const settled = await Promise.allSettled(moves);
      const won = settled.filter((s) => s.status === 'fulfilled');
      const lost = settled.flatMap((s) => (s.status === 'rejected' ? [s.reason] : []));
      expect(won).to.have.length(1);
      expect(lost).to.have.length(9);
      for (const reason of lost) {
        expect(reason).to.be.instanceOf(DropboxResponseError);
        if (reason instanceof DropboxResponseError) {
          expect(reason.status).to.equal(409);
          expect(summaryOf(reason)).to.match(/^from_lookup\/not_found\//);
        }
      }
      const claimed = server.store.paths().filter((p) => p.startsWith('/Claimed/') && p.endsWith('job-1.json'));
      expect(claimed).to.have.length(1);
      expect(server.store.fileContent('/queue/job-1.json')).to.equal(undefined);
    });

    it('move_v2 onto an existing file is 409 to/conflict/file; moving a folder into itself is refused', async () => {
      const dbx = sdk();
      await dbx.filesUpload({ path: '/Mv/a.txt', contents: 'a' });
      await dbx.filesUpload({ path: '/Mv/b.txt', contents: 'b' });
      const err = await dropboxError(dbx.filesMoveV2({ from_path: '/Mv/a.txt', to_path: '/mv/B.txt' }));
      expect(err.status).to.equal(409);
      expect(summaryOf(err)).to.match(/^to\/conflict\/file\//);
      expect(field(err.error, 'error')).to.deep.equal({ '.tag': 'to', to: { '.tag': 'conflict', conflict: { '.tag': 'file' } } });

      const into = await dropboxError(dbx.filesMoveV2({ from_path: '/Mv', to_path: '/Mv/inner/Mv' }));
      expect(summaryOf(into)).to.match(/^cant_move_folder_into_itself\//);

      const moved = await dbx.filesMoveV2({ from_path: '/Mv', to_path: '/Moved/Here' });
      expect(moved.result.metadata).to.include({ '.tag': 'folder', path_display: '/Moved/Here' });
      expect(server.store.fileContent('/moved/here/b.txt')?.toString()).to.equal('b');
    });

    it('delete_v2 honours parent_rev; get_metadata then reports not_found, or deleted with include_deleted', async () => {
      const dbx = sdk();
      const v1 = await dbx.filesUpload({ path: '/Del/x.txt', contents: '1' });
      const v2 = await dbx.filesUpload({ path: '/Del/x.txt', contents: '2', mode: { '.tag': 'overwrite' } });
      const stale = await dropboxError(dbx.filesDeleteV2({ path: '/Del/x.txt', parent_rev: v1.result.rev }));
      expect(stale.status).to.equal(409);
      expect(summaryOf(stale)).to.match(/^path_write\/conflict\/file\//);

      const deleted = await dbx.filesDeleteV2({ path: '/del/X.txt', parent_rev: v2.result.rev });
      expect(deleted.result.metadata).to.include({ '.tag': 'file', path_display: '/Del/x.txt', rev: v2.result.rev });
      const gone = await dropboxError(dbx.filesGetMetadata({ path: '/Del/x.txt' }));
      expect(summaryOf(gone)).to.match(/^path\/not_found\//);
      const tomb = await dbx.filesGetMetadata({ path: '/Del/x.txt', include_deleted: true });
      expect(tomb.result).to.deep.equal({ '.tag': 'deleted', name: 'x.txt', path_lower: '/del/x.txt', path_display: '/Del/x.txt' });
      const again = await dropboxError(dbx.filesDeleteV2({ path: '/Del/x.txt' }));
      expect(summaryOf(again)).to.match(/^path_lookup\/not_found\//);
    });

    it('create_folder_v2 creates parents and reports path/conflict/folder for an existing folder', async () => {
      const dbx = sdk();
      const made = await dbx.filesCreateFolderV2({ path: '/Made/Deep/Folder' });
      expect(made.result.metadata).to.include({ name: 'Folder', path_lower: '/made/deep/folder' });
      const err = await dropboxError(dbx.filesCreateFolderV2({ path: '/made/deep' }));
      expect(summaryOf(err)).to.match(/^path\/conflict\/folder\//);
      const under = await dropboxError(dbx.filesUpload({ path: '/Made/Deep', contents: 'x' }));
      expect(summaryOf(under)).to.match(/^path\/conflict\/folder\//);
    });

    it('list_folder pages with limit/cursor/has_more, then continue reports later changes', async () => {
      const dbx = sdk();
      for (let i = 0; i < 25; i += 1) {
        await dbx.filesUpload({ path: `/Many/f-${String(i).padStart(2, '0')}.txt`, contents: `n${i}` });
      }
      const pages = [await dbx.filesListFolder({ path: '/many', limit: 10 })];
      for (let last = pages[0]; last?.result.has_more; last = pages[pages.length - 1]) {
        pages.push(await dbx.filesListFolderContinue({ cursor: last.result.cursor }));
      }
      expect(pages.map((p) => p.result.entries.length)).to.deep.equal([10, 10, 5]);
      expect(pages.map((p) => p.result.has_more)).to.deep.equal([true, true, false]);
      const names = pages.flatMap((p) => p.result.entries.map((e) => e.name));
      const created = Array.from({ length: 25 }, (_, i) => `f-${String(i).padStart(2, '0')}.txt`);
      // Dropbox promises no order, so neither does the server: a client must not read the folder as sorted.
      expect(names).to.not.deep.equal(created);
      expect([...names].sort()).to.deep.equal(created);

      const cursor = pages[pages.length - 1]?.result.cursor ?? '';
      await dbx.filesUpload({ path: '/Many/new.txt', contents: 'new' });
      await dbx.filesDeleteV2({ path: '/Many/f-03.txt' });
      await dbx.filesUpload({ path: '/Elsewhere/ignored.txt', contents: 'x' });
      const changes = await dbx.filesListFolderContinue({ cursor });
      // Changes come in the order they happened, to be applied in that order.
      expect(changes.result.entries.map((e) => [e['.tag'], e.name])).to.deep.equal([['file', 'new.txt'], ['deleted', 'f-03.txt']]);
      expect(changes.result.has_more).to.equal(false);
      const none = await dbx.filesListFolderContinue({ cursor: changes.result.cursor });
      expect(none.result.entries).to.deep.equal([]);

      // A cursor is replayable (a client that lost a response can ask again).
      const replay = await dbx.filesListFolderContinue({ cursor });
      expect(replay.result.entries).to.have.length(2);
    });

    it('a listing read over several pages reports a file deleted meanwhile as a deleted entry before it ends', async () => {
      const dbx = sdk();
      for (let i = 0; i < 6; i += 1) await dbx.filesUpload({ path: `/Paged/f-${i}.txt`, contents: `n${i}` });
      const first = await dbx.filesListFolder({ path: '/paged', limit: 2 });
      const [seen] = first.result.entries;
      await dbx.filesDeleteV2({ path: seen!.path_lower! });
      await dbx.filesUpload({ path: '/Paged/late.txt', contents: 'late' });
      const later = [];
      for (let last = first; last.result.has_more; ) {
        last = await dbx.filesListFolderContinue({ cursor: last.result.cursor });
        later.push(...last.result.entries.map((e) => [e['.tag'], e.name]));
      }
      expect(later).to.have.length(6);
      expect(later.slice(-2)).to.deep.equal([['deleted', seen!.name], ['file', 'late.txt']]);
    });

    it('list_folder recursive lists the folder itself and everything below', async () => {
      const dbx = sdk();
      await dbx.filesUpload({ path: '/Tree/a/b/c.txt', contents: 'c' });
      await dbx.filesUpload({ path: '/Tree/z.txt', contents: 'z' });
      const flat = await dbx.filesListFolder({ path: '/Tree' });
      expect(flat.result.entries.map((e) => e.path_display).sort()).to.deep.equal(['/Tree/a', '/Tree/z.txt']);
      const deep = await dbx.filesListFolder({ path: '/Tree', recursive: true });
      expect(deep.result.entries.map((e) => e.path_display).sort()).to.deep.equal(['/Tree', '/Tree/a', '/Tree/a/b', '/Tree/a/b/c.txt', '/Tree/z.txt']);

      const notFolder = await dropboxError(dbx.filesListFolder({ path: '/Tree/z.txt' }));
      expect(summaryOf(notFolder)).to.match(/^path\/not_folder\//);
      const root = await dbx.filesListFolder({ path: '' });
      expect(root.result.entries.map((e) => e.name)).to.include('Tree');
    });
  });

  describe('OAuth', () => {
    it('logs in with the refresh token once and reuses the access token', async () => {
      const before = server.requests.count('oauth2/token');
      const dbx = sdk();
      await dbx.filesListFolder({ path: '' });
      await dbx.filesListFolder({ path: '' });
      await dbx.filesGetMetadata({ path: '/Tree' });
      expect(server.requests.count('oauth2/token') - before).to.equal(1);
    });

    it('the SDK renews an access token that is about to expire before using it', async () => {
      // The SDK refreshes when the token has less than 300 s left, so a 60 s lifetime means a
      // refresh before every call.
      server.tokens.accessTokenTtlSeconds = 60;
      try {
        const before = server.requests.count('oauth2/token');
        const dbx = sdk();
        await dbx.filesListFolder({ path: '' });
        await dbx.filesListFolder({ path: '' });
        expect(server.requests.count('oauth2/token') - before).to.equal(2);
      } finally {
        server.tokens.accessTokenTtlSeconds = 14400;
      }
    });

    it('an access token expired on the server is 401 expired_access_token until the client refreshes', async () => {
      const auth = new DropboxAuth({
        clientId: server.tokens.clientId,
        clientSecret: server.tokens.clientSecret,
        refreshToken: server.tokens.refreshToken,
        fetch: createDropboxFetch(() => server.url),
      });
      const dbx = new Dropbox({ auth });
      await dbx.filesListFolder({ path: '' });
      server.tokens.expireAccessTokens();
      const err = await dropboxError(dbx.filesListFolder({ path: '' }));
      expect(err.status).to.equal(401);
      expect(summaryOf(err)).to.match(/^expired_access_token\//);
      expect(field(err.error, 'error')).to.deep.equal({ '.tag': 'expired_access_token' });

      await Promise.resolve(auth.refreshAccessToken());
      expect((await dbx.filesListFolder({ path: '' })).status).to.equal(200);

      // A client whose stored expiry has passed refreshes on its own before calling.
      const stale = sdk({ accessToken: server.tokens.issueAccessToken(0), accessTokenExpiresAt: new Date(Date.now() - 1000) });
      expect((await stale.filesListFolder({ path: '' })).status).to.equal(200);
    });

    it('a bad refresh token or client secret is a 400 OAuth error', async () => {
      const badGrant = await dropboxError(sdk({ refreshToken: 'not-the-token' }).filesListFolder({ path: '' }));
      expect(badGrant.status).to.equal(400);
      expect(badGrant.error).to.deep.equal({ error: 'invalid_grant', error_description: 'refresh token is invalid or revoked' });
      const badClient = await dropboxError(sdk({ clientSecret: 'wrong' }).filesListFolder({ path: '' }));
      expect(field(badClient.error, 'error')).to.equal('invalid_client');
    });

    it('a bad access token is 401 invalid_access_token', async () => {
      const dbx = new Dropbox({ accessToken: 'sl.not-a-real-token', fetch: createDropboxFetch(() => server.url) });
      const err = await dropboxError(dbx.filesListFolder({ path: '' }));
      expect(err.status).to.equal(401);
      expect(summaryOf(err)).to.match(/^invalid_access_token\//);
      expect(field(err.error, 'error')).to.deep.equal({ '.tag': 'invalid_access_token' });
    });
  });

  describe('failure injection', () => {
    it('429 carries retry_after in the body and a Retry-After header; the next call succeeds', async () => {
      const dbx = sdk();
      await dbx.filesUpload({ path: '/Rate/x.txt', contents: 'x', mode: { '.tag': 'overwrite' } });
      server.setFailure({ route: 'files/get_metadata', status: 429, retryAfter: 7 });
      const err = await dropboxError(dbx.filesGetMetadata({ path: '/Rate/x.txt' }));
      expect(err.status).to.equal(429);
      expect(summaryOf(err)).to.match(/^too_many_requests\//);
      expect(field(err.error, 'error')).to.deep.equal({ reason: { '.tag': 'too_many_requests' }, retry_after: 7 });
      const headers: unknown = err.headers;
      expect(headers instanceof Headers ? headers.get('retry-after') : undefined).to.equal('7');
      expect((await dbx.filesGetMetadata({ path: '/Rate/x.txt' })).status).to.equal(200);

      // Dropbox may also answer a 429 in plain text: then only the header says how long to wait.
      server.setFailure({ route: 'files/get_metadata', status: 429, retryAfter: 3, plainText: true });
      const text = await dropboxError(dbx.filesGetMetadata({ path: '/Rate/x.txt' }));
      expect(text.status).to.equal(429);
      expect(text.error).to.equal('Too Many Requests');
      expect(text.headers instanceof Headers ? text.headers.get('retry-after') : undefined).to.equal('3');
    });

    it('with writeLockMs, a write that meets another one\'s lock is 429 too_many_write_operations and not applied', async () => {
      const locked = await startDropboxApiServer({ writeLockMs: 200 });
      try {
        const dbx = new Dropbox({ accessToken: locked.tokens.issueAccessToken(), fetch: createDropboxFetch(() => locked.url) });
        const answers = await Promise.allSettled(['a', 'b'].map((name) => dbx.filesUpload({ path: `/Lock/${name}.txt`, contents: name })));
        const refused = answers.flatMap((answer) => (answer.status === 'rejected' ? [answer.reason as DropboxResponseError<unknown>] : []));
        expect(refused).to.have.length(1);
        expect(refused[0]!.status).to.equal(429);
        expect(refused[0]!.error).to.deep.equal({ error_summary: summaryOf(refused[0]!), error: { reason: { '.tag': 'too_many_write_operations' } } });
        expect(summaryOf(refused[0]!)).to.match(/^too_many_write_operations\//);
        expect(locked.store.paths().filter((path) => path.startsWith('/Lock/'))).to.have.length(1);
        // Reads never contend; a write after the lock is released goes through.
        expect((await dbx.filesListFolder({ path: '/lock' })).result.entries).to.have.length(1);
        await new Promise((resolve) => setTimeout(resolve, 200));
        expect((await dbx.filesUpload({ path: '/Lock/c.txt', contents: 'c' })).status).to.equal(200);
      } finally {
        await locked.close();
      }
    });

    it('injects a 409 route error by its tags, before or after the operation', async () => {
      const dbx = sdk();
      await dbx.filesUpload({ path: '/Inject/a.txt', contents: 'a' });
      server.setFailure({ route: 'files/move_v2', status: 409, tags: ['internal_error'], afterApply: true });
      const err = await dropboxError(dbx.filesMoveV2({ from_path: '/Inject/a.txt', to_path: '/Inject/b.txt' }));
      expect(err.status).to.equal(409);
      expect(summaryOf(err)).to.match(/^internal_error\//);
      expect(server.store.paths().filter((path) => path.startsWith('/Inject/'))).to.deep.equal(['/Inject/b.txt']);
    });

    it('500 before the operation leaves nothing written; 503 after it means the change did happen', async () => {
      const dbx = sdk();
      server.setFailure({ route: 'files/upload', status: 500 });
      const failed = await dropboxError(dbx.filesUpload({ path: '/Flaky/a.txt', contents: 'a' }));
      expect(failed.status).to.equal(500);
      expect(server.store.fileContent('/flaky/a.txt')).to.equal(undefined);

      await dbx.filesUpload({ path: '/Flaky/a.txt', contents: 'a' });
      server.setFailure({ route: 'files/move_v2', status: 503, afterApply: true });
      const lost = await dropboxError(dbx.filesMoveV2({ from_path: '/Flaky/a.txt', to_path: '/Flaky/b.txt' }));
      expect(lost.status).to.equal(503);
      // The retry finds the source gone: the client has to check the destination.
      const retry = await dropboxError(dbx.filesMoveV2({ from_path: '/Flaky/a.txt', to_path: '/Flaky/b.txt' }));
      expect(summaryOf(retry)).to.match(/^from_lookup\/not_found\//);
      expect(server.store.fileContent('/flaky/b.txt')?.toString()).to.equal('a');
    });

    it('a reset connection rejects the SDK call without an HTTP status', async () => {
      server.setFailure({ route: 'files/list_folder', status: 'reset' });
      const err = await networkError(sdk().filesListFolder({ path: '' }));
      expect(err).to.be.instanceOf(TypeError);
    });

    it('an outage (stop) refuses connections and drops hung requests; start() brings the same files back', async () => {
      const dbx = sdk();
      await dbx.filesUpload({ path: '/Outage/keep.txt', contents: 'kept', mode: { '.tag': 'overwrite' } });
      server.setFailure({ route: 'files/get_metadata', status: 'hang' });
      const hung = networkError(dbx.filesGetMetadata({ path: '/Outage/keep.txt' }));
      await new Promise((resolve) => setTimeout(resolve, 50));
      await server.stop();
      expect(await hung).to.be.instanceOf(TypeError);

      const refused = await networkError(dbx.filesListFolder({ path: '/Outage' }));
      expect(field(refused, 'cause', 'code')).to.equal('ECONNREFUSED');

      await server.start();
      const down = await dbx.filesDownload({ path: '/Outage/keep.txt' });
      expect(fileBinaryOf(down.result).toString()).to.equal('kept');
    });
  });

  describe('raw HTTP details', () => {
    async function post(path: string, init: { headers?: Record<string, string>; body?: string } = {}): Promise<Response> {
      return fetch(`${server.url}${path}`, { method: 'POST', ...init });
    }

    it('a call without Authorization is a 400 with a plain-text explanation', async () => {
      const res = await post('/2/files/list_folder', { headers: { 'Content-Type': 'application/json' }, body: '{"path": ""}' });
      expect(res.status).to.equal(400);
      expect(await res.text()).to.match(/^Error in call to API function "files\/list_folder": Must provide HTTP header "Authorization"/);
    });

    it('rejects "/" as the root, unknown fields, and a wrong Content-Type with 400', async () => {
      const auth = `Bearer ${server.tokens.issueAccessToken()}`;
      const json = { Authorization: auth, 'Content-Type': 'application/json' };
      const root = await post('/2/files/list_folder', { headers: json, body: '{"path": "/"}' });
      expect(root.status).to.equal(400);
      expect(await root.text()).to.include('Specify the root folder as an empty string');
      const unknown = await post('/2/files/list_folder', { headers: json, body: '{"path": "", "bogus": 1}' });
      expect(await unknown.text()).to.include("unknown field 'bogus'");
      const wrongType = await post('/2/files/list_folder', { headers: { Authorization: auth, 'Content-Type': 'text/plain' }, body: '{"path": ""}' });
      expect(wrongType.status).to.equal(400);
      expect(await wrongType.text()).to.include('Bad HTTP "Content-Type" header');
    });

    it('refuses raw non-ASCII bytes in Dropbox-API-Arg with 400, as Dropbox does; \\uXXXX escapes are fine', async () => {
      const headers = (arg: string) => ({
        Authorization: `Bearer ${server.tokens.issueAccessToken()}`,
        'Content-Type': 'application/octet-stream',
        // What a client that does not escape sends: the UTF-8 bytes of the JSON, one header octet each.
        'Dropbox-API-Arg': Buffer.from(arg, 'utf8').toString('latin1'),
      });
      const raw = await post('/2/files/upload', { headers: headers('{"path": "/ascii-only/ü.txt"}'), body: 'x' });
      expect(raw.status).to.equal(400);
      expect(await raw.text()).to.include('HTTP header "Dropbox-API-Arg": could not decode input as JSON');
      expect(server.store.paths().filter((path) => path.startsWith('/ascii-only'))).to.deep.equal([]);
      const escaped = await post('/2/files/upload', { headers: headers('{"path": "/ascii-only/\\u00fc.txt"}'), body: 'x' });
      expect(escaped.status).to.equal(200);
      expect(((await escaped.json()) as Json).path_display).to.equal('/ascii-only/ü.txt');
    });

    it('serves byte ranges of a download with 206 and Content-Range', async () => {
      server.store.putFile('/Range/r.bin', '0123456789');
      const res = await post('/2/files/download', {
        headers: { Authorization: `Bearer ${server.tokens.issueAccessToken()}`, 'Dropbox-API-Arg': '{"path": "/range/r.bin"}', Range: 'bytes=2-5' },
      });
      expect(res.status).to.equal(206);
      expect(res.headers.get('content-range')).to.equal('bytes 2-5/10');
      expect(await res.text()).to.equal('2345');
      expect(JSON.parse(res.headers.get('dropbox-api-result') ?? '{}')).to.include({ size: 10, path_display: '/Range/r.bin' });
    });

    it('accepts the refresh grant as a form body with HTTP Basic client auth', async () => {
      const basic = Buffer.from(`${server.tokens.clientId}:${server.tokens.clientSecret}`).toString('base64');
      const res = await post('/oauth2/token', {
        headers: { Authorization: `Basic ${basic}`, 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: server.tokens.refreshToken }).toString(),
      });
      expect(res.status).to.equal(200);
      const token: unknown = await res.json();
      expect(field(token, 'token_type')).to.equal('bearer');
      expect(field(token, 'expires_in')).to.equal(14400);
      expect(server.tokens.state(String(field(token, 'access_token')))).to.equal('valid');
    });
  });
});
