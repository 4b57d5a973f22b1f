// qspool's own spooler serving a sqooler-layout provider, end to end: started as `qspool spooler --storage lab1`
// starts it (startSpoolers on the registered provider), it publishes sqooler's config document and stamps its
// `last_queue_check`, claims jobs posted through /api/v2 from sqooler's queue folder, and leaves sqooler's status dict,
// result and finished (or deleted) job where a sqooler spooler would; the qlued client reads "finished".
import { expect } from 'chai';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDropboxApiServer } from '../dropbox-api-server/index.ts';
import { GOOD_JOB, eventually } from '../native-api/harness.ts';
import { postJson, request } from '../support/system.ts';
import { startSpoolingSystem, type SpoolingSystem } from './spooling-system.ts';

const BACKEND = 'lab1_singlequdit_simulator';
/** sqooler's BackendConfigSchemaIn, field for field (schemes.py at ebe718e). */
const SQOOLER_CONFIG_FIELDS = [
  'description', 'version', 'display_name', 'cold_atom_type', 'gates', 'max_experiments', 'max_shots', 'simulator',
  'supported_instructions', 'num_wires', 'wire_order', 'num_species', 'pending_jobs', 'status_msg', 'last_queue_check', 'sign', 'kid',
];

interface Lab {
  login: Record<string, unknown>;
  /** A document by its path from the provider's root, without `.json`; undefined if absent. */
  read(path: string): Promise<Record<string, unknown> | undefined>;
  /** The names (without `.json`) in a folder. */
  list(folder: string): Promise<string[]>;
  /** Where sqooler keeps a job's documents, by the id the client knows. */
  at(id: string): { config: string; finished: string; deleted: string; status: string; result: string; leases: string };
  stop(): Promise<void>;
}

async function localLab(): Promise<Lab> {
  const dir = await mkdtemp(join(tmpdir(), 'qspool-sqooler-spooler-'));
  return {
    login: { base_path: dir },
    read: (path) => readFile(join(dir, `${path}.json`), 'utf8').then((text) => JSON.parse(text) as Record<string, unknown>, () => undefined),
    list: (folder) => readdir(join(dir, folder)).then((names) => names.map((name) => name.replace(/\.json$/, '')), () => []),
    at: (id) => ({
      config: 'backends/configs/singlequdit',
      finished: `jobs/finished/singlequdit/${id}`,
      deleted: `jobs/deleted/${id}`,
      status: `status/singlequdit/${id}`,
      result: `results/singlequdit/${id}`,
      leases: 'qspool/leases/singlequdit',
    }),
    stop: () => rm(dir, { recursive: true, force: true }),
  };
}

async function dropboxLab(): Promise<Lab> {
  const server = await startDropboxApiServer();
  const find = (prefix: string) => server.store.paths().filter((path) => path.toLowerCase().startsWith(`/${prefix}`.toLowerCase()));
  return {
    login: { app_key: server.tokens.clientId, app_secret: server.tokens.clientSecret, refresh_token: server.tokens.refreshToken, api_base_url: server.url },
    async read(path) {
      // Dropbox names embed the creation time; a trailing `*` stands for it.
      const [match] = path.includes('*') ? find(path.slice(0, path.indexOf('*'))).filter((p) => p.endsWith(path.slice(path.indexOf('*') + 1) + '.json')) : find(`${path}.json`);
      const content = match && server.store.fileContent(match);
      return content ? (JSON.parse(content.toString('utf8')) as Record<string, unknown>) : undefined;
    },
    list: async (folder) => find(`${folder}/`).map((path) => path.slice(folder.length + 2).replace(/\.json$/, '')),
    at: (id) => ({
      config: 'Backend_files/Config/singlequdit/config',
      finished: `Backend_files/Finished_Jobs/singlequdit/ada/job-*-singlequdit-ada-${id}`,
      deleted: `Backend_files/Deleted_Jobs/job-*-singlequdit-ada-${id}`,
      status: `Backend_files/Status/singlequdit/None/status-*-singlequdit-ada-${id}`,
      result: `Backend_files/Result/singlequdit/ada/result-*-singlequdit-ada-${id}`,
      leases: 'Backend_files/Qspool/Leases/singlequdit',
    }),
    stop: () => server.close(),
  };
}

