// The dispatching server learns of webhooks registered or deleted through another server at once: a webhook answered
// 201 by one replica gets the events recorded after that (a script registers, then submits), and a deleted one none.
import { expect } from 'chai';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebhookStore } from '../../server/notifications/webhooks.ts';
import { LocalProvider } from '../../storage/local/index.ts';

const KEY = 'a test secret key';

describe('webhooks registered through another replica', () => {
  let root: string;
  let stores: LocalProvider[];
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'qspool-hook-replicas-'));
    // Each replica opens the data directory itself, as separate processes do.
    stores = [new LocalProvider({ root, fsync: false }), new LocalProvider({ root, fsync: false })];
  });
  afterEach(async () => {
    await Promise.all(stores.map((store) => store.close()));
    await rm(root, { recursive: true, force: true });
  });

  it('are in the dispatcher\'s list for the very next event, and deleted ones are out of it', async () => {
    const [dispatching, other] = stores.map((store) => new WebhookStore(store, KEY));
    expect(await dispatching!.cachedList('ada'), 'before any registration').to.deep.equal([]);
    const hook = await other!.create('ada', 'https://lab.example/hook', ['DONE'], null);
    expect((await dispatching!.cachedList('ada')).map(({ id }) => id), 'right after the registration').to.deep.equal([hook.id]);
    await other!.delete('ada', hook.id);
    expect(await dispatching!.cachedList('ada'), 'right after the deletion').to.deep.equal([]);
  });
});
