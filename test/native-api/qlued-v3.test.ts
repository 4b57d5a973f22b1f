// qlued API v3 authentication as django-ninja's HttpBearer parses it (reference/qlued-api.md §1.5, rows 25–30):
// the scheme in any case, the key is everything after the first space; only a missing header or another scheme is
// "Unauthorized", anything else that is not a live key is "Invalid credentials!".
import { expect } from 'chai';
import { GOOD_JOB, startHarness, type Harness } from './harness.ts';

const SD = (message: string) => ({ job_id: 'None', status: 'ERROR', detail: message, error_message: message });

describe('qlued API v3: Bearer parsing', () => {
  let h: Harness;
  let token: string;
  before(async () => {
    h = await startHarness();
    token = await h.user('alice');
  });
  after(async () => h.stop());

  const post = async (authorization?: string) => {
    const response = await fetch(`${h.url}/api/v3/singlequdit/post_job`, {
      method: 'POST',
      headers: authorization === undefined ? {} : { Authorization: authorization },
      body: JSON.stringify({ payload: GOOD_JOB }),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  it('accepts the scheme in any case', async () => {
    for (const scheme of ['Bearer', 'bearer', 'BEARER']) expect((await post(`${scheme} ${token}`)).body.status).to.equal('INITIALIZING');
  });

  it('answers "Unauthorized" only without a header or for another scheme', async () => {
    for (const header of [undefined, `Token ${token}`, `Basic ${token}`, token]) {
      expect(await post(header)).to.deep.equal({ status: 401, body: { detail: 'Unauthorized' } });
    }
  });

  it('answers "Invalid credentials!" for an empty, split or unknown key', async () => {
    for (const header of ['Bearer', 'Bearer ', `Bearer ${token} extra`, `Bearer  ${token}`, 'Bearer DUMMY']) {
      expect(await post(header), JSON.stringify(header)).to.deep.equal({ status: 401, body: SD('Invalid credentials!') });
    }
  });
});
