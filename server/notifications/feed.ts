// The outbox as a live feed inside one server process: every process tails `events/` itself (event streams are
// served by whichever process holds the connection), woken by the storage's watch where it has one (local: an
// inotify doorbell, a few milliseconds) and by a poll otherwise. Keys come from the writers' clocks, so an event
// can become visible after a later key was already read: each poll looks back over the settle window and emits
// what it had not seen yet.
import type { Logger } from '../../config/logger.ts';
import { ns } from '../../storage/records.ts';
import { type OutboxEntry, instantKey, keyTime, listEventKeys, readEvents } from './outbox.ts';
import { accepted, type EventSource } from './sources.ts';

export type FeedListener = (entry: OutboxEntry) => void;

export interface FeedOptions {
  pollMs: number;
  settleMs: number;
  log: Logger;
}

const PAGE = 500;

export class EventFeed {
  private readonly listeners = new Set<FeedListener>();
  /** Keys emitted within the settle window (older ones are forgotten; a late one that old is lost to live streams). */
  private readonly seen = new Set<string>();
  private position = '';
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

  start(): void {
    this.position = instantKey(Date.now() - this.options.settleMs);
    this.unwatch = this.source.storage.watch?.(ns.events, () => this.kick());
    this.timer = setInterval(() => this.kick(), this.options.pollMs);
    this.timer.unref();
    this.kick();
  }

  /** Calls `listener` with every event recorded from now on (and a few from just before); returns the unsubscribe. */
  subscribe(listener: FeedListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The newest key read so far: a stream that starts now has seen everything up to here. */
  get head(): string {
    return this.position;
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
    const lookback = now - this.lastLookback >= this.options.pollMs;
    const windowStart = instantKey(now - this.options.settleMs);
    let after = lookback && windowStart < this.position ? windowStart : this.position;
    if (lookback) this.lastLookback = now;
    for (;;) {
      const keys = await listEventKeys(this.source.storage, after, PAGE);
      const fresh = await readEvents(this.source.storage, keys.filter((key) => !this.seen.has(key)));
      for (const { key } of fresh) this.seen.add(key);
      for (const entry of await accepted(this.source, fresh)) {
        for (const listener of this.listeners) {
          try {
            listener(entry);
          } catch (error) {
            this.options.log.warn({ err: error, jobId: entry.event.jobId }, 'an event listener failed');
          }
        }
      }
      if (keys.length > 0 && keys[keys.length - 1]! > this.position) this.position = keys[keys.length - 1]!;
      if (keys.length < PAGE) break;
      after = keys[keys.length - 1]!;
    }
    this.forget(now - 2 * this.options.settleMs - this.options.pollMs);
  }

  private forget(before: number): void {
    for (const key of this.seen) if (keyTime(key) < before) this.seen.delete(key);
  }
}
