// The qlued drop-in, end to end, for each provider with a sqooler layout: the provider registered with
// `--layout sqooler`, a spooler that speaks only sqooler's layout (./sqooler-double.ts) on it, and a client on qlued's
// /api/v2. The job the client posts is stored exactly as qlued's post_job leaves it; the spooler takes it with a plain
// move; the client reads "finished".
import { expect } from 'chai';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../../config/logger.ts';
import { registryFor } from '../../scripts/runtime.ts';
import type { ProviderRegistry } from '../../storage/registry/index.ts';
import { startDropboxApiServer } from '../dropbox-api-server/index.ts';
import { GOOD_JOB, eventually, startHarness, type Harness } from '../native-api/harness.ts';
import { SECRET_KEY } from '../support/lab-provider.ts';
import { backendConfiguration, resultFromDict } from '../support/qiskit-parsers.ts';
import { postJson, request } from '../support/system.ts';
import { SqoolerDouble } from './sqooler-double.ts';

const BACKEND = 'lab1_singlequdit_simulator';

/** One provider type: where its sqooler documents are, and how the test looks at them. */
interface Lab {
  login: Record<string, unknown>;
  double: SqoolerDouble;
  /** The one document in a folder whose name matches, with its name. */
  find(folder: string, name: RegExp): Promise<{ name: string; document: unknown }>;
  /** sqooler's names for a job's documents and the id sqooler knows it by, as patterns. */
  names(id: string): { job: RegExp; status: RegExp; sqoolerId: RegExp };
  folders: { queued: string; status: string; finished: string; deleted: string };
  stop(): Promise<void>;
}

async function localLab(): Promise<Lab> {
  const dir = await mkdtemp(join(tmpdir(), 'qspool-sqooler-'));
  return {
    login: { base_path: dir },
    double: SqoolerDouble.local(dir),
    async find(folder, name) {
      const matches = (await readdir(join(dir, folder))).filter((file) => name.test(file.replace(/\.json$/, '')));
      expect(matches, `${folder}: ${name}`).to.have.length(1);
      return { name: matches[0]!.replace(/\.json$/, ''), document: JSON.parse(await readFile(join(dir, folder, matches[0]!), 'utf8')) as unknown };
    },
    names: (id) => ({ job: new RegExp(`^${id}$`), status: new RegExp(`^${id}$`), sqoolerId: new RegExp(`^${id}$`) }),
    folders: { queued: 'jobs/queued/singlequdit', status: 'status/singlequdit', finished: 'jobs/finished/singlequdit', deleted: 'jobs/deleted' },
    stop: () => rm(dir, { recursive: true, force: true }),
  };
}

async function dropboxLab(): Promise<Lab> {
  const server = await startDropboxApiServer();
  // create_job_id's form: <YYYYmmdd_HHMMSS>-<display>-<username>-<suffix>; the username is read back at split("-")[2].
  const sqoolerId = (id: string) => `\\d{8}_\\d{6}-singlequdit-ada-${id}`;
  return {
    login: { app_key: server.tokens.clientId, app_secret: server.tokens.clientSecret, refresh_token: server.tokens.refreshToken, api_base_url: server.url },
    double: SqoolerDouble.dropbox(server),
    async find(folder, name) {
      const prefix = `/${folder}/`.toLowerCase();
      const matches = server.store.paths().filter((path) => path.toLowerCase().startsWith(prefix) && name.test(path.slice(prefix.length).replace(/\.json$/, '')));
      expect(matches, `${folder}: ${name}`).to.have.length(1);
      return { name: matches[0]!.slice(prefix.length).replace(/\.json$/, ''), document: JSON.parse(server.store.fileContent(matches[0]!)!.toString('utf8')) as unknown };
    },
    names: (id) => ({ job: new RegExp(`^job-${sqoolerId(id)}$`), status: new RegExp(`^status-${sqoolerId(id)}$`), sqoolerId: new RegExp(`^${sqoolerId(id)}$`) }),
    folders: {
      queued: 'Backend_files/Queued_Jobs/singlequdit',
      status: 'Backend_files/Status/singlequdit/None',
      finished: 'Backend_files/Finished_Jobs/singlequdit/ada',
      deleted: 'Backend_files/Deleted_Jobs',
    },
    stop: () => server.close(),
  };
}

