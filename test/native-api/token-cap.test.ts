// A user's live API tokens stay within MAX_TOKENS_PER_USER when requests arrive at once: one process lets a user's
// requests take turns (a burst gets exactly the room there is), and each request counts again after writing its
// listing, before its credential exists, so replicas racing over one store never exceed the cap either.
import { expect } from 'chai';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { QuotaExceededError } from '../../schemas/errors.ts';
import { newAccountId } from '../../server/services/accounts.ts';
import { MAX_TOKENS_PER_USER, TokenStore } from '../../server/services/tokens.ts';
import { LocalProvider } from '../../storage/local/index.ts';

const ADA = { username: 'ada', accountId: newAccountId() };

describe('API token cap under concurrent requests', () => {
  let root: string;
  let storage: LocalProvider;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'qspool-token-cap-'));
    storage = new LocalProvider({ root, fsync: false });
  });
  afterEach(async () => {
    await storage.close();
    await rm(root, { recursive: true, force: true });
  });

  const burst = (stores: TokenStore[]) =>
    Promise.allSettled(Array.from({ length: 2 * MAX_TOKENS_PER_USER }, (_, i) => stores[i % stores.length]!.issue(ADA, `burst ${i}`)));
  const issued = (outcomes: PromiseSettledResult<unknown>[]) => {
    for (const outcome of outcomes) if (outcome.status === 'rejected') expect(outcome.reason).to.be.instanceOf(QuotaExceededError);
    return outcomes.filter((outcome) => outcome.status === 'fulfilled').length;
  };

  it('issues exactly the room there is to a burst on one server', async () => {
    const tokens = new TokenStore(storage);
    expect(issued(await burst([tokens]))).to.equal(MAX_TOKENS_PER_USER);
    expect(await tokens.list(ADA)).to.have.length(MAX_TOKENS_PER_USER);
  });

  it('never goes past the cap with replicas racing, and issues only tokens that work', async () => {
    const replicas = [new TokenStore(storage), new TokenStore(storage), new TokenStore(storage)];
    const outcomes = await burst(replicas);
    const listed = await replicas[0]!.list(ADA);
    expect(listed).to.have.length(issued(outcomes));
    expect(listed.length).to.be.at.most(MAX_TOKENS_PER_USER);
    for (const outcome of outcomes) if (outcome.status === 'fulfilled') expect(await replicas[1]!.owner(outcome.value.token)).to.deep.equal(ADA);
    while ((await replicas[2]!.list(ADA)).length < MAX_TOKENS_PER_USER) await replicas[2]!.issue(ADA, 'one more');
    expect(await replicas[0]!.issue(ADA, 'too many').catch((error: unknown) => error)).to.be.instanceOf(QuotaExceededError);
  });
});
