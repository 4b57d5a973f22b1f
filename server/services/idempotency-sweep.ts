// Removes expired idempotency records. A record (`idempotency/<user>/<sha256(key)>`) is only ever overwritten when its
// own key comes back, and clients use a fresh key per submission, so without this every keyed submission left a
// document behind for good. A bounded sweep over every user's records (user-sweep.ts) deletes those past the
// retention at the version it read: a record a request has just renewed or reused since has another version and stays.
import type { StorageProvider } from '../../storage/contract.ts';
import { idempotencyNamespace } from '../../storage/namespaces.ts';
import { type IdempotencyRecord, RETENTION_MS } from './idempotency.ts';
import { type SweepOptions, type SweepPlan, UserRecordSweeper } from './user-sweep.ts';

export type { SweepOptions, SweepRun } from './user-sweep.ts';

/**
 * Kept beyond the retention before a record is deleted: its `createdAt` comes from the clock of the server that took
 * the key, the sweep judges it by its own, and a record a skewed sweeper deleted early would let a retry inside the
 * 24 hours make a second job.
 */
export const SWEEP_MARGIN_MS = 3600_000;
/**
 * A pass over every user's records starts at most this often. A pass reads every record kept (a day of submissions)
 * to delete those that expired since the last pass: passes back to back (each minute) read each record ~1,500 times
 * over its life, one an hour ~26 times, and a record then goes at most an hour (plus a pass's length) after it expired.
 */
export const PASS_EVERY_MS = 3600_000;

const plan: SweepPlan = {
  passEveryMs: PASS_EVERY_MS,
  messages: { removed: 'expired idempotency keys removed', failed: 'idempotency key sweep failed; the next run resumes from the same place' },
  namespacesOf: async (user) => ({ namespaces: [idempotencyNamespace(user)], reads: 0 }),
  judge: async () => ({
    reads: 0,
    // A record without a readable time is left alone: its age cannot be told, and the request path never reuses it.
    expired: (value, now) => Date.parse((value as IdempotencyRecord).createdAt ?? '') < now - RETENTION_MS - SWEEP_MARGIN_MS,
  }),
};

export class IdempotencySweeper extends UserRecordSweeper {
  constructor(storage: StorageProvider, options: SweepOptions) {
    super(storage, plan, options);
  }
}
