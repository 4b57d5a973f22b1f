// The job table of My jobs and of the admin page: /api/v1/jobs filters, cursor pagination (with a way back),
// state badges, and the actions the caller may take (cancel; for admins also requeue and purge). It refreshes
// itself while any job it shows is still queued or running, and tells screen readers which jobs changed state. The
// keyboard focus follows what a control changed: to the outcome of an action (its button may be gone), to the list
// after another page or new filters.
import { html } from 'htm/preact';
import type { VNode } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { jobBackendLabel } from '../../../schemas/job-backend-label.ts';
import { api, errorText } from '../api.ts';
import { dateTime, stateChanges } from '../format.ts';
import { Link } from '../router.ts';
import { FINAL_STATES, JOB_STATES, type BackendSummary, type JobList as JobPage, type JobState, type JobSummary } from '../types.ts';
import { StateBadge } from './badge.ts';
import { useLoad } from './hooks.ts';
import { ErrorNotice, InfoNotice, Loading } from './notice.ts';

const PAGE_SIZE = 20;

interface Filters {
  status: string;
  backend: string;
  tag: string;
  owner: string;
  createdAfter: string;
  createdBefore: string;
}

const NO_FILTERS: Filters = { status: '', backend: '', tag: '', owner: '', createdAfter: '', createdBefore: '' };
const STATUS_CHOICES: [string, string][] = [
  ['', 'Any state'],
  ['QUEUED,RUNNING', 'Queued or running'],
  ['DONE,ERROR,CANCELLED', 'Finished'],
  ...JOB_STATES.map((state): [string, string] => [state, state]),
];

function query(filters: Filters, cursor: string | undefined): string {
  const params = new URLSearchParams({ limit: String(PAGE_SIZE) });
  if (filters.status) params.set('status', filters.status);
  if (filters.backend) params.set('backend', filters.backend);
  if (filters.tag) params.set('tag', filters.tag);
  if (filters.owner) params.set('owner', filters.owner);
  // datetime-local has no zone: it is the browser's local time, which Date reads it as.
  if (filters.createdAfter) params.set('created_after', new Date(filters.createdAfter).toISOString());
  if (filters.createdBefore) params.set('created_before', new Date(filters.createdBefore).toISOString());
  if (cursor) params.set('cursor', cursor);
  return params.toString();
}

type Action = 'cancel' | 'requeue' | 'purge';

function actionsFor(job: JobSummary, admin: boolean): Action[] {
  const final = FINAL_STATES.includes(job.status as JobState);
  const actions: Action[] = final ? [] : ['cancel'];
  if (admin && final) actions.push('requeue');
  if (admin && job.status !== 'RUNNING') actions.push('purge');
  return actions;
}

async function perform(action: Action, id: string): Promise<string> {
  if (action === 'cancel') {
    const job = await api<JobSummary>('POST', `/jobs/${id}/cancel`);
    return job.status === 'CANCELLED' ? `Job ${id} cancelled.` : `Cancel requested: job ${id} stops at its spooler's next check.`;
  }
  if (action === 'requeue') {
    await api('POST', `/admin/jobs/${id}/requeue`);
    return `Job ${id} is queued again.`;
  }
  await api('DELETE', `/jobs/${id}`);
  return `Job ${id} and its result were deleted.`;
}

