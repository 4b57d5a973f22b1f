// Submit: choose a backend, paste a job or load one (a file, or one of the curated corpus examples), check it
// against the backend's published job schema on the server (the same check submission makes), and send it. Every
// problem is listed and the failing instructions are marked in a table of the job's instructions.
import { html } from 'htm/preact';
import type { VNode } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, errorText } from '../api.ts';
import { useLoad } from '../components/hooks.ts';
import { ErrorNotice, InfoNotice, useFocusOnMount } from '../components/notice.ts';
import { prettyJson } from '../format.ts';
import { navigate } from '../router.ts';
import type { BackendSummary, Example, JobDetail, JobValidation } from '../types.ts';

type Issue = JobValidation['issues'][number];
type Experiment = { instructions?: unknown; shots?: unknown; num_wires?: unknown };

/** The job in the text box: experiments by name; a whole corpus file (`{payload: …}`) is accepted too. */
function parseJob(text: string): { job?: Record<string, unknown>; error?: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    return { error: `Not JSON: ${errorText(error)}` };
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return { error: 'The job must be a JSON object of experiments.' };
  const record = parsed as Record<string, unknown>;
  const inner = record.payload;
  if (!('experiment_0' in record) && inner !== null && typeof inner === 'object' && !Array.isArray(inner)) return { job: inner as Record<string, unknown> };
  return { job: record };
}

/** `/experiment_0/instructions/2/…` → experiment_0 and 2; other paths have no instruction. */
function whereIs(issue: Issue): { experiment?: string; index?: number } {
  const [experiment, field, index] = issue.path.split('/').slice(1);
  return field === 'instructions' && index !== undefined && /^\d+$/.test(index) ? { experiment, index: Number(index) } : { experiment };
}

const rowId = (experiment: string, index: number) => `instruction-${experiment}-${index}`;
const ISSUES = 'job-issues';
const JOB_ERROR = 'job-error';

function Instructions({ job, issues }: { job: Record<string, unknown>; issues: Issue[] }): VNode {
  return html`${Object.entries(job).map(([name, value]) => {
    const instructions = (value as Experiment | null)?.instructions;
    if (!Array.isArray(instructions)) return null;
    return html`
      <table class="instructions stack" aria-label=${`Instructions of ${name}`}>
        <caption>${name}</caption>
        <thead><tr><th scope="col">#</th><th scope="col">Instruction</th><th scope="col">Wires</th><th scope="col">Parameters</th><th scope="col">Problem</th></tr></thead>
        <tbody>
          ${instructions.map((instruction: unknown, index: number) => {
            const [gate, wires, params] = Array.isArray(instruction) ? instruction : [instruction];
            const problems = issues.filter((issue) => {
              const at = whereIs(issue);
              return at.experiment === name && at.index === index;
            });
            return html`
              <tr id=${rowId(name, index)} class=${problems.length ? 'invalid' : ''} data-invalid=${problems.length > 0}>
                <td data-label="#">${index}</td>
                <td data-label="Instruction"><code>${String(gate)}</code></td>
                <td data-label="Wires">${JSON.stringify(wires ?? null)}</td>
                <td data-label="Parameters">${JSON.stringify(params ?? null)}</td>
                <td data-label="Problem">${problems.map((p) => html`<div>${p.message}</div>`)}</td>
              </tr>`;
          })}
        </tbody>
      </table>`;
  })}`;
}

/** The job's problems; they take the keyboard focus, as the job text they describe is above them. */
function IssueList({ issues }: { issues: Issue[] }): VNode {
  const section = useFocusOnMount<HTMLElement>(true);
  return html`
    <section class="notice error" role="alert" aria-labelledby="issues-title" id=${ISSUES} tabindex="-1" ref=${section}>
      <h2 id="issues-title">The backend would refuse this job (${issues.length} problem${issues.length === 1 ? '' : 's'})</h2>
      <ul data-testid="issues">
        ${issues.map((issue) => {
          const at = whereIs(issue);
          return html`<li>${at.experiment !== undefined && at.index !== undefined
            ? html`<a href=${`#${rowId(at.experiment, at.index)}`}>${issue.message}</a>`
            : issue.message}</li>`;
        })}
      </ul>
    </section>`;
}

