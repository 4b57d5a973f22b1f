// A refused request lists at most QSPOOL_MAX_PROBLEMS field problems and counts the rest: an answer listing every
// unknown field of a 2.6 MB body was 17.7 MB and held the only thread for seconds.
import { expect } from 'chai';
import { harnessWithUser } from '../native-api/harness.ts';

interface Problem {
  type: string;
  loc: string[];
  msg: string;
}

describe('field problems of a refused request', function () {
  const state = harnessWithUser('ada', { QSPOOL_MAX_PROBLEMS: 20 });

  it('lists the first 20 problems of a body and counts the others in one more', async () => {
    const body = Object.fromEntries(Array.from({ length: 50_000 }, (_, i) => [`k${i}`, i]));
    const answer = await state.h.call('POST', '/users', { body });
    expect(answer.status).to.equal(422);
    expect(answer.text.length).to.be.below(10_000);
    const details = (answer.body as { error: { details: Problem[] } }).error.details;
    expect(details).to.have.length(21);
    expect(details.slice(0, 3).map((problem) => problem.loc.join('.'))).to.deep.equal(['body.username', 'body.email', 'body.password']);
    expect(details[20]).to.deep.equal({ type: 'too_many_problems', loc: ['body'], msg: 'and 49983 more problems' });
  });

  it('does the same for unknown query parameters', async () => {
    const query = Array.from({ length: 500 }, (_, i) => `q${i}=1`).join('&');
    const answer = await state.h.call('GET', `/users/me?${query}`, { token: state.token });
    expect(answer.status).to.equal(422);
    const details = (answer.body as { error: { details: Problem[] } }).error.details;
    expect(details).to.have.length(21);
    expect(details[20]!.msg).to.equal('and 480 more problems');
  });

  it('lists every problem when there are no more than that', async () => {
    const answer = await state.h.call('POST', '/users', { body: { username: 'x' } });
    const details = (answer.body as { error: { details: Problem[] } }).error.details;
    expect(details.map((problem) => problem.type)).to.not.include('too_many_problems');
  });
});
