// Rotating the secret key (README, Rotating the secret key): after `qspool secret-key rotate`, a restart and the
// re-seal, every sealed secret (the JWT key, webhook signing secrets, registered providers' logins) is still what it
// was, so access tokens, webhook signatures and provider logins keep working; once the previous key is dropped nothing
// stored opens with it. The key files stay private, a re-seal never overwrites a concurrent writer, and a secret no key
// opens is named, not a bare 500.
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { Webhook } from 'standardwebhooks';
import { loadConfig } from '../../config/index.ts';
import { ConflictError, InsecurePermissionsError } from '../../schemas/errors.ts';
import { forgetPreviousKeyFile, rotateKeyFile } from '../../server/auth/key-rotation.ts';
import { SEALED_KINDS } from '../../server/auth/sealed-secrets.ts';
import { keyDir, keyFile, previousKeyFile } from '../../server/auth/server-key.ts';
import { startServer, type RunningServer } from '../../server/index.ts';
import { WebhookSender } from '../../server/notifications/webhooks.ts';
import { providerRegistry } from '../../server/services/providers.ts';
import type { StorageProvider } from '../../storage/contract.ts';
import { LocalProvider } from '../../storage/local/index.ts';
import { PROVIDERS_NS, ProviderRegistry } from '../../storage/registry/index.ts';
import type { JobEvent } from '../../storage/records.ts';
import { keyCensus, resealAll } from '../../storage/registry/reseal.ts';
import { keyId, seal, SecretUnreadableError, unseal, type SealedLogin } from '../../storage/registry/secrets.ts';
import { eventually, PASSWORD, startHarness, type Harness } from '../native-api/harness.ts';

const run = promisify(execFile);
const silent = pino({ level: 'silent' });

/** Every sealed value in the store, whatever its kind. */
async function sealedValues(storage: StorageProvider): Promise<SealedLogin[]> {
  const values: SealedLogin[] = [];
  for (const kind of SEALED_KINDS) {
    for await (const [namespace, key] of kind.documents(storage)) {
      const held = kind.secret((await storage.get(namespace, key))!.value);
      if ('sealed' in held) values.push(held.sealed);
    }
  }
  return values;
}

const mode = async (path: string) => (await stat(path)).mode & 0o777;

/** A delivery of the stored webhook, as the server signs it, caught by a receiver on a local port. */
async function signedDelivery(running: RunningServer, owner: string, id: string): Promise<{ body: string; headers: Record<string, string> }> {
  let caught: { body: string; headers: Record<string, string> } | undefined;
  const receiver = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      caught = { body: Buffer.concat(chunks).toString('utf8'), headers: request.headers as Record<string, string> };
      response.end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  try {
    const hook = (await running.notifications.webhooks.get(owner, id))!;
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
    const sender = new WebhookSender({ baseUrl: () => running.url, timeoutMs: 5000, policy: { allowPrivate: true }, userAgent: 'test' });
    const event: JobEvent = {
      id: '0123456789abcdef01234567-3', jobId: '0123456789abcdef01234567', backend: 'singlequdit', owner, state: 'DONE', seq: 3,
      attempts: 1, at: new Date().toISOString(), detail: 'Done.', errorMessage: null, requeued: false,
    };
    expect((await sender.send({ ...hook, url }, event)).ok).to.equal(true);
    return caught!;
  } finally {
    await new Promise((resolve) => receiver.close(resolve));
  }
}