for (const [type, makeLab] of [['local', localLab], ['dropbox', dropboxLab]] as const) {
  describe(`a sqooler-layout ${type} provider served to qlued clients, with a sqooler spooler on it`, function () {
    this.timeout(60_000);
    let h: Harness;
    let lab: Lab;
    let registry: ProviderRegistry;
    let ada: string;
    let bob: string;

    before(async () => {
      h = await startHarness({ QSPOOL_SECRET_KEY: SECRET_KEY, LOG_LEVEL: 'silent' });
      lab = await makeLab();
      registry = registryFor({ config: h.config, logger: createLogger('silent'), storage: h.storage });
      await registry.add({ name: 'lab1', type, login: lab.login, layout: 'sqooler' });
      await lab.double.publishConfig();
      [ada, bob] = [await h.user('ada'), await h.user('bob')];
    });
    after(async () => {
      await lab.double.stop();
      await registry.close();
      await h.stop();
      await lab.stop();
    });

    const v2 = (call: string, query = '') => `${h.url}/api/v2/${BACKEND}/${call}${query}`;
    const post = (job: unknown, token = ada) => postJson(v2('post_job'), { job: JSON.stringify(job), token });
    const status = (id: string, token = ada) => request(v2('get_job_status', `?job_id=${id}&token=${token}`));

    it('lists the backend whose config the sqooler spooler published, not operational before it looks at its queue', async () => {
      expect(await registry.summary('lab1')).to.include({ layout: 'sqooler', type });
      const names = ((await request(`${h.url}/api/v2/backends`)).body as { backend_name: string }[]).map((b) => b.backend_name);
      expect(names).to.include(BACKEND);
      const config = (await request(v2('get_config'))).body as Record<string, unknown>;
      expect(config).to.include({ backend_name: BACKEND, display_name: 'singlequdit', n_qubits: 1 });
      backendConfiguration(config, BACKEND);
      expect((await request(v2('get_backend_status'))).body).to.deep.equal({
        backend_name: BACKEND,
        backend_version: '0.3',
        operational: false,
        pending_jobs: 0,
        status_msg: 'No spooler has checked the queue recently.',
      });
    });

    it('stores a posted job as qlued does: the client\'s payload in the queue and sqooler\'s INITIALIZING status', async () => {
      const posted = await post(GOOD_JOB);
      expect(posted.status).to.equal(200);
      const id = (posted.body as { job_id: string }).job_id;
      const names = lab.names(id);
      expect((await lab.find(lab.folders.queued, names.job)).document).to.deep.equal(GOOD_JOB);
      const stored = (await lab.find(lab.folders.status, names.status)).document as Record<string, string>;
      expect(stored).to.include({ status: 'INITIALIZING', detail: 'Got your json.', error_message: 'None' });
      expect(stored.job_id).to.match(names.sqoolerId);
      expect((await status(id)).body).to.include({ job_id: id, status: 'QUEUED' });
      expect(((await request(v2('get_backend_status'))).body as { pending_jobs: number }).pending_jobs).to.equal(1);
      // Another user's job answers like an unknown id (qlued's missing status file).
      const foreign = await status(id, bob);
      expect([foreign.status, foreign.body]).to.deep.equal([406, { job_id: id, status: 'ERROR', detail: 'Could not find the status file.', error_message: `Missing status file for ${id}.` }]);
      // A sqooler spooler cannot be stopped once it has listed the queue, so jobs there cannot be cancelled.
      expect((await h.call('POST', `/jobs/${id}/cancel`, { token: ada })).status).to.equal(409);
    });

    it('serves the result the sqooler spooler wrote as "finished", and the backend as operational', async () => {
      const id = ((await post(GOOD_JOB)).body as { job_id: string }).job_id;
      lab.double.start();
      const done = await eventually(async () => {
        const answer = (await status(id)).body as { status: string };
        return answer.status === 'DONE' ? answer : undefined;
      });
      expect(done.status).to.equal('DONE');
      expect((await lab.find(lab.folders.finished, lab.names(id).job)).document).to.deep.equal(GOOD_JOB);
      const result = (await request(v2('get_job_result', `?job_id=${id}&token=${ada}`))).body as Record<string, unknown>;
      expect(result).to.include({ status: 'finished', backend_name: BACKEND, success: true });
      resultFromDict(result, `get_job_result ${id}`);
      expect(result.results).to.have.length(1).and.to.have.nested.property('[0].data.memory').with.length(10);
      expect(((await request(v2('get_backend_status'))).body as { operational: boolean }).operational).to.equal(true);
      // The native API lists it among ada's jobs, on its provider.
      const listed = (await h.call('GET', '/jobs', { token: ada })).body as { jobs: { id: string; provider?: string; status: string }[] };
      expect(listed.jobs.find((job) => job.id === id)).to.include({ provider: 'lab1', status: 'DONE' });
    });

    if (type === 'dropbox') {
      it('refuses jobs from users whose names sqooler would misread out of the job id (split at "-")', async () => {
        const ann = await h.user('ann-lee');
        expect((await post(GOOD_JOB, ann)).status).to.equal(400);
        expect(((await h.call('GET', '/jobs', { token: ann })).body as { jobs: unknown[] }).jobs).to.deep.equal([]);
      });
    }

    it('answers a job the sqooler spooler refused with its ERROR status', async () => {
      const bad = { experiment_0: { ...GOOD_JOB.experiment_0, instructions: [['load', [0], [50]], ['rlz2', [0], [1]], ['measure', [0], []]] } };
      const id = ((await post(bad)).body as { job_id: string }).job_id;
      const failed = await eventually(async () => {
        const answer = await status(id);
        return answer.status === 406 ? (answer.body as { status: string; detail: string }) : undefined;
      });
      expect(failed.status).to.equal('ERROR');
      expect(failed.detail).to.include('Instruction rlz2 not allowed');
      expect((await lab.find(lab.folders.deleted, lab.names(id).job)).document).to.deep.equal(bad);
    });
  });
}

