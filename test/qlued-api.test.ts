// qlued API compatibility: every request of reference/qlued-api.md §3, answered as specified there with the
// decisions of its §4 (no 500s, validated ids, per-user isolation, jobs checked at submission).
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { hashToken, TOKENS_NS, type TokenRecord } from '../server/services/users.ts';
import { eventually, postJson, request, startSystem, type JsonResponse, type TestSystem } from './support/system.ts';

const corpus = (name: string) => JSON.parse(readFileSync(new URL(`./corpus/payloads/${name}`, import.meta.url), 'utf8')) as { payload: Record<string, unknown> };
const SD = (message: string) => ({ job_id: 'None', status: 'ERROR', detail: message, error_message: message });
const goodJob = JSON.stringify(corpus('spooler-singlequdit-rlx-pi.json').payload);

function expectJson(response: JsonResponse, status: number, body?: unknown): void {
  expect(response.status, response.text).to.equal(status);
  expect(response.headers.get('content-type')).to.equal('application/json; charset=utf-8');
  if (body !== undefined) expect(response.body).to.deep.equal(body);
}

describe('qlued API v2/v3 compatibility (reference/qlued-api.md §3)', function () {
  this.timeout(30_000);
  let system: TestSystem;
  let v2: string;
  let v3: string;
  before(async () => {
    system = await startSystem();
    v2 = `${system.url}/api/v2`;
    v3 = `${system.url}/api/v3`;
  });
  after(async () => system.stop());

  const post2 = (backend: string, body: unknown) => postJson(`${v2}/${backend}/post_job`, body);
  const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

  it('row 1: v2 post_job with an unknown token answers 401 "Invalid credentials!"', async () => {
    expectJson(await post2('singlequdit', { job: goodJob, token: 'DUMMY' }), 401, SD('Invalid credentials!'));
  });

  it('row 2: v2 post_job without token answers 422 with the missing field', async () => {
    expectJson(await post2('singlequdit', { job: goodJob }), 422, {
      detail: [{ type: 'missing', loc: ['body', 'data', 'token'], msg: 'Field required' }],
    });
  });

  it('row 3: v2 post_job with the job as an object answers 422 string_type', async () => {
    expectJson(await post2('singlequdit', { job: { a: 1 }, token: system.token }), 422, {
      detail: [{ type: 'string_type', loc: ['body', 'data', 'job'], msg: 'Input should be a valid string' }],
    });
  });

  it('row 4: v2 post_job with job text that is not JSON answers 406 (encoding)', async () => {
    const body = { job: '{"experiment_0": ', token: system.token };
    expectJson(await post2('singlequdit', body), 406, SD('The encoding of your json seems not work out!'));
  });

  it('§4.7: job text that is JSON but not an object answers 406 (encoding)', async () => {
    for (const job of ['[]', '3', '"text"', 'null']) {
      expectJson(await post2('singlequdit', { job, token: system.token }), 406, SD('The encoding of your json seems not work out!'));
    }
  });

  it('row 5: a legacy form-encoded body answers 400 "Cannot parse request body"', async () => {
    const response = await request(`${v2}/singlequdit/post_job`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'json=%7B%7D&username=alice&password=x',
    });
    expectJson(response, 400, { detail: 'Cannot parse request body' });
  });

  it('row 6: an empty body answers 422 with body.data missing', async () => {
    expectJson(await post2('singlequdit', ''), 422, { detail: [{ type: 'missing', loc: ['body', 'data'], msg: 'Field required' }] });
  });

  it('rows 7–10: unknown, two-part, unknown-display and unknown-provider backends answer 404 "Unknown back-end!"', async () => {
    for (const name of ['wrongname', 'alqor_fermions', 'alqor_nosuch_simulator', 'nosuch_singlequdit_simulator', 'a_b_c_d']) {
      expectJson(await post2(name, { job: goodJob, token: system.token }), 404, SD('Unknown back-end!'));
    }
  });

  it('rows 11–13 and §4.8: invalid jobs are refused at submission with 406 naming the rule', async () => {
    const cases: [string, RegExp][] = [
      ['invalid-singlequdit-shots-float-1e7.json', /experiment_0, shots: 10000000 must be less than or equal to 1000000/],
      ['invalid-singlequdit-missing-wire-order.json', /experiment_1: missing field "wire_order"/],
    ];
    for (const [file, rule] of cases) {
      const response = await post2('singlequdit', { job: JSON.stringify(corpus(file).payload), token: system.token });
      expectJson(response, 406);
      const body = response.body as Record<string, string>;
      expect(Object.keys(body)).to.deep.equal(['job_id', 'status', 'detail', 'error_message']);
      expect(body.status).to.equal('ERROR');
      expect(body.error_message).to.match(rule);
    }
    const unknownGate = { experiment_0: { instructions: [['fhops', [0], [1]]], shots: 1, num_wires: 1, wire_order: 'interleaved' } };
    const response = await post2('singlequdit', { job: JSON.stringify(unknownGate), token: system.token });
    expect((response.body as Record<string, string>).error_message).to.match(/experiment_0, instruction 0 \(fhops\): Instruction fhops not allowed\./);
    const badAngle = { experiment_0: { instructions: [['rlx', [0], [7]]], shots: 1, num_wires: 1, wire_order: 'interleaved' } };
    const angle = await post2('singlequdit', { job: JSON.stringify(badAngle), token: system.token });
    expect((angle.body as Record<string, string>).error_message).to.match(/experiment_0, instruction 0 \(rlx\): parameter omega: 7 must be less than or equal to 6\.28/);
  });

  it('rows 14–17: get_job_status with a bad token, an unknown id, missing parameters or an unknown backend', async () => {
    const id = 'f'.repeat(32);
    expectJson(await request(`${v2}/singlequdit/get_job_status?job_id=${id}&token=DUMMY`), 401, SD('Invalid credentials!'));
    expectJson(await request(`${v2}/singlequdit/get_job_status?job_id=${id}&token=${system.token}`), 406, {
      job_id: id,
      status: 'ERROR',
      detail: 'Could not find the status file.',
      error_message: `Missing status file for ${id}.`,
    });
    expectJson(await request(`${v2}/singlequdit/get_job_status?token=${system.token}`), 422, {
      detail: [{ type: 'missing', loc: ['query', 'job_id'], msg: 'Field required' }],
    });
    expectJson(await request(`${v2}/singlequdit/get_job_status?job_id=${id}`), 422, {
      detail: [{ type: 'missing', loc: ['query', 'token'], msg: 'Field required' }],
    });
    expectJson(await request(`${v2}/wrongname/get_job_status?job_id=${id}&token=${system.token}`), 404, SD('Unknown back-end!'));
  });

  it('a repeated query parameter counts with its last value, as Django\'s QueryDict reads it', async () => {
    const posted = await post2('singlequdit', { job: goodJob, token: system.token });
    const id = (posted.body as { job_id: string }).job_id;
    for (const route of ['get_job_status', 'get_job_result']) {
      const response = await request(`${v2}/singlequdit/${route}?job_id=${'f'.repeat(24)}&job_id=${id}&token=DUMMY&token=${system.token}`);
      expectJson(response, 200);
      expect(response.body).to.have.property('job_id', id);
    }
    const v3Status = await request(`${v3}/singlequdit/get_job_status?job_id=x&job_id=${id}`, { headers: bearer(system.token) });
    expectJson(v3Status, 200);
  });

  it('row 18: get_job_result answers the same cases the same way', async () => {
    const id = 'a'.repeat(24);
    expectJson(await request(`${v2}/singlequdit/get_job_result?job_id=${id}&token=DUMMY`), 401, SD('Invalid credentials!'));
    expectJson(await request(`${v2}/singlequdit/get_job_result?job_id=${id}&token=${system.token}`), 406);
    expectJson(await request(`${v2}/singlequdit/get_job_result?token=${system.token}`), 422);
    expectJson(await request(`${v2}/wrongname/get_job_result?job_id=${id}&token=${system.token}`), 404, SD('Unknown back-end!'));
  });

  it('rows 19–22: get_config and get_backend_status of unknown backends answer 404, never 500', async () => {
    for (const name of ['alqor_fermions', 'nosuch_fermions_simulator', 'nosuch']) {
      expectJson(await request(`${v2}/${name}/get_config`), 404, {
        job_id: 'None',
        status: 'ERROR',
        detail: `Unknown back-end ${name}! The string should have 1 or three parts separated by \`_\`!`,
        error_message: 'Unknown back-end!',
      });
    }
    for (const name of ['nosuch', 'nosuch_x_simulator', 'alqor_fermions']) {
      expectJson(await request(`${v2}/${name}/get_backend_status`), 404, {
        job_id: 'None',
        status: 'ERROR',
        detail: 'Unknown back-end! The string should have 1 or three parts separated by `_`!',
        error_message: 'Unknown back-end!',
      });
    }
  });

  it('row 23 and §4.11: a trailing slash answers 404 with a JSON body', async () => {
    const response = await request(`${v2}/singlequdit/get_config/`);
    expectJson(response, 404);
    expect(response.body).to.have.property('status', 'ERROR');
  });

  it('reads repeated slashes as one (as nginx does), so the published url with qiskit-cold-atom\'s `/get_config` works', async () => {
    const config = await request(`${v2}/alqor_singlequdit_simulator/get_config`);
    const url = (config.body as { url: string }).url;
    expect(url).to.match(/\/api\/v2\/alqor_singlequdit_simulator\/$/);
    const joined = await request(`${url}/get_config?username=demo&token=${system.token}`);
    expectJson(joined, 200);
    expect(joined.body).to.deep.equal(config.body);
    expectJson(await request(`${system.url}//api//v2///singlequdit//get_backend_status`), 200);
    expectJson(await request(`${url}/get_config/`), 404);
  });

  it('row 24 and §4.11: a wrong method answers 405 with a JSON body and Allow', async () => {
    const response = await request(`${v2}/singlequdit/post_job`);
    expectJson(response, 405, { detail: 'Method not allowed' });
    expect(response.headers.get('allow')).to.equal('POST');
  });

  it('rows 25–27: v3 post_job needs a Bearer header with a known key', async () => {
    const body = { payload: JSON.parse(goodJob) };
    expectJson(await postJson(`${v3}/singlequdit/post_job`, body), 401, { detail: 'Unauthorized' });
    expectJson(await postJson(`${v3}/singlequdit/post_job`, body, { Authorization: `Token ${system.token}` }), 401, { detail: 'Unauthorized' });
    expectJson(await postJson(`${v3}/singlequdit/post_job`, body, bearer('DUMMY')), 401, SD('Invalid credentials!'));
  });

  it('rows 28–29: v3 post_job needs an object payload', async () => {
    expectJson(await postJson(`${v3}/singlequdit/post_job`, { payload: 'text' }, bearer(system.token)), 422, {
      detail: [{ type: 'dict_type', loc: ['body', 'data', 'payload'], msg: 'Input should be a valid dictionary' }],
    });
    expectJson(await postJson(`${v3}/singlequdit/post_job`, { job: goodJob, token: system.token }, bearer(system.token)), 422, {
      detail: [{ type: 'missing', loc: ['body', 'data', 'payload'], msg: 'Field required' }],
    });
  });

  it('row 30: v3 authenticates before it validates parameters', async () => {
    expectJson(await request(`${v3}/singlequdit/get_job_status`), 401, { detail: 'Unauthorized' });
  });

  it('row 31 and §4.5: a revoked token is refused (qlued accepted it)', async () => {
    const token = await system.user('mallory');
    const stored = (await system.storage.get<TokenRecord>(TOKENS_NS, hashToken(token)))!;
    await system.storage.replace(TOKENS_NS, hashToken(token), { ...stored.value, revoked: true }, stored.version);
    expectJson(await post2('singlequdit', { job: goodJob, token }), 401, SD('Invalid credentials!'));
  });

  it('v3 runs a job end to end with the payload object and Bearer token', async () => {
    const posted = await postJson(`${v3}/singlequdit/post_job`, { payload: JSON.parse(goodJob) }, bearer(system.token));
    expectJson(posted, 200);
    const id = (posted.body as { job_id: string }).job_id;
    const result = await eventually(async () => {
      const response = await request(`${v3}/singlequdit/get_job_result?job_id=${id}`, { headers: bearer(system.token) });
      return (response.body as { status?: string }).status === 'finished' ? response : undefined;
    });
    expect((result.body as { results: { data: { memory: string[] } }[] }).results[0]!.data.memory.every((m) => m === '1')).to.equal(true);
  });

  it('answers a DONE job\'s result as qlued does (corpus), apart from "finished" and the filled instructions', async () => {
    const expected = JSON.parse(readFileSync(new URL('./corpus/configs/get-job-result-done-current-stack.json', import.meta.url), 'utf8'))._response;
    const posted = await postJson(`${v2}/fermions/post_job`, { job: JSON.stringify(corpus('spooler-fermions-load.json').payload), token: system.token });
    const id = (posted.body as { job_id: string }).job_id;
    const result = await eventually(async () => {
      const response = await request(`${v2}/fermions/get_job_result?job_id=${id}&token=${system.token}`);
      return (response.body as { status?: string }).status === 'finished' ? response : undefined;
    });
    const body = result.body as { results: { data: { instructions: unknown } }[] };
    const withoutInstructions = { ...body, results: body.results.map((r) => ({ ...r, data: { ...r.data, instructions: null } })) };
    expect(JSON.stringify(withoutInstructions)).to.equal(JSON.stringify({ ...expected, job_id: id, status: 'finished' }));
  });

  it('§4.5: another user\'s job answers exactly like an unknown id', async () => {
    const posted = await post2('singlequdit', { job: goodJob, token: system.token });
    const id = (posted.body as { job_id: string }).job_id;
    const eve = await system.user('eve');
    const own = await request(`${v2}/singlequdit/get_job_status?job_id=${id}&token=${system.token}`);
    expect(own.status).to.equal(200);
    for (const route of ['get_job_status', 'get_job_result']) {
      expectJson(await request(`${v2}/singlequdit/${route}?job_id=${id}&token=${eve}`), 406, {
        job_id: id,
        status: 'ERROR',
        detail: 'Could not find the status file.',
        error_message: `Missing status file for ${id}.`,
      });
    }
  });

  it('§4.6: path-like job ids are validated before any storage access', async () => {
    for (const id of ['../../etc/passwd', '..%2F..%2Fx', 'A'.repeat(24), '%00', 'x'.repeat(5000)]) {
      const response = await request(`${v2}/singlequdit/get_job_status?job_id=${id}&token=${system.token}`);
      expectJson(response, 406);
      expect((response.body as { detail: string }).detail).to.equal('Could not find the status file.');
    }
  });

  it('answers backends and get_config as BackendConfigSchemaOut, in its key order', async () => {
    const list = await request(`${v2}/backends`);
    expectJson(list, 200);
    const names = (list.body as { backend_name: string; url: null }[]).map((b) => [b.backend_name, b.url]);
    expect(names).to.deep.equal(['fermions', 'multiqudit', 'qubit', 'rydberg', 'singlequdit'].map((name) => [`alqor_${name}_simulator`, null]));
    // The corpus answers of qlued for its four backends, key for key (gates' keys included) apart from the host.
    for (const backend of ['singlequdit', 'multiqudit', 'fermions', 'rydberg']) {
      const expected = JSON.parse(readFileSync(new URL(`./corpus/configs/get-config-${backend}.json`, import.meta.url), 'utf8'))._response;
      for (const version of ['v2', 'v3']) {
        const config = await request(`${system.url}/api/${version}/alqor_${backend}_simulator/get_config`);
        expectJson(config, 200);
        const body = config.body as Record<string, unknown>;
        expect(JSON.stringify({ ...body, url: null }), backend).to.equal(JSON.stringify({ ...expected, url: null }));
        expect(body.url).to.equal(`${system.url}/api/${version}/alqor_${backend}_simulator/`);
      }
    }
  });

  it('builds get_config\'s url from a Host header only when it is a host name, refusing anything else with 400', async () => {
    const { port } = new URL(system.url);
    const getConfig = (host: string) =>
      new Promise<{ status: number; body: Record<string, unknown> }>((resolve, reject) => {
        const sent = httpRequest({ host: '127.0.0.1', port, path: '/api/v2/singlequdit/get_config', headers: { host } }, (answer) => {
          let text = '';
          answer.on('data', (chunk: Buffer) => (text += chunk.toString()));
          answer.on('end', () => resolve({ status: answer.statusCode!, body: JSON.parse(text) as Record<string, unknown> }));
        });
        sent.on('error', reject).end();
      });
    for (const host of ['lab.example.org:8443', '[::1]:8000']) {
      const answer = await getConfig(host);
      expect([answer.status, answer.body.url]).to.deep.equal([200, `http://${host}/api/v2/alqor_singlequdit_simulator/`]);
    }
    for (const host of ['evil.example"><script>', 'a b', 'x/y']) {
      const answer = await getConfig(host);
      expect(answer.status, host).to.equal(400);
      expect(answer.body).to.include({ status: 'ERROR', error_message: 'The Host header is not a host name with an optional port' });
    }
  });

  it('serves openapi.json and docs under each prefix, as django-ninja does', async () => {
    for (const [version, body] of [['v2', 'JobSchemaWithTokenIn'], ['v3', 'DictSchema']] as const) {
      const document = await request(`${system.url}/api/${version}/openapi.json`);
      expectJson(document, 200);
      const { paths, components } = document.body as { paths: Record<string, Record<string, { security: unknown[] }>>; components: { schemas: Record<string, unknown> } };
      const routes = ['backends', '{backend_name}/get_config', '{backend_name}/get_backend_status', '{backend_name}/post_job', '{backend_name}/get_job_status', '{backend_name}/get_job_result'];
      expect(Object.keys(paths)).to.deep.equal(routes.map((route) => `/api/${version}/${route}`));
      expect(paths[`/api/${version}/{backend_name}/post_job`]!.post!.security).to.deep.equal(version === 'v3' ? [{ bearer: [] }] : []);
      expect(components.schemas).to.have.keys('BackendConfigSchemaOut', 'BackendStatusSchemaOut', 'StatusMsgDict', 'ResultDict', body, 'ValidationError');
      const docs = await request(`${system.url}/api/${version}/docs`);
      expect(docs.status).to.equal(200);
      expect(docs.headers.get('content-type')).to.equal('text/html; charset=utf-8');
      expect(docs.text).to.contain(`/api/${version}/{backend_name}/post_job`);
    }
  });

  it('get_backend_status reports the live spooler and the queue', async () => {
    const response = await request(`${v2}/singlequdit/get_backend_status`);
    expectJson(response, 200, {
      backend_name: 'alqor_singlequdit_simulator',
      backend_version: '0.3',
      operational: true,
      pending_jobs: 0,
      status_msg: '',
    });
  });
});

