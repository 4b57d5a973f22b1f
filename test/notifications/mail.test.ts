// E-mail notifications against a real SMTP server (smtp-server, mails parsed with mailparser): the states a job or
// its owner chose, in order, exactly once; DONE by default; off on request; and an SMTP server that refuses for a
// while delays the mail, never the job; one that answers a byte at a time is given up at the timeout.
import { expect } from 'chai';
import type { ParsedMail } from 'mailparser';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { Mailer } from '../../server/notifications/mail.ts';
import { GOOD_JOB, type Harness } from '../native-api/harness.ts';
import { eventually, mailsOf, startMailSystem, type MailSystem, type Smtp } from './support.ts';

describe('e-mail notifications', function () {
  this.timeout(30_000);
  let system: MailSystem;
  let smtp: Smtp;
  let h: Harness;

  before(async () => {
    system = await startMailSystem({ QSPOOL_MAIL_FROM: 'qspool <jobs@lab.example>' });
    ({ smtp, h } = system);
  });
  after(() => system.stop());

  const mailsTo = (address: string) => mailsOf(smtp, address);
  const submit = async (token: string, extra: Record<string, unknown> = {}) => {
    const answer = await h.call('POST', '/backends/singlequdit/jobs', { token, body: { payload: GOOD_JOB, ...extra } });
    expect(answer.status, answer.text).to.equal(201);
    return (answer.body as { id: string }).id;
  };
  const jobState = async (token: string, id: string) => ((await h.call('GET', `/jobs/${id}`, { token })).body as { status: string }).status;
  const settle = () => new Promise((resolve) => setTimeout(resolve, 600));

  it('sends exactly the mails the job chose, RUNNING then DONE, naming job, backend, state and link, and no secret', async () => {
    const token = await h.user('carol');
    const id = await submit(token, { notify: { email: ['RUNNING', 'DONE'] } });
    const mails = await eventually(async () => (mailsTo('carol@example.org').length >= 2 ? mailsTo('carol@example.org') : undefined));
    await settle();
    expect(mailsTo('carol@example.org')).to.have.length(2);
    expect(mails.map((mail) => mail.subject)).to.deep.equal([`[qspool] job ${id} RUNNING on singlequdit`, `[qspool] job ${id} DONE on singlequdit`]);
    const done = mails[1] as ParsedMail;
    expect(done.from?.value[0]).to.include({ name: 'qspool', address: 'jobs@lab.example' });
    expect(done.text).to.include(`Job:     ${id}`).and.include('Backend: singlequdit').and.include('State:   DONE');
    expect(done.text).to.include(`${h.url}/api/v1/jobs/${id}`);
    expect(done.text).to.not.include(token);
    expect(done.messageId).to.equal(`<${id}-3@qspool>`);
  });

  it('sends one mail, on DONE, to a user who chose nothing', async () => {
    const token = await h.user('dave');
    const id = await submit(token);
    await eventually(async () => (mailsTo('dave@example.org').length >= 1 ? true : undefined));
    await settle();
    expect(mailsTo('dave@example.org').map((mail) => mail.subject)).to.deep.equal([`[qspool] job ${id} DONE on singlequdit`]);
  });

  it('follows the user\'s default from PATCH /users/me, which can turn e-mail off ([])', async () => {
    const token = await h.user('erin');
    const profile = await h.call('PATCH', '/users/me', { token, body: { notify: { email: [] } } });
    expect(profile.status, profile.text).to.equal(200);
    expect((profile.body as { notify: unknown }).notify).to.deep.equal({ email: [] });
    const quiet = await submit(token);
    await eventually(async () => ((await jobState(token, quiet)) === 'DONE' ? true : undefined));
    await h.call('PATCH', '/users/me', { token, body: { notify: { email: ['ERROR', 'DONE'] } } });
    const loud = await submit(token);
    await eventually(async () => (mailsTo('erin@example.org').length >= 1 ? true : undefined));
    await settle();
    expect(mailsTo('erin@example.org').map((mail) => mail.subject)).to.deep.equal([`[qspool] job ${loud} DONE on singlequdit`]);
    expect(((await h.call('GET', '/users/me', { token })).body as { notify: unknown }).notify).to.deep.equal({ email: ['ERROR', 'DONE'] });
  });

  it('delays the mail, not the job, while the SMTP server refuses, and sends it once it accepts again', async () => {
    const token = await h.user('frank');
    smtp.refusing = true;
    const refusedBefore = smtp.refused;
    const started = Date.now();
    const id = await submit(token);
    await eventually(async () => ((await jobState(token, id)) === 'DONE' ? true : undefined));
    const jobTook = Date.now() - started;
    await eventually(async () => (smtp.refused >= refusedBefore + 2 ? true : undefined));
    expect(mailsTo('frank@example.org')).to.have.length(0);
    smtp.refusing = false;
    await eventually(async () => (mailsTo('frank@example.org').length >= 1 ? true : undefined), 15_000);
    await settle();
    expect(mailsTo('frank@example.org').map((mail) => mail.subject)).to.deep.equal([`[qspool] job ${id} DONE on singlequdit`]);
    expect(jobTook).to.be.below(3000);
  });

  it('gives up a send at the timeout when the SMTP server answers a byte at a time, each within its idle timeouts', async () => {
    const sockets = new Set<Socket>();
    // Greets at once, then answers EHLO one character every 50 ms, with no end.
    const server = createServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => undefined);
      socket.write('220 slow.example ESMTP\r\n');
      socket.once('data', () => {
        const trickle = setInterval(() => (socket.destroyed ? clearInterval(trickle) : socket.write('2')), 50);
        socket.on('close', () => clearInterval(trickle));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const mailer = new Mailer({ smtpUrl: `smtp://127.0.0.1:${(server.address() as AddressInfo).port}`, from: 'qspool <q@lab.example>', timeoutMs: 300 });
    try {
      const outcome = await mailer.send('ada@example.org', { subject: 's', text: 't' }, 'e-1');
      expect(outcome).to.include({ ok: false, error: 'no answer within 300 ms' });
    } finally {
      mailer.close();
      for (const socket of sockets) socket.destroy();
      server.close();
    }
  });

  it('refuses unknown states and malformed notify choices with 422 naming the field, and stores nothing', async () => {
    const token = await h.user('gina');
    for (const [notify, field] of [
      [{ email: ['FINISHED'] }, 'body.notify.email.0'],
      [{ email: 'DONE' }, 'body.notify.email'],
      [{ sms: ['DONE'] }, 'body.notify.sms'],
      [{ email: ['DONE', 'DONE'] }, 'body.notify.email'],
    ] as const) {
      const answer = await h.call('POST', '/backends/singlequdit/jobs', { token, body: { payload: GOOD_JOB, notify } });
      expect(answer.status, answer.text).to.equal(422);
      expect(answer.text).to.include(field);
      const profile = await h.call('PATCH', '/users/me', { token, body: { notify } });
      expect(profile.status, profile.text).to.equal(422);
      expect(profile.text).to.include(field);
    }
    expect(((await h.call('GET', '/jobs', { token })).body as { jobs: unknown[] }).jobs).to.deep.equal([]);
    expect(((await h.call('GET', '/users/me', { token })).body as { notify: unknown }).notify).to.deep.equal({ email: ['DONE'] });
  });
});
