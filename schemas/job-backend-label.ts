// What a job's backend is shown as in the CLI and the web interface, from the job document alone. Kept apart from
// native.ts, which the browser bundle would otherwise pull in with every schema it imports.
import type { JobSummary } from './native.ts';

/**
 * The name the job was submitted to, so two providers' backends of one display name stay apart; a registered
 * provider's job from before that name was kept shows its display name and provider.
 */
export function jobBackendLabel(job: Pick<JobSummary, 'backend' | 'backend_name' | 'provider'>): string {
  if (job.backend_name !== null) return job.backend_name;
  return job.provider === undefined ? job.backend : `${job.backend} on storage ${job.provider}`;
}
