// The server serves the backends of every active registered storage provider: a second local provider with a real
// spooler on it (the same `singlequdit` device as the server's own, so a job routed to the wrong storage would run
// anyway and only the storage itself tells the two apart). Jobs submitted through qlued v2 and the native API land
// on the lab's storage, are read back through both, stay private to their owner, and follow the provider's switch.
import { expect } from 'chai';
import type { Spooler } from '../spooler/spooler.ts';
import type { StorageProvider } from '../storage/contract.ts';
import { type JobIndexEntry, ns } from '../storage/records.ts';
import { GOOD_JOB, eventually, startHarness, type Harness } from './native-api/harness.ts';
import { startSpooler } from './notifications/support.ts';
import { SECRET_KEY, startLabProvider, type LabProvider } from './support/lab-provider.ts';
import { postJson, request } from './support/system.ts';
import { runVerify } from '../scripts/commands/verify.ts';

const LAB_BACKEND = 'lab1_singlequdit_simulator';
const STATES = ['queued', 'running', 'finished', 'deleted'] as const;

/** The state namespaces of `singlequdit` on a storage that hold the job. */
async function whereIs(storage: StorageProvider, id: string): Promise<string[]> {
  const found = await Promise.all(STATES.map(async (state) => ((await storage.get(`jobs/${state}/singlequdit`, id)) ? state : undefined)));
  return found.filter((state) => state !== undefined);
}

