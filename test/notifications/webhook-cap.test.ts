// A user's webhooks stay within MAX_WEBHOOKS_PER_USER when registrations arrive at once: one process lets an owner's
// registrations take turns (a burst gets exactly the room there is), and each counts again after its own write and
// withdraws when over, so replicas racing over one store never exceed the cap either.
import { expect } from 'chai';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { QuotaExceededError } from '../../schemas/errors.ts';
import { MAX_WEBHOOKS_PER_USER, WebhookStore } from '../../server/notifications/webhooks.ts';
import { LocalProvider } from '../../storage/local/index.ts';

describe('webhook cap under concurrent registrations', () => {
  let root: string;
  let storage: LocalProvider;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'qspool-hook-cap-'));
    storage = new LocalProvider({ root, fsync: false });
  });
  afterEach(async () => {
    await storage.close();
    await rm(root, { recursive: true, force: true });
  });

  const burst = (stores: WebhookStore[]) =>
    Promise.allSettled(Array.from({ length: 2 * MAX_WEBHOOKS_PER_USER }, (_, i) => stores[i % stores.length]!.create('ada', 'https://lab.example/hook', ['DONE'], null)));
  const created = (outcomes: PromiseSettledResult<unknown>[]) => {
    for (const outcome of outcomes) if (outcome.status === 'rejected') expect(outcome.reason).to.be.instanceOf(QuotaExceededError);
    return outcomes.filter((outcome) => outcome.status === 'fulfilled').length;
  };

  it('registers exactly the room there is for a burst on one server', async () => {
    const hooks = new WebhookStore(storage, 'a test secret key');
    expect(created(await burst([hooks]))).to.equal(MAX_WEBHOOKS_PER_USER);
    expect(await hooks.list('ada')).to.have.length(MAX_WEBHOOKS_PER_USER);
  });

  it('never goes past the cap with replicas racing, and fills up to it one at a time afterwards', async () => {
    const replicas = [new WebhookStore(storage, 'a test secret key'), new WebhookStore(storage, 'a test secret key')];
    const live = created(await burst(replicas));
    expect(await replicas[0]!.list('ada')).to.have.length(live);
    expect(live).to.be.at.most(MAX_WEBHOOKS_PER_USER);
    for (let n = live; n < MAX_WEBHOOKS_PER_USER; n += 1) await replicas[1]!.create('ada', 'https://lab.example/hook', ['DONE'], null);
    expect(await replicas[0]!.create('ada', 'https://lab.example/hook', ['DONE'], null).catch((error: unknown) => error)).to.be.instanceOf(QuotaExceededError);
    expect(await replicas[1]!.list('ada')).to.have.length(MAX_WEBHOOKS_PER_USER);
  });
});
