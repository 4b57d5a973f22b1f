// Every route fuzzed anonymously, as a user and as an admin: the native API's operations as the server lists them (a
// new one is fuzzed without being named here), qlued's v2 and v3, health, metrics and the web interface's routes.
// Bodies that are not JSON, the wrong JSON or too much of it; query strings, path ids, methods, content types and
// encodings no route takes; requests broken at the HTTP level. Every answer must be a 4xx whose JSON names the
// problem (405 with Allow), none may hang, nothing may be logged as an error and no stored document may change.
import { expect } from 'chai';
import { gzipSync, deflateSync } from 'node:zlib';
import { GOOD_JOB, startHarness, type Harness } from '../native-api/harness.ts';
import { namesProblem, send, sendRaw, type Probe, type RawOptions, type Reply } from '../support/raw-http.ts';
import { snapshot } from '../support/store-snapshot.ts';

const MAX_BODY = 64 * 1024;
const REQUEST_TIMEOUT_MS = 2000;

interface Route {
  method: string;
  /** With `{param}` placeholders. */
  template: string;
  native: boolean;
  body: boolean;
  /** Who gets past authentication to the query and body: the anonymous caller too, any user, or admins only. */
  gate: 'anyone' | 'user' | 'admin';
}

interface Caller {
  name: 'anonymous' | 'user' | 'admin';
  token?: string;
}

/** A request and the status it must get when its caller passes the route's gate (any 4xx otherwise). */
interface Case {
  label: string;
  native: boolean;
  probe: Probe;
  want?: number;
  /** The methods a 405 must list in Allow. */
  allow?: string[];
}

const reaches = (route: Route, caller: Caller) =>
  route.gate === 'anyone' || (caller.token !== undefined && (route.gate === 'user' || caller.name === 'admin'));

const nested = (depth: number, open: string, inner: string, close: string) => open.repeat(depth) + inner + close.repeat(depth);

/** No route takes any of these: the status is the one a caller past the route's gate gets on the native face. */
const BODIES: [string, string | Buffer, number][] = [
  ['malformed JSON', '{"name": "abc', 400],
  ['top-level array', '[]', 422],
  ['top-level string', '"text"', 422],
  ['top-level null', 'null', 422],
  ['top-level 1e309', '1e309', 422],
  ['top-level -0', '-0', 422],
  ['empty', '', 422],
  ['blank', ' \r\n\t', 422],
  ['wrong field types', JSON.stringify({ username: 1, email: true, password: [], old_password: null, new_password: 7, display_name: {}, name: ['x'], payload: 'x', tags: 'a', priority: 'high', role: 'root', url: 5, events: 'DONE', description: 1, disabled: 'yes', weight: '1', max_priority: 1.5, notify: 'x', job: {}, token: 1 }), 422],
  ['huge numbers', '{"priority":1e309,"weight":18446744073709551616,"max_priority":-1e309,"limit":-0}', 422],
  ['numbers beyond a double', '{"payload":{"experiment_0":{"shots":1e309,"num_wires":-1E+400}},"priority":1e-400,"tags":[-0]}', 422],
  ['NaN-like strings', '{"priority":"NaN","weight":"Infinity","max_priority":"-Infinity","disabled":"NaN","url":"NaN"}', 422],
  ['arrays 10,000 deep', nested(10_000, '[', '', ']'), 400],
  ['objects 10,000 deep', nested(10_000, '{"a":', '1', '}'), 400],
  ['very long strings', JSON.stringify({ name: 'x'.repeat(60_000) }), 422],
  ['invalid UTF-8', Buffer.from([0x7b, 0x22, 0x61, 0xff, 0x22, 0x3a, 0x31, 0x7d]), 400],
  ['overlong UTF-8', Buffer.from('{"a":"\xc0\xaf"}', 'latin1'), 400],
  ['surrogate encoded in UTF-8', Buffer.from('{"name":"\xed\xa0\x80"}', 'latin1'), 400],
  ['lone surrogate escapes', '{"\\ud800":"\\udfff","name":"\\ud83d"}', 422],
  ['duplicate keys', '{"payload":{},"payload":"last wins","name":"a","name":7}', 422],
  ['__proto__ key', '{"__proto__":{"role":"admin","disabled":true,"polluted":true}}', 422],
  ['constructor.prototype keys', '{"constructor":{"prototype":{"polluted":true}},"prototype":{"polluted":true}}', 422],
  ['over the limit', 'x'.repeat(MAX_BODY + 1), 413],
];

