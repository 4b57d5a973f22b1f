// A body sent to a native operation that takes none (cancel, requeue, DELETE, GET) is refused with 400
// unexpected_body instead of being ignored, before anything is done and without buffering it: a declared length
// longer than an empty body is refused at once, a chunked body at its first bytes that say something. A body that says
// nothing (none, whitespace, `{}`) passes.
import { expect } from 'chai';
import { GOOD_JOB, startHarness, type Harness } from '../native-api/harness.ts';
import { send, sendRaw } from '../support/raw-http.ts';

describe('bodies sent to operations that take none', function () {
  this.timeout(60_000);
  let h: Harness;
  let port: number;
  let token: string;
  let job: string;

  const head = (method: string, path: string, lines: string[]) =>
    [`${method} /api/v1${path} HTTP/1.1`, 'Host: x', 'Connection: close', `Authorization: Bearer ${token}`, ...lines, '', ''].join('\r\n');
  const status = async () => ((await h.call('GET', `/jobs/${job}`, { token })).body as { status: string }).status;

  before(async () => {
    h = await startHarness();
    port = Number(new URL(h.url).port);
    token = await h.user('alice');
    job = ((await h.call('POST', '/backends/singlequdit/jobs', { token, body: { payload: GOOD_JOB } })).body as { id: string }).id;
  });
  after(() => h?.stop());

  it('refuses a JSON body on POST, DELETE and GET operations without one, and does nothing', async () => {
    for (const [method, path] of [['POST', `/jobs/${job}/cancel`], ['DELETE', `/jobs/${job}`], ['GET', `/jobs/${job}`], ['POST', '/users/me/email/check']] as const) {
      const reply = await send(port, { method, path: `/api/v1${path}`, headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, body: '{"force":true}' });
      expect(reply.status, `${method} ${path}`).to.equal(400);
      expect(JSON.parse(reply.text), `${method} ${path}`).to.deep.equal({
        error: { code: 'unexpected_body', message: `${method} /api/v1${path.replace(job, '{id}')} takes no request body; send it without one`, details: null },
      });
    }
    expect(await status()).to.equal('QUEUED');
  });

  it('refuses a chunked body at its first bytes and a declared one never sent at once, without waiting for either', async () => {
    const started = Date.now();
    const chunked = await sendRaw(port, head('POST', `/jobs/${job}/cancel`, ['Transfer-Encoding: chunked']) + '2\r\n{"\r\n', { hold: true });
    const declared = await sendRaw(port, head('POST', `/jobs/${job}/cancel`, ['Content-Length: 100000000']) + '{"a":', { hold: true });
    const invited = await sendRaw(port, head('POST', `/jobs/${job}/cancel`, ['Content-Length: 100000000', 'Expect: 100-continue']), { hold: true });
    expect([chunked.status, declared.status, invited.status]).to.deep.equal([400, 400, 400]);
    expect(invited.text).to.include('unexpected_body');
    expect(Date.now() - started, 'answered at once, not at the request timeout').to.be.lessThan(4000);
    expect(await status()).to.equal('QUEUED');
  });

  it('takes a body that says nothing as none: empty, whitespace or an empty JSON object', async () => {
    const chunked = await sendRaw(port, head('GET', `/jobs/${job}`, ['Transfer-Encoding: chunked']) + '0\r\n\r\n');
    expect(chunked.status).to.equal(200);
    const chunkedObject = await sendRaw(port, head('GET', `/jobs/${job}`, ['Transfer-Encoding: chunked']) + '1\r\n{\r\n3\r\n } \r\n0\r\n\r\n');
    expect(chunkedObject.status).to.equal(200);
    for (const body of ['{}', ' { }\n', '\r\n']) {
      const reply = await send(port, { method: 'GET', path: `/api/v1/jobs/${job}`, headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, body });
      expect(reply.status, JSON.stringify(body)).to.equal(200);
    }
    for (const body of ['{}{}', '[]', 'null', `{${' '.repeat(70)}}`]) {
      const reply = await send(port, { method: 'GET', path: `/api/v1/jobs/${job}`, headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, body });
      expect(reply.status, JSON.stringify(body)).to.equal(400);
    }
    const empty = await send(port, { method: 'POST', path: `/api/v1/jobs/${job}/cancel`, headers: { Authorization: `Bearer ${token}` }, body: '' });
    expect(empty.status).to.equal(200);
    expect(await status()).to.equal('CANCELLED');
  });
});
