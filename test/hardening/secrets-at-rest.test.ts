// Secrets at rest (issue 17, item 2): reading the store yields no JWT key and no webhook secret (both sealed under the
// server's key, which lives outside storage in a 0600 file), a plaintext key left by an older version is sealed on
// start without invalidating its tokens, access tokens without `exp` are refused, and start-up refuses a key file
// others can read and warns about a data directory others can read, each time naming the chmod that fixes it.
import { expect } from 'chai';
import { chmod, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import jwt from 'jsonwebtoken';
import { pino } from 'pino';
import { createLogger } from '../../config/logger.ts';
import { loadJwtSecret } from '../../server/auth/jwt-secret.ts';
import { InsecurePermissionsError } from '../../schemas/errors.ts';
import { keyDir, keyFile, serverSecretKeys } from '../../server/auth/server-key.ts';
import { startServer } from '../../server/index.ts';
import { eventually, PASSWORD, startHarness, type Harness } from '../native-api/harness.ts';

const silent = createLogger('silent');

/** Every file of the local store as text, the key directories (not storage namespaces) left out. */
async function storageText(dataDir: string): Promise<string> {
  const entries = await readdir(dataDir, { recursive: true, withFileTypes: true });
  const files = entries.filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name));
  const inStorage = files.filter((file) => !/\/\.(server|signing)-keys\//.test(file));
  return (await Promise.all(inStorage.map((file) => readFile(file, 'utf8')))).join('\n');
}