/** A body in a type or charset the server does not read JSON from, or with one the body breaks. */
const CONTENT_TYPES: [string, string | undefined, string | Buffer, number][] = [
  ['form-encoded', 'application/x-www-form-urlencoded', 'payload=x&name=y', 400],
  ['multipart', 'multipart/form-data; boundary=b', '--b\r\nContent-Disposition: form-data; name="name"\r\n\r\nx\r\n--b--\r\n', 400],
  ['text/plain', 'text/plain', '[]', 422],
  ['charset=latin1', 'application/json; charset=latin1', Buffer.from('{"name":"\xe9t\xe9"}', 'latin1'), 415],
  ['no Content-Type', undefined, '"text"', 422],
];

/** Bodies are taken uncompressed: compressed or merely labelled so, they are refused before being read. */
const ENCODINGS: [string, Buffer][] = [
  ['gzip', gzipSync('{}')],
  ['deflate', deflateSync('{}')],
  ['x-unknown', Buffer.from('{}')],
  ['gzip, identity', Buffer.from('{}')],
];

/** Every one invalid for every native route: unknown parameters, or values a route's query schema refuses. */
const QUERIES = (forgedCursor: string, otherUsersCursor: string) => [
  'x=1', 'limit=', 'limit=0', 'limit=-1', 'limit=201', 'limit=1e309', 'limit=99999999999999999999', 'limit=abc', 'limit=1.5',
  'limit=NaN', 'limit=0x10', 'limit=1e2', 'limit=%205', 'limit=%2B5', 'limit=0b11', 'limit=5.0', 'limit=Infinity', 'limit=1&limit=2', 'limit[]=1', 'after=', 'after=..%2Fbob', 'after=a&after=b', 'cursor=%00', `cursor=${forgedCursor}`,
  `cursor=${otherUsersCursor}`, '__proto__=1', '__proto__[role]=admin', 'constructor[prototype][polluted]=1',
];

/** Path ids no route has: traversal, NUL, over-long, encodings that are not UTF-8, look-alikes of the real one. */
const BAD_IDS = (real: string) => [
  '%2F', '%2e%2e', '..%2F..%2Fusers%2Falice', '%00', `${real}%00`, `${real}%20`, 'a'.repeat(3000), '%C0%AE%C0%AE', '%FF',
  real.toUpperCase() === real ? `${real}a` : real.toUpperCase(), encodeURIComponent([...real].map((c) => String.fromCodePoint(c.codePointAt(0)! + 0xfee0)).join('')),
  `%E2%80%AE${real}`, 'constructor', '__proto__',
];

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'TRACE', 'PROPFIND'];

function head(method: string, path: string, caller: Caller, lines: string[]): string {
  const auth = caller.token ? [`Authorization: Bearer ${caller.token}`] : [];
  return [`${method} ${path} HTTP/1.1`, 'Host: x', 'Connection: close', ...auth, ...lines, '', ''].join('\r\n');
}

