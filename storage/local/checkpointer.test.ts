import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually } from '../../test/support/system.ts';
import { Checkpointer } from './checkpointer.ts';
import { closeStore, openStore, STORE_FILE } from './store-file.ts';

describe('local store checkpointer', function () {
  this.timeout(30_000);
  let root: string;
  beforeEach(async () => (root = await mkdtemp(join(tmpdir(), 'qspool-checkpointer-'))));
  afterEach(() => rm(root, { recursive: true, force: true }));

  // Its thread dies at start when it cannot open its connection: out of file descriptors (ERR_WORKER_INIT_FAILED,
  // EMFILE) or, as here, the store's file not there for a moment. It used to stay dead for the store's lifetime,
  // leaving every checkpoint to the committing connection's event loop at ~40 MB of WAL.
  it('starts its thread again after one could not start, once a commit asks for it', async () => {
    const path = join(root, STORE_FILE);
    const checkpointer = new Checkpointer(path);
    checkpointer.ensureRunning();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const store = openStore(root);
    try {
      const insert = store.db.prepare('INSERT INTO documents (namespace, key, version, value) VALUES (?, ?, ?, ?)');
      for (let i = 0; i < 200; i += 1) insert.run('docs', `k${i}`, 'v1', 'x'.repeat(10_000));
      const before = (await stat(path)).size;
      // What each commit does; only a checkpoint moves the 2 MB of pages from the WAL into the database file.
      await eventually(async () => {
        checkpointer.ensureRunning();
        return (await stat(path)).size > before + 1_000_000 || undefined;
      }, 10_000, 100);
    } finally {
      checkpointer.stop();
      closeStore(store);
    }
  });
});