describe('backends and jobs on a registered storage provider', function () {
  this.timeout(60_000);
  let h: Harness;
  let lab: LabProvider;
  let primarySpooler: Spooler;
  let ada: string;
  let bob: string;
  let admin: string;

  before(async () => {
    h = await startHarness({ QSPOOL_SECRET_KEY: SECRET_KEY, LOG_LEVEL: 'silent' });
    lab = await startLabProvider(h.storage, h.config, 'lab1', ['singlequdit']);
    primarySpooler = await startSpooler(h.storage);
    [ada, bob, admin] = [await h.user('ada'), await h.user('bob'), await h.user('root', 'admin')];
  });
  after(async () => {
    await primarySpooler.stop();
    await lab.stop();
    await h.stop();
  });

  const v2 = (backend: string, call: string, query = '') => `${h.url}/api/v2/${backend}/${call}${query}`;
  const postV2 = (backend: string, token: string) => postJson(v2(backend, 'post_job'), { job: JSON.stringify(GOOD_JOB), token });
  const nativeSubmit = (backend: string, token: string) => h.call('POST', `/backends/${backend}/jobs`, { token, body: { payload: GOOD_JOB, tags: ['lab'] } });
  const jobOf = (token: string, id: string) => h.call('GET', `/jobs/${id}`, { token });
  const done = (token: string, id: string) =>
    eventually(async () => {
      const job = (await jobOf(token, id)).body as { status: string };
      return job.status === 'DONE' ? job : undefined;
    }, 30_000);
  const names = async () => ((await h.call('GET', '/backends')).body as { backends: { name: string; full_name: string }[] }).backends;
  const v2Names = async () => ((await request(`${h.url}/api/v2/backends`)).body as { backend_name: string }[]).map((b) => b.backend_name);

  it('lists the provider\'s backend as <provider>_<display>_simulator beside the server\'s own, and answers for it', async () => {
    const listed = await eventually(async () => {
      const all = await names();
      return all.some((b) => b.name === LAB_BACKEND) ? all : undefined;
    });
    const singlequdits = listed.filter((b) => b.full_name.endsWith('_singlequdit_simulator')).map((b) => [b.name, b.full_name]);
    expect(singlequdits).to.deep.equal([['singlequdit', 'alqor_singlequdit_simulator'], [LAB_BACKEND, LAB_BACKEND]]);
    expect(await v2Names()).to.include.members(['alqor_singlequdit_simulator', LAB_BACKEND]);
    const config = await request(v2(LAB_BACKEND, 'get_config'));
    expect(config.status).to.equal(200);
    expect(config.body).to.include({ backend_name: LAB_BACKEND, url: `${h.url}/api/v2/${LAB_BACKEND}/` });
    // Its live status comes from the lab's storage, where its spooler beats.
    const detail = await eventually(async () => {
      const answer = (await h.call('GET', `/backends/${LAB_BACKEND}`)).body as { status: { operational: boolean } };
      return answer.status.operational ? answer : undefined;
    });
    expect(detail).to.have.property('name', LAB_BACKEND);
    const spoolers = (await h.call('GET', '/admin/spoolers', { token: admin })).body as { backends: { backend: string; spoolers: unknown[] }[] };
    expect(spoolers.backends.find((b) => b.backend === LAB_BACKEND)?.spoolers).to.have.length(1);
    // Metrics keep the two singlequdits apart by the names the server answers to.
    const metrics = (await request(`${h.url}/metrics`)).text;
    expect(metrics).to.match(/^qspool_backend_operational\{backend="lab1_singlequdit_simulator"\} 1$/m);
    expect(metrics).to.match(/^qspool_backend_queue_depth\{backend="singlequdit"\} \d+$/m);
    expect((await h.call('GET', '/backends/lab2_singlequdit_simulator')).status).to.equal(404);
  });

  it('stores a v2 post_job on the lab\'s storage, runs it there and serves status and result through v2 and /api/v1', async () => {
    const posted = await postV2(LAB_BACKEND, ada);
    expect(posted.status, posted.text).to.equal(200);
    const id = (posted.body as { job_id: string }).job_id;
    // On the lab's storage, not the server's; the index on the server's storage says where it went.
    expect(await whereIs(lab.storage, id)).to.have.length(1);
    expect(await whereIs(h.storage, id)).to.deep.equal([]);
    expect(await h.storage.get(ns.status('singlequdit'), id)).to.equal(undefined);
    expect((await h.storage.get<JobIndexEntry>(ns.jobIndex, id))?.value).to.include({ provider: 'lab1', backend: 'singlequdit', owner: 'ada' });

    await done(ada, id);
    expect(await whereIs(lab.storage, id)).to.deep.equal(['finished']);
    expect(await lab.storage.list(ns.results('singlequdit'))).to.include(`${id}-a1`);
    const status = await request(v2(LAB_BACKEND, 'get_job_status', `?job_id=${id}&token=${ada}`));
    expect(status.body).to.include({ job_id: id, status: 'DONE' });
    const result = await request(v2(LAB_BACKEND, 'get_job_result', `?job_id=${id}&token=${ada}`));
    expect(result.body).to.include({ job_id: id, status: 'finished', backend_name: LAB_BACKEND });
    expect((await h.call('GET', `/jobs/${id}/result`, { token: ada })).body).to.deep.equal(result.body);
    expect((await jobOf(ada, id)).body).to.include({ id, backend: 'singlequdit', provider: 'lab1', owner: 'ada', status: 'DONE' });
    // Signed by the lab's spooler, whose public key it published on the lab's storage.
    expect((await request(`${h.url}/api/v1/jobs/${id}/signature`, { headers: { authorization: `Bearer ${ada}` } })).body).to.include({ valid: true });
    // The server's own singlequdit does not know the job: the name chooses the provider.
    const elsewhere = await request(v2('singlequdit', 'get_job_status', `?job_id=${id}&token=${ada}`));
    expect(elsewhere.status).to.equal(406);
  });

  it('runs a native submission on the lab, lists it with cursors among the owner\'s jobs, and hides it from others', async () => {
    const submitted = await nativeSubmit(LAB_BACKEND, ada);
    expect(submitted.status, submitted.text).to.equal(201);
    const id = (submitted.body as { id: string }).id;
    expect(submitted.body).to.include({ provider: 'lab1', backend: 'singlequdit' });
    expect(await whereIs(lab.storage, id)).to.have.length(1);
    const own = await nativeSubmit('singlequdit', ada);
    const ownId = (own.body as { id: string; provider?: string }).id;
    expect(own.body).to.not.have.property('provider');
    expect(await whereIs(h.storage, ownId)).to.have.length(1);
    expect(await whereIs(lab.storage, ownId)).to.deep.equal([]);
    await Promise.all([done(ada, id), done(ada, ownId)]);
    expect((await h.call('GET', `/jobs/${id}/result`, { token: ada })).body).to.include({ job_id: id, backend_name: LAB_BACKEND });

    // One job a page: the cursor walks across both providers' jobs in creation order.
    const seen: { id: string; provider?: string }[] = [];
    for (let cursor: string | null = ''; cursor !== null; ) {
      const page = (await h.call('GET', `/jobs?limit=1${cursor ? `&cursor=${cursor}` : ''}`, { token: ada })).body as {
        jobs: { id: string; provider?: string }[];
        next_cursor: string | null;
      };
      seen.push(...page.jobs);
      cursor = page.next_cursor;
    }
    expect(seen.slice(-2)).to.deep.equal([{ ...seen.at(-2), id, provider: 'lab1' }, seen.at(-1)]);
    expect(seen.at(-1)).to.include({ id: ownId }).and.not.have.property('provider');
    const labOnly = (await h.call('GET', `/jobs?backend=${LAB_BACKEND}`, { token: ada })).body as { jobs: { id: string }[] };
    expect(labOnly.jobs.map((job) => job.id)).to.include(id).and.not.include(ownId);
    expect(labOnly.jobs).to.have.length(2);

    // Another user: exactly the answers of an id that does not exist.
    const unknown = '0123456789abcdef01234567';
    for (const path of [`/jobs/${id}`, `/jobs/${id}/result`]) {
      const theirs = await h.call('GET', path, { token: bob });
      const none = await h.call('GET', path.replace(id, unknown), { token: bob });
      expect([theirs.status, theirs.body]).to.deep.equal([404, none.body]);
    }
    expect((await h.call('POST', `/jobs/${id}/cancel`, { token: bob })).status).to.equal(404);
    expect((await h.call('DELETE', `/jobs/${id}`, { token: bob })).status).to.equal(404);
    const v2Theirs = await request(v2(LAB_BACKEND, 'get_job_result', `?job_id=${id}&token=${bob}`));
    const v2None = await request(v2(LAB_BACKEND, 'get_job_result', `?job_id=${unknown}&token=${bob}`));
    expect(v2Theirs.status).to.equal(406);
    expect(JSON.stringify(v2Theirs.body).replaceAll(id, unknown)).to.equal(JSON.stringify(v2None.body));
    expect(((await h.call('GET', '/jobs', { token: bob })).body as { jobs: unknown[] }).jobs).to.deep.equal([]);

    // The owner deletes it: gone from the lab's storage and from the index on the server's.
    expect((await h.call('DELETE', `/jobs/${id}`, { token: ada })).status).to.equal(204);
    expect(await whereIs(lab.storage, id)).to.deep.equal([]);
    expect(await lab.storage.get(ns.status('singlequdit'), id)).to.equal(undefined);
    expect(await h.storage.get(ns.jobIndex, id)).to.equal(undefined);
    expect((await jobOf(ada, id)).status).to.equal(404);
  });

  it('verifies the signature of a lab job\'s result where the job is (`qspool verify`), and sees it altered there', async () => {
    const id = ((await nativeSubmit(LAB_BACKEND, ada)).body as { id: string }).id;
    await done(ada, id);
    /** What `qspool verify <id>` prints and its exit code, run in this process on the server's data directory. */
    const verify = async () => {
      const saved = { dir: process.env.QSPOOL_DATA_DIR, key: process.env.QSPOOL_SECRET_KEY, write: process.stdout.write };
      Object.assign(process.env, { QSPOOL_DATA_DIR: h.dataDir, QSPOOL_SECRET_KEY: SECRET_KEY });
      let out = '';
      process.stdout.write = ((chunk: string) => ((out += chunk), true)) as typeof process.stdout.write;
      process.exitCode = undefined;
      try {
        await runVerify(id, {});
      } finally {
        process.stdout.write = saved.write;
        for (const [name, value] of [['QSPOOL_DATA_DIR', saved.dir], ['QSPOOL_SECRET_KEY', saved.key]] as const) {
          if (value === undefined) delete process.env[name];
          else process.env[name] = value;
        }
      }
      const code = Number(process.exitCode ?? 0);
      process.exitCode = undefined;
      return { code, out };
    };
    const valid = await verify();
    expect(valid.code, valid.out).to.equal(0);
    expect(valid.out).to.match(new RegExp(`^job ${id} \\(lab1: singlequdit, DONE\\): signature valid`));
    const record = (await lab.storage.get<{ resultKey: string }>(ns.finished('singlequdit'), id))!.value;
    const result = (await lab.storage.get<Record<string, unknown>>(ns.results('singlequdit'), record.resultKey))!.value;
    await lab.storage.put(ns.results('singlequdit'), record.resultKey, { ...result, backend_version: 'altered' });
    const altered = await verify();
    expect(altered.code, altered.out).to.equal(1);
    expect(altered.out).to.include('signature NOT valid');
  });

  it('cancels a queued lab job on the lab\'s storage and reports its queue position', async () => {
    await lab.pause();
    const first = (await nativeSubmit(LAB_BACKEND, ada)).body as { id: string; queue_position: number };
    const second = (await nativeSubmit(LAB_BACKEND, ada)).body as { id: string; queue_position: number };
    expect([first.queue_position, second.queue_position]).to.deep.equal([1, 2]);
    const cancelled = await h.call('POST', `/jobs/${first.id}/cancel`, { token: ada });
    expect(cancelled.status, cancelled.text).to.equal(200);
    expect(await whereIs(lab.storage, first.id)).to.deep.equal(['deleted']);
    expect(((await jobOf(ada, second.id)).body as { queue_position: number }).queue_position).to.equal(1);
    await lab.resume();
    await done(ada, second.id);
  });

  it('hides a deactivated provider\'s backends and refuses jobs for them, and brings them back when reactivated', async () => {
    const off = await h.call('POST', '/admin/providers/lab1/deactivate', { token: admin });
    expect(off.body).to.deep.equal({ name: 'lab1', type: 'local', description: 'Test lab lab1', active: false, primary: false });
    const providers = (await h.call('GET', '/admin/providers', { token: admin })).body as { providers: { name: string; active: boolean }[] };
    expect(providers.providers.map((p) => [p.name, p.active])).to.deep.equal([['alqor', true], ['lab1', false]]);
    expect((await names()).map((b) => b.name)).to.include('singlequdit').and.not.include(LAB_BACKEND);
    expect(await v2Names()).to.not.include(LAB_BACKEND);

    const queuedBefore = await lab.storage.list(ns.queued('singlequdit'));
    const viaV2 = await postV2(LAB_BACKEND, ada);
    expect(viaV2.status).to.equal(409);
    expect((viaV2.body as { detail: string }).detail).to.match(/lab1 has been deactivated/);
    const viaNative = await nativeSubmit(LAB_BACKEND, ada);
    expect(viaNative.status).to.equal(409);
    expect((viaNative.body as { error: { code: string } }).error.code).to.equal('provider_inactive');
    expect(await lab.storage.list(ns.queued('singlequdit'))).to.deep.equal(queuedBefore);
    // Jobs already there stay readable.
    const earlier = ((await h.call('GET', `/jobs?backend=${LAB_BACKEND}`, { token: ada })).body as { jobs: { id: string }[] }).jobs;
    expect(earlier.length).to.be.greaterThan(0);
    expect((await h.call('GET', `/jobs/${earlier[0]!.id}/result`, { token: ada })).status).to.equal(200);
    expect((await nativeSubmit('singlequdit', ada)).status).to.equal(201);

    // `qspool storage activate lab1` (another registry on the same storage) switches it back for the server too.
    await lab.registry.setActive('lab1', true);
    expect((await names()).map((b) => b.name)).to.include(LAB_BACKEND);
    const again = await postV2(LAB_BACKEND, ada);
    expect(again.status, again.text).to.equal(200);
    const id = (again.body as { job_id: string }).job_id;
    await done(ada, id);
    expect(await whereIs(lab.storage, id)).to.deep.equal(['finished']);
  });

  it('lets the server\'s own provider be deactivated too (never removed), hiding only its backends', async () => {
    await lab.registry.setActive('alqor', false);
    expect((await names()).map((b) => b.name)).to.deep.equal([LAB_BACKEND]);
    expect((await nativeSubmit('singlequdit', ada)).status).to.equal(409);
    expect((await nativeSubmit(LAB_BACKEND, ada)).status).to.equal(201);
    const on = await h.call('POST', '/admin/providers/alqor/activate', { token: admin });
    expect(on.body).to.include({ name: 'alqor', active: true, primary: true });
    expect((await names()).map((b) => b.name)).to.include('singlequdit');
    await lab.registry.remove('alqor').then(
      () => expect.fail('the primary was removed'),
      (error: Error) => expect(error.message).to.match(/cannot be removed/),
    );
  });

  it('keeps serving everything else while a registered provider cannot be reached', async () => {
    const login = { endpoint_url: 'http://127.0.0.1:1', region: 'x', bucket: 'gone', access_key_id: 'a', secret_access_key: 'b' };
    await lab.registry.add({ name: 'dead', type: 's3', login });
    try {
      expect((await names()).map((b) => b.name)).to.include.members(['singlequdit', LAB_BACKEND]);
      expect(await v2Names()).to.include(LAB_BACKEND);
      expect((await h.call('GET', '/backends/dead_singlequdit_simulator')).status).to.equal(503);
      expect((await nativeSubmit(LAB_BACKEND, ada)).status).to.equal(201);
      expect((await h.call('GET', '/jobs', { token: ada })).status).to.equal(200);
      const tested = (await h.call('POST', '/admin/providers/dead/test', { token: admin })).body as { ok: boolean; message: string };
      expect(tested).to.include({ ok: false });
      expect(tested.message).to.match(/^the create step failed/);
    } finally {
      await lab.registry.remove('dead');
    }
  });

  it('tests the provider with the registry\'s round trip, and forgets it once removed', async () => {
    const tested = (await h.call('POST', '/admin/providers/lab1/test', { token: admin })).body as { ok: boolean; message: string };
    expect(tested).to.include({ ok: true, message: 'create, read, compare-and-swap, list, move and delete succeeded' });
    expect((await h.call('POST', '/admin/providers/nowhere/test', { token: admin })).status).to.equal(404);
    const kept = ((await h.call('GET', `/jobs?backend=${LAB_BACKEND}`, { token: ada })).body as { jobs: { id: string }[] }).jobs;
    expect(kept.length).to.be.greaterThan(0);
    await lab.pause();
    await lab.registry.remove('lab1');
    expect((await names()).map((b) => b.name)).to.not.include(LAB_BACKEND);
    expect((await h.call('GET', `/jobs/${kept[0]!.id}`, { token: ada })).status).to.equal(404);
    expect(((await h.call('GET', `/jobs?backend=${LAB_BACKEND}`, { token: ada })).body as { jobs: unknown[] }).jobs).to.deep.equal([]);
  });
});
