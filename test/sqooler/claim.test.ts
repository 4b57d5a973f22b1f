// The atomic claim of qspool's spooler on sqooler's local layout (storage/sqooler/spooler-lifecycle.ts): one winner
// among racing claimants, coexistence with a sqooler spooler's plain move on the same folder, leases that expire
// and send the job back (or, past its attempts, to the deleted folder with an ERROR status), and fencing; and one
// winner on Dropbox, whose move_v2 is the exclusive step there.
import { expect } from 'chai';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LeaseLostError } from '../../schemas/errors.ts';
import { LocalProvider } from '../../storage/local/index.ts';
import { SqoolerJobs } from '../../storage/sqooler/jobs.ts';
import { SqoolerDropboxFiles } from '../../storage/sqooler/dropbox.ts';
import { SqoolerLocalFiles } from '../../storage/sqooler/local.ts';
import { dropboxPaths, localPaths } from '../../storage/sqooler/paths.ts';
import { SqoolerLifecycle } from '../../storage/sqooler/spooler-lifecycle.ts';
import { SqoolerView } from '../../storage/sqooler/view.ts';
import { startDropboxApiServer } from '../dropbox-api-server/index.ts';
import { GOOD_JOB } from '../native-api/harness.ts';
import { SqoolerDouble } from './sqooler-double.ts';

const DISPLAY = 'singlequdit';
const RESULT = { display_name: DISPLAY, success: true, status: 'finished', results: [{ header: { name: 'experiment_0', by: 'qspool' } }] };

