// `qspool storage add --login`: a login on the command line shows its secrets in the process list and the shell's
// history, so it may also come from standard input (`-`) or a file only its owner can read (`@file`). The real binary.
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const BIN = new URL('../scripts/qspool.mjs', import.meta.url).pathname;

describe('qspool storage add: the login from standard input or a file', function () {
  this.timeout(60_000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'qspool-login-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  function qspool(args: string[], input = ''): Promise<{ code: number | null; stdout: string; stderr: string }> {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, QSPOOL_DATA_DIR: join(dir, 'data'), QSPOOL_FSYNC: 'false', LOG_LEVEL: 'warn' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdin.end(input);
    return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
  }
  const basePath = async (name: string) => ((JSON.parse((await qspool(['storage', 'show', name, '--json'])).stdout) as { login: { base_path: string } }).login.base_path);

  it('reads the login from standard input with --login -', async () => {
    const added = await qspool(['storage', 'add', '--name', 'piped', '--type', 'local', '--login', '-'], JSON.stringify({ base_path: join(dir, 'piped') }));
    expect(added.code, added.stderr).to.equal(0);
    expect(await basePath('piped')).to.equal(join(dir, 'piped'));
  });

  it('reads it from a file its owner alone can read with --login @file, and refuses one others can read', async () => {
    const file = join(dir, 'login.json');
    writeFileSync(file, JSON.stringify({ base_path: join(dir, 'filed') }), { mode: 0o600 });
    const added = await qspool(['storage', 'add', '--name', 'filed', '--type', 'local', '--login', `@${file}`]);
    expect(added.code, added.stderr).to.equal(0);
    expect(await basePath('filed')).to.equal(join(dir, 'filed'));
    chmodSync(file, 0o644);
    const refused = await qspool(['storage', 'add', '--name', 'opened', '--type', 'local', '--login', `@${file}`]);
    expect(refused.code).to.not.equal(0);
    expect(refused.stderr).to.include(`run: chmod 600 ${file}`);
    const missing = await qspool(['storage', 'add', '--name', 'missing', '--type', 'local', '--login', `@${join(dir, 'nope.json')}`]);
    expect(missing.code).to.not.equal(0);
    expect(missing.stderr).to.include('is not a file');
    expect((await qspool(['storage', 'show', 'opened'])).code).to.not.equal(0);
  });
});
