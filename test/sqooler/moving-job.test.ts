// A job read while it moves: sqooler's MongoDB provider moves a document by deleting it from one collection, then
// inserting it into the next, so for a round trip the job is in no place at all, and any store's move can pass a place
// just after the server read it. The server must still find the job (it has a status), not answer that it is unknown.
import { expect } from 'chai';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StorageProvider } from '../../storage/contract.ts';
import { createProvider } from '../../storage/factory.ts';
import { type SqoolerDocuments, initialStatus } from '../../storage/sqooler/layout.ts';
import { localPaths } from '../../storage/sqooler/paths.ts';
import { SqoolerView } from '../../storage/sqooler/view.ts';

const ID = '31a0bbda84ac401489a05c7a';
const PAYLOAD = { experiment_0: { instructions: [], shots: 1, num_wires: 1, wire_order: 'interleaved' } };

/** sqooler's queued-to-running move in flight: gone from the queue, in the running folder only after the first look there. */
function movingJob(): SqoolerDocuments {
  let runningLooks = 0;
  const documents: Partial<SqoolerDocuments> = {
    type: 'moving',
    async get(path, name) {
      if (name !== ID) return undefined;
      if (path === 'status/singlequdit') return initialStatus(ID);
      if (path === 'jobs/running') return (runningLooks += 1) > 1 ? PAYLOAD : undefined;
      return undefined;
    },
    close: async () => undefined,
  };
  return documents as SqoolerDocuments;
}

describe('a sqooler job read while a spooler moves it', () => {
  let work: string;
  let primary: StorageProvider;

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'qspool-sqooler-moving-'));
    primary = await createProvider({ type: 'local', root: work, fsync: false });
  });
  after(async () => {
    await primary.close();
    await rm(work, { recursive: true, force: true });
  });

  it('is found where the move put it', async () => {
    const view = new SqoolerView(movingJob(), localPaths, { storage: primary, provider: 'lab3' });
    const record = await view.record('singlequdit', ID);
    expect(record).to.include({ id: ID, state: 'RUNNING' });
    expect(record!.payload).to.deep.equal(PAYLOAD);
  });
});
