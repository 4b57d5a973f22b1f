// `qspool job submit|estimate|status|result|cancel|list|watch`: a user's jobs through the native API (scripts/client), with
// the server and token from `qspool login` or QSPOOL_URL / QSPOOL_TOKEN. Tables and status lines for people,
// `--json` for scripts. `submit --wait` and `watch` exit 0 when the job is DONE, 3 on ERROR, 4 when CANCELLED.
import { readFile, writeFile } from 'node:fs/promises';
import Table from 'cli-table3';
import { jobBackendLabel } from '../../schemas/job-backend-label.ts';
import { EVENT_STATES, type EventState } from '../../schemas/notifications.ts';
import { exitCodeOf, follow, formatElapsed } from '../client/follow.ts';
import { type ClientOptions, type JobDetail, type JobEstimateView, loadCredentials, QspoolClient, type RetryNotice } from '../client/index.ts';
import { integerOption, UsageError } from './usage.ts';
import { print, type JsonOption } from './output.ts';

export interface SubmitCommandOptions extends JsonOption {
  backend: string;
  wait?: boolean;
  notify?: string;
  tag?: string[];
  priority?: string;
}

export async function connect(): Promise<QspoolClient> {
  const credentials = await loadCredentials();
  if (!credentials.token) throw new Error('Not logged in: run `qspool login` or set QSPOOL_URL and QSPOOL_TOKEN');
  return new QspoolClient({ url: credentials.url, token: credentials.token, urlFrom: credentials.urlFrom, ...cliRetries() });
}

/** The commands' retries: QSPOOL_RETRIES of them (0 … 10, default the client's 3), each said on stderr. */
export function cliRetries(env: NodeJS.ProcessEnv = process.env): Pick<ClientOptions, 'retries' | 'onRetry'> {
  const text = env.QSPOOL_RETRIES;
  if (!text) return { onRetry: noteRetry };
  if (!/^(?:[0-9]|10)$/.test(text)) throw new Error(`QSPOOL_RETRIES must be a whole number from 0 to 10, not ${JSON.stringify(text)}`);
  return { retries: Number(text), onRetry: noteRetry };
}

/** One line on stderr per retry, so a slow command says why; stdout stays the command's output alone. */
function noteRetry({ error, delayMs, retry, retries }: RetryNotice): void {
  process.stderr.write(`qspool: ${error.message}; retrying in ${(delayMs / 1000).toFixed(1)} s (${retry} of ${retries})\n`);
}

async function readJob(file: string): Promise<Record<string, unknown>> {
  const text = file === '-' ? await readStdin() : await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
    // A job file that is not there is a mistyped argument, like a job that is not JSON: a usage error (exit 2).
    if (error.code === 'ENOENT' || error.code === 'ENOTDIR') throw new UsageError(`${file}: no such file`);
    if (error.code === 'EISDIR') throw new UsageError(`${file} is a directory, not a job file`);
    throw error;
  });
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${file === '-' ? 'stdin' : file} is not JSON: ${(error as Error).message}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new UsageError('The job must be a JSON object of experiments');
  return parsed as Record<string, unknown>;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** `--notify RUNNING,DONE` → ["RUNNING", "DONE"]; `--notify none` → []. */
function parseNotify(text: string): EventState[] {
  if (text.trim().toLowerCase() === 'none') return [];
  const states = text.split(',').map((state) => state.trim().toUpperCase());
  const unknown = states.filter((state) => !(EVENT_STATES as readonly string[]).includes(state));
  if (unknown.length > 0) throw new UsageError(`--notify: unknown state ${unknown.join(', ')}; use ${EVENT_STATES.join(', ')} or none`);
  return states as EventState[];
}

function summary(job: JobDetail): string {
  const position = job.queue_position === null ? '' : `, position ${job.queue_position}`;
  return `job ${job.id} on ${jobBackendLabel(job)}: ${job.status}${position}`;
}

function detailTable(job: JobDetail): string {
  const table = new Table({ style: { head: [], border: [] } });
  table.push(
    { id: job.id },
    { backend: jobBackendLabel(job) },
    { status: job.status + (job.cancel_requested ? ' (cancel requested)' : '') },
    { 'queue position': job.queue_position === null ? '—' : String(job.queue_position) },
    { created: job.created_at },
    { updated: job.updated_at },
    { attempts: String(job.attempts) },
    { error: job.error_message ?? '—' },
    { history: job.history.join('\n') },
  );
  const run = job.runtime;
  if (run) table.push({ runtime: `${run.id}: ${run.timed_out ? 'timed out' : run.signal ?? `exit code ${run.exit_code}`}` }, { stderr: run.stderr_tail || '—' });
  return table.toString();
}

/** Follows the job, prints its end, and sets the exit code from how it ended. */
async function waitAndReport(client: QspoolClient, job: JobDetail, options: JsonOption, startedAt?: number): Promise<void> {
  // With --json, stdout carries only the final document; the status goes to stderr.
  const stream = options.json ? process.stderr : process.stdout;
  const final = await follow(client, job, { write: (text) => stream.write(text), isTTY: stream.isTTY === true }, startedAt);
  if (options.json) print(options, final, () => '');
  else if (final.status === 'DONE') process.stdout.write(`Result: qspool job result ${final.id}\n`);
  else process.stdout.write(`${final.status}: ${final.error_message ?? final.history.at(-1) ?? ''}\n`);
  process.exitCode = exitCodeOf(final);
}