describe('qspool\'s claim on a sqooler local layout', () => {
  let dir: string;
  let view: SqoolerView;
  let jobs: SqoolerJobs;
  let clock: number;
  const lifecycle = (maxAttempts = 3) => new SqoolerLifecycle(view, { leaseMs: 1_000, maxAttempts, now: () => clock });
  const names = async (folder: string) => (await readdir(join(dir, folder)).catch(() => [])).map((name) => name.replace(/\.json$/, ''));
  const enqueue = async () => (await jobs.enqueue({ backend: DISPLAY, owner: 'ada', payload: GOOD_JOB })).id;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'qspool-sqooler-claim-'));
    const index = new LocalProvider({ root: join(dir, '.index') });
    view = new SqoolerView(new SqoolerLocalFiles(join(dir, 'lab')), localPaths, { storage: index, provider: 'lab1' });
    jobs = new SqoolerJobs(view);
    clock = Date.now();
  });
  afterEach(async () => {
    await view.index.storage.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('gives a queued job to exactly one of eight racing claimants', async () => {
    const id = await enqueue();
    const claims = await Promise.all(Array.from({ length: 8 }, (_, i) => lifecycle().claim(DISPLAY, `spooler-${i}`)));
    const won = claims.filter((claim) => claim !== undefined);
    expect(won).to.have.length(1);
    expect(won[0]!.record).to.include({ id, state: 'RUNNING', attempts: 1 });
    expect(won[0]!.record.payload).to.deep.equal(GOOD_JOB);
    expect(await names('lab/jobs/running')).to.deep.equal([id]);
    expect(await names(`lab/jobs/queued/${DISPLAY}`)).to.deep.equal([]);
    expect(await names(`lab/qspool/leases/${DISPLAY}`)).to.deep.equal([id]);
  });

  it('moves a document once among concurrent moves (rename), with no lease in front of it', async () => {
    await view.documents.upload('x', 'doc', { n: 1 });
    const moves = await Promise.all(Array.from({ length: 8 }, () => view.documents.move({ path: 'x', name: 'doc' }, { path: 'y', name: 'doc' })));
    expect(moves.filter(Boolean)).to.have.length(1);
    expect(await view.documents.get('y', 'doc')).to.deep.equal({ n: 1 });
  });

  it('takes the oldest job first (qspool ids sort by creation time)', async () => {
    const first = await enqueue();
    await enqueue();
    expect((await lifecycle().claim(DISPLAY, 'a'))!.record.id).to.equal(first);
  });

  it('shares a queue with a sqooler spooler: every job runs once, by one of them', async () => {
    const double = SqoolerDouble.local(join(dir, 'lab'));
    await double.publishConfig();
    const ids = await Promise.all(Array.from({ length: 12 }, () => enqueue()));
    const ours = lifecycle();
    // Every run counted: the double's steps that took a job, qspool's completions.
    const runs = { sqooler: 0, qspool: 0 };
    const step = async () => (await double.step()) && (runs.sqooler += 1) > 0;
    const complete = async (claim: Awaited<ReturnType<SqoolerLifecycle['claim']>>) => {
      await ours.completeAndClaim(claim!, { result: RESULT });
      runs.qspool += 1;
    };
    // Turns first (each takes a job the other left), then a free race for the rest.
    for (let turn = 0; turn < 2; turn += 1) {
      expect(await step()).to.equal(true);
      await complete(await ours.claim(DISPLAY, 'q'));
    }
    const sqooler = (async () => {
      // A sqooler spooler whose plain move loses the race raises, and its process stops: so does this loop. Between
      // jobs it waits (sqooler's main waits T_WAIT_MAIN), which lets qspool's asynchronous file calls proceed.
      while (await step().catch(() => false)) await new Promise((resolve) => setTimeout(resolve, 10));
    })();
    const qspool = (async () => {
      // A claim that finds nothing (the sqooler spooler moved every job it tried) is tried again while jobs are queued.
      while ((await names(`lab/jobs/queued/${DISPLAY}`)).length > 0) {
        const claim = await ours.claim(DISPLAY, 'q');
        if (claim) await complete(claim);
      }
    })();
    await Promise.all([sqooler, qspool]);
    // A failed sqooler move leaves nothing behind; whatever it left in the queue, qspool takes now.
    for (let claim = await ours.claim(DISPLAY, 'q'); claim; claim = await ours.claim(DISPLAY, 'q')) await complete(claim);
    expect(runs.sqooler + runs.qspool).to.equal(ids.length);
    expect((await names(`lab/jobs/finished/${DISPLAY}`)).sort()).to.deep.equal([...ids].sort());
    expect((await names(`lab/results/${DISPLAY}`)).sort()).to.deep.equal([...ids].sort());
    for (const id of ids) expect((await view.status({ display: DISPLAY, id, owner: '' }))!.status).to.equal('DONE');
    expect(await names('lab/jobs/running')).to.deep.equal([]);
    // Each result names its writer, and each writer ran as many jobs as it wrote results.
    const writers = await Promise.all(ids.map(async (id) => ((await view.documents.get(`results/${DISPLAY}`, id)) as typeof RESULT).results[0]!.header.by ?? 'sqooler'));
    expect(writers.filter((writer) => writer === 'qspool')).to.have.length(runs.qspool);
    expect(runs.qspool).to.be.above(0);
    expect(runs.sqooler).to.be.above(0);
  });

  it('sends a job whose lease expired back to the queue, counts the attempt, and fences the old holder', async () => {
    const id = await enqueue();
    const old = (await lifecycle().claim(DISPLAY, 'a'))!;
    expect(await lifecycle().requeueExpired(DISPLAY)).to.deep.equal([]);
    clock += 1_001;
    const heard: string[] = [];
    expect(await lifecycle().requeueExpired(DISPLAY, undefined, (expired) => heard.push(expired))).to.deep.equal([id]);
    expect(heard).to.deep.equal([id]);
    expect(await names(`lab/jobs/queued/${DISPLAY}`)).to.deep.equal([id]);
    const taken = (await lifecycle().claim(DISPLAY, 'b'))!;
    expect(taken.record.attempts).to.equal(2);
    await lifecycle().renew(old).then(
      () => expect.fail('the old holder renewed'),
      (error: unknown) => expect(error).to.be.instanceOf(LeaseLostError),
    );
    await lifecycle().completeAndClaim(old, { result: RESULT }).then(
      () => expect.fail('the old holder completed'),
      (error: unknown) => expect(error).to.be.instanceOf(LeaseLostError),
    );
    expect(await names(`lab/results/${DISPLAY}`)).to.deep.equal([]);
    await lifecycle().completeAndClaim(taken, { result: RESULT });
    expect(await names(`lab/jobs/finished/${DISPLAY}`)).to.deep.equal([id]);
    expect(await names(`lab/qspool/attempts/${DISPLAY}`)).to.deep.equal([]);
  });

  it('with a clock of its own, never takes back a renewing holder whose clock runs behind, and takes back a dead one after a lease', async () => {
    const id = await enqueue();
    let own = 0;
    const holder = new SqoolerLifecycle(view, { leaseMs: 1_000, now: () => clock - 5_000 });
    const reaper = new SqoolerLifecycle(view, { leaseMs: 1_000, now: () => clock, reaperClock: () => own });
    let claim = (await holder.claim(DISPLAY, 'behind'))!;
    for (let round = 0; round < 3; round += 1) {
      expect(await reaper.requeueExpired(DISPLAY)).to.deep.equal([]);
      own += 600;
      clock += 600;
      claim = await holder.renew(claim);
    }
    expect(await reaper.requeueExpired(DISPLAY)).to.deep.equal([]);
    own += 999;
    expect(await reaper.requeueExpired(DISPLAY)).to.deep.equal([]);
    own += 1;
    expect(await reaper.requeueExpired(DISPLAY)).to.deep.equal([id]);
    expect(await names(`lab/jobs/queued/${DISPLAY}`)).to.deep.equal([id]);
  });

  it('gives a job up with sqooler\'s ERROR status once its attempts are used up', async () => {
    const id = await enqueue();
    await lifecycle(1).claim(DISPLAY, 'a');
    clock += 1_001;
    expect(await lifecycle(1).requeueExpired(DISPLAY)).to.deep.equal([id]);
    expect(await names('lab/jobs/deleted')).to.deep.equal([id]);
    const status = (await view.status({ display: DISPLAY, id, owner: '' }))!;
    expect(status).to.include({ job_id: id, status: 'ERROR' });
    expect(status.error_message).to.match(/^Gave up after 1 attempts/);
    expect((await jobs.getStatus(DISPLAY, id))!.status).to.equal('ERROR');
  });

  it('completes a job whose earlier attempt died between writing its result and moving it', async () => {
    const id = await enqueue();
    expect(await lifecycle().claim(DISPLAY, 'a')).to.have.nested.property('record.id', id);
    const at = localPaths.result({ display: DISPLAY, id, owner: '' });
    await view.documents.upload(at.path, at.name, { ...RESULT, results: [{ header: { name: 'experiment_0', by: 'the dead attempt' } }] });
    clock += 1_001;
    expect(await lifecycle().requeueExpired(DISPLAY)).to.deep.equal([id]);
    // Taken back, the job has no result: a sqooler spooler claiming it next would refuse to upload over one.
    expect(await view.documents.get(at.path, at.name)).to.equal(undefined);
    const second = (await lifecycle().claim(DISPLAY, 'b'))!;
    expect(second.record.attempts).to.equal(2);
    await lifecycle().completeAndClaim(second, { result: RESULT });
    expect(await names(`lab/jobs/finished/${DISPLAY}`)).to.deep.equal([id]);
    expect(await view.documents.get(at.path, at.name)).to.have.nested.property('results[0].header.by', 'qspool');
  });

  it('skips a job behind a claimant that died before its move, until that lease expires', async () => {
    const id = await enqueue();
    const lease = localPaths.lease({ display: DISPLAY, id, owner: '' });
    await view.documents.upload(lease.path, lease.name, { holder: 'dead', token: 'x', expiresAt: clock + 1_000, attempts: 1 });
    expect(await lifecycle().claim(DISPLAY, 'a')).to.equal(undefined);
    clock += 1_001;
    expect(await lifecycle().requeueExpired(DISPLAY)).to.deep.equal([]);
    expect((await lifecycle().claim(DISPLAY, 'a'))!.record.id).to.equal(id);
  });

  it('hands a job back on release without counting the attempt', async () => {
    const id = await enqueue();
    const claim = (await lifecycle().claim(DISPLAY, 'a'))!;
    await lifecycle().release(claim);
    expect(await names(`lab/jobs/queued/${DISPLAY}`)).to.deep.equal([id]);
    expect(await names(`lab/qspool/leases/${DISPLAY}`)).to.deep.equal([]);
    expect((await lifecycle().claim(DISPLAY, 'b'))!.record.attempts).to.equal(1);
  });
});

