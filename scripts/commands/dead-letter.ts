// `qspool dead-letter list|show|requeue|purge`: an admin's view of jobs that used up their attempts, through the
// native API (/api/v1/admin/dead-letters) with the credentials of `qspool login`. Tables for people, `--json` for scripts.
import Table from 'cli-table3';
import type { DeadLetterList, DeadLetterView } from '../../schemas/dead-letter.ts';
import { jobBackendLabel } from '../../schemas/job-backend-label.ts';
import type { JobDetail } from '../client/index.ts';
import { connect, nextPageCommand } from './job.ts';
import { integerOption } from './usage.ts';
import { print, type JsonOption } from './output.ts';

const lastFailure = (letter: DeadLetterView) => letter.failures.at(-1)?.message ?? letter.job.error_message ?? '';

export async function runDeadLetterList(options: JsonOption & { backend?: string; limit?: string; after?: string }): Promise<void> {
  const filters = { backend: options.backend, limit: options.limit === undefined ? undefined : integerOption('--limit', options.limit, 1, 200) };
  const page = await (await connect()).request<DeadLetterList>('GET', '/admin/dead-letters', { query: { ...filters, after: options.after } });
  print(options, page, () => {
    if (page.dead_letters.length === 0) return 'No dead letters.';
    const table = new Table({ head: ['id', 'backend', 'owner', 'attempts', 'dead since', 'last failure'], style: { head: [], border: [] } });
    for (const letter of page.dead_letters) {
      table.push([letter.job.id, jobBackendLabel(letter.job), letter.job.owner, String(letter.job.attempts), letter.dead_lettered_at, lastFailure(letter).slice(0, 80)]);
    }
    return page.next_after ? `${table.toString()}\nMore: ${nextPageCommand('dead-letter list', { ...filters, after: page.next_after })}` : table.toString();
  });
}

export async function runDeadLetterShow(id: string, options: JsonOption): Promise<void> {
  const letter = await (await connect()).request<DeadLetterView>('GET', `/admin/dead-letters/${encodeURIComponent(id)}`);
  print(options, letter, () => {
    const table = new Table({ style: { head: [], border: [] } });
    table.push(
      { id: letter.job.id },
      { backend: jobBackendLabel(letter.job) },
      { owner: letter.job.owner },
      { 'dead since': `${letter.dead_lettered_at} (${letter.reason})` },
      ...letter.failures.map((f) => ({ [`attempt ${f.attempt}`]: `${f.at} ${f.kind}${f.exit_code === null ? '' : ` ${f.exit_code}`}: ${f.message}` })),
      { history: letter.job.history.join('\n') },
    );
    return `${table.toString()}\nRequeue: qspool dead-letter requeue ${id}   Purge: qspool dead-letter purge ${id}`;
  });
}

export async function runDeadLetterRequeue(id: string, options: JsonOption): Promise<void> {
  const job = await (await connect()).request<JobDetail>('POST', `/admin/dead-letters/${encodeURIComponent(id)}/requeue`);
  print(options, job, () => `Requeued job ${id} with a fresh set of attempts (queue position ${job.queue_position ?? '—'})`);
}

export async function runDeadLetterPurge(id: string, options: JsonOption): Promise<void> {
  await (await connect()).request('DELETE', `/admin/dead-letters/${encodeURIComponent(id)}`);
  print(options, { id, purged: true }, () => `Purged job ${id}`);
}