describe('qlued API: a cancelled job', function () {
  this.timeout(30_000);
  let system: TestSystem;
  before(async () => {
    system = await startSystem();
    // Its spoolers published the backends; stopped, they leave the job queued until it is cancelled.
    await Promise.all(system.spoolers.map((spooler) => spooler.stop()));
  });
  after(async () => system.stop());

  it('reads CANCELLED on get_job_status and "error" on get_job_result, where qiskit-cold-atom stops waiting', async () => {
    const posted = await postJson(`${system.url}/api/v2/singlequdit/post_job`, { job: goodJob, token: system.token });
    const id = (posted.body as { job_id: string }).job_id;
    const cancel = await request(`${system.url}/api/v1/jobs/${id}/cancel`, { method: 'POST', headers: { Authorization: `Bearer ${system.token}` } });
    expect(cancel.status, cancel.text).to.equal(200);
    const query = `job_id=${id}&username=alice&token=${system.token}`;
    const status = await request(`${system.url}/api/v2/singlequdit/get_job_status?${query}`);
    expectJson(status, 200);
    expect(status.body).to.include({ job_id: id, status: 'CANCELLED', error_message: 'None' });
    const result = await request(`${system.url}/api/v2/alqor_singlequdit_simulator/get_job_result?${query}`);
    expectJson(result, 406);
    expect(result.body).to.include({ job_id: id, status: 'error' });
    expect((result.body as { detail: string }).detail).to.match(/Cancelled/);
  });
});
