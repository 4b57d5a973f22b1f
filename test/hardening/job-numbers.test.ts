// Numbers in job payloads at the edges of a double. A number beyond its range (1e309) was read as Infinity: refusals
// quoted it as null ("shots: null must be less than or equal to 1000000"), and JSON stores it as null. It is now
// refused where it stands, as sent, on every face and whatever the body's size. Numbers a double holds only
// approximately (1e-400, -0, more digits than 17) are taken as the double they read as: that is what the job schema
// checks, what is stored and what the simulator runs.
import { expect } from 'chai';
import { GOOD_JOB, eventually, startHarness, type Harness } from '../native-api/harness.ts';
import { ns } from '../../storage/records.ts';

interface Problem {
  type: string;
  loc: (string | number)[];
  msg: string;
}

const TOO_LARGE = '(beyond ±1.7976931348623157e308)';

/** GOOD_JOB as text with the rlx angle and the shots written as given. */
const jobText = (omega: string, shots = '10') =>
  JSON.stringify(GOOD_JOB).replace('1.5707963267948966', omega).replace('"shots":10', `"shots":${shots}`);

describe('numbers at the edges of a double in job payloads', function () {
  this.timeout(60_000);
  let h: Harness;
  let token: string;

  const post = async (path: string, body: string) => {
    const response = await fetch(`${h.url}${path}`, { method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, body });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  const problemsOf = (body: Record<string, unknown>) => (body.error as { details: Problem[] }).details;

  before(async () => {
    h = await startHarness();
    token = await h.user('alice');
  });
  after(() => h?.stop());

  it('refuses numbers beyond a double\'s range as sent, at their place, on submission and validation', async () => {
    const cases: [string, string, (string | number)[]][] = [
      [jobText('1e309'), '1e309', ['experiment_0', 'instructions', 1, 2, 0]],
      [jobText('0.5', '-1E+400'), '-1E+400', ['experiment_0', 'shots']],
      [jobText(`1${'0'.repeat(400)}`), `1${'0'.repeat(38)}…`, ['experiment_0', 'instructions', 1, 2, 0]],
    ];
    for (const [payload, shown, place] of cases) {
      for (const path of ['/api/v1/backends/singlequdit/jobs', '/api/v1/backends/singlequdit/validate']) {
        const answer = await post(path, `{"payload":${payload}}`);
        expect(answer.status, `${path} ${shown}`).to.equal(422);
        expect(problemsOf(answer.body), `${path} ${shown}`).to.deep.equal([{ type: 'number_too_large', loc: ['body', 'payload', ...place], msg: `${shown} is a number too large ${TOO_LARGE}` }]);
      }
    }
  });

  it('refuses them in bodies parsed in steps too (over 64 KiB)', async () => {
    const answer = await post('/api/v1/backends/singlequdit/jobs', `{"tags":["${'x'.repeat(10)}"],"payload":${jobText('1e309')},"priority":${' '.repeat(70_000)}1}`);
    expect(answer.status).to.equal(422);
    expect(problemsOf(answer.body)[0]).to.deep.include({ loc: ['body', 'payload', 'experiment_0', 'instructions', 1, 2, 0], msg: `1e309 is a number too large ${TOO_LARGE}` });
  });

  it('says so on qlued\'s faces: in v2\'s job text and v3\'s payload', async () => {
    const v2 = await post('/api/v2/singlequdit/post_job', JSON.stringify({ job: jobText('1e309'), token }));
    expect(v2.status).to.equal(406);
    const problem = `job.experiment_0.instructions.1.2.0: 1e309 is a number too large ${TOO_LARGE}`;
    expect(v2.body).to.include({ status: 'ERROR', error_message: problem, detail: `Invalid job: ${problem}` });
    const v3 = await post('/api/v3/singlequdit/post_job', `{"payload":${jobText('1e309')}}`);
    expect(v3.status).to.equal(422);
    expect(v3.body.detail).to.deep.equal([{ type: 'number_too_large', loc: ['body', 'payload', 'experiment_0', 'instructions', 1, 2, 0], msg: `1e309 is a number too large ${TOO_LARGE}` }]);
  });

  it('stores and runs exactly the double it checked for 1e-400, -0 and over-long digits', async () => {
    const cases: [string, number][] = [['1e-400', 0], ['-0', 0], ['0.1000000000000000055511151231257827021181583404541015625', 0.1], ['1.57079632679489661923132169163975144', Math.PI / 2]];
    const ids: string[] = [];
    for (const [sent, read] of cases) {
      const answer = await post('/api/v1/backends/singlequdit/jobs', `{"payload":${jobText(sent)}}`);
      expect(answer.status, sent).to.equal(201);
      const id = answer.body.id as string;
      ids.push(id);
      const stored = (await h.storage.get(ns.queued('singlequdit'), id))!.value as { payload: typeof GOOD_JOB };
      expect(stored.payload.experiment_0.instructions[1]![2], sent).to.deep.equal([read]);
      // What is stored is again accepted as it stands.
      expect((await post('/api/v1/backends/singlequdit/validate', JSON.stringify({ payload: stored.payload }))).body, sent).to.deep.equal({ valid: true, issues: [] });
    }
    await h.startSpoolers();
    for (const id of ids) {
      const done = await eventually(async () => {
        const job = (await h.call('GET', `/jobs/${id}`, { token })).body as { status: string };
        return ['DONE', 'ERROR'].includes(job.status) ? job.status : undefined;
      });
      expect(done, id).to.equal('DONE');
    }
  });
});
