// Job: its state timeline with timestamps and queue position, cancel while it is not final, how an external runtime
// ended (exit code, end of stderr), and once DONE the result as one histogram per experiment, with the raw JSON to
// download and its signature status. Updates arrive as live events where the server has them
// (GET /jobs/{id}/events), by polling otherwise; a change of state is said to screen readers too.
import { html } from 'htm/preact';
import type { VNode } from 'preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { jobBackendLabel } from '../../../schemas/job-backend-label.ts';
import { api, ApiError, errorText, hasOperation } from '../api.ts';
import { StateBadge } from '../components/badge.ts';
import { Histogram } from '../components/histogram.ts';
import { useLoad } from '../components/hooks.ts';
import { ErrorNotice, InfoNotice, Loading } from '../components/notice.ts';
import { Timeline } from '../components/timeline.ts';
import { countOutcomes, dateTime, type OutcomeCount } from '../format.ts';
import { followEvents } from '../live.ts';
import { FINAL_STATES, type JobDetail, type JobState, type Result } from '../types.ts';

const isFinal = (job: JobDetail) => FINAL_STATES.includes(job.status as JobState);

/**
 * The experiments of a result, read without trusting its shape: results are whatever the lab's spooler (or a sqooler
 * spooler on a shared store) wrote, and the server serves them unchecked. Undefined when there is no list of
 * experiments; an experiment without a name or a memory list still gets its place.
 */
function experimentsOf(result: unknown): { name: string; shots: number; counts: OutcomeCount[] }[] | undefined {
  const experiments = (result as { results?: unknown } | null)?.results;
  if (!Array.isArray(experiments)) return undefined;
  return experiments.map((experiment: unknown, index) => {
    const { header, data } = (experiment ?? {}) as { header?: { name?: unknown } | null; data?: { memory?: unknown } | null };
    const memory = data?.memory;
    const shots = Array.isArray(memory) ? memory.map(String) : [];
    const name = header?.name === undefined || header.name === null ? `experiment ${index}` : String(header.name);
    return { name, shots: shots.length, counts: countOutcomes(shots) };
  });
}

function ResultView({ id, result }: { id: string; result: unknown }): VNode {
  const download = useMemo(() => URL.createObjectURL(new Blob([JSON.stringify(result, null, 2)], { type: 'application/json' })), [result]);
  useEffect(() => () => URL.revokeObjectURL(download), [download]);
  // Counted once per result, not at every render of the page.
  const experiments = useMemo(() => experimentsOf(result), [result]);
  return html`
    <section aria-labelledby="result-title">
      <h2 id="result-title">Result</h2>
      <p><a class="button" href=${download} download=${`qspool-result-${id}.json`} data-testid="download-result">Download raw JSON</a></p>
      ${experiments
        ? experiments.map(({ name, shots, counts }, index) => html`<${Histogram} key=${index} name=${name} shots=${shots} counts=${counts} />`)
        : html`<p class="notice error" role="alert" data-testid="result-unreadable">The result has no list of experiments to plot; the raw JSON above is all there is.</p>`}
    </section>
  `;
}

interface SignatureReport {
  signed: boolean;
  valid: boolean;
  kid: string | null;
  reason: string | null;
}

/**
 * The result's signature as GET /jobs/{id}/signature reports it: verified (by which key), not signed, or invalid and
 * why. A server without that route shows nothing.
 */
function SignatureView({ id }: { id: string }): VNode | null {
  const [report, setReport] = useState<SignatureReport | undefined>();
  const [error, setError] = useState<string | undefined>();
  useEffect(() => {
    api<SignatureReport>('GET', `/jobs/${id}/signature`).then(setReport, (caught: unknown) => {
      if (!(caught instanceof ApiError && caught.code === 'route_not_found')) setError(errorText(caught));
    });
  }, [id]);
  if (error) return html`<p class="signature" data-testid="signature">Signature: could not be checked (${error})</p>`;
  if (!report) return null;
  const text = report.valid
    ? html`<span class="badge ok">verified</span> signed by key <code>${report.kid}</code>`
    : report.signed
      ? html`<span class="badge bad">INVALID</span> ${report.reason}`
      : html`<span class="badge neutral">not signed</span> <span class="muted">${report.reason}</span>`;
  return html`<p class="signature" data-testid="signature" data-signature=${report.valid ? 'valid' : report.signed ? 'invalid' : 'unsigned'}>Signature: ${text}</p>`;
}

