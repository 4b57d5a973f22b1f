// The API's documents as the pages use them: the very types the server derives from schemas/ (type-only imports,
// erased by esbuild), plus the few shapes that exist only in the browser.
export type { AccessToken, TokenCreated, TokenInfo, UserView } from '../../schemas/accounts.ts';
export type { BackendDetail, BackendList, BackendSummary, JobDetail, JobList, JobSummary } from '../../schemas/native.ts';
export type { JobValidation, ProviderView, SpoolerList } from '../../schemas/admin.ts';
export type { DeadLetterList, DeadLetterView } from '../../schemas/dead-letter.ts';
export type { Result } from '../../schemas/result.ts';

export type JobState = 'QUEUED' | 'RUNNING' | 'DONE' | 'ERROR' | 'CANCELLED';
export const JOB_STATES: readonly JobState[] = ['QUEUED', 'RUNNING', 'DONE', 'ERROR', 'CANCELLED'];
export const FINAL_STATES: readonly JobState[] = ['DONE', 'ERROR', 'CANCELLED'];

/** One of server/ui/examples.json's curated corpus payloads. */
export interface Example {
  id: string;
  title: string;
  backend: string;
  valid: boolean;
  source: string;
  payload: Record<string, unknown>;
}
