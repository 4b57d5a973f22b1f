// The judgements on notifications and event streams, against the outbox the lifecycle wrote (the record of every
// job event, whichever process caused it): each event of the test's users reached its subscribers exactly once
// (the webhook: every event, each job's in their order; the mailbox: DONE, the default), nothing arrived that no
// event explains, and every user's stream on the watched replica carried every event of their jobs.
import type { StorageProvider } from '../../storage/contract.ts';
import { type JobEvent, ns } from '../../storage/records.ts';
import type { Arrival } from './receivers.ts';
import type { SseWatch } from './sse-watch.ts';

/**
 * Outbox documents read at once: a remote store (S3 as the primary) refuses connections when a thousand reads
 * arrive together.
 */
const READS_AT_ONCE = 32;

/** Every event of the users' jobs in the outbox, once per event id (a transition may be recorded twice). */
export async function outboxEvents(storage: StorageProvider, users: Set<string>): Promise<Map<string, JobEvent>> {
  const events = new Map<string, JobEvent>();
  for (let after: string | undefined; ; ) {
    const keys = await storage.list(ns.events, { limit: 1000, ...(after ? { after } : {}) });
    for (let i = 0; i < keys.length; i += READS_AT_ONCE) {
      const docs = await Promise.all(keys.slice(i, i + READS_AT_ONCE).map((key) => storage.get<JobEvent>(ns.events, key)));
      for (const doc of docs) if (doc && users.has(doc.value.owner)) events.set(doc.value.id, doc.value);
    }
    if (keys.length < 1000) return events;
    after = keys[keys.length - 1];
  }
}

/** A request the killed process had written to its socket still reaches the subscriber this long after the kill. */
const IN_FLIGHT_MS = 1000;

export interface DeliveryVerdict {
  expected: number;
  delivered: number;
  missing: string[];
  /** Ids that arrived more than once although no dispatcher was killed between the copies. */
  duplicated: string[];
  /** Ids that arrived again after the dispatching replica was SIGKILLed (its first copy before the kill). */
  repeatedAcrossKill: string[];
  unexplained: string[];
}

/**
 * Compares arrivals with the events that should cause one. A repeat is allowed only across the kill of the
 * replica that was dispatching: a delivery it made but had not yet recorded is made again by its successor (the
 * id lets the subscriber fold it, see server/notifications/dispatcher.ts); any other repeat is a violation.
 */
export function judgeDeliveries(expectedIds: string[], arrivals: Arrival[], dispatcherKilledAt: number | undefined): DeliveryVerdict {
  const byId = new Map<string, number[]>();
  for (const arrival of arrivals) byId.set(arrival.id, [...(byId.get(arrival.id) ?? []), arrival.at]);
  const expected = new Set(expectedIds);
  const verdict: DeliveryVerdict = { expected: expected.size, delivered: 0, missing: [], duplicated: [], repeatedAcrossKill: [], unexplained: [] };
  for (const id of expected) {
    const times = byId.get(id);
    if (!times) verdict.missing.push(id);
    else verdict.delivered += 1;
  }
  for (const [id, times] of byId) {
    if (!expected.has(id)) verdict.unexplained.push(id);
    if (times.length < 2) continue;
    const acrossKill = dispatcherKilledAt !== undefined && times.length === 2 && times[0]! <= dispatcherKilledAt + IN_FLIGHT_MS && times[1]! >= dispatcherKilledAt;
    if (acrossKill) verdict.repeatedAcrossKill.push(id);
    else verdict.duplicated.push(`${id} (${times.map((t) => `${dispatcherKilledAt === undefined ? t : t - dispatcherKilledAt} ms`).join(', ')} after the kill)`);
  }
  return verdict;
}

export function deliveryProblems(kind: string, verdict: DeliveryVerdict): string[] {
  const list = (ids: string[]) => `${ids.slice(0, 5).join(', ')}${ids.length > 5 ? ', …' : ''}`;
  const problems: string[] = [];
  if (verdict.missing.length) problems.push(`${kind}: ${verdict.missing.length} of ${verdict.expected} events never delivered (${list(verdict.missing)})`);
  if (verdict.duplicated.length) problems.push(`${kind}: ${verdict.duplicated.length} events delivered more than once (${list(verdict.duplicated)})`);
  if (verdict.unexplained.length) problems.push(`${kind}: ${verdict.unexplained.length} deliveries of no event of the outbox (${list(verdict.unexplained)})`);
  return problems;
}

/** Jobs whose events reached a subscriber out of their order (by first arrival), e.g. RUNNING before QUEUED. */
export function orderProblems(kind: string, arrivals: Arrival[]): string[] {
  const firstSeqs = new Map<string, number[]>();
  const seen = new Set<string>();
  for (const { id, to } of arrivals) {
    if (seen.has(`${to} ${id}`)) continue;
    seen.add(`${to} ${id}`);
    const [jobId, seq] = id.split('-');
    const key = `${to} ${jobId}`;
    firstSeqs.set(key, [...(firstSeqs.get(key) ?? []), Number(seq)]);
  }
  const disordered = [...firstSeqs].filter(([, seqs]) => seqs.some((seq, i) => i > 0 && seq < seqs[i - 1]!));
  return disordered.length === 0 ? [] : [`${kind}: ${disordered.length} jobs' events arrived out of order (${disordered.slice(0, 3).map(([key, seqs]) => `${key.split(' ')[1]}: ${seqs.join(',')}`).join('; ')})`];
}

/** Events of each watched user's jobs that their stream did not carry. */
export function streamProblems(watches: SseWatch[], events: Map<string, JobEvent>): { problems: string[]; carried: number; expected: number } {
  const problems: string[] = [];
  let carried = 0;
  let expected = 0;
  for (const watch of watches) {
    const own = [...events.values()].filter((event) => event.owner === watch.user);
    const unseen = own.filter((event) => !watch.seen.has(event.id));
    expected += own.length;
    carried += own.length - unseen.length;
    if (unseen.length) problems.push(`SSE of ${watch.user}: ${unseen.length} of ${own.length} events not carried (${unseen.slice(0, 5).map((e) => `${e.id} ${e.state}`).join(', ')})`);
    if (watch.ended) problems.push(`SSE of ${watch.user}: ${watch.ended}`);
  }
  return { problems, carried, expected };
}

/** Whether every expected id has arrived (to stop waiting early). */
export function allArrived(ids: string[], arrivals: Arrival[]): boolean {
  const seen = new Set(arrivals.map((a) => a.id));
  return ids.every((id) => seen.has(id));
}