/** How the external runtime ended and the end of its stderr: what a lab user needs to see why a hardware run failed. */
function RuntimeView({ runtime }: { runtime: NonNullable<JobDetail['runtime']> }): VNode {
  const ending = runtime.timed_out ? 'timed out' : runtime.signal ? `stopped by ${runtime.signal}` : `exit code ${runtime.exit_code}`;
  return html`
    <section aria-labelledby="runtime-title" data-testid="runtime">
      <h2 id="runtime-title">Runtime</h2>
      <dl class="facts">
        <dt>Runtime</dt><dd><code>${runtime.id}</code></dd>
        <dt>Ended</dt><dd data-testid="runtime-exit">${ending}</dd>
        <dt>Ran</dt><dd>${dateTime(runtime.started_at)} – ${dateTime(runtime.ended_at)}</dd>
      </dl>
      ${runtime.stderr_tail ? html`<h3>End of stderr</h3><pre class="stderr" data-testid="runtime-stderr">${runtime.stderr_tail}</pre>` : null}
    </section>
  `;
}

export function JobPage({ id }: { id: string }): VNode {
  const [live, setLive] = useState(false);
  const job = useLoad(() => api<JobDetail>('GET', `/jobs/${id}`), [id], { pollMs: live ? 10_000 : 1000, poll: (j) => !isFinal(j) });
  const done = job.data?.status === 'DONE';
  const result = useLoad(() => (done ? api<Result>('GET', `/jobs/${id}/result`) : Promise.resolve(undefined)), [id, done]);
  const [message, setMessage] = useState<string | undefined>();
  const [failure, setFailure] = useState<string | undefined>();
  const final = job.data ? isFinal(job.data) : false;

  useEffect(() => {
    if (final) return;
    const stop = new AbortController();
    void hasOperation('get', '/jobs/{id}/events').then((available) => {
      if (!available || stop.signal.aborted) return;
      setLive(true);
      void followEvents(`/jobs/${id}/events`, () => void job.reload(), stop.signal).finally(() => setLive(false));
    });
    return () => stop.abort();
  }, [id, final]);

  const cancel = async () => {
    setFailure(undefined);
    try {
      const after = await api<JobDetail>('POST', `/jobs/${id}/cancel`);
      setMessage(after.status === 'CANCELLED' ? 'Cancelled.' : 'Cancel requested: the spooler stops the job at its next check.');
      await job.reload();
    } catch (error) {
      setFailure(errorText(error));
    }
  };

  if (!job.data) {
    return html`<h1>Job <code>${id}</code></h1>${job.error ? html`<${ErrorNotice} message=${job.error} />` : html`<${Loading} what="the job" />`}`;
  }
  const j = job.data;
  return html`
    <h1>Job <code class="job-id">${id}</code></h1>
    <dl class="facts">
      <dt>State</dt><dd data-testid="job-state"><${StateBadge} state=${j.status} />${j.cancel_requested && !final ? ' (cancel requested)' : ''}</dd>
      <dt>Backend</dt><dd>${jobBackendLabel(j)}${j.provider ? html` <span class="muted small">on storage provider ${j.provider}</span>` : null}</dd>
      <dt>Owner</dt><dd>${j.owner}</dd>
      <dt>Created</dt><dd>${dateTime(j.created_at)}</dd>
      <dt>Attempts</dt><dd>${j.attempts}</dd>
      ${j.tags.length ? html`<dt>Tags</dt><dd>${j.tags.join(', ')}</dd>` : null}
      <dt>Updates</dt><dd class="muted" data-testid="updates">${final ? 'final' : live ? 'live' : 'every second'}</dd>
    </dl>
    <p class="visually-hidden" role="status" aria-atomic="true" data-testid="state-announcement">Job state: ${j.status}.</p>
    ${final ? null : html`<p><button type="button" class="danger" onClick=${cancel}>Cancel job</button></p>`}
    ${message ? html`<${InfoNotice} focus=${true}>${message}<//>` : null}
    <${ErrorNotice} message=${failure ?? j.error_message ?? undefined} />
    <h2>Timeline</h2>
    <${Timeline} job=${j} />
    ${j.runtime ? html`<${RuntimeView} runtime=${j.runtime} />` : null}
    ${done ? html`<${SignatureView} id=${id} />` : null}
    <${ErrorNotice} message=${result.error} />
    ${result.data ? html`<${ResultView} id=${id} result=${result.data} />` : done ? html`<${Loading} what="the result" />` : null}
  `;
}
