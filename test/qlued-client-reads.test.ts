// What qiskit-cold-atom reads of each qlued answer (reference/qlued-api.md §2, "What it reads from each answer"),
// checked on every backend and on the error answers of get_job_status, with the parsers of ./support/qiskit-parsers.ts.
import { expect } from 'chai';
import { backendConfiguration, providerBackendType } from './support/qiskit-parsers.ts';
import { qiskitLikeClient } from './support/qiskit-like-client.ts';
import { postJson, request, startSystem, type TestSystem } from './support/system.ts';

const JOB = { experiment_0: { instructions: [['rlx', [0], [3.14]], ['measure', [0], []]], shots: 2, num_wires: 1, wire_order: 'interleaved' } };

describe('qlued API: every answer qiskit-cold-atom reads, read as it reads them', function () {
  this.timeout(30_000);
  let system: TestSystem;
  let v2: string;
  before(async () => {
    system = await startSystem();
    v2 = `${system.url}/api/v2`;
  });
  after(async () => system.stop());

  it('lists and configures every backend as a BackendConfiguration the provider keeps, under either name', async () => {
    const list = (await request(`${v2}/backends`)).body as Record<string, unknown>[];
    expect(list.map((config) => config.display_name)).to.have.members(system.config.QSPOOL_BACKENDS.split(','));
    for (const listed of list) {
      for (const name of [listed.backend_name, listed.display_name]) {
        const config = (await request(`${v2}/${String(name)}/get_config?username=demo&token=${system.token}`)).body as Record<string, unknown>;
        providerBackendType(config, String(name));
        backendConfiguration(config, String(name));
        expect(config.backend_name, String(name)).to.equal(listed.backend_name);
      }
    }
  });

  it('refuses a config the real client would fail on (the parsers are not vacuous)', async () => {
    const config = (await request(`${v2}/fermions/get_config`)).body as { gates: Record<string, unknown>[] } & Record<string, unknown>;
    const gate = config.gates[0]!;
    const broken: Record<string, unknown>[] = [
      { ...config, max_shots: undefined },
      { ...config, gates: [{ ...gate, coupling_map: [] }] },
      { ...config, gates: [{ ...gate, parameter_ranges: [] }] },
      { ...config, supported_instructions: [] },
      { ...config, wire_order: 'zigzag' },
    ].map((c) => JSON.parse(JSON.stringify(c)) as Record<string, unknown>);
    for (const c of broken) expect(() => backendConfiguration(c, 'broken'), JSON.stringify(c).slice(0, 80)).to.throw(/qiskit-cold-atom fails/);
    expect(() => providerBackendType({ ...config, cold_atom_type: 'qubit' }, 'broken')).to.throw(/backend skipped/);
  });

  it('answers status() for a job it cannot see with a status dict the client maps to ERROR, never a shape it trips on', async () => {
    const posted = await postJson(`${v2}/singlequdit/post_job`, { job: JSON.stringify(JOB), username: 'demo', token: system.token });
    const id = (posted.body as { job_id: string }).job_id;
    const own = qiskitLikeClient(`${v2}/alqor_singlequdit_simulator`, 'demo', system.token);
    expect(['INITIALIZING', 'QUEUED', 'RUNNING', 'DONE']).to.include(await own.status(id));
    expect(await own.status('0'.repeat(24))).to.equal('ERROR');
    expect(await own.status('20230429_084359-rydberg-fred-385ed')).to.equal('ERROR');
    expect(await qiskitLikeClient(`${v2}/alqor_fermions_simulator`, 'demo', system.token).status(id)).to.equal('ERROR');
    expect(await qiskitLikeClient(`${v2}/nosuch`, 'demo', system.token).status(id)).to.equal('ERROR');
    expect(await qiskitLikeClient(`${v2}/singlequdit`, 'demo', 'DUMMY').status(id)).to.equal('ERROR');
    expect(await qiskitLikeClient(`${v2}/singlequdit`, 'eve', await system.user('eve')).status(id)).to.equal('ERROR');
  });

  it('gives error_message() None, as qlued does: its legacy `json` query names no job_id', async () => {
    const posted = await postJson(`${v2}/singlequdit/post_job`, { job: JSON.stringify(JOB), username: 'demo', token: system.token });
    const id = (posted.body as { job_id: string }).job_id;
    expect(await qiskitLikeClient(`${v2}/singlequdit`, 'demo', system.token).errorMessage(id)).to.equal(null);
  });
});
