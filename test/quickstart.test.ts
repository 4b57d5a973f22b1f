// The README quick start as a new user meets it: `npm start` on a fresh data directory, the printed token,
// and a client that behaves exactly like qiskit-cold-atom running every singlequdit payload of the corpus; and
// `qspool start` failing or interrupted while it starts.
import { expect } from 'chai';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JobLifecycle } from '../storage/lifecycle.ts';
import { LocalProvider } from '../storage/local/index.ts';
import { ns } from '../storage/records.ts';
import { checkExpectations, corpusEntries } from './support/corpus.ts';
import { qiskitLikeClient } from './support/qiskit-like-client.ts';
import { spawnQspool, type QspoolProcess } from './support/qspool-process.ts';
import { binomialPmf, chiSquare, chiSquareCritical, histogram } from './support/stats.ts';
import { eventually, isAlive } from './support/system.ts';

/** Runs the printed first-job command line (`curl -s -X POST …`) as a user pastes it into a shell; resolves with its output. */
function pasteFirstJob(output: string): Promise<string> {
  const command = /^\s+(curl -s -X POST .*)$/m.exec(output)![1]!;
  return new Promise<string>((resolve, reject) => {
    const shell = spawn('sh', ['-c', command], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    shell.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    shell.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`curl exited ${code}`))));
  });
}