describe('qspool\'s claim on a sqooler Dropbox layout', () => {
  it('gives a queued job to exactly one of six racing claimants (files/move_v2 moves it once)', async () => {
    const server = await startDropboxApiServer();
    const dir = await mkdtemp(join(tmpdir(), 'qspool-sqooler-claim-dropbox-'));
    const index = new LocalProvider({ root: dir });
    try {
      const files = new SqoolerDropboxFiles({ appKey: server.tokens.clientId, appSecret: server.tokens.clientSecret, refreshToken: server.tokens.refreshToken, apiBaseUrl: server.url });
      const view = new SqoolerView(files, dropboxPaths, { storage: index, provider: 'lab1' });
      const { id } = await new SqoolerJobs(view).enqueue({ backend: DISPLAY, owner: 'ada', payload: GOOD_JOB });
      const claims = await Promise.all(Array.from({ length: 6 }, (_, i) => new SqoolerLifecycle(view).claim(DISPLAY, `spooler-${i}`)));
      expect(claims.filter((claim) => claim !== undefined).map((claim) => claim!.record.id)).to.deep.equal([id]);
      const running = server.store.paths().filter((path) => path.toLowerCase().startsWith('/backend_files/running_jobs/'));
      expect(running).to.have.length(1);
      expect(running[0]).to.match(new RegExp(`-singlequdit-ada-${id}\\.json$`));
      expect(await files.list(`Backend_files/Queued_Jobs/${DISPLAY}`)).to.deep.equal([]);
      expect(await files.list(`Backend_files/Qspool/Leases/${DISPLAY}`)).to.have.length(1);
      // The move alone, without leases in front of it: one of six concurrent moves of a document wins.
      await files.upload('x', 'doc', { n: 1 });
      const moves = await Promise.all(Array.from({ length: 6 }, () => files.move({ path: 'x', name: 'doc' }, { path: 'y', name: 'doc' })));
      expect(moves.filter(Boolean)).to.have.length(1);
      expect(await files.get('y', 'doc')).to.deep.equal({ n: 1 });
    } finally {
      await index.close();
      await server.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
