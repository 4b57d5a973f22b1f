// A job's states in order with the time it entered each and how long it stayed, its queue position while queued,
// and the history lines the lifecycle and spooler wrote.
import { html } from 'htm/preact';
import type { VNode } from 'preact';
import { dateTime, duration } from '../format.ts';
import type { JobDetail } from '../types.ts';
import { StateBadge } from './badge.ts';

const ORDER = ['queued', 'running', 'done', 'error', 'cancelled'] as const;

export function Timeline({ job }: { job: JobDetail }): VNode {
  const stamps = job.timestamps as Partial<Record<(typeof ORDER)[number], string>>;
  const steps = ORDER.flatMap((state) => (stamps[state] ? [{ state, at: stamps[state]! }] : [])).sort((a, b) => a.at.localeCompare(b.at));
  return html`
    <ol class="timeline">
      ${steps.map((step, i) => {
        const next = steps[i + 1];
        const stayed = next ? (Date.parse(next.at) - Date.parse(step.at)) / 1000 : undefined;
        const waiting = step.state === 'queued' && job.status === 'QUEUED' && job.queue_position !== null;
        return html`
          <li data-step=${step.state}>
            <${StateBadge} state=${step.state.toUpperCase()} />
            <time datetime=${step.at}>${dateTime(step.at)}</time>
            ${stayed !== undefined ? html`<span class="muted"> for ${duration(stayed)}</span>` : null}
            ${waiting ? html`<span class="position" data-testid="queue-position"> · position ${job.queue_position} in the queue</span>` : null}
          </li>`;
      })}
    </ol>
    <details>
      <summary>History (${job.history.length} entries)</summary>
      <ul class="history">${job.history.map((line) => html`<li>${line}</li>`)}</ul>
    </details>
  `;
}
