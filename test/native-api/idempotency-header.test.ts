// The Idempotency-Key header as sent: a key that is there but empty or blank, or sent twice, is refused (422) rather
// than read as no key (a submission the client meant to be idempotent made a new job each time) or as the two values
// joined ("a, b"); a key too long, or not printable ASCII, is refused too, whatever bytes carry it.
import { expect } from 'chai';
import { request } from 'node:http';
import { namesProblem, sendRaw } from '../support/raw-http.ts';
import { GOOD_JOB, harnessWithUser } from './harness.ts';

/** Sends the header values as separate header lines, which fetch would join into one. */
function submit(url: string, token: string, keys: string[]): Promise<{ status: number; body: { error?: { code: string; details: unknown } } }> {
  const body = JSON.stringify({ payload: GOOD_JOB });
  return new Promise((resolve, reject) => {
    const sent = request(
      `${url}/api/v1/backends/singlequdit/jobs`,
      { method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', 'Idempotency-Key': keys.length === 1 ? keys[0]! : keys } },
      (answer) => {
        let text = '';
        answer.on('data', (chunk: Buffer) => (text += chunk.toString()));
        answer.on('end', () => resolve({ status: answer.statusCode!, body: JSON.parse(text) as { error?: { code: string; details: unknown } } }));
      },
    );
    sent.on('error', reject);
    sent.end(body);
  });
}

describe('native API: the Idempotency-Key header as sent', function () {
  const s = harnessWithUser('ada');

  it('refuses an empty or blank key, and a key sent twice, with 422 invalid_request naming the header', async () => {
    for (const keys of [[''], ['   '], ['a', 'a'], ['a', 'b']]) {
      const answer = await submit(s.h.url, s.token, keys);
      expect([answer.status, answer.body.error?.code], JSON.stringify(keys)).to.deep.equal([422, 'invalid_request']);
      expect(answer.body.error?.details, JSON.stringify(keys)).to.have.nested.property('[0].loc').that.deep.equals(['header', 'Idempotency-Key']);
    }
    expect(await s.h.storage.list('idempotency/ada')).to.deep.equal([]);
    const first = await submit(s.h.url, s.token, ['a']);
    const again = await submit(s.h.url, s.token, ['a']);
    expect([first.status, again.status]).to.deep.equal([201, 200]);
  });

  it('refuses a key over 255 characters, or with bytes beyond printable ASCII, with 422 naming the header; keeps one of 255', async () => {
    const port = Number(new URL(s.h.url).port);
    const body = JSON.stringify({ payload: GOOD_JOB });
    const raw = (key: Buffer) =>
      sendRaw(
        port,
        Buffer.concat([
          Buffer.from(`POST /api/v1/backends/singlequdit/jobs HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${s.token}\r\nContent-Type: application/json\r\n`),
          Buffer.from('Idempotency-Key: '),
          key,
          Buffer.from(`\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`),
        ]),
        // Our side stays open until the server answers and closes: a client that half-closes may get no answer.
        { hold: true },
      );
    const hostile = ['k'.repeat(256), 'é', '☃', 'a\u00a0b', 'a\tb'];
    for (const key of hostile) {
      const answer = await raw(Buffer.from(key, 'utf8'));
      expect([answer.status, namesProblem(answer.text, true)], JSON.stringify(key)).to.deep.equal([422, true]);
      expect(answer.text, JSON.stringify(key)).to.include('Idempotency-Key');
    }
    // Bytes no HTTP header may hold are refused by the server's parser before any route: 400, named all the same.
    for (const key of ['a\u0001b', 'a\u0000b', 'a\u007fb']) {
      const answer = await raw(Buffer.from(key, 'latin1'));
      expect([answer.status, namesProblem(answer.text, true)], JSON.stringify(key)).to.deep.equal([400, true]);
    }
    expect(await s.h.storage.list('idempotency/ada')).to.have.length(1);
    const longest = 'k'.repeat(255);
    const [first, again] = [await raw(Buffer.from(longest)), await raw(Buffer.from(longest))];
    expect([first.status, again.status]).to.deep.equal([201, 200]);
    expect(JSON.parse(again.text).id).to.equal(JSON.parse(first.text).id);
  });
});
