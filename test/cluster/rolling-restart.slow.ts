// A rolling restart under load, with real processes as systemd runs them: two `qspool serve` replicas on one local
// store and two spoolers, clients busy on keep-alive connections to both replicas, and an event stream per replica.
// Replica A is stopped with SIGTERM and started again, then B, then each spooler: one while its job ends within the
// grace period, the other while its job would not. Nothing of it may show to a client. Its processes and clients
// take both cores for 35-50 s, 100 s on a machine at load 19: it runs beside the cluster test (`npm run
// test:rolling`, in CI after `npm run test:cluster`), not in `npm test`.
import { expect } from 'chai';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserService } from '../../server/services/users.ts';
import { LocalProvider } from '../../storage/local/index.ts';
import { ns, type JobRecord } from '../../storage/records.ts';
import { freePort } from '../crash/cluster.ts';
import { hoppingStream, type HoppingStream } from '../support/hopping-stream.ts';
import { spawnQspool, type QspoolProcess } from '../support/qspool-process.ts';
import { startRestartLoad, type RestartLoad } from '../support/restart-load.ts';
import { eventually } from '../support/system.ts';

const SLEEPING = fileURLToPath(new URL('../fixtures/runtime/sleeping-runtime.mjs', import.meta.url));
/** TimeoutStopSec of deploy/qspool-server@.service and deploy/qspool-spooler@.service. */
const SERVER_STOP_TIMEOUT_MS = 20_000;
const SPOOLER_STOP_TIMEOUT_MS = 90_000;
const GRACE_S = 2;
/** Long enough that a job handed back at the grace period's end, had it waited for its lease instead, would show. */
const LEASE_MS = 20_000;

interface Stop {
  name: string;
  code: number | null;
  ms: number;
}

const qubitJob = (ms: number) => ({ payload: { experiment_0: { instructions: 'X(90)', shots: 2, num_wires: 1, wire_order: 'sequential', seed: ms } } });

