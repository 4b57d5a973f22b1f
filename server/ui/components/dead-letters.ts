// The admin page's dead letters: jobs that used up their attempts, each with its failed attempts (in a disclosure),
// and buttons to requeue (a fresh set of attempts) or purge it; the outcome takes the focus, as the row is gone. The
// server refuses these routes to non-admins anyway.
import { html } from 'htm/preact';
import type { VNode } from 'preact';
import { useState } from 'preact/hooks';
import { jobBackendLabel } from '../../../schemas/job-backend-label.ts';
import { api, errorText } from '../api.ts';
import { useLoad } from './hooks.ts';
import { ErrorNotice, InfoNotice, Loading } from './notice.ts';
import { dateTime } from '../format.ts';
import type { DeadLetterList, DeadLetterView } from '../types.ts';

function Failures({ letter }: { letter: DeadLetterView }): VNode {
  return html`<details>
    <summary>${letter.failures.length} failed attempt(s)</summary>
    <ol>${letter.failures.map((f) => html`<li>${dateTime(f.at)}: ${f.kind}${f.exit_code === null ? '' : ` ${f.exit_code}`}, ${f.message}</li>`)}</ol>
  </details>`;
}

export function DeadLetters(): VNode {
  const list = useLoad(() => api<DeadLetterList>('GET', '/admin/dead-letters?limit=100'), []);
  const [message, setMessage] = useState<string | undefined>();
  const [error, setError] = useState<string | undefined>();
  const act = async (action: () => Promise<unknown>, done: string) => {
    setMessage(undefined);
    setError(undefined);
    try {
      await action();
      await list.reload();
      setMessage(done);
    } catch (caught) {
      setError(errorText(caught));
    }
  };
  const letters = list.data?.dead_letters ?? [];
  return html`
    <section aria-labelledby="dead-letters-title">
      <h2 id="dead-letters-title">Dead letters</h2>
      <p class="muted small">Jobs whose retryable failures used up their attempts. Requeue gives a job a fresh set of attempts.</p>
      ${message ? html`<${InfoNotice} focus=${true}>${message}<//>` : null}
      <${ErrorNotice} message=${error ?? list.error} />
      ${!list.data
        ? html`<${Loading} what="dead letters" />`
        : letters.length === 0
          ? html`<p class="muted">No dead letters.</p>`
          : html`<table class="stack">
              <thead><tr><th scope="col">Job</th><th scope="col">Backend</th><th scope="col">Owner</th><th scope="col">Dead since</th><th scope="col">Attempts</th><th scope="col">Actions</th></tr></thead>
              <tbody>${letters.map(({ job, ...letter }) => html`
                <tr data-dead-letter=${job.id}>
                  <td data-label="Job"><a href=${`/jobs/${job.id}`}><code>${job.id}</code></a></td>
                  <td data-label="Backend">${jobBackendLabel(job)}</td>
                  <td data-label="Owner">${job.owner}</td>
                  <td data-label="Dead since">${dateTime(letter.dead_lettered_at)} (${letter.reason})</td>
                  <td data-label="Attempts"><${Failures} letter=${{ job, ...letter }} /></td>
                  <td data-label="Actions" class="actions">
                    <button type="button" onClick=${() => act(() => api('POST', `/admin/dead-letters/${job.id}/requeue`), `Job ${job.id} requeued.`)}>Requeue</button>
                    <button type="button" class="danger" onClick=${() => act(() => api('DELETE', `/admin/dead-letters/${job.id}`), `Job ${job.id} purged.`)}>Purge</button>
                  </td>
                </tr>`)}
              </tbody>
            </table>
            ${list.data.next_after ? html`<p class="muted">Showing the oldest 100 dead letters.</p>` : null}`}
    </section>`;
}
