// The Idempotency-Key header as sent: a key that is there but empty or blank, or sent twice, is refused (422) rather
// than read as no key (a submission the client meant to be idempotent made a new job each time) or as the two values
// joined ("a, b").
import { expect } from 'chai';
import { request } from 'node:http';
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
});