describe('a rolling restart of two replicas and two spoolers under load', function () {
  this.timeout(240_000);
  let dataDir: string;
  let storage: LocalProvider;
  let token: string;
  const urls: string[] = [];
  const servers: QspoolProcess[] = [];
  const spoolers: QspoolProcess[] = [];
  const everyProcess: QspoolProcess[] = [];
  const stops: Stop[] = [];
  let load: RestartLoad;
  let streams: HoppingStream[];
  let shortJob: string;
  let longJob: string;
  let handedBackAfterMs: number;
  /** The file that lets the long job end. */
  let gate: string;

  const env = () => ({ QSPOOL_DATA_DIR: dataDir, QSPOOL_FSYNC: 'false', QSPOOL_RATE_PER_SECOND: '0', QSPOOL_MAX_QUEUED_PER_USER: '1000000', LOG_LEVEL: 'info', QSPOOL_LEASE_MS: String(LEASE_MS) });
  const startServer = async (replica: number) => {
    const server = spawnQspool(['serve', '--port', new URL(urls[replica]!).port], env());
    everyProcess.push(server);
    await server.line((line) => line.msg === 'server listening');
    servers[replica] = server;
  };
  const startSpooler = async (slot: number) => {
    const spooler = spawnQspool(['spooler', '--backend', 'singlequdit,qubit', '--storage', dataDir], {
      ...env(),
      QSPOOL_SHUTDOWN_GRACE_S: String(GRACE_S),
      QSPOOL_QUBIT_MODE: 'verbatim',
      QSPOOL_RUNTIME_QUBIT: `exec ${process.execPath} ${SLEEPING}`,
      RUNTIME_GATE: gate,
    });
    everyProcess.push(spooler);
    await eventually(async () => (spooler.lines.filter((line) => line.event === 'spooler.started').length === 2) || undefined, 30_000);
    spoolers[slot] = spooler;
  };
  const stop = async (name: string, stopped: QspoolProcess) => {
    const started = Date.now();
    stopped.child.kill('SIGTERM');
    const { code } = await stopped.exited;
    stops.push({ name, code, ms: Date.now() - started });
  };
  const submit = async (body: unknown) => {
    const response = await fetch(`${urls[0]}/api/v1/backends/qubit/jobs`, { method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    expect(response.status).to.equal(201);
    return ((await response.json()) as { id: string }).id;
  };
  const running = async (id: string) => (await storage.get<JobRecord>(ns.running('qubit'), id))?.value;
  /** Which spooler slot holds the job (its lease names the holder's pid). */
  const holder = (record: JobRecord) => spoolers.findIndex((spooler) => record.lease!.holder.includes(`-${spooler.child.pid}-`));
  const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'qspool-rolling-'));
    gate = join(dataDir, 'gate');
    storage = new LocalProvider({ root: dataDir, fsync: false });
    token = (await new UserService(storage, { scryptLogN: 10, defaultMaxPriority: 5 }).ensureUserWithToken('alice')).token;
    for (let replica = 0; replica < 2; replica += 1) urls.push(`http://127.0.0.1:${await freePort()}`);
    await Promise.all([startServer(0), startServer(1), startSpooler(0), startSpooler(1)]);
    streams = await Promise.all([hoppingStream(urls, 0, token), hoppingStream(urls, 1, token)]);
    load = startRestartLoad(urls, token);
    await pause(1000);

    for (const replica of [0, 1]) {
      await stop(`replica ${replica}`, servers[replica]!);
      await startServer(replica);
      await pause(1000);
    }

    // The long job goes to one spooler, the short one then to the other (each runs one qubit job at a time). The long
    // one runs until the test opens its gate, however slowly the spoolers restart.
    longJob = await submit(qubitJob(0));
    const long = await eventually(() => running(longJob));
    const longSlot = holder(long);
    shortJob = await submit(qubitJob(1000));
    await eventually(async () => ((await running(shortJob)) ? true : undefined));
    await stop('spooler with a job shorter than its grace', spoolers[1 - longSlot]!);
    await startSpooler(1 - longSlot);
    const stoppedAt = Date.now();
    await stop('spooler with a job longer than its grace', spoolers[longSlot]!);
    // Handed back, the job is claimed again by the other spooler at once, not once its lease has expired.
    await eventually(async () => {
      const record = await running(longJob);
      return record && holder(record) === 1 - longSlot ? record : undefined;
    }, LEASE_MS);
    handedBackAfterMs = Date.now() - stoppedAt;
    await startSpooler(longSlot);
    await writeFile(gate, '');
    await pause(500);
    await load.stop();
    // Every acknowledged job and both qubit jobs run to their end.
    await eventually(async () => ((await storage.get(ns.finished('qubit'), longJob)) ? true : undefined), 30_000);
  });

  after(async () => {
    await Promise.all(streams?.map((stream) => stream.close()) ?? []);
    for (const started of everyProcess) started.kill();
    await storage?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('sends every request a client wrote to a replica an answer, and none a 5xx', () => {
    expect(load.problems).to.deep.equal([]);
    expect(load.answered.every((count) => count > 100), `answers per replica: ${load.answered.join(', ')}`).to.equal(true);
  });

  it('runs every acknowledged job exactly once, to DONE', async () => {
    const lines = () => everyProcess.flatMap((started) => started.lines).filter((line) => line.event === 'job.done');
    const ids = [...load.acknowledged.keys(), shortJob, longJob];
    await eventually(async () => (new Set(lines().map((line) => line.jobId)).size >= ids.length ? true : undefined), 30_000);
    const runs = new Map<string, number>();
    for (const line of lines()) runs.set(line.jobId as string, (runs.get(line.jobId as string) ?? 0) + 1);
    expect(ids.filter((id) => runs.get(id) !== 1)).to.deep.equal([]);
  });

  it('exits every process 0 within its unit\'s stop timeout, and a spooler within 3 s of its grace period', () => {
    expect(stops.map((stop) => stop.code)).to.deep.equal([0, 0, 0, 0]);
    for (const stop of stops.slice(0, 2)) expect(stop.ms, stop.name).to.be.below(SERVER_STOP_TIMEOUT_MS);
    for (const stop of stops.slice(2)) expect(stop.ms, stop.name).to.be.below(Math.min(SPOOLER_STOP_TIMEOUT_MS, GRACE_S * 1000 + 3000));
  });

  it('finishes a job within the grace period, and hands one that would not back at once without using up an attempt', async () => {
    const short = (await storage.get<JobRecord>(ns.finished('qubit'), shortJob))!.value;
    const long = (await storage.get<JobRecord>(ns.finished('qubit'), longJob))!.value;
    expect([short.state, short.attempts]).to.deep.equal(['DONE', 1]);
    expect([long.state, long.attempts]).to.deep.equal(['DONE', 1]);
    expect(long.detail).to.include('Released by a stopping spooler.');
    // Within the grace period, the runtime's 2 s from SIGTERM to SIGKILL and a store write: far from the lease's 20 s.
    expect(handedBackAfterMs).to.be.below(GRACE_S * 1000 + 3000);
  });

  it('resumes each event stream on the other replica without missing or repeating an event', async () => {
    const missing = (stream: HoppingStream) => {
      const seqs = new Map<string, number[]>();
      const done = new Set<string>();
      for (const event of stream.seen.values()) {
        seqs.set(event.job_id, [...(seqs.get(event.job_id) ?? []), event.seq]);
        if (event.status === 'DONE') done.add(event.job_id);
      }
      return [...load.acknowledged.keys()].filter((id) => {
        const seen = (seqs.get(id) ?? []).sort((a, b) => a - b);
        return !done.has(id) || seen.some((seq, i) => seq !== i + 1);
      });
    };
    // The last jobs' events may still be on their way.
    await eventually(async () => (streams.every((stream) => missing(stream).length === 0) ? true : undefined), 10_000).catch(() => undefined);
    for (const [at, stream] of streams.entries()) {
      expect(stream.repeated, `stream ${at}`).to.deep.equal([]);
      expect(stream.connections.length, `stream ${at} moved`).to.be.at.least(1);
      const gaps = missing(stream);
      expect(gaps.length, `stream ${at}: jobs with events missing, e.g. ${gaps.slice(0, 3).join(', ')}`).to.equal(0);
    }
  });
});
