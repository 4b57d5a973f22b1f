// Makes the pending deliveries: each receiver's queue is worked through in order by its own task, so a receiver
// that hangs until the timeout or keeps failing delays only its own notifications. A failed attempt is recorded
// and retried with exponential backoff and jitter until the retry period ends; then the delivery is logged as
// failed. Each attempt is claimed on the delivery's document first (DeliveryStore.claim), so a delivery is sent by
// one process even when two drain the same queue. Jobs never wait for any of this: the lifecycle only wrote an event.
import type { Logger } from '../../config/logger.ts';
import {
  type BackoffPolicy,
  type Delivery,
  type DeliveryAttempt,
  type DeliveryStore,
  backoffDelay,
  receiverId,
} from './deliveries.ts';

/** What one attempt came to: an outcome to record, or a reason the delivery can never be made. */
export type AttemptResult =
  | { ok: boolean; statusCode: number | null; error: string | null; durationMs: number }
  | { drop: string; log: boolean };

export type Deliver = (delivery: Delivery) => Promise<AttemptResult>;

export interface WorkerOptions {
  /** How long a claimed attempt may take (longer than any send's own timeout), before another process may retry. */
  claimMs: number;
  /** Receivers worked on at once. */
  maxActive?: number;
}

export class DeliveryWorker {
  private readonly active = new Map<string, Promise<void>>();
  /** Receivers whose next due delivery lies in the future, and when it falls due. */
  private readonly notBefore = new Map<string, number>();
  private stopped = false;

  constructor(
    private readonly store: DeliveryStore,
    private readonly deliver: Deliver,
    private readonly policy: BackoffPolicy,
    private readonly log: Logger,
    private readonly options: WorkerOptions,
  ) {}

  /** Starts a task for every receiver with a due delivery and none in flight; does not wait for them. */
  async run(): Promise<void> {
    if (this.stopped) return;
    const queues = new Map<string, string[]>();
    for (const entry of await this.store.pendingKeys()) {
      const keys = queues.get(entry.receiver);
      if (keys) keys.push(entry.key);
      else queues.set(entry.receiver, [entry.key]);
    }
    const now = Date.now();
    for (const [receiver, keys] of queues) {
      if (this.active.has(receiver) || this.active.size >= (this.options.maxActive ?? 32)) continue;
      if ((this.notBefore.get(receiver) ?? 0) > now) continue;
      const task = this.drain(receiver, keys)
        .catch((error: unknown) => this.log.warn({ err: error, receiver }, 'notification delivery failed; retrying later'))
        .finally(() => this.active.delete(receiver));
      this.active.set(receiver, task);
    }
  }

  /** Resolves once every running task has finished its current attempt. */
  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.allSettled([...this.active.values()]);
  }

  private async drain(receiver: string, keys: string[]): Promise<void> {
    for (const key of keys) {
      if (this.stopped) return;
      const stored = await this.store.get(key);
      if (!stored) continue;
      // Not due yet, or an attempt of another process is in flight: the receiver's queue waits (order is kept).
      const due = Math.max(stored.value.nextAttemptAt, stored.value.sendingUntil ?? 0);
      if (due > Date.now()) {
        this.notBefore.set(receiver, due);
        return;
      }
      // Order within a receiver is kept: the next delivery waits until this one has gone through or given up.
      if (!(await this.attempt(key, stored.value, stored.version))) return;
    }
    this.notBefore.delete(receiver);
  }

  /** One attempt; true when the delivery is finished (made, dropped or given up), false when it waits for a retry. */
  private async attempt(key: string, pending: Delivery, version: string): Promise<boolean> {
    const { sendingUntil: _previousClaim, ...delivery } = pending;
    const { receiver, event } = delivery;
    const log = this.log.child({ jobId: event.jobId, eventId: event.id, receiver: receiverId(receiver) });
    if (await this.store.finished(receiver, event.id)) {
      await this.store.discard(key);
      return true;
    }
    // Another process claimed it first: it sends, this one looks again in a later round.
    const claimed = await this.store.claim(key, delivery, version, Date.now() + this.options.claimMs);
    if (claimed === undefined) return false;
    const at = new Date().toISOString();
    const result = await this.deliver(delivery);
    if ('drop' in result) {
      log.info({ reason: result.drop }, 'notification dropped');
      if (result.log) await this.store.finish(key, { ...delivery, status: 'dropped', reason: result.drop });
      else await this.store.discard(key);
      return true;
    }
    const attempt: DeliveryAttempt = { at, durationMs: result.durationMs, ok: result.ok, statusCode: result.statusCode, error: result.error };
    const attempts = [...delivery.attempts, attempt];
    if (result.ok) {
      await this.store.finish(key, { ...delivery, attempts, status: 'delivered' });
      log.info({ attempts: attempts.length, state: event.state }, 'notification delivered');
      return true;
    }
    const first = Date.parse(attempts[0]!.at);
    if (Date.now() - first >= this.policy.retryMs) {
      await this.store.finish(key, { ...delivery, attempts, status: 'failed', reason: result.error ?? 'failed' });
      log.warn({ attempts: attempts.length, error: result.error }, 'notification given up after the retry period');
      return true;
    }
    const next = Date.now() + backoffDelay(this.policy, attempts.length);
    await this.store.reschedule(key, { ...delivery, attempts, nextAttemptAt: next }, claimed);
    this.notBefore.set(receiverId(receiver), next);
    log.info({ attempt: attempts.length, error: result.error, retryInMs: Math.round(next - Date.now()) }, 'notification attempt failed; will retry');
    return false;
  }
}