describe('quick start: npm start and a qiskit-cold-atom-like client', function () {
  this.timeout(60_000);
  let child: ChildProcess;
  let output = '';
  let dataDir: string;
  let url: string;
  let token: string;

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'qspool-quickstart-'));
    child = spawn('npm', ['start'], {
      cwd: new URL('..', import.meta.url).pathname,
      env: { ...process.env, PORT: '0', QSPOOL_DATA_DIR: dataDir, QSPOOL_POLL_MS: '20', LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const deadline = Date.now() + 30_000;
    while (!/Press Ctrl-C to stop/.test(output)) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`npm start did not come up:\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    url = output.match(/qspool is running at (http:\/\/\S+)/)![1]!;
    token = output.match(/^API token: ([0-9a-f]{32})$/m)![1]!;
  });

  after(async () => {
    if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, 'SIGKILL');
    await rm(dataDir, { recursive: true, force: true });
  });

  it('prints the URL, an API token and a first job command that works when pasted', async () => {
    expect(JSON.parse(await pasteFirstJob(output))).to.include({ status: 'INITIALIZING', detail: 'Got your json.', error_message: 'None' });
  });

  for (const entry of corpusEntries('spooler-', 'singlequdit')) {
    it(`runs ${entry.file} to "finished" with the expected values`, async () => {
      const client = qiskitLikeClient(`${url}/api/v2/alqor_singlequdit_simulator`, 'demo', token);
      const { status, result, jobId } = await client.run(entry.payload);
      expect(['QUEUED', 'RUNNING', 'DONE']).to.include(status);
      expect(result.status).to.equal('finished');
      expect(result.job_id).to.equal(jobId);
      const checked = checkExpectations(entry, result, (actual, expected, key) => expect(actual, key).to.deep.equal(expected));
      expect(checked.length).to.be.greaterThan(0);
    });
  }

  it('samples rlx(θ) on 40 atoms from the binomial distribution with p = sin²(θ/2)', async () => {
    const theta = 1.1;
    const atoms = 40;
    const shots = 5000;
    const client = qiskitLikeClient(`${url}/api/v2/singlequdit`, 'demo', token);
    const { result } = await client.run({
      experiment_0: {
        instructions: [['load', [0], [atoms]], ['rlx', [0], [theta]], ['measure', [0], []]],
        shots,
        num_wires: 1,
        wire_order: 'interleaved',
      },
    });
    const memory = (result.results as { data: { memory: string[] } }[])[0]!.data.memory;
    const counts = histogram(memory, atoms + 1);
    const p = Math.sin(theta / 2) ** 2;
    const fit = chiSquare(counts, binomialPmf(atoms, p));
    expect(fit.statistic).to.be.below(chiSquareCritical(fit.df));
    // The same test has the power to reject a slightly wrong rotation angle.
    const wrong = chiSquare(counts, binomialPmf(atoms, Math.sin((theta + 0.1) / 2) ** 2));
    expect(wrong.statistic).to.be.above(chiSquareCritical(wrong.df));
  });

  it('stops cleanly on Ctrl-C (SIGINT): spoolers sign off and the store is writable at once', async () => {
    const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal })),
    );
    // A terminal's Ctrl-C signals the whole process group: npm and the qspool process under it.
    process.kill(-child.pid!, 'SIGINT');
    const { code, signal } = await exited;
    expect(code === 0 || signal === 'SIGINT', `exit ${code} ${signal}`).to.equal(true);
    expect(output).to.not.match(/"level":(50|60)/);
    const storage = new LocalProvider({ root: dataDir });
    try {
      for (const backend of ['singlequdit', 'qubit']) expect(await storage.list(ns.heartbeats(backend))).to.deep.equal([]);
      // Nothing the stopped processes held blocks a writer.
      await storage.put('probe', 'after-stop', 1);
    } finally {
      await storage.close();
    }
  });
});

describe('qspool start: a failed or interrupted start leaves nothing running', function () {
  this.timeout(60_000);
  let dataDir: string;
  let qspool: QspoolProcess | undefined;

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'qspool-start-'));
  });
  afterEach(async () => {
    qspool?.kill();
    await rm(dataDir, { recursive: true, force: true });
  });

  const heartbeats = async (backends: string[]) => {
    const storage = new LocalProvider({ root: dataDir, fsync: false });
    try {
      return (await Promise.all(backends.map((backend) => storage.list(ns.heartbeats(backend))))).flat();
    } finally {
      await storage.close();
    }
  };

  it('fails on a port in use before any spooler claims a job, and starts no runtime', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const pidFile = join(dataDir, 'runtime-pids');
    const storage = new LocalProvider({ root: dataDir, fsync: false });
    const lifecycle = new JobLifecycle(storage);
    const job = { experiment_0: { instructions: 'X(90)', shots: 10, num_wires: 1, wire_order: 'sequential' } };
    const queued = await lifecycle.enqueue({ backend: 'qubit', owner: 'u', payload: job });
    try {
      qspool = spawnQspool(['start'], {
        PORT: String((taken.address() as AddressInfo).port),
        QSPOOL_DATA_DIR: dataDir,
        QSPOOL_FSYNC: 'false',
        QSPOOL_BACKENDS: 'qubit',
        QSPOOL_QUBIT_MODE: 'verbatim',
        QSPOOL_RUNTIME_QUBIT: `echo $$ >> '${pidFile}'; exec sleep 60`,
        LOG_LEVEL: 'warn',
      });
      const { code } = await qspool.exited;
      const runtimes = (await readFile(pidFile, 'utf8').catch(() => '')).split('\n').filter(Boolean).map(Number);
      // Left by a start that got this wrong: gone with the test, whatever it finds.
      for (const pid of runtimes.filter(isAlive)) process.kill(-pid, 'SIGKILL');
      expect(code, qspool.output()).to.equal(1);
      expect(qspool.output()).to.include('EADDRINUSE').and.include('set PORT to a free port');
      expect(runtimes, 'runtime processes started').to.deep.equal([]);
      expect((await lifecycle.find('qubit', queued.id))!.value.state).to.equal('QUEUED');
      expect(await heartbeats(['qubit'])).to.deep.equal([]);
    } finally {
      await storage.close();
      await new Promise((resolve) => taken.close(resolve));
    }
  });

  it('names HOST when the server cannot listen on the address it was given', async () => {
    qspool = spawnQspool(['serve'], { PORT: '0', HOST: '203.0.113.7', QSPOOL_DATA_DIR: dataDir, QSPOOL_FSYNC: 'false', LOG_LEVEL: 'warn' });
    const { code } = await qspool.exited;
    expect(code, qspool.output()).to.equal(1);
    expect(qspool.output()).to.include('EADDRNOTAVAIL').and.include('check HOST');
  });

  it('prints a first job that runs to DONE when pasted, also for a backend other than singlequdit and qubit', async () => {
    qspool = spawnQspool(['start'], { PORT: '0', QSPOOL_DATA_DIR: dataDir, QSPOOL_FSYNC: 'false', QSPOOL_BACKENDS: 'fermions', LOG_LEVEL: 'warn' });
    await eventually(async () => (qspool!.output().includes('Press Ctrl-C to stop') ? true : undefined), 45_000);
    const { job_id: jobId } = JSON.parse(await pasteFirstJob(qspool.output())) as { job_id: string };
    const printedResult = /^\s+curl -s '(.*)'$/m.exec(qspool.output())![1]!.replace('JOB_ID', jobId);
    const result = await eventually(async () => {
      const answer = (await (await fetch(printedResult)).json()) as { status: string };
      return answer.status === 'finished' ? answer : undefined;
    }, 20_000);
    expect(result).to.include({ backend_name: 'alqor_fermions_simulator', job_id: jobId });
    qspool.child.kill('SIGINT');
    expect((await qspool.exited).code, qspool.output()).to.equal(0);
  });

  it('stops what started and exits 0 on a Ctrl-C as soon as a spooler has started', async () => {
    qspool = spawnQspool(['start'], { PORT: '0', QSPOOL_DATA_DIR: dataDir, QSPOOL_FSYNC: 'false', QSPOOL_BACKENDS: 'singlequdit,qubit', LOG_LEVEL: 'info' });
    const started = await qspool.line((line) => line.event === 'spooler.started');
    // Each spooler names its signing key's id, which an operator may pin in QSPOOL_TRUSTED_SIGNING_KEYS.
    expect(started.signingKey).to.match(/^(singlequdit|qubit)-[A-Za-z0-9_-]{43}$/);
    qspool.child.kill('SIGINT');
    const { code, signal } = await qspool.exited;
    expect({ code, signal }, qspool.output()).to.deep.equal({ code: 0, signal: null });
    expect(await heartbeats(['singlequdit', 'qubit'])).to.deep.equal([]);
  });
});
