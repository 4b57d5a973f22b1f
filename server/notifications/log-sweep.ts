// Removes old finished deliveries. Every delivery made, given up or dropped stays in its receiver's log
// (`notify/log/<kind>/<name>/<event id>`, deliveries.ts) for `GET /webhooks/{id}/deliveries`, and nothing else ever
// deletes one, so a busy lab's store grew by a document per notification for good. The bounded sweep over every
// user's records (services/user-sweep.ts) walks each user's mailbox log and each of their webhooks' logs and deletes
// a record once it finished more than the retention ago, or, beyond the newest `maxPerReceiver` of its receiver, once
// it finished more than SWEEP_MARGIN_MS ago. A deleted webhook's log is found through its retirement marker
// (deliveries.ts), which goes once the log is empty. Pending deliveries (notify/pending) are never touched.
import type { StorageProvider } from '../../storage/contract.ts';
import { jobIdTime } from '../../storage/keys.ts';
import { type ExpiryTest, type KeyScreen, type SweepOptions, type SweepPlan, UserRecordSweeper } from '../services/user-sweep.ts';
import { logNamespace, retiredNamespace } from '../../storage/namespaces.ts';
import type { Delivery } from './deliveries.ts';
import { MAX_WEBHOOKS_PER_USER, webhooksNs } from './webhooks.ts';

/**
 * Every record is kept at least this long after it finished. The log is also what stops a delivery being made twice
 * (an event fanned out again by a restarted dispatcher, or a duplicate copy of it in the outbox, within seconds); and
 * a record's time comes from the clock of the server that made the delivery, not the sweeper's.
 */
export const SWEEP_MARGIN_MS = 3600_000;
/**
 * A pass starts at most this often. Only records old enough to go are read (a key names its job, and a delivery
 * finishes after its job was created), so a pass mostly lists keys: counting each receiver's, and its oldest.
 */
export const PASS_EVERY_MS = 3600_000;
/** Keys listed at once to count a receiver's records. */
const COUNT_PAGE = 1000;

export interface LogRetention {
  retentionMs: number;
  maxPerReceiver: number;
}

/** When a delivery finished: its last attempt, or its queuing when it was dropped unattempted; NaN if unreadable. */
function finishedAt(delivery: Delivery): number {
  const times = [delivery.createdAt, ...(Array.isArray(delivery.attempts) ? delivery.attempts.map((attempt) => attempt.at) : [])];
  return Math.max(...times.map((time) => Date.parse(time ?? '')));
}

async function countKeys(storage: StorageProvider, namespace: string): Promise<{ count: number; reads: number }> {
  let count = 0;
  for (let reads = 1, after: string | undefined; ; reads += 1) {
    const keys = await storage.list(namespace, { limit: COUNT_PAGE, ...(after === undefined ? {} : { after }) });
    count += keys.length;
    if (keys.length < COUNT_PAGE) return { count, reads };
    after = keys[keys.length - 1];
  }
}

function deliveryLogPlan(storage: StorageProvider, retention: LogRetention): SweepPlan {
  return {
    passEveryMs: PASS_EVERY_MS,
    messages: { removed: 'old notification deliveries removed', failed: 'notification delivery log sweep failed; the next run resumes from the same place' },
    async namespacesOf(user) {
      const hooks = await storage.list(webhooksNs(user), { limit: MAX_WEBHOOKS_PER_USER * 2 });
      const retired = await storage.list(retiredNamespace(user), { limit: COUNT_PAGE });
      const logs = [...new Set([...hooks, ...retired])].map((hook) => logNamespace({ kind: 'hook', name: hook }));
      return { namespaces: [logNamespace({ kind: 'mail', name: user }), ...logs, retiredNamespace(user)], reads: 2 };
    },
    async judge(namespace) {
      if (namespace.startsWith(retiredNamespace(''))) return judgeRetired(storage, namespace);
      return judgeLog(storage, namespace, retention);
    },
  };
}

/**
 * A retirement marker goes once its webhook's log is empty, and not before SWEEP_MARGIN_MS after the deletion: an
 * attempt under way when the webhook was deleted may still log its outcome.
 */
async function judgeRetired(storage: StorageProvider, namespace: string): Promise<{ expired: ExpiryTest; reads: number }> {
  const hooks = await storage.list(namespace, { limit: COUNT_PAGE });
  const emptied = new Set<string>();
  for (const hook of hooks) if ((await storage.list(logNamespace({ kind: 'hook', name: hook }), { limit: 1 })).length === 0) emptied.add(hook);
  return {
    reads: 1 + hooks.length,
    expired: (value, now, { key }) => emptied.has(key) && Date.parse((value as { retiredAt?: string }).retiredAt ?? '') < now - SWEEP_MARGIN_MS,
  };
}

async function judgeLog(storage: StorageProvider, namespace: string, retention: LogRetention): Promise<{ expired: ExpiryTest; screen: KeyScreen; reads: number }> {
  // Keys are event ids, `<job id>-<seq>`, so key order is job order: the records beyond the cap are the first ones.
  const { count, reads } = await countKeys(storage, namespace);
  const excess = count - retention.maxPerReceiver;
  const keptFor = (position: number) => SWEEP_MARGIN_MS + (position < excess ? 0 : retention.retentionMs);
  return {
    reads,
    // A job created after the cutoff finished none of its deliveries before it, and neither did any later job.
    screen: (key, position, now) => (position < excess || !(jobIdTime(key) >= now - keptFor(position)) ? 'read' : 'stop'),
    // A record without a readable time is left alone: its age cannot be told.
    expired: (value, now, { position }) => {
      const delivery = value as Delivery;
      return delivery.status !== 'pending' && finishedAt(delivery) < now - keptFor(position);
    },
  };
}

export class DeliveryLogSweeper extends UserRecordSweeper {
  constructor(storage: StorageProvider, retention: LogRetention, options: SweepOptions) {
    super(storage, deliveryLogPlan(storage, retention), options);
  }
}