for (const [type, makeLab] of [['local', localLab], ['dropbox', dropboxLab]] as const) {
  describe(`qspool's spooler on a sqooler-layout ${type} provider`, function () {
    this.timeout(60_000);
    let system: SpoolingSystem;
    let lab: Lab;

    before(async () => {
      // Unsigned, as the sqooler spoolers it runs beside (test/sqooler/signing.test.ts signs).
      lab = await makeLab();
      system = await startSpoolingSystem(type, lab.login, 'none');
    });
    after(async () => {
      await system.stop();
      await lab.stop();
    });

    const v2 = (call: string, query = '') => `${system.h.url}/api/v2/${BACKEND}/${call}${query}`;
    const post = async (job: unknown) => ((await postJson(v2('post_job'), { job: JSON.stringify(job), token: system.ada })).body as { job_id: string }).job_id;

    it('publishes sqooler\'s config document with a last_queue_check, and the backend reads as operational', async () => {
      const config = (await lab.read(lab.at('').config))!;
      expect(Object.keys(config)).to.deep.equal(SQOOLER_CONFIG_FIELDS);
      expect(config).to.include({ display_name: 'singlequdit', sign: false, kid: null });
      expect(config.last_queue_check).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$/);
      expect(Date.now() - Date.parse(config.last_queue_check as string)).to.be.below(60_000);
      expect((await request(v2('get_backend_status'))).body).to.include({ backend_name: BACKEND, operational: true });
    });

    it('runs a job posted through /api/v2 and leaves sqooler\'s documents: the client reads "finished"', async () => {
      const id = await post(GOOD_JOB);
      const done = await eventually(async () => {
        const answer = (await request(v2('get_job_status', `?job_id=${id}&token=${system.ada}`))).body as { status: string };
        return answer.status === 'DONE' ? answer : undefined;
      });
      expect(done).to.include({ job_id: id, status: 'DONE' });
      const result = (await request(v2('get_job_result', `?job_id=${id}&token=${system.ada}`))).body as Record<string, unknown>;
      expect(result).to.include({ status: 'finished', backend_name: BACKEND, job_id: id, success: true });
      expect(result).to.have.nested.property('results[0].data.memory').with.length(10);
      const at = lab.at(id);
      expect(await lab.read(at.finished)).to.deep.equal(GOOD_JOB);
      const status = (await lab.read(at.status))!;
      expect(status).to.include({ status: 'DONE', error_message: 'None' });
      expect(Object.keys(status)).to.deep.equal(['job_id', 'status', 'detail', 'error_message']);
      expect(status.detail).to.match(/^Got your json\.; .*Simulation done\.$/);
      const stored = (await lab.read(at.result))!;
      expect(String(stored.job_id).endsWith(id)).to.equal(true);
      // sqooler's ResultDict.status is a StatusStr: qlued refuses to serve a result stored as "finished".
      expect(stored.status).to.be.oneOf(['INITIALIZING', 'QUEUED', 'DONE', 'ERROR']);
      expect(await lab.list(lab.at(id).leases)).to.deep.equal([]);
    });

    it('ends an invalid job in the deleted folder with sqooler\'s ERROR status', async () => {
      const bad = { experiment_0: { ...GOOD_JOB.experiment_0, instructions: [['load', [0], [50]], ['warp', [0], [1]], ['measure', [0], []]] } };
      const id = await post(bad);
      const failed = await eventually(async () => {
        const answer = await request(v2('get_job_status', `?job_id=${id}&token=${system.ada}`));
        return answer.status === 406 ? (answer.body as { status: string; error_message: string }) : undefined;
      });
      expect(failed.status).to.equal('ERROR');
      expect(await lab.read(lab.at(id).deleted)).to.deep.equal(bad);
      // As with sqooler's update_in_database, the status dict follows the move to deleted.
      const status = await eventually(async () => {
        const stored = await lab.read(lab.at(id).status);
        return stored?.status === 'ERROR' ? stored : undefined;
      });
      expect(status.error_message).to.match(/warp/);
    });
  });
}
