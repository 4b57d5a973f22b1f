// A client may close its sending side once its request is out (a shutdown(SHUT_WR), as `nc -N`, some proxies and
// HTTP/1.0 clients do) and still wait for the answer. Node's HTTP server took that end of input as the client leaving
// and closed the connection unanswered, while the submission carried on and stored the job: the client, told nothing,
// would send it again and get a second job.
import { expect } from 'chai';
import { GOOD_JOB, startHarness, type Harness } from '../native-api/harness.ts';
import { sendRaw } from '../support/raw-http.ts';

describe('clients that half-close after sending their request', function () {
  this.timeout(60_000);
  let h: Harness;
  let port: number;
  let token: string;

  before(async () => {
    h = await startHarness();
    port = Number(new URL(h.url).port);
    token = await h.user('hal');
  });
  after(() => h?.stop());

  const post = (path: string, body: string, auth: string) =>
    [`POST ${path} HTTP/1.1`, 'Host: x', 'Content-Type: application/json', `Content-Length: ${Buffer.byteLength(body)}`, auth, '', body].join('\r\n');
  const jobCount = async () => ((await h.call('GET', '/jobs?limit=100', { token })).body as { jobs: unknown[] }).jobs.length;

  it('answers a native submission sent with the sending side closed, once, with the job it stored', async () => {
    for (let round = 0; round < 5; round += 1) {
      const before = await jobCount();
      const reply = await sendRaw(port, post('/api/v1/backends/singlequdit/jobs', JSON.stringify({ payload: GOOD_JOB }), `Authorization: Bearer ${token}`));
      expect(reply.status, `round ${round}: ${reply.text}`).to.equal(201);
      const { id } = JSON.parse(reply.text) as { id: string };
      expect((await h.call('GET', `/jobs/${id}`, { token })).status).to.equal(200);
      expect(await jobCount()).to.equal(before + 1);
    }
  });

  it('answers a qlued v2 post_job sent the same way', async () => {
    const body = JSON.stringify({ job: JSON.stringify(GOOD_JOB), token });
    const reply = await sendRaw(port, post('/api/v2/singlequdit/post_job', body, 'X-Unused: 1'));
    expect(reply.status, reply.text).to.equal(200);
    expect(JSON.parse(reply.text)).to.include({ status: 'INITIALIZING' });
  });
});
