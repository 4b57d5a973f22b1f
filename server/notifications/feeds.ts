// One live feed per outbox (server/notifications/sources.ts), behind one subscription: event streams and the
// dispatcher hear of every provider's events without knowing which providers there are. The set of outboxes is
// looked at again every few seconds, so a provider registered, activated or added again with another login while the
// server runs is picked up and a deactivated or replaced one is let go.
import { EventFeed, tellListeners, type FeedListener, type FeedOptions } from './feed.ts';
import type { EventSources } from './sources.ts';

const SOURCES_REFRESH_MS = 2000;

export class FeedSet {
  private readonly feeds = new Map<string, EventFeed>();
  private readonly listeners = new Set<FeedListener>();
  private readonly changeListeners = new Set<() => void>();
  private timer: NodeJS.Timeout | undefined;
  private syncing: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly sources: EventSources,
    private readonly options: FeedOptions,
  ) {}

  start(): void {
    this.timer = setInterval(() => this.sync(), SOURCES_REFRESH_MS);
    this.timer.unref();
    this.sync();
  }

  /** Calls `listener` with every event recorded from now on in any outbox; returns the unsubscribe. */
  subscribe(listener: FeedListener): () => void {
    if (this.listeners.size === 0) for (const feed of this.feeds.values()) feed.resume(Date.now());
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Calls `listener` whenever an outbox's storage says it changed, without reading it: the dispatcher reads the
   * outbox itself, so waking it costs the feed nothing while no event stream listens.
   */
  onChange(listener: () => void): () => void {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  }

  close(): void {
    this.closed = true;
    clearInterval(this.timer);
    for (const feed of this.feeds.values()) feed.close();
    this.feeds.clear();
    this.listeners.clear();
    this.changeListeners.clear();
  }

  /** Starts feeds for new outboxes and stops those of providers no longer active; syncs never overlap. */
  private sync(): void {
    this.syncing = this.syncing.then(async () => {
      if (this.closed) return;
      try {
        const sources = await this.sources();
        if (this.closed) return;
        const wanted = new Map(sources.map((source) => [source.name, source.storage]));
        for (const [name, feed] of this.feeds) {
          // A provider added again under its name (another process removed it) has another storage: read that one.
          if (wanted.get(name) === feed.storage) continue;
          feed.close();
          this.feeds.delete(name);
        }
        for (const source of sources.filter((s) => !this.feeds.has(s.name))) {
          const changed = () => {
            for (const listener of this.changeListeners) listener();
          };
          const feed = new EventFeed(source, { ...this.options, wanted: () => this.listeners.size > 0, changed });
          feed.subscribe((entry) => tellListeners(this.listeners, entry, this.options.log));
          this.feeds.set(source.name, feed);
          feed.start();
        }
      } catch (error) {
        this.options.log.warn({ err: error }, 'listing the event outboxes failed; retrying');
      }
    });
  }
}