describe('rotating the secret key', function () {
  this.timeout(30_000);

  describe('a key-file install', () => {
    let h: Harness;
    let server: RunningServer | undefined;
    before(async () => {
      h = await startHarness({ QSPOOL_WEBHOOK_ALLOW_PRIVATE: true });
    });
    afterEach(async () => {
      await server?.close();
      server = undefined;
    });
    after(() => h.stop());

    it('keeps access tokens, webhook secrets and provider logins working through rotate, restart, reseal and forgetting the old key', async () => {
      const apiToken = await h.user('ada');
      const login = await h.call('POST', '/auth/token', { body: { username: 'ada', password: PASSWORD } });
      const accessToken = (login.body as { access_token: string }).access_token;
      const hook = await h.call('POST', '/webhooks', { token: apiToken, body: { url: 'http://127.0.0.1:9/hook', events: ['DONE'] } });
      const { id: hookId, secret: hookSecret } = hook.body as { id: string; secret: string };
      const labLogin = { base_path: join(h.dataDir, 'lab1-store') };
      await providerRegistry(h.storage, h.config).add({ name: 'lab1', type: 'local', login: labLogin });
      await h.server.close();
      const oldKey = (await readFile(keyFile(h.dataDir), 'utf8')).trim();

      const rotation = await rotateKeyFile(h.config);
      expect(rotation.previous).to.equal(keyId(oldKey));
      expect((await readFile(previousKeyFile(h.dataDir), 'utf8')).trim()).to.equal(oldKey);
      expect((await readFile(keyFile(h.dataDir), 'utf8')).trim()).to.not.equal(oldKey);
      expect([await mode(keyDir(h.dataDir)), await mode(keyFile(h.dataDir)), await mode(previousKeyFile(h.dataDir))]).to.deep.equal([0o700, 0o600, 0o600]);

      const works = async (running: RunningServer) => {
        for (const credential of [accessToken, apiToken]) {
          const me = await fetch(`${running.url}/api/v1/users/me`, { headers: { Authorization: `Bearer ${credential}` } });
          expect(me.status).to.equal(200);
        }
        const delivery = await signedDelivery(running, 'ada', hookId);
        expect(() => new Webhook(hookSecret).verify(delivery.body, delivery.headers)).to.not.throw();
        const spec = await providerRegistry(h.storage, h.config).spec('lab1');
        expect(spec).to.deep.include({ type: 'local', root: labLogin.base_path });
      };
      server = await startServer(h.storage, h.config, silent);
      await works(server);
      // The server re-seals in the background on start: nothing is left needing the previous key.
      const keys = { current: (await readFile(keyFile(h.dataDir), 'utf8')).trim(), previous: [oldKey] };
      await eventually(async () => ((await keyCensus(h.storage, SEALED_KINDS, keys)).every((row) => row.role === 'current' || row.documents === 0) ? true : undefined));
      await server.close();

      expect(await forgetPreviousKeyFile(h.config)).to.equal(keyId(oldKey));
      server = await startServer(h.storage, h.config, silent);
      await works(server);
      const sealed = await sealedValues(h.storage);
      expect(sealed.map((value) => value.kid)).to.have.length(3).and.satisfy((kids: string[]) => kids.every((kid) => kid === rotation.current));
      for (const value of sealed) expect(() => unseal(value, oldKey)).to.throw(SecretUnreadableError);
    });

    it('refuses a second rotation before the first is finished, and finishes one a crash interrupted', async () => {
      const before = (await readFile(keyFile(h.dataDir), 'utf8')).trim();
      const first = await rotateKeyFile(h.config);
      const again = await rotateKeyFile(h.config).then(() => undefined, (error: unknown) => error);
      expect(again).to.be.instanceOf(ConflictError).and.have.property('code', 'rotation_pending');
      expect((await readFile(keyFile(h.dataDir), 'utf8')).trim()).to.not.equal(before);
      expect(first.previous).to.equal(keyId(before));
      await forgetPreviousKeyFile(h.config);
      // A crash after the previous key file was written, before the key file was replaced: both hold the same key.
      const current = (await readFile(keyFile(h.dataDir), 'utf8')).trim();
      await writeFile(previousKeyFile(h.dataDir), current, { mode: 0o600 });
      const resumed = await rotateKeyFile(h.config);
      expect(resumed.previous).to.equal(keyId(current));
      expect(resumed.current).to.not.equal(keyId(current));
      await forgetPreviousKeyFile(h.config);
    });

    it('refuses to start while the previous key file is readable by group or others, naming the chmod that fixes it', async () => {
      await rotateKeyFile(h.config);
      try {
        await chmod(previousKeyFile(h.dataDir), 0o640);
        const outcome = await startServer(h.storage, h.config, silent).then((started) => started.close(), (error: unknown) => error);
        expect(outcome).to.be.instanceOf(InsecurePermissionsError);
        expect((outcome as Error).message).to.include(`chmod 600 ${previousKeyFile(h.dataDir)}`);
      } finally {
        await chmod(previousKeyFile(h.dataDir), 0o600);
        await forgetPreviousKeyFile(h.config);
      }
    });

    it('names a stored secret no key opens at start, and answers 503 secret_unreadable for it instead of a bare 500', async () => {
      const other = await startHarness({ QSPOOL_WEBHOOK_ALLOW_PRIVATE: true });
      try {
        const token = await other.user('mallory');
        const created = await other.call('POST', '/webhooks', { token, body: { url: 'http://127.0.0.1:9/hook', events: ['DONE'] } });
        await other.server.close();
        const { id } = created.body as { id: string };
        const found = await other.storage.get<Record<string, unknown>>('webhooks/mallory', id);
        const stray = seal({ secret: 'whsec_c3RyYXk=' }, 'a key nobody gave this server');
        await other.storage.replace('webhooks/mallory', id, { ...found!.value, sealedSecret: stray }, found!.version);
        const lines: string[] = [];
        const logger = pino({ level: 'info' }, new Writable({ write: (chunk: Buffer, _encoding, done) => (lines.push(chunk.toString()), done()) }));
        server = await startServer(other.storage, other.config, logger);
        const logged = await eventually(async () => lines.map((line) => JSON.parse(line) as { level: number; msg: string; kid?: string }).find((line) => line.msg.includes('opens with none')));
        expect([logged.level, logged.kid]).to.deep.equal([50, stray.kid]);
        expect(logged.msg).to.include(`webhooks/mallory/${id}`);
        const listed = await fetch(`${server.url}/api/v1/webhooks`, { headers: { Authorization: `Bearer ${token}` } });
        const body = (await listed.json()) as { error: { code: string; message: string } };
        expect([listed.status, body.error.code]).to.deep.equal([503, 'secret_unreadable']);
        expect(body.error.message).to.include(stray.kid!);
      } finally {
        await other.stop();
      }
    });
  });

  describe('a data directory without a key (a store restored on a new host)', () => {
    const SEALED_WITH = 'the key the backup was sealed with';
    let dataDir: string;
    before(async () => {
      dataDir = await mkdtemp(join(tmpdir(), 'qspool-keyless-'));
      const storage = new LocalProvider({ root: dataDir, fsync: false });
      await new ProviderRegistry(storage, 'local', {}, SEALED_WITH).add({ name: 'lab', type: 'local', login: { base_path: join(dataDir, 'lab') } });
      await storage.close();
    });
    after(() => rm(dataDir, { recursive: true, force: true }));
    const cli = (...args: string[]) =>
      run(process.execPath, ['scripts/qspool.mjs', 'secret-key', ...args], { env: { ...process.env, QSPOOL_DATA_DIR: dataDir, QSPOOL_SECRET_KEY: '', LOG_LEVEL: 'silent' } }).then(
        ({ stdout }) => ({ code: 0, stdout }),
        (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, stdout: error.stdout + error.stderr }),
      );

    it('has status name the key ids the store needs, without making a key file that opens none of them', async function () {
      this.timeout(60_000);
      const status = await cli('status', '--json');
      expect(status.code, status.stdout).to.equal(0);
      const report = JSON.parse(status.stdout) as { keys: Array<{ kid: string; role: string; documents: number }>; unknown_key: number };
      expect(report.keys.map(({ kid, role, documents }) => [kid, role, documents])).to.deep.equal([[keyId(SEALED_WITH), 'unknown', 1]]);
      expect(report.unknown_key).to.equal(1);
      const human = await cli('status');
      expect(human.stdout).to.include(`No secret key here: QSPOOL_SECRET_KEY is unset and ${keyFile(dataDir)} does not exist`);
      expect(human.stdout).to.not.include('Everything is sealed under the current key');
      expect(await stat(keyDir(dataDir)).then(() => 'made', () => 'absent')).to.equal('absent');
    });

    it('refuses reseal and forget-previous by name instead of making a new key', async function () {
      this.timeout(60_000);
      for (const command of ['reseal', 'forget-previous']) {
        const refused = await cli(command);
        expect([command, refused.code]).to.deep.equal([command, 1]);
        expect(refused.stdout).to.include('install the key the store\'s secrets were sealed with');
      }
      expect(await stat(keyDir(dataDir)).then(() => 'made', () => 'absent')).to.equal('absent');
    });

    it('says that documents open with no configured key rather than that everything is sealed under the current one', async function () {
      this.timeout(60_000);
      const other = await run(process.execPath, ['scripts/qspool.mjs', 'secret-key', 'status'], { env: { ...process.env, QSPOOL_DATA_DIR: dataDir, QSPOOL_SECRET_KEY: 'another key, not the one sealing', LOG_LEVEL: 'silent' } });
      expect(other.stdout).to.include('1 document under a key id none of the configured keys has');
      expect(other.stdout).to.not.include('Everything is sealed under the current key');
    });
  });

  describe('re-sealing', () => {
    // A store whose secrets are all sealed under OLD: no server has put a JWT key of its own there.
    const h = { dataDir: '', storage: undefined as unknown as StorageProvider };
    before(async () => {
      h.dataDir = await mkdtemp(join(tmpdir(), 'qspool-reseal-'));
      h.storage = new LocalProvider({ root: h.dataDir, fsync: false });
    });
    after(async () => {
      await h.storage.close();
      await rm(h.dataDir, { recursive: true, force: true });
    });
    const OLD = 'the key before the rotation';
    const NEW = 'the key after the rotation!';

    it('never overwrites a writer that changes a document between the re-seal\'s read and its write', async () => {
      const registry = new ProviderRegistry(h.storage, 'local', {}, OLD);
      await registry.add({ name: 'race', type: 'local', login: { base_path: join(h.dataDir, 'race') } });
      let raced = false;
      // The concurrent writer switches the provider off just before the re-seal's compare-and-swap lands.
      const racing = new Proxy(h.storage, {
        get(target, property, receiver) {
          if (property !== 'replace') return Reflect.get(target, property, receiver) as unknown;
          return async (namespace: string, key: string, value: unknown, version: string) => {
            if (!raced && namespace === PROVIDERS_NS && key === 'race') {
              raced = true;
              await registry.setActive('race', false);
            }
            return target.replace(namespace, key, value, version);
          };
        },
      });
      const keys = { current: NEW, previous: [OLD] };
      const counts = await resealAll(racing, SEALED_KINDS, keys);
      expect(raced).to.equal(true);
      expect(counts['provider-login']).to.deep.include({ resealed: 1, unreadable: 0 });
      const stored = (await h.storage.get<{ active: boolean; login: SealedLogin }>(PROVIDERS_NS, 'race'))!.value;
      expect([stored.active, stored.login.kid]).to.deep.equal([false, keyId(NEW)]);
      expect(unseal(stored.login, NEW)).to.deep.equal({ base_path: join(h.dataDir, 'race') });
      // Idempotent: a second run finds everything current.
      expect((await resealAll(h.storage, SEALED_KINDS, keys))['provider-login']).to.deep.include({ resealed: 0, current: 1 });
      await registry.remove('race');
    });

    it('keeps a provider opened across the re-seal of its login instead of closing it under running requests', async () => {
      const registry = new ProviderRegistry(h.storage, 'local', {}, { current: NEW, previous: [OLD] });
      await new ProviderRegistry(h.storage, 'local', {}, OLD).add({ name: 'kept', type: 'local', login: { base_path: join(h.dataDir, 'kept') } });
      const before = await registry.open('kept');
      await resealAll(h.storage, SEALED_KINDS, { current: NEW, previous: [OLD] });
      expect(await registry.open('kept')).to.equal(before);
      await registry.remove('kept');
    });

    it('re-seals an environment install from the CLI, refusing to forget the previous key before, and rotate (a key-file command) always', async function () {
      this.timeout(60_000);
      await new ProviderRegistry(h.storage, 'local', {}, OLD).add({ name: 'envlab', type: 'local', login: { base_path: join(h.dataDir, 'envlab') } });
      const variables = { QSPOOL_DATA_DIR: h.dataDir, QSPOOL_SECRET_KEY: NEW, QSPOOL_SECRET_KEY_PREVIOUS: OLD };
      const env = { ...process.env, ...variables, LOG_LEVEL: 'silent' };
      const cli = (...args: string[]) =>
        run(process.execPath, ['scripts/qspool.mjs', 'secret-key', ...args], { env }).then(
          ({ stdout }) => ({ code: 0, stdout }),
          (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, stdout: error.stdout + error.stderr }),
        );
      const refused = await cli('forget-previous');
      expect(refused.code).to.equal(1);
      expect(refused.stdout).to.include('1 document not yet sealed under the current key: run qspool secret-key reseal first');
      const resealed = await cli('reseal', '--json');
      expect(resealed.code).to.equal(0);
      expect(JSON.parse(resealed.stdout).counts['provider-login']).to.deep.include({ resealed: 1, unreadable: 0 });
      const census = await keyCensus(h.storage, SEALED_KINDS, { current: NEW, previous: [OLD] });
      expect(census.map((row) => [row.role, row.documents])).to.deep.equal([['current', 1], ['previous', 0]]);
      expect(await new ProviderRegistry(h.storage, 'local', {}, NEW).spec('envlab')).to.deep.include({ root: join(h.dataDir, 'envlab') });
      const rotate = await rotateKeyFile(loadConfig(variables)).then(() => undefined, (error: unknown) => error);
      expect(rotate).to.be.instanceOf(ConflictError).and.have.property('code', 'key_in_environment');
      expect(() => loadConfig({ QSPOOL_SECRET_KEY: NEW, QSPOOL_SECRET_KEY_PREVIOUS: NEW })).to.throw('QSPOOL_SECRET_KEY_PREVIOUS is the same as QSPOOL_SECRET_KEY');
    });
  });
});
