// Webhooks: registration with a secret shown once, deliveries that the standardwebhooks package verifies, retries
// with backoff recorded attempt by attempt, timeouts that cut a hanging receiver off without holding up others,
// a 2xx taken when it comes, refusal of bad bodies and of private addresses (at registration and, against DNS rebinding, at delivery).
import { expect } from 'chai';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import { RequestValidationError } from '../../schemas/errors.ts';
import { checkWebhookUrl } from '../../server/routes/native/webhooks.ts';
import { DeliveryStore } from '../../server/notifications/deliveries.ts';
import { WebhookSender, type WebhookRecord } from '../../server/notifications/webhooks.ts';
import type { Spooler } from '../../spooler/spooler.ts';
import { newJobId } from '../../storage/keys.ts';
import type { JobEvent } from '../../storage/records.ts';
import { GOOD_JOB, startHarness, type Harness } from '../native-api/harness.ts';
import { eventually, startReceiver, startSpooler, type Receiver } from './support.ts';

interface Created {
  id: string;
  secret: string;
  url: string;
  events: string[];
}

describe('webhooks', function () {
  this.timeout(30_000);
  let h: Harness;
  let spooler: Spooler;
  const receivers: Receiver[] = [];
  const receiver = async (answer?: (n: number) => number | 'hang' | 'trickle') => {
    const started = await startReceiver(answer);
    receivers.push(started);
    return started;
  };
  const register = async (token: string, body: Record<string, unknown>) => {
    const answer = await h.call('POST', '/webhooks', { token, body });
    expect(answer.status, answer.text).to.equal(201);
    return answer.body as Created;
  };
  const submit = async (token: string) => {
    const answer = await h.call('POST', '/backends/singlequdit/jobs', { token, body: { payload: GOOD_JOB } });
    expect(answer.status, answer.text).to.equal(201);
    return (answer.body as { id: string }).id;
  };

  before(async () => {
    // Tests allow loopback receivers; the refusal of private addresses is checked with the policy off below.
    h = await startHarness({ QSPOOL_WEBHOOK_ALLOW_PRIVATE: true, QSPOOL_NOTIFY_POLL_MS: 50, QSPOOL_NOTIFY_BACKOFF_MS: 100, QSPOOL_WEBHOOK_TIMEOUT_MS: 500 });
    spooler = await startSpooler(h.storage);
  });
  after(async () => {
    await spooler.stop();
    await h.stop();
    await Promise.all(receivers.map((r) => r.close()));
  });

  it('retries a receiver that answers 500 three times, signs every attempt validly, and logs the 4 attempts', async () => {
    const token = await h.user('hank');
    const flaky = await receiver((n) => (n < 3 ? 500 : 200));
    const hook = await register(token, { url: flaky.url, events: ['DONE'], description: 'CI' });
    expect(hook.secret).to.match(/^whsec_[A-Za-z0-9+/]+=*$/);
    const listed = await h.call('GET', '/webhooks', { token });
    expect(listed.text).to.not.include(hook.secret);
    expect((await h.call('GET', `/webhooks/${hook.id}`, { token })).body).to.include({ url: flaky.url, description: 'CI' });

    const id = await submit(token);
    await eventually(async () => (flaky.requests.length >= 4 ? true : undefined));
    const verifier = new Webhook(hook.secret);
    for (const request of flaky.requests) {
      const payload = verifier.verify(request.body, request.headers as Record<string, string>) as { type: string; data: { job_id: string; status: string } };
      expect(payload.type).to.equal('job.done');
      expect(payload.data).to.include({ job_id: id, status: 'DONE' });
      expect(request.headers['webhook-id']).to.equal(`${id}-3`);
    }
    expect(new Set(flaky.requests.map((r) => r.body)).size).to.equal(1);
    // Backoff: each wait is at least half of 100, 200, 400 ms.
    const gaps = flaky.requests.slice(1).map((r, i) => r.at - flaky.requests[i]!.at);
    expect(gaps[0]).to.be.at.least(40);
    expect(gaps[2]).to.be.at.least(190);

    const log = await eventually(async () => {
      const answer = await h.call('GET', `/webhooks/${hook.id}/deliveries`, { token });
      const [delivery] = (answer.body as { deliveries: { status: string; attempts: { status_code: number; ok: boolean }[] }[] }).deliveries;
      return delivery?.status === 'delivered' ? delivery : undefined;
    });
    expect(log.attempts.map((a) => a.status_code)).to.deep.equal([500, 500, 500, 200]);
    expect(log.attempts.map((a) => a.ok)).to.deep.equal([false, false, false, true]);
  });

  it('fails the standardwebhooks check for a tampered body or a wrong secret', async () => {
    const token = await h.user('iris');
    const sink = await receiver();
    const hook = await register(token, { url: sink.url, events: ['RUNNING'] });
    await submit(token);
    await eventually(async () => (sink.requests.length >= 1 ? true : undefined));
    const { body, headers } = sink.requests[0]!;
    const signed = headers as Record<string, string>;
    expect(() => new Webhook(hook.secret).verify(body, signed)).to.not.throw();
    const tampered = body.replace('"status":"RUNNING"', '"status":"DONE"');
    expect(tampered).to.not.equal(body);
    expect(() => new Webhook(hook.secret).verify(tampered, signed)).to.throw(WebhookVerificationError);
    expect(() => new Webhook(`whsec_${Buffer.alloc(32, 7).toString('base64')}`).verify(body, signed)).to.throw(WebhookVerificationError);
  });

  it('cuts a hanging receiver off at the timeout, while the owner\'s other webhook gets its delivery at once', async () => {
    const token = await h.user('jack');
    const hanging = await receiver(() => 'hang');
    const healthy = await receiver();
    const slow = await register(token, { url: hanging.url, events: ['DONE'] });
    await register(token, { url: healthy.url, events: ['DONE'] });
    await submit(token);
    await eventually(async () => (healthy.requests.length >= 1 ? true : undefined));
    const log = await eventually(async () => {
      const answer = await h.call('GET', `/webhooks/${slow.id}/deliveries`, { token });
      const [delivery] = (answer.body as { deliveries: { attempts: { error: string | null; duration_ms: number }[] }[] }).deliveries;
      return delivery && delivery.attempts.length > 0 ? delivery.attempts[0] : undefined;
    });
    expect(log.error).to.equal('no answer within 500 ms');
    expect(log.duration_ms).to.be.within(450, 2000);
  });

  it('takes a 2xx status as delivered when it comes, however slowly the body after it does', async () => {
    const token = await h.user('otto');
    const slowBody = await receiver(() => 'trickle');
    const hook = await register(token, { url: slowBody.url, events: ['DONE'] });
    await submit(token);
    const log = await eventually(async () => {
      const answer = await h.call('GET', `/webhooks/${hook.id}/deliveries`, { token });
      const [delivery] = (answer.body as { deliveries: { status: string; attempts: { status_code: number | null; ok: boolean }[] }[] }).deliveries;
      return delivery && delivery.attempts.length > 0 ? delivery : undefined;
    });
    expect(log.status).to.equal('delivered');
    expect(log.attempts).to.deep.equal([{ ...log.attempts[0], status_code: 200, ok: true }]);
    expect(slowBody.requests).to.have.length(1);
  });

  it('refuses bad registrations with 422 naming the field, stores nothing, and hides other users\' webhooks', async () => {
    const token = await h.user('kate');
    for (const [body, field] of [
      [{ url: 'ftp://example.org/hook' }, 'body.url'],
      [{ url: 'javascript:alert(1)' }, 'body.url'],
      [{ url: 'http://user:pass@127.0.0.1/x' }, 'body.url'],
      [{ url: 'http://127.0.0.1:1/x', events: ['FINISHED'] }, 'body.events.0'],
      [{ url: 'http://127.0.0.1:1/x', events: [] }, 'body.events'],
      [{ url: 'http://127.0.0.1:1/x', secret: 'mine' }, 'body.secret'],
      [{ events: ['DONE'] }, 'body.url'],
      // Shown on pages: a bidirectional override would make it read as something else.
      [{ url: 'http://127.0.0.1:1/x', description: 'lab \u202Ekoohbew' }, 'body.description'],
      [{ url: 'http://127.0.0.1:1/x', description: 'two\nlines' }, 'body.description'],
    ] as const) {
      const answer = await h.call('POST', '/webhooks', { token, body });
      expect(answer.status, answer.text).to.equal(422);
      expect(answer.text).to.include(field);
    }
    expect(((await h.call('GET', '/webhooks', { token })).body as { webhooks: unknown[] }).webhooks).to.deep.equal([]);
    const other = await register(await h.user('liam'), { url: 'http://127.0.0.1:1/x' });
    for (const [method, path] of [['GET', `/webhooks/${other.id}`], ['DELETE', `/webhooks/${other.id}`], ['GET', `/webhooks/${other.id}/deliveries`]] as const) {
      expect((await h.call(method, path, { token })).status).to.equal(404);
    }
  });

  it('refuses receivers on loopback or private addresses unless allowed, also when DNS changes its mind later or the URL names the address', async () => {
    const policy = { allowPrivate: false };
    const embedded = ['http://[::127.0.0.1]/', 'http://[::ffff:0:7f00:1]/', 'http://[64:ff9b:1::7f00:1]/', 'http://[2002:7f00:1::]/', 'http://[2001:0:4136:e378:8000:63bf:80ff:fffe]/', 'http://[fec0::1]/'];
    for (const url of ['http://127.0.0.1:8000/x', 'http://localhost/x', 'http://10.1.2.3/x', 'http://[::1]/x', 'http://169.254.169.254/latest', 'http://[::ffff:127.0.0.1]/x', ...embedded]) {
      const refused = await checkWebhookUrl(url, policy).catch((error: unknown) => error);
      expect(refused, url).to.be.instanceOf(RequestValidationError);
    }
    // The answer names the host, never the private address its name resolved to: the server's DNS maps an internal
    // network that a user must not be able to survey through it.
    const internalName = { allowPrivate: false, resolve: async () => [{ address: '10.20.30.40', family: 4 }] };
    const internal = (await checkWebhookUrl('http://db.corp.example/x', internalName).catch((error: unknown) => error)) as RequestValidationError;
    expect(internal.message).to.include('db.corp.example resolves to a loopback, private or reserved address').and.not.include('10.20.30.40');
    const publicName = { allowPrivate: false, resolve: async () => [{ address: '93.184.216.34', family: 4 }] };
    expect(await checkWebhookUrl('https://hooks.example.org/qspool', publicName)).to.equal('https://hooks.example.org/qspool');
    expect(await checkWebhookUrl('http://[2606:4700::1111]/hook', policy), 'a public IPv6 address').to.equal('http://[2606:4700::1111]/hook');
    expect(await checkWebhookUrl('http://127.0.0.1:9/x', { allowPrivate: true })).to.equal('http://127.0.0.1:9/x');

    // Registered while the name was public; at delivery it resolves to loopback: the socket is never opened.
    const trap = await receiver();
    const rebinding = { allowPrivate: false, resolve: async () => [{ address: '127.0.0.1', family: 4 }] };
    const sender = new WebhookSender({ baseUrl: () => h.url, timeoutMs: 1000, policy: rebinding, userAgent: 'test' });
    const hook: WebhookRecord = {
      id: '0123456789abcdef', owner: 'x', url: trap.url.replace('127.0.0.1', 'rebind.example.org'), events: ['DONE'],
      description: null, secret: `whsec_${Buffer.alloc(24, 1).toString('base64')}`, createdAt: new Date().toISOString(),
    };
    const event: JobEvent = {
      id: '0123456789abcdef01234567-3', jobId: '0123456789abcdef01234567', backend: 'singlequdit', owner: 'x', state: 'DONE', seq: 3,
      attempts: 1, at: new Date().toISOString(), detail: 'Done.', errorMessage: null, requeued: false,
    };
    const outcome = await sender.send(hook, event);
    expect(outcome.ok).to.equal(false);
    expect(outcome.error).to.equal('rebind.example.org resolves to a loopback, private or reserved address');
    expect(trap.requests).to.have.length(0);

    // Registered while private receivers were allowed, with the address itself in the URL (no name to look up):
    // once they are not, the delivery is refused all the same.
    const strict = new WebhookSender({ baseUrl: () => h.url, timeoutMs: 1000, policy: { allowPrivate: false }, userAgent: 'test' });
    const literal = await strict.send({ ...hook, url: trap.url }, event);
    expect(literal.ok).to.equal(false);
    expect(literal.error).to.equal('127.0.0.1 is a loopback, private or reserved address');
    expect(trap.requests).to.have.length(0);
  });

  it('drops the deliveries of a user who is disabled, logging why, instead of calling their webhooks for a day', async () => {
    const admin = await h.user('root', 'admin');
    const token = await h.user('nora');
    const failing = await receiver(() => 500);
    const hook = await register(token, { url: failing.url, events: ['DONE'] });
    await submit(token);
    await eventually(async () => (failing.requests.length >= 1 ? true : undefined));
    expect((await h.call('PATCH', '/admin/users/nora', { token: admin, body: { disabled: true } })).status).to.equal(200);
    const receiverOfHook = { kind: 'hook' as const, name: hook.id, owner: 'nora' };
    const [dropped] = await eventually(async () => {
      const { deliveries } = await new DeliveryStore(h.storage).logOf(receiverOfHook, 10);
      return deliveries.length > 0 ? deliveries : undefined;
    });
    expect(dropped).to.include({ status: 'dropped', reason: 'the owner\'s account is disabled or gone' });
  });

  it('lists at most `limit` of a webhook\'s pending deliveries, and only its own', async () => {
    const token = await h.user('pia');
    const hook = await register(token, { url: 'http://127.0.0.1:1/down' });
    const other = await register(token, { url: 'http://127.0.0.1:1/other' });
    const store = new DeliveryStore(h.storage);
    const later = Date.now() + 3_600_000;
    // Not due for an hour, as after a day of failures: 60 for the webhook, 5 for the other one.
    for (const [id, count] of [[hook.id, 60], [other.id, 5]] as const) {
      for (let n = 0; n < count; n += 1) {
        const jobId = newJobId();
        const event: JobEvent = {
          id: `${jobId}-1`, jobId, backend: 'singlequdit', owner: 'pia', state: 'QUEUED', seq: 1, attempts: 0, at: new Date().toISOString(),
          detail: 'Queued.', errorMessage: null, requeued: false,
        };
        await store.enqueue({ kind: 'hook', name: id, owner: 'pia' }, jobId, event, later);
      }
    }
    const page = async (id: string, limit: number) => {
      const answer = await h.call('GET', `/webhooks/${id}/deliveries?limit=${limit}`, { token });
      expect(answer.status, answer.text).to.equal(200);
      return (answer.body as { deliveries: { status: string }[] }).deliveries;
    };
    expect(await page(hook.id, 10)).to.have.length(10);
    expect((await page(other.id, 200)).map((d) => d.status)).to.deep.equal(Array(5).fill('pending'));
  });

  it('deletes a webhook: no more deliveries, 404 afterwards', async () => {
    const token = await h.user('mona');
    const sink = await receiver();
    const hook = await register(token, { url: sink.url });
    expect((await h.call('DELETE', `/webhooks/${hook.id}`, { token })).status).to.equal(204);
    expect((await h.call('GET', `/webhooks/${hook.id}`, { token })).status).to.equal(404);
    const id = await submit(token);
    await eventually(async () => (((await h.call('GET', `/jobs/${id}`, { token })).body as { status: string }).status === 'DONE' ? true : undefined));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(sink.requests).to.have.length(0);
  });
});