describe('registering the sqooler layout', () => {
  it('refuses it for S3 (sqooler has no S3 provider), with a place sqooler\'s providers lack, and unknown layouts', async () => {
    const h = await startHarness({ QSPOOL_SECRET_KEY: SECRET_KEY, LOG_LEVEL: 'silent' });
    const registry = registryFor({ config: h.config, logger: createLogger('silent'), storage: h.storage });
    try {
      const refused = [
        { type: 's3', login: { region: 'eu-1', bucket: 'lab', access_key_id: 'k', secret_access_key: 's' }, layout: 'sqooler' },
        { type: 'mongodb', login: { mongodb_database_url: 'db.example.org', mongodb_username: 'lab', mongodb_password: 'x', database: 'lab' }, layout: 'sqooler' },
        { type: 'dropbox', login: { app_key: 'k', refresh_token: 't', base_path: '/lab' }, layout: 'sqooler' },
        { type: 'local', login: { base_path: '/srv/lab' }, layout: 'flat' },
      ];
      for (const entry of refused) {
        await registry.add({ name: 'lab2', ...entry }).then(
          () => expect.fail(`registered ${JSON.stringify(entry)}`),
          (error: unknown) => expect(error).to.have.property('code', 'invalid_key'),
        );
      }
    } finally {
      await registry.close();
      await h.stop();
    }
  });
});
