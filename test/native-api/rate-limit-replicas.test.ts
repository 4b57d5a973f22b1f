// Rate limits across server replicas: three servers on one store share each credential's bucket, so together they
// admit what one would (within 20%), and a restarted replica finds the bucket as the others left it.
import { expect } from 'chai';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { loadConfig } from '../../config/index.ts';
import { startServer, type RunningServer } from '../../server/index.ts';
import { LocalProvider } from '../../storage/local/index.ts';

const RATE = 20;

interface Replica {
  server: RunningServer;
  storage: LocalProvider;
}

describe('rate limits across replicas', () => {
  let dataDir: string;
  let replicas: Replica[];
  const config = () =>
    loadConfig({}, { PORT: 0, QSPOOL_DATA_DIR: dataDir, QSPOOL_FSYNC: false, QSPOOL_SCRYPT_LOG_N: 10, QSPOOL_RATE_PER_SECOND: RATE, QSPOOL_RATE_BURST: RATE });
  const logger = pino({ level: 'warn' }, new Writable({ write: (_chunk, _encoding, done) => done() }));

  /** A replica as a separate process would be: its own provider on the shared data directory. */
  async function replica(): Promise<Replica> {
    const storage = new LocalProvider({ root: dataDir, fsync: false });
    return { storage, server: await startServer(storage, config(), logger) };
  }

  async function stop({ server, storage }: Replica): Promise<void> {
    await server.close();
    await storage.close();
  }

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'qspool-replicas-'));
    replicas = [await replica()];
    replicas.push(await replica(), await replica());
  });
  after(async () => {
    await Promise.all(replicas.map(stop));
    await rm(dataDir, { recursive: true, force: true });
  });

  async function status(at: Replica, token: string): Promise<number> {
    const answer = await fetch(`${at.server.url}/api/v1/users/me`, { headers: { Authorization: `Bearer ${token}` } });
    await answer.arrayBuffer();
    return answer.status;
  }

  /** Two clients per replica sending as fast as answers come (with a breather) for `ms`; counts the admitted. */
  async function hammer(token: string, ms: number): Promise<number> {
    const end = Date.now() + ms;
    let admitted = 0;
    await Promise.all([...replicas, ...replicas].map(async (at) => {
      while (Date.now() < end) {
        if ((await status(at, token)) !== 429) admitted += 1;
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    }));
    return admitted;
  }

  it('holds one credential to R per second (after its burst) across three replicas, and through a restart', async () => {
    const { token } = await replicas[0]!.server.users.ensureUserWithToken('ann');
    const start = Date.now();
    const first = await hammer(token, 3000);
    const allowed = RATE + (RATE * (Date.now() - start)) / 1000;
    expect(first, `admitted ${first} where one server allows ${allowed}`).to.be.within(0.8 * allowed, 1.2 * allowed);

    // The bucket is empty: a restarted replica does not start a fresh one.
    const emptiedAt = Date.now();
    await stop(replicas[0]!);
    replicas[0] = await replica();
    const second = await hammer(token, 2000);
    const refilled = (RATE * (Date.now() - emptiedAt)) / 1000;
    expect(second, `admitted ${second} where one server allows ${refilled}`).to.be.within(0.8 * refilled, 1.2 * refilled);
  });
});