/** Requests broken at the HTTP level, and what a caller past the gate gets (0: it hung up, nothing to answer). */
function brokenRequests(method: string, path: string, caller: Caller): [string, string, RawOptions, number][] {
  const chunk = `1000\r\n${'x'.repeat(0x1000)}\r\n`;
  return [
    ['chunked over the limit', head(method, path, caller, ['Transfer-Encoding: chunked']) + chunk.repeat(MAX_BODY / 0x1000 + 1) + '0\r\n\r\n', {}, 413],
    ['Content-Length over the limit, body never sent', head(method, path, caller, [`Content-Length: ${MAX_BODY * 100}`]) + '{"a":', { hold: true }, 413],
    ['Content-Length larger than the body sent', head(method, path, caller, ['Content-Length: 1000']) + '{"a":', { hold: true }, 408],
    ['Expect: 100-continue over the limit', head(method, path, caller, ['Expect: 100-continue', `Content-Length: ${MAX_BODY * 100}`]), { hold: true }, 413],
    ['an unknown Expect', head(method, path, caller, ['Expect: x-fancy', 'Content-Length: 2']) + '{}', {}, 417],
    ['very many headers', head(method, path, caller, Array.from({ length: 3000 }, (_, i) => `X-H${i}: v`)), {}, 431],
    ['cut mid-body', head(method, path, caller, ['Content-Length: 1000']) + '{"name": "ab', { hold: true, hangUpMs: 100 }, 0],
    ['cut mid-chunk', head(method, path, caller, ['Transfer-Encoding: chunked']) + '100\r\n{"name": "ab', { hold: true, hangUpMs: 100 }, 0],
    ['no Host', head(method, path, caller, ['Content-Length: 2']).replace('Host: x\r\n', '') + '{}', {}, 400],
  ];
}

