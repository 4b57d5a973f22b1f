// A data directory on a full disk (a real ENOSPC from a small tmpfs; skipped where it cannot be mounted): nothing
// half-written is left behind, and everything works again once there is room, without a restart or a hand repair.
import { expect } from 'chai';
import { closeSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { defaultKeyFile, Signer } from '../../spooler/signing/keys.ts';
import { spawnQspool, type QspoolProcess } from '../support/qspool-process.ts';
import { smallDisk, type SmallDisk } from '../support/small-disk.ts';
import { eventually, request } from '../support/system.ts';

const JOB = { experiment_0: { instructions: [['load', [0], [50]], ['measure', [0], []]], shots: 10, num_wires: 1, wire_order: 'interleaved' } };

describe('a full disk', function () {
  this.timeout(60_000);
  let disk: SmallDisk | undefined;
  before(function () {
    const made = smallDisk(16_384);
    if ('skip' in made) {
      console.log(made.skip);
      this.skip();
    }
    disk = made;
  });
  after(() => disk?.unmount());
  afterEach(() => disk?.free());

  it('leaves no part of a signing key behind when it cannot write one, and makes the key once there is room', () => {
    const dataDir = join(disk!.dir, 'signing');
    const keys = dirname(defaultKeyFile(dataDir, 'qubit'));
    const present = () => readdirSync(keys, { withFileTypes: true }).map((entry) => entry.name);
    disk!.fill();
    // A temporary file was left at each failed start, for an operator to find among the keys.
    for (let start = 0; start < 3; start += 1) expect(() => Signer.load('qubit', undefined, dataDir)).to.throw(/ENOSPC/);
    expect(present()).to.deep.equal([]);
    disk!.free();
    const { kid } = Signer.load('qubit', undefined, dataDir);
    expect(present()).to.deep.equal(['qubit.pem']);
    expect(Signer.load('qubit', undefined, dataDir).kid).to.equal(kid);
  });

  it('answers submissions 503 with a JSON error while full, loses no acknowledged job, and runs them all once freed, no process restarted', async function () {
    this.timeout(120_000);
    const dataDir = join(disk!.dir, 'data');
    const env = { QSPOOL_DATA_DIR: dataDir, QSPOOL_RATE_PER_SECOND: '0', QSPOOL_POLL_MS: '50', LOG_LEVEL: 'warn' };
    const added = spawnQspool(['user', 'add', 'alice'], env);
    await added.exited;
    const token = /API token: ([0-9a-f]{32})/.exec(added.output())![1]!;
    const processes: QspoolProcess[] = [];
    try {
      const server = spawnQspool(['serve', '--port', '0'], { ...env, LOG_LEVEL: 'info' });
      const spooler = spawnQspool(['spooler', '--backend', 'singlequdit', '--storage', dataDir], { ...env, LOG_LEVEL: 'info' });
      processes.push(server, spooler);
      const url = (await server.line((line) => line.msg === 'server listening')).url as string;
      await spooler.line((line) => line.msg === 'spooler started');
      const submit = () =>
        request(`${url}/api/v1/backends/singlequdit/jobs`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ payload: JOB }),
        });
      const acknowledged: string[] = [];
      const answered = async () => {
        const answer = await submit();
        expect([201, 503], answer.text).to.include(answer.status);
        if (answer.status === 201) acknowledged.push((answer.body as { id: string }).id);
        else expect((answer.body as { error?: { code?: string } }).error?.code, answer.text).to.equal('storage_unavailable');
        return answer.status;
      };
      for (let i = 0; i < 5; i += 1) expect(await answered()).to.equal(201);
      disk!.fill();
      // A commit that fits in the WAL's space already taken may still succeed, and is then durable like any other.
      await eventually(async () => ((await answered()) === 503 ? true : undefined), 20_000, 0);
      expect(await answered()).to.equal(503);
      disk!.free();
      await eventually(async () => ((await answered()) === 201 ? true : undefined), 20_000, 100);
      const states = async () => {
        const found = await Promise.all(acknowledged.map(async (id) => (await request(`${url}/api/v1/jobs/${id}`, { headers: { authorization: `Bearer ${token}` } })).body as { status: string }));
        return found.map((job) => job.status);
      };
      await eventually(async () => ((await states()).every((status) => status === 'DONE') ? true : undefined), 30_000, 200);
      for (const running of processes) {
        expect(running.child.exitCode, running.output()).to.equal(null);
        running.child.kill('SIGTERM');
        expect((await running.exited).code).to.equal(0);
      }
    } finally {
      for (const running of processes) running.kill();
    }
  });

  it('keeps a server answering while its log file has filled the disk, and logs again once there is room', async function () {
    this.timeout(120_000);
    // The store elsewhere: only the log is on the full disk, as with `qspool serve > /var/log/qspool.log`.
    const dataDir = mkdtempSync(join(tmpdir(), 'qspool-log-full-'));
    const logFile = join(disk!.dir, 'serve.log');
    const fd = openSync(logFile, 'a');
    const server = spawnQspool(['serve', '--port', '0'], { QSPOOL_DATA_DIR: dataDir }, fd);
    closeSync(fd);
    try {
      const listening = await eventually(async () => readFileSync(logFile, 'utf8').split('\n').find((line) => line.includes('"server listening"')), 60_000, 100);
      const url = (JSON.parse(listening) as { url: string }).url;
      disk!.fill();
      // Each request logs a line, which cannot be written: the first one stopped the server, hung in pino's exit flush.
      for (let i = 0; i < 20; i += 1) expect((await request(`${url}/healthz`, { signal: AbortSignal.timeout(5000) })).status).to.equal(200);
      expect(server.child.exitCode, server.output()).to.equal(null);
      disk!.free();
      await request(`${url}/after-free`);
      await eventually(async () => readFileSync(logFile, 'utf8').includes('/after-free') || undefined, 10_000, 100);
      server.child.kill('SIGTERM');
      expect((await server.exited).code, server.output()).to.equal(0);
    } finally {
      server.kill();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
