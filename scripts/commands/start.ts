// `qspool start` (npm start): the whole system in one process on local storage, with a demo user and a
// printed first job to submit.
import { readFile, writeFile } from 'node:fs/promises';
import { startServer } from '../../server/index.ts';
import { demoTokenFile, onShutdown, openRuntime, startSpoolers, type Runtime } from '../runtime.ts';

async function demoToken(runtime: Runtime, users: Awaited<ReturnType<typeof startServer>>['users']): Promise<string> {
  const file = demoTokenFile(runtime.config);
  const saved = await readFile(file, 'utf8').then((text) => text.trim(), () => '');
  if (saved && (await users.authenticate(saved))) return saved;
  const { token } = await users.ensureUserWithToken('demo');
  await writeFile(file, `${token}\n`, { mode: 0o600 });
  return token;
}

function firstJobCommand(url: string, token: string): string {
  const job = JSON.stringify({
    experiment_0: {
      instructions: [['load', [0], [50]], ['rlx', [0], [1.5707963267948966]], ['measure', [0], []]],
      shots: 10,
      num_wires: 1,
      wire_order: 'interleaved',
    },
  });
  const body = JSON.stringify({ job, username: 'demo', token });
  return `curl -s -X POST ${url}/api/v2/singlequdit/post_job -H 'Content-Type: application/json' -d '${body}'`;
}

export async function runStart(): Promise<void> {
  const runtime = await openRuntime();
  const spoolers = startSpoolers(runtime);
  await Promise.all(spoolers.map((spooler) => spooler.start()));
  const server = await startServer(runtime.storage, runtime.config, runtime.logger);
  const token = await demoToken(runtime, server.users);
  onShutdown(runtime.logger, async () => {
    await server.close();
    await Promise.all(spoolers.map((spooler) => spooler.stop()));
    await runtime.storage.close();
  });
  const lines = [
    '',
    `qspool is running at ${server.url}  (data: ${runtime.config.QSPOOL_DATA_DIR})`,
    `Spoolers: ${spoolers.map((s) => s.backendName).join(', ')}`,
    `API token: ${token}`,
    '',
    'Submit a first job (50 atoms, a π/2 rotation, 10 shots):',
    `  ${firstJobCommand(server.url, token)}`,
    'then fetch its result with the job_id it prints:',
    `  curl -s '${server.url}/api/v2/singlequdit/get_job_result?job_id=JOB_ID&token=${token}'`,
    '',
    'Press Ctrl-C to stop.',
    '',
  ];
  process.stdout.write(lines.join('\n'));
}
