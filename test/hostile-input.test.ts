// Hostile input against every route of every face (native /api/v1, qlued /api/v2 and /api/v3): broken and
// wrongly typed JSON, huge and deeply nested bodies, __proto__ keys, path tricks in ids and backend names, bad
// UTF-8, bad credentials and wrong methods. Every request must answer 4xx with a JSON body, the server must stay
// up, and not one stored document may change. Requests go out raw (node:http, node:net), so nothing normalises them.
import { expect } from 'chai';
import jwt from 'jsonwebtoken';
import { namesProblem, send, sendRaw, type Probe } from './support/raw-http.ts';
import { snapshot } from './support/store-snapshot.ts';
import { GOOD_JOB, PASSWORD, startHarness, type Harness } from './native-api/harness.ts';

const MAX_BODY = 64 * 1024;

describe('hostile input on every route', function () {
  this.timeout(60_000);
  let h: Harness;
  let port: number;
  let token: string;
  let access: string;
  let jobId: string;
  let tokenId: string;

  before(async () => {
    h = await startHarness({ QSPOOL_MAX_BODY_BYTES: MAX_BODY });
    port = Number(new URL(h.url).port);
    token = await h.user('alice');
    await h.user('bob');
    access = ((await h.call('POST', '/auth/token', { body: { username: 'alice', password: PASSWORD } })).body as { access_token: string }).access_token;
    jobId = ((await h.call('POST', '/backends/singlequdit/jobs', { token, body: { payload: GOOD_JOB } })).body as { id: string }).id;
    tokenId = ((await h.call('GET', '/tokens', { token })).body as { tokens: { id: string }[] }).tokens[0]!.id;
  });
  after(async () => h.stop());

  function probes(): Probe[] {
    const auth = { Authorization: `Bearer ${token}` };
    const v1 = '/api/v1';
    const jobRoutes = (id: string) => [['GET', `${v1}/jobs/${id}`], ['GET', `${v1}/jobs/${id}/result`], ['POST', `${v1}/jobs/${id}/cancel`], ['DELETE', `${v1}/jobs/${id}`]];
    const backendRoutes = (name: string): [string, string, string?][] => [
      ['GET', `${v1}/backends/${name}`],
      ['POST', `${v1}/backends/${name}/jobs`, JSON.stringify({ payload: GOOD_JOB })],
      ...['v2', 'v3'].flatMap((v): [string, string, string?][] => [
        ['GET', `/api/${v}/${name}/get_config`],
        ['GET', `/api/${v}/${name}/get_backend_status`],
        ['POST', `/api/${v}/${name}/post_job`, JSON.stringify(v === 'v2' ? { job: JSON.stringify(GOOD_JOB), token } : { payload: GOOD_JOB })],
        ['GET', `/api/${v}/${name}/get_job_status?job_id=${jobId}&token=${token}`],
        ['GET', `/api/${v}/${name}/get_job_result?job_id=${jobId}&token=${token}`],
      ]),
    ];
    const bodyRoutes: [string, string][] = [
      ['POST', `${v1}/users`], ['POST', `${v1}/auth/token`], ['PATCH', `${v1}/users/me`], ['POST', `${v1}/users/me/password`],
      ['POST', `${v1}/tokens`], ['POST', `${v1}/backends/singlequdit/jobs`], ['POST', '/api/v2/singlequdit/post_job'], ['POST', '/api/v3/singlequdit/post_job'],
    ];
    const everyWrongType = JSON.stringify({
      username: 1, email: true, password: [], old_password: null, new_password: 7, display_name: {}, name: ['x'],
      payload: 'text', job: { a: 1 }, token: 5, tags: 'calibration', priority: 'high', role: 'root',
    });
    const nested = (depth: number) => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
    const bodies: (string | Buffer)[] = [
      '{"username": "x", ', 'username=mallory&password=x', '[]', '"text"', '42', 'null', '', everyWrongType,
      'x'.repeat(MAX_BODY + 1), '['.repeat(40_000) + ']'.repeat(40_000), nested(200),
      '{"__proto__": {"role": "admin", "polluted": true}, "username": "mallory"}',
      '{"constructor": {"prototype": {"polluted": true}}, "payload": {"__proto__": {"polluted": true}}}',
      JSON.stringify({ payload: { __proto__: null, experiment_0: 'x' }, job: '{"__proto__": {"polluted": true}}', token }),
      Buffer.from([0x7b, 0x22, 0x61, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]),
      Buffer.from([0xef, 0xbb, 0xbf, 0x7b, 0x7d, 0xc3, 0x28]),
      JSON.stringify({ username: 'a\u0000b', email: 'x@example.org', password: 'p\u0000ssword', name: '\u0000', payload: { 'experiment_0\u0000': {} } }),
      JSON.stringify({ name: 'x'.repeat(60_000) }),
    ];
    const list: Probe[] = [];
    for (const [method, path] of bodyRoutes) for (const body of bodies) list.push({ method, path, headers: auth, body });

    const badIds = [
      '..%2F..%2Fusers%2Falice', '%2e%2e', '..', '%00', 'a'.repeat(5000), jobId.toUpperCase(), `${jobId}%00`, `${jobId.slice(0, 23)}%FF`,
      '%C3%28', '%252e%252e%252fusers', `${jobId}%2F..%2F${jobId}`, '.%2e', '%20', 'null', `${jobId}..`,
      // Ids of the form qlued gave out on Dropbox (accepted for imported jobs): unknown, broken or unstorable ones.
      '20230321_114612-fermions-fretchen-cec9c', '20230321_114612-fermions-..-cec9c', '20230321_114612-fermions-a%2F..%2Fb-cec9c',
      '20230321_114612-fermions-eve%40lab.org-cec9c', '20230321_114612-fermions-fretchen-cec9c%2F..', '20230321_114612-fermions-.x-cec9c',
    ];
    for (const id of badIds) for (const [method, path] of jobRoutes(id)) list.push({ method: method!, path: path!, headers: auth });
    for (const id of [...badIds.slice(0, 8), tokenId.toUpperCase(), `${tokenId}0`]) list.push({ method: 'DELETE', path: `${v1}/tokens/${id}`, headers: auth });
    const badNames = ['..%2F..%2Fconfigs', '..', '%00', 'singlequdit%00', 'alqor_singlequdit', 'a_b_c_d', 'SINGLEQUDIT', 'x'.repeat(3000), '%2e%2e%2fjobs', 'nosuch_singlequdit_simulator', '%FF%FE'];
    for (const name of badNames) for (const [method, path, body] of backendRoutes(name)) list.push({ method, path, headers: { ...auth, 'Content-Type': 'application/json' }, ...(body ? { body } : {}) });
    for (const v of ['v2', 'v3']) {
      for (const id of ['..%2F..%2Fstatus', '%00', 'a'.repeat(5000), '%FF', `${jobId}%2F..`, jobId.toUpperCase()]) {
        for (const route of ['get_job_status', 'get_job_result']) list.push({ method: 'GET', path: `/api/${v}/singlequdit/${route}?job_id=${id}&token=${token}`, headers: auth });
      }
    }

    const routes: [string, string][] = [
      ['POST', `${v1}/users`], ['POST', `${v1}/auth/token`], ['DELETE', `${v1}/auth/token`], ['GET', `${v1}/users/me`], ['PATCH', `${v1}/users/me`], ['POST', `${v1}/users/me/password`],
      ['POST', `${v1}/tokens`], ['GET', `${v1}/tokens`], ['DELETE', `${v1}/tokens/${tokenId}`], ['GET', `${v1}/backends`], ['GET', `${v1}/backends/singlequdit`],
      ['POST', `${v1}/backends/singlequdit/jobs`], ['GET', `${v1}/jobs`], ...jobRoutes(jobId).map(([m, p]): [string, string] => [m!, p!]),
      ['GET', `${v1}/openapi.json`], ['GET', `${v1}/docs`],
      ...['v2', 'v3'].flatMap((v): [string, string][] => [
        ['GET', `/api/${v}/backends`], ['GET', `/api/${v}/singlequdit/get_config`], ['GET', `/api/${v}/singlequdit/get_backend_status`],
        ['POST', `/api/${v}/singlequdit/post_job`], ['GET', `/api/${v}/singlequdit/get_job_status?job_id=${jobId}`], ['GET', `/api/${v}/singlequdit/get_job_result?job_id=${jobId}`],
      ]),
    ];
    for (const [method, path] of routes) {
      const allowed = routes.filter(([, other]) => other === path).map(([m]) => m);
      const wrong = ['PUT', 'POST', 'GET', 'DELETE', 'PATCH', 'OPTIONS'].filter((m) => !allowed.includes(m)).slice(0, 3);
      for (const other of wrong) list.push({ method: other, path, headers: auth, ...(other === 'PUT' ? { body: '{}' } : {}) });
      list.push({ method, path: `${path.split('?')[0]}/`, headers: auth });
    }

    const now = Math.floor(Date.now() / 1000);
    const badCredentials = [
      'Bearer', 'Bearer ', `Bearer ${token.toUpperCase()}`, `Bearer ${'f'.repeat(32)}`, 'Basic YWxpY2U6cGFzcw==', `Token ${token}`, 'Bearer \u00ff\u00fe\u00fd',
      `Bearer ${jwt.sign({ sub: '../../users/alice', ver: 0 }, 'a forged secret that is long enough', { expiresIn: 60 })}`,
      `Bearer ${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(`{"sub":"alice","exp":${now + 60}}`).toString('base64url')}.`,
      `Bearer ${access}x`, `Bearer ${access} ${token}`,
    ];
    const authRoutes: Probe[] = [
      { method: 'GET', path: `${v1}/users/me` }, { method: 'DELETE', path: `${v1}/auth/token` }, { method: 'GET', path: `${v1}/jobs` }, { method: 'GET', path: `${v1}/jobs/${jobId}` },
      { method: 'POST', path: `${v1}/jobs/${jobId}/cancel` }, { method: 'DELETE', path: `${v1}/jobs/${jobId}` }, { method: 'DELETE', path: `${v1}/tokens/${tokenId}` },
      { method: 'POST', path: `${v1}/tokens`, body: '{"name":"stolen"}' }, { method: 'POST', path: `${v1}/backends/singlequdit/jobs`, body: JSON.stringify({ payload: GOOD_JOB }) },
      { method: 'POST', path: '/api/v3/singlequdit/post_job', body: JSON.stringify({ payload: GOOD_JOB }) }, { method: 'GET', path: `/api/v3/singlequdit/get_job_status?job_id=${jobId}` },
    ];
    for (const credential of badCredentials) for (const probe of authRoutes) list.push({ ...probe, headers: { Authorization: credential } });
    list.push({ method: 'GET', path: `${v1}/users/me`, headers: { Authorization: `Bearer ${'x'.repeat(20_000)}` } });
    list.push({ method: 'GET', path: `${v1}/jobs?token=${token}` }, { method: 'POST', path: `${v1}/backends/singlequdit/jobs?token=${token}`, body: JSON.stringify({ payload: GOOD_JOB }) });

    const badQueries = [
      'limit=-1', 'limit=abc', 'limit=1e9', 'limit=1&limit=2', 'status=DONE;DROP', 'status=done', 'cursor=%00', `cursor=${'A'.repeat(5000)}`,
      'created_after=2024-13-45', 'created_before=%FF', 'tag=..%2F', 'owner=..%2Fbob', 'owner=bob', '__proto__[polluted]=1', 'constructor[prototype][polluted]=1', 'backend[]=x',
    ];
    for (const query of badQueries) list.push({ method: 'GET', path: `${v1}/jobs?${query}`, headers: auth });
    for (const key of ['tab\there', 'x'.repeat(256), '\u00ff']) {
      list.push({ method: 'POST', path: `${v1}/backends/singlequdit/jobs`, headers: { ...auth, 'Idempotency-Key': key }, body: JSON.stringify({ payload: GOOD_JOB }) });
    }
    list.push({ method: 'POST', path: `${v1}/backends/singlequdit/jobs`, headers: { ...auth, 'Content-Type': 'application/json; charset=utf-16' }, body: Buffer.from(JSON.stringify({ payload: GOOD_JOB }), 'utf16le') });
    return list;
  }

  it('answers at least 200 malformed requests with 4xx and JSON, stays up and changes no stored document', async () => {
    const before = await snapshot(h.dataDir);
    const list = probes();
    expect(list.length).to.be.greaterThanOrEqual(200);
    const failures: string[] = [];
    for (let i = 0; i < list.length; i += 25) {
      const batch = list.slice(i, i + 25);
      const replies = await Promise.all(batch.map((probe) => send(port, probe)));
      for (const [j, reply] of replies.entries()) {
        const probe = batch[j]!;
        const where = `${probe.method} ${probe.path.slice(0, 120)} (${String(probe.headers?.Authorization ?? '').slice(0, 40)}) → ${reply.status} ${reply.text.slice(0, 160)}`;
        const native = !/^\/api\/v[23]\//.test(probe.path);
        if (reply.status < 400 || reply.status > 499 || !reply.type.startsWith('application/json') || !namesProblem(reply.text, native)) failures.push(where);
      }
    }
    const raw = [
      Buffer.from('GET /api/v1/jobs/\xff\xfe HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', 'latin1'),
      Buffer.from('GARBAGE\r\n\r\n'),
      Buffer.from('GET /api/v1/../../etc/passwd HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'),
      Buffer.from('POST /api/v1/users HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 7\r\nConnection: close\r\n\r\n{}'),
    ];
    for (const text of raw) {
      const reply = await sendRaw(port, text);
      if (reply.status < 400 || reply.status > 499 || !reply.type.startsWith('application/json')) failures.push(`raw ${JSON.stringify(text.toString('latin1').slice(0, 40))} → ${reply.status}`);
    }
    expect(failures, failures.join('\n')).to.deep.equal([]);
    expect((await h.call('GET', '/backends')).status, 'the server is still up').to.equal(200);
    expect((await h.call('GET', `/jobs/${jobId}`, { token })).body).to.include({ status: 'QUEUED' });
    const after = await snapshot(h.dataDir);
    expect([...after.entries()]).to.deep.equal([...before.entries()]);
    expect(h.logs.filter((line) => /"level":(50|60)/.test(line)), 'nothing logged as an error').to.deep.equal([]);
    expect(({} as Record<string, unknown>).polluted).to.equal(undefined);
    expect(Object.prototype).to.not.have.property('role');
  });
});
