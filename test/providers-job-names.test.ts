// Jobs on a registered storage provider are shown under the name they were submitted to: the lab's
// `lab1_singlequdit_simulator` and the server's own `singlequdit` are one display name, and only the full name tells
// their jobs apart, in the native API (`backend_name`), `qspool job submit|status|list` and `qspool dead-letter`.
import { expect } from 'chai';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runDeadLetterList, runDeadLetterShow } from '../scripts/commands/dead-letter.ts';
import { runJobList, runJobStatus, runJobSubmit } from '../scripts/commands/job.ts';
import type { StorageProvider } from '../storage/contract.ts';
import { ns } from '../storage/records.ts';
import { GOOD_JOB, startHarness, type Harness } from './native-api/harness.ts';
import { runCommand } from './support/command-output.ts';
import { deadLetterQueued, SECRET_KEY, startLabProvider, type LabProvider } from './support/lab-provider.ts';
import { postJson } from './support/system.ts';

const LAB_BACKEND = 'lab1_singlequdit_simulator';
const CLI_ENV = ['QSPOOL_URL', 'QSPOOL_TOKEN', 'QSPOOL_CONFIG'] as const;

interface JobView {
  id: string;
  backend: string;
  backend_name: string | null;
  provider?: string;
}

describe('jobs on a registered provider, named as submitted', function () {
  this.timeout(60_000);
  let h: Harness;
  let lab: LabProvider;
  let ada: string;
  let dir: string;
  let jobFile: string;
  const saved = Object.fromEntries(CLI_ENV.map((key) => [key, process.env[key]]));

  before(async () => {
    h = await startHarness({ QSPOOL_SECRET_KEY: SECRET_KEY, LOG_LEVEL: 'silent' });
    lab = await startLabProvider(h.storage, h.config, 'lab1', ['singlequdit']);
    // Queued jobs stay where they were put: no spooler moves them while the test rewrites one.
    await lab.pause();
    ada = await h.user('ada');
    dir = await mkdtemp(join(tmpdir(), 'qspool-job-names-'));
    jobFile = join(dir, 'job.json');
    await writeFile(jobFile, JSON.stringify(GOOD_JOB));
    Object.assign(process.env, { QSPOOL_URL: h.url, QSPOOL_TOKEN: ada, QSPOOL_CONFIG: join(dir, 'config.json') });
  });
  after(async () => {
    for (const key of CLI_ENV) {
      if (saved[key] === undefined) delete process.env[key];
      else process.env[key] = saved[key];
    }
    await lab.stop();
    await h.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const submit = async (backend: string) => {
    const answer = await h.call('POST', `/backends/${backend}/jobs`, { token: ada, body: { payload: GOOD_JOB } });
    expect(answer.status, answer.text).to.equal(201);
    return answer.body as JobView;
  };
  const job = async (id: string) => (await h.call('GET', `/jobs/${id}`, { token: ada })).body as JobView;
  const listed = async () => ((await h.call('GET', '/jobs?limit=200', { token: ada })).body as { jobs: JobView[] }).jobs;

  it('names the backend a job was submitted to in the submission, the job and the list, through /api/v1 and v2', async () => {
    const onLab = await submit(LAB_BACKEND);
    const own = await submit('singlequdit');
    expect(onLab).to.include({ backend: 'singlequdit', provider: 'lab1', backend_name: LAB_BACKEND });
    expect(own).to.include({ backend: 'singlequdit', backend_name: 'singlequdit' }).and.not.have.property('provider');
    const posted = await postJson(`${h.url}/api/v2/${LAB_BACKEND}/post_job`, { job: JSON.stringify(GOOD_JOB), token: ada });
    const viaV2 = (posted.body as { job_id: string }).job_id;
    for (const [id, name] of [[onLab.id, LAB_BACKEND], [own.id, 'singlequdit'], [viaV2, LAB_BACKEND]] as const) {
      expect(await job(id), id).to.include({ backend_name: name });
      expect((await listed()).find((entry) => entry.id === id), id).to.include({ backend_name: name });
    }
  });

  it('shows a lab job under its full name in qspool job submit, status and list, and the server\'s own under its display name', async () => {
    const submitted = await runCommand(() => runJobSubmit(jobFile, { backend: LAB_BACKEND }));
    expect(submitted.out).to.match(new RegExp(`^Submitted job [0-9a-f]{24} on ${LAB_BACKEND}: QUEUED`));
    const id = /job ([0-9a-f]{24})/.exec(submitted.out)![1]!;
    const own = await submit('singlequdit');
    expect((await runCommand(() => runJobStatus(id, {}))).out).to.match(new RegExp(`backend\\s*│\\s*${LAB_BACKEND}\\s`));
    const rows = (await runCommand(() => runJobList({}))).out.split('\n');
    expect(rows.find((row) => row.includes(id))).to.include(` ${LAB_BACKEND} `);
    expect(rows.find((row) => row.includes(own.id))).to.match(/│ singlequdit +│/);
  });

  /** The job's document at `namespace` as qspool wrote it before it kept the full name. */
  async function forgetBackendName(storage: StorageProvider, namespace: string, id: string): Promise<void> {
    const stored = (await storage.get<{ meta: Record<string, unknown> }>(namespace, id))!.value;
    const { backendName, ...meta } = stored.meta;
    expect(backendName).to.equal(LAB_BACKEND);
    await storage.put(namespace, id, { ...stored, meta });
  }

  it('shows a lab job kept before its full name was, by display name and provider', async () => {
    const { id } = await submit(LAB_BACKEND);
    await forgetBackendName(h.storage, ns.jobIndex, id);
    await forgetBackendName(h.storage, ns.ownerIndex('ada'), id);
    await forgetBackendName(lab.storage, ns.queued('singlequdit'), id);
    expect(await job(id)).to.include({ backend: 'singlequdit', provider: 'lab1', backend_name: null });
    expect((await listed()).find((entry) => entry.id === id)).to.include({ backend_name: null });
    expect((await runCommand(() => runJobStatus(id, {}))).out).to.include('singlequdit on storage lab1');
  });

  it('shows a lab job that used up its attempts under its full name in qspool dead-letter list and show', async () => {
    const { id } = await submit(LAB_BACKEND);
    expect(await deadLetterQueued(lab.storage, 'singlequdit')).to.include(id);
    process.env.QSPOOL_TOKEN = await h.user('root', 'admin');
    const rows = (await runCommand(() => runDeadLetterList({}))).out.split('\n');
    expect(rows.find((row) => row.includes(id))).to.include(` ${LAB_BACKEND} `);
    expect((await runCommand(() => runDeadLetterShow(id, {}))).out).to.match(new RegExp(`backend\\s*│\\s*${LAB_BACKEND}\\s`));
    process.env.QSPOOL_TOKEN = ada;
  });

  it('says which full name it submitted to with qspool job submit --wait', async () => {
    await lab.resume();
    const waited = await runCommand(() => runJobSubmit(jobFile, { backend: LAB_BACKEND, wait: true }));
    expect(waited.code, waited.out).to.equal(0);
    expect(waited.out.split('\n')[0]).to.match(new RegExp(`^Submitted job [0-9a-f]{24} to ${LAB_BACKEND}$`));
  });
});
