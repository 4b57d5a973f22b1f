// A backend's job schema is written by its lab. Its `pattern`s run on a linear-time engine: a pattern with nested
// quantifiers, which JavaScript's backtracking RegExp needs seconds to reject a 29-character string with, costs a
// submission nothing; a pattern that engine cannot run makes its backend unknown, like any config that cannot be served.
import { expect } from 'chai';
import { ns } from '../../storage/records.ts';
import { GOOD_JOB, harnessWithUser } from '../native-api/harness.ts';

describe('patterns in job schemas published by labs', function () {
  this.timeout(30_000);
  const system = harnessWithUser('ada');

  const publish = async (name: string, pattern: string) => {
    const singlequdit = (await system.h.storage.get<{ job_schema: object }>(ns.configs, 'singlequdit'))!.value;
    const wireOrder = { properties: { experiment_0: { properties: { wire_order: { type: 'string', pattern } } } } };
    await system.h.storage.put(ns.configs, name, { ...singlequdit, display_name: name, job_schema: { allOf: [singlequdit.job_schema, wireOrder] } });
  };
  const submit = (backend: string, wireOrder: string) =>
    system.h.call('POST', `/backends/${backend}/jobs`, {
      token: system.token,
      body: { payload: { experiment_0: { ...GOOD_JOB.experiment_0, wire_order: wireOrder } } },
    });

  it('checks a catastrophic pattern in time linear in the input', async () => {
    await publish('nested', '^(a+)+$');
    const started = Date.now();
    const refused = await submit('nested', `${'a'.repeat(29)}!`);
    expect(Date.now() - started).to.be.below(1_000);
    expect(refused.status, refused.text).to.equal(422);
    expect(refused.text).to.include('wire_order');
    expect((await submit('singlequdit', 'interleaved')).status).to.equal(201);
  });

  it('makes a backend whose pattern needs backtracking unknown, and says why in the log', async () => {
    await publish('lookahead', '^(?=inter)[a-z]+$');
    expect((await submit('lookahead', 'interleaved')).status).to.equal(404);
    expect(system.h.logs.some((line) => line.includes('a backend config cannot be served') && line.includes('lookahead'))).to.equal(true);
  });
});
