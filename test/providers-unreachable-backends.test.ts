// GET /api/v1/backends and GET /api/v1/admin/spoolers while a registered provider cannot be read: the backends it can
// read, and the provider named in unreachable_providers (as the job list names it). qlued's /backends keeps its exact
// wire shape: it lists what it can read and answers 200, with nothing added.
import { expect } from 'chai';
import { type HeartbeatRecord, ns } from '../storage/records.ts';
import { GOOD_JOB, startHarness, type Harness } from './native-api/harness.ts';
import { SECRET_KEY } from './support/lab-provider.ts';
import { request } from './support/system.ts';
import { unreachableLab, type UnreachableLab } from './support/unreachable-lab.ts';

interface BackendList {
  backends: { name: string }[];
  unreachable_providers: string[];
}

interface SpoolerList {
  backends: { backend: string; spoolers: { id: string }[] }[];
  unreachable_providers: string[];
}

const OWN = ['fermions', 'multiqudit', 'qubit', 'rydberg', 'singlequdit'];

describe('backend lists with a registered provider that cannot be read', function () {
  this.timeout(30_000);
  let h: Harness;
  let lab1: UnreachableLab;

  before(async () => {
    h = await startHarness({ QSPOOL_SECRET_KEY: SECRET_KEY, LOG_LEVEL: 'silent' });
    lab1 = await unreachableLab(h, 'lab1');
    const config = (await h.storage.get(ns.configs, 'singlequdit'))!.value;
    await lab1.storage.put(ns.configs, 'singlequdit', config);
    const beat: HeartbeatRecord = { spooler: 'lab1-s1', backend: 'singlequdit', host: 'lab1', pid: 1, at: new Date().toISOString(), currentJob: null };
    await lab1.storage.put(ns.heartbeats('singlequdit'), beat.spooler, beat);
  });
  after(async () => {
    await h.stop();
    await lab1.close();
  });

  const native = async () => {
    const answer = await h.call('GET', '/backends');
    expect(answer.status, answer.text).to.equal(200);
    const list = answer.body as BackendList;
    return { names: list.backends.map((backend) => backend.name), unreachable: list.unreachable_providers };
  };
  const spoolers = async () => {
    const answer = await h.call('GET', '/admin/spoolers', { token: await h.user('root', 'admin') });
    expect(answer.status, answer.text).to.equal(200);
    const list = answer.body as SpoolerList;
    const lab = list.backends.filter((backend) => backend.backend.startsWith('lab1_'));
    return { lab: lab.map((backend) => [backend.backend, backend.spoolers.map((spooler) => spooler.id)]), unreachable: list.unreachable_providers };
  };
  const qlued = async (version: string) => {
    const answer = await request(`${h.url}/api/${version}/backends`);
    expect(answer.status, answer.text).to.equal(200);
    return answer.body as { backend_name: string }[];
  };

  it('lists the backends it can read and names the provider it cannot', async () => {
    expect(await native()).to.deep.equal({ names: OWN, unreachable: ['lab1'] });
  });

  it('names the provider it cannot read among the spoolers too', async () => {
    expect(await spoolers()).to.deep.equal({ lab: [], unreachable: ['lab1'] });
  });

  it('keeps qlued\'s answer as it is: the backends it can read, nothing added', async () => {
    for (const version of ['v2', 'v3']) {
      const list = await qlued(version);
      expect(list.map((backend) => backend.backend_name)).to.deep.equal(OWN.map((name) => `alqor_${name}_simulator`));
      for (const backend of list) expect(Object.keys(backend)).to.not.include('unreachable_providers');
    }
  });

  it('still takes jobs for the server\'s own backends', async () => {
    const token = await h.user('ada');
    const answer = await h.call('POST', '/backends/singlequdit/jobs', { token, body: { payload: GOOD_JOB } });
    expect(answer.status, answer.text).to.equal(201);
  });

  it('lists the provider\'s backends again once it answers, and names none', async () => {
    await lab1.reachable();
    expect(await native()).to.deep.equal({ names: [...OWN, 'lab1_singlequdit_simulator'], unreachable: [] });
    expect((await qlued('v2')).map((backend) => backend.backend_name)).to.include('lab1_singlequdit_simulator');
    expect(await spoolers()).to.deep.equal({ lab: [['lab1_singlequdit_simulator', ['lab1-s1']]], unreachable: [] });
  });
});