describe('secrets at rest', function () {
  this.timeout(30_000);
  let h: Harness;
  before(async () => {
    h = await startHarness({ QSPOOL_WEBHOOK_ALLOW_PRIVATE: true });
  });
  after(() => h.stop());

  it('keeps the JWT key in storage only sealed: no file of the store contains it', async () => {
    const secret = await loadJwtSecret(h.storage, '', await serverSecretKeys(h.config, silent));
    expect(Object.keys((await h.storage.get('server', 'jwt-secret'))!.value as object)).to.deep.equal(['sealed']);
    expect(await storageText(h.dataDir)).to.not.include(secret);
  });

  it('seals a plaintext JWT key an older version stored, on start, and tokens signed with it stay valid', async () => {
    const old = await startHarness();
    try {
      await old.user('ada');
      const login = await old.call('POST', '/auth/token', { body: { username: 'ada', password: PASSWORD } });
      const { ver, acct } = jwt.decode((login.body as { access_token: string }).access_token) as { ver: number; acct: string };
      await old.server.close();
      const legacy = 'an old plaintext key, long enough for HS256 use';
      await old.storage.put('server', 'jwt-secret', { secret: legacy });
      // As every qspool has signed them: with a jti.
      const token = jwt.sign({ sub: 'ada', ver, acct }, legacy, { algorithm: 'HS256', expiresIn: 600, jwtid: 'a1b2c3d4e5f60718' });
      const restarted = await startServer(old.storage, old.config, silent);
      try {
        const me = await fetch(`${restarted.url}/api/v1/users/me`, { headers: { Authorization: `Bearer ${token}` } });
        expect(me.status).to.equal(200);
      } finally {
        await restarted.close();
      }
      // The document, not the raw files: a store may keep an overwritten version's bytes until it compacts.
      expect(JSON.stringify(await old.storage.get('server', 'jwt-secret'))).to.not.include(legacy);
      expect(Object.keys((await old.storage.get('server', 'jwt-secret'))!.value as object)).to.deep.equal(['sealed']);
    } finally {
      await old.stop();
    }
  });

  it('refuses an access token without exp with 401 invalid_token', async () => {
    await h.user('bob');
    const secret = await loadJwtSecret(h.storage, '', await serverSecretKeys(h.config, silent));
    const login = await h.call('POST', '/auth/token', { body: { username: 'bob', password: PASSWORD } });
    const { ver, acct } = jwt.decode((login.body as { access_token: string }).access_token) as { ver: number; acct: string };
    const forever = jwt.sign({ sub: 'bob', ver, acct }, secret, { algorithm: 'HS256' });
    const answer = await h.call('GET', '/users/me', { token: forever });
    expect([answer.status, (answer.body as { error: { code: string } }).error.code]).to.deep.equal([401, 'invalid_token']);
    const bounded = jwt.sign({ sub: 'bob', ver, acct }, secret, { algorithm: 'HS256', expiresIn: 60, jwtid: 'a1b2c3d4e5f60718' });
    expect((await h.call('GET', '/users/me', { token: bounded })).status).to.equal(200);
  });

  it('refuses to start while the key file or its directory is readable by others, naming the chmod that fixes it', async () => {
    const other = await startHarness();
    try {
      await other.server.close();
      const start = () => startServer(other.storage, other.config, silent);
      const refusal = async () => {
        const outcome = await start().then((server) => server.close().then(() => undefined), (error: unknown) => error);
        expect(outcome).to.be.instanceOf(InsecurePermissionsError);
        return (outcome as Error).message;
      };
      await chmod(keyFile(other.dataDir), 0o644);
      expect(await refusal()).to.include(`run: chmod 600 ${keyFile(other.dataDir)}`);
      await chmod(keyFile(other.dataDir), 0o600);
      await chmod(keyDir(other.dataDir), 0o755);
      expect(await refusal()).to.include(`run: chmod 700 ${keyDir(other.dataDir)}`);
      await chmod(keyDir(other.dataDir), 0o700);
      await (await start()).close();
    } finally {
      await other.stop();
    }
  });

  it('warns loudly, with the fix, when the data directory is readable by group or others', async () => {
    expect(h.logs.join('')).to.not.include('INSECURE');
    const other = await startHarness();
    try {
      await other.server.close();
      await chmod(other.dataDir, 0o755);
      const lines: string[] = [];
      const logger = pino({ level: 'info' }, new Writable({ write: (chunk: Buffer, _encoding, done) => (lines.push(chunk.toString()), done()) }));
      await (await startServer(other.storage, other.config, logger)).close();
      const warning = lines.map((line) => JSON.parse(line) as { level: number; msg: string }).find((line) => line.msg.startsWith('INSECURE'));
      expect(warning?.level).to.equal(40);
      expect(warning?.msg).to.include(`run: chmod 700 ${other.dataDir}`);
    } finally {
      await other.stop();
    }
  });

  it('stores webhook secrets sealed, and seals on start one an older version stored in plain text', async () => {
    const token = await h.user('carol');
    const created = await h.call('POST', '/webhooks', { token, body: { url: 'http://127.0.0.1:9/hook', events: ['DONE'] } });
    expect(created.status, created.text).to.equal(201);
    const { secret } = created.body as { secret: string };
    expect(await storageText(h.dataDir)).to.not.include(secret);

    const old = await startHarness();
    try {
      await old.user('dora');
      await old.server.close();
      const legacy = { id: '0123456789abcdef', owner: 'dora', url: 'http://127.0.0.1:9/hook', events: ['DONE'], description: null, secret: 'whsec_cGxhaW4gdGV4dCBzZWNyZXQgb2YgYW4gb2xkIHZlcnNpb24=', createdAt: new Date().toISOString() };
      await old.storage.put('webhooks/dora', legacy.id, legacy);
      const restarted = await startServer(old.storage, old.config, silent);
      try {
        await eventually(async () => (Object.keys((await old.storage.get('webhooks/dora', legacy.id))!.value as object).includes('sealedSecret') ? true : undefined));
        expect(JSON.stringify(await old.storage.get('webhooks/dora', legacy.id))).to.not.include(legacy.secret);
        expect((await restarted.notifications.webhooks.get('dora', legacy.id))?.secret).to.equal(legacy.secret);
      } finally {
        await restarted.close();
      }
    } finally {
      await old.stop();
    }
  });
});