export async function runJobSubmit(file: string, options: SubmitCommandOptions): Promise<void> {
  const payload = await readJob(file);
  const client = await connect();
  const startedAt = Date.now();
  const job = await client.submit(options.backend, payload, {
    ...(options.notify === undefined ? {} : { notify: { email: parseNotify(options.notify) } }),
    ...(options.tag?.length ? { tags: options.tag } : {}),
    ...(options.priority === undefined ? {} : { priority: integerOption('--priority', options.priority, 0, 9) }),
  });
  if (!options.wait) {
    print(options, job, () => `Submitted ${summary(job)}\nFollow it with: qspool job watch ${job.id}`);
    return;
  }
  if (!options.json) process.stdout.write(`Submitted job ${job.id} to ${jobBackendLabel(job)}\n`);
  await waitAndReport(client, job, options, startedAt);
}

const BASIS: Record<JobEstimateView['run_time_basis'], string> = {
  fit: 'fitted to the backend\'s recent jobs',
  mean: 'the mean of the backend\'s few recent jobs',
  none: 'no finished jobs to learn from',
};

const seconds = (value: number | null) => (value === null ? 'unknown' : value < 60 ? `${value.toPrecision(2)} s` : formatElapsed(value * 1000));

function estimateTable(estimate: JobEstimateView): string {
  const table = new Table({ style: { head: [], border: [] } });
  const { size } = estimate;
  table.push(
    { backend: estimate.backend },
    { size: `${size.experiments} experiment(s), ${size.instructions} instructions, ${size.shots} shots, Hilbert space ${size.hilbert_dimension}` },
    { 'run time': `${seconds(estimate.run_time_s)} (${BASIS[estimate.run_time_basis]}: ${estimate.history_jobs} job(s))` },
    { 'queue wait': `${seconds(estimate.queue_wait_s)} (${estimate.queued_ahead} queued, ${estimate.running} running, ${estimate.spoolers} spooler(s))` },
    { 'result size': `${estimate.result_bytes} bytes at most` },
  );
  return `${table.toString()}\nNothing was queued; submit with: qspool job submit FILE --backend ${estimate.backend}`;
}

export async function runJobEstimate(file: string, options: JsonOption & { backend: string; priority?: string }): Promise<void> {
  const payload = await readJob(file);
  const estimate = await (await connect()).estimate(options.backend, payload, options.priority === undefined ? {} : { priority: integerOption('--priority', options.priority, 0, 9) });
  print(options, estimate, () => estimateTable(estimate));
}

export async function runJobWatch(id: string, options: JsonOption): Promise<void> {
  const client = await connect();
  const job = await client.job(id);
  await waitAndReport(client, job, options, Date.parse(job.created_at));
}

export async function runJobStatus(id: string, options: JsonOption): Promise<void> {
  const job = await (await connect()).job(id);
  print(options, job, () => detailTable(job));
}

export async function runJobResult(id: string, options: JsonOption & { output?: string }): Promise<void> {
  const result = await (await connect()).result(id);
  const text = `${JSON.stringify(result, null, 2)}\n`;
  if (options.output) {
    await writeFile(options.output, text);
    if (!options.json) process.stdout.write(`Wrote the result of job ${id} to ${options.output}\n`);
  } else process.stdout.write(text);
}

export async function runJobCancel(id: string, options: JsonOption): Promise<void> {
  const job = await (await connect()).cancel(id);
  print(options, job, () => (job.status === 'CANCELLED' ? `Cancelled job ${id}` : `Cancel requested: job ${id} is ${job.status}; its spooler stops it at the next check`));
}

/**
 * The command that prints the next page. A cursor is bound to the filters it was made for, so every filter given is
 * repeated, and the page size too. No quoting: these are values the server just accepted, and its patterns for them
 * admit nothing a shell would split or expand.
 */
export function nextPageCommand(command: string, options: Record<string, string | number | undefined>): string {
  const given = Object.entries(options).filter(([, value]) => value !== undefined);
  return [`qspool ${command}`, ...given.map(([name, value]) => `--${name} ${value}`)].join(' ');
}

export async function runJobList(options: JsonOption & { status?: string; backend?: string; limit?: string; cursor?: string }): Promise<void> {
  const filters = {
    ...(options.status ? { status: options.status.toUpperCase() } : {}),
    ...(options.backend ? { backend: options.backend } : {}),
    ...(options.limit === undefined ? {} : { limit: integerOption('--limit', options.limit, 1, 200) }),
  };
  const page = await (await connect()).list({ limit: 50, ...filters, ...(options.cursor ? { cursor: options.cursor } : {}) });
  print(options, page, () => {
    const unread = page.unreachable_providers.length ? [`Could not read the jobs on storage ${page.unreachable_providers.join(', ')} just now: they are left out, and the next page lists them once it answers.`] : [];
    const table = new Table({ head: ['id', 'backend', 'status', 'created', 'age'], style: { head: [], border: [] } });
    for (const job of page.jobs) table.push([job.id, jobBackendLabel(job), job.status, job.created_at, formatElapsed(Date.now() - Date.parse(job.created_at))]);
    const more = page.next_cursor ? [`More: ${nextPageCommand('job list', { ...filters, cursor: page.next_cursor })}`] : [];
    return [page.jobs.length === 0 ? 'No jobs.' : table.toString(), ...unread, ...more].join('\n');
  });
}
