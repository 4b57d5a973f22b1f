// Request bodies are taken uncompressed: the server inflates nothing, so a compressed body (a gzip bomb, say) is
// refused as such, 415, on both faces, before it is read; `identity` is no encoding. They are read as UTF-8, and one
// that is not is refused naming that.
import { expect } from 'chai';
import { gzipSync } from 'node:zlib';
import { GOOD_JOB, harnessWithUser } from '../native-api/harness.ts';

describe('compressed request bodies', function () {
  this.timeout(30_000);
  const system = harnessWithUser('ada');

  const post = (path: string, body: string | Uint8Array<ArrayBuffer>, encoding?: string) =>
    fetch(`${system.h.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${system.token}`, ...(encoding ? { 'content-encoding': encoding } : {}) },
      body,
    });

  it('answers 415 unsupported_content_encoding for gzip, or JSON merely labelled so, and stores nothing', async () => {
    const job = JSON.stringify({ payload: GOOD_JOB });
    for (const [body, encoding] of [[Uint8Array.from(gzipSync(job)), 'gzip'], [job, 'gzip'], [job, 'br'], [job, 'deflate, identity']] as const) {
      const answer = await post('/api/v1/backends/singlequdit/jobs', body, encoding);
      expect(answer.status, encoding).to.equal(415);
      expect(((await answer.json()) as { error: { code: string } }).error.code).to.equal('unsupported_content_encoding');
    }
    const listed = await system.h.call('GET', '/jobs', { token: system.token });
    expect((listed.body as { jobs: unknown[] }).jobs).to.deep.equal([]);
    expect((await post('/api/v1/backends/singlequdit/jobs', job, 'Identity')).status).to.equal(201);
  });

  it('refuses it on the qlued face too, with a JSON answer', async () => {
    const form = JSON.stringify({ job: JSON.stringify(GOOD_JOB), token: system.token });
    const answer = await post('/api/v2/singlequdit/post_job', Uint8Array.from(gzipSync(form)), 'gzip');
    expect(answer.status).to.equal(415);
    expect(answer.headers.get('content-type')).to.match(/^application\/json/);
  });

  it('refuses a body that is not UTF-8 naming that: 415 for the other charset it declares, 400 when it declares none', async () => {
    const latin1 = Buffer.from('{"name": "caf\xe9"}', 'latin1');
    const answers = [];
    for (const type of ['application/json; charset=latin1', 'application/json; charset=ISO-8859-1', 'application/json', 'application/json; charset=utf-8']) {
      const answer = await fetch(`${system.h.url}/api/v1/tokens`, { method: 'POST', headers: { 'content-type': type, authorization: `Bearer ${system.token}` }, body: latin1 });
      answers.push([answer.status, ((await answer.json()) as { error: { message: string } }).error.message]);
    }
    expect(answers).to.deep.equal([
      [415, 'Request bodies are read as UTF-8; charset "latin1" is not accepted'],
      [415, 'Request bodies are read as UTF-8; charset "ISO-8859-1" is not accepted'],
      [400, 'The request body is not valid UTF-8'],
      [400, 'The request body is not valid UTF-8'],
    ]);
    const listed = await system.h.call('GET', '/tokens', { token: system.token });
    expect((listed.body as { tokens: unknown[] }).tokens).to.have.length(1);
  });
});
