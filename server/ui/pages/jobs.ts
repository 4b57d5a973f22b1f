// My jobs: the caller's jobs with filters, pages, state badges and cancel.
import { html } from 'htm/preact';
import type { VNode } from 'preact';
import { JobList } from '../components/job-list.ts';
import { Link } from '../router.ts';

export function JobsPage(): VNode {
  return html`
    <h1>My jobs</h1>
    <p><${Link} href="/submit">Submit a job<//></p>
    <${JobList} />
  `;
}
