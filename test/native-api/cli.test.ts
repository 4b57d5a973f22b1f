// `qspool user add|list|disable|delete|token`: what an admin types, on a fresh data directory. The commands run in this
// process for speed; runs through the real binary check the wiring and the exit codes (help and --version too). The
// storage commands' tables are checked for plain text too.
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { storageList, storageMigrate, storageShow, storageTest } from '../../scripts/commands/storage.ts';
import { runUserAdd, runUserDelete, runUserDisable, runUserList, runUserSet, runUserToken } from '../../scripts/commands/user.ts';
import { tokenCreatedSchema, tokenInfoSchema, userSchema } from '../../schemas/accounts.ts';
import { QspoolError } from '../../schemas/errors.ts';
import { ajv } from '../../schemas/validators.ts';
import { UserService } from '../../server/services/users.ts';
import { JobLifecycle } from '../../storage/lifecycle.ts';
import { LocalProvider } from '../../storage/local/index.ts';
import { ns } from '../../storage/records.ts';

describe('qspool user (and storage) commands', function () {
  this.timeout(20_000);
  let dataDir: string;
  const saved = { ...process.env };
  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'qspool-cli-'));
    Object.assign(process.env, { QSPOOL_DATA_DIR: dataDir, QSPOOL_FSYNC: 'false', QSPOOL_SCRYPT_LOG_N: '10' });
  });
  after(async () => {
    for (const key of ['QSPOOL_DATA_DIR', 'QSPOOL_FSYNC', 'QSPOOL_SCRYPT_LOG_N']) {
      if (saved[key] === undefined) delete process.env[key];
      else process.env[key] = saved[key];
    }
    await rm(dataDir, { recursive: true, force: true });
  });

  /** What a command wrote to stdout. */
  async function output(command: () => Promise<void>): Promise<string> {
    const write = process.stdout.write;
    let text = '';
    process.stdout.write = ((chunk: string) => ((text += chunk), true)) as typeof process.stdout.write;
    try {
      await command();
    } finally {
      process.stdout.write = write;
    }
    return text;
  }
  const authenticate = async (token: string) => {
    const storage = new LocalProvider({ root: dataDir, fsync: false });
    try {
      return await new UserService(storage).authenticate(token);
    } finally {
      await storage.close();
    }
  };

  it('adds users, lists them as a table or JSON, issues, lists and revokes tokens, and disables users', async () => {
    const added = JSON.parse(await output(() => runUserAdd('alice', { email: 'alice@example.org', json: true }))) as { token: string; role: string };
    expect(added.role).to.equal('user');
    expect((await authenticate(added.token))?.username).to.equal('alice');
    expect(await output(() => runUserAdd('root', { admin: true }))).to.match(/^Created admin root\nAPI token: [0-9a-f]{32}\n$/);
    const table = await output(() => runUserList({}));
    expect(table).to.match(/username.*role.*email/).and.match(/alice .*user .*alice@example\.org .*active/);
    const list = JSON.parse(await output(() => runUserList({ json: true }))) as { username: string; password?: unknown }[];
    expect(list.map((u) => u.username)).to.deep.equal(['alice', 'root']);
    expect(JSON.stringify(list)).to.not.match(/salt|hash/);
    const issued = JSON.parse(await output(() => runUserToken('alice', { label: 'ci', json: true }))) as { id: string; token: string };
    const tokens = JSON.parse(await output(() => runUserToken('alice', { list: true, json: true }))) as { id: string; name: string }[];
    expect(tokens.map((t) => t.name)).to.deep.equal(['cli', 'ci']);
    expect(JSON.stringify(tokens)).to.not.include(issued.token);
    expect(await output(() => runUserToken('alice', { revoke: issued.id }))).to.match(/Revoked token/);
    expect(await authenticate(issued.token)).to.equal(undefined);
    expect(await output(() => runUserDisable('alice', {}))).to.match(/alice is now disabled/);
    expect(await authenticate(added.token)).to.equal(undefined);
    expect(await output(() => runUserDisable('alice', { enable: true }))).to.match(/alice is now active/);
  });

  it('deletes a user and their jobs, finishing once a running job has stopped, and clears what a hand-deleted user left', async () => {
    const storage = new LocalProvider({ root: dataDir, fsync: false });
    const jobs = new JobLifecycle(storage);
    const submit = (owner: string) => jobs.enqueue({ backend: 'singlequdit', owner, payload: {} });
    try {
      const { token } = JSON.parse(await output(() => runUserAdd('gus', { json: true }))) as { token: string };
      const running = await submit('gus');
      const queued = await submit('gus');
      const claim = (await jobs.claim('singlequdit', 'test-spooler'))!;
      expect(claim.record.id).to.equal(running.id);
      const first = JSON.parse(await output(() => runUserDelete('gus', { json: true }))) as unknown;
      expect(first).to.deep.equal({ username: 'gus', done: false, remaining_jobs: 1 });
      expect(await authenticate(token)).to.equal(undefined);
      const issued = await runUserToken('gus', {}).then(() => undefined, (error: unknown) => error);
      expect(issued).to.be.instanceOf(QspoolError).and.include({ status: 409, code: 'user_deleting' });
      expect(await jobs.find('singlequdit', queued.id)).to.equal(undefined);
      await jobs.acknowledgeCancel(claim);
      // Through the real binary: the command is wired, and finishes the deletion.
      const bin = new URL('../../scripts/qspool.mjs', import.meta.url).pathname;
      const { stdout } = await promisify(execFile)('node', [bin, 'user', 'delete', 'gus'], { env: process.env });
      expect(stdout).to.match(/^Deleted gus: /);
      expect([await jobs.find('singlequdit', running.id), await storage.get('users', 'gus'), await storage.list(ns.ownerIndex('gus'))]).to.deep.equal([undefined, undefined, []]);

      await output(() => runUserAdd('hal', {}));
      await submit('hal');
      await storage.delete('users', 'hal');
      const refused = await runUserAdd('hal', {}).then(() => undefined, (error: unknown) => error);
      expect(refused).to.be.instanceOf(QspoolError).and.include({ status: 409, code: 'account_leftovers' });
      expect(await output(() => runUserDelete('hal', {}))).to.match(/^Deleted hal: /);
      expect(await output(() => runUserAdd('hal', {}))).to.match(/^Created user hal\n/);
    } finally {
      await storage.close();
    }
  });

  it('writes --json in the API\'s documents: the same snake_case names as GET /users/me and /tokens', async () => {
    const expectDocument = (schema: object, value: unknown) => {
      const valid = ajv.compile(schema);
      expect(valid(value), `${JSON.stringify(value)}: ${ajv.errorsText(valid.errors)}`).to.equal(true);
    };
    const json = async <T>(command: () => Promise<void>) => JSON.parse(await output(command)) as T;
    const { token, ...added } = await json<{ token: string }>(() => runUserAdd('frank', { email: 'frank@example.org', json: true }));
    expectDocument(userSchema, added);
    expect(token).to.match(/^[0-9a-f]{32}$/);
    for (const user of await json<unknown[]>(() => runUserList({ json: true }))) expectDocument(userSchema, user);
    expectDocument(userSchema, await json(() => runUserSet('frank', { maxPriority: '3', json: true })));
    expectDocument(userSchema, await json(() => runUserDisable('frank', { json: true })));
    const issued = await json<{ id: string }>(() => runUserToken('frank', { label: 'ci', json: true }));
    expectDocument(tokenCreatedSchema, issued);
    const revoked = await json<{ revoked_at: string | null }>(() => runUserToken('frank', { revoke: issued.id, json: true }));
    expectDocument(tokenInfoSchema, revoked);
    expect(revoked.revoked_at).to.be.a('string');
    for (const listing of await json<unknown[]>(() => runUserToken('frank', { list: true, json: true }))) expectDocument(tokenInfoSchema, listing);
  });

  it('sets a user\'s highest priority and fair-share weight, refusing values out of range', async () => {
    await output(() => runUserAdd('carol', {}));
    expect(await output(() => runUserSet('carol', { maxPriority: '7', weight: '2.5' }))).to.equal('carol: max priority 7, fair-share weight 2.5\n');
    const storage = new LocalProvider({ root: dataDir, fsync: false });
    try {
      expect(await new UserService(storage).getUser('carol')).to.include({ maxPriority: 7, weight: 2.5 });
    } finally {
      await storage.close();
    }
    // Usage errors (exit 2), an empty or hexadecimal number included.
    for (const wrong of [{ weight: '0' }, { maxPriority: '10' }, { maxPriority: '' }, { maxPriority: '0x5' }, { weight: '' }, {}]) {
      const refused = await runUserSet('carol', wrong).then(() => undefined, (error: Error) => error);
      expect(refused, JSON.stringify(wrong)).to.be.instanceOf(QspoolError).and.include({ status: 400 });
    }
  });

  it('refuses an e-mail address the API refuses, as a usage error, creating no user', async () => {
    for (const email of ['notanemail', 'dan@localhost', 'dan smith@lab.example', 'dan@lab.example,eve@lab.example', `${'d'.repeat(250)}@lab.example`]) {
      const refused = await runUserAdd('dan', { email }).then(() => undefined, (error: unknown) => error);
      expect(refused, email).to.be.instanceOf(QspoolError).and.include({ status: 400, message: `--email: ${JSON.stringify(email)} is not an e-mail address` });
    }
    // The name is still free: no refused address created the user.
    expect(await output(() => runUserAdd('dan', { email: 'dan.o\'neil+qspool@lab.example' }))).to.match(/^Created user dan\n/);
  });

  it('refuses a token label the API refuses, and issues nothing for an empty --revoke', async () => {
    await output(() => runUserAdd('erin', {}));
    const listed = async () => (JSON.parse(await output(() => runUserToken('erin', { list: true, json: true }))) as unknown[]).length;
    for (const label of ['', ' laptop', 'ü/..', 'a\nb', 'x'.repeat(65)]) {
      const refused = await runUserToken('erin', { label }).then(() => undefined, (error: unknown) => error);
      expect(refused, JSON.stringify(label)).to.be.instanceOf(QspoolError).and.include({ status: 400 });
    }
    const revoked = await runUserToken('erin', { revoke: '' }).then(() => undefined, (error: unknown) => error);
    expect(revoked).to.be.instanceOf(QspoolError).and.include({ status: 404 });
    expect(await listed()).to.equal(1);
    expect(await output(() => runUserToken('erin', { label: 'CI runner: lab-1.2' }))).to.match(/^API token for erin \(CI runner: lab-1\.2, id [0-9a-f]{12}\): [0-9a-f]{32}\n$/);
  });

  it('prints the storage tables (list, show, test) without colour codes, like every other table', async () => {
    const [primary] = JSON.parse(await output(() => storageList({ json: true }))) as { name: string }[];
    const tables = [await output(() => storageList({})), await output(() => storageShow(primary!.name, {})), await output(() => storageTest(primary!.name, {}))];
    expect(tables.filter((table) => table.includes('\x1b'))).to.deep.equal([]);
    expect(tables.map((table) => /│\s*name\s*│|│\s*step\s*│/.test(table))).to.deep.equal([true, true, true]);
  });

  it('writes the storage commands\' --json with snake_case names too (list, show, test)', async () => {
    const keys = (value: unknown): string[] =>
      value !== null && typeof value === 'object' ? Object.entries(value).flatMap(([key, inner]) => [...(Array.isArray(value) ? [] : [key]), ...keys(inner)]) : [];
    const [primary] = JSON.parse(await output(() => storageList({ json: true }))) as { name: string }[];
    const documents = [await output(() => storageList({ json: true })), await output(() => storageShow(primary!.name, { json: true })), await output(() => storageTest(primary!.name, { json: true }))];
    expect(documents.flatMap((text) => keys(JSON.parse(text))).filter((key) => !/^[a-z0-9_]+$/.test(key))).to.deep.equal([]);
  });

  it('refuses to migrate a provider onto itself, as a usage error', async () => {
    const refused = await storageMigrate({ from: 'alqor', to: 'alqor' }).then(() => undefined, (error: unknown) => error);
    expect(refused).to.be.instanceOf(QspoolError).and.include({ status: 400, message: '--from and --to both name alqor: a provider cannot be migrated onto itself' });
  });

  it('exits 1 with a message for an unknown user, through the real binary', async () => {
    const bin = new URL('../../scripts/qspool.mjs', import.meta.url).pathname;
    const failed = await promisify(execFile)('node', [bin, 'user', 'disable', 'nobody'], { env: process.env }).then(
      () => undefined,
      (error: { code: number; stderr: string }) => error,
    );
    expect(failed?.code).to.equal(1);
    expect(failed?.stderr).to.equal('qspool: No user nobody\n');
    // A user that exists is a failed call too (as the server's 409 is), not a mistyped one (exit 2).
    const name = `twice${Date.now()}`;
    const add = () => promisify(execFile)('node', [bin, 'user', 'add', name], { env: process.env }).then(() => ({ code: 0, stderr: '' }), (error: { code: number; stderr: string }) => error);
    expect((await add()).code).to.equal(0);
    const again = await add();
    expect([again.code, again.stderr]).to.deep.equal([1, `qspool: User ${name} already exists\n`]);
  });

  it('refuses, creating nothing, to read a data directory that holds no store (a mistyped path), but adds a first user there, saying so', async function () {
    // Nine runs of the real binary, each loading the CLI afresh.
    this.timeout(90_000);
    const bin = new URL('../../scripts/qspool.mjs', import.meta.url).pathname;
    const missing = join(dataDir, 'typo', 'data');
    const qspool = (...args: string[]) =>
      promisify(execFile)('node', [bin, ...args], { env: { ...process.env, QSPOOL_DATA_DIR: missing } }).then(
        ({ stderr }) => ({ code: 0, stderr }),
        (error: { code: number; stderr: string }) => error,
      );
    for (const command of [['user', 'list'], ['user', 'token', 'ada', '--list'], ['storage', 'list'], ['verify', '0123456789abcdef01234567']]) {
      const refused = await qspool(...command);
      expect([refused.code, refused.stderr], command.join(' ')).to.deep.equal([2, `qspool: No qspool store in ${missing} (QSPOOL_DATA_DIR): check the path; the server creates its store when it first starts\n`]);
    }
    expect(existsSync(missing)).to.equal(false);
    const made = `qspool: made a new store in ${missing} (QSPOOL_DATA_DIR), which held none: a server sees what this adds only if it runs on that data directory\n`;
    expect(await qspool('user', 'add', 'ada')).to.deep.equal({ code: 0, stderr: made });
    expect(await qspool('user', 'add', 'bob')).to.deep.equal({ code: 0, stderr: '' });
    expect((await qspool('user', 'list')).code).to.equal(0);
    const elsewhere = join(dataDir, 'elsewhere');
    const added = await promisify(execFile)('node', [bin, 'storage', 'add', '--name', 'lab', '--type', 'local', '--login', JSON.stringify({ base_path: join(dataDir, 'lab') })], {
      env: { ...process.env, QSPOOL_DATA_DIR: elsewhere },
    });
    expect(added.stderr).to.equal(made.replace(missing, elsewhere));
  });

  it('says a data directory it cannot read is unreadable (exit 1), not a path to check', async () => {
    const bin = new URL('../../scripts/qspool.mjs', import.meta.url).pathname;
    // A symlink to itself: readable by nobody, root included (who may read any mode).
    const loop = join(dataDir, 'loop');
    await symlink(loop, loop);
    const failed = await promisify(execFile)('node', [bin, 'user', 'list'], { env: { ...process.env, QSPOOL_DATA_DIR: loop } }).then(
      () => undefined,
      (error: { code: number; stderr: string }) => error,
    );
    expect([failed?.code, failed?.stderr]).to.deep.equal([1, `qspool: Cannot read ${loop} (QSPOOL_DATA_DIR): ELOOP\n`]);
  });

  it('exits 0 for `help`, `help <command>` and --version, and 2 for an unknown command (real binary)', async () => {
    const bin = new URL('../../scripts/qspool.mjs', import.meta.url).pathname;
    const qspool = (...args: string[]) =>
      promisify(execFile)('node', [bin, ...args]).then(
        ({ stdout }) => ({ code: 0, stdout }),
        (error: { code: number; stdout: string }) => error,
      );
    const { version } = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(await qspool('--version')).to.deep.equal({ code: 0, stdout: `${version}\n` });
    const help = await qspool('help');
    expect([help.code, help.stdout]).to.deep.equal([0, (await qspool('--help')).stdout]);
    expect(help.stdout).to.match(/^Usage: qspool /);
    const jobHelp = await qspool('help', 'job');
    expect([jobHelp.code, jobHelp.stdout]).to.deep.equal([0, (await qspool('job', '--help')).stdout]);
    expect((await qspool('nosuch')).code).to.equal(2);
  });
});
