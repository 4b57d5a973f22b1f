// The page's log-out against a real server, run in Node: sessionStorage is a plain in-memory Storage, and the page's
// same-origin URLs are resolved against the server's (or an unreachable) address.
import { expect } from 'chai';
import { createServer } from 'node:net';
import { PASSWORD, startHarness, type Harness } from '../../test/native-api/harness.ts';
import { getSession, logOut, setSession, takeLogOutNotice } from './session.ts';
import type { UserView } from './types.ts';

class MemoryStorage {
  private readonly items = new Map<string, string>();
  get length() {
    return this.items.size;
  }
  getItem = (key: string) => this.items.get(key) ?? null;
  setItem = (key: string, value: string) => void this.items.set(key, value);
  removeItem = (key: string) => void this.items.delete(key);
  clear = () => this.items.clear();
  key = (index: number) => [...this.items.keys()][index] ?? null;
}

/** An address where nothing listens: a port taken and given back. */
async function closedOrigin(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return `http://127.0.0.1:${port}`;
}

describe('ui: logging out', function () {
  this.timeout(20_000);
  const realFetch = globalThis.fetch;
  let h: Harness;
  let origin: string;

  before(async () => {
    h = await startHarness();
    await h.user('ada');
    Object.assign(globalThis, { sessionStorage: new MemoryStorage() });
    globalThis.fetch = (input, init) => realFetch(new URL(String(input), origin), init);
  });
  after(async () => {
    globalThis.fetch = realFetch;
    Reflect.deleteProperty(globalThis, 'sessionStorage');
    await h.stop();
  });

  const signIn = async () => {
    const answer = await h.call('POST', '/auth/token', { body: { username: 'ada', password: PASSWORD } });
    const { access_token: token, expires_in: ttl } = answer.body as { access_token: string; expires_in: number };
    setSession({ token, expiresAt: Date.now() + ttl * 1000, user: { username: 'ada' } as UserView });
    return token;
  };
  const me = (token: string) => h.call('GET', '/users/me', { token });

  it('ends the token on the server, then forgets it in the tab', async () => {
    origin = h.url;
    const token = await signIn();
    await logOut();
    expect(getSession()).to.equal(undefined);
    expect(sessionStorage.length).to.equal(0);
    const refused = await me(token);
    expect([refused.status, (refused.body as { error: { code: string } }).error.code]).to.deep.equal([401, 'token_revoked']);
    expect(takeLogOutNotice()).to.equal(undefined);
  });

  it('forgets the token in the tab when the server cannot be reached', async () => {
    origin = await closedOrigin();
    const token = await signIn();
    await logOut();
    expect(getSession()).to.equal(undefined);
    expect(sessionStorage.length).to.equal(0);
    expect((await me(token)).status).to.equal(200);
    // The user is told that the token lives on, and until when; once.
    expect(takeLogOutNotice()).to.match(/server could not be told: the session's token stays valid until .+\./);
    expect(takeLogOutNotice()).to.equal(undefined);
  });

  it('tells the user when the server answers the log-out with an error', async () => {
    origin = h.url;
    const token = await signIn();
    globalThis.fetch = async (input, init) => (String(input) === '/api/v1/auth/token' ? new Response('{}', { status: 503 }) : realFetch(new URL(String(input), origin), init));
    try {
      await logOut();
    } finally {
      globalThis.fetch = (input, init) => realFetch(new URL(String(input), origin), init);
    }
    expect(getSession()).to.equal(undefined);
    expect(takeLogOutNotice()).to.include('stays valid');
    expect((await me(token)).status).to.equal(200);
  });
});