export function SubmitPage({ preset }: { preset: string | null }): VNode {
  const backends = useLoad(() => api<{ backends: BackendSummary[] }>('GET', '/backends'), []);
  const examples = useLoad(() => fetch('/ui/examples.json').then((r) => r.json() as Promise<{ examples: Example[] }>), []);
  const [backend, setBackend] = useState(preset ?? '');
  const [text, setText] = useState('');
  const [tags, setTags] = useState('');
  const [issues, setIssues] = useState<Issue[] | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const parsed = text.trim() ? parseJob(text) : {};

  useEffect(() => {
    const first = backends.data?.backends[0]?.name;
    if (!backend && first) setBackend(first);
  }, [backends.data]);

  const edit = (value: string) => {
    setText(value);
    setIssues(undefined);
    setError(undefined);
  };
  const chooseExample = (event: Event) => {
    const example = examples.data?.examples.find((e) => e.id === (event.target as HTMLSelectElement).value);
    if (!example) return;
    if (backends.data?.backends.some((b) => b.name === example.backend)) setBackend(example.backend);
    edit(prettyJson(example.payload));
  };
  const loadFile = async (event: Event) => {
    const file = (event.target as HTMLInputElement).files?.[0];
    if (file) edit(await file.text());
  };

  /** Asks the server; true when the job passes. */
  const check = async (): Promise<boolean> => {
    setError(undefined);
    if (!parsed.job) {
      setError(parsed.error ?? 'Paste or load a job first.');
      return false;
    }
    const verdict = await api<JobValidation>('POST', `/backends/${encodeURIComponent(backend)}/validate`, { payload: parsed.job });
    setIssues(verdict.issues);
    return verdict.valid;
  };
  const run = (submit: boolean) => async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    try {
      if (!(await check()) || !submit) return;
      const tagList = tags.split(',').map((t) => t.trim()).filter(Boolean);
      const job = await api<JobDetail>('POST', `/backends/${encodeURIComponent(backend)}/jobs`, { payload: parsed.job, ...(tagList.length ? { tags: tagList } : {}) });
      navigate(`/jobs/${job.id}`);
    } catch (caught) {
      setError(errorText(caught));
    } finally {
      setBusy(false);
    }
  };

  const shown = (examples.data?.examples ?? []).filter((e) => !backend || e.backend === backend);
  // The job text is what the backend's problems and a JSON error are about.
  const invalid = (issues !== undefined && issues.length > 0) || error !== undefined;
  const describedBy = [issues?.length ? ISSUES : undefined, error ? JOB_ERROR : undefined].filter(Boolean).join(' ') || undefined;
  return html`
    <h1>Submit a job</h1>
    <form class="submit" onSubmit=${run(true)}>
      <div class="row">
        <label>Backend
          <select name="backend" value=${backend} onChange=${(e: Event) => setBackend((e.target as HTMLSelectElement).value)} required>
            ${(backends.data?.backends ?? []).map((b) => html`<option value=${b.name}>${b.name}${b.operational ? '' : ' (no spooler)'}</option>`)}
          </select>
        </label>
        <label>Example
          <select name="example" onChange=${chooseExample} value="">
            <option value="">Load an example…</option>
            ${shown.map((e) => html`<option value=${e.id}>${e.title}${e.valid ? '' : ' (invalid on purpose)'}</option>`)}
          </select>
        </label>
        <label>Job file <input type="file" accept="application/json,.json" onChange=${loadFile} /></label>
      </div>
      <label for="job-text">Job JSON <span class="muted small">(experiments: <code>experiment_0</code>, <code>experiment_1</code>, …)</span></label>
      <textarea id="job-text" name="job" rows="16" spellcheck=${false} value=${text} onInput=${(e: Event) => edit((e.target as HTMLTextAreaElement).value)}
        aria-invalid=${invalid} aria-describedby=${describedBy}></textarea>
      <label>Tags <input name="tags" value=${tags} onInput=${(e: Event) => setTags((e.target as HTMLInputElement).value)} placeholder="comma-separated, optional" /></label>
      <div class="row">
        <button type="button" onClick=${run(false)} disabled=${busy || !backend}>Check</button>
        <button type="submit" class="primary" disabled=${busy || !backend}>Submit</button>
      </div>
    </form>
    <${ErrorNotice} message=${error ?? backends.error} id=${JOB_ERROR} />
    ${issues && issues.length === 0 ? html`<${InfoNotice}>The job passes ${backend}'s checks.<//>` : null}
    ${issues && issues.length > 0 ? html`<${IssueList} issues=${issues} />` : null}
    ${parsed.job && issues && issues.length > 0 ? html`<${Instructions} job=${parsed.job} issues=${issues} />` : null}
  `;
}
