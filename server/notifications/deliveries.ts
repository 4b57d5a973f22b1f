// Where notifications wait and what became of them, in storage so that no process crash loses one:
// `notify/pending/<receiver>.<event time, job, seq>` holds every delivery still to be made (with its attempts and the
// time of the next one), grouped by receiver and in outbox order within it (see pendingKey);
// `notify/log/<kind>/<name>/<event id>` keeps each finished delivery, and `notify/retired/<owner>/<webhook id>` names
// each deleted webhook whose log may still hold some (log-sweep.ts finds them only there). A receiver is one mailbox (`mail.<user>`) or
// one webhook (`hook.<id>`): each has its own queue and its own backoff, so one that fails holds up only itself.
import { ConflictError, NotFoundError } from '../../schemas/errors.ts';
import type { StorageProvider } from '../../storage/contract.ts';
import { logNamespace, PENDING_NS, retiredNamespace } from '../../storage/namespaces.ts';
import type { JobEvent } from '../../storage/records.ts';

export type ReceiverKind = 'mail' | 'hook';

export interface Receiver {
  kind: ReceiverKind;
  /** The username (mail) or the webhook id (hook). */
  name: string;
  owner: string;
}

export interface DeliveryAttempt {
  at: string;
  durationMs: number;
  ok: boolean;
  statusCode: number | null;
  error: string | null;
}

export interface Delivery {
  receiver: Receiver;
  eventKey: string;
  event: JobEvent;
  createdAt: string;
  /** Milliseconds since the epoch. */
  nextAttemptAt: number;
  attempts: DeliveryAttempt[];
  status: 'pending' | 'delivered' | 'failed' | 'dropped';
  reason?: string;
  /** An attempt is being made (by whichever process claimed it) until then, ms since the epoch; see claim(). */
  sendingUntil?: number;
}

export interface PendingEntry {
  key: string;
  receiver: string;
}

export const receiverId = (receiver: Pick<Receiver, 'kind' | 'name'>) => `${receiver.kind}.${receiver.name}`;
/**
 * `<receiver>.<event's millisecond><job id><seq>`: a receiver's queue in outbox time order, and a job's events in
 * their order even when two processes recorded them in one millisecond (whose own keys then sort by each process's
 * counter, so a spooler's claim could sort before the submission it follows).
 */
const pendingKey = (receiver: Receiver, eventKey: string, event: JobEvent) =>
  `${receiverId(receiver)}.${eventKey.slice(0, 12)}${event.jobId}${event.seq.toString(16).padStart(8, '0')}`;

/** `mail.alice.0190…` → `mail.alice`. */
function receiverOfKey(key: string): string {
  return key.slice(0, key.lastIndexOf('.'));
}

export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
  /** Retries stop this long after the delivery was first tried. */
  retryMs: number;
}

/** Exponential backoff with "equal jitter": half the step fixed, half random, so retries of many receivers spread out. */
export function backoffDelay(policy: BackoffPolicy, failures: number, random = Math.random): number {
  const step = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, failures - 1));
  return step / 2 + random() * (step / 2);
}

export class DeliveryStore {
  constructor(private readonly storage: StorageProvider) {}

  /**
   * Queues the event for the receiver unless it is queued or was delivered already (an event fanned out twice, by a
   * restarted dispatcher or a duplicate copy in the outbox, is queued once). Resolves true if this call queued it.
   */
  async enqueue(receiver: Receiver, eventKey: string, event: JobEvent, now = Date.now()): Promise<boolean> {
    if (await this.storage.get(logNamespace(receiver), event.id)) return false;
    const delivery: Delivery = { receiver, eventKey, event, createdAt: new Date(now).toISOString(), nextAttemptAt: now, attempts: [], status: 'pending' };
    try {
      await this.storage.put(PENDING_NS, pendingKey(receiver, eventKey, event), delivery, { ifAbsent: true });
      return true;
    } catch (error) {
      if (error instanceof ConflictError) return false;
      throw error;
    }
  }

  /** Every pending delivery key, receivers together and each receiver's in outbox order. */
  async pendingKeys(): Promise<PendingEntry[]> {
    const entries: PendingEntry[] = [];
    for (let after: string | undefined; ; ) {
      const keys = await this.storage.list(PENDING_NS, { limit: 1000, ...(after ? { after } : {}) });
      entries.push(...keys.map((key) => ({ key, receiver: receiverOfKey(key) })));
      if (keys.length < 1000) return entries;
      after = keys[keys.length - 1];
    }
  }

