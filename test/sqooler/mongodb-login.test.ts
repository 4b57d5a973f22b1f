// A sqooler-layout MongoDB provider connects with qlued's login dict as sqooler's MongodbCore does: it pastes the
// username and password into `mongodb+srv://{user}:{password}@{url}` unchanged, and pymongo reads them with
// unquote_plus. So a login whose password holds `@` holds it percent-encoded (`%40`), and qspool must log in with the
// same password, not with the escape itself. Nothing connects here: the driver parses the URI when the client is made.
import { expect } from 'chai';
import type { MongoClient } from 'mongodb';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalProvider } from '../../storage/local/index.ts';
import { ProviderRegistry } from '../../storage/registry/index.ts';
import { SqoolerView } from '../../storage/sqooler/view.ts';

const KEY = 'a-test-secret-key-of-some-length';

describe('a sqooler-layout MongoDB provider\'s login', () => {
  let dir: string;
  let registry: ProviderRegistry;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'qspool-sqooler-mongo-login-'));
    registry = new ProviderRegistry(new LocalProvider({ root: dir, fsync: false }), 'alqor', { base_path: dir }, KEY);
  });
  after(async () => {
    await registry.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** The credentials the driver will log in with, as it parsed them from the provider's URI. */
  const credentials = async (name: string, login: Record<string, string>) => {
    await registry.add({ name, type: 'mongodb', login: { mongodb_database_url: 'cluster0.example.net', ...login }, layout: 'sqooler' });
    const view = await registry.open(name);
    expect(view).to.be.instanceOf(SqoolerView);
    const { client } = (view as SqoolerView).documents as unknown as { client: MongoClient };
    const { username, password } = client.options.credentials!;
    return { username, password };
  };

  it('logs in with the username and password pymongo reads from sqooler\'s URI', async () => {
    expect(await credentials('lab1', { mongodb_username: 'lab%2Bone', mongodb_password: 'p%40ss%3Aw+rd' })).to.deep.equal({ username: 'lab+one', password: 'p@ss:w rd' });
  });

  it('takes plain ones as they are', async () => {
    expect(await credentials('lab2', { mongodb_username: 'lab', mongodb_password: 'S3cret_-.~' })).to.deep.equal({ username: 'lab', password: 'S3cret_-.~' });
  });
});
