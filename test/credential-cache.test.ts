// The server keeps who owns each API token and what each backend name means while the store's revision of their
// areas is unchanged (storage/revision-cache.ts). These checks make every change from *another* connection to the
// same store (what the CLI or a second server process does) and expect the very next request to see it, after
// requests that filled the cache.
import { expect } from 'chai';
import type { BackendConfig } from '../schemas/backend-config.ts';
import { UserService } from '../server/services/users.ts';
import { LocalProvider } from '../storage/local/index.ts';
import { ProviderRegistry } from '../storage/registry/index.ts';
import { ns } from '../storage/records.ts';
import { GOOD_JOB } from './native-api/harness.ts';
import { postJson, startSystem, type TestSystem } from './support/system.ts';

describe('cached credentials and backends', function () {
  this.timeout(30_000);
  let system: TestSystem;
  let other: LocalProvider;
  let otherUsers: UserService;

  before(async () => {
    system = await startSystem();
    other = new LocalProvider({ root: system.config.QSPOOL_DATA_DIR, fsync: false });
    otherUsers = new UserService(other, { scryptLogN: 10 });
  });
  after(async () => {
    await other.close();
    await system.stop();
  });

  const submit = (token: string, job: unknown = GOOD_JOB) =>
    postJson(`${system.url}/api/v2/singlequdit/post_job`, { job: JSON.stringify(job), token });
  const submitTwice = async (token: string) => [(await submit(token)).status, (await submit(token)).status];

  it('refuses a token at once after another process revokes it, and a user it disables', async () => {
    const token = await system.user('rita');
    expect(await submitTwice(token)).to.deep.equal([200, 200]);
    await otherUsers.setDisabled('rita', true);
    expect((await submit(token)).status).to.equal(401);
    await otherUsers.setDisabled('rita', false);
    expect(await submitTwice(token)).to.deep.equal([200, 200]);
    const rita = (await otherUsers.getUser('rita'))!;
    const [listing] = await otherUsers.tokens.list(rita);
    await otherUsers.tokens.revoke(rita, listing!.id);
    expect((await submit(token)).status).to.equal(401);
    const bearer = await fetch(`${system.url}/api/v1/users/me`, { headers: { authorization: `Bearer ${token}` } });
    expect(bearer.status).to.equal(401);
  });

  it('stops taking jobs at once when another process deactivates the provider, and takes them again', async () => {
    const registry = new ProviderRegistry(other, system.config.QSPOOL_PROVIDER_NAME, {}, undefined);
    expect(await submitTwice(system.token)).to.deep.equal([200, 200]);
    await registry.setActive(system.config.QSPOOL_PROVIDER_NAME, false);
    const refused = await submit(system.token);
    expect(refused.status).to.equal(409);
    await registry.setActive(system.config.QSPOOL_PROVIDER_NAME, true);
    expect(await submitTwice(system.token)).to.deep.equal([200, 200]);
  });

  it('checks a job against a config that another process re-published, at once', async () => {
    const published = (await other.get<BackendConfig>(ns.configs, 'singlequdit'))!;
    const tenShots = { ...GOOD_JOB, experiment_0: { ...GOOD_JOB.experiment_0, shots: 10 } };
    expect((await submit(system.token, tenShots)).status).to.equal(200);
    const fiveShots = JSON.stringify(published.value.job_schema).replace(/("shots":\{"type":"integer","minimum":1,"maximum":)\d+/, '$15');
    expect(fiveShots, 'the job schema bounds shots').to.include('"maximum":5');
    await other.put(ns.configs, 'singlequdit', { ...published.value, max_shots: 5, job_schema: JSON.parse(fiveShots) });
    try {
      const refused = await submit(system.token, tenShots);
      expect(refused.status).to.equal(406);
      expect(refused.text).to.match(/shots/);
    } finally {
      await other.put(ns.configs, 'singlequdit', published.value);
    }
    expect((await submit(system.token, tenShots)).status).to.equal(200);
  });
});
