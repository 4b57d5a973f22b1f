import { expect } from 'chai';
import { confirms, newEmailCheck, resendWaitSeconds } from './email-checks.ts';

describe('e-mail checks', () => {
  const now = Date.parse('2026-12-07T12:00:00Z');

  it('confirms with its own code, for the address it was sent to, for a day', () => {
    const { check, code } = newEmailCheck('a@example.org', now);
    expect(check).to.not.have.property('code');
    expect(JSON.stringify(check)).to.not.include(code);
    expect(confirms(check, code, 'a@example.org', now + 1000)).to.equal(true);
    expect(confirms(check, code, 'b@example.org', now + 1000)).to.equal(false);
    expect(confirms(check, newEmailCheck('a@example.org', now).code, 'a@example.org', now)).to.equal(false);
    expect(confirms(check, code, 'a@example.org', now + 24 * 3600 * 1000)).to.equal(false);
    expect(confirms(undefined, code, 'a@example.org', now)).to.equal(false);
  });

  it('lets another code go out a minute after the last', () => {
    const { check } = newEmailCheck('a@example.org', now);
    expect(resendWaitSeconds(check, now + 1)).to.equal(60);
    expect(resendWaitSeconds(check, now + 59_500)).to.equal(1);
    expect(resendWaitSeconds(check, now + 60_000)).to.equal(0);
    expect(resendWaitSeconds(undefined, now)).to.equal(0);
  });
});
