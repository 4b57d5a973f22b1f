// The outbox as a live feed inside one server process: every process tails `events/` itself (event streams are
// served by whichever process holds the connection), woken by the storage's watch where it has one (local: an
// inotify doorbell, a few milliseconds) and by a poll otherwise. Keys come from the writers' clocks, so an event
// can become visible after a later key was already read: each poll looks back over the settle window and emits
// what it had not seen yet. A job's events must still reach listeners in their order (event streams drop a change
// older than one they sent): a job's submission by one replica can commit after a later key of another process was
// read, and its claim by a spooler follows at once, so a read that finds a job's event without the one before it
// looks back over the window at once, before emitting anything; and events of one job in one page go out in seq order.
import type { Logger } from '../../config/logger.ts';
import { isJobId, jobIdTime } from '../../storage/keys.ts';
import { ns } from '../../storage/records.ts';
import type { StorageProvider } from '../../storage/contract.ts';
import { type OutboxEntry, instantKey, listEventKeys, readEvents } from './outbox.ts';
import { accepted, type EventSource } from './sources.ts';

export type FeedListener = (entry: OutboxEntry) => void;

/** Hands an entry to every listener; one that throws is logged and does not keep the entry from the others. */
export function tellListeners(listeners: Iterable<FeedListener>, entry: OutboxEntry, log: Logger): void {
  for (const listener of listeners) {
    try {
      listener(entry);
    } catch (error) {
      log.warn({ err: error, jobId: entry.event.jobId }, 'an event listener failed');
    }
  }
}

export interface FeedOptions {
  pollMs: number;
  settleMs: number;
  log: Logger;
  /**
   * Whether anyone listens now. While nobody does, the feed reads nothing (a busy store appends an event per job
   * transition, and reading them was a few percent of a server's work for no one); a listener that comes gets the
   * events recorded from its arrival on (see resume).
   */
  wanted?: () => boolean;
  /** Called when the storage says the outbox changed (where it can say so), whether or not the feed reads. */
  changed?: () => void;
}

const PAGE = 500;

/**
 * Entries in key order, except that each job's own events are in seq order: keys of different processes in one
 * millisecond sort by each process's own counter, so a spooler's claim can sort before the submission it follows.
 */
function inJobOrder(entries: OutboxEntry[]): OutboxEntry[] {
  const byJob = new Map<string, OutboxEntry[]>();
  for (const entry of entries) byJob.set(entry.event.jobId, [...(byJob.get(entry.event.jobId) ?? []), entry]);
  for (const list of byJob.values()) list.sort((a, b) => a.event.seq - b.event.seq);
  return entries.map((entry) => byJob.get(entry.event.jobId)!.shift()!);
}

export class EventFeed {
  private readonly listeners = new Set<FeedListener>();
  /** Keys emitted within the settle window (older ones are forgotten; a late one that old is lost to live streams). */
  private readonly seen = new Set<string>();
  /** Per job, the seq of the last event emitted and its key (forgotten with `seen`). */
  private readonly emitted = new Map<string, { seq: number; key: string }>();
  /**
   * The keys of `seen` in the order they were read (about time order), so forgetting costs what it forgets rather
   * than a pass over the whole window after every read (a busy store reads hundreds of times a second).
   */
  private seenOrder: { key: string; jobId: string }[] = [];
  private forgotten = 0;
  private position = '';
  /** While nobody listens the feed reads nothing; keys before `listenedFrom` were recorded before listening resumed. */
  private idle = false;
  private listenedFrom = '';
  private running = false;
  private again = false;
  private lastLookback = 0;
  private timer: NodeJS.Timeout | undefined;
  private unwatch: (() => void) | undefined;
  private closed = false;

  constructor(
    private readonly source: EventSource,
    private readonly options: FeedOptions,
  ) {}

  /** The storage whose outbox this feed reads. */
  get storage(): StorageProvider {
    return this.source.storage;
  }

  start(): void {
    this.position = instantKey(Date.now() - this.options.settleMs);
    this.unwatch = this.source.storage.watch?.(ns.events, () => {
      this.options.changed?.();
      this.kick();
    });
    this.timer = setInterval(() => this.kick(), this.options.pollMs);
    this.timer.unref();
    this.kick();
  }