  get(key: string) {
    return this.storage.get<Delivery>(PENDING_NS, key);
  }

  /** Whether this event already reached this receiver (a duplicate copy must not be sent again). */
  async finished(receiver: Receiver, eventId: string): Promise<boolean> {
    return (await this.storage.get(logNamespace(receiver), eventId)) !== undefined;
  }

  /**
   * Claims the next attempt until `until` by compare-and-swap, and resolves with the new version; undefined if
   * another process changed or finished the delivery first. Two processes can drain one queue at once (a dispatcher
   * whose lease lapsed during a long round, and its successor): only the claim's winner sends. A claimer that dies
   * leaves the claim to expire, and the delivery is made again after `until` (at least once).
   */
  async claim(key: string, delivery: Delivery, version: string, until: number): Promise<string | undefined> {
    try {
      return await this.storage.replace(PENDING_NS, key, { ...delivery, sendingUntil: until }, version);
    } catch (error) {
      if (error instanceof ConflictError || error instanceof NotFoundError) return undefined;
      throw error;
    }
  }

  /** Records a retry; false if someone else changed or finished the delivery meanwhile. */
  async reschedule(key: string, delivery: Delivery, version: string): Promise<boolean> {
    try {
      await this.storage.replace(PENDING_NS, key, delivery, version);
      return true;
    } catch (error) {
      if (error instanceof ConflictError || error instanceof NotFoundError) return false;
      throw error;
    }
  }

  /** Moves a delivery to its receiver's log: the log is written first, so a crash in between repeats nothing. */
  async finish(key: string, delivery: Delivery): Promise<void> {
    await this.storage.put(logNamespace(delivery.receiver), delivery.event.id, delivery);
    await this.storage.delete(PENDING_NS, key);
  }

  /** Records that a webhook is being deleted, so that its log is still swept once nothing lists the webhook. */
  async retire(receiver: Receiver, now = Date.now()): Promise<void> {
    await this.storage.put(retiredNamespace(receiver.owner), receiver.name, { retiredAt: new Date(now).toISOString() });
  }

  /** Drops a pending delivery without a log entry (its webhook was deleted). */
  async discard(key: string): Promise<void> {
    await this.storage.delete(PENDING_NS, key);
  }

  /** Drops every pending delivery of a receiver without a log entry (its account is being deleted). */
  async discardAll(receiver: Pick<Receiver, 'kind' | 'name'>): Promise<void> {
    const prefix = `${receiverId(receiver)}.`;
    for (;;) {
      const keys = (await this.storage.list(PENDING_NS, { limit: 1000, after: prefix })).filter((key) => key.startsWith(prefix));
      for (const key of keys) await this.storage.delete(PENDING_NS, key);
      if (keys.length < 1000) return;
    }
  }

  /**
   * Up to `limit` pending deliveries of one receiver, oldest first. Its keys follow one another (see pendingKey), so
   * this lists from the first of them and stops at the limit or the next receiver's, whatever else is pending: a
   * receiver down for a day holds thousands, and every receiver's listed whole made each request cost them all.
   */
  async pendingOf(receiver: Receiver, limit: number): Promise<Delivery[]> {
    const prefix = `${receiverId(receiver)}.`;
    const keys = (await this.storage.list(PENDING_NS, { limit, after: prefix })).filter((key) => key.startsWith(prefix));
    const docs = await Promise.all(keys.map((key) => this.get(key)));
    return docs.flatMap((doc) => (doc ? [doc.value] : []));
  }

  /** Finished deliveries of one receiver, a page at a time in event-id order. */
  async logOf(receiver: Receiver, limit: number, after?: string): Promise<{ deliveries: Delivery[]; next: string | null }> {
    const keys = await this.storage.list(logNamespace(receiver), { limit, ...(after ? { after } : {}) });
    const docs = await Promise.all(keys.map((key) => this.storage.get<Delivery>(logNamespace(receiver), key)));
    return { deliveries: docs.flatMap((doc) => (doc ? [doc.value] : [])), next: keys.length === limit ? keys[keys.length - 1]! : null };
  }
}