describe('API fuzzing: every route, every caller', function () {
  this.timeout(300_000);
  let h: Harness;
  let port: number;
  let callers: Caller[];
  let user: Caller;
  let routes: Route[];
  /** The real value of each path parameter, by `<first path segment>.<parameter>`; bob's in `others`. */
  let values: Record<string, string>;
  let others: Record<string, string>;
  let cursors: { forged: string; bob: string };
  let aliceJob: string;

  before(async () => {
    h = await startHarness({ QSPOOL_MAX_BODY_BYTES: MAX_BODY, QSPOOL_WEBHOOK_ALLOW_PRIVATE: true, QSPOOL_REQUEST_TIMEOUT_MS: REQUEST_TIMEOUT_MS, QSPOOL_HEADERS_TIMEOUT_MS: 1000 });
    port = Number(new URL(h.url).port);
    const alice = await h.user('alice');
    const bob = await h.user('bob');
    user = { name: 'user', token: alice };
    callers = [{ name: 'anonymous' }, user, { name: 'admin', token: await h.user('root', 'admin') }];
    // Webhooks for DONE only: no job finishes here, so no delivery is written while the store is compared.
    const hook = async (token: string) => ((await h.call('POST', '/webhooks', { token, body: { url: 'http://127.0.0.1:9/hook', events: ['DONE'] } })).body as { id: string }).id;
    const job = async (token: string) => ((await h.call('POST', '/backends/singlequdit/jobs', { token, body: { payload: GOOD_JOB } })).body as { id: string }).id;
    const tokenId = async (token: string) => ((await h.call('GET', '/tokens', { token })).body as { tokens: { id: string }[] }).tokens[0]!.id;
    aliceJob = await job(alice);
    const bobJob = await job(bob);
    await job(bob);
    values = { 'jobs.id': aliceJob, 'admin.id': aliceJob, 'webhooks.id': await hook(alice), 'tokens.id': await tokenId(alice), 'backends.name': 'singlequdit', 'admin.name': 'alqor', 'admin.username': 'alice' };
    others = { 'jobs.id': bobJob, 'webhooks.id': await hook(bob), 'tokens.id': await tokenId(bob) };
    cursors = {
      forged: Buffer.from(`zz\nalqor ..\n.${'x'.repeat(12)}`).toString('base64url'),
      bob: ((await h.call('GET', '/jobs?limit=1', { token: bob })).body as { next_cursor: string }).next_cursor,
    };
    const native = h.server.api.operations.map((op): Route => ({
      method: op.method.toUpperCase(),
      template: `/api/v1${op.path}`,
      native: true,
      body: op.body !== undefined,
      gate: op.auth === 'none' || op.auth === 'optional' ? 'anyone' : op.role === 'admin' ? 'admin' : 'user',
    }));
    const qlued = ['v2', 'v3'].flatMap((v) =>
      (
        [['GET', 'openapi.json'], ['GET', 'docs'], ['GET', 'backends'], ['GET', '{backend}/get_config'], ['GET', '{backend}/get_backend_status'],
          ['POST', '{backend}/post_job'], ['GET', '{backend}/get_job_status'], ['GET', '{backend}/get_job_result']] as const
      ).map(([method, rest]): Route => ({ method, template: `/api/${v}/${rest}`, native: false, body: method === 'POST', gate: v === 'v3' ? 'user' : 'anyone' })),
    );
    const pages = ['/healthz', '/readyz', '/metrics', '/', '/login', '/signup', '/backends', '/submit', '/jobs', '/jobs/{page}', '/tokens', '/admin', '/ui/{file}'];
    routes = [...native, ...qlued, ...pages.map((template): Route => ({ method: 'GET', template, native: true, body: false, gate: 'anyone' }))];
    // Every native operation is here, from the server's own list.
    expect(native.length).to.equal(h.server.api.operations.length).and.to.be.greaterThan(40);
  });
  after(() => h?.stop());

  /**
   * The template's path with every parameter filled from `from` (the real values unless told otherwise); qlued's job
   * routes with the caller's job id and, for v2, token.
   */
  function pathFor(template: string, caller: Caller, from: Record<string, string> = values): string {
    const scope = template.split('/')[template.startsWith('/api/') ? 3 : 1]!;
    const path = template
      .replace('{backend}', 'singlequdit')
      .replace('{page}', aliceJob)
      .replace('{file}', 'app.js')
      .replace(/\{(\w+)\}/g, (_, name: string) => from[`${scope}.${name}`] ?? values[`${scope}.${name}`]!);
    if (!/\/get_job_(status|result)$/.test(path)) return path;
    return `${path}?job_id=${from['jobs.id'] ?? aliceJob}${path.startsWith('/api/v2/') ? `&token=${caller.token ?? ''}` : ''}`;
  }

  const headers = (caller: Caller, extra: Record<string, string> = {}) => ({ ...(caller.token ? { Authorization: `Bearer ${caller.token}` } : {}), ...extra });

  /** A body that would be taken: with it, a route's only fault is the one being fuzzed. */
  function validBody(route: Route, caller: Caller): string {
    if (route.template.includes('/admin/users/')) return '{"disabled":false}';
    if (route.template.startsWith('/api/v2/')) return JSON.stringify({ job: JSON.stringify(GOOD_JOB), token: caller.token ?? '' });
    return JSON.stringify({ payload: GOOD_JOB });
  }

  function bodyCases(): Case[] {
    const cases: Case[] = [];
    for (const route of routes.filter((r) => r.body)) {
      for (const caller of callers) {
        const want = (status: number) => (route.native && reaches(route, caller) ? status : undefined);
        const probe = (body: string | Buffer, extra: Record<string, string>) => ({ method: route.method, path: pathFor(route.template, caller), headers: headers(caller, extra), body });
        const at = `${caller.name} ${route.method} ${route.template}`;
        for (const [label, body, status] of BODIES) cases.push({ label: `${at}: ${label}`, native: route.native, probe: probe(body, { 'Content-Type': 'application/json' }), want: want(status) });
        for (const [label, type, body, status] of CONTENT_TYPES) {
          cases.push({ label: `${at}: ${label}`, native: route.native, probe: probe(body, type ? { 'Content-Type': type } : {}), want: want(status) });
        }
        for (const [encoding, body] of ENCODINGS) {
          cases.push({ label: `${at}: Content-Encoding ${encoding}`, native: route.native, probe: probe(body, { 'Content-Type': 'application/json', 'Content-Encoding': encoding }), want: want(415) });
        }
      }
    }
    return cases;
  }

  /** Native operations that take no body refuse one that says something (400 unexpected_body), however large, rather than ignore it. */
  function unexpectedBodyCases(): Case[] {
    const cases: Case[] = [];
    for (const route of routes.filter((r) => r.native && r.template.startsWith('/api/v1/') && !r.body)) {
      for (const caller of callers) {
        for (const [label, body] of [['{"force":true}', '{"force":true}'], ['a body over the limit', 'x'.repeat(MAX_BODY + 1)]] as const) {
          const probe = { method: route.method, path: pathFor(route.template, caller), headers: headers(caller, { 'Content-Type': 'application/json' }), body };
          cases.push({ label: `${caller.name} ${route.method} ${route.template}: ${label}`, native: true, probe, ...(reaches(route, caller) ? { want: 400 } : {}) });
        }
      }
    }
    return cases;
  }

  function queryCases(): Case[] {
    const cases: Case[] = [];
    for (const route of routes.filter((r) => r.native && r.template.startsWith('/api/v1/'))) {
      for (const caller of callers) {
        for (const query of QUERIES(cursors.forged, cursors.bob)) {
          const probe = { method: route.method, path: `${pathFor(route.template, caller)}?${query}`, headers: headers(caller, { 'Content-Type': 'application/json' }), ...(route.body ? { body: validBody(route, caller) } : {}) };
          cases.push({ label: `${caller.name} ${route.method} ${route.template}?${query}`, native: true, probe, ...(reaches(route, caller) ? { want: 422 } : {}) });
        }
      }
    }
    return cases;
  }

  function idCases(): Case[] {
    const cases: Case[] = [];
    const add = (route: Route, caller: Caller, path: string, want?: number) => {
      const probe = { method: route.method, path, headers: headers(caller, { 'Content-Type': 'application/json' }), ...(route.body ? { body: validBody(route, caller) } : {}) };
      cases.push({ label: `${caller.name} ${route.method} ${path.slice(0, 160)}`, native: route.native, probe, ...(want && reaches(route, caller) ? { want } : {}) });
    };
    for (const route of routes.filter((r) => /\{(?!page)\w+\}/.test(r.template))) {
      const param = /\{\w+\}/.exec(route.template)![0];
      const real = pathFor(route.template, user).split('?')[0]!.split('/')[route.template.split('/').indexOf(param)]!;
      for (const caller of callers) {
        for (const id of BAD_IDS(real)) add(route, caller, pathFor(route.template.replace(param, id), caller), route.native ? 404 : undefined);
      }
    }
    // Another user's job, webhook or token is no job, webhook or token of the caller's.
    for (const route of routes.filter((r) => /^\/api\/v1\/(jobs|webhooks|tokens)\/\{id\}|get_job_/.test(r.template))) add(route, user, pathFor(route.template, user, others), route.native ? 404 : undefined);
    for (const route of routes.filter((r) => /get_job_/.test(r.template))) {
      for (const id of BAD_IDS(aliceJob)) add(route, user, pathFor(route.template, user, { 'jobs.id': id }));
    }
    return cases;
  }

  function methodCases(): Case[] {
    const byPath = new Map<string, { native: boolean; methods: Set<string> }>();
    for (const route of routes) {
      const path = pathFor(route.template, user);
      const entry = byPath.get(path) ?? { native: route.native, methods: new Set<string>() };
      entry.methods.add(route.method);
      byPath.set(path, entry);
    }
    const cases: Case[] = [];
    for (const [path, { native, methods }] of byPath) {
      const allow = [...methods].sort();
      for (const caller of callers.slice(0, 2)) {
        for (const method of METHODS.filter((m) => !methods.has(m) && !(m === 'HEAD' && methods.has('GET')))) {
          cases.push({ label: `${caller.name} ${method} ${path}`, native, probe: { method, path, headers: headers(caller) }, want: 405, allow });
        }
      }
    }
    return cases;
  }

  /** What is wrong with an answer, or undefined when it is a 4xx naming its problem (no body for HEAD). */
  function fault(reply: Reply, native: boolean, method: string, want?: number, allow?: string[]): string | undefined {
    if (reply.status === 0) return 'no answer (hung)';
    if (reply.status < 400 || reply.status > 499) return `status ${reply.status}`;
    if (want !== undefined && reply.status !== want) return `status ${reply.status}, not ${want}`;
    if (allow && reply.allow.split(', ').sort().join() !== allow.join()) return `Allow "${reply.allow}", not ${allow.join(', ')}`;
    if (method === 'HEAD') return undefined;
    if (!reply.type.startsWith('application/json')) return `Content-Type ${reply.type}`;
    if (!namesProblem(reply.text, native)) return 'a body that names no problem';
  }

  async function run(cases: Case[]): Promise<string[]> {
    const failures: string[] = [];
    for (let i = 0; i < cases.length; i += 16) {
      const batch = cases.slice(i, i + 16);
      const replies = await Promise.all(batch.map((c) => send(port, c.probe)));
      replies.forEach((reply, j) => {
        const c = batch[j]!;
        const problem = fault(reply, c.native, c.probe.method, c.want, c.allow);
        if (problem) failures.push(`${c.label.slice(0, 200)} → ${problem}: ${reply.text.slice(0, 160)}`);
      });
    }
    return failures;
  }

  /** After a run: the server answers, alice's job is as it was, nothing was stored, nothing logged as an error. */
  async function unharmed(before: Map<string, string>): Promise<void> {
    expect((await h.call('GET', '/backends')).status, 'the server is still up').to.equal(200);
    expect((await h.call('GET', `/jobs/${aliceJob}`, { token: user.token! })).body).to.include({ status: 'QUEUED' });
    expect([...(await snapshot(h.dataDir)).entries()]).to.deep.equal([...before.entries()]);
    expect(h.logs.filter((line) => /"level":(50|60)/.test(line)), 'nothing logged as an error').to.deep.equal([]);
    expect(({} as Record<string, unknown>).polluted).to.equal(undefined);
    expect(Object.prototype).to.not.have.property('role');
  }

  for (const [name, cases] of [
    ['bodies, content types and encodings', bodyCases],
    ['bodies sent to operations that take none', unexpectedBodyCases],
    ['query strings', queryCases],
    ['path ids and other users\' ids', idCases],
    ['methods', methodCases],
  ] as const) {
    it(`refuses bad ${name} with a 4xx naming the problem, and stores nothing`, async () => {
      const before = await snapshot(h.dataDir);
      const list = cases();
      expect(list.length).to.be.greaterThan(100);
      const failures = await run(list);
      expect(failures, failures.join('\n')).to.deep.equal([]);
      await unharmed(before);
    });
  }

  it('refuses requests broken at the HTTP level on every route that takes a body, and hangs on none', async () => {
    const before = await snapshot(h.dataDir);
    const failures: string[] = [];
    const list = routes.filter((r) => r.body).flatMap((route) =>
      callers.flatMap((caller) => brokenRequests(route.method, pathFor(route.template, caller), caller).map(([label, text, options, status]) => ({ route, caller, label, text, options, status }))),
    );
    // Wide batches: a body promised and never sent waits for QSPOOL_REQUEST_TIMEOUT_MS.
    for (let i = 0; i < list.length; i += 64) {
      const batch = list.slice(i, i + 64);
      const replies = await Promise.all(batch.map(({ text, options }) => sendRaw(port, text, { waitMs: REQUEST_TIMEOUT_MS * 3, ...options })));
      replies.forEach((reply, j) => {
        const { route, caller, label, status } = batch[j]!;
        if (status === 0) return;
        const want = route.native && reaches(route, caller) ? status : undefined;
        const problem = fault(reply, route.native, route.method, want);
        if (problem) failures.push(`${caller.name} ${route.method} ${route.template}: ${label} → ${problem}: ${reply.text.slice(0, 160)}`);
      });
    }
    for (const [label, text] of [
      ['CONNECT', 'CONNECT 127.0.0.1:80 HTTP/1.1\r\nHost: x\r\n\r\n'],
      ['OPTIONS *', 'OPTIONS * HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'],
      ['a request line that is not HTTP', 'GARBAGE\r\n\r\n'],
    ]) {
      const problem = fault(await sendRaw(port, text!), true, 'GET');
      if (problem) failures.push(`${label} → ${problem}`);
    }
    expect(failures, failures.join('\n')).to.deep.equal([]);
    await unharmed(before);
  });
});
