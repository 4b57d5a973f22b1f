// `qspool start` (npm start): the whole system in one process on local storage, with a demo user and a
// printed first job to submit.
import { readFile, writeFile } from 'node:fs/promises';
import examples from '../../server/ui/examples.json' with { type: 'json' };
import { backendList, ConfigError, loadConfig } from '../../config/index.ts';
import { startServer } from '../../server/index.ts';
import { backendNamesProblem, demoTokenFile, hurryAll, namedBackendsProblem, Lifetime, onShutdown, runtimeFor, startAll, startSpoolers, stopAll, type Runtime } from '../runtime.ts';

async function demoToken(runtime: Runtime, users: Awaited<ReturnType<typeof startServer>>['users']): Promise<string> {
  const file = demoTokenFile(runtime.config);
  const saved = await readFile(file, 'utf8').then((text) => text.trim(), () => '');
  if (saved && (await users.authenticate(saved))) return saved;
  const { token } = await users.ensureUserWithToken('demo');
  await writeFile(file, `${token}\n`, { mode: 0o600 });
  return token;
}

/** A first job for whichever demo backend runs: 50 atoms and a π/2 rotation, or a qubit text job. */
function firstJob(backends: string[]): { backend: string; job: unknown; what: string } | undefined {
  if (backends.includes('singlequdit')) {
    const experiment = {
      instructions: [['load', [0], [50]], ['rlx', [0], [1.5707963267948966]], ['measure', [0], []]],
      shots: 10,
      num_wires: 1,
      wire_order: 'interleaved',
    };
    return { backend: 'singlequdit', job: { experiment_0: experiment }, what: '50 atoms, a π/2 rotation, 10 shots' };
  }
  if (backends.includes('qubit')) {
    const experiment = { instructions: 'X(90), Z(45)', shots: 10, num_wires: 1, wire_order: 'sequential' };
    return { backend: 'qubit', job: { experiment_0: experiment }, what: 'X(90), Z(45) on one qubit, 10 shots' };
  }
  // Any other backend: the first valid job the Submit page offers for it (the corpus), rather than no command at all.
  const offered = examples.examples.find((example) => example.valid && backends.includes(example.backend));
  return offered && { backend: offered.backend, job: offered.payload, what: `${offered.title}, from the Submit page's examples` };
}

function firstJobLines(url: string, token: string, backends: string[]): string[] {
  const first = firstJob(backends);
  if (!first) return [`Backends: ${backends.join(', ')}; see the README for job formats.`];
  const body = JSON.stringify({ job: JSON.stringify(first.job), username: 'demo', token });
  return [
    `Submit a first job (${first.what}):`,
    `  curl -s -X POST ${url}/api/v2/${first.backend}/post_job -H 'Content-Type: application/json' -d '${body}'`,
    'then fetch its result with the job_id it prints:',
    `  curl -s '${url}/api/v2/${first.backend}/get_job_result?job_id=JOB_ID&token=${token}'`,
  ];
}

export async function runStart(): Promise<void> {
  // The quick start is always on the local store: its demo user has no place on a store that replicas share.
  const config = loadConfig(process.env, { QSPOOL_STORE_FILE: '' });
  // The pattern admits any lower-case name; one no spooler can serve used to fail without naming the variable.
  const problem = backendNamesProblem(backendList(config));
  if (problem) throw new ConfigError(`Invalid configuration: QSPOOL_BACKENDS: ${problem}`);
  const named = namedBackendsProblem(config);
  if (named) throw new ConfigError(`Invalid configuration: ${named}`);
  const runtime = await runtimeFor(config);
  const lifetime = new Lifetime(runtime.logger);
  lifetime.add(() => runtime.storage.close());
  const spoolers = startSpoolers(runtime);
  onShutdown(runtime.logger, () => lifetime.stop(), () => hurryAll(spoolers));
  // The server first: a start that fails there (a port in use) fails before any spooler has claimed a job.
  const server = await lifetime.start(() => startServer(runtime.storage, runtime.config, runtime.logger), (started) => started.close());
  const token = await lifetime.start(() => demoToken(runtime, server.users));
  await lifetime.start(() => startAll(spoolers), () => stopAll(spoolers));
  const lines = [
    '',
    `qspool is running at ${server.url}  (data: ${runtime.config.QSPOOL_DATA_DIR})`,
    `Spoolers: ${spoolers.map((s) => s.backendName).join(', ')}`,
    `API token: ${token}`,
    '',
    ...firstJobLines(server.url, token, spoolers.map((s) => s.backendName)),
    '',
    'Press Ctrl-C to stop.',
    '',
  ];
  process.stdout.write(lines.join('\n'));
}
