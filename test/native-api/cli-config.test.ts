// `qspool start`, `serve` and `spooler` given invalid settings (environment or options): one line on stderr naming
// the setting, the documented exit code, and nothing started or created.
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const BIN = new URL('../../scripts/qspool.mjs', import.meta.url).pathname;

describe('qspool start, serve and spooler: invalid settings', function () {
  this.timeout(30_000);
  let root: string;
  let dataDir: string;

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'qspool-cli-config-'));
    dataDir = join(root, 'data');
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  const qspool = (env: Record<string, string>, ...args: string[]) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      const child = execFile(process.execPath, [BIN, ...args], { env: { ...process.env, QSPOOL_DATA_DIR: dataDir, PORT: '0', LOG_LEVEL: 'warn', ...env }, timeout: 20_000 }, (error, stdout, stderr) => {
        resolve({ code: error ? Number((error as { code?: number }).code) : 0, stdout, stderr });
      });
      child.stdin!.end();
    });

  it('names QSPOOL_BACKENDS (exit 1) or --backend (exit 2) when they name a backend that does not exist', async () => {
    const known = 'known: singlequdit, multiqudit, fermions, rydberg, qubit';
    expect(await qspool({ QSPOOL_BACKENDS: 'singlequdit,nosuch' }, 'start')).to.deep.equal({
      code: 1,
      stdout: '',
      stderr: `qspool: Invalid configuration: QSPOOL_BACKENDS: unknown backend "nosuch"; ${known}\n`,
    });
    expect(await qspool({}, 'spooler', '--backend', 'Single,,qubit')).to.deep.equal({
      code: 2,
      stdout: '',
      stderr: `qspool: --backend: unknown backend "Single", ""; ${known}\n`,
    });
    expect(existsSync(dataDir)).to.equal(false);
  });

  it('names QSPOOL_SIGN or a per-backend variable (exit 1) that names a backend that does not exist, a typo once ignored', async () => {
    const known = 'known: singlequdit, multiqudit, fermions, rydberg, qubit';
    // QSPOOL_SIGN=fermion left fermions' results unsigned, QSPOOL_RUNTIME_QUBITS ran qubit jobs on the simulator.
    expect(await qspool({ QSPOOL_SIGN: 'fermion,qubit', QSPOOL_RUNTIME_QUBITS: 'python3 runtime.py' }, 'start')).to.deep.equal({
      code: 1,
      stdout: '',
      stderr: `qspool: Invalid configuration: QSPOOL_SIGN: unknown backend "fermion"; QSPOOL_RUNTIME_QUBITS: unknown backend "qubits"; ${known}\n`,
    });
    expect(await qspool({ QSPOOL_JOB_TIME_LIMIT_S_MULTIQUBIT: '600' }, 'spooler', '--backend', 'qubit')).to.deep.equal({
      code: 1,
      stdout: '',
      stderr: `qspool: Invalid configuration: QSPOOL_JOB_TIME_LIMIT_S_MULTIQUBIT: unknown backend "multiqubit"; ${known}\n`,
    });
    expect(existsSync(dataDir)).to.equal(false);
  });
});