  /** Calls `listener` with every event recorded from now on (and a few from just before); returns the unsubscribe. */
  subscribe(listener: FeedListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Called as the first listener arrives: an idle feed goes back to reading, and passes over (unread) the events
   * recorded before `ms`, which happened before anyone listened.
   */
  resume(ms: number): void {
    if (!this.idle) return;
    this.idle = false;
    this.listenedFrom = instantKey(ms);
    this.kick();
  }

  close(): void {
    this.closed = true;
    clearInterval(this.timer);
    this.unwatch?.();
    this.listeners.clear();
  }

  /** Runs a read now, or right after the one in progress. */
  kick(): void {
    if (this.closed) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    void this.read()
      .catch((error: unknown) => this.options.log.warn({ err: error }, 'reading the event outbox failed; retrying at the next poll'))
      .finally(() => {
        this.running = false;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }

  private async read(): Promise<void> {
    const now = Date.now();
    const windowStart = instantKey(now - this.options.settleMs);
    if (this.options.wanted && !this.options.wanted()) {
      this.idle = true;
      if (windowStart > this.position) this.position = windowStart;
      return;
    }
    const lookbackDue = now - this.lastLookback >= this.options.pollMs;
    const from = windowStart < this.position ? windowStart : this.position;
    if (lookbackDue || !(await this.readAfter(this.position, true))) {
      this.lastLookback = now;
      await this.readAfter(from, false);
    }
    this.forget(now - this.horizonMs());
  }

  /**
   * Emits the unseen events after `after` in key order. With `orderedOnly`, a page holding an event whose job's
   * previous event was not emitted yet (and may be a late key behind the position) is left unread: false.
   */
  private async readAfter(after: string, orderedOnly: boolean): Promise<boolean> {
    for (;;) {
      const keys = await listEventKeys(this.source.storage, after, PAGE);
      const unseen = keys.filter((key) => !this.seen.has(key));
      for (const key of unseen) if (key < this.listenedFrom) this.remember(key, '');
      const fresh = inJobOrder(await readEvents(this.source.storage, unseen.filter((key) => key >= this.listenedFrom)));
      if (orderedOnly && this.hasGap(fresh)) return false;
      for (const { key, event } of fresh) {
        this.remember(key, event.jobId);
        if (event.seq > (this.emitted.get(event.jobId)?.seq ?? 0)) this.emitted.set(event.jobId, { seq: event.seq, key });
      }
      for (const entry of await accepted(this.source, fresh)) tellListeners(this.listeners, entry, this.options.log);
      if (keys.length > 0 && keys[keys.length - 1]! > this.position) this.position = keys[keys.length - 1]!;
      if (keys.length < PAGE) return true;
      after = keys[keys.length - 1]!;
    }
  }

  /**
   * Whether some event of `fresh` (in key order) comes without its job's previous event before it. A job this feed
   * knows nothing of counts only if it was created within the feed's memory (its earlier events should have been
   * seen); an older job's earlier events simply predate the memory, and looking back for them would be wasted.
   */
  private hasGap(fresh: OutboxEntry[]): boolean {
    const last = new Map<string, number>();
    const memory = Date.now() - this.horizonMs();
    for (const { event } of fresh) {
      const known = last.get(event.jobId) ?? this.emitted.get(event.jobId)?.seq;
      const previous = known ?? (isJobId(event.jobId) && jobIdTime(event.jobId) >= memory ? 0 : event.seq - 1);
      if (event.seq > previous + 1) return true;
      last.set(event.jobId, Math.max(previous, event.seq));
    }
    return false;
  }

  private remember(key: string, jobId: string): void {
    this.seen.add(key);
    this.seenOrder.push({ key, jobId });
  }

  /** How far back keys and jobs are remembered. */
  private horizonMs(): number {
    return 2 * this.options.settleMs + this.options.pollMs;
  }

  /** Forgets keys recorded before `before`; one read out of time order is kept until those read before it go. */
  private forget(before: number): void {
    const cutoff = instantKey(before);
    const order = this.seenOrder;
    while (this.forgotten < order.length && order[this.forgotten]!.key < cutoff) {
      const { key, jobId } = order[this.forgotten++]!;
      this.seen.delete(key);
      if (this.emitted.get(jobId)?.key === key) this.emitted.delete(jobId);
    }
    if (this.forgotten > 1024 && this.forgotten * 2 > order.length) {
      this.seenOrder = order.slice(this.forgotten);
      this.forgotten = 0;
    }
  }
}
