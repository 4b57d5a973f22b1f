// A migration writes only onto an empty store, or resumes its own interrupted run there.
import { expect } from 'chai';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConflictError } from '../../schemas/errors.ts';
import type { StorageProvider } from '../contract.ts';
import { JobLifecycle } from '../lifecycle.ts';
import { LocalProvider } from '../local/index.ts';
import { ns } from '../records.ts';
import { migrate } from './migrate.ts';
import { MigrationInterruptedError } from './migration-error.ts';

describe('storage migrate: the target', function () {
  this.timeout(30_000);
  let dir: string;
  let source: LocalProvider;
  let target: LocalProvider;
  let id: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'qspool-migrate-'));
    source = new LocalProvider({ root: join(dir, 'source'), fsync: false });
    target = new LocalProvider({ root: join(dir, 'target'), fsync: false });
    await source.put(ns.configs, 'singlequdit', { display_name: 'singlequdit' });
    id = (await new JobLifecycle(source).enqueue({ backend: 'singlequdit', owner: 'alice', payload: {} })).id;
  });
  afterEach(async () => {
    await Promise.all([source.close(), target.close()]);
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps the claim order: a later job of higher priority is still taken first', async () => {
    const urgent = (await new JobLifecycle(source).enqueue({ backend: 'singlequdit', owner: 'bob', payload: {}, meta: { priority: 9 } })).id;
    await migrate(source, target, 'm');
    const moved = new JobLifecycle(target);
    expect((await moved.claim('singlequdit', 'spooler'))?.record.id).to.equal(urgent);
    expect((await moved.claim('singlequdit', 'spooler'))?.record.id).to.equal(id);
  });

  it('refuses a second run once a server has used the copy, leaving the copy as it was', async () => {
    await migrate(source, target, 'm');
    const moved = new JobLifecycle(target);
    const claim = (await moved.claim('singlequdit', 'spooler'))!;
    await moved.complete(claim, { ok: 1 });
    const refused = await migrate(source, target, 'm').catch((error: unknown) => error);
    expect(refused).to.be.instanceOf(ConflictError).and.include({ code: 'target_not_empty' });
    expect(await target.list(ns.queued('singlequdit'))).to.deep.equal([]);
    expect(await target.list(ns.finished('singlequdit'))).to.deep.equal([id]);
  });

  it('says where a failed run stopped and that re-running resumes it, even from its very first document', async () => {
    const failing: StorageProvider = Object.create(target) as StorageProvider;
    let writes = 0;
    failing.put = async (...args) => {
      // The first write past the cursor: the first document copied.
      if (args[0] !== 'migrations' && ++writes === 2) throw new Error('connection lost');
      return target.put(...args);
    };
    const failed = await migrate(source, failing, 'm').then(() => expect.fail('should have failed'), (error: unknown) => error);
    expect(failed).to.be.instanceOf(MigrationInterruptedError);
    expect((failed as Error).message).to.match(/^Migration interrupted in events after 1 of \d+ documents: connection lost\. Nothing in the source was changed; run the same command again to resume/);
    expect((await migrate(source, target, 'm')).resumed).to.equal(true);
    expect(await target.list(ns.queued('singlequdit'))).to.deep.equal([id]);
  });
});
