// Backends: every published device with its operational state, queue depth, last heartbeat, gate set and limits,
// refreshed every few seconds. Open to everyone, like qlued's device list.
import { html } from 'htm/preact';
import type { VNode } from 'preact';
import { api } from '../api.ts';
import { YesNoBadge } from '../components/badge.ts';
import { useLoad } from '../components/hooks.ts';
import { ErrorNotice, Loading } from '../components/notice.ts';
import { ago, dateTime } from '../format.ts';
import type { BackendDetail, BackendSummary } from '../types.ts';

async function loadBackends(): Promise<BackendDetail[]> {
  const { backends } = await api<{ backends: BackendSummary[] }>('GET', '/backends');
  return Promise.all(backends.map((b) => api<BackendDetail>('GET', `/backends/${encodeURIComponent(b.name)}`)));
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
    ${list.data?.length === 0 ? html`<p class="muted" data-testid="no-backends">No backend is published right now.</p>` : null}
    <div class="cards">${(list.data ?? []).map((backend) => html`<${BackendCard} key=${backend.name} backend=${backend} />`)}</div>
  `;
}