export function JobList({ admin = false }: { admin?: boolean }): VNode {
  const [draft, setDraft] = useState<Filters>(NO_FILTERS);
  const [filters, setFilters] = useState<Filters>(NO_FILTERS);
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const [message, setMessage] = useState<string | undefined>();
  const [failure, setFailure] = useState<string | undefined>();
  const [busy, setBusy] = useState<string | undefined>();
  const cursor = cursors[cursors.length - 1];
  const backends = useLoad(() => api<{ backends: BackendSummary[] }>('GET', '/backends'), []);
  const page = useLoad(() => api<JobPage>('GET', `/jobs?${query(filters, cursor)}`), [filters, cursor], {
    pollMs: 3000,
    poll: (list) => list.unreachable_providers.length > 0 || list.jobs.some((job) => !FINAL_STATES.includes(job.status as JobState)),
  });
  const unread = page.data?.unreachable_providers ?? [];
  const [changes, setChanges] = useState('');
  const shown = useRef<{ query: string; jobs: JobSummary[] }>({ query: '', jobs: [] });
  // Jobs changed by the user's own action here: its message says so already, and is where the focus is.
  const acted = useRef(new Set<string>());
  useEffect(() => {
    if (!page.data) return;
    // Only a re-read of the same page tells of changes; another page or other filters are new jobs, not changed ones.
    const now = query(filters, cursor);
    const others = page.data.jobs.filter((job) => !acted.current.has(job.id));
    acted.current.clear();
    if (shown.current.query === now) setChanges(stateChanges(shown.current.jobs, others).join(' '));
    shown.current = { query: now, jobs: page.data.jobs };
  }, [page.data]);
  const results = useRef<HTMLElement>(null);
  // The list shown when another page or new filters were asked for (null: none were); the focus goes to the list
  // once the new one is there.
  const [turnedFrom, setTurnedFrom] = useState<JobPage | undefined | null>(null);
  useEffect(() => {
    if (turnedFrom === null || !page.data || page.data === turnedFrom) return;
    setTurnedFrom(null);
    results.current?.focus();
  }, [turnedFrom, page.data]);
  const turn = (next: (string | undefined)[]) => {
    setCursors(next);
    setTurnedFrom(page.data);
  };

  const apply = (event: Event) => {
    event.preventDefault();
    setFilters(draft);
    turn([undefined]);
  };
  const field = (name: keyof Filters) => (event: Event) => setDraft({ ...draft, [name]: (event.target as HTMLInputElement).value });
  const act = async (action: Action, id: string) => {
    setBusy(`${action}:${id}`);
    setMessage(undefined);
    setFailure(undefined);
    try {
      const outcome = await perform(action, id);
      acted.current.add(id);
      setMessage(outcome);
      await page.reload();
    } catch (error) {
      setFailure(errorText(error));
    } finally {
      setBusy(undefined);
    }
  };
  const labels: Record<Action, string> = { cancel: 'Cancel', requeue: 'Requeue', purge: 'Purge' };

  return html`
    <form class="filters" onSubmit=${apply} aria-label="Job filters">
      <label>State <select value=${draft.status} onChange=${field('status')}>
        ${STATUS_CHOICES.map(([value, label]) => html`<option value=${value}>${label}</option>`)}
      </select></label>
      <label>Backend <select value=${draft.backend} onChange=${field('backend')}>
        <option value="">Any backend</option>
        ${(backends.data?.backends ?? []).map((b) => html`<option value=${b.name}>${b.name}</option>`)}
      </select></label>
      <label>Tag <input type="text" value=${draft.tag} onInput=${field('tag')} placeholder="any" /></label>
      ${admin ? html`<label>Owner <input type="text" value=${draft.owner} onInput=${field('owner')} placeholder="everyone" /></label>` : null}
      <label>Created after <input type="datetime-local" value=${draft.createdAfter} onInput=${field('createdAfter')} /></label>
      <label>Created before <input type="datetime-local" value=${draft.createdBefore} onInput=${field('createdBefore')} /></label>
      <button type="submit">Apply filters</button>
    </form>
    ${message ? html`<${InfoNotice} focus=${true}>${message}<//>` : null}
    <${ErrorNotice} message=${failure ?? page.error} />
    ${page.loading && !page.data ? html`<${Loading} what="jobs" />` : null}
    <${ErrorNotice} message=${unread.length ? `Could not read the jobs on storage ${unread.join(', ')} just now: they are left out, and the page tries again every few seconds.` : undefined} />
    <p class="visually-hidden" role="status" aria-atomic="true" data-testid="state-changes">${changes}</p>
    ${page.data && page.data.jobs.length === 0 ? html`<p class="muted" data-testid="no-jobs" tabindex="-1" ref=${results}>No jobs on this page.</p>` : null}
    ${page.data && page.data.jobs.length > 0
      ? html`
        <table class="jobs stack" tabindex="-1" ref=${results}>
          <caption class="visually-hidden">Jobs, page ${cursors.length}</caption>
          <thead><tr>
            <th scope="col">Job</th><th scope="col">Backend</th><th scope="col">State</th>
            ${admin ? html`<th scope="col">Owner</th>` : null}
            <th scope="col">Created</th><th scope="col">Updated</th><th scope="col">Tags</th><th scope="col">Actions</th>
          </tr></thead>
          <tbody>
            ${page.data.jobs.map((job) => html`
              <tr data-job=${job.id} data-state=${job.status}>
                <td data-label="Job"><${Link} href=${`/jobs/${job.id}`}><code>${job.id}</code><//></td>
                <td data-label="Backend">${jobBackendLabel(job)}</td>
                <td data-label="State"><${StateBadge} state=${job.status} /></td>
                ${admin ? html`<td data-label="Owner">${job.owner}</td>` : null}
                <td data-label="Created">${dateTime(job.created_at)}</td>
                <td data-label="Updated">${dateTime(job.updated_at)}</td>
                <td data-label="Tags">${job.tags.join(', ') || '—'}</td>
                <td data-label="Actions" class="actions">
                  ${actionsFor(job, admin).map((action) => html`
                    <button type="button" class=${action === 'purge' ? 'danger' : ''} disabled=${busy !== undefined}
                      aria-label=${`${labels[action]} job ${job.id}`} onClick=${() => act(action, job.id)}>${labels[action]}</button>`)}
                </td>
              </tr>`)}
          </tbody>
        </table>`
      : null}
    <nav class="pager" aria-label="Pages">
      <button type="button" disabled=${cursors.length === 1} onClick=${() => turn(cursors.slice(0, -1))}>Previous page</button>
      <span class="muted">Page ${cursors.length}</span>
      <button type="button" disabled=${!page.data?.next_cursor} onClick=${() => turn([...cursors, page.data!.next_cursor!])}>Next page</button>
    </nav>
  `;
}
