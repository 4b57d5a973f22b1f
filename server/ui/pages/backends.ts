// Backends: every published device with its operational state, queue depth, last heartbeat, gate set and limits,
// refreshed every few seconds. Open to everyone, like qlued's device list.
import { html } from 'htm/preact';
import type { VNode } from 'preact';
import { api } from '../api.ts';
import { YesNoBadge } from '../components/badge.ts';
import { useLoad } from '../components/hooks.ts';
import { ErrorNotice, Loading } from '../components/notice.ts';
import { ago, dateTime } from '../format.ts';
import type { BackendDetail, BackendList } from '../types.ts';

interface Loaded {
  backends: BackendDetail[];
  /** Listed backends whose details could not be read (a provider that dropped out, a config gone bad meanwhile). */
  unread: string[];
  /** Registered providers whose backends could not be listed at all just now. */
  unreachable: string[];
}

/** One backend that cannot be read must not hide the others; only when none can is it the page's error. */
async function loadBackends(): Promise<Loaded> {
  const { backends, unreachable_providers: unreachable } = await api<BackendList>('GET', '/backends');
  const details = await Promise.allSettled(backends.map((b) => api<BackendDetail>('GET', `/backends/${encodeURIComponent(b.name)}`)));
  const read = details.flatMap((detail) => (detail.status === 'fulfilled' ? [detail.value] : []));
  const failures = details.flatMap((detail) => (detail.status === 'rejected' ? [detail.reason as unknown] : []));
  if (read.length === 0 && failures.length > 0) throw failures[0];
  return { backends: read, unread: backends.filter((_, i) => details[i]!.status === 'rejected').map((b) => b.name), unreachable };
}

function Limits({ config }: { config: BackendDetail['config'] }): VNode {
  const rows: [string, unknown][] = [
    ['Wires', config.num_wires],
    ['Species', config.num_species],
    ['Wire order', config.wire_order],
    ['Max shots', config.max_shots],
    ['Max experiments', config.max_experiments],
    ['Max Hilbert dimension', config.max_hilbert_dimension],
  ];
  return html`<dl class="limits">${rows.filter(([, v]) => v !== undefined).map(([k, v]) => html`<dt>${k}</dt><dd>${typeof v === 'number' ? v.toLocaleString('en') : String(v)}</dd>`)}</dl>`;
}

function BackendCard({ backend }: { backend: BackendDetail }): VNode {
  const { config, status } = backend;
  return html`
    <article class="card" data-backend=${backend.name}>
      <h2>${backend.name} <span class="muted small">${backend.full_name}</span></h2>
      <p>${config.description}</p>
      <dl class="facts">
        <dt>State</dt><dd><${YesNoBadge} ok=${status.operational} yes="operational" no="not operational" /></dd>
        <dt>Queue</dt><dd data-testid="queue-depth">${status.pending_jobs} job${status.pending_jobs === 1 ? '' : 's'} waiting</dd>
        <dt>Last heartbeat</dt><dd title=${dateTime(status.last_heartbeat)}>${ago(status.last_heartbeat)}</dd>
        <dt>Version</dt><dd>${config.version}${config.simulator ? ' (simulator)' : ''}</dd>
      </dl>
      <h3>Gates</h3>
      <ul class="gates">
        ${config.gates.map((gate) => html`<li><code>${gate.name}</code>${gate.parameters.length ? html` <span class="muted">(${gate.parameters.join(', ')})</span>` : null}</li>`)}
      </ul>
      <p class="small">Instructions: ${config.supported_instructions.map((name, i) => html`${i ? ', ' : ''}<code>${name}</code>`)}</p>
      <h3>Limits</h3>
      <${Limits} config=${config} />
    </article>
  `;
}

export function BackendsPage(): VNode {
  const list = useLoad(loadBackends, [], { pollMs: 5000 });
  return html`
    <h1>Backends</h1>
    <${ErrorNotice} message=${list.error} />
    ${list.loading && !list.data ? html`<${Loading} what="backends" />` : null}
    <${ErrorNotice} message=${list.data?.unread.length ? `Could not read ${list.data.unread.join(', ')} just now; the page tries again every few seconds.` : undefined} />
    <${ErrorNotice} message=${list.data?.unreachable.length ? `Could not read the backends on storage ${list.data.unreachable.join(', ')} just now: they are left out, and the page tries again every few seconds.` : undefined} />
    ${list.data?.backends.length === 0 && list.data.unread.length === 0 && list.data.unreachable.length === 0 ? html`<p class="muted" data-testid="no-backends">No backend is published right now.</p>` : null}
    <div class="cards">${(list.data?.backends ?? []).map((backend) => html`<${BackendCard} key=${backend.name} backend=${backend} />`)}</div>
  `;
}
