// An address a user gives themselves gets job mails only once they prove it is theirs: otherwise anyone could sign up
// with a stranger's address and have the lab's mail server send that stranger a mail per job. A real SMTP server
// receives the code; the tests read it from the mail as a user would.
import { expect } from 'chai';
import type { ParsedMail } from 'mailparser';
import { logNamespace } from '../../storage/namespaces.ts';
import type { Delivery } from '../../server/notifications/deliveries.ts';
import { GOOD_JOB, PASSWORD, startHarness, type Harness } from '../native-api/harness.ts';
import { eventually, mailsOf, startMailSystem, type MailSystem } from './support.ts';

describe('e-mail address checks', function () {
  this.timeout(30_000);
  let system: MailSystem;
  let h: Harness;

  before(async () => {
    system = await startMailSystem();
    h = system.h;
  });
  after(() => system.stop());

  const mailsTo = (address: string) => mailsOf(system.smtp, address);
  const codeIn = (mail: ParsedMail) => /verify-email\?code=([0-9a-f]{32})/.exec(mail.text ?? '')?.[1];
  const checkMail = (address: string, after = 0) =>
    eventually(async () => mailsTo(address).slice(after).find((mail) => mail.subject?.startsWith('[qspool] confirm your e-mail address')));
  /** Registers as a stranger does, through the API, and logs in with an API token. */
  async function register(username: string, email: string): Promise<string> {
    const registered = await h.call('POST', '/users', { body: { username, email, password: PASSWORD } });
    expect(registered.status, registered.text).to.equal(201);
    expect(registered.body).to.include({ email, email_verified: false });
    const login = await h.call('POST', '/auth/token', { body: { username, password: PASSWORD } });
    const created = await h.call('POST', '/tokens', { token: (login.body as { access_token: string }).access_token, body: { name: 'tests' } });
    return (created.body as { token: string }).token;
  }
  async function finishedJob(token: string): Promise<string> {
    const answer = await h.call('POST', '/backends/singlequdit/jobs', { token, body: { payload: GOOD_JOB } });
    expect(answer.status, answer.text).to.equal(201);
    const id = (answer.body as { id: string }).id;
    await eventually(async () => (((await h.call('GET', `/jobs/${id}`, { token })).body as { status: string }).status === 'DONE' ? true : undefined));
    return id;
  }
  const mailLog = async (username: string) => {
    const namespace = logNamespace({ kind: 'mail', name: username });
    const keys = await h.storage.list(namespace);
    return Promise.all(keys.map(async (key) => (await h.storage.get<Delivery>(namespace, key))!.value));
  };

  it('mails a code at sign-up, sends no job mail until it is used, then sends them', async () => {
    const token = await register('victim-of-mallory', 'stranger@example.org');
    const check = await checkMail('stranger@example.org');
    expect(check.text).to.include('victim-of-mallory').and.include(`${h.url}/verify-email?code=`);
    expect(check.text).to.not.include(token);
    const quiet = await finishedJob(token);
    const dropped = await eventually(async () => (await mailLog('victim-of-mallory')).find((delivery) => delivery.event.jobId === quiet && delivery.status === 'dropped'));
    expect(dropped.reason).to.equal('the user has not confirmed the e-mail address');
    expect(mailsTo('stranger@example.org').filter((mail) => mail.subject?.includes(quiet))).to.deep.equal([]);

    const wrong = await h.call('POST', '/users/me/email/confirm', { token, body: { code: 'f'.repeat(32) } });
    expect(wrong.status, wrong.text).to.equal(403);
    expect((wrong.body as { error: { code: string } }).error.code).to.equal('invalid_email_code');
    const confirmed = await h.call('POST', '/users/me/email/confirm', { token, body: { code: codeIn(check)! } });
    expect(confirmed.status, confirmed.text).to.equal(200);
    expect(confirmed.body).to.include({ email: 'stranger@example.org', email_verified: true });
    const loud = await finishedJob(token);
    await eventually(async () => (mailsTo('stranger@example.org').some((mail) => mail.subject === `[qspool] job ${loud} DONE on singlequdit`) ? true : undefined));
  });

  it('makes a changed address unconfirmed again, and a code only confirms the address it was sent to', async () => {
    const token = await register('mover', 'old@example.org');
    const first = codeIn(await checkMail('old@example.org'))!;
    const changed = await h.call('PATCH', '/users/me', { token, body: { email: 'new@example.org' } });
    expect(changed.body).to.include({ email: 'new@example.org', email_verified: false });
    const second = codeIn(await checkMail('new@example.org'))!;
    const stale = await h.call('POST', '/users/me/email/confirm', { token, body: { code: first } });
    expect(stale.status, stale.text).to.equal(403);
    expect((await h.call('POST', '/users/me/email/confirm', { token, body: { code: second } })).body).to.include({ email_verified: true });
    // Used once, it stays confirmed; the same address set again keeps it confirmed.
    expect((await h.call('PATCH', '/users/me', { token, body: { email: 'new@example.org' } })).body).to.include({ email_verified: true });
    const resend = await h.call('POST', '/users/me/email/check', { token });
    expect(resend.status, resend.text).to.equal(409);
  });

  it('sends a new code on request at most once a minute, so the check cannot flood an address either', async () => {
    const token = await register('impatient', 'slow-inbox@example.org');
    await checkMail('slow-inbox@example.org');
    const again = await h.call('POST', '/users/me/email/check', { token });
    expect(again.status, again.text).to.equal(429);
    expect(again.headers.get('retry-after')).to.match(/^[1-9][0-9]?$/);
    expect(mailsTo('slow-inbox@example.org')).to.have.length(1);
  });

  it('takes an admin\'s word for an address, and refuses to un-confirm one', async () => {
    const admin = await h.user('root', 'admin');
    const token = await register('vouched', 'lab-member@example.org');
    await checkMail('lab-member@example.org');
    const vouched = await h.call('PATCH', '/admin/users/vouched', { token: admin, body: { email_verified: true } });
    expect(vouched.status, vouched.text).to.equal(200);
    expect(vouched.body).to.include({ email_verified: true });
    expect((await h.call('PATCH', '/admin/users/vouched', { token: admin, body: { email_verified: false } })).status).to.equal(422);
    expect((await h.call('GET', '/users/me', { token })).body).to.include({ email_verified: true });
  });
});

describe('e-mail address checks with e-mail off', function () {
  this.timeout(30_000);
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(() => h.stop());

  it('answers 503 mail_unavailable when asked for a code', async () => {
    const registered = await h.call('POST', '/users', { body: { username: 'nomail', email: 'nomail@example.org', password: PASSWORD } });
    expect(registered.body).to.include({ email_verified: false });
    const login = await h.call('POST', '/auth/token', { body: { username: 'nomail', password: PASSWORD } });
    const answer = await h.call('POST', '/users/me/email/check', { token: (login.body as { access_token: string }).access_token });
    expect(answer.status, answer.text).to.equal(503);
    expect((answer.body as { error: { code: string } }).error.code).to.equal('mail_unavailable');
  });
});
