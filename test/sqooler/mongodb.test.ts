// The sqooler layout on MongoDB, against a server (MONGODB_URI or a local mongod; skipped with its reason without
// one). The documents are fixtures/done's, stored as sqooler's MongodbCore stores them: path `a/b/c` is database `a`,
// collection `b.c`, `_id` ObjectId(job id); the config under a random id in backends.configs, its
// last_queue_check a BSON date (pydantic hands pymongo a datetime).
import { expect } from 'chai';
import { MongoClient, ObjectId } from 'mongodb';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { StorageProvider } from '../../storage/contract.ts';
import { createProvider } from '../../storage/factory.ts';
import { findTestServer } from '../../storage/mongodb/test-server.ts';
import { type StatusRecord, ns } from '../../storage/records.ts';
import { SqoolerJobs } from '../../storage/sqooler/jobs.ts';
import { SqoolerLifecycle } from '../../storage/sqooler/spooler-lifecycle.ts';
import { SqoolerMongoFiles } from '../../storage/sqooler/mongodb.ts';
import { localPaths } from '../../storage/sqooler/paths.ts';
import { SqoolerView } from '../../storage/sqooler/view.ts';

const DONE = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'done');
const ID = '31a0bbda84ac401489a05c7a';
const fixture = async (...parts: string[]) => JSON.parse(await readFile(join(DONE, ...parts), 'utf8')) as Record<string, unknown>;

describe('the sqooler layout on MongoDB', function () {
  this.timeout(60_000);
  const prefix = `qspool_sqooler_${process.pid}_`;
  let client: MongoClient | undefined;
  let stop: (() => Promise<void>) | undefined;
  let work: string;
  let primary: StorageProvider;
  let view: SqoolerView;

  before(async function () {
    const server = await findTestServer();
    if ('skip' in server) {
      console.log(server.skip);
      this.skip();
      return;
    }
    stop = server.stop;
    client = new MongoClient(server.uri);
    const config = await fixture('backends', 'configs', 'singlequdit.json');
    const payload = config.payload as Record<string, unknown>;
    await client.db(`${prefix}backends`).collection('configs').insertOne({ ...config, payload: { ...payload, last_queue_check: new Date(payload.last_queue_check as string) }, _id: new ObjectId() });
    await client.db(`${prefix}jobs`).collection('finished.singlequdit').insertOne({ ...(await fixture('jobs', 'finished', 'singlequdit', `${ID}.json`)), _id: new ObjectId(ID) });
    await client.db(`${prefix}results`).collection('singlequdit').insertOne({ ...(await fixture('results', 'singlequdit', `${ID}.json`)), _id: new ObjectId(ID) });
    await client.db(`${prefix}status`).collection('singlequdit').insertOne({ ...(await fixture('status', 'singlequdit', `${ID}.json`)), _id: new ObjectId(ID) });
    work = await mkdtemp(join(tmpdir(), 'qspool-sqooler-mongo-'));
    primary = await createProvider({ type: 'local', root: work, fsync: false });
    view = new SqoolerView(new SqoolerMongoFiles(client, prefix), localPaths, { storage: primary, provider: 'lab3' });
  });
  after(async () => {
    if (!client) return;
    for (const database of ['backends', 'jobs', 'results', 'status', 'qspool']) await client.db(`${prefix}${database}`).dropDatabase();
    await client.close();
    await primary.close();
    await rm(work, { recursive: true, force: true });
    await stop?.();
  });

  it('keeps public keys as sqooler does: under a random _id, found and replaced by their kid', async () => {
    const files = new SqoolerMongoFiles(client!, prefix);
    const kid = 'singlequdit-0123456789abcdef';
    const at = localPaths.publicKey(kid);
    for (const x of ['first', 'second']) await files.replace(at.path, at.name, { kid, kty: 'OKP', crv: 'Ed25519', x });
    const stored = await client!.db(`${prefix}backends`).collection('public_keys').find({ kid }).toArray();
    expect(stored).to.have.length(1);
    expect(stored[0]!._id).to.be.instanceOf(ObjectId);
    expect(await files.get(at.path, at.name)).to.deep.equal({ kid, kty: 'OKP', crv: 'Ed25519', x: 'second' });
  });

  it('finds the backend by its config\'s display_name and its heartbeat in last_queue_check', async () => {
    expect(await view.list('configs')).to.deep.equal(['singlequdit']);
    expect((await view.get<Record<string, unknown>>('configs', 'singlequdit'))!.value).to.include({ display_name: 'singlequdit', sign: true });
    expect(await view.list('heartbeats/singlequdit')).to.deep.equal(['sqooler']);
  });

  it('reads the finished job, its status and its result by ObjectId', async () => {
    expect(await view.list('jobs/finished/singlequdit')).to.deep.equal([ID]);
    expect((await view.get<StatusRecord>('status/singlequdit', ID))!.value).to.include({ status: 'DONE' });
    expect((await view.get<Record<string, unknown>>('results/singlequdit', ID))!.value).to.include({ status: 'finished', job_id: ID, backend_name: 'lab3_singlequdit_simulator' });
  });

  it('writes a posted job as sqooler\'s upload_job and upload_status do, with the job id as ObjectId', async () => {
    const payload = await fixture('jobs', 'finished', 'singlequdit', `${ID}.json`);
    const record = await new SqoolerJobs(view).enqueue({ backend: 'singlequdit', owner: 'ada', payload });
    const queued = await client!.db(`${prefix}jobs`).collection('queued.singlequdit').findOne({ _id: new ObjectId(record.id) });
    expect(queued).to.deep.equal({ ...payload, _id: new ObjectId(record.id) });
    const status = await client!.db(`${prefix}status`).collection('singlequdit').findOne({ _id: new ObjectId(record.id) });
    expect(status).to.deep.equal({ job_id: record.id, status: 'INITIALIZING', detail: 'Got your json.', error_message: 'None', _id: new ObjectId(record.id) });
    expect(await primary.get(ns.jobIndex, record.id)).to.have.nested.property('value.owner', 'ada');
  });

  it('lets qspool\'s spooler claim a queued job once (insert under its unique _id) and finish it where sqooler would', async () => {
    const payload = await fixture('jobs', 'finished', 'singlequdit', `${ID}.json`);
    const { id } = await new SqoolerJobs(view).enqueue({ backend: 'fermions', owner: 'ada', payload });
    const claims = await Promise.all(Array.from({ length: 6 }, (_, i) => new SqoolerLifecycle(view).claim('fermions', `spooler-${i}`)));
    const won = claims.filter((claim) => claim !== undefined);
    expect(won.map((claim) => claim!.record.id)).to.deep.equal([id]);
    await new SqoolerLifecycle(view).completeAndClaim(won[0]!, { result: { display_name: 'fermions', success: true, results: [] } });
    const jobs = client!.db(`${prefix}jobs`);
    expect(await jobs.collection('queued.fermions').countDocuments({ _id: new ObjectId(id) })).to.equal(0);
    expect(await jobs.collection('running').countDocuments({ _id: new ObjectId(id) })).to.equal(0);
    expect(await jobs.collection('finished.fermions').findOne({ _id: new ObjectId(id) })).to.deep.equal({ ...payload, _id: new ObjectId(id) });
    expect(await client!.db(`${prefix}status`).collection('fermions').findOne({ _id: new ObjectId(id) })).to.include({ status: 'DONE', job_id: id });
    expect(await client!.db(`${prefix}results`).collection('fermions').findOne({ _id: new ObjectId(id) })).to.include({ job_id: id, success: true });
  });
});
