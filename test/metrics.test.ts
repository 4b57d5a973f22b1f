// /metrics, /healthz and /readyz. The metrics text is read with a Prometheus text-format parser written from the
// exposition format's grammar (HELP/TYPE lines, samples with escaped label values), and the numbers are checked
// against storage: the queue-depth gauge is the real number of queued jobs, finished jobs are counted by state with
// their wait and run times, and every request is counted under its route pattern. A spooler process serves its own
// on an opt-in port.
import { expect } from 'chai';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSpoolerMetrics } from '../server/metrics/spooler.ts';
import { ns } from '../storage/records.ts';
import { startHarness, GOOD_JOB, eventually, type Harness } from './native-api/harness.ts';
import { spawnQspool } from './support/qspool-process.ts';
import { startSystem } from './support/system.ts';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

interface Exposition {
  types: Record<string, string>;
  samples: Sample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

/** Label set `{a="x",b="y\"z"}` → object; throws on anything the format does not allow. */
function parseLabels(text: string): Record<string, string> {
  const labels: Record<string, string> = {};
  const pattern = /\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\\\|\\"|\\n)*)"\s*(,|$)/y;
  let at = 0;
  while (at < text.length) {
    pattern.lastIndex = at;
    const match = pattern.exec(text);
    if (!match) throw new Error(`bad label set {${text}} at ${at}`);
    labels[match[1]!] = match[2]!.replace(/\\(["\\n])/g, (_, c: string) => (c === 'n' ? '\n' : c));
    at = pattern.lastIndex;
  }
  return labels;
}

/** Prometheus reads values with Go's ParseFloat, which takes Inf and NaN in any letter case (prom-client writes Nan). */
function parseValue(text: string): number {
  if (/^\+?inf(inity)?$/i.test(text)) return Infinity;
  if (/^-inf(inity)?$/i.test(text)) return -Infinity;
  if (/^nan$/i.test(text)) return NaN;
  const value = Number(text);
  if (text.trim() === '' || Number.isNaN(value)) throw new Error(`bad sample value ${text}`);
  return value;
}

function parsePrometheusText(text: string): Exposition {
  const types: Record<string, string> = {};
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    if (line.startsWith('#')) {
      const [, kind, name, rest] = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line) ?? [];
      if (!kind || !NAME.test(name!)) continue;
      if (kind === 'TYPE') {
        expect(['counter', 'gauge', 'histogram', 'summary', 'untyped'], line).to.include(rest);
        types[name!] = rest!;
      }
      continue;
    }
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)(?: (-?\d+))?$/.exec(line);
    if (!match) throw new Error(`not a sample line: ${line}`);
    samples.push({ name: match[1]!, labels: match[2] ? parseLabels(match[2]) : {}, value: parseValue(match[3]!) });
  }
  return { types, samples };
}

function value(exposition: Exposition, name: string, labels: Record<string, string> = {}): number | undefined {
  return exposition.samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
}

describe('metrics and health endpoints', () => {
  let h: Harness;
  let token: string;

  before(async () => {
    h = await startHarness({ LOG_LEVEL: 'silent' });
    token = await h.user('mia');
  });
  after(async () => h.stop());

  async function scrape(): Promise<Exposition> {
    const response = await fetch(`${h.url}/metrics`);
    expect(response.status).to.equal(200);
    expect(response.headers.get('content-type')).to.match(/^text\/plain; version=0\.0\.4/);
    return parsePrometheusText(await response.text());
  }

  const submit = async (backend: string) => {
    const answer = await h.call('POST', `/backends/${backend}/jobs`, { token, body: { payload: GOOD_JOB } });
    expect(answer.status, answer.text).to.equal(201);
    return (answer.body as { id: string }).id;
  };

  it('parses escaped label values and special numbers the way the format defines them', () => {
    const parsed = parsePrometheusText('# TYPE x gauge\nx{a="q\\"uote",b="back\\\\slash",c="new\\nline"} +Inf\ny 1 1700000000000\n');
    expect(parsed.samples[0]).to.deep.equal({ name: 'x', labels: { a: 'q"uote', b: 'back\\slash', c: 'new\nline' }, value: Infinity });
    expect(parsed.samples[1]!.value).to.equal(1);
    expect(() => parsePrometheusText('x{a=unquoted} 1')).to.throw();
  });

  it('reports a queue-depth gauge equal to the real number of queued jobs', async () => {
    // No spooler runs yet: everything submitted stays queued.
    for (let i = 0; i < 3; i += 1) await submit('singlequdit');
    const exposition = await scrape();
    expect(exposition.types.qspool_backend_queue_depth).to.equal('gauge');
    for (const backend of ['singlequdit', 'fermions', 'rydberg']) {
      const queued = await h.storage.list(ns.queued(backend), { limit: 1000 });
      expect(value(exposition, 'qspool_backend_queue_depth', { backend }), backend).to.equal(queued.length);
    }
    expect(value(exposition, 'qspool_backend_queue_depth', { backend: 'singlequdit' })).to.equal(3);
    // No spooler ever sent a heartbeat: the age is absent rather than a made-up number.
    expect(value(exposition, 'qspool_backend_last_heartbeat_age_seconds', { backend: 'singlequdit' })).to.equal(undefined);
  });

  it('counts finished jobs by state with wait and run times, and the heartbeat age, once spoolers ran them', async () => {
    const cancelled = await submit('singlequdit');
    await h.call('POST', `/jobs/${cancelled}/cancel`, { token });
    await h.startSpoolers();
    await eventually(async () => ((await h.storage.list(ns.queued('singlequdit'))).length === 0 ? true : undefined), 20_000);
    const exposition = await eventually(async () => {
      const scraped = await scrape();
      return value(scraped, 'qspool_jobs_finished_total', { backend: 'singlequdit', state: 'DONE' }) === 3 ? scraped : undefined;
    }, 20_000, 200);
    expect(exposition.types.qspool_jobs_finished_total).to.equal('counter');
    expect(value(exposition, 'qspool_jobs_finished_total', { backend: 'singlequdit', state: 'CANCELLED' })).to.equal(1);
    expect(value(exposition, 'qspool_backend_queue_depth', { backend: 'singlequdit' })).to.equal(0);
    // The cancelled job never ran: it has neither a wait nor a run time.
    expect(value(exposition, 'qspool_job_wait_seconds_count', { backend: 'singlequdit' })).to.equal(3);
    expect(value(exposition, 'qspool_job_run_seconds_count', { backend: 'singlequdit', state: 'DONE' })).to.equal(3);
    expect(value(exposition, 'qspool_job_wait_seconds_bucket', { backend: 'singlequdit', le: '+Inf' })).to.equal(3);
    expect(value(exposition, 'qspool_backend_last_heartbeat_age_seconds', { backend: 'singlequdit' })).to.be.within(0, 30);
    expect(value(exposition, 'qspool_backend_operational', { backend: 'singlequdit' })).to.equal(1);
    // A second scrape counts nothing twice.
    const again = await scrape();
    expect(value(again, 'qspool_jobs_finished_total', { backend: 'singlequdit', state: 'DONE' })).to.equal(3);
  });

  it('counts HTTP requests by route pattern and status, with a latency histogram', async () => {
    await h.call('GET', '/jobs/0123456789abcdef01234567', { token });
    const exposition = await scrape();
    expect(exposition.types.qspool_http_request_duration_seconds).to.equal('histogram');
    const labels = { method: 'GET', route: '/api/v1/jobs/:id', status: '404' };
    expect(value(exposition, 'qspool_http_requests_total', labels)).to.equal(1);
    expect(value(exposition, 'qspool_http_request_duration_seconds_count', labels)).to.equal(1);
    expect(value(exposition, 'qspool_http_requests_total', { method: 'POST', route: '/api/v1/backends/:name/jobs', status: '201' })).to.be.at.least(4);
    // Raw paths never become labels.
    expect(exposition.samples.some((s) => s.labels.route?.includes('0123456789abcdef'))).to.equal(false);
  });

  it('counts a client that hangs up in the middle of its body as a 400, never a 500', async () => {
    const url = new URL(h.url);
    for (let i = 0; i < 3; i += 1) {
      const socket = connect(Number(url.port), url.hostname);
      await new Promise((resolve) => socket.once('connect', resolve));
      socket.write(`POST /api/v1/backends/singlequdit/jobs HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"payload":`);
      await new Promise((resolve) => setTimeout(resolve, 50));
      socket.destroy();
    }
    const route = { method: 'POST', route: '/api/v1/backends/:name/jobs' };
    const exposition = await eventually(async () => {
      const scraped = await scrape();
      return (value(scraped, 'qspool_http_requests_total', { ...route, status: '400' }) ?? 0) >= 3 ? scraped : undefined;
    });
    const failures = exposition.samples.filter((s) => s.name === 'qspool_http_requests_total' && s.labels.status?.startsWith('5'));
    expect(failures).to.deep.equal([]);
  });

  it('answers /healthz, and /readyz while storage answers (503 when it does not)', async () => {
    expect((await fetch(`${h.url}/healthz`)).status).to.equal(200);
    const ready = await fetch(`${h.url}/readyz`);
    expect(ready.status).to.equal(200);
    expect(await ready.json()).to.include({ status: 'ready' });
    const list = h.storage.list.bind(h.storage);
    h.storage.list = async () => {
      throw new Error('disk gone');
    };
    try {
      const down = await fetch(`${h.url}/readyz`);
      expect(down.status).to.equal(503);
      // Anyone may ask: the provider's own words (paths, hosts) stay in the log.
      expect(await down.json()).to.deep.equal({ status: 'unavailable', storage: h.storage.type, error: 'storage failed (the server log says why)' });
      expect((await fetch(`${h.url}/healthz`)).status).to.equal(200);
    } finally {
      h.storage.list = list;
    }
  });
});

describe('spooler metrics on an opt-in port', () => {
  it('reports its spoolers\' heartbeats and their backends\' queues, and nothing but GET /metrics', async () => {
    const system = await startSystem({ QSPOOL_BACKENDS: 'singlequdit' });
    const endpoint = await startSpoolerMetrics({
      port: 0,
      storage: system.storage,
      providerName: system.config.QSPOOL_PROVIDER_NAME,
      heartbeatTimeoutMs: system.config.QSPOOL_HEARTBEAT_TIMEOUT_S * 1000,
      spoolers: system.spoolers,
    });
    try {
      const response = await fetch(endpoint.url);
      expect(response.status).to.equal(200);
      const exposition = parsePrometheusText(await response.text());
      const spooler = system.spoolers[0]!;
      const labels = { backend: 'singlequdit', spooler: spooler.id };
      expect(value(exposition, 'qspool_spooler_heartbeat_age_seconds', labels)).to.be.within(0, 30);
      expect(value(exposition, 'qspool_spooler_busy', labels)).to.equal(0);
      expect(value(exposition, 'qspool_backend_queue_depth', { backend: 'singlequdit' })).to.equal(0);
      expect(exposition.types.qspool_spooler_process_cpu_seconds_total).to.equal('counter');
      expect((await fetch(endpoint.url.replace('/metrics', '/'))).status).to.equal(404);
    } finally {
      await endpoint.close();
      await system.stop();
    }
  });

  it('are served by `qspool spooler` on QSPOOL_SPOOLER_METRICS_PORT while it runs, and stop with it', async function () {
    this.timeout(60_000);
    const dataDir = await mkdtemp(join(tmpdir(), 'qspool-spooler-metrics-'));
    const spooler = spawnQspool(['spooler', '--backend', 'singlequdit', '--storage', dataDir], { QSPOOL_FSYNC: 'false', QSPOOL_SPOOLER_METRICS_PORT: '0', LOG_LEVEL: 'info' });
    try {
      const { url } = (await spooler.line((line) => line.msg === 'spooler metrics listening')) as { url: string };
      const { spooler: id } = await spooler.line((line) => line.event === 'spooler.started');
      const response = await fetch(url);
      expect(response.status).to.equal(200);
      const exposition = parsePrometheusText(await response.text());
      expect(value(exposition, 'qspool_spooler_busy', { backend: 'singlequdit', spooler: String(id) })).to.equal(0);
      expect(value(exposition, 'qspool_backend_queue_depth', { backend: 'singlequdit' })).to.equal(0);
      spooler.child.kill('SIGTERM');
      expect((await spooler.exited).code, spooler.output()).to.equal(0);
      expect(await fetch(url).then(() => 'answered', () => 'closed')).to.equal('closed');
    } finally {
      spooler.kill();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
