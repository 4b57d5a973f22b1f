import { expect } from 'chai';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalProvider } from '../../storage/local/index.ts';
import { ENDED_SESSIONS_NS } from '../../storage/namespaces.ts';
import { Sessions, SWEEP_MARGIN_MS, type SessionClaims } from './sessions.ts';
import { UserService } from './users.ts';

describe('ended sessions', function () {
  let dir: string;
  let storage: LocalProvider;
  let users: UserService;
  const clock = { now: Date.UTC(2026, 0, 1) };
  const seconds = () => Math.floor(clock.now / 1000);

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'qspool-sessions-'));
    storage = new LocalProvider({ root: dir, fsync: false });
    users = new UserService(storage, { scryptLogN: 10 });
    await users.createUser('ada');
  });
  afterEach(async () => {
    await storage.close();
    await rm(dir, { recursive: true, force: true });
  });

  const session = (jti: string, ttlSeconds: number): SessionClaims => ({ sub: 'ada', jti, exp: seconds() + ttlSeconds });
  const kept = () => storage.list(ENDED_SESSIONS_NS, { limit: 1000 });

  it('forgets an ended session once its token is past its expiry and the clock margin, and keeps the others', async () => {
    const sessions = new Sessions(storage, users, () => clock.now);
    const short = session('short', 60);
    const long = session('long', 7200);
    await sessions.end(short);
    await sessions.end(long);
    expect(await kept()).to.have.length(2);
    // Expired, but a server whose clock is behind could still take it: the record stays.
    clock.now += 60_000 + SWEEP_MARGIN_MS - 1000;
    await sessions.end(long);
    expect(await kept()).to.have.length(2);
    expect((await sessions.state(short)).ended).to.equal(true);
    clock.now += 1000;
    await sessions.end(session('later', 3600));
    expect((await kept()).map((key) => key.split('-')[1])).to.deep.equal(['long', 'later']);
    expect((await sessions.state(long)).ended).to.equal(true);
  });

  it('writes nothing to end a session whose token expired long ago', async () => {
    const sessions = new Sessions(storage, users, () => clock.now);
    await sessions.end({ sub: 'ada', jti: 'old', exp: seconds() - SWEEP_MARGIN_MS / 1000 - 1 });
    expect(await kept()).to.deep.equal([]);
  });

  it('reads no document to answer again for a session while users and ended sessions are unchanged', async () => {
    const reads: string[] = [];
    const counted = new Proxy(storage, {
      get: (target, name, receiver) =>
        name === 'get' ? (namespace: string, key: string) => (reads.push(`${namespace}/${key}`), target.get(namespace, key)) : Reflect.get(target, name, receiver),
    });
    const sessions = new Sessions(counted, new UserService(counted), () => clock.now);
    const live = session('live', 600);
    await sessions.state(live);
    expect(reads).to.have.length(2);
    reads.length = 0;
    expect(await sessions.state(live)).to.deep.equal({ ended: false, user: await users.getUser('ada') });
    expect(reads).to.deep.equal([]);
  });

  it('sees a session ended through another connection to the store at the next question', async () => {
    const sessions = new Sessions(storage, users);
    const live = { sub: 'ada', jti: 'abc', exp: Math.floor(Date.now() / 1000) + 600 };
    expect(await sessions.state(live)).to.deep.equal({ ended: false, user: await users.getUser('ada') });
    const other = new LocalProvider({ root: dir, fsync: false });
    try {
      await new Sessions(other, new UserService(other)).end(live);
    } finally {
      await other.close();
    }
    expect(await sessions.state(live)).to.deep.equal({ ended: true });
  });

  it('reports a log-out as done once its record is written, even when sweeping older records fails', async () => {
    const sessions = new Sessions(storage, users, () => clock.now);
    await sessions.end(session('old', 60));
    clock.now += 60_000 + SWEEP_MARGIN_MS + 1000;
    const failingDeletes = Object.assign(Object.create(storage) as LocalProvider, {
      delete: () => Promise.reject(new Error('the store is down for deletes')),
    });
    const ended = session('now', 3600);
    await new Sessions(failingDeletes, users, () => clock.now).end(ended);
    expect((await sessions.state(ended)).ended).to.equal(true);
    // The next log-out that can delete sweeps what this one could not.
    await sessions.end(session('later', 3600));
    expect(await kept()).to.have.length(2);
  });
});
